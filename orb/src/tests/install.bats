#!/usr/bin/env bats
# install.sh: platform detection, the pinned SHA-256 check (with a stub curl, and as a recipe runs
# it: real curl against a release directory served over HTTP on loopback), builds at a pinned
# commit and from a checkout, PATH.

load test_helper

setup() {
  setup_stubs
  SCRIPT="$SCRIPTS/install.sh"
  export HOME="$BATS_TEST_TMPDIR/home"
  export BASH_ENV="$BATS_TEST_TMPDIR/bash_env"
  : >"$BASH_ENV"
  unset GITHUB_PATH
  printf 'fake quest-changes binary\n' >"$BATS_TEST_TMPDIR/asset"
  GOOD_SUM=$(sha256sum "$BATS_TEST_TMPDIR/asset" | cut -d' ' -f1)
  export ASSET="$BATS_TEST_TMPDIR/asset"
  stub uname 'case $1 in -s) echo "${STUB_OS:-Linux}" ;; -m) echo "${STUB_ARCH:-x86_64}" ;; esac'
  # curl: copies $ASSET to --output, or fails when STUB_CURL_FAIL is set.
  stub curl '[[ -z ${STUB_CURL_FAIL:-} ]] || exit 22
out=""; while (($#)); do [[ $1 == --output ]] && { out=$2; shift; }; shift; done
cp "$ASSET" "$out"'
  export PARAM_VERSION=0.1.0
  export PARAM_BASE_URL=https://releases.example.test/download/
  export PARAM_SHA256=""
  export PARAM_FROM_SOURCE=false
  export PARAM_INSTALL_DIR="$BATS_TEST_TMPDIR/inst/bin"
  export QUEST_PINNED_VERSION=0.1.0
  export QUEST_PINNED_SHA256SUMS="${GOOD_SUM}  quest-changes-x86_64-unknown-linux-gnu
0000000000000000000000000000000000000000000000000000000000000000  quest-changes-aarch64-unknown-linux-gnu"
}

@test "maps the machine to the release target" {
  source "$SCRIPT"
  STUB_ARCH=x86_64 run platform_target
  [ "$output" = x86_64-unknown-linux-gnu ]
  STUB_ARCH=aarch64 run platform_target
  [ "$output" = aarch64-unknown-linux-gnu ]
  STUB_ARCH=arm64 run platform_target
  [ "$output" = aarch64-unknown-linux-gnu ]
}

@test "refuses an unsupported system or architecture, pointing at source_rev" {
  source "$SCRIPT"
  STUB_OS=Darwin run platform_target
  [ "$status" -eq 1 ]
  [[ $output == *"Linux only, not Darwin"*"source_rev"* ]]
  STUB_ARCH=riscv64 run platform_target
  [ "$status" -eq 1 ]
  [[ $output == *"riscv64"* ]]
}

@test "downloads the asset of the version, verifies the pinned checksum and installs it" {
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  grep -qx "curl .* https://releases.example.test/download/v0.1.0/quest-changes-x86_64-unknown-linux-gnu" "$STUB_LOG"
  cmp "$ASSET" "$PARAM_INSTALL_DIR/quest-changes"
  [ -x "$PARAM_INSTALL_DIR/quest-changes" ]
  [[ $output == *"sha256 $GOOD_SUM"* ]]
}

@test "a checksum mismatch stops the job and installs nothing" {
  STUB_ARCH=aarch64 run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"checksum mismatch"*"expected 0000000000000000000000000000000000000000000000000000000000000000, got $GOOD_SUM"* ]]
  [ ! -e "$PARAM_INSTALL_DIR/quest-changes" ]
}

@test "an explicit sha256 (any case) replaces the pinned one" {
  export PARAM_VERSION=0.2.0
  export PARAM_SHA256=${GOOD_SUM^^}
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  grep -q "/v0.2.0/quest-changes-x86_64-unknown-linux-gnu" "$STUB_LOG"
}

@test "another version without a sha256 is refused before downloading" {
  export PARAM_VERSION=0.2.0
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"no checksum is pinned for quest-changes 0.2.0 (this release pins 0.1.0)"* ]]
  refute_called curl
}

