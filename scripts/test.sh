#!/usr/bin/env bash
# Every test, in order of speed: native unit tests, one Worker build, end-to-end tests against
# `wrangler dev` (each test session starts its own servers on free ports with fresh state), and
# the bundle budget through `wrangler deploy --dry-run`. `make test` runs setup first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH" CI=true

echo "== lints (clippy, native and wasm32, warnings are errors)"
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown --lib -- -D warnings

echo "== native unit tests (cargo test)"
cargo test --quiet

echo "== building the Worker once"
bash scripts/build.sh

echo "== end-to-end tests (wrangler dev, local D1/R2/Queues)"
export TOPI_PREBUILT=1
.venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider

echo "== bundle size (wrangler deploy --dry-run)"
bash scripts/deploy.sh --dry-run
