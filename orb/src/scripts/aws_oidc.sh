#!/usr/bin/env bash
# Lets the following steps assume an AWS role with the job's CircleCI OIDC token, without
# long-lived keys: writes the token to a private file and exports AWS_ROLE_ARN and
# AWS_WEB_IDENTITY_TOKEN_FILE through $BASH_ENV, which the AWS SDKs (quest-changes, Terraform
# and its S3 backend) read as web identity credentials.
#
# Environment:
#   PARAM_ROLE_ARN_ENV_VAR  the name of the variable holding the role ARN (from a context:
#                           an output of terraform/modules/ci_access)
#   PARAM_REGION            the AWS region; empty: keep AWS_REGION from the context
#   CIRCLE_OIDC_TOKEN_V2    set by CircleCI in jobs that use a context
set -euo pipefail

fail() {
  echo "error: $*" >&2
  exit 1
}

main() {
  local name=${PARAM_ROLE_ARN_ENV_VAR:-} role token_dir token_file session
  [[ -n ${BASH_ENV:-} ]] || fail "BASH_ENV is not set: this command runs only in a CircleCI job"
  [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || fail "role_arn_env_var must be a variable name, not '$name'"
  role=${!name:-}
  [[ -n $role ]] ||
    fail "$name is empty: set it in the job's context to the role ARN from terraform/modules/ci_access (service_deployer_role_arn or infra_deployer_role_arn)"
  [[ $role =~ ^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$ ]] || fail "$name does not hold an IAM role ARN: '$role'"
  [[ -n ${CIRCLE_OIDC_TOKEN_V2:-} ]] ||
    fail "CIRCLE_OIDC_TOKEN_V2 is not set: CircleCI issues OIDC tokens only to jobs that use a context; add one to this job"

  token_dir=${QUEST_OIDC_DIR:-$HOME/.quest-changes}
  token_file="$token_dir/oidc-token"
  (umask 077 && mkdir -p "$token_dir" && printf '%s' "$CIRCLE_OIDC_TOKEN_V2" >"$token_file")
  session="circleci-${CIRCLE_WORKFLOW_JOB_ID:-${CIRCLE_BUILD_NUM:-job}}"
  {
    printf 'export AWS_ROLE_ARN=%q\n' "$role"
    printf 'export AWS_WEB_IDENTITY_TOKEN_FILE=%q\n' "$token_file"
    printf 'export AWS_ROLE_SESSION_NAME=%q\n' "$session"
    if [[ -n ${PARAM_REGION:-} ]]; then
      printf 'export AWS_REGION=%q\n' "$PARAM_REGION"
      printf 'export AWS_DEFAULT_REGION=%q\n' "$PARAM_REGION"
    fi
  } >>"$BASH_ENV"
  echo "the following steps assume $role (session $session) with the job's OIDC token"
}

ORB_TEST_ENV="bats-core"
if [ "${0#*"$ORB_TEST_ENV"}" == "$0" ]; then
  main "$@"
fi
