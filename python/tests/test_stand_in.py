"""The transformers-neuronx stand-in is the real 0.13 API as its table (api.json) records it: the families
NeuronAutoModelForCausalLM maps, each class's signatures, where unknown keywords fail, and which classes can
save their compiled form. The table's source and how it is derived: tests/support/stand_in/derive_api.py."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from neuronx_compile import constants

STAND_IN = Path(__file__).resolve().parent / "support" / "stand_in"
API = json.loads((STAND_IN / "transformers_neuronx" / "api.json").read_text())


@pytest.fixture
def tnx(stand_in):
    import transformers_neuronx

    return transformers_neuronx


def params(method) -> list[list]:
    out = []
    for p in list(inspect.signature(method).parameters.values())[1:]:
        kind = {
            p.POSITIONAL_OR_KEYWORD: "positional_or_keyword",
            p.KEYWORD_ONLY: "keyword_only",
            p.VAR_POSITIONAL: "var_positional",
            p.VAR_KEYWORD: "var_keyword",
        }[p.kind]
        out.append([p.name, kind])
    return out


def test_the_table_names_its_source():
    assert API["source"]["repository"] == "aws-neuron/transformers-neuronx"
    assert len(API["source"]["commit"]) == 40 and API["source"]["version"].startswith("0.13")


def test_the_compile_serves_the_savable_families_and_refuses_the_others():
    families = API["families"]
    assert set(constants.SERVED_MODEL_TYPES) == {t for t, f in families.items() if f["serializable"]}
    assert set(constants.UNSAVABLE_MODEL_TYPES) == {t for t, f in families.items() if not f["serializable"]}


@pytest.mark.parametrize("model_type", sorted(API["families"]))
def test_each_class_has_the_real_signatures(tnx, model_type):
    family = API["families"][model_type]
    cls = tnx.NEURON_MODEL_FOR_CAUSAL_LM_MAPPING[model_type]
    assert cls.__name__ == family["class"]
    for method in ("__init__", "sample"):
        entry = family["init" if method == "__init__" else "sample"]
        assert params(getattr(cls, method)) == [[name, kind] for name, kind, _ in entry["params"]]
    assert (hasattr(cls, "save") and hasattr(cls, "load")) == family["serializable"]


@pytest.mark.parametrize("model_type", ["opt", "bloom", "gptj", "gpt_neox"])
def test_an_unknown_sample_keyword_raises_type_error_as_in_the_library(tnx, model_type, tmp_path):
    cls = tnx.NEURON_MODEL_FOR_CAUSAL_LM_MAPPING[model_type]
    model = cls({"model_type": model_type}, batch_size=1, tp_degree=2, amp="bf16")
    with pytest.raises(TypeError, match="unexpected keyword argument 'top_p'"):
        model.sample([[1, 2]], sequence_length=8, top_p=0.9)


def test_gpt2_sample_swallows_unknown_keywords_in_kwargs(tnx):
    assert params(tnx.GPT2ForSamplingWithContextBroadcasting.sample)[-1] == ["kwargs", "var_keyword"]


@pytest.mark.parametrize(("model_type", "raises"), [("opt", KeyError), ("bloom", KeyError), ("llama", None)])
def test_an_unknown_constructor_keyword_fails_in_the_config_or_is_ignored_as_in_the_library(tnx, model_type, raises):
    cls = tnx.NEURON_MODEL_FOR_CAUSAL_LM_MAPPING[model_type]
    if raises:
        with pytest.raises(raises, match='Found invalid key "n_position"'):
            cls({"model_type": model_type}, n_position=128)
    else:
        cls({"model_type": model_type}, n_position=128)  # LlamaConfig takes no **kwargs; the keyword is dropped


@pytest.mark.parametrize("model_type", ["gptj", "gpt_neox"])
def test_gptj_and_gpt_neox_cannot_save_their_compiled_form(tnx, model_type):
    model = tnx.NEURON_MODEL_FOR_CAUSAL_LM_MAPPING[model_type]({"model_type": model_type}, n_positions=128)
    with pytest.raises(AttributeError):
        model.save("/tmp/never")  # noqa: S108 - never written


def test_the_auto_class_refuses_an_unmapped_model_type_with_the_library_message(tnx, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "qwen2"}))
    with pytest.raises(AssertionError, match="The configuration model type 'qwen2' is not supported by Neuron"):
        tnx.NeuronAutoModelForCausalLM.from_pretrained(str(tmp_path), batch_size=1)


def test_quantization_config_has_the_real_signature(tnx):
    entry = API["configs"]["QuantizationConfig"]
    assert params(tnx.QuantizationConfig.__init__) == [[n, k] for n, k, _ in entry["params"]]
    assert tnx.QuantizationConfig().dequant_dtype == "f16"
    with pytest.raises(TypeError):
        tnx.QuantizationConfig(quant="s8")
