terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80.0, < 7.0.0"
    }
  }
}

provider "aws" {
  default_tags {
    tags = merge(var.common_tags, {
      Project     = var.project_name
      Environment = var.environment
    })
  }
}
