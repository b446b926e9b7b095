# A SageMaker real-time endpoint on Inferentia2 that serves a Triton model repository with Triton's
# SageMaker entry point (serve): an execution role limited to the repository, the image and the
# log group; a model whose data is the repository's S3 prefix (uncompressed) and whose environment
# names the model to load and sizes the Python backend's shared memory; an endpoint configuration
# sized from the compiled models; the endpoint. The HCL twin of TritonSageMakerRealtimeInferenceEndpoint.
#
# The repository itself (config.pbtxt and model.py of each model) is written and checked by
# TritonNeuronModelRepository or scripts/render-triton-repository.ts, not here: the checks Triton
# only makes at load (instances against NeuronCores, preferred batch sizes, tensor names, the
# ensemble's maps) stay in one implementation.

data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  instance_types = @@INSTANCE_TABLE@@

  gib = 1073741824
  mib = 1048576

  instance = one([for t in local.instance_types : t if "ml.${t.name}" == var.instance_type])

  # Volume and timeouts scale with the compiled models (as lib/sagemaker-endpoint-core.ts scaledDefaults).
  compiled_gib     = var.compiled_bytes / local.gib
  volume_size_gib  = coalesce(var.volume_size_gib, max(@@VOLUME_MIN_GIB@@, ceil(@@VOLUME_COPIES@@ * local.compiled_gib + @@VOLUME_HEADROOM@@)))
  download_timeout = coalesce(var.model_data_download_timeout_seconds, min(@@TIMEOUT_MAX@@, max(@@TIMEOUT_MIN@@, ceil(@@DOWNLOAD_BASE@@ + @@DOWNLOAD_PER_GIB@@ * local.compiled_gib))))
  startup_timeout  = coalesce(var.container_startup_health_check_timeout_seconds, min(@@TIMEOUT_MAX@@, max(@@TIMEOUT_MIN@@, ceil(@@STARTUP_BASE@@ + @@STARTUP_PER_GIB@@ * local.compiled_gib))))

  bucket_name = regex("^s3://([^/]+)/", var.repository_s3_uri)[0]
  prefix      = trimprefix(var.repository_s3_uri, "s3://${local.bucket_name}/")
  bucket_arn  = "arn:${data.aws_partition.current.partition}:s3:::${local.bucket_name}"
  # The image's repository, for pull rights on it alone (as lib/triton-image.ts).
  image_parts    = regex(@@PATTERN_ECR_URI@@, var.image_uri)
  repository_arn = "arn:${data.aws_partition.current.partition}:ecr:${local.image_parts[1]}:${local.image_parts[0]}:repository/${local.image_parts[3]}"

  # "2.21" and "2.21.0" name one release.
  image_sdk      = can(regex("^[0-9]+\\.[0-9]+$", var.image_neuron_sdk_version)) ? "${var.image_neuron_sdk_version}.0" : var.image_neuron_sdk_version
  repository_sdk = var.repository_neuron_sdk_version == null ? null : (can(regex("^[0-9]+\\.[0-9]+$", var.repository_neuron_sdk_version)) ? "${var.repository_neuron_sdk_version}.0" : var.repository_neuron_sdk_version)

  # The Python backend's shared memory: twice the largest batch and one batch, in whole MiB, at least the serve script's defaults.
  shm_default_bytes = max(@@TRITON_SHM_DEFAULT@@, ceil(2 * var.largest_batch_bytes / local.mib) * local.mib)
  shm_growth_bytes  = max(@@TRITON_SHM_GROWTH@@, ceil(var.largest_batch_bytes / local.mib) * local.mib)

  own_tags = { "neuronx:triton-model" = var.default_model_name, ManagedBy = "cdktf-neuronx-patterns" }
  tags     = merge(local.own_tags, var.tags)

  # The serve script's variables; it logs verbosely unless told otherwise (every request would be in the endpoint's log).
  environment = merge(var.environment, {
    @@TRITON_MODEL_NAME_ENV@@ = var.default_model_name
    @@TRITON_SHM_DEFAULT_ENV@@ = tostring(local.shm_default_bytes)
    @@TRITON_SHM_GROWTH_ENV@@ = tostring(local.shm_growth_bytes)
    @@TRITON_LOG_VERBOSE_ENV@@ = "false"
  })

  log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:log-group:/aws/sagemaker/Endpoints/${var.endpoint_name}"
}

