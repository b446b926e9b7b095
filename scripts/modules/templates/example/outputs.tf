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

# ---- cost, before apply: estimates from the price table of lib/cost.ts (@@PRICE_REGION@@ on-demand prices of @@PRICE_DATE@@) ----

locals {
  sagemaker_hourly_usd = @@SAGEMAKER_PRICES@@
  ec2_hourly_usd       = @@EC2_PRICES@@
  endpoint_hourly_usd  = lookup(local.sagemaker_hourly_usd, module.endpoint.instance_type, null)
  compile_hourly_usd   = lookup(local.ec2_hourly_usd, module.compile.compile_instance_type, null)
  compile_minutes      = min(@@DEADLINE_DEFAULT@@, ceil(@@COMPILE_BASE_MINUTES@@ + @@COMPILE_MINUTES_PER_GIB@@ * module.compile.checkpoint_bytes / 1073741824))
}

output "endpoint_cost_usd_per_hour_estimate" {
  description = "Estimated USD an hour of the endpoint (instance_count x the SageMaker price of its type, @@PRICE_REGION@@ on-demand prices of @@PRICE_DATE@@); null for a type the table lacks."
  value       = local.endpoint_hourly_usd == null ? null : floor(local.endpoint_hourly_usd * var.instance_count * 100 + 0.5) / 100
}

output "endpoint_cost_usd_per_month_estimate" {
  description = "Estimated USD a month (730 hours) of the endpoint, always on."
  value       = local.endpoint_hourly_usd == null ? null : floor(floor(local.endpoint_hourly_usd * var.instance_count * 100 + 0.5) / 100 * 730 + 0.5)
}

output "compile_expected_minutes_estimate" {
  description = "Expected minutes of the compile instance (an assumption, not a measurement)."
  value       = local.compile_minutes
}

output "compile_cost_usd_estimate" {
  description = "Estimated USD of the compile at the on-demand price for the expected minutes (with spot, at most this)."
  value       = floor(local.compile_hourly_usd * local.compile_minutes / 60 * 100 + 0.5) / 100
}

output "compile_cost_usd_max_estimate" {
  description = "Estimated USD of the compile if it runs to its deadline (the instance is terminated then)."
  value       = floor(local.compile_hourly_usd * @@DEADLINE_DEFAULT@@ / 60 * 100 + 0.5) / 100
}
