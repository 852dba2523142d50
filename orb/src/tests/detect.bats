#!/usr/bin/env bats
# detect.sh: the base fallback, the output folder, and quest-changes' exit code.

load test_helper

setup() {
  setup_stubs
  SCRIPT="$SCRIPTS/detect.sh"
  stub quest-changes 'echo "QUEST_BASE=${QUEST_BASE-unset} QUEST_FORMAT=${QUEST_FORMAT-unset}" >>"$STUB_LOG"; exit "${STUB_EXIT:-0}"'
  unset PARAM_BASE PIPELINE_BASE_REVISION QUEST_OUTPUT
  export QUEST_FORMAT=circleci
}

@test "runs quest-changes detect with the pipeline's base revision" {
  export PIPELINE_BASE_REVISION=1111111111111111111111111111111111111111
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  grep -qx "quest-changes detect" "$STUB_LOG"
  grep -qx "QUEST_BASE=1111111111111111111111111111111111111111 QUEST_FORMAT=circleci" "$STUB_LOG"
}

@test "an explicit base wins over the pipeline's" {
  export PIPELINE_BASE_REVISION=1111111111111111111111111111111111111111 PARAM_BASE=v1.2.0
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  grep -qx "QUEST_BASE=v1.2.0 QUEST_FORMAT=circleci" "$STUB_LOG"
}

@test "no base at all leaves QUEST_BASE empty, which quest-changes treats as unset" {
  export PIPELINE_BASE_REVISION=""
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  grep -qx "QUEST_BASE= QUEST_FORMAT=circleci" "$STUB_LOG"
}

@test "creates the output file's folder" {
  export QUEST_OUTPUT="$BATS_TEST_TMPDIR/deep/er/parameters.json"
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ -d "$BATS_TEST_TMPDIR/deep/er" ]
}

@test "passes quest-changes' exit code on (3: uncertain under strict)" {
  STUB_EXIT=3 run bash "$SCRIPT"
  [ "$status" -eq 3 ]
}

@test "a revision with shell syntax stays data" {
  export PARAM_BASE='$(touch pwned)'
  cd "$BATS_TEST_TMPDIR"
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ ! -e "$BATS_TEST_TMPDIR/pwned" ]
  grep -qxF 'QUEST_BASE=$(touch pwned) QUEST_FORMAT=circleci' "$STUB_LOG"
}