@test "an orb release that pins nothing says so" {
  export QUEST_PINNED_SHA256SUMS=""
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"no checksum is pinned for quest-changes-x86_64-unknown-linux-gnu"* ]]
}

@test "a malformed version or checksum is refused" {
  PARAM_VERSION='1.0; rm -rf /' run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"version must look like 1.2.3"* ]]
  PARAM_SHA256=abc run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"not 64 hex digits"* ]]
}

@test "a failed download is an error" {
  STUB_CURL_FAIL=1 run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"could not download https://releases.example.test/download/v0.1.0/"* ]]
}

@test "puts the install directory on PATH through BASH_ENV, or GITHUB_PATH on GitHub" {
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  grep -q "$PARAM_INSTALL_DIR" "$BASH_ENV"
  (source "$BASH_ENV" && [[ ":$PATH:" == *":$PARAM_INSTALL_DIR:"* ]])
  export GITHUB_PATH="$BATS_TEST_TMPDIR/github_path"
  : >"$BASH_ENV"
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ "$(cat "$GITHUB_PATH")" = "$PARAM_INSTALL_DIR" ]
  [ ! -s "$BASH_ENV" ]
}

@test "defaults the install directory to HOME/.local/bin" {
  export PARAM_INSTALL_DIR=""
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [ -x "$HOME/.local/bin/quest-changes" ]
}

@test "from_source builds with cargo install, or says cargo is missing" {
  export PARAM_FROM_SOURCE=true PARAM_SOURCE_DIR=crate
  stub cargo 'mkdir -p "$6/bin" && touch "$6/bin/quest-changes" && chmod +x "$6/bin/quest-changes"'
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  grep -qx "cargo install --locked --path crate --root $PARAM_INSTALL_DIR/.. --bin quest-changes --force" "$STUB_LOG"
  refute_called curl
  rm "$STUB_DIR/cargo"
  PATH="$STUB_DIR:/usr/bin:/bin" run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"cargo is missing"* ]]
}

# release_dir: a release v0.1.0 laid out as the orb downloads it, served on loopback; the real
# curl (not the stub) downloads from it.
serve_release() {
  mkdir -p "$BATS_TEST_TMPDIR/releases/v0.1.0"
  cp "$ASSET" "$BATS_TEST_TMPDIR/releases/v0.1.0/quest-changes-x86_64-unknown-linux-gnu"
  (cd "$BATS_TEST_TMPDIR/releases/v0.1.0" && sha256sum quest-changes-* >SHA256SUMS)
  serve_dir "$BATS_TEST_TMPDIR/releases"
  rm "$STUB_DIR/curl"
  export PARAM_BASE_URL="$HTTP_URL"
}

teardown() {
  stop_server
}

@test "over HTTP on loopback: installs the release whose checksum matches the pinned one" {
  serve_release
  export QUEST_PINNED_SHA256SUMS
  QUEST_PINNED_SHA256SUMS=$(cat "$BATS_TEST_TMPDIR/releases/v0.1.0/SHA256SUMS")
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  [[ $output == *"downloading $HTTP_URL/v0.1.0/quest-changes-x86_64-unknown-linux-gnu"* ]]
  cmp "$ASSET" "$PARAM_INSTALL_DIR/quest-changes"
  (source "$BASH_ENV" && [ "$(command -v quest-changes)" = "$PARAM_INSTALL_DIR/quest-changes" ])
}

@test "over HTTP on loopback: a served binary that differs from the pinned checksum is not installed" {
  serve_release
  printf 'tampered\n' >>"$BATS_TEST_TMPDIR/releases/v0.1.0/quest-changes-x86_64-unknown-linux-gnu"
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"checksum mismatch for $HTTP_URL/v0.1.0/quest-changes-x86_64-unknown-linux-gnu: expected $GOOD_SUM"* ]]
  [ ! -e "$PARAM_INSTALL_DIR/quest-changes" ]
  [ ! -s "$BASH_ENV" ]
}

@test "without a release, the refusal points at source_rev" {
  export QUEST_PINNED_SHA256SUMS=""
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"no release exists yet): build at a commit with source_rev"* ]]
}

