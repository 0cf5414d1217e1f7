#!/usr/bin/env bash
# Miri over the unit tests of spate-sql's unsafe code (`row_memory.rs`: rows built in place
# through raw pointers, rows pushed into a batch's spare room, the per-thread pool of spare row
# blocks): undefined behaviour, use after free, double frees and leaks fail the run.
#
# The workspace's other unsafe module, the binary's `allocator.rs`, is calls into mimalloc's C
# code, which Miri cannot execute; its unit test runs natively in the normal test run.
#
# Miri needs a nightly toolchain with the miri and rust-src components; the date is pinned so
# that CI runs what was checked here (override with MIRI_TOOLCHAIN).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TOOLCHAIN="${MIRI_TOOLCHAIN:-nightly-2026-10-30}"

if ! cargo "+$TOOLCHAIN" miri --version >/dev/null 2>&1; then
    rustup toolchain install "$TOOLCHAIN" --profile minimal --component miri --component rust-src
fi
# Every test with leak checking, except the two that panic midway through making a row: a row
# whose making panics is leaked by design (row_in_place_with's docs say why), so those two run
# with leaks ignored and are checked for undefined behaviour only.
cargo "+$TOOLCHAIN" miri test -p spate-sql --lib row_memory -- --skip row_memory::tests::a_panic
MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-ignore-leaks" \
    cargo "+$TOOLCHAIN" miri test -p spate-sql --lib row_memory::tests::a_panic
