#!/usr/bin/env bats
# comment.sh: the token stays in its variable; only its name reaches quest-changes.

load test_helper

setup() {
  setup_stubs
  SCRIPT="$SCRIPTS/comment.sh"
  stub quest-changes 'exit "${STUB_EXIT:-0}"'
  export PARAM_TOKEN_ENV_VAR=GITHUB_TOKEN PARAM_DRY_RUN=false
  export GITHUB_TOKEN=ghp_secretsecret
}

@test "passes the token variable's name, never the token" {
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [[ $output != *ghp_secretsecret* ]]
  grep -qx "quest-changes comment --token-env GITHUB_TOKEN" "$STUB_LOG"
  run grep -q ghp_secretsecret "$STUB_LOG"
  [ "$status" -eq 1 ]
}

@test "dry_run prints the body and needs no token" {
  unset GITHUB_TOKEN
  PARAM_DRY_RUN=true run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  grep -qx "quest-changes comment --dry-run --token-env GITHUB_TOKEN" "$STUB_LOG"
}

@test "an empty token variable is a clear error" {
  export GITHUB_TOKEN=""
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"GITHUB_TOKEN is empty"*"context"* ]]
  refute_called quest-changes
}

@test "a variable name that is not one is refused" {
  PARAM_TOKEN_ENV_VAR='X; id' run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"token_env_var must be a variable name"* ]]
}

@test "passes quest-changes' exit code on" {
  STUB_EXIT=1 run bash "$SCRIPT"
  [ "$status" -eq 1 ]
}
