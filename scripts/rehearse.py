"""`npm run rehearse`: the whole flow, rehearsed against an AWS emulator on 127.0.0.1.

Nothing but loopback is contacted. The example stacks are synthesized with every AWS call
pointed at the emulator (moto server, tests/support/emulator.py), and the real terraform CLI
applies them. A simulated compile worker plays EC2: when the waiter launches an instance, it
boots it with the launch template's real user data (the compile script inside, the Neuron
compile replaced by a stand-in, the model from a Hub emulator) and terminates it when the
user data shuts down. Then:

  the cdktf CLI, with local state: npx cdktf deploy --auto-approve compile endpoint -> the waiter
  sees _SUCCESS, the endpoint serves the prefix -> plan shows no changes -> two endpoints on the
  same compile (below) -> npx cdktf destroy -> nothing left behind
  happy path (two stacks) with plain terraform and S3 state (and its lock file): apply
  compile -> the waiter sees _SUCCESS -> apply endpoint (model, endpoint configuration, endpoint;
  the compile's outputs read from its state) -> plan shows no changes -> the waiter again: a
  cache hit, no instance -> destroy -> nothing left behind
  two endpoints on one compile (local state): two more endpoint stacks with different custom code
  on the compile the cdktf CLI deployed; after both applies, each model's instances, started from the
  model data as SageMaker copies it and its environment, answer from their own code
  failure paths (one stack): a compile error, and an instance that dies, each fail the apply
  with the reason within two poll intervals (timed from the failure to the waiter's report), and
  no SageMaker model is created
  the HCL modules (modules/examples/compile-and-serve, no CDKTF): apply compiles and serves,
  plan shows no changes, destroy leaves nothing behind
  the lifecycle faults, on one small stack (the compile stack, its lease window shortened to a
  minute): apply killed (SIGINT to the terraform apply process group, as a terminal sends it;
  SIGKILL to the waiter's shell; SIGKILL to every process of the apply, as a CI runner's
  timeout does, then a re-apply that adopts the running compile), expired credentials mid-wait,
  concurrent applies of two stacks on one prefix, destroy with the default props
  the CloudFormation waiter (a group of its own): the compile stack with
  NEURONX_WAITER=cloudformation, terraform run with no `aws` on PATH and credentials only from the
  environment: two states (two stacks) on one prefix applied at once (each stack runs an instance,
  one compiles, the other waits on the prefix lock; both applies succeed) -> plan shows no changes
  -> the stack replaced: a cache hit, no instance -> apply cancelled mid-compile (SIGINT to
  terraform), then the next apply (the cancelled stack's instance ends at once, a new one takes the
  prefix over) -> a compile error fails the apply with the wait condition's reason -> destroy
  leaves nothing of it.
  the optimum-neuron backend (a group of its own): an OptimumNeuronCompile and its endpoint in one stack, the
  instance's job running the optimum-neuron recipe with the real optimum-neuron (.venv-optimum) and the
  test:optimum tier's Neuron SDK stand-ins -> the endpoint InService with the export's settings -> npm run
  invoke -- --api openai -> plan shows no changes -> destroy leaves nothing behind.

The scenarios run in groups (GROUPS, near the end), side by side, each in a process of its own
with its own emulators; NEURONX_REHEARSAL_ONLY=<group>[,<group>] runs only those. It prints a summary table of the checks, their timings and, for every fault, the instance-seconds
left running after it, with what ended the instance; it exits non-zero if any check fails.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

import boto3
import requests

from tests.support.chat_model import build_tokenizer
from tests.support.emulator import Emulator, Faults
from tests.support.hub import Hub, Repo
from tests.support.instance import InstanceRun
from tests.support.sagemaker_host import materialise, start_instance

MODEL_ID = "rehearsal/tiny-chat-1m"
# The CloudFormation waiter's revisions (their prefixes tell its instances apart, see Worker._cfn).
CFN_REVISION = "rehearsal-cfn"
CFN_FAILING_REVISION = "rehearsal-cfn-failing"
CFN_CANCEL_REVISION = "rehearsal-cfn-cancel"
POLL_SECONDS = 5
# An Ubuntu image that moto serves; the real stacks resolve the Neuron DLAMI from SSM.
AMI_ID = "ami-785db401"


@dataclass
class Phase:
    name: str
    seconds: float
    ok: bool
    detail: str = ""
    # For a fault: the seconds an instance ran after it, and what ended the instance.
    instance_seconds: float | None = None
    ended_by: str = ""


@dataclass
class Rehearsal:
    root: Path
    emulator: Emulator
    hub: Hub
    phases: list[Phase] = field(default_factory=list)

    def check(
        self,
        name: str,
        started: float,
        ok: bool,
        detail: str = "",
        instance_seconds: float | None = None,
        ended_by: str = "",
    ) -> bool:
        phase = Phase(name, time.monotonic() - started, ok, detail, instance_seconds, ended_by)
        self.phases.append(phase)
        mark = "ok  " if ok else "FAIL"
        print(
            f"[{mark}] {name} ({phase.seconds:.1f} s){': ' + detail if detail else ''}",
            flush=True,
        )
        return ok


class Worker(threading.Thread):
    """Plays EC2 for the compile instances the waiter launches.

    mode "boot": run the instance's user data (from its launch template) as cloud-init would, each
    instance in a thread of its own; mode "fail": the same, with the Neuron compile failing; mode
    "die": terminate the instance without running anything, as a spot interruption or a crash would.
    It also plays termination: an instance that the emulator reports shutting down or terminated
    (by the waiter, its guardian, its own shutdown, or destroy) has its processes killed at once,
    and the moment is recorded in `ended_at` (time.monotonic()).
    """

    def __init__(
        self,
        root: Path,
        mode: str,
        compile_seconds: float = 0,
        cloudformation: bool = False,
        host_env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.root, self.mode, self.compile_seconds = root, mode, compile_seconds
        # The instance's tools' settings, e.g. the image's Python for the docker stand-in (the optimum-neuron group).
        self.host_env = host_env or {}
        # The CloudFormation waiter's scenario runs beside other phases: each worker plays only its instances.
        self.cloudformation = cloudformation
        self.ec2 = boto3.client("ec2")
        self.seen: set[str] = {i["InstanceId"] for i in self._instances()}
        self.stopping = threading.Event()
        self.booted: list[str] = []
        self.runs: dict[str, InstanceRun] = {}
        self.running_at: dict[str, float] = {}
        self.ended_at: dict[str, float] = {}
        self.event_at: datetime | None = None  # when the failure became visible
        self.event_mono: float | None = None  # the same, on time.monotonic()
        self.errors: list[str] = []

    def _instances(self):
        return [i for r in self.ec2.describe_instances()["Reservations"] for i in r["Instances"]]

    def run(self) -> None:
        while not self.stopping.is_set():
            for instance in self._instances():
                instance_id, state = instance["InstanceId"], instance["State"]["Name"]
                if instance_id in self.booted and state != "running" and instance_id not in self.ended_at:
                    self.ended_at[instance_id] = time.monotonic()
                    run = self.runs.get(instance_id)
                    if run is not None:
                        run.kill()
                if instance_id in self.seen or state != "running" or self._cfn(instance) != self.cloudformation:
                    continue
                self.seen.add(instance_id)
                self.booted.append(instance_id)
                self.running_at[instance_id] = time.monotonic()
                threading.Thread(target=self._guarded, args=(instance,), daemon=True).start()
            self.stopping.wait(0.5)
        for run in self.runs.values():
            if run.returncode is None:
                run.kill()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)

    @staticmethod
    def _cfn(instance: dict) -> bool:
        """An instance of the CloudFormation waiter's scenario: its prefix holds that scenario's revision
        (the launch template's tags, set as EC2 creates the instance, unlike CloudFormation's own tags)."""
        tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
        return f"/{CFN_REVISION}" in tags.get("neuronx:prefix", "")

    def _guarded(self, instance: dict) -> None:
        try:
            self._handle(instance)
        except Exception as error:  # noqa: BLE001 - reported in the summary
            self.errors.append(f"{instance['InstanceId']}: {error}")

    def _handle(self, instance: dict) -> None:
        instance_id = instance["InstanceId"]
        if self.mode == "die":
            time.sleep(POLL_SECONDS * 1.5)
            self.event_at, self.event_mono = datetime.now(UTC), time.monotonic()
            self.ec2.terminate_instances(InstanceIds=[instance_id])
            return
        tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
        version = self.ec2.describe_launch_template_versions(
            LaunchTemplateId=tags["aws:ec2launchtemplate:id"],
            Versions=[tags["aws:ec2launchtemplate:version"]],
        )["LaunchTemplateVersions"][0]
        user_data = base64.b64decode(version["LaunchTemplateData"]["UserData"]).decode()
        env = {
            "NEURONX_HOST_INSTANCE_ID": instance_id,
            # shutdown -h now terminates the instance (instance-initiated shutdown behaviour: terminate).
            "NEURONX_HOST_ON_SHUTDOWN": f"aws ec2 terminate-instances --instance-ids {instance_id} >/dev/null",
            # The instance role's credentials: not the apply's (which a fault may expire).
            "AWS_ACCESS_KEY_ID": "ASIAINSTANCEROLE0000",
            **self.host_env,
        }
        if self.mode == "fail":
            env["NEURONX_STAND_IN_FAIL"] = "[XCG815] Estimated peak HBM usage (18.2 GB) exceeds 16GB"
        if self.compile_seconds:
            env["NEURONX_STAND_IN_COMPILE_SECONDS"] = str(self.compile_seconds)
        run = InstanceRun(self.root / instance_id)
        self.runs[instance_id] = run
        run.start(user_data, env)
        run.returncode = run.process.wait()
        if self.mode == "fail":
            self.event_at, self.event_mono = datetime.now(UTC), time.monotonic()
        (self.root / f"{instance_id}.console.log").write_text(run.console_text())

    def wait_running(self, count: int = 1, timeout: float = 120) -> list[str]:
        """The ids of the first `count` instances booted, once they are."""
        deadline = time.monotonic() + timeout
        while len(self.booted) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.booted[:count]

    def wait_ended(self, instance_id: str, timeout: float) -> float | None:
        """When the instance ended (time.monotonic()), or None if it still runs after `timeout`."""
        deadline = time.monotonic() + timeout
        while instance_id not in self.ended_at and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.ended_at.get(instance_id)


def hub_with_tiny_chat_model() -> Hub:
    files = {}
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = build_tokenizer(Path(tmp))
        for path in Path(tmp).iterdir():
            files[path.name] = path.read_bytes()
        config = {
            "model_type": "llama",
            "eos_token_id": tokenizer.eos_token_id,
            "max_position_embeddings": 2048,
        }
        files["config.json"] = json.dumps(config).encode()
    files["model.safetensors"] = os.urandom(2 * 2**20)
    files["README.md"] = b"# A tiny chat model for the rehearsal"
    hub = Hub()
    # The failure paths and the lifecycle faults compile other revisions, so that their cache keys are new.
    hub.repos[MODEL_ID] = Repo(
        files=files,
        branches=(
            "main",
            "rehearsal-failures",
            "rehearsal-hcl",
            "rehearsal-faults",
            "rehearsal-credentials",
            "rehearsal-concurrent",
            CFN_REVISION,
            CFN_FAILING_REVISION,
            CFN_CANCEL_REVISION,
        ),
    )
    return hub


class Terraform:
    """terraform in one of the root modules under a directory (cdktf.out/stacks, or modules/examples)."""

    def __init__(self, rehearsal: Rehearsal, roots: Path, env: dict[str, str]) -> None:
        self.rehearsal, self.roots, self.env = rehearsal, roots, env

    def __call__(self, stack: str, *args: str) -> subprocess.CompletedProcess:
        cwd = self.roots / stack
        env = dict(self.env)
        if os.environ.get("NEURONX_REHEARSAL_TF_LOG"):  # e.g. DEBUG: the provider's calls, for debugging
            env.update(
                TF_LOG=os.environ["NEURONX_REHEARSAL_TF_LOG"],
                TF_LOG_PATH=str(self.rehearsal.root / "tf-debug.log"),
            )
        proc = subprocess.run(["terraform", *args], cwd=cwd, env=env, capture_output=True, text=True)
        log = self.rehearsal.root / "terraform.log"
        with log.open("a") as f:
            f.write(f"\n$ (cd {cwd} && terraform {' '.join(args)})  -> {proc.returncode}\n{proc.stdout}{proc.stderr}")
        return proc

    def start(self, stack: str, *args: str, env: dict[str, str] | None = None) -> Apply:
        """terraform in the background, in a process group of its own (as a terminal's job is)."""
        cwd = self.roots / stack
        output = self.rehearsal.root / f"apply-{next(_APPLIES)}.log"
        handle = output.open("w")
        process = subprocess.Popen(
            ["terraform", *args],
            cwd=cwd,
            env={**self.env, **(env or {})},
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return Apply(
            process, output, handle, f"(cd {cwd} && terraform {' '.join(args)})", self.rehearsal.root / "terraform.log"
        )


_APPLIES = itertools.count(1)


@dataclass
class Apply:
    """A terraform process started in the background; its output goes to a file."""

    process: subprocess.Popen
    output_path: Path
    handle: object
    command: str
    log: Path

    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def wait(self, timeout: float = 600) -> int:
        code = self.process.wait(timeout=timeout)
        self.handle.close()
        with self.log.open("a") as f:
            f.write(f"\n$ {self.command}  -> {code}\n{self.output()}")
        return code

    def waiter_shell(self) -> int | None:
        """The pid of the local-exec provisioner's /bin/sh (a child of terraform running the waiter)."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmdline = (stat.parent / "cmdline").read_bytes()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid and b"wait-for-compile.sh" in cmdline:
                return int(stat.parent.name)
        return None


def example_env(outdir: Path, env: dict[str, str], **config: str) -> dict[str, str]:
    """The environment that configures the example app for the rehearsal, writing to outdir."""
    outdir.parent.mkdir(parents=True, exist_ok=True)
    full = {
        **env,
        "CDKTF_OUTDIR": str(outdir),
        "NEURONX_MODEL_ID": MODEL_ID,
        "NEURONX_AMI_ID": AMI_ID,
        "NEURONX_POLL_SECONDS": str(POLL_SECONDS),
        "NEURONX_DEADLINE_MINUTES": "15",
        "NEURONX_BUCKET_FORCE_DESTROY": "true",
        **config,
    }
    if "NEURONX_BUCKET" in config:  # force_destroy applies only to a bucket the construct creates
        del full["NEURONX_BUCKET_FORCE_DESTROY"]
    return full


def synthesize(outdir: Path, env: dict[str, str], **config: str) -> subprocess.CompletedProcess:
    # The app command of cdktf.json, as cdktf synth runs it.
    return subprocess.run(
        ["node", "scripts/run-app.js", "main.ts"],
        cwd=REPO,
        env=example_env(outdir, env, **config),
        capture_output=True,
        text=True,
    )


def seconds_to_report(output: str, moment: datetime) -> float | None:
    """Seconds from a moment to the waiter's first line that reports a failure (its lines carry
    the UTC time, to the second), or None when it reports none."""
    found = re.search(r"(\d\d:\d\d:\d\d) neuronx-compile: (?:ERROR|the compile failed)", output)
    if not found:
        return None
    at = datetime.combine(moment.date(), datetime.strptime(found.group(1), "%H:%M:%S").time(), tzinfo=UTC)
    seconds = (at - moment.replace(microsecond=0)).total_seconds()
    return seconds + 86400 if seconds < -43200 else seconds  # across midnight


def leftovers(keep: set[str] = frozenset()) -> list[str]:
    """What an apply left in the emulator: anything but AWS's own defaults and the buckets in keep."""
    ec2, s3, iam, sm = (
        boto3.client("ec2"),
        boto3.client("s3"),
        boto3.client("iam"),
        boto3.client("sagemaker"),
    )
    left = [
        f"instance {i['InstanceId']} {i['State']['Name']}"
        for r in ec2.describe_instances()["Reservations"]
        for i in r["Instances"]
        if i["State"]["Name"] not in ("terminated", "shutting-down")
    ]
    left += [f"bucket {b['Name']}" for b in s3.list_buckets().get("Buckets", []) if b["Name"] not in keep]
    left += [f"launch template {t['LaunchTemplateName']}" for t in ec2.describe_launch_templates()["LaunchTemplates"]]
    left += [
        f"security group {g['GroupName']}"
        for g in ec2.describe_security_groups()["SecurityGroups"]
        if g["GroupName"] != "default"
    ]
    left += [f"role {r['RoleName']}" for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("neuronx-")]
    left += [f"instance profile {p['InstanceProfileName']}" for p in iam.list_instance_profiles()["InstanceProfiles"]]
    left += [f"model {m['ModelName']}" for m in sm.list_models()["Models"]]
    left += [f"endpoint config {c['EndpointConfigName']}" for c in sm.list_endpoint_configs()["EndpointConfigs"]]
    left += [f"endpoint {e['EndpointName']}" for e in sm.list_endpoints()["Endpoints"]]
    return left


def owned_by(tf: Terraform, stack: str) -> set[str]:
    """What a stack's state holds, named as leftovers() names it (for a check of another stack)."""
    shown = json.loads(tf(stack, "show", "-json").stdout or "{}")
    names = set()
    for resource in shown.get("values", {}).get("root_module", {}).get("resources", []):
        values = resource.get("values") or {}
        kind = {
            "aws_launch_template": "launch template",
            "aws_security_group": "security group",
            "aws_iam_role": "role",
            "aws_iam_instance_profile": "instance profile",
        }.get(resource["type"])
        if kind:
            names.add(f"{kind} {values.get('name')}")
    return names


def sagemaker_models() -> list[str]:
    return [m["ModelName"] for m in boto3.client("sagemaker").list_models()["Models"]]


STATE_BUCKET = "neuronx-rehearsal-state"
# The artifact bucket of the scenarios that are not about creating one (S3 state, the failure paths):
# an existing bucket (NEURONX_BUCKET), so the construct creates none. Every apply that creates the
# bucket spends 55 s in the AWS provider after the bucket's lifecycle configuration is put, however
# fast the API answers: it waits 10 s, then needs 10 equal reads 5 s apart
# (terraform-provider-aws internal/service/s3/bucket_lifecycle_configuration.go,
# waitLifecycleConfigEquals: Delay 10 s, ContinuousTargetOccurence 10, PollInterval 5 s); moto's
# first read already equals what was put, so no emulator answer shortens it. A created bucket is
# still applied, emptied and destroyed twice: by the cdktf CLI phase (local state) and by the modules.
EXISTING_BUCKET = "neuronx-rehearsal-artifacts"


def existing_bucket() -> str:
    s3 = boto3.client("s3")
    if EXISTING_BUCKET not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=EXISTING_BUCKET)
    return EXISTING_BUCKET


