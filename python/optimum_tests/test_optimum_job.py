"""The compile job's optimum-neuron recipe end to end against the AWS emulator (moto) and the Hub emulator.

The job runs in this process (main.run, the real optimum-neuron package); only the Neuron compile is the
stand-in (optimum_tests/stand_in.py). A version mismatch runs `python3 -m neuronx_compile` as the container does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import boto3
import pytest

from neuronx_compile.main import run
from neuronx_compile.optimum_recipe import export_options
from neuronx_compile.progress import Progress
from neuronx_compile.store import ArtifactStore
from optimum_tests import stand_in
from optimum_tests.conftest import PRIVATE_CACHE, PUBLIC_CACHE, cache_repo, model_files, optimum_env, settings_for
from tests.conftest import PYTHON_DIR, objects
from tests.support.hub import Repo

MODEL = "test-org/tiny-llama"
EXPORTED = [
    "compiled/checkpoint/weights/tp0_sharded_checkpoint.safetensors",
    "compiled/checkpoint/weights/tp1_sharded_checkpoint.safetensors",
    "compiled/config.json",
    "compiled/generation_config.json",
    "compiled/model.pt",
    "compiled/neuron_config.json",
    "compiled/special_tokens_map.json",
    "compiled/tokenizer.json",
    "compiled/tokenizer_config.json",
]


@pytest.fixture
def model(hub):
    hub.repos[MODEL] = Repo(files=model_files())
    return MODEL


def run_job(tmp_path, s3, **overrides):
    settings = settings_for(MODEL, tmp_path / "work", **overrides)
    store = ArtifactStore(s3, settings.bucket, settings.prefix)
    progress = Progress(lambda body: store.put_text("_PROGRESS", body), settings.instance_id)
    manifest = run(settings, s3, boto3.client("secretsmanager"), progress)
    return settings, manifest, objects(s3, settings.bucket, settings.prefix), store


class TestCacheHit:
    @pytest.fixture
    def result(self, tmp_path, s3, bucket, model, hub, public_cache):
        settings = settings_for(MODEL, tmp_path / "work")
        public_cache.files.update(cache_repo(model_files(), settings))
        return (*run_job(tmp_path, s3), hub)

    def test_fetches_the_compiled_graphs_and_compiles_nothing(self, result):
        _, _, _, _, hub = result
        [call] = stand_in.CALLS
        assert call["compiled"] is False and call["cache_repo"] == PUBLIC_CACHE
        assert any(name.endswith("/model.neff") for name in hub.downloaded(PUBLIC_CACHE))

    def test_the_manifest_says_hub_cache(self, result):
        settings, manifest, store, _, _ = result
        written = json.loads(store[settings.prefix + "manifest.json"])
        assert written["source"] == manifest["source"] == "hub-cache"
        assert written["backend"] == "optimum-neuron"
        assert written["optimum_neuron_version"] == "0.4.5"
        assert written["versions"]["optimum_neuron"] == "0.4.5"
        assert written["options"] == export_options(settings)
        assert written["options"]["torch_dtype"] == "bfloat16"

    def test_compiled_holds_the_export_directory_and_nothing_else_is_uploaded(self, result):
        settings, _, store, _, _ = result
        artifacts = sorted(k[len(settings.prefix) :] for k in store if k.startswith(settings.prefix + "compiled/"))
        assert artifacts == EXPORTED
        assert not [k for k in store if k.startswith(settings.prefix + "model/")]
        graphs = store[settings.prefix + "compiled/model.pt"]
        assert b"NEFF from the Hub cache" in graphs

    def test_the_neuron_config_is_the_one_the_settings_ask_for(self, result):
        settings, _, store, _, _ = result
        neuron_config = json.loads(store[settings.prefix + "compiled/neuron_config.json"])
        assert (neuron_config["batch_size"], neuron_config["sequence_length"], neuron_config["tp_degree"]) == (
            4,
            4096,
            2,
        )
        assert neuron_config["torch_dtype"] == "bfloat16" and neuron_config["target"] == "trn1"
        assert json.loads(store[settings.prefix + "compiled/config.json"])["dtype"] == "bfloat16"

    def test_success_is_published_and_verified(self, result):
        _, _, store, artifact_store, _ = result
        assert artifact_store.verify_success() is None
        assert artifact_store.prefix + "_FAILURE" not in store


def test_a_miss_compiles_and_says_compiled(tmp_path, s3, bucket, model, hub, public_cache):
    settings, manifest, store, _ = run_job(tmp_path, s3)
    [call] = stand_in.CALLS
    assert call["compiled"] is True and call["fetched"] == []
    assert json.loads(store[settings.prefix + "manifest.json"])["source"] == manifest["source"] == "compiled"
    assert (
        sorted(k[len(settings.prefix) :] for k in store if "/compiled/" in "/" + k[len(settings.prefix) - 1 :])
        == EXPORTED
    )


def test_a_hit_in_the_private_cache_fetches_from_it(tmp_path, s3, bucket, model, hub, public_cache):
    settings = settings_for(MODEL, tmp_path / "work", NEURONX_OPTIMUM_CACHE_REPO=PRIVATE_CACHE)
    hub.repos[PRIVATE_CACHE] = Repo(files=cache_repo(model_files(), settings))
    settings, manifest, _, _ = run_job(tmp_path, s3, NEURONX_OPTIMUM_CACHE_REPO=PRIVATE_CACHE)
    [call] = stand_in.CALLS
    assert call["cache_repo"] == PRIVATE_CACHE and call["compiled"] is False
    assert manifest["source"] == "private-cache" and manifest["cache_repo"] == PRIVATE_CACHE
    assert "CUSTOM_CACHE_REPO" not in os.environ


def test_a_model_type_optimum_does_not_export_is_refused_before_any_weight(tmp_path, s3, bucket, hub, public_cache):
    files = model_files()
    files["config.json"] = json.dumps({"model_type": "gpt2"}).encode()
    hub.repos[MODEL] = Repo(files=files)
    with pytest.raises(Exception, match="model_type 'gpt2', which optimum-neuron does not export"):
        run_job(tmp_path, s3)
    assert hub.downloaded(MODEL) == ["config.json"]


def test_an_image_of_another_optimum_neuron_version_is_refused(tmp_path, s3, bucket, model, hub):
    env = {**os.environ, **optimum_env(MODEL, NEURONX_OPTIMUM_NEURON_VERSION="0.4.4")}
    env["NEURONX_WORK_DIR"] = str(tmp_path / "work")
    env["PYTHONPATH"] = str(PYTHON_DIR)
    proc = subprocess.run(
        [sys.executable, "-m", "neuronx_compile"], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1, proc.stderr
    failure = objects(s3, "models")[env["NEURONX_PREFIX"] + "_FAILURE"].decode()
    assert "reason=the image has optimum-neuron 0.4.5, but NEURONX_OPTIMUM_NEURON_VERSION is 0.4.4" in failure
    assert "phase=bootstrap" in failure
    assert not [r for r in hub.requests if r.path.startswith(f"/{MODEL}/")], "nothing is downloaded"
