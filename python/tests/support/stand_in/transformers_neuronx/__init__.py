"""Stand-in for transformers-neuronx, which needs Inferentia2 hardware.

Put on PYTHONPATH by the tests in place of the real library, it replaces only the
Neuron compile: ``to_neuron()`` checks what the real one would need (a config and
weights in the checkpoint directory) and ``save()`` writes NEFF-like files. Set
NEURONX_STAND_IN_FAIL to a message to make ``to_neuron()`` raise it, and
NEURONX_STAND_IN_RECORD to a path to get the call's arguments as JSON there.
"""

import hashlib
import json
import os
from pathlib import Path

__version__ = "0.13.322+stand-in"


class QuantizationConfig:
    def __init__(self, quant_dtype="s8", dequant_dtype="f16", **kwargs):
        self.quant_dtype, self.dequant_dtype, self.kwargs = quant_dtype, dequant_dtype, kwargs


class NeuronConfig:
    def __init__(self, quant=None, **kwargs):
        self.quant, self.kwargs = quant, kwargs


class NeuronAutoModelForCausalLM:
    def __init__(self, path, kwargs):
        self.path, self.kwargs, self.compiled = Path(path), kwargs, False

    @classmethod
    def from_pretrained(cls, path, **kwargs):
        config = json.loads((Path(path) / "config.json").read_text())
        if config.get("model_type") not in {"llama", "mistral", "mixtral", "gpt2", "opt", "bloom", "gptj", "gpt_neox"}:
            raise AssertionError(
                f"The configuration model type '{config.get('model_type')}' is not supported by Neuron"
            )
        return cls(path, kwargs)

    def to_neuron(self):
        if os.environ.get("NEURONX_STAND_IN_FAIL"):
            raise RuntimeError(os.environ["NEURONX_STAND_IN_FAIL"])
        weights = sorted(self.path.glob("*.safetensors")) + sorted(self.path.glob("pytorch_model*.bin"))
        if not weights:
            raise FileNotFoundError(f"no weights in {self.path}")
        record = os.environ.get("NEURONX_STAND_IN_RECORD")
        if record:
            quant = self.kwargs.get("neuron_config") and self.kwargs["neuron_config"].quant
            Path(record).write_text(
                json.dumps(
                    {
                        "path": str(self.path),
                        "kwargs": {k: v for k, v in self.kwargs.items() if k != "neuron_config"},
                        "quant": quant and {"quant_dtype": quant.quant_dtype, "dequant_dtype": quant.dequant_dtype},
                        "neuron_cc_flags": os.environ.get("NEURON_CC_FLAGS"),
                    }
                )
            )
        self.compiled = True

    def save(self, directory):
        assert self.compiled, "save() before to_neuron()"
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        seed = json.dumps(self.kwargs, sort_keys=True, default=str).encode()
        for i, part in enumerate(("context_encoding", "token_generation")):
            digest = hashlib.sha256(seed + part.encode()).hexdigest()[:16]
            # A NEFF starts with its magic; the body here is filler of a plausible size.
            (directory / f"{part}-{digest}.neff").write_bytes(b"NEFF" + bytes(range(256)) * (64 + 32 * i))
