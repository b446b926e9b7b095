variable "backend" {
  description = "The backend that compiled the artifacts: the neuronx-compile module's backend output. \"transformers-neuronx\" serves them with the inference code (code_dir); \"@@OPTIMUM_BACKEND@@\" serves <prefix>@@OPTIMUM_COMPILED_FOLDER@@ with the vLLM Neuron DLC's own OpenAI-style chat API (the OptimumNeuronSageMakerRealtimeInferenceEndpoint construct)."
  type        = string
  default     = "transformers-neuronx"

  validation {
    condition     = contains(["transformers-neuronx", "@@OPTIMUM_BACKEND@@"], var.backend)
    error_message = "The backend must be \"transformers-neuronx\" or \"@@OPTIMUM_BACKEND@@\"."
  }
}

variable "compiled_artifact_s3_url" {
  description = "s3://<bucket>/<prefix>/ of the compiled artifacts: the neuronx-compile module's compiled_artifact_s3_url."
  type        = string

  validation {
    condition     = @@RULE(artifactS3Url, var.compiled_artifact_s3_url)@@
    error_message = "The compiled_artifact_s3_url must be @@RULE_TEXT(artifactS3Url)@@."
  }
}

variable "bucket_arn" {
  description = "ARN of the bucket of the artifacts (the compile's bucket_arn)."
  type        = string

  validation {
    condition     = @@RULE(bucketArn, var.bucket_arn)@@
    error_message = "The bucket_arn must be @@RULE_TEXT(bucketArn)@@."
  }
}

variable "artifact_prefix" {
  description = "Key prefix of the artifacts in the bucket, ending in / (the compile's artifact_prefix)."
  type        = string

  validation {
    condition     = @@RULE(keyPrefix, var.artifact_prefix)@@
    error_message = "The artifact_prefix must be @@RULE_TEXT(keyPrefix)@@."
  }
}

variable "settings_environment" {
  description = "The compile settings as environment variables (the compile's settings_environment); the container loads the artifacts with them."
  type        = map(string)

  validation {
    condition     = alltrue([for k in @@REQUIRED_SETTINGS@@ : contains(keys(var.settings_environment), k) || (k == "@@OPT_LEVEL_ENV@@" && lookup(var.settings_environment, "@@OPTIMUM_BACKEND_ENV@@", "") == "@@OPTIMUM_BACKEND@@")])
    error_message = "The settings_environment must carry every compile setting (@@REQUIRED_SETTINGS_TEXT@@): pass the neuronx-compile module's settings_environment."
  }
}

variable "container_image_uri" {
  description = "The image that compiled the artifacts (the compile's container_image_uri): NEFFs load only in the runtime that compiled them."
  type        = string

  validation {
    condition     = @@RULE(ecrImageUri, var.container_image_uri)@@
    error_message = "The container_image_uri must be @@RULE_TEXT(ecrImageUri)@@."
  }
}

variable "container_repository_arn" {
  description = "ECR repository of that image (the compile's container_repository_arn), for pull rights."
  type        = string

  validation {
    condition     = @@RULE(ecrRepositoryArn, var.container_repository_arn)@@
    error_message = "The container_repository_arn must be @@RULE_TEXT(ecrRepositoryArn)@@."
  }
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
    condition     = @@RULE(endpointName, var.endpoint_name)@@
    error_message = "The endpoint_name must be @@RULE_TEXT(endpointName)@@."
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
    condition     = var.kms_key_arn == null || (@@RULE(kmsKeyArn, coalesce(var.kms_key_arn, "-"))@@)
    error_message = "The kms_key_arn must be @@RULE_TEXT(kmsKeyArn)@@."
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
    condition     = var.data_capture == null || try((@@RULE(s3Uri, var.data_capture.destination_s3_uri)@@) && var.data_capture.sampling_percentage >= 0 && var.data_capture.sampling_percentage <= 100 && floor(var.data_capture.sampling_percentage) == var.data_capture.sampling_percentage && (var.data_capture.capture_input || var.data_capture.capture_output) && (var.data_capture.kms_key_arn == null || (@@RULE(kmsKeyArn, coalesce(var.data_capture.kms_key_arn, "-"))@@)), false)
    error_message = "The data_capture must name @@RULE_TEXT(s3Uri)@@; a whole sampling_percentage from 0 to 100; capture input, output or both; and a kms_key_arn that is null or @@RULE_TEXT(kmsKeyArn)@@."
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
    condition     = var.auto_scaling == null || try(var.auto_scaling.min_capacity != 0, false)
    error_message = "The auto_scaling.min_capacity is 0: a real-time endpoint keeps an instance; to scale to zero, make the endpoint asynchronous with async_inference = { scale_to_zero = true } (it scales on the backlog) and leave auto_scaling null."
  }

  validation {
    condition     = var.auto_scaling == null || try(floor(var.auto_scaling.min_capacity) == var.auto_scaling.min_capacity && floor(var.auto_scaling.max_capacity) == var.auto_scaling.max_capacity && var.auto_scaling.min_capacity >= @@COUNT_MIN@@ && var.auto_scaling.max_capacity >= var.auto_scaling.min_capacity && var.auto_scaling.max_capacity <= @@COUNT_MAX@@ && var.auto_scaling.target_invocations_per_instance > 0 && var.auto_scaling.target_invocations_per_instance <= pow(2, 360) && alltrue([for c in [var.auto_scaling.scale_in_cooldown_seconds, var.auto_scaling.scale_out_cooldown_seconds] : floor(c) == c && c >= 0 && c <= 3600]), false)
    error_message = "The auto_scaling needs whole numbers @@COUNT_MIN@@ <= min_capacity <= max_capacity <= @@COUNT_MAX@@, a target_invocations_per_instance greater than 0 and at most 2^360 (Application Auto Scaling's limit), and whole cooldowns from 0 to 3600 seconds."
  }
}

