"""The compile instance's user data, run as cloud-init would run it, against the emulators."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest

from tests.conftest import objects
from tests.support.compile_env import PREFIX, user_data_env
from tests.support.instance import HOST_TOOLS, InstanceRun, render_user_data, ship_compile_script


@pytest.fixture
def boot(tmp_path, s3, bucket, tiny_model):
    code_prefix = ship_compile_script(bucket)

    def run(
        deadline_minutes: int = 180, abandon_seconds: int = 600, rendered: dict[str, str] | None = None, **env: str
    ) -> InstanceRun:
        environment = user_data_env(tiny_model, code_prefix, abandon_seconds)
        environment.update(rendered or {})
        return InstanceRun(tmp_path / "instance").boot(render_user_data(environment, deadline_minutes), env)

    return run


def test_compiles_in_the_serving_image_and_terminates(boot, s3, bucket):
    instance = boot()
    store = objects(s3, bucket, PREFIX)
    assert instance.halted, instance.console_text()
    assert PREFIX + "_SUCCESS" in store and PREFIX + "_FAILURE" not in store
    calls = instance.calls()
    assert calls[-1] == "shutdown -h now neuronx-compile finished"
    pulled = [c for c in calls if c.startswith("docker pull")]
    ran = [c for c in calls if c.startswith("docker run")]
    assert pulled == [
        "docker pull --quiet 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference-neuronx:2.5.1-neuronx-py310-sdk2.21.0-ubuntu22.04"
    ]
    assert "--device=" in ran[0] and "--network host" in ran[0]
    assert ran[0].endswith("pytorch-inference-neuronx:2.5.1-neuronx-py310-sdk2.21.0-ubuntu22.04 -m neuronx_compile")


def test_arms_the_deadline_watchdog_first(boot):
    calls = boot(deadline_minutes=95).calls()
    assert calls[0] == "shutdown -h +95 neuronx-compile deadline reached"


def test_installs_nothing_when_the_ami_has_docker(boot):
    assert not [c for c in boot().calls() if "apt-get" in c]


def test_copies_its_log_to_the_console(boot):
    console = boot().console_text()
    assert "neuronx-compile: instance i-0123456789abcdef0 compiling test-org/tiny-llama@main" in console
    assert "neuronx-compile: running the compile in " in console and "with 1 Neuron devices" in console
    assert "phase publish" in console


def test_the_instance_id_reaches_the_progress_marker(boot, s3, bucket):
    boot(NEURONX_HOST_INSTANCE_ID="i-0fedcba9876543210")
    progress = objects(s3, bucket, PREFIX)[PREFIX + "_PROGRESS"].decode()
    assert "instance_id=i-0fedcba9876543210" in progress


def test_a_bootstrap_failure_writes_the_failure_marker_and_the_log_then_shuts_down(boot, s3, bucket):
    instance = boot(NEURONX_HOST_FAIL_PULL="1")
    store = objects(s3, bucket, PREFIX)
    assert instance.returncode != 0
    failure = store[PREFIX + "_FAILURE"].decode()
    assert failure.startswith("reason=bootstrap failed with exit status 1 at user data line ")
    assert "manifest unknown" in failure.split("--- log tail ---")[1]
    assert b"manifest unknown" in store[PREFIX + "_FAILURE.log"]
    assert PREFIX + "_SUCCESS" not in store
    assert instance.calls()[-1] == "shutdown -h now neuronx-compile failed"


def test_a_compile_failure_keeps_the_compile_scripts_reason(boot, s3, bucket):
    instance = boot(NEURONX_STAND_IN_FAIL="Too many instructions after unroll")
    store = objects(s3, bucket, PREFIX)
    assert instance.returncode != 0
    failure = store[PREFIX + "_FAILURE"].decode()
    assert "reason=the Neuron compile failed: RuntimeError: Too many instructions after unroll" in failure
    assert b"Too many instructions after unroll" in store[PREFIX + "_FAILURE.log"]
    assert instance.calls()[-1] == "shutdown -h now neuronx-compile failed"


def test_no_neuron_device_fails_clearly(tmp_path, boot, s3, bucket):
    instance = boot(NEURONX_DEVICES_DIR=str(tmp_path / "empty"))
    failure = objects(s3, bucket, PREFIX)[PREFIX + "_FAILURE"].decode()
    assert instance.returncode != 0
    assert "no Neuron devices in" in failure and "no driver, or not inf2" in failure


def test_a_cpu_compile_host_runs_the_container_with_no_device(tmp_path, boot, s3, bucket):
    instance = boot(rendered={"NEURONX_COMPILE_DEVICES": "none"}, NEURONX_DEVICES_DIR=str(tmp_path / "empty"))
    assert PREFIX + "_SUCCESS" in objects(s3, bucket, PREFIX), instance.console_text()
    [ran] = [c for c in instance.calls() if c.startswith("docker run")]
    assert "--device" not in ran
    assert "with 0 Neuron devices" in instance.console_text()


# ---- the lease: the watchdog the waiter's lease keeps from shutting the instance down ----------

LOCK = PREFIX + "_LOCK"
INSTANCE = "i-0123456789abcdef0"  # what the IMDS stand-in answers


def lease(state: str, instance_id: str, serial: int = 1) -> bytes:
    return f"state={state}\ninstance_id={instance_id}\nowner=test:1:0\nserial={serial}\n".encode()


def test_an_unrenewed_lease_abandons_the_compile_and_halts_the_instance(boot, s3, bucket):
    s3.put_object(Bucket=bucket, Key=LOCK, Body=lease("running", INSTANCE))
    started = time.monotonic()
    # The compile alone would take 120 seconds; nobody renews the lease.
    instance = boot(abandon_seconds=4, NEURONX_STAND_IN_COMPILE_SECONDS="120")
    took = time.monotonic() - started
    store = objects(s3, bucket, PREFIX)
    assert instance.halted
    assert took < 60, f"the instance ran {took:.0f} s"
    assert instance.calls()[-1] == "shutdown -h now neuronx-compile abandoned"
    failure = store[PREFIX + "_FAILURE"].decode()
    assert failure.startswith(f"reason=abandoned: the lease s3://{bucket}/{LOCK} was not renewed for ")
    assert "phase=lease" in failure and f"instance_id={INSTANCE}" in failure
    assert PREFIX + "_SUCCESS" not in store


def test_a_renewed_lease_keeps_the_compile_running_to_the_end(boot, s3, bucket):
    s3.put_object(Bucket=bucket, Key=LOCK, Body=lease("running", INSTANCE))
    stop = threading.Event()

    def renew():  # as the waiter does: a new body (serial), so a new ETag
        serial = 1
        while not stop.wait(1):
            serial += 1
            boto3.client("s3").put_object(Bucket=bucket, Key=LOCK, Body=lease("running", INSTANCE, serial))

    renewer = threading.Thread(target=renew, daemon=True)
    renewer.start()
    try:
        # The compile takes three lease windows.
        instance = boot(abandon_seconds=4, NEURONX_STAND_IN_COMPILE_SECONDS="12")
    finally:
        stop.set()
        renewer.join()
    store = objects(s3, bucket, PREFIX)
    assert instance.calls()[-1] == "shutdown -h now neuronx-compile finished", instance.console_text()
    assert PREFIX + "_SUCCESS" in store and PREFIX + "_FAILURE" not in store


def test_a_lease_naming_another_instance_halts_at_once_without_a_failure_marker(boot, s3, bucket):
    s3.put_object(Bucket=bucket, Key=LOCK, Body=lease("running", "i-0aaaaaaaaaaaaaaaa"))
    instance = boot(abandon_seconds=600, NEURONX_STAND_IN_COMPILE_SECONDS="120")
    store = objects(s3, bucket, PREFIX)
    assert instance.halted
    assert instance.calls()[-1] == "shutdown -h now neuronx-compile superseded"
    assert "another compile owns" in instance.console_text()
    assert PREFIX + "_FAILURE" not in store and PREFIX + "_SUCCESS" not in store


HOSTILE = {
    "NEURONX_QUOTE": "x'; touch {canary}; echo '",
    "NEURONX_SUBSTITUTION": "$(touch {canary})",
    "NEURONX_BACKTICKS": "`touch {canary}`",
    "NEURONX_NEWLINE": "a\ntouch {canary}\n",
    "NEURONX_SEMICOLON": "a; touch {canary} && b | c > d",
    "NEURONX_TEMPLATES": "${{HOME}} %{{ if true }}x%{{ endif }} $${{y}}",
    "NEURONX_BACKSLASHES": "\\'\\\\ \\n",
}


def test_hostile_values_in_the_exports_stay_data(tmp_path):
    """Every kind of shell and template syntax, through the construct's renderer: bash sees data."""
    canary = tmp_path / "canary"
    values = {k: v.format(canary=canary) for k, v in HOSTILE.items()}
    script = render_user_data(values)
    header = script[: script.index("\n\n")]
    dump = tmp_path / "values"
    check = header + "\n" + "".join(f'printf "%s\\0" "${k}" >> {dump}\n' for k in sorted(values))
    (tmp_path / "header.sh").write_text(check)
    subprocess.run(["/bin/bash", str(tmp_path / "header.sh")], check=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert not canary.exists()
    assert dump.read_text().split("\0")[:-1] == [values[k] for k in sorted(values)]


def test_a_hostile_model_id_and_revision_run_nothing_on_the_instance(tmp_path, boot, s3, bucket):
    """The whole user data, with the stand-ins: the values reach the compile as data and fail it as such."""
    canary = tmp_path / "canary"
    model_id = f"org/x'; touch {canary}; echo '"
    instance = boot(rendered={"NEURONX_MODEL_ID": model_id, "NEURONX_REVISION": f"$(touch {canary})"})
    assert instance.calls()[-1] == "shutdown -h now neuronx-compile failed"
    assert not canary.exists()
    console = instance.console_text()
    assert f"compiling {model_id}@$(touch {canary}) into" in console


@pytest.fixture
def without_aws_cli(tmp_path):
    """A PATH like an AMI without the AWS CLI: the host stand-ins, Python, and where apt-get installs the CLI."""
    bin_dir = tmp_path / "usr-local-bin"
    bin_dir.mkdir()
    python = bin_dir / "python3"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')  # the venv's Python, with its packages
    python.chmod(0o755)
    assert not shutil.which("aws", path=f"{bin_dir}:/usr/bin:/bin")
    return {
        "PATH": os.pathsep.join([str(HOST_TOOLS), str(bin_dir), "/usr/bin", "/bin"]),
        "NEURONX_HOST_AWS": str(Path(sys.executable).parent / "aws"),
        "NEURONX_HOST_INSTALL_DIR": str(bin_dir),
    }


def test_installs_the_aws_cli_when_the_ami_lacks_it_and_compiles(boot, s3, bucket, without_aws_cli):
    instance = boot(**without_aws_cli)
    assert instance.halted and instance.calls()[-1] == "shutdown -h now neuronx-compile finished", (
        instance.console_text()
    )
    assert [c for c in instance.calls() if c.startswith("apt-get install")] == ["apt-get install -y -q awscli"]
    assert PREFIX + "_SUCCESS" in objects(s3, bucket, PREFIX)


def test_without_the_aws_cli_a_failure_still_leaves_the_failure_marker(boot, s3, bucket, without_aws_cli):
    instance = boot(NEURONX_HOST_FAIL_PULL="1", **without_aws_cli)
    store = objects(s3, bucket, PREFIX)
    assert instance.calls()[-1] == "shutdown -h now neuronx-compile failed"
    assert store[PREFIX + "_FAILURE"].decode().startswith("reason=bootstrap failed with exit status 1")
    assert "the AWS CLI is missing from the AMI; installing awscli" in instance.console_text()
