# A Lambda function that answers the chat contract of the SageMaker endpoint's default code on CPU,
# with a small causal LM exported to ONNX: it costs nothing when idle. The function (published,
# behind the alias live), its role (reads its model, writes its log group, and with EFS mounts its
# access point and manages its network interfaces; nothing else), its log group, and the front
# door (a function URL with IAM auth, or an HTTP API). The HCL twin of LambdaInferenceFunction.
#
# The function's code is function.zip, generated with this module from the sources in code/ (the
# same files; a test unzips it and compares): a .zip that ships with the module needs no archive
# provider, and it is there at apply time wherever the plan was made (a data.archive_file output is
# written at plan time only: hashicorp/terraform-provider-archive#39 and #364, so a saved plan
# applied on another machine, as in CI or Terraform Cloud, finds no .zip).

data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  mib = 1048576

  model_source = var.model_s3 != null ? "s3" : (var.model_efs != null ? "efs" : (var.model_image != null ? "image" : "none"))
  models_set   = length([for m in [var.model_s3, var.model_efs, var.model_image] : m if m != null])
  image        = local.model_source == "image"
  size_mib     = try(coalesce(try(var.model_s3.size_mib, null), try(var.model_efs.size_mib, null), try(var.model_image.size_mib, null)), 0)
  model_mib    = ceil(local.size_mib)

  # Memory and ephemeral storage from the model's size (as lib/lambda-inference.ts sizeLambdaFunction).
  needed_memory_mib    = ceil(@@LAMBDA_LOAD_COPIES@@ * local.size_mib + @@LAMBDA_BASE_MIB@@)
  default_memory_mib   = min(@@LAMBDA_MEMORY_MAX@@, max(@@LAMBDA_MEMORY_FLOOR@@, ceil(local.needed_memory_mib / @@LAMBDA_MEMORY_STEP@@) * @@LAMBDA_MEMORY_STEP@@))
  ephemeral_model_mib  = local.model_source == "s3" ? local.size_mib : 0
  needed_ephemeral_mib = local.ephemeral_model_mib > 0 ? ceil(floor(local.ephemeral_model_mib * @@LAMBDA_EPHEMERAL_FACTOR@@ * 10 + 0.5) / 10) + @@LAMBDA_EPHEMERAL_HEADROOM@@ : 0
  memory_size_mib      = coalesce(var.memory_size_mib, local.default_memory_mib)
  ephemeral_mib        = coalesce(var.ephemeral_storage_mib, max(@@LAMBDA_EPHEMERAL_MIN@@, local.needed_ephemeral_mib))

  http_api        = var.front_door == "http_api"
  timeout_seconds = coalesce(var.timeout_seconds, local.http_api ? @@HTTP_API_TIMEOUT@@ : @@FUNCTION_URL_TIMEOUT_DEFAULT@@)
  runtime         = local.image ? null : coalesce(var.runtime, "@@LAMBDA_RUNTIME_DEFAULT@@")

  code_zip           = "${path.module}/function.zip"
  code_unzipped_mib  = @@LAMBDA_CODE_UNZIPPED_BYTES@@ / local.mib
  snap_start_regions = @@SNAPSTART_UNSUPPORTED_REGIONS@@

  tags = merge({ ManagedBy = "cdktf-neuronx-patterns" }, var.tags)

  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.region
  account   = data.aws_caller_identity.current.account_id

  model_environment = {
    s3    = try({ @@ENV_SOURCE@@ = "s3", @@ENV_BUCKET@@ = var.model_s3.bucket, @@ENV_PREFIX@@ = var.model_s3.prefix }, {})
    efs   = { @@ENV_SOURCE@@ = "efs", @@ENV_DIR@@ = "@@LAMBDA_EFS_MOUNT@@" }
    image = try({ @@ENV_SOURCE@@ = "image", @@ENV_DIR@@ = var.model_image.model_dir }, {})
    none  = {}
  }

  log_group_arn  = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws/lambda/${var.function_name}"
  bucket_arn     = try("arn:${local.partition}:s3:::${var.model_s3.bucket}", null)
  interfaces_arn = "arn:${local.partition}:ec2:${local.region}:${local.account}:network-interface/*"
  image_region   = try(regex(@@PATTERN_ECR_URI@@, var.model_image.image_uri)[1], null)
}

