"""The default inference code: a chat API over a transformers-neuronx model on SageMaker.

Request (application/json):
    {"role"?: str, "messages": [{"role": str, "content": str}, ...], "parameters"?: {...}}
Response (application/json):
    {"generated_text": str, "parameters_not_honoured"?: [str, ...]}
The second field lists sampling parameters the model's transformers-neuronx class does not take (only
Llama, Mistral and Mixtral take top_p and temperature); it is absent when every parameter was honoured.
"""
