variable "function_name" {
  description = "The function name."
  type        = string

  validation {
    condition     = can(regex(@@LAMBDA_FUNCTION_NAME_PATTERN@@, var.function_name))
    error_message = "The function_name must be 1 to 64 letters, digits, hyphens and underscores."
  }
}

variable "model_s3" {
  description = "The model in S3 (model.onnx exported without past key values, config.json, tokenizer.json, tokenizer_config.json under prefix), copied to /tmp when an environment starts. Set exactly one of model_s3, model_efs and model_image."
  type = object({
    bucket   = string
    prefix   = string
    size_mib = number
  })
  default = null

  validation {
    condition     = var.model_s3 == null || try((@@RULE(bucketName, var.model_s3.bucket)@@) && (@@RULE(keyPrefix, var.model_s3.prefix)@@) && var.model_s3.size_mib > 0, false)
    error_message = "The model_s3 bucket must be @@RULE_TEXT(bucketName)@@, its prefix @@RULE_TEXT(keyPrefix)@@, and size_mib the model directory's size in MiB, above 0."
  }
}

variable "model_efs" {
  description = "The model on an EFS file system, mounted read-only through an access point rooted at path; the function joins the VPC of subnet_ids, and the module opens NFS to mount_target_security_group_id."
  type = object({
    file_system_id                 = string
    path                           = string
    size_mib                       = number
    subnet_ids                     = list(string)
    mount_target_security_group_id = string
    posix_user                     = optional(object({ uid = number, gid = number }), { uid = 1000, gid = 1000 })
  })
  default = null

  validation {
    condition     = var.model_efs == null || try(can(regex(@@LAMBDA_EFS_ID_PATTERN@@, var.model_efs.file_system_id)) && can(regex("^/[A-Za-z0-9._\\-/]{0,99}$", var.model_efs.path)) && !contains(split("/", var.model_efs.path), "..") && var.model_efs.size_mib > 0 && length(var.model_efs.subnet_ids) >= 1 && length(var.model_efs.subnet_ids) <= 16 && alltrue([for id in var.model_efs.subnet_ids : @@RULE(subnetId, id)@@]) && (@@RULE(securityGroupId, var.model_efs.mount_target_security_group_id)@@) && alltrue([for n in [var.model_efs.posix_user.uid, var.model_efs.posix_user.gid] : floor(n) == n && n >= 0 && n <= 4294967295]), false)
    error_message = "The model_efs needs an EFS file system id (fs-...), an absolute path of at most 100 characters without .., size_mib above 0, 1 to 16 subnet_ids (@@RULE_TEXT(subnetId)@@), the mount targets' security group (@@RULE_TEXT(securityGroupId)@@) and a posix_user of whole numbers."
  }
}

variable "model_image" {
  description = "The model inside a container image in this region's ECR (@@LAMBDA_DOCKERFILE@@ builds one), at model_dir."
  type = object({
    image_uri = string
    size_mib  = number
    model_dir = optional(string, "@@LAMBDA_IMAGE_MODEL_DIR@@")
  })
  default = null

  validation {
    condition     = var.model_image == null || try((@@RULE(ecrImageUri, var.model_image.image_uri)@@) && var.model_image.size_mib > 0 && startswith(var.model_image.model_dir, "/"), false)
    error_message = "The model_image image_uri must be @@RULE_TEXT(ecrImageUri)@@, size_mib above 0 and model_dir an absolute path."
  }
}

variable "dependencies_layer_arn" {
  description = "The layer of a .zip function's libraries (numpy, onnxruntime, tokenizers, jinja2): build it with scripts/build-lambda-layer.sh <arm64|x86_64> <3.12|3.13|3.14> and publish it. Required with model_s3 and model_efs; null with model_image."
  type        = string
  default     = null

  validation {
    condition     = var.dependencies_layer_arn == null || can(regex(@@LAMBDA_LAYER_ARN_PATTERN@@, coalesce(var.dependencies_layer_arn, "-")))
    error_message = "The dependencies_layer_arn must be a layer version ARN such as \"arn:aws:lambda:us-east-1:123456789012:layer:lambda-inference:3\"."
  }
}

