"""The Neuron compile: the one part that needs Inferentia2 hardware.

transformers-neuronx (0.10 and later) reads Hugging Face checkpoints, safetensors
or PyTorch, sharded or not, directly, so no split checkpoint is saved.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from . import constants as c
from .errors import CompileError

log = logging.getLogger(__name__)


def compile_model(checkpoint_dir: Path, compiled_dir: Path, settings) -> dict:
    """Compiles the checkpoint for the settings and saves the NEFFs; returns the library versions used."""
    os.environ[c.NEURON_CC_FLAGS_ENV] = settings.neuron_cc_flags
    try:
        import transformers_neuronx
        from transformers_neuronx import NeuronAutoModelForCausalLM, NeuronConfig, QuantizationConfig
    except ImportError as error:
        raise CompileError(
            f"transformers-neuronx is not importable in this image ({error}); use an image of Neuron SDK 2.18 to 2.25, the releases whose DLC carries it",
            "compile",
        ) from error

    kwargs = {
        "batch_size": settings.batch_size,
        "tp_degree": settings.tp_degree,
        "n_positions": settings.n_positions,
        "amp": settings.amp,
    }
    if settings.quant_dtype:
        # The dequantized type must match amp.
        kwargs["neuron_config"] = NeuronConfig(
            quant=QuantizationConfig(quant_dtype=settings.quant_dtype, dequant_dtype=settings.amp)
        )
    log.info("compiling with %s and NEURON_CC_FLAGS=%r", kwargs, settings.neuron_cc_flags)
    try:
        model = NeuronAutoModelForCausalLM.from_pretrained(str(checkpoint_dir), **kwargs)
        model.to_neuron()
        compiled_dir.mkdir(parents=True, exist_ok=True)
        model.save(str(compiled_dir))
    except Exception as error:
        raise CompileError(f"the Neuron compile failed: {type(error).__name__}: {error}", "compile") from error
    return {"transformers_neuronx": getattr(transformers_neuronx, "__version__", "unknown")}
