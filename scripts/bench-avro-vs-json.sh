#!/usr/bin/env bash
# Issue 43's format benchmark: the same Kafka -> SQL -> Kafka jobs with JSON and with
# registry formats (avro-confluent; with FORMATS also protobuf-confluent, json-confluent) on
# both sides, over the same events. RECORDS JSON events (7 columns, ~150 bytes) are written to a
# topic (2 partitions) of one `spate broker` serving its schema registry; a Spate job copies
# them into one topic per registry format. Then, ROUNDS times and alternating, each of
# scripts/bench-formats/{project,group-by}.sql runs with each format. Prints each job's time ("job finished in"), records/s
# and the machine's busy CPU time (user+system from /proc/stat, the broker's share included)
# over the whole `spate sql` run, and the topics' bytes per record.
# Usage: [FORMATS="json avro-confluent protobuf-confluent json-confluent"] \
#        scripts/bench-avro-vs-json.sh [RECORDS] [ROUNDS]   (defaults 5000000 2; FORMATS
#        defaults to "json avro-confluent")
# Needs a release build (`cargo build --release -p spate`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
records=${1:-5000000}
rounds=${2:-2}
formats=${FORMATS:-json avro-confluent}
spate="$root/target/release/spate"
[ -x "$spate" ] || { echo "build first: cargo build --release -p spate" >&2; exit 1; }
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$spate" broker --listen "127.0.0.1:$port" --data-dir "$work/broker" \
    --schema-registry-listen "127.0.0.1:$((port + 1))" > "$work/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
bootstrap="127.0.0.1:$port"
registry="http://127.0.0.1:$((port + 1))"
"$spate" topics create events-json --partitions 2 --bootstrap "$bootstrap" > /dev/null
echo "== filling $records events $(date +%T)"
awk -v n="$records" -f "$root/scripts/bench-formats/events.awk" | "$spate" produce events-json --bootstrap "$bootstrap" --acks 1 > /dev/null
fill() { # TEMPLATE INPUT OUTPUT FORMAT -> the job file
    local opts="" key="" value=""
    if [ "$4" != json ]; then
        opts=",\n  '$4.url' = '$registry'"
        key=",\n  'key.$4.url' = '$registry'"
        value=",\n  'value.$4.url' = '$registry'"
    fi
    sed -e "s|\${BOOTSTRAP}|$bootstrap|g" -e "s|\${INPUT}|$2|g" -e "s|\${OUTPUT}|$3|g" \
        -e "s|\${FORMAT}|$4|g" -e "s|\${REGISTRY}|$registry|g" -e "s|\${FORMAT_OPTIONS}|$opts|g" \
        -e "s|\${KEY_OPTIONS}|$key|g" -e "s|\${VALUE_OPTIONS}|$value|g" \
        "$root/scripts/bench-formats/$1.sql" > "$work/$3.sql"
    echo "$work/$3.sql"
}
input_of() { [ "$1" = json ] && echo events-json || echo "events-$1"; }
for format in $formats; do
    [ "$format" = json ] && continue
    "$spate" topics create "$(input_of "$format")" --partitions 2 --bootstrap "$bootstrap" > /dev/null
    "$spate" sql -f "$(fill to-format events-json "$(input_of "$format")" "$format")" > "$work/copy.log" 2>&1 || {
        tail -20 "$work/copy.log" >&2; exit 1; }
done
bytes() { # TOPIC -> bytes of its log segments
    du -sb "$work"/broker/log/"$1"-[0-9]* | awk '{ s += $1 } END { print s }'
}
for format in $formats; do
    echo "topic bytes per record: $format $(awk -v b="$(bytes "$(input_of "$format")")" -v n="$records" 'BEGIN { printf "%.1f", b / n }') (log segments with batch headers)"
done
busy() { awk '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8) / 100 }' /proc/stat; }
since() { awk -v a="$1" -v b="$(busy)" 'BEGIN { printf "%.1f", b - a }'; }
rate() { awk -v n="$records" -v s="$1" 'BEGIN { printf "%.3f M records/s", n / s / 1e6 }'; }
for round in $(seq 1 "$rounds"); do
    echo "== round $round $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
    for job in project group-by; do
        for format in $formats; do
            input=$(input_of "$format")
            out="$job-$format-$round"
            "$spate" topics create "$out" --partitions 2 --bootstrap "$bootstrap" > /dev/null
            c0=$(busy)
            "$spate" sql -f "$(fill "$job" "$input" "$out" "$format")" > "$work/run.log" 2>&1 || {
                tail -20 "$work/run.log" >&2; exit 1; }
            t=$(sed -n 's/^\[INFO\] job finished in \([0-9.]*\)s.*$/\1/p' "$work/run.log" | tail -1)
            printf '%-9s %-15s job %6ss, %s, machine cpu %ss\n' "$job" "$format" "$t" "$(rate "$t")" "$(since "$c0")"
        done
    done
done
