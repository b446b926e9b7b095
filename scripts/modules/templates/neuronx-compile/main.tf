# Compiles a Hugging Face model with the AWS Neuron SDK on a temporary inf2 instance and uploads
# the artifacts to S3; terraform apply waits until they are complete. The instance is not a
# resource: the launch template describes it and the waiter (null_resource) runs it as a job, so
# that a second plan after success is empty and a cache hit launches nothing.

data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  cloudformation = var.waiter == "cloudformation"
  # The backend: transformers-neuronx (NeuronxCompile) or optimum-neuron (OptimumNeuronCompile), one job.
  optimum    = var.backend == "@@OPTIMUM_BACKEND@@"
  cpu_host   = local.optimum && var.optimum_neuron.compile_host == "cpu"
  batch_size = coalesce(var.batch_size, local.optimum ? @@OPTIMUM_BATCH_SIZE_DEFAULT@@ : @@BATCH_SIZE_DEFAULT@@)
  opt_level  = coalesce(var.opt_level, @@OPT_LEVEL_DEFAULT@@)
  # optimum-neuron's image carries its Neuron SDK and optimum-neuron releases; part of the cache key.
  optimum_sdk_version    = coalesce(var.optimum_neuron.neuron_sdk_version, "@@OPTIMUM_SDK_VERSION@@")
  optimum_neuron_version = coalesce(var.optimum_neuron.optimum_neuron_version, "@@OPTIMUM_VERSION@@")
  neuron_sdk_version     = local.optimum ? local.optimum_sdk_version : var.neuron_sdk_version
  # CPU instance types that export for inf2 without a device (optimum-neuron), smallest first: host memory (GiB).
  cpu_hosts = @@OPTIMUM_CPU_HOSTS@@
  # Inferentia2 instance types, smallest first: NeuronCores and host memory (GiB).
  instance_types = @@INSTANCE_TABLE@@

  tp_degrees = @@TP_DEGREES@@
  amp_bytes  = @@AMP_BYTES@@
  gib        = 1073741824

  # Sizing, as lib/sizing.ts: NeuronCore memory for weights, KV cache and the runtime margin;
  # host memory for the checkpoint (serving) or two of it and the compiler (compiling).
  parameters         = var.parameters_billion * 1e9
  amp_size           = local.amp_bytes[var.amp]
  weight_bytes       = local.parameters * (var.quant_dtype == null ? local.amp_size : 1)
  kv_cache_bytes     = 2 * @@KV_SCALE@@ * pow(local.parameters, @@KV_EXPONENT@@) * var.n_positions * local.batch_size * local.amp_size
  device_bytes       = (local.weight_bytes + local.kv_cache_bytes) * (1 + @@DEVICE_MARGIN@@)
  checkpoint_bytes   = local.parameters * max(2, local.amp_size)
  serving_host_bytes = local.checkpoint_bytes + @@SERVING_OVERHEAD_GIB@@ * local.gib
  compile_host_bytes = 2 * local.checkpoint_bytes + @@COMPILE_OVERHEAD_GIB@@ * local.gib
  root_volume_gib    = ceil((@@AMI_GIB@@ + @@IMAGE_GIB@@ + @@CHECKPOINT_COPIES@@ * local.checkpoint_bytes / local.gib) / 10) * 10

  fitting_degrees = [for d in local.tp_degrees : d if d * @@CORE_MEMORY_GIB@@ * local.gib >= local.device_bytes]
  min_degree      = length(local.fitting_degrees) > 0 ? local.fitting_degrees[0] : 0
  serving_degree  = coalesce(var.tp_degree, local.min_degree)
  serving_fits    = [for t in local.instance_types : t.name if t.cores >= local.serving_degree && t.memory_gib * local.gib >= local.serving_host_bytes]
  serving_type    = coalesce(var.serving_instance_type, try(local.serving_fits[0], "none"))
  compile_cores   = var.instance_type == null || local.cpu_host ? 24 : one([for t in local.instance_types : t.cores if t.name == var.instance_type])
  serving_cores   = try(one([for t in local.instance_types : t.cores if t.name == local.serving_type]), 0)
  tp_degree       = coalesce(var.tp_degree, max(0, [for d in local.tp_degrees : d if d <= min(local.serving_cores, local.compile_cores)]...))
  compile_fits    = [for t in local.instance_types : t.name if t.cores >= local.tp_degree && t.memory_gib * local.gib >= local.compile_host_bytes]
  cpu_fits        = [for t in local.cpu_hosts : t.name if t.memory_gib * local.gib >= local.compile_host_bytes]
  compile_type    = coalesce(var.instance_type, try(local.cpu_host ? local.cpu_fits[0] : local.compile_fits[0], "none"))
  compile_table   = try(one([for t in local.instance_types : t if t.name == local.compile_type]), null)
  cpu_table       = try(one([for t in local.cpu_hosts : t if t.name == local.compile_type]), null)
  serving_table   = try(one([for t in local.instance_types : t if t.name == local.serving_type]), null)

  # A repository name that shows a family transformers-neuronx 0.13 does not serve (as Model.fromHuggingFace).
  model_name     = element(split("/", var.model_id), length(split("/", var.model_id)) - 1)
  refused_family = !local.optimum && var.architecture == null && can(regex(@@REFUSED_NAMES_PATTERN@@, local.model_name))
  # A repository name that shows a family optimum-neuron @@OPTIMUM_VERSION@@ does not export (as OptimumNeuronCompile).
  unexported_family = local.optimum && var.architecture == null && can(regex(@@OPTIMUM_REFUSED_NAMES_PATTERN@@, local.model_name))

  # The cache key: same model, options and SDK give the same prefix. The revision is one segment,
  # reversibly: "_" as "_5f", "/" as "_2f" (refs/pr/3 and refs--pr--3 stay apart).
  # optimum-neuron's: .../optimum-neuron-<version>-sdk<sdk>/tp<N>-sl<S>-bs<B>-<dtype>/, never a transformers-neuronx key.
  revision_segment = replace(replace(var.revision, "_", "_5f"), "/", "_2f")
  artifact_prefix = (local.optimum
    ? "${var.model_id}/${local.revision_segment}/optimum-neuron-${local.optimum_neuron_version}-sdk${local.optimum_sdk_version}/tp${local.tp_degree}-sl${var.n_positions}-bs${local.batch_size}-${var.amp}/"
    : "${var.model_id}/${local.revision_segment}/neuronx-${var.neuron_sdk_version}/tp${local.tp_degree}-np${var.n_positions}-bs${local.batch_size}-${var.amp}-opt${local.opt_level}${var.quant_dtype == null ? "" : "-q${var.quant_dtype}"}/"
  )

  # The compile settings, one map for the compile and the serving container.
  neuronx_settings_environment = merge({
    @@SETTINGS_ENV_ENTRIES@@
  }, var.quant_dtype == null ? {} : { @@QUANT_ENV@@ = var.quant_dtype })
  # optimum-neuron's (OptimumNeuronSettings.environment): the export options under the shared names.
  optimum_settings_environment = {
    @@OPTIMUM_SETTINGS_ENV_ENTRIES@@
  }
  settings_environment = local.optimum ? local.optimum_settings_environment : local.neuronx_settings_environment
  # The compile's own: the private cache repository, and whether the host must have a Neuron device.
  backend_environment = local.optimum ? merge(
    { @@OPTIMUM_DEVICES_ENV@@ = local.cpu_host ? "none" : "required" },
    var.optimum_neuron.private_cache_repo == null ? {} : { @@OPTIMUM_CACHE_REPO_ENV@@ = var.optimum_neuron.private_cache_repo },
  ) : {}

  dlc_registry_accounts = @@DLC_ACCOUNTS@@
  region       = data.aws_region.current.region
  dlc_account  = lookup(local.dlc_registry_accounts, local.region, "unsupported-region")
  dlc_registry = "${local.dlc_account}.dkr.ecr.${local.region}.${data.aws_partition.current.dns_suffix}"
  image_uri = (local.optimum
    ? coalesce(var.optimum_neuron.image_uri, "${local.dlc_registry}/@@OPTIMUM_DLC_REPOSITORY@@:@@OPTIMUM_DLC_TAG@@")
    : coalesce(var.container_image_uri, "${local.dlc_registry}/@@DLC_REPOSITORY@@:@@DLC_TAG@@")
  )
  image_parts    = regex(@@PATTERN_ECR_URI@@, local.image_uri)
  registry       = "${local.image_parts[0]}.dkr.ecr.${local.image_parts[1]}.amazonaws.com${local.image_parts[2] == null ? "" : local.image_parts[2]}"
  repository_arn = "arn:${data.aws_partition.current.partition}:ecr:${local.image_parts[1]}:${local.image_parts[0]}:repository/${local.image_parts[3]}"

  bucket_name = var.bucket_name == null ? aws_s3_bucket.artifacts[0].bucket : var.bucket_name
  bucket_arn  = var.bucket_name == null ? aws_s3_bucket.artifacts[0].arn : "arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}"
  code_prefix = "@@BOOTSTRAP_ROOT@@@@CODE_HASH@@/"

  # S3 objects take at most 10 tags: the script objects carry the module's own only.
  own_tags = { "neuronx:model" = var.model_id, "neuronx:revision" = var.revision, ManagedBy = "cdktf-neuronx-patterns" }
  tags     = merge(local.own_tags, var.tags)
  # The bucket and prefix tags find the instance again: a later apply adopts it, destroy terminates
  # it, and the waiter's policy lets it terminate only these.
  instance_tags = merge(local.tags, { Name = "neuronx-compile ${var.model_id}", "@@TAG_BUCKET@@" = local.bucket_name, "@@TAG_PREFIX@@" = local.artifact_prefix })

  # The instance stops itself when no apply renews its lease for this long.
  abandon_after_minutes = coalesce(var.abandon_after_minutes, min(@@ABANDON_DEFAULT@@, var.deadline_minutes))

  environment = merge(local.settings_environment, local.backend_environment, {
    NEURONX_BUCKET      = local.bucket_name
    NEURONX_PREFIX      = local.artifact_prefix
    NEURONX_REGION      = local.region
    AWS_DEFAULT_REGION  = local.region
    NEURONX_IMAGE       = local.image_uri
    NEURONX_REGISTRY    = local.registry
    NEURONX_CODE_PREFIX = local.code_prefix
    # The lease watchdog: checked every poll interval, given up after abandon_after_minutes.
    NEURONX_LEASE_CHECK_SECONDS   = tostring(var.poll_interval_seconds)
    NEURONX_ABANDON_AFTER_SECONDS = tostring(local.abandon_after_minutes * 60)
    },
    var.hugging_face_token_secret_arn == null ? {} : { NEURONX_HF_TOKEN_SECRET_ARN = var.hugging_face_token_secret_arn },
    var.allow_pickle_weights ? { @@ALLOW_PICKLE_ENV@@ = "true" } : {},
  )

  # Whether the token's secret is an ARN. Preconditions read this boolean, not the variable: Terraform
  # prints the value of each reference of a failed condition, and a token passed by mistake is a secret.
  hugging_face_token_secret_arn_ok = var.hugging_face_token_secret_arn == null || (@@RULE(secretArn, coalesce(var.hugging_face_token_secret_arn, "-"))@@)

  # EC2 takes at most 255 characters.
  description = "Compiles ${var.model_id}@${var.revision} with the Neuron SDK ${local.neuron_sdk_version} (neuronx-compile module)"

  # The user data: the environment as exports, then the fixed body (templates/compile-user-data.sh).
  exports = merge(local.environment, { NEURONX_DEADLINE_MINUTES = tostring(var.deadline_minutes) })
  user_data = join("\n", concat(
    ["#!/bin/bash", "# User data of the neuronx-compile module (cdktf-neuronx-patterns):", "# compiles the model inside the serving container and uploads it to S3, then terminates."],
    [for k in sort(keys(local.exports)) : "export ${k}='${replace(local.exports[k], "'", "'\\''")}'"],
    ["", file("${path.module}/templates/compile-user-data.sh")],
  ))
}

