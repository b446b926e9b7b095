# Compiles a Hugging Face model on Inferentia2 and serves it on a SageMaker real-time endpoint,
# with the two modules of this repository: the same infrastructure as the CDKTF example stacks.

provider "aws" {
  region = var.region

  default_tags {
    tags = { Project = "cdktf-neuronx-patterns", Stack = "compile-and-serve" }
  }

  # Only for an AWS emulator (the rehearsal): every call goes to aws_endpoint_url.
  s3_use_path_style       = var.aws_endpoint_url != null
  skip_metadata_api_check = var.aws_endpoint_url != null ? "true" : null
  dynamic "endpoints" {
    for_each = var.aws_endpoint_url == null ? [] : [var.aws_endpoint_url]
    content {
      @@EMULATED_ENDPOINTS@@
    }
  }
}

module "compile" {
  source = "../../neuronx-compile"

  backend                       = var.backend
  model_id                      = var.model_id
  architecture                  = var.architecture
  revision                      = var.revision
  parameters_billion            = var.parameters_billion
  n_positions                   = var.n_positions
  quant_dtype                   = var.quant_dtype
  spot                          = var.spot
  ami_id                        = var.ami_id
  hugging_face_token_secret_arn = var.hugging_face_token_secret_arn
  poll_interval_seconds         = var.poll_interval_seconds
  bucket_name                   = var.bucket_name
  bucket_force_destroy          = var.bucket_force_destroy
}

module "endpoint" {
  source = "../../sagemaker-endpoint"

  backend                  = module.compile.backend
  compiled_artifact_s3_url = module.compile.compiled_artifact_s3_url
  bucket_arn               = module.compile.bucket_arn
  artifact_prefix          = module.compile.artifact_prefix
  settings_environment     = module.compile.settings_environment
  container_image_uri      = module.compile.container_image_uri
  container_repository_arn = module.compile.container_repository_arn
  serving_instance_type    = module.compile.serving_instance_type
  tp_degree                = module.compile.tp_degree
  checkpoint_bytes         = module.compile.checkpoint_bytes
  serving_host_bytes       = module.compile.serving_host_bytes
  endpoint_name            = var.endpoint_name
  instance_count           = var.instance_count
  # No alarms or dashboard against an emulator: moto (5.2.5) has no route for CloudWatch's RPC v2 CBOR protocol,
  # which the AWS provider's CloudWatch client speaks (PutMetricAlarm answers 404).
  monitoring = var.aws_endpoint_url == null ? {} : null
}
