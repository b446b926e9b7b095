variable "compiled_artifact_s3_url" {
  description = "s3://<bucket>/<prefix>/ of the compiled artifacts: the neuronx-compile module's compiled_artifact_s3_url."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+/$", var.compiled_artifact_s3_url))
    error_message = "The compiled_artifact_s3_url must be s3://<bucket>/<prefix>/, ending with \"/\"."
  }
}

variable "bucket_arn" {
  description = "ARN of the bucket of the artifacts (the compile's bucket_arn)."
  type        = string
}

variable "artifact_prefix" {
  description = "Key prefix of the artifacts in the bucket, ending in / (the compile's artifact_prefix)."
  type        = string

  validation {
    condition     = can(regex("^[^/].*/$", var.artifact_prefix))
    error_message = "The artifact_prefix must not start with \"/\" and must end with \"/\"."
  }
}

variable "settings_environment" {
  description = "The compile settings as environment variables (the compile's settings_environment); the container loads the artifacts with them."
  type        = map(string)

  validation {
    condition     = alltrue([for k in @@REQUIRED_SETTINGS@@ : contains(keys(var.settings_environment), k)])
    error_message = "The settings_environment must carry every compile setting (@@REQUIRED_SETTINGS_TEXT@@): pass the neuronx-compile module's settings_environment."
  }
}

variable "container_image_uri" {
  description = "The image that compiled the artifacts (the compile's container_image_uri): NEFFs load only in the runtime that compiled them."
  type        = string

  validation {
    condition     = can(regex(@@PATTERN_ECR_URI@@, var.container_image_uri))
    error_message = "The container_image_uri must be a private ECR image, <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>, because SageMaker pulls only from ECR."
  }
}

variable "container_repository_arn" {
  description = "ECR repository of that image (the compile's container_repository_arn), for pull rights."
  type        = string
}

variable "serving_instance_type" {
  description = "EC2 name of the instance type the model was sized for (the compile's serving_instance_type); the default endpoint instance type is ml. + this."
  type        = string

  validation {
    condition     = contains(@@INSTANCE_TYPES@@, var.serving_instance_type)
    error_message = "The serving_instance_type must be one of @@INSTANCE_TYPES_TEXT@@. @@INF1_REFUSAL@@."
  }
}

variable "tp_degree" {
  description = "Tensor parallel degree the artifacts were compiled for (the compile's tp_degree)."
  type        = number

  validation {
    condition     = contains(@@TP_DEGREES@@, var.tp_degree)
    error_message = "The tp_degree must be one of @@TP_DEGREES_TEXT@@."
  }
}

variable "checkpoint_bytes" {
  description = "Bytes of the checkpoint as loaded on the host (the compile's checkpoint_bytes); it scales the volume and the timeouts."
  type        = number
}

variable "serving_host_bytes" {
  description = "Host memory serving needs, in bytes (the compile's serving_host_bytes)."
  type        = number
}

variable "instance_type" {
  description = "SageMaker instance type, with at least tp_degree NeuronCores. Null uses ml. + serving_instance_type."
  type        = string
  default     = null

  validation {
    condition     = var.instance_type == null || contains(@@ML_INSTANCE_TYPES@@, coalesce(var.instance_type, "-"))
    error_message = "The instance_type must be one of @@ML_INSTANCE_TYPES_TEXT@@, or null. @@INF1_REFUSAL@@."
  }
}

variable "instance_count" {
  description = "Instances behind the endpoint (the initial count with autoscaling)."
  type        = number
  default     = 1

  validation {
    condition     = floor(var.instance_count) == var.instance_count && var.instance_count >= @@COUNT_MIN@@ && var.instance_count <= @@COUNT_MAX@@
    error_message = "The instance_count must be a whole number from @@COUNT_MIN@@ to @@COUNT_MAX@@."
  }
}

