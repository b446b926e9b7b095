"""The compiled model on the NeuronCores: the one part of serving that needs Inferentia2."""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from pathlib import Path

from .chat import Parameters
from .settings import ServingSettings

log = logging.getLogger(__name__)

# Sampling parameters and the value at which each changes nothing, so that asking for that value on a model
# class without the parameter is no loss. transformers-neuronx 0.13 (aws-neuron/transformers-neuronx 1ade6d7):
# every class's sample() takes top_k; only LlamaForSampling, MistralForSampling and MixtralForSampling take
# top_p and temperature; OPT, BLOOM, GPT-J and GPT-NeoX take no **kwargs, so passing them raises TypeError, and
# GPT-2's **kwargs swallows them without effect.
NEUTRAL_SAMPLING = {"top_p": 1.0, "temperature": 1.0}


@dataclass(frozen=True)
class Generation:
    """The new tokens of one prompt, and the requested parameters the model class could not honour."""

    tokens: list[int]
    not_honoured: tuple[str, ...] = ()


def named_parameters(method) -> set[str]:
    """The parameters a method names in its signature (``**kwargs`` does not count: it honours nothing)."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in inspect.signature(method).parameters.values() if p.kind in kinds}


class NeuronModel:
    """transformers-neuronx's model loaded from the checkpoint and the saved NEFFs (no compile at startup)."""

    def __init__(self, model, batch_size: int, eos_token_id: int | None) -> None:
        self.model = model
        self.batch_size = batch_size
        self.eos_token_id = eos_token_id
        self.sample_parameters = named_parameters(model.sample)

    @classmethod
    def load(cls, checkpoint_dir: Path, compiled_dir: Path, settings: ServingSettings, eos_token_id: int | None):
        from transformers_neuronx import NeuronAutoModelForCausalLM, NeuronConfig, QuantizationConfig

        kwargs = {
            "batch_size": settings.batch_size,
            "tp_degree": settings.tp_degree,
            "n_positions": settings.n_positions,
            "amp": settings.amp,
        }
        if settings.quant_dtype:
            kwargs["neuron_config"] = NeuronConfig(
                quant=QuantizationConfig(quant_dtype=settings.quant_dtype, dequant_dtype=settings.amp)
            )
        log.info("loading %s with %s and the NEFFs in %s", checkpoint_dir, kwargs, compiled_dir)
        model = NeuronAutoModelForCausalLM.from_pretrained(str(checkpoint_dir), **kwargs)
        model.load(str(compiled_dir))
        model.to_neuron()
        loaded = cls(model, settings.batch_size, eos_token_id)
        log.info("%s.sample takes %s", type(model).__name__, ", ".join(sorted(loaded.sample_parameters)))
        return loaded

    def sampling_arguments(self, p: Parameters) -> tuple[dict, tuple[str, ...]]:
        """The keyword arguments of sample() for the parameters, and those the model class cannot honour."""
        if not p.do_sample:
            return {"top_k": 1}, ()  # greedy: every class takes top_k
        wanted = {"top_k": p.top_k, "top_p": p.top_p, "temperature": p.temperature}
        arguments = {k: v for k, v in wanted.items() if k in self.sample_parameters}
        dropped = tuple(
            k for k, v in wanted.items() if k not in self.sample_parameters and v != NEUTRAL_SAMPLING.get(k)
        )
        return arguments, dropped

    def generate(self, input_ids: list[int], max_new_tokens: int, p: Parameters) -> Generation:
        """The new tokens for one prompt, stopping at the end-of-sequence token."""
        import torch

        arguments, dropped = self.sampling_arguments(p)
        # A model compiled for batch size B takes B rows; the prompt fills them all.
        batch = torch.tensor([input_ids] * self.batch_size)
        with torch.inference_mode():
            out = self.model.sample(batch, sequence_length=len(input_ids) + max_new_tokens, **arguments)
        tokens = out[0].tolist()[len(input_ids) :]
        if self.eos_token_id is not None and self.eos_token_id in tokens:
            tokens = tokens[: tokens.index(self.eos_token_id)]
        return Generation(tokens, dropped)
