# Only what is supplied from outside (the account, its bucket, certificate or
# zone, the shared repository, CircleCI ids) or switched per run (the feature switches). dev's fixed
# values are written out in main.tf; ../../modules/stack validates them all.

variable "account_id" {
  description = "AWS account of dev; the provider refuses to work in any other."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "assume_role_arn" {
  description = "Role in dev's account for the provider to assume (how a CI with one identity reaches each environment's account); null uses the credentials as they are."
  type        = string
  default     = null

  validation {
    condition     = var.assume_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.assume_role_arn))
    error_message = "assume_role_arn must be an IAM role ARN."
  }
}

variable "state_bucket" {
  description = "Name of the state bucket, as given to `terraform init -backend-config=bucket=...` (a backend block cannot be read from the configuration, so it is repeated here for the outputs and the infra-deployer role)."
  type        = string
}

variable "state_key" {
  description = "State object key, as given to `terraform init -backend-config=key=...`."
  type        = string
  default     = "quest/dev/terraform.tfstate"
}

variable "tags" {
  description = "Extra tags for every resource (Project, Environment and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}

variable "certificate_arn" {
  description = "ARN of an existing ACM certificate for the HTTPS listener. Required unless dns is set."
  type        = string
  default     = null
}

variable "dns" {
  description = "Optional: the product's domain and an existing Route 53 public hosted zone in this account that holds dev's name, `dev.<domain>`; the certificate is then issued and DNS-validated there."
  type = object({
    zone_id = string
    domain  = string
  })
  default = null
}

variable "alb_access_logs_bucket" {
  description = "Existing S3 bucket for load balancer access logs; null disables them."
  type        = string
  default     = null
}

variable "ecr_pull_account_ids" {
  description = "Accounts of the environments that run the images dev builds (prod's account): dev's repository lets them pull."
  type        = list(string)
  default     = []
}

variable "prod_account_id" {
  description = "prod's account: its service-deployer role (the promote job's) may assume dev's promotion-reader role to read dev. null: no promotion-reader role."
  type        = string
  default     = null

  validation {
    condition     = var.prod_account_id == null || can(regex("^[0-9]{12}$", var.prod_account_id))
    error_message = "prod_account_id must be a 12-digit AWS account id."
  }
}

variable "circleci" {
  description = "CircleCI organisation, project, repository and branch whose pipelines may assume the deployer roles."
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

# --- Feature switches: each on by default (see ../../README.md) ---------------------

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
