"""Stand-in for transformers-neuronx, which needs Inferentia2 hardware and is not on PyPI.

Put on PYTHONPATH by the tests in place of the real library. Its API is generated from
``api.json``, a table read from the real source (aws-neuron/transformers-neuronx, commit and
version in the table's ``source``; ``derive_api.py`` beside this package derives it and checks
it): the ``model_type``s that ``NeuronAutoModelForCausalLM`` maps and the class of each, the
exact signatures of each class's constructor and ``sample`` (an unknown keyword raises
``TypeError`` as it does in the library, and ``inspect.signature`` shows the real parameters),
constructor keywords that the real class hands to its config (unknown ones raise the config's
``KeyError``), and which classes can ``save``/``load`` compiled artifacts (GPT-J and GPT-NeoX
cannot: they are not ``NeuronModelBase`` subclasses, so the attribute does not exist).

Only what runs on NeuronCores is replaced. Compile: ``to_neuron()`` checks what the real one
needs (a config and weights in the checkpoint directory) and ``save()`` writes NEFF-like files
and the settings they were built with. Serving: ``load()`` then ``to_neuron()`` refuses NEFFs
built with other settings, as the runtime would, and ``sample()`` appends the token ids of
NEURONX_STAND_IN_REPLY (comma-separated) and then the end-of-sequence id.
NEURONX_STAND_IN_FAIL makes ``to_neuron()`` raise its text; NEURONX_STAND_IN_RECORD names a
file that gets each call's arguments as JSON lines; NEURONX_STAND_IN_COMPILE_SECONDS makes
``to_neuron()`` take that long, as a real compile takes minutes (the lease tests need one running).
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import os
import time
from pathlib import Path

API = json.loads((Path(__file__).resolve().parent / "api.json").read_text())
__version__ = f"{API['source']['version']}+stand-in"

_KINDS = {
    "positional_or_keyword": inspect.Parameter.POSITIONAL_OR_KEYWORD,
    "keyword_only": inspect.Parameter.KEYWORD_ONLY,
    "var_positional": inspect.Parameter.VAR_POSITIONAL,
    "var_keyword": inspect.Parameter.VAR_KEYWORD,
}
_NO_DEFAULT = inspect.Parameter.empty


def signature(entry: dict) -> inspect.Signature:
    """The signature of a method of the table, with ``self`` first (defaults are the source text's values)."""
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for name, kind, default in entry["params"]:
        params.append(inspect.Parameter(name, _KINDS[kind], default=_default(default)))
    return inspect.Signature(params)


class SourceDefault:
    """A default that is an expression in the real source (e.g. ``constants.LAYOUT_HSB``), kept as its text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _default(text: str | None):
    if text is None:
        return _NO_DEFAULT
    if text == "NeuronConfig()":
        return NeuronConfig()
    try:
        return ast.literal_eval(text)
    except ValueError:
        return SourceDefault(text)


def _bind(sig: inspect.Signature, qualname: str, *args, **kwargs) -> dict:
    """Binds a call as Python would, raising the same TypeError for an unknown keyword."""
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{qualname}() {error}") from None
    bound.apply_defaults()
    return dict(bound.arguments)


def _method(name: str, sig: inspect.Signature, body):
    def method(*args, **kwargs):
        return body(args[0], _bind(sig, f"{type(args[0]).__name__}.{name}", *args, **kwargs))

    method.__name__ = name
    method.__signature__ = sig
    return method


class QuantizationConfig:
    """``transformers_neuronx.config.QuantizationConfig`` with the real constructor signature."""


class NeuronConfig:
    """``transformers_neuronx.config.NeuronConfig`` with the real constructor signature."""


def _config_init(self, arguments):
    arguments.pop("self")
    arguments.update(arguments.pop("kwargs", {}))
    self.__dict__.update(arguments)


for _cls in (QuantizationConfig, NeuronConfig):
    _sig = signature(API["configs"][_cls.__name__])
    _cls.__init__ = _method("__init__", _sig, _config_init)


class _StandInModel:
    """What every generated model class shares: loading the checkpoint config, compile, save, load, sample."""

    FAMILY: dict = {}

    @classmethod
    def from_pretrained(cls, pretrained_model_path, *model_args, **kwargs):
        # module.PretrainedModel.from_pretrained: cls(config, *model_args, **kwargs), then the weights.
        config = json.loads((Path(pretrained_model_path) / "config.json").read_text())
        model = cls(config, *model_args, **kwargs)
        model.path = Path(pretrained_model_path)
        return model

    def _init(self, arguments):
        arguments.pop("self")
        extra = arguments.pop("kwargs", {})
        policy = self.FAMILY["init"]["kwargs"]
        for key in extra:
            # The config's maybe_override_attributes refuses keys it has no attribute for.
            if policy["unknown"] == "KeyError" and key not in policy["known"]:
                raise KeyError(f'Found invalid key "{key}".')
        self.config = arguments.pop("config")
        self.kwargs = {k: v for k, v in {**arguments, **extra}.items() if k in _SETTINGS}
        self.neuron_config = arguments.get("neuron_config")
        self.compiled, self.artifacts = False, None

    def _settings(self):
        quant = getattr(self.neuron_config, "quant", None)
        return {
            **{k: v for k, v in self.kwargs.items() if k != "neuron_config"},
            "quant": quant and {"quant_dtype": quant.quant_dtype, "dequant_dtype": quant.dequant_dtype},
        }

    def to_neuron(self):
        if self.artifacts is not None:
            built = json.loads((self.artifacts / "stand-in-settings.json").read_text())
            if not list(self.artifacts.glob("*.neff")) or built != self._settings():
                raise RuntimeError(f"NEFFs in {self.artifacts} were built for {built}, not {self._settings()}")
        if os.environ.get("NEURONX_STAND_IN_COMPILE_SECONDS"):
            time.sleep(float(os.environ["NEURONX_STAND_IN_COMPILE_SECONDS"]))
        if os.environ.get("NEURONX_STAND_IN_FAIL"):
            raise RuntimeError(os.environ["NEURONX_STAND_IN_FAIL"])
        weights = sorted(self.path.glob("*.safetensors")) + sorted(self.path.glob("pytorch_model*.bin"))
        if not weights:
            raise FileNotFoundError(f"Can not find model.safetensors or pytorch_model.bin in {self.path}")
        settings = self._settings()
        _record(
            "to_neuron",
            model_class=type(self).__name__,
            path=str(self.path),
            kwargs={k: v for k, v in settings.items() if k != "quant"},
            quant=settings["quant"],
            neuron_cc_flags=os.environ.get("NEURON_CC_FLAGS"),
        )
        self.compiled = True

    def _save(self, directory):
        assert self.compiled, "save() before to_neuron()"
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        seed = json.dumps(self._settings(), sort_keys=True, default=str).encode()
        for i, part in enumerate(("context_encoding", "token_generation")):
            digest = hashlib.sha256(seed + part.encode()).hexdigest()[:16]
            # A NEFF starts with its magic; the body here is filler of a plausible size.
            (directory / f"{part}-{digest}.neff").write_bytes(b"NEFF" + bytes(range(256)) * (64 + 32 * i))
        (directory / "stand-in-settings.json").write_text(json.dumps(self._settings()))

    def _load(self, directory):
        self.artifacts = Path(directory)

    def _sample(self, arguments):
        assert self.compiled, "sample() before to_neuron()"
        rows = arguments["input_ids"].tolist()
        batch_size = self.kwargs.get("batch_size", 1)
        if len(rows) != batch_size:
            raise ValueError(f"Model not compiled for batch_size : {len(rows)}. Acceptable batch_size is {batch_size}")
        sequence_length = arguments["sequence_length"]
        assert sequence_length <= self.kwargs["n_positions"], f"sequence_length {sequence_length} > n_positions"
        named = {k: v for k, v in arguments.items() if k not in ("self", "input_ids", "kwargs") and _jsonable(v)}
        _record("sample", model_class=type(self).__name__, rows=len(rows), prompt=len(rows[0]), **named)
        reply = [int(t) for t in os.environ.get("NEURONX_STAND_IN_REPLY", "").split(",") if t]
        eos = self.config.get("eos_token_id", 2)
        import torch

        return torch.tensor([(row + reply + [eos])[:sequence_length] for row in rows])


# The compile settings the stand-in tracks, to refuse NEFFs built with others.
_SETTINGS = ("batch_size", "tp_degree", "n_positions", "amp", "neuron_config")


def _jsonable(value) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _model_class(family: dict) -> type:
    init_sig = signature(family["init"])
    sample_sig = signature(family["sample"])
    namespace = {
        "FAMILY": family,
        "__init__": _method("__init__", init_sig, _StandInModel._init),
        "sample": _method("sample", sample_sig, _StandInModel._sample),
        "__doc__": f"Stand-in of transformers_neuronx {family['class']} ({family['file']}).",
    }
    if family["serializable"]:
        namespace["save"] = _StandInModel._save
        namespace["load"] = _StandInModel._load
    return type(family["class"], (_StandInModel,), namespace)


_CLASSES: dict[str, type] = {}
NEURON_MODEL_FOR_CAUSAL_LM_MAPPING: dict[str, type] = {}
for _model_type, _family in API["families"].items():
    _CLASSES.setdefault(_family["class"], _model_class(_family))
    NEURON_MODEL_FOR_CAUSAL_LM_MAPPING[_model_type] = _CLASSES[_family["class"]]
globals().update(_CLASSES)


class NeuronAutoModelForCausalLM:
    """``modeling_auto.NeuronAutoModelForCausalLM``: the class of the checkpoint's ``model_type``."""

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, **kwargs):
        config = json.loads((Path(pretrained_model_name_or_path) / "config.json").read_text())
        model_type = config.get("model_type")
        if model_type not in NEURON_MODEL_FOR_CAUSAL_LM_MAPPING:
            raise AssertionError(f"The configuration model type '{model_type}' is not supported by Neuron")
        model_class = NEURON_MODEL_FOR_CAUSAL_LM_MAPPING[model_type]
        return model_class.from_pretrained(pretrained_model_name_or_path, *model_args, **kwargs)


def _record(call, **fields):
    path = os.environ.get("NEURONX_STAND_IN_RECORD")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"call": call, **fields}) + "\n")
