"""The Lambda function's handler (lambda_inference.app.handler) with a model built here and run by
the real onnxruntime, the real tokenizer, events shaped as Lambda delivers them (checked against
aws-lambda-powertools' parser models), and, for the S3 storage, the moto server on 127.0.0.1."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.lambda_events import function_url_event, http_api_event
from tests.support.onnx_chat_model import build_lambda_model_dir

PYTHON_DIR = Path(__file__).resolve().parents[1]
QUESTION = {
    "messages": [
        {"role": "system", "content": "you are a helpful assistant"},
        {"role": "user", "content": "what is 1 + 1 ? answer only with the number"},
    ]
}


def checked(event):
    """The event, after powertools' model of its payload accepted it."""
    from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model, LambdaFunctionUrlModel

    model = LambdaFunctionUrlModel if event["routeKey"] == "$default" else APIGatewayProxyEventV2Model
    model.model_validate(event)
    return event


class Function:
    """The function as Lambda runs it: the module imported once (the init phase), then invoked."""

    def __init__(self, monkeypatch, env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        for name in [m for m in sys.modules if m.startswith("lambda_inference")]:
            monkeypatch.delitem(sys.modules, name)
        self.app = importlib.import_module("lambda_inference.app")

    def invoke(self, event):
        result = self.app.handler(checked(event), None)
        assert set(result) == {"statusCode", "headers", "body", "isBase64Encoded"}
        return result["statusCode"], result["headers"], json.loads(result["body"])


@pytest.fixture
def function(tmp_path, monkeypatch):
    def make(transitions=None, **model):
        directory = build_lambda_model_dir(tmp_path / "model", transitions, **model)
        return Function(
            monkeypatch, {"LAMBDA_INFERENCE_MODEL_SOURCE": "image", "LAMBDA_INFERENCE_MODEL_DIR": str(directory)}
        )

    return make


@pytest.mark.parametrize("make_event", [function_url_event, http_api_event])
def test_answers_a_conversation_through_its_url_or_http_api(function, make_event):
    status, headers, body = function().invoke(make_event(QUESTION))
    assert (status, headers["content-type"], body) == (200, "application/json", {"generated_text": "2"})


def test_reads_a_base64_encoded_body(function):
    status, _, body = function().invoke(function_url_event(QUESTION, base64_body=True))
    assert (status, body) == (200, {"generated_text": "2"})


def test_cuts_the_answer_at_a_stop_sequence(function):
    served = function({"assistant": "hello", "hello": "world", "world": "how", "how": "do"})
    assert served.invoke(function_url_event(QUESTION))[2] == {"generated_text": "hello world how do"}
    _, _, body = served.invoke(function_url_event({**QUESTION, "parameters": {"stop": ["how"]}}))
    assert body == {"generated_text": "hello world "}


def test_max_new_tokens_bounds_the_answer(function):
    served = function({"assistant": "hello", "hello": "world", "world": "hello"})
    _, _, body = served.invoke(function_url_event({**QUESTION, "parameters": {"max_new_tokens": 3}}))
    assert body == {"generated_text": "hello world hello"}


def test_sampling_with_top_k_1_is_greedy(function):
    served = function({"assistant": "hello", "hello": "world"})
    parameters = {"do_sample": True, "top_k": 1, "temperature": 0.3, "top_p": 0.5}
    _, _, body = served.invoke(function_url_event({**QUESTION, "parameters": parameters}))
    assert body == {"generated_text": "hello world"}


def test_feeds_position_ids_when_the_model_declares_them(function):
    served = function(inputs=("input_ids", "attention_mask", "position_ids"))
    assert served.invoke(function_url_event(QUESTION))[0] == 200


@pytest.mark.parametrize(
    ("event", "status", "message"),
    [
        (function_url_event({}), 400, "messages must be a non-empty list"),
        (function_url_event("{not json"), 400, "the body is not valid JSON"),
        (function_url_event({**QUESTION, "prompt": "x"}), 400, "unknown field 'prompt'"),
        (
            function_url_event({**QUESTION, "parameters": {"temperature": 0}}),
            400,
            "parameters.temperature must be in (0, 100], got 0",
        ),
        (
            function_url_event({"messages": [{"role": "bot", "content": "hi"}]}),
            400,
            "messages[0].role must be one of system, user, assistant, got 'bot'",
        ),
        (function_url_event("hello", content_type="text/plain"), 415, "content type 'text/plain' is not supported"),
        (function_url_event(QUESTION, content_type=None), 415, "content type None is not supported"),
        (function_url_event(QUESTION, accept="text/csv"), 406, "accept 'text/csv' is not supported"),
        (function_url_event(QUESTION, method="GET"), 405, "method GET is not allowed; POST a chat request"),
        (http_api_event(QUESTION, method="PUT"), 405, "method PUT is not allowed"),
    ],
)
def test_invalid_requests_get_the_contracts_4xx_and_message(function, event, status, message):
    code, _, body = function().invoke(event)
    assert code == status
    assert message in body["message"]
    assert "Traceback" not in body["message"]


def test_405_names_the_allowed_method(function):
    result = function().app.handler(checked(function_url_event(QUESTION, method="GET")), None)
    assert result["headers"]["allow"] == "POST"


def test_an_event_that_is_not_an_http_request_is_400(function):
    result = function().app.handler({"messages": []}, None)
    assert result["statusCode"] == 400
    assert "invoke the function through its URL or HTTP API" in json.loads(result["body"])["message"]


def test_a_prompt_longer_than_the_models_context_is_413(function):
    long = {"messages": [{"role": "user", "content": " ".join(["hello world"] * 20)}]}
    code, _, body = function(max_position_embeddings=32).invoke(function_url_event(long))
    assert code == 413
    assert "but the model's context is 32 (prompt plus generated tokens); shorten the conversation" in body["message"]


def test_an_internal_failure_is_500_without_a_stack_trace(function, monkeypatch):
    served = function()

    def broken(*args):
        raise RuntimeError("onnxruntime exploded at /opt/python/secret/path.py")

    monkeypatch.setattr(served.app._loaded.model, "generate", broken)
    code, _, body = served.invoke(function_url_event(QUESTION))
    assert code == 500
    assert body == {"message": "inference failed; the function's log has the details"}


def test_a_model_that_fails_to_load_is_reported_per_request_and_loaded_once_fixed(tmp_path, monkeypatch):
    directory = tmp_path / "model"
    served = Function(
        monkeypatch, {"LAMBDA_INFERENCE_MODEL_SOURCE": "efs", "LAMBDA_INFERENCE_MODEL_DIR": str(directory)}
    )
    code, _, body = served.invoke(function_url_event(QUESTION))
    assert code == 500
    assert f"the model directory {directory} lacks model.onnx, config.json" in body["message"]
    build_lambda_model_dir(directory)
    assert served.invoke(function_url_event(QUESTION))[0] == 200


def test_refuses_a_model_exported_with_past_key_values(tmp_path, monkeypatch):
    directory = build_lambda_model_dir(tmp_path / "model", inputs=("input_ids", "past_key_values.0.key"))
    served = Function(
        monkeypatch, {"LAMBDA_INFERENCE_MODEL_SOURCE": "image", "LAMBDA_INFERENCE_MODEL_DIR": str(directory)}
    )
    code, _, body = served.invoke(function_url_event(QUESTION))
    assert code == 500
    assert "Export without past key values: optimum-cli export onnx --task text-generation" in body["message"]


def test_a_tokenizer_without_a_chat_template_fails_at_load(function):
    code, _, body = function(chat_template=None).invoke(function_url_event(QUESTION))
    assert code == 500 and "has no chat template" in body["message"]


def test_copies_an_s3_model_to_ephemeral_storage_once(tmp_path, monkeypatch, s3, bucket):
    directory = build_lambda_model_dir(tmp_path / "built")
    for file in directory.iterdir():
        s3.upload_file(str(file), bucket, f"models/tiny/{file.name}")
    s3.put_object(Bucket=bucket, Key="models/tiny-other/model.onnx", Body=b"not this one")
    local = tmp_path / "ephemeral"
    env = {
        "LAMBDA_INFERENCE_MODEL_SOURCE": "s3",
        "LAMBDA_INFERENCE_MODEL_BUCKET": bucket,
        "LAMBDA_INFERENCE_MODEL_PREFIX": "models/tiny/",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from lambda_inference import storage

    first = storage.model_directory(local_dir=str(local))
    assert sorted(p.name for p in first.iterdir()) == sorted([".complete", *(p.name for p in directory.iterdir())])
    s3.delete_object(Bucket=bucket, Key="models/tiny/model.onnx")
    assert storage.model_directory(local_dir=str(local)) == first  # the copy is reused, S3 is not read again


def test_an_empty_s3_prefix_names_it(tmp_path, monkeypatch, bucket):
    from chat_contract.errors import ModelLoadError
    from lambda_inference import storage

    env = {
        "LAMBDA_INFERENCE_MODEL_SOURCE": "s3",
        "LAMBDA_INFERENCE_MODEL_BUCKET": bucket,
        "LAMBDA_INFERENCE_MODEL_PREFIX": "nothing/",
    }
    with pytest.raises(ModelLoadError, match=r"s3://models/nothing/ holds no objects"):
        storage.model_directory(env, local_dir=str(tmp_path / "ephemeral"))


def test_an_s3_model_answers_through_the_handler(tmp_path, monkeypatch, s3, bucket):
    directory = build_lambda_model_dir(tmp_path / "built")
    for file in directory.iterdir():
        s3.upload_file(str(file), bucket, f"models/tiny/{file.name}")
    import lambda_inference.constants as c

    monkeypatch.setattr(c, "LOCAL_MODEL_DIR", str(tmp_path / "ephemeral"))
    served = Function(
        monkeypatch,
        {
            "LAMBDA_INFERENCE_MODEL_SOURCE": "s3",
            "LAMBDA_INFERENCE_MODEL_BUCKET": bucket,
            "LAMBDA_INFERENCE_MODEL_PREFIX": "models/tiny/",
        },
    )
    assert served.invoke(function_url_event(QUESTION))[2] == {"generated_text": "2"}


CHAT_TEMPLATES = {
    "chatml": None,  # the default of build_lambda_model_dir
    "with bos, raise_exception and tojson": (
        "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' and not loop.first %}"
        "{{ raise_exception('system first') }}{% endif %}"
        "<|im_start|>{{ m['role'] }} {{ m['content'] | trim }}<|im_end|> {% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant {% endif %}{{ '' | tojson }}"
    ),
}


@pytest.mark.parametrize("template", CHAT_TEMPLATES.values(), ids=CHAT_TEMPLATES.keys())
def test_the_tokenizer_gives_the_prompt_ids_and_text_transformers_gives(tmp_path, template):
    from chat_contract.chat import parse_request, render_prompt
    from lambda_inference.tokenizer import ChatTokenizer
    from transformers import AutoTokenizer

    from tests.support.chat_model import CHATML

    directory = build_lambda_model_dir(tmp_path / "m", chat_template=template or CHATML)
    ours, theirs = ChatTokenizer(directory), AutoTokenizer.from_pretrained(str(directory))
    request = parse_request(
        json.dumps(
            {**QUESTION, "messages": [*QUESTION["messages"], {"role": "assistant", "content": " hello , world ! "}]}
        )
    )
    prompt = render_prompt(ours, request)
    assert prompt == render_prompt(theirs, request)
    ids = ours(prompt, add_special_tokens=False)["input_ids"]
    assert ids == theirs(prompt, add_special_tokens=False)["input_ids"]
    assert ours.decode(ids, skip_special_tokens=True) == theirs.decode(ids, skip_special_tokens=True)
    assert ours.eos_token_id == theirs.eos_token_id


def test_a_template_error_is_a_400_as_on_sagemaker(tmp_path):
    from chat_contract.chat import parse_request, render_prompt
    from chat_contract.errors import RequestError
    from lambda_inference.tokenizer import ChatTokenizer

    directory = build_lambda_model_dir(
        tmp_path / "m", chat_template=CHAT_TEMPLATES["with bos, raise_exception and tojson"]
    )
    body = {"messages": [{"role": "user", "content": "hi"}, {"role": "system", "content": "late"}]}
    with pytest.raises(RequestError, match="the model's chat template rejects these messages: system first"):
        render_prompt(ChatTokenizer(directory), parse_request(json.dumps(body)))


def test_the_package_runs_without_transformers_or_the_rest_of_python(tmp_path):
    """The .zip holds lambda_inference and chat_contract only (as the construct stages them); the
    handler answers with them and the layer's packages, and never imports transformers."""
    import shutil

    package = tmp_path / "package"
    shutil.copytree(PYTHON_DIR / "lambda_inference", package / "lambda_inference")
    shutil.copytree(PYTHON_DIR / "serving" / "chat_contract", package / "chat_contract")
    directory = build_lambda_model_dir(tmp_path / "model")
    event = json.dumps(function_url_event(QUESTION))
    script = (
        "import json, sys\n"
        "sys.modules['transformers'] = None  # importing it would fail\n"
        "from lambda_inference.app import handler\n"
        f"print(json.dumps(handler(json.loads({event!r}), None)))\n"
    )
    env = {
        "LAMBDA_INFERENCE_MODEL_SOURCE": "image",
        "LAMBDA_INFERENCE_MODEL_DIR": str(directory),
        "PYTHONSAFEPATH": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=package,
        env={"PATH": "/usr/bin:/bin", **env, "PYTHONPATH": str(package)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(json.loads(result.stdout)["body"]) == {"generated_text": "2"}


def test_the_sagemaker_code_directory_is_self_contained(tmp_path):
    """python/serving ships to SageMaker as a directory: inference.py imports from it alone."""
    import shutil

    code = tmp_path / "code"
    shutil.copytree(PYTHON_DIR / "serving", code, ignore=shutil.ignore_patterns("__pycache__"))
    script = "import inference, chat_contract.service, neuronx_inference.handler; print(inference.input_fn.__name__)"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=code,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "input_fn"


def test_the_contract_reports_parameters_a_model_does_not_honour_and_defaults_max_new_tokens(tmp_path):
    """chat_contract.service.answer with a generate() that returns tokens and what it did not honour
    (as a Neuron model class may), and a request without max_new_tokens."""
    from dataclasses import dataclass, replace

    from chat_contract import service
    from chat_contract.chat import parse_request
    from lambda_inference.tokenizer import ChatTokenizer

    from tests.support.onnx_chat_model import token_id

    @dataclass
    class Generation:
        tokens: list
        not_honoured: tuple

    seen = {}

    def generate(input_ids, max_new_tokens, parameters):
        seen["max_new_tokens"] = max_new_tokens
        return Generation([token_id("2")], ("top_p",))

    tokenizer = ChatTokenizer(build_lambda_model_dir(tmp_path / "m"))
    request = parse_request(json.dumps({**QUESTION, "parameters": {"do_sample": True, "top_p": 0.5}}))
    request = replace(request, parameters=replace(request.parameters, max_new_tokens=None))
    answer = service.answer(tokenizer, generate, request, 128, "the context is", default_max_new_tokens=7)
    assert answer == {"generated_text": "2", "parameters_not_honoured": ["top_p"]}
    assert seen["max_new_tokens"] == 7
