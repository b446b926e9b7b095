"""The optimum-neuron recipe's settings and choices, without the package (the optimum tier runs it for real)."""

from __future__ import annotations

import pytest

from neuronx_compile import constants as c
from neuronx_compile.errors import SettingsError, UnsupportedModelError
from neuronx_compile.optimum_recipe import OptimumNeuronRecipe, check_model_type, cli_arguments, export_options
from neuronx_compile.recipes import TransformersNeuronxRecipe, recipe_for
from neuronx_compile.settings import Settings
from tests.conftest import objects, run_compile
from tests.support.compile_env import compile_env, optimum_compile_env

OPTIMUM = optimum_compile_env("TinyLlama/TinyLlama-1.1B-Chat-v1.0", NEURONX_INSTANCE_ID=None)


def test_reads_the_optimum_settings():
    settings = Settings.from_env({**OPTIMUM, "NEURONX_OPTIMUM_CACHE_REPO": "my-org/neuron-cache"})
    assert settings.backend == "optimum-neuron"
    assert (settings.optimum_neuron_version, settings.target_instance_family) == ("0.4.5", "inf2")
    assert settings.optimum_cache_repo == "my-org/neuron-cache"
    assert isinstance(recipe_for(settings), OptimumNeuronRecipe)


def test_an_absent_backend_is_transformers_neuronx_as_before():
    settings = Settings.from_env(compile_env("test-org/tiny-llama"))  # no NEURONX_BACKEND
    assert settings.backend == "transformers-neuronx"
    assert isinstance(recipe_for(settings), TransformersNeuronxRecipe)
    assert "tp_degree" in settings.options() and "task" not in settings.options()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"NEURONX_BACKEND": "neuronx-distributed"},
            "NEURONX_BACKEND must be one of transformers-neuronx, optimum-neuron",
        ),
        ({"NEURONX_OPTIMUM_NEURON_VERSION": None}, "NEURONX_OPTIMUM_NEURON_VERSION is not set"),
        ({"NEURONX_TARGET_INSTANCE_FAMILY": "trn1"}, "NEURONX_TARGET_INSTANCE_FAMILY must be one of inf2, got 'trn1'"),
        ({"NEURONX_OPT_LEVEL": "2"}, "NEURONX_OPT_LEVEL is not an optimum-neuron export option"),
        ({"NEURONX_QUANT_DTYPE": "s8"}, "NEURONX_QUANT_DTYPE is not an optimum-neuron export option"),
        ({"NEURONX_AMP": "fp8"}, "NEURONX_AMP must be one of bf16, f16, f32"),
    ],
)
def test_refuses_what_the_export_does_not_take(change, message):
    env = {k: v for k, v in {**OPTIMUM, **change}.items() if v is not None}
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_the_export_options_map_amp_to_optimums_dtype_names():
    for amp, dtype in (("bf16", "bfloat16"), ("f16", "float16"), ("f32", "float32")):
        settings = Settings.from_env({**OPTIMUM, "NEURONX_AMP": amp})
        assert (
            settings.options()
            == export_options(settings)
            == {
                "task": "text-generation",
                "instance_type": "inf2",
                "batch_size": 4,
                "sequence_length": 4096,
                "tensor_parallel_size": 2,
                "torch_dtype": dtype,
            }
        )
        assert cli_arguments(settings, "m", "o")[-3:] == ["--torch_dtype", dtype, "o"]


def test_accepts_the_model_types_optimum_neuron_exports():
    assert check_model_type({"model_type": "llama"}) == "llama"
    assert check_model_type({"model_type": "llama4", "text_config": {"model_type": "llama4_text"}}) == "llama4_text"
    with pytest.raises(UnsupportedModelError, match="model_type 'gpt2', which optimum-neuron does not export"):
        check_model_type({"model_type": "gpt2"})
    assert set(c.OPTIMUM_MODEL_TYPES) >= {"llama", "mixtral", "qwen2", "qwen3"}


def test_an_image_without_optimum_neuron_fails_before_any_download(tmp_path, s3, bucket, tiny_model, hub):
    # The unit tier's environment has no optimum-neuron: as an image of the wrong kind would not.
    env = {**OPTIMUM, "NEURONX_MODEL_ID": tiny_model, "NEURONX_INSTANCE_ID": "i-0123456789abcdef0"}
    proc = run_compile(tmp_path, env)
    failure = objects(s3, bucket)[OPTIMUM["NEURONX_PREFIX"] + "_FAILURE"].decode()
    assert proc.returncode == 1
    assert "reason=optimum-neuron is not installed in this image; NEURONX_OPTIMUM_NEURON_VERSION says 0.4.5" in failure
    assert "phase=bootstrap" in failure
    assert not hub.requests
