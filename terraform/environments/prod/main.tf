# The prod environment of the quest service: one call of the stack module with
# prod's values written out. The resources and their wiring are in
# ../../modules/stack; diff this file with ../dev/main.tf to see what sets
# the two environments apart.

locals {
  project     = "quest"
  environment = "prod"
  region      = "us-east-1"

  # dev's promotion-reader role, in dev's account: the partition and the account are
  # those of dev's repository (arn:<partition>:ecr:<region>:<account>:repository/<name>),
  # the name is the one ../../modules/ci_access gives it, <project>-<environment>-promotion-reader.
  dev_repository_arn       = split(":", var.shared_ecr_repository.arn)
  dev_promotion_reader_arn = "arn:${local.dev_repository_arn[1]}:iam::${local.dev_repository_arn[4]}:role/${local.project}-dev-promotion-reader"
}

module "stack" {
  source = "../../modules/stack"

  project            = local.project
  environment        = local.environment
  region             = local.region
  availability_zones = ["us-east-1a", "us-east-1b"]
  vpc_cidr_block     = "10.20.0.0/16"

  # prod is kept: the longest key recovery window, deletion protection and
  # room to scale out to 16 tasks. It has no repository of its own.
  kms_deletion_window_days = 30
  alb_deletion_protection  = true
  autoscaling              = { min_capacity = 4, max_capacity = 16 }

  # prod answers on the apex, dev on dev.<domain>.
  dns = var.dns == null ? null : {
    zone_id     = var.dns.zone_id
    domain_name = var.dns.domain
  }

  # Images are built once, in dev's account; prod pulls them from there.
  shared_ecr_repository = var.shared_ecr_repository
  # prod's promote job (prod's service-deployer) reads dev with dev's promotion-reader role.
  service_deployer_assume_role_arns = [local.dev_promotion_reader_arn]

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
