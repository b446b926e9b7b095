"""The compile settings, read and checked from the environment the user data exports."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from . import constants as c
from .errors import SettingsError


@dataclass(frozen=True)
class Settings:
    """Everything the compile needs; the compile settings part mirrors lib/compile-settings.ts."""

    model_id: str
    revision: str
    neuron_sdk_version: str
    tp_degree: int
    n_positions: int
    batch_size: int
    amp: str
    quant_dtype: str | None
    opt_level: int
    bucket: str
    prefix: str
    work_dir: str
    hf_token_secret_arn: str | None
    instance_id: str
    allow_pickle_weights: bool = False
    backend: str = c.TRANSFORMERS_NEURONX
    # optimum-neuron only (empty for transformers-neuronx).
    optimum_neuron_version: str = ""
    target_instance_family: str = ""
    optimum_cache_repo: str | None = None

    @property
    def optimum_dtype(self) -> str:
        """NEURONX_AMP in optimum-neuron's dtype names."""
        return c.OPTIMUM_DTYPES[self.amp]

    @property
    def neuron_cc_flags(self) -> str:
        """``NEURON_CC_FLAGS``: the transformer model type and the optimization level."""
        return f"--model-type=transformer -O{self.opt_level}"

    def options(self) -> dict:
        """The compile options as recorded in manifest.json (optimum-neuron: the export options, from its recipe)."""
        if self.backend == c.OPTIMUM_NEURON:
            from .optimum_recipe import export_options

            return export_options(self)
        return {
            "tp_degree": self.tp_degree,
            "n_positions": self.n_positions,
            "batch_size": self.batch_size,
            "amp": self.amp,
            "quant_dtype": self.quant_dtype,
            "opt_level": self.opt_level,
            "neuron_cc_flags": self.neuron_cc_flags,
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Reads the settings, collecting every problem before raising one SettingsError."""
        problems: list[str] = []

        def text(name: str, required: bool = True) -> str:
            value = env.get(name, "").strip()
            if required and not value:
                problems.append(f"{name} is not set")
            return value

        def integer(name: str, allowed: tuple[int, ...] = (), minimum: int = 1) -> int:
            raw = text(name)
            if not raw:
                return 0
            try:
                value = int(raw)
            except ValueError:
                problems.append(f"{name} must be a whole number, got {raw!r}")
                return 0
            if allowed and value not in allowed:
                problems.append(f"{name} must be one of {', '.join(map(str, allowed))}, got {value}")
            elif value < minimum:
                problems.append(f"{name} must be at least {minimum}, got {value}")
            return value

        e = c.SETTINGS_ENV
        backend = text(c.BACKEND_ENV, required=False) or c.TRANSFORMERS_NEURONX
        if backend not in c.BACKENDS:
            problems.append(f"{c.BACKEND_ENV} must be one of {', '.join(c.BACKENDS)} or unset, got {backend!r}")
        optimum = backend == c.OPTIMUM_NEURON
        amp = text(e["amp"])
        if amp and amp not in c.AMP_TYPES:
            problems.append(f"{e['amp']} must be one of {', '.join(c.AMP_TYPES)}, got {amp!r}")
        quant = text(e["quant_dtype"], required=False) or None
        if quant is not None and quant not in c.QUANT_DTYPES:
            problems.append(f"{e['quant_dtype']} must be one of {', '.join(c.QUANT_DTYPES)} or unset, got {quant!r}")
        allow_pickle = text(c.ALLOW_PICKLE_WEIGHTS_ENV, required=False) or "false"
        if allow_pickle not in ("true", "false"):
            problems.append(f"{c.ALLOW_PICKLE_WEIGHTS_ENV} must be true or false, got {allow_pickle!r}")
        optimum_fields: dict = {}
        if optimum:
            # The constructs refuse these at synth for optimum-neuron; the export has no such options.
            for name in (e["quant_dtype"], e["opt_level"]):
                if text(name, required=False):
                    problems.append(f"{name} is not an optimum-neuron export option: leave it unset")
            family = text(c.TARGET_INSTANCE_FAMILY_ENV)
            if family and family not in c.TARGET_INSTANCE_FAMILIES:
                problems.append(
                    f"{c.TARGET_INSTANCE_FAMILY_ENV} must be one of {', '.join(c.TARGET_INSTANCE_FAMILIES)}, got {family!r}"
                )
            optimum_fields = {
                "optimum_neuron_version": text(c.OPTIMUM_NEURON_VERSION_ENV),
                "target_instance_family": family,
                "optimum_cache_repo": text(c.OPTIMUM_CACHE_REPO_ENV, required=False) or None,
            }
        prefix = text(c.PREFIX_ENV)
        if prefix and not prefix.endswith("/"):
            problems.append(f"{c.PREFIX_ENV} must end with '/', got {prefix!r}")
        settings = cls(
            model_id=text(e["model_id"]),
            revision=text(e["revision"]),
            neuron_sdk_version=text(e["neuron_sdk_version"]),
            tp_degree=integer(e["tp_degree"], c.TP_DEGREES),
            n_positions=integer(e["n_positions"], minimum=128),
            batch_size=integer(e["batch_size"]),
            amp=amp,
            quant_dtype=quant,
            opt_level=0 if optimum else integer(e["opt_level"], c.OPT_LEVELS),
            bucket=text(c.BUCKET_ENV),
            prefix=prefix,
            work_dir=text(c.WORK_DIR_ENV, required=False) or "/opt/neuronx/work",
            hf_token_secret_arn=text(c.HF_TOKEN_SECRET_ENV, required=False) or None,
            instance_id=text(c.INSTANCE_ID_ENV, required=False) or "unknown",
            allow_pickle_weights=allow_pickle == "true",
            backend=backend,
            **optimum_fields,
        )
        if problems:
            raise SettingsError("invalid compile environment: " + "; ".join(problems))
        return settings
