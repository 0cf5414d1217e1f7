#!/usr/bin/env bash
# Issue 41's updating job side by side: RECORDS JSON events over 100 000 user ids are written to
# a topic (3 partitions) of one `spate broker` process; then Apache Flink 2.3 with its Kafka
# connectors (../shared/reference/flink-sql/run.sh) and `spate sql` run the same Flink SQL file
# (scripts/bench-upsert/group-by.sql: GROUP BY user_id with COUNT, SUM, MAX -> upsert-kafka,
# parallelism 2) over that topic, each into its own output topic. Prints each job's wall time
# ("job finished in", excluding JVM and cluster start), records/s, and the machine's CPU time
# (user+system from /proc/stat) over each whole run: the broker's share included for both, the
# JVM's and mini-cluster's start included for Flink (Flink's JVM is not a waited-for child of
# run.sh, so per-process accounting would miss it); then checks with confluent-kafka that both
# outputs describe the same table.
# Usage: scripts/bench-upsert-vs-flink.sh [RECORDS] [DELIVERY] [ROUNDS]
#   RECORDS default 5000000; DELIVERY at-least-once (default) or exactly-once; ROUNDS default 1.
# Needs a release build (`cargo build --release -p spate`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
records=${1:-5000000}
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
input=events
"$spate" topics create "$input" --partitions 3 --bootstrap "$bootstrap" > /dev/null
echo "== filling $records events into $input $(date +%T)"
awk -v n="$records" 'BEGIN {
    srand(41);
    for (i = 0; i < n; i++) {
        u = int(rand() * 100000);
        printf "{\"user_id\":%d,\"amount\":%d,\"item\":\"item-%d\"}\n", u, int(rand() * 1000), int(rand() * 5000);
    }
}' | "$spate" produce "$input" --bootstrap "$bootstrap" --acks 1 > /dev/null
rate() { awk -v n="$records" -v s="$1" 'BEGIN { printf "%.3f M records/s", n / s / 1e6 }'; }
sql_file() { # OUTPUT -> the job file for it
    sed -e "s/\${BOOTSTRAP}/$bootstrap/g" -e "s/\${INPUT}/$input/g" -e "s/\${OUTPUT}/$1/g" \
        -e "s/\${DELIVERY}/$delivery/g" "$root/scripts/bench-upsert/group-by.sql" > "$work/$1.sql"
    echo "$work/$1.sql"
}
# The machine's busy CPU time so far in seconds (user, nice, system, irq, softirq).
busy() { awk '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8) / 100 }' /proc/stat; }
since() { awk -v a="$1" -v b="$(busy)" 'BEGIN { printf "%.1f", b - a }'; }
for round in $(seq 1 "$rounds"); do
    echo "== round $round $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
    out="flink-out-$round"
    "$spate" topics create "$out" --partitions 3 --bootstrap "$bootstrap" > /dev/null
    c0=$(busy)
    bash "$flink" "$(sql_file "$out")" 2 > "$work/flink.log" 2>&1 || {
        grep -v '^\s*at ' "$work/flink.log" | tail -40 >&2; exit 1; }
    t=$(sed -n 's/^# job finished in \([0-9.]*\)s$/\1/p' "$work/flink.log" | tail -1)
    echo "flink sql: job ${t}s, $(rate "$t"), machine cpu $(since "$c0")s (JVM start included)"
    out="spate-out-$round"
    "$spate" topics create "$out" --partitions 3 --bootstrap "$bootstrap" > /dev/null
    c0=$(busy)
    "$spate" sql -f "$(sql_file "$out")" --checkpoint-dir "$work/ckpt-$round" > "$work/spate.log" 2>&1 || {
        tail -20 "$work/spate.log" >&2; exit 1; }
    t=$(sed -n 's/^\[INFO\] job finished in \([0-9.]*\)s.*$/\1/p' "$work/spate.log" | tail -1)
    echo "spate sql: job ${t}s, $(rate "$t"), machine cpu $(since "$c0")s"
    if [ -x "$root/.tools/venv/bin/python" ]; then # scripts/install-deps.sh puts confluent-kafka there
        "$root/.tools/venv/bin/python" "$root/scripts/bench-upsert/check_output.py" "$bootstrap" "flink-out-$round" "spate-out-$round"
    fi
done
