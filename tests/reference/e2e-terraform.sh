#!/usr/bin/env bash
#
# End-to-end test of terraform/ against a local moto server on 127.0.0.1:
#   1. apply terraform/bootstrap (the state bucket; local state)
#   2. seed what an operator creates outside Terraform: a Route 53 hosted zone
#      (so the dns module issues and validates the certificate) and the
#      SECRET_WORD SecureString
#   3. init terraform/environments/dev with the S3 backend on moto
#      (use_lockfile = true: S3-native locking)
#   4. apply dev with the features moto cannot emulate switched off, and
#      check the outputs deploy tools read and the state object in S3
#   5. plan -detailed-exitcode: must report no changes (exit 0)
#   6. destroy dev, then empty and destroy the state bucket
#
# The shipped tree is never touched: tests/reference/lib.sh stages it into a
# temp dir, and the moto endpoints live only in the test-only provider
# override and backend settings written there. Every terraform command is
# bounded by TF_TIMEOUT seconds; each phase prints its duration; any failure
# exits non-zero (after destroying what was applied).
#
# What moto cannot emulate, and what the test does about it:
#   environments/dev, feature variables switched off (the design keeps them on):
#     enable_autoscaling=false         Application Auto Scaling answers
#                                      ListTagsForResource with HTTP 500 after
#                                      the scalable target is registered.
#   bootstrap, variables:
#     deny_insecure_transport=false    moto ignores policy conditions, so the
#                                      TLS-only Deny applies to every request
#                                      and the S3 backend gets 403.
#     noncurrent_versions_to_keep=0    moto drops NewerNoncurrentVersions from
#                                      lifecycle rules; the provider waits for
#                                      the rule it wrote and times out.
#   attributes moto accepts but never returns (ignored in the staged copy of
#   modules/ecs_service only, by a test-only *_override.tf):
#     aws_ecs_service: availability_zone_rebalancing, enable_ecs_managed_tags,
#       health_check_grace_period_seconds;
#     security group rules that reference a group or a prefix list: the
#       description, and the referenced group (reported as <account>/<sg-id>).
#   emptying a versioned bucket: DeleteObjects answers 500 for a key with a
#     delete marker (every S3 lock file leaves one), so force_destroy cannot
#     empty the state bucket; the test deletes its versions one by one.
#
# Usage: tests/reference/e2e-terraform.sh   (from any directory)
# Settings: TF_PLUGIN_MIRROR, TF_TIMEOUT (600), MOTO_ENDPOINT (reuse a running
#           moto), REF_KEEP_TMP=1 (keep the staged tree, states and logs).

# shellcheck source-path=SCRIPTDIR
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
repo_root=$(cd -- "$script_dir/../.." && pwd -P)

die() {
  printf 'e2e-terraform: error: %s\n' "$*" >&2
  exit 1
}

require() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed; $2"
}

require terraform "install Terraform >= 1.10 (https://developer.hashicorp.com/terraform/install)"
require timeout "install GNU coreutils (apt-get install coreutils)"
require python3 "install Python 3 (apt-get install python3 python3-pip); moto needs it"
[[ -f "$script_dir/lib.sh" ]] || die "tests/reference/lib.sh is missing (the moto and terraform helpers)"

# shellcheck source=lib.sh disable=SC1091 # followed with shellcheck -x
. "$script_dir/lib.sh"

# lib.sh installs moto[server] when moto_server is missing; boto3 comes with it.
ref_moto_ensure
python3 -c 'import boto3' 2>/dev/null ||
  die "python3 cannot import boto3 (used to seed moto); install it: python3 -m pip install boto3 'moto[server]'"

# --- Settings ------------------------------------------------------------------------------

moto_dev_vars=(
  -var=enable_autoscaling=false
)
moto_bootstrap_vars=(
  -var=deny_insecure_transport=false
  -var=noncurrent_versions_to_keep=0
)

bucket="quest-e2e-state-$(date +%s)"
state_key="quest/dev/terraform.tfstate"
zone_name="example.test"
domain_name="quest.dev.example.test"
boot_vars=(-var="state_bucket_name=$bucket" -var=force_destroy=true "${moto_bootstrap_vars[@]}")

# --- Phases and their durations ---------------------------------------------------------

declare -a phase_names=() phase_secs=()
current_phase=""
phase_start=0
passed=0

phase_end() {
  if [[ -n "$current_phase" ]]; then
    phase_names+=("$current_phase")
    phase_secs+=($((SECONDS - phase_start)))
    printf '<== %s: %ss\n' "$current_phase" $((SECONDS - phase_start))
    current_phase=""
  fi
}

