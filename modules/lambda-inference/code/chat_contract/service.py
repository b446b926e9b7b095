"""The steps every inference path takes between a request body and a response body.

A path supplies its tokenizer (anything with `apply_chat_template`, `__call__` returning
`{"input_ids": [...]}` and `decode`) and a `generate(input_ids, max_new_tokens, parameters)` that
returns the new token ids, already cut at the end-of-sequence token, or an object with those ids
as `tokens` and the names of requested parameters the model could not honour as `not_honoured`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from . import constants as c
from .chat import ChatRequest, Parameters, parse_request, render_prompt
from .errors import NotAcceptable, PromptTooLong, UnsupportedContentType

Generate = Callable[[list[int], int, Parameters], list[int]]


def read_request(body: str | bytes, content_type: str | None) -> ChatRequest:
    """Checks the content type, then the body against the contract."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in c.ACCEPTED_CONTENT_TYPES:
        raise UnsupportedContentType(f"content type {content_type!r} is not supported; send application/json")
    return parse_request(body)


def answer(
    tokenizer,
    generate: Generate,
    request: ChatRequest,
    max_positions: int,
    limit: str,
    default_max_new_tokens: int = c.DEFAULT_MAX_NEW_TOKENS,
) -> dict:
    """The prompt from the chat template, generated within `max_positions` (prompt plus new tokens),
    decoded and cut at the first stop string. `limit` names the limit for the 413 message;
    `default_max_new_tokens` applies when the request sets no max_new_tokens."""
    prompt = render_prompt(tokenizer, request)
    input_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    if len(input_ids) >= max_positions:
        raise PromptTooLong(
            f"the prompt is {len(input_ids)} tokens, but {limit} {max_positions} "
            "(prompt plus generated tokens); shorten the conversation"
        )
    asked = request.parameters.max_new_tokens
    wanted = asked if asked is not None else default_max_new_tokens
    max_new_tokens = min(wanted, max_positions - len(input_ids))
    generation = generate(input_ids, max_new_tokens, request.parameters)
    tokens = getattr(generation, "tokens", generation)
    text = tokenizer.decode(tokens, skip_special_tokens=True)
    for stop in request.parameters.stop:
        if stop in text:
            text = text[: text.index(stop)]
    response = {"generated_text": text}
    not_honoured = getattr(generation, "not_honoured", ())
    if not_honoured:
        # Said in the response, not refused: the answer is still useful.
        response[c.NOT_HONOURED_FIELD] = list(not_honoured)
    return response


def check_accept(accept: str | None) -> None:
    """Fails unless the caller accepts JSON (no Accept header means anything)."""
    media_type = (accept or c.JSON).split(";")[0].strip().lower()
    if media_type not in c.ACCEPTED_RESPONSE_TYPES:
        raise NotAcceptable(f"accept {accept!r} is not supported; the response is application/json")


def write_response(prediction: dict, accept: str | None) -> str:
    """The response body, when the caller accepts JSON."""
    check_accept(accept)
    return json.dumps(prediction)
