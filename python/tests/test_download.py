"""Choosing what to download from a Hub repository, and reading the token."""

import json

import pytest

from neuronx_compile.download import choose_files, read_hf_token
from neuronx_compile.errors import DownloadError

LLAMA3 = [
    ("config.json", 654),
    ("generation_config.json", 187),
    ("model-00001-of-00004.safetensors", 4976698672),
    ("model-00002-of-00004.safetensors", 4999802720),
    ("model.safetensors.index.json", 23950),
    ("original/consolidated.00.pth", 16060617592),
    ("original/params.json", 211),
    ("special_tokens_map.json", 73),
    ("tokenizer.json", 9085698),
    ("tokenizer_config.json", 50977),
    ("LICENSE", 7801),
    ("README.md", 36629),
]


def test_takes_config_tokenizer_and_safetensors_only_at_the_top_level():
    names = [n for n, _ in choose_files(LLAMA3)]
    assert names == sorted(
        [
            "config.json",
            "generation_config.json",
            "model-00001-of-00004.safetensors",
            "model-00002-of-00004.safetensors",
            "model.safetensors.index.json",
            "special_tokens_map.json",
            "tokenizer.json",
            "tokenizer_config.json",
        ]
    )


def test_prefers_safetensors_over_pytorch_pickles():
    files = [("config.json", 1), ("model.safetensors", 10), ("pytorch_model.bin", 10)]
    assert [n for n, _ in choose_files(files)] == ["config.json", "model.safetensors"]


def test_refuses_pickled_weights_unless_allowed():
    files = [("config.json", 1), ("pytorch_model-00001-of-00002.bin", 10), ("pytorch_model.bin.index.json", 1)]
    with pytest.raises(DownloadError, match=r"only pickled weights .* runs code .* set allowPickleWeights"):
        choose_files(files)


def test_falls_back_to_pytorch_pickles_with_their_index_when_allowed():
    files = [("config.json", 1), ("pytorch_model-00001-of-00002.bin", 10), ("pytorch_model.bin.index.json", 1)]
    assert [n for n, _ in choose_files(files, allow_pickle=True)] == [
        "config.json",
        "pytorch_model-00001-of-00002.bin",
        "pytorch_model.bin.index.json",
    ]


def test_fails_without_weights():
    with pytest.raises(DownloadError, match=r"no model weights \(\*\.safetensors or pytorch_model\*\.bin\)"):
        choose_files([("config.json", 1), ("original/consolidated.00.pth", 10)])


def test_fails_without_config():
    with pytest.raises(DownloadError, match="no config.json"):
        choose_files([("model.safetensors", 1)])


class Secrets:
    def __init__(self, value=None, error=None):
        self.value, self.error = value, error

    def get_secret_value(self, SecretId):  # noqa: N803 - boto3's argument name
        if self.error:
            raise self.error
        return {"SecretString": self.value}


@pytest.mark.parametrize(
    "stored",
    [
        "hf_abcdefghijklmnop",
        " hf_abcdefghijklmnop\n",
        json.dumps({"token": "hf_abcdefghijklmnop"}),
        json.dumps({"HF_TOKEN": "hf_abcdefghijklmnop"}),
    ],
)
def test_reads_the_token_as_text_or_json(stored):
    assert read_hf_token("arn:secret", Secrets(stored)) == "hf_abcdefghijklmnop"


def test_no_secret_means_no_token():
    assert read_hf_token(None, Secrets(error=AssertionError("not called"))) is None


def test_errors_name_the_secret_never_its_value():
    with pytest.raises(DownloadError) as error:
        read_hf_token("arn:secret", Secrets(json.dumps({"other": "hf_abcdefghijklmnop"})))
    assert "arn:secret" in str(error.value) and "hf_abcdefghijklmnop" not in str(error.value)
