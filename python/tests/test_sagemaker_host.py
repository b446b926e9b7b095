"""Two endpoints on one compile: what each one's instances load after a restart, with the model data
as SageMaker copies it from S3 and the real toolkit starting the handler (tests/support/sagemaker_host)."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.support.chat_model import ENDPOINT, WORDS, build_model_dir, serving_env
from tests.support.sagemaker_host import materialise, start_instance

CUSTOM = """
import json

NAME = {name!r}


def model_fn(model_dir):
    return NAME


def transform_fn(model, body, content_type, accept):
    return json.dumps({{"generated_text": "from " + model}}), "application/json"
"""
QUESTION = {"messages": [{"role": "user", "content": "hello"}]}
HELLO = str((["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"] + sorted(set(WORDS))).index("hello"))


# build_model_dir compiles with the Neuron stand-in, as the compile job does.
pytestmark = pytest.mark.usefixtures("stand_in")


def upload(s3, bucket: str, local, prefix: str) -> None:
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, prefix + path.relative_to(local).as_posix())


def test_each_endpoint_answers_from_its_own_code_after_a_restart(tmp_path, s3, bucket):
    # The compile's artifacts and the default code of one endpoint, then a second endpoint's custom code
    # uploaded later to the same prefix, as the second endpoint's apply does.
    prefix = "org/tiny/main/neuronx-2.25.0/tp2-np128-bs1-bf16-opt2/"
    built = build_model_dir(tmp_path / "built")
    (built / "code" / "chat-b").mkdir()
    (built / "code" / "chat-b" / "inference.py").write_text(CUSTOM.format(name="chat-b"))
    upload(s3, bucket, built, prefix)
    answers = {}
    for name in (ENDPOINT, "chat-b"):
        base = tmp_path / f"instance-{name}"
        materialise(s3, f"s3://{bucket}/{prefix}", base)
        environment = {**serving_env(), "PYTHONPATH": f"/opt/ml/model/code/{name}"}
        answers[name] = start_instance(environment, base, QUESTION, {"NEURONX_STAND_IN_REPLY": HELLO})
    assert answers[ENDPOINT]["status"] == 200
    assert json.loads(answers[ENDPOINT]["answer"])["generated_text"] == "hello"
    assert answers[ENDPOINT]["module"].endswith(f"/model/code/{ENDPOINT}/inference.py")
    assert json.loads(answers["chat-b"]["answer"]) == {"generated_text": "from chat-b"}
    assert answers["chat-b"]["module"].endswith("/model/code/chat-b/inference.py")


def test_code_at_the_old_shared_location_is_what_both_would_load(tmp_path, s3, bucket):
    # Without a folder each, the code SageMaker copies is whichever endpoint uploaded last: both load it.
    prefix = "org/tiny/main/neuronx-2.25.0/tp2-np128-bs1-bf16-opt2/"
    built = build_model_dir(tmp_path / "built")
    shutil.rmtree(built / "code")
    (built / "code").mkdir()
    (built / "code" / "inference.py").write_text(CUSTOM.format(name="last-writer"))
    upload(s3, bucket, built, prefix)
    base = tmp_path / "instance"
    materialise(s3, f"s3://{bucket}/{prefix}", base)
    environment = {k: v for k, v in serving_env().items() if k != "PYTHONPATH"}
    answer = start_instance(environment, base, QUESTION)
    assert json.loads(answer["answer"]) == {"generated_text": "from last-writer"}
