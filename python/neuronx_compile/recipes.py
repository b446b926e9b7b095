"""The compile recipes: what differs between the backends; main.run is the machinery they share.

A recipe checks what only it can check before anything is downloaded (``preflight``), says which
checkpoint model types it compiles (``check_model_type``, before any weight is fetched), and compiles
a local snapshot into a directory (``compile``), returning what to upload and what the manifest adds.
Settings, download, markers, progress, upload, publish, verification, redaction and _FAILURE are main's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from . import constants as c
from .download import check_model_type


@dataclass(frozen=True)
class Compiled:
    """What a recipe produced: library versions, the local folders to upload (and where under the
    prefix), and the fields it adds to manifest.json."""

    versions: dict
    uploads: tuple[tuple[Path, str], ...]
    manifest: dict = field(default_factory=dict)


class Recipe(Protocol):
    name: str

    def preflight(self, settings) -> None: ...

    def check_model_type(self, config: dict) -> str: ...

    def compile(self, checkpoint_dir: Path, compiled_dir: Path, settings, token: str | None) -> Compiled: ...


class TransformersNeuronxRecipe:
    """transformers-neuronx: the checkpoint under model/, the saved NEFFs under compiled/."""

    name = c.TRANSFORMERS_NEURONX

    def preflight(self, settings) -> None:
        return None

    def check_model_type(self, config: dict) -> str:
        return check_model_type(config)

    def compile(self, checkpoint_dir: Path, compiled_dir: Path, settings, token: str | None) -> Compiled:
        from .neuron import compile_model

        versions = compile_model(checkpoint_dir, compiled_dir, settings)
        return Compiled(versions, ((checkpoint_dir, c.MODEL_DIR), (compiled_dir, c.COMPILED_DIR)))


def recipe_for(settings) -> Recipe:
    """The recipe NEURONX_BACKEND names (settings has already refused any other value)."""
    if settings.backend == c.OPTIMUM_NEURON:
        from .optimum_recipe import OptimumNeuronRecipe

        return OptimumNeuronRecipe()
    return TransformersNeuronxRecipe()
