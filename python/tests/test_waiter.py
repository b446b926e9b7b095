"""scripts/wait-for-compile.sh against the AWS emulator, with the real AWS CLI.

A thread plays the compile instance: it watches for the instance the waiter launches and
writes progress, the artifacts, a failure, or nothing, or terminates the instance.
Every test checks the exit code, what was printed, and that no instance is left running.
"""

from __future__ import annotations

import os
import signal
import stat
import threading
import time

import boto3
import pytest

from tests.support.emulator import Faults
from tests.support.waiter import (
    PROGRESS_LINE,
    Fleet,
    path_without_aws,
    publish_artifacts,
    read_lock,
    run_from_template,
    start_waiter,
    waiter_process,
    write_lock,
)

PREFIX = "test-org/tiny-llama/main/neuronx-2.21.0/tp2-np2048-bs1-bf16-opt2/"


@pytest.fixture
def fleet(aws):
    return Fleet()


@pytest.fixture
def waiter_env(aws, bucket):
    ec2 = boto3.client("ec2")
    template = ec2.create_launch_template(
        LaunchTemplateName="neuronx-compile-test",
        LaunchTemplateData={
            "ImageId": "ami-0123456789abcdef0",
            "InstanceType": "inf2.xlarge",
            "InstanceInitiatedShutdownBehavior": "terminate",
            # As the construct's launch template: the instance carries its bucket and prefix.
            "TagSpecifications": [
                {
                    "ResourceType": "instance",
                    "Tags": [
                        {"Key": "Name", "Value": "neuronx-compile"},
                        {"Key": "neuronx:bucket", "Value": bucket},
                        {"Key": "neuronx:prefix", "Value": PREFIX},
                    ],
                }
            ],
        },
    )["LaunchTemplate"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    return {
        **aws.env(),
        "NEURONX_BUCKET": bucket,
        "NEURONX_PREFIX": PREFIX,
        "NEURONX_LAUNCH_TEMPLATE_ID": template["LaunchTemplateId"],
        "NEURONX_LAUNCH_TEMPLATE_VERSION": str(template["LatestVersionNumber"]),
        "NEURONX_SUBNET_IDS": " ".join(sorted(s["SubnetId"] for s in subnets)[:2]),
        "NEURONX_SPOT": "false",
        "NEURONX_DEADLINE_SECONDS": "300",
        "NEURONX_POLL_SECONDS": "1",
        "NEURONX_REGION": "us-east-1",
        "NEURONX_ACCOUNT_ID": "123456789012",
        "NEURONX_ABANDON_SECONDS": "60",
    }


def put(key: str, body: str) -> None:
    boto3.client("s3").put_object(Bucket="models", Key=PREFIX + key, Body=body.encode())


def progress(phase: str, done: int, total: int) -> str:
    return f"phase={phase}\nbytes_done={done}\nbytes_total={total}\nelapsed_seconds=5\ninstance_id=i-x\n"


def test_success_after_several_polls(waiter_env, fleet, tmp_path):
    run = start_waiter(waiter_env)
    run.wait_for(lambda: fleet.launched())
    put("_PROGRESS", progress("download", 1536 * 2**20, 3 * 2**30))
    run.wait_for(lambda: run.progress_lines() >= 3)
    publish_artifacts("models", PREFIX, tmp_path)
    assert run.wait() == 0, run.output
    assert "launched i-" in run.output and "(on-demand)" in run.output
    assert "phase download, 1.5 GiB of 3.0 GiB (50%)" in run.output
    assert "done in " in run.output and "holds 3 files" in run.output
    assert fleet.live() == []


def test_cache_hit_launches_nothing(waiter_env, fleet, tmp_path):
    publish_artifacts("models", PREFIX, tmp_path)
    run = start_waiter(waiter_env)
    assert run.wait() == 0, run.output
    assert "cache hit" in run.output and "no instance launched" in run.output
    assert fleet.instances() == []


def test_incomplete_artifacts_are_not_a_cache_hit(waiter_env, fleet, tmp_path):
    publish_artifacts("models", PREFIX, tmp_path)
    boto3.client("s3").delete_object(Bucket="models", Key=PREFIX + "compiled/graph.neff")
    run = start_waiter(waiter_env)
    run.wait_for(lambda: fleet.launched())
    assert (
        "differing in compiled/graph.neff: the artifacts do not match _SUCCESS, so they are compiled again"
        in run.output
    )
    publish_artifacts("models", PREFIX, tmp_path)
    assert run.wait() == 0, run.output
    assert len(fleet.instances()) == 1 and fleet.live() == []


def test_failure_marker_fails_with_the_reason_and_log_tail_within_two_polls(waiter_env, fleet):
    run = start_waiter(waiter_env)
    run.wait_for(lambda: run.progress_lines() >= 2)
    polls_before = run.progress_lines()
    instance = fleet.launched()["InstanceId"]
    put(
        "_FAILURE",
        f"reason=the Neuron compile failed: out of memory\nphase=compile\ninstance_id={instance}\n"
        "--- log tail ---\nline 1\nline 2\n",
    )
    assert run.wait() == 1
    assert run.progress_lines() - polls_before <= 1
    assert "the compile failed: the Neuron compile failed: out of memory" in run.output
    assert "phase: compile" in run.output
    assert "--- log tail ---\nline 1\nline 2" in run.output
    assert fleet.live() == []


def test_instance_gone_without_a_marker_fails_with_its_state_within_two_polls(waiter_env, fleet):
    run = start_waiter(waiter_env)
    run.wait_for(lambda: run.progress_lines() >= 2)
    polls_before = run.progress_lines()
    fleet.terminate(fleet.launched()["InstanceId"])
    assert run.wait() == 1
    assert run.progress_lines() - polls_before <= 1
    assert "is terminated without a result" in run.output
    assert fleet.live() == []


def test_deadline_terminates_the_instance_and_fails(waiter_env, fleet):
    run = start_waiter({**waiter_env, "NEURONX_DEADLINE_SECONDS": "4"})
    assert run.wait() == 1
    assert "the deadline of 0m04s passed in phase unknown" in run.output
    assert "raise deadlineMinutes" in run.output
    assert "terminated i-" in run.output
    assert fleet.live() == []


def test_spot_refused_falls_back_to_on_demand(waiter_env, fleet, tmp_path):
    Faults.refuse_spot = True
    run = start_waiter({**waiter_env, "NEURONX_SPOT": "true"})
    run.wait_for(lambda: fleet.launched())
    publish_artifacts("models", PREFIX, tmp_path)
    assert run.wait() == 0, run.output
    assert run.output.count("spot capacity refused in subnet-") == 2
    assert "spot capacity refused in every subnet; falling back to on-demand" in run.output
    assert "(on-demand)" in run.output
    assert [i.get("InstanceLifecycle") for i in fleet.instances()] == [None]
    assert fleet.live() == []


def test_spot_when_capacity_is_there(waiter_env, fleet, tmp_path):
    run = start_waiter({**waiter_env, "NEURONX_SPOT": "true"})
    run.wait_for(lambda: fleet.launched())
    publish_artifacts("models", PREFIX, tmp_path)
    assert run.wait() == 0, run.output
    assert "(spot)" in run.output
    assert [i.get("InstanceLifecycle") for i in fleet.instances()] == ["spot"]


def test_a_failure_marker_of_another_instance_is_not_this_compiles(waiter_env, fleet, tmp_path):
    put("_FAILURE", "reason=an earlier attempt failed\nphase=compile\ninstance_id=i-0ddddddddddddddd0\n")
    run = start_waiter(waiter_env)
    run.wait_for(lambda: run.progress_lines() >= 2)
    publish_artifacts("models", PREFIX, tmp_path)
    assert run.wait() == 0, run.output
    assert "an earlier attempt failed" not in run.output


def test_an_object_changed_after_success_is_not_a_cache_hit(waiter_env, fleet, tmp_path):
    publish_artifacts("models", PREFIX, tmp_path)
    s3 = boto3.client("s3")
    size = s3.head_object(Bucket="models", Key=PREFIX + "compiled/graph.neff")["ContentLength"]
    # Same key, same size, other bytes: only the ETag tells.
    s3.put_object(Bucket="models", Key=PREFIX + "compiled/graph.neff", Body=b"X" * size)
    run = start_waiter(waiter_env)
    run.wait_for(lambda: fleet.launched())
    assert "differing in compiled/graph.neff: the artifacts do not match _SUCCESS" in run.output
    assert "cache hit" not in run.output
    publish_artifacts("models", PREFIX, tmp_path)
    assert run.wait() == 0, run.output


def test_missing_aws_cli_fails_at_once(waiter_env, fleet):
    run = start_waiter(waiter_env, path_dirs=path_without_aws())
    assert run.wait() == 2
    assert "the AWS CLI (aws) is not on the PATH of the machine running terraform apply" in run.output
    assert "In Terraform Cloud, run on an agent whose image has the AWS CLI" in run.output
    assert fleet.instances() == []


def test_missing_credentials_fail_at_once(waiter_env, fleet):
    run = start_waiter({**waiter_env, "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None})
    assert run.wait() == 2
    assert "the AWS CLI has no working credentials for us-east-1 on this machine" in run.output
    assert "Unable to locate credentials" in run.output
    assert fleet.instances() == []


def test_missing_setting_fails_at_once(waiter_env, fleet):
    run = start_waiter({**waiter_env, "NEURONX_LAUNCH_TEMPLATE_ID": ""})
    assert run.wait() == 2
    assert "NEURONX_LAUNCH_TEMPLATE_ID is not set" in run.output
    assert fleet.instances() == []


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_terminates_the_instance(waiter_env, fleet, sig, code):
    run = start_waiter(waiter_env)
    run.wait_for(lambda: run.progress_lines() >= 1)
    run.process.send_signal(sig)
    assert run.wait() == code
    assert f"interrupted by SIG{sig.name[3:]}" in run.output
    assert "terminated i-" in run.output
    assert fleet.live() == []


def test_another_account_fails_at_once_naming_both(waiter_env, fleet):
    run = start_waiter({**waiter_env, "NEURONX_ACCOUNT_ID": "210987654321"})
    assert run.wait() == 2
    assert (
        "the AWS CLI on this machine uses account 123456789012, but the stack is applied to account 210987654321"
        in (run.output)
    )
    assert fleet.instances() == []


def test_an_aws_cli_without_conditional_writes_fails_at_once(waiter_env, fleet, tmp_path):
    # The real CLI behind a name that reports the last version without PutObject's If-Match.
    shim = tmp_path / "bin"
    shim.mkdir()
    real = shim.parent / "real-aws"
    real.symlink_to(os.path.join(os.path.dirname(os.sys.executable), "aws"))
    (shim / "aws").write_text(
        f'#!/bin/sh\n[ "$1" = --version ] && {{ echo "aws-cli/1.36.9 Python/3.11.7 Linux/6 botocore/1.35.68"; exit 0; }}\nexec {real} "$@"\n'
    )
    (shim / "aws").chmod(stat.S_IRWXU)
    run = start_waiter(waiter_env, path_dirs=[str(shim), *os.environ["PATH"].split(os.pathsep)])
    assert run.wait() == 2
    assert "the AWS CLI on this machine is 1.36.9; the compile waiter needs 1.36.10 or later" in run.output
    assert fleet.instances() == []


# ---- one writer per prefix: the lock, adoption, the lease ----------------------------------------


def test_two_waiters_started_together_run_one_instance_and_both_succeed(waiter_env, fleet, tmp_path):
    first, second = start_waiter(waiter_env), start_waiter(waiter_env)
    first.wait_for(lambda: fleet.launched())
    first.wait_for(lambda: "adopting i-" in first.output + second.output, timeout=90)
    publish_artifacts("models", PREFIX, tmp_path)
    assert first.wait() == 0, first.output
    assert second.wait() == 0, second.output
    both = first.output + second.output
    assert len(fleet.instances()) == 1
    assert both.count("launched i-") == 1 and both.count("adopting i-") == 1
    assert fleet.live() == []


def test_adopts_the_live_instance_named_by_the_lock_and_renews_its_lease(waiter_env, fleet, tmp_path):
    instance = run_from_template(waiter_env["NEURONX_LAUNCH_TEMPLATE_ID"])
    write_lock("models", PREFIX, "running", instance)
    run = start_waiter({**waiter_env, "NEURONX_ABANDON_SECONDS": "5"})
    run.wait_for(lambda: read_lock("models", PREFIX).get("renewed_by", "").startswith(("other-apply",)) is False)
    lock = read_lock("models", PREFIX)
    assert lock["state"] == "running" and lock["instance_id"] == instance and lock["owner"] == "other-apply:1:0"
    publish_artifacts("models", PREFIX, tmp_path)
    assert run.wait() == 0, run.output
    assert f"adopting {instance}, the compile instance of s3://models/{PREFIX} started by other-apply:1:0" in run.output
    assert "launched" not in run.output
    # An adopted instance is not this waiter's to terminate; it shuts itself down after _SUCCESS.
    assert [i["InstanceId"] for i in fleet.instances()] == [instance]


def test_adopts_a_tagged_instance_whose_launcher_died_before_recording_it(waiter_env, fleet, tmp_path):
    write_lock("models", PREFIX, "launching")
    instance = run_from_template(waiter_env["NEURONX_LAUNCH_TEMPLATE_ID"])
    run = start_waiter(waiter_env)
    run.wait_for(lambda: read_lock("models", PREFIX).get("instance_id") == instance)
    publish_artifacts("models", PREFIX, tmp_path)
    assert run.wait() == 0, run.output
    assert f"adopting {instance}" in run.output
    assert len(fleet.instances()) == 1


def test_takes_over_a_lock_whose_instance_is_gone(waiter_env, fleet, tmp_path):
    gone = run_from_template(waiter_env["NEURONX_LAUNCH_TEMPLATE_ID"])
    fleet.terminate(gone)
    write_lock("models", PREFIX, "running", gone)
    run = start_waiter(waiter_env)
    run.wait_for(lambda: fleet.launched())
    publish_artifacts("models", PREFIX, tmp_path)
    assert run.wait() == 0, run.output
    launched = [i["InstanceId"] for i in fleet.instances() if i["InstanceId"] != gone]
    assert f"launched {launched[0]}" in run.output
    assert read_lock("models", PREFIX)["state"] == "released"


def test_a_holder_that_publishes_and_ends_between_the_listing_and_the_lock_read_is_a_cache_hit(
    waiter_env, fleet, tmp_path
):
    """The race the rehearsal met when a second apply started as the first's compile ended: the poll lists
    the prefix (no _SUCCESS yet), the holder then publishes and terminates itself, and the poll reads the lock
    and finds its instance gone. The waiter takes the lock, looks once more, and launches nothing."""
    holder = run_from_template(waiter_env["NEURONX_LAUNCH_TEMPLATE_ID"])
    write_lock("models", PREFIX, "running", holder)
    published = threading.Event()

    def holder_finishes() -> None:
        publish_artifacts("models", PREFIX, tmp_path)
        fleet.terminate(holder)

    def on_lock_read(method: str, path: str, _query: str, service: str) -> bool:
        # Runs in the emulator's request thread, after the waiter's listing and before its lock read is answered.
        if service == "s3" and method == "GET" and path.endswith("_LOCK") and not published.is_set():
            finisher = threading.Thread(target=holder_finishes)
            finisher.start()
            finisher.join()
            published.set()
        return False  # the read itself goes through

    Faults.fail_requests(on_lock_read, 1)
    run = start_waiter(waiter_env)
    assert run.wait() == 0, run.output
    assert published.is_set()
    assert "published as this waiter took the lock; no instance launched" in run.output
    assert "launched i-" not in run.output
    assert [i["InstanceId"] for i in fleet.instances()] == [holder]
    assert read_lock("models", PREFIX)["state"] == "released"


def test_waits_for_a_launching_lock_and_takes_it_over_when_it_stays_unchanged(waiter_env, fleet, tmp_path):
    write_lock("models", PREFIX, "launching")
    run = start_waiter({**waiter_env, "NEURONX_ABANDON_SECONDS": "15"})
    run.wait_for(lambda: fleet.launched())
    assert "waiting for other-apply:1:0, which is launching the compile" in run.output
    assert "has not changed for " in run.output and "taking it over" in run.output
    publish_artifacts("models", PREFIX, tmp_path)
    assert run.wait() == 0, run.output


# ---- every exit path ends what it started ----------------------------------------------------------


def list_objects(method, path, query, service):
    return service == "s3" and method == "GET" and "list-type=2" in query


def test_a_failed_poll_after_launch_is_retried(waiter_env, fleet, tmp_path):
    run = start_waiter({**waiter_env, "AWS_MAX_ATTEMPTS": "1"})
    run.wait_for(lambda: run.progress_lines() >= 1)
    Faults.fail_requests(list_objects, 1)
    run.wait_for(lambda: "WARNING: could not list" in run.output)
    publish_artifacts("models", PREFIX, tmp_path)
    assert run.wait() == 0, run.output
    assert "(poll 1 of 3 before giving up): " in run.output and "SlowDown" in run.output


def test_polls_failing_three_times_in_a_row_fail_and_terminate_the_instance(waiter_env, fleet):
    run = start_waiter({**waiter_env, "AWS_MAX_ATTEMPTS": "1"})
    run.wait_for(lambda: run.progress_lines() >= 1)
    Faults.fail_requests(list_objects, 3)
    assert run.wait() == 1
    assert "could not list s3://models/" + PREFIX + " in 3 polls in a row" in run.output
    assert "terminated i-" in run.output
    assert fleet.live() == []
    assert read_lock("models", PREFIX)["state"] == "released"


def test_a_sigkill_of_the_waiter_leaves_its_guardian_to_terminate_the_instance(waiter_env, fleet):
    run = start_waiter(waiter_env)
    run.wait_for(lambda: run.progress_lines() >= 1)
    run.process.kill()  # what Terraform does to the provisioner's shell on cancel
    run.process.wait()
    deadline = time.monotonic() + 60
    while fleet.live() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert fleet.live() == []
    while read_lock("models", PREFIX)["state"] != "released" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert read_lock("models", PREFIX)["state"] == "released"
    assert run.wait() == -signal.SIGKILL
    assert "the waiter was killed; terminated i-" in run.output


def test_the_guardian_finishes_when_nobody_reads_its_output_any_more(waiter_env, fleet):
    # Terraform, cancelled, kills the shell and exits: the pipe the guardian writes to has no reader.
    # The test reads the pipe itself (no reader thread), so closing it leaves nothing reading it.
    process = waiter_process(waiter_env)
    for line in process.stdout:
        if PROGRESS_LINE in line:
            break
    process.kill()
    process.wait()
    process.stdout.close()
    deadline = time.monotonic() + 60
    while (fleet.live() or read_lock("models", PREFIX)["state"] != "released") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert fleet.live() == []
    assert read_lock("models", PREFIX)["outcome"] == "killed"


def test_expired_credentials_fail_at_once_and_leave_the_instance_to_its_lease(waiter_env, fleet):
    run = start_waiter({**waiter_env, "AWS_ACCESS_KEY_ID": "ASIAWAITEREXAMPLE01", "AWS_MAX_ATTEMPTS": "1"})
    run.wait_for(lambda: run.progress_lines() >= 1)
    Faults.refused_access_keys.add("ASIAWAITEREXAMPLE01")
    assert run.wait() == 1
    instance = fleet.launched()["InstanceId"]
    assert "the AWS CLI's credentials stopped working while waiting" in run.output and "ExpiredToken" in run.output
    assert f"could not terminate {instance}" in run.output
    assert "It stops itself when its lease is not renewed for 1m00s" in run.output
    # Nothing could be done with those credentials: the lease still names the instance, unrenewed.
    assert read_lock("models", PREFIX)["instance_id"] == instance


# ---- destroy -----------------------------------------------------------------------------------------


@pytest.fixture
def destroy_env(aws, bucket):
    return {
        **aws.env(),
        "NEURONX_ACTION": "destroy",
        "NEURONX_BUCKET": bucket,
        "NEURONX_PREFIX": PREFIX,
        "NEURONX_REGION": "us-east-1",
        "NEURONX_ACCOUNT_ID": "123456789012",
        "NEURONX_BUCKET_CREATED": "true",
        "NEURONX_BUCKET_FORCE_DESTROY": "false",
        "NEURONX_BUCKET_ADDRESS": "aws_s3_bucket.compile_artifacts",
        "NEURONX_SELF_ADDRESS": "terraform_data.compile_on_destroy",
        "NEURONX_FORCE_DESTROY_SETTING": "bucketForceDestroy: true",
    }


def test_destroy_terminates_the_instances_of_the_prefix(waiter_env, destroy_env, fleet):
    instance = run_from_template(waiter_env["NEURONX_LAUNCH_TEMPLATE_ID"])
    run = start_waiter(destroy_env)
    assert run.wait() == 0, run.output
    assert f"terminated the compile instances of s3://models/{PREFIX}: {instance}" in run.output
    assert fleet.live() == []


def test_destroy_refuses_while_the_created_bucket_holds_artifacts(destroy_env, fleet, tmp_path):
    publish_artifacts("models", PREFIX, tmp_path)
    boto3.client("s3").put_object(Bucket="models", Key="_neuronx/bootstrap/abc/neuronx_compile/main.py", Body=b"")
    run = start_waiter(destroy_env)
    assert run.wait() == 1
    assert "destroy refused: the bucket models holds 6 object versions" in run.output
    assert "set bucketForceDestroy: true, apply, then destroy" in run.output
    assert "terraform state rm 'aws_s3_bucket.compile_artifacts' 'terraform_data.compile_on_destroy'" in run.output


@pytest.mark.parametrize("setting", [{"NEURONX_BUCKET_FORCE_DESTROY": "true"}, {"NEURONX_BUCKET_CREATED": "false"}])
def test_destroy_goes_ahead_when_the_bucket_is_emptied_by_terraform_or_not_this_stacks(
    destroy_env, fleet, tmp_path, setting
):
    publish_artifacts("models", PREFIX, tmp_path)
    run = start_waiter({**destroy_env, **setting})
    assert run.wait() == 0, run.output
    assert "no compile instance of s3://models/" in run.output
