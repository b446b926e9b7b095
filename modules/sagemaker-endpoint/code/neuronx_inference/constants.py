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

JSON = "application/json"
ACCEPTED_CONTENT_TYPES = ("application/json",)
ACCEPTED_RESPONSE_TYPES = ("application/json", "*/*")

# The roles of a conversation; the answering one can be renamed by the request's "role".
SYSTEM, USER, ASSISTANT = "system", "user", "assistant"

# Serving settings the endpoint construct sets (SERVING_ENV in lib/realtime-endpoint.ts; a test checks).
MAX_NEW_TOKENS_ENV = "NEURONX_MAX_NEW_TOKENS"
# The most new tokens a request may ask for when the endpoint does not say (ENDPOINT_DEFAULTS.maxNewTokens):
# SageMaker ends an invocation after 60 seconds.
DEFAULT_MAX_NEW_TOKENS_LIMIT = 512

# Generation parameters: defaults and bounds.
DEFAULT_MAX_NEW_TOKENS = 256
# The response field that names requested parameters the model class does not honour.
NOT_HONOURED_FIELD = "parameters_not_honoured"
MAX_STOP_SEQUENCES = 8
PARAMETERS = ("max_new_tokens", "temperature", "top_k", "top_p", "do_sample", "stop")
