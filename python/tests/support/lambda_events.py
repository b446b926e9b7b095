"""Events as Lambda delivers them to the function: a function URL request and an HTTP API request,
both payload format 2.0. The shapes follow the AWS docs' examples (Lambda: "Invoking Lambda function
URLs", request payload; API Gateway: "HTTP API Lambda integrations", payload format 2.0); the tests
also validate every event against aws-lambda-powertools' parser models of those payloads.
"""

from __future__ import annotations

import base64
import json

ACCOUNT = "123456789012"
# The caller's IAM identity, as AWS_IAM auth (function URL) and IAM authorization (HTTP API route) give it.
IAM_AUTHORIZER = {
    "iam": {
        "accessKey": "AKIAEXAMPLE",
        "accountId": ACCOUNT,
        "callerId": "AIDAEXAMPLE",
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": f"arn:aws:iam::{ACCOUNT}:user/ci",
        "userId": "AIDAEXAMPLE",
    }
}


def _common(body, content_type, accept, method, base64_body):
    if not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    raw = body.encode() if isinstance(body, str) else body
    headers = {"host": "example", "user-agent": "curl/8.5.0", "x-amzn-trace-id": "Root=1-65f0-abc"}
    if content_type is not None:
        headers["content-type"] = content_type
    if accept is not None:
        headers["accept"] = accept
    http = {
        "method": method,
        "path": "/",
        "protocol": "HTTP/1.1",
        "sourceIp": "198.51.100.7",
        "userAgent": "curl/8.5.0",
    }
    payload = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": headers,
        "isBase64Encoded": base64_body,
        "body": base64.b64encode(raw).decode() if base64_body else raw.decode(),
    }
    return payload, http


def function_url_event(body, *, content_type="application/json", accept=None, method="POST", base64_body=False):
    """A request through the function's URL with AWS_IAM auth (the caller's IAM identity in the authorizer)."""
    payload, http = _common(body, content_type, accept, method, base64_body)
    payload["requestContext"] = {
        "accountId": ACCOUNT,
        "apiId": "abcdefghijklmnopqrstuvwxyz0123",
        "authorizer": IAM_AUTHORIZER,
        "domainName": "abcdefghijklmnopqrstuvwxyz0123.lambda-url.us-east-1.on.aws",
        "domainPrefix": "abcdefghijklmnopqrstuvwxyz0123",
        "http": http,
        "requestId": "c5f4b2d0-0f3b-4a7e-9a83-0f1d1a2b3c4d",
        "routeKey": "$default",
        "stage": "$default",
        "time": "12/Mar/2026:19:03:58 +0000",
        "timeEpoch": 1773342238000,
    }
    return payload


def http_api_event(body, *, content_type="application/json", accept=None, method="POST", base64_body=False):
    """A request through an HTTP API route with IAM authorization, payload format 2.0."""
    payload, http = _common(body, content_type, accept, method, base64_body)
    payload["routeKey"] = "POST /chat"
    payload["rawPath"] = "/chat"
    http["path"] = "/chat"
    payload["requestContext"] = {
        "accountId": ACCOUNT,
        "apiId": "a1b2c3d4e5",
        "authorizer": IAM_AUTHORIZER,
        "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "a1b2c3d4e5",
        "http": http,
        "requestId": "JKJaXmPLvHcESHA=",
        "routeKey": "POST /chat",
        "stage": "$default",
        "time": "12/Mar/2026:19:03:58 +0000",
        "timeEpoch": 1773342238000,
    }
    return payload
