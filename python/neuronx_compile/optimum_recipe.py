"""The optimum-neuron recipe: the Hub cache first, then an export from the local snapshot into compiled/.

The export goes through optimum-neuron's Python API (``NeuronModelForCausalLM.get_neuron_config``,
``.export``, ``.save_pretrained``, optimum/neuron/models/inference/modeling_utils.py of 0.4.5), in this
process, rather than ``optimum-cli export neuron``:
- the CLI's run() joins its argv into one string and runs it with ``shell=True``
  (optimum/commands/export/neuronx.py NeuronxExportCommand.run), so a value would reach a shell;
- for decoder models the exporter passes ``--torch_dtype`` on to ``export(**kwargs)``, which ignores it
  with a warning, and takes the dtype from the checkpoint's config (optimum/exporters/neuron/__main__.py
  maybe_export_from_neuron_model_class): NEURONX_AMP would be dropped silently. The API is given a config
  whose dtype is NEURONX_AMP, which get_neuron_config reads.
The manifest still records the equivalent ``optimum-cli export neuron`` arguments, for a person to
reproduce the export; a test parses them with optimum's own parser.

The artifacts: compiled/ is the export directory as save_pretrained writes it (config.json,
neuron_config.json, model.pt with the NEFFs, checkpoint/ with the weights sharded for the tensor parallel
size, since the export is from a local path), plus the snapshot's tokenizer and generation files: the
endpoint loads it with no network.
"""

from __future__ import annotations

import logging
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from . import constants as c
from .errors import CompileError, UnsupportedModelError
from .recipes import Compiled

log = logging.getLogger(__name__)

EXPORT_TASK = "text-generation"


def export_options(settings) -> dict:
    """The export options, as passed to NeuronModelForCausalLM.get_neuron_config (and recorded in manifest.json)."""
    return {
        "task": EXPORT_TASK,
        "instance_type": settings.target_instance_family,
        "batch_size": settings.batch_size,
        "sequence_length": settings.n_positions,
        "tensor_parallel_size": settings.tp_degree,
        "torch_dtype": settings.optimum_dtype,
    }


def cli_arguments(settings, model_dir: str | Path, output_dir: str | Path) -> list[str]:
    """The ``optimum-cli export neuron`` arguments that export the same configuration (for the manifest)."""
    o = export_options(settings)
    return [
        "--model",
        str(model_dir),
        "--task",
        o["task"],
        "--instance_type",
        o["instance_type"],
        "--batch_size",
        str(o["batch_size"]),
        "--sequence_length",
        str(o["sequence_length"]),
        "--tensor_parallel_size",
        str(o["tensor_parallel_size"]),
        "--torch_dtype",
        o["torch_dtype"],
        str(output_dir),
    ]


def installed_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("optimum-neuron")
    except metadata.PackageNotFoundError:
        return None


def check_model_type(config: dict) -> str:
    """The checkpoint's model_type (or its text model's), when optimum-neuron 0.4.5 exports it for text generation."""
    if not isinstance(config, dict):
        config = {}
    text = config.get("text_config") if isinstance(config.get("text_config"), dict) else {}
    for model_type in (config.get("model_type"), text.get("model_type")):
        if model_type in c.OPTIMUM_MODEL_TYPES:
            return model_type
    raise UnsupportedModelError(
        f"config.json says model_type {config.get('model_type')!r}, which optimum-neuron does not export for "
        f"text generation; the exported model types are {', '.join(c.OPTIMUM_MODEL_TYPES)}. No weights were downloaded"
    )


