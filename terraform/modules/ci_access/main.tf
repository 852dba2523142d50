# Keyless CI access: CircleCI jobs exchange their OIDC token for short-lived
# credentials of one of three roles, each pinned by its trust policy to one
# organisation, one project and one repository.
#   service-deployer: push images and roll out new task definition revisions
#                     of this one service (what quest-changes does); deploy
#                     branch only;
#   infra-deployer:   apply this environment's Terraform; deploy branch only;
#   infra-planner:    plan it, read-only, from any branch of the project (the
#                     pull request pipelines that plan and comment).
# And, when another environment's roles are named in promotion_reader_principal_arns,
#   promotion-reader: assumed by those roles (not by CircleCI) to read this environment and
#                     mark a promoted digest; what a promotion from here needs, nothing more.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  oidc_host         = "oidc.circleci.com/org/${var.circleci.organization_id}"
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.circleci[0].arn : var.oidc_provider_arn

  # $CIRCLE_OIDC_TOKEN_V2 sub: org/<org>/project/<project>/user/<user>/vcs-origin/<origin>/vcs-ref/<ref>
  allowed_subject = join("/", [
    "org", var.circleci.organization_id,
    "project", var.circleci.project_id,
    "user", "*",
    "vcs-origin", var.circleci.vcs_origin,
    "vcs-ref", "refs/heads/${var.circleci.branch}",
  ])
  # The planner: the same project and origin, any branch (pull request pipelines).
  planner_subject = join("/", [
    "org", var.circleci.organization_id,
    "project", var.circleci.project_id,
    "user", "*",
    "vcs-origin", var.circleci.vcs_origin,
    "vcs-ref", "refs/heads/*",
  ])

  state_bucket_arn = "arn:${local.partition}:s3:::${var.state.bucket}"
  managed_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/${var.name_prefix}-*"

  # The accounts of the promotion-reader's principals (arn:<partition>:iam::<account>:role/<name>).
  promotion_reader_accounts = distinct([for arn in var.promotion_reader_principal_arns : split(":", arn)[4]])
}

resource "aws_iam_openid_connect_provider" "circleci" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.oidc_host}"
  client_id_list = [var.circleci.organization_id]
  # No thumbprint: IAM trusts the public CA chain of oidc.circleci.com itself.
}

# One trust policy per audience of roles: the deployers (the deploy branch only) and the
# planner (any branch of the project).
data "aws_iam_policy_document" "trust" {
  for_each = {
    deployer = local.allowed_subject
    planner  = local.planner_subject
  }

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = [var.circleci.organization_id]
    }

    condition {
      test     = "StringLike"
      variable = "${local.oidc_host}:sub"
      values   = [each.value]
    }
  }
}

# --- service-deployer ---------------------------------------------------------------

resource "aws_iam_role" "service_deployer" {
  name                 = "${var.name_prefix}-circleci-service-deployer"
  description          = "CircleCI (${var.circleci.vcs_origin}@${var.circleci.branch}): push the image and roll out the ${var.name_prefix} service"
  assume_role_policy   = data.aws_iam_policy_document.trust["deployer"].json
  max_session_duration = var.max_session_duration
}

