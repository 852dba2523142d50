#!/usr/bin/env bats
# install_terraform.sh: a Terraform or OpenTofu release verified against its SHA256SUMS, served by
# a real HTTP server on loopback (the release layout of releases.hashicorp.com and of OpenTofu's
# GitHub releases), with real curl, sha256sum and unzip.

load test_helper

setup() {
  setup_stubs
  # The machine every test pretends to be, whatever runs the tests.
  stub uname 'case $1 in -s) echo "${STUB_OS:-Linux}" ;; -m) echo "${STUB_ARCH:-x86_64}" ;; esac'
  SCRIPT="$SCRIPTS/install_terraform.sh"
  export HOME="$BATS_TEST_TMPDIR/home"
  export BASH_ENV="$BATS_TEST_TMPDIR/bash_env"
  : >"$BASH_ENV"
  RELEASES="$BATS_TEST_TMPDIR/releases"
  # A fake Terraform 1.11.4 and OpenTofu 1.10.6, each a zip with a SHA256SUMS beside it.
  fake_release "$RELEASES/terraform/1.11.4" terraform 1.11.4
  fake_release "$RELEASES/opentofu/v1.10.6" tofu 1.10.6
  serve_dir "$RELEASES"
  export PARAM_DISTRIBUTION=terraform PARAM_VERSION=1.11.4
  export PARAM_BASE_URL="$HTTP_URL/terraform"
  export PARAM_INSTALL_DIR="$BATS_TEST_TMPDIR/inst/bin"
}

teardown() {
  stop_server
}

# fake_release DIR BINARY VERSION: DIR/BINARY_VERSION_linux_amd64.zip holding a script BINARY
# that prints its version, and DIR/BINARY_VERSION_SHA256SUMS listing it (and another zip).
fake_release() {
  local dir=$1 binary=$2 version=$3 work="$BATS_TEST_TMPDIR/build-$2"
  mkdir -p "$dir" "$work"
  printf '#!/bin/sh\necho "%s v%s"\n' "$binary" "$version" >"$work/$binary"
  chmod +x "$work/$binary"
  python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.write(sys.argv[2], sys.argv[3])' "$dir/${binary}_${version}_linux_amd64.zip" "$work/$binary" "$binary"
  (cd "$dir" && {
    printf '%064d  %s\n' 0 "${binary}_${version}_darwin_arm64.zip"
    sha256sum "${binary}_${version}_linux_amd64.zip"
  } >"${binary}_${version}_SHA256SUMS")
}

@test "installs the Terraform release whose zip matches its SHA256SUMS line" {
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [[ $output == *"installed terraform 1.11.4 (terraform_1.11.4_linux_amd64.zip, sha256 "* ]]
  [ "$("$PARAM_INSTALL_DIR/terraform")" = "terraform v1.11.4" ]
  (source "$BASH_ENV" && [ "$(command -v terraform)" = "$PARAM_INSTALL_DIR/terraform" ])
}

@test "a zip that does not match SHA256SUMS stops the job and installs nothing" {
  printf 'tampered' >>"$RELEASES/terraform/1.11.4/terraform_1.11.4_linux_amd64.zip"
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"checksum mismatch for $HTTP_URL/terraform/1.11.4/terraform_1.11.4_linux_amd64.zip"*"nothing was installed"* ]]
  [ ! -e "$PARAM_INSTALL_DIR/terraform" ]
  [ ! -s "$BASH_ENV" ]
}

@test "a SHA256SUMS without a line for the zip installs nothing" {
  sed -i '/linux_amd64/d' "$RELEASES/terraform/1.11.4/terraform_1.11.4_SHA256SUMS"
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"has no checksum for terraform_1.11.4_linux_amd64.zip"* ]]
  [ ! -e "$PARAM_INSTALL_DIR/terraform" ]
}

@test "OpenTofu is a choice, from its own release layout (v-prefixed directories)" {
  export PARAM_DISTRIBUTION=opentofu PARAM_VERSION="" PARAM_BASE_URL="$HTTP_URL/opentofu"
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [[ $output == *"installed opentofu 1.10.6"* ]]
  [ "$("$PARAM_INSTALL_DIR/tofu")" = "tofu v1.10.6" ]
}

@test "a version that was never released is a failed download" {
  export PARAM_VERSION=9.9.9
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"could not download $HTTP_URL/terraform/9.9.9/terraform_9.9.9_SHA256SUMS"* ]]
}

@test "refuses an unknown distribution, a malformed version and another system" {
  PARAM_DISTRIBUTION=pulumi run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"distribution must be terraform or opentofu, not 'pulumi'"* ]]
  PARAM_VERSION='1.11; rm -rf /' run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"version must look like 1.11.4"* ]]
  STUB_OS=Darwin run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"Linux releases only, not Darwin"* ]]
}

@test "defaults to the distribution's own release host and HOME/.local/bin" {
  source "$SCRIPT"
  stub curl 'exit 22'
  export PARAM_BASE_URL="" PARAM_INSTALL_DIR=""
  run main
  [ "$status" -eq 1 ]
  [[ $output == *"could not download https://releases.hashicorp.com/terraform/1.11.4/terraform_1.11.4_SHA256SUMS"* ]]
  PARAM_DISTRIBUTION=opentofu PARAM_VERSION="" run main
  [[ $output == *"could not download https://github.com/opentofu/opentofu/releases/download/v1.10.6/tofu_1.10.6_SHA256SUMS"* ]]
}
