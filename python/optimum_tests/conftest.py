"""The optimum-neuron tier: the real optimum-neuron package (.venv-optimum), the AWS and Hub emulators.

Imported at collection, so a missing package fails the tier (it is never skipped).
"""

# ruff: noqa: I001 - tests.conftest starts the Hub emulator and sets HF_ENDPOINT before huggingface_hub is imported
from __future__ import annotations

from tests.conftest import aws, bucket, emulator, hub, s3, tiny_llama_files, tiny_model  # noqa: F401 - fixtures

import json
import sys
from pathlib import Path

# The Neuron compiler's package is a stand-in (its __version__ only): see compiler_stand_in/neuronxcc.
sys.path.insert(0, str(Path(__file__).resolve().parent / "compiler_stand_in"))

import optimum.neuron  # noqa: F401 - the real package: without it, collection fails
import pytest
from optimum.neuron.cache.entries.single_model import SingleModelCacheEntry
from optimum.neuron.cache.hub_cache import REGISTRY_FOLDER
from optimum.neuron.utils import DTYPE_MAPPER
from transformers import AutoConfig

from tests.support.compile_env import optimum_compile_env as optimum_env
from tests.support.hub import Repo
from optimum_tests import stand_in
from neuronx_compile.settings import Settings

stand_in.install_model_classes()

PUBLIC_CACHE = "aws-neuron/optimum-neuron-cache"
PRIVATE_CACHE = "test-org/private-neuron-cache"
REPO_ROOT = Path(__file__).resolve().parents[2]
GOLDEN = REPO_ROOT / "__tests__" / "golden" / "optimum"


def settings_for(model_id: str, work_dir: Path, **overrides: str) -> Settings:
    return Settings.from_env(optimum_env(model_id, NEURONX_WORK_DIR=str(work_dir), **overrides))


def snapshot(tmp_path: Path, files: dict[str, bytes] | None = None) -> Path:
    """A local snapshot of the tiny Llama (what the job's download leaves), with its top-level files."""
    path = tmp_path / "snapshot"
    path.mkdir()
    for name, data in (files or model_files()).items():
        if "/" not in name:
            (path / name).write_bytes(data)
    return path


def model_files() -> dict[str, bytes]:
    """The tiny Llama of the unit tier, its config.json carrying torch_dtype as Hub checkpoints do."""
    files = tiny_llama_files()
    config = json.loads(files["config.json"])
    files["config.json"] = json.dumps({**config, "torch_dtype": "bfloat16"}).encode()
    return files


def cache_repo(config_files: dict[str, bytes], settings: Settings, with_graphs: bool = True) -> dict[str, bytes]:
    """A Hub cache repository holding this configuration, as optimum-neuron's export writes one: the registry
    entry (the real SingleModelCacheEntry, of the config as NxDPreTrainedModel._export holds it, under
    neuronxcc-<version>/0_REGISTRY/<optimum version>/<arch digest>/) and, with_graphs, the compiled graphs."""
    import tempfile

    from optimum.neuron import NeuronModelForCausalLM

    with tempfile.TemporaryDirectory() as tmp:
        local = snapshot(Path(tmp), config_files)
        config = AutoConfig.from_pretrained(str(local)).get_text_config()
        neuron_config = NeuronModelForCausalLM.get_neuron_config(
            str(local),
            config=config,
            instance_type=settings.target_instance_family,
            batch_size=settings.batch_size,
            sequence_length=settings.n_positions,
            tensor_parallel_size=settings.tp_degree,
        )
        neuron_config.torch_dtype = DTYPE_MAPPER.pt(settings.optimum_dtype)
        config.torch_dtype = neuron_config.torch_dtype
        entry = SingleModelCacheEntry(settings.model_id, "text-generation", config, neuron_config)
    registry = f"{stand_in.COMPILER_DIR}/{REGISTRY_FOLDER}"
    files = {
        f"{registry}/{entry.arch_digest()}/{entry.hash}.json": entry.serialize().encode(),
        f"{registry}/{entry.model_type}/{settings.model_id}/{entry.hash}.json": entry.serialize().encode(),
    }
    if with_graphs:
        folder = stand_in.module_folder(neuron_config)
        files[f"{folder}/model.neff"] = b"NEFF from the Hub cache " + json.dumps(neuron_config.to_dict()).encode()
        files[f"{folder}/compile_flags.json"] = b'["--target=trn1"]'
    return files


@pytest.fixture
def public_cache(hub):  # noqa: F811 - the Hub emulator fixture of tests.conftest
    """An empty public cache (the compiler folder only): every lookup misses until a test adds entries."""
    hub.repos[PUBLIC_CACHE] = Repo(files={f"{stand_in.COMPILER_DIR}/README.md": b"cache"})
    return hub.repos[PUBLIC_CACHE]


@pytest.fixture(autouse=True)
def fresh_registry_lookup(monkeypatch, tmp_path):
    """hub_registry_path caches its answer per repo id, and huggingface_hub its downloads: each test builds its own repos."""
    import huggingface_hub.constants
    from optimum.neuron.cache.hub_cache import hub_registry_path

    hub_registry_path.cache_clear()
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-hub-cache"))
    stand_in.CALLS.clear()
    yield
