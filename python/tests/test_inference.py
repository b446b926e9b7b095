"""The default inference code behind the SageMaker PyTorch inference toolkit of the pinned image
(sagemaker-pytorch-inference 2.0.25 from PyPI, the handler service TorchServe calls), with a real
tokenizer built here and the Neuron stand-in in place of the model on NeuronCores."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.support.chat_model import Context, build_model_dir, build_tokenizer, serving_env

SERVED = ("llama", "code_llama", "mistral", "mixtral", "gpt2", "opt", "bloom")


def worker_path(model_dir: Path, monkeypatch) -> None:
    """sys.path of a TorchServe worker: the toolkit composes PYTHONPATH and the worker starts with it.

    The real ``torchserve._set_python_path`` prepends the toolkit's code dir (/opt/ml/model/code, here
    ``model_dir/code``) to the PYTHONPATH of the model's environment (the endpoint's own code folder).
    """
    from sagemaker_pytorch_serving_container import torchserve

    monkeypatch.setattr(torchserve.environment, "code_dir", str(model_dir / "code"))
    monkeypatch.setenv("PYTHONPATH", os.environ["PYTHONPATH"])  # restored after the test
    torchserve._set_python_path()
    for entry in reversed(os.environ["PYTHONPATH"].split(os.pathsep)):
        monkeypatch.syspath_prepend(entry)


class Endpoint:
    """The model directory served through the toolkit's HandlerService, as TorchServe calls it."""

    def __init__(self, model_dir, monkeypatch, record):
        from sagemaker_pytorch_serving_container.handler_service import HandlerService

        worker_path(model_dir, monkeypatch)
        self.model_dir, self.record = model_dir, record
        self.service = HandlerService()
        self.service.initialize(Context(model_dir, {}))

    def invoke(self, body, content_type="application/json", accept="application/json"):
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        context = Context(self.model_dir, {"Content-Type": content_type, "Accept": accept})
        result = self.service.handle([{"body": body}], context)
        status = context.status[0] if context.status else 200
        return status, context.content_type, result[0]

    def samples(self):
        return [json.loads(line) for line in self.record.read_text().splitlines() if '"sample"' in line]


def token_ids(*words):
    tokenizer = build_tokenizer.__globals__["WORDS"]  # the fixed vocabulary
    specials = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    vocab = specials + sorted(set(tokenizer))
    return ",".join(str(vocab.index(w)) for w in words)


@pytest.fixture
def endpoint(tmp_path, monkeypatch, stand_in):
    def make(model_type="llama", max_new_tokens=None, **settings):
        model_dir = build_model_dir(tmp_path / "opt-ml-model", model_type=model_type, **settings)
        for name, value in serving_env(model_dir=model_dir, max_new_tokens=max_new_tokens, **settings).items():
            monkeypatch.setenv(name, value)
        record = tmp_path / "stand-in.jsonl"
        monkeypatch.setenv("NEURONX_STAND_IN_RECORD", str(record))
        monkeypatch.setenv("NEURONX_STAND_IN_REPLY", token_ids("2"))
        return Endpoint(model_dir, monkeypatch, record)

    return make


QUESTION = {
    "messages": [
        {"role": "system", "content": "you are a helpful assistant"},
        {"role": "user", "content": "what is 1 + 1 ? answer only with the number"},
    ]
}


def test_answers_a_conversation(endpoint):
    status, content_type, body = endpoint().invoke(QUESTION)
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == {"generated_text": "2"}


def test_generates_greedily_by_default_within_n_positions(endpoint):
    served = endpoint()
    served.invoke(QUESTION)
    [sample] = served.samples()
    assert sample["top_k"] == 1
    assert sample["sequence_length"] == 128  # the default 256 new tokens, cut to what nPositions leaves


def test_passes_sampling_parameters(endpoint):
    served = endpoint()
    body = {
        **QUESTION,
        "parameters": {"do_sample": True, "temperature": 0.7, "top_k": 40, "top_p": 0.9, "max_new_tokens": 5},
    }
    assert served.invoke(body)[0] == 200
    [sample] = served.samples()
    assert (sample["top_k"], sample["top_p"], sample["temperature"]) == (40, 0.9, 0.7)
    assert sample["sequence_length"] == sample["prompt"] + 5


