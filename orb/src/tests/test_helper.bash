# Shared by the bats tests: stub programs first on PATH, each logging its arguments.
# shellcheck shell=bash

SCRIPTS="$BATS_TEST_DIRNAME/../scripts"

setup_stubs() {
  STUB_DIR="$BATS_TEST_TMPDIR/bin"
  STUB_LOG="$BATS_TEST_TMPDIR/calls.log"
  mkdir -p "$STUB_DIR"
  : >"$STUB_LOG"
  PATH="$STUB_DIR:$PATH"
  export STUB_DIR STUB_LOG PATH
}

# stub NAME BODY: a program NAME that logs "NAME ARGS..." and then runs BODY.
stub() {
  local name=$1 body=${2:-}
  {
    echo '#!/usr/bin/env bash'
    echo "echo \"$name \$*\" >>\"\$STUB_LOG\""
    echo "$body"
  } >"$STUB_DIR/$name"
  chmod +x "$STUB_DIR/$name"
}

# refute_called NAME: fails when the stub NAME ran (a bare `! grep` would not fail a bats test).
refute_called() {
  if grep -q "^$1 " "$STUB_LOG" || grep -qx "$1" "$STUB_LOG"; then
    echo "$1 was called: $(grep "^$1" "$STUB_LOG")"
    return 1
  fi
}