def remove_bucket(name: str) -> None:
    bucket = boto3.resource("s3").Bucket(name)
    bucket.object_versions.delete()
    bucket.delete()


def plan_is_empty(r: Rehearsal, tf: Terraform, title: str) -> None:
    """A second plan of both stacks shows no changes."""
    t = time.monotonic()
    plans = [tf(stack, "plan", "-detailed-exitcode", "-input=false", "-no-color") for stack in ("compile", "endpoint")]
    r.check(
        title,
        t,
        [p.returncode for p in plans] == [0, 0],
        "; ".join(p.stdout[-300:] for p in plans if p.returncode != 0),
    )


def happy_path(r: Rehearsal, tf_env: dict[str, str], companion: Terraform | None = None) -> None:
    """The two stacks, their state in S3 (with its lock file), the endpoint stack
    reading the compile stack's outputs from that state. A companion compile stack on the same prefix
    (another state, the same bucket, model and options), if given, is applied at the same moment as
    the compile stack: the concurrent applies."""
    label = "S3 state"
    outdir = r.root / "two-stacks-s3" / "cdktf.out"
    boto3.client("s3").create_bucket(Bucket=STATE_BUCKET)
    # The artifacts in an existing bucket: the cdktf CLI phase has applied the created one.
    keep = {STATE_BUCKET, existing_bucket()}
    config = {
        "NEURONX_BACKEND": "s3",
        "NEURONX_STATE_BUCKET": STATE_BUCKET,
        "NEURONX_STATE_KEY_PREFIX": "rehearsal/",
        "NEURONX_BUCKET": EXISTING_BUCKET,
    }
    t = time.monotonic()
    proc = synthesize(outdir, tf_env, **config)
    if not r.check(
        f"{label}: synthesize the example stacks (compile, endpoint) for the emulator",
        t,
        proc.returncode == 0,
        proc.stderr[-500:],
    ):
        return
    tf = Terraform(r, outdir / "stacks", tf_env)

    worker = Worker(r.root / "instances", "boot")
    worker.start()
    t = time.monotonic()
    init = tf("compile", "init", "-input=false", "-no-color")
    other = companion.start("compile", *APPLY) if companion else None
    apply = tf("compile", "apply", "-auto-approve", "-input=false", "-no-color")
    if other is not None:
        concurrent_applies(r, t, tf, apply, other, worker)
    worker.stopping.set()
    ok = init.returncode == 0 and apply.returncode == 0 and len(worker.booted) == 1 and not worker.errors
    r.check(
        f"{label}: apply compile: waiter launches an instance, the worker runs its user data, _SUCCESS",
        t,
        ok,
        f"{len(worker.booted)} instance(s) booted; {(apply.stdout + apply.stderr)[-800:] if not ok else ''}{worker.errors}",
    )
    prefix = json.loads(tf("compile", "output", "-json").stdout or "{}")
    bucket = prefix.get("artifact_bucket", {}).get("value")
    key = prefix.get("artifact_prefix", {}).get("value", "")
    t = time.monotonic()
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", []) if bucket else []
    names = {o["Key"][len(key) :] for o in listing}
    r.check(
        f"{label}: the artifacts are complete: model/, compiled/, manifest.json, _SUCCESS",
        t,
        {"_SUCCESS", "manifest.json"} <= names
        and any(n.startswith("compiled/") for n in names)
        and any(n.startswith("model/") for n in names),
        f"{len(names)} objects under s3://{bucket}/{key}",
    )

    t = time.monotonic()
    init = tf("endpoint", "init", "-input=false", "-no-color")
    apply = tf("endpoint", "apply", "-auto-approve", "-input=false", "-no-color")
    sm = boto3.client("sagemaker")
    endpoints = sm.list_endpoints()["Endpoints"]
    ok = apply.returncode == 0 and len(sagemaker_models()) == 1 and len(endpoints) == 1
    model = sm.describe_model(ModelName=sagemaker_models()[0]) if sagemaker_models() else {}
    source = model.get("PrimaryContainer", {}).get("ModelDataSource", {}).get("S3DataSource", {})
    ok = ok and source.get("S3Uri") == f"s3://{bucket}/{key}" and source.get("S3DataType") == "S3Prefix"
    r.check(
        f"{label}: apply endpoint: SageMaker model (the prefix, uncompressed), endpoint configuration, endpoint",
        t,
        ok,
        (apply.stdout + apply.stderr)[-800:] if not ok else f"endpoint {endpoints[0]['EndpointName']}",
    )

    plan_is_empty(r, tf, f"{label}: plan again: no changes in either stack")

    # A lock file held by someone else (another apply) stops this one.
    t = time.monotonic()
    s3 = boto3.client("s3")
    lock_key = "rehearsal/compile.tfstate.tflock"
    s3.put_object(Bucket=STATE_BUCKET, Key=lock_key, Body=json.dumps({"ID": "rehearsal", "Who": "someone@else"}))
    locked = tf("compile", "plan", "-lock-timeout=0s", "-input=false", "-no-color")
    s3.delete_object(Bucket=STATE_BUCKET, Key=lock_key)
    r.check(
        f"{label}: a lock file held by another run stops a plan",
        t,
        locked.returncode != 0 and "Error acquiring the state lock" in locked.stderr,
        "" if locked.returncode else f"the plan ran: {locked.stdout[-300:]}",
    )

    t = time.monotonic()
    before = len(worker.booted)
    worker = Worker(r.root / "instances-again", "boot")
    worker.start()
    again = tf(
        "compile",
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-replace=null_resource.compile_waiter",
    )
    worker.stopping.set()
    r.check(
        f"{label}: apply again with the same model (waiter replaced): a cache hit, no instance",
        t,
        again.returncode == 0 and "cache hit" in again.stdout and not worker.booted and before == 1,
        again.stdout[-400:] if again.returncode else "",
    )

    t = time.monotonic()
    # The companion stack lives on, for the lifecycle faults.
    theirs = owned_by(companion, "compile") if companion else set()
    destroyed = [
        tf(stack, "destroy", "-auto-approve", "-input=false", "-no-color") for stack in ("endpoint", "compile")
    ]
    left = [x for x in leftovers(keep=keep) if x not in theirs]
    states = [o["Key"] for o in s3.list_objects_v2(Bucket=STATE_BUCKET).get("Contents", [])]
    for key in states:
        s3.delete_object(Bucket=STATE_BUCKET, Key=key)
    s3.delete_bucket(Bucket=STATE_BUCKET)
    expected_states = ["rehearsal/compile.tfstate", "rehearsal/endpoint.tfstate"]
    r.check(
        f"{label}: destroy both stacks: nothing left behind",
        t,
        [d.returncode for d in destroyed] == [0, 0] and not left and sorted(states) == expected_states,
        f"left: {left}; state objects: {states}" if left or sorted(states) != expected_states else "",
    )


