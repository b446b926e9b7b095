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

It prints a summary table of the phases and their timings, and exits non-zero if any check fails.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

import boto3

from tests.support.chat_model import build_tokenizer
from tests.support.emulator import Emulator
from tests.support.hub import Hub, Repo
from tests.support.instance import InstanceRun
from tests.support.sagemaker_host import materialise, start_instance

MODEL_ID = "rehearsal/tiny-chat-1m"
POLL_SECONDS = 5
# An Ubuntu image that moto serves; the real stacks resolve the Neuron DLAMI from SSM.
AMI_ID = "ami-785db401"


@dataclass
class Phase:
    name: str
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class Rehearsal:
    root: Path
    emulator: Emulator
    phases: list[Phase] = field(default_factory=list)

    def check(self, name: str, started: float, ok: bool, detail: str = "") -> bool:
        phase = Phase(name, time.monotonic() - started, ok, detail)
        self.phases.append(phase)
        mark = "ok  " if ok else "FAIL"
        print(
            f"[{mark}] {name} ({phase.seconds:.1f} s){': ' + detail if detail else ''}",
            flush=True,
        )
        return ok


class Worker(threading.Thread):
    """Plays EC2 for the compile instances the waiter launches.

    mode "boot": run the instance's user data (from its launch template) as cloud-init would;
    mode "fail": the same, with the Neuron compile failing; mode "die": terminate the instance
    without running anything, as a spot interruption or a crash would.
    """

    def __init__(self, root: Path, mode: str) -> None:
        super().__init__(daemon=True)
        self.root, self.mode = root, mode
        self.ec2 = boto3.client("ec2")
        self.seen: set[str] = {i["InstanceId"] for i in self._instances()}
        self.stopping = threading.Event()
        self.booted: list[str] = []
        self.event_at: datetime | None = None  # when the failure became visible
        self.errors: list[str] = []

    def _instances(self):
        return [i for r in self.ec2.describe_instances()["Reservations"] for i in r["Instances"]]

    def run(self) -> None:
        while not self.stopping.is_set():
            for instance in self._instances():
                if instance["InstanceId"] in self.seen or instance["State"]["Name"] != "running":
                    continue
                self.seen.add(instance["InstanceId"])
                try:
                    self._handle(instance)
                except Exception as error:  # noqa: BLE001 - reported in the summary
                    self.errors.append(f"{instance['InstanceId']}: {error}")
            self.stopping.wait(0.5)

    def _handle(self, instance: dict) -> None:
        instance_id = instance["InstanceId"]
        self.booted.append(instance_id)
        if self.mode == "die":
            time.sleep(POLL_SECONDS * 1.5)
            self.event_at = datetime.now(UTC)
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
        }
        if self.mode == "fail":
            env["NEURONX_STAND_IN_FAIL"] = "[XCG815] Estimated peak HBM usage (18.2 GB) exceeds 16GB"
        run = InstanceRun(self.root / instance_id).boot(user_data, env)
        if self.mode == "fail":
            self.event_at = datetime.now(UTC)
        (self.root / f"{instance_id}.console.log").write_text(run.console_text())


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
    # The failure paths compile other revisions, so that their cache keys are new.
    hub.repos[MODEL_ID] = Repo(files=files, branches=("main", "rehearsal-fail", "rehearsal-die", "rehearsal-hcl"))
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


