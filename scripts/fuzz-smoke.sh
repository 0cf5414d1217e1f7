#!/usr/bin/env bash
# Short fuzz pass (seconds per target, for CI): every cargo-fuzz target in fuzz/ runs from the
# committed seed corpus under fuzz/corpus/<target>/ (when there is one) for FUZZ_SECONDS
# (default 20). New inputs go to a temporary directory, so the committed seeds stay as they are.
# Exits non-zero on the first crash, leak, timeout or out-of-memory; the input that caused it is
# in fuzz/artifacts/<target>/.
#
# Usage: bash scripts/fuzz-smoke.sh                 # every target, 20 s each
#        FUZZ_SECONDS=5 bash scripts/fuzz-smoke.sh validate_records
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP=1 lets the pinned stable
# toolchain take the sanitizer flags cargo-fuzz passes (see fuzz/README.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/fuzz"
FUZZ_SECONDS="${FUZZ_SECONDS:-20}"

if ! cargo fuzz --help >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 1
fi

# Targets as DIR:TARGET. fuzz/ holds the broker's and the log's targets, run under
# AddressSanitizer; fuzz/sql/ the SQL planner's, which links librdkafka (its C build does not
# link under the sanitizer): it runs with coverage only, and a stack overflow, a panic, a
# time-out or an allocation past -rss_limit_mb still stops it.
if [ "$#" -gt 0 ]; then
    targets=()
    for t in "$@"; do
        if [ -f "sql/fuzz_targets/$t.rs" ]; then targets+=("sql:$t"); else targets+=(".:$t"); fi
    done
else
    mapfile -t targets < <(RUSTC_BOOTSTRAP=1 cargo fuzz list | sed 's/^/.:/'
        RUSTC_BOOTSTRAP=1 cargo fuzz list --fuzz-dir sql | sed 's/^/sql:/')
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/spate-fuzz.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

for entry in "${targets[@]}"; do
    dir="${entry%%:*}"
    target="${entry#*:}"
    corpus=("$WORK/$target")
    mkdir -p "$WORK/$target"
    if [ -d "$dir/corpus/$target" ]; then corpus+=("$dir/corpus/$target"); fi
    echo "==> [$(date -u +%T)] fuzz $target for ${FUZZ_SECONDS}s (seeds: ${corpus[*]:1})"
    # -max_len: large enough for a compressed batch of a few records and for request frames;
    # -rss_limit_mb: a hostile input must not make the code under test allocate without bound.
    # libFuzzer prints a line per new input: keep that in a log, show its tail on failure.
    log="$WORK/$target.log"
    sanitizer=address
    if [ "$dir" = sql ]; then sanitizer=none; fi
    if ! RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir "$dir" --sanitizer="$sanitizer" "$target" "${corpus[@]}" -- \
        -max_total_time="$FUZZ_SECONDS" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz $target FAILED (input in fuzz/$dir/artifacts/$target/)" >&2
        exit 1
    fi
    grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$log" || tail -n 5 "$log"
done
