"""Names and defaults shared with the TypeScript constructs (lib/compile-settings.ts).

A test (python/tests/test_contract.py) keeps these equal to the TypeScript side.
"""

# Environment variables that carry the compile settings, to the compile and to the serving container.
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

# Environment of the compile job itself (set by the user data).
BUCKET_ENV = "NEURONX_BUCKET"
PREFIX_ENV = "NEURONX_PREFIX"
WORK_DIR_ENV = "NEURONX_WORK_DIR"
HF_TOKEN_SECRET_ENV = "NEURONX_HF_TOKEN_SECRET_ARN"  # noqa: S105 - the name of the variable holding an ARN
INSTANCE_ID_ENV = "NEURONX_INSTANCE_ID"
# "true" when the model may load pickled weights (Model.fromHuggingFace allowPickleWeights).
ALLOW_PICKLE_WEIGHTS_ENV = "NEURONX_ALLOW_PICKLE_WEIGHTS"
NEURON_CC_FLAGS_ENV = "NEURON_CC_FLAGS"

# The compile recipe (docs: the optimum-neuron contract of issue 13). Absent means transformers-neuronx.
BACKEND_ENV = "NEURONX_BACKEND"
TRANSFORMERS_NEURONX = "transformers-neuronx"
OPTIMUM_NEURON = "optimum-neuron"
BACKENDS = (TRANSFORMERS_NEURONX, OPTIMUM_NEURON)
# optimum-neuron only: the image's optimum-neuron version, the target instance family, a private Hub cache repo.
OPTIMUM_NEURON_VERSION_ENV = "NEURONX_OPTIMUM_NEURON_VERSION"
TARGET_INSTANCE_FAMILY_ENV = "NEURONX_TARGET_INSTANCE_FAMILY"
OPTIMUM_CACHE_REPO_ENV = "NEURONX_OPTIMUM_CACHE_REPO"
TARGET_INSTANCE_FAMILIES = ("inf2",)
# The public compiled-artifact cache optimum-neuron looks in (optimum/neuron/utils/cache_utils.py, 0.4.5).
OPTIMUM_PUBLIC_CACHE_REPO = "aws-neuron/optimum-neuron-cache"
# NEURONX_AMP as optimum-neuron's dtype names (optimum/neuron/utils/argument_utils.py DTYPE_MAPPER, 0.4.5).
OPTIMUM_DTYPES = {"bf16": "bfloat16", "f16": "float16", "f32": "float32"}
# The checkpoint model_types optimum-neuron 0.4.5 exports for text-generation
# (optimum/neuron/models/inference/auto_models.py register_neuron_model_for_inference).
OPTIMUM_MODEL_TYPES = ("granite", "llama", "llama4_text", "mixtral", "phi3", "qwen2", "qwen3", "qwen3_moe", "smollm3")

# Allowed values, as in lib/neuron-spec.ts.
TP_DEGREES = (1, 2, 4, 8, 24)
AMP_TYPES = ("bf16", "f16", "f32")
QUANT_DTYPES = ("s8",)
OPT_LEVELS = (1, 2, 3)

# The checkpoint model_types the compile accepts: those transformers-neuronx 0.13 maps in
# NeuronAutoModelForCausalLM and can save compiled (lib/model.ts SERVED_ARCHITECTURES; a test keeps them equal).
SERVED_MODEL_TYPES = ("llama", "code_llama", "mistral", "mixtral", "gpt2", "opt", "bloom")
# Mapped by the library, but GPTJForSampling and GPTNeoXForSampling have no save()/load() (they are not
# NeuronModelBase subclasses): the endpoint would recompile them at every instance start.
UNSAVABLE_MODEL_TYPES = ("gptj", "gpt_neox")

# The weight layouts transformers-neuronx loads, in the order it tries them
# (src/transformers_neuronx/module.py, PretrainedModel.load_state_dict_dir, commit 1ade6d7).
SAFETENSORS = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
PYTORCH_BIN = "pytorch_model.bin"
PYTORCH_BIN_INDEX = "pytorch_model.bin.index.json"

# Layout under the cache-key prefix. The markers sit beside the folders; _SUCCESS is written last.
MODEL_DIR = "model/"
COMPILED_DIR = "compiled/"
MANIFEST = "manifest.json"
SUCCESS = "_SUCCESS"
FAILURE = "_FAILURE"
FAILURE_LOG = "_FAILURE.log"
PROGRESS = "_PROGRESS"

# Phases reported in _PROGRESS, in order.
PHASES = ("bootstrap", "pull-image", "download", "split", "compile", "upload", "publish")

# Files of a Hub repository that a causal LM needs besides its weights.
MODEL_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "tokenizer.model",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "chat_template.json",
    "chat_template.jinja",
)

# Lines of log kept for _FAILURE.
LOG_TAIL_LINES = 80
