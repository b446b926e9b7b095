"""Entry point of the default inference code (SAGEMAKER_PROGRAM=inference.py): a chat API.

The four handler functions live in neuronx_inference.handler. This module is the one
boundary where request errors become HTTP responses: a RequestError becomes the
toolkit's error with its 4xx status and message, and no response carries a stack
trace (the toolkit appends one by default; it goes to the log instead).
"""

from __future__ import annotations

import functools
import logging

from chat_contract.errors import RequestError

from neuronx_inference import handler

log = logging.getLogger("neuronx_inference")

try:
    from sagemaker_inference import transformer as _toolkit
    from sagemaker_inference.errors import GenericInferenceToolkitError
except ImportError:  # outside the SageMaker inference toolkit: errors propagate as RequestError
    _toolkit = None
    GenericInferenceToolkitError = None


def _to_http(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        try:
            return fn(*args)
        except RequestError as error:
            if GenericInferenceToolkitError is None:
                raise
            raise GenericInferenceToolkitError(error.status, str(error)) from None

    return wrapper


if _toolkit is not None and hasattr(_toolkit.Transformer, "handle_error"):
    _handle_error = _toolkit.Transformer.handle_error

    def _handle_error_without_trace(context, inference_exception, trace):
        if getattr(inference_exception, "status_code", 500) >= 500:
            log.error("inference failed: %s", trace)
        return _handle_error(context, inference_exception, "")

    _toolkit.Transformer.handle_error = staticmethod(_handle_error_without_trace)

model_fn = handler.model_fn
input_fn = _to_http(handler.input_fn)
predict_fn = _to_http(handler.predict_fn)
output_fn = _to_http(handler.output_fn)
