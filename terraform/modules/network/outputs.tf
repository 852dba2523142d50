output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "IDs of the two public subnets (load balancer), in availability-zone order."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "IDs of the two private subnets (ECS tasks), in availability-zone order."
  value       = aws_subnet.private[*].id
}

output "s3_prefix_list_id" {
  description = "Prefix list of the S3 gateway endpoint; task security groups allow HTTPS to it so image layers can be pulled from ECR's S3 storage."
  value       = aws_vpc_endpoint.s3.prefix_list_id
}

output "endpoint_security_group_id" {
  description = "Security group of the interface endpoints."
  value       = aws_security_group.endpoints.id
}

output "flow_log_group_name" {
  description = "CloudWatch log group receiving the VPC flow logs, or null when flow logs are disabled."
  value       = one(aws_cloudwatch_log_group.flow_logs[*].name)
}
