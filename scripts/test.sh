#!/usr/bin/env bash
# THE test command: formatting, lints, the structure gates (crate layering, import loops,
# unused dependencies, rustdoc warnings), the Kafka client compatibility script against a
# started `spate broker`, then every Rust test (last, so its summary closes the output). Exits
# non-zero if any step fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n==> [%s, %ss in] %s\n' "$(date -u +%T)" "$SECONDS" "$*"; }
# The disk left, printed at the start and before the big build: a CI run once failed with
# "No space left on device" on a host whose disk is shared.
disk() { df -h "$ROOT" | tail -1; }

# A clean clone builds everything once: incremental caches would only double the disk used.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

disk
step "install test dependencies"
bash scripts/install-deps.sh

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "crate layering (log side and engine side meet only in connectors; the SQL front end on neither; connectors without the broker; nothing upward)"
# First, that the gate fails on planted violations.
python3 scripts/test-check-layering.py
python3 scripts/check-layering.py

step "no import loops between modules"
# First, that the checker fails on planted loops (and passes code without any).
python3 scripts/test-check-import-loops.py
# Between files, and between top-level folders (--depth=1), in every crate.
LOOP_CHECKED=(crates/*/src)
python3 scripts/check-import-loops.py "${LOOP_CHECKED[@]}"
python3 scripts/check-import-loops.py --depth=1 "${LOOP_CHECKED[@]}"

step "unused dependencies"
cargo machete

step "cargo doc (warnings denied)"
RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps

step "Miri over the unsafe code's unit tests (spate-sql row_memory)"
bash scripts/miri.sh

step "short fuzz pass (request decoding, record validation, SASL exchange) from the committed seeds"
FUZZ_SECONDS="${FUZZ_SECONDS:-10}" bash scripts/fuzz-smoke.sh
if [ "${SPATE_PRUNE_TARGETS:-0}" = 1 ]; then
    # CI (.ci/run) keeps its peak disk down: Miri's and the fuzzers' builds (~1.4 GB) are not
    # needed by any later step.
    rm -rf target/miri fuzz/target fuzz/sql/target
fi
disk

step "compatibility with real Kafka clients"
cargo build -p spate
bash tests/compat/run.sh

if cargo nextest --version >/dev/null 2>&1; then
    # nextest does not run doctests; run those with cargo test first.
    step "cargo test --doc"
    cargo test --workspace --doc
    step "cargo nextest run"
    cargo nextest run --workspace --no-fail-fast
else
    step "cargo test"
    cargo test --workspace --no-fail-fast
fi

