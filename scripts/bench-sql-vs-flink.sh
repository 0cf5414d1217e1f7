#!/usr/bin/env bash
# Side by side, interleaved so both see the same machine load: a Flink SQL file run by Apache
# Flink 2.3 (../shared/reference/flink-sql/run.sh) and by `spate sql -f`, three rounds. Prints
# each system's job time (Flink's "job finished in", Spate's "[INFO] job finished in") and rows/s.
# Usage: scripts/bench-sql-vs-flink.sh FILE.sql ROWS
# The file may use ${ROWS}; needs a release build (`cargo build --release -p spate`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
file=$1
rows=$2
flink="$root/../shared/reference/flink-sql/run.sh"
spate="$root/target/release/spate"
[ -x "$spate" ] || { echo "build first: cargo build --release -p spate" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s/\${ROWS}/$rows/g" "$file" > "$work/job.sql"
rate() { awk -v r="$rows" -v s="$1" 'BEGIN { printf "%.2f M rows/s", r / s / 1e6 }'; }
for round in 1 2 3; do
    echo "== round $round $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
    t=$(bash "$flink" "$work/job.sql" 1 2>&1 | sed -n 's/^# job finished in \([0-9.]*\)s$/\1/p' | tail -1)
    echo "flink: job ${t}s, $(rate "$t")"
    t=$("$spate" sql -f "$work/job.sql" --data-dir "$work/data" --checkpoint-dir "$work/ckpt" 2>&1 |
        sed -n 's/^\[INFO\] job finished in \([0-9.]*\)s.*$/\1/p' | tail -1)
    echo "spate: job ${t}s, $(rate "$t")"
done
