variable "region" {
  description = "AWS region of the state bucket; the environments pass the same region to `terraform init -backend-config=region=...`."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "state_bucket_name" {
  description = "Globally unique name of the S3 bucket that holds the Terraform state of every environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name)) && !strcontains(var.state_bucket_name, "..")
    error_message = "state_bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "kms_key_arn" {
  description = "ARN of a customer-managed KMS key for the bucket's default encryption. Null uses the AWS-managed key aws/s3 (still SSE-KMS)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN or null."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which a superseded state version is deleted. Keep it long enough to recover from a bad apply."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of at least 1."
  }
}

variable "noncurrent_versions_to_keep" {
  description = "Number of most recent noncurrent versions kept regardless of their age; 0 lets every noncurrent version expire by age alone."
  type        = number
  default     = 10

  validation {
    condition     = var.noncurrent_versions_to_keep >= 0 && var.noncurrent_versions_to_keep <= 100
    error_message = "noncurrent_versions_to_keep must be between 0 and 100."
  }
}

variable "deny_insecure_transport" {
  description = "Attach the bucket policy that denies every request not made over TLS (aws:SecureTransport = false). Only an endpoint that speaks plain HTTP, such as a local emulator in tests, needs this off."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete the bucket with its state objects. Keep false outside throwaway test accounts."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags applied to every resource through the provider's default_tags."
  type        = map(string)
  default = {
    Project   = "quest"
    ManagedBy = "terraform"
    Component = "bootstrap"
  }
}