def destroy_with_defaults(
    r: Rehearsal, tf: Terraform, label: str, destroy_both: Callable[[], subprocess.CompletedProcess]
) -> None:
    """destroy with the default props (`destroy_both` destroys the endpoint stack, then the compile
    stack): the endpoint goes; the compile's destroy is refused while the bucket it created holds the
    artifacts, before anything of it is destroyed, with what to do; then one of the ways the message
    gives (keep the artifacts: state rm, destroy) destroys the rest. The other (force destroy) is
    what every other stack of the rehearsal is destroyed with."""
    t = time.monotonic()
    destroy = destroy_both()
    output = destroy.stdout + destroy.stderr
    state = set(tf("compile", "state", "list").stdout.split())
    kept = {"aws_s3_bucket.compile_artifacts", "aws_launch_template.compile", "aws_security_group.compile"}
    billable = [i for i in leftovers() if i.startswith(("instance i-", "endpoint ", "model "))]
    refused = "destroy refused: the bucket" in output and "set bucketForceDestroy: true, apply, then destroy" in output
    r.check(
        f"{label}: destroy with defaults: the endpoint goes; the compile's destroy is refused with what to do "
        "(exit 1), nothing of it destroyed, nothing billable left",
        t,
        destroy.returncode == 1 and refused and kept <= state and not billable,
        f"exit {destroy.returncode}; kept {sorted(kept & state)}; billable {billable}"
        + ("" if refused else f"; {output[-600:]}"),
    )
    # The message's second way on: keep the artifacts (the bucket leaves the state with the check), destroy the rest.
    t = time.monotonic()
    removed = tf("compile", "state", "rm", "aws_s3_bucket.compile_artifacts", "terraform_data.compile_on_destroy")
    destroy = tf("compile", "destroy", "-auto-approve", "-input=false", "-no-color")
    bucket = [b for b in leftovers() if b.startswith("bucket ")]
    left = [x for x in leftovers() if not x.startswith("bucket ")]
    kept = bool(bucket) and bool(boto3.client("s3").list_objects_v2(Bucket=bucket[0][len("bucket ") :]).get("KeyCount"))
    r.check(
        f"{label}: then as the message says: state rm the bucket and the check, destroy: "
        "the rest goes, the artifacts stay",
        t,
        removed.returncode == 0 and destroy.returncode == 0 and not left and len(bucket) == 1 and kept,
        f"left: {left}; buckets: {bucket}" if left or len(bucket) != 1 else (removed.stderr + destroy.stderr)[-600:],
    )
    for name in bucket:
        remove_bucket(name[len("bucket ") :])