phase() {
  phase_end
  current_phase=$1
  phase_start=$SECONDS
  printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$current_phase"
}

report() {
  local i
  phase_end
  printf '\nPhase durations:\n'
  for i in "${!phase_names[@]}"; do
    printf '  %-50s %5ss\n' "${phase_names[i]}" "${phase_secs[i]}"
  done
  printf '  %-50s %5ss\n' "total" "$SECONDS"
  if ((passed)); then
    printf 'e2e-terraform: PASSED\n'
  else
    printf 'e2e-terraform: FAILED\n' >&2
  fi
}

# --- Cleanup on failure -------------------------------------------------------------------
# Destroy what was applied, dev first, so a reused moto server (MOTO_ENDPOINT)
# is left clean. Registered after moto and the override files: lib.sh runs
# cleanups last-registered first, so this runs while both still exist.

dev_applied=0
bootstrap_applied=0
cleanup_applied() {
  if ((dev_applied)); then
    printf 'e2e-terraform: cleaning up: destroying dev\n' >&2
    ref_destroy -chdir="$dev" -var-file="$tfvars" "${moto_dev_vars[@]}" >&2 || true
  fi
  if ((bootstrap_applied)); then
    printf 'e2e-terraform: cleaning up: destroying bootstrap\n' >&2
    ref_s3_empty_bucket "$bucket" >&2 || true
    ref_destroy -chdir="$boot" "${boot_vars[@]}" >&2 || true
  fi
}

ref_init
ref_on_exit report
ref_terraform_cli_config

# --- 0. moto and the staged tree ------------------------------------------------------------

phase "start moto, stage the tree"
if grep -R -l -i -E 'moto|localhost|127\.0\.0\.1' "$repo_root/terraform"; then
  die "the shipped terraform/ tree mentions moto or a local endpoint (files above)"
fi
ref_moto_start
stage=$(ref_stage_tree "$repo_root/terraform")
boot="$stage/bootstrap"
dev="$stage/environments/dev"
tfvars="$REF_TMPDIR/dev.tfvars"
ref_moto_override "$boot"
ref_moto_override "$dev"
ref_add_override "$stage/modules/ecs_service" moto_drift <<'EOF'
# Attributes moto accepts but never returns (see tests/reference/e2e-terraform.sh).
resource "aws_ecs_service" "this" {
  lifecycle {
    ignore_changes = [
      task_definition,
      desired_count,
      availability_zone_rebalancing,
      enable_ecs_managed_tags,
      health_check_grace_period_seconds,
    ]
  }
}

resource "aws_vpc_security_group_ingress_rule" "from_alb" {
  lifecycle {
    ignore_changes = [description, referenced_security_group_id]
  }
}

resource "aws_vpc_security_group_egress_rule" "s3" {
  lifecycle {
    ignore_changes = [description]
  }
}
EOF
ref_on_exit cleanup_applied

printf 'Switched off because moto cannot emulate them (see the header of this script):\n'
printf '  bootstrap: %s\n' "${moto_bootstrap_vars[@]}"
printf '  dev:       %s\n' "${moto_dev_vars[@]}"
printf '  dev:       drift of unreturned attributes ignored in modules/ecs_service (staged copy)\n'

# --- 1. bootstrap ------------------------------------------------------------------------------

phase "bootstrap: init + apply"
tf -chdir="$boot" init
bootstrap_applied=1
tf -chdir="$boot" apply -auto-approve "${boot_vars[@]}"
[[ "$(tf -chdir="$boot" output -raw state_bucket)" == "$bucket" ]] ||
  die "bootstrap output state_bucket is not $bucket"

# --- 2. what operators create outside Terraform ----------------------------------------------

phase "seed: hosted zone and SECRET_WORD parameter"
zone_id=$(python3 - "$zone_name" <<'EOF'
import sys
import time

import boto3

zone = sys.argv[1]
route53 = boto3.client("route53")
ssm = boto3.client("ssm")
created = route53.create_hosted_zone(Name=zone, CallerReference=f"e2e-{time.time()}")
ssm.put_parameter(Name="/quest/dev/secret_word", Type="SecureString", Value="e2e-secret", Overwrite=True)
print(created["HostedZone"]["Id"].rsplit("/", 1)[-1])
EOF
)
printf 'hosted zone %s: %s\n' "$zone_name" "$zone_id"

cat >"$tfvars" <<EOF
state_bucket = "$bucket"
state_key    = "$state_key"
dns = {
  zone_id     = "$zone_id"
  domain_name = "$domain_name"
}
circleci = {
  organization_id = "00000000-0000-4000-8000-000000000001"
  project_id      = "00000000-0000-4000-8000-000000000002"
  vcs_origin      = "github.com/example/quest-changes"
  branch          = "main"
}
EOF

