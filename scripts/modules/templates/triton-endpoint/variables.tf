variable "repository_s3_uri" {
  description = "s3://<bucket>/<prefix>/ of the Triton model repository (one folder a model: config.pbtxt, 1/model.py, 1/model.pt), uploaded uncompressed: a TritonNeuronModelRepository's s3Uri, or the folder scripts/render-triton-repository.ts writes, copied with aws s3 sync."
  type        = string

  validation {
    condition     = @@RULE(artifactS3Url, var.repository_s3_uri)@@
    error_message = "The repository_s3_uri must be @@RULE_TEXT(artifactS3Url)@@."
  }
}

variable "default_model_name" {
  description = "The one model or the ensemble Triton loads (@@TRITON_MODEL_NAME_ENV@@): SageMaker's Triton serve script serves one model or one ensemble an endpoint."
  type        = string

  validation {
    condition     = can(regex(@@TRITON_MODEL_NAME_PATTERN@@, var.default_model_name))
    error_message = "The default_model_name must be 1 to 64 letters, digits, dots, hyphens and underscores, starting with a letter or digit (a folder of the repository)."
  }
}

variable "neuron_cores_used" {
  description = "NeuronCores the repository's model instances use, from core 0 (the repository's neuronCoresUsed): the instance type must have as many."
  type        = number

  validation {
    condition     = floor(var.neuron_cores_used) == var.neuron_cores_used && var.neuron_cores_used >= 1 && var.neuron_cores_used <= @@TRITON_MAX_CORES@@
    error_message = "The neuron_cores_used must be a whole number from 1 to @@TRITON_MAX_CORES@@ (the NeuronCores of the largest inf2 type)."
  }
}

variable "largest_batch_bytes" {
  description = "Bytes of the largest full batch of a model's inputs or outputs (the repository's largestBatchBytes): the Python backend's shared memory is sized from it, at least @@TRITON_SHM_DEFAULT@@ and @@TRITON_SHM_GROWTH@@ bytes (the serve script's defaults)."
  type        = number

  validation {
    condition     = floor(var.largest_batch_bytes) == var.largest_batch_bytes && var.largest_batch_bytes >= 0
    error_message = "The largest_batch_bytes must be a whole number of bytes, 0 or more."
  }
}

variable "compiled_bytes" {
  description = "Bytes of the repository's compiled models (the repository's compiledBytes), for the volume and timeouts; 0 when unknown."
  type        = number
  default     = 0

  validation {
    condition     = floor(var.compiled_bytes) == var.compiled_bytes && var.compiled_bytes >= 0
    error_message = "The compiled_bytes must be a whole number of bytes, 0 or more."
  }
}

variable "image_uri" {
  description = "The Triton image with the Neuron runtime in your ECR (AWS publishes none): @@TRITON_DOCKERFILE@@, built and pushed."
  type        = string

  validation {
    condition     = @@RULE(ecrImageUri, var.image_uri)@@
    error_message = "The image_uri must be @@RULE_TEXT(ecrImageUri)@@."
  }
}

variable "image_neuron_sdk_version" {
  description = "The Neuron SDK release inside the image, e.g. \"@@TRITON_SDK@@\": a model loads only in the runtime of the SDK that traced it."
  type        = string

  validation {
    condition     = @@RULE(neuronSdkVersion, var.image_neuron_sdk_version)@@
    error_message = "The image_neuron_sdk_version must be @@RULE_TEXT(neuronSdkVersion)@@."
  }
}

variable "repository_neuron_sdk_version" {
  description = "The Neuron SDK the repository's models were traced with (the repository's neuronSdkVersion). Null: not checked."
  type        = string
  default     = null

  validation {
    condition     = var.repository_neuron_sdk_version == null || (@@RULE(neuronSdkVersion, coalesce(var.repository_neuron_sdk_version, "-"))@@)
    error_message = "The repository_neuron_sdk_version must be @@RULE_TEXT(neuronSdkVersion)@@, or null."
  }
}

variable "instance_type" {
  description = "SageMaker instance type, with at least neuron_cores_used NeuronCores."
  type        = string

  validation {
    condition     = contains(@@ML_INSTANCE_TYPES@@, var.instance_type)
    error_message = "The instance_type must be one of @@ML_INSTANCE_TYPES_TEXT@@. @@TRITON_INF1_REFUSAL@@"
  }
}

variable "instance_count" {
  description = "Instances behind the endpoint."
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
    condition     = @@RULE(endpointName, var.endpoint_name)@@
    error_message = "The endpoint_name must be @@RULE_TEXT(endpointName)@@."
  }
}

