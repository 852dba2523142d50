# The environment's contract with deploy tools; the roots re-export every one
# of these under the same name.

output "cluster_name" {
  description = "ECS cluster of the service."
  value       = module.ecs_service.cluster_name
}

output "service_name" {
  description = "ECS service to roll out."
  value       = module.ecs_service.service_name
}

output "container_name" {
  description = "Container whose image a deployment replaces."
  value       = module.ecs_service.container_name
}

output "task_definition_family" {
  description = "Task definition family new revisions are registered in."
  value       = module.ecs_service.task_definition_family
}

output "ecr_repository_name" {
  description = "ECR repository the service's images come from (the shared one when shared_ecr_repository is set)."
  value       = local.ecr_repository.name
}

output "ecr_repository_url" {
  description = "URL of that repository: push target of the environment that builds, pull source of the others."
  value       = local.ecr_repository.url
}

output "ecr_repository_arn" {
  description = "ARN of that repository; pass it with the URL to the other environments as shared_ecr_repository."
  value       = local.ecr_repository.arn
}

output "account_id" {
  description = "AWS account the environment was applied in."
  value       = local.account_id
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.alb.alb_dns_name
}

output "service_url" {
  description = "HTTPS URL of the service (the DNS name when dns is set, else the load balancer's name, which the certificate may not cover)."
  value       = "https://${var.dns != null ? var.dns.domain_name : module.alb.alb_dns_name}"
}

output "state_bucket" {
  description = "S3 bucket holding this environment's state."
  value       = var.state_bucket
}

output "state_key" {
  description = "Key of this environment's state object."
  value       = var.state_key
}

output "region" {
  description = "AWS region of the environment."
  value       = var.region
}

output "kms_key_arn" {
  description = "The environment's KMS key; encrypt the SECRET_WORD SecureString with it (alias in kms_key_alias)."
  value       = aws_kms_key.this.arn
}

output "kms_key_alias" {
  description = "Alias of the environment's KMS key."
  value       = aws_kms_alias.this.name
}

output "secret_word_parameter_name" {
  description = "SSM parameter the service reads SECRET_WORD from."
  value       = local.secret_word_parameter_name
}

output "service_deployer_role_arn" {
  description = "Role CircleCI assumes to deploy the service, or null when CI access is disabled."
  value       = one(module.ci_access[*].service_deployer_role_arn)
}

output "infra_deployer_role_arn" {
  description = "Role CircleCI assumes to apply this Terraform, or null when CI access is disabled."
  value       = one(module.ci_access[*].infra_deployer_role_arn)
}

output "infra_planner_role_arn" {
  description = "Role pull request pipelines assume to plan this Terraform read-only, or null when CI access or the planner is disabled."
  value       = one(module.ci_access[*].infra_planner_role_arn)
}

output "promotion_reader_role_arn" {
  description = "Role other environments' service-deployers assume to read this one for a promotion, or null when CI access is disabled or no role is given the right to."
  value       = one(module.ci_access[*].promotion_reader_role_arn)
}
