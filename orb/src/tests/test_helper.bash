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

# serve_dir DIR: serves DIR over HTTP on 127.0.0.1 at a free port the kernel picks, as a release
# host would; sets HTTP_URL and HTTP_PID (stop it with stop_server in teardown).
serve_dir() {
  local log="$BATS_TEST_TMPDIR/http.log" i port=""
  python3 -u -m http.server --bind 127.0.0.1 --directory "$1" 0 >"$log" 2>&1 &
  HTTP_PID=$!
  for ((i = 0; i < 100; i++)); do
    port=$(sed -n 's/.* port \([0-9][0-9]*\) .*/\1/p' "$log" | head -n 1)
    [[ -n $port ]] && break
    sleep 0.05
  done
  if [[ -z $port ]]; then
    cat "$log"
    echo "python3 -m http.server did not start (python3 is needed on PATH)"
    return 1
  fi
  HTTP_URL="http://127.0.0.1:$port"
  export HTTP_URL HTTP_PID
}

# stop_server: stops the server serve_dir started (by its pid only).
stop_server() {
  if [[ -n ${HTTP_PID:-} ]]; then
    kill "$HTTP_PID" 2>/dev/null || true
    wait "$HTTP_PID" 2>/dev/null || true
    HTTP_PID=""
  fi
}
