#!/usr/bin/env bash
# Issue 43's registry benchmark: `spate broker --schema-registry-listen` with one registered
# Avro schema, loaded by wrk (keep-alive connections) with GET /schemas/ids/1 (what a
# deserializer asks on a cache miss) and POST /subjects/S (a serializer's lookup with
# auto-registration off). Prints wrk's requests/s and latency percentiles, and the broker
# process's CPU time over each run.
# Usage: scripts/bench-registry.sh [SECONDS] [CONNECTIONS] [THREADS]   (defaults 10 32 1)
# Needs wrk (apt-get install wrk) and a release build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=${1:-10}
connections=${2:-32}
threads=${3:-1}
spate="$root/target/release/spate"
[ -x "$spate" ] || { echo "build first: cargo build --release -p spate" >&2; exit 1; }
command -v wrk > /dev/null || { echo "needs wrk" >&2; exit 1; }
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$spate" broker --listen "127.0.0.1:$port" --data-dir "$work/broker" \
    --schema-registry-listen "127.0.0.1:$((port + 1))" > "$work/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
url="http://127.0.0.1:$((port + 1))"
schema='{"type":"record","name":"Click","namespace":"shop","fields":[{"name":"user","type":"long"},{"name":"page","type":["null","string"],"default":null},{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}}]}'
body=$(python3 -c 'import json,sys; print(json.dumps({"schema": sys.argv[1]}))' "$schema")
curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' -d "$body" "$url/subjects/clicks-value/versions" > /dev/null
cat > "$work/lookup.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/vnd.schemaregistry.v1+json"
wrk.body = [[$body]]
LUA
cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$broker/stat"; }
for what in "GET /schemas/ids/1" "POST /subjects/clicks-value"; do
    c0=$(cpu)
    if [ "${what%% *}" = GET ]; then
        wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "$url/schemas/ids/1" > "$work/wrk.log"
    else
        wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s "$work/lookup.lua" "$url/subjects/clicks-value" > "$work/wrk.log"
    fi
    c1=$(cpu)
    echo "== $what: $connections connections, ${seconds}s; broker cpu $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f", b - a }')s"
    grep -E "Requests/sec|Non-2xx| 50%| 90%| 99%|Socket errors" "$work/wrk.log"
done
