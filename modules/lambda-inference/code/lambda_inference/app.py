"""The function's handler (`lambda_inference.app.handler`): the one boundary where errors become
HTTP responses. Request errors get their 4xx status and message; anything else a 500 whose body
names no internals (the trace goes to the function's log).

The model loads during the init phase, so that SnapStart snapshots it loaded; a load that fails
is reported on each request (500, with the reason) and tried again on the next one.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from chat_contract import service
from chat_contract.errors import ModelLoadError, RequestError

from . import constants as c
from .events import error_response, read_event, response
from .onnx_model import OnnxCausalLM
from .storage import model_directory
from .tokenizer import ChatTokenizer

log = logging.getLogger("lambda_inference")
log.setLevel(logging.INFO)


@dataclass
class LoadedModel:
    tokenizer: ChatTokenizer
    model: OnnxCausalLM


def load(env=os.environ) -> LoadedModel:
    directory = model_directory(env)
    tokenizer = ChatTokenizer(directory)
    if not tokenizer.chat_template:
        raise ModelLoadError(f"the tokenizer in {directory} has no chat template; serve a chat model")
    return LoadedModel(tokenizer, OnnxCausalLM.load(directory, tokenizer.eos_token_id))


_loaded: LoadedModel | None = None


def _ensure_loaded() -> LoadedModel:
    global _loaded
    if _loaded is None:
        _loaded = load()
    return _loaded


def handler(event: dict, context) -> dict:
    try:
        request = read_event(event)
        chat = service.read_request(request.body, request.content_type)
        service.check_accept(request.accept)  # before the work, not after
        loaded = _ensure_loaded()
        prediction = service.answer(
            loaded.tokenizer, loaded.model.generate, chat, loaded.model.max_positions, "the model's context is"
        )
        return response(200, service.write_response(prediction, request.accept))
    except RequestError as error:
        return error_response(error.status, str(error))
    except ModelLoadError as error:
        log.error("the model could not be loaded: %s", error)
        return error_response(500, f"the model could not be loaded: {error}")
    except Exception:  # noqa: BLE001 - the boundary: log the trace, answer without it
        log.exception("inference failed")
        return error_response(500, "inference failed; the function's log has the details")


# The init phase: load now (SnapStart snapshots the loaded model); a failure is answered per request.
if os.environ.get(c.ENV["source"]):
    try:
        _ensure_loaded()
    except ModelLoadError as error:
        log.error("the model could not be loaded at init: %s", error)
