"""The compile job end to end: `python3 -m neuronx_compile` against the AWS and Hub emulators.

Only the Neuron compile is replaced (tests/support/stand_in), as on a machine without Inferentia2.
"""

from __future__ import annotations

import hashlib
import json
import os

import boto3
import pytest

from tests.conftest import objects, run_compile, tiny_llama_files
from tests.support.compile_env import PREFIX, compile_env
from tests.support.hub import Repo

NEEDED = [
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
]
TOKEN = "hf_standInToken0123456789abcdefXYZ"


def stand_in_call(record, call: str) -> dict:
    """The arguments of the Neuron stand-in's last call of that name."""
    calls = [json.loads(line) for line in record.read_text().splitlines()]
    return [c for c in calls if c["call"] == call][-1]


def markers(store: dict[str, bytes]) -> dict[str, dict[str, str]]:
    """The key=value markers under the prefix, parsed."""
    out = {}
    for name in ("_SUCCESS", "_FAILURE", "_PROGRESS"):
        body = store.get(PREFIX + name)
        if body is not None:
            head = body.decode().split("--- log tail ---")[0].split("--- objects ---")[0]
            out[name] = dict(line.split("=", 1) for line in head.strip().splitlines())
    return out


class TestSuccess:
    @pytest.fixture
    def result(self, tmp_path, s3, bucket, tiny_model, hub):
        record = tmp_path / "neuron-call.json"
        proc = run_compile(tmp_path, compile_env(tiny_model, NEURONX_STAND_IN_RECORD=str(record)))
        return proc, objects(s3, bucket), stand_in_call(record, "to_neuron"), hub

    def test_exits_zero(self, result):
        proc, *_ = result
        assert proc.returncode == 0, proc.stderr

    def test_downloads_only_what_the_model_needs(self, result):
        _, _, _, hub = result
        assert hub.downloaded("test-org/tiny-llama") == NEEDED

    def test_pins_every_download_to_the_commit_the_revision_resolved_to(self, result):
        _, _, _, hub = result
        gets = [r.path for r in hub.requests if r.method == "GET" and "/resolve/" in r.path]
        assert gets and all(f"/resolve/{Repo(files={}).commit}/" in p for p in gets)

    def test_uploads_model_and_compiled_under_the_prefix(self, result):
        _, store, _, _ = result
        model = sorted(k[len(PREFIX) :] for k in store if k.startswith(PREFIX + "model/"))
        assert model == [f"model/{n}" for n in NEEDED]
        assert [k for k in store if k.startswith(PREFIX + "compiled/") and k.endswith(".neff")]
        assert all(k.startswith(PREFIX) for k in store)

    def test_the_model_files_are_the_hub_files(self, result):
        _, store, _, _ = result
        hub_files = result[3].repos["test-org/tiny-llama"].files
        for name in NEEDED:
            assert store[f"{PREFIX}model/{name}"] == hub_files[name]

    def test_manifest_lists_every_file_with_size_and_sha256(self, result):
        _, store, _, _ = result
        manifest = json.loads(store[PREFIX + "manifest.json"])
        listed = {f["path"]: f for f in manifest["files"]}
        uploaded = {
            k[len(PREFIX) :]: v for k, v in store.items() if k.startswith((PREFIX + "model/", PREFIX + "compiled/"))
        }
        assert set(listed) == set(uploaded)
        for path, body in uploaded.items():
            assert listed[path]["size"] == len(body)
            assert listed[path]["sha256"] == hashlib.sha256(body).hexdigest()
        assert manifest["total_bytes"] == sum(len(b) for b in uploaded.values())

    def test_manifest_records_options_sdk_versions_and_commit(self, result):
        _, store, _, _ = result
        manifest = json.loads(store[PREFIX + "manifest.json"])
        assert manifest["cache_key"] == PREFIX
        assert manifest["neuron_sdk_version"] == "2.25.0"
        assert manifest["versions"] == {"transformers_neuronx": "0.13.x+stand-in"}
        assert manifest["commit"] == Repo(files={}).commit
        assert manifest["options"] == {
            "tp_degree": 2,
            "n_positions": 2048,
            "batch_size": 1,
            "amp": "bf16",
            "quant_dtype": None,
            "opt_level": 2,
            "neuron_cc_flags": "--model-type=transformer -O2",
        }

    def test_success_marker_matches_what_was_uploaded(self, result):
        _, store, _, _ = result
        success = markers(store)["_SUCCESS"]
        uploaded = [v for k, v in store.items() if k.startswith((PREFIX + "model/", PREFIX + "compiled/"))]
        assert success["cache_key"] == PREFIX
        assert int(success["files"]) == len(uploaded)
        assert int(success["bytes"]) == sum(len(b) for b in uploaded)
        assert success["manifest_sha256"] == hashlib.sha256(store[PREFIX + "manifest.json"]).hexdigest()
        assert success["commit"] == Repo(files={}).commit
        assert PREFIX + "_FAILURE" not in store

    def test_success_marker_lists_every_object_with_the_size_and_etag_s3_holds(self, result, s3, bucket):
        _, store, _, _ = result
        objects_section = store[PREFIX + "_SUCCESS"].decode().split("--- objects ---\n")[1]
        listed = sorted(objects_section.splitlines())
        held = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX):
            for o in page["Contents"]:
                path = o["Key"][len(PREFIX) :]
                if path.startswith(("model/", "compiled/")):
                    held.append(f"{path}\t{o['Size']}\t{o['ETag'].strip(chr(34))}")
                if path == "manifest.json":
                    manifest_etag = o["ETag"].strip('"')
        assert listed == sorted(held)
        assert markers(store)["_SUCCESS"]["manifest_etag"] == manifest_etag
        # The manifest records the same ETags, next to the sha256 of each file.
        manifest = json.loads(store[PREFIX + "manifest.json"])
        assert sorted(f"{f['path']}\t{f['size']}\t{f['etag']}" for f in manifest["files"]) == listed

    def test_compiles_with_the_settings(self, result):
        _, _, call, _ = result
        assert call["kwargs"] == {"batch_size": 1, "tp_degree": 2, "n_positions": 2048, "amp": "bf16"}
        assert call["quant"] is None
        assert call["neuron_cc_flags"] == "--model-type=transformer -O2"

    def test_last_progress_is_the_publish_phase(self, result):
        _, store, _, _ = result
        progress = markers(store)["_PROGRESS"]
        assert progress["phase"] == "publish"
        assert progress["instance_id"] == "i-0123456789abcdef0"

    def test_logs_each_phase(self, result):
        proc, *_ = result
        phases = [line.split("phase ")[1].split()[0] for line in proc.stderr.splitlines() if " phase " in line]
        assert phases == ["download", "compile", "upload", "publish"]


