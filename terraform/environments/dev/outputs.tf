# Read by deploy tools (quest-changes) with `terraform output -json`; see
# ../../modules/stack/outputs.tf for what each one is.

output "cluster_name" {
  description = "ECS cluster of the service."
  value       = module.stack.cluster_name
}

output "service_name" {
  description = "ECS service to roll out."
  value       = module.stack.service_name
}

output "container_name" {
  description = "Container whose image a deployment replaces."
  value       = module.stack.container_name
}

output "task_definition_family" {
  description = "Task definition family new revisions are registered in."
  value       = module.stack.task_definition_family
}

output "ecr_repository_name" {
  description = "ECR repository the service's images are pushed to."
  value       = module.stack.ecr_repository_name
}

output "ecr_repository_url" {
  description = "URL to tag and push images to."
  value       = module.stack.ecr_repository_url
}

output "ecr_repository_arn" {
  description = "ARN of that repository."
  value       = module.stack.ecr_repository_arn
}

output "account_id" {
  description = "AWS account the environment runs in."
  value       = module.stack.account_id
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.stack.alb_dns_name
}

output "service_url" {
  description = "HTTPS URL of the service (the DNS name when dns is set, else the load balancer's name, which the certificate may not cover)."
  value       = module.stack.service_url
}

output "state_bucket" {
  description = "S3 bucket holding this environment's state."
  value       = module.stack.state_bucket
}

output "state_key" {
  description = "Key of this environment's state object."
  value       = module.stack.state_key
}

output "region" {
  description = "AWS region of the environment."
  value       = module.stack.region
}

output "kms_key_arn" {
  description = "The environment's KMS key; encrypt the SECRET_WORD SecureString with it (alias in kms_key_alias)."
  value       = module.stack.kms_key_arn
}

output "kms_key_alias" {
  description = "Alias of the environment's KMS key."
  value       = module.stack.kms_key_alias
}

output "secret_word_parameter_name" {
  description = "SSM parameter the service reads SECRET_WORD from."
  value       = module.stack.secret_word_parameter_name
}

output "service_deployer_role_arn" {
  description = "Role CircleCI assumes to deploy the service, or null when CI access is disabled."
  value       = module.stack.service_deployer_role_arn
}

output "infra_deployer_role_arn" {
  description = "Role CircleCI assumes to apply this Terraform, or null when CI access is disabled."
  value       = module.stack.infra_deployer_role_arn
}

output "infra_planner_role_arn" {
  description = "Role pull request pipelines assume to plan this Terraform read-only, or null when disabled."
  value       = module.stack.infra_planner_role_arn
}

output "promotion_reader_role_arn" {
  description = "Role prod's promote job assumes to read this environment (dev's credentials.read_role_arn in .quest-changes.yml), or null when there is none (prod; dev without prod_account_id)."
  value       = module.stack.promotion_reader_role_arn
}
