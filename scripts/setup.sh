#!/usr/bin/env bash
# Installs everything Topi needs to build, run and test, from registries reachable offline
# (crates.io, npm, PyPI, Debian apt). Idempotent: each step is skipped when already satisfied.
#   scripts/setup.sh        toolchain for building and running the Worker
#   scripts/setup.sh test   also the test tools (Python venv, Debian packages)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
want_test=${1:-}

step() { printf '\n== %s\n' "$*"; }

step "Rust target wasm32-unknown-unknown"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

cargo_tool() { # name binary version
  local crate=$1 bin=$2 version=$3
  if ! "$bin" --version 2>/dev/null | grep -q " $version"; then
    step "cargo install $crate $version"
    # --locked first for reproducibility; the registry mirror here sometimes lacks a locked
    # transitive version (seen: webpki-roots 1.0.11 for wasm-bindgen-cli), so fall back.
    cargo install "$crate" --version "$version" --locked || cargo install "$crate" --version "$version"
  fi
}
cargo_tool worker-build worker-build 0.8.7
# wasm-bindgen-cli must match the wasm-bindgen library version pinned in Cargo.lock exactly.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
cargo_tool wasm-bindgen-cli wasm-bindgen "$bindgen_version"

step "npm packages (wrangler, esbuild, binaryen)"
if [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

if [ "$want_test" = "test" ]; then
  step "Debian packages for tests"
  missing=()
  for pkg in wrk chromium; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
  step "snac2 (a real ActivityPub peer for the interop tests) from bookworm-backports"
  if ! command -v snac >/dev/null 2>&1; then
    # apt needs a bookworm-backports suite: add one, a copy of the main archive's stanza, only
    # when no source lists that suite yet (see ../shared/INTEROP.md).
    if ! grep -Eqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        /etc/apt/sources.list.d/*.sources; then
      if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        awk 'BEGIN { RS = ""; ORS = "\n" } NR == 1 {
               sub(/Suites:[^\n]*/, "Suites: bookworm-backports"); print; exit }' \
          /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/bookworm-backports.sources
      else
        echo 'deb http://deb.debian.org/debian bookworm-backports main' \
          > /etc/apt/sources.list.d/bookworm-backports.list
      fi
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports snac2
  fi
  step "Fedify oracle (Node 22 and @fedify/fedify from npm) for the interop tests"
  if [ ! -x tests/interop/fedify/node_modules/.bin/node ] || [ tests/interop/fedify/package-lock.json -nt tests/interop/fedify/node_modules/.package-lock.json ]; then
    (cd tests/interop/fedify && npm ci --no-audit --no-fund)
  fi
  step "masto.js for the JavaScript client scenario"
  if [ ! -d tests/e2e/masto/node_modules/masto ] || [ tests/e2e/masto/package-lock.json -nt tests/e2e/masto/node_modules/.package-lock.json ]; then
    (cd tests/e2e/masto && npm ci --no-audit --no-fund)
  fi
  step "Python test environment (.venv)"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  if ! .venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt; then
    echo "pip install failed" >&2; exit 1
  fi
fi
