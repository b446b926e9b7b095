"""The SageMaker inference handler functions: model_fn, input_fn, predict_fn, output_fn."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from chat_contract import constants as contract
from chat_contract import service
from chat_contract.chat import ChatRequest
from chat_contract.errors import ModelLoadError, RequestError

from . import constants as c
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
    return service.read_request(request_body, request_content_type)


def predict_fn(request: ChatRequest, loaded: LoadedModel) -> dict:
    limit = loaded.settings.max_new_tokens
    asked = request.parameters.max_new_tokens
    if asked is not None and asked > limit:
        raise RequestError(
            f"parameters.max_new_tokens must be at most {limit}, the endpoint's maxNewTokens (SageMaker ends an "
            f"invocation after 60 seconds), got {asked}"
        )
    return service.answer(
        loaded.tokenizer,
        loaded.model.generate,
        request,
        loaded.settings.n_positions,
        "the model was compiled for nPositions",
        default_max_new_tokens=min(contract.DEFAULT_MAX_NEW_TOKENS, limit),
    )


def output_fn(prediction: dict, accept: str) -> str:
    return service.write_response(prediction, accept)
