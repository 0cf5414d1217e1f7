#!/usr/bin/env bash
# Side by side, interleaved so both see the same machine load: Apache Flink 2.3's window-count
# job (../shared/reference/flink-baseline) and `spate bench window-count`, three rounds.
# Usage: scripts/bench-engine-vs-flink.sh [EVENTS] [PARALLELISM]
# Needs a release build (`cargo build --release -p spate`); Flink comes from PyPI into
# $FLINK_VENV (default /tmp/flink-venv) on first use.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n=${1:-20000000}
p=${2:-1}
flink="$root/../shared/reference/flink-baseline/run.sh"
[ -x "$root/target/release/spate" ] || { echo "build first: cargo build --release -p spate" >&2; exit 1; }
for round in 1 2 3; do
    echo "== round $round $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
    bash "$flink" "$n" "$p"
    "$root/target/release/spate" bench window-count --events "$n" --keys 1000 --parallelism "$p" | tail -2
done
