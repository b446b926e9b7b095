"""The compile settings read from the environment the user data exports."""

import pytest

from neuronx_compile.errors import SettingsError
from neuronx_compile.settings import Settings
from tests.support.compile_env import compile_env

BASE = compile_env(
    "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
    "TinyLlama/TinyLlama-1.1B-Chat-v1.0/main/neuronx-2.25.0/tp2-np2048-bs1-bf16-opt2/",
)


def test_reads_every_setting():
    s = Settings.from_env({**BASE, "NEURONX_QUANT_DTYPE": "s8", "NEURONX_HF_TOKEN_SECRET_ARN": "arn:x"})
    assert (s.tp_degree, s.n_positions, s.batch_size, s.amp, s.quant_dtype, s.opt_level) == (
        2,
        2048,
        1,
        "bf16",
        "s8",
        2,
    )
    assert s.hf_token_secret_arn == "arn:x"
    assert s.neuron_cc_flags == "--model-type=transformer -O2"
    assert s.work_dir == "/opt/neuronx/work"


def test_quantization_and_token_are_optional():
    s = Settings.from_env(BASE)
    assert s.quant_dtype is None and s.hf_token_secret_arn is None


def test_pickled_weights_are_refused_unless_the_environment_allows_them():
    assert Settings.from_env(BASE).allow_pickle_weights is False
    assert Settings.from_env({**BASE, "NEURONX_ALLOW_PICKLE_WEIGHTS": "true"}).allow_pickle_weights is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"NEURONX_TP_DEGREE": "3"}, "NEURONX_TP_DEGREE must be one of 1, 2, 4, 8, 24, got 3"),
        ({"NEURONX_TP_DEGREE": "two"}, "NEURONX_TP_DEGREE must be a whole number, got 'two'"),
        ({"NEURONX_AMP": "fp8"}, "NEURONX_AMP must be one of bf16, f16, f32, got 'fp8'"),
        ({"NEURONX_QUANT_DTYPE": "s4"}, "NEURONX_QUANT_DTYPE must be one of s8 or unset, got 's4'"),
        ({"NEURONX_OPT_LEVEL": "4"}, "NEURONX_OPT_LEVEL must be one of 1, 2, 3, got 4"),
        ({"NEURONX_N_POSITIONS": "64"}, "NEURONX_N_POSITIONS must be at least 128, got 64"),
        ({"NEURONX_PREFIX": "no/slash"}, "NEURONX_PREFIX must end with '/'"),
        ({"NEURONX_BUCKET": ""}, "NEURONX_BUCKET is not set"),
        ({"NEURONX_ALLOW_PICKLE_WEIGHTS": "yes"}, "NEURONX_ALLOW_PICKLE_WEIGHTS must be true or false, got 'yes'"),
    ],
)
def test_rejects_invalid_values_naming_the_variable(change, message):
    with pytest.raises(SettingsError, match="invalid compile environment") as error:
        Settings.from_env({**BASE, **change})
    assert message in str(error.value)


def test_reports_every_problem_at_once():
    with pytest.raises(SettingsError) as error:
        Settings.from_env({**BASE, "NEURONX_TP_DEGREE": "3", "NEURONX_AMP": "x", "NEURONX_BUCKET": ""})
    assert str(error.value).count(";") == 2
