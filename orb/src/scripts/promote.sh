#!/usr/bin/env bash
# Runs `quest-changes promote <target> --from <env> --to <env>`: the image digest that the source
# environment runs for the checked-out commit goes to the destination environment, never
# rebuilt. The binary decides whether the promotion may happen (exit 13 when it may not) and
# prints why; this script only turns the parameters into arguments, each value one argument.
#
# Environment:
#   PARAM_TARGET     the ecs-service target of .quest-changes.yml
#   PARAM_FROM       the environment whose running digest is promoted (e.g. dev)
#   PARAM_TO         the environment it is promoted to (e.g. prod)
#   PARAM_DRY_RUN    true: print the steps, change nothing
#   PARAM_VERBOSE    true: say more about each step
#   QUEST_CONFIG     read by quest-changes
set -euo pipefail

fail() {
  echo "error: $*" >&2
  exit 1
}

# value NAME VALUE: refuses an empty value, one with a line break (it would split into two
# arguments) and one starting with "-" (it would be read as an option).
value() {
  [[ -n $2 ]] || fail "$1 is empty: name $3"
  [[ $2 != *$'\n'* ]] || fail "$1 must be one line"
  [[ $2 != -* ]] || fail "$1 must not start with '-': '$2'"
}

# flag NAME VALUE: true or false, as CircleCI passes a boolean parameter.
flag() {
  [[ $2 == true || $2 == false ]] || fail "$1 must be true or false, not '$2'"
}

# The arguments for quest-changes, one per line.
promote_args() {
  value target "${PARAM_TARGET:-}" "an ecs-service target of .quest-changes.yml"
  value from "${PARAM_FROM:-}" "the environment to promote from"
  value to "${PARAM_TO:-}" "the environment to promote to"
  flag dry_run "${PARAM_DRY_RUN:-false}"
  flag verbose "${PARAM_VERBOSE:-false}"
  local args=(promote "$PARAM_TARGET" --from "$PARAM_FROM" --to "$PARAM_TO")
  [[ ${PARAM_DRY_RUN:-false} != true ]] || args+=(--dry-run)
  [[ ${PARAM_VERBOSE:-false} != true ]] || args+=(--verbose)
  printf '%s\n' "${args[@]}"
}

main() {
  local args
  mapfile -t args < <(promote_args)
  ((${#args[@]})) || exit 1
  echo "quest-changes ${args[*]}"
  quest-changes "${args[@]}"
}

ORB_TEST_ENV="bats-core"
if [ "${0#*"$ORB_TEST_ENV"}" == "$0" ]; then
  main "$@"
fi
