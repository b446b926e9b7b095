"""A SageMaker model directory for the default inference code, built here without the Hub.

model/ holds a real tokenizer (tokenizers + transformers, with a ChatML chat template) and
a config; compiled/ holds what the Neuron stand-in's compile saves; manifest.json carries
the options; code/<endpoint name>/ is the default inference code, where the endpoint construct
uploads it (each endpoint has a folder of its own; its PYTHONPATH points there).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }} {{ m['content'] }}<|im_end|> {% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant {% endif %}"
)
WORDS = (
    "system user assistant you are a helpful please answer only with the number what is 1 + = ? 2 hello world "
    "how do i say in french bonjour good morning"
).split()
SERVING = Path(__file__).resolve().parents[2] / "serving"
# The endpoint whose code folder the model directory holds (the example stack's default endpoint name).
ENDPOINT = "endpoint-realtime-inference"


def build_tokenizer(directory: Path, chat_template: str | None = CHATML):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    vocab = {token: i for i, token in enumerate(specials + sorted(set(WORDS)))}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        additional_special_tokens=specials[3:],
    )
    if chat_template:
        tokenizer.chat_template = chat_template
    tokenizer.save_pretrained(str(directory))
    return tokenizer


def build_model_dir(
    root: Path,
    *,
    n_positions: int = 128,
    tp_degree: int = 2,
    batch_size: int = 1,
    amp: str = "bf16",
    quant_dtype: str | None = None,
    chat_template: str | None = CHATML,
    model_type: str = "llama",
) -> Path:
    from transformers_neuronx import NeuronAutoModelForCausalLM, NeuronConfig, QuantizationConfig

    model, compiled = root / "model", root / "compiled"
    model.mkdir(parents=True)
    tokenizer = build_tokenizer(model, chat_template)
    (model / "config.json").write_text(json.dumps({"model_type": model_type, "eos_token_id": tokenizer.eos_token_id}))
    (model / "model.safetensors").write_bytes(b"\0" * 1024)
    kwargs = {"batch_size": batch_size, "tp_degree": tp_degree, "n_positions": n_positions, "amp": amp}
    if quant_dtype:
        kwargs["neuron_config"] = NeuronConfig(quant=QuantizationConfig(quant_dtype=quant_dtype, dequant_dtype=amp))
    neuron = NeuronAutoModelForCausalLM.from_pretrained(str(model), **kwargs)
    neuron.to_neuron()
    neuron.save(str(compiled))
    options = {
        "tp_degree": tp_degree,
        "n_positions": n_positions,
        "batch_size": batch_size,
        "amp": amp,
        "quant_dtype": quant_dtype,
    }
    (root / "manifest.json").write_text(json.dumps({"options": options}))
    shutil.copytree(SERVING, root / "code" / ENDPOINT, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def serving_env(
    *,
    n_positions: int = 128,
    tp_degree: int = 2,
    batch_size: int = 1,
    amp: str = "bf16",
    quant_dtype: str | None = None,
    model_dir: Path | str = "/opt/ml/model",
    max_new_tokens: int | None = None,
) -> dict[str, str]:
    """The environment the endpoint construct gives the container (CompileSettings.environment + SageMaker's).

    ``model_dir`` stands for /opt/ml/model where a test materialises the model data elsewhere.
    """
    env = {
        "NEURONX_MODEL_ID": "test-org/tiny-chat",
        "NEURONX_REVISION": "main",
        "NEURONX_SDK_VERSION": "2.25.0",
        "NEURONX_TP_DEGREE": str(tp_degree),
        "NEURONX_N_POSITIONS": str(n_positions),
        "NEURONX_BATCH_SIZE": str(batch_size),
        "NEURONX_AMP": amp,
        "NEURONX_OPT_LEVEL": "2",
        "SAGEMAKER_PROGRAM": "inference.py",
        "PYTHONPATH": f"{model_dir}/code/{ENDPOINT}",
    }
    if max_new_tokens is not None:
        env["NEURONX_MAX_NEW_TOKENS"] = str(max_new_tokens)
    if quant_dtype:
        env["NEURONX_QUANT_DTYPE"] = quant_dtype
    return env


class Context:
    """Stand-in for TorchServe's request context, the part the SageMaker inference toolkit reads."""

    class _Requests:
        def __init__(self, headers):
            self.headers = headers

        def get_request_properties(self):
            return self.headers

    def __init__(self, model_dir: Path, headers: dict[str, str]):
        self.model_name = "model"  # the toolkit registers the model with TorchServe under this name
        self.system_properties = {"model_dir": str(model_dir)}
        self.request_processor = [self._Requests(headers)]
        self.status: tuple[int, str] | None = None
        self.content_type: str | None = None

    def set_response_status(self, code, phrase):
        self.status = (code, phrase)

    def set_response_content_type(self, index, content_type):
        self.content_type = content_type