variable "dependencies_unzipped_mib" {
  description = "The layer's unzipped size in MiB (build-lambda-layer.sh prints it), to check Lambda's @@LAMBDA_ZIP_MAX@@ MB for a .zip function's code and layers. Null: not checked."
  type        = number
  default     = null
}

variable "front_door" {
  description = "How requests reach the function: \"function_url\" (IAM auth, no 30-second cap) or \"http_api\" (API Gateway HTTP API, POST /chat, IAM or JWT auth, throttling; requests end after @@HTTP_API_TIMEOUT@@ seconds)."
  type        = string
  default     = "function_url"

  validation {
    condition     = contains(["function_url", "http_api"], var.front_door)
    error_message = "The front_door must be \"function_url\" or \"http_api\"."
  }
}

variable "http_api_jwt" {
  description = "JWT authorization of the HTTP API (issuer, an https URL, and audiences). Null: IAM authorization."
  type = object({
    issuer   = string
    audience = list(string)
  })
  default = null

  validation {
    condition     = var.http_api_jwt == null || try(can(regex("^https://\\S+$", var.http_api_jwt.issuer)) && length(var.http_api_jwt.audience) > 0, false)
    error_message = "The http_api_jwt issuer must be an https URL, and audience must name at least one audience."
  }
}

variable "http_api_throttling" {
  description = "The HTTP API stage's throttling: requests a second and burst."
  type = object({
    rate_limit  = optional(number, 10)
    burst_limit = optional(number, 20)
  })
  default = {}

  validation {
    condition     = var.http_api_throttling.rate_limit > 0 && var.http_api_throttling.rate_limit <= 10000 && floor(var.http_api_throttling.burst_limit) == var.http_api_throttling.burst_limit && var.http_api_throttling.burst_limit >= 1 && var.http_api_throttling.burst_limit <= 5000
    error_message = "The http_api_throttling rate_limit must be above 0 and at most 10000 requests a second, and burst_limit a whole number from 1 to 5000 (API Gateway's account quotas)."
  }
}

variable "runtime" {
  description = "The Python runtime of a .zip function; null with model_image (the image's base sets it). Null: @@LAMBDA_RUNTIME_DEFAULT@@ for a .zip function."
  type        = string
  default     = null

  validation {
    condition     = var.runtime == null || contains(@@LAMBDA_RUNTIMES@@, coalesce(var.runtime, "-"))
    error_message = "The runtime must be one of @@LAMBDA_RUNTIMES_TEXT@@ (Lambda's supported Python runtimes from 3.12, the first with SnapStart), or null."
  }
}

variable "architecture" {
  description = "The instruction set; the layer or image must be built for it."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "The architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "memory_size_mib" {
  description = "Memory in MB (@@LAMBDA_MEMORY_MIN@@ to @@LAMBDA_MEMORY_MAX@@); CPU follows it. Null: twice the model plus @@LAMBDA_BASE_MIB@@ MiB, rounded up to @@LAMBDA_MEMORY_STEP@@ MiB, at least @@LAMBDA_MEMORY_FLOOR@@."
  type        = number
  default     = null

  validation {
    condition     = var.memory_size_mib == null || (floor(coalesce(var.memory_size_mib, 0)) == coalesce(var.memory_size_mib, 0) && coalesce(var.memory_size_mib, 0) >= @@LAMBDA_MEMORY_MIN@@ && coalesce(var.memory_size_mib, 0) <= @@LAMBDA_MEMORY_MAX@@)
    error_message = "The memory_size_mib must be a whole number from @@LAMBDA_MEMORY_MIN@@ to @@LAMBDA_MEMORY_MAX@@, or null."
  }
}

variable "ephemeral_storage_mib" {
  description = "Ephemeral storage (/tmp) in MB (@@LAMBDA_EPHEMERAL_MIN@@ to @@LAMBDA_EPHEMERAL_MAX@@). Null: for model_s3 its size plus 10% plus @@LAMBDA_EPHEMERAL_HEADROOM@@ MiB, at least @@LAMBDA_EPHEMERAL_MIN@@; otherwise @@LAMBDA_EPHEMERAL_MIN@@."
  type        = number
  default     = null

  validation {
    condition     = var.ephemeral_storage_mib == null || (floor(coalesce(var.ephemeral_storage_mib, 0)) == coalesce(var.ephemeral_storage_mib, 0) && coalesce(var.ephemeral_storage_mib, 0) >= @@LAMBDA_EPHEMERAL_MIN@@ && coalesce(var.ephemeral_storage_mib, 0) <= @@LAMBDA_EPHEMERAL_MAX@@)
    error_message = "The ephemeral_storage_mib must be a whole number from @@LAMBDA_EPHEMERAL_MIN@@ to @@LAMBDA_EPHEMERAL_MAX@@, or null."
  }
}

