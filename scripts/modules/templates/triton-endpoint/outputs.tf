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
  value       = var.instance_type
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

output "environment" {
  description = "The container's environment: the model Triton loads, the Python backend's shared memory, the log level and yours."
  value       = local.environment
}