SAMPLING = {"do_sample": True, "temperature": 0.7, "top_k": 40, "top_p": 0.9, "max_new_tokens": 5}


@pytest.mark.parametrize("model_type", SERVED)
def test_every_served_family_answers_through_the_toolkit(endpoint, model_type):
    served = endpoint(model_type=model_type)
    status, content_type, body = served.invoke({**QUESTION, "parameters": SAMPLING})
    assert (status, content_type) == (200, "application/json"), body
    answer = json.loads(body)
    assert answer["generated_text"] == "2"
    [sample] = served.samples()
    takes_top_p = model_type in ("llama", "code_llama", "mistral", "mixtral")
    if takes_top_p:
        # LlamaForSampling, MistralForSampling, MixtralForSampling take top_p and temperature.
        assert (sample["top_k"], sample["top_p"], sample["temperature"]) == (40, 0.9, 0.7)
        assert "parameters_not_honoured" not in answer
    else:
        # OPT and BLOOM take neither (and no **kwargs), GPT-2 takes **kwargs and ignores them: the request says so.
        assert sample["top_k"] == 40 and "top_p" not in sample and "temperature" not in sample
        assert answer["parameters_not_honoured"] == ["top_p", "temperature"]


@pytest.mark.parametrize("model_type", ["opt", "bloom"])
def test_neutral_sampling_values_are_not_reported_as_dropped(endpoint, model_type):
    parameters = {**SAMPLING, "top_p": 1.0, "temperature": 1.0}
    _, _, body = endpoint(model_type=model_type).invoke({**QUESTION, "parameters": parameters})
    assert "parameters_not_honoured" not in json.loads(body)


def test_caps_max_new_tokens_at_the_endpoint_limit(endpoint):
    served = endpoint(max_new_tokens=64, n_positions=512)
    code, _, text = served.invoke({**QUESTION, "parameters": {"max_new_tokens": 65}})
    assert code == 400
    assert "parameters.max_new_tokens must be at most 64, the endpoint's maxNewTokens" in text
    assert "60 seconds" in text
    assert served.invoke(QUESTION)[0] == 200
    [sample] = served.samples()
    assert sample["sequence_length"] == sample["prompt"] + 64  # the default 256, within the limit


def test_cuts_the_answer_at_a_stop_sequence(endpoint, monkeypatch):
    served = endpoint()
    monkeypatch.setenv("NEURONX_STAND_IN_REPLY", token_ids("hello", "world", "how", "do"))
    _, _, body = served.invoke({**QUESTION, "parameters": {"stop": ["how"]}})
    assert json.loads(body) == {"generated_text": "hello world "}


def test_fills_every_row_of_a_model_compiled_for_a_larger_batch(endpoint):
    served = endpoint(batch_size=2)
    assert served.invoke(QUESTION)[0] == 200
    assert served.samples()[0]["rows"] == 2


def test_the_prompt_comes_from_the_chat_template(tmp_path):
    from neuronx_inference.chat import parse_request, render_prompt

    tokenizer = build_tokenizer(tmp_path)
    prompt = render_prompt(tokenizer, parse_request(json.dumps(QUESTION)))
    assert prompt == (
        "<|im_start|>system you are a helpful assistant<|im_end|> "
        "<|im_start|>user what is 1 + 1 ? answer only with the number<|im_end|> <|im_start|>assistant "
    )


