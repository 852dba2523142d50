# The dev environment of the quest service: one call of the stack module with
# dev's values written out. The resources and their wiring are in
# ../../modules/stack; diff this file with ../prod/main.tf to see what sets
# the two environments apart.

data "aws_partition" "current" {}

locals {
  project     = "quest"
  environment = "dev"
  region      = "us-east-1"

  # prod's service-deployer, in prod's account (../../modules/ci_access names it
  # <project>-<environment>-circleci-service-deployer): prod's promote job runs with it.
  prod_service_deployer_arns = var.prod_account_id == null ? [] : [
    "arn:${data.aws_partition.current.partition}:iam::${var.prod_account_id}:role/${local.project}-prod-circleci-service-deployer",
  ]
}

module "stack" {
  source = "../../modules/stack"

  project            = local.project
  environment        = local.environment
  region             = local.region
  availability_zones = ["us-east-1a", "us-east-1b"]
  vpc_cidr_block     = "10.10.0.0/16"

  # dev is disposable: a short key recovery window, no deletion protection,
  # and destroy may delete the repository with its images.
  kms_deletion_window_days = 7
  alb_deletion_protection  = false
  ecr_force_delete         = true
  autoscaling              = { min_capacity = 4, max_capacity = 8 }

  # dev answers on dev.<domain>, prod on the apex.
  dns = var.dns == null ? null : {
    zone_id     = var.dns.zone_id
    domain_name = "dev.${var.dns.domain}"
  }

  # Images are built once, here; prod runs them from this repository.
  ecr_pull_account_ids = var.ecr_pull_account_ids
  # prod's promote job reads dev, and tags the digest it promotes, with dev's
  # promotion-reader role (output promotion_reader_role_arn).
  promotion_reader_principal_arns = local.prod_service_deployer_arns

  state_bucket               = var.state_bucket
  state_key                  = var.state_key
  certificate_arn            = var.certificate_arn
  alb_access_logs_bucket     = var.alb_access_logs_bucket
  circleci                   = var.circleci
  circleci_oidc_provider_arn = var.circleci_oidc_provider_arn

  enable_autoscaling = var.enable_autoscaling
  enable_waf         = var.enable_waf
  enable_flow_logs   = var.enable_flow_logs
  enable_ci_access   = var.enable_ci_access
}
