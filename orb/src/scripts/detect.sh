#!/usr/bin/env bash
# Runs `quest-changes detect`. Every setting reaches the binary as its own QUEST_* variable
# (docs/commands.md), so this script adds nothing but the base fallback and the output folder.
#
# Environment:
#   QUEST_FORMAT, QUEST_OUTPUT, QUEST_CONFIG, QUEST_STRICT, QUEST_HEAD   read by quest-changes
#   PARAM_BASE              an explicit base revision; empty: PIPELINE_BASE_REVISION
#   PIPELINE_BASE_REVISION  CircleCI's pipeline.git.base_revision (empty on a new branch, when
#                           quest-changes falls back to the merge base with the default branch)
set -euo pipefail

main() {
  export QUEST_BASE=${PARAM_BASE:-${PIPELINE_BASE_REVISION:-}}
  if [[ -n ${QUEST_OUTPUT:-} ]]; then
    mkdir -p "$(dirname "$QUEST_OUTPUT")"
  fi
  quest-changes detect
}

ORB_TEST_ENV="bats-core"
if [ "${0#*"$ORB_TEST_ENV"}" == "$0" ]; then
  main "$@"
fi