def test_s8_quantization_dequantizes_to_amp(tmp_path, s3, bucket, tiny_model):
    record = tmp_path / "call.json"
    env = compile_env(tiny_model, NEURONX_QUANT_DTYPE="s8", NEURONX_AMP="f16", NEURONX_STAND_IN_RECORD=str(record))
    assert run_compile(tmp_path, env).returncode == 0
    assert stand_in_call(record, "to_neuron")["quant"] == {"quant_dtype": "s8", "dequant_dtype": "f16"}


def test_compile_failure_writes_the_failure_marker_with_reason_and_log_tail(tmp_path, s3, bucket, tiny_model):
    env = compile_env(tiny_model, NEURONX_STAND_IN_FAIL="[XCG815] Estimated peak HBM usage exceeds 16GB")
    proc = run_compile(tmp_path, env)
    store = objects(s3, bucket)
    assert proc.returncode == 1
    failure = store[PREFIX + "_FAILURE"].decode()
    assert "reason=the Neuron compile failed: RuntimeError: [XCG815] Estimated peak HBM usage exceeds 16GB" in failure
    assert "phase=compile" in failure
    tail = failure.split("--- log tail ---\n")[1]
    assert "phase download" in tail and "phase compile" in tail
    assert PREFIX + "_SUCCESS" not in store and PREFIX + "manifest.json" not in store


