#!/usr/bin/env bash
# Installs a Terraform or OpenTofu release for the orb's Terraform jobs: downloads the release zip
# for this machine and the release's SHA256SUMS, verifies the zip against its line there (a
# mismatch or a missing line stops the job and installs nothing), and unpacks the binary into the
# install directory, as the Terraform orb and hashicorp/setup-terraform do.
#
# Environment (the install_terraform command sets these from its parameters):
#   PARAM_DISTRIBUTION   terraform (default) or opentofu
#   PARAM_VERSION        the release without the leading v, e.g. 1.11.4; empty: the tested default
#   PARAM_BASE_URL       where releases are downloaded from; empty: the distribution's own
#                        (terraform: <base>/<v>/terraform_<v>_<os>_<arch>.zip;
#                        opentofu:  <base>/v<v>/tofu_<v>_<os>_<arch>.zip; SHA256SUMS beside it)
#   PARAM_INSTALL_DIR    where the binary goes (default $HOME/.local/bin), added to PATH
set -euo pipefail

# The versions the project's own tests run (scripts/test) when the job names none.
TERRAFORM_DEFAULT_VERSION=1.11.4
OPENTOFU_DEFAULT_VERSION=1.10.6
TERRAFORM_RELEASES=https://releases.hashicorp.com/terraform
OPENTOFU_RELEASES=https://github.com/opentofu/opentofu/releases/download

fail() {
  echo "error: $*" >&2
  exit 1
}

# The <os>_<arch> suffix of the release zips for this machine.
platform() {
  local os arch
  os=$(uname -s)
  arch=$(uname -m)
  [[ $os == Linux ]] || fail "this installs Linux releases only, not $os"
  case $arch in
    x86_64 | amd64) echo linux_amd64 ;;
    aarch64 | arm64) echo linux_arm64 ;;
    *) fail "no Terraform or OpenTofu release for the $arch architecture" ;;
  esac
}

# fetch URL FILE: downloads URL to FILE or stops the job.
fetch() {
  echo "downloading $1"
  curl --fail --silent --show-error --location --retry 3 --output "$2" "$1" ||
    fail "could not download $1"
}

# unpack ZIP NAME DIR: extracts the file NAME of ZIP into DIR (unzip, else Python's zipfile).
unpack() {
  if command -v unzip >/dev/null; then
    unzip -o -q "$1" "$2" -d "$3"
  elif command -v python3 >/dev/null; then
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' "$1" "$2" "$3"
  else
    fail "neither unzip nor python3 is available to unpack $1"
  fi
}

main() {
  local distribution=${PARAM_DISTRIBUTION:-terraform} version=${PARAM_VERSION:-}
  local dir=${PARAM_INSTALL_DIR:-} base=${PARAM_BASE_URL:-} binary url_dir prefix
  [[ -n $dir ]] || dir="$HOME/.local/bin"
  case $distribution in
    terraform)
      binary=terraform
      [[ -n $version ]] || version=$TERRAFORM_DEFAULT_VERSION
      [[ -n $base ]] || base=$TERRAFORM_RELEASES
      url_dir="${base%/}/$version"
      ;;
    opentofu)
      binary=tofu
      [[ -n $version ]] || version=$OPENTOFU_DEFAULT_VERSION
      [[ -n $base ]] || base=$OPENTOFU_RELEASES
      url_dir="${base%/}/v$version"
      ;;
    *) fail "distribution must be terraform or opentofu, not '$distribution'" ;;
  esac
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] ||
    fail "version must look like 1.11.4, not '$version'"
  command -v curl >/dev/null || fail "curl is missing: install it or use an image that has it"
  command -v sha256sum >/dev/null || fail "sha256sum is missing: install coreutils"

  local os_arch zip sums tmp expected actual sum name
  os_arch=$(platform)
  prefix="${binary}_${version}"
  zip="${prefix}_${os_arch}.zip"
  sums="${prefix}_SHA256SUMS"
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064 # tmp is fixed for the run: expand it now
  trap "rm -rf '$tmp'" EXIT
  fetch "$url_dir/$sums" "$tmp/$sums"
  fetch "$url_dir/$zip" "$tmp/$zip"

  expected=""
  while read -r sum name; do
    [[ ${name#\*} == "$zip" ]] && expected=${sum,,}
  done <"$tmp/$sums"
  [[ $expected =~ ^[0-9a-f]{64}$ ]] || fail "$url_dir/$sums has no checksum for $zip; nothing was installed"
  actual=$(sha256sum "$tmp/$zip")
  actual=${actual%% *}
  [[ $actual == "$expected" ]] ||
    fail "checksum mismatch for $url_dir/$zip: $sums says $expected, got $actual; nothing was installed"

  unpack "$tmp/$zip" "$binary" "$tmp/unpacked"
  mkdir -p "$dir"
  install -m 0755 "$tmp/unpacked/$binary" "$dir/$binary"
  echo "installed $distribution $version ($zip, sha256 $actual) in $dir"
  add_to_path "$dir"
}

# Makes the install directory visible to the following steps (CircleCI's BASH_ENV).
add_to_path() {
  local dir=$1
  case ":$PATH:" in *":$dir:"*) return ;; esac
  if [[ -n ${BASH_ENV:-} ]]; then
    # shellcheck disable=SC2016 # $PATH must expand when BASH_ENV is sourced, not now
    printf 'export PATH=%q:"$PATH"\n' "$dir" >>"$BASH_ENV"
  fi
}

ORB_TEST_ENV="bats-core"
if [ "${0#*"$ORB_TEST_ENV"}" == "$0" ]; then
  main "$@"
fi
