"""scripts/wait-for-compile.sh against the AWS emulator, with the real AWS CLI.

A thread plays the compile instance: it watches for the instance the waiter launches and
writes progress, the artifacts, a failure, or nothing, or terminates the instance.
Every test checks the exit code, what was printed, and that no instance is left running.
"""

from __future__ import annotations

import signal

import boto3
import pytest

from tests.support.emulator import Faults
from tests.support.waiter import Fleet, path_without_aws, publish_artifacts, start_waiter

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
    assert "differing in compiled/graph.neff: the artifacts do not match _SUCCESS, so they are compiled again" in run.output
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
