#!/usr/bin/env bash
#
# Static checks of terraform/ (the reference system's infrastructure):
#   1. terraform fmt -check -recursive terraform
#   2. terraform init -backend=false + terraform validate in terraform/bootstrap,
#      terraform/environments/dev and terraform/environments/prod (the modules
#      are validated through the roots that call them)
#   3. checkov -d terraform --quiet --compact with zero failed checks and zero
#      parsing errors (deliberate exceptions are skipped in the code, with
#      their reason, next to the resource)
#
# Providers come from a local filesystem mirror of hashicorp/aws when one is
# found (TF_PLUGIN_MIRROR, or a search of the usual directories); otherwise
# Terraform installs from the registry. init/validate run in a temporary copy,
# so no .terraform directory or lock file is left in the tree.
#
# Usage: tests/reference/check-terraform.sh   (from any directory)
# Settings: TF_PLUGIN_MIRROR, TF_TIMEOUT (seconds per terraform command, 600),
#           CHECKOV_TIMEOUT (seconds for checkov, 900), REF_KEEP_TMP=1.

# shellcheck source-path=SCRIPTDIR
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
repo_root=$(cd -- "$script_dir/../.." && pwd -P)
tf_dir="$repo_root/terraform"
roots=(bootstrap environments/dev environments/prod)

say() { printf '==> %s\n' "$*"; }
die() {
  printf 'check-terraform: error: %s\n' "$*" >&2
  exit 1
}

require() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed; $2"
}

require terraform "install Terraform >= 1.10 (https://developer.hashicorp.com/terraform/install)"
require timeout "install GNU coreutils (apt-get install coreutils)"
require python3 "install Python 3 (apt-get install python3 python3-pip); checkov needs it"
[[ -d "$tf_dir" ]] || die "no terraform/ directory under $repo_root"

# --- Shared helpers: tests/reference/lib.sh when present, else local ones ---------

if [[ -f "$script_dir/lib.sh" ]]; then
  # shellcheck source=lib.sh disable=SC1091 # followed with shellcheck -x
  . "$script_dir/lib.sh"
  ref_init
  ref_terraform_cli_config
  work_dir=$REF_TMPDIR
else
  work_dir=$(mktemp -d "${TMPDIR:-/tmp}/check-terraform.XXXXXX")
  # shellcheck disable=SC2064 # expand work_dir now: it is fixed for the run
  trap "rm -rf -- '$work_dir'" EXIT

  find_mirror() {
    local root found
    if [[ -n "${TF_PLUGIN_MIRROR:-}" ]]; then
      for root in "$TF_PLUGIN_MIRROR" "$(dirname -- "$TF_PLUGIN_MIRROR")"; do
        if [[ -d "$root/registry.terraform.io/hashicorp/aws" ]]; then
          (cd -- "$root" && pwd -P)
          return 0
        fi
      done
    fi
    for root in /opt /usr/local/share /usr/share "${HOME:-/root}/.terraform.d"; do
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

  if mirror=$(find_mirror); then
    say "provider mirror: $mirror"
    cat >"$work_dir/terraform.rc" <<EOF
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
    say "no provider mirror found; Terraform installs providers from the registry"
    printf 'provider_installation {\n  direct {}\n}\n' >"$work_dir/terraform.rc"
  fi
  export TF_CLI_CONFIG_FILE="$work_dir/terraform.rc" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1

  tf() {
    timeout --kill-after=30 "${TF_TIMEOUT:-600}" terraform "$@"
  }
fi

failures=()

# --- 1. fmt ----------------------------------------------------------------------------

say "terraform fmt -check -recursive terraform"
if (cd -- "$repo_root" && timeout 120 terraform fmt -check -recursive -diff terraform); then
  say "fmt: ok"
else
  failures+=("terraform fmt (run: terraform fmt -recursive terraform)")
fi

# --- 2. init + validate per root, in a copy of the tree ---------------------------------

stage="$work_dir/validate"
mkdir -p "$stage"
(cd -- "$repo_root" && tar --exclude='.terraform' --exclude='.terraform.lock.hcl' \
  --exclude='*.tfstate' --exclude='*.tfstate.*' --exclude='*_override.tf' -cf - terraform) |
  (cd -- "$stage" && tar -xf -)

for root in "${roots[@]}"; do
  dir="$stage/terraform/$root"
  log="$work_dir/init-${root//\//-}.log"
  say "terraform init -backend=false && terraform validate: terraform/$root"
  if ! tf -chdir="$dir" init -backend=false -input=false -no-color >"$log" 2>&1; then
    cat -- "$log" >&2
    failures+=("terraform init terraform/$root")
    continue
  fi
  if tf -chdir="$dir" validate -no-color; then
    :
  else
    failures+=("terraform validate terraform/$root")
  fi
done

# --- 3. checkov --------------------------------------------------------------------------

if ! command -v checkov >/dev/null 2>&1; then
  say "checkov not found; installing it with pip"
  python3 -m pip install --quiet checkov ||
    die "could not install checkov; install it by hand: python3 -m pip install checkov"
  hash -r
  if ! command -v checkov >/dev/null 2>&1; then
    user_bin=$(python3 -c 'import os, site; print(os.path.join(site.getuserbase(), "bin"))')
    PATH="$PATH:$user_bin"
  fi
  command -v checkov >/dev/null 2>&1 ||
    die "checkov was installed but is not on PATH; add Python's scripts directory to PATH"
fi

say "checkov -d terraform --quiet --compact"
checkov_log="$work_dir/checkov.log"
checkov_rc=0
# BC_SKIP_MAPPING: no call to the Prisma Cloud guidelines API (offline build
# machines). HCL_PARSE_TIMEOUT_SEC: the default 10 s per file is too short on
# a loaded two-core machine, and a file that fails to parse is not scanned.
(cd -- "$repo_root" &&
  BC_SKIP_MAPPING=TRUE HCL_PARSE_TIMEOUT_SEC="${HCL_PARSE_TIMEOUT_SEC:-120}" \
    timeout --kill-after=30 "${CHECKOV_TIMEOUT:-900}" \
    checkov -d terraform --quiet --compact) >"$checkov_log" 2>&1 || checkov_rc=$?
cat -- "$checkov_log"

summary=$(grep -E 'Passed checks: [0-9]+, Failed checks: [0-9]+' -- "$checkov_log" | tail -n 1 || true)
if [[ -z "$summary" ]]; then
  cat -- "$checkov_log" >&2
  failures+=("checkov produced no summary (exit $checkov_rc)")
else
  say "checkov: $summary"
  failed=$(sed -E 's/.*Failed checks: ([0-9]+).*/\1/' <<<"$summary")
  parse_errors=$(sed -nE 's/.*Parsing errors: ([0-9]+).*/\1/p' <<<"$summary")
  if ((checkov_rc != 0 || failed != 0)); then
    failures+=("checkov: $failed failed checks (exit $checkov_rc)")
  fi
  if [[ -n "$parse_errors" && "$parse_errors" != 0 ]]; then
    grep -E -i 'parsing error|failed to parse|took more than' -- "$checkov_log" >&2 || true
    failures+=("checkov: $parse_errors files could not be parsed (and were not scanned)")
  fi
fi

# --- Result ----------------------------------------------------------------------------------

if ((${#failures[@]})); then
  printf 'check-terraform: FAILED\n' >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
say "check-terraform: all checks passed"
