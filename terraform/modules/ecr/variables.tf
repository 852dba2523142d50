variable "name" {
  description = "Name of the ECR repository, for example quest-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.name)) && length(var.name) <= 256
    error_message = "name must be a valid ECR repository name (lowercase letters, digits, ., _, - and / separators)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the images at rest."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "keep_last_images" {
  description = "Number of most recent images the lifecycle policy keeps; older ones are expired. Enough to roll back several releases."
  type        = number
  default     = 30

  validation {
    condition     = var.keep_last_images >= 1 && var.keep_last_images <= 1000 && floor(var.keep_last_images) == var.keep_last_images
    error_message = "keep_last_images must be a whole number between 1 and 1000."
  }
}

variable "promoted_environments" {
  description = "Environments whose promoted images (tagged <env>-<commit> by quest-changes promote) the lifecycle policy keeps apart from the building environment's pushes. Empty: no such rule."
  type        = list(string)
  default     = ["prod"]

  validation {
    condition     = alltrue([for e in var.promoted_environments : can(regex("^[A-Za-z0-9_-]+$", e))])
    error_message = "promoted_environments must be environment names of letters, digits, - and _."
  }
}

variable "keep_promoted_images" {
  description = "Number of most recent promoted images (per the promoted_environments prefixes, together) the lifecycle policy keeps: what runs there and the revisions a rollback returns to."
  type        = number
  default     = 10

  validation {
    condition     = var.keep_promoted_images >= 1 && var.keep_promoted_images <= 1000 && floor(var.keep_promoted_images) == var.keep_promoted_images
    error_message = "keep_promoted_images must be a whole number between 1 and 1000."
  }
}

variable "untagged_image_expiry_days" {
  description = "Days after which untagged images (left behind by interrupted pushes) are expired."
  type        = number
  default     = 7

  validation {
    condition     = var.untagged_image_expiry_days >= 1 && floor(var.untagged_image_expiry_days) == var.untagged_image_expiry_days
    error_message = "untagged_image_expiry_days must be a whole number of at least 1."
  }
}

variable "force_delete" {
  description = "Let `terraform destroy` delete the repository while it still holds images. Keep false for environments whose images matter."
  type        = bool
  default     = false
}

variable "pull_account_ids" {
  description = "Other AWS accounts whose principals may pull images from this repository (the environments that run images built once in this account). Empty: no repository policy, only this account can pull."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.pull_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "pull_account_ids must be 12-digit AWS account ids."
  }
}
