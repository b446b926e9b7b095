variable "backend" {
  description = "What compiles and serves: \"transformers-neuronx\" or \"@@OPTIMUM_BACKEND@@\" (optimum-neuron's export, the vLLM Neuron DLC; n_positions is its sequence length, and quant_dtype must be null)."
  type        = string
  default     = "transformers-neuronx"
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "model_id" {
  description = "Hugging Face model id."
  type        = string
  default     = "@@EXAMPLE_MODEL@@"
}

variable "architecture" {
  description = "The model's architecture (model_type), for a repository whose name does not show it or shows another one; null reads it from the name."
  type        = string
  default     = null
}

variable "revision" {
  description = "Hugging Face revision; pin a commit for reproducible builds."
  type        = string
  default     = "main"
}

variable "parameters_billion" {
  description = "Parameter count of the model in billions."
  type        = number
  default     = @@EXAMPLE_PARAMETERS@@
}

variable "n_positions" {
  description = "Maximum sequence length (prompt plus generated tokens)."
  type        = number
  default     = @@EXAMPLE_N_POSITIONS@@
}

variable "quant_dtype" {
  description = "\"s8\" for int8 weights, or null."
  type        = string
  default     = null
}

variable "spot" {
  description = "Spot capacity first for the compile instance."
  type        = bool
  default     = false
}

variable "ami_id" {
  description = "AMI of the compile instance; null reads the Neuron DLAMI's SSM parameter."
  type        = string
  default     = null
}

variable "hugging_face_token_secret_arn" {
  description = "Secrets Manager secret with a Hugging Face token, for gated models."
  type        = string
  default     = null
}

variable "poll_interval_seconds" {
  description = "Seconds between the waiter's polls."
  type        = number
  default     = 30
}

variable "bucket_name" {
  description = "An existing bucket for the artifacts. Null creates one."
  type        = string
  default     = null
}

variable "bucket_force_destroy" {
  description = "Empty the created artifact bucket on destroy."
  type        = bool
  default     = false
}

variable "endpoint_name" {
  description = "Name of the SageMaker endpoint."
  type        = string
  default     = "compile-and-serve"
}

variable "instance_count" {
  description = "Instances behind the endpoint."
  type        = number
  default     = 1
}

variable "aws_endpoint_url" {
  description = "An AWS emulator's URL (the rehearsal): every AWS call goes there. Null for AWS."
  type        = string
  default     = null
}
