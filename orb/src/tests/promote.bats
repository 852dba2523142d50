#!/usr/bin/env bats
# promote.sh: parameters to `quest-changes promote <target> --from <env> --to <env>`, each value
# one argument, and the binary's exit codes passed on unchanged.

load test_helper

setup() {
  setup_stubs
  SCRIPT="$SCRIPTS/promote.sh"
  ARGV="$BATS_TEST_TMPDIR/argv"
  # Logs "$*" (test_helper) and, to $ARGV, the argument count and each argument in brackets,
  # so a value that split or merged shows.
  stub quest-changes '{ printf "%s:" "$#"; printf "[%s]" "$@"; echo; } >>"$ARGV"
exit "${STUB_EXIT:-0}"'
  export ARGV PARAM_TARGET=service PARAM_FROM=dev PARAM_TO=prod PARAM_DRY_RUN=false PARAM_VERBOSE=false
  cd "$BATS_TEST_TMPDIR"
}

@test "runs quest-changes promote <target> --from <env> --to <env>" {
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ "$(cat "$STUB_LOG")" = "quest-changes promote service --from dev --to prod" ]
  [ "$(cat "$ARGV")" = "6:[promote][service][--from][dev][--to][prod]" ]
  [[ $output == *"quest-changes promote service --from dev --to prod"* ]]
}

@test "dry_run adds --dry-run and verbose adds --verbose" {
  PARAM_DRY_RUN=true run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  PARAM_TARGET=api PARAM_FROM=test PARAM_TO=live PARAM_DRY_RUN=true PARAM_VERBOSE=true run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ "$(sed -n 1p "$STUB_LOG")" = "quest-changes promote service --from dev --to prod --dry-run" ]
  [ "$(sed -n 2p "$STUB_LOG")" = "quest-changes promote api --from test --to live --dry-run --verbose" ]
}

@test "hostile values stay one argument each and are never run as shell" {
  PARAM_TARGET='svc; touch pwned' PARAM_FROM='dev --to prod' PARAM_TO='$(touch pwned) `touch pwned` "x"' \
    run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ "$(cat "$ARGV")" = '6:[promote][svc; touch pwned][--from][dev --to prod][--to][$(touch pwned) `touch pwned` "x"]' ]
  [ ! -e pwned ]
  PARAM_FROM='*' PARAM_TO='prod prod' run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ "$(sed -n 2p "$ARGV")" = '6:[promote][service][--from][*][--to][prod prod]' ]
}

@test "a value with a line break or a leading dash is refused before quest-changes runs" {
  PARAM_TO=$'prod\n--dry-run' run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"error: to must be one line"* ]]
  PARAM_FROM=--dry-run run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"error: from must not start with '-': '--dry-run'"* ]]
  PARAM_TARGET=-v run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"error: target must not start with '-'"* ]]
  refute_called quest-changes
}

@test "an empty target, source or destination is refused before quest-changes runs" {
  PARAM_TARGET="" run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"error: target is empty: name an ecs-service target of .quest-changes.yml"* ]]
  PARAM_FROM="" run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"error: from is empty: name the environment to promote from"* ]]
  unset PARAM_TO
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"error: to is empty: name the environment to promote to"* ]]
  refute_called quest-changes
}

@test "dry_run and verbose must be booleans" {
  PARAM_DRY_RUN=yes run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"error: dry_run must be true or false, not 'yes'"* ]]
  PARAM_VERBOSE=1 run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"error: verbose must be true or false, not '1'"* ]]
  refute_called quest-changes
}

@test "passes quest-changes' exit codes on unchanged (13 refused, 4 scan, 5 rolled back, 6, 12, 2)" {
  for code in 13 4 5 6 12 2 1; do
    STUB_EXIT=$code run bash "$SCRIPT"
    [ "$status" -eq "$code" ]
  done
  [ "$(wc -l <"$STUB_LOG")" -eq 7 ]
  STUB_EXIT=13 PARAM_DRY_RUN=true run bash "$SCRIPT"
  [ "$status" -eq 13 ]
  [ "$(tail -n 1 "$STUB_LOG")" = "quest-changes promote service --from dev --to prod --dry-run" ]
}

@test "promote_args prints one argument per line" {
  source "$SCRIPT"
  PARAM_FROM='dev --to prod' run promote_args
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 6 ]
  [ "${lines[3]}" = "dev --to prod" ]
}
