"""Stand-in for torch-neuronx (Neuron SDK 2.21, torch-neuronx 2.5): importing it starts the Neuron
runtime, which reads NEURON_RT_VISIBLE_CORES once (recorded here as RUNTIME_VISIBLE_CORES);
DataParallel(module, device_ids=None, dim=0, set_dynamic_batching=True) runs a batch across the
visible cores, one compiled batch on each (torch-neuronx's torch_neuronx.DataParallel signature).
"""

from __future__ import annotations

import os

import numpy as np
import torch

RUNTIME_VISIBLE_CORES = os.environ.get("NEURON_RT_VISIBLE_CORES")


def _core_count(spec: str | None) -> int:
    if not spec:
        raise RuntimeError("the stand-in runtime expects NEURON_RT_VISIBLE_CORES to be set before torch_neuronx starts")
    first, _, last = spec.partition("-")
    return int(last or first) - int(first) + 1


class DataParallel:
    def __init__(self, module, device_ids=None, dim=0, set_dynamic_batching=True):
        self.module = module
        self.cores = _core_count(RUNTIME_VISIBLE_CORES) if device_ids is None else len(device_ids)
        self.dim = dim

    def __call__(self, *inputs):
        parts = [np.array_split(t.numpy(), self.cores, axis=self.dim) for t in inputs]
        outputs = [self.module(*[torch.from_numpy(p[c]) for p in parts]) for c in range(self.cores)]
        return tuple(torch.from_numpy(np.concatenate([o[k].numpy() for o in outputs])) for k in range(len(outputs[0])))
