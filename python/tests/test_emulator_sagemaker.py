"""The emulator's SageMaker behaviours that moto 5.2.5 lacks (tests/support/emulator.py): UpdateEndpoint with a
DeploymentConfig, and InvokeEndpointAsync that reads the request and writes the result where the endpoint
configuration's AsyncInferenceConfig says."""

from __future__ import annotations

import json

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

DEPLOYMENT = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
        "TerminationWaitInSeconds": 0,
        "MaximumExecutionTimeoutInSeconds": 600,
    }
}


@pytest.fixture
def sagemaker(aws):
    client = boto3.client("sagemaker")
    client.create_model(
        ModelName="m",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/i:1"},
    )
    return client


def config(sagemaker, name: str, count: int = 1, async_output: dict | None = None) -> None:
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": "m",
        "InstanceType": "ml.inf2.xlarge",
        "InitialInstanceCount": count,
    }
    extra = {"AsyncInferenceConfig": {"OutputConfig": async_output}} if async_output else {}
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant], **extra)


def test_update_endpoint_moves_to_the_new_configuration_and_keeps_the_deployment_config(sagemaker):
    config(sagemaker, "c1")
    config(sagemaker, "c2", count=2)
    sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    sagemaker.update_endpoint(EndpointName="e", EndpointConfigName="c2", DeploymentConfig=DEPLOYMENT)
    endpoint = sagemaker.describe_endpoint(EndpointName="e")
    assert endpoint["EndpointConfigName"] == "c2"
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["ProductionVariants"][0]["CurrentInstanceCount"] == 2
    assert endpoint["LastDeploymentConfig"] == DEPLOYMENT


def test_update_endpoint_refuses_what_does_not_exist(sagemaker):
    config(sagemaker, "c1")
    sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    with pytest.raises(ClientError, match="Could not find endpoint configuration"):
        sagemaker.update_endpoint(EndpointName="e", EndpointConfigName="missing")
    with pytest.raises(ClientError, match="Could not find endpoint"):
        sagemaker.update_endpoint(EndpointName="missing", EndpointConfigName="c1")
    assert sagemaker.describe_endpoint(EndpointName="e")["EndpointConfigName"] == "c1"
    assert "LastDeploymentConfig" not in sagemaker.describe_endpoint(EndpointName="e")


def queue(aws, *results: dict) -> None:
    r = requests.post(
        f"{aws.url}/moto-api/static/sagemaker/async-endpoint-results", json={"results": list(results)}, timeout=10
    )
    assert r.status_code == 201


def test_invoke_endpoint_async_writes_where_the_configuration_says(aws, sagemaker, s3):
    s3.create_bucket(Bucket="async-io")
    config(sagemaker, "c", async_output={"S3OutputPath": "s3://async-io/out/", "S3FailurePath": "s3://async-io/failed"})
    sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="c")
    runtime = boto3.client("sagemaker-runtime")
    s3.put_object(Bucket="async-io", Key="in/1.json", Body=b"{}")
    s3.put_object(Bucket="async-io", Key="in/2.json", Body=b"{}")
    queue(aws, {"data": json.dumps({"generated_text": "ok"})}, {"is_failure": True, "data": "it broke"})

    done = runtime.invoke_endpoint_async(EndpointName="e", InputLocation="s3://async-io/in/1.json")
    assert done["OutputLocation"].startswith("s3://async-io/out/") and done["OutputLocation"].endswith(".out")
    key = done["OutputLocation"].removeprefix("s3://async-io/")
    assert json.loads(s3.get_object(Bucket="async-io", Key=key)["Body"].read()) == {"generated_text": "ok"}

    failed = runtime.invoke_endpoint_async(EndpointName="e", InputLocation="s3://async-io/in/2.json")
    assert failed["FailureLocation"].startswith("s3://async-io/failed/") and failed["FailureLocation"].endswith(
        "-error.out"
    )
    key = failed["FailureLocation"].removeprefix("s3://async-io/")
    assert s3.get_object(Bucket="async-io", Key=key)["Body"].read() == b"it broke"
    with pytest.raises(ClientError):
        s3.head_object(Bucket="async-io", Key=failed["OutputLocation"].removeprefix("s3://async-io/"))

    # Nothing of moto's own result buckets is left.
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["async-io"]
    # The same request again: the same answer.
    again = runtime.invoke_endpoint_async(EndpointName="e", InputLocation="s3://async-io/in/1.json")
    assert again["OutputLocation"] == done["OutputLocation"]


def test_invoke_endpoint_async_refuses_a_real_time_or_missing_endpoint_and_a_missing_request(sagemaker, s3):
    s3.create_bucket(Bucket="async-io")
    config(sagemaker, "realtime")
    config(sagemaker, "async", async_output={"S3OutputPath": "s3://async-io/out/"})
    sagemaker.create_endpoint(EndpointName="realtime", EndpointConfigName="realtime")
    sagemaker.create_endpoint(EndpointName="async", EndpointConfigName="async")
    s3.put_object(Bucket="async-io", Key="in/1.json", Body=b"{}")
    runtime = boto3.client("sagemaker-runtime")
    with pytest.raises(ClientError, match="is not an asynchronous inference endpoint"):
        runtime.invoke_endpoint_async(EndpointName="realtime", InputLocation="s3://async-io/in/1.json")
    with pytest.raises(ClientError, match="Could not find endpoint"):
        runtime.invoke_endpoint_async(EndpointName="missing", InputLocation="s3://async-io/in/1.json")
    with pytest.raises(ClientError, match="Could not read the input location s3://async-io/in/none.json"):
        runtime.invoke_endpoint_async(EndpointName="async", InputLocation="s3://async-io/in/none.json")
