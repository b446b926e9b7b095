"""The serving fixtures (__tests__/golden/optimum/*.json, the contract of issue 13): the container settings the
endpoint writes pass optimum-neuron's own serve-time checks against the neuron config the export writes.

For each fixture, the compile environment drives the job's own export (the real get_neuron_config and
save_pretrained, the Llama stand-in's compile) into a directory; then the container environment becomes the
arguments of ``optimum-cli neuron serve`` as the vLLM container's entrypoint builds them, and the real
ServeCommand.run checks them against that directory before it would start vLLM (commands/neuron/serve.py, 0.4.5).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from optimum.commands.neuron import serve
from optimum.neuron.utils.instance import normalize_instance_type

from neuronx_compile.optimum_recipe import OptimumNeuronRecipe
from neuronx_compile.settings import Settings
from optimum_tests.conftest import GOLDEN, optimum_env, snapshot
from optimum_tests.stand_in import VllmServer

FIXTURES = sorted(GOLDEN.glob("*.json"))


def test_there_are_serving_fixtures():
    assert FIXTURES, f"no serving fixtures in {GOLDEN}"


def entrypoint_arguments(container_environment: dict[str, str]) -> list[str]:
    """The arguments the vLLM container's entrypoint gives ``optimum-cli neuron serve``: --port 8080, then
    each SM_ON_<NAME>=value as --<name> value (docker/vllm/Dockerfile entrypoint.sh, optimum-neuron 0.4.5)."""
    argv = ["--port", "8080"]
    for key, value in container_environment.items():
        if key.startswith("SM_ON_"):
            argv.append("--" + key[len("SM_ON_") :].lower())
            if value:
                argv.append(value)
    return argv


def serve_checks(fixture: dict, container_environment: dict[str, str], model_dir: Path, monkeypatch) -> VllmServer:
    """Runs ServeCommand.run's body (past its vllm/torch_neuronx availability decorators) on the serving host."""
    server = VllmServer()
    family = fixture["serving_instance_type"].split(".")[1]
    monkeypatch.setattr(serve, "current_instance_type", lambda: normalize_instance_type(family))
    monkeypatch.setattr(serve, "is_vllm_available", lambda: True)
    monkeypatch.setattr(serve, "FlexibleArgumentParser", argparse.ArgumentParser, raising=False)
    monkeypatch.setattr(serve, "make_arg_parser", server.make_arg_parser, raising=False)
    monkeypatch.setattr(serve, "validate_parsed_serve_args", server.validate_parsed_serve_args, raising=False)
    monkeypatch.setattr(serve, "run_server", server.run_server, raising=False)
    monkeypatch.setattr(serve, "asyncio", __import__("asyncio"), raising=False)
    env = {k: v.replace(fixture["model_data"], str(model_dir)) for k, v in container_environment.items()}
    parser = argparse.ArgumentParser("optimum-cli neuron serve")
    serve.ServeCommand.parse_args(parser)
    args, unknown = parser.parse_known_args(entrypoint_arguments(env), None)
    args._unknown_args = unknown
    serve.ServeCommand.run.__wrapped__.__wrapped__(SimpleNamespace(args=args))
    return server


@pytest.fixture(params=FIXTURES, ids=[f.stem for f in FIXTURES])
def served(request, tmp_path):
    """(fixture, settings, the export directory) for one serving fixture."""
    fixture = json.loads(request.param.read_text())
    compile_env = fixture["compile_environment"]
    assert compile_env["NEURONX_BACKEND"] == "optimum-neuron"
    settings = Settings.from_env(
        optimum_env(compile_env["NEURONX_MODEL_ID"], NEURONX_WORK_DIR=str(tmp_path / "work"), **compile_env)
    )
    compiled = tmp_path / "compiled"
    OptimumNeuronRecipe().export(snapshot(tmp_path), compiled, settings)
    return fixture, settings, compiled


def test_the_container_settings_pass_optimums_serve_checks(served, monkeypatch):
    fixture, settings, compiled = served
    server = serve_checks(fixture, fixture["container_environment"], compiled, monkeypatch)
    started = server.started
    assert started is not None, "ServeCommand.run did not reach the vLLM server"
    assert (started.max_num_seqs, started.max_model_len, started.tensor_parallel_size) == (
        settings.batch_size,
        settings.n_positions,
        settings.tp_degree,
    )
    assert started.dtype == settings.optimum_dtype
    assert started.model == str(compiled)


@pytest.mark.parametrize(
    ("variable", "setting", "message"),
    [
        ("SM_ON_BATCH_SIZE", "batch_size", "batch_size"),
        ("SM_ON_SEQUENCE_LENGTH", "n_positions", "sequence length"),
        ("SM_ON_TENSOR_PARALLEL_SIZE", "tp_degree", "tensor parallel size"),
    ],
)
def test_a_container_setting_that_differs_from_the_export_is_refused(served, monkeypatch, variable, setting, message):
    fixture, settings, compiled = served
    env = {**fixture["container_environment"], variable: str(getattr(settings, setting) * 2)}
    with pytest.raises(ValueError, match=f"The specified {message} .* is inconsistent"):
        serve_checks(fixture, env, compiled, monkeypatch)


def test_a_serving_instance_of_another_neuron_family_is_refused(served, monkeypatch):
    fixture, _, compiled = served
    with pytest.raises(ValueError, match="compiled for trn1 and cannot run on a trn2 instance"):
        serve_checks(
            {**fixture, "serving_instance_type": "ml.trn2.48xlarge"},
            fixture["container_environment"],
            compiled,
            monkeypatch,
        )
