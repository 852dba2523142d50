terraform {
  # 1.10 brings S3-native state locking (use_lockfile); no DynamoDB table.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # bucket, key and region are given at init:
  #   terraform init -backend-config=bucket=<state bucket> \
  #     -backend-config=key=quest/prod/terraform.tfstate -backend-config=region=us-east-1
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