@test "downloads and builds derive from the one repository setting unless a job overrides it" {
  source "$SCRIPT"
  [[ $QUEST_REPOSITORY == https://github.com/*/quest-changes ]]
  PARAM_BASE_URL="" run release_base
  [ "$output" = "$QUEST_REPOSITORY/releases/download" ]
  PARAM_BASE_URL="" PARAM_REPOSITORY=https://git.example.test/me/quest-changes run release_base
  [ "$output" = https://git.example.test/me/quest-changes/releases/download ]
  PARAM_BASE_URL=https://mirror.example.test/q/ run release_base
  [ "$output" = https://mirror.example.test/q ]
}

@test "source_rev builds that commit of the repository with cargo" {
  export PARAM_SOURCE_REV=0123456789abcdef0123456789abcdef01234567
  export PARAM_REPOSITORY=https://git.example.test/me/quest-changes
  stub cargo 'root=""; while (($#)); do [[ $1 == --root ]] && root=$2; shift; done
mkdir -p "$root/bin" && touch "$root/bin/quest-changes" && chmod +x "$root/bin/quest-changes"'
  run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  grep -qx "cargo install --locked --git https://git.example.test/me/quest-changes --rev $PARAM_SOURCE_REV --root $PARAM_INSTALL_DIR/.. --force quest-changes" "$STUB_LOG"
  refute_called curl
  [ -x "$PARAM_INSTALL_DIR/quest-changes" ]
  grep -q "$PARAM_INSTALL_DIR" "$BASH_ENV"
}

@test "source_rev without cargo builds in the Rust image with docker" {
  export PARAM_SOURCE_REV=0123456789abcdef0123456789abcdef01234567 PARAM_RUST_IMAGE=cimg/rust:1.95.0
  # The job's image has no cargo; the "container" has one: docker (run --rm IMAGE sh -c ...)
  # runs the container's shell command here, with that cargo first on PATH.
  export RUST_IMAGE_BIN="$BATS_TEST_TMPDIR/rustimage"
  mkdir -p "$RUST_IMAGE_BIN"
  cat >"$RUST_IMAGE_BIN/cargo" <<'CARGO'
#!/usr/bin/env bash
echo "cargo $*" >>"$STUB_LOG"
root=""; while (($#)); do [[ $1 == --root ]] && root=$2; shift; done
mkdir -p "$root/bin" && printf 'built in the image\n' >"$root/bin/quest-changes"
CARGO
  chmod +x "$RUST_IMAGE_BIN/cargo"
  stub docker 'shift 4; PATH="$RUST_IMAGE_BIN:$PATH" TMPDIR="$BATS_TEST_TMPDIR" exec bash "$@"'
  PATH="$STUB_DIR:/usr/bin:/bin" run bash "$SCRIPT"
  [ "$status" -eq 0 ]
  grep -q "^docker run --rm cimg/rust:1.95.0 sh -c " "$STUB_LOG"
  grep -qx "cargo install --locked --git https://github.com/.*/quest-changes --rev $PARAM_SOURCE_REV --root $BATS_TEST_TMPDIR/tmp\.[A-Za-z0-9]* quest-changes" "$STUB_LOG"
  [ "$(cat "$PARAM_INSTALL_DIR/quest-changes")" = "built in the image" ]
  [ -x "$PARAM_INSTALL_DIR/quest-changes" ]
}

@test "source_rev refuses a branch or a short SHA, and says what is missing without cargo or docker" {
  export PARAM_SOURCE_REV=main
  run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"source_rev must be a full 40-hex commit SHA, not 'main'"* ]]
  export PARAM_SOURCE_REV=0123456789abcdef0123456789abcdef01234567
  PATH="$STUB_DIR:/usr/bin:/bin" run bash "$SCRIPT"
  [ "$status" -eq 1 ]
  [[ $output == *"cargo is missing: building at source_rev needs a Rust image"* ]]
}

@test "the repository is named once: no command, job or the action carries a download location, and the orb's links point into it" {
  source "$SCRIPT"
  local src="$BATS_TEST_DIRNAME/.."
  run grep -rln 'https://' "$src/commands" "$src/jobs" "$src/../../action.yml"
  [ -z "$output" ]
  grep -qx "  home_url: $QUEST_REPOSITORY#readme" "$src/@orb.yml"
  grep -qx "  source_url: $QUEST_REPOSITORY/tree/main/orb" "$src/@orb.yml"
}
