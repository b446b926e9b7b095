# A SageMaker real-time endpoint on Inferentia2 that serves compiled transformers-neuronx
# artifacts: an execution role limited to its artifacts, image and log group; a model whose data
# is the artifacts' S3 prefix (uncompressed) and whose environment is the compile settings; an
# endpoint configuration sized from the model; the endpoint; optionally autoscaling.

data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  instance_types = @@INSTANCE_TABLE@@

  gib = 1073741824

  instance_type = coalesce(var.instance_type, "ml.${var.serving_instance_type}")
  instance      = one([for t in local.instance_types : t if "ml.${t.name}" == local.instance_type])

  # Volume and timeouts scale with the artifacts, within SageMaker's limits (as lib/realtime-endpoint.ts).
  artifact_gib     = var.checkpoint_bytes / local.gib
  volume_size_gib  = coalesce(var.volume_size_gib, max(@@VOLUME_MIN_GIB@@, ceil(@@VOLUME_COPIES@@ * local.artifact_gib + @@VOLUME_HEADROOM@@)))
  download_timeout = coalesce(var.model_data_download_timeout_seconds, min(@@TIMEOUT_MAX@@, max(@@TIMEOUT_MIN@@, ceil(@@DOWNLOAD_BASE@@ + @@DOWNLOAD_PER_GIB@@ * local.artifact_gib))))
  startup_timeout  = coalesce(var.container_startup_health_check_timeout_seconds, min(@@TIMEOUT_MAX@@, max(@@TIMEOUT_MIN@@, ceil(@@STARTUP_BASE@@ + @@STARTUP_PER_GIB@@ * local.artifact_gib))))

  bucket_name = regex("^s3://([^/]+)/", var.compiled_artifact_s3_url)[0]
  code_dir    = coalesce(var.code_dir, "${path.module}/code")
  model_id    = lookup(var.settings_environment, "@@MODEL_ID_ENV@@", "")
  # S3 objects take at most 10 tags: the code objects carry the module's own only.
  own_tags = { "neuronx:model" = local.model_id, ManagedBy = "cdktf-neuronx-patterns" }
  tags     = merge(local.own_tags, var.tags)

  # The code that ships: no dotfiles, caches or tests (as the construct), nor what code_exclude_patterns names.
  code_excludes = concat(@@CODE_EXCLUDE_REGEXES@@, var.code_exclude_patterns)
  code_files    = [for f in fileset(local.code_dir, "**") : f if !anytrue([for re in local.code_excludes : can(regex(re, f))])]

  # Each endpoint's code has a folder of its own inside the model data (SageMaker copies the whole prefix at every
  # instance start), and PYTHONPATH points the toolkit at it: two endpoints on one compile never share code.
  code_key_prefix = "${var.artifact_prefix}@@CODE_KEY_PREFIX@@${var.endpoint_name}/"
  n_positions     = tonumber(lookup(var.settings_environment, "@@N_POSITIONS_ENV@@", "0"))
  max_new_tokens  = coalesce(var.max_new_tokens, min(@@MAX_NEW_TOKENS_DEFAULT@@, local.n_positions - 1))

  environment = merge(var.settings_environment, {
    SAGEMAKER_PROGRAM             = "inference.py"
    SAGEMAKER_CONTAINER_LOG_LEVEL = "20"
    # One worker owns the NeuronCores. The toolkit writes these two into TorchServe's config; it reads
    # SAGEMAKER_STARTUP_TIMEOUT only on its non-TorchServe path, so that one is not set.
    SAGEMAKER_MODEL_SERVER_WORKERS = "1"
    SAGEMAKER_MODEL_SERVER_TIMEOUT = tostring(local.startup_timeout)
    NEURON_RT_NUM_CORES            = tostring(var.tp_degree)
    @@PYTHONPATH_ENV@@ = "@@CODE_CONTAINER_DIR@@/${var.endpoint_name}"
    @@MAX_NEW_TOKENS_ENV@@ = tostring(local.max_new_tokens)
  }, var.environment)

  log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:log-group:/aws/sagemaker/Endpoints/${var.endpoint_name}"
  # SageMaker writes <destination>/<endpoint name>/<variant>/yyyy/mm/dd/hh/*.jsonl: the role may write there only.
  capture_arn = var.data_capture == null ? null : "arn:${data.aws_partition.current.partition}:s3:::${trimsuffix(trimprefix(var.data_capture.destination_s3_uri, "s3://"), "/")}/${var.endpoint_name}/*"
}

