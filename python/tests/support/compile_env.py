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


def optimum_compile_env(model_id: str, **overrides: str | None) -> dict[str, str]:
    """The environment of the optimum-neuron backend (the contract of issue 13); None removes a variable."""
    env = {
        "NEURONX_BACKEND": "optimum-neuron",
        "NEURONX_MODEL_ID": model_id,
        "NEURONX_REVISION": "main",
        "NEURONX_SDK_VERSION": "2.26.1",
        "NEURONX_OPTIMUM_NEURON_VERSION": "0.4.5",
        "NEURONX_TARGET_INSTANCE_FAMILY": "inf2",
        "NEURONX_TP_DEGREE": "2",
        "NEURONX_N_POSITIONS": "4096",
        "NEURONX_BATCH_SIZE": "4",
        "NEURONX_AMP": "bf16",
        "NEURONX_BUCKET": "models",
        "NEURONX_PREFIX": f"{model_id}/main/optimum-neuron-0.4.5-sdk2.26.1/tp2-sl4096-bs4-bf16/",
        "NEURONX_INSTANCE_ID": "i-0123456789abcdef0",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def user_data_env(model_id: str, code_prefix: str, abandon_seconds: int) -> dict[str, str]:
    """What the construct exports in the user data (the compile's environment, the image, the code, the
    lease), for a test that renders it; the instance id comes from the metadata service."""
    env = {
        **compile_env(model_id),
        "NEURONX_ABANDON_AFTER_SECONDS": str(abandon_seconds),
        "NEURONX_LEASE_CHECK_SECONDS": "1",
        "NEURONX_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "NEURONX_IMAGE": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference-neuronx:2.5.1-neuronx-py310-sdk2.21.0-ubuntu22.04",
        "NEURONX_REGISTRY": "763104351884.dkr.ecr.us-east-1.amazonaws.com",
        "NEURONX_CODE_PREFIX": code_prefix,
    }
    env.pop("NEURONX_INSTANCE_ID")
    return env
