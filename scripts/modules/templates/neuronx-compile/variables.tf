variable "model_id" {
  description = "Hugging Face model id, e.g. meta-llama/Meta-Llama-3-8B-Instruct."
  type        = string

  validation {
    condition     = can(regex(@@PATTERN_MODEL_ID@@, var.model_id)) && !strcontains(var.model_id, "--") && !strcontains(var.model_id, "..") && length(var.model_id) <= 96
    error_message = "The model_id must be a Hugging Face repository id such as \"meta-llama/Meta-Llama-3-8B-Instruct\": letters, digits, \"-\", \"_\", \".\", at most one \"/\", 96 characters at most."
  }
}

variable "revision" {
  description = "Hugging Face revision: a branch, a tag or a commit. It is part of the cache key; pin a commit for reproducible builds."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex(@@PATTERN_REVISION@@, var.revision)) && !strcontains(var.revision, "..")
    error_message = "The revision must be a branch, tag or commit hash: letters, digits, \"-\", \"_\", \".\", \"/\", 128 characters at most."
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
  description = "Batch size the model is compiled for."
  type        = number
  default     = @@BATCH_SIZE_DEFAULT@@

  validation {
    condition     = floor(var.batch_size) == var.batch_size && var.batch_size >= @@BATCH_SIZE_MIN@@ && var.batch_size <= @@BATCH_SIZE_MAX@@
    error_message = "The batch_size must be a whole number from @@BATCH_SIZE_MIN@@ to @@BATCH_SIZE_MAX@@."
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
  description = "Neuron compiler optimization level: 1 (fast compile), 2 (balanced), 3 (best model execution performance)."
  type        = number
  default     = @@OPT_LEVEL_DEFAULT@@

  validation {
    condition     = contains(@@OPT_LEVELS@@, var.opt_level)
    error_message = "The opt_level must be one of @@OPT_LEVELS_TEXT@@."
  }
}

variable "bucket_name" {
  description = "An existing bucket for the artifacts. Null creates a private, encrypted, versioned, TLS-only one."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || (can(regex(@@PATTERN_BUCKET@@, coalesce(var.bucket_name, "-"))) && !strcontains(coalesce(var.bucket_name, "-"), ".."))
    error_message = "The bucket_name must be an S3 bucket name: 3 to 63 lowercase letters, digits, \".\" and \"-\", starting and ending with a letter or digit."
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
    condition     = var.subnet_id == null || can(regex(@@PATTERN_SUBNET@@, coalesce(var.subnet_id, "-")))
    error_message = "The subnet_id must be a subnet id such as \"subnet-0123456789abcdef0\"."
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
    condition     = var.instance_type == null || contains(@@INSTANCE_TYPES@@, coalesce(var.instance_type, "-"))
    error_message = "The instance_type must be one of @@INSTANCE_TYPES_TEXT@@, or null."
  }
}

variable "serving_instance_type" {
  description = "EC2 name of the instance type the model is compiled to be served on; it sets the default TP degree. Null chooses the smallest that holds the model."
  type        = string
  default     = null

  validation {
    condition     = var.serving_instance_type == null || contains(@@INSTANCE_TYPES@@, coalesce(var.serving_instance_type, "-"))
    error_message = "The serving_instance_type must be one of @@INSTANCE_TYPES_TEXT@@, or null."
  }
}

variable "ami_id" {
  description = "AMI of the compile instance (it needs the Neuron driver). Null reads ami_ssm_parameter."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null || can(regex(@@PATTERN_AMI@@, coalesce(var.ami_id, "-")))
    error_message = "The ami_id must be an AMI id such as \"ami-0123456789abcdef0\"."
  }
}

variable "ami_ssm_parameter" {
  description = "SSM parameter holding the AMI id, read at plan time when ami_id is null."
  type        = string
  default     = "@@AMI_SSM_PARAMETER@@"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.\\-/]+$", var.ami_ssm_parameter))
    error_message = "The ami_ssm_parameter must be an SSM parameter name starting with \"/\"."
  }
}

variable "container_image_uri" {
  description = "Private ECR image that compiles (and serves) the model. Null uses the region's PyTorch inference Neuron DLC, @@DLC_TAG@@."
  type        = string
  default     = null

  validation {
    condition     = var.container_image_uri == null || can(regex(@@PATTERN_ECR_URI@@, coalesce(var.container_image_uri, "-")))
    error_message = "The container_image_uri must be a private ECR image, <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>, because SageMaker pulls only from ECR."
  }
}

variable "neuron_sdk_version" {
  description = "Neuron SDK release of the container image; part of the cache key. Set it with container_image_uri."
  type        = string
  default     = "@@SDK_VERSION@@"

  validation {
    condition     = can(regex("^2\\.(1[89]|[2-9][0-9])(\\.[0-9]+)?$", var.neuron_sdk_version))
    error_message = "The neuron_sdk_version must be a Neuron SDK 2.x release from 2.18 on, such as \"2.21.0\" (transformers-neuronx reads Hugging Face checkpoints directly from 2.18)."
  }
}

variable "hugging_face_token_secret_arn" {
  description = "Secrets Manager secret holding a Hugging Face token, for gated models. The instance reads it; it never enters user data, state or logs."
  type        = string
  default     = null

  validation {
    condition     = var.hugging_face_token_secret_arn == null || can(regex(@@PATTERN_SECRET_ARN@@, coalesce(var.hugging_face_token_secret_arn, "-")))
    error_message = "The hugging_face_token_secret_arn must be a Secrets Manager secret ARN."
  }
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
  description = "Minutes the compile instance goes on without an apply renewing its lease (the apply was cancelled, killed, or lost its credentials) before it stops itself: what a killed apply costs at most. Null is @@ABANDON_DEFAULT@@, or deadline_minutes when that is less."
  type        = number
  default     = null

  validation {
    condition     = var.abandon_after_minutes == null || (floor(coalesce(var.abandon_after_minutes, 0)) == coalesce(var.abandon_after_minutes, 0) && coalesce(var.abandon_after_minutes, 0) >= @@ABANDON_MIN@@ && coalesce(var.abandon_after_minutes, 0) <= @@ABANDON_MAX@@)
    error_message = "The abandon_after_minutes must be a whole number from @@ABANDON_MIN@@ to @@ABANDON_MAX@@, or null."
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
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && !startswith(lower(k), "aws:") && length(v) <= 256])
    error_message = "The tags keys must be 1 to 128 characters and not start with \"aws:\"; values at most 256 characters."
  }
}