def cdktf_cli(r: Rehearsal, tf_env: dict[str, str]) -> None:
    """The README's first way to deploy: `npx cdktf deploy --auto-approve compile endpoint` and
    `npx cdktf destroy`, with local state. cdktf runs the app command of cdktf.json and the
    toolchain's terraform; `--output` keeps its files (and the state beside them) in the rehearsal's
    directory instead of the repository's."""
    label = "cdktf CLI"
    outdir = r.root / "cdktf-cli" / "cdktf.out"
    # The default props: the construct creates the bucket, without force destroy.
    env = example_env(outdir, tf_env, NEURONX_BUCKET_FORCE_DESTROY="false")

    def cdktf(*args: str) -> subprocess.CompletedProcess:
        # --skip-provider-lock: after init, cdktf runs `terraform providers lock -platform=linux_amd64`,
        # which asks registry.terraform.io for checksums; here the providers come from a mirror only.
        proc = subprocess.run(
            ["npx", "cdktf", *args, "--output", str(outdir), "--skip-provider-lock", "--no-color"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        with (r.root / "terraform.log").open("a") as f:
            f.write(f"\n$ npx cdktf {' '.join(args)}  -> {proc.returncode}\n{proc.stdout}{proc.stderr}")
        return proc

    worker = Worker(r.root / "instances-cdktf", "boot")
    worker.start()
    t = time.monotonic()
    deploy = cdktf("deploy", "--auto-approve", "compile", "endpoint")
    worker.stopping.set()
    tf = Terraform(r, outdir / "stacks", tf_env)
    outputs = json.loads(tf("compile", "output", "-json").stdout or "{}")
    bucket = outputs.get("artifact_bucket", {}).get("value")
    key = outputs.get("artifact_prefix", {}).get("value", "")
    names = (
        {
            o["Key"][len(key) :]
            for o in boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
        }
        if bucket
        else set()
    )
    models = sagemaker_models()
    model = boto3.client("sagemaker").describe_model(ModelName=models[0]) if len(models) == 1 else {}
    source = model.get("PrimaryContainer", {}).get("ModelDataSource", {}).get("S3DataSource", {})
    ok = (
        deploy.returncode == 0
        and len(worker.booted) == 1
        and not worker.errors
        and {"_SUCCESS", "manifest.json"} <= names
        and source.get("S3Uri") == f"s3://{bucket}/{key}"
        and len(boto3.client("sagemaker").list_endpoints()["Endpoints"]) == 1
    )
    r.check(
        f"{label}: npx cdktf deploy --auto-approve compile endpoint: compile (the waiter sees _SUCCESS), then the endpoint",
        t,
        ok,
        f"{len(worker.booted)} instance(s) booted, {len(names)} objects under the prefix, model data {source.get('S3Uri')}"
        + ("" if ok else f"; {(deploy.stdout + deploy.stderr)[-800:]}{worker.errors}"),
    )

    plan_is_empty(r, tf, f"{label}: terraform plan in the stacks cdktf deployed: no changes")

    # The compile's state is beside the directory cdktf wrote (PortableLocalBackend).
    two_endpoints_one_compile(r, tf_env, outdir.parent)

    destroy_with_defaults(r, tf, label, lambda: cdktf("destroy", "--auto-approve", "endpoint", "compile"))


CUSTOM_CODE = """import json

NAME = {name!r}


def model_fn(model_dir):
    return NAME


def transform_fn(model, body, content_type, accept):
    return json.dumps({{"generated_text": "answered by " + model}}), "application/json"
"""


def two_endpoints_one_compile(r: Rehearsal, tf_env: dict[str, str], compile_root: Path) -> None:
    """Two endpoint stacks with different custom code on the cdktf CLI phase's compile (its state, copied
    beside each, is read by their terraform_remote_state). Both upload into the one prefix SageMaker
    copies at every instance start; then each model is started as an instance would be after a restart
    (tests/support/sagemaker_host: its model data from S3, its environment, the real toolkit). The first
    rolls configuration changes out with a deployment config (blue/green, all at once, a bake) and is
    updated; the second is asynchronous and is asked through npm run invoke --async, side by side."""
    names = ("rehearsal-code-a", "rehearsal-code-b")
    settings = {names[0]: {"NEURONX_DEPLOYMENT_WAIT_SECONDS": "0"}, names[1]: {"NEURONX_ASYNC_INFERENCE": "true"}}
    t = time.monotonic()

    synthesized = []
    for name in names:
        code = r.root / "custom-code" / name
        code.mkdir(parents=True)
        (code / "inference.py").write_text(CUSTOM_CODE.format(name=name))
        root = r.root / name
        proc = synthesize(
            root / "cdktf.out", tf_env, NEURONX_ENDPOINT_NAME=name, NEURONX_CUSTOM_CODE_DIR=str(code), **settings[name]
        )
        shutil.copy(compile_root / "terraform.compile.tfstate", root / "terraform.compile.tfstate")
        synthesized.append((name, Terraform(r, root / "cdktf.out" / "stacks", tf_env), proc.returncode == 0))

    def deploy(stack):
        name, tf, synthesized_ok = stack
        init = tf("endpoint", "init", "-input=false", "-no-color")
        apply = tf("endpoint", "apply", "-auto-approve", "-input=false", "-no-color")
        return (name, tf, synthesized_ok and init.returncode == 0 and apply.returncode == 0, apply)

    # The two stacks share nothing but the compile's state (copied) and the prefix: applied side by side.
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        applied = list(pool.map(deploy, synthesized))
    ok = all(a[2] for a in applied)
    r.check(
        "local state: two more endpoints with different custom code on the same compile: applied",
        t,
        ok,
        "" if ok else "; ".join((a[3].stdout + a[3].stderr)[-400:] for a in applied if not a[2]),
    )

    # The update with a deployment config (the longest check) runs beside the restart check and the
    # asynchronous request (which asks for the answer the restarted instance gives): they touch different stacks.
    pool = ThreadPoolExecutor(max_workers=1)
    updated = pool.submit(update_with_deployment, r, tf_env, applied[0][1], names[0], r.root / "custom-code" / names[0])

    t = time.monotonic()
    sm, s3 = boto3.client("sagemaker"), boto3.client("s3")
    answers, details = {}, []
    for name in names:
        config = sm.describe_endpoint_config(
            EndpointConfigName=sm.describe_endpoint(EndpointName=name)["EndpointConfigName"]
        )
        model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
        container = model["PrimaryContainer"]
        base = r.root / "restarted" / name
        materialise(s3, container["ModelDataSource"]["S3DataSource"]["S3Uri"], base)
        try:
            answer = start_instance(
                container.get("Environment", {}), base, {"messages": [{"role": "user", "content": "hi"}]}
            )
            answers[name] = json.loads(answer["answer"]).get("generated_text")
            details.append(f"{name}: {answers[name]!r} from {Path(answer['module']).relative_to(base)}")
        except (RuntimeError, ValueError, KeyError) as error:
            details.append(f"{name}: {error}")
    r.check(
        "local state: after a restart each endpoint's instances answer from their own code",
        t,
        answers == {name: f"answered by {name}" for name in names},
        "; ".join(details),
    )

    r.check(*ask_asynchronously(r, applied[1][1], names[1], answers.get(names[1])))
    r.check(*updated.result())
    pool.shutdown()

    t = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(applied)) as pool:
        destroyed = list(
            pool.map(lambda a: a[1]("endpoint", "destroy", "-auto-approve", "-input=false", "-no-color"), applied)
        )
    left = [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"] if e["EndpointName"] in names]
    r.check(
        "local state: destroy the two endpoint stacks",
        t,
        all(d.returncode == 0 for d in destroyed) and not left,
        f"left: {left}" if left else "",
    )


def update_with_deployment(r: Rehearsal, tf_env: dict[str, str], tf: Terraform, name: str, code: Path) -> tuple:
    """A change that needs a new endpoint configuration (a second instance), applied to an endpoint with a
    deployment config: the plan carries the deployment_config, and the provider's UpdateEndpoint moves the
    endpoint to the new configuration with it (the emulator's UpdateEndpoint, which moto lacks; SageMaker's
    traffic shifting itself is not emulated)."""
    t = time.monotonic()
    sm = boto3.client("sagemaker")
    before = sm.describe_endpoint(EndpointName=name)["EndpointConfigName"]
    proc = synthesize(
        r.root / name / "cdktf.out",
        tf_env,
        NEURONX_ENDPOINT_NAME=name,
        NEURONX_CUSTOM_CODE_DIR=str(code),
        NEURONX_DEPLOYMENT_WAIT_SECONDS="0",
        NEURONX_INSTANCE_COUNT="2",
    )
    plan = tf("endpoint", "plan", "-input=false", "-no-color", "-out=update.plan")
    shown = json.loads(tf("endpoint", "show", "-json", "update.plan").stdout or "{}")
    changes = {c["address"]: c["change"] for c in shown.get("resource_changes", [])}
    planned = (changes.get("aws_sagemaker_endpoint.realtime_inference") or {}).get("after") or {}
    routing = (
        (planned.get("deployment_config") or [{}])[0]
        .get("blue_green_update_policy", [{}])[0]
        .get("traffic_routing_configuration")
        or [{}]
    )[0]
    apply = tf("endpoint", "apply", "-input=false", "-no-color", "update.plan")
    endpoint = sm.describe_endpoint(EndpointName=name)
    last = (
        endpoint.get("LastDeploymentConfig", {}).get("BlueGreenUpdatePolicy", {}).get("TrafficRoutingConfiguration", {})
    )
    ok = (
        proc.returncode == 0
        and plan.returncode == 0
        and routing.get("type") == "ALL_AT_ONCE"
        and apply.returncode == 0
        and endpoint["EndpointConfigName"] != before
        and endpoint["ProductionVariants"][0].get("CurrentInstanceCount") == 2
        and last.get("Type") == "ALL_AT_ONCE"
        and last.get("WaitIntervalInSeconds") == 0
    )
    return (
        "local state: an update of an endpoint's configuration (a second instance) with its deployment config (blue/green, all at once)",
        t,
        ok,
        f"planned routing {routing}; configuration {before} -> {endpoint['EndpointConfigName']}; last deployment {last}"
        + ("" if ok else f"; {(proc.stderr + plan.stdout + plan.stderr + apply.stdout + apply.stderr)[-600:]}"),
    )


def ask_asynchronously(r: Rehearsal, tf: Terraform, name: str, answer: str | None) -> tuple:
    """npm run invoke --async against the asynchronous endpoint: the request goes below the stack's
    async_input_path, the emulator (as SageMaker) reads it and writes the answer its restarted instance gave
    below the configuration's output path, in the created bucket; the CLI prints it."""
    t = time.monotonic()
    outputs = json.loads(tf("endpoint", "output", "-json").stdout or "{}")
    input_path = outputs.get("async_input_path", {}).get("value", "")
    output_path = outputs.get("async_output_path", {}).get("value", "")
    config = boto3.client("sagemaker").describe_endpoint_config(
        EndpointConfigName=boto3.client("sagemaker").describe_endpoint(EndpointName=name)["EndpointConfigName"]
    )
    queued = requests_post(
        f"{r.emulator.url}/moto-api/static/sagemaker/async-endpoint-results",
        {"results": [{"data": json.dumps({"generated_text": answer})}]},
    )
    proc = subprocess.run(
        ["npx", "tsx", "scripts/invoke.ts", "--endpoint", name, "--async", "--input-location", input_path]
        + ["--poll", "1", "--timeout", "60", "hi"],
        cwd=REPO,
        env={**os.environ, "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED": "true"},
        capture_output=True,
        text=True,
    )
    written = re.search(r"waiting for (s3://\S+)", proc.stderr)
    ok = (
        queued
        and config.get("AsyncInferenceConfig", {}).get("OutputConfig", {}).get("S3OutputPath") == output_path
        and proc.returncode == 0
        and proc.stdout.strip() == answer
        and written is not None
        and written.group(1).startswith(output_path)
    )
    return (
        "local state: the asynchronous endpoint answers npm run invoke --async through its created, encrypted bucket",
        t,
        bool(ok),
        f"input {input_path}; {proc.stdout.strip()!r}; " + (proc.stderr.strip().splitlines() or [""])[0][:300],
    )


def requests_post(url: str, body: dict) -> bool:
    return requests.post(url, json=body, timeout=10).status_code == 201


FAILURES = (
    ("fail", "a compile error", "the Neuron compile failed: RuntimeError: [XCG815]"),
    ("die", "an instance that dies", "without a result"),
)


def failure_paths(r: Rehearsal, tf_env: dict[str, str]) -> None:
    """The one-stack layout on the existing bucket, applied once per failure: each apply fails with
    the reason within two polls and creates no SageMaker model. One stack for both (the failed
    waiter is tainted, so the next apply runs it again), one destroy."""
    outdir = r.root / "one-stack-failures" / "cdktf.out"
    t = time.monotonic()
    # Another revision, so the cache key is new: the compile must run.
    proc = synthesize(
        outdir,
        tf_env,
        NEURONX_STACK_LAYOUT="one-stack",
        NEURONX_REVISION="rehearsal-failures",
        NEURONX_BUCKET=existing_bucket(),
    )
    if not r.check("failure paths: synthesize the one-stack layout", t, proc.returncode == 0, proc.stderr[-500:]):
        return
    tf = Terraform(r, outdir / "stacks", tf_env)
    tf("serving", "init", "-input=false", "-no-color")
    for mode, title, reason in FAILURES:
        failure_path(r, tf, mode, title, reason)
    t = time.monotonic()
    destroy = tf("serving", "destroy", "-auto-approve", "-input=false", "-no-color")
    left = leftovers(keep={EXISTING_BUCKET})
    r.check(
        "failure paths: destroy leaves nothing behind",
        t,
        destroy.returncode == 0 and not left,
        f"left: {left}" if left else "",
    )


def failure_path(r: Rehearsal, tf: Terraform, mode: str, title: str, reason: str) -> None:
    t = time.monotonic()
    worker = Worker(r.root / f"instances-{mode}", mode)
    worker.start()
    apply = tf("serving", "apply", "-auto-approve", "-input=false", "-no-color")
    for instance_id in worker.booted:
        worker.wait_ended(instance_id, timeout=2 * POLL_SECONDS)
    worker.stop()
    output = apply.stdout + apply.stderr
    delay = seconds_to_report(output, worker.event_at) if worker.event_at else None
    in_time = delay is not None and delay <= 2 * POLL_SECONDS
    models = sagemaker_models()
    running = [i for i in leftovers(keep={EXISTING_BUCKET}) if i.startswith("instance i-")]
    ended = [worker.ended_at.get(i) for i in worker.booted]
    after = max(0.0, ended[0] - worker.event_mono) if worker.event_mono and ended and ended[0] else None
    ok = apply.returncode != 0 and reason in output and in_time and not models and not running
    ok = ok and len(worker.booted) == 1 and after is not None and after <= 2 * POLL_SECONDS
    r.check(
        f"{title}: the apply fails with the reason within two polls, no SageMaker model",
        t,
        ok,
        f"{len(worker.booted)} instance(s); reported {delay} s after the failure (polls every {POLL_SECONDS} s); "
        f"models: {models}; running: {running}"
        + ("" if reason in output else f"; reason missing from: {output[-600:]}"),
        instance_seconds=after,
        ended_by="the instance itself" if mode == "fail" else "the fault (it died)",
    )


# ---- the lifecycle faults, on one small stack ------------------------------------------------------

ABANDON_MINUTES = 1  # the compile stack's lease window in this section (the default is 15)
WINDOW = ABANDON_MINUTES * 60
APPLY = ("apply", "-auto-approve", "-input=false", "-no-color")


def read_text(bucket: str, key: str) -> str:
    try:
        return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    except Exception:  # noqa: BLE001 - no such object
        return ""


def ended_by(instance_id: str, output: str) -> str:
    """What ended an instance: its lease, the waiter's guardian, or the waiter's own EXIT trap (from
    the _FAILURE the lease writes, the lock's outcome, and what the waiter printed)."""
    tags = {
        t["Key"]: t["Value"]
        for r in boto3.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
        for i in r["Instances"]
        for t in i.get("Tags", [])
    }
    bucket, prefix = tags.get("neuronx:bucket", ""), tags.get("neuronx:prefix", "")
    failure = read_text(bucket, prefix + "_FAILURE")
    if f"instance_id={instance_id}" in failure and "reason=abandoned" in failure:
        return "its lease (the instance stopped itself)"
    # The waiter's trap or guardian releases the lock after terminating: the worker may see the instance
    # end first, so give the release a moment.
    deadline = time.monotonic() + 2 * POLL_SECONDS
    while "state=released" not in (lock := read_text(bucket, prefix + "_LOCK")) and time.monotonic() < deadline:
        time.sleep(0.5)
    guardian = f"the waiter was killed; terminated {instance_id}" in output or "outcome=killed" in lock
    trap = "interrupted by SIG" in output or "outcome=failed" in lock
    if guardian and trap:
        return "the waiter's trap and its guardian (the shell was killed in its trap)"
    if guardian:
        return "the waiter's guardian (the shell was killed)"
    if trap or f"terminated {instance_id}" in output:
        return "the waiter (its EXIT trap)"
    return "unknown"


def success_verified(bucket: str, prefix: str) -> tuple[bool, str]:
    """_SUCCESS against S3, as the waiter checks it: the manifest's ETag and every object's size and ETag."""
    s3 = boto3.client("s3")
    try:
        success = s3.get_object(Bucket=bucket, Key=prefix + "_SUCCESS")["Body"].read().decode()
    except Exception as error:  # noqa: BLE001 - reported
        return False, f"no _SUCCESS: {error}"
    header, _, objects = success.partition("--- objects ---\n")
    fields = dict(line.split("=", 1) for line in header.splitlines() if "=" in line)
    listing = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            listing[o["Key"][len(prefix) :]] = (o["Size"], o["ETag"].strip('"'))
    want = sorted(objects.splitlines())
    have = sorted(f"{k}\t{v[0]}\t{v[1]}" for k, v in listing.items() if k.startswith(("model/", "compiled/")))
    manifest_ok = listing.get("manifest.json", (0, ""))[1] == fields.get("manifest_etag")
    ok = want == have and manifest_ok and fields.get("cache_key") == prefix and len(want) > 0
    return (
        ok,
        f"{len(want)} objects listed in _SUCCESS, {len(have)} in S3, manifest {'matches' if manifest_ok else 'differs'}",
    )


def faults_stack(r: Rehearsal, tf_env: dict[str, str], revision: str) -> Terraform:
    """The compile stack alone, its lease window shortened, its artifacts in the existing bucket."""
    outdir = r.root / "faults" / "cdktf.out"
    proc = synthesize(
        outdir,
        tf_env,
        NEURONX_REVISION=revision,
        NEURONX_ABANDON_AFTER_MINUTES=str(ABANDON_MINUTES),
        NEURONX_BUCKET=existing_bucket(),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"synth of the faults stack failed: {proc.stderr[-800:]}")
    return Terraform(r, outdir / "stacks", tf_env)


def lifecycle_faults(r: Rehearsal, tf_env: dict[str, str], tf: Terraform) -> None:
    """The faults Terraform users meet every week, on the compile stack alone (already applied once,
    by the concurrent applies): each apply here only replaces the waiter."""
    worker = Worker(r.root / "instances-faults", "boot")
    worker.start()

    def start_compile(title: str, revision: str, compile_seconds: float, env: dict[str, str] | None = None):
        """An apply of the revision whose compile instance is running, or (None, None)."""
        faults_stack(r, tf_env, revision)
        worker.compile_seconds = compile_seconds
        before = len(worker.booted)
        apply = tf.start("compile", *APPLY, env=env)
        booted = worker.wait_running(before + 1, timeout=180)
        if len(booted) <= before:
            apply.wait()
            r.check(f"{title}: the apply launches a compile instance", time.monotonic(), False, apply.output()[-800:])
            return None, None
        # The waiter knows the instance as its own (it says so right after run-instances returns).
        deadline = time.monotonic() + 30
        while f"launched {booted[before]}" not in apply.output() and time.monotonic() < deadline:
            time.sleep(0.1)
        return apply, booted[before]

    # Expired credentials first: while the lease runs out, the killed applies go on.
    credentials_title = "expired credentials mid-wait"
    t_credentials = time.monotonic()
    key_id = "AKIAREHEARSALAPPLY01"
    apply, credentials_instance = start_compile(
        credentials_title, "rehearsal-credentials", compile_seconds=WINDOW * 4, env={"AWS_ACCESS_KEY_ID": key_id}
    )
    if apply is not None:
        # The waiter has recorded the instance in the lock (its lease) before the credentials go.
        deadline = time.monotonic() + 60
        while f"{credentials_instance} running, phase" not in apply.output() and time.monotonic() < deadline:
            time.sleep(0.2)
        credentials_fault = time.monotonic()
        Faults.refused_access_keys.add(key_id)
        credentials_code = apply.wait()
        credentials_output = apply.output()
        Faults.refused_access_keys.discard(key_id)

    def apply_killed(title: str, kill) -> None:
        t = time.monotonic()
        apply, instance_id = start_compile(title, "rehearsal-faults", compile_seconds=WINDOW * 2)
        if apply is None:
            return
        fault = time.monotonic()
        kill(apply)
        ended = worker.wait_ended(instance_id, timeout=WINDOW + 4 * POLL_SECONDS)
        apply.wait()
        after = ended - fault if ended else None
        r.check(
            f"apply killed ({title}): the instance is gone within the abandon window ({WINDOW} s)",
            t,
            after is not None and after <= WINDOW,
            f"{instance_id} ended {after:.1f} s after the fault" if after is not None else f"{instance_id} still runs",
            instance_seconds=after,
            ended_by=ended_by(instance_id, apply.output()),
        )

    def sigint_to_the_group(apply: Apply) -> None:
        os.killpg(apply.process.pid, signal.SIGINT)

    def sigkill_to_the_waiter(apply: Apply) -> None:
        deadline = time.monotonic() + 30
        while (shell := apply.waiter_shell()) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if shell is not None:
            os.kill(shell, signal.SIGKILL)

    apply_killed("SIGINT to the terraform apply process group, as a terminal sends it", sigint_to_the_group)
    apply_killed("SIGKILL to the waiter's shell, as Terraform's cancel sends it", sigkill_to_the_waiter)

    # Every process of the apply killed, the guardian included: only the lease would end the
    # instance; a re-apply within the window adopts it instead, and finishes.
    title = "SIGKILL to every process of the apply, as a CI runner's timeout; a re-apply adopts the compile"
    t = time.monotonic()
    # The compile runs for the lease window: a re-apply that reaches its waiter within the window (what the
    # lease promises) finds it running and adopts it, however long its plan takes on a loaded machine.
    apply, instance_id = start_compile(title, "rehearsal-faults", compile_seconds=WINDOW)
    if apply is not None:
        deadline = time.monotonic() + 60
        while f"{instance_id} running, phase" not in apply.output() and time.monotonic() < deadline:
            time.sleep(0.2)
        fault = time.monotonic()
        os.killpg(apply.process.pid, signal.SIGKILL)
        apply.wait()
        before = len(worker.booted)
        again = tf("compile", *APPLY)
        ended = worker.wait_ended(instance_id, timeout=WINDOW)
        outputs = json.loads(tf("compile", "output", "-json").stdout or "{}")
        verified, detail = success_verified(
            outputs.get("artifact_bucket", {}).get("value", ""), outputs.get("artifact_prefix", {}).get("value", "")
        )
        adopted = f"adopting {instance_id}" in again.stdout
        r.check(
            f"apply killed ({title})",
            t,
            again.returncode == 0 and adopted and len(worker.booted) == before and verified,
            f"re-apply exit {again.returncode}, {'adopted' if adopted else 'did not adopt'} {instance_id}; {detail}"
            + ("" if again.returncode == 0 else f"; {again.stdout[-600:]}{again.stderr[-600:]}"),
            instance_seconds=ended - fault if ended else None,
            ended_by="itself, its compile done for the re-apply that adopted it",
        )

    if credentials_instance is not None:
        ended = worker.wait_ended(credentials_instance, timeout=WINDOW + 4 * POLL_SECONDS)
        after = ended - credentials_fault if ended else None
        reason = "the AWS CLI's credentials stopped working while waiting"
        r.check(
            f"{credentials_title}: the apply fails with the reason; the instance ends",
            t_credentials,
            credentials_code != 0 and reason in credentials_output and "ExpiredToken" in credentials_output and after,
            (
                f"{credentials_instance} ended {after:.1f} s after the credentials expired"
                if after is not None
                else f"{credentials_instance} still runs"
            )
            + ("" if reason in credentials_output else f"; reason missing from: {credentials_output[-600:]}"),
            instance_seconds=after,
            ended_by=ended_by(credentials_instance, credentials_output),
        )

    t = time.monotonic()
    destroy = tf("compile", "destroy", "-auto-approve", "-input=false", "-no-color")
    worker.stop()
    left = leftovers(keep={EXISTING_BUCKET})
    r.check(
        "lifecycle: destroy the compile stack: no instance, nothing left (the artifacts stay in the bucket given)",
        t,
        destroy.returncode == 0 and not left,
        f"left: {left}" if left else destroy.stderr[-600:],
    )


# ---- the CloudFormation waiter, as on Terraform Cloud's hosted runners (no AWS CLI) ---------------


def without_aws_cli(env: dict[str, str]) -> dict[str, str]:
    """The environment with a PATH that holds no `aws` (Terraform Cloud's hosted runners have none)."""
    kept = [d for d in env.get("PATH", "").split(os.pathsep) if d and not os.access(os.path.join(d, "aws"), os.X_OK)]
    return {**env, "PATH": os.pathsep.join(kept)}


def cloudformation_waiter(r: Rehearsal, tf_env: dict[str, str]) -> None:
    """The compile stack with waiter CompileWaiter.cloudFormation(), applied with no `aws` on PATH and
    credentials only from the environment: the stack runs the instance and waits for its signal; a
    second plan is empty; a replaced stack is a cache hit that launches nothing; a compile error fails
    the apply with the wait condition's reason; destroy leaves nothing of it. Run beside the lifecycle
    faults (its instances are its own, Worker._cfn), so it checks only what it made."""
    env = without_aws_cli(tf_env)
    label = "cloudFormation waiter"
    outdir = r.root / "cloudformation" / "cdktf.out"
    config = {"NEURONX_WAITER": "cloudformation", "NEURONX_BUCKET": existing_bucket()}
    t = time.monotonic()
    no_cli = shutil.which("aws", path=env["PATH"]) is None
    proc = synthesize(outdir, env, NEURONX_REVISION=CFN_REVISION, **config)
    if not r.check(
        f"{label}: synthesize the compile stack; no aws on the PATH of terraform, credentials from the environment only",
        t,
        proc.returncode == 0 and no_cli and "AWS_PROFILE" not in env,
        proc.stderr[-500:] if proc.returncode else ("" if no_cli else "aws is on PATH"),
    ):
        return
    tf = Terraform(r, outdir / "stacks", env)

    if not cfn_concurrent_applies(r, tf, outdir, label):
        tf("compile", "destroy", "-auto-approve", "-input=false", "-no-color")
        return

    t = time.monotonic()
    plan = tf("compile", "plan", "-detailed-exitcode", "-input=false", "-no-color")
    r.check(f"{label}: plan again: no changes", t, plan.returncode == 0, plan.stdout[-400:] if plan.returncode else "")

    t = time.monotonic()
    worker = Worker(r.root / "instances-cfn-again", "boot", cloudformation=True)
    worker.start()
    again = tf("compile", *APPLY, "-replace=aws_cloudformation_stack.compile_waiter")
    worker.stopping.set()
    r.check(
        f"{label}: apply with the stack replaced: a cache hit (_SUCCESS exists), no instance",
        t,
        again.returncode == 0 and not worker.booted,
        f"{len(worker.booted)} instance(s)" + ("" if again.returncode == 0 else f"; {again.stderr[-600:]}"),
    )

    cfn_cancelled_apply(r, tf, outdir, env, config, label)

    # Another revision: a new cache key, so a new stack (the old one goes first) whose compile fails.
    t = time.monotonic()
    proc = synthesize(outdir, env, NEURONX_REVISION=CFN_FAILING_REVISION, **config)
    worker = Worker(r.root / "instances-cfn-fail", "fail", cloudformation=True)
    worker.start()
    failed = tf("compile", *APPLY)
    worker.stopping.set()
    output = failed.stdout + failed.stderr
    ended = [worker.wait_ended(i, timeout=30) for i in worker.booted]
    after = ended[0] - worker.event_mono if ended and ended[0] and worker.event_mono else None
    reason = "WaitCondition received failed message: 'the Neuron compile failed: RuntimeError: [XCG815]"
    ok = proc.returncode == 0 and failed.returncode != 0 and reason in output and "_FAILURE.log" in output
    r.check(
        f"{label}: a compile error fails the apply with the wait condition's reason and the log's location; "
        "the rollback terminates the instance",
        t,
        ok and len(worker.booted) == 1 and after is not None,
        f"{len(worker.booted)} instance(s)" + ("" if ok else f"; reason missing from: {output[-800:]}"),
        instance_seconds=max(after, 0.0) if after is not None else None,
        ended_by="the instance itself; CloudFormation's rollback terminates it too",
    )

    t = time.monotonic()
    mine = owned_by(tf, "compile")
    destroy = tf("compile", "destroy", "-auto-approve", "-input=false", "-no-color")
    worker.stop()
    cfn, ec2 = boto3.client("cloudformation"), boto3.client("ec2")
    stacks = [s["StackName"] for s in cfn.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"]
    running = [
        i["InstanceId"]
        for res in ec2.describe_instances(Filters=[{"Name": "tag:neuronx:prefix", "Values": [f"*/{CFN_REVISION}*"]}])[
            "Reservations"
        ]
        for i in res["Instances"]
        if i["State"]["Name"] not in ("terminated", "shutting-down")
    ]
    left = [x for x in leftovers(keep={EXISTING_BUCKET}) if x in mine] + [f"stack {s}" for s in stacks] + running
    state = tf("compile", "state", "list").stdout.split()
    r.check(
        f"{label}: destroy: no stack, no instance, nothing of the stack left",
        t,
        destroy.returncode == 0 and not left and not state,
        f"left: {left}; state: {state}" if left or state else destroy.stderr[-600:],
    )


def cfn_instances(revision: str) -> dict[str, str]:
    """Instance id -> state of the instances of the CloudFormation waiter's revision."""
    found = boto3.client("ec2").describe_instances(
        Filters=[{"Name": "tag:neuronx:prefix", "Values": [f"*/{revision}/*"]}]
    )["Reservations"]
    return {i["InstanceId"]: i["State"]["Name"] for res in found for i in res["Instances"]}


def cfn_all_ended(revision: str, timeout: float = 30) -> list[str]:
    """The instances of the revision still running after up to `timeout` seconds (they end themselves)."""
    deadline = time.monotonic() + timeout
    while (live := [i for i, s in cfn_instances(revision).items() if s in ("pending", "running")]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.5)
    return live


def compiled_by(worker: Worker) -> list[str]:
    """The instances whose compile job compiled (the others found the prefix another compile's)."""
    return [i for i, run in worker.runs.items() if "compiled in " in run.console_text()]


def cfn_concurrent_applies(r: Rehearsal, tf: Terraform, outdir: Path, label: str) -> bool:
    """Two states on one prefix (the compile stack and a copy of it: two stacks, two instances) applied
    at the same moment: the instances share the prefix lock, one compiles, the other waits for its
    _SUCCESS; both applies succeed; the copy is destroyed again. True when the compile state applied."""
    worker = Worker(r.root / "instances-cfn", "boot", compile_seconds=3 * POLL_SECONDS, cloudformation=True)
    worker.start()
    t = time.monotonic()
    twin = outdir / "stacks" / "compile-twin"
    shutil.copytree(outdir / "stacks" / "compile", twin, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    config = json.loads((twin / "cdk.tf.json").read_text())  # a state of its own
    config["terraform"]["backend"]["local"]["path"] = config["terraform"]["backend"]["local"]["path"].replace(
        "terraform.compile.tfstate", "terraform.compile-twin.tfstate"
    )
    (twin / "cdk.tf.json").write_text(json.dumps(config))
    init = [tf(stack, "init", "-input=false", "-no-color") for stack in ("compile", "compile-twin")]
    other = tf.start("compile-twin", *APPLY)
    apply = tf("compile", *APPLY)
    other_code = other.wait()
    left = cfn_all_ended(CFN_REVISION)
    worker.stopping.set()
    outputs = json.loads(tf("compile", "output", "-json").stdout or "{}")
    bucket = outputs.get("artifact_bucket", {}).get("value", "")
    prefix = outputs.get("artifact_prefix", {}).get("value", "")
    verified, detail = success_verified(bucket, prefix)
    url = outputs.get("compiled_artifact_s3_url", {}).get("value")
    compiled = compiled_by(worker)
    waited = [
        i
        for i, run in worker.runs.items()
        if "waiting for its compile instead of starting a second" in run.console_text()
    ]
    try:
        lock = read_text(bucket, prefix + "_LOCK")
    except Exception:  # noqa: BLE001 - reported
        lock = ""
    exits = [i.returncode for i in init] + [apply.returncode, other_code]
    ok = exits == [0, 0, 0, 0] and len(worker.booted) == 2 and len(compiled) == 1 and not worker.errors and verified
    r.check(
        f"{label}: two states on one prefix applied at once: each stack runs an instance, one compiles, the other waits "
        "on the prefix lock; both applies succeed; _SUCCESS verified; the URL is the stack's output; no instance left",
        t,
        ok and url == f"s3://{bucket}/{prefix}" and not left and "state=released" in lock,
        f"exits {exits}; {len(worker.booted)} instance(s), compiled by {compiled}, waited: {waited}; {detail}; "
        f"lock {'released' if 'state=released' in lock else 'not released'}; left running: {left}"
        + ("" if ok else f"; {(apply.stdout + apply.stderr + other.output())[-800:]}{worker.errors}"),
    )
    t = time.monotonic()
    # The compile script's objects are content-addressed: both states manage the same keys in the one bucket.
    tf("compile-twin", "state", "rm", "-no-color", "aws_s3_object.compile_script")
    destroy = tf("compile-twin", "destroy", "-auto-approve", "-input=false", "-no-color")
    r.check(f"{label}: destroy the second state", t, destroy.returncode == 0, destroy.stderr[-400:])
    return apply.returncode == 0


def cfn_cancelled_apply(
    r: Rehearsal, tf: Terraform, outdir: Path, env: dict[str, str], config: dict[str, str], label: str
) -> None:
    """An apply cancelled mid-compile (SIGINT to terraform, as Ctrl-C or a Terraform Cloud cancel): the
    provider stops waiting, the stack goes on creating and is saved tainted; its instance is bounded by
    its own compile's end or the deadline. The next apply, at once, deletes the stack (CloudFormation
    terminates the instance) and creates a new one, whose instance takes the prefix over at once (EC2
    reports the lock's holder terminated) and compiles: one compile's artifacts, no instance left."""
    t = time.monotonic()
    proc = synthesize(outdir, env, NEURONX_REVISION=CFN_CANCEL_REVISION, **config)
    worker = Worker(r.root / "instances-cfn-cancel", "boot", compile_seconds=120, cloudformation=True)
    worker.start()
    apply = tf.start("compile", *APPLY)
    booted = worker.wait_running(1, timeout=180)
    ec2 = boto3.client("ec2")
    first = booted[0] if booted else ""
    tags = {}
    if first:
        described = ec2.describe_instances(InstanceIds=[first])["Reservations"][0]["Instances"][0]
        tags = {x["Key"]: x["Value"] for x in described.get("Tags", [])}
    bucket, prefix = tags.get("neuronx:bucket", ""), tags.get("neuronx:prefix", "")
    deadline = time.monotonic() + 120
    while first and time.monotonic() < deadline:  # mid-compile: the compile holds the lock and compiles
        with contextlib.suppress(Exception):  # not written yet
            if "phase=compile" in read_text(bucket, prefix + "_PROGRESS"):
                break
        time.sleep(0.5)
    cancelled_at = time.monotonic()
    os.killpg(apply.process.pid, signal.SIGINT)
    code = apply.wait(timeout=300)
    cancel_seconds = time.monotonic() - cancelled_at
    still = cfn_instances(CFN_CANCEL_REVISION).get(first)
    state = tf("compile", "state", "show", "-no-color", "aws_cloudformation_stack.compile_waiter").stdout
    tainted = "tainted" in state
    # The next apply, at once.
    worker.compile_seconds = 0
    t_again = time.monotonic()
    again = tf("compile", *APPLY)
    ended = worker.ended_at.get(first)
    left = cfn_all_ended(CFN_CANCEL_REVISION)
    worker.stopping.set()
    verified, detail = success_verified(bucket, prefix)
    try:
        by = dict(x.split("=", 1) for x in read_text(bucket, prefix + "_SUCCESS").splitlines() if "=" in x)[
            "instance_id"
        ]
    except Exception:  # noqa: BLE001 - reported through verified
        by = ""
    second = worker.booted[1] if len(worker.booted) > 1 else ""
    took_over = (
        second in worker.runs and "without a result: taking the prefix over" in worker.runs[second].console_text()
    )
    ended_after = ended - t_again if ended else None
    r.check(
        f"{label}: apply cancelled mid-compile (SIGINT to terraform): terraform stops, the stack is kept tainted, the "
        "instance goes on; the next apply ends it at once, takes the prefix over and compiles; one compile's artifacts",
        t,
        proc.returncode == 0
        and code != 0
        and still == "running"
        and tainted
        and again.returncode == 0
        and ended_after is not None
        and verified
        and by == second
        and took_over
        and compiled_by(worker) == [second]
        and not left,
        f"terraform exited {code} {cancel_seconds:.1f} s after SIGINT; {first} {still} after it; stack "
        f"{'tainted' if tainted else 'not tainted'}; next apply exit {again.returncode}, {first} ended "
        + (f"{ended_after:.1f} s into it" if ended_after is not None else "not")
        + f"; {second or 'no new instance'} {'took the prefix over' if took_over else 'did not take over'}; "
        f"_SUCCESS by {by or 'nobody'}; {detail}; left running: {left}"
        + ("" if again.returncode == 0 else f"; {(again.stdout + again.stderr)[-800:]}"),
        instance_seconds=ended - cancelled_at if ended else None,
        ended_by="the next apply (CloudFormation deletes the tainted stack and terminates it)",
    )


def concurrent_applies(
    r: Rehearsal, t: float, tf: Terraform, apply: subprocess.CompletedProcess, other: Apply, worker: Worker
) -> None:
    """Two stacks on one prefix (one bucket, the same model and options, two states), applied at the
    same moment: one instance in total, both succeed on its result."""
    code = other.wait()
    finished = time.monotonic()
    both = apply.stdout + other.output()
    ended = [worker.wait_ended(i, timeout=2 * POLL_SECONDS) for i in worker.booted]
    after = max((e - finished for e in ended if e), default=None)
    outputs = json.loads(tf("compile", "output", "-json").stdout or "{}")
    bucket = outputs.get("artifact_bucket", {}).get("value", "")
    prefix = outputs.get("artifact_prefix", {}).get("value", "")
    verified, detail = success_verified(bucket, prefix)
    r.check(
        "concurrent applies of two stacks on one prefix: one instance in total, both applies succeed, _SUCCESS verified",
        t,
        [apply.returncode, code] == [0, 0] and len(worker.booted) == 1 and both.count("launched i-") == 1 and verified,
        f"exits {[apply.returncode, code]}; {len(worker.booted)} instance(s); "
        f"{'one launched, one adopted' if 'adopting i-' in both else 'one launched'}; {detail}"
        + ("" if code == 0 and apply.returncode == 0 else f"; {both[-800:]}"),
        instance_seconds=max(after, 0.0) if after is not None else None,
        ended_by="the instance itself, after _SUCCESS" if after is not None else "",
    )


def hcl_modules(r: Rehearsal, tf_env: dict[str, str], endpoint_url: str) -> None:
    """The example root module of modules/, with plain terraform: the same flow without CDKTF."""
    modules = r.root / "modules"
    shutil.copytree(REPO / "modules", modules, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    tf = Terraform(r, modules / "examples", tf_env)
    variables = {
        "model_id": MODEL_ID,
        "revision": "rehearsal-hcl",  # a new cache key: the compile must run
        "parameters_billion": "0.001",
        "ami_id": AMI_ID,
        "poll_interval_seconds": str(POLL_SECONDS),
        # The existing bucket: the cdktf phase applies a created one (and its 55 s lifecycle wait).
        "bucket_name": existing_bucket(),
        "aws_endpoint_url": endpoint_url,
    }
    var_args = [arg for name, value in variables.items() for arg in ("-var", f"{name}={value}")]
    root = "compile-and-serve"

    worker = Worker(r.root / "instances-hcl", "boot")
    worker.start()
    t = time.monotonic()
    init = tf(root, "init", "-input=false", "-no-color")
    apply = tf(root, "apply", "-auto-approve", "-input=false", "-no-color", *var_args)
    worker.stopping.set()
    outputs = json.loads(tf(root, "output", "-json").stdout or "{}")
    url = outputs.get("compiled_artifact_s3_url", {}).get("value")
    models = sagemaker_models()
    model = boto3.client("sagemaker").describe_model(ModelName=models[0]) if len(models) == 1 else {}
    source = model.get("PrimaryContainer", {}).get("ModelDataSource", {}).get("S3DataSource", {})
    ok = (
        init.returncode == 0
        and apply.returncode == 0
        and len(worker.booted) == 1
        and not worker.errors
        and url is not None
        and source.get("S3Uri") == url
        and len(boto3.client("sagemaker").list_endpoints()["Endpoints"]) == 1
    )
    r.check(
        "HCL modules: apply the example root module: compile on an instance, then model and endpoint",
        t,
        ok,
        f"{len(worker.booted)} instance(s) booted; model data {source.get('S3Uri')}"
        + ("" if ok else f"; {(init.stderr + apply.stdout + apply.stderr)[-800:]}{worker.errors}"),
    )

    t = time.monotonic()
    plan = tf(root, "plan", "-detailed-exitcode", "-input=false", "-no-color", *var_args)
    r.check(
        "HCL modules: plan again: no changes", t, plan.returncode == 0, plan.stdout[-400:] if plan.returncode else ""
    )

    t = time.monotonic()
    destroy = tf(root, "destroy", "-auto-approve", "-input=false", "-no-color", *var_args)
    left = leftovers(keep={EXISTING_BUCKET})
    r.check(
        "HCL modules: destroy leaves nothing behind (the artifacts stay in the bucket given)",
        t,
        destroy.returncode == 0 and not left,
        f"left: {left}" if left else (destroy.stderr[-400:] if destroy.returncode else ""),
    )


# ---- the optimum-neuron backend (issue 13) -------------------------------------------------------------

OPTIMUM_MODEL_ID = "rehearsal/tiny-llama-1m"
OPTIMUM_ENDPOINT = "rehearsal-optimum"
OPTIMUM_PUBLIC_CACHE = "aws-neuron/optimum-neuron-cache"
OPTIMUM_HIT_REVISION = "rehearsal-optimum-hit"  # a new cache key, for the Hub cache hit
# The compile image's Python: the real optimum-neuron 0.4.5 (python/requirements-optimum.txt), which
# `npm run test:optimum` installs (.ci/run runs it before the rehearsal).
OPTIMUM_VENV = REPO / ".venv-optimum"
# The Neuron SDK stand-ins of the test:optimum tier, on the compile image's PYTHONPATH: the compiler's package
# (its version only) and a sitecustomize that registers the Llama model class stand-in (optimum_tests/stand_in.py).
OPTIMUM_STAND_INS = [REPO / "python" / "optimum_tests" / d for d in ("compiler_stand_in", "instance_site")]


def optimum_neuron(r: Rehearsal, tf_env: dict[str, str]) -> None:
    """An OptimumNeuronCompile and the OptimumNeuronSageMakerRealtimeInferenceEndpoint that serves it
    (scripts/rehearse-optimum-app.ts, one stack, local state, the existing bucket): the compile instance's job
    runs the optimum-neuron recipe with the real optimum-neuron (its Hub cache lookup misses the public cache,
    the Llama export's compile is the stand-in), then the endpoint is InService on the exported directory, its
    container settings equal the neuron config the export wrote, npm run invoke -- --api openai gets the chat
    completion the emulator answers with -> plan shows no changes -> destroy leaves nothing behind."""
    label = "optimum-neuron"
    t = time.monotonic()
    python = OPTIMUM_VENV / "bin" / "python"
    if not r.check(
        f"{label}: the compile image's Python has optimum-neuron (.venv-optimum)",
        t,
        python.exists(),
        "" if python.exists() else f"{python} is missing: run `npm run test:optimum` first, which creates it",
    ):
        return
    # The rehearsal's chat model, as a Llama checkpoint carries its dtype and shape in config.json.
    files = dict(r.hub.repos[MODEL_ID].files)
    config = json.loads(files["config.json"])
    config.update(torch_dtype="bfloat16", hidden_size=64, num_hidden_layers=2, num_attention_heads=4)
    files["config.json"] = json.dumps(config).encode()
    r.hub.repos[OPTIMUM_MODEL_ID] = Repo(files=files, branches=("main", OPTIMUM_HIT_REVISION))
    r.hub.repos[OPTIMUM_PUBLIC_CACHE] = Repo(files={"README.md": b"# an empty optimum-neuron cache"})

    outdir = r.root / "optimum" / "cdktf.out"
    proc = synthesize_optimum(outdir, tf_env)
    if not r.check(f"{label}: synthesize the compile and endpoint stack", t, proc.returncode == 0, proc.stderr[-500:]):
        return
    tf = Terraform(r, outdir / "stacks", tf_env)

    host_env = {
        "NEURONX_HOST_PYTHON": str(python),
        "NEURONX_HOST_SITE_PACKAGES": os.pathsep.join(str(d) for d in OPTIMUM_STAND_INS),
    }
    worker = Worker(r.root / "instances-optimum", "boot", host_env=host_env)
    worker.start()
    t = time.monotonic()
    init = tf("optimum", "init", "-input=false", "-no-color")
    apply = tf("optimum", *APPLY)
    worker.stop()
    outputs = json.loads(tf("optimum", "output", "-json").stdout or "{}")
    bucket = outputs.get("artifact_bucket", {}).get("value", "")
    prefix = outputs.get("artifact_prefix", {}).get("value", "")
    s3, sm = boto3.client("s3"), boto3.client("sagemaker")
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []) if bucket else []
    names = {o["Key"][len(prefix) :] for o in listing}
    manifest = json.loads(read_text(bucket, prefix + "manifest.json") or "{}")
    ok = (
        init.returncode == 0
        and apply.returncode == 0
        and len(worker.booted) == 1
        and not worker.errors
        and {"_SUCCESS", "manifest.json", "compiled/neuron_config.json", "compiled/model.pt"} <= names
        and not any(n.startswith("model/") for n in names)
        and manifest.get("backend") == "optimum-neuron"
        and manifest.get("source") == "compiled"
    )
    r.check(
        f"{label}: apply: the instance's job exports with the real optimum-neuron (a Hub cache miss, the compile "
        "stand-in), compiled/ and a manifest that says so, then the model and endpoint",
        t,
        ok,
        f"{len(worker.booted)} instance(s) booted; {len(names)} objects under the prefix; manifest backend "
        f"{manifest.get('backend')!r}, source {manifest.get('source')!r}, optimum-neuron "
        f"{manifest.get('optimum_neuron_version')!r}"
        + ("" if ok else f"; {(init.stderr + apply.stdout + apply.stderr)[-800:]}{worker.errors}"),
    )

    t = time.monotonic()
    endpoint = sm.describe_endpoint(EndpointName=OPTIMUM_ENDPOINT) if apply.returncode == 0 else {}
    config_name = endpoint.get("EndpointConfigName")
    variant = (
        sm.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"][0] if config_name else {}
    )
    model = sm.describe_model(ModelName=variant["ModelName"]) if variant else {}
    container = model.get("PrimaryContainer", {})
    environment = container.get("Environment", {})
    source = container.get("ModelDataSource", {}).get("S3DataSource", {})
    neuron_config = json.loads(read_text(bucket, prefix + "compiled/neuron_config.json") or "{}")
    served = {k: environment.get(f"SM_ON_{k}") for k in ("BATCH_SIZE", "SEQUENCE_LENGTH", "TENSOR_PARALLEL_SIZE")}
    exported = {
        "BATCH_SIZE": str(neuron_config.get("batch_size")),
        "SEQUENCE_LENGTH": str(neuron_config.get("sequence_length")),
        "TENSOR_PARALLEL_SIZE": str(neuron_config.get("tp_degree")),
    }
    ok = (
        endpoint.get("EndpointStatus") == "InService"
        and source.get("S3Uri") == f"s3://{bucket}/{prefix}compiled/"
        and source.get("S3DataType") == "S3Prefix"
        and served == exported
    )
    r.check(
        f"{label}: the endpoint is InService on the exported directory; its container settings are the export's",
        t,
        ok,
        f"{endpoint.get('EndpointStatus')}; model data {source.get('S3Uri')}; SM_ON_* {served}; neuron config {exported}",
    )

    if variant:
        r.check(*optimum_serve_checks(r, environment, variant["InstanceType"], source.get("S3Uri", "")))
    r.check(*ask_openai(r))

    t = time.monotonic()
    plan = tf("optimum", "plan", "-detailed-exitcode", "-input=false", "-no-color")
    r.check(f"{label}: plan again: no changes", t, plan.returncode == 0, plan.stdout[-400:] if plan.returncode else "")

    optimum_cache_hit(r, tf_env, tf, outdir, host_env, files)

    t = time.monotonic()
    destroy = tf("optimum", "destroy", "-auto-approve", "-input=false", "-no-color")
    left = leftovers(keep={EXISTING_BUCKET})
    r.check(
        f"{label}: destroy leaves nothing behind (the artifacts stay in the bucket given)",
        t,
        destroy.returncode == 0 and not left,
        f"left: {left}" if left else (destroy.stderr[-400:] if destroy.returncode else ""),
    )


def synthesize_optimum(outdir: Path, tf_env: dict[str, str], **config: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["node", "scripts/run-app.js", "scripts/rehearse-optimum-app.ts"],
        cwd=REPO,
        env=example_env(
            outdir,
            tf_env,
            NEURONX_MODEL_ID=OPTIMUM_MODEL_ID,
            NEURONX_BUCKET=existing_bucket(),
            NEURONX_ENDPOINT_NAME=OPTIMUM_ENDPOINT,
            **config,
        ),
        capture_output=True,
        text=True,
    )


# The cache entry of the rehearsal's export, as optimum-neuron's export writes one to a cache repository: built by
# the test:optimum tier's own cache_repo (the real SingleModelCacheEntry) in the compile image's Python.
CACHE_ENTRY = """
import base64, json, sys, tempfile
from pathlib import Path
from optimum_tests.conftest import cache_repo, settings_for
spec = json.load(sys.stdin)
files = {name: base64.b64decode(data) for name, data in spec["files"].items()}
with tempfile.TemporaryDirectory() as work:
    settings = settings_for(spec["model_id"], Path(work), **spec["env"])
    entry = cache_repo(files, settings)
json.dump({name: base64.b64encode(data).decode() for name, data in entry.items()}, sys.stdout)
"""


def optimum_cache_hit(
    r: Rehearsal, tf_env: dict[str, str], tf: Terraform, outdir: Path, host_env: dict[str, str], files: dict
) -> None:
    """The public Hub cache holds the export's configuration (the Hub emulator serves its registry entry and
    compiled graphs): the stack applied again for another revision of the model (a new cache key) compiles
    nothing; the instance's job downloads the graphs and its manifest says hub-cache."""
    label = "optimum-neuron"
    t = time.monotonic()
    environment = {"NEURONX_N_POSITIONS": "2048", "NEURONX_REVISION": OPTIMUM_HIT_REVISION}
    built = subprocess.run(
        [str(OPTIMUM_VENV / "bin" / "python"), "-c", CACHE_ENTRY],
        input=json.dumps(
            {
                "model_id": OPTIMUM_MODEL_ID,
                "env": environment,
                "files": {name: base64.b64encode(data).decode() for name, data in files.items()},
            }
        ),
        cwd=REPO / "python",
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "python"), str(OPTIMUM_STAND_INS[0])])},
        capture_output=True,
        text=True,
    )
    if not r.check(
        f"{label}: the optimum cache entry of the export, built with optimum-neuron's own code",
        t,
        built.returncode == 0,
        "" if built.returncode == 0 else built.stderr[-600:],
    ):
        return
    entry = {name: base64.b64decode(data) for name, data in json.loads(built.stdout).items()}
    r.hub.repos[OPTIMUM_PUBLIC_CACHE].files.update(entry)

    t = time.monotonic()
    proc = synthesize_optimum(outdir, tf_env, NEURONX_REVISION=OPTIMUM_HIT_REVISION)
    worker = Worker(r.root / "instances-optimum-hit", "boot", host_env=host_env)
    worker.start()
    apply = tf("optimum", *APPLY)
    worker.stop()
    outputs = json.loads(tf("optimum", "output", "-json").stdout or "{}")
    bucket = outputs.get("artifact_bucket", {}).get("value", "")
    prefix = outputs.get("artifact_prefix", {}).get("value", "")
    manifest = json.loads(read_text(bucket, prefix + "manifest.json") or "{}")
    graphs = [n for n in r.hub.downloaded(OPTIMUM_PUBLIC_CACHE) if n.endswith("/model.neff")]
    ok = (
        proc.returncode == 0
        and apply.returncode == 0
        and OPTIMUM_HIT_REVISION in prefix
        and len(worker.booted) == 1
        and not worker.errors
        and manifest.get("source") == "hub-cache"
        and manifest.get("cache_repo") == OPTIMUM_PUBLIC_CACHE
        and bool(graphs)
    )
    r.check(
        f"{label}: another revision, its configuration in the public Hub cache: the job downloads the compiled "
        "graphs, compiles nothing, the manifest says hub-cache",
        t,
        ok,
        f"prefix {prefix}; manifest source {manifest.get('source')!r} from {manifest.get('cache_repo')!r}; "
        f"graphs downloaded: {graphs}"
        + ("" if ok else f"; {(proc.stderr + apply.stdout + apply.stderr)[-800:]}{worker.errors}"),
    )


