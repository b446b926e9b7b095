"""The cloudFormation compile waiter's instance side, against the emulator's CloudFormation.

The stack is created from the template the construct renders (scripts/render-waiter-template.ts);
its instance runs the launch template's user data (rendered by the construct's code) as cloud-init
would (tests/support/instance.py), finds its stack by the tag CloudFormation puts on it, and signals
the stack's wait condition. The emulator's wait conditions (tests/support/emulator.py) complete the
stack on SUCCESS and roll it back (terminating the instance) on FAILURE or at their timeout.
"""

from __future__ import annotations

import base64
import json
import subprocess
import time

import boto3
import pytest

from tests.conftest import objects
from tests.support.compile_env import PREFIX, user_data_env
from tests.support.instance import REPO_ROOT, InstanceRun, render_user_data, ship_compile_script

AMI_ID = "ami-785db401"  # an image moto serves
TOKEN = "terraform-create-token"  # the AWS provider's ClientRequestToken of the create


def waiter_template() -> str:
    tsx = REPO_ROOT / "node_modules" / ".bin" / "tsx"
    return subprocess.run(
        [str(tsx), str(REPO_ROOT / "scripts" / "render-waiter-template.ts")],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def compile_stack(tmp_path, s3, bucket, tiny_model):
    """Creates the waiter's stack over a launch template with the compile's user data; returns a
    function that runs the stack's instance (if any) to its end, and the stack's name."""
    ec2, cfn = boto3.client("ec2"), boto3.client("cloudformation")
    code_prefix = ship_compile_script(bucket)
    # A lease that nobody renews would stop the instance within two seconds: under a stack it is not armed.
    environment = user_data_env(tiny_model, code_prefix, abandon_seconds=2)
    user_data = render_user_data(environment, 30)
    template = ec2.create_launch_template(
        LaunchTemplateName="neuronx-compile-test",
        LaunchTemplateData={
            "ImageId": AMI_ID,
            "InstanceType": "inf2.xlarge",
            "UserData": base64.b64encode(user_data.encode()).decode(),
            "TagSpecifications": [
                {
                    "ResourceType": "instance",
                    "Tags": [{"Key": "neuronx:bucket", "Value": bucket}, {"Key": "neuronx:prefix", "Value": PREFIX}],
                }
            ],
        },
    )["LaunchTemplate"]

    def create(cache_hit: bool = False, deadline_minutes: int = 30) -> str:
        name = f"neuronx-compile-{'hit' if cache_hit else 'run'}"
        cfn.create_stack(
            StackName=name,
            TemplateBody=waiter_template(),
            ClientRequestToken=TOKEN,
            Parameters=[
                {"ParameterKey": "LaunchTemplateId", "ParameterValue": template["LaunchTemplateId"]},
                {"ParameterKey": "LaunchTemplateVersion", "ParameterValue": str(template["LatestVersionNumber"])},
                {"ParameterKey": "SubnetId", "ParameterValue": default_subnet(ec2)},
                {"ParameterKey": "ArtifactS3Url", "ParameterValue": f"s3://{bucket}/{PREFIX}"},
                {"ParameterKey": "CacheHit", "ParameterValue": "true" if cache_hit else "false"},
                {"ParameterKey": "TimeoutSeconds", "ParameterValue": str(deadline_minutes * 60)},
            ],
        )
        return name

    def run(name: str, **env: str) -> tuple[InstanceRun, str]:
        instance = stack_instance(ec2, name)
        version = ec2.describe_launch_template_versions(
            LaunchTemplateId=instance["tags"]["aws:ec2launchtemplate:id"],
            Versions=[instance["tags"]["aws:ec2launchtemplate:version"]],
        )["LaunchTemplateVersions"][0]
        script = base64.b64decode(version["LaunchTemplateData"]["UserData"]).decode()
        run = InstanceRun(tmp_path / instance["id"])
        run.boot(
            script,
            {
                "NEURONX_HOST_INSTANCE_ID": instance["id"],
                "NEURONX_HOST_ON_SHUTDOWN": f"aws ec2 terminate-instances --instance-ids {instance['id']} >/dev/null",
                **env,
            },
        )
        return run, instance["id"]

    return create, run


def default_subnet(ec2) -> str:
    return ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]["SubnetId"]


def stack_instance(ec2, stack: str) -> dict:
    found = [
        i
        for r in ec2.describe_instances(Filters=[{"Name": "tag:aws:cloudformation:stack-name", "Values": [stack]}])[
            "Reservations"
        ]
        for i in r["Instances"]
    ]
    assert len(found) == 1, found
    return {
        "id": found[0]["InstanceId"],
        "state": found[0]["State"]["Name"],
        "tags": {t["Key"]: t["Value"] for t in found[0]["Tags"]},
    }