def test_upload_failure_leaves_no_success_marker(tmp_path, s3, bucket, tiny_model):
    # A bucket policy that refuses compiled/ makes the upload fail half way, after model/.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/{PREFIX}compiled/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    proc = run_compile(tmp_path, compile_env(tiny_model))
    store = objects(s3, bucket)
    if proc.returncode == 0:
        pytest.fail("the emulator did not enforce the bucket policy; this test cannot show the property")
    assert proc.returncode == 1
    assert PREFIX + "_SUCCESS" not in store and PREFIX + "manifest.json" not in store
    assert "phase=upload" in store[PREFIX + "_FAILURE"].decode()


def test_a_second_attempt_replaces_stale_markers_and_objects(tmp_path, s3, bucket, tiny_model):
    s3.put_object(
        Bucket=bucket, Key=PREFIX + "_FAILURE", Body=b"reason=old\nphase=compile\ninstance_id=i-0aaaaaaaaaaaaaaaa\n"
    )
    s3.put_object(Bucket=bucket, Key=PREFIX + "model/stale.bin", Body=b"old")
    s3.put_object(Bucket=bucket, Key=PREFIX + "compiled/old.neff", Body=b"old")
    assert run_compile(tmp_path, compile_env(tiny_model)).returncode == 0
    store = objects(s3, bucket)
    assert PREFIX + "_FAILURE" not in store
    assert PREFIX + "model/stale.bin" not in store and PREFIX + "compiled/old.neff" not in store
    assert PREFIX + "_SUCCESS" in store


def test_a_failure_marker_this_instance_wrote_is_kept_and_the_job_stops(tmp_path, s3, bucket, tiny_model, hub):
    # The lease watchdog of the user data abandoned the compile while the job was starting: its
    # _FAILURE names this instance and must reach the next apply, not be cleared as an old attempt's.
    env = compile_env(tiny_model)
    written = f"reason=abandoned: the lease was not renewed\nphase=lease\ninstance_id={env['NEURONX_INSTANCE_ID']}\n"
    s3.put_object(Bucket=bucket, Key=PREFIX + "_FAILURE", Body=written.encode())
    proc = run_compile(tmp_path, env)
    store = objects(s3, bucket)
    assert proc.returncode == 1
    assert "this instance has already ended the compile: abandoned: the lease was not renewed" in proc.stderr
    assert store[PREFIX + "_FAILURE"].decode() == written
    assert PREFIX + "_SUCCESS" not in store and hub.downloaded("test-org/tiny-llama") == []


def test_gated_model_with_a_token_from_secrets_manager_never_shows_the_token(tmp_path, s3, bucket, hub):
    hub.repos["gated-org/llama"] = Repo(files=tiny_llama_files(), gated=True, token=TOKEN)
    arn = boto3.client("secretsmanager").create_secret(Name="hf-token", SecretString=TOKEN)["ARN"]
    proc = run_compile(tmp_path, compile_env("gated-org/llama", NEURONX_HF_TOKEN_SECRET_ARN=arn))
    assert proc.returncode == 0, proc.stderr
    assert any(r.authorization == f"Bearer {TOKEN}" for r in hub.requests)
    assert TOKEN not in proc.stdout + proc.stderr
    for key, body in objects(s3, bucket).items():
        assert TOKEN.encode() not in body, key
    assert not [p for p in (tmp_path / "work").rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]


def test_gated_model_without_a_token_fails_saying_how_to_fix_it(tmp_path, s3, bucket, hub):
    hub.repos["gated-org/llama"] = Repo(files=tiny_llama_files(), gated=True, token=TOKEN)
    proc = run_compile(tmp_path, compile_env("gated-org/llama"))
    failure = objects(s3, bucket)[PREFIX + "_FAILURE"].decode()
    assert proc.returncode == 1
    assert "gated-org/llama is gated" in failure and "huggingFaceTokenSecretArn" in failure
    assert "phase=download" in failure


