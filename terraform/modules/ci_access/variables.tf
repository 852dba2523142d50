variable "name_prefix" {
  description = "Prefix of the role names and of every IAM role the infra-deployer may manage, for example quest-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9+=,.@_-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 characters valid in IAM role names, starting with a letter."
  }
}

variable "circleci" {
  description = <<-EOT
    The CircleCI project whose pipelines may assume the roles. organization_id and
    project_id are the UUIDs from the CircleCI settings pages; vcs_origin is the
    repository as CircleCI reports it (for example github.com/acme/quest); branch is
    the only branch whose jobs may assume the roles. Jobs must use $CIRCLE_OIDC_TOKEN_V2,
    whose sub claim carries the origin and the ref the trust policies pin.
  EOT
  type = object({
    organization_id = string
    project_id      = string
    vcs_origin      = string
    branch          = optional(string, "main")
  })

  validation {
    condition = alltrue([
      for id in [var.circleci.organization_id, var.circleci.project_id] :
      can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", id))
    ])
    error_message = "circleci.organization_id and circleci.project_id must be lowercase UUIDs."
  }

  validation {
    condition     = can(regex("^[a-zA-Z0-9.-]+/[^*?\\s]+$", var.circleci.vcs_origin))
    error_message = "circleci.vcs_origin must look like github.com/<org>/<repo> and contain no wildcards."
  }

  validation {
    condition     = length(var.circleci.branch) > 0 && !can(regex("[*?\\s]", var.circleci.branch))
    error_message = "circleci.branch must be a branch name without wildcards or spaces."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's IAM OIDC provider for the CircleCI organisation. An account holds one per URL: create it in one root and pass its ARN (oidc_provider_arn) to the others."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "ARN of an existing CircleCI OIDC provider; required when create_oidc_provider is false."
  type        = string
  default     = null

  validation {
    condition     = var.oidc_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/oidc\\.circleci\\.com/org/", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be the ARN of a CircleCI OIDC provider (arn:aws:iam::<account>:oidc-provider/oidc.circleci.com/org/<id>)."
  }

  validation {
    condition     = var.create_oidc_provider || var.oidc_provider_arn != null
    error_message = "oidc_provider_arn is required when create_oidc_provider is false."
  }
}

variable "max_session_duration" {
  description = "Maximum session length of the roles, in seconds."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "service" {
  description = "The deployable service the service-deployer role may update. ecr_push = false for an environment that runs images pushed by another (its repository is in another account): the role may then read and pull, not push."
  type = object({
    ecr_repository_arn = string
    ecr_push           = optional(bool, true)
    cluster_arn        = string
    service_arn        = string
    execution_role_arn = string
    task_role_arn      = string
  })
}

variable "state" {
  description = "Where this environment's Terraform state lives; the infra-deployer may read and write only that object and its lock file."
  type = object({
    bucket = string
    key    = string
  })

  validation {
    condition     = length(var.state.bucket) >= 3 && length(var.state.key) > 0 && !startswith(var.state.key, "/")
    error_message = "state.bucket must be a bucket name and state.key a non-empty key without a leading slash."
  }
}

variable "create_planner_role" {
  description = "Create the read-only infra-planner role that pull request pipelines (any branch of the project) assume to plan and comment."
  type        = bool
  default     = true
}

variable "planner_decrypt_key_arns" {
  description = "KMS keys whose SSM SecureString parameters the planner may decrypt while refreshing (through SSM only). Empty: a plan that refreshes such a parameter fails for the planner, which keeps secret values away from pull request code."
  type        = list(string)
  default     = []
}

variable "promotion_reader_principal_arns" {
  description = "Roles of other environments, in other accounts, that may assume this environment's promotion-reader role (<name_prefix>-promotion-reader) to read its service and images and tag a promoted digest: the service-deployer role of each environment promoted to from here. Empty: no such role."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.promotion_reader_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[a-zA-Z0-9+=,.@_/-]+$", arn))])
    error_message = "promotion_reader_principal_arns must be IAM role ARNs (arn:aws:iam::<account>:role/<name>), without wildcards."
  }
}

variable "service_deployer_assume_role_arns" {
  description = "Roles the service-deployer may assume (sts:AssumeRole): the promotion-reader role of each environment this one is promoted from, in that environment's account. Empty: none."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.service_deployer_assume_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[a-zA-Z0-9+=,.@_/-]+$", arn))])
    error_message = "service_deployer_assume_role_arns must be IAM role ARNs (arn:aws:iam::<account>:role/<name>), without wildcards."
  }
}