def status(stack: str) -> str:
    return boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]


def failed_reasons(stack: str) -> list[str]:
    """What the AWS provider reports for a failed create: the failed events of its own request."""
    events = boto3.client("cloudformation").describe_stack_events(StackName=stack)["StackEvents"]
    return [
        e["ResourceStatusReason"]
        for e in events
        if e.get("ClientRequestToken") == TOKEN
        and e["ResourceStatus"].endswith("_FAILED")
        and e.get("ResourceStatusReason")
    ]


def test_the_stack_runs_the_instance_from_the_launch_template_and_waits(compile_stack):
    create, _ = compile_stack
    name = create()
    instance = stack_instance(boto3.client("ec2"), name)
    assert instance["state"] == "running"
    assert (
        instance["tags"]["neuronx:prefix"] == PREFIX
    )  # the launch template's tags: destroy and the waiter policy find it
    assert instance["tags"]["aws:cloudformation:logical-id"] == "CompileInstance"
    assert status(name) == "CREATE_IN_PROGRESS"


def test_success_is_signalled_after_success_is_written_and_verified(compile_stack, s3, bucket):
    create, run = compile_stack
    name = create()
    instance, instance_id = run(name)
    assert instance.halted, instance.console_text()
    assert PREFIX + "_SUCCESS" in objects(s3, bucket, PREFIX)
    console = instance.console_text()
    assert f"the stack {name} owns this instance" in console
    # The compile exits 0 (and the user data signals) only after checking _SUCCESS against S3.
    assert console.index("_SUCCESS verified") < console.index("compile finished")
    assert status(name) == "CREATE_COMPLETE"
    outputs = boto3.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]["Outputs"]
    assert [(o["OutputKey"], o["OutputValue"]) for o in outputs] == [("ArtifactS3Url", f"s3://{bucket}/{PREFIX}")]
    # No lease under a stack: the two-second abandon window would have stopped the compile with "abandoned".
    assert "abandoned" not in console


def test_a_compile_error_fails_the_stack_with_the_reason_and_rolls_back(compile_stack, s3, bucket):
    create, run = compile_stack
    name = create()
    instance, instance_id = run(name, NEURONX_STAND_IN_FAIL="[XCG815] Estimated peak HBM usage (18.2 GB) exceeds 16GB")
    assert instance.halted
    assert status(name) == "ROLLBACK_COMPLETE"
    reasons = failed_reasons(name)
    assert len(reasons) == 1, reasons
    assert reasons[0].startswith(
        "WaitCondition received failed message: 'the Neuron compile failed: RuntimeError: [XCG815]"
    )
    assert f"(log: s3://{bucket}/{PREFIX}_FAILURE.log)" in reasons[0]
    assert reasons[0].endswith(f"for uniqueId: {instance_id}")
    assert stack_instance(boto3.client("ec2"), name)["state"] == "terminated"


def test_a_cache_hit_launches_nothing(compile_stack):
    create, _ = compile_stack
    name = create(cache_hit=True)
    assert status(name) == "CREATE_COMPLETE"
    instances = boto3.client("ec2").describe_instances()["Reservations"]
    assert instances == []


def test_a_success_that_s3_does_not_match_is_found(compile_stack, s3, bucket):
    from neuronx_compile.store import ArtifactStore

    create, run = compile_stack
    run(create())
    store = ArtifactStore(s3, bucket, PREFIX)
    assert store.verify_success() is None
    s3.put_object(Bucket=bucket, Key=PREFIX + "compiled/extra.neff", Body=b"x")
    assert (
        store.verify_success()
        == "_SUCCESS lists {} objects and S3 holds {}, differing in compiled/extra.neff".format(*_counts(store))
    )


def _counts(store) -> tuple[int, int]:
    listed = store.s3.get_object(Bucket=store.bucket, Key=PREFIX + "_SUCCESS")["Body"].read().decode()
    want = len([line for line in listed.partition("--- objects ---\n")[2].splitlines() if line])
    return want, want + 1


def test_a_wait_condition_times_out_and_rolls_back(aws):
    """The emulator's wait condition on its own: no signal within its Timeout fails it with CloudFormation's reason."""
    cfn = boto3.client("cloudformation")
    template = {
        "Resources": {
            "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
            "Done": {
                "Type": "AWS::CloudFormation::WaitCondition",
                "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": "1"},
            },
        }
    }
    cfn.create_stack(StackName="wait", TemplateBody=json.dumps(template), ClientRequestToken=TOKEN)
    assert status("wait") == "CREATE_IN_PROGRESS"
    time.sleep(1.5)
    assert status("wait") == "ROLLBACK_COMPLETE"
    assert failed_reasons("wait") == ["WaitCondition timed out. Received 0 conditions when expecting 1"]
