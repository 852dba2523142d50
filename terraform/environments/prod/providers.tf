# The provider works in prod's account only: allowed_account_ids refuses any
# other (a CI identity or a profile pointed at the wrong account fails before
# the plan). A CI with one identity reaches each environment's account by
# assuming a role there (assume_role_arn).

provider "aws" {
  region              = local.region
  allowed_account_ids = [var.account_id]

  dynamic "assume_role" {
    for_each = var.assume_role_arn == null ? [] : [var.assume_role_arn]

    content {
      role_arn     = assume_role.value
      session_name = "terraform-${local.project}-${local.environment}"
    }
  }

  default_tags {
    tags = merge(var.tags, {
      Project     = local.project
      Environment = local.environment
      ManagedBy   = "terraform"
    })
  }
}
