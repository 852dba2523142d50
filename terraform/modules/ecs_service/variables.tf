variable "cluster_name" {
  description = "Name of the ECS cluster, for example quest-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_-]{0,254}$", var.cluster_name))
    error_message = "cluster_name must start with a letter and contain only letters, digits, hyphens and underscores (at most 255)."
  }
}

variable "service_name" {
  description = "Name of the ECS service (and the task definition family suffix)."
  type        = string
  default     = "quest"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_-]{0,254}$", var.service_name))
    error_message = "service_name must start with a letter and contain only letters, digits, hyphens and underscores."
  }
}

variable "container_name" {
  description = "Name of the application container in the task definition; deploy tools address the image by it."
  type        = string
  default     = "quest"

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$", var.container_name))
    error_message = "container_name must contain only letters, digits, hyphens and underscores."
  }
}

variable "image" {
  description = "Image of the first task definition revision (<repository_url>:<tag>). Later revisions are rolled out by quest-changes, not by Terraform."
  type        = string

  validation {
    condition     = can(regex("^[^\\s]+[:@][^\\s]+$", var.image))
    error_message = "image must be a full reference with a tag or digest, for example 123456789012.dkr.ecr.us-east-1.amazonaws.com/quest-dev:v1."
  }
}

variable "ecr_repository_arn" {
  description = "ARN of the ECR repository the execution role may pull from; it may be in another account (images built once), whose repository policy must then allow this account to pull."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecr:", var.ecr_repository_arn))
    error_message = "ecr_repository_arn must be an ECR repository ARN."
  }
}

variable "container_port" {
  description = "Port the app listens on (passed to it as PORT)."
  type        = number
  default     = 3000

  validation {
    condition     = var.container_port >= 1024 && var.container_port <= 65535
    error_message = "container_port must be an unprivileged TCP port (1024-65535): the container runs as a non-root user."
  }
}

variable "task_size" {
  description = "Fargate task size and CPU architecture. cpu/memory must be a combination Fargate supports."
  type = object({
    cpu              = optional(number, 256)
    memory           = optional(number, 512)
    cpu_architecture = optional(string, "X86_64")
  })
  default = {}

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.task_size.cpu)
    error_message = "task_size.cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384."
  }

  validation {
    condition     = var.task_size.memory >= var.task_size.cpu * 2 && var.task_size.memory <= var.task_size.cpu * 8
    error_message = "task_size.memory must be between 2x and 8x task_size.cpu (in MiB), as Fargate requires."
  }

  validation {
    condition     = contains(["X86_64", "ARM64"], var.task_size.cpu_architecture)
    error_message = "task_size.cpu_architecture must be X86_64 or ARM64 (match the image you build)."
  }
}

variable "environment" {
  description = "Plain (non-secret) environment variables of the container. PORT is set from container_port."
  type        = map(string)
  default     = {}

  validation {
    condition     = !contains(keys(var.environment), "SECRET_WORD") && !contains(keys(var.environment), "PORT")
    error_message = "environment must not set SECRET_WORD (it comes from SSM) or PORT (it comes from container_port)."
  }
}

variable "secret_word_parameter_name" {
  description = "Name of the SSM Parameter Store SecureString holding SECRET_WORD, for example /quest/dev/secret_word. It is created outside Terraform (see README) so the value never enters the state."
  type        = string

  validation {
    condition     = can(regex("^/[a-zA-Z0-9_.\\-/]+$", var.secret_word_parameter_name))
    error_message = "secret_word_parameter_name must be a fully qualified parameter name starting with /."
  }
}

variable "secrets_kms_key_arn" {
  description = "ARN of the KMS key the SecureString is encrypted with; the execution role may decrypt with it through SSM only. Null when the parameter uses the AWS-managed aws/ssm key."
  type        = string
  default     = null

  validation {
    condition     = var.secrets_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.secrets_kms_key_arn))
    error_message = "secrets_kms_key_arn must be a KMS key ARN or null."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the service's log groups and ECS Exec sessions."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Retention of the container log group, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts."
  }
}

variable "vpc_id" {
  description = "ID of the VPC."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR block of the VPC; the tasks may reach the interface endpoints inside it over HTTPS."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0))
    error_message = "vpc_cidr_block must be a valid IPv4 CIDR block."
  }
}

