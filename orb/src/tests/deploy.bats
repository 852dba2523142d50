#!/usr/bin/env bats
# deploy.sh: parameters to quest-changes deploy flags, and its exit codes passed on.

load test_helper

setup() {
  setup_stubs
  SCRIPT="$SCRIPTS/deploy.sh"
  stub quest-changes 'exit "${STUB_EXIT:-0}"'
  export PARAM_TARGET=service PARAM_MODE=auto PARAM_SINCE="" PARAM_DRY_RUN=false
  unset QUEST_PLAN_DIR
}

@test "auto mode runs quest-changes deploy <target> alone" {
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  grep -qx "quest-changes deploy service" "$STUB_LOG"
}

@test "plan and apply modes add --plan-only and --apply" {
  PARAM_TARGET=infra PARAM_MODE=plan run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  PARAM_TARGET=infra PARAM_MODE=apply run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ "$(sed -n 1p "$STUB_LOG")" = "quest-changes deploy infra --plan-only" ]
  [ "$(sed -n 2p "$STUB_LOG")" = "quest-changes deploy infra --apply" ]
}

@test "since deployed and dry_run add their flags" {
  PARAM_SINCE=deployed PARAM_DRY_RUN=true run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  grep -qx "quest-changes deploy service --since deployed --dry-run" "$STUB_LOG"
}

@test "a target name is passed as one argument, never as shell text" {
  PARAM_TARGET='svc; touch pwned' run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  source "$SCRIPT"
  PARAM_TARGET='svc; touch pwned' run deploy_args
  [ "${lines[1]}" = 'svc; touch pwned' ]
  [ ! -e pwned ]
}

@test "an empty target or an unknown mode is refused before quest-changes runs" {
  PARAM_TARGET="" run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"target is empty"* ]]
  PARAM_MODE=destroy run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"mode must be auto, plan or apply, not 'destroy'"* ]]
  PARAM_SINCE=yesterday run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  refute_called quest-changes
}

@test "passes quest-changes' exit codes on (5: rolled back, 7: stale plan)" {
  STUB_EXIT=5 run bash "$SCRIPT"
  [ "$status" -eq 5 ]
  STUB_EXIT=7 PARAM_MODE=apply run bash "$SCRIPT"
  [ "$status" -eq 7 ]
}

@test "creates the plan folder" {
  export QUEST_PLAN_DIR="$BATS_TEST_TMPDIR/plans/x"
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ -d "$QUEST_PLAN_DIR" ]
}

@test "a target with a line break is refused, never split into two arguments" {
  PARAM_TARGET=$'service\n--apply' run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"target must be one line"* ]]
  refute_called quest-changes
}

@test "env adds --env NAME after the target, and nothing when empty" {
  PARAM_ENV=dev PARAM_SINCE=deployed run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  PARAM_ENV=prod PARAM_TARGET=infra PARAM_MODE=plan run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  PARAM_ENV="" run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ "$(sed -n 1p "$STUB_LOG")" = "quest-changes deploy service --env dev --since deployed" ]
  [ "$(sed -n 2p "$STUB_LOG")" = "quest-changes deploy infra --env prod --plan-only" ]
  [ "$(sed -n 3p "$STUB_LOG")" = "quest-changes deploy service" ]
}

@test "an environment name is passed as one argument, and one with a line break is refused" {
  source "$SCRIPT"
  PARAM_ENV='dev --apply; touch pwned' run deploy_args
  [ "$status" -eq 0 ]
  [ "${lines[2]}" = "--env" ]
  [ "${lines[3]}" = 'dev --apply; touch pwned' ]
  [ "${#lines[@]}" -eq 4 ]
  PARAM_ENV=$'dev\n--apply' run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"env must be one line"* ]]
  refute_called quest-changes
  [ ! -e pwned ]
}

@test "passes exit code 12 on (the environment does not deploy from this branch)" {
  STUB_EXIT=12 PARAM_ENV=prod run bash "$SCRIPT"
  [ "$status" -eq 12 ]
  grep -qx "quest-changes deploy service --env prod" "$STUB_LOG"
}