data "aws_iam_policy_document" "service_deployer" {
  statement {
    sid = "EcrAuthToken"
    # GetAuthorizationToken has no resource-level permissions.
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "ReadImagesAndFindings"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:DescribeImageScanFindings",
      "ecr:DescribeImages",
      "ecr:DescribeRepositories",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = [var.service.ecr_repository_arn]
  }

  # Only the environment whose account holds the repository builds and pushes;
  # the others deploy by digest what it pushed.
  dynamic "statement" {
    for_each = var.service.ecr_push ? [var.service.ecr_repository_arn] : []

    content {
      sid = "PushAndScan"
      actions = [
        "ecr:CompleteLayerUpload",
        "ecr:InitiateLayerUpload",
        "ecr:PutImage",
        "ecr:StartImageScan",
        "ecr:UploadLayerPart",
      ]
      resources = [statement.value]
    }
  }

  statement {
    sid = "TaskDefinitions"
    # Register/Describe/DeregisterTaskDefinition have no resource-level permissions.
    # ListTaskDefinitions finds the revision a rollback returns to.
    actions = [
      "ecs:DescribeTaskDefinition",
      "ecs:ListTaskDefinitions",
      "ecs:RegisterTaskDefinition",
    ]
    resources = ["*"]
  }

  statement {
    sid = "TagOwnTaskDefinitions"
    # Tags passed to RegisterTaskDefinition need TagResource, only at creation.
    actions   = ["ecs:TagResource"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RegisterTaskDefinition"]
    }
  }

  statement {
    sid = "MarkFailedRollouts"
    # After a failed rollout quest-changes tags that revision `quest-changes:rollout=failed`,
    # so `rollback` never returns to it; only that tag key may be written.
    actions   = ["ecs:TagResource"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:task-definition/*"]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = ["quest-changes:rollout"]
    }
  }

  statement {
    sid       = "UpdateOwnService"
    actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
    resources = [var.service.service_arn]
  }

  statement {
    sid       = "DescribeOwnCluster"
    actions   = ["ecs:DescribeClusters"]
    resources = [var.service.cluster_arn]
  }

  statement {
    sid       = "WatchOwnTasks"
    actions   = ["ecs:DescribeTasks", "ecs:ListTasks"]
    resources = ["*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.service.cluster_arn]
    }
  }

  statement {
    sid       = "PassOnlyTheServiceRoles"
    actions   = ["iam:PassRole"]
    resources = [var.service.execution_role_arn, var.service.task_role_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  # The service's names come from this environment's root (`ecs.from`): `deploy` reads them
  # with `terraform output` (init lists the bucket, then the state is read), a promotion with
  # one GetObject of the state. Reading only: no lock, no write.
  statement {
    sid       = "ListStateBucket"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid       = "ReadStateOutputs"
    actions   = ["s3:GetObject"]
    resources = ["${local.state_bucket_arn}/${var.state.key}"]
  }

  # A promotion into this environment reads the source environment, in its account, with the
  # role that account gives for it (its promotion-reader): only the roles named here.
  dynamic "statement" {
    for_each = length(var.service_deployer_assume_role_arns) > 0 ? [var.service_deployer_assume_role_arns] : []

    content {
      sid       = "AssumeSourceEnvironmentReaders"
      actions   = ["sts:AssumeRole"]
      resources = statement.value
    }
  }
}

resource "aws_iam_role_policy" "service_deployer" {
  name   = "deploy-${var.name_prefix}-service"
  role   = aws_iam_role.service_deployer.id
  policy = data.aws_iam_policy_document.service_deployer.json
}

# --- promotion-reader -------------------------------------------------------------------
# A promote job runs with the credentials of the environment it changes (prod's service
# deployer), and must still read what this environment runs and tag the digest it promotes.

resource "aws_iam_role" "promotion_reader" {
  count = length(var.promotion_reader_principal_arns) > 0 ? 1 : 0

  name                 = "${var.name_prefix}-promotion-reader"
  description          = "Read the ${var.name_prefix} service and its images, and tag a promoted digest, for promotions run by other environments' roles"
  assume_role_policy   = data.aws_iam_policy_document.promotion_reader_trust[0].json
  max_session_duration = var.max_session_duration
}

# The principals are their accounts, narrowed to the named roles by aws:PrincipalArn. Named
# as role principals instead, IAM would refuse the policy while one of those roles does not
# exist yet (dev is applied before prod creates its deployer), and would silently stop
# trusting a role that is deleted and created again (it stores the role's unique id).
data "aws_iam_policy_document" "promotion_reader_trust" {
  count = length(var.promotion_reader_principal_arns) > 0 ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = [for account in local.promotion_reader_accounts : "arn:${local.partition}:iam::${account}:root"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = var.promotion_reader_principal_arns
    }
  }
}

data "aws_iam_policy_document" "promotion_reader" {
  statement {
    sid       = "ReadOwnService"
    actions   = ["ecs:DescribeServices"]
    resources = [var.service.service_arn]
  }

  statement {
    sid = "ReadTaskDefinitions"
    # DescribeTaskDefinition has no resource-level permissions.
    actions   = ["ecs:DescribeTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid = "CheckAndMarkPromotedImage"
    # BatchGetImage reads the manifest that PutImage writes back under the one new tag,
    # <env>-<commit>; the repository's tags are immutable, so no existing tag can move.
    # StartImageScan: a digest that has no scan yet is scanned before the gate.
    actions = [
      "ecr:BatchGetImage",
      "ecr:DescribeImageScanFindings",
      "ecr:DescribeImages",
      "ecr:PutImage",
      "ecr:StartImageScan",
    ]
    resources = [var.service.ecr_repository_arn]
  }

  statement {
    sid = "ReadOutputsFromState"
    # A service whose names come from `ecs.from` has them read from this
    # environment's state object: one GetObject, no init, no lock.
    actions   = ["s3:GetObject"]
    resources = ["${local.state_bucket_arn}/${var.state.key}"]
  }
}

resource "aws_iam_role_policy" "promotion_reader" {
  count = length(aws_iam_role.promotion_reader)

  name   = "read-${var.name_prefix}-for-promotion"
  role   = aws_iam_role.promotion_reader[0].id
  policy = data.aws_iam_policy_document.promotion_reader.json
}

# --- infra-deployer ---------------------------------------------------------------------

resource "aws_iam_role" "infra_deployer" {
  name                 = "${var.name_prefix}-circleci-infra-deployer"
  description          = "CircleCI (${var.circleci.vcs_origin}@${var.circleci.branch}): apply the ${var.name_prefix} Terraform"
  assume_role_policy   = data.aws_iam_policy_document.trust["deployer"].json
  max_session_duration = var.max_session_duration
}

data "aws_iam_policy_document" "infra_deployer" {
  # checkov:skip=CKV_AWS_111:The infra-deployer creates this stack's resources, whose ARNs do not exist before the apply; writes are bounded by service, verb and region (RegionalStack) and by name prefix (OwnRoles).
  # checkov:skip=CKV_AWS_356:Create* calls of EC2, ECS, ELB, WAF, KMS and ACM cannot be scoped to ARNs that do not exist yet; the statement is limited to this region instead.
  statement {
    sid       = "StateBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketVersioning"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid     = "StateObject"
    actions = ["s3:GetObject", "s3:PutObject"]
    # The state, and the marker quest-changes writes beside it after an apply.
    resources = [
      "${local.state_bucket_arn}/${var.state.key}",
      "${local.state_bucket_arn}/${var.state.key}.quest-changes.json",
    ]
  }

  statement {
    sid       = "StateLockObject"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_bucket_arn}/${var.state.key}.tflock"]
  }

  statement {
    sid = "RegionalStack"
    actions = [
      # network
      "ec2:Describe*",
      "ec2:CreateTags",
      "ec2:DeleteTags",
      "ec2:CreateVpc",
      "ec2:DeleteVpc",
      "ec2:ModifyVpcAttribute",
      "ec2:*Subnet*",
      "ec2:*RouteTable*",
      "ec2:CreateRoute",
      "ec2:DeleteRoute",
      "ec2:ReplaceRoute",
      "ec2:*InternetGateway*",
      "ec2:*SecurityGroup*",
      "ec2:*VpcEndpoint*",
      "ec2:*FlowLogs*",
      # ecr, ecs, load balancer, waf, auto scaling, certificates
      "ecr:*",
      "ecs:*",
      "elasticloadbalancing:*",
      "wafv2:*",
      "application-autoscaling:*",
      "acm:*",
      # logs
      "logs:*",
      # the environment's KMS key
      "kms:CreateKey",
      "kms:CreateAlias",
      "kms:UpdateAlias",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:PutKeyPolicy",
      "kms:EnableKeyRotation",
      "kms:ScheduleKeyDeletion",
      "kms:ListAliases",
      "kms:ListResourceTags",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:CreateGrant",
      "kms:RetireGrant",
      "kms:Decrypt",
      "kms:GenerateDataKey*",
      # state encryption with a customer-managed key
      "kms:Encrypt",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  statement {
    sid = "Route53Records"
    # Route 53 is a global service: no region condition.
    actions = [
      "route53:ChangeResourceRecordSets",
      "route53:GetChange",
      "route53:GetHostedZone",
      "route53:ListHostedZones",
      "route53:ListResourceRecordSets",
      "route53:ListTagsForResource",
    ]
    resources = ["*"]
  }

  statement {
    sid = "OwnRoles"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:GetRole",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:PutRolePolicy",
      "iam:GetRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:PassRole",
    ]
    resources = [local.managed_role_arn]
  }

  statement {
    sid       = "CircleCiOidcProvider"
    actions   = ["iam:*OpenIDConnectProvider*"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.oidc_host}"]
  }

  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values = [
        "ecs.amazonaws.com",
        "ecs.application-autoscaling.amazonaws.com",
        "elasticloadbalancing.amazonaws.com",
        "wafv2.amazonaws.com",
      ]
    }
  }
}

resource "aws_iam_role_policy" "infra_deployer" {
  name   = "apply-${var.name_prefix}-terraform"
  role   = aws_iam_role.infra_deployer.id
  policy = data.aws_iam_policy_document.infra_deployer.json
}

# --- infra-planner ----------------------------------------------------------------------

resource "aws_iam_role" "infra_planner" {
  count = var.create_planner_role ? 1 : 0

  name                 = "${var.name_prefix}-circleci-infra-planner"
  description          = "CircleCI (${var.circleci.vcs_origin}, any branch): plan the ${var.name_prefix} Terraform, read-only"
  assume_role_policy   = data.aws_iam_policy_document.trust["planner"].json
  max_session_duration = var.max_session_duration
}

# A plan refreshes every resource, so the planner reads everything AWS's ReadOnlyAccess
# allows; it writes only the state lock (Terraform takes it even to plan). Secret values
# stay out of reach of pull request code: Secrets Manager values are denied, and SSM
# SecureString values cannot be decrypted unless planner_decrypt_key_arns says so.
resource "aws_iam_role_policy_attachment" "infra_planner_read_only" {
  count = var.create_planner_role ? 1 : 0

  role       = aws_iam_role.infra_planner[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

data "aws_iam_policy_document" "infra_planner" {
  statement {
    sid       = "StateBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketVersioning"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid     = "StateAndMarkerRead"
    actions = ["s3:GetObject"]
    resources = [
      "${local.state_bucket_arn}/${var.state.key}",
      "${local.state_bucket_arn}/${var.state.key}.quest-changes.json",
    ]
  }

  statement {
    sid       = "StateLockObject"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_bucket_arn}/${var.state.key}.tflock"]
  }

  statement {
    sid       = "NoSecretValues"
    effect    = "Deny"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = length(var.planner_decrypt_key_arns) > 0 ? [1] : []
    content {
      sid       = "DecryptSsmParameters"
      actions   = ["kms:Decrypt"]
      resources = var.planner_decrypt_key_arns

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "infra_planner" {
  count = var.create_planner_role ? 1 : 0

  name   = "plan-${var.name_prefix}-terraform"
  role   = aws_iam_role.infra_planner[0].id
  policy = data.aws_iam_policy_document.infra_planner.json
}
