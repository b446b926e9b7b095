output "function_name" {
  description = "The function name."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "alias_arn" {
  description = "ARN of the alias live, which the front door invokes."
  value       = aws_lambda_alias.this.arn
}

output "url" {
  description = "The URL to POST chat requests to (the function URL, or the HTTP API's /chat)."
  value       = local.http_api ? "${aws_apigatewayv2_api.this[0].api_endpoint}/chat" : aws_lambda_function_url.this[0].function_url
}

output "invoke_policy_json" {
  description = "IAM policy document that allows a caller to invoke the function through its front door; null with JWT authorization."
  value       = local.http_api ? (var.http_api_jwt == null ? data.aws_iam_policy_document.invoke_api[0].json : null) : data.aws_iam_policy_document.invoke_url[0].json
}

output "role_arn" {
  description = "Execution role of the function."
  value       = aws_iam_role.this.arn
}

output "memory_size_mib" {
  description = "Memory of the function in MB."
  value       = local.memory_size_mib
}

output "ephemeral_storage_mib" {
  description = "Ephemeral storage of the function in MB."
  value       = local.ephemeral_mib
}

output "timeout_seconds" {
  description = "Seconds a request may run."
  value       = local.timeout_seconds
}
