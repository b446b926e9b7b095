"""Function URL and HTTP API events (payload format 2.0, the same shape for both) and their responses.

Shapes: https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html (request and response
payloads) and https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
(payload format 2.0). Header names arrive lowercased in both.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from chat_contract import constants as contract
from chat_contract.errors import RequestError


class MethodNotAllowed(RequestError):
    status = 405


@dataclass(frozen=True)
class HttpRequest:
    method: str
    body: bytes
    content_type: str | None
    accept: str | None


def read_event(event: dict) -> HttpRequest:
    """The parts of an event the contract needs; only POST carries a chat request."""
    if event.get("version") != "2.0" or "requestContext" not in event:
        raise RequestError(
            "the event is not an HTTP request (payload format 2.0); invoke the function through its URL or HTTP API"
        )
    method = event["requestContext"].get("http", {}).get("method", "")
    if method != "POST":
        raise MethodNotAllowed(f"method {method} is not allowed; POST a chat request")
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
    return HttpRequest(method, body, headers.get("content-type"), headers.get("accept"))


def response(status: int, body: str, extra_headers: dict[str, str] | None = None) -> dict:
    headers = {"content-type": contract.JSON, **(extra_headers or {})}
    return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}


def error_response(status: int, message: str) -> dict:
    extra = {"allow": "POST"} if status == MethodNotAllowed.status else None
    return response(status, json.dumps({"message": message}), extra)
