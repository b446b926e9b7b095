# A SageMaker real-time endpoint on Inferentia2 that serves compiled transformers-neuronx
# artifacts: an execution role limited to its artifacts, image and log group; a model whose data
# is the artifacts' S3 prefix (uncompressed) and whose environment is the compile settings; an
# endpoint configuration sized from the model; the endpoint; optionally autoscaling.

data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  instance_types = @@INSTANCE_TABLE@@

  # The backend that compiled (the neuronx-compile module's backend output): optimum-neuron's artifacts are the
  # exported model in <prefix>@@OPTIMUM_COMPILED_FOLDER@@, served by the vLLM Neuron DLC with no inference code.
  optimum        = var.backend == "@@OPTIMUM_BACKEND@@"
  model_prefix   = local.optimum ? "${var.artifact_prefix}@@OPTIMUM_COMPILED_FOLDER@@" : var.artifact_prefix
  model_data_url = local.optimum ? "${var.compiled_artifact_s3_url}@@OPTIMUM_COMPILED_FOLDER@@" : var.compiled_artifact_s3_url

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
  code_files    = local.optimum ? [] : [for f in fileset(local.code_dir, "**") : f if !anytrue([for re in local.code_excludes : can(regex(re, f))])]

  # Each endpoint's code has a folder of its own inside the model data (SageMaker copies the whole prefix at every
  # instance start), and PYTHONPATH points the toolkit at it: two endpoints on one compile never share code.
  code_key_prefix = "${var.artifact_prefix}@@CODE_KEY_PREFIX@@${var.endpoint_name}/"
  n_positions     = tonumber(lookup(var.settings_environment, "@@N_POSITIONS_ENV@@", "0"))
  max_new_tokens  = coalesce(var.max_new_tokens, min(@@MAX_NEW_TOKENS_DEFAULT@@, local.n_positions - 1))

  # optimum-neuron: the container's entry point turns each SM_ON_<NAME> into `optimum-cli neuron serve --<name>`;
  # batch size, sequence length and TP degree come from the same settings as the export (OptimumNeuronSettings).
  optimum_environment = merge(var.settings_environment, {
    @@OPTIMUM_SERVING_ENV_ENTRIES@@
  }, var.environment)
  neuronx_environment = merge(var.settings_environment, {
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
  environment = local.optimum ? local.optimum_environment : local.neuronx_environment

  log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:log-group:/aws/sagemaker/Endpoints/${var.endpoint_name}"
  # SageMaker writes <destination>/<endpoint name>/<variant>/yyyy/mm/dd/hh/*.jsonl: the role may write there only.
  capture_arn = var.data_capture == null ? null : "arn:${data.aws_partition.current.partition}:s3:::${trimsuffix(trimprefix(var.data_capture.destination_s3_uri, "s3://"), "/")}/${var.endpoint_name}/*"


  # The deployment (as lib/endpoint-operations.ts): the step, how many instance starts and bakes follow each
  # other, and the maximum execution timeout sized from them, within SageMaker's range.
  deployment_type    = var.deployment == null ? "" : var.deployment.type
  deployment_step    = try(var.deployment.size.percent != null ? { type = "CAPACITY_PERCENT", value = var.deployment.size.percent } : { type = "INSTANCE_COUNT", value = var.deployment.size.instances }, null)
  deployment_steps   = local.deployment_step == null ? 1 : (local.deployment_step.type == "CAPACITY_PERCENT" ? ceil(100 / local.deployment_step.value) : ceil(var.instance_count / local.deployment_step.value))
  deployment_starts  = local.deployment_type == "rolling" ? local.deployment_steps : 1
  deployment_bakes   = contains(["rolling", "linear"], local.deployment_type) ? local.deployment_steps : (local.deployment_type == "canary" ? 2 : 1)
  deployment_wait    = try(var.deployment.wait_interval_seconds, @@DEPLOY_WAIT_DEFAULT@@)
  deployment_timeout = var.deployment == null ? null : coalesce(var.deployment.maximum_execution_timeout_seconds, min(@@DEPLOY_TIMEOUT_MAX@@, max(@@DEPLOY_TIMEOUT_MIN@@, local.deployment_starts * (local.download_timeout + local.startup_timeout) + local.deployment_bakes * local.deployment_wait + coalesce(var.deployment.termination_wait_seconds, 0) + @@DEPLOY_HEADROOM@@)))
  # Percent of the instances a step may be, [least, most], and whether it is: at least one instance.
  deployment_range   = lookup({ canary = @@DEPLOY_CANARY_RANGE@@, linear = @@DEPLOY_LINEAR_RANGE@@, rolling = @@DEPLOY_ROLLING_RANGE@@ }, local.deployment_type, [0, 100])
  deployment_share   = local.deployment_step == null ? null : (local.deployment_step.type == "CAPACITY_PERCENT" ? local.deployment_step.value : 100 * local.deployment_step.value / var.instance_count)
  deployment_step_ok = local.deployment_step == null || try(local.deployment_share >= local.deployment_range[0] && local.deployment_share <= local.deployment_range[1] && (local.deployment_range[0] <= 1 || local.deployment_share * var.instance_count / 100 >= 1), false)
  # Instances an update may need: blue/green a second fleet, rolling one batch more.
  deployment_fleet  = var.auto_scaling == null ? var.instance_count : var.auto_scaling.max_capacity
  deployment_needed = local.deployment_type == "rolling" ? local.deployment_fleet + try(local.deployment_step.type == "CAPACITY_PERCENT" ? ceil(local.deployment_step.value * local.deployment_fleet / 100) : local.deployment_step.value, 0) : 2 * local.deployment_fleet
  rollback_alarms   = var.deployment == null ? [] : concat(var.deployment.rollback_on_endpoint_alarms && var.monitoring != null ? [aws_cloudwatch_metric_alarm.this["errors"].alarm_name, aws_cloudwatch_metric_alarm.this["model_latency"].alarm_name] : [], var.deployment.rollback_alarm_names)

  # Asynchronous inference (as lib/async-inference.ts): the paths left null are prefixes of a created bucket.
  async_create = var.async_inference != null && try(var.async_inference.input_path == null || var.async_inference.output_path == null || var.async_inference.failure_path == null, false)
  # (Both branches of a conditional are evaluated: no null interpolated, no index of an empty list.)
  async_bucket     = local.async_create ? one(aws_s3_bucket.async[*].bucket) : ""
  async_bucket_arn = local.async_create ? one(aws_s3_bucket.async[*].arn) : ""
  async_paths = var.async_inference == null ? null : {
    input   = coalesce(var.async_inference.input_path, "s3://${local.async_bucket}/@@ASYNC_INPUT_PREFIX@@")
    output  = coalesce(var.async_inference.output_path, "s3://${local.async_bucket}/@@ASYNC_OUTPUT_PREFIX@@")
    failure = coalesce(var.async_inference.failure_path, "s3://${local.async_bucket}/@@ASYNC_FAILURE_PREFIX@@")
  }
  async_objects = var.async_inference == null ? null : {
    input   = var.async_inference.input_path == null ? "${local.async_bucket_arn}/@@ASYNC_INPUT_PREFIX@@*" : "arn:${data.aws_partition.current.partition}:s3:::${trimsuffix(trimprefix(coalesce(var.async_inference.input_path, "-"), "s3://"), "/")}/*"
    output  = var.async_inference.output_path == null ? "${local.async_bucket_arn}/@@ASYNC_OUTPUT_PREFIX@@*" : "arn:${data.aws_partition.current.partition}:s3:::${trimsuffix(trimprefix(coalesce(var.async_inference.output_path, "-"), "s3://"), "/")}/*"
    failure = var.async_inference.failure_path == null ? "${local.async_bucket_arn}/@@ASYNC_FAILURE_PREFIX@@*" : "arn:${data.aws_partition.current.partition}:s3:::${trimsuffix(trimprefix(coalesce(var.async_inference.failure_path, "-"), "s3://"), "/")}/*"
  }
  async_key     = var.async_inference == null ? null : (var.async_inference.kms_key_arn != null ? var.async_inference.kms_key_arn : one(aws_kms_key.async[*].arn))
  async_topics  = var.async_inference == null ? [] : distinct(compact([var.async_inference.success_topic_arn, var.async_inference.error_topic_arn]))
  scale_to_zero = try(var.async_inference.scale_to_zero, false)
  # The longest the first request after an idle spell waits: the alarm's periods, the download and the load.
  cold_start_seconds = var.async_inference == null ? null : @@ZERO_ALARM_PERIOD@@ * @@ZERO_ALARM_PERIODS@@ + local.download_timeout + local.startup_timeout
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
  description        = "Execution role of the SageMaker endpoint ${var.endpoint_name}: reads ${local.model_prefix} only"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
  tags               = local.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "ReadModelArtifacts"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arn}/${local.model_prefix}*"]
  }
  statement {
    sid       = "ListModelArtifacts"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.model_prefix}*"]
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
  # Asynchronous inference: read the requests, write responses and failures, use the key, notify the topics.
  dynamic "statement" {
    for_each = var.async_inference == null ? [] : [local.async_objects]
    content {
      sid       = "ReadAsyncRequests"
      actions   = ["s3:GetObject"]
      resources = [statement.value.input]
    }
  }
  dynamic "statement" {
    for_each = var.async_inference == null ? [] : [local.async_objects]
    content {
      sid       = "WriteAsyncResponses"
      actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
      resources = distinct([statement.value.output, statement.value.failure])
    }
  }
  dynamic "statement" {
    for_each = local.async_key == null ? [] : [local.async_key]
    content {
      sid       = "UseAsyncKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
  dynamic "statement" {
    for_each = length(local.async_topics) == 0 ? [] : [local.async_topics]
    content {
      sid       = "NotifyAsyncResults"
      actions   = ["sns:Publish"]
      resources = statement.value
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
        s3_uri           = local.model_data_url
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
      condition     = local.optimum || local.max_new_tokens < local.n_positions
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
      condition     = !local.optimum || var.code_dir == null
      error_message = "The code_dir does not apply to backend = \"@@OPTIMUM_BACKEND@@\": the vLLM Neuron DLC serves the exported model with its own OpenAI-style chat API."
    }
    precondition {
      condition     = !local.optimum || length(setintersection(keys(var.environment), concat(keys(var.settings_environment), @@OPTIMUM_SERVING_NAMES@@, @@OPTIMUM_RESERVED_ENV@@))) == 0
      error_message = "The environment must not set the variables the optimum-neuron endpoint sets from the export settings (the settings and @@OPTIMUM_SERVING_NAMES_TEXT@@), nor @@OPTIMUM_RESERVED_ENV_TEXT@@ (each would contradict the export or the container's start-up checks)."
    }
    precondition {
      condition     = local.optimum || contains(local.code_files, "inference.py")
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

  dynamic "async_inference_config" {
    for_each = var.async_inference == null ? [] : [var.async_inference]
    content {
      dynamic "client_config" {
        for_each = async_inference_config.value.max_concurrent_invocations_per_instance == null ? [] : [async_inference_config.value.max_concurrent_invocations_per_instance]
        content {
          max_concurrent_invocations_per_instance = client_config.value
        }
      }
      output_config {
        s3_output_path  = local.async_paths.output
        s3_failure_path = local.async_paths.failure
        kms_key_id      = local.async_key
        dynamic "notification_config" {
          for_each = length(local.async_topics) == 0 ? [] : [async_inference_config.value]
          content {
            success_topic = notification_config.value.success_topic_arn
            error_topic   = notification_config.value.error_topic_arn
          }
        }
      }
    }
  }

  lifecycle {
    create_before_destroy = true
    precondition {
      condition     = !local.scale_to_zero || var.auto_scaling == null
      error_message = "The async_inference.scale_to_zero scales the endpoint on its backlog, and auto_scaling on invocations per instance; two target tracking policies on one variant fight: leave auto_scaling null (size scale to zero with async_inference.max_capacity)."
    }
    precondition {
      condition     = !local.scale_to_zero || var.instance_count <= coalesce(try(var.async_inference.max_capacity, null), var.instance_count)
      error_message = "The instance_count must be at most async_inference.max_capacity."
    }
  }
}

resource "aws_sagemaker_endpoint" "this" {
  name                 = var.endpoint_name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.this.name
  tags                 = local.tags

  # How SageMaker rolls out a new endpoint configuration; null: its default (blue/green, all at once).
  dynamic "deployment_config" {
    for_each = var.deployment == null ? [] : [var.deployment]
    content {
      dynamic "auto_rollback_configuration" {
        for_each = length(local.rollback_alarms) > 0 ? [1] : []
        content {
          dynamic "alarms" {
            for_each = local.rollback_alarms
            content {
              alarm_name = alarms.value
            }
          }
        }
      }
      dynamic "blue_green_update_policy" {
        for_each = local.deployment_type == "rolling" ? [] : [1]
        content {
          maximum_execution_timeout_in_seconds = local.deployment_timeout
          termination_wait_in_seconds          = coalesce(deployment_config.value.termination_wait_seconds, 0)
          traffic_routing_configuration {
            type                     = upper(local.deployment_type)
            wait_interval_in_seconds = local.deployment_wait
            dynamic "canary_size" {
              for_each = local.deployment_type == "canary" ? [local.deployment_step] : []
              content {
                type  = canary_size.value.type
                value = canary_size.value.value
              }
            }
            dynamic "linear_step_size" {
              for_each = local.deployment_type == "linear" ? [local.deployment_step] : []
              content {
                type  = linear_step_size.value.type
                value = linear_step_size.value.value
              }
            }
          }
        }
      }
      dynamic "rolling_update_policy" {
        for_each = local.deployment_type == "rolling" ? [1] : []
        content {
          maximum_execution_timeout_in_seconds = local.deployment_timeout
          wait_interval_in_seconds             = local.deployment_wait
          maximum_batch_size {
            type  = local.deployment_step.type
            value = local.deployment_step.value
          }
          dynamic "rollback_maximum_batch_size" {
            for_each = deployment_config.value.rollback_batch_size == null ? [] : [deployment_config.value.rollback_batch_size]
            content {
              type  = rollback_maximum_batch_size.value.percent != null ? "CAPACITY_PERCENT" : "INSTANCE_COUNT"
              value = coalesce(rollback_maximum_batch_size.value.percent, rollback_maximum_batch_size.value.instances)
            }
          }
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = local.deployment_step_ok
      error_message = "The deployment's size is ${coalesce(local.deployment_share, 0)}% of the ${var.instance_count} instance(s); SageMaker allows ${local.deployment_range[0]}% to ${local.deployment_range[1]}% of the variant's instances for a ${local.deployment_type} deployment, and a step of at least one instance."
    }
    precondition {
      condition     = var.deployment == null || !try(var.deployment.rollback_on_endpoint_alarms, false) || var.monitoring != null
      error_message = "The deployment rolls back on the endpoint's alarms, but monitoring is null so there are none; set monitoring, or rollback_on_endpoint_alarms = false with rollback_alarm_names."
    }
    precondition {
      condition     = length(local.rollback_alarms) <= @@DEPLOY_ALARMS_MAX@@
      error_message = "The deployment names ${length(local.rollback_alarms)} rollback alarms (the endpoint's included); SageMaker takes at most @@DEPLOY_ALARMS_MAX@@."
    }
    precondition {
      condition     = try(var.deployment.max_instances, null) == null || try(local.deployment_needed <= var.deployment.max_instances, true)
      error_message = "The deployment needs up to ${try(local.deployment_needed, 0)} instances during an update (blue/green starts a second fleet, rolling one batch more), over max_instances; use a rolling deployment with a small size, or raise max_instances."
    }
    precondition {
      condition     = var.deployment == null || try(local.deployment_timeout > local.deployment_wait + coalesce(var.deployment.termination_wait_seconds, 0), false)
      error_message = "The deployment's maximum_execution_timeout_seconds must be larger than wait_interval_seconds plus termination_wait_seconds (SageMaker's rule)."
    }
  }
}

# ---- the endpoint's alarms (monitoring; errors and latency also roll a deployment back) ---------------

locals {
  alarm_topic   = var.monitoring == null ? null : (var.monitoring.create_alarm_topic ? one(aws_sns_topic.alarms[*].arn) : var.monitoring.alarm_topic_arn)
  alarm_actions = local.alarm_topic == null ? null : [local.alarm_topic]
}

resource "aws_cloudwatch_metric_alarm" "this" {
  # errors and model_latency also roll a deployment back; the hosts' memory and disk do not.
  for_each = var.monitoring == null ? {} : {
    errors        = { suffix = "5xx-errors", namespace = "AWS/SageMaker", metric = "Invocation5XXErrors", statistic = "Sum", extended = null, threshold = var.monitoring.errors_per_minute_threshold, periods = @@ALARM_EVALUATION_PERIODS@@, datapoints = @@ALARM_DATAPOINTS@@, description = "Invocation 5XX errors of the SageMaker endpoint ${var.endpoint_name}: at least ${var.monitoring.errors_per_minute_threshold} a minute" }
    model_latency = { suffix = "model-latency", namespace = "AWS/SageMaker", metric = "ModelLatency", statistic = null, extended = "p90", threshold = var.monitoring.model_latency_threshold_seconds * 1000000, periods = @@ALARM_EVALUATION_PERIODS@@, datapoints = @@ALARM_DATAPOINTS@@, description = "p90 model latency of the SageMaker endpoint ${var.endpoint_name}: at least ${var.monitoring.model_latency_threshold_seconds} s" }
    memory        = { suffix = "host-memory", namespace = "/aws/sagemaker/Endpoints", metric = "MemoryUtilization", statistic = "Maximum", extended = null, threshold = @@ALARM_MEMORY@@, periods = @@ALARM_HOST_PERIODS@@, datapoints = @@ALARM_HOST_PERIODS@@, description = "Host memory of an instance of the SageMaker endpoint ${var.endpoint_name}: at least @@ALARM_MEMORY@@% for 5 minutes" }
    disk          = { suffix = "disk", namespace = "/aws/sagemaker/Endpoints", metric = "DiskUtilization", statistic = "Maximum", extended = null, threshold = @@ALARM_DISK@@, periods = @@ALARM_HOST_PERIODS@@, datapoints = @@ALARM_HOST_PERIODS@@, description = "ML storage volume of an instance of the SageMaker endpoint ${var.endpoint_name}: at least @@ALARM_DISK@@% full for 5 minutes" }
  }

  alarm_name          = "${var.endpoint_name}-${each.value.suffix}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = { EndpointName = var.endpoint_name, VariantName = "AllTraffic" }
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended
  threshold           = each.value.threshold
  period              = @@ALARM_PERIOD@@
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = each.value.datapoints
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

# CloudWatch publishes to an encrypted topic only under a key whose policy lets it (not the AWS managed aws/sns key).
data "aws_iam_policy_document" "alarm_topic_key" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource * is the key itself; the account statement is KMS's default key policy, which IAM policies narrow (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
  #checkov:skip=CKV_AWS_111:A key policy's Resource * is the key itself; the account statement is KMS's default key policy, which IAM policies narrow (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
  #checkov:skip=CKV_AWS_356:A key policy's Resource * is the key itself; the account statement is KMS's default key policy, which IAM policies narrow (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
  count = try(var.monitoring.create_alarm_topic, false) ? 1 : 0

  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:alarm:*"]
    }
  }
}

resource "aws_kms_key" "alarm_topic" {
  count = try(var.monitoring.create_alarm_topic, false) ? 1 : 0

  description             = "Encrypts the alarm topic of the SageMaker endpoint ${var.endpoint_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.alarm_topic_key[0].json
  tags                    = local.tags
}

resource "aws_sns_topic" "alarms" {
  count = try(var.monitoring.create_alarm_topic, false) ? 1 : 0

  name              = "${var.endpoint_name}-alarms"
  kms_master_key_id = aws_kms_key.alarm_topic[0].arn
  tags              = local.tags
}

resource "aws_cloudwatch_dashboard" "this" {
  count = try(var.monitoring.dashboard, false) ? 1 : 0

  dashboard_name = var.endpoint_name
  dashboard_body = jsonencode({
    widgets = [for i, w in @@DASHBOARD_WIDGETS@@ : {
      type   = "metric"
      x      = (i % 2) * 12
      y      = floor(i / 2) * 6
      width  = 12
      height = 6
      properties = {
        title   = w.title
        region  = data.aws_region.current.region
        period  = 60
        view    = "timeSeries"
        stacked = false
        metrics = [for m in w.metrics : [m[0], m[1], "EndpointName", var.endpoint_name, "VariantName", "AllTraffic", { stat = m[2], label = m[3] }]]
      }
    }]
  })
}

resource "aws_appautoscaling_target" "this" {
  count = var.auto_scaling == null && !local.scale_to_zero ? 0 : 1

  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.this.name}/variant/AllTraffic"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  # Scale to zero: from no instance (an asynchronous endpoint only).
  min_capacity = local.scale_to_zero ? 0 : try(var.auto_scaling.min_capacity, 0)
  max_capacity = local.scale_to_zero ? coalesce(try(var.async_inference.max_capacity, null), var.instance_count) : try(var.auto_scaling.max_capacity, 0)
  tags         = local.tags
}

resource "aws_appautoscaling_policy" "this" {
  count = var.auto_scaling == null || local.scale_to_zero ? 0 : 1

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

# ---- scale to zero: backlog target tracking from 0, and the alarm that starts the first instance ---------
# (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html)

resource "aws_appautoscaling_policy" "backlog" {
  count = local.scale_to_zero ? 1 : 0

  name               = "${var.endpoint_name}-backlog-per-instance"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = coalesce(var.async_inference.target_backlog_per_instance, @@ZERO_TARGET_DEFAULT@@)
    scale_in_cooldown  = coalesce(var.async_inference.scale_in_cooldown_seconds, @@ZERO_SCALE_IN_DEFAULT@@)
    scale_out_cooldown = coalesce(var.async_inference.scale_out_cooldown_seconds, @@ZERO_SCALE_OUT_DEFAULT@@)
    customized_metric_specification {
      namespace   = "AWS/SageMaker"
      metric_name = "ApproximateBacklogSizePerInstance"
      statistic   = "Average"
      dimensions {
        name  = "EndpointName"
        value = var.endpoint_name
      }
    }
  }
}

resource "aws_appautoscaling_policy" "scale_from_zero" {
  count = local.scale_to_zero ? 1 : 0

  name               = "${var.endpoint_name}-scale-from-zero"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    metric_aggregation_type = "Average"
    cooldown                = @@ZERO_STEP_COOLDOWN@@
    step_adjustment {
      metric_interval_lower_bound = "0"
      scaling_adjustment          = 1
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "backlog_without_capacity" {
  count = local.scale_to_zero ? 1 : 0

  alarm_name          = "${var.endpoint_name}-backlog-without-capacity"
  alarm_description   = "Requests queued at the SageMaker endpoint ${var.endpoint_name} while it has no instance: starts one. The first request waits up to ${local.cold_start_seconds} s (the alarm, then the model's download and load)."
  namespace           = "AWS/SageMaker"
  metric_name         = "HasBacklogWithoutCapacity"
  dimensions          = { EndpointName = var.endpoint_name }
  statistic           = "Average"
  period              = @@ZERO_ALARM_PERIOD@@
  evaluation_periods  = @@ZERO_ALARM_PERIODS@@
  datapoints_to_alarm = @@ZERO_ALARM_PERIODS@@
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = [aws_appautoscaling_policy.scale_from_zero[0].arn]
  tags                = local.tags
}

# ---- the asynchronous requests' and responses' bucket and key, when paths are left null --------------

data "aws_iam_policy_document" "async_key" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource * is the key itself; the account statement is KMS's default key policy, which IAM policies narrow (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
  #checkov:skip=CKV_AWS_111:A key policy's Resource * is the key itself; the account statement is KMS's default key policy, which IAM policies narrow (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
  #checkov:skip=CKV_AWS_356:A key policy's Resource * is the key itself; the account statement is KMS's default key policy, which IAM policies narrow (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
  count = local.async_create ? 1 : 0

  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "async" {
  count = local.async_create ? 1 : 0

  description             = "Encrypts the asynchronous requests and responses of the SageMaker endpoint ${var.endpoint_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.async_key[0].json
  tags                    = local.tags
}

resource "aws_s3_bucket" "async" {
  #checkov:skip=CKV_AWS_18:Access logs need a log bucket the platform team owns; this bucket holds asynchronous inference requests and responses, private and TLS-only.
  #checkov:skip=CKV_AWS_144:The bucket holds asynchronous inference requests and responses, transient by nature: replication adds cost, not safety.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events: SageMaker's SNS notifications, when configured, announce the results.
  count = local.async_create ? 1 : 0

  bucket_prefix = "neuronx-async-"
  force_destroy = true
  tags          = local.tags
}

resource "aws_s3_bucket_public_access_block" "async" {
  count = local.async_create ? 1 : 0

  bucket                  = aws_s3_bucket.async[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "async" {
  count = local.async_create ? 1 : 0

  bucket = aws_s3_bucket.async[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "async" {
  count = local.async_create ? 1 : 0

  bucket = aws_s3_bucket.async[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.async[0].arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "async" {
  count = local.async_create ? 1 : 0

  bucket = aws_s3_bucket.async[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "async" {
  count = local.async_create ? 1 : 0

  bucket = aws_s3_bucket.async[0].id
  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }
}

data "aws_iam_policy_document" "async_tls_only" {
  count = local.async_create ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.async[0].arn, "${aws_s3_bucket.async[0].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "async" {
  count = local.async_create ? 1 : 0

  bucket = aws_s3_bucket.async[0].id
  policy = data.aws_iam_policy_document.async_tls_only[0].json
  # After the public access block: S3 evaluates a new policy against it, and the two race otherwise.
  depends_on = [aws_s3_bucket_public_access_block.async]
}

# An asynchronous endpoint takes InvokeEndpointAsync only; its callers put requests and read results in S3.
data "aws_iam_policy_document" "invoke" {
  dynamic "statement" {
    for_each = var.async_inference == null ? ["sync"] : []
    content {
      sid       = "InvokeEndpoint"
      actions   = ["sagemaker:InvokeEndpoint"]
      resources = [aws_sagemaker_endpoint.this.arn]
    }
  }
  dynamic "statement" {
    for_each = var.async_inference == null ? [] : [local.async_objects]
    content {
      sid       = "InvokeEndpointAsync"
      actions   = ["sagemaker:InvokeEndpointAsync"]
      resources = [aws_sagemaker_endpoint.this.arn]
    }
  }
  dynamic "statement" {
    for_each = var.async_inference == null ? [] : [local.async_objects]
    content {
      sid       = "PutAsyncRequests"
      actions   = ["s3:PutObject"]
      resources = [statement.value.input]
    }
  }
  dynamic "statement" {
    for_each = var.async_inference == null ? [] : [local.async_objects]
    content {
      sid       = "ReadAsyncResponses"
      actions   = ["s3:GetObject"]
      resources = distinct([statement.value.output, statement.value.failure])
    }
  }
  dynamic "statement" {
    for_each = local.async_key == null ? [] : [local.async_key]
    content {
      sid       = "UseAsyncKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}
