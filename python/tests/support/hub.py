"""A Hugging Face Hub emulator on 127.0.0.1, for the compile script's download.

The Hub cannot run here, so this serves the few endpoints huggingface_hub calls to
download a model, with the Hub's status codes and X-Error-Code headers: model info
(`/api/models/<repo>` and `/api/models/<repo>/revision/<rev>`), the tree listing that
`HfApi.list_repo_tree` reads (`/api/models/<repo>/tree/<rev>/<path>`, for optimum-neuron's
Hub cache registry), and file HEAD/GET (`/<repo>/resolve/<rev>/<file>`), with gated
repositories that need a token. It records every request.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse


@dataclass
class Repo:
    files: dict[str, bytes]
    commit: str = "0123456789abcdef0123456789abcdef01234567"
    branches: tuple[str, ...] = ("main",)
    gated: bool = False
    token: str | None = None


@dataclass
class Request:
    method: str
    path: str
    authorization: str | None


@dataclass
class Hub:
    repos: dict[str, Repo] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def start(self) -> str:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_HEAD(self):  # noqa: N802
                self._serve(body=False)

            def do_GET(self):  # noqa: N802
                self._serve(body=True)

            def _send(self, status, headers=None, payload=b""):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command == "GET":
                    self.wfile.write(payload)

            def _error(self, status, code, message):
                body = json.dumps({"error": message}).encode()
                self._send(status, {"X-Error-Code": code, "X-Error-Message": message}, body)

            def _serve(self, body):
                path = unquote(urlparse(self.path).path)
                hub.requests.append(Request(self.command, path, self.headers.get("Authorization")))
                if path.startswith("/api/models/") and "/tree/" in path:
                    return self._tree(path)
                if path.startswith("/api/models/"):
                    repo_id, _, revision = path[len("/api/models/") :].partition("/revision/")
                    revision = revision or "main"
                    repo = hub.repos.get(repo_id)
                    if repo is None:
                        return self._error(401, "RepoNotFound", "Repository not found")
                    if revision not in repo.branches and revision != repo.commit:
                        return self._error(404, "RevisionNotFound", "Invalid rev id")
                    info = {
                        "id": repo_id,
                        "modelId": repo_id,
                        "sha": repo.commit,
                        "private": False,
                        "gated": "manual" if repo.gated else False,
                        "siblings": [{"rfilename": n, "size": len(b)} for n, b in sorted(repo.files.items())],
                    }
                    return self._send(200, {"Content-Type": "application/json"}, json.dumps(info).encode())
                parts = path.lstrip("/").split("/")
                if len(parts) >= 5 and parts[2] == "resolve":
                    repo_id, revision, name = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
                    repo = hub.repos.get(repo_id)
                    if repo is None:
                        return self._error(401, "RepoNotFound", "Repository not found")
                    if revision not in repo.branches and revision != repo.commit:
                        return self._error(404, "RevisionNotFound", "Invalid rev id")
                    if repo.gated and self.headers.get("Authorization") != f"Bearer {repo.token}":
                        return self._error(401, "GatedRepo", "Access to this model is restricted")
                    if name not in repo.files:
                        return self._error(404, "EntryNotFound", "Entry not found")
                    data = repo.files[name]
                    headers = {
                        "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
                        "X-Repo-Commit": repo.commit,
                        "Content-Type": "application/octet-stream",
                    }
                    self.send_response(200)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if body:
                        self.wfile.write(data)
                    return None
                return self._error(404, "NotFound", "Not found")

            def _tree(self, path):
                """Files and folders under a path: its direct children, or with recursive=True all below it."""
                repo_id, _, rest = path[len("/api/models/") :].partition("/tree/")
                revision, _, folder = rest.partition("/")
                repo = hub.repos.get(repo_id)
                if repo is None:
                    return self._error(401, "RepoNotFound", "Repository not found")
                if revision not in repo.branches and revision != repo.commit:
                    return self._error(404, "RevisionNotFound", "Invalid rev id")
                recursive = parse_qs(urlparse(self.path).query).get("recursive", ["False"])[0].lower() == "true"
                base = folder.strip("/") + "/" if folder.strip("/") else ""
                below = sorted(n for n in repo.files if n.startswith(base))
                if base and not below:
                    return self._error(404, "EntryNotFound", f"{folder} does not exist on {revision}")
                entries: dict[str, dict] = {}
                for name in below:
                    parts = name[len(base) :].split("/")
                    for depth in range(1, len(parts)):
                        if recursive or depth == 1:
                            sub = base + "/".join(parts[:depth])
                            entries[sub] = {
                                "type": "directory",
                                "path": sub,
                                "oid": hashlib.sha1(sub.encode(), usedforsecurity=False).hexdigest(),
                            }
                    if recursive or len(parts) == 1:
                        data = repo.files[name]
                        oid = hashlib.sha1(data, usedforsecurity=False).hexdigest()
                        entries[name] = {"type": "file", "path": name, "size": len(data), "oid": oid}
                body = json.dumps([entries[k] for k in sorted(entries)]).encode()
                return self._send(200, {"Content-Type": "application/json"}, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()

    def downloaded(self, repo_id: str) -> list[str]:
        """Files of a repository fetched with GET."""
        prefix = f"/{repo_id}/resolve/"
        return sorted(
            r.path[len(prefix) :].split("/", 1)[1]
            for r in self.requests
            if r.method == "GET" and r.path.startswith(prefix)
        )
