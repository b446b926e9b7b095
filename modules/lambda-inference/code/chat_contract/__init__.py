"""The chat contract that every inference path of this project speaks: the SageMaker endpoint's
default code (neuronx_inference) and the Lambda function (lambda_inference).

Request (application/json):
    {"role"?: str, "messages": [{"role": str, "content": str}, ...], "parameters"?: {...}}
Response (application/json):
    {"generated_text": str}

It ships inside the endpoint's code directory (python/serving, uploaded as it is) and inside the
Lambda function's package; it needs nothing but the standard library and a tokenizer object.
"""
