variable "name" {
  description = "Name prefix of the load balancer, its security group and target group, for example quest-dev (at most 26 characters: target group names are limited to 32)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,24}[a-z0-9]$", var.name))
    error_message = "name must be 3-26 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "vpc_id" {
  description = "ID of the VPC."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR block of the VPC; the load balancer may only send traffic to targets inside it."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0))
    error_message = "vpc_cidr_block must be a valid IPv4 CIDR block."
  }
}

variable "public_subnet_ids" {
  description = "Public subnets (one per availability zone) the load balancer is placed in."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "public_subnet_ids must list at least two subnets in different zones."
  }
}

variable "certificate_arn" {
  description = "ARN of the ACM certificate served by the HTTPS listener."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:(acm|iam):", var.certificate_arn))
    error_message = "certificate_arn must be an ACM (or IAM server) certificate ARN."
  }
}

variable "ssl_policy" {
  description = "TLS security policy of the HTTPS listener. The default accepts TLS 1.3 and 1.2 with forward-secret ciphers only."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = startswith(var.ssl_policy, "ELBSecurityPolicy-TLS13-") || startswith(var.ssl_policy, "ELBSecurityPolicy-FS-1-2-")
    error_message = "ssl_policy must be a TLS 1.2+ policy (ELBSecurityPolicy-TLS13-* or ELBSecurityPolicy-FS-1-2-*)."
  }
}

variable "ingress_cidr_blocks" {
  description = "Client CIDR blocks allowed to reach ports 80 and 443. Country filtering is done by the WAF, not here."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = alltrue([for c in var.ingress_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "ingress_cidr_blocks must be IPv4 CIDR blocks."
  }
}

variable "target_port" {
  description = "Port the containers listen on."
  type        = number
  default     = 3000

  validation {
    condition     = var.target_port >= 1 && var.target_port <= 65535
    error_message = "target_port must be a TCP port number."
  }
}

variable "health_check" {
  description = "Target group health check against the app's /healthz route."
  type = object({
    path                = optional(string, "/healthz")
    matcher             = optional(string, "200")
    interval            = optional(number, 15)
    timeout             = optional(number, 5)
    healthy_threshold   = optional(number, 2)
    unhealthy_threshold = optional(number, 3)
  })
  default = {}

  validation {
    condition     = startswith(var.health_check.path, "/")
    error_message = "health_check.path must start with /."
  }

  validation {
    condition     = var.health_check.timeout < var.health_check.interval
    error_message = "health_check.timeout must be shorter than health_check.interval."
  }
}

variable "deregistration_delay" {
  description = "Seconds the load balancer keeps draining a deregistered task; keep it below the container's stop timeout."
  type        = number
  default     = 30

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600
    error_message = "deregistration_delay must be between 0 and 3600 seconds."
  }
}

variable "idle_timeout" {
  description = "Idle connection timeout of the load balancer, in seconds."
  type        = number
  default     = 60

  validation {
    condition     = var.idle_timeout >= 1 && var.idle_timeout <= 4000
    error_message = "idle_timeout must be between 1 and 4000 seconds."
  }
}

variable "deletion_protection" {
  description = "Protect the load balancer from deletion. On in prod; off where environments are torn down."
  type        = bool
  default     = true
}

variable "access_logs" {
  description = "Optional access logs to an existing S3 bucket (its policy must allow the regional ELB log delivery). Null disables them."
  type = object({
    bucket = string
    prefix = optional(string, "alb")
  })
  default = null
}
