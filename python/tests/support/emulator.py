"""The AWS emulator for the tests: moto server on 127.0.0.1, with the behaviours moto lacks.

- moto never refuses capacity, so `Faults.refuse_spot` makes RunInstances with spot market
  options fail with EC2's InsufficientInstanceCapacity, as a region without spot capacity does.
- moto's endpoint configurations accept no Inferentia2 instance type, which SageMaker offers
  (ml.inf2.xlarge to ml.inf2.48xlarge); they are accepted here.
- S3 Control puts the account id in front of the endpoint's host (123456789012.127.0.0.1),
  which no resolver knows; `Emulator.proxy_url` is an HTTP proxy that takes those requests
  to moto under the host name moto routes to S3 Control. The AWS provider (6.x reads bucket
  tags through S3 Control) reaches it through HTTP_PROXY; direct loopback calls bypass it.
- moto evaluates policy conditions with StringEquals only, knows no aws:SecureTransport, and
  reads a Deny statement whose condition does not hold as a denial, so a TLS-only bucket policy
  (Deny when aws:SecureTransport is false) would deny every request. Here Bool is evaluated, a
  Deny whose condition does not hold does not apply, and requests count as secure: every client
  of the stacks uses HTTPS on AWS; the emulator is plain HTTP only because it is on loopback.
- Where moto's answers differ from AWS's in what Terraform reads back (which would make a
  second plan show changes that AWS would not): tags sent with CreateBucket are kept; a launch
  template's own tags stay out of its versions' data; an endpoint configuration without data
  capture has none (moto answers an empty one); a model keeps its network isolation (moto
  forgets it) and has no VPC configuration unless it was given one.
- moto fails (500) to delete a delete marker of a versioned bucket, which emptying the bucket
  (force_destroy) does; a delete marker has nothing to dispose of.
- moto checks S3's conditional writes (If-None-Match: *, If-Match: <ETag>) and then writes, in
  two steps that two threads of its server can interleave; S3 makes the check and the write one
  atomic step (a concurrent conditional write gets 409 ConditionalRequestConflict or 412). The
  compile's lock relies on that, so conditional PutObjects are serialized here.
- moto accepts every access key. `Faults.refused_access_keys` makes it answer ExpiredToken to
  requests signed with a key, as AWS does once a session's credentials expire (assumed roles,
  SSO, CI OIDC tokens outlive an apply less often than a compile takes).
- AWS fails a request now and then (throttling, a 5xx); `Faults.fail_requests` makes the next
  requests that match a predicate fail with 503 SlowDown, for the waiter's retries.
- moto's CloudFormation creates AWS::EC2::Instance only from an ImageId and ignores a LaunchTemplate,
  which AWS accepts in its place (the cloudFormation compile waiter's stack runs the instance from the
  compile's launch template): an instance with a LaunchTemplate is run through RunInstances' own
  launch-template path here, with the template's tags and user data, as EC2 does.
- moto treats AWS::CloudFormation::WaitCondition and WaitConditionHandle as no-ops, so a stack is
  CREATE_COMPLETE before anything signals. Here a handle is a URL on the emulator's proxy (on AWS, a
  presigned S3 URL) that takes the signal JSON of a PUT ({"Status", "Reason", "UniqueId", "Data"});
  the stack stays CREATE_IN_PROGRESS until its wait conditions have Count SUCCESS signals, and a
  FAILURE signal or the Timeout fails the wait condition with CloudFormation's reason ("WaitCondition
  received failed message: '<reason>' for uniqueId: <id>", "WaitCondition timed out. Received n
  conditions when expecting m") and rolls the stack back (its resources deleted: the instance is
  terminated) to ROLLBACK_COMPLETE. The state moves when DescribeStacks or DescribeStackEvents is
  answered. moto's events carry no ClientRequestToken, by which the AWS provider picks the events of
  its own create to report (terraform-provider-aws internal/service/cloudformation/stack.go,
  findStackEventsForOperation); they carry the CreateStack's token here.
- moto 5.2.5 has no UpdateEndpoint, which the AWS provider calls when an endpoint moves to a new
  endpoint configuration (with its deployment_config): here the endpoint moves to the new
  configuration (which must exist, as SageMaker checks) and keeps the DeploymentConfig it was
  given, which DescribeEndpoint answers as LastDeploymentConfig, as SageMaker does. Endpoints here
  are InService at once; SageMaker's blue/green or rolling steps are not emulated.
- moto answers InvokeEndpointAsync for any endpoint, whether it exists or is asynchronous, without
  reading the request, and writes the result into a bucket of its own. Here, as SageMaker does,
  the endpoint must exist with an AsyncInferenceConfig, the input object must exist, and the
  result (moto's queued one) is written below the configuration's S3OutputPath as `<id>.out`, or
  below its S3FailurePath as `<id>-error.out`, and those locations are answered; moto's own result
  bucket is removed.
Everything else is moto as published.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import secrets
import socket
import threading
import time
import uuid
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import requests
import xmltodict
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.models import CloudFormationBackend, Event
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models import ec2_backends
from moto.ec2.models.instances import Instance, InstanceBackend
from moto.ec2.models.launch_templates import LaunchTemplateBackend
from moto.iam import access_control, policy_conditions
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.s3.models import FakeDeleteMarker
from moto.s3.responses import S3Response
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, Model, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.models import SageMakerRuntimeBackend
from moto.server import ThreadedMotoServer


class Faults:
    """Switches for behaviours of real AWS that moto does not have."""

    refuse_spot = False
    # Access key ids whose requests are refused as expired credentials.
    refused_access_keys: set[str] = set()  # noqa: RUF012 - a switch shared by the server's threads
    # [predicate(method, path, query, service), remaining count] of requests to fail with 503.
    failures: list[list] = []  # noqa: RUF012

    @classmethod
    def fail_requests(cls, predicate, count: int) -> None:
        """Fails the next `count` requests for which predicate(method, path, query, service) holds."""
        cls.failures.append([predicate, count])

    @classmethod
    def reset(cls) -> None:
        cls.refuse_spot = False
        cls.refused_access_keys = set()
        cls.failures = []


CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/")


def _error_response(service: str, status: int, code: str, message: str):
    """An error in the wire format of the service's protocol."""
    if service == "s3":
        return status, "application/xml", f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    if service == "ec2":
        body = f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>emulator</RequestID></Response>"
        return status, "text/xml", body
    if service in ("sts", "iam"):
        body = f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>emulator</RequestId></ErrorResponse>"
        return status, "text/xml", body
    return status, "application/x-amz-json-1.1", f'{{"__type": "{code}Exception", "message": "{message}"}}'


