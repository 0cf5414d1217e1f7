#!/usr/bin/env bash
# Produce throughput of Spate's broker beside another Kafka-compatible broker, measured with
# `spate bench produce` (pre-built batches over raw connections, so the broker and not the client
# is the limit), the two brokers alternated, a fresh topic per run. Starts `spate broker` itself
# (durable, on a fresh data dir, its default flush policy); the peer must already be running.
# Each run starts after a `sync`. Prints each run's figure, the CPU seconds each broker and the load generator used, and the
# brokers' RSS at the end.
# Usage: scripts/bench-produce-vs-peer.sh PEER_HOST:PORT PEER_PID [ROUNDS] [MEGABYTES] -- LOAD_ARGS...
#   e.g. scripts/bench-produce-vs-peer.sh 127.0.0.1:19092 "$(pgrep -f 'nisshi broker')" 3 500 \
#          -- --record-bytes 100 --partitions 1 --connections 1 --acks 1
# Needs a release build (`cargo build --release -p spate`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peer=$1
peer_pid=$2
rounds=${3:-3}
megabytes=${4:-500}
shift 4
[ "${1:-}" = "--" ] && shift
spate="$root/target/release/spate"
[ -x "$spate" ] || { echo "build first: cargo build --release -p spate" >&2; exit 1; }
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$spate" broker --listen "127.0.0.1:$port" --data-dir "$work/broker" > "$work/broker.log" 2>&1 &
spate_pid=$!
trap 'kill $spate_pid 2>/dev/null; wait $spate_pid 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ { printf "%.0f MB", $2 / 1024 }' "/proc/$1/status"; }
run() {
    local who=$1 address=$2 pid=$3 topic=$4
    local before after out
    shift 4
    # The previous run's dirty pages are written out first, so no run pays for another's.
    sync
    before=$(cpu "$pid")
    out=$( { /usr/bin/time -f 'load cpu %U+%S s' "$spate" bench produce --bootstrap "$address" \
        --topic "$topic" --megabytes "$megabytes" "$@"; } 2>&1 | grep -E '^(produce|load cpu|Error)' | tr '\n' ' ')
    after=$(cpu "$pid")
    echo "$who: $out; broker cpu $(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }') s"
}
for r in $(seq 1 "$rounds"); do
    topic="bench-$r-$RANDOM"
    run peer "$peer" "$peer_pid" "$topic" "$@"
    run spate "127.0.0.1:$port" "$spate_pid" "$topic" "$@"
done
echo "rss: peer $(rss "$peer_pid"), spate $(rss "$spate_pid")"
