"""Runs the compile instance's user data on this machine, as cloud-init would on the instance.

The user data is rendered by the construct's own code (scripts/render-user-data.ts); the
instance's tools that cannot run here (docker, shutdown, the metadata service's curl,
systemctl) are the stand-ins in instance_host/; the AWS CLI and the emulator are real.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import boto3

REPO_ROOT = Path(__file__).resolve().parents[3]
HOST_TOOLS = Path(__file__).resolve().parent / "instance_host"
STAND_IN = Path(__file__).resolve().parent / "stand_in"
CODE_PREFIX = "_neuronx/bootstrap/test/"


def render_user_data(environment: dict[str, str], deadline_minutes: int = 180) -> str:
    tsx = REPO_ROOT / "node_modules" / ".bin" / "tsx"
    spec = json.dumps({"environment": environment, "deadlineMinutes": deadline_minutes})
    return subprocess.run(
        [str(tsx), str(REPO_ROOT / "scripts" / "render-user-data.ts"), spec],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def ship_compile_script(bucket: str, prefix: str = CODE_PREFIX) -> str:
    """Uploads python/neuronx_compile the way the construct's aws_s3_object does."""
    s3 = boto3.client("s3")
    package = REPO_ROOT / "python" / "neuronx_compile"
    for path in sorted(package.glob("*.py")):
        s3.upload_file(str(path), bucket, f"{prefix}neuronx_compile/{path.name}")
    return prefix


class InstanceRun:
    """One boot of the compile instance: its record of tool calls, console and exit status."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.record = root / "calls.log"
        self.console = root / "console.log"
        self.devices = root / "dev"
        self.devices.mkdir(parents=True, exist_ok=True)
        (self.devices / "neuron0").touch()
        self.returncode: int | None = None

    def calls(self) -> list[str]:
        return self.record.read_text().splitlines() if self.record.exists() else []

    def console_text(self) -> str:
        return self.console.read_text() if self.console.exists() else ""

    @property
    def halted(self) -> bool:
        """The user data ran `shutdown -h now` and every process of it was killed, as a halt does."""
        return self.returncode == -signal.SIGKILL and any(c.startswith("shutdown -h now") for c in self.calls())

    def boot(self, script: str, extra_env: dict[str, str] | None = None, timeout: int = 180) -> InstanceRun:
        """Runs the user data to its end (a halt included)."""
        process = self.start(script, extra_env)
        try:
            self.returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        return self

    def start(self, script: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        """Starts the user data as cloud-init would, and returns at once."""
        user_data = self.root / "user-data.sh"
        user_data.write_text(script)
        emulator = {k: v for k, v in os.environ.items() if k.startswith("AWS_") or k.startswith("HF_")}
        env = {
            **emulator,
            "PATH": os.pathsep.join([str(HOST_TOOLS), str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
            "HOME": str(self.root),
            "NEURONX_LOG": str(self.root / "neuronx-compile.log"),
            "NEURONX_ROOT": str(self.root / "opt"),
            "NEURONX_CONSOLE": str(self.console),
            "NEURONX_DEVICES_DIR": str(self.devices),
            "NEURONX_HOST_RECORD": str(self.record),
            "NEURONX_HOST_SITE_PACKAGES": str(STAND_IN),
            "NEURONX_HOST_PASSTHROUGH": " ".join(sorted(emulator)),
            **(extra_env or {}),
        }
        # A process group of its own, as the instance's processes are all it has: the shutdown
        # stand-in kills that group when the user data halts the instance, and kill() does what
        # EC2's termination does.
        self.process = subprocess.Popen(["/bin/bash", str(user_data)], env=env, start_new_session=True)
        return self.process

    def kill(self) -> None:
        """Ends every process of the instance at once, as EC2 does to a terminated instance."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.returncode = self.process.wait()
