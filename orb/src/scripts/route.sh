#!/usr/bin/env bash
# Continues a setup pipeline through CircleCI's continuation API with the pipeline parameters
# that `quest-changes detect --format circleci` wrote (one deploy_<target> boolean per target,
# quest_base and quest_head). Retries on 429, 5xx and connection failures (honouring
# Retry-After); a used or expired continuation key is a clear error, never a retry.
#
# Environment:
#   PARAM_CONTINUATION_CONFIG  the configuration to continue with, e.g. .circleci/continue.yml
#   PARAM_PARAMETERS           the JSON file detect wrote
#   PARAM_CIRCLECI_DOMAIN      circleci.com, or a CircleCI server's host
#   PARAM_MAX_ATTEMPTS         attempts before giving up (default 5)
#   CIRCLE_CONTINUATION_KEY    set by CircleCI in a setup workflow's jobs
set -euo pipefail

fail() {
  echo "error: $*" >&2
  exit 1
}

# Seconds to wait before attempt n+1: the server's Retry-After when it gives seconds, else 2^n,
# capped at 60.
retry_delay() {
  local headers=$1 attempt=$2 value delay
  value=$(tr -d '\r' <"$headers" | sed -n 's/^[Rr][Ee][Tt][Rr][Yy]-[Aa][Ff][Tt][Ee][Rr]:[[:space:]]*\([0-9][0-9]*\)[[:space:]]*$/\1/p' | tail -n 1)
  if [[ -n $value ]]; then
    delay=$((10#$value))
  else
    delay=$((2 ** attempt))
  fi
  ((delay <= 60)) || delay=60
  echo "$delay"
}

# The continuation request body; the key comes from the environment, never from argv.
build_body() {
  jq -n \
    --rawfile config "$PARAM_CONTINUATION_CONFIG" \
    --slurpfile parameters "$PARAM_PARAMETERS" \
    '{"continuation-key": env.CIRCLE_CONTINUATION_KEY, "configuration": $config, "parameters": $parameters[0]}'
}

main() {
  local url max attempt status work body response headers message delay
  [[ -n ${CIRCLE_CONTINUATION_KEY:-} ]] ||
    fail "CIRCLE_CONTINUATION_KEY is not set: the route job must run in a setup workflow (a config with setup: true)"
  [[ -f ${PARAM_CONTINUATION_CONFIG:-} ]] ||
    fail "the continuation config '${PARAM_CONTINUATION_CONFIG:-}' does not exist"
  [[ -f ${PARAM_PARAMETERS:-} ]] ||
    fail "the pipeline parameters file '${PARAM_PARAMETERS:-}' does not exist: run the detect command with format circleci first"
  jq -e 'type == "object"' "$PARAM_PARAMETERS" >/dev/null 2>&1 ||
    fail "$PARAM_PARAMETERS is not a JSON object of pipeline parameters"
  max=${PARAM_MAX_ATTEMPTS:-5}
  [[ $max =~ ^[1-9][0-9]*$ ]] || fail "max_attempts must be a positive integer, not '$max'"
  url="https://${PARAM_CIRCLECI_DOMAIN:-circleci.com}/api/v2/pipeline/continue"

  echo "continuing the pipeline with:"
  jq . "$PARAM_PARAMETERS"

  work=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: the folder is local to this function
  trap "rm -rf '$work'" EXIT
  body="$work/body.json"
  response="$work/response"
  headers="$work/headers"
  (umask 077 && build_body >"$body")

  attempt=1
  while :; do
    status=$(curl --silent --show-error --request POST --header "Content-Type: application/json" \
      --data-binary "@$body" --dump-header "$headers" --output "$response" \
      --write-out '%{http_code}' "$url") || status=000
    case $status in
      2??)
        echo "pipeline continued with $PARAM_CONTINUATION_CONFIG"
        return 0
        ;;
      429 | 5?? | 000) ;;
      *)
        message=$(jq -r '.message // empty' "$response" 2>/dev/null || true)
        [[ -n $message ]] || message=$(head -c 500 "$response" 2>/dev/null || true)
        if [[ ${message,,} == *expired* || ${message,,} == *"already been used"* ]]; then
          fail "the continuation key has expired or was already used (CircleCI answered $status: $message). A setup workflow can continue its pipeline once, within a few hours of starting: start a new pipeline (push again or trigger one) instead of re-running this job"
        fi
        fail "CircleCI refused to continue the pipeline (HTTP $status): $message"
        ;;
    esac
    if ((attempt >= max)); then
      fail "could not continue the pipeline after $attempt attempts (last answer: HTTP $status)"
    fi
    delay=$(retry_delay "$headers" "$attempt")
    echo "HTTP $status from $url; retrying in ${delay}s (attempt $((attempt + 1)) of $max)" >&2
    sleep "$delay"
    attempt=$((attempt + 1))
  done
}

ORB_TEST_ENV="bats-core"
if [ "${0#*"$ORB_TEST_ENV"}" == "$0" ]; then
  main "$@"
fi