variable "monitoring" {
  description = "The endpoint's CloudWatch alarms: Invocation5XXErrors (Sum a minute) and p90 ModelLatency, each firing on @@ALARM_DATAPOINTS@@ of @@ALARM_EVALUATION_PERIODS@@ one-minute periods, and the instances' memory (@@ALARM_MEMORY@@%) and disk (@@ALARM_DISK@@%) for @@ALARM_HOST_PERIODS@@ minutes; an SNS topic they notify (given, or created under a KMS key of its own); a dashboard. Null: none of them."
  type = object({
    errors_per_minute_threshold     = optional(number, @@ALARM_ERRORS_DEFAULT@@)
    model_latency_threshold_seconds = optional(number, @@ALARM_LATENCY_DEFAULT@@)
    alarm_topic_arn                 = optional(string)
    create_alarm_topic              = optional(bool, false)
    dashboard                       = optional(bool, true)
  })
  default = {}

  validation {
    condition     = var.monitoring == null || try(var.monitoring.errors_per_minute_threshold > 0 && var.monitoring.model_latency_threshold_seconds > 0 && var.monitoring.model_latency_threshold_seconds <= 3600, false)
    error_message = "The monitoring thresholds must be greater than 0 (model_latency_threshold_seconds at most 3600)."
  }

  validation {
    condition     = var.monitoring == null || try(var.monitoring.alarm_topic_arn == null ? true : (@@RULE(snsTopicArn, var.monitoring.alarm_topic_arn)@@), false)
    error_message = "The monitoring.alarm_topic_arn must be @@RULE_TEXT(snsTopicArn)@@."
  }

  validation {
    condition     = var.monitoring == null || try(var.monitoring.alarm_topic_arn == null || !var.monitoring.create_alarm_topic, false)
    error_message = "The monitoring sets both alarm_topic_arn and create_alarm_topic; the alarms notify one topic, give one or the other."
  }
}