variable "endpoint_name" {
  description = "The endpoint name."
  type        = string

  validation {
    condition     = can(regex(@@PATTERN_ENDPOINT_NAME@@, var.endpoint_name))
    error_message = "The endpoint_name must be 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "volume_size_gib" {
  description = "ML storage volume of each instance in GiB. Null: the artifacts plus @@VOLUME_HEADROOM@@ GiB (SageMaker downloads them there once), at least @@VOLUME_MIN_GIB@@."
  type        = number
  default     = null

  validation {
    condition     = var.volume_size_gib == null || (floor(coalesce(var.volume_size_gib, 0)) == coalesce(var.volume_size_gib, 0) && coalesce(var.volume_size_gib, 0) >= @@VOLUME_MIN@@ && coalesce(var.volume_size_gib, 0) <= @@VOLUME_MAX@@)
    error_message = "The volume_size_gib must be a whole number from @@VOLUME_MIN@@ to @@VOLUME_MAX@@, or null."
  }
}

variable "model_data_download_timeout_seconds" {
  description = "Seconds to download the artifacts onto an instance. Null: 600 plus 15 a GiB of artifacts, at most 3600."
  type        = number
  default     = null

  validation {
    condition     = var.model_data_download_timeout_seconds == null || (floor(coalesce(var.model_data_download_timeout_seconds, 0)) == coalesce(var.model_data_download_timeout_seconds, 0) && coalesce(var.model_data_download_timeout_seconds, 0) >= @@TIMEOUT_MIN@@ && coalesce(var.model_data_download_timeout_seconds, 0) <= @@TIMEOUT_MAX@@)
    error_message = "The model_data_download_timeout_seconds must be a whole number from @@TIMEOUT_MIN@@ to @@TIMEOUT_MAX@@, or null."
  }
}

variable "container_startup_health_check_timeout_seconds" {
  description = "Seconds for the container to load the model and pass its first health check. Null: 600 plus 20 a GiB of artifacts, at most 3600."
  type        = number
  default     = null

  validation {
    condition     = var.container_startup_health_check_timeout_seconds == null || (floor(coalesce(var.container_startup_health_check_timeout_seconds, 0)) == coalesce(var.container_startup_health_check_timeout_seconds, 0) && coalesce(var.container_startup_health_check_timeout_seconds, 0) >= @@TIMEOUT_MIN@@ && coalesce(var.container_startup_health_check_timeout_seconds, 0) <= @@TIMEOUT_MAX@@)
    error_message = "The container_startup_health_check_timeout_seconds must be a whole number from @@TIMEOUT_MIN@@ to @@TIMEOUT_MAX@@, or null."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the ML storage volumes. Null: AWS managed encryption."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex(@@PATTERN_KMS@@, coalesce(var.kms_key_arn, "-")))
    error_message = "The kms_key_arn must be a KMS key ARN such as \"arn:aws:kms:us-east-1:123456789012:key/1234abcd-...\"."
  }
}

variable "data_capture" {
  description = "Capture requests and responses to S3. Null: no data capture."
  type = object({
    destination_s3_uri  = string
    sampling_percentage = optional(number, 100)
    capture_input       = optional(bool, true)
    capture_output      = optional(bool, true)
    kms_key_arn         = optional(string)
  })
  default = null

  validation {
    condition     = var.data_capture == null || (can(regex(@@PATTERN_S3_URI@@, try(var.data_capture.destination_s3_uri, "-"))) && try(var.data_capture.sampling_percentage >= 0 && var.data_capture.sampling_percentage <= 100 && floor(var.data_capture.sampling_percentage) == var.data_capture.sampling_percentage, false) && try(var.data_capture.capture_input || var.data_capture.capture_output, false))
    error_message = "The data_capture must name an S3 URI such as \"s3://my-bucket/capture\", a whole sampling_percentage from 0 to 100, and capture input, output or both."
  }
}

variable "vpc_config" {
  description = "Subnets and security groups of the model's containers. Null: no VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition     = var.vpc_config == null || (length(try(var.vpc_config.subnet_ids, [])) > 0 && length(try(var.vpc_config.security_group_ids, [])) > 0)
    error_message = "The vpc_config must name at least one subnet and one security group."
  }
}

variable "network_isolation" {
  description = "Network isolation: the container makes no outbound calls (the default inference code needs none)."
  type        = bool
  default     = true
}

variable "auto_scaling" {
  description = "Target tracking on invocations per instance. Null: a fixed instance count."
  type = object({
    min_capacity                    = number
    max_capacity                    = number
    target_invocations_per_instance = number
    scale_in_cooldown_seconds       = optional(number, 300)
    scale_out_cooldown_seconds      = optional(number, 60)
  })
  default = null

  validation {
    condition     = var.auto_scaling == null || try(var.auto_scaling.min_capacity >= @@COUNT_MIN@@ && var.auto_scaling.max_capacity >= var.auto_scaling.min_capacity && var.auto_scaling.max_capacity <= @@COUNT_MAX@@ && var.auto_scaling.target_invocations_per_instance > 0, false)
    error_message = "The auto_scaling needs @@COUNT_MIN@@ <= min_capacity <= max_capacity <= @@COUNT_MAX@@ and a positive target_invocations_per_instance."
  }
}

variable "inference_ami_version" {
  description = "The production variant's SageMaker inference AMI, which carries the Neuron driver."
  type        = string
  default     = "@@INFERENCE_AMI_DEFAULT@@"

  validation {
    condition     = contains(@@INFERENCE_AMI_VERSIONS@@, var.inference_ami_version)
    error_message = "The inference_ami_version must be a SageMaker inference AMI with the Neuron driver (@@INFERENCE_AMI_VERSIONS_TEXT@@); without one, inf2 hosts run the default AMI and its older driver."
  }
}

variable "max_new_tokens" {
  description = "The most new tokens a request to the default inference code may ask for. SageMaker ends an invocation after 60 seconds: keep a generation of this length within it. Null: @@MAX_NEW_TOKENS_DEFAULT@@, or less than nPositions if that is smaller."
  type        = number
  default     = null

  validation {
    condition     = var.max_new_tokens == null || (floor(coalesce(var.max_new_tokens, 0)) == coalesce(var.max_new_tokens, 0) && coalesce(var.max_new_tokens, 0) >= 1)
    error_message = "The max_new_tokens must be a whole number of at least 1, or null."
  }
}

variable "environment" {
  description = "More environment variables for the container. The compile settings' variables cannot be overridden."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.environment : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k)) && !contains(@@RESERVED_ENV_NAMES@@, k) && length(v) <= 1024])
    error_message = "The environment keys must be variable names other than the compile settings and the endpoint's own (@@RESERVED_ENV_NAMES_TEXT@@), with values of at most 1024 characters."
  }
}

variable "code_dir" {
  description = "Your inference code: a directory with inference.py, uploaded to <prefix>code/<endpoint_name>/. Null uploads the default inference code (a chat API) that ships with the module."
  type        = string
  default     = null

  validation {
    condition     = var.code_dir == null || fileexists("${coalesce(var.code_dir, ".")}/inference.py")
    error_message = "The code_dir must be a directory holding inference.py (the SageMaker entry point, SAGEMAKER_PROGRAM)."
  }
}

variable "tags" {
  description = "Tags for every resource, added to neuronx:model and ManagedBy."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && !startswith(lower(k), "aws:") && length(v) <= 256])
    error_message = "The tags keys must be 1 to 128 characters and not start with \"aws:\"; values at most 256 characters."
  }
}
