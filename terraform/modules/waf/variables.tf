variable "name" {
  description = "Name of the web ACL and prefix of its metrics, for example quest-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9-]{1,100}$", var.name))
    error_message = "name must be 1-100 letters, digits or hyphens."
  }
}

variable "resource_arn" {
  description = "ARN of the regional resource (the application load balancer) the web ACL protects."
  type        = string
}

variable "allowed_country_codes" {
  description = "ISO 3166-1 alpha-2 codes of the countries allowed to reach the service; requests from anywhere else are blocked."
  type        = list(string)
  default     = ["US"]

  validation {
    condition     = length(var.allowed_country_codes) >= 1 && alltrue([for c in var.allowed_country_codes : can(regex("^[A-Z]{2}$", c))])
    error_message = "allowed_country_codes must list at least one two-letter upper-case country code."
  }
}

variable "rate_limit" {
  description = "Maximum requests per client IP in any 5-minute window before that IP is blocked."
  type        = number
  default     = 2000

  validation {
    condition     = var.rate_limit >= 10 && var.rate_limit <= 2000000000
    error_message = "rate_limit must be between 10 and 2,000,000,000 (the WAFv2 limits)."
  }
}

variable "log_retention_days" {
  description = "Retention of the WAF log group, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the WAF log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}
