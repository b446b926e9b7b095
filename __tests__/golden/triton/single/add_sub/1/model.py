"""Triton Python backend model for a TorchScript model compiled with torch-neuronx.

One file for every model of the repository: config.pbtxt passes what differs as parameters
(lib/triton-model-repository.ts writes them). Each model instance is its own stub process, so the
instance pins itself to its NeuronCores (NEURON_RT_VISIBLE_CORES) before torch-neuronx starts the
Neuron runtime: instance i of the group uses `cores` cores from `first + i * cores`.

execute() merges the requests Triton's dynamic batcher hands it into one batch, runs it in chunks
of exactly what the compiled model takes (compiled batch x cores; a Neuron model has static shapes,
so the last chunk is padded with copies of its last row), and splits the outputs back per request.
A request whose tensors do not fit the config gets its own error response; the others are served.

The backend API used (triton_python_backend_utils: Tensor, InferenceResponse, TritonError,
get_input_tensor_by_name, triton_string_to_numpy; args of initialize) is python_backend's, as in
its README and src/resources/triton_python_backend_utils.py.
"""

from __future__ import annotations

import json
import os

import numpy as np
import triton_python_backend_utils as pb_utils

COMPILED_MODEL = "NEURON_COMPILED_MODEL"
COMPILED_BATCH_SIZE = "NEURON_COMPILED_BATCH_SIZE"
CORES_PER_INSTANCE = "NEURON_CORES_PER_INSTANCE"
FIRST_CORE = "NEURON_FIRST_CORE"
INSTANCE_GROUP = "NEURON_INSTANCE_GROUP"


def instance_index(instance_name: str, group: str) -> int:
    """The instance's index in its group: Triton (core, backend_model_instance.cc) names the instances
    of a group `<group>_<i>` when the group has more than one, and `<group>` when it has one."""
    if instance_name == group:
        return 0
    prefix = f"{group}_"
    if not instance_name.startswith(prefix) or not instance_name[len(prefix) :].isdigit():
        raise pb_utils.TritonModelException(
            f"instance {instance_name!r} is not of the instance group {group!r} that config.pbtxt names"
        )
    return int(instance_name[len(prefix) :])


def visible_cores(first: int, count: int) -> str:
    """NEURON_RT_VISIBLE_CORES for `count` cores from `first`: "3" or "4-5"."""
    return str(first) if count == 1 else f"{first}-{first + count - 1}"


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        params = {key: value["string_value"] for key, value in config.get("parameters", {}).items()}
        self.name = args["model_name"]
        self.compiled_batch = int(params[COMPILED_BATCH_SIZE])
        cores = int(params[CORES_PER_INSTANCE])
        index = instance_index(args["model_instance_name"], params[INSTANCE_GROUP])
        first = int(params[FIRST_CORE]) + index * cores
        self.cores = visible_cores(first, cores)
        # Before torch_neuronx is imported: the runtime reads it once, when it starts.
        os.environ["NEURON_RT_VISIBLE_CORES"] = self.cores
        # A batch one run takes: the compiled batch on each visible core.
        self.run_batch = self.compiled_batch * cores

        self.inputs = [(t["name"], pb_utils.triton_string_to_numpy(t["data_type"])) for t in config["input"]]
        self.outputs = [(t["name"], pb_utils.triton_string_to_numpy(t["data_type"])) for t in config["output"]]
        self.input_dims = {t["name"]: tuple(int(d) for d in t["dims"]) for t in config["input"]}

        import torch
        import torch_neuronx  # noqa: F401 - registers the Neuron ops torch.jit.load needs

        path = os.path.join(args["model_repository"], args["model_version"], params[COMPILED_MODEL])
        model = torch.jit.load(path)
        # DataParallel splits each run across the visible cores, compiled batch by compiled batch.
        self.model = torch_neuronx.DataParallel(model) if cores > 1 else model
        self.torch = torch

    def execute(self, requests):
        responses = [None] * len(requests)
        batches, sizes, served = {name: [] for name, _ in self.inputs}, [], []
        for i, request in enumerate(requests):
            arrays, error = self._read(request)
            if error:
                responses[i] = pb_utils.InferenceResponse(output_tensors=[], error=pb_utils.TritonError(error))
                continue
            for name, _ in self.inputs:
                batches[name].append(arrays[name])
            sizes.append(len(arrays[self.inputs[0][0]]))
            served.append(i)
        if served:
            merged = [np.concatenate(batches[name]) for name, _ in self.inputs]
            outputs = self._run(merged)
            start = 0
            for i, size in zip(served, sizes, strict=True):
                tensors = [
                    pb_utils.Tensor(name, out[start : start + size].astype(dtype))
                    for (name, dtype), out in zip(self.outputs, outputs, strict=True)
                ]
                responses[i] = pb_utils.InferenceResponse(output_tensors=tensors)
                start += size
        return responses

    def _read(self, request):
        arrays = {}
        for name, dtype in self.inputs:
            tensor = pb_utils.get_input_tensor_by_name(request, name)
            if tensor is None:
                return None, f"{self.name}: the request has no input {name}"
            array = tensor.as_numpy()
            if array.shape[1:] != self.input_dims[name]:
                return None, (
                    f"{self.name}: input {name} has shape {list(array.shape)}, but the model was compiled for "
                    f"[batch, {', '.join(map(str, self.input_dims[name]))}]"
                )
            arrays[name] = array.astype(dtype, copy=False)
        sizes = {len(a) for a in arrays.values()}
        if len(sizes) != 1:
            return None, f"{self.name}: the inputs have different batch sizes {sorted(sizes)}"
        return arrays, None

    def _run(self, inputs):
        """Runs a merged batch in chunks of run_batch rows, the last padded; returns the outputs, unpadded."""
        total = len(inputs[0])
        chunks = []
        for start in range(0, total, self.run_batch):
            rows = min(self.run_batch, total - start)
            chunk = [a[start : start + rows] for a in inputs]
            if rows < self.run_batch:
                chunk = [np.concatenate([a, np.repeat(a[-1:], self.run_batch - rows, axis=0)]) for a in chunk]
            with self.torch.inference_mode():
                result = self.model(*[self.torch.from_numpy(np.ascontiguousarray(a)) for a in chunk])
            results = result if isinstance(result, (tuple, list)) else (result,)
            if len(results) != len(self.outputs):
                raise pb_utils.TritonModelException(
                    f"{self.name}: the compiled model returns {len(results)} tensors, but config.pbtxt "
                    f"names {len(self.outputs)} outputs ({', '.join(n for n, _ in self.outputs)})"
                )
            chunks.append([r.numpy()[:rows] for r in results])
        return [np.concatenate([c[k] for c in chunks]) for k in range(len(self.outputs))]

    def finalize(self):
        self.model = None