def test_a_wrong_token_fails_without_showing_it(tmp_path, s3, bucket, hub):
    hub.repos["gated-org/llama"] = Repo(files=tiny_llama_files(), gated=True, token=TOKEN)
    wrong = "hf_wrongToken9876543210zyxwvutsrq"
    arn = boto3.client("secretsmanager").create_secret(Name="hf-token", SecretString=json.dumps({"token": wrong}))[
        "ARN"
    ]
    proc = run_compile(tmp_path, compile_env("gated-org/llama", NEURONX_HF_TOKEN_SECRET_ARN=arn))
    assert proc.returncode == 1
    assert wrong not in proc.stdout + proc.stderr
    for body in objects(s3, bucket).values():
        assert wrong.encode() not in body


@pytest.mark.parametrize(
    ("model_id", "revision", "message"),
    [
        ("nobody/nothing", "main", "nobody/nothing was not found on the Hub"),
        ("test-org/tiny-llama", "v9", "test-org/tiny-llama has no revision 'v9'"),
    ],
)
def test_hub_errors_say_what_is_wrong(tmp_path, s3, bucket, tiny_model, model_id, revision, message):
    proc = run_compile(tmp_path, compile_env(model_id, NEURONX_REVISION=revision))
    assert proc.returncode == 1
    assert message in objects(s3, bucket)[PREFIX + "_FAILURE"].decode()


def test_an_invalid_environment_exits_2_and_writes_nothing(tmp_path, s3, bucket, tiny_model):
    proc = run_compile(tmp_path, compile_env(tiny_model, NEURONX_TP_DEGREE="3"))
    assert proc.returncode == 2
    assert "NEURONX_TP_DEGREE must be one of 1, 2, 4, 8, 24, got 3" in proc.stderr
    assert objects(s3, bucket) == {}


def test_publish_refuses_a_prefix_that_another_writer_changed(tmp_path, s3, bucket):
    from neuronx_compile.errors import UploadError
    from neuronx_compile.progress import Progress
    from neuronx_compile.settings import Settings
    from neuronx_compile.store import ArtifactStore, build_manifest

    local = tmp_path / "model"
    local.mkdir()
    (local / "config.json").write_text("{}")
    store = ArtifactStore(s3, bucket, PREFIX)
    files = store.upload_tree(local, "model/", Progress(lambda body: None, "i-test"))
    # Between the uploads and _SUCCESS, an object appears that this compile did not write.
    s3.put_object(Bucket=bucket, Key=PREFIX + "model/extra.bin", Body=b"x")
    manifest = build_manifest(Settings.from_env(compile_env("test-org/tiny-llama")), "0" * 40, files, {})
    with pytest.raises(UploadError, match=r"does not hold what was uploaded \(another writer\?\): model/extra\.bin"):
        store.publish(manifest, files)
    assert PREFIX + "_SUCCESS" not in objects(s3, bucket, PREFIX)


def pickle_only_files() -> dict[str, bytes]:
    files = tiny_llama_files()
    files["pytorch_model.bin"] = files.pop("model.safetensors")
    return files


def test_a_repository_with_only_pickled_weights_fails_unless_allowed(tmp_path, s3, bucket, hub):
    hub.repos["test-org/pickled"] = Repo(files=pickle_only_files())
    proc = run_compile(tmp_path, compile_env("test-org/pickled"))
    failure = objects(s3, bucket)[PREFIX + "_FAILURE"].decode()
    assert proc.returncode == 1
    assert "only pickled weights" in failure and "allowPickleWeights" in failure
    assert "pytorch_model.bin" not in hub.downloaded("test-org/pickled")


def test_pickled_weights_are_loaded_when_the_model_allows_them(tmp_path, s3, bucket, hub):
    hub.repos["test-org/pickled"] = Repo(files=pickle_only_files())
    proc = run_compile(tmp_path, compile_env("test-org/pickled", NEURONX_ALLOW_PICKLE_WEIGHTS="true"))
    assert proc.returncode == 0, proc.stderr
    assert "pytorch_model.bin" in hub.downloaded("test-org/pickled")
    assert PREFIX + "model/pytorch_model.bin" in objects(s3, bucket)