# The vLLM container's start on the endpoint's instance, up to vLLM itself: its entrypoint's `optimum-cli neuron
# serve` arguments from the model's SM_ON_* variables, and the real ServeCommand.run's checks against the model data
# (the test:optimum tier's serve_checks, which mirrors the 0.4.5 entrypoint and stands in for the serving host and vLLM).
SERVE_CHECKS = """
import json, sys
from pathlib import Path
import pytest
from optimum_tests.test_serving_consistency import serve_checks
spec = json.load(sys.stdin)
with pytest.MonkeyPatch.context() as patch:
    server = serve_checks(spec["fixture"], spec["environment"], Path(spec["model_dir"]), patch)
started = server.started
json.dump({k: getattr(started, k) for k in ("model", "max_num_seqs", "max_model_len", "tensor_parallel_size", "dtype")}
          if started else None, sys.stdout)
"""


def optimum_serve_checks(r: Rehearsal, environment: dict[str, str], instance_type: str, s3_uri: str) -> tuple:
    """The endpoint's model as an instance starts it: its model data copied from S3 as SageMaker copies it, its
    environment passed through the vLLM container's entrypoint to optimum-neuron's own serve-time checks."""
    t = time.monotonic()
    model_dir = materialise(boto3.client("s3"), s3_uri, r.root / "optimum-instance")
    proc = subprocess.run(
        [str(OPTIMUM_VENV / "bin" / "python"), "-c", SERVE_CHECKS],
        input=json.dumps(
            {
                "fixture": {"serving_instance_type": instance_type, "model_data": "/opt/ml/model"},
                "environment": environment,
                "model_dir": str(model_dir),
            }
        ),
        cwd=REPO / "python",
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "python"), str(OPTIMUM_STAND_INS[0])])},
        capture_output=True,
        text=True,
    )
    started = json.loads(proc.stdout or "null") if proc.returncode == 0 else None
    ok = started is not None and started.get("model") == str(model_dir)
    return (
        "optimum-neuron: the endpoint's model data and environment pass optimum-neuron's serve-time checks "
        f"(optimum-cli neuron serve on {instance_type}) and reach vLLM",
        t,
        ok,
        f"vLLM started with {started}" if ok else proc.stderr[-600:],
    )


