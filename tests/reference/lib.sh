# shellcheck shell=bash
#
# Helpers for the reference-system Terraform tests. Source this file; do not
# run it. Every function works under `set -euo pipefail`.
#
#   . tests/reference/lib.sh
#   ref_init                       # temp dir + one EXIT/INT/TERM trap for all cleanup
#   ref_terraform_cli_config       # provider mirror or registry -> TF_CLI_CONFIG_FILE
#   ref_moto_start                 # moto_server on 127.0.0.1:<free port>, AWS_* env
#   stage=$(ref_stage_tree terraform)          # temp copy of the Terraform tree
#   ref_moto_override "$stage/bootstrap"       # test-only provider endpoints
#   tf -chdir="$stage/bootstrap" init          # terraform with timeout, -input=false -no-color
#
# Functions: ref_init, ref_on_exit, ref_find_provider_mirror,
# ref_terraform_cli_config, ref_moto_ensure, ref_moto_start, ref_moto_stop,
# ref_moto_env, tf, ref_stage_tree, ref_moto_override,
# ref_moto_override_remove, ref_add_override, ref_backend_config,
# ref_backend_args, ref_plan_is_empty, ref_destroy, ref_s3_empty_bucket.
# What moto can and cannot do for these roots: tests/reference/MOTO.md.
#
# Settings (environment):
#   TF_PLUGIN_MIRROR     directory that holds registry.terraform.io/hashicorp/aws
#                        (or the registry.terraform.io directory itself)
#   TF_TIMEOUT           seconds allowed for one terraform command (default 600)
#   MOTO_ENDPOINT        use this moto server instead of starting one
#   MOTO_START_TIMEOUT   seconds to wait for moto_server to answer (default 60)
#   MOTO_MAX_RETRIES     provider max_retries in the override (default 2)
#   MOTO_IAM_LOAD_MANAGED_POLICIES  passed to moto_server (default true)
#   REF_KEEP_TMP=1       keep the temp dir (logs, staged copies) for debugging

# Per shell, never inherited: a script started by another test script gets its
# own temp dir and trap, and reuses the parent's moto through MOTO_ENDPOINT.
REF_TMPDIR=
REF_MOTO_PID=
REF_TF_PID=
REF_IN_CLEANUP=
REF_CLEANUP_CMDS=()

# Services the design's resources call; each becomes an endpoints entry in the
# test-only provider override. Append to it after sourcing if a root needs more.
REF_AWS_SERVICES=(
  acm
  appautoscaling
  cloudwatch
  ec2
  ecr
  ecs
  elbv2
  iam
  kms
  logs
  route53
  s3
  secretsmanager
  ssm
  sts
  wafv2
)

