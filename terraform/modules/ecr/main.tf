# The private image repository of the quest service. Tags are immutable so
# a deployed tag (the git SHA) always means the same image; every push is
# scanned; the lifecycle policy bounds storage cost. Images are built once:
# the repository policy lets the other environments' accounts pull them.

resource "aws_ecr_repository" "this" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
}

data "aws_partition" "current" {}

locals {
  pull_principals = [for id in sort(var.pull_account_ids) : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]
}

# Cross-account pull: the accounts in pull_account_ids may read images (to
# run them, and to resolve and check a digest before a promotion), never push.
# Their own IAM policies must allow the same actions on this repository.
data "aws_iam_policy_document" "pull" {
  count = length(var.pull_account_ids) > 0 ? 1 : 0

  statement {
    sid = "PullFromEnvironmentAccounts"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]

    principals {
      type        = "AWS"
      identifiers = local.pull_principals
    }
  }

  statement {
    sid = "ReadImagesAndFindingsFromEnvironmentAccounts"
    actions = [
      "ecr:DescribeImageScanFindings",
      "ecr:DescribeImages",
    ]

    principals {
      type        = "AWS"
      identifiers = local.pull_principals
    }
  }
}

resource "aws_ecr_repository_policy" "pull" {
  count = length(var.pull_account_ids) > 0 ? 1 : 0

  repository = aws_ecr_repository.this.name
  policy     = data.aws_iam_policy_document.pull[0].json
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name

  # An image matched by a rule cannot be expired by a rule of a later priority:
  # the images promoted into an environment (tagged `<env>-<commit>` by
  # `quest-changes promote`) are counted by their own rule, so the pushes of
  # the building environment can never expire what another one runs.
  policy = jsonencode({
    rules = concat(
      [
        {
          rulePriority = 1
          description  = "Expire untagged images after ${var.untagged_image_expiry_days} days"
          selection = {
            tagStatus   = "untagged"
            countType   = "sinceImagePushed"
            countUnit   = "days"
            countNumber = var.untagged_image_expiry_days
          }
          action = { type = "expire" }
        },
      ],
      length(var.promoted_environments) == 0 ? [] : [
        {
          rulePriority = 2
          description  = "Keep the last ${var.keep_promoted_images} images promoted to ${join(", ", sort(var.promoted_environments))}"
          selection = {
            tagStatus     = "tagged"
            tagPrefixList = [for e in sort(var.promoted_environments) : "${e}-"]
            countType     = "imageCountMoreThan"
            countNumber   = var.keep_promoted_images
          }
          action = { type = "expire" }
        },
      ],
      [
        {
          rulePriority = 3
          description  = "Keep the last ${var.keep_last_images} images"
          selection = {
            tagStatus   = "any"
            countType   = "imageCountMoreThan"
            countNumber = var.keep_last_images
          }
          action = { type = "expire" }
        },
      ],
    )
  })
}
