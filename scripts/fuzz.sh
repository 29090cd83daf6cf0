#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers of untrusted input (fuzz/README.md), with libFuzzer
# from the libfuzzer-sys crate on stable Rust: no nightly, no cargo-fuzz binary, nothing but
# crates.io and a C++ compiler (Debian's g++, installed here if missing).
#
#   scripts/fuzz.sh                 build, then fuzz every target for FUZZ_SECONDS each
#   scripts/fuzz.sh run T...        only the named targets
#   scripts/fuzz.sh build           only build
#   scripts/fuzz.sh seeds [T...]    run every seed once (long amplified ones included): a quick
#                                   check that known crashes and hangs stay fixed
#   scripts/fuzz.sh repro T FILE... run inputs once through target T (a crash shows its stack)
#   scripts/fuzz.sh cmin T          minimise T's working corpus in place
#   scripts/fuzz.sh list            the targets
#
# Environment:
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_TIMEOUT  seconds one input may take before it is reported as a hang (default 5)
#   FUZZ_RSS_MB   memory limit (default 2048)
#   FUZZ_MAX_LEN  longest input the fuzzer makes (default 8192; amplified inputs stand for up
#                 to 1 MiB, see fuzz/src/lib.rs)
#   FUZZ_KEEP_GOING=0  stop a target at its first crash instead of going on (-fork=1 -ignore_*)
#
# Runs one fuzzer process at a time (one core). Working corpora grow in fuzz/target/corpus/,
# findings land in fuzz/artifacts/<target>/ and logs in fuzz/target/logs/; the seeds in
# fuzz/corpus/ are only read. Exits 1 when a run found a crash, a hang or an out-of-memory.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

TARGETS=(params cavage structured signatures vocab jcs sanitize text keys_dates csv_import)
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
TIMEOUT=${FUZZ_TIMEOUT:-5}
RSS_MB=${FUZZ_RSS_MB:-2048}
MAX_LEN=${FUZZ_MAX_LEN:-8192}
KEEP_GOING=${FUZZ_KEEP_GOING:-1}

TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
BIN_DIR=fuzz/target/$TRIPLE/release

# The instrumentation cargo-fuzz uses, minus the sanitizer (AddressSanitizer needs nightly;
# the code under test is safe Rust, where a memory error would be a compiler or library bug).
# With --target, these flags reach only the fuzzed code, not build scripts or proc macros.
FUZZ_RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth \
-Cforce-frame-pointers=yes"

build() {
  if ! command -v c++ >/dev/null 2>&1; then
    echo "== Debian g++ (libfuzzer-sys compiles libFuzzer)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++
  fi
  echo "== build fuzz targets (release, debug assertions and overflow checks on)"
  RUSTFLAGS="$FUZZ_RUSTFLAGS" cargo build --manifest-path fuzz/Cargo.toml --release --target "$TRIPLE" --bins
}

run_target() {
  local target=$1 log=fuzz/target/logs/$1.log
  mkdir -p "fuzz/target/corpus/$target" "fuzz/artifacts/$target" fuzz/target/logs
  local args=(-max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB"
              -max_len="$MAX_LEN" -artifact_prefix="fuzz/artifacts/$target/" -print_final_stats=1
              -entropic_scale_per_exec_time=1)
  [ -f "fuzz/dict/$target.dict" ] && args+=(-dict="fuzz/dict/$target.dict")
  [ "$KEEP_GOING" = 1 ] && args+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  echo "== fuzz $target for ${SECONDS_PER_TARGET}s (log: $log)"
  local before status=0
  before=$(find "fuzz/artifacts/$target" -type f | wc -l)
  "$BIN_DIR/$target" "${args[@]}" "fuzz/target/corpus/$target" "fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  local execs found
  execs=$(executions "$log")
  found=$(( $(find "fuzz/artifacts/$target" -type f | wc -l) - before ))
  printf '%s\t%s\t%s\t%s\n' "$target" "$execs" "$found" "$status" >>fuzz/target/logs/summary.tsv
  printf '   %s executions, %s new findings\n' "$execs" "$found"
  [ "$found" -eq 0 ] && [ "$status" -eq 0 ]
}

# Executions a run made: the final stats line, or in fork mode the last progress line.
executions() {
  local n
  n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$1" | tail -1)
  [ -n "$n" ] || n=$(grep -oE '^#[0-9]+' "$1" | tail -1 | tr -d '#')
  echo "${n:-0}"
}

mode=${1:-all}
[ $# -gt 0 ] && shift
case "$mode" in
  list) printf '%s\n' "${TARGETS[@]}" ;;
  build) build ;;
  seeds)
    selected=("$@")
    [ ${#selected[@]} -gt 0 ] || selected=("${TARGETS[@]}")
    build
    failed=0
    for target in "${selected[@]}"; do
      echo "== $target: $(find "fuzz/corpus/$target" -type f | wc -l) seeds"
      mkdir -p fuzz/target/logs "fuzz/artifacts/$target"
      if ! "$BIN_DIR/$target" -runs=0 -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" \
          -artifact_prefix="fuzz/artifacts/$target/" "fuzz/corpus/$target" >"fuzz/target/logs/$target.seeds.log" 2>&1; then
        grep -vE '^(WARNING|INFO|#)' "fuzz/target/logs/$target.seeds.log" | head -40
        failed=1
      fi
    done
    exit "$failed"
    ;;
  all | run)
    selected=("$@")
    [ ${#selected[@]} -gt 0 ] || selected=("${TARGETS[@]}")
    build
    mkdir -p fuzz/target/logs
    : >fuzz/target/logs/summary.tsv
    touch fuzz/target/logs/.started
    failed=0
    for target in "${selected[@]}"; do run_target "$target" || failed=1; done
    echo "== executions per target"
    awk -F'\t' '{ printf "%-12s %12d  findings: %s\n", $1, $2, $3; total += $2 }
                END { printf "%-12s %12d\n", "total", total }' fuzz/target/logs/summary.tsv
    if [ "$failed" -ne 0 ]; then
      echo "Findings:"; find fuzz/artifacts -type f -newer fuzz/target/logs/.started | sort
      echo "Reproduce one with: scripts/fuzz.sh repro TARGET FILE"
      exit 1
    fi
    ;;
  repro)
    target=$1; shift
    [ -x "$BIN_DIR/$target" ] || build
    "$BIN_DIR/$target" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" "$@"
    ;;
  cmin)
    target=$1
    [ -x "$BIN_DIR/$target" ] || build
    tmp=fuzz/target/corpus/$target.cmin
    rm -rf "$tmp" && mkdir -p "$tmp"
    "$BIN_DIR/$target" -merge=1 -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" "$tmp" "fuzz/target/corpus/$target" "fuzz/corpus/$target"
    rm -rf "fuzz/target/corpus/$target" && mv "$tmp" "fuzz/target/corpus/$target"
    ;;
  *) echo "usage: $0 [all|run TARGET...|build|seeds [TARGET...]|repro TARGET FILE...|cmin TARGET|list]" >&2; exit 2 ;;
esac