# ---- the bucket, when none is given ---------------------------------------------------------------

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_18:Access logs need a log bucket the platform team owns; this bucket holds a rebuildable cache, private and TLS-only.
  #checkov:skip=CKV_AWS_144:The artifacts are a cache keyed by model and options; a lost region recompiles them, so replication adds cost, not safety.
  #checkov:skip=CKV_AWS_145:SSE-S3 encrypts every object; the readers (compile instance, SageMaker) would need grants on a customer managed key for no gain in this default.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events: the waiter polls the markers.
  count = var.bucket_name == null ? 1 : 0

  bucket_prefix = "neuronx-artifacts-"
  force_destroy = var.bucket_force_destroy
  tags          = local.tags
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  count = var.bucket_name == null ? 1 : 0

  bucket                  = aws_s3_bucket.artifacts[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  count = var.bucket_name == null ? 1 : 0

  bucket = aws_s3_bucket.artifacts[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  count = var.bucket_name == null ? 1 : 0

  bucket = aws_s3_bucket.artifacts[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "artifacts" {
  count = var.bucket_name == null ? 1 : 0

  bucket = aws_s3_bucket.artifacts[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  count = var.bucket_name == null ? 1 : 0

  bucket = aws_s3_bucket.artifacts[0].id
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

data "aws_iam_policy_document" "artifacts_tls_only" {
  count = var.bucket_name == null ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.artifacts[0].arn, "${aws_s3_bucket.artifacts[0].arn}/*"]
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

resource "aws_s3_bucket_policy" "artifacts" {
  count = var.bucket_name == null ? 1 : 0

  bucket = aws_s3_bucket.artifacts[0].id
  policy = data.aws_iam_policy_document.artifacts_tls_only[0].json
  # After the public access block: S3 evaluates a new policy against it, and the two race otherwise.
  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

# ---- the compile script, next to the artifacts, keyed by its content -------------------------------

resource "aws_s3_object" "script" {
  for_each = fileset("${path.module}/python/neuronx_compile", "*.py")

  bucket       = local.bucket_name
  key          = "${local.code_prefix}neuronx_compile/${each.value}"
  source       = "${path.module}/python/neuronx_compile/${each.value}"
  source_hash  = filemd5("${path.module}/python/neuronx_compile/${each.value}")
  content_type = "text/x-python"
  tags         = local.own_tags
}

# ---- network: the subnets to try and a security group without ingress ------------------------------

data "aws_ec2_instance_type_offerings" "this" {
  location_type = "availability-zone"
  filter {
    name   = "instance-type"
    values = [local.compile_type]
  }
}

data "aws_vpc" "default" {
  count   = var.subnet_id == null ? 1 : 0
  default = true
}

data "aws_subnets" "default" {
  count = var.subnet_id == null ? 1 : 0

  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default[0].id]
  }
  filter {
    name   = "default-for-az"
    values = ["true"]
  }
  filter {
    name   = "availability-zone"
    values = data.aws_ec2_instance_type_offerings.this.locations
  }
}

data "aws_subnet" "given" {
  count = var.subnet_id == null ? 0 : 1
  id    = var.subnet_id
}

resource "aws_security_group" "this" {
  name_prefix = "neuronx-compile-"
  description = "NeuronxCompile instance: no ingress; egress to the Hugging Face Hub, ECR, S3 and OS packages"
  vpc_id      = var.subnet_id == null ? data.aws_vpc.default[0].id : data.aws_subnet.given[0].vpc_id
  tags        = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to the Hugging Face Hub, ECR and S3"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
  tags              = local.tags
}

resource "aws_vpc_security_group_egress_rule" "http" {
  security_group_id = aws_security_group.this.id
  description       = "HTTP to the OS package mirrors, used only if Docker must be installed"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
  tags              = local.tags
}

# ---- the instance role: S3 rights on its own prefix only, pull of its image -------------------------

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name_prefix        = "neuronx-compile-"
  description        = "Compile instance of the neuronx-compile module: writes ${local.artifact_prefix} only, never its @@CODE_FOLDER@@"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
  tags               = local.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "ReadWriteOwnArtifacts"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${local.bucket_arn}/${local.artifact_prefix}*"]
  }
  statement {
    sid       = "ReadCompileScript"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/${local.code_prefix}*"]
  }
  statement {
    sid       = "ListOwnPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.artifact_prefix}*", "${local.code_prefix}*"]
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
  # The endpoint runs what is under <prefix>code/: the compile (which runs the model repository's
  # code paths and holds the Hugging Face token) must not be able to change it.
  statement {
    sid       = "DenyEndpointCode"
    effect    = "Deny"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${local.bucket_arn}/${local.artifact_prefix}@@CODE_FOLDER@@*"]
  }
  dynamic "statement" {
    for_each = var.hugging_face_token_secret_arn == null ? [] : [var.hugging_face_token_secret_arn]
    content {
      sid       = "ReadHuggingFaceToken"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [statement.value]
    }
  }
  # Secrets Manager decrypts the secret with the caller's rights; only through it.
  dynamic "statement" {
    for_each = var.hugging_face_token_kms_key_arn == null ? [] : [var.hugging_face_token_kms_key_arn]
    content {
      sid       = "DecryptHuggingFaceToken"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.region}.${data.aws_partition.current.dns_suffix}"]
      }
    }
  }

  lifecycle {
    precondition {
      condition     = local.hugging_face_token_secret_arn_ok
      error_message = "The hugging_face_token_secret_arn must be @@RULE_TEXT(secretArn)@@. Its value is not shown here, in case it is a secret."
    }
    precondition {
      condition     = var.hugging_face_token_kms_key_arn == null || var.hugging_face_token_secret_arn != null
      error_message = "The hugging_face_token_kms_key_arn is the key of the token's secret, but hugging_face_token_secret_arn is null. Set both, or neither."
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name_prefix = "neuronx-compile-"
  role        = aws_iam_role.this.id
  policy      = data.aws_iam_policy_document.this.json
}

resource "aws_iam_instance_profile" "this" {
  name_prefix = "neuronx-compile-"
  role        = aws_iam_role.this.name
  tags        = local.tags
}

# ---- the launch template ----------------------------------------------------------------------------

data "aws_ssm_parameter" "ami" {
  count = var.ami_id == null ? 1 : 0
  name  = var.ami_ssm_parameter
}

data "aws_ami" "this" {
  filter {
    name = "image-id"
    # An AMI id is not a secret; `value` would mark every plan line that uses it sensitive.
    values = [var.ami_id == null ? data.aws_ssm_parameter.ami[0].insecure_value : var.ami_id]
  }
}

resource "aws_launch_template" "this" {
  name_prefix   = "neuronx-compile-"
  description   = length(local.description) > 255 ? "${substr(local.description, 0, 252)}..." : local.description
  image_id      = data.aws_ami.this.id
  instance_type = local.compile_type
  # The user data ends with `shutdown -h now`: the instance goes away by itself.
  instance_initiated_shutdown_behavior = "terminate"
  vpc_security_group_ids               = [aws_security_group.this.id]
  update_default_version               = true
  user_data                            = base64encode(local.user_data)
  tags                                 = local.tags

  iam_instance_profile {
    arn = aws_iam_instance_profile.this.arn
  }

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
    # The container runs with host networking, so one hop reaches IMDS.
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = data.aws_ami.this.root_device_name
    ebs {
      volume_size           = coalesce(var.root_volume_size_gib, local.root_volume_gib)
      volume_type           = "gp3"
      encrypted             = "true"
      delete_on_termination = "true"
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = local.instance_tags
  }

  tag_specifications {
    resource_type = "volume"
    tags          = local.instance_tags
  }

  lifecycle {
    precondition {
      condition     = local.hugging_face_token_secret_arn_ok
      error_message = "The hugging_face_token_secret_arn must be @@RULE_TEXT(secretArn)@@. Its value is not shown here, in case it is a secret."
    }
    precondition {
      condition     = local.min_degree > 0
      error_message = "The model (${var.parameters_billion}B parameters, ${var.amp}) needs about ${ceil(local.device_bytes / local.gib)} GiB of NeuronCore memory, more than the 384 GiB of the 24 NeuronCores of inf2.48xlarge, the largest inf2 instance. Set quant_dtype to \"s8\", lower n_positions or batch_size, or choose a smaller model."
    }
    precondition {
      condition     = var.tp_degree == null || coalesce(var.tp_degree, 0) >= local.min_degree
      error_message = "The tp_degree ${coalesce(var.tp_degree, 0)} gives ${coalesce(var.tp_degree, 0) * 16} GiB of NeuronCore memory, but the model needs about ${ceil(local.device_bytes / local.gib)} GiB. Set tp_degree to ${local.min_degree} or more, or leave it null."
    }
    # The two below hold only once the model fits at all (the first precondition), so that a model
    # that is too large gets one error, with its cause.
    precondition {
      condition     = local.min_degree == 0 || (local.serving_type != "none" && local.serving_cores >= local.serving_degree && try(local.serving_table.memory_gib, 0) * local.gib >= local.serving_host_bytes)
      error_message = local.serving_type == "none" ? "The model needs about ${ceil(local.serving_host_bytes / local.gib)} GiB of host memory to serve, more than any inf2 instance has." : "The serving instance type ${local.serving_type} cannot hold the model: it needs ${local.serving_degree} NeuronCores and about ${ceil(local.serving_host_bytes / local.gib)} GiB of host memory. Choose a larger serving_instance_type, or leave it null."
    }
    precondition {
      condition     = local.cpu_host || local.min_degree == 0 || (local.compile_type != "none" && try(local.compile_table.cores, 0) >= local.tp_degree && try(local.compile_table.memory_gib, 0) * local.gib >= local.compile_host_bytes)
      error_message = local.compile_type == "none" ? "The model needs about ${ceil(local.compile_host_bytes / local.gib)} GiB of host memory to compile, more than any inf2 instance has." : "The compile instance type ${local.compile_type} cannot compile the model: it needs ${local.tp_degree} NeuronCores and about ${ceil(local.compile_host_bytes / local.gib)} GiB of host memory. Choose a larger instance_type, or leave it null."
    }
    # The optimum-neuron backend's refusals (OptimumNeuronCompile's): its host, its options, its families.
    precondition {
      condition     = !local.cpu_host || (var.instance_type == null ? local.compile_type != "none" : local.cpu_table != null)
      error_message = var.instance_type == null ? "Exporting ${var.model_id} needs about ${ceil(local.compile_host_bytes / local.gib)} GiB of memory, more than any CPU compile host has; set optimum_neuron.compile_host to \"inf2\"." : "The instance_type must be one of @@OPTIMUM_CPU_TYPES_TEXT@@ with optimum_neuron.compile_host = \"cpu\", got ${local.compile_type}."
    }
    precondition {
      condition     = !local.cpu_host || local.cpu_table == null || try(local.cpu_table.memory_gib, 0) * local.gib >= local.compile_host_bytes
      error_message = "The instance_type ${local.compile_type} has ${try(local.cpu_table.memory_gib, 0)} GiB of memory, but exporting ${var.model_id} needs about ${ceil(local.compile_host_bytes / local.gib)} GiB; set instance_type to ${try(local.cpu_fits[0], "a larger type")} or leave it null."
    }
    precondition {
      condition     = local.cpu_host || var.instance_type == null || local.compile_table != null
      error_message = "The instance_type must be one of @@INSTANCE_TYPES_TEXT@@, got ${local.compile_type}; for a CPU host (@@OPTIMUM_CPU_TYPES_TEXT@@), set backend = \"@@OPTIMUM_BACKEND@@\" and optimum_neuron.compile_host = \"cpu\"."
    }
    precondition {
      condition     = !local.optimum || var.quant_dtype == null
      error_message = "The quant_dtype is not an option of the @@OPTIMUM_BACKEND@@ backend: optimum-neuron @@OPTIMUM_VERSION@@ has no weight quantization for this export; choose a larger inf2 type or a smaller model, or use backend = \"transformers-neuronx\" with quant_dtype = \"s8\"."
    }
    precondition {
      condition     = !local.optimum || var.opt_level == null
      error_message = "The opt_level is not an option of the @@OPTIMUM_BACKEND@@ backend: optimum-neuron chooses the Neuron compiler's optimization level itself; leave it null."
    }
    precondition {
      condition     = !local.optimum || var.container_image_uri == null
      error_message = "The container_image_uri is the transformers-neuronx image; with backend = \"@@OPTIMUM_BACKEND@@\", set optimum_neuron.image_uri with its neuron_sdk_version and optimum_neuron_version."
    }
    precondition {
      condition     = local.optimum || var.optimum_neuron.compile_host == "inf2" && var.optimum_neuron.private_cache_repo == null && var.optimum_neuron.image_uri == null
      error_message = "The optimum_neuron settings apply to backend = \"@@OPTIMUM_BACKEND@@\" only; the backend is ${var.backend}."
    }
    precondition {
      condition     = !local.unexported_family
      error_message = "The model_id ${var.model_id} names a model family that optimum-neuron @@OPTIMUM_VERSION@@ cannot export for text generation (it exports @@OPTIMUM_MODEL_TYPES_TEXT@@); use backend = \"transformers-neuronx\" for it, or choose a model of those families. If this repository is a fine-tune of one of them, set architecture (e.g. \"llama\")."
    }
    precondition {
      condition     = var.root_volume_size_gib == null || coalesce(var.root_volume_size_gib, 0) >= local.root_volume_gib
      error_message = "The root_volume_size_gib must hold the DLAMI, the container image and the checkpoint, about ${local.root_volume_gib} GiB for this model."
    }
    precondition {
      condition     = var.poll_interval_seconds * 4 <= var.deadline_minutes * 60
      error_message = "The poll_interval_seconds must be at most a quarter of deadline_minutes (${var.deadline_minutes * 15} seconds)."
    }
    precondition {
      condition     = local.abandon_after_minutes <= var.deadline_minutes
      error_message = "The abandon_after_minutes must be at most deadline_minutes (${var.deadline_minutes}); lower it, or raise deadline_minutes."
    }
    precondition {
      condition     = var.poll_interval_seconds * 4 <= local.abandon_after_minutes * 60
      error_message = "The poll_interval_seconds must be at most a quarter of abandon_after_minutes (${local.abandon_after_minutes * 15} seconds), so that a lost poll or two do not stop the compile."
    }
    precondition {
      condition     = length(local.artifact_prefix) <= 256
      error_message = "The cache key ${local.artifact_prefix} is longer than the 256 characters of the instance tag that carries it. Use a shorter revision (a commit sha is 40)."
    }
  }
}

# ---- the waiter ---------------------------------------------------------------------------------------

resource "null_resource" "waiter" {
  count = local.cloudformation ? 0 : 1

  triggers = {
    bucket                  = local.bucket_name
    prefix                  = local.artifact_prefix
    launch_template_id      = aws_launch_template.this.id
    launch_template_version = aws_launch_template.this.latest_version
  }

  depends_on = [aws_s3_object.script, aws_iam_role_policy.this]

  lifecycle {
    precondition {
      condition     = !local.refused_family
      error_message = "The model_id ${var.model_id} names a model family that transformers-neuronx 0.13 does not serve; it serves @@SERVED_ARCHITECTURES_TEXT@@. Choose a model of one of those families, or if this repository is a fine-tune of one of them, set architecture (e.g. \"llama\")."
    }
    precondition {
      condition     = var.subnet_id != null || length(try(data.aws_subnets.default[0].ids, [])) > 0
      error_message = "The default VPC has no default subnet in an Availability Zone that offers ${local.compile_type}. Set subnet_id to a subnet in a zone that offers it."
    }
    precondition {
      condition     = var.subnet_id == null || contains(data.aws_ec2_instance_type_offerings.this.locations, try(data.aws_subnet.given[0].availability_zone, ""))
      error_message = "The subnet given as subnet_id is in an Availability Zone that does not offer ${local.compile_type}. Choose a subnet in a zone that offers it."
    }
    precondition {
      condition     = (local.optimum ? var.optimum_neuron.image_uri : var.container_image_uri) != null || contains(keys(local.dlc_registry_accounts), local.region)
      error_message = "The PyTorch inference Neuron DLC is not published in this region (local.dlc_registry_accounts lists the regions that carry it). Use one of those regions, or set container_image_uri to a copy of the image in your own ECR repository."
    }
  }

  provisioner "local-exec" {
    command     = "${path.module}/scripts/wait-for-compile.sh"
    interpreter = ["/bin/sh"]
    environment = {
      NEURONX_BUCKET                  = local.bucket_name
      NEURONX_PREFIX                  = local.artifact_prefix
      NEURONX_LAUNCH_TEMPLATE_ID      = aws_launch_template.this.id
      NEURONX_LAUNCH_TEMPLATE_VERSION = aws_launch_template.this.latest_version
      NEURONX_SUBNET_IDS              = var.subnet_id != null ? var.subnet_id : join(" ", sort(data.aws_subnets.default[0].ids))
      NEURONX_SPOT                    = tostring(var.spot)
      NEURONX_DEADLINE_SECONDS        = tostring(var.deadline_minutes * 60)
      NEURONX_POLL_SECONDS            = tostring(var.poll_interval_seconds)
      NEURONX_ABANDON_SECONDS         = tostring(local.abandon_after_minutes * 60)
      NEURONX_REGION                  = local.region
      NEURONX_ACCOUNT_ID              = data.aws_caller_identity.current.account_id
    }
  }
}

# A branch or tag is cached by its name: warn at plan time (the construct warns at synth).
check "revision_is_a_commit" {
  assert {
    condition     = can(regex("^[0-9a-f]{40}$", var.revision))
    error_message = "The revision \"${var.revision}\" is not a commit sha: the artifacts are cached by that name, so a newer commit on the Hub is not compiled until the cache key changes. Pin a 40-hex commit for reproducible builds; manifest.json records the commit each compile resolved."
  }
}

# The local-exec waiter's resources before the waiter variable gave them a count: state moves by itself.
moved {
  from = null_resource.waiter
  to   = null_resource.waiter[0]
}

moved {
  from = terraform_data.on_destroy
  to   = terraform_data.on_destroy[0]
}

# ---- the cloudformation waiter (var.waiter = "cloudformation"): a stack owns the instance --------------
# (the construct's CompileWaiter.cloudFormation(); README "Terraform Cloud: which waiter")

# Replaced with a new cache key or launch template version: a new id, so a new stack.
resource "terraform_data" "waiter_key" {
  count = local.cloudformation ? 1 : 0

  input = {}
  triggers_replace = {
    bucket                  = local.bucket_name
    prefix                  = local.artifact_prefix
    launch_template_id      = aws_launch_template.this.id
    launch_template_version = aws_launch_template.this.latest_version
  }
}

# A cache hit: _SUCCESS exists when the stack is planned, and the stack launches nothing.
data "aws_s3_objects" "success" {
  count = local.cloudformation ? 1 : 0

  bucket   = local.bucket_name
  prefix   = "${local.artifact_prefix}_SUCCESS"
  max_keys = 1
}

# The instance finds its stack by the tag CloudFormation puts on it, and the signal handle's URL in it.
data "aws_iam_policy_document" "signal" {
  statement {
    sid       = "FindOwnStack"
    actions   = ["ec2:DescribeTags"] # no resource-level permissions
    resources = ["*"]
  }
  # The prefix lock (python/neuronx_compile/lock.py): a holder that EC2 reports gone is taken over at once.
  # DescribeInstances has no resource-level permissions; the region is as far as it narrows.
  statement {
    sid       = "SeeLockHolder"
    actions   = ["ec2:DescribeInstances"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }
  statement {
    sid       = "ReadSignalHandle"
    actions   = ["cloudformation:DescribeStackResource"]
    resources = ["arn:${data.aws_partition.current.partition}:cloudformation:${local.region}:${data.aws_caller_identity.current.account_id}:stack/@@CFN_STACK_NAME_PREFIX@@*/*"]
  }
}

resource "aws_iam_role_policy" "signal" {
  count = local.cloudformation ? 1 : 0

  name_prefix = "neuronx-compile-signal-"
  role        = aws_iam_role.this.name
  policy      = data.aws_iam_policy_document.signal.json
}

resource "aws_cloudformation_stack" "waiter" {
  count = local.cloudformation ? 1 : 0
  #checkov:skip=CKV_AWS_124:@@CFN_SNS_SKIP_REASON@@

  name          = "@@CFN_STACK_NAME_PREFIX@@${terraform_data.waiter_key[0].id}"
  template_body = file("${path.module}/templates/compile-waiter.template.json")
  parameters = {
    LaunchTemplateId      = aws_launch_template.this.id
    LaunchTemplateVersion = aws_launch_template.this.latest_version
    # The first subnet that offers the instance type: a stack runs one instance in one subnet.
    SubnetId       = var.subnet_id != null ? var.subnet_id : sort(data.aws_subnets.default[0].ids)[0]
    ArtifactS3Url  = "s3://${local.bucket_name}/${local.artifact_prefix}"
    CacheHit       = length(data.aws_s3_objects.success[0].keys) > 0 ? "true" : "false"
    TimeoutSeconds = tostring(var.deadline_minutes * 60)
  }
  # Rollback terminates the instance; the failed stack stays, tainted, for its events.
  on_failure         = "ROLLBACK"
  timeout_in_minutes = var.deadline_minutes
  tags               = local.tags

  timeouts {
    create = "${var.deadline_minutes + @@CFN_ROLLBACK_ALLOWANCE@@}m"
  }

  depends_on = [aws_s3_object.script, aws_iam_role_policy.this, aws_iam_role_policy.signal]

  lifecycle {
    # The _SUCCESS the compile writes must not change a second plan.
    ignore_changes = [parameters["CacheHit"]]

    precondition {
      condition     = !var.spot
      error_message = "The spot must be false with waiter = \"cloudformation\": an AWS::EC2::Instance cannot fall back to on-demand when spot capacity is refused. Use waiter = \"local-exec\" for spot."
    }
    precondition {
      condition     = var.deadline_minutes <= @@CFN_MAX_DEADLINE@@
      error_message = "The deadline_minutes must be at most @@CFN_MAX_DEADLINE@@ with waiter = \"cloudformation\" (a CloudFormation wait condition waits at most 12 hours)."
    }
    precondition {
      condition     = !local.refused_family
      error_message = "The model_id ${var.model_id} names a model family that transformers-neuronx 0.13 does not serve; it serves @@SERVED_ARCHITECTURES_TEXT@@. Choose a model of one of those families, or if this repository is a fine-tune of one of them, set architecture (e.g. \"llama\")."
    }
    precondition {
      condition     = var.subnet_id != null || length(try(data.aws_subnets.default[0].ids, [])) > 0
      error_message = "The default VPC has no default subnet in an Availability Zone that offers ${local.compile_type}. Set subnet_id to a subnet in a zone that offers it."
    }
    precondition {
      condition     = var.subnet_id == null || contains(data.aws_ec2_instance_type_offerings.this.locations, try(data.aws_subnet.given[0].availability_zone, ""))
      error_message = "The subnet given as subnet_id is in an Availability Zone that does not offer ${local.compile_type}. Choose a subnet in a zone that offers it."
    }
    precondition {
      condition     = (local.optimum ? var.optimum_neuron.image_uri : var.container_image_uri) != null || contains(keys(local.dlc_registry_accounts), local.region)
      error_message = "The PyTorch inference Neuron DLC is not published in this region (local.dlc_registry_accounts lists the regions that carry it). Use one of those regions, or set container_image_uri to a copy of the image in your own ECR repository."
    }
  }
}

# ---- destroy: end the compile instances first, keep a bucket of artifacts from half a destroy -------

resource "terraform_data" "on_destroy" {
  count = local.cloudformation ? 0 : 1

  input = {
    bucket               = local.bucket_name
    prefix               = local.artifact_prefix
    region               = local.region
    account_id           = data.aws_caller_identity.current.account_id
    bucket_created       = tostring(var.bucket_name == null)
    bucket_force_destroy = tostring(var.bucket_force_destroy)
  }

  # Destroyed before everything it depends on: the check runs while they all still exist.
  depends_on = [
    null_resource.waiter,
    aws_launch_template.this,
    aws_iam_instance_profile.this,
    aws_iam_role_policy.this,
    aws_iam_role.this,
    aws_vpc_security_group_egress_rule.https,
    aws_vpc_security_group_egress_rule.http,
    aws_security_group.this,
    aws_s3_object.script,
    aws_s3_bucket_policy.artifacts,
    aws_s3_bucket_lifecycle_configuration.artifacts,
    aws_s3_bucket_versioning.artifacts,
    aws_s3_bucket_server_side_encryption_configuration.artifacts,
    aws_s3_bucket_ownership_controls.artifacts,
    aws_s3_bucket_public_access_block.artifacts,
    aws_s3_bucket.artifacts,
  ]

  provisioner "local-exec" {
    when        = destroy
    command     = "${path.module}/scripts/wait-for-compile.sh"
    interpreter = ["/bin/sh"]
    environment = {
      NEURONX_ACTION                = "destroy"
      NEURONX_BUCKET                = self.input.bucket
      NEURONX_PREFIX                = self.input.prefix
      NEURONX_REGION                = self.input.region
      NEURONX_ACCOUNT_ID            = self.input.account_id
      NEURONX_BUCKET_CREATED        = self.input.bucket_created
      NEURONX_BUCKET_FORCE_DESTROY  = self.input.bucket_force_destroy
      NEURONX_BUCKET_ADDRESS        = "aws_s3_bucket.artifacts[0] (in this module)"
      NEURONX_SELF_ADDRESS          = "terraform_data.on_destroy (in this module)"
      NEURONX_FORCE_DESTROY_SETTING = "bucket_force_destroy = true"
    }
  }
}

# ---- what the machine that runs terraform apply needs for the waiter --------------------------------

data "aws_iam_policy_document" "waiter" {
  statement {
    sid       = "ReadWriteMarkersAndLock"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.bucket_arn}/${local.artifact_prefix}*"]
  }
  statement {
    sid       = "ListPrefix"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.artifact_prefix}*"]
    }
  }
  # On destroy, a bucket this module created is checked for artifacts, every version of them.
  dynamic "statement" {
    for_each = var.bucket_name == null ? [local.bucket_arn] : []
    content {
      sid       = "ListVersionsOnDestroy"
      actions   = ["s3:ListBucketVersions"]
      resources = [statement.value]
    }
  }
  # RunInstances touches each of these; all of it only for a request that names this launch template
  # (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/use-launch-templates-to-control-launching-instances.html).
  # AMIs have no account in their ARN.
  statement {
    sid     = "RunFromLaunchTemplate"
    actions = ["ec2:RunInstances"]
    resources = concat(
      ["arn:${data.aws_partition.current.partition}:ec2:${local.region}:${data.aws_caller_identity.current.account_id}:launch-template/${aws_launch_template.this.id}"],
      [for r in @@RUN_INSTANCES_RESOURCES@@ : "arn:${data.aws_partition.current.partition}:ec2:${local.region}:${data.aws_caller_identity.current.account_id}:${r}/*"],
      ["arn:${data.aws_partition.current.partition}:ec2:${local.region}::image/*"],
    )
    condition {
      test     = "ArnEquals"
      variable = "ec2:LaunchTemplate"
      values   = ["arn:${data.aws_partition.current.partition}:ec2:${local.region}:${data.aws_caller_identity.current.account_id}:launch-template/${aws_launch_template.this.id}"]
    }
  }
  # The template's tag specifications are applied by RunInstances, which needs CreateTags for them.
  statement {
    sid     = "TagOnLaunch"
    actions = ["ec2:CreateTags"]
    resources = [
      "arn:${data.aws_partition.current.partition}:ec2:${local.region}:${data.aws_caller_identity.current.account_id}:instance/*",
      "arn:${data.aws_partition.current.partition}:ec2:${local.region}:${data.aws_caller_identity.current.account_id}:volume/*",
    ]
    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["RunInstances"]
    }
  }
  statement {
    sid       = "PassCompileRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.this.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ec2.amazonaws.com"]
    }
  }
  statement {
    sid       = "EndOwnInstances"
    actions   = ["ec2:TerminateInstances", "ec2:GetConsoleOutput"]
    resources = ["arn:${data.aws_partition.current.partition}:ec2:${local.region}:${data.aws_caller_identity.current.account_id}:instance/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/@@TAG_BUCKET@@"
      values   = [local.bucket_name]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/@@TAG_PREFIX@@"
      values   = [local.artifact_prefix]
    }
  }
  # Describe actions have no resource-level permissions.
  statement {
    sid       = "DescribeInstances"
    actions   = ["ec2:DescribeInstances"]
    resources = ["*"]
  }
  # The cloudformation waiter's stacks; CloudFormation runs the instance with these same credentials.
  dynamic "statement" {
    for_each = local.cloudformation ? ["arn:${data.aws_partition.current.partition}:cloudformation:${local.region}:${data.aws_caller_identity.current.account_id}:stack/@@CFN_STACK_NAME_PREFIX@@*/*"] : []
    content {
      sid       = "WaiterStacks"
      actions   = @@CFN_WAITER_ACTIONS@@
      resources = [statement.value]
    }
  }
}