variable "timeout_seconds" {
  description = "Seconds a request may run (at most @@LAMBDA_TIMEOUT_MAX@@; at most @@HTTP_API_TIMEOUT@@ behind the HTTP API). Null: @@FUNCTION_URL_TIMEOUT_DEFAULT@@ behind the function URL, @@HTTP_API_TIMEOUT@@ behind the HTTP API."
  type        = number
  default     = null

  validation {
    condition     = var.timeout_seconds == null || (floor(coalesce(var.timeout_seconds, 0)) == coalesce(var.timeout_seconds, 0) && coalesce(var.timeout_seconds, 0) >= @@LAMBDA_TIMEOUT_MIN@@ && coalesce(var.timeout_seconds, 0) <= @@LAMBDA_TIMEOUT_MAX@@)
    error_message = "The timeout_seconds must be a whole number from @@LAMBDA_TIMEOUT_MIN@@ to @@LAMBDA_TIMEOUT_MAX@@, or null."
  }
}

variable "snap_start" {
  description = "SnapStart: the model loads when a version is published and new environments resume from the snapshot. Python SnapStart bills the snapshot's cache while the version is active. Only with model_s3 whose copy fits @@SNAPSTART_MAX_EPHEMERAL@@ MB of ephemeral storage (not with EFS or container images)."
  type        = bool
  default     = false
}

variable "reserved_concurrent_executions" {
  description = "Concurrent executions reserved for (and capping) the function. Null: the account's unreserved pool."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null || (floor(coalesce(var.reserved_concurrent_executions, 0)) == coalesce(var.reserved_concurrent_executions, 0) && coalesce(var.reserved_concurrent_executions, 0) >= @@LAMBDA_RESERVED_MIN@@ && coalesce(var.reserved_concurrent_executions, 0) <= @@LAMBDA_RESERVED_MAX@@)
    error_message = "The reserved_concurrent_executions must be a whole number from @@LAMBDA_RESERVED_MIN@@ to @@LAMBDA_RESERVED_MAX@@, or null."
  }
}

variable "log_retention_days" {
  description = "Days to keep the function's logs (and the HTTP API's access log)."
  type        = number
  default     = 30

  validation {
    condition     = contains(@@LAMBDA_RETENTION_DAYS@@, var.log_retention_days)
    error_message = "The log_retention_days must be one of CloudWatch's retention values (@@LAMBDA_RETENTION_DAYS_TEXT@@)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key of the function's log group. Null: CloudWatch Logs' own encryption."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null || (@@RULE(kmsKeyArn, coalesce(var.log_kms_key_arn, "-"))@@)
    error_message = "The log_kms_key_arn must be @@RULE_TEXT(kmsKeyArn)@@, or null."
  }
}

variable "tracing" {
  description = "Active X-Ray tracing."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource, added to ManagedBy."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : (@@RULE(tagKey, k)@@) && (@@RULE(tagValue, v)@@)])
    error_message = "The tags keys must each be @@RULE_TEXT(tagKey)@@, and the values @@RULE_TEXT(tagValue)@@."
  }

  validation {
    # AWS takes at most 50 tags a resource (the provider's default_tags count too); IAM compares keys without case.
    condition     = length(setunion(keys(var.tags), ["ManagedBy"])) <= @@MAX_TAGS@@ && length(distinct([for k in setunion(keys(var.tags), ["ManagedBy"]) : lower(k)])) == length(setunion(keys(var.tags), ["ManagedBy"]))
    error_message = "The tags, with the module's own (ManagedBy), must be at most @@MAX_TAGS@@, and no two keys may differ only in case (IAM refuses that)."
  }
}