def weight_requests(hub, repo_id: str) -> list[str]:
    """Every request (HEAD or GET) the compile made for a weight file of the repository."""
    prefix = f"/{repo_id}/resolve/"
    return [
        r.path for r in hub.requests if r.path.startswith(prefix) and r.path.endswith((".safetensors", ".bin", ".pth"))
    ]


@pytest.mark.parametrize(
    ("model_type", "message"),
    [
        ("qwen2", "config.json says model_type 'qwen2', which transformers-neuronx 0.13 does not support"),
        ("gptj", "config.json says model_type 'gptj': transformers-neuronx 0.13 cannot save or load its compiled form"),
    ],
)
def test_an_unsupported_model_type_fails_from_config_json_before_any_weight_is_fetched(
    tmp_path, s3, bucket, hub, model_type, message
):
    files = tiny_llama_files()
    files["config.json"] = json.dumps({"model_type": model_type, "hidden_size": 64}).encode()
    hub.repos["test-org/tiny-other"] = Repo(files=files)
    proc = run_compile(tmp_path, compile_env("test-org/tiny-other"))
    store = objects(s3, bucket)
    assert proc.returncode == 1
    failure = store[PREFIX + "_FAILURE"].decode()
    assert message in failure and "phase=download" in failure
    assert "the served model types are llama, code_llama, mistral, mixtral, gpt2, opt, bloom" in failure
    # The Hub emulator saw the repository's info and config.json, and no request for a weight file.
    assert hub.downloaded("test-org/tiny-other") == ["config.json"]
    assert weight_requests(hub, "test-org/tiny-other") == []
    assert not [k for k in store if "/model/" in k or "/compiled/" in k]


def test_a_sharded_repo_with_consolidated_weights_downloads_only_the_shards_its_index_names(tmp_path, s3, bucket, hub):
    files = tiny_llama_files()
    del files["model.safetensors"]
    shards = {f"model-0000{i}-of-00002.safetensors": os.urandom(50_000) for i in (1, 2)}
    index = {
        "weight_map": {"a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors"}
    }
    files.update(shards)
    files["model.safetensors.index.json"] = json.dumps(index).encode()
    files["consolidated.safetensors"] = os.urandom(100_000)  # as in Mistral-7B-Instruct-v0.3
    hub.repos["test-org/tiny-mistral"] = Repo(files=files)
    proc = run_compile(tmp_path, compile_env("test-org/tiny-mistral"))
    assert proc.returncode == 0, proc.stderr
    fetched = hub.downloaded("test-org/tiny-mistral")
    assert "consolidated.safetensors" not in fetched
    assert [n for n in fetched if n.endswith(".safetensors")] == sorted(shards)
    model = sorted(k.rsplit("/model/", 1)[1] for k in objects(s3, bucket) if "/model/" in k)
    assert "consolidated.safetensors" not in model and "model.safetensors.index.json" in model


@pytest.mark.parametrize("model_type", ["llama", "code_llama", "mistral", "mixtral", "gpt2", "opt", "bloom"])
def test_compiles_every_served_family_with_its_class(tmp_path, s3, bucket, hub, model_type):
    files = tiny_llama_files()
    files["config.json"] = json.dumps({"model_type": model_type}).encode()
    hub.repos["test-org/tiny-family"] = Repo(files=files)
    record = tmp_path / "calls.jsonl"
    proc = run_compile(tmp_path, compile_env("test-org/tiny-family", NEURONX_STAND_IN_RECORD=str(record)))
    assert proc.returncode == 0, proc.stderr
    expected = {
        "llama": "LlamaForSampling",
        "code_llama": "LlamaForSampling",
        "mistral": "MistralForSampling",
        "mixtral": "MixtralForSampling",
        "gpt2": "GPT2ForSamplingWithContextBroadcasting",
        "opt": "OPTForSampling",
        "bloom": "BloomForSampling",
    }[model_type]
    assert stand_in_call(record, "to_neuron")["model_class"] == expected
    assert PREFIX + "_SUCCESS" in objects(s3, bucket, PREFIX)
