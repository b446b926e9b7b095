"""Stand-in for the little of torch that the serving code's Neuron adapter uses.

torch is only needed next to transformers-neuronx (replaced here by its stand-in); a
CUDA build of torch from PyPI would add gigabytes to the tests for nothing. transformers
does not mistake this for torch: it also checks the installed distribution, and there is none.
"""

from __future__ import annotations

import contextlib


class Tensor:
    def __init__(self, data):
        self._data = data

    def tolist(self):
        return self._data

    def __getitem__(self, index):
        item = self._data[index]
        return Tensor(item) if isinstance(item, list) else item

    def __len__(self):
        return len(self._data)


def tensor(data):
    return Tensor([list(row) for row in data] if data and isinstance(data[0], (list, tuple)) else list(data))


@contextlib.contextmanager
def inference_mode():
    yield
