output "oidc_provider_arn" {
  description = "ARN of the CircleCI OIDC provider the roles trust."
  value       = local.oidc_provider_arn
}

output "service_deployer_role_arn" {
  description = "Role a CircleCI job assumes to push the image and roll out the service (quest-changes)."
  value       = aws_iam_role.service_deployer.arn
}

output "infra_deployer_role_arn" {
  description = "Role a CircleCI job assumes to run terraform plan/apply for this environment."
  value       = aws_iam_role.infra_deployer.arn
}

output "infra_planner_role_arn" {
  description = "Role a pull request pipeline assumes to run a read-only terraform plan (null when create_planner_role is false)."
  value       = one(aws_iam_role.infra_planner[*].arn)
}

output "promotion_reader_role_arn" {
  description = "Role other environments' service-deployers assume to read this environment for a promotion (null when promotion_reader_principal_arns is empty)."
  value       = one(aws_iam_role.promotion_reader[*].arn)
}