variable "deployment" {
  description = "How SageMaker rolls out a new endpoint configuration: type all_at_once, canary or linear (blue/green: twice the instances during the update) or rolling, with size (a step: percent or instances), a bake and rollback alarms. Null: SageMaker's default (blue/green, all at once, no bake, no alarms)."
  type = object({
    type                              = string
    size                              = optional(object({ percent = optional(number), instances = optional(number) }))
    rollback_batch_size               = optional(object({ percent = optional(number), instances = optional(number) }))
    wait_interval_seconds             = optional(number, @@DEPLOY_WAIT_DEFAULT@@)
    termination_wait_seconds          = optional(number)
    maximum_execution_timeout_seconds = optional(number)
    rollback_on_endpoint_alarms       = optional(bool, true)
    rollback_alarm_names              = optional(list(string), [])
    max_instances                     = optional(number)
  })
  default = null

  validation {
    condition     = var.deployment == null || try(contains(["all_at_once", "canary", "linear", "rolling"], var.deployment.type) && (var.deployment.type == "all_at_once") == (var.deployment.size == null) && (var.deployment.type == "rolling" || var.deployment.rollback_batch_size == null) && (var.deployment.type != "rolling" || var.deployment.termination_wait_seconds == null), false)
    error_message = "The deployment type must be all_at_once, canary, linear or rolling; canary, linear and rolling need a size (all_at_once takes none); rollback_batch_size is for rolling only, termination_wait_seconds for blue/green only."
  }

  validation {
    condition     = var.deployment == null || try(alltrue([for c in [var.deployment.size, var.deployment.rollback_batch_size] : ((c.percent == null) != (c.instances == null) && floor(coalesce(c.percent, c.instances)) == coalesce(c.percent, c.instances) && coalesce(c.percent, c.instances) >= 1) if c != null]), false)
    error_message = "Each deployment size must set exactly one of percent and instances, a whole number of at least 1."
  }

  validation {
    condition     = var.deployment == null || try(floor(var.deployment.wait_interval_seconds) == var.deployment.wait_interval_seconds && var.deployment.wait_interval_seconds >= @@DEPLOY_WAIT_MIN@@ && var.deployment.wait_interval_seconds <= @@DEPLOY_WAIT_MAX@@ && (var.deployment.termination_wait_seconds == null || try(floor(var.deployment.termination_wait_seconds) == var.deployment.termination_wait_seconds && var.deployment.termination_wait_seconds >= 0 && var.deployment.termination_wait_seconds <= @@DEPLOY_WAIT_MAX@@, false)) && (var.deployment.maximum_execution_timeout_seconds == null || try(floor(var.deployment.maximum_execution_timeout_seconds) == var.deployment.maximum_execution_timeout_seconds && var.deployment.maximum_execution_timeout_seconds >= @@DEPLOY_TIMEOUT_MIN@@ && var.deployment.maximum_execution_timeout_seconds <= @@DEPLOY_TIMEOUT_MAX@@, false)), false)
    error_message = "The deployment's wait_interval_seconds and termination_wait_seconds must be whole numbers from @@DEPLOY_WAIT_MIN@@ to @@DEPLOY_WAIT_MAX@@, and maximum_execution_timeout_seconds one from @@DEPLOY_TIMEOUT_MIN@@ to @@DEPLOY_TIMEOUT_MAX@@ (SageMaker's limits)."
  }

  validation {
    condition     = var.deployment == null || try(alltrue([for n in var.deployment.rollback_alarm_names : length(trimspace(n)) > 0 && length(n) <= @@DEPLOY_ALARM_NAME_MAX@@]), false)
    error_message = "The deployment's rollback_alarm_names must be CloudWatch alarm names of 1 to @@DEPLOY_ALARM_NAME_MAX@@ characters, not blank."
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
    condition     = alltrue([for k, v in var.environment : (@@RULE(environmentKey, k)@@) && !contains(@@RESERVED_ENV_NAMES@@, k) && length(v) <= @@ENV_VALUE_MAX@@])
    error_message = "The environment keys must be @@RULE_TEXT(environmentKey)@@, other than the variables the module sets (@@RESERVED_ENV_NAMES_TEXT@@), with values of at most @@ENV_VALUE_MAX@@ characters."
  }
}

variable "code_dir" {
  description = "Your inference code: a directory with inference.py, uploaded to <prefix>code/<endpoint_name>/. Null uploads the default inference code (a chat API) that ships with the module."
  type        = string
  default     = null

  validation {
    condition     = var.code_dir == null || try(fileexists("${coalesce(var.code_dir, ".")}/inference.py"), false)
    error_message = "The code_dir must be a directory holding inference.py as a regular file (the SageMaker entry point, SAGEMAKER_PROGRAM)."
  }
}

variable "code_exclude_patterns" {
  description = "RE2 regular expressions of the code_dir's paths (relative, with /) left out of the upload, besides dotfiles, __pycache__, *.pyc and tests, which always are."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource, added to neuronx:model and ManagedBy."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : (@@RULE(tagKey, k)@@) && (@@RULE(tagValue, v)@@)])
    error_message = "The tags keys must each be @@RULE_TEXT(tagKey)@@, and the values @@RULE_TEXT(tagValue)@@."
  }

  validation {
    # AWS takes at most 50 tags a resource (the provider's default_tags count too); IAM compares keys without case.
    condition     = length(setunion(keys(var.tags), @@ENDPOINT_OWN_TAGS@@)) <= @@MAX_TAGS@@ && length(distinct([for k in setunion(keys(var.tags), @@ENDPOINT_OWN_TAGS@@) : lower(k)])) == length(setunion(keys(var.tags), @@ENDPOINT_OWN_TAGS@@))
    error_message = "The tags, with the module's own (@@ENDPOINT_OWN_TAGS_TEXT@@), must be at most @@MAX_TAGS@@, and no two keys may differ only in case (IAM refuses that)."
  }
}