def ask_openai(r: Rehearsal) -> tuple:
    """npm run invoke -- --api openai: an OpenAI chat completion request to the endpoint; the emulator (moto's
    InvokeEndpoint) answers with the chat completion queued for it, in the vLLM container's format; the CLI prints
    the assistant's message."""
    t = time.monotonic()
    answer = "Hello from the optimum-neuron rehearsal"
    completion = {
        "id": "chatcmpl-rehearsal",
        "object": "chat.completion",
        "model": OPTIMUM_MODEL_ID,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
    }
    queued = requests_post(
        f"{r.emulator.url}/moto-api/static/sagemaker/endpoint-results",
        {"results": [{"Body": json.dumps(completion), "ContentType": "application/json"}]},
    )
    proc = subprocess.run(
        ["npx", "tsx", "scripts/invoke.ts", "--endpoint", OPTIMUM_ENDPOINT, "--api", "openai", "hi"],
        cwd=REPO,
        env={**os.environ, "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED": "true"},
        capture_output=True,
        text=True,
    )
    return (
        "optimum-neuron: npm run invoke -- --api openai prints the chat completion's message",
        t,
        queued and proc.returncode == 0 and proc.stdout.strip() == answer,
        f"{proc.stdout.strip()!r}" + ("" if proc.returncode == 0 else f"; {proc.stderr.strip()[-300:]}"),
    )


