output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

output "service_arn" {
  description = "ARN of the ECS service."
  value       = aws_ecs_service.this.id
}

output "container_name" {
  description = "Name of the application container in the task definition."
  value       = var.container_name
}

output "task_definition_family" {
  description = "Family of the task definition; quest-changes registers new revisions in it."
  value       = aws_ecs_task_definition.this.family
}

output "task_definition_arn" {
  description = "ARN of the revision Terraform registered (the service may run a later one)."
  value       = aws_ecs_task_definition.this.arn
}

output "execution_role_arn" {
  description = "ARN of the task execution role (image pull, logs, secret)."
  value       = aws_iam_role.execution.arn
}

output "task_role_arn" {
  description = "ARN of the task role (the app's identity)."
  value       = aws_iam_role.task.arn
}

output "security_group_id" {
  description = "Security group of the tasks."
  value       = aws_security_group.service.id
}

output "log_group_name" {
  description = "CloudWatch log group of the container."
  value       = aws_cloudwatch_log_group.app.name
}

output "secret_word_parameter_arn" {
  description = "ARN of the SSM parameter the task reads SECRET_WORD from."
  value       = local.secret_word_param_arn
}
