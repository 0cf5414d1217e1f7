#!/usr/bin/env bash
# Kafka -> keyed 1 s window -> Kafka side by side (issue 13): `spate bench pipeline` (the
# DataStream job, parallelism 2, 3 partitions) pre-fills RECORDS records into a topic of one
# `spate broker` process and times its job over them; then Apache Flink 2.3 with its Kafka
# connector (../shared/reference/flink-sql/run.sh) and `spate sql` run the same job as Flink SQL
# (scripts/bench-pipeline/window-count.sql) over that same topic, each into its own output topic.
# Prints job times and records/s ("job finished in" of Flink and of `spate sql`, excluding JVM
# and cluster start; the bench's own time for the DataStream job).
# Usage: scripts/bench-pipeline-vs-flink.sh [RECORDS] [DELIVERY] [ROUNDS]
#   RECORDS default 20000000; DELIVERY at-least-once (default) or exactly-once; ROUNDS default 1.
# Needs a release build (`cargo build --release -p spate`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
records=${1:-20000000}
delivery=${2:-at-least-once}
rounds=${3:-1}
flink="$root/../shared/reference/flink-sql/run.sh"
spate="$root/target/release/spate"
[ -x "$spate" ] || { echo "build first: cargo build --release -p spate" >&2; exit 1; }
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$spate" broker --listen "127.0.0.1:$port" --data-dir "$work/broker" > "$work/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
bootstrap="127.0.0.1:$port"
rate() { awk -v n="$records" -v s="$1" 'BEGIN { printf "%.3f M records/s", n / s / 1e6 }'; }
sql_file() { # OUTPUT -> the job file for it
    sed -e "s/\${BOOTSTRAP}/$bootstrap/g" -e "s/\${INPUT}/$input/g" -e "s/\${OUTPUT}/$1/g" \
        -e "s/\${DELIVERY}/$delivery/g" "$root/scripts/bench-pipeline/window-count.sql" > "$work/$1.sql"
    echo "$work/$1.sql"
}
for round in $(seq 1 "$rounds"); do
    echo "== round $round $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
    "$spate" bench pipeline --bootstrap "$bootstrap" --records "$records" --delivery "$delivery" \
        > "$work/bench.out" 2> "$work/bench.err" || { cat "$work/bench.err" >&2; exit 1; }
    input=$(sed -n 's/^pre-filled .* into `\([^`]*\)`.*$/\1/p' "$work/bench.out")
    sed -n "s/^run 1 $delivery: \([0-9.]*\) M records\/s ([0-9]* records in \([0-9.]*\) s).*$/spate datastream: job \2s, \1 M records\/s/p" "$work/bench.out"
    out="flink-out-$round"
    "$spate" topics create "$out" --partitions 3 --bootstrap "$bootstrap" > /dev/null
    t=$(bash "$flink" "$(sql_file "$out")" 2 2>&1 | sed -n 's/^# job finished in \([0-9.]*\)s$/\1/p' | tail -1)
    echo "flink sql: job ${t}s, $(rate "$t")"
    out="spate-out-$round"
    "$spate" topics create "$out" --partitions 3 --bootstrap "$bootstrap" > /dev/null
    t=$("$spate" sql -f "$(sql_file "$out")" --checkpoint-dir "$work/ckpt-$round" 2>&1 |
        sed -n 's/^\[INFO\] job finished in \([0-9.]*\)s.*$/\1/p' | tail -1)
    echo "spate sql: job ${t}s, $(rate "$t")"
    if [ -x "$root/.tools/venv/bin/python" ]; then # scripts/install-deps.sh puts confluent-kafka there
        for o in "flink-out-$round" "spate-out-$round"; do
            "$root/.tools/venv/bin/python" "$root/scripts/bench-pipeline/check_output.py" "$bootstrap" "$o"
        done
    fi
done