def cdktf_and_modules(r: Rehearsal, tf_env: dict[str, str]) -> None:
    """The two ways to deploy without plain terraform on the synthesized JSON: the cdktf CLI, then
    the HCL modules."""
    cdktf_cli(r, tf_env)
    hcl_modules(r, tf_env, r.emulator.url)


def s3_state_and_faults(r: Rehearsal, tf_env: dict[str, str]) -> None:
    # The faults stack first applies the S3-state run's prefix (revision main) at the same
    # moment as that run's compile stack: the concurrent applies, at the cost of one apply.
    faults = faults_stack(r, tf_env, "main")
    faults("compile", "init", "-input=false", "-no-color")
    happy_path(r, tf_env, companion=faults)
    lifecycle_faults(r, tf_env, faults)


# The groups of scenarios. Each runs in a process of its own with its own AWS emulator, Hub
# emulator and directory, side by side with the others of its wave (WAVES): they share nothing, so every "nothing left
# behind" check still sees the whole account, and the rehearsal takes as long as its longest group
# rather than their sum (most of a scenario is waiting: poll intervals, lease windows, the provider's
# fixed waits). A new scenario goes into the shortest group, or into a group of its own.
GROUPS: dict[str, Callable[[Rehearsal, dict[str, str]], None]] = {
    "s3-state-and-faults": s3_state_and_faults,
    "cdktf-and-modules": cdktf_and_modules,
    "failure-paths": failure_paths,
    "cloudformation-waiter": cloudformation_waiter,
    "optimum-neuron": optimum_neuron,
}


