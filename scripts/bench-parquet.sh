#!/usr/bin/env bash
# Issue 44's Parquet benchmark: Kafka JSON events -> filesystem files, as JSON lines and as
# Parquet (snappy, Flink's default; and zstd), over the same events. RECORDS JSON events (7
# columns, ~150 bytes) are written to a topic (2 partitions) of one `spate broker`; then, ROUNDS
# times and alternating, scripts/bench-parquet/to-files.sql runs once per format. Prints each
# job's time ("job finished in"), records/s, input MB/s (the JSON bytes of the records), the
# machine's busy CPU time (user+system from /proc/stat, the broker's share included) over the
# whole `spate sql` run, and the bytes the files take against the JSON input.
# Usage: scripts/bench-parquet.sh [RECORDS] [ROUNDS]   (defaults 5000000 2)
# Needs a release build (`cargo build --release -p spate`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
records=${1:-5000000}
rounds=${2:-2}
spate="$root/target/release/spate"
[ -x "$spate" ] || { echo "build first: cargo build --release -p spate" >&2; exit 1; }
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$spate" broker --listen "127.0.0.1:$port" --data-dir "$work/broker" > "$work/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
bootstrap="127.0.0.1:$port"
"$spate" topics create events --partitions 2 --bootstrap "$bootstrap" > /dev/null
echo "== filling $records events $(date +%T)"
awk -v n="$records" -f "$root/scripts/bench-formats/events.awk" > "$work/events.json"
input_bytes=$(stat -c %s "$work/events.json")
"$spate" produce events --bootstrap "$bootstrap" --acks 1 < "$work/events.json" > /dev/null
echo "input: $(awk -v b="$input_bytes" -v n="$records" 'BEGIN { printf "%.1f MB of JSON, %.1f bytes per record", b / 1e6, b / n }')"
rm "$work/events.json"
busy() { awk '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8) / 100 }' /proc/stat; }
since() { awk -v a="$1" -v b="$(busy)" 'BEGIN { printf "%.1f", b - a }'; }
for round in $(seq 1 "$rounds"); do
    echo "== round $round $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
    for variant in json parquet-snappy parquet-zstd; do
        case "$variant" in
            json) format=json; options="" ;;
            parquet-snappy) format=parquet; options="" ;;
            parquet-zstd) format=parquet; options=",\n  'parquet.compression' = 'ZSTD'" ;;
        esac
        out="$work/out-$variant-$round"
        sed -e "s|\${BOOTSTRAP}|$bootstrap|g" -e "s|\${INPUT}|events|g" -e "s|\${OUTPUT}|$out|g" \
            -e "s|\${FORMAT}|$format|g" -e "s|\${FORMAT_OPTIONS}|$options|g" \
            "$root/scripts/bench-parquet/to-files.sql" > "$work/job.sql"
        c0=$(busy)
        "$spate" sql -f "$work/job.sql" > "$work/run.log" 2>&1 || { tail -20 "$work/run.log" >&2; exit 1; }
        t=$(sed -n 's/^\[INFO\] job finished in \([0-9.]*\)s.*$/\1/p' "$work/run.log" | tail -1)
        size=$(du -sb "$out" | cut -f1)
        awk -v v="$variant" -v t="$t" -v n="$records" -v b="$input_bytes" -v s="$size" -v cpu="$(since "$c0")" 'BEGIN {
            printf "%-15s job %6ss, %.3f M records/s, %.1f MB/s of JSON input, machine cpu %ss, files %.1f MB (%.1f%% of the JSON)\n",
                v, t, n / t / 1e6, b / t / 1e6, cpu, s / 1e6, 100 * s / b }'
        rm -rf "$out"
    done
done
