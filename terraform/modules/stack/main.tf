# One environment of the quest service: the environment's KMS key, then the
# network, image repository, load balancer with WAF, ECS service and the CI
# roles that deploy it, wired together. The roots in ../../environments call
# this module once each with their values; it declares no provider and no
# backend (the root owns both).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name            = "${var.project}-${var.environment}"
  account_id      = data.aws_caller_identity.current.account_id
  partition       = data.aws_partition.current.partition
  certificate_arn = var.dns != null ? module.dns[0].certificate_arn : var.certificate_arn

  secret_word_parameter_name = coalesce(var.secret_word_parameter_name, "/${var.project}/${var.environment}/secret_word")
}

# --- The environment's KMS key: log groups, ECR images, SecureString, ECS Exec ---

data "aws_iam_policy_document" "kms" {
  # checkov:skip=CKV_AWS_109:Key policies must name the key as "*"; administration is delegated to IAM in this account.
  # checkov:skip=CKV_AWS_111:Key policies must name the key as "*"; writes are limited by IAM policies in this account.
  # checkov:skip=CKV_AWS_356:Key policies must name the key as "*" (the key they are attached to).
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid = "CloudWatchLogsOfThisAccount"
    actions = [
      "kms:Decrypt*",
      "kms:Describe*",
      "kms:Encrypt*",
      "kms:GenerateDataKey*",
      "kms:ReEncrypt*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:*"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${local.name}: logs, images, secrets"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.this.key_id
}

# --- Modules ------------------------------------------------------------------------------

module "network" {
  source = "../network"

  name               = local.name
  cidr_block         = var.vpc_cidr_block
  availability_zones = var.availability_zones
  kms_key_arn        = aws_kms_key.this.arn

  flow_logs = {
    enabled        = var.enable_flow_logs
    retention_days = var.log_retention_days
  }
}

module "ecr" {
  source = "../ecr"
  count  = var.shared_ecr_repository == null ? 1 : 0

  name             = local.name
  kms_key_arn      = aws_kms_key.this.arn
  force_delete     = var.ecr_force_delete
  pull_account_ids = var.ecr_pull_account_ids
}

# The repository became optional (count) when environments started sharing one.
moved {
  from = module.ecr
  to   = module.ecr[0]
}

# The repository the service pulls from: the environment's own, or the shared
# one of the environment that builds the images (in another account).
locals {
  ecr_repository = var.shared_ecr_repository == null ? {
    name = module.ecr[0].repository_name
    url  = module.ecr[0].repository_url
    arn  = module.ecr[0].repository_arn
    } : {
    name = regex("repository/(.+)$", var.shared_ecr_repository.arn)[0]
    url  = var.shared_ecr_repository.url
    arn  = var.shared_ecr_repository.arn
  }
}

module "dns" {
  source = "../dns"
  count  = var.dns != null ? 1 : 0

  zone_id      = var.dns.zone_id
  domain_name  = var.dns.domain_name
  alb_dns_name = module.alb.alb_dns_name
  alb_zone_id  = module.alb.alb_zone_id
}

module "alb" {
  source = "../alb"

  name                = local.name
  vpc_id              = module.network.vpc_id
  vpc_cidr_block      = module.network.vpc_cidr_block
  public_subnet_ids   = module.network.public_subnet_ids
  certificate_arn     = local.certificate_arn
  deletion_protection = var.alb_deletion_protection
  access_logs         = var.alb_access_logs_bucket == null ? null : { bucket = var.alb_access_logs_bucket, prefix = local.name }
}

module "waf" {
  source = "../waf"
  count  = var.enable_waf ? 1 : 0

  name                  = local.name
  resource_arn          = module.alb.alb_arn
  allowed_country_codes = var.allowed_country_codes
  rate_limit            = var.waf_rate_limit
  log_retention_days    = var.log_retention_days
  kms_key_arn           = aws_kms_key.this.arn
}

module "ecs_service" {
  source = "../ecs_service"

  cluster_name       = local.name
  service_name       = var.project
  container_name     = var.project
  image              = "${local.ecr_repository.url}:${var.initial_image_tag}"
  ecr_repository_arn = local.ecr_repository.arn
  task_size          = var.task_size
  desired_count      = var.desired_count
  log_retention_days = var.log_retention_days
  kms_key_arn        = aws_kms_key.this.arn

  secret_word_parameter_name = local.secret_word_parameter_name
  secrets_kms_key_arn        = aws_kms_key.this.arn

  vpc_id                = module.network.vpc_id
  vpc_cidr_block        = module.network.vpc_cidr_block
  subnet_ids            = module.network.private_subnet_ids
  s3_prefix_list_id     = module.network.s3_prefix_list_id
  alb_security_group_id = module.alb.security_group_id
  target_group_arn      = module.alb.target_group_arn

  autoscaling = {
    enabled                 = var.enable_autoscaling
    min_capacity            = var.autoscaling.min_capacity
    max_capacity            = var.autoscaling.max_capacity
    cpu_target_percent      = var.autoscaling.cpu_target_percent
    requests_per_target     = var.autoscaling.requests_per_target
    alb_request_count_label = "${module.alb.alb_arn_suffix}/${module.alb.target_group_arn_suffix}"
  }
}

module "ci_access" {
  source = "../ci_access"
  count  = var.enable_ci_access ? 1 : 0

  name_prefix          = local.name
  circleci             = var.circleci
  create_oidc_provider = var.circleci_oidc_provider_arn == null
  oidc_provider_arn    = var.circleci_oidc_provider_arn

  service = {
    ecr_repository_arn = local.ecr_repository.arn
    ecr_push           = var.shared_ecr_repository == null
    cluster_arn        = module.ecs_service.cluster_arn
    service_arn        = module.ecs_service.service_arn
    execution_role_arn = module.ecs_service.execution_role_arn
    task_role_arn      = module.ecs_service.task_role_arn
  }

  state = {
    bucket = var.state_bucket
    key    = var.state_key
  }

  promotion_reader_principal_arns   = var.promotion_reader_principal_arns
  service_deployer_assume_role_arns = var.service_deployer_assume_role_arns
}
