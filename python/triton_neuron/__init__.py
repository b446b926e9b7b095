"""Triton's Python backend model for Neuron-compiled TorchScript models (model.py), shipped as each
model's `1/model.py` by TritonNeuronModelRepository (lib/triton-model-repository.ts)."""
