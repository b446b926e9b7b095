variable "backend" {
  description = "What compiles: \"transformers-neuronx\" (the NeuronxCompile construct, the PyTorch Neuron DLC) or \"@@OPTIMUM_BACKEND@@\" (OptimumNeuronCompile: optimum-neuron's export, served by the Hugging Face vLLM Neuron DLC). With optimum-neuron, n_positions is the sequence length, batch_size the batch size, amp the dtype and tp_degree the tensor parallel size; quant_dtype and opt_level are refused."
  type        = string
  default     = "transformers-neuronx"

  validation {
    condition     = contains(["transformers-neuronx", "@@OPTIMUM_BACKEND@@"], var.backend)
    error_message = "The backend must be \"transformers-neuronx\" or \"@@OPTIMUM_BACKEND@@\"."
  }
}

variable "optimum_neuron" {
  description = "The optimum-neuron backend's settings: compile_host \"inf2\" (an inf2 instance, the path shown to work) or \"cpu\" (a memory-optimized r7i instance exports for inf2 without a device, at a fraction of the price an hour); private_cache_repo, a Hub repository of compiled artifacts looked up after aws-neuron/optimum-neuron-cache; image_uri, a private ECR copy of the vLLM Neuron DLC, with the neuron_sdk_version (2.26 or later) and optimum_neuron_version (0.4.x) inside it. Null image_uri: @@OPTIMUM_DLC_REPOSITORY@@:@@OPTIMUM_DLC_TAG@@."
  type = object({
    compile_host           = optional(string, "inf2")
    private_cache_repo     = optional(string)
    image_uri              = optional(string)
    neuron_sdk_version     = optional(string)
    optimum_neuron_version = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["inf2", "cpu"], var.optimum_neuron.compile_host)
    error_message = "The optimum_neuron.compile_host must be \"inf2\" or \"cpu\"."
  }
  validation {
    condition     = var.optimum_neuron.private_cache_repo == null || (@@RULE(huggingFaceModelId, coalesce(var.optimum_neuron.private_cache_repo, "-"))@@)
    error_message = "The optimum_neuron.private_cache_repo must be @@RULE_TEXT(huggingFaceModelId)@@."
  }
  validation {
    condition     = var.optimum_neuron.image_uri == null || (@@RULE(ecrImageUri, coalesce(var.optimum_neuron.image_uri, "-"))@@)
    error_message = "The optimum_neuron.image_uri must be @@RULE_TEXT(ecrImageUri)@@."
  }
  validation {
    condition     = (var.optimum_neuron.image_uri == null) == (var.optimum_neuron.neuron_sdk_version == null) && (var.optimum_neuron.image_uri == null) == (var.optimum_neuron.optimum_neuron_version == null)
    error_message = "Set optimum_neuron.image_uri, neuron_sdk_version and optimum_neuron_version together (the versions of the image are part of the cache key), or none of them."
  }
  validation {
    condition     = can(regex("^2\\.(2[6-9]|[3-9][0-9])(\\.[0-9]{1,3})?$", coalesce(var.optimum_neuron.neuron_sdk_version, "@@OPTIMUM_SDK_VERSION@@")))
    error_message = "The optimum_neuron.neuron_sdk_version must be a Neuron SDK release from 2.26 such as \"@@OPTIMUM_SDK_VERSION@@\" (the releases of optimum-neuron 0.4's images)."
  }
  validation {
    condition     = can(regex("^0\\.4\\.[0-9]{1,3}$", coalesce(var.optimum_neuron.optimum_neuron_version, "@@OPTIMUM_VERSION@@")))
    error_message = "The optimum_neuron.optimum_neuron_version must be an optimum-neuron 0.4 release such as \"@@OPTIMUM_VERSION@@\"."
  }
}

variable "model_id" {
  description = "Hugging Face model id, e.g. meta-llama/Meta-Llama-3-8B-Instruct."
  type        = string

  validation {
    condition     = @@RULE(huggingFaceModelId, var.model_id)@@
    error_message = "The model_id must be @@RULE_TEXT(huggingFaceModelId)@@."
  }
}

variable "architecture" {
  description = "The model's architecture (model_type in its config.json), for a repository whose name does not show it or shows another one, e.g. a Llama fine-tune. Null: a name that shows a family transformers-neuronx 0.13 does not serve fails the plan; the compile checks config.json before any weight."
  type        = string
  default     = null

  validation {
    condition     = var.architecture == null || contains(@@SERVED_ARCHITECTURES@@, coalesce(var.architecture, "-"))
    error_message = "The architecture must be one of @@SERVED_ARCHITECTURES_TEXT@@ (the model types transformers-neuronx 0.13 serves; gptj and gpt_neox cannot be saved compiled), or null."
  }
}

