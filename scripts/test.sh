#!/usr/bin/env bash
# THE test command: formatting, lints, the Kafka client compatibility script against a started
# `spate broker`, then every Rust test (last, so its summary closes the output). Exits non-zero if any step fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n==> %s\n' "$*"; }

step "install test dependencies"
bash scripts/install-deps.sh

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

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

