output "compiled_artifact_s3_url" {
  description = "S3 URL of the compiled artifacts."
  value       = module.compile.compiled_artifact_s3_url
}

output "artifact_bucket" {
  description = "Bucket of the artifacts."
  value       = module.compile.bucket_name
}

output "artifact_prefix" {
  description = "Cache-key prefix of the artifacts."
  value       = module.compile.artifact_prefix
}

output "tp_degree" {
  description = "Tensor parallel degree."
  value       = module.compile.tp_degree
}

output "compile_instance_type" {
  description = "EC2 instance type that compiles the model."
  value       = module.compile.compile_instance_type
}

output "settings_environment" {
  description = "The compile settings as environment variables."
  value       = module.compile.settings_environment
}

output "endpoint_name" {
  description = "Name of the SageMaker endpoint."
  value       = module.endpoint.endpoint_name
}

output "instance_type" {
  description = "SageMaker instance type of the endpoint."
  value       = module.endpoint.instance_type
}

output "invoke_policy_json" {
  description = "IAM policy document that allows invoking the endpoint."
  value       = module.endpoint.invoke_policy_json
}