variable "revision" {
  description = "Hugging Face revision: a branch, a tag or a commit. It is part of the cache key; pin a commit for reproducible builds."
  type        = string
  default     = "main"

  validation {
    condition     = @@RULE(huggingFaceRevision, var.revision)@@
    error_message = "The revision must be @@RULE_TEXT(huggingFaceRevision)@@."
  }
}

variable "parameters_billion" {
  description = "Parameter count of the model in billions (e.g. 8 for Llama 3 8B, 46.7 for Mixtral 8x7B); it sizes the instances."
  type        = number

  validation {
    condition     = var.parameters_billion > 0
    error_message = "The parameters_billion must be a positive number of billions of parameters."
  }
}

variable "tp_degree" {
  description = "Tensor parallel degree: the NeuronCores the model is sharded across. Null chooses the largest the serving instance's NeuronCores allow."
  type        = number
  default     = null

  validation {
    condition     = var.tp_degree == null || contains(@@TP_DEGREES@@, coalesce(var.tp_degree, 0))
    error_message = "The tp_degree must be one of @@TP_DEGREES_TEXT@@ (the degrees the Neuron runtime supports on Inf2), or null."
  }
}

variable "n_positions" {
  description = "Maximum sequence length (prompt plus generated tokens)."
  type        = number
  default     = @@N_POSITIONS_DEFAULT@@

  validation {
    condition     = floor(var.n_positions) == var.n_positions && var.n_positions >= @@N_POSITIONS_MIN@@ && var.n_positions <= @@N_POSITIONS_MAX@@
    error_message = "The n_positions must be a whole number from @@N_POSITIONS_MIN@@ to @@N_POSITIONS_MAX@@."
  }
}

variable "batch_size" {
  description = "Batch size the model is compiled for. Null: @@BATCH_SIZE_DEFAULT@@ (transformers-neuronx), @@OPTIMUM_BATCH_SIZE_DEFAULT@@ (optimum-neuron, the sequences vLLM decodes at once)."
  type        = number
  default     = null

  validation {
    condition     = var.batch_size == null || try(floor(var.batch_size) == var.batch_size && var.batch_size >= @@BATCH_SIZE_MIN@@ && var.batch_size <= @@BATCH_SIZE_MAX@@, false)
    error_message = "The batch_size must be a whole number from @@BATCH_SIZE_MIN@@ to @@BATCH_SIZE_MAX@@, or null."
  }
}

variable "amp" {
  description = "Automatic mixed precision type of transformers-neuronx."
  type        = string
  default     = "@@AMP_DEFAULT@@"

  validation {
    condition     = contains(@@AMP_TYPES@@, var.amp)
    error_message = "The amp must be one of @@AMP_TYPES_TEXT@@."
  }
}

variable "quant_dtype" {
  description = "Weight-storage quantization: \"s8\" for int8 weights dequantized to amp, or null for none."
  type        = string
  default     = null

  validation {
    condition     = var.quant_dtype == null || contains(@@QUANT_DTYPES@@, coalesce(var.quant_dtype, "-"))
    error_message = "The quant_dtype must be \"s8\" or null."
  }
}

variable "opt_level" {
  description = "Neuron compiler optimization level of transformers-neuronx: 1 (fast compile), 2 (balanced), 3 (best model execution performance). Null: @@OPT_LEVEL_DEFAULT@@. optimum-neuron chooses its own and refuses it."
  type        = number
  default     = null

  validation {
    condition     = var.opt_level == null || contains(@@OPT_LEVELS@@, coalesce(var.opt_level, 0))
    error_message = "The opt_level must be one of @@OPT_LEVELS_TEXT@@, or null."
  }
}

variable "bucket_name" {
  description = "An existing bucket for the artifacts. Null creates a private, encrypted, versioned, TLS-only one."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || (@@RULE(bucketName, coalesce(var.bucket_name, "-"))@@)
    error_message = "The bucket_name must be @@RULE_TEXT(bucketName)@@."
  }
}

variable "bucket_force_destroy" {
  description = "Empty the created bucket (every version) on destroy. Only for the bucket this module creates."
  type        = bool
  default     = false
}

