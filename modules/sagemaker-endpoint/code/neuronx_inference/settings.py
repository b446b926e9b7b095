"""The compile settings as the serving container gets them, checked against the artifacts' manifest."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import constants as c
from .errors import ModelLoadError


@dataclass(frozen=True)
class ServingSettings:
    """The compile settings: the same environment variables the compile job read."""

    tp_degree: int
    n_positions: int
    batch_size: int
    amp: str
    quant_dtype: str | None
    max_new_tokens: int = c.DEFAULT_MAX_NEW_TOKENS_LIMIT

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ServingSettings:
        e = c.SETTINGS_ENV
        try:
            return cls(
                tp_degree=int(env[e["tp_degree"]]),
                n_positions=int(env[e["n_positions"]]),
                batch_size=int(env[e["batch_size"]]),
                amp=env[e["amp"]],
                quant_dtype=env.get(e["quant_dtype"]) or None,
                max_new_tokens=int(env.get(c.MAX_NEW_TOKENS_ENV) or c.DEFAULT_MAX_NEW_TOKENS_LIMIT),
            )
        except (KeyError, ValueError) as error:
            raise ModelLoadError(
                f"the serving environment lacks a valid compile setting ({error}); the endpoint construct sets "
                + ", ".join(e.values())
            ) from None

    def check_manifest(self, model_dir: Path) -> None:
        """Fails when the artifacts were compiled with other settings than the environment says."""
        path = model_dir / c.MANIFEST
        if not path.exists():
            return
        options = json.loads(path.read_text()).get("options", {})
        for name in ("tp_degree", "n_positions", "batch_size", "amp", "quant_dtype"):
            if name in options and options[name] != getattr(self, name):
                raise ModelLoadError(
                    f"the artifacts were compiled with {name}={options[name]!r} but the serving environment says "
                    f"{getattr(self, name)!r}; serve them with the compile settings they were built with"
                )
