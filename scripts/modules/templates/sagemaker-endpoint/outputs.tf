output "endpoint_name" {
  description = "Name of the SageMaker endpoint."
  value       = aws_sagemaker_endpoint.this.name
}

output "endpoint_arn" {
  description = "ARN of the SageMaker endpoint."
  value       = aws_sagemaker_endpoint.this.arn
}

output "instance_type" {
  description = "SageMaker instance type of the endpoint."
  value       = local.instance_type
}

output "invoke_policy_json" {
  description = "IAM policy document that allows invoking the endpoint; attach it to callers."
  value       = data.aws_iam_policy_document.invoke.json
}

output "role_arn" {
  description = "Execution role of the endpoint."
  value       = aws_iam_role.this.arn
}

output "model_name" {
  description = "Name of the SageMaker model."
  value       = aws_sagemaker_model.this.name
}

output "async_input_path" {
  description = "An asynchronous endpoint's request location (s3://bucket/prefix/): npm run invoke -- --async --input-location <this>. Null for a real-time endpoint."
  value       = try(local.async_paths.input, null)
}

output "async_output_path" {
  description = "An asynchronous endpoint's response location. Null for a real-time endpoint."
  value       = try(local.async_paths.output, null)
}

output "cold_start_seconds" {
  description = "An asynchronous endpoint's longest wait for an instance when a request arrives while it has none (scale to zero): the alarm's periods, the model's download and startup health check timeouts. Null for a real-time endpoint."
  value       = local.cold_start_seconds
}
