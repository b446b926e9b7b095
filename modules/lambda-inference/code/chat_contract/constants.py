"""Names and limits of the chat contract."""

JSON = "application/json"
ACCEPTED_CONTENT_TYPES = ("application/json",)
ACCEPTED_RESPONSE_TYPES = ("application/json", "*/*")

# The roles of a conversation; the answering one can be renamed by the request's "role".
SYSTEM, USER, ASSISTANT = "system", "user", "assistant"

# Generation parameters: defaults and bounds.
DEFAULT_MAX_NEW_TOKENS = 256
# The response field that names requested parameters the model could not honour.
NOT_HONOURED_FIELD = "parameters_not_honoured"
MAX_STOP_SEQUENCES = 8
PARAMETERS = ("max_new_tokens", "temperature", "top_k", "top_p", "do_sample", "stop")
