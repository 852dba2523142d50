# Inputs of one environment. Values whose rules belong to a single child
# module (task sizes, log retention, country codes, ...) are validated there;
# the rules that span the stack are validated here.

# --- Identity and state ------------------------------------------------------------

variable "project" {
  description = "Project name; prefixes every resource name (<project>-<environment>) and names the ECS service and container."
  type        = string
  default     = "quest"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}$", var.project))
    error_message = "project must be 2-15 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name, for example dev or prod; the second part of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2-10 lowercase letters or digits, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of the environment; must be the region of the calling root's provider."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "state_bucket" {
  description = "Name of the state bucket, as given to `terraform init -backend-config=bucket=...` (the infra-deployer role may read and write the state in it)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be a valid S3 bucket name."
  }
}

variable "state_key" {
  description = "State object key, as given to `terraform init -backend-config=key=...`."
  type        = string

  validation {
    condition     = length(var.state_key) > 0 && !startswith(var.state_key, "/")
    error_message = "state_key must be a non-empty object key without a leading slash."
  }
}

variable "kms_deletion_window_days" {
  description = "Days a deleted KMS key of the environment can still be restored (the key encrypts the logs, images and SECRET_WORD)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

# --- Network -----------------------------------------------------------------------------

variable "vpc_cidr_block" {
  description = "IPv4 CIDR block of the environment's VPC (/24 or larger); split into two public and two private subnets."
  type        = string
}

variable "availability_zones" {
  description = "The two availability zones of the environment. Pinned, not looked up: a zone list that changes would replace the subnets."
  type        = list(string)

  validation {
    condition     = alltrue([for az in var.availability_zones : startswith(az, var.region)])
    error_message = "availability_zones must be zones of var.region (for example us-east-1a and us-east-1b for us-east-1)."
  }
}

# --- Load balancer, TLS and DNS ----------------------------------------------------------

variable "certificate_arn" {
  description = "ARN of an existing ACM certificate for the HTTPS listener. Required unless dns is set (then the dns module issues one)."
  type        = string
  default     = null
}

variable "dns" {
  description = "Optional DNS: an existing Route 53 public hosted zone and the name to serve. When set, the certificate is issued and DNS-validated in that zone and an alias record points at the load balancer."
  type = object({
    zone_id     = string
    domain_name = string
  })
  default = null

  validation {
    condition     = (var.dns == null) != (var.certificate_arn == null)
    error_message = "Set exactly one of dns (issue a certificate) and certificate_arn (use an existing one)."
  }
}

variable "alb_deletion_protection" {
  description = "Protect the load balancer from deletion."
  type        = bool
  default     = true
}

variable "alb_access_logs_bucket" {
  description = "Existing S3 bucket for load balancer access logs; null disables them."
  type        = string
  default     = null
}

variable "allowed_country_codes" {
  description = "Countries (ISO 3166-1 alpha-2) the WAF lets through."
  type        = list(string)
  default     = ["US"]
}

variable "waf_rate_limit" {
  description = "Requests per client IP per 5 minutes before the WAF blocks that IP."
  type        = number
  default     = 2000
}

# --- Service -----------------------------------------------------------------------------

variable "initial_image_tag" {
  description = "Image tag of the first task definition revision Terraform registers. Later revisions are rolled out by quest-changes and ignored by Terraform."
  type        = string
  default     = "initial"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}$", var.initial_image_tag))
    error_message = "initial_image_tag must be a valid image tag."
  }
}

variable "secret_word_parameter_name" {
  description = "SSM SecureString parameter holding SECRET_WORD; created outside Terraform so its value never reaches the state. null means /<project>/<environment>/secret_word."
  type        = string
  default     = null
}

variable "task_size" {
  description = "Fargate task size and CPU architecture (the architecture must match the image)."
  type = object({
    cpu              = optional(number, 256)
    memory           = optional(number, 512)
    cpu_architecture = optional(string, "X86_64")
  })
  default = {}
}

variable "desired_count" {
  description = "Tasks at creation (two per availability zone); auto scaling owns the count afterwards."
  type        = number
  default     = 4
}