# ---- the execution role: its model, its logs -------------------------------------------------------

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name_prefix        = "lambda-inference-"
  description        = "Execution role of the Lambda inference function ${var.function_name}"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
  tags               = local.tags
}

data "aws_iam_policy_document" "this" {
  # The log group is created below: the function may only write to it.
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }
  dynamic "statement" {
    for_each = var.model_s3 == null ? [] : [var.model_s3]
    content {
      sid       = "ReadModel"
      actions   = ["s3:GetObject"]
      resources = ["${local.bucket_arn}/${statement.value.prefix}*"]
    }
  }
  dynamic "statement" {
    for_each = var.model_s3 == null ? [] : [var.model_s3]
    content {
      sid       = "ListModel"
      actions   = ["s3:ListBucket"]
      resources = [local.bucket_arn]
      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${statement.value.prefix}*"]
      }
    }
  }
  dynamic "statement" {
    for_each = var.model_efs == null ? [] : [var.model_efs]
    content {
      sid       = "MountModelReadOnly"
      actions   = ["elasticfilesystem:ClientMount"]
      resources = ["arn:${local.partition}:elasticfilesystem:${local.region}:${local.account}:file-system/${statement.value.file_system_id}"]
      condition {
        test     = "StringEquals"
        variable = "elasticfilesystem:AccessPointArn"
        values   = [aws_efs_access_point.model[0].arn]
      }
    }
  }
  dynamic "statement" {
    for_each = var.model_efs == null ? [] : [var.model_efs]
    content {
      sid       = "CreateNetworkInterfaces"
      actions   = ["ec2:CreateNetworkInterface"]
      resources = concat([local.interfaces_arn], [for id in statement.value.subnet_ids : "arn:${local.partition}:ec2:${local.region}:${local.account}:subnet/${id}"], ["arn:${local.partition}:ec2:${local.region}:${local.account}:security-group/${aws_security_group.this[0].id}"])
    }
  }
  dynamic "statement" {
    for_each = var.model_efs == null ? [] : [var.model_efs]
    content {
      sid       = "ManageNetworkInterfaces"
      actions   = ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
      resources = [local.interfaces_arn]
    }
  }
  dynamic "statement" {
    # Describe actions take no resource-level permissions.
    for_each = var.model_efs == null ? [] : [var.model_efs]
    content {
      sid       = "DescribeNetwork"
      actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
      resources = ["*"]
    }
  }
  dynamic "statement" {
    # X-Ray's write actions take no resource-level permissions.
    for_each = var.tracing ? ["xray"] : []
    content {
      sid       = "WriteTraces"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name_prefix = "lambda-inference-"
  role        = aws_iam_role.this.id
  policy      = data.aws_iam_policy_document.this.json
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Without log_kms_key_arn CloudWatch Logs encrypts the log with its own key; the log holds no request bodies.
  #checkov:skip=CKV_AWS_338:The retention is log_retention_days (30 by default): a development function's log, not an audit trail.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = local.tags
}

# ---- EFS: an access point rooted at the model, and NFS between the function and the mount targets ----

resource "aws_efs_access_point" "model" {
  count          = var.model_efs == null ? 0 : 1
  file_system_id = var.model_efs.file_system_id
  tags           = local.tags

  root_directory {
    path = var.model_efs.path
  }
  posix_user {
    uid = var.model_efs.posix_user.uid
    gid = var.model_efs.posix_user.gid
  }
}

data "aws_subnet" "this" {
  count = var.model_efs == null ? 0 : 1
  id    = var.model_efs.subnet_ids[0]
}

resource "aws_security_group" "this" {
  count       = var.model_efs == null ? 0 : 1
  name_prefix = "lambda-inference-"
  description = "Lambda inference function: NFS to the model's EFS mount targets only"
  vpc_id      = data.aws_subnet.this[0].vpc_id
  tags        = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "nfs" {
  count                        = var.model_efs == null ? 0 : 1
  security_group_id            = aws_security_group.this[0].id
  description                  = "NFS to the EFS mount targets that hold the model"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = var.model_efs.mount_target_security_group_id
  tags                         = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "nfs" {
  count                        = var.model_efs == null ? 0 : 1
  security_group_id            = var.model_efs.mount_target_security_group_id
  description                  = "NFS from the Lambda inference function"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = aws_security_group.this[0].id
  tags                         = local.tags
}

# ---- the function ---------------------------------------------------------------------------------------

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously through its URL or HTTP API; a dead-letter queue only receives failed asynchronous events.
  #checkov:skip=CKV_AWS_173:The environment holds where the model is (a bucket, a prefix or a path), no secret; Lambda encrypts it with its own key.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile the platform team owns; the package is generated with this module from its code/.
  #checkov:skip=CKV_AWS_115:No reserved concurrency by default: a reservation takes from the account's pool even when idle (new accounts have 10); set reserved_concurrent_executions to cap it.
  #checkov:skip=CKV_AWS_117:Without EFS the function reaches only S3 and CloudWatch Logs; a VPC would add NAT or endpoints for no isolation gain. With model_efs it is in the VPC.
  function_name = var.function_name
  description   = "Chat inference on CPU (${local.model_source} model, ${local.model_mib} MiB)"
  role          = aws_iam_role.this.arn
  architectures = [var.architecture]
  memory_size   = local.memory_size_mib
  timeout       = local.timeout_seconds
  publish       = true

  package_type     = local.image ? "Image" : "Zip"
  image_uri        = local.image ? var.model_image.image_uri : null
  runtime          = local.runtime
  handler          = local.image ? null : "@@LAMBDA_HANDLER@@"
  filename         = local.image ? null : local.code_zip
  source_code_hash = local.image ? null : filebase64sha256(local.code_zip)
  layers           = local.image ? null : [var.dependencies_layer_arn]

  reserved_concurrent_executions = var.reserved_concurrent_executions
  tags                           = local.tags

  ephemeral_storage {
    size = local.ephemeral_mib
  }

  dynamic "image_config" {
    for_each = local.image ? ["image"] : []
    content {
      command = ["@@LAMBDA_HANDLER@@"]
    }
  }

  environment {
    variables = local.model_environment[local.model_source]
  }

  dynamic "file_system_config" {
    for_each = var.model_efs == null ? [] : [var.model_efs]
    content {
      arn              = aws_efs_access_point.model[0].arn
      local_mount_path = "@@LAMBDA_EFS_MOUNT@@"
    }
  }

  dynamic "vpc_config" {
    for_each = var.model_efs == null ? [] : [var.model_efs]
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = [aws_security_group.this[0].id]
    }
  }

  dynamic "snap_start" {
    for_each = var.snap_start ? ["on"] : []
    content {
      apply_on = "PublishedVersions"
    }
  }

  tracing_config {
    mode = var.tracing ? "Active" : "PassThrough"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this, aws_vpc_security_group_ingress_rule.nfs]

  # The construct refuses these at synth; here they stop the plan before anything is created.
  lifecycle {
    precondition {
      condition     = local.models_set == 1
      error_message = "Set exactly one of model_s3, model_efs and model_image (${local.models_set} are set)."
    }
    precondition {
      condition     = local.needed_memory_mib <= @@LAMBDA_MEMORY_MAX@@
      error_message = "The model (${local.model_mib} MiB) needs about ${local.needed_memory_mib} MB of memory (twice the model while onnxruntime loads it, plus @@LAMBDA_BASE_MIB@@ MiB), over Lambda's @@LAMBDA_MEMORY_MAX@@ MB; serve it on Inferentia2 with the sagemaker-endpoint module, or export a smaller model."
    }
    precondition {
      condition     = local.needed_ephemeral_mib <= @@LAMBDA_EPHEMERAL_MAX@@
      error_message = "The S3 model (${local.model_mib} MiB) needs ${local.needed_ephemeral_mib} MB of ephemeral storage for its copy, over Lambda's @@LAMBDA_EPHEMERAL_MAX@@ MB; use model_efs, or the SageMaker endpoint."
    }
    precondition {
      condition     = !local.image || local.model_mib <= @@LAMBDA_IMAGE_MAX@@ - 1024
      error_message = "The image's model (${local.model_mib} MiB) leaves no room for the runtime in Lambda's @@LAMBDA_IMAGE_MAX@@ MB image limit; use the SageMaker endpoint."
    }
    precondition {
      condition     = var.memory_size_mib == null || coalesce(var.memory_size_mib, 0) >= local.needed_memory_mib || local.needed_memory_mib > @@LAMBDA_MEMORY_MAX@@
      error_message = "The memory_size_mib ${coalesce(var.memory_size_mib, 0)} is less than the ${local.needed_memory_mib} MB the model (${local.model_mib} MiB) needs to load (twice the model plus @@LAMBDA_BASE_MIB@@ MiB); raise it or leave it null."
    }
    precondition {
      condition     = var.ephemeral_storage_mib == null || coalesce(var.ephemeral_storage_mib, 0) >= local.needed_ephemeral_mib
      error_message = "The ephemeral_storage_mib ${coalesce(var.ephemeral_storage_mib, 0)} is less than the ${local.needed_ephemeral_mib} MB the S3 model's copy needs; raise it or leave it null."
    }
    precondition {
      condition     = !local.http_api || local.timeout_seconds <= @@HTTP_API_TIMEOUT@@
      error_message = "The timeout_seconds ${local.timeout_seconds} is longer than the @@HTTP_API_TIMEOUT@@ seconds an HTTP API waits for an answer; lower it, or use front_door = \"function_url\" (up to @@LAMBDA_TIMEOUT_MAX@@ seconds)."
    }
    precondition {
      condition     = local.image ? var.dependencies_layer_arn == null && var.runtime == null : var.dependencies_layer_arn != null
      error_message = local.image ? "The dependencies_layer_arn and runtime must be null with model_image: the image brings its own libraries and Python." : "The dependencies_layer_arn is required for a .zip function: build the layer with scripts/build-lambda-layer.sh <arm64|x86_64> <3.12|3.13|3.14>, publish it, and pass its ARN."
    }
    precondition {
      condition     = var.dependencies_unzipped_mib == null || local.image || coalesce(var.dependencies_unzipped_mib, 0) + local.code_unzipped_mib <= @@LAMBDA_ZIP_MAX@@
      error_message = "The dependencies and the function's code are ${ceil(coalesce(var.dependencies_unzipped_mib, 0) + local.code_unzipped_mib)} MB unzipped, over Lambda's @@LAMBDA_ZIP_MAX@@ MB for a .zip function; build the layer for one architecture with scripts/build-lambda-layer.sh, or use model_image (up to 10 GB)."
    }
    precondition {
      condition     = !var.snap_start || !local.image
      error_message = "SnapStart is not available for container images; set snap_start to false, or use model_s3 with a .zip function."
    }
    precondition {
      condition     = !var.snap_start || var.model_efs == null
      error_message = "SnapStart is not available with EFS; set snap_start to false, or use model_s3 with a model of at most about 400 MiB."
    }
    precondition {
      condition     = !var.snap_start || local.model_source != "s3" || local.ephemeral_mib <= @@SNAPSTART_MAX_EPHEMERAL@@
      error_message = "SnapStart allows at most @@SNAPSTART_MAX_EPHEMERAL@@ MB of ephemeral storage, but the S3 model (${local.model_mib} MiB) needs ${local.ephemeral_mib} MB for its copy; set snap_start to false, or serve a smaller model."
    }
    precondition {
      condition     = !var.snap_start || !contains(local.snap_start_regions, local.region)
      error_message = "Lambda offers no SnapStart in ${join(" or ", local.snap_start_regions)}. Set snap_start to false for this region."
    }
    precondition {
      condition     = local.image_region == null || local.image_region == local.region
      error_message = "The function's image is in ${coalesce(local.image_region, "-")}, but Lambda pulls images only from ECR in the function's own region. Copy the image to this region's ECR."
    }
  }
}

resource "aws_lambda_alias" "this" {
  name             = "live"
  description      = "The published version the front door invokes"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

# ---- front door: the function URL ---------------------------------------------------------------------

resource "aws_lambda_function_url" "this" {
  count              = local.http_api ? 0 : 1
  function_name      = var.function_name
  qualifier          = aws_lambda_alias.this.name
  authorization_type = "AWS_IAM"
  invoke_mode        = "BUFFERED"
}

# Since October 2025 a function URL needs both actions (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html).
data "aws_iam_policy_document" "invoke_url" {
  count = local.http_api ? 0 : 1
  statement {
    sid       = "InvokeFunctionUrl"
    actions   = ["lambda:InvokeFunctionUrl"]
    resources = [aws_lambda_alias.this.arn]
    condition {
      test     = "StringEquals"
      variable = "lambda:FunctionUrlAuthType"
      values   = ["AWS_IAM"]
    }
  }
  statement {
    sid       = "InvokeThroughFunctionUrl"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_alias.this.arn]
    condition {
      test     = "Bool"
      variable = "lambda:InvokedViaFunctionUrl"
      values   = ["true"]
    }
  }
}

# ---- front door: the HTTP API -------------------------------------------------------------------------

resource "aws_apigatewayv2_api" "this" {
  count         = local.http_api ? 1 : 0
  name          = var.function_name
  protocol_type = "HTTP"
  description   = "Chat requests to the Lambda function ${var.function_name}"
  tags          = local.tags
}

resource "aws_apigatewayv2_integration" "this" {
  count                  = local.http_api ? 1 : 0
  api_id                 = aws_apigatewayv2_api.this[0].id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_alias.this.arn
  payload_format_version = "2.0"
  timeout_milliseconds   = min(local.timeout_seconds, @@HTTP_API_TIMEOUT@@) * 1000
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  count            = local.http_api && var.http_api_jwt != null ? 1 : 0
  api_id           = aws_apigatewayv2_api.this[0].id
  name             = "jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.http_api_jwt.issuer
    audience = var.http_api_jwt.audience
  }
}