variable "subnet_id" {
  description = "Subnet of the compile instance, with a route to the Hugging Face Hub, ECR and S3. Null tries the default VPC's subnets in the zones that offer the instance type."
  type        = string
  default     = null

  validation {
    condition     = var.subnet_id == null || (@@RULE(subnetId, coalesce(var.subnet_id, "-"))@@)
    error_message = "The subnet_id must be @@RULE_TEXT(subnetId)@@."
  }
}

variable "spot" {
  description = "Ask for spot capacity first, and fall back to on-demand when it is refused."
  type        = bool
  default     = false
}

variable "instance_type" {
  description = "EC2 instance type that compiles. Null chooses the smallest inf2 type with the TP degree's NeuronCores and the host memory to compile."
  type        = string
  default     = null

  validation {
    condition     = var.instance_type == null || contains(concat(@@INSTANCE_TYPES@@, @@OPTIMUM_CPU_TYPES@@), coalesce(var.instance_type, "-"))
    error_message = "The instance_type must be one of @@INSTANCE_TYPES_TEXT@@ (or, with optimum_neuron.compile_host = \"cpu\", @@OPTIMUM_CPU_TYPES_TEXT@@), or null. @@INF1_REFUSAL@@."
  }
}

variable "serving_instance_type" {
  description = "EC2 name of the instance type the model is compiled to be served on; it sets the default TP degree. Null chooses the smallest that holds the model."
  type        = string
  default     = null

  validation {
    condition     = var.serving_instance_type == null || contains(@@INSTANCE_TYPES@@, coalesce(var.serving_instance_type, "-"))
    error_message = "The serving_instance_type must be one of @@INSTANCE_TYPES_TEXT@@, or null. @@INF1_REFUSAL@@."
  }
}

variable "ami_id" {
  description = "AMI of the compile instance (it needs the Neuron driver). Null reads ami_ssm_parameter."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null || (@@RULE(amiId, coalesce(var.ami_id, "-"))@@)
    error_message = "The ami_id must be @@RULE_TEXT(amiId)@@."
  }
}

variable "ami_ssm_parameter" {
  description = "SSM parameter holding the AMI id, read at plan time when ami_id is null."
  type        = string
  default     = "@@AMI_SSM_PARAMETER@@"

  validation {
    condition     = @@RULE(ssmParameterName, var.ami_ssm_parameter)@@
    error_message = "The ami_ssm_parameter must be @@RULE_TEXT(ssmParameterName)@@."
  }
}

variable "container_image_uri" {
  description = "Private ECR image that compiles (and serves) the model. Null uses the region's PyTorch inference Neuron DLC, @@DLC_TAG@@."
  type        = string
  default     = null

  validation {
    condition     = var.container_image_uri == null || (@@RULE(ecrImageUri, coalesce(var.container_image_uri, "-"))@@)
    error_message = "The container_image_uri must be @@RULE_TEXT(ecrImageUri)@@."
  }
}

variable "neuron_sdk_version" {
  description = "Neuron SDK release of the container image; part of the cache key. Set it with container_image_uri."
  type        = string
  default     = "@@SDK_VERSION@@"

  validation {
    condition     = can(regex(@@SDK_VERSION_PATTERN@@, var.neuron_sdk_version))
    error_message = "The neuron_sdk_version must be a Neuron SDK release from @@SDK_RANGE_TEXT@@, such as \"@@SDK_VERSION@@\": transformers-neuronx reads Hugging Face checkpoints directly from 2.@@SDK_MIN_MINOR@@ and ships in the Neuron DLCs up to 2.@@SDK_MAX_MINOR@@ (use the optimum-neuron backend for newer SDKs)."
  }
}

variable "hugging_face_token_secret_arn" {
  description = "Secrets Manager secret holding a Hugging Face token, for gated models. The instance reads it; it never enters user data, state or logs. Checked by preconditions, whose messages never show the value (a token passed here by mistake stays out of the output)."
  type        = string
  default     = null
}

variable "hugging_face_token_kms_key_arn" {
  description = "Customer managed KMS key of the token's secret; the instance may decrypt with it only through Secrets Manager. Null: the secret uses the AWS managed key."
  type        = string
  default     = null

  validation {
    condition     = var.hugging_face_token_kms_key_arn == null || (@@RULE(kmsKeyArn, coalesce(var.hugging_face_token_kms_key_arn, "-"))@@)
    error_message = "The hugging_face_token_kms_key_arn must be @@RULE_TEXT(kmsKeyArn)@@."
  }
}

