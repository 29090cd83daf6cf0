#!/usr/bin/env bash
# Builds the Worker (Rust -> Wasm -> build/worker/shim.mjs) with offline tools only.
# worker-build would download wasm-bindgen, esbuild and wasm-opt from GitHub; we point it at the
# copies that scripts/setup.sh installed from crates.io and npm instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${TOPI_PREBUILT:-0}" = "1" ] && [ -f build/worker/shim.mjs ]; then
  exit 0
fi
export PATH="$HOME/.cargo/bin:$PATH"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen)}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
exec worker-build --release