_dispatch = DomainDispatcherApplication.__call__


def _dispatch_with_faults(self, environ, start_response):
    found = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    key, service = found.groups() if found else ("", "")
    answer = None
    if key in Faults.refused_access_keys:
        answer = _error_response(service, 400, "ExpiredToken", "The security token included in the request is expired")
    else:
        request = (
            environ.get("REQUEST_METHOD", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            service,
        )
        for failure in Faults.failures:
            if failure[1] > 0 and failure[0](*request):
                failure[1] -= 1
                answer = _error_response(service, 503, "SlowDown", "Please reduce your request rate.")
                break
    if answer is None:
        return _dispatch(self, environ, start_response)
    status, content_type, body = answer
    payload = body.encode()
    start_response(f"{status} Error", [("Content-Type", content_type), ("Content-Length", str(len(payload)))])
    return [payload]


DomainDispatcherApplication.__call__ = _dispatch_with_faults


_run_instances = InstanceBackend.run_instances


def _run_instances_with_capacity(self, *args, **kwargs):
    if Faults.refuse_spot and kwargs.get("instance_market_options") == "spot":
        raise EC2ClientError(
            "InsufficientInstanceCapacity",
            "There is no Spot capacity available that matches your request.",
        )
    return _run_instances(self, *args, **kwargs)


InstanceBackend.run_instances = _run_instances_with_capacity

_validate_instance_type = FakeEndpointConfig.validate_instance_type
INF2_TYPES = {"ml.inf2.xlarge", "ml.inf2.8xlarge", "ml.inf2.24xlarge", "ml.inf2.48xlarge"}


def _validate_instance_type_with_inf2(self, instance_type):
    if instance_type not in INF2_TYPES:
        _validate_instance_type(self, instance_type)


FakeEndpointConfig.validate_instance_type = _validate_instance_type_with_inf2

policy_conditions.CONDITION_OPERATIONS.setdefault(
    "Bool",
    lambda expected, actual: (
        str(actual).lower() in [str(e).lower() for e in (expected if isinstance(expected, list) else [expected])]
    ),
)
_statement_permits = access_control.IAMPolicyStatement.is_action_permitted


def _statement_permits_over_tls(self, action, resource="*", principal=None, incoming_condition_values=None):
    incoming = {"aws:SecureTransport": "true", **(incoming_condition_values or {})}
    statement = self._statement
    if statement.get("Effect") == "Deny" and statement.get("Condition") and not self._check_conditions(incoming):
        return access_control.PermissionResult.NEUTRAL
    return _statement_permits(self, action, resource, principal, incoming)


access_control.IAMPolicyStatement.is_action_permitted = _statement_permits_over_tls

_bucket_put = S3Response._bucket_response_put


def _bucket_put_keeping_tags(self, request, bucket_name, querystring):
    result = _bucket_put(self, request, bucket_name, querystring)
    if not querystring and self.body:
        try:
            config = xmltodict.parse(self.body).get("CreateBucketConfiguration") or {}
        except Exception:  # noqa: BLE001 - no configuration, no tags
            config = {}
        tags = (config.get("Tags") or {}).get("Tag")
        if tags:
            tags = tags if isinstance(tags, list) else [tags]
            self.backend.put_bucket_tagging(bucket_name, {t["Key"]: t.get("Value") or "" for t in tags})
    return result


S3Response._bucket_response_put = _bucket_put_keeping_tags

_put_object = S3Response.put_object
_conditional_writes = threading.Lock()


def _put_object_atomically(self):
    if self.headers.get("If-None-Match") or self.headers.get("If-Match"):
        with _conditional_writes:
            return _put_object(self)
    return _put_object(self)


S3Response.put_object = _put_object_atomically

_create_launch_template = LaunchTemplateBackend.create_launch_template


def _create_launch_template_without_own_tags(self, name, description, template_data, tag_spec=None):
    specs = template_data.get("TagSpecifications")
    if specs:
        template_data["TagSpecifications"] = [s for s in specs if s.get("ResourceType") != "launch-template"]
    return _create_launch_template(self, name, description, template_data, tag_spec)


LaunchTemplateBackend.create_launch_template = _create_launch_template_without_own_tags

_describe_endpoint_config = SageMakerModelBackend.describe_endpoint_config


def _describe_endpoint_config_without_empty_capture(self, endpoint_config_name):
    response = dict(_describe_endpoint_config(self, endpoint_config_name))
    # Only the answer changes: moto's own CreateEndpoint reads the key from the model.
    if not response.get("DataCaptureConfig"):
        response.pop("DataCaptureConfig", None)
    return response


SageMakerResponse.describe_endpoint_config = lambda self: ActionResult(
    _describe_endpoint_config_without_empty_capture(self.sagemaker_backend, self._get_param("EndpointConfigName"))
)
# One line a request would bury a failing test's output.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ACCOUNT_HOST = re.compile(r"^(\d{12})\.127\.0\.0\.1(?::\d+)?$")


def _proxy_handler(moto_port: int, region: str):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _forward(self):
            if self.path.startswith("/_wait-condition/"):
                length = int(self.headers.get("Content-Length") or 0)
                taken = self.command == "PUT" and _take_signal(self.path, self.rfile.read(length))
                self.send_response(200 if taken else 403)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            target = urlsplit(self.path)
            account = ACCOUNT_HOST.match(target.netloc)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
            if account:
                headers["Host"] = f"{account.group(1)}.s3-control.{region}.amazonaws.com"
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            path = target.path + (f"?{target.query}" if target.query else "")
            upstream = http.client.HTTPConnection("127.0.0.1", moto_port, timeout=60)
            upstream.request(self.command, path, body=body, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
            self.send_response(response.status, response.reason)
            for k, v in response.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

    return Handler


class Emulator:
    """A moto server in this process, reachable by subprocesses (the AWS CLI) too."""

    def __init__(self, region: str = "us-east-1") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.region = region
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._proxy = ThreadingHTTPServer(("127.0.0.1", 0), _proxy_handler(self.port, region))
        self.proxy_url = f"http://127.0.0.1:{self._proxy.server_address[1]}"
        # Wait condition handles are URLs on the proxy (an emulator runs alone in its process).
        _wait_condition_base["url"] = f"{self.proxy_url}/_wait-condition"

    def start(self) -> Emulator:
        self._server.start()
        threading.Thread(target=self._proxy.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._proxy.shutdown()
        self._server.stop()

    def reset(self) -> None:
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
        Faults.reset()

    def env(self) -> dict[str, str]:
        """Environment for the AWS CLI and boto3 pointed at the emulator, with fake credentials."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
        }


_create_model = SageMakerResponse.create_model


def _create_model_keeping_isolation(self):
    result = _create_model(self)
    model = self.sagemaker_backend.describe_model(self._get_param("ModelName"))
    model.enable_network_isolation = bool(self._get_param("EnableNetworkIsolation", False))
    return result


SageMakerResponse.create_model = _create_model_keeping_isolation
_model_response = Model.response_object.fget
Model.response_object = property(lambda self: {k: v for k, v in _model_response(self).items() if k != "VpcConfig" or v})

FakeDeleteMarker.dispose = lambda self, garbage=False: None

# ---- CloudFormation: instances from a launch template, wait conditions and their signals ----------

_instance_from_cloudformation = Instance.create_from_cloudformation_json.__func__


def _instance_from_launch_template(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    properties = cloudformation_json["Properties"]
    template = properties.get("LaunchTemplate")
    if not template or properties.get("ImageId"):
        return _instance_from_cloudformation(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    backend = ec2_backends[account_id][region_name]
    spec = {k: str(v) for k, v in template.items() if k in ("LaunchTemplateId", "LaunchTemplateName", "Version")}
    data = backend._get_template_from_args(spec).data
    reservation = backend.run_instances(
        data.get("ImageId"),
        1,
        None,
        [],
        instance_type=properties.get("InstanceType", "m1.small"),
        is_instance_type_default=not properties.get("InstanceType"),
        region_name=region_name,
        subnet_id=properties.get("SubnetId"),
        launch_template=spec,
        instance_initiated_shutdown_behavior=data.get("InstanceInitiatedShutdownBehavior"),
    )
    return reservation.instances[0]


Instance.create_from_cloudformation_json = classmethod(_instance_from_launch_template)

# Signals received, by handle token: [{"Status", "Reason", "UniqueId", "Data"}, ...]
_signals: dict[str, list[dict]] = {}
_wait_condition_base = {"url": "http://127.0.0.1:0/_wait-condition"}


class WaitConditionHandle(CloudFormationModel):
    """A URL that takes the wait condition's signals (on AWS, a presigned S3 URL)."""

    def __init__(self, token: str) -> None:
        self.token = token
        _signals[token] = []

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFormation::WaitConditionHandle"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # noqa: PLR0913
        return cls(secrets.token_hex(16))

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass

    @property
    def physical_resource_id(self) -> str:
        return f"{_wait_condition_base['url']}/{self.token}"

    def is_created(self) -> bool:
        return True


class WaitCondition(CloudFormationModel):
    """Complete at Count SUCCESS signals on its handle; failed by a FAILURE signal or its Timeout."""

    def __init__(self, name: str, handle_url: str, timeout: int, count: int) -> None:
        self.name = name
        self.token = handle_url.rsplit("/", 1)[-1]
        self.timeout, self.count = timeout, count
        self.started = time.monotonic()
        self.state = "waiting"  # waiting, complete, failed

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFormation::WaitCondition"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # noqa: PLR0913
        properties = cloudformation_json["Properties"]
        return cls(resource_name, properties["Handle"], int(properties["Timeout"]), int(properties.get("Count", 1)))

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def is_created(self) -> bool:
        return self.state == "complete"

    def outcome(self) -> str | None:
        """None while waiting; "" once complete; CloudFormation's reason once failed."""
        signals = _signals.get(self.token, [])
        failed = next((s for s in signals if s.get("Status") == "FAILURE"), None)
        if failed is not None:
            return f"WaitCondition received failed message: '{failed.get('Reason', '')}' for uniqueId: {failed.get('UniqueId', '')}"
        succeeded = [s for s in signals if s.get("Status") == "SUCCESS"]
        if len(succeeded) >= self.count:
            return ""
        if time.monotonic() - self.started > self.timeout:
            return f"WaitCondition timed out. Received {len(succeeded)} conditions when expecting {self.count}"
        return None


cfn_parsing.NULL_MODELS.clear()  # both wait condition types are modelled above
for _cache in (cfn_parsing.get_model_list, cfn_parsing.get_model_map, cfn_parsing.get_name_type_map):
    _cache.cache_clear()


def _resource_event(
    stack, logical_id: str, physical_id: str, kind: str, status: str, reason: str | None = None
) -> None:
    event = Event(stack.stack_id, stack.name, logical_id, physical_id, kind, status, reason, None)
    event.client_request_token = getattr(stack, "client_request_token", None)
    stack.events.append(event)


_advancing = threading.Lock()


def _advance(stack) -> None:
    """Moves a stack that waits for signals on: complete, or failed and rolled back."""
    with _advancing:
        if stack.status != "CREATE_IN_PROGRESS":
            return
        waits = [(k, r) for k, r in stack.resource_map._parsed_resources.items() if isinstance(r, WaitCondition)]
        for logical_id, wait in waits:
            if wait.state != "waiting":
                continue
            outcome = wait.outcome()
            if outcome is None:
                continue
            if outcome == "":
                wait.state = "complete"
                _resource_event(stack, logical_id, wait.name, wait.cloudformation_type(), "CREATE_COMPLETE")
                continue
            wait.state = "failed"
            _resource_event(stack, logical_id, wait.name, wait.cloudformation_type(), "CREATE_FAILED", outcome)
            rollback = f"The following resource(s) failed to create: [{logical_id}]. Rollback requested by user."
            _resource_event(
                stack, stack.name, stack.stack_id, "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS", rollback
            )
            stack.resource_map.delete()  # the instance is terminated
            _resource_event(stack, stack.name, stack.stack_id, "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE")
            stack.status = "ROLLBACK_COMPLETE"
            return
        if all(w.state == "complete" for _, w in waits) and stack.resource_map.creation_complete():
            stack.mark_creation_complete()
            stack.events[-1].client_request_token = getattr(stack, "client_request_token", None)


_describe_stacks = CloudFormationBackend.describe_stacks
_describe_stack_events = CloudFormationBackend.describe_stack_events


def _describe_stacks_advancing(self, name_or_stack_id):
    stacks = _describe_stacks(self, name_or_stack_id)
    for stack in stacks:
        _advance(stack)
    return stacks


def _describe_stack_events_advancing(self, stack_name):
    for stack in _describe_stacks(self, stack_name):
        _advance(stack)
    return _describe_stack_events(self, stack_name)


CloudFormationBackend.describe_stacks = _describe_stacks_advancing
CloudFormationBackend.describe_stack_events = _describe_stack_events_advancing
_create_stack_response = CloudFormationResponse.create_stack


def _create_stack_keeping_token(self):
    result = _create_stack_response(self)
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    stack.client_request_token = self._get_param("ClientRequestToken")
    return result


CloudFormationResponse.create_stack = _create_stack_keeping_token


def _take_signal(path: str, body: bytes) -> bool:
    """A PUT to a wait condition handle's URL: recorded for _advance. False when no handle has the path."""
    token = path.rstrip("/").rsplit("/", 1)[-1]
    if token not in _signals:
        return False
    _signals[token].append(json.loads(body.decode() or "{}"))
    return True


def _update_endpoint(self):
    backend = self.sagemaker_backend
    name = self._get_param("EndpointName")
    backend.describe_endpoint(name)  # ValidationError for an endpoint that does not exist
    endpoint = backend.endpoints[name]
    config_name = self._get_param("EndpointConfigName")
    try:
        config = backend.describe_endpoint_config(config_name)
    except KeyError:
        arn = FakeEndpointConfig.arn_formatter(config_name, backend.account_id, backend.region_name)
        raise ValidationError(message=f"Could not find endpoint configuration '{arn}'.") from None
    endpoint.endpoint_config_name = config_name
    endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
    endpoint.data_capture_config = config.get("DataCaptureConfig")
    endpoint.last_deployment_config = self._get_param("DeploymentConfig")
    return ActionResult({"EndpointArn": endpoint.arn})


SageMakerResponse.update_endpoint = _update_endpoint
_endpoint_response = FakeEndpoint.response_object.fget


def _endpoint_response_with_deployment(self):
    response = dict(_endpoint_response(self))
    if getattr(self, "last_deployment_config", None):
        response["LastDeploymentConfig"] = self.last_deployment_config
    return response


FakeEndpoint.response_object = property(_endpoint_response_with_deployment)

_invoke_endpoint_async = SageMakerRuntimeBackend.invoke_endpoint_async


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _invoke_endpoint_async_as_sagemaker(self, endpoint_name: str, input_location: str) -> tuple[str, str]:
    from moto.s3.models import s3_backends

    sagemaker = sagemaker_backends[self.account_id][self.region_name]
    sagemaker.describe_endpoint(endpoint_name)  # ValidationError for an endpoint that does not exist
    config = sagemaker.describe_endpoint_config(sagemaker.endpoints[endpoint_name].endpoint_config_name)
    output = (config.get("AsyncInferenceConfig") or {}).get("OutputConfig")
    if not output:
        raise ValidationError(message=f"Endpoint {endpoint_name} is not an asynchronous inference endpoint.")
    s3 = s3_backends[self.account_id][self.partition]
    if _object(s3, input_location) is None:
        raise ValidationError(message=f"Could not read the input location {input_location}.")
    moto_output, moto_failure = _invoke_endpoint_async(self, endpoint_name, input_location)
    if moto_output.startswith(output["S3OutputPath"]):
        return moto_output, moto_failure  # the same input again: the same answer
    failed = _object(s3, moto_failure)
    result = failed or _object(s3, moto_output)
    ident = str(uuid.uuid4())
    locations = (
        f"{output['S3OutputPath'].rstrip('/')}/{ident}.out",
        f"{(output.get('S3FailurePath') or output['S3OutputPath']).rstrip('/')}/{ident}-error.out",
    )
    s3.put_object(*_split_s3(locations[1] if failed else locations[0]), value=result.value)
    # moto's own bucket for the result goes: nothing of it should outlive the request (nor look like a leftover).
    own_bucket = _split_s3(moto_output)[0]
    for uri in (moto_output, moto_failure):
        if _object(s3, uri) is not None:
            s3.delete_object(*_split_s3(uri))
    s3.delete_bucket(own_bucket)
    self.async_results[endpoint_name][input_location] = locations
    return locations


def _object(s3, uri: str):
    """The object at an s3:// URI, or None (a missing bucket included)."""
    try:
        return s3.get_object(*_split_s3(uri))
    except Exception:  # moto's MissingBucket
        return None


SageMakerRuntimeBackend.invoke_endpoint_async = _invoke_endpoint_async_as_sagemaker

if __name__ == "__main__":
    # Standalone, for trying a stack by hand: python -m tests.support.emulator (from python/).
    import time

    emulator = Emulator().start()
    print(f"AWS emulator on {emulator.url}", flush=True)
    while True:
        time.sleep(3600)
