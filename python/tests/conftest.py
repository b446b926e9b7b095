"""Fixtures: the AWS emulator (moto server) and the Hub emulator on 127.0.0.1, started by the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from tests.support.hub import Hub, Repo

PYTHON_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = PYTHON_DIR.parent
STAND_IN = Path(__file__).resolve().parent / "support" / "stand_in"

# huggingface_hub reads HF_ENDPOINT when it is imported, so the Hub emulator starts now.
HUB = Hub()
os.environ["HF_ENDPOINT"] = HUB.start()
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"


@pytest.fixture(scope="session")
def emulator():
    from tests.support.emulator import Emulator

    server = Emulator().start()
    yield server
    server.stop()


@pytest.fixture
def aws(emulator, monkeypatch, tmp_path):
    """A clean emulator, with this process and its children pointed at it."""
    emulator.reset()
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    return emulator


@pytest.fixture
def s3(aws):
    return boto3.client("s3")


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket="models")
    return "models"


@pytest.fixture
def stand_in(monkeypatch):
    """The transformers-neuronx and torch stand-ins on the path, and no serving module cached from another test."""
    monkeypatch.syspath_prepend(str(STAND_IN))
    cached = ("transformers_neuronx", "torch", "inference", "neuronx_inference")
    for name in [m for m in sys.modules if m.split(".")[0] in cached]:
        monkeypatch.delitem(sys.modules, name)


@pytest.fixture
def hub():
    HUB.repos.clear()
    HUB.requests.clear()
    return HUB


def tiny_llama_files(weights_bytes: int = 300_000) -> dict[str, bytes]:
    """A repository laid out like a Llama one, with small files and extras the model does not need."""
    config = {
        "model_type": "llama",
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "max_position_embeddings": 2048,
        "vocab_size": 128,
    }
    return {
        "config.json": json.dumps(config).encode(),
        "generation_config.json": b'{"do_sample": true}',
        "tokenizer.json": b'{"version": "1.0"}',
        "tokenizer_config.json": b'{"chat_template": "{{ messages }}"}',
        "special_tokens_map.json": b"{}",
        "model.safetensors": os.urandom(weights_bytes),
        "README.md": b"# tiny",
        "original/consolidated.00.pth": os.urandom(1000),
        ".gitattributes": b"*.safetensors filter=lfs",
    }


@pytest.fixture
def tiny_model(hub):
    hub.repos["test-org/tiny-llama"] = Repo(files=tiny_llama_files())
    return "test-org/tiny-llama"


def run_compile(tmp_path: Path, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    """Runs `python3 -m neuronx_compile` as the container does, with the Neuron stand-in on the path."""
    full = dict(os.environ)
    full.update(env)
    full["PYTHONPATH"] = os.pathsep.join([str(STAND_IN), str(PYTHON_DIR)])
    full.setdefault("NEURONX_WORK_DIR", str(tmp_path / "work"))
    return subprocess.run(
        [sys.executable, "-m", "neuronx_compile"], env=full, capture_output=True, text=True, timeout=timeout
    )


def objects(s3, bucket: str, prefix: str = "") -> dict[str, bytes]:
    """Every object under a prefix, with its body."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            found[obj["Key"]] = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
    return found
