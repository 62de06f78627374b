# The same parameters as infra/cloudformation/pipeline.yaml, in Terraform's naming
# (KinesisShardCount -> kinesis_shard_count); infra/tests checks that they stay equal.

variable "project_name" {
  description = "Prefix of every resource name (lower case letters, digits, hyphens)."
  type        = string
  default     = "retail-analytics"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.project_name))
    error_message = "project_name must be 2-31 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment, part of every resource name."
  type        = string
  default     = "dev"
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment is dev, staging or prod."
  }
}

variable "kinesis_shard_count" {
  description = "Shards of the stream; each takes 1,000 records/s or 1 MiB/s (loadgen plan says how many)."
  type        = number
  default     = 1
  validation {
    condition     = var.kinesis_shard_count >= 1 && var.kinesis_shard_count <= 500
    error_message = "kinesis_shard_count is 1-500."
  }
}

variable "lambda_memory_size" {
  description = "Function memory, MB (CPU scales with it)."
  type        = number
  default     = 256
  validation {
    condition     = var.lambda_memory_size >= 128 && var.lambda_memory_size <= 10240
    error_message = "lambda_memory_size is 128-10240 MB."
  }
}

variable "lambda_timeout" {
  description = "Function timeout, seconds."
  type        = number
  default     = 120
  validation {
    condition     = var.lambda_timeout >= 1 && var.lambda_timeout <= 900
    error_message = "lambda_timeout is 1-900 seconds."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the bootstrap binary (build-function.sh builds either)."
  type        = string
  default     = "arm64"
  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture is arm64 or x86_64."
  }
}

variable "lambda_code_s3_bucket" {
  description = "S3 bucket holding the function's bootstrap zip."
  type        = string
  default     = "retail-analytics-artifacts"
}

variable "lambda_code_s3_key" {
  description = "S3 key of the bootstrap zip."
  type        = string
  default     = "retail-function/bootstrap.zip"
}

variable "dynamodb_billing_mode" {
  description = "On-demand (PAY_PER_REQUEST), or PROVISIONED with the capacities below."
  type        = string
  default     = "PAY_PER_REQUEST"
  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.dynamodb_billing_mode)
    error_message = "dynamodb_billing_mode is PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "dynamodb_read_capacity" {
  description = "Read capacity units (PROVISIONED only)."
  type        = number
  default     = 5
}

variable "dynamodb_write_capacity" {
  description = "Write capacity units (PROVISIONED only)."
  type        = number
  default     = 5
}

variable "enable_notifications" {
  description = "Send alarms to an SNS topic."
  type        = bool
  default     = false
}

variable "notification_email" {
  description = "E-mail address subscribed to the alarm topic (with enable_notifications)."
  type        = string
  default     = ""
  validation {
    condition     = var.notification_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.notification_email))
    error_message = "notification_email must be an e-mail address or empty."
  }
}

variable "enable_vpc" {
  description = "Run the function in your VPC's private subnets, reaching AWS only through VPC endpoints (no internet route needed)."
  type        = bool
  default     = false
}

variable "vpc_id" {
  description = "The VPC (with enable_vpc)."
  type        = string
  default     = ""
  validation {
    condition     = var.vpc_id == "" || can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc-...) or empty."
  }
}

variable "vpc_subnet_ids" {
  description = "Private subnets for the function's network interfaces and the interface endpoints, two or more Availability Zones (with enable_vpc)."
  type        = list(string)
  default     = []
}

variable "vpc_route_table_ids" {
  description = "Route tables of those subnets, for the DynamoDB gateway endpoint (with enable_vpc)."
  type        = list(string)
  default     = []
}

variable "vpc_security_group_id" {
  description = "The function's security group; empty creates one that sends only HTTPS (with enable_vpc)."
  type        = string
  default     = ""
  validation {
    condition     = var.vpc_security_group_id == "" || can(regex("^sg-[0-9a-f]{8,17}$", var.vpc_security_group_id))
    error_message = "vpc_security_group_id must be a security group id (sg-...) or empty."
  }
}

variable "loadgen_results_bucket" {
  description = "Bucket the loadgen workers write their results to (loadgen --out s3://BUCKET/PREFIX/); the configuration then creates loadgen_results_policy for that prefix."
  type        = string
  default     = ""
  validation {
    condition     = var.loadgen_results_bucket == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.loadgen_results_bucket))
    error_message = "loadgen_results_bucket must be an S3 bucket name or empty."
  }
}

variable "loadgen_results_prefix" {
  description = "Key prefix under loadgen_results_bucket the workers may write, read and list (with a trailing slash)."
  type        = string
  default     = "loads/"
  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()/-]*$", var.loadgen_results_prefix))
    error_message = "loadgen_results_prefix may hold letters, digits and !_.*'()/- only."
  }
}

variable "common_tags" {
  description = "Tags on every resource (Project and Environment are added)."
  type        = map(string)
  default     = {}
}
