#!/usr/bin/env bash
# Runs `quest-changes comment`: one sticky summary per pull request of what merging it deploys.
# The token stays in the variable the parameter names; only that name is passed on.
#
# Environment:
#   PARAM_TOKEN_ENV_VAR  the name of the variable holding the GitHub token
#   PARAM_DRY_RUN        true: print the body instead of posting it
#   QUEST_BASE, QUEST_HEAD, QUEST_CONFIG, QUEST_PLAN_DIR   read by quest-changes
set -euo pipefail

fail() {
  echo "error: $*" >&2
  exit 1
}

main() {
  local name=${PARAM_TOKEN_ENV_VAR:-}
  local args=(comment)
  [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || fail "token_env_var must be a variable name, not '$name'"
  if [[ ${PARAM_DRY_RUN:-false} == true ]]; then
    args+=(--dry-run)
  else
    [[ -n ${!name:-} ]] || fail "$name is empty: put a GitHub token that may write pull request comments in the job's context"
  fi
  args+=(--token-env "$name")
  quest-changes "${args[@]}"
}

ORB_TEST_ENV="bats-core"
if [ "${0#*"$ORB_TEST_ENV"}" == "$0" ]; then
  main "$@"
fi
