"""The default inference code: a chat API over a transformers-neuronx model on SageMaker.

Request (application/json):
    {"role"?: str, "messages": [{"role": str, "content": str}, ...], "parameters"?: {...}}
Response (application/json):
    {"generated_text": str}
"""
