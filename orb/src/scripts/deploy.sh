#!/usr/bin/env bash
# Runs `quest-changes deploy <target>` (the service deployment of an ecs-service target, the
# plan or apply of a terraform target). The binary does the work and prints why it failed;
# this script only turns the parameters into flags.
#
# Environment:
#   PARAM_TARGET     the target name from .quest-changes.yml
#   PARAM_ENV        empty, or the environment of .quest-changes.yml to deploy to (--env)
#   PARAM_MODE       auto: what the target's rules say (apply only on apply_on branches);
#                    plan: stop after the plan (--plan-only); apply: apply the saved plan (--apply)
#   PARAM_SINCE      empty, or "deployed": the range starts at what the target runs now
#   PARAM_DRY_RUN    true: print the steps, change nothing
#   QUEST_BASE, QUEST_HEAD, QUEST_CONFIG, QUEST_PLAN_DIR   read by quest-changes
set -euo pipefail

fail() {
  echo "error: $*" >&2
  exit 1
}

# one_line NAME VALUE: refuses a value with a line break, which would split into two arguments.
one_line() {
  [[ $2 != *$'\n'* ]] || fail "$1 must be one line"
}

# The arguments for quest-changes, one per line.
deploy_args() {
  [[ -n ${PARAM_TARGET:-} ]] || fail "target is empty: name a target of .quest-changes.yml"
  one_line target "$PARAM_TARGET"
  one_line env "${PARAM_ENV:-}"
  local args=(deploy "$PARAM_TARGET")
  [[ -z ${PARAM_ENV:-} ]] || args+=(--env "$PARAM_ENV")
  case ${PARAM_MODE:-auto} in
    auto) ;;
    plan) args+=(--plan-only) ;;
    apply) args+=(--apply) ;;
    *) fail "mode must be auto, plan or apply, not '$PARAM_MODE'" ;;
  esac
  case ${PARAM_SINCE:-} in
    "") ;;
    deployed) args+=(--since deployed) ;;
    *) fail "since must be empty or deployed, not '$PARAM_SINCE'" ;;
  esac
  [[ ${PARAM_DRY_RUN:-false} != true ]] || args+=(--dry-run)
  printf '%s\n' "${args[@]}"
}

main() {
  local args
  mapfile -t args < <(deploy_args)
  ((${#args[@]})) || exit 1
  if [[ -n ${QUEST_PLAN_DIR:-} ]]; then
    mkdir -p "$QUEST_PLAN_DIR"
  fi
  echo "quest-changes ${args[*]}"
  quest-changes "${args[@]}"
}

ORB_TEST_ENV="bats-core"
if [ "${0#*"$ORB_TEST_ENV"}" == "$0" ]; then
  main "$@"
fi