variable "allow_pickle_weights" {
  description = "Allow pickled PyTorch weights (pytorch_model*.bin) when the repository has no safetensors. Loading a pickle runs the repository's code in the compile job (which holds the token) and in the endpoint: only for repositories you trust."
  type        = bool
  default     = false
}

variable "deadline_minutes" {
  description = "Minutes after which the compile instance is terminated and the apply fails."
  type        = number
  default     = @@DEADLINE_DEFAULT@@

  validation {
    condition     = floor(var.deadline_minutes) == var.deadline_minutes && var.deadline_minutes >= @@DEADLINE_MIN@@ && var.deadline_minutes <= @@DEADLINE_MAX@@
    error_message = "The deadline_minutes must be a whole number from @@DEADLINE_MIN@@ to @@DEADLINE_MAX@@."
  }
}

variable "poll_interval_seconds" {
  description = "Seconds between the waiter's polls; at most a quarter of the deadline."
  type        = number
  default     = @@POLL_DEFAULT@@

  validation {
    condition     = floor(var.poll_interval_seconds) == var.poll_interval_seconds && var.poll_interval_seconds >= @@POLL_MIN@@ && var.poll_interval_seconds <= @@POLL_MAX@@
    error_message = "The poll_interval_seconds must be a whole number from @@POLL_MIN@@ to @@POLL_MAX@@."
  }
}

variable "abandon_after_minutes" {
  description = "Minutes the compile instance goes on without an apply renewing its lease (the apply was cancelled, killed, or lost its credentials) before it stops itself: what a killed apply costs at most. With waiter = \"cloudformation\" (no lease: the deadline bounds the instance), how long the prefix lock that its instance renews may go unrenewed before another compile takes the prefix over. Null is @@ABANDON_DEFAULT@@, or deadline_minutes when that is less."
  type        = number
  default     = null

  validation {
    condition     = var.abandon_after_minutes == null || (floor(coalesce(var.abandon_after_minutes, 0)) == coalesce(var.abandon_after_minutes, 0) && coalesce(var.abandon_after_minutes, 0) >= @@ABANDON_MIN@@ && coalesce(var.abandon_after_minutes, 0) <= @@ABANDON_MAX@@)
    error_message = "The abandon_after_minutes must be a whole number from @@ABANDON_MIN@@ to @@ABANDON_MAX@@, or null."
  }
}

variable "waiter" {
  description = "How terraform apply waits for the compile: \"local-exec\" (the AWS CLI on the machine of apply: the lease, the lock, spot fallback) or \"cloudformation\" (a CloudFormation stack owns the instance and waits for its signal, inside the AWS provider: Terraform Cloud's hosted runners, which have no AWS CLI)."
  type        = string
  default     = "local-exec"

  validation {
    condition     = contains(["local-exec", "cloudformation"], var.waiter)
    error_message = "The waiter must be \"local-exec\" or \"cloudformation\"."
  }
}

variable "root_volume_size_gib" {
  description = "Root volume of the compile instance in GiB. Null sizes it for the DLAMI, the container image and three copies of the checkpoint."
  type        = number
  default     = null

  validation {
    condition     = var.root_volume_size_gib == null || (floor(coalesce(var.root_volume_size_gib, 0)) == coalesce(var.root_volume_size_gib, 0) && coalesce(var.root_volume_size_gib, 0) >= @@ROOT_MIN@@ && coalesce(var.root_volume_size_gib, 0) <= @@ROOT_MAX@@)
    error_message = "The root_volume_size_gib must be a whole number from @@ROOT_MIN@@ to @@ROOT_MAX@@, or null."
  }
}

variable "tags" {
  description = "Tags for every resource, the instance and its volume, added to neuronx:model, neuronx:revision and ManagedBy."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : (@@RULE(tagKey, k)@@) && (@@RULE(tagValue, v)@@)])
    error_message = "The tags keys must each be @@RULE_TEXT(tagKey)@@, and the values @@RULE_TEXT(tagValue)@@."
  }

  validation {
    # AWS takes at most 50 tags a resource (the provider's default_tags count too); IAM compares keys without case.
    condition     = length(setunion(keys(var.tags), @@COMPILE_OWN_TAGS@@)) <= @@MAX_TAGS@@ && length(distinct([for k in setunion(keys(var.tags), @@COMPILE_OWN_TAGS@@) : lower(k)])) == length(setunion(keys(var.tags), @@COMPILE_OWN_TAGS@@))
    error_message = "The tags, with the module's own (@@COMPILE_OWN_TAGS_TEXT@@), must be at most @@MAX_TAGS@@, and no two keys may differ only in case (IAM refuses that)."
  }
}