variable "volume_size_gib" {
  description = "ML storage volume of each instance in GiB. Null: the compiled models plus @@VOLUME_HEADROOM@@ GiB, at least @@VOLUME_MIN_GIB@@."
  type        = number
  default     = null

  validation {
    condition     = var.volume_size_gib == null || (floor(coalesce(var.volume_size_gib, 0)) == coalesce(var.volume_size_gib, 0) && coalesce(var.volume_size_gib, 0) >= @@VOLUME_MIN@@ && coalesce(var.volume_size_gib, 0) <= @@VOLUME_MAX@@)
    error_message = "The volume_size_gib must be a whole number from @@VOLUME_MIN@@ to @@VOLUME_MAX@@, or null."
  }
}

variable "model_data_download_timeout_seconds" {
  description = "Seconds to download the repository onto an instance. Null: @@DOWNLOAD_BASE@@ plus @@DOWNLOAD_PER_GIB@@ a GiB of compiled models, at most @@TIMEOUT_MAX@@."
  type        = number
  default     = null

  validation {
    condition     = var.model_data_download_timeout_seconds == null || (floor(coalesce(var.model_data_download_timeout_seconds, 0)) == coalesce(var.model_data_download_timeout_seconds, 0) && coalesce(var.model_data_download_timeout_seconds, 0) >= @@TIMEOUT_MIN@@ && coalesce(var.model_data_download_timeout_seconds, 0) <= @@TIMEOUT_MAX@@)
    error_message = "The model_data_download_timeout_seconds must be a whole number from @@TIMEOUT_MIN@@ to @@TIMEOUT_MAX@@, or null."
  }
}

variable "container_startup_health_check_timeout_seconds" {
  description = "Seconds for Triton to load the models and pass its first health check. Null: @@STARTUP_BASE@@ plus @@STARTUP_PER_GIB@@ a GiB of compiled models, at most @@TIMEOUT_MAX@@."
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
    condition     = var.kms_key_arn == null || (@@RULE(kmsKeyArn, coalesce(var.kms_key_arn, "-"))@@)
    error_message = "The kms_key_arn must be @@RULE_TEXT(kmsKeyArn)@@, or null."
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
    condition     = var.vpc_config == null || try(length(var.vpc_config.subnet_ids) >= 1 && length(var.vpc_config.subnet_ids) <= @@VPC_SUBNETS_MAX@@ && length(var.vpc_config.security_group_ids) >= 1 && length(var.vpc_config.security_group_ids) <= @@VPC_SGS_MAX@@ && alltrue([for id in var.vpc_config.subnet_ids : @@RULE(subnetId, id)@@]) && alltrue([for id in var.vpc_config.security_group_ids : @@RULE(securityGroupId, id)@@]), false)
    error_message = "The vpc_config must name 1 to @@VPC_SUBNETS_MAX@@ subnets (@@RULE_TEXT(subnetId)@@) and 1 to @@VPC_SGS_MAX@@ security groups (@@RULE_TEXT(securityGroupId)@@)."
  }
}

variable "network_isolation" {
  description = "Network isolation: the container makes no outbound calls (Triton and model.py need none)."
  type        = bool
  default     = true
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

variable "environment" {
  description = "More environment variables for the container. The serve script's variables the module sets and the Neuron core pinning cannot be overridden."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.environment : (@@RULE(environmentKey, k)@@) && !contains(@@TRITON_RESERVED_ENV@@, k) && length(v) <= @@ENV_VALUE_MAX@@])
    error_message = "The environment keys must be @@RULE_TEXT(environmentKey)@@, other than @@TRITON_RESERVED_ENV_TEXT@@ (the module sets the serve script's; @@TRITON_RESERVED_ENV_REASONS@@), with values of at most @@ENV_VALUE_MAX@@ characters."
  }
}

variable "tags" {
  description = "Tags for every resource, added to neuronx:triton-model and ManagedBy."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : (@@RULE(tagKey, k)@@) && (@@RULE(tagValue, v)@@)])
    error_message = "The tags keys must each be @@RULE_TEXT(tagKey)@@, and the values @@RULE_TEXT(tagValue)@@."
  }

  validation {
    # AWS takes at most 50 tags a resource (the provider's default_tags count too); IAM compares keys without case.
    condition     = length(setunion(keys(var.tags), @@TRITON_OWN_TAGS@@)) <= @@MAX_TAGS@@ && length(distinct([for k in setunion(keys(var.tags), @@TRITON_OWN_TAGS@@) : lower(k)])) == length(setunion(keys(var.tags), @@TRITON_OWN_TAGS@@))
    error_message = "The tags, with the module's own (@@TRITON_OWN_TAGS_TEXT@@), must be at most @@MAX_TAGS@@, and no two keys may differ only in case (IAM refuses that)."
  }
}