# ---- the execution role: its artifacts, its image, its logs -------------------------------------------

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
  description        = "Execution role of the SageMaker endpoint ${var.endpoint_name}: reads ${var.artifact_prefix} only"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
  tags               = local.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "ReadModelArtifacts"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arn}/${var.artifact_prefix}*"]
  }
  statement {
    sid       = "ListModelArtifacts"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.artifact_prefix}*"]
    }
  }
  statement {
    sid       = "PullServingImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [var.container_repository_arn]
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
    for_each = var.data_capture == null ? [] : [local.capture_arn]
    content {
      sid       = "WriteDataCapture"
      actions   = ["s3:PutObject"]
      resources = [statement.value]
    }
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

# ---- the inference code, next to the artifacts ---------------------------------------------------------

resource "aws_s3_object" "code" {
  for_each = toset(local.code_files)

  bucket      = local.bucket_name
  key         = "${local.code_key_prefix}${each.value}"
  source      = "${local.code_dir}/${each.value}"
  source_hash = filemd5("${local.code_dir}/${each.value}")
  tags        = local.own_tags
}

# ---- model, endpoint configuration, endpoint ------------------------------------------------------------

resource "aws_sagemaker_model" "this" {
  execution_role_arn       = aws_iam_role.this.arn
  enable_network_isolation = var.network_isolation
  tags                     = local.tags

  primary_container {
    image       = var.container_image_uri
    mode        = "SingleModel"
    environment = local.environment
    model_data_source {
      s3_data_source {
        s3_uri           = var.compiled_artifact_s3_url
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

  depends_on = [aws_iam_role_policy.this, aws_s3_object.code]

  # Model changes replace it; the endpoint moves to the new one before the old goes.
  lifecycle {
    create_before_destroy = true
    precondition {
      condition     = local.instance != null && try(local.instance.cores, 0) >= var.tp_degree
      error_message = "The instance type ${local.instance_type} has fewer NeuronCores than the tensor parallel degree ${var.tp_degree} the model was compiled for. Choose a larger instance_type."
    }
    precondition {
      condition     = try(local.instance.memory_gib, 0) * local.gib >= var.serving_host_bytes
      error_message = "The instance type ${local.instance_type} lacks the host memory to serve the model (about ${ceil(var.serving_host_bytes / local.gib)} GiB). Choose a larger instance_type."
    }
    precondition {
      condition     = var.volume_size_gib != null || local.volume_size_gib <= @@VOLUME_MAX@@
      error_message = "The artifacts (about ${ceil(local.artifact_gib)} GiB) need a ${local.volume_size_gib} GiB volume (the artifacts plus @@VOLUME_HEADROOM@@ GiB), over SageMaker's @@VOLUME_MAX@@ GiB. Set volume_size_gib if you know it fits."
    }
    precondition {
      condition     = local.max_new_tokens < local.n_positions
      error_message = "The max_new_tokens must be below the nPositions the model was compiled for (${local.n_positions}), which holds the prompt too."
    }
    precondition {
      condition     = var.auto_scaling == null || try(var.instance_count >= var.auto_scaling.min_capacity && var.instance_count <= var.auto_scaling.max_capacity, false)
      error_message = "The instance_count must be within auto_scaling's min_capacity and max_capacity."
    }
    precondition {
      condition     = length(local.environment) <= @@ENV_ENTRIES_MAX@@ && length(join("", [for k, v in local.environment : "${k}${v}"])) <= @@ENV_TOTAL_MAX@@
      error_message = "The container's environment, with the module's own variables, must have at most @@ENV_ENTRIES_MAX@@ entries and @@ENV_TOTAL_MAX@@ characters of keys and values (SageMaker's limits)."
    }
    precondition {
      condition     = contains(local.code_files, "inference.py")
      error_message = "The code_dir's inference.py is left out by code_exclude_patterns; SageMaker needs it (SAGEMAKER_PROGRAM)."
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
    instance_type                                     = local.instance_type
    initial_instance_count                            = var.instance_count
    volume_size_in_gb                                 = local.volume_size_gib
    model_data_download_timeout_in_seconds            = local.download_timeout
    container_startup_health_check_timeout_in_seconds = local.startup_timeout
    inference_ami_version                             = var.inference_ami_version
  }

  dynamic "data_capture_config" {
    for_each = var.data_capture == null ? [] : [var.data_capture]
    content {
      enable_capture              = true
      destination_s3_uri          = data_capture_config.value.destination_s3_uri
      initial_sampling_percentage = data_capture_config.value.sampling_percentage
      kms_key_id                  = data_capture_config.value.kms_key_arn
      dynamic "capture_options" {
        for_each = concat(data_capture_config.value.capture_input ? ["Input"] : [], data_capture_config.value.capture_output ? ["Output"] : [])
        content {
          capture_mode = capture_options.value
        }
      }
      capture_content_type_header {
        json_content_types = ["application/json"]
      }
    }
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

resource "aws_appautoscaling_target" "this" {
  count = var.auto_scaling == null ? 0 : 1

  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.this.name}/variant/AllTraffic"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = var.auto_scaling.min_capacity
  max_capacity       = var.auto_scaling.max_capacity
  tags               = local.tags
}

resource "aws_appautoscaling_policy" "this" {
  count = var.auto_scaling == null ? 0 : 1

  name               = "${var.endpoint_name}-invocations-per-instance"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.auto_scaling.target_invocations_per_instance
    scale_in_cooldown  = var.auto_scaling.scale_in_cooldown_seconds
    scale_out_cooldown = var.auto_scaling.scale_out_cooldown_seconds
    predefined_metric_specification {
      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
    }
  }
}

data "aws_iam_policy_document" "invoke" {
  statement {
    sid       = "InvokeEndpoint"
    actions   = ["sagemaker:InvokeEndpoint"]
    resources = [aws_sagemaker_endpoint.this.arn]
  }
}
