"""Names and limits of the inference handler. SETTINGS_ENV equals lib/compile-settings.ts (a test checks)."""

SETTINGS_ENV = {
    "model_id": "NEURONX_MODEL_ID",
    "revision": "NEURONX_REVISION",
    "neuron_sdk_version": "NEURONX_SDK_VERSION",
    "tp_degree": "NEURONX_TP_DEGREE",
    "n_positions": "NEURONX_N_POSITIONS",
    "batch_size": "NEURONX_BATCH_SIZE",
    "amp": "NEURONX_AMP",
    "quant_dtype": "NEURONX_QUANT_DTYPE",
    "opt_level": "NEURONX_OPT_LEVEL",
}

# Layout of the model directory SageMaker gives (the S3 prefix, copied to /opt/ml/model).
MODEL_SUBDIR = "model"
COMPILED_SUBDIR = "compiled"
MANIFEST = "manifest.json"
