terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "@@AWS_PROVIDER_CONSTRAINT@@"
    }
  }
}
