"""The compiled model on the NeuronCores: the one part of serving that needs Inferentia2."""

from __future__ import annotations

import logging
from pathlib import Path

from chat_contract.chat import Parameters

from .settings import ServingSettings

log = logging.getLogger(__name__)


class NeuronModel:
    """transformers-neuronx's model loaded from the checkpoint and the saved NEFFs (no compile at startup)."""

    def __init__(self, model, batch_size: int, eos_token_id: int | None) -> None:
        self.model = model
        self.batch_size = batch_size
        self.eos_token_id = eos_token_id

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
        return cls(model, settings.batch_size, eos_token_id)

    def generate(self, input_ids: list[int], max_new_tokens: int, p: Parameters) -> list[int]:
        """The new tokens for one prompt, stopping at the end-of-sequence token."""
        import torch

        # A model compiled for batch size B takes B rows; the prompt fills them all.
        batch = torch.tensor([input_ids] * self.batch_size)
        with torch.inference_mode():
            out = self.model.sample(
                batch,
                sequence_length=len(input_ids) + max_new_tokens,
                top_k=p.top_k if p.do_sample else 1,
                top_p=p.top_p if p.do_sample else 1.0,
                temperature=p.temperature if p.do_sample else 1.0,
            )
        tokens = out[0].tolist()[len(input_ids) :]
        if self.eos_token_id is not None and self.eos_token_id in tokens:
            tokens = tokens[: tokens.index(self.eos_token_id)]
        return tokens
