terraform {
  # 1.10 brings S3-native state locking (use_lockfile), which the roots rely on.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Deliberately no backend: this root creates the bucket every other root
  # stores its state in, so its own state is local (see README.md).
}

provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}
