"""The chat contract: parse and check a request, and render its prompt with the tokenizer's chat template."""

from __future__ import annotations

import json
from dataclasses import dataclass

from . import constants as c
from .errors import RequestError


@dataclass(frozen=True)
class Parameters:
    """Generation parameters; sampling is off unless asked for."""

    max_new_tokens: int | None = None  # unset: DEFAULT_MAX_NEW_TOKENS within the endpoint's limit (handler.predict_fn)
    temperature: float = 1.0
    top_k: int = 50
    top_p: float = 1.0
    do_sample: bool = False
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[dict, ...]
    answer_role: str
    parameters: Parameters


def parse_request(body: str | bytes) -> ChatRequest:
    """Checks a request body against the contract; every problem is a RequestError saying what to change."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise RequestError(f"the body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise RequestError('the body must be a JSON object such as {"messages": [{"role": "user", "content": "Hi"}]}')
    unknown = sorted(set(data) - {"role", "messages", "parameters"})
    if unknown:
        raise RequestError(f"unknown field {unknown[0]!r}; the fields are role, messages and parameters")

    answer_role = data.get("role", c.ASSISTANT)
    if not isinstance(answer_role, str) or not answer_role.strip() or len(answer_role) > 64:
        raise RequestError(f"role must be a non-empty string of at most 64 characters, got {answer_role!r}")
    if answer_role in (c.SYSTEM, c.USER):
        raise RequestError(f"role names the answering role and cannot be {answer_role!r}")
    roles = (c.SYSTEM, c.USER, answer_role)

    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError('messages must be a non-empty list of {"role", "content"} objects')
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise RequestError(f"messages[{i}] must be an object with role and content, got {type(message).__name__}")
        extra = sorted(set(message) - {"role", "content"})
        if extra:
            raise RequestError(f"messages[{i}] has the unknown field {extra[0]!r}; a message has role and content")
        role, content = message.get("role"), message.get("content")
        if role not in roles:
            raise RequestError(f"messages[{i}].role must be one of {', '.join(roles)}, got {role!r}")
        if not isinstance(content, str):
            raise RequestError(f"messages[{i}].content must be a string, got {type(content).__name__}")
    return ChatRequest(tuple(messages), answer_role, parse_parameters(data.get("parameters", {})))


def parse_parameters(raw) -> Parameters:
    if not isinstance(raw, dict):
        raise RequestError(f"parameters must be an object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(c.PARAMETERS))
    if unknown:
        raise RequestError(f"parameters.{unknown[0]} is not supported; the parameters are {', '.join(c.PARAMETERS)}")

    def integer(name, minimum):
        value = raw[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise RequestError(f"parameters.{name} must be a whole number of at least {minimum}, got {value!r}")
        return value

    def number(name, low, high, low_open):
        value = raw[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RequestError(f"parameters.{name} must be a number, got {value!r}")
        if (value <= low if low_open else value < low) or value > high:
            interval = f"{'(' if low_open else '['}{low}, {high}]"
            raise RequestError(f"parameters.{name} must be in {interval}, got {value!r}")
        return float(value)

    p = Parameters()
    values = {}
    if "max_new_tokens" in raw:
        values["max_new_tokens"] = integer("max_new_tokens", 1)
    if "top_k" in raw:
        values["top_k"] = integer("top_k", 1)
    if "temperature" in raw:
        values["temperature"] = number("temperature", 0, 100, low_open=True)
    if "top_p" in raw:
        values["top_p"] = number("top_p", 0, 1, low_open=True)
    if "do_sample" in raw:
        if not isinstance(raw["do_sample"], bool):
            raise RequestError(f"parameters.do_sample must be true or false, got {raw['do_sample']!r}")
        values["do_sample"] = raw["do_sample"]
    if "stop" in raw:
        stop = raw["stop"]
        stop = [stop] if isinstance(stop, str) else stop
        if (
            not isinstance(stop, list)
            or not all(isinstance(s, str) and s for s in stop)
            or len(stop) > c.MAX_STOP_SEQUENCES
        ):
            raise RequestError(
                f"parameters.stop must be a non-empty string or a list of at most {c.MAX_STOP_SEQUENCES} of them, got {raw['stop']!r}"
            )
        values["stop"] = tuple(stop)
    return Parameters(**{**p.__dict__, **values})


def render_prompt(tokenizer, request: ChatRequest) -> str:
    """The prompt from the tokenizer's chat template, the answering role renamed back to the template's own."""
    messages = [
        {"role": c.ASSISTANT if m["role"] == request.answer_role else m["role"], "content": m["content"]}
        for m in request.messages
    ]
    try:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    except Exception as error:  # noqa: BLE001 - templates raise what they like (e.g. "roles must alternate")
        raise RequestError(f"the model's chat template rejects these messages: {error}") from None
