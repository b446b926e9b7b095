"""Stand-in for transformers-neuronx, which needs Inferentia2 hardware.

Put on PYTHONPATH by the tests in place of the real library, it replaces only what
runs on NeuronCores. Compile: ``to_neuron()`` checks what the real one needs (a config
and weights in the checkpoint directory) and ``save()`` writes NEFF-like files and the
settings they were built with. Serving: ``load()`` then ``to_neuron()`` refuses NEFFs
built with other settings, as the runtime would, and ``sample()`` appends the token ids
of NEURONX_STAND_IN_REPLY (comma-separated) and then the end-of-sequence id.
NEURONX_STAND_IN_FAIL makes ``to_neuron()`` raise its text; NEURONX_STAND_IN_RECORD
names a file that gets each call's arguments as JSON; NEURONX_STAND_IN_COMPILE_SECONDS makes
``to_neuron()`` take that long, as a real compile takes minutes (the lease tests need one running).
"""

import hashlib
import json
import os
import time
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
        self.path, self.kwargs, self.compiled, self.artifacts = Path(path), kwargs, False, None
        self.config = json.loads((self.path / "config.json").read_text())

    @classmethod
    def from_pretrained(cls, path, **kwargs):
        config = json.loads((Path(path) / "config.json").read_text())
        if config.get("model_type") not in {"llama", "mistral", "mixtral", "gpt2", "opt", "bloom", "gptj", "gpt_neox"}:
            raise AssertionError(
                f"The configuration model type '{config.get('model_type')}' is not supported by Neuron"
            )
        return cls(path, kwargs)

    def _settings(self):
        quant = self.kwargs.get("neuron_config") and self.kwargs["neuron_config"].quant
        return {
            **{k: v for k, v in self.kwargs.items() if k != "neuron_config"},
            "quant": quant and {"quant_dtype": quant.quant_dtype, "dequant_dtype": quant.dequant_dtype},
        }

    def load(self, directory):
        self.artifacts = Path(directory)

    def to_neuron(self):
        if self.artifacts is not None:
            built = json.loads((self.artifacts / "stand-in-settings.json").read_text())
            if not list(self.artifacts.glob("*.neff")) or built != self._settings():
                raise RuntimeError(f"NEFFs in {self.artifacts} were built for {built}, not {self._settings()}")
        if os.environ.get("NEURONX_STAND_IN_COMPILE_SECONDS"):
            time.sleep(float(os.environ["NEURONX_STAND_IN_COMPILE_SECONDS"]))
        if os.environ.get("NEURONX_STAND_IN_FAIL"):
            raise RuntimeError(os.environ["NEURONX_STAND_IN_FAIL"])
        weights = sorted(self.path.glob("*.safetensors")) + sorted(self.path.glob("pytorch_model*.bin"))
        if not weights:
            raise FileNotFoundError(f"no weights in {self.path}")
        settings = self._settings()
        _record(
            "to_neuron",
            path=str(self.path),
            kwargs={k: v for k, v in settings.items() if k != "quant"},
            quant=settings["quant"],
            neuron_cc_flags=os.environ.get("NEURON_CC_FLAGS"),
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
        (directory / "stand-in-settings.json").write_text(json.dumps(self._settings()))

    def sample(self, input_ids, sequence_length, start_ids=None, top_k=50, top_p=1.0, temperature=1.0, **kwargs):
        assert self.compiled, "sample() before to_neuron()"
        rows = input_ids.tolist()
        assert len(rows) == self.kwargs["batch_size"], f"{len(rows)} rows for batch size {self.kwargs['batch_size']}"
        assert sequence_length <= self.kwargs["n_positions"], f"sequence_length {sequence_length} > n_positions"
        _record(
            "sample",
            rows=len(rows),
            prompt=len(rows[0]),
            sequence_length=sequence_length,
            top_k=top_k,
            top_p=top_p,
            temperature=temperature,
        )
        reply = [int(t) for t in os.environ.get("NEURONX_STAND_IN_REPLY", "").split(",") if t]
        eos = self.config.get("eos_token_id", 2)
        out = [(row + reply + [eos])[:sequence_length] for row in rows]
        import torch

        return torch.tensor(out)


def _record(call, **fields):
    path = os.environ.get("NEURONX_STAND_IN_RECORD")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"call": call, **fields}) + "\n")
