#!/usr/bin/env bats
# aws_oidc.sh: web identity credentials from the job's OIDC token, through BASH_ENV.

load test_helper

ROLE=arn:aws:iam::123456789012:role/quest-prod-circleci-service-deployer

setup() {
  setup_stubs
  SCRIPT="$SCRIPTS/aws_oidc.sh"
  export HOME="$BATS_TEST_TMPDIR/home"
  export BASH_ENV="$BATS_TEST_TMPDIR/bash_env"
  : >"$BASH_ENV"
  export PARAM_ROLE_ARN_ENV_VAR=QUEST_SERVICE_DEPLOYER_ROLE_ARN PARAM_REGION=us-east-1
  export QUEST_SERVICE_DEPLOYER_ROLE_ARN=$ROLE
  export CIRCLE_OIDC_TOKEN_V2=eyJhbGciOi.token.sig CIRCLE_WORKFLOW_JOB_ID=job-42
  unset AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_REGION
}

@test "exports the role, the token file, the session and the region for the next steps" {
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  source "$BASH_ENV"
  [ "$AWS_ROLE_ARN" = "$ROLE" ]
  [ "$AWS_WEB_IDENTITY_TOKEN_FILE" = "$HOME/.quest-changes/oidc-token" ]
  [ "$AWS_ROLE_SESSION_NAME" = circleci-job-42 ]
  [ "$AWS_REGION" = us-east-1 ]
  [ "$AWS_DEFAULT_REGION" = us-east-1 ]
}

@test "the token file holds the token, readable by the owner only, and the log does not" {
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ "$(cat "$HOME/.quest-changes/oidc-token")" = eyJhbGciOi.token.sig ]
  [ "$(stat -c %a "$HOME/.quest-changes/oidc-token")" = 600 ]
  [[ $output != *eyJhbGciOi* ]]
  run grep -q eyJhbGciOi "$BASH_ENV"
  [ "$status" -eq 1 ]
}

@test "an empty region keeps the context's AWS_REGION" {
  PARAM_REGION="" run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  run grep -q AWS_REGION "$BASH_ENV"
  [ "$status" -eq 1 ]
}

@test "values stay data when BASH_ENV is sourced" {
  PARAM_REGION='eu-west-1$(touch pwned)' run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  cd "$BATS_TEST_TMPDIR"
  source "$BASH_ENV"
  [ "$AWS_REGION" = 'eu-west-1$(touch pwned)' ]
  [ ! -e pwned ]
}

@test "without an OIDC token (no context on the job) it says so" {
  unset CIRCLE_OIDC_TOKEN_V2
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"CIRCLE_OIDC_TOKEN_V2 is not set"*"context"* ]]
  [ ! -s "$BASH_ENV" ]
}

@test "an empty role variable names the ci_access outputs" {
  export QUEST_SERVICE_DEPLOYER_ROLE_ARN=""
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"QUEST_SERVICE_DEPLOYER_ROLE_ARN is empty"*"ci_access"*"service_deployer_role_arn"* ]]
}

@test "a value that is not a role ARN, or a bad variable name, is refused" {
  export QUEST_SERVICE_DEPLOYER_ROLE_ARN=AKIAIOSFODNN7EXAMPLE
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"does not hold an IAM role ARN"* ]]
  PARAM_ROLE_ARN_ENV_VAR='A B' run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"role_arn_env_var must be a variable name"* ]]
  [ ! -s "$BASH_ENV" ]
}

@test "outside CircleCI (no BASH_ENV) it refuses" {
  unset BASH_ENV
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"BASH_ENV is not set"* ]]
}