def happy_path(r: Rehearsal, tf_env: dict[str, str], backend: str) -> None:
    """The two stacks, their state in local files or in S3 (with its lock file), the endpoint stack
    reading the compile stack's outputs from that state."""
    label = {"local": "local state", "s3": "S3 state"}[backend]
    outdir = r.root / f"two-stacks-{backend}" / "cdktf.out"
    config = {"NEURONX_BACKEND": backend}
    keep = set()
    if backend == "s3":
        boto3.client("s3").create_bucket(Bucket=STATE_BUCKET)
        # The artifacts in an existing bucket: the cdktf CLI phase has applied the created one.
        keep = {STATE_BUCKET, existing_bucket()}
        config.update(
            NEURONX_STATE_BUCKET=STATE_BUCKET,
            NEURONX_STATE_KEY_PREFIX="rehearsal/",
            NEURONX_BUCKET=EXISTING_BUCKET,
        )
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
    apply = tf("compile", "apply", "-auto-approve", "-input=false", "-no-color")
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

    if backend == "s3":
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
    destroyed = [
        tf(stack, "destroy", "-auto-approve", "-input=false", "-no-color") for stack in ("endpoint", "compile")
    ]
    left = leftovers(keep=keep)
    states = []
    if backend == "s3":
        s3 = boto3.client("s3")
        states = [o["Key"] for o in s3.list_objects_v2(Bucket=STATE_BUCKET).get("Contents", [])]
        for key in states:
            s3.delete_object(Bucket=STATE_BUCKET, Key=key)
        s3.delete_bucket(Bucket=STATE_BUCKET)
    expected_states = ["rehearsal/compile.tfstate", "rehearsal/endpoint.tfstate"] if backend == "s3" else []
    r.check(
        f"{label}: destroy both stacks: nothing left behind",
        t,
        [d.returncode for d in destroyed] == [0, 0] and not left and sorted(states) == expected_states,
        f"left: {left}; state objects: {states}" if left or sorted(states) != expected_states else "",
    )


