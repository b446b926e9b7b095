output "compiled_artifact_s3_url" {
  description = "s3://<bucket>/<prefix> of the compiled artifacts (model/, compiled/, manifest.json), read through the waiter: its users wait for the compile."
  value       = local.cloudformation ? aws_cloudformation_stack.waiter[0].outputs["ArtifactS3Url"] : "s3://${null_resource.waiter[0].triggers.bucket}/${null_resource.waiter[0].triggers.prefix}"
}

output "bucket_name" {
  description = "Bucket of the artifacts."
  value       = local.bucket_name
}

output "bucket_arn" {
  description = "ARN of the bucket of the artifacts."
  value       = local.bucket_arn
}

output "artifact_prefix" {
  description = "Cache-key prefix of the artifacts in the bucket, ending in /."
  value       = local.artifact_prefix
}

output "tp_degree" {
  description = "Tensor parallel degree the model is compiled for."
  value       = local.tp_degree
}

output "compile_instance_type" {
  description = "EC2 instance type that compiles the model."
  value       = local.compile_type
}

output "serving_instance_type" {
  description = "EC2 name of the instance type the model is compiled to be served on (SageMaker adds ml.)."
  value       = local.serving_type
}

output "settings_environment" {
  description = "The compile settings as environment variables, for the serving container (the sagemaker-endpoint module)."
  value       = local.settings_environment
}

output "container_image_uri" {
  description = "The image that compiled the model; serve with the same one."
  value       = local.image_uri
}

output "container_repository_arn" {
  description = "ECR repository of that image, for pull rights."
  value       = local.repository_arn
}

output "neuron_sdk_version" {
  description = "Neuron SDK release of the image."
  value       = local.neuron_sdk_version
}

output "checkpoint_bytes" {
  description = "Bytes of the checkpoint as loaded on the host: about the artifacts' size, for the endpoint's volume and timeouts."
  value       = local.checkpoint_bytes
}

output "serving_host_bytes" {
  description = "Host memory the serving instance needs, in bytes."
  value       = local.serving_host_bytes
}

output "launch_template_id" {
  description = "Launch template of the compile instance."
  value       = aws_launch_template.this.id
}

output "role_arn" {
  description = "Role of the compile instance."
  value       = aws_iam_role.this.arn
}

output "waiter_policy_json" {
  description = "IAM policy document (JSON) with what the credentials of terraform apply need for the waiter: the prefix's objects, runs from this launch template (passing the compile role, tagging), and ending only this prefix's instances."
  value       = data.aws_iam_policy_document.waiter.json
}

output "backend" {
  description = "The backend that compiled: pass it to the sagemaker-endpoint module, which serves the artifacts with that backend's container settings."
  value       = var.backend
}