# --- 3. dev: init with the S3 backend ----------------------------------------------------------

phase "dev: init (S3 backend on moto, use_lockfile)"
tf -chdir="$dev" init -backend-config="$(ref_backend_config "$bucket" "$state_key")"

# --- 4. dev: apply ---------------------------------------------------------------------------------

phase "dev: apply"
dev_applied=1
tf -chdir="$dev" apply -auto-approve -var-file="$tfvars" "${moto_dev_vars[@]}"

tf -chdir="$dev" output -json >"$REF_TMPDIR/dev-outputs.json"
python3 - "$REF_TMPDIR/dev-outputs.json" "$bucket" "$state_key" <<'EOF'
import json
import sys

import boto3

path, bucket, key = sys.argv[1:4]
outputs = {name: o["value"] for name, o in json.load(open(path)).items()}
expected = {
    "cluster_name": "quest-dev",
    "service_name": "quest",
    "container_name": "quest",
    "ecr_repository_name": "quest-dev",
    "state_bucket": bucket,
    "state_key": key,
}
problems = [f"{k} = {outputs.get(k)!r}, expected {v!r}" for k, v in expected.items() if outputs.get(k) != v]
for name in ("ecr_repository_url", "alb_dns_name"):
    if not outputs.get(name):
        problems.append(f"{name} is empty")
if problems:
    sys.exit("dev outputs: " + "; ".join(problems))
print("dev outputs: " + ", ".join(f"{k}={outputs[k]}" for k in sorted(expected) + ["ecr_repository_url", "alb_dns_name"]))

# The state lives in the bucket, and the S3 lock file is gone after the run.
s3 = boto3.client("s3")
keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
if key not in keys:
    sys.exit(f"state object s3://{bucket}/{key} missing; the bucket holds {keys}")
if f"{key}.tflock" in keys:
    sys.exit(f"lock file s3://{bucket}/{key}.tflock left behind after apply")
print(f"state object s3://{bucket}/{key} present, lock released")

# The secret reaches the task only by reference: neither the task definition
# nor the state holds its value.
state = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
if "e2e-secret" in state:
    sys.exit("the SECRET_WORD value appears in the Terraform state")
ecs = boto3.client("ecs")
task = ecs.describe_task_definition(taskDefinition="quest-dev-quest")["taskDefinition"]
container = task["containerDefinitions"][0]
secrets = {s["name"]: s["valueFrom"] for s in container.get("secrets", [])}
environment = {e["name"] for e in container.get("environment", [])}
checks = {
    "container is named quest": container["name"] == "quest",
    "root filesystem is read-only": container.get("readonlyRootFilesystem") is True,
    "SECRET_WORD comes from the SSM parameter": secrets.get("SECRET_WORD", "").endswith(":parameter/quest/dev/secret_word"),
    "SECRET_WORD is not a plain environment variable": "SECRET_WORD" not in environment,
    "the secret value is not in the task definition": "e2e-secret" not in json.dumps(task),
}
service = ecs.describe_services(cluster="quest-dev", services=["quest"])["services"][0]
checks["the service starts with 4 tasks"] = service["desiredCount"] == 4
failed = [name for name, ok in checks.items() if not ok]
if failed:
    sys.exit("task definition / service: " + "; ".join(failed))
print("task definition and service: " + "; ".join(checks))
EOF
[[ ! -e "$dev/terraform.tfstate" ]] || die "dev wrote a local terraform.tfstate: the S3 backend is not in use"

# --- 5. dev: second plan ------------------------------------------------------------------------

phase "dev: plan -detailed-exitcode (expect no changes)"
plan_rc=0
tf -chdir="$dev" plan -detailed-exitcode -var-file="$tfvars" "${moto_dev_vars[@]}" || plan_rc=$?
case $plan_rc in
0) printf 'second plan: no changes\n' ;;
2) die "the second plan shows changes (above): the configuration does not converge" ;;
*) die "the second plan failed (exit $plan_rc)" ;;
esac

# --- 6. destroy ------------------------------------------------------------------------------------

phase "dev: destroy"
tf -chdir="$dev" destroy -auto-approve -var-file="$tfvars" "${moto_dev_vars[@]}"
dev_applied=0

phase "bootstrap: empty the state bucket, destroy"
ref_s3_empty_bucket "$bucket"
tf -chdir="$boot" destroy -auto-approve "${boot_vars[@]}"
bootstrap_applied=0

phase_end
passed=1