variable "async_inference" {
  description = "An asynchronous endpoint (as lib/async-inference.ts): requests queue; SageMaker writes each response, or failure, to S3 and can notify SNS topics. Paths left null are prefixes (@@ASYNC_INPUT_PREFIX@@, @@ASYNC_OUTPUT_PREFIX@@, @@ASYNC_FAILURE_PREFIX@@) of a bucket the module creates, encrypted with a KMS key it creates. scale_to_zero: target tracking on ApproximateBacklogSizePerInstance down to 0 instances, and a HasBacklogWithoutCapacity alarm with a step policy that starts one on the first queued request. Null: a real-time endpoint."
  type = object({
    output_path                             = optional(string)
    failure_path                            = optional(string)
    input_path                              = optional(string)
    kms_key_arn                             = optional(string)
    success_topic_arn                       = optional(string)
    error_topic_arn                         = optional(string)
    max_concurrent_invocations_per_instance = optional(number)
    scale_to_zero                           = optional(bool, false)
    max_capacity                            = optional(number)
    target_backlog_per_instance             = optional(number)
    scale_in_cooldown_seconds               = optional(number)
    scale_out_cooldown_seconds              = optional(number)
  })
  default = null

  validation {
    condition     = var.async_inference == null || try(alltrue([for p in [var.async_inference.output_path, var.async_inference.failure_path, var.async_inference.input_path] : p == null ? true : (@@RULE(s3Uri, p)@@)]), false)
    error_message = "The async_inference's output_path, failure_path and input_path must each be null or @@RULE_TEXT(s3Uri)@@."
  }

  validation {
    condition     = var.async_inference == null || try(var.async_inference.kms_key_arn == null ? true : (@@RULE(kmsKeyArn, var.async_inference.kms_key_arn)@@), false)
    error_message = "The async_inference.kms_key_arn must be null or @@RULE_TEXT(kmsKeyArn)@@."
  }

  validation {
    condition     = var.async_inference == null || try(alltrue([for t in [var.async_inference.success_topic_arn, var.async_inference.error_topic_arn] : t == null ? true : (@@RULE(snsTopicArn, t)@@)]), false)
    error_message = "The async_inference's success_topic_arn and error_topic_arn must each be null or @@RULE_TEXT(snsTopicArn)@@."
  }

  validation {
    condition     = var.async_inference == null || try(var.async_inference.max_concurrent_invocations_per_instance == null ? true : (floor(var.async_inference.max_concurrent_invocations_per_instance) == var.async_inference.max_concurrent_invocations_per_instance && var.async_inference.max_concurrent_invocations_per_instance >= @@ASYNC_CONCURRENCY_MIN@@ && var.async_inference.max_concurrent_invocations_per_instance <= @@ASYNC_CONCURRENCY_MAX@@), false)
    error_message = "The async_inference.max_concurrent_invocations_per_instance must be null or a whole number from @@ASYNC_CONCURRENCY_MIN@@ to @@ASYNC_CONCURRENCY_MAX@@ (SageMaker's limits)."
  }

  validation {
    condition     = var.async_inference == null || try(var.async_inference.scale_to_zero || alltrue([for v in [var.async_inference.max_capacity, var.async_inference.target_backlog_per_instance, var.async_inference.scale_in_cooldown_seconds, var.async_inference.scale_out_cooldown_seconds] : v == null]), false)
    error_message = "The async_inference's max_capacity, target_backlog_per_instance and cooldowns size scale to zero: set scale_to_zero = true, or leave them null."
  }

  validation {
    condition     = var.async_inference == null || try((var.async_inference.max_capacity == null ? true : (floor(var.async_inference.max_capacity) == var.async_inference.max_capacity && var.async_inference.max_capacity >= @@COUNT_MIN@@ && var.async_inference.max_capacity <= @@COUNT_MAX@@)) && (var.async_inference.target_backlog_per_instance == null ? true : (var.async_inference.target_backlog_per_instance > 0 && var.async_inference.target_backlog_per_instance <= pow(2, 360))) && alltrue([for c in [var.async_inference.scale_in_cooldown_seconds, var.async_inference.scale_out_cooldown_seconds] : c == null ? true : (floor(c) == c && c >= 0 && c <= @@ASYNC_COOLDOWN_MAX@@)]), false)
    error_message = "The async_inference needs a whole max_capacity from @@COUNT_MIN@@ to @@COUNT_MAX@@, a target_backlog_per_instance greater than 0 and at most 2^360, and whole cooldowns from 0 to @@ASYNC_COOLDOWN_MAX@@ seconds."
  }
}
