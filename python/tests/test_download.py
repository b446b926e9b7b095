"""Choosing what to download from a Hub repository, and reading the token."""

import json
import re

import pytest

from neuronx_compile.download import check_model_type, choose_files, read_hf_token, weights_index
from neuronx_compile.errors import DownloadError, UnsupportedModelError

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


LLAMA3_INDEX = {
    "metadata": {"total_size": 16060522496},
    "weight_map": {
        "lm_head.weight": "model-00002-of-00004.safetensors",
        "model.embed_tokens.weight": "model-00001-of-00004.safetensors",
        "model.layers.0.mlp.down_proj.weight": "model-00001-of-00004.safetensors",
    },
}

# Mistral-7B-Instruct-v0.3 ships consolidated.safetensors (the reference implementation's format) beside the
# sharded Hugging Face files; transformers-neuronx reads the shards the index names.
MISTRAL_V03 = [
    ("config.json", 601),
    ("consolidated.safetensors", 14496078512),
    ("generation_config.json", 116),
    ("model-00001-of-00003.safetensors", 4949453792),
    ("model-00002-of-00003.safetensors", 4999819336),
    ("model-00003-of-00003.safetensors", 4546807800),
    ("model.safetensors.index.json", 23950),
    ("params.json", 202),
    ("special_tokens_map.json", 414),
    ("tokenizer.json", 3672),
    ("tokenizer.model", 587404),
    ("tokenizer.model.v3", 587404),
    ("tokenizer_config.json", 140874),
]
MISTRAL_V03_INDEX = {
    "weight_map": {
        f"model.layers.{i}.self_attn.q_proj.weight": f"model-0000{1 + i // 11}-of-00003.safetensors" for i in range(32)
    }
}


def test_takes_config_tokenizer_and_the_shards_the_index_names_at_the_top_level():
    assert weights_index(LLAMA3) == "model.safetensors.index.json"
    names = [n for n, _ in choose_files(LLAMA3, LLAMA3_INDEX)]
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


def test_with_an_index_takes_only_the_files_its_weight_map_names_not_consolidated_safetensors():
    assert weights_index(MISTRAL_V03) == "model.safetensors.index.json"
    chosen = dict(choose_files(MISTRAL_V03, MISTRAL_V03_INDEX))
    assert "consolidated.safetensors" not in chosen
    assert sorted(n for n in chosen if n.endswith(".safetensors")) == [
        "model-00001-of-00003.safetensors",
        "model-00002-of-00003.safetensors",
        "model-00003-of-00003.safetensors",
    ]
    weights = sum(size for name, size in chosen.items() if name.endswith(".safetensors"))
    assert weights == 4949453792 + 4999819336 + 4546807800  # 14.5 GB, not 29 GB


def test_an_index_naming_a_missing_shard_fails():
    index = {"weight_map": {"a": "model-00001-of-00003.safetensors", "b": "model-00009-of-00009.safetensors"}}
    with pytest.raises(DownloadError, match="names weight files the repository does not have: model-00009-of-00009"):
        choose_files(MISTRAL_V03, index)


def test_an_index_without_a_weight_map_fails():
    with pytest.raises(DownloadError, match="model.safetensors.index.json has no weight_map"):
        choose_files(MISTRAL_V03, {"metadata": {}})


def test_a_single_model_safetensors_wins_over_an_index_as_the_loader_does():
    files = [
        ("config.json", 1),
        ("model.safetensors", 10),
        ("model.safetensors.index.json", 1),
        ("model-1.safetensors", 5),
    ]
    assert weights_index(files) is None
    assert [n for n, _ in choose_files(files)] == ["config.json", "model.safetensors"]


def test_prefers_safetensors_over_pytorch_pickles():
    files = [("config.json", 1), ("model.safetensors", 10), ("pytorch_model.bin", 10)]
    assert [n for n, _ in choose_files(files)] == ["config.json", "model.safetensors"]


def test_refuses_pickled_weights_unless_allowed():
    files = [("config.json", 1), ("pytorch_model-00001-of-00002.bin", 10), ("pytorch_model.bin.index.json", 1)]
    index = {"weight_map": {"x": "pytorch_model-00001-of-00002.bin"}}
    with pytest.raises(DownloadError, match=r"only pickled weights .* runs code .* set allowPickleWeights"):
        choose_files(files, index)


def test_falls_back_to_pytorch_pickles_with_their_index_when_allowed():
    files = [("config.json", 1), ("pytorch_model-00001-of-00002.bin", 10), ("pytorch_model.bin.index.json", 1)]
    assert weights_index(files) == "pytorch_model.bin.index.json"
    index = {"weight_map": {"x": "pytorch_model-00001-of-00002.bin"}}
    assert [n for n, _ in choose_files(files, index, allow_pickle=True)] == [
        "config.json",
        "pytorch_model-00001-of-00002.bin",
        "pytorch_model.bin.index.json",
    ]


@pytest.mark.parametrize(
    "weights",
    [
        [("original/consolidated.00.pth", 10)],
        [("consolidated.safetensors", 10)],
        [("model-00001-of-00002.safetensors", 10), ("model-00002-of-00002.safetensors", 10)],
    ],
)
def test_fails_without_a_layout_the_loader_reads(weights):
    with pytest.raises(DownloadError, match="none of the weight layouts transformers-neuronx loads"):
        choose_files([("config.json", 1), *weights])


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


@pytest.mark.parametrize("model_type", ["llama", "code_llama", "mistral", "mixtral", "gpt2", "opt", "bloom"])
def test_accepts_the_served_model_types(model_type):
    assert check_model_type({"model_type": model_type}) == model_type


@pytest.mark.parametrize(
    ("model_type", "message"),
    [
        (
            "qwen2",
            "model_type 'qwen2', which transformers-neuronx 0.13 does not support; the served model types are llama",
        ),
        ("phi3", "model_type 'phi3', which transformers-neuronx 0.13 does not support"),
        ("gptj", "model_type 'gptj': transformers-neuronx 0.13 cannot save or load its compiled form"),
        ("gpt_neox", "model_type 'gpt_neox': transformers-neuronx 0.13 cannot save or load"),
        (None, "model_type None"),
    ],
)
def test_refuses_other_model_types_naming_the_served_ones(model_type, message):
    with pytest.raises(UnsupportedModelError, match=re.escape(message)):
        check_model_type({"model_type": model_type})