def cdktf_cli(r: Rehearsal, tf_env: dict[str, str]) -> None:
    """The README's first way to deploy: `npx cdktf deploy --auto-approve compile endpoint` and
    `npx cdktf destroy`, with local state. cdktf runs the app command of cdktf.json and the
    toolchain's terraform; `--output` keeps its files (and the state beside them) in the rehearsal's
    directory instead of the repository's."""
    label = "cdktf CLI"
    outdir = r.root / "cdktf-cli" / "cdktf.out"
    env = example_env(outdir, tf_env)

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

    t = time.monotonic()
    destroy = cdktf("destroy", "--auto-approve", "endpoint", "compile")
    left = leftovers()
    r.check(
        f"{label}: npx cdktf destroy --auto-approve endpoint compile: nothing left behind",
        t,
        destroy.returncode == 0 and not left,
        f"left: {left}" if left else ((destroy.stdout + destroy.stderr)[-600:] if destroy.returncode else ""),
    )


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
    (tests/support/sagemaker_host: its model data from S3, its environment, the real toolkit)."""
    names = ("rehearsal-code-a", "rehearsal-code-b")
    t = time.monotonic()
    applied = []
    for name in names:
        code = r.root / "custom-code" / name
        code.mkdir(parents=True)
        (code / "inference.py").write_text(CUSTOM_CODE.format(name=name))
        root = r.root / name
        proc = synthesize(root / "cdktf.out", tf_env, NEURONX_ENDPOINT_NAME=name, NEURONX_CUSTOM_CODE_DIR=str(code))
        shutil.copy(compile_root / "terraform.compile.tfstate", root / "terraform.compile.tfstate")
        tf = Terraform(r, root / "cdktf.out" / "stacks", tf_env)
        init = tf("endpoint", "init", "-input=false", "-no-color")
        apply = tf("endpoint", "apply", "-auto-approve", "-input=false", "-no-color")
        applied.append((name, tf, proc.returncode == 0 and init.returncode == 0 and apply.returncode == 0, apply))
    ok = all(a[2] for a in applied)
    r.check(
        "local state: two more endpoints with different custom code on the same compile: applied",
        t,
        ok,
        "" if ok else "; ".join((a[3].stdout + a[3].stderr)[-400:] for a in applied if not a[2]),
    )

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

    t = time.monotonic()
    destroyed = [tf("endpoint", "destroy", "-auto-approve", "-input=false", "-no-color") for _, tf, _, _ in applied]
    left = [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"] if e["EndpointName"] in names]
    r.check(
        "local state: destroy the two endpoint stacks",
        t,
        all(d.returncode == 0 for d in destroyed) and not left,
        f"left: {left}" if left else "",
    )


def failure_path(r: Rehearsal, tf_env: dict[str, str], mode: str, title: str, reason: str) -> None:
    outdir = r.root / f"one-stack-{mode}" / "cdktf.out"
    t = time.monotonic()
    # Another revision, so the cache key is new: the compile must run.
    proc = synthesize(
        outdir,
        tf_env,
        NEURONX_STACK_LAYOUT="one-stack",
        NEURONX_REVISION=f"rehearsal-{mode}",
        NEURONX_BUCKET=existing_bucket(),
    )
    if not r.check(
        f"{title}: synthesize the one-stack layout",
        t,
        proc.returncode == 0,
        proc.stderr[-500:],
    ):
        return
    t = time.monotonic()
    tf = Terraform(r, outdir / "stacks", tf_env)
    tf("serving", "init", "-input=false", "-no-color")
    worker = Worker(r.root / f"instances-{mode}", mode)
    worker.start()
    apply = tf("serving", "apply", "-auto-approve", "-input=false", "-no-color")
    worker.stopping.set()
    output = apply.stdout + apply.stderr
    delay = seconds_to_report(output, worker.event_at) if worker.event_at else None
    in_time = delay is not None and delay <= 2 * POLL_SECONDS
    models = sagemaker_models()
    running = [i for i in leftovers(keep={EXISTING_BUCKET}) if i.startswith("instance i-")]
    ok = proc.returncode == 0 and apply.returncode != 0 and reason in output and in_time and not models and not running
    r.check(
        f"{title}: the apply fails with the reason within two polls, no SageMaker model",
        t,
        ok,
        f"reported {delay} s after the failure (polls every {POLL_SECONDS} s); models: {models}; running: {running}"
        + ("" if reason in output else f"; reason missing from: {output[-600:]}"),
    )
    t = time.monotonic()
    destroy = tf("serving", "destroy", "-auto-approve", "-input=false", "-no-color")
    left = leftovers(keep={EXISTING_BUCKET})
    r.check(
        f"{title}: destroy leaves nothing behind",
        t,
        destroy.returncode == 0 and not left,
        f"left: {left}" if left else "",
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
        "bucket_force_destroy": "true",
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
    left = leftovers()
    r.check(
        "HCL modules: destroy leaves nothing behind",
        t,
        destroy.returncode == 0 and not left,
        f"left: {left}" if left else (destroy.stderr[-400:] if destroy.returncode else ""),
    )


def main() -> int:
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="neuronx-rehearsal-"))
    emulator = Emulator().start()
    hub = hub_with_tiny_chat_model()
    hub_url = hub.start()
    for name, value in emulator.env().items():
        os.environ[name] = value
    os.environ["HF_ENDPOINT"] = hub_url
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    r = Rehearsal(root, emulator)
    print(
        f"rehearsal in {root}; AWS emulator {emulator.url}; Hub emulator {hub_url}",
        flush=True,
    )

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
        # Local state through the cdktf CLI (deploy, destroy); S3 state through plain terraform.
        cdktf_cli(r, tf_env)
        happy_path(r, tf_env, "s3")
        failure_path(
            r,
            tf_env,
            "fail",
            "a compile error",
            "the Neuron compile failed: RuntimeError: [XCG815]",
        )
        failure_path(r, tf_env, "die", "an instance that dies", "without a result")
        remove_bucket(EXISTING_BUCKET)
        hcl_modules(r, tf_env, emulator.url)
    finally:
        emulator.stop()
        hub.stop()

    print("\nphase" + " " * 99 + "seconds  result")
    for p in r.phases:
        print(f"{p.name:<104}{p.seconds:7.1f}  {'ok' if p.ok else 'FAILED'}")
    failed = [p for p in r.phases if not p.ok]
    print(
        f"\n{len(r.phases) - len(failed)} of {len(r.phases)} checks passed in {time.monotonic() - started:.0f} s; "
        f"logs in {root} (terraform.log, instances*/)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