ref_log() {
  printf '[ref %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

ref_die() {
  printf '[ref] ERROR: %s\n' "$*" >&2
  # Inside the exit trap, exiting would skip the remaining cleanups
  # (stopping moto among them): fail the current step only.
  [[ -z "${REF_IN_CLEANUP:-}" ]] || return 1
  exit 1
}

# ref_on_exit CMD... : run CMD (with eval) at exit, last registered first.
ref_on_exit() {
  REF_CLEANUP_CMDS+=("$*")
}

ref_run_cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  set +e
  REF_IN_CLEANUP=1
  ref_tf_stop
  for ((i = ${#REF_CLEANUP_CMDS[@]} - 1; i >= 0; i--)); do
    eval "${REF_CLEANUP_CMDS[i]}"
  done
  REF_CLEANUP_CMDS=()
  return "$rc"
}

# ref_init: create REF_TMPDIR and install the single EXIT/INT/TERM trap that
# runs every registered cleanup. Safe to call more than once.
ref_init() {
  if [[ -n "$REF_TMPDIR" && -d "$REF_TMPDIR" ]]; then
    return 0
  fi
  REF_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/ref-test.XXXXXX")
  trap ref_run_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ref_on_exit ref_remove_tmpdir
}

# ref_require_init: fail unless ref_init ran in this shell. Functions meant
# for $(...) call this instead of ref_init: a trap set inside a command
# substitution would delete the temp dir when the subshell ends.
ref_require_init() {
  [[ -n "$REF_TMPDIR" && -d "$REF_TMPDIR" ]] || ref_die "call ref_init first"
}

ref_remove_tmpdir() {
  if [[ "${REF_KEEP_TMP:-0}" == 1 ]]; then
    ref_log "kept temp dir $REF_TMPDIR"
  elif [[ -n "$REF_TMPDIR" && -d "$REF_TMPDIR" ]]; then
    rm -rf -- "$REF_TMPDIR"
  fi
}

# --------------------------------------------------------------------------
# (a) Terraform provider installation
# --------------------------------------------------------------------------

# ref_find_provider_mirror: print the directory that holds
# registry.terraform.io/hashicorp/aws (the filesystem_mirror path), or return 1.
ref_find_provider_mirror() {
  local candidate root found
  if [[ -n "${TF_PLUGIN_MIRROR:-}" ]]; then
    for candidate in "$TF_PLUGIN_MIRROR" "$(dirname -- "$TF_PLUGIN_MIRROR")"; do
      if [[ -d "$candidate/registry.terraform.io/hashicorp/aws" ]]; then
        (cd -- "$candidate" && pwd -P)
        return 0
      fi
    done
    ref_log "TF_PLUGIN_MIRROR=$TF_PLUGIN_MIRROR holds no registry.terraform.io/hashicorp/aws; searching"
  fi
  for root in /opt /usr/share /usr/local/share /usr/local/lib "${HOME:-/root}/.terraform.d" \
    "${XDG_DATA_HOME:-${HOME:-/root}/.local/share}" /var /srv; do
    [[ -d "$root" ]] || continue
    found=$(find "$root" -maxdepth 6 -type d -path '*/registry.terraform.io/hashicorp/aws' \
      -print -quit 2>/dev/null || true)
    if [[ -n "$found" ]]; then
      (cd -- "$found/../../.." && pwd -P)
      return 0
    fi
  done
  return 1
}

# ref_terraform_cli_config: write a CLI config in REF_TMPDIR and export
# TF_CLI_CONFIG_FILE. With a mirror, hashicorp/* come only from it; without
# one, Terraform installs from the registry as usual.
ref_terraform_cli_config() {
  ref_init
  local mirror cfg="$REF_TMPDIR/terraform.rc"
  mkdir -p "$REF_TMPDIR/plugin-cache"
  if mirror=$(ref_find_provider_mirror); then
    ref_log "provider mirror: $mirror"
    cat >"$cfg" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
EOF
  else
    ref_log "no provider mirror found; using direct registry installation"
    cat >"$cfg" <<EOF
plugin_cache_dir = "$REF_TMPDIR/plugin-cache"
provider_installation {
  direct {}
}
EOF
  fi
  export TF_CLI_CONFIG_FILE="$cfg"
  export TF_IN_AUTOMATION=1
  export TF_INPUT=0
  export CHECKPOINT_DISABLE=1
}

# --------------------------------------------------------------------------
# (b) moto server
# --------------------------------------------------------------------------

# ref_moto_ensure: make sure moto_server is on PATH, installing moto[server]
# with pip when it is missing.
ref_moto_ensure() {
  command -v moto_server >/dev/null 2>&1 && return 0
  local py
  py=$(command -v python3 || command -v python || true)
  [[ -n "$py" ]] || ref_die "moto_server is missing and no python3 is available to install moto[server]"
  ref_log "moto_server not found; installing moto[server] with pip"
  if ! "$py" -m pip install --quiet 'moto[server]' >&2; then
    ref_die "pip install 'moto[server]' failed; install it by hand (python3 -m pip install 'moto[server]')"
  fi
  hash -r
  if ! command -v moto_server >/dev/null 2>&1; then
    # pip may put the script where PATH does not look: the interpreter's
    # scripts directory or the user-site one (pip --user fallback).
    local dir
    while IFS= read -r dir; do
      if [[ -x "$dir/moto_server" ]]; then
        PATH="$PATH:$dir"
        export PATH
        break
      fi
    done < <("$py" -c 'import os, site, sysconfig; print(sysconfig.get_path("scripts")); print(os.path.join(site.getuserbase(), "bin"))')
  fi
  command -v moto_server >/dev/null 2>&1 ||
    ref_die "moto[server] was installed but moto_server is not on PATH"
}

# ref_free_port: print a TCP port that is free on 127.0.0.1.
ref_free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# ref_moto_wait URL [SECONDS]: wait until the moto server answers.
ref_moto_wait() {
  local url=$1 limit=${2:-${MOTO_START_TIMEOUT:-60}} i
  for ((i = 0; i < limit * 4; i++)); do
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=2)' \
      "$url" >/dev/null 2>&1; then
      return 0
    fi
    if [[ -n "$REF_MOTO_PID" ]] && ! kill -0 "$REF_MOTO_PID" 2>/dev/null; then
      return 1
    fi
    sleep 0.25
  done
  return 1
}

# ref_moto_env URL: export the AWS SDK settings that point at moto.
ref_moto_env() {
  export AWS_ENDPOINT_URL="$1"
  export AWS_ACCESS_KEY_ID=test
  export AWS_SECRET_ACCESS_KEY=test
  export AWS_DEFAULT_REGION=us-east-1
  export AWS_REGION=us-east-1
  unset AWS_PROFILE AWS_SESSION_TOKEN
  export AWS_EC2_METADATA_DISABLED=true
}

# ref_moto_start: use MOTO_ENDPOINT if set, else start moto_server on a free
# port on 127.0.0.1 (log in REF_TMPDIR/moto.log) and stop it at exit. Exports
# MOTO_ENDPOINT and the AWS_* variables.
ref_moto_start() {
  ref_init
  if [[ -n "${MOTO_ENDPOINT:-}" ]]; then
    ref_log "using existing moto server $MOTO_ENDPOINT"
    ref_moto_wait "$MOTO_ENDPOINT" 10 || ref_die "MOTO_ENDPOINT=$MOTO_ENDPOINT does not answer"
    ref_moto_env "$MOTO_ENDPOINT"
    return 0
  fi
  ref_moto_ensure
  local port url
  port=$(ref_free_port)
  url="http://127.0.0.1:$port"
  # AWS managed IAM policies (e.g. service-role/AmazonECSTaskExecutionRolePolicy)
  # exist in moto only when it loads them at start.
  MOTO_IAM_LOAD_MANAGED_POLICIES=${MOTO_IAM_LOAD_MANAGED_POLICIES:-true} \
    moto_server -H 127.0.0.1 -p "$port" >"$REF_TMPDIR/moto.log" 2>&1 &
  REF_MOTO_PID=$!
  ref_on_exit ref_moto_stop
  if ! ref_moto_wait "$url"; then
    tail -n 20 "$REF_TMPDIR/moto.log" >&2 || true
    ref_die "moto_server did not answer on $url"
  fi
  ref_log "moto_server pid $REF_MOTO_PID on $url"
  export MOTO_ENDPOINT="$url"
  ref_moto_env "$url"
}

# ref_moto_stop: stop the moto_server this shell started (only that pid).
ref_moto_stop() {
  [[ -n "$REF_MOTO_PID" ]] || return 0
  if kill -0 "$REF_MOTO_PID" 2>/dev/null; then
    kill "$REF_MOTO_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 20; i++)); do
      kill -0 "$REF_MOTO_PID" 2>/dev/null || break
      sleep 0.25
    done
    kill -9 "$REF_MOTO_PID" 2>/dev/null || true
    wait "$REF_MOTO_PID" 2>/dev/null || true
  fi
  REF_MOTO_PID=
}

# --------------------------------------------------------------------------
# (c) terraform with a time limit
# --------------------------------------------------------------------------

# tf [GLOBAL-OPTS] SUBCOMMAND [ARGS]: terraform bounded by TF_TIMEOUT seconds
# (default 600; SIGTERM, then SIGKILL 30 s later), with -no-color and, where
# the subcommand takes it, -input=false. Exit 124 or 137 means it timed out.
# terraform runs in the background and is waited for, so an INT/TERM to the
# test stops it at once (ref_tf_stop) instead of after it finishes.
tf() {
  local -a global=() extra=()
  while (($#)) && [[ "$1" == -* ]]; do
    global+=("$1")
    shift
  done
  (($#)) || ref_die "tf: no terraform subcommand given"
  local sub=$1
  shift
  case "$sub" in
  init | plan | apply | destroy | refresh | import) extra=(-input=false -no-color) ;;
  validate | output | show | fmt | providers | graph | test | force-unlock) extra=(-no-color) ;;
  esac
  local rc=0
  timeout --kill-after=30 "${TF_TIMEOUT:-600}" \
    terraform "${global[@]}" "$sub" "${extra[@]}" "$@" </dev/null &
  REF_TF_PID=$!
  wait "$REF_TF_PID" || rc=$?
  REF_TF_PID=
  if ((rc == 124 || rc == 137)); then
    ref_log "terraform $sub timed out after ${TF_TIMEOUT:-600}s"
  fi
  return "$rc"
}

# ref_tf_stop: stop a terraform that tf is running (at exit only).
ref_tf_stop() {
  [[ -n "$REF_TF_PID" ]] || return 0
  kill -TERM "$REF_TF_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 120; i++)); do
    kill -0 "$REF_TF_PID" 2>/dev/null || break
    sleep 0.25
  done
  kill -KILL "$REF_TF_PID" 2>/dev/null || true
  REF_TF_PID=
}

# --------------------------------------------------------------------------
# (d) test-only provider override and backend settings
# --------------------------------------------------------------------------

# ref_stage_tree SRC: copy a Terraform tree (without .terraform, state or plan
# files) into REF_TMPDIR and print the copy's path. The override files are
# written into the copy, so the shipped tree is never touched.
ref_stage_tree() {
  ref_require_init
  local src=$1 dest
  [[ -d "$src" ]] || ref_die "ref_stage_tree: no directory $src"
  dest=$(mktemp -d "$REF_TMPDIR/stage.XXXXXX")/$(basename -- "$src")
  mkdir -p "$dest"
  (cd -- "$src" && tar --exclude='.terraform' --exclude='*.tfstate' --exclude='*.tfstate.*' \
    --exclude='*.tfplan' --exclude='*_override.tf' --exclude='override.tf' -cf - .) |
    (cd -- "$dest" && tar -xf -)
  printf '%s\n' "$dest"
}

# ref_moto_override DIR [ALIAS...]: write DIR/moto_override.tf, a Terraform
# override file that merges into the root's provider "aws" block(s): every
# endpoint in REF_AWS_SERVICES points at MOTO_ENDPOINT, path-style S3, no
# credential/metadata checks, and few retries (moto answers 500 for a few
# calls and the provider would otherwise retry for many minutes). The
# provider still asks STS (moto) for its account, as on AWS: a root's
# allowed_account_ids needs it, and under an assume_role block moto answers
# with the role's account. Pass
# the alias of every aliased provider "aws" block the root declares. The
# file is removed at exit; ref_moto_override_remove removes it earlier.
ref_moto_override() {
  ref_init
  local dir=$1
  shift
  [[ -n "${MOTO_ENDPOINT:-}" ]] || ref_die "ref_moto_override: start moto first (ref_moto_start)"
  [[ -d "$dir" ]] || ref_die "ref_moto_override: no directory $dir"
  local file="$dir/moto_override.tf" alias svc
  {
    printf '# Test-only: written by tests/reference/lib.sh, never committed.\n'
    for alias in "" "$@"; do
      printf 'provider "aws" {\n'
      [[ -z "$alias" ]] || printf '  alias                       = "%s"\n' "$alias"
      printf '  access_key                  = "test"\n'
      printf '  secret_key                  = "test"\n'
      printf '  s3_use_path_style           = true\n'
      printf '  skip_credentials_validation = true\n'
      printf '  skip_metadata_api_check     = true\n'
      printf '  skip_region_validation      = true\n'
      printf '  max_retries                 = %s\n' "${MOTO_MAX_RETRIES:-2}"
      printf '  endpoints {\n'
      for svc in "${REF_AWS_SERVICES[@]}"; do
        printf '    %-14s = "%s"\n' "$svc" "$MOTO_ENDPOINT"
      done
      printf '  }\n}\n'
    done
  } >"$file"
  ref_on_exit "rm -f -- $(printf '%q' "$file")"
}

# ref_moto_override_remove DIR: delete DIR/moto_override.tf now.
ref_moto_override_remove() {
  rm -f -- "$1/moto_override.tf"
}

# ref_backend_config BUCKET KEY: write an S3 backend settings file for moto
# (S3-native lock file, path-style, no AWS-only checks) and print its path;
# use it as `tf init -backend-config="$(ref_backend_config b k)"`.
ref_backend_config() {
  ref_require_init
  local bucket=$1 key=$2 file
  [[ -n "${MOTO_ENDPOINT:-}" ]] || ref_die "ref_backend_config: start moto first (ref_moto_start)"
  file="$REF_TMPDIR/backend-$bucket-${key//\//_}.s3.tfbackend"
  cat >"$file" <<EOF
bucket                      = "$bucket"
key                         = "$key"
region                      = "${AWS_REGION:-us-east-1}"
use_lockfile                = true
encrypt                     = true
endpoints                   = { s3 = "$MOTO_ENDPOINT", sts = "$MOTO_ENDPOINT", iam = "$MOTO_ENDPOINT" }
use_path_style              = true
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
skip_region_validation      = true
skip_s3_checksum            = true
access_key                  = "test"
secret_key                  = "test"
EOF
  printf '%s\n' "$file"
}

# ref_backend_args BUCKET KEY: the same settings as ref_backend_config, as
# -backend-config=KEY=VALUE flags in the array REF_BACKEND_ARGS:
#   ref_backend_args "$bucket" dev/terraform.tfstate
#   tf -chdir="$root" init "${REF_BACKEND_ARGS[@]}"
ref_backend_args() {
  [[ -n "${MOTO_ENDPOINT:-}" ]] || ref_die "ref_backend_args: start moto first (ref_moto_start)"
  # shellcheck disable=SC2034 # read by the caller
  REF_BACKEND_ARGS=(
    "-backend-config=bucket=$1"
    "-backend-config=key=$2"
    "-backend-config=region=${AWS_REGION:-us-east-1}"
    "-backend-config=use_lockfile=true"
    "-backend-config=encrypt=true"
    "-backend-config=endpoints={s3=\"$MOTO_ENDPOINT\"}"
    "-backend-config=use_path_style=true"
    "-backend-config=skip_credentials_validation=true"
    "-backend-config=skip_requesting_account_id=true"
    "-backend-config=skip_metadata_api_check=true"
    "-backend-config=skip_region_validation=true"
    "-backend-config=skip_s3_checksum=true"
    "-backend-config=access_key=test"
    "-backend-config=secret_key=test"
  )
}

# ref_add_override DIR NAME < CONTENT: write DIR/NAME_override.tf from stdin
# (Terraform merges *_override.tf into the blocks of the same name), removed
# at exit. Use it in a staged copy for test-only changes a module needs under
# moto, e.g. extra lifecycle.ignore_changes for attributes moto never returns.
ref_add_override() {
  ref_require_init
  local dir=$1 name=$2 file
  [[ -d "$dir" ]] || ref_die "ref_add_override: no directory $dir"
  file="$dir/${name}_override.tf"
  {
    printf '# Test-only: written by tests/reference/lib.sh, never committed.\n'
    cat
  } >"$file"
  ref_on_exit "rm -f -- $(printf '%q' "$file")"
}

# ref_plan_is_empty [-chdir=DIR] [PLAN-ARGS]: run `plan -detailed-exitcode`;
# return 0 when there are no changes, 2 when there are (the plan is printed),
# 1 on error.
ref_plan_is_empty() {
  local -a global=()
  while (($#)) && [[ "$1" == -chdir=* ]]; do
    global+=("$1")
    shift
  done
  local rc=0
  tf "${global[@]}" plan -detailed-exitcode "$@" || rc=$?
  case "$rc" in
  0) return 0 ;;
  2)
    ref_log "second plan is not empty"
    return 2
    ;;
  *) return 1 ;;
  esac
}

# ref_destroy [-chdir=DIR] [ARGS]: destroy -auto-approve; if that fails (e.g. a refresh
# call moto answers with 500), retry once without refreshing so the moto
# objects and the state do not outlive the test. Returns the first
# attempt's status.
ref_destroy() {
  local -a global=()
  while (($#)) && [[ "$1" == -chdir=* ]]; do
    global+=("$1")
    shift
  done
  local rc=0
  tf "${global[@]}" destroy -auto-approve "$@" || rc=$?
  if ((rc != 0)); then
    ref_log "destroy failed ($rc); retrying with -refresh=false"
    tf "${global[@]}" destroy -auto-approve -refresh=false "$@" || true
  fi
  return "$rc"
}

# ref_s3_empty_bucket BUCKET: delete every object version and delete marker
# in BUCKET on the moto server, one call each. Needed before destroying a
# versioned state bucket: moto 5.2.1 answers the provider's batch
# DeleteObjects (force_destroy) with 500 once the bucket holds a delete
# marker, which every S3-native lock file leaves behind.
ref_s3_empty_bucket() {
  [[ -n "${MOTO_ENDPOINT:-}" ]] || ref_die "ref_s3_empty_bucket: start moto first (ref_moto_start)"
  python3 - "$1" <<'PY'
import os
import sys

import boto3

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["MOTO_ENDPOINT"],
    region_name=os.environ.get("AWS_REGION", "us-east-1"),
    aws_access_key_id="test",
    aws_secret_access_key="test",
)
bucket = sys.argv[1]
for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
    for item in page.get("DeleteMarkers", []) + page.get("Versions", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
PY
}