@contextmanager
def _environ(**values: str | None):
    """Sets (or, for None, removes) environment variables for the duration of the block."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class OptimumNeuronRecipe:
    name = c.OPTIMUM_NEURON

    def preflight(self, settings) -> None:
        """Refuses an image whose optimum-neuron is not the one the compile settings (and so the cache key) name."""
        have = installed_version()
        want = settings.optimum_neuron_version
        if have is None:
            raise CompileError(
                f"optimum-neuron is not installed in this image; {c.OPTIMUM_NEURON_VERSION_ENV} says {want}: "
                "use the image of that optimum-neuron version",
                "bootstrap",
            )
        if have != want:
            raise CompileError(
                f"the image has optimum-neuron {have}, but {c.OPTIMUM_NEURON_VERSION_ENV} is {want}: the artifacts "
                "would not match the cache key or the serving container; use the image of optimum-neuron "
                f"{want}, or set the version to {have}",
                "bootstrap",
            )

    def check_model_type(self, config: dict) -> str:
        return check_model_type(config)

    def lookup(self, checkpoint_dir: Path, settings) -> tuple[str, str]:
        """(source, cache repo): the public Hub cache, then the private one, holding this configuration.

        optimum-neuron's own registry lookup (optimum/neuron/cache/hub_cache.py select_hub_cached_entries,
        as ``optimum-cli neuron serve`` uses it), keyed by the architecture of the snapshot's config.
        A lookup that fails (no registry for this compiler, a repo without access) counts as a miss.
        """
        from optimum.neuron.cache.hub_cache import select_hub_cached_entries
        from optimum.neuron.utils.instance import normalize_instance_type

        repos = [(c.OPTIMUM_PUBLIC_CACHE_REPO, "hub-cache")]
        if settings.optimum_cache_repo:
            repos.append((settings.optimum_cache_repo, "private-cache"))
        for repo, source in repos:
            try:
                entries = select_hub_cached_entries(
                    str(checkpoint_dir),
                    task=EXPORT_TASK,
                    cache_repo_id=repo,
                    instance_type=normalize_instance_type(settings.target_instance_family),
                    batch_size=settings.batch_size,
                    sequence_length=settings.n_positions,
                    tensor_parallel_size=settings.tp_degree,
                    torch_dtype=settings.optimum_dtype,
                )
            except Exception as error:  # noqa: BLE001 - a cache that cannot be read is a miss, not a failure
                log.warning("could not look the configuration up in %s: %s: %s", repo, type(error).__name__, error)
                continue
            if entries:
                log.info("%s holds this configuration: the export fetches its compiled graphs", repo)
                return source, repo
            log.info("%s does not hold this configuration", repo)
        log.info("no Hub cache holds this configuration: the export compiles it")
        return "compiled", c.OPTIMUM_PUBLIC_CACHE_REPO

    def compile(self, checkpoint_dir: Path, compiled_dir: Path, settings, token: str | None) -> Compiled:
        # The token reads a private cache repo (and nothing else: the snapshot is local).
        with _environ(HF_TOKEN=token):
            source, repo = self.lookup(checkpoint_dir, settings)
            # CUSTOM_CACHE_REPO: the repo optimum-neuron's compiler cache proxy fetches from during the export
            # (optimum/neuron/utils/cache_utils.py get_hf_hub_cache_repos).
            with _environ(CUSTOM_CACHE_REPO=repo):
                self.export(checkpoint_dir, compiled_dir, settings)
        if not (compiled_dir / "neuron_config.json").is_file():
            raise CompileError(
                "the export wrote no neuron_config.json: the serving container could not load it", "compile"
            )
        versions = {"optimum_neuron": installed_version() or "unknown"}
        try:
            from optimum.neuron.utils.version_utils import get_neuronxcc_version

            versions["neuronx_cc"] = get_neuronxcc_version()
        except Exception as error:  # noqa: BLE001 - the compiler's version is informative only
            log.info("neuronx-cc version unknown: %s", error)
        manifest = {
            "backend": c.OPTIMUM_NEURON,
            "optimum_neuron_version": settings.optimum_neuron_version,
            "source": source,
            "cache_repo": repo,
            "export_cli_arguments": cli_arguments(settings, "<snapshot>", "<compiled>"),
        }
        return Compiled(versions, ((compiled_dir, c.COMPILED_DIR),), manifest)

    def export(self, checkpoint_dir: Path, compiled_dir: Path, settings) -> None:
        """get_neuron_config + export + save_pretrained from the local snapshot, then its tokenizer files."""
        options = export_options(settings)
        log.info("exporting with %s", options)
        try:
            import torch
            from optimum.neuron import NeuronModelForCausalLM
            from optimum.neuron.utils.instance import align_compilation_target
            from transformers import AutoConfig

            # As the exporter does before neuronx-distributed starts: the target, on a host with or without devices.
            align_compilation_target(options["instance_type"], override=True)
            config = AutoConfig.from_pretrained(str(checkpoint_dir)).get_text_config()
            config.dtype = getattr(torch, options["torch_dtype"])
            neuron_config = NeuronModelForCausalLM.get_neuron_config(
                str(checkpoint_dir),
                config=config,
                instance_type=options["instance_type"],
                batch_size=options["batch_size"],
                sequence_length=options["sequence_length"],
                tensor_parallel_size=options["tensor_parallel_size"],
            )
            model = NeuronModelForCausalLM.export(
                str(checkpoint_dir), neuron_config=neuron_config, config=config, load_weights=False
            )
            model.save_pretrained(str(compiled_dir))
        except CompileError:
            raise
        except Exception as error:
            raise CompileError(
                f"the optimum-neuron export failed: {type(error).__name__}: {error}", "compile"
            ) from error
        # The exporter saves the tokenizer beside the model; the snapshot's own files are copied as they are.
        for name in c.MODEL_FILES:
            source = checkpoint_dir / name
            if name != "config.json" and source.is_file() and not (compiled_dir / name).exists():
                shutil.copy2(source, compiled_dir / name)
