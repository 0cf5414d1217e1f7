#!/usr/bin/env bash
# Nexmark results, Flink 2.3 against Spate: runs each query of scripts/bench-nexmark/ on both
# systems over the same EVENTS events (one `spate broker`, the topic `nexmark` loaded once by
# `spate bench nexmark`), at parallelism 1, with the query's blackhole sink replaced by a Kafka
# sink in Debezium JSON (a changelog: +I/+U as `c`, -U/-D as `d`) into a topic per system,
# then materializes both changelogs into their final tables and compares them as multisets
# (scripts/bench-nexmark/compare.py). A query a system refuses shows its error instead.
# Usage: scripts/bench-nexmark-compare.sh EVENTS QUERY...   e.g. 1000000 q3 q4 q9 q18 q19 q20
# KEEP=DIR keeps the scripts, logs and changelogs in DIR. SPATE=path picks the spate binary
# (default target/release/spate). Exits 1 when some query's tables differ.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
events=$1
shift
flink="$root/../shared/reference/flink-sql/run.sh"
spate="${SPATE:-$root/target/release/spate}"
[ -x "$spate" ] || { echo "build first: cargo build --release -p spate" >&2; exit 1; }
tmp=$(mktemp -d)
work="${KEEP:-$tmp}"
mkdir -p "$work"
port=$((20000 + RANDOM % 20000))
"$spate" broker --listen "127.0.0.1:$port" --data-dir "$tmp/broker" > "$work/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$tmp"' EXIT
sleep 1
bootstrap="127.0.0.1:$port"
"$spate" bench nexmark --bootstrap "$bootstrap" --events "$events" --query q0 2>&1 | grep -E '^loaded'
# The first lines of a failed run's error (Flink's Java exception, Spate's message).
error() { grep -m1 -E "Exception: |^Error|^error" "$1" | cut -c1-600 || tail -3 "$1"; }
status=0
for q in "$@"; do
    echo "== $q $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
    ok=1
    for sys in flink spate; do
        topic="out-$sys-$q"
        "$spate" topics create --bootstrap "$bootstrap" "$topic" > /dev/null
        {
            cat "$root/scripts/bench-nexmark/ddl.sql"
            sed -E "s/'connector'[[:space:]]*=[[:space:]]*'blackhole'/'connector' = 'kafka', 'topic' = '$topic', 'properties.bootstrap.servers' = '\${BOOTSTRAP}', 'format' = 'debezium-json'/" \
                "$root/scripts/bench-nexmark/$q.sql"
        } | sed -e "s/\${BOOTSTRAP}/$bootstrap/g" > "$work/$sys-$q.sql"
        t0=$(date +%s.%N)
        if [ $sys = flink ]; then
            bash "$flink" "$work/$sys-$q.sql" 1 > "$work/$sys-$q.log" 2>&1 && rc=0 || rc=$?
        else
            "$spate" sql --bootstrap "$bootstrap" -f "$work/$sys-$q.sql" > "$work/$sys-$q.log" 2>&1 && rc=0 || rc=$?
        fi
        secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        if [ $rc != 0 ]; then
            echo "$sys $q: failed after ${secs}s: $(error "$work/$sys-$q.log")"
            ok=0
        else
            echo "$sys $q: ran in ${secs}s (process wall time)"
        fi
        "$spate" consume --bootstrap "$bootstrap" --from-beginning --exit-at-end "$topic" > "$work/$sys-$q.jsonl"
    done
    if [ $ok = 1 ]; then
        python3 "$root/scripts/bench-nexmark/compare.py" "$work/flink-$q.jsonl" "$work/spate-$q.jsonl" "$q" || status=1
    fi
done
exit $status
