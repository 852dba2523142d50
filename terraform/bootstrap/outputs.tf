output "state_bucket" {
  description = "Name of the state bucket; pass it to `terraform init -backend-config=bucket=...` and to the roots' state_bucket variable."
  value       = aws_s3_bucket.state.id
}

output "state_bucket_arn" {
  description = "ARN of the state bucket (the ci_access module scopes the infra-deployer role to it)."
  value       = aws_s3_bucket.state.arn
}

output "region" {
  description = "Region of the state bucket; pass it to `terraform init -backend-config=region=...`."
  value       = var.region
}

output "account_id" {
  description = "AWS account that owns the state bucket."
  value       = data.aws_caller_identity.current.account_id
}

output "partition" {
  description = "AWS partition of the account (aws, aws-cn, aws-us-gov)."
  value       = data.aws_partition.current.partition
}
