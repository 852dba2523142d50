#!/usr/bin/env bats
# route.sh: the continuation request, retries on 429/5xx/connection failures, and the clear
# error for an expired continuation key.

load test_helper

setup() {
  setup_stubs
  SCRIPT="$SCRIPTS/route.sh"
  cd "$BATS_TEST_TMPDIR"
  printf 'version: 2.1\nworkflows: {}\n' >continue.yml
  printf '{"deploy_service":true,"deploy_infra":false,"quest_base":"","quest_head":"abc"}\n' >parameters.json
  export PARAM_CONTINUATION_CONFIG=continue.yml PARAM_PARAMETERS=parameters.json
  export PARAM_CIRCLECI_DOMAIN=circleci.example.test PARAM_MAX_ATTEMPTS=4
  export CIRCLE_CONTINUATION_KEY=key-1234-secret
  stub sleep ''
  # curl: answers with the next line of $BATS_TEST_TMPDIR/answers, "STATUS|HEADER|BODY";
  # STATUS 000 fails like a refused connection. Saves the request body it was sent.
  stub curl 'n=$(($(cat "$BATS_TEST_TMPDIR/n" 2>/dev/null || echo 0) + 1)); echo "$n" >"$BATS_TEST_TMPDIR/n"
IFS="|" read -r status header body < <(sed -n "${n}p" "$BATS_TEST_TMPDIR/answers")
while (($#)); do
  case $1 in
    --dump-header) headers=$2; shift ;;
    --output) out=$2; shift ;;
    --data-binary) cp "${2#@}" "$BATS_TEST_TMPDIR/request.json"; shift ;;
  esac
  shift
done
if [[ $status == 000 ]]; then echo "curl: (7) Failed to connect" >&2; exit 7; fi
printf "HTTP/2 %s\r\n%s\r\n\r\n" "$status" "$header" >"$headers"
printf "%s" "$body" >"$out"
printf "%s" "$status"'
}

answers() {
  printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/answers"
}

calls() {
  grep -c "^$1 " "$STUB_LOG" || true
}

@test "posts the continuation config and the parameters with the key, once" {
  answers '200|content-type: application/json|{"message":"success"}'
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [[ $output == *"pipeline continued with continue.yml"* ]]
  [ "$(calls curl)" -eq 1 ]
  grep -q "https://circleci.example.test/api/v2/pipeline/continue" "$STUB_LOG"
  [ "$(jq -r '."continuation-key"' request.json)" = key-1234-secret ]
  [ "$(jq -r .configuration request.json)" = "$(cat continue.yml)" ]
  [ "$(jq -c .parameters request.json)" = '{"deploy_service":true,"deploy_infra":false,"quest_base":"","quest_head":"abc"}' ]
}

@test "the continuation key never appears in a command line or the log" {
  answers '200||{}'
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  run grep -q key-1234-secret "$STUB_LOG"
  [ "$status" -eq 1 ]
  [[ $output != *key-1234-secret* ]]
}

@test "retries a 429 after the server's Retry-After" {
  answers '429|Retry-After: 7|{"message":"rate limited"}' '200||{}'
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ "$(calls curl)" -eq 2 ]
  grep -qx "sleep 7" "$STUB_LOG"
  [[ $output == *"HTTP 429"*"retrying in 7s (attempt 2 of 4)"* ]]
}

@test "retries 5xx and connection failures with growing delays" {
  answers '502||bad gateway' '000||' '503||' '201||{}'
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ "$(calls curl)" -eq 4 ]
  [ "$(grep '^sleep' "$STUB_LOG" | tr '\n' ' ')" = "sleep 2 sleep 4 sleep 8 " ]
}

@test "gives up after max_attempts with the last status" {
  answers '500||' '500||' '500||' '500||' '200||{}'
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [ "$(calls curl)" -eq 4 ]
  [[ $output == *"could not continue the pipeline after 4 attempts (last answer: HTTP 500)"* ]]
}

@test "an expired continuation key is a clear error and is not retried" {
  answers '409||{"message":"Continuation key has expired. Please run a new pipeline."}'
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [ "$(calls curl)" -eq 1 ]
  [[ $output == *"the continuation key has expired or was already used (CircleCI answered 409: Continuation key has expired."* ]]
  [[ $output == *"start a new pipeline"* ]]
}

@test "the older 'Key has expired.' answer is recognised too" {
  answers '400||{"message":"Key has expired."}'
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"continuation key has expired"* ]]
}

@test "another client error is reported with its status and message, not retried" {
  answers '400||{"message":"config is not valid: unknown parameter deploy_api"}'
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [ "$(calls curl)" -eq 1 ]
  [[ $output == *"refused to continue the pipeline (HTTP 400): config is not valid: unknown parameter deploy_api"* ]]
}

@test "outside a setup workflow there is no key: a clear error" {
  unset CIRCLE_CONTINUATION_KEY
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"CIRCLE_CONTINUATION_KEY is not set"*"setup: true"* ]]
  refute_called curl
}

@test "a missing config, missing or invalid parameters, or a bad max_attempts is refused" {
  PARAM_CONTINUATION_CONFIG=nope.yml run bash "$SCRIPT"
  [[ $status -eq 1 && $output == *"'nope.yml' does not exist"* ]]
  PARAM_PARAMETERS=nope.json run bash "$SCRIPT"
  [[ $status -eq 1 && $output == *"run the detect command with format circleci first"* ]]
  echo '[1]' >list.json
  PARAM_PARAMETERS=list.json run bash "$SCRIPT"
  [[ $status -eq 1 && $output == *"not a JSON object"* ]]
  PARAM_MAX_ATTEMPTS=0 run bash "$SCRIPT"
  [[ $status -eq 1 && $output == *"max_attempts must be a positive integer"* ]]
  refute_called curl
}

@test "retry_delay honours Retry-After, doubles otherwise, and caps at 60 seconds" {
  source "$SCRIPT"
  printf 'HTTP/2 429\r\nretry-after: 3\r\n\r\n' >h
  [ "$(retry_delay h 1)" = 3 ]
  printf 'HTTP/2 429\r\nRetry-After: 900\r\n\r\n' >h
  [ "$(retry_delay h 1)" = 60 ]
  printf 'HTTP/2 503\r\n\r\n' >h
  [ "$(retry_delay h 3)" = 8 ]
  [ "$(retry_delay h 9)" = 60 ]
}
