"""Runs scripts/wait-for-compile.sh as the null_resource does, and plays the compile instance."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from neuronx_compile.progress import Progress
from neuronx_compile.settings import Settings
from neuronx_compile.store import ArtifactStore, build_manifest
from tests.support.compile_env import compile_env

REPO_ROOT = Path(__file__).resolve().parents[3]
WAITER = REPO_ROOT / "scripts" / "wait-for-compile.sh"
PROGRESS_LINE = " elapsed, "


@dataclass
class WaiterRun:
    """A running waiter whose output lines are collected as they come."""

    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait(self, timeout: float = 120) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def progress_lines(self) -> int:
        return sum(PROGRESS_LINE in line for line in self.lines)

    def wait_for(self, predicate, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.process.poll() is not None and not predicate():
                raise AssertionError(f"the waiter exited ({self.process.returncode}) first:\n{self.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting; output so far:\n{self.output}")
            time.sleep(0.1)


def waiter_process(env: dict[str, str | None], path_dirs: list[str] | None = None) -> subprocess.Popen:
    """Starts the waiter with its output on a pipe the caller reads; a None value removes that variable
    from the environment."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("NEURONX_")}
    full.update(env)
    full = {k: v for k, v in full.items() if v is not None}
    if path_dirs is not None:
        full["PATH"] = os.pathsep.join(path_dirs)
    return subprocess.Popen(
        ["/bin/sh", str(WAITER)], env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def start_waiter(env: dict[str, str | None], path_dirs: list[str] | None = None) -> WaiterRun:
    """Starts the waiter, its output lines collected by a thread."""
    return WaiterRun(waiter_process(env, path_dirs))


def path_without_aws() -> list[str]:
    """A PATH with the shell tools the waiter needs but no `aws`."""
    tools = Path(tempfile.mkdtemp(prefix="no-aws-"))
    for tool in (
        "sh",
        "sed",
        "awk",
        "head",
        "tr",
        "cut",
        "date",
        "mktemp",
        "rm",
        "cat",
        "sleep",
        "grep",
        "tail",
        "kill",
    ):
        found = shutil.which(tool)
        if found:
            (tools / tool).symlink_to(found)
    return [str(tools)]


class Fleet:
    """What the waiter launched in the emulator."""

    def __init__(self) -> None:
        self.ec2 = boto3.client("ec2")

    def instances(self) -> list[dict]:
        found = []
        for reservation in self.ec2.describe_instances()["Reservations"]:
            found.extend(reservation["Instances"])
        return found

    def live(self) -> list[dict]:
        return [i for i in self.instances() if i["State"]["Name"] in ("pending", "running", "stopping", "stopped")]

    def launched(self) -> dict:
        running = [i for i in self.instances() if i["State"]["Name"] in ("pending", "running")]
        return running[0] if running else {}

    def terminate(self, instance_id: str) -> None:
        self.ec2.terminate_instances(InstanceIds=[instance_id])


def publish_artifacts(bucket: str, prefix: str, tmp: Path) -> None:
    """Writes complete artifacts the way the compile script does (its own code)."""
    settings = Settings.from_env(compile_env("test-org/tiny-llama", prefix, NEURONX_BUCKET=bucket))
    model, compiled = tmp / "model", tmp / "compiled"
    model.mkdir(parents=True, exist_ok=True)
    compiled.mkdir(parents=True, exist_ok=True)
    (model / "config.json").write_text('{"model_type": "llama"}')
    (model / "model.safetensors").write_bytes(os.urandom(100_000))
    (compiled / "graph.neff").write_bytes(b"NEFF" + os.urandom(50_000))
    store = ArtifactStore(boto3.client("s3"), bucket, prefix)
    progress = Progress(lambda body: store.put_text("_PROGRESS", body), "i-sim")
    files = store.upload_tree(model, "model/", progress) + store.upload_tree(compiled, "compiled/", progress)
    store.publish(build_manifest(settings, "0" * 40, files, {"transformers_neuronx": "stand-in"}), files)


def read_lock(bucket: str, prefix: str) -> dict[str, str]:
    """The lock (and lease) of a prefix as key -> value, or {} when there is none."""
    try:
        body = boto3.client("s3").get_object(Bucket=bucket, Key=prefix + "_LOCK")["Body"].read().decode()
    except boto3.client("s3").exceptions.NoSuchKey:
        return {}
    return dict(line.split("=", 1) for line in body.splitlines() if "=" in line)


def write_lock(bucket: str, prefix: str, state: str, instance_id: str = "", owner: str = "other-apply:1:0") -> None:
    """A lock as another apply's waiter would have left it."""
    body = (
        f"state={state}\ninstance_id={instance_id}\nowner={owner}\nrenewed_by={owner}\nserial=1\ncache_key={prefix}\n"
    )
    boto3.client("s3").put_object(Bucket=bucket, Key=prefix + "_LOCK", Body=body.encode())


def run_from_template(template_id: str) -> str:
    """An instance run from the launch template, as another apply's waiter would have run it."""
    ec2 = boto3.client("ec2")
    subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]["SubnetId"]
    reservation = ec2.run_instances(
        LaunchTemplate={"LaunchTemplateId": template_id}, SubnetId=subnet, MinCount=1, MaxCount=1
    )
    return reservation["Instances"][0]["InstanceId"]