variable "subnet_ids" {
  description = "Private subnets (one per availability zone) the tasks run in."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets in different availability zones."
  }
}

variable "s3_prefix_list_id" {
  description = "Prefix list of the S3 gateway endpoint; the tasks may reach it over HTTPS (ECR image layers live in S3)."
  type        = string
}

variable "alb_security_group_id" {
  description = "Security group of the load balancer; the only source allowed to reach the container port."
  type        = string
}

variable "target_group_arn" {
  description = "ARN of the load balancer target group the tasks register in."
  type        = string
}

variable "desired_count" {
  description = "Number of tasks at creation. ECS spreads them over the subnets' zones (4 = two per zone); afterwards auto scaling owns the count."
  type        = number
  default     = 4

  validation {
    condition     = var.desired_count >= 0 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number of at least 0."
  }

  validation {
    condition     = !var.autoscaling.enabled || (var.desired_count >= var.autoscaling.min_capacity && var.desired_count <= var.autoscaling.max_capacity)
    error_message = "desired_count must lie between autoscaling.min_capacity and autoscaling.max_capacity when auto scaling is enabled."
  }
}

variable "deployment" {
  description = "Rolling deployment settings. 100/200 keeps full capacity during a deployment; the circuit breaker rolls back a deployment that cannot reach steady state."
  type = object({
    minimum_healthy_percent           = optional(number, 100)
    maximum_percent                   = optional(number, 200)
    circuit_breaker_rollback          = optional(bool, true)
    health_check_grace_period_seconds = optional(number, 60)
    stop_timeout_seconds              = optional(number, 30)
  })
  default = {}

  validation {
    condition     = var.deployment.minimum_healthy_percent >= 0 && var.deployment.minimum_healthy_percent <= 100
    error_message = "deployment.minimum_healthy_percent must be between 0 and 100."
  }

  validation {
    condition     = var.deployment.maximum_percent >= 100 && var.deployment.maximum_percent <= 200
    error_message = "deployment.maximum_percent must be between 100 and 200."
  }

  validation {
    condition     = var.deployment.stop_timeout_seconds >= 2 && var.deployment.stop_timeout_seconds <= 120
    error_message = "deployment.stop_timeout_seconds must be between 2 and 120 (the Fargate limit)."
  }
}

variable "autoscaling" {
  description = "Application Auto Scaling of the service's desired count: target tracking on average CPU and on ALB requests per target. enabled = false leaves the count at desired_count."
  type = object({
    enabled                    = optional(bool, true)
    min_capacity               = optional(number, 4)
    max_capacity               = optional(number, 12)
    cpu_target_percent         = optional(number, 60)
    requests_per_target        = optional(number, 1000)
    scale_in_cooldown_seconds  = optional(number, 300)
    scale_out_cooldown_seconds = optional(number, 60)
    alb_request_count_label    = optional(string)
  })
  default = {}

  validation {
    condition     = var.autoscaling.min_capacity >= 1 && var.autoscaling.min_capacity <= var.autoscaling.max_capacity
    error_message = "autoscaling.min_capacity must be at least 1 and not above autoscaling.max_capacity."
  }

  validation {
    condition     = var.autoscaling.cpu_target_percent > 0 && var.autoscaling.cpu_target_percent < 100
    error_message = "autoscaling.cpu_target_percent must be between 0 and 100 (exclusive)."
  }

  validation {
    condition     = var.autoscaling.requests_per_target >= 1
    error_message = "autoscaling.requests_per_target must be at least 1."
  }

  validation {
    condition     = !var.autoscaling.enabled || var.autoscaling.alb_request_count_label != null
    error_message = "autoscaling.alb_request_count_label (<alb arn suffix>/<target group arn suffix>) is required when autoscaling is enabled."
  }
}

variable "enable_container_insights" {
  description = "Turn on CloudWatch Container Insights for the cluster."
  type        = bool
  default     = true
}

variable "enable_execute_command" {
  description = "Allow ECS Exec into running tasks (adds the SSM messages permissions to the task role). Off by default: the task role then has no permissions at all."
  type        = bool
  default     = false
}