def test_role_renames_the_answering_role_without_rewriting_text(tmp_path):
    from neuronx_inference.chat import parse_request, render_prompt

    tokenizer = build_tokenizer(tmp_path)
    request = {
        "role": "ai",
        "messages": [
            {"role": "user", "content": "hello ai"},
            {"role": "ai", "content": "hello , i am the ai assistant"},
            {"role": "user", "content": "what is 1 + 1 ?"},
        ],
    }
    prompt = render_prompt(tokenizer, parse_request(json.dumps(request)))
    assert "<|im_start|>assistant hello , i am the ai assistant<|im_end|>" in prompt
    assert "<|im_start|>user hello ai<|im_end|>" in prompt
    assert "<|im_start|>ai" not in prompt


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 400, "messages must be a non-empty list"),
        ({"messages": []}, 400, "messages must be a non-empty list"),
        ({"messages": "hello"}, 400, "messages must be a non-empty list"),
        ({"messages": ["hello"]}, 400, "messages[0] must be an object with role and content, got str"),
        ({"messages": [{"role": "user", "content": 42}]}, 400, "messages[0].content must be a string, got int"),
        (
            {"messages": [{"role": "bot", "content": "hi"}]},
            400,
            "messages[0].role must be one of system, user, assistant, got 'bot'",
        ),
        (
            {"role": "ai", "messages": [{"role": "assistant", "content": "hi"}]},
            400,
            "must be one of system, user, ai, got 'assistant'",
        ),
        (
            {"role": "user", "messages": [{"role": "user", "content": "hi"}]},
            400,
            "role names the answering role and cannot be 'user'",
        ),
        ({"role": 7, "messages": [{"role": "user", "content": "hi"}]}, 400, "role must be a non-empty string"),
        (
            {"messages": [{"role": "user", "content": "hi", "name": "x"}]},
            400,
            "messages[0] has the unknown field 'name'",
        ),
        ({**QUESTION, "prompt": "x"}, 400, "unknown field 'prompt'; the fields are role, messages and parameters"),
        ([1, 2], 400, "the body must be a JSON object"),
        ("{not json", 400, "the body is not valid JSON"),
        (
            {**QUESTION, "parameters": {"max_new_tokens": 0}},
            400,
            "parameters.max_new_tokens must be a whole number of at least 1, got 0",
        ),
        ({**QUESTION, "parameters": {"max_new_tokens": "5"}}, 400, "parameters.max_new_tokens must be a whole number"),
        ({**QUESTION, "parameters": {"temperature": 0}}, 400, "parameters.temperature must be in (0, 100], got 0"),
        ({**QUESTION, "parameters": {"top_p": 1.5}}, 400, "parameters.top_p must be in (0, 1], got 1.5"),
        ({**QUESTION, "parameters": {"top_k": 0}}, 400, "parameters.top_k must be a whole number of at least 1"),
        ({**QUESTION, "parameters": {"do_sample": "yes"}}, 400, "parameters.do_sample must be true or false"),
        ({**QUESTION, "parameters": {"stop": [""]}}, 400, "parameters.stop must be a non-empty string or a list"),
        ({**QUESTION, "parameters": {"beams": 4}}, 400, "parameters.beams is not supported"),
        ({**QUESTION, "parameters": []}, 400, "parameters must be an object, got list"),
    ],
)
def test_invalid_requests_get_a_4xx_with_a_clear_message_and_no_stack_trace(endpoint, body, status, message):
    code, _, text = endpoint().invoke(body)
    assert code == status
    assert message in text
    assert "Traceback" not in text and 'File "' not in text


def test_a_prompt_longer_than_n_positions_is_413(endpoint):
    long = {"messages": [{"role": "user", "content": " ".join(["hello world"] * 100)}]}
    code, _, text = endpoint(n_positions=128).invoke(long)
    assert code == 413
    assert "the model was compiled for nPositions 128 (prompt plus generated tokens); shorten the conversation" in text
    assert "Traceback" not in text


def test_unsupported_content_type_is_415(endpoint):
    code, _, text = endpoint().invoke("what is 1 + 1 ?", content_type="text/plain")
    assert code == 415
    assert "content type 'text/plain' is not supported; send application/json" in text


def test_unsupported_accept_is_406(endpoint):
    code, _, text = endpoint().invoke(QUESTION, accept="text/csv")
    assert code == 406 and "accept 'text/csv' is not supported" in text


