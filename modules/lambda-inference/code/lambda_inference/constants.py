"""Names the construct (lib/lambda-inference.ts) and the function share; a test checks both sides agree."""

# Environment variables the construct sets.
ENV = {
    "source": "LAMBDA_INFERENCE_MODEL_SOURCE",  # s3, efs or image
    "bucket": "LAMBDA_INFERENCE_MODEL_BUCKET",  # s3: the bucket
    "prefix": "LAMBDA_INFERENCE_MODEL_PREFIX",  # s3: the key prefix of the model files, ending in /
    "directory": "LAMBDA_INFERENCE_MODEL_DIR",  # efs or image: the model directory
}
SOURCES = ("s3", "efs", "image")

# Where an S3 model is copied at start (the function's ephemeral storage).
LOCAL_MODEL_DIR = "/tmp/model"  # noqa: S108 - Lambda's ephemeral storage, private to the environment
COMPLETE_MARKER = ".complete"

# The model directory: a causal LM exported to ONNX without past key values
# (optimum-cli export onnx --task text-generation), its config and its tokenizer.
MODEL_FILE = "model.onnx"
CONFIG_FILE = "config.json"
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
CHAT_TEMPLATE_FILE = "chat_template.jinja"
REQUIRED_FILES = (MODEL_FILE, CONFIG_FILE, TOKENIZER_FILE, TOKENIZER_CONFIG_FILE)

# The model's inputs this function feeds, and the output it reads.
INPUT_IDS, ATTENTION_MASK, POSITION_IDS = "input_ids", "attention_mask", "position_ids"
LOGITS = "logits"

# config.json keys that give the context length, in the order transformers' configs use them.
CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length")
