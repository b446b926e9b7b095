"""The Lambda inference function: the chat contract (chat_contract) over a causal LM exported to
ONNX, run on the function's CPUs with onnxruntime.

Its package holds this directory and chat_contract; its dependencies (requirements.txt: numpy,
onnxruntime, tokenizers, jinja2) come from a layer or the container image. The handler is
`lambda_inference.app.handler`; it answers function URL and HTTP API (payload 2.0) events.
"""