def test_an_internal_failure_is_500_without_a_stack_trace(endpoint, monkeypatch):
    served = endpoint()
    monkeypatch.setenv("NEURONX_STAND_IN_REPLY", "not-a-number")
    code, _, text = served.invoke(QUESTION)
    assert code == 500
    assert "Traceback" not in text


def test_loads_from_the_model_directory_with_the_compile_settings(tmp_path, monkeypatch, stand_in):
    from neuronx_inference.handler import model_fn

    model_dir = build_model_dir(tmp_path / "m", tp_degree=8, quant_dtype="s8")
    for name, value in serving_env(tp_degree=8, quant_dtype="s8").items():
        monkeypatch.setenv(name, value)
    loaded = model_fn(str(model_dir))
    assert loaded.settings.tp_degree == 8 and loaded.settings.quant_dtype == "s8"


def test_refuses_artifacts_compiled_with_other_settings(tmp_path, monkeypatch, stand_in):
    from neuronx_inference.errors import ModelLoadError
    from neuronx_inference.handler import model_fn

    model_dir = build_model_dir(tmp_path / "m", tp_degree=2)
    for name, value in serving_env(tp_degree=8).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ModelLoadError, match="compiled with tp_degree=2 but the serving environment says 8"):
        model_fn(str(model_dir))


def test_the_neffs_must_match_even_without_a_manifest(tmp_path, monkeypatch, stand_in):
    from neuronx_inference.handler import model_fn

    model_dir = build_model_dir(tmp_path / "m", n_positions=128)
    (model_dir / "manifest.json").unlink()
    for name, value in serving_env(n_positions=256).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match="were built for"):
        model_fn(str(model_dir))


def test_a_tokenizer_without_a_chat_template_fails_at_load(tmp_path, monkeypatch, stand_in):
    from neuronx_inference.errors import ModelLoadError
    from neuronx_inference.handler import model_fn

    model_dir = build_model_dir(tmp_path / "m", chat_template=None)
    for name, value in serving_env().items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ModelLoadError, match="has no chat template"):
        model_fn(str(model_dir))


def test_missing_settings_fail_at_load_naming_them(tmp_path, monkeypatch, stand_in):
    from neuronx_inference.errors import ModelLoadError
    from neuronx_inference.handler import model_fn

    model_dir = build_model_dir(tmp_path / "m")
    monkeypatch.delenv("NEURONX_TP_DEGREE", raising=False)
    with pytest.raises(ModelLoadError, match="NEURONX_TP_DEGREE"):
        model_fn(str(model_dir))


OTHER_CODE = """
def model_fn(model_dir):
    return "other"


def transform_fn(model, body, content_type, accept):
    return '{"generated_text": "from the other endpoint"}', "application/json"
"""


def test_each_endpoint_loads_its_own_code_folder_of_one_model_directory(tmp_path, monkeypatch, stand_in):
    from tests.support.chat_model import ENDPOINT

    model_dir = build_model_dir(tmp_path / "opt-ml-model")
    other = model_dir / "code" / "other-endpoint"
    other.mkdir()
    (other / "inference.py").write_text(OTHER_CODE)
    monkeypatch.setenv("NEURONX_STAND_IN_REPLY", token_ids("2"))
    monkeypatch.setenv("NEURONX_STAND_IN_RECORD", str(tmp_path / "record.jsonl"))
    answers = {}
    for name in (ENDPOINT, "other-endpoint"):
        for key in [m for m in sys.modules if m.split(".")[0] in ("inference", "neuronx_inference")]:
            monkeypatch.delitem(sys.modules, key)
        for key, value in serving_env(model_dir=model_dir).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("PYTHONPATH", f"{model_dir}/code/{name}")
        served = Endpoint(model_dir, monkeypatch, tmp_path / "record.jsonl")
        answers[name] = (json.loads(served.invoke(QUESTION)[2]), sys.modules["inference"].__file__)
    assert answers[ENDPOINT][0] == {"generated_text": "2"}
    assert answers[ENDPOINT][1] == str(model_dir / "code" / ENDPOINT / "inference.py")
    assert answers["other-endpoint"] == (
        {"generated_text": "from the other endpoint"},
        str(other / "inference.py"),
    )