# ---- the execution role: its repository, its image, its logs -------------------------------------------

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
    # Confused deputy prevention: SageMaker may assume the role only for this account's resources.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:sagemaker:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "this" {
  name_prefix        = "neuronx-endpoint-"
  description        = "Execution role of the SageMaker endpoint ${var.endpoint_name}: reads ${local.prefix} only"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
  tags               = local.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "ReadModelArtifacts"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/${local.prefix}*"]
  }
  statement {
    sid       = "ListModelArtifacts"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.prefix}*"]
    }
  }
  statement {
    sid       = "PullServingImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [local.repository_arn]
  }
  # GetAuthorizationToken has no resource-level permissions.
  statement {
    sid       = "LogInToEcr"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "WriteEndpointLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [local.log_group_arn, "${local.log_group_arn}:*"]
  }
  dynamic "statement" {
    # SageMaker attaches network interfaces in the VPC; these actions take no resource-level permissions.
    for_each = var.vpc_config == null ? [] : ["vpc"]
    content {
      sid = "AttachToVpc"
      actions = [
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeVpcs",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
      ]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name_prefix = "neuronx-endpoint-"
  role        = aws_iam_role.this.id
  policy      = data.aws_iam_policy_document.this.json
}

# ---- model, endpoint configuration, endpoint ------------------------------------------------------------

resource "aws_sagemaker_model" "this" {
  execution_role_arn       = aws_iam_role.this.arn
  enable_network_isolation = var.network_isolation
  tags                     = local.tags

  # No code: Triton's serve script is the entry point, and each model's model.py is in the repository.
  primary_container {
    image       = var.image_uri
    mode        = "SingleModel"
    environment = local.environment
    model_data_source {
      s3_data_source {
        s3_uri           = var.repository_s3_uri
        s3_data_type     = "S3Prefix"
        compression_type = "None"
      }
    }
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnets            = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  depends_on = [aws_iam_role_policy.this]

  # Model changes replace it; the endpoint moves to the new one before the old goes.
  lifecycle {
    create_before_destroy = true
    precondition {
      condition     = try(local.instance.cores, 0) >= var.neuron_cores_used
      error_message = "The instance type ${var.instance_type} has ${try(local.instance.cores, 0)} NeuronCores, but the repository's model instances use ${var.neuron_cores_used} (cores 0 to ${var.neuron_cores_used - 1}); use ${try("ml.${[for t in local.instance_types : t.name if t.cores >= var.neuron_cores_used][0]}", "fewer instances")} or give the models fewer instances."
    }
    precondition {
      condition     = local.repository_sdk == null || local.repository_sdk == local.image_sdk
      error_message = "The image carries the Neuron SDK ${var.image_neuron_sdk_version}, but the repository's models were traced with ${coalesce(var.repository_neuron_sdk_version, "-")}; a Neuron model loads only in the runtime of the SDK that traced it, so serve with an image of that SDK or trace again."
    }
    precondition {
      condition     = var.volume_size_gib != null || local.volume_size_gib <= @@VOLUME_MAX@@
      error_message = "The compiled models (about ${ceil(local.compiled_gib)} GiB) need a ${local.volume_size_gib} GiB volume (the models plus @@VOLUME_HEADROOM@@ GiB), over SageMaker's @@VOLUME_MAX@@ GiB. Set volume_size_gib if you know it fits."
    }
    precondition {
      condition     = length(local.environment) <= @@ENV_ENTRIES_MAX@@ && length(join("", [for k, v in local.environment : "${k}${v}"])) <= @@ENV_TOTAL_MAX@@
      error_message = "The container's environment, with the module's own variables, must have at most @@ENV_ENTRIES_MAX@@ entries and @@ENV_TOTAL_MAX@@ characters of keys and values (SageMaker's limits)."
    }
  }
}

resource "aws_sagemaker_endpoint_configuration" "this" {
  #checkov:skip=CKV_AWS_98:Without kms_key_arn SageMaker encrypts the ML storage volumes with an AWS managed key; set kms_key_arn for a customer managed one.
  name_prefix = "${substr(var.endpoint_name, 0, 36)}-"
  kms_key_arn = var.kms_key_arn
  tags        = local.tags

  production_variants {
    variant_name                                      = "AllTraffic"
    model_name                                        = aws_sagemaker_model.this.name
    instance_type                                     = var.instance_type
    initial_instance_count                            = var.instance_count
    volume_size_in_gb                                 = local.volume_size_gib
    model_data_download_timeout_in_seconds            = local.download_timeout
    container_startup_health_check_timeout_in_seconds = local.startup_timeout
    inference_ami_version                             = var.inference_ami_version
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint" "this" {
  name                 = var.endpoint_name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.this.name
  tags                 = local.tags
}

data "aws_iam_policy_document" "invoke" {
  statement {
    sid       = "InvokeEndpoint"
    actions   = ["sagemaker:InvokeEndpoint"]
    resources = [aws_sagemaker_endpoint.this.arn]
  }
}
