# The prod environment of the quest service: one call of the stack module with
# prod's values written out. The resources and their wiring are in
# ../../modules/stack; diff this file with ../dev/main.tf to see what sets
# the two environments apart.

locals {
  project     = "quest"
  environment = "prod"
  region      = "us-east-1"
}

module "stack" {
  source = "../../modules/stack"

  project            = local.project
  environment        = local.environment
  region             = local.region
  availability_zones = ["us-east-1a", "us-east-1b"]
  vpc_cidr_block     = "10.20.0.0/16"

  # prod is kept: the longest key recovery window, deletion protection, a
  # repository that destroy cannot delete while it holds images, and room to
  # scale out to 16 tasks.
  kms_deletion_window_days = 30
  alb_deletion_protection  = true
  ecr_force_delete         = false
  autoscaling              = { min_capacity = 4, max_capacity = 16 }

  state_bucket               = var.state_bucket
  state_key                  = var.state_key
  certificate_arn            = var.certificate_arn
  dns                        = var.dns
  alb_access_logs_bucket     = var.alb_access_logs_bucket
  circleci                   = var.circleci
  circleci_oidc_provider_arn = var.circleci_oidc_provider_arn

  enable_autoscaling = var.enable_autoscaling
  enable_waf         = var.enable_waf
  enable_flow_logs   = var.enable_flow_logs
  enable_ci_access   = var.enable_ci_access
}