def run_group(name: str, root: Path) -> int:
    """One group, in this process: its emulators, its scenarios; its checks go to root/phases.json."""
    root.mkdir(parents=True, exist_ok=True)
    emulator = Emulator().start()
    hub = hub_with_tiny_chat_model()
    hub_url = hub.start()
    for key, value in emulator.env().items():
        os.environ[key] = value
    os.environ["HF_ENDPOINT"] = hub_url
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    r = Rehearsal(root, emulator, hub)
    print(f"{name} in {root}; AWS emulator {emulator.url}; Hub emulator {hub_url}", flush=True)
    tf_env = {
        **os.environ,
        "NEURONX_AWS_ENDPOINT_URL": emulator.url,
        # S3 Control calls (account-prefixed hosts) go through the emulator's proxy; loopback ones go direct.
        "HTTP_PROXY": emulator.proxy_url,
        "NO_PROXY": "127.0.0.1,localhost",
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
    }
    try:
        GROUPS[name](r, tf_env)
        if EXISTING_BUCKET in {b["Name"] for b in boto3.client("s3").list_buckets().get("Buckets", [])}:
            remove_bucket(EXISTING_BUCKET)
    except Exception as error:  # noqa: BLE001 - a crashed group is a failed check, with its reason
        r.check(f"{name}: the group ran to its end", time.monotonic(), False, f"{type(error).__name__}: {error}")
    finally:
        emulator.stop()
        hub.stop()
        (root / "phases.json").write_text(json.dumps([asdict(p) for p in r.phases]))
    return 0


def selected_groups() -> list[str]:
    """NEURONX_REHEARSAL_ONLY=<group>[,<group>...] runs only those groups (while developing one)."""
    only = [g for g in os.environ.get("NEURONX_REHEARSAL_ONLY", "").split(",") if g]
    unknown = [g for g in only if g not in GROUPS]
    if unknown:
        raise SystemExit(f"NEURONX_REHEARSAL_ONLY names {unknown}; the groups are {', '.join(GROUPS)}")
    return only or list(GROUPS)


# The failure paths time the waiter's report against two poll intervals (10 s): beside three other
# groups on two cores, the AWS CLI calls of one poll took long enough to make it 14 s (a CI run), so
# they run first, alone; the other groups then run side by side.
WAVES = [["failure-paths"], ["s3-state-and-faults", "cdktf-and-modules", "cloudformation-waiter", "optimum-neuron"]]


def run_groups(root: Path) -> list[Phase]:
    """The groups wave by wave, those of a wave side by side."""
    assert sorted(sum(WAVES, [])) == sorted(GROUPS), "every group is in exactly one wave"
    selected = selected_groups()
    phases = []
    for wave in WAVES:
        names = [name for name in wave if name in selected]
        if names:
            phases += run_wave(root, names)
    return phases


def run_wave(root: Path, names: list[str]) -> list[Phase]:
    """Each group in a child process, side by side; their output line by line, each line prefixed
    with its group; their checks in the order of names."""
    children = {
        name: subprocess.Popen(
            [sys.executable, __file__, "--group", name, str(root / name)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in names
    }

    def relay(name: str, child: subprocess.Popen) -> None:
        for line in child.stdout:
            print(f"[{name}] {line}", end="", flush=True)

    relays = [threading.Thread(target=relay, args=item) for item in children.items()]
    for thread in relays:
        thread.start()
    phases = []
    for thread, (name, child) in zip(relays, children.items(), strict=True):
        thread.join()
        code = child.wait()
        results = root / name / "phases.json"
        if results.exists():
            phases += [Phase(**p) for p in json.loads(results.read_text())]
        if code != 0 or not results.exists():
            phases.append(Phase(f"{name}: the group's process ended normally", 0.0, False, f"exit status {code}"))
    return phases


def main(argv: list[str]) -> int:
    if argv[:1] == ["--group"]:
        return run_group(argv[1], Path(argv[2]))
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="neuronx-rehearsal-"))
    if not shutil.which("terraform"):
        print(
            "terraform is not on PATH: run through `npm run rehearse`, which installs it",
            file=sys.stderr,
        )
        return 2
    version = subprocess.run(
        ["terraform", "version"], capture_output=True, text=True, env={**os.environ, "CHECKPOINT_DISABLE": "1"}
    ).stdout.splitlines()
    print(f"{version[0] if version else 'terraform'} at {os.path.realpath(shutil.which('terraform'))}", flush=True)
    print(f"rehearsal in {root}: groups side by side ({', '.join(selected_groups())})", flush=True)
    phases = run_groups(root)
    return report(phases, started, root)


def report(phases: list[Phase], started: float, root: Path) -> int:
    print("\ncheck" + " " * 99 + "seconds  result")
    for p in phases:
        print(f"{p.name:<104}{p.seconds:7.1f}  {'ok' if p.ok else 'FAILED'}")
    faults = [p for p in phases if p.instance_seconds is not None or p.ended_by]
    print(
        f"\ninstance-seconds left running after each fault (benchmark: at most the abandon window, {WINDOW} s here,"
        f" for a killed apply; at most two poll intervals, {2 * POLL_SECONDS} s, for the others)"
    )
    for p in faults:
        seconds = "-" if p.instance_seconds is None else f"{p.instance_seconds:.1f}"
        print(f"  {p.name:<110}{seconds:>7}  ended by {p.ended_by or 'unknown'}")
    failed = [p for p in phases if not p.ok]
    total = time.monotonic() - started
    print(
        f"\n{len(phases) - len(failed)} of {len(phases)} checks passed; total {total // 60:.0f} min {total % 60:.0f} s"
        f" (budget 12 min); logs in {root}/<group> (terraform.log, apply-*.log, instances*/)"
    )
    for p in failed:
        print(f"FAILED: {p.name}: {p.detail}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
