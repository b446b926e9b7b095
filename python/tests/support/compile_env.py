"""The environment the user data exports to the compile script, for the tests that need one."""

from __future__ import annotations

PREFIX = "test-org/tiny-llama/main/neuronx-2.25.0/tp2-np2048-bs1-bf16-opt2/"


def compile_env(model_id: str, prefix: str = PREFIX, **overrides: str) -> dict[str, str]:
    """The environment the user data gives the compile script; overrides replace or add variables."""
    env = {
        "NEURONX_MODEL_ID": model_id,
        "NEURONX_REVISION": "main",
        "NEURONX_SDK_VERSION": "2.25.0",
        "NEURONX_TP_DEGREE": "2",
        "NEURONX_N_POSITIONS": "2048",
        "NEURONX_BATCH_SIZE": "1",
        "NEURONX_AMP": "bf16",
        "NEURONX_OPT_LEVEL": "2",
        "NEURON_CC_FLAGS": "--model-type=transformer -O2",
        "NEURONX_BUCKET": "models",
        "NEURONX_PREFIX": prefix,
        "NEURONX_INSTANCE_ID": "i-0123456789abcdef0",
    }
    env.update(overrides)
    return env
