"""Stand-in for Triton's `triton_python_backend_utils` (pb_utils), which exists only inside a Triton
server's Python backend stub.

It mirrors the API of python_backend r24.xx as model.py uses it: the C++-bound classes Tensor,
InferenceRequest, InferenceResponse, TritonError and TritonModelException (python_backend
README.md "Usage" and src/pb_stub.cc bindings), and the pure-Python helpers of
src/resources/triton_python_backend_utils.py (get_input_tensor_by_name, get_input_config_by_name,
get_output_config_by_name, triton_string_to_numpy, TRITON_STRING_TO_NUMPY), with the checks the
real ones make (a str-dtype array is refused, output_tensors must be a list). Written for these
tests; no code of python_backend is copied.
"""

from __future__ import annotations

import numpy as np

TRITON_STRING_TO_NUMPY = {
    "TYPE_BOOL": bool,
    "TYPE_UINT8": np.uint8,
    "TYPE_UINT16": np.uint16,
    "TYPE_UINT32": np.uint32,
    "TYPE_UINT64": np.uint64,
    "TYPE_INT8": np.int8,
    "TYPE_INT16": np.int16,
    "TYPE_INT32": np.int32,
    "TYPE_INT64": np.int64,
    "TYPE_FP16": np.float16,
    "TYPE_FP32": np.float32,
    "TYPE_FP64": np.float64,
    "TYPE_STRING": np.object_,
}


class TritonModelException(Exception):
    def __init__(self, msg):
        super().__init__(msg)
        self._msg = msg

    def message(self):
        return self._msg


class TritonError:
    """pb_utils.TritonError(message, code=TritonError.INTERNAL)."""

    UNKNOWN, INTERNAL, NOT_FOUND, INVALID_ARG, UNAVAILABLE, UNSUPPORTED, ALREADY_EXISTS, CANCELLED = range(8)

    def __init__(self, message, code=INTERNAL):
        self._message = message
        self._code = code

    def message(self):
        return self._message

    def code(self):
        return self._code


class Tensor:
    """pb_utils.Tensor(name, numpy_array): a named numpy array (CPU)."""

    def __init__(self, name, numpy_array):
        if not isinstance(numpy_array, np.ndarray):
            raise TritonModelException(f"tensor {name!r} needs a numpy array, got {type(numpy_array).__name__}")
        if numpy_array.dtype.type == np.str_ or numpy_array.dtype == np.void:
            raise TritonModelException(
                "Tensor dtype used for numpy_array is not support by Python backend. Please use np.object_ instead."
            )
        self._name = name
        self._array = numpy_array

    def name(self):
        return self._name

    def as_numpy(self):
        return self._array

    def is_cpu(self):
        return True


class InferenceRequest:
    """A request as execute() receives it: inputs(), request_id(), requested_output_names()."""

    def __init__(self, model_name="", inputs=(), requested_output_names=(), request_id="", correlation_id=0):
        self._model_name = model_name
        self._inputs = list(inputs)
        self._requested = list(requested_output_names)
        self._request_id = request_id
        self._correlation_id = correlation_id

    def inputs(self):
        return self._inputs

    def requested_output_names(self):
        return self._requested

    def request_id(self):
        return self._request_id

    def correlation_id(self):
        return self._correlation_id


class InferenceResponse:
    """pb_utils.InferenceResponse(output_tensors, error=None)."""

    def __init__(self, output_tensors, error=None):
        if not isinstance(output_tensors, list):
            raise TritonModelException('"output_tensors" must be a list.')
        self._outputs = output_tensors
        self._error = error

    def output_tensors(self):
        return self._outputs

    def has_error(self):
        return self._error is not None

    def error(self):
        return self._error


def get_input_tensor_by_name(inference_request, name):
    return next((t for t in inference_request.inputs() if t.name() == name), None)


def get_output_tensor_by_name(inference_response, name):
    return next((t for t in inference_response.output_tensors() if t.name() == name), None)


def get_input_config_by_name(model_config, name):
    return next((t for t in model_config.get("input", []) if t["name"] == name), None)


def get_output_config_by_name(model_config, name):
    return next((t for t in model_config.get("output", []) if t["name"] == name), None)


def triton_string_to_numpy(triton_type_string):
    return TRITON_STRING_TO_NUMPY[triton_type_string]
