#!/usr/bin/env bash
# Installs the quest-changes binary, in one of three ways:
#   - a release asset for this platform, verified against a pinned SHA-256 (once releases exist);
#   - a build from source at a pinned commit of the quest-changes repository (source_rev), with
#     cargo when the job's image has it, else inside the Rust image PARAM_RUST_IMAGE with docker;
#   - a build of a checked-out crate (from_source, for quest-changes' own pipeline).
# Used by the orb's install command and by the GitHub Action (action.yml), so both share one
# checksum check and one repository setting.
#
# Environment (the orb and the action set these from their parameters):
#   PARAM_VERSION          release version without the leading v, e.g. 0.1.0
#   PARAM_REPOSITORY       the quest-changes repository; empty: QUEST_REPOSITORY below
#   PARAM_BASE_URL         release download base; the asset is <base>/v<version>/quest-changes-<target>;
#                          empty: <repository>/releases/download
#   PARAM_SHA256           expected SHA-256 of the asset; empty: the checksum pinned for the version
#   PARAM_SOURCE_REV       a full commit SHA: cargo install --git <repository> --rev <it> instead
#   PARAM_RUST_IMAGE       the Rust image to build in with docker when cargo is missing
#   PARAM_FROM_SOURCE      true: cargo install from PARAM_SOURCE_DIR instead of downloading
#   PARAM_SOURCE_DIR       the crate to build from source (default .)
#   PARAM_INSTALL_DIR      where the binary goes (default $HOME/.local/bin)
#   QUEST_PINNED_VERSION   the version whose checksums are pinned (written by scripts/release)
#   QUEST_PINNED_SHA256SUMS   SHA256SUMS lines of that release: "<hex>  quest-changes-<target>"
set -euo pipefail

# PLACEHOLDER, the one place that names where quest-changes is published: "acme" is not a real
# owner. Set it to the real repository when the project is published; every default download and
# source build of the orb and the action derives from it (PARAM_REPOSITORY overrides it per job),
# and install.bats checks that the orb's display links in @orb.yml point into it.
QUEST_REPOSITORY=https://github.com/acme/quest-changes

fail() {
  echo "error: $*" >&2
  exit 1
}

# The Rust target triple of the release asset for this machine.
platform_target() {
  local os arch
  os=$(uname -s)
  arch=$(uname -m)
  [[ $os == Linux ]] || fail "quest-changes releases are built for Linux only, not $os: set source_rev to build with cargo"
  case $arch in
    x86_64 | amd64) echo x86_64-unknown-linux-gnu ;;
    aarch64 | arm64) echo aarch64-unknown-linux-gnu ;;
    *) fail "no quest-changes release for the $arch architecture: set source_rev to build with cargo" ;;
  esac
}

