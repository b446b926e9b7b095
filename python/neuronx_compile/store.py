"""The artifacts in S3: uploads with sha256, stale-object cleanup, the manifest and the markers."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from boto3.s3.transfer import TransferConfig

from . import constants as c
from .errors import AlreadyEndedError, UploadError
from .progress import Progress

# In _SUCCESS, the line before the objects, one "path<TAB>size<TAB>etag" a line (the waiter reads them).
SUCCESS_OBJECTS = "--- objects ---"

TRANSFER = TransferConfig(multipart_threshold=64 * 2**20, multipart_chunksize=64 * 2**20, max_concurrency=8)


@dataclass(frozen=True)
class FileEntry:
    """One uploaded file: its key relative to the prefix, size, sha256, and the ETag S3 gave it."""

    path: str
    size: int
    sha256: str
    etag: str = ""


class ArtifactStore:
    """Reads and writes under ``s3://bucket/prefix`` only (the instance role allows nothing else)."""

    def __init__(self, s3, bucket: str, prefix: str) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.prefix = prefix

    def key(self, name: str) -> str:
        return self.prefix + name

    def put_text(self, name: str, text: str, content_type: str = "text/plain; charset=utf-8") -> None:
        self.s3.put_object(Bucket=self.bucket, Key=self.key(name), Body=text.encode(), ContentType=content_type)

    def delete(self, names: Iterable[str]) -> None:
        keys = [{"Key": self.key(n)} for n in names]
        if not keys:
            return
        for start in range(0, len(keys), 1000):
            self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys[start : start + 1000], "Quiet": True})

    def clear_markers(self, instance_id: str) -> None:
        """Removes the markers of an earlier attempt, so nothing reads a stale result while this one runs.

        Only those that exist: in a versioned bucket, deleting a missing key still adds a delete marker.
        A ``_FAILURE`` that names this instance is not an earlier attempt's: the user data's watchdog
        wrote it (the lease was abandoned or the deadline passed) while this job was starting, and
        the halt is on its way. Deleting it would hide the reason from the next apply, so it stays
        and the job stops (AlreadyEndedError).
        """
        present = self.list("_")
        if c.FAILURE in present and instance_id != "unknown":
            body = self.s3.get_object(Bucket=self.bucket, Key=self.key(c.FAILURE))["Body"].read().decode()
            if f"\ninstance_id={instance_id}\n" in "\n" + body:
                reason = next((line[len("reason=") :] for line in body.splitlines() if line.startswith("reason=")), "")
                raise AlreadyEndedError(f"this instance has already ended the compile: {reason}")
        self.delete([m for m in (c.SUCCESS, c.FAILURE, c.FAILURE_LOG) if m in present])

    def list(self, folder: str) -> dict[str, int]:
        """Relative path -> size of every object under ``prefix + folder``."""
        return {path: size for path, (size, _) in self.list_with_etags(folder).items()}

    def list_with_etags(self, folder: str) -> dict[str, tuple[int, str]]:
        """Relative path -> (size, ETag without quotes) of every object under ``prefix + folder``."""
        found: dict[str, tuple[int, str]] = {}
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.key(folder))
        for page in pages:
            for obj in page.get("Contents", []):
                found[obj["Key"][len(self.prefix) :]] = (obj["Size"], obj["ETag"].strip('"'))
        return found

    def upload_tree(self, local_dir: Path, folder: str, progress: Progress) -> list[FileEntry]:
        """Uploads every file below ``local_dir`` to ``prefix + folder``, reporting bytes to ``progress``."""
        entries = []
        for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
            rel = folder + path.relative_to(local_dir).as_posix()
            entries.append(FileEntry(rel, path.stat().st_size, sha256_of(path)))
            try:
                self.s3.upload_file(str(path), self.bucket, self.key(rel), Callback=progress.advance, Config=TRANSFER)
            except Exception as error:
                raise UploadError(f"could not upload {rel} to s3://{self.bucket}/{self.key(rel)}: {error}") from error
        return entries

    def delete_stale(self, keep: Iterable[FileEntry]) -> list[str]:
        """Deletes objects of an earlier attempt under model/ and compiled/ that this one did not write."""
        wanted = {e.path for e in keep}
        stale = [p for folder in (c.MODEL_DIR, c.COMPILED_DIR) for p in self.list(folder) if p not in wanted]
        self.delete(stale)
        return stale

    def publish(self, manifest: dict, files: list[FileEntry]) -> None:
        """Writes manifest.json, then _SUCCESS last: nothing reads the artifacts before both exist.

        The objects are read back from S3 first: the manifest and _SUCCESS record each one's ETag
        as S3 reports it, so that a reader (the waiter) can check with one listing, without
        downloading anything, that the prefix holds exactly these objects, unchanged. _SUCCESS
        names the manifest by its sha256 and its ETag.
        """
        stored = {**self.list_with_etags(c.MODEL_DIR), **self.list_with_etags(c.COMPILED_DIR)}
        expected = {f.path: f.size for f in files}
        differ = sorted(p for p in set(stored) | set(expected) if stored.get(p, (None,))[0] != expected.get(p))
        if differ:
            raise UploadError(
                f"s3://{self.bucket}/{self.prefix} does not hold what was uploaded (another writer?): "
                + ", ".join(differ[:5])
            )
        files = [replace(f, etag=stored[f.path][1]) for f in files]
        manifest = {**manifest, "files": [asdict(f) for f in files]}
        body = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
        written = self.s3.put_object(
            Bucket=self.bucket, Key=self.key(c.MANIFEST), Body=body.encode(), ContentType="application/json"
        )
        success = (
            f"cache_key={self.prefix}\n"
            f"files={len(files)}\n"
            f"bytes={sum(f.size for f in files)}\n"
            f"manifest_sha256={hashlib.sha256(body.encode()).hexdigest()}\n"
            f"manifest_etag={written['ETag'].strip(chr(34))}\n"
            f"commit={manifest['commit']}\n"
            f"revision={manifest['revision']}\n"
            f"neuron_sdk_version={manifest['neuron_sdk_version']}\n"
            f"completed_at={manifest['created_at']}\n"
            f"instance_id={manifest['instance_id']}\n"
            f"{SUCCESS_OBJECTS}\n"
            + "".join(f"{f.path}\t{f.size}\t{f.etag}\n" for f in sorted(files, key=lambda f: f.path))
        )
        self.put_text(c.SUCCESS, success)

    def verify_success(self) -> str | None:
        """What is wrong with ``_SUCCESS`` against S3 now, or None when S3 holds exactly what it lists.

        The checks of the local-exec waiter (scripts/wait-for-compile.sh check_success): the cache key,
        manifest.json's ETag, and every object under model/ and compiled/ by key, size and ETag.
        """
        try:
            text = self.s3.get_object(Bucket=self.bucket, Key=self.key(c.SUCCESS))["Body"].read().decode()
        except self.s3.exceptions.NoSuchKey:
            return f"no {c.SUCCESS} under s3://{self.bucket}/{self.prefix}"
        header, _, objects = text.partition(SUCCESS_OBJECTS + "\n")
        fields = dict(line.split("=", 1) for line in header.splitlines() if "=" in line)
        if fields.get("cache_key") != self.prefix:
            return f"{c.SUCCESS} names the cache key {fields.get('cache_key')!r}, not {self.prefix!r}"
        manifest = self.list_with_etags(c.MANIFEST).get(c.MANIFEST)
        if manifest is None or manifest[1] != fields.get("manifest_etag"):
            return f"{c.MANIFEST} is missing or is not the one {c.SUCCESS} was written with"
        want = sorted(line for line in objects.splitlines() if line)
        stored = {**self.list_with_etags(c.MODEL_DIR), **self.list_with_etags(c.COMPILED_DIR)}
        have = sorted(f"{path}\t{size}\t{etag}" for path, (size, etag) in stored.items())
        if not want or want != have:
            differ = sorted({line.split("\t")[0] for line in set(want) ^ set(have)})
            return f"{c.SUCCESS} lists {len(want)} objects and S3 holds {len(have)}, differing in {', '.join(differ[:3]) or 'none listed'}"
        return None

    def write_failure(self, reason: str, phase: str, instance_id: str, log_tail: list[str]) -> None:
        body = (
            f"reason={reason}\nphase={phase}\ninstance_id={instance_id}\n--- log tail ---\n"
            + "\n".join(log_tail)
            + "\n"
        )
        self.put_text(c.FAILURE, body)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(8 * 2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_manifest(settings, commit: str, files: list[FileEntry], versions: dict) -> dict:
    """manifest.json: what was compiled, how, with which SDK, and every file with its size and sha256."""
    return {
        "cache_key": settings.prefix,
        "model_id": settings.model_id,
        "revision": settings.revision,
        "commit": commit,
        "neuron_sdk_version": settings.neuron_sdk_version,
        "versions": versions,
        "options": settings.options(),
        "files": [asdict(f) for f in files],
        "total_bytes": sum(f.size for f in files),
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "instance_id": settings.instance_id or os.environ.get("HOSTNAME", ""),
    }
