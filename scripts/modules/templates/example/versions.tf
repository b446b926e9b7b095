terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "@@AWS_PROVIDER_PIN@@"
    }
    null = {
      source  = "hashicorp/null"
      version = "@@NULL_PROVIDER_PIN@@"
    }
  }
}