# The expected checksum of an asset: the explicit one, else the pinned one for this version.
expected_sha256() {
  local asset=$1 sum name
  if [[ -n ${PARAM_SHA256:-} ]]; then
    echo "${PARAM_SHA256,,}"
    return
  fi
  [[ ${PARAM_VERSION} == "${QUEST_PINNED_VERSION:-}" ]] ||
    fail "no checksum is pinned for quest-changes ${PARAM_VERSION} (this release pins ${QUEST_PINNED_VERSION:-none}): pass its sha256 from the release's SHA256SUMS, or build at a commit with source_rev"
  while read -r sum name; do
    if [[ ${name#\*} == "$asset" ]]; then
      echo "${sum,,}"
      return
    fi
  done < <(printf '%s\n' "${QUEST_PINNED_SHA256SUMS:-}")
  fail "no checksum is pinned for $asset ${PARAM_VERSION} (no release exists yet): build at a commit with source_rev, or pass the asset's sha256 from the release's SHA256SUMS"
}

# Makes the install directory visible to the following steps (CircleCI or GitHub Actions).
add_to_path() {
  local dir=$1
  case ":$PATH:" in *":$dir:"*) return ;; esac
  if [[ -n ${GITHUB_PATH:-} ]]; then
    echo "$dir" >>"$GITHUB_PATH"
  elif [[ -n ${BASH_ENV:-} ]]; then
    # shellcheck disable=SC2016 # $PATH must expand when BASH_ENV is sourced, not now
    printf 'export PATH=%q:"$PATH"\n' "$dir" >>"$BASH_ENV"
  fi
}

install_release() {
  local dir=$1 target asset url expected actual tmp
  command -v curl >/dev/null || fail "curl is missing: install it or use an image that has it"
  command -v sha256sum >/dev/null || fail "sha256sum is missing: install coreutils"
  [[ $PARAM_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] ||
    fail "version must look like 1.2.3, not '$PARAM_VERSION'"
  target=$(platform_target)
  asset="quest-changes-$target"
  expected=$(expected_sha256 "$asset")
  [[ $expected =~ ^[0-9a-f]{64}$ ]] || fail "the expected sha256 of $asset is not 64 hex digits: '$expected'"
  url="$(release_base)/v${PARAM_VERSION}/$asset"
  tmp=$(mktemp)
  echo "downloading $url"
  if ! curl --fail --silent --show-error --location --retry 3 --output "$tmp" "$url"; then
    rm -f "$tmp"
    fail "could not download $url"
  fi
  actual=$(sha256sum "$tmp")
  actual=${actual%% *}
  if [[ $actual != "$expected" ]]; then
    rm -f "$tmp"
    fail "checksum mismatch for $url: expected $expected, got $actual; the binary was not installed"
  fi
  mkdir -p "$dir"
  install -m 0755 "$tmp" "$dir/quest-changes"
  rm -f "$tmp"
  echo "installed quest-changes $PARAM_VERSION ($target, sha256 $actual) in $dir"
}

# The repository to download from or build: the job's, else the one setting above.
repository() {
  echo "${PARAM_REPOSITORY:-$QUEST_REPOSITORY}"
}

release_base() {
  local base=${PARAM_BASE_URL:-}
  [[ -n $base ]] || base="$(repository)/releases/download"
  echo "${base%/}"
}

# Builds quest-changes at a pinned commit of the repository: with cargo when this image has it,
# else with docker in the Rust image (the binary comes back on stdout, so no volume or user
# mapping is needed). A branch or a tag can move, so only a full commit SHA is accepted.
install_from_git() {
  local dir=$1 rev=${PARAM_SOURCE_REV} repo tmp
  repo=$(repository)
  [[ $rev =~ ^[0-9a-f]{40}$ ]] || fail "source_rev must be a full 40-hex commit SHA, not '$rev'"
  echo "building quest-changes from $repo at $rev"
  if command -v cargo >/dev/null; then
    cargo install --locked --git "$repo" --rev "$rev" --root "$dir/.." --force quest-changes
    [[ -x $dir/quest-changes ]] || fail "cargo install did not produce $dir/quest-changes (install_dir must end in /bin)"
  elif command -v docker >/dev/null && [[ -n ${PARAM_RUST_IMAGE:-} ]]; then
    echo "cargo is missing here: building in $PARAM_RUST_IMAGE with docker"
    tmp=$(mktemp)
    # shellcheck disable=SC2016 # $1 and $2 expand inside the container's shell
    if ! docker run --rm "$PARAM_RUST_IMAGE" sh -c \
      'root=$(mktemp -d) && cargo install --locked --git "$1" --rev "$2" --root "$root" quest-changes >&2 && cat "$root/bin/quest-changes"' \
      sh "$repo" "$rev" >"$tmp"; then
      rm -f "$tmp"
      fail "building quest-changes in $PARAM_RUST_IMAGE failed (see above)"
    fi
    [[ -s $tmp ]] || fail "the build in $PARAM_RUST_IMAGE returned no binary"
    mkdir -p "$dir"
    install -m 0755 "$tmp" "$dir/quest-changes"
    rm -f "$tmp"
  else
    fail "cargo is missing: building at source_rev needs a Rust image (the orb's rust executor) or docker with rust_image"
  fi
  echo "installed quest-changes $rev in $dir"
}

install_from_source() {
  local dir=$1
  command -v cargo >/dev/null || fail "cargo is missing: from_source needs a Rust toolchain (for example the cimg/rust image)"
  cargo install --locked --path "${PARAM_SOURCE_DIR:-.}" --root "$dir/.." --bin quest-changes --force
  [[ -x $dir/quest-changes ]] || fail "cargo install did not produce $dir/quest-changes (install_dir must end in /bin)"
}

main() {
  local dir=${PARAM_INSTALL_DIR:-}
  [[ -n $dir ]] || dir="$HOME/.local/bin"
  if [[ -n ${PARAM_SOURCE_REV:-} ]]; then
    install_from_git "$dir"
  elif [[ ${PARAM_FROM_SOURCE:-false} == true ]]; then
    install_from_source "$dir"
  else
    install_release "$dir"
  fi
  add_to_path "$dir"
}

ORB_TEST_ENV="bats-core"
if [ "${0#*"$ORB_TEST_ENV"}" == "$0" ]; then
  main "$@"
fi
