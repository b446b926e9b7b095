"""The Triton Python backend model (python/triton_neuron/model.py) as Triton's Python backend runs
it: configured by the golden repositories' config.pbtxt (parsed by tritonclient's model_config
protobuf, passed as JSON as the backend passes it), with stand-ins for triton_python_backend_utils,
torch and torch_neuronx (tests/support/triton_stand_in, each naming the API it mirrors)."""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "__tests__" / "golden" / "triton"
STAND_IN = Path(__file__).resolve().parent / "support" / "triton_stand_in"
MODEL_PY = REPO / "python" / "triton_neuron" / "model.py"


def model_config(path: Path):
    from google.protobuf import json_format, text_format
    from tritonclient.grpc import model_config_pb2

    config = text_format.Parse(path.read_text(), model_config_pb2.ModelConfig())
    return config, json_format.MessageToJson(config, preserving_proto_field_name=True)


@pytest.fixture
def backend(monkeypatch):
    """A fresh stub process for each instance: the stand-ins on the path, nothing of torch imported."""
    monkeypatch.syspath_prepend(str(STAND_IN))
    monkeypatch.delenv("NEURON_RT_VISIBLE_CORES", raising=False)
    for name in [
        m for m in sys.modules if m.split(".")[0] in ("torch", "torch_neuronx", "triton_python_backend_utils", "model")
    ]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(MODEL_PY.parent))
    return importlib.import_module("model")


def instance(backend, tmp_path, repository: str, model: str, instance_name: str):
    """initialize() with the args Triton gives: model_config as JSON, the instance's name, the model's directory."""
    config, as_json = model_config(GOLDEN / repository / model / "config.pbtxt")
    model_dir = tmp_path / model
    (model_dir / "1").mkdir(parents=True)
    shutil.copy(MODEL_PY, model_dir / "1" / "model.py")  # every model's 1/model.py (the TS tests check)
    batch = int(dict(config.parameters)["NEURON_COMPILED_BATCH_SIZE"].string_value)
    # What the torch stand-in's jit.load reads: add_sub traced for `batch` rows of 4 values.
    (model_dir / "1" / "model.pt").write_text(json.dumps({"batch": batch, "width": 4}))
    served = backend.TritonPythonModel()
    served.initialize(
        {
            "model_config": as_json,
            "model_instance_kind": "MODEL",
            "model_instance_name": instance_name,
            "model_instance_device_id": "0",
            "model_repository": str(model_dir),
            "model_version": "1",
            "model_name": model,
        }
    )
    return served


def request(a, b, names=("INPUT__0", "INPUT__1")):
    import triton_python_backend_utils as pb_utils

    arrays = [np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)]
    return pb_utils.InferenceRequest(
        model_name="add_sub",
        inputs=[pb_utils.Tensor(n, x) for n, x in zip(names, arrays, strict=True)],
        requested_output_names=["OUTPUT__0", "OUTPUT__1"],
    )


def rows(n, start=0):
    return np.arange(start, start + 4 * n, dtype=np.float32).reshape(n, 4)


@pytest.mark.parametrize(
    "path", sorted(GOLDEN.glob("*/*/config.pbtxt")), ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}"
)
def test_every_golden_config_is_a_model_config_tritonclient_parses(path):
    config, _ = model_config(path)
    assert config.name == path.parent.name
    if config.platform != "ensemble":
        assert config.backend == "python"
        assert [g.kind for g in config.instance_group] == [config.instance_group[0].KIND_MODEL]
        assert all(t.name.rsplit("__", 1)[1].isdigit() for t in [*config.input, *config.output])


@pytest.mark.parametrize(
    ("repository", "model", "instance_name", "cores"),
    [
        ("single", "add_sub", "neuron_0", "0"),
        ("single", "add_sub", "neuron_1", "1"),
        ("ensemble", "first", "neuron_1", "2-3"),
        ("ensemble", "second", "neuron_3", "7"),
    ],
)
def test_each_instance_pins_itself_to_its_neuron_cores_before_the_runtime_starts(
    backend, tmp_path, repository, model, instance_name, cores
):
    served = instance(backend, tmp_path, repository, model, instance_name)
    import torch_neuronx

    assert served.cores == cores
    assert torch_neuronx.RUNTIME_VISIBLE_CORES == cores  # what the runtime read when it started


def test_a_group_of_one_instance_is_named_after_the_group(backend):
    assert backend.instance_index("neuron", "neuron") == 0
    assert backend.instance_index("neuron_11", "neuron") == 11
    with pytest.raises(Exception, match="is not of the instance group 'neuron'"):
        backend.instance_index("add_sub_0_0", "neuron")


def test_merges_requests_runs_them_in_compiled_batches_and_splits_the_answers(backend, tmp_path):
    served = instance(backend, tmp_path, "single", "add_sub", "neuron_0")
    sizes = [1, 3, 2]  # 6 rows: one full compiled batch of 4, then 2 padded to 4
    inputs = [(rows(n, 100 * i), rows(n, 100 * i + 1)) for i, n in enumerate(sizes)]
    responses = served.execute([request(a, b) for a, b in inputs])
    assert served.model.calls == [(4, 4), (4, 4)]
    for (a, b), response in zip(inputs, responses, strict=True):
        assert not response.has_error()
        total, difference = (t.as_numpy() for t in response.output_tensors())
        assert [t.name() for t in response.output_tensors()] == ["OUTPUT__0", "OUTPUT__1"]
        np.testing.assert_array_equal(total, a + b)
        np.testing.assert_array_equal(difference, a - b)
        assert total.dtype == np.float32


def test_an_instance_of_two_cores_runs_a_compiled_batch_on_each(backend, tmp_path):
    served = instance(backend, tmp_path, "ensemble", "first", "neuron_0")
    a, b = rows(5), rows(5, 7)
    [response] = served.execute([request(a, b)])
    assert served.run_batch == 8
    assert served.model.module.calls == [(4, 4), (4, 4)]  # one run of 8 rows (5 and 3 of padding), split across 2 cores
    np.testing.assert_array_equal(response.output_tensors()[0].as_numpy(), a + b)


def test_a_request_that_does_not_fit_gets_its_own_error_and_the_others_are_served(backend, tmp_path):
    served = instance(backend, tmp_path, "single", "add_sub", "neuron_0")
    good = request(rows(2), rows(2))
    wrong_shape = request(np.zeros((1, 5)), np.zeros((1, 5)))
    missing = request(rows(1), rows(1), names=("INPUT__0", "WRONG__1"))
    responses = served.execute([good, wrong_shape, missing])
    assert not responses[0].has_error()
    assert responses[1].error().message() == (
        "add_sub: input INPUT__0 has shape [1, 5], but the model was compiled for [batch, 4]"
    )
    assert responses[2].error().message() == "add_sub: the request has no input INPUT__1"
    assert served.model.calls == [(4, 4)]


def test_a_compiled_model_with_other_outputs_than_the_config_fails_loudly(backend, tmp_path, monkeypatch):
    served = instance(backend, tmp_path, "single", "add_sub", "neuron_0")
    original = served.model
    monkeypatch.setattr(served, "model", lambda a, b: original(a, b)[:1])
    with pytest.raises(Exception, match="returns 1 tensors, but config.pbtxt names 2 outputs"):
        served.execute([request(rows(1), rows(1))])
