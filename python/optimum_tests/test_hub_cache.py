"""The Hub cache lookup: optimum-neuron's own registry code (select_hub_cached_entries) against the Hub emulator."""

from __future__ import annotations

from neuronx_compile.optimum_recipe import OptimumNeuronRecipe
from optimum_tests.conftest import PRIVATE_CACHE, PUBLIC_CACHE, cache_repo, model_files, settings_for, snapshot
from tests.support.hub import Repo


def test_a_configuration_in_the_public_cache_is_a_hit(tmp_path, hub, public_cache):
    settings = settings_for("test-org/tiny-llama", tmp_path)
    public_cache.files.update(cache_repo(model_files(), settings))
    assert OptimumNeuronRecipe().lookup(snapshot(tmp_path), settings) == ("hub-cache", PUBLIC_CACHE)
    assert any(r.path.startswith(f"/api/models/{PUBLIC_CACHE}/tree/") for r in hub.requests)


def test_another_batch_size_sequence_length_tp_or_dtype_is_a_miss(tmp_path, hub, public_cache):
    cached = settings_for("test-org/tiny-llama", tmp_path)
    public_cache.files.update(cache_repo(model_files(), cached))
    local = snapshot(tmp_path)
    for change in (
        {"NEURONX_BATCH_SIZE": "8"},
        {"NEURONX_N_POSITIONS": "2048"},
        {"NEURONX_TP_DEGREE": "8"},
        {"NEURONX_AMP": "f16"},
    ):
        settings = settings_for("test-org/tiny-llama", tmp_path, **change)
        assert OptimumNeuronRecipe().lookup(local, settings) == (
            "compiled",
            PUBLIC_CACHE,
        ), change


def test_another_architecture_is_a_miss(tmp_path, hub, public_cache):
    settings = settings_for("test-org/tiny-llama", tmp_path)
    public_cache.files.update(cache_repo(model_files(), settings))
    other = model_files()
    other["config.json"] = other["config.json"].replace(b'"num_hidden_layers": 2', b'"num_hidden_layers": 4')
    assert OptimumNeuronRecipe().lookup(snapshot(tmp_path, other), settings) == ("compiled", PUBLIC_CACHE)


def test_the_private_cache_is_looked_up_after_the_public_one(tmp_path, hub, public_cache):
    settings = settings_for("test-org/tiny-llama", tmp_path, NEURONX_OPTIMUM_CACHE_REPO=PRIVATE_CACHE)
    hub.repos[PRIVATE_CACHE] = Repo(files=cache_repo(model_files(), settings))
    assert OptimumNeuronRecipe().lookup(snapshot(tmp_path), settings) == ("private-cache", PRIVATE_CACHE)
    trees = [r.path for r in hub.requests if "/tree/" in r.path]
    assert trees[0].startswith(f"/api/models/{PUBLIC_CACHE}/") and trees[-1].startswith(f"/api/models/{PRIVATE_CACHE}/")


def test_an_unreadable_cache_is_a_miss_not_a_failure(tmp_path, hub):
    # No public cache repository at all on the emulator: the registry listing answers 401 RepoNotFound.
    settings = settings_for("test-org/tiny-llama", tmp_path, NEURONX_OPTIMUM_CACHE_REPO="test-org/missing")
    assert OptimumNeuronRecipe().lookup(snapshot(tmp_path), settings) == ("compiled", PUBLIC_CACHE)
