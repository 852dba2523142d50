provider "aws" {
  region = local.region

  default_tags {
    tags = merge(var.tags, {
      Project     = local.project
      Environment = local.environment
      ManagedBy   = "terraform"
    })
  }
}
