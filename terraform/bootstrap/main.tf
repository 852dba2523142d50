# The S3 bucket that stores the Terraform state of every environment.
# State files contain resource attributes, so the bucket is private,
# versioned (a bad apply can be rolled back to an earlier state version),
# encrypted at rest and reachable over TLS only.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

resource "aws_s3_bucket" "state" {
  # checkov:skip=CKV_AWS_144:State is recoverable through versioning; cross-region replication would need a second bucket and region this bootstrap does not own.
  # checkov:skip=CKV_AWS_18:Server access logs would need a separate log bucket; CloudTrail data events are the audit trail for state reads and writes.
  # checkov:skip=CKV2_AWS_62:Nothing consumes events from the state bucket; notifications would be dead configuration.
  bucket        = var.state_bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    # Disables ACLs: access is governed by IAM and the bucket policy alone.
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket = aws_s3_bucket.state.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-noncurrent-state-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
      # 0 leaves the clause out: every noncurrent version then expires by age alone.
      newer_noncurrent_versions = var.noncurrent_versions_to_keep > 0 ? var.noncurrent_versions_to_keep : null
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # The lifecycle rule acts on versions, so versioning must exist first.
  depends_on = [aws_s3_bucket_versioning.state]
}

data "aws_iam_policy_document" "state" {
  count = var.deny_insecure_transport ? 1 : 0

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.state.arn,
      "${aws_s3_bucket.state.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  count = var.deny_insecure_transport ? 1 : 0

  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state[0].json

  # S3 rejects a bucket policy while the public access block is being set up.
  depends_on = [aws_s3_bucket_public_access_block.state]
}
