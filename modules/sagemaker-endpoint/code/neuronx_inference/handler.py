"""The SageMaker inference handler functions: model_fn, input_fn, predict_fn, output_fn."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from . import constants as c
from .chat import ChatRequest, parse_request, render_prompt
from .errors import ModelLoadError, NotAcceptable, PromptTooLong, RequestError, UnsupportedContentType
from .neuron_model import NeuronModel
from .settings import ServingSettings

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    tokenizer: object
    model: NeuronModel
    settings: ServingSettings


def model_fn(model_dir: str) -> LoadedModel:
    """Loads the tokenizer and the compiled model from the directory SageMaker gives (the S3 prefix)."""
    from transformers import AutoTokenizer

    root = Path(model_dir)
    settings = ServingSettings.from_env()
    settings.check_manifest(root)
    checkpoint = root / c.MODEL_SUBDIR
    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint))
    if not getattr(tokenizer, "chat_template", None):
        raise ModelLoadError(
            f"the tokenizer in {checkpoint} has no chat template; serve a chat model, or give the endpoint your own code"
        )
    model = NeuronModel.load(checkpoint, root / c.COMPILED_SUBDIR, settings, tokenizer.eos_token_id)
    return LoadedModel(tokenizer, model, settings)


def input_fn(request_body, request_content_type: str) -> ChatRequest:
    media_type = (request_content_type or "").split(";")[0].strip().lower()
    if media_type not in c.ACCEPTED_CONTENT_TYPES:
        raise UnsupportedContentType(f"content type {request_content_type!r} is not supported; send application/json")
    return parse_request(request_body)


def predict_fn(request: ChatRequest, loaded: LoadedModel) -> dict:
    limit = loaded.settings.max_new_tokens
    asked = request.parameters.max_new_tokens
    if asked is not None and asked > limit:
        raise RequestError(
            f"parameters.max_new_tokens must be at most {limit}, the endpoint's maxNewTokens (SageMaker ends an "
            f"invocation after 60 seconds), got {asked}"
        )
    wanted = asked if asked is not None else min(c.DEFAULT_MAX_NEW_TOKENS, limit)
    prompt = render_prompt(loaded.tokenizer, request)
    input_ids = loaded.tokenizer(prompt, add_special_tokens=False)["input_ids"]
    n_positions = loaded.settings.n_positions
    if len(input_ids) >= n_positions:
        raise PromptTooLong(
            f"the prompt is {len(input_ids)} tokens, but the model was compiled for nPositions {n_positions} "
            "(prompt plus generated tokens); shorten the conversation"
        )
    max_new_tokens = min(wanted, n_positions - len(input_ids))
    generation = loaded.model.generate(input_ids, max_new_tokens, request.parameters)
    text = loaded.tokenizer.decode(generation.tokens, skip_special_tokens=True)
    for stop in request.parameters.stop:
        if stop in text:
            text = text[: text.index(stop)]
    response = {"generated_text": text}
    if generation.not_honoured:
        # Said in the response, not refused: the answer is still useful, sampled with what the model takes.
        response[c.NOT_HONOURED_FIELD] = list(generation.not_honoured)
    return response


def output_fn(prediction: dict, accept: str) -> str:
    media_type = (accept or c.JSON).split(";")[0].strip().lower()
    if media_type not in c.ACCEPTED_RESPONSE_TYPES:
        raise NotAcceptable(f"accept {accept!r} is not supported; the response is application/json")
    return json.dumps(prediction)