resource "aws_apigatewayv2_route" "this" {
  count              = local.http_api ? 1 : 0
  api_id             = aws_apigatewayv2_api.this[0].id
  route_key          = "POST /chat"
  target             = "integrations/${aws_apigatewayv2_integration.this[0].id}"
  authorization_type = var.http_api_jwt == null ? "AWS_IAM" : "JWT"
  authorizer_id      = var.http_api_jwt == null ? null : aws_apigatewayv2_authorizer.jwt[0].id
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_158:Access logs hold request metadata, no bodies; CloudWatch encrypts them with its own key.
  #checkov:skip=CKV_AWS_338:The retention is log_retention_days, a choice of the caller, not a year by default.
  count             = local.http_api ? 1 : 0
  name              = "/aws/apigateway/${var.function_name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_apigatewayv2_stage" "this" {
  count       = local.http_api ? 1 : 0
  api_id      = aws_apigatewayv2_api.this[0].id
  name        = "$default"
  auto_deploy = true
  tags        = local.tags

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access[0].arn
    format          = @@HTTP_API_ACCESS_LOG_FORMAT@@
  }

  default_route_settings {
    throttling_rate_limit  = var.http_api_throttling.rate_limit
    throttling_burst_limit = var.http_api_throttling.burst_limit
  }
}

resource "aws_lambda_permission" "api" {
  count         = local.http_api ? 1 : 0
  statement_id  = "AllowHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  qualifier     = aws_lambda_alias.this.name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this[0].execution_arn}/*/POST/chat"
}

data "aws_iam_policy_document" "invoke_api" {
  count = local.http_api && var.http_api_jwt == null ? 1 : 0
  statement {
    sid       = "InvokeChatRoute"
    actions   = ["execute-api:Invoke"]
    resources = ["${aws_apigatewayv2_api.this[0].execution_arn}/$default/POST/chat"]
  }
}