variable "autoscaling" {
  description = "Bounds and targets of the service's auto scaling (used when enable_autoscaling is true)."
  type = object({
    min_capacity        = optional(number, 4)
    max_capacity        = optional(number, 8)
    cpu_target_percent  = optional(number, 60)
    requests_per_target = optional(number, 1000)
  })
  default = {}
}

variable "ecr_force_delete" {
  description = "Let destroy delete the ECR repository while it still holds images (only when this environment creates it)."
  type        = bool
  default     = false
}

# --- Images: built once, in one account's repository ------------------------------------

variable "ecr_pull_account_ids" {
  description = "Accounts of the other environments that run the images built and pushed here: the repository this environment creates lets them pull (cross-account). Empty for an environment whose images no other account runs."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.ecr_pull_account_ids) == 0 || var.shared_ecr_repository == null
    error_message = "ecr_pull_account_ids applies only to the repository this environment creates; leave it empty when shared_ecr_repository is set."
  }
}

variable "shared_ecr_repository" {
  description = "The repository of the environment that builds the images, in another account (its outputs ecr_repository_arn and ecr_repository_url). When set, this environment creates no repository: its execution role pulls from that one, whose policy must list this account (ecr_pull_account_ids of the owning environment). null: create the environment's own repository."
  type = object({
    arn = string
    url = string
  })
  default = null

  validation {
    condition = var.shared_ecr_repository == null ? true : (
      can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/[a-z0-9._/-]+$", var.shared_ecr_repository.arn)) &&
      can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+$", var.shared_ecr_repository.url))
    )
    error_message = "shared_ecr_repository.arn must be an ECR repository ARN and shared_ecr_repository.url its URL (<account>.dkr.ecr.<region>.amazonaws.com/<name>)."
  }

  validation {
    # <account>.dkr.ecr.<region>.<suffix>/<name> rewritten as <region>:<account>:repository/<name>,
    # the tail of the ARN.
    condition = var.shared_ecr_repository == null ? true : (
      replace(var.shared_ecr_repository.url, "/^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.[^/]+/(.+)$/", "$2:$1:repository/$3") ==
      replace(var.shared_ecr_repository.arn, "/^arn:[^:]+:ecr:/", "")
    )
    error_message = "shared_ecr_repository.arn and .url must name the same repository (account, region and name)."
  }
}

variable "log_retention_days" {
  description = "Retention of every log group of the environment, in days."
  type        = number
  default     = 365
}

# --- CI access -----------------------------------------------------------------------------

variable "circleci" {
  description = "CircleCI organisation, project, repository and branch whose pipelines may assume the deployer roles (see ../ci_access)."
  type = object({
    organization_id = string
    project_id      = string
    vcs_origin      = string
    branch          = optional(string, "main")
  })
}

variable "circleci_oidc_provider_arn" {
  description = "ARN of an existing CircleCI OIDC provider in the account; null creates it (one per account)."
  type        = string
  default     = null
}

variable "promotion_reader_principal_arns" {
  description = "Roles in other accounts (the service-deployers of the environments promoted to from this one) that may assume this environment's promotion-reader role to read it during a promotion (see ../ci_access). Empty: no such role."
  type        = list(string)
  default     = []
}

variable "service_deployer_assume_role_arns" {
  description = "Roles the service-deployer may assume: the promotion-reader roles of the environments this one is promoted from, in their accounts (see ../ci_access)."
  type        = list(string)
  default     = []
}

# --- Feature switches ----------------------------------------------------------------------
# Each defaults to on; turning one off removes that part of the design (for
# example in an emulated test account that lacks the API).

variable "enable_autoscaling" {
  description = "Create the Application Auto Scaling target and its CPU and request-count policies."
  type        = bool
  default     = true
}

variable "enable_waf" {
  description = "Create the WAF web ACL, its association with the load balancer and its logging."
  type        = bool
  default     = true
}

variable "enable_flow_logs" {
  description = "Create the VPC flow logs."
  type        = bool
  default     = true
}

variable "enable_ci_access" {
  description = "Create the CircleCI OIDC provider and the deployer roles."
  type        = bool
  default     = true
}
