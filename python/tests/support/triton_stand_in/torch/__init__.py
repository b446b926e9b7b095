"""Stand-in for the part of torch that model.py uses with a torch-neuronx model: torch.jit.load,
torch.from_numpy, Tensor.numpy() and torch.inference_mode() (signatures of torch 2.5, the version
torch-neuronx 2.5 of Neuron SDK 2.21 pairs with). A CUDA build of torch from PyPI would add
gigabytes to the tests; the compiled model is the stand-in of torch_neuronx below.

`jit.load` reads what the tests write for a compiled model: a JSON description of a traced add_sub
model with its static batch. Like a Neuron-compiled model, it refuses inputs of any other
shape.
"""

from __future__ import annotations

import contextlib
import json

import numpy as np


class Tensor:
    def __init__(self, array: np.ndarray):
        self._array = array

    def numpy(self) -> np.ndarray:
        return self._array

    @property
    def shape(self):
        return self._array.shape


def from_numpy(ndarray: np.ndarray) -> Tensor:
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    return Tensor(ndarray)


@contextlib.contextmanager
def inference_mode(mode: bool = True):
    yield


class _TracedAddSub:
    """A ScriptModule traced by torch_neuronx.trace for a batch of `batch` rows of `width` values."""

    def __init__(self, batch: int, width: int):
        self.batch, self.width = batch, width
        self.calls: list[tuple[int, ...]] = []

    def __call__(self, a: Tensor, b: Tensor):
        for t in (a, b):
            if t.shape != (self.batch, self.width):
                raise RuntimeError(
                    f"Neuron model input shape {list(t.shape)} does not match the traced shape {[self.batch, self.width]}"
                )
        self.calls.append(a.shape)
        x, y = a.numpy(), b.numpy()
        return (Tensor(x + y), Tensor(x - y))


class jit:  # noqa: N801 - torch.jit is a module; a namespace class stands in for it
    @staticmethod
    def load(f, map_location=None, _extra_files=None):
        spec = json.loads(open(f).read())  # noqa: SIM115 - f is a path, as model.py passes it
        return _TracedAddSub(spec["batch"], spec["width"])
