#!/usr/bin/env bash
# Issue 44's Iceberg benchmark, two parts, on one `spate broker`:
#  1. Throughput, side by side: RECORDS JSON events (scripts/bench-formats/events.awk) in a
#     topic of 2 partitions; ROUNDS times, alternating, a bounded job (parallelism 2, a
#     checkpoint every 10 s) copies them into an Iceberg table (hadoop catalog, Parquet zstd,
#     Iceberg's default codec) and into Parquet zstd files of the filesystem connector. Prints
#     each job's time, records/s, the machine's busy CPU (user+system from /proc/stat, the
#     broker's share included), and the Iceberg commits with their latency (the sink logs each
#     commit: "committed checkpoint N ... in X ms").
#  2. Small files: RATE events/s for SECONDS s (one `spate produce` per second) into an
#     unbounded job with a checkpoint every 10 s; prints the snapshots and data files committed
#     and the data files per hour that makes (Spate does not compact).
# Usage: scripts/bench-iceberg.sh [RECORDS] [ROUNDS] [RATE] [SECONDS]  (defaults 2000000 2 2000 60)
# Needs a release build (`cargo build --release -p spate`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
records=${1:-2000000}
rounds=${2:-2}
rate=${3:-2000}
seconds=${4:-60}
spate="$root/target/release/spate"
[ -x "$spate" ] || { echo "build first: cargo build --release -p spate" >&2; exit 1; }
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$spate" broker --listen "127.0.0.1:$port" --data-dir "$work/broker" > "$work/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
bootstrap="127.0.0.1:$port"
export RUST_LOG="warn,spate=info,spate_sql=info"
busy() { awk '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8) / 100 }' /proc/stat; }
since() { awk -v a="$1" -v b="$(busy)" 'BEGIN { printf "%.1f", b - a }'; }

# job.sql for INPUT, INTERVAL, BOUNDED (yes/no) and SINK (the options of the lake table).
make_job() {
    local bounded=""
    [ "$3" = yes ] && bounded=",\n  'scan.bounded.mode' = 'latest-offset'"
    sed -e "s|\${BOOTSTRAP}|$bootstrap|g" -e "s|\${INPUT}|$1|g" -e "s|\${INTERVAL}|$2|g" \
        -e "s|\${BOUNDED}|$bounded|g" -e "s|\${SINK}|$4|g" \
        "$root/scripts/bench-iceberg/to-lake.sql" > "$work/job.sql"
}
iceberg_sink() {
    echo "'connector' = 'iceberg', 'catalog-name' = 'lake', 'catalog-type' = 'hadoop', 'warehouse' = 'file://$1', 'catalog-database' = 'db', 'catalog-table' = 'events'"
}
# Commits in a run's log: count, median and max latency in ms.
commits() {
    sed -n 's/.*committed checkpoint .* in \([0-9.]*\) ms$/\1/p' "$1" | sort -n | awk '
        { v[NR] = $1 } END { if (NR == 0) { print "0 commits"; exit }
          printf "%d commits, latency median %.1f ms, max %.1f ms", NR, v[int((NR + 1) / 2)], v[NR] }'
}
# The table's snapshots and committed data files (its current metadata).
table_facts() {
    python3 - "$1" <<'PY'
import json, os, sys
meta = os.path.join(sys.argv[1], "metadata")
version = open(os.path.join(meta, "version-hint.text")).read().strip()
m = json.load(open(os.path.join(meta, f"v{version}.metadata.json")))
cur = [s for s in m["snapshots"] if s["snapshot-id"] == m.get("current-snapshot-id")]
s = cur[0]["summary"] if cur else {}
print(len(m["snapshots"]), s.get("total-data-files", 0), s.get("total-records", 0))
PY
}

"$spate" topics create events --partitions 2 --bootstrap "$bootstrap" > /dev/null
echo "== part 1: filling $records events $(date +%T)"
awk -v n="$records" -f "$root/scripts/bench-formats/events.awk" > "$work/events.json"
"$spate" produce events --bootstrap "$bootstrap" --acks 1 < "$work/events.json" > /dev/null
rm "$work/events.json"
for round in $(seq 1 "$rounds"); do
    echo "== round $round $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
    for variant in iceberg parquet-files; do
        out="$work/out-$variant-$round"
        case "$variant" in
            iceberg) make_job events "10s" yes "$(iceberg_sink "$out")" ;;
            parquet-files) make_job events "10s" yes "'connector' = 'filesystem', 'path' = '$out', 'format' = 'parquet', 'parquet.compression' = 'ZSTD'" ;;
        esac
        c0=$(busy)
        "$spate" sql -f "$work/job.sql" --checkpoint-dir "$work/chk-$variant-$round" > "$work/run.log" 2>&1 || { tail -20 "$work/run.log" >&2; exit 1; }
        t=$(sed -n 's/^\[INFO\] job finished in \([0-9.]*\)s.*$/\1/p' "$work/run.log" | tail -1)
        extra=""
        if [ "$variant" = iceberg ]; then
            read -r snaps files rows < <(table_facts "$out/db/events")
            extra=", $(commits "$work/run.log"); $snaps snapshots, $files data files, $rows records"
        fi
        awk -v v="$variant" -v t="$t" -v n="$records" -v cpu="$(since "$c0")" -v x="$extra" 'BEGIN {
            printf "%-14s job %6ss, %.3f M records/s, machine cpu %ss%s\n", v, t, n / t / 1e6, cpu, x }'
        rm -rf "$out"
    done
done

echo "== part 2: $rate events/s for ${seconds}s, a checkpoint every 10 s $(date +%T)"
"$spate" topics create stream --partitions 2 --bootstrap "$bootstrap" > /dev/null
lake="$work/lake"
make_job stream "10s" no "$(iceberg_sink "$lake")"
"$spate" sql -f "$work/job.sql" --checkpoint-dir "$work/chk-stream" > "$work/stream.log" 2>&1 &
job=$!
awk -v n="$rate" -f "$root/scripts/bench-formats/events.awk" > "$work/second.json"
for _ in $(seq 1 "$seconds"); do
    t0=$(date +%s.%N)
    "$spate" produce stream --bootstrap "$bootstrap" --acks 1 < "$work/second.json" > /dev/null 2>&1
    sleep "$(awk -v t0="$t0" -v now="$(date +%s.%N)" 'BEGIN { d = 1 - (now - t0); print (d > 0 ? d : 0) }')"
done
sleep 12
kill -TERM $job; wait $job || true
read -r snaps files rows < <(table_facts "$lake/db/events")
awk -v s="$snaps" -v f="$files" -v r="$rows" -v secs="$((seconds + 12))" -v c="$(commits "$work/stream.log")" 'BEGIN {
    printf "streaming: %d snapshots, %d data files, %d records committed in ~%ds (%s): %.0f data files per hour\n",
        s, f, r, secs, c, f * 3600 / secs }'
