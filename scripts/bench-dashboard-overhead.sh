#!/usr/bin/env bash
# What watching a job costs it: `spate server` (release build) runs the SQL benchmark job
# (scripts/bench-sql/tumble-count.sql: a datagen sequence, a 1 s TUMBLE COUNT(*) over 1000
# keys, a blackhole) several times, alternately with nobody watching and with the dashboard's
# job page open (its polls: /jobs/ID, /jobs/ID/checkpoints, /jobs/ID/exceptions every second,
# the plan once) and /metrics scraped every second. Prints each run's job duration (the
# server's own `duration`) and the mean of each kind.
#
# Usage: ROWS=60000000 RUNS=3 bash scripts/bench-dashboard-overhead.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ROWS="${ROWS:-60000000}"
RUNS="${RUNS:-3}"
BIN="${SPATE_BIN:-target/release/spate}"
[ -x "$BIN" ] || cargo build --release -p spate
WORK="$(mktemp -d "${TMPDIR:-/tmp}/spate-dash-bench.XXXXXX")"
trap 'kill "$SERVER" 2>/dev/null || true; kill "$WATCHER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
WATCHER=0

"$BIN" server --data-dir "$WORK/data" --kafka-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
    > "$WORK/server.out" 2> "$WORK/server.log" &
SERVER=$!
for _ in $(seq 100); do
    grep -q "REST API on" "$WORK/server.out" 2>/dev/null && break
    sleep 0.1
done
URL="$(sed -n 's/^spate server: REST API on \([^,]*\),.*/\1/p' "$WORK/server.out")"
[ -n "$URL" ] || { cat "$WORK/server.log"; exit 1; }
# The REST API needs the server's token (kept in its data directory).
TOKEN="$(cat "$WORK/data/http-token")"
export SPATE_TOKEN="$TOKEN"
sed "s/\${ROWS}/$ROWS/g" scripts/bench-sql/tumble-count.sql > "$WORK/job.sql"

watch_job() { # the job page and a Prometheus scrape, once a second, until killed
    local id="$1"
    curl -sf -H "Authorization: Bearer $TOKEN" "$URL/jobs/$id/plan" > /dev/null || true
    while true; do
        for path in "jobs/$id" "jobs/$id/checkpoints" "jobs/$id/exceptions" metrics; do
            curl -sf -H "Authorization: Bearer $TOKEN" "$URL/$path" > /dev/null || true
        done
        sleep 1
    done
}

run() { # $1 = watched|alone; prints the job's duration in ms
    local id state
    id="$("$BIN" jobs submit "$WORK/job.sql" --server "$URL")"
    if [ "$1" = watched ]; then
        watch_job "$id" & WATCHER=$!
    fi
    while true; do
        state="$(curl -sf -H "Authorization: Bearer $TOKEN" "$URL/jobs/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')"
        [ "$state" = RUNNING ] || break
        sleep 0.5
    done
    if [ "$1" = watched ]; then kill "$WATCHER"; wait "$WATCHER" 2>/dev/null || true; fi
    [ "$state" = FINISHED ] || { echo "job $id ended $state" >&2; exit 1; }
    curl -sf -H "Authorization: Bearer $TOKEN" "$URL/jobs/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["duration"])'
}

alone=(); watched=()
for i in $(seq "$RUNS"); do
    a="$(run alone)"; w="$(run watched)"
    alone+=("$a"); watched+=("$w")
    echo "run $i: alone ${a} ms, watched ${w} ms"
done
python3 - "${alone[*]}" "${watched[*]}" "$ROWS" <<'PY'
import sys
alone = [int(x) for x in sys.argv[1].split()]
watched = [int(x) for x in sys.argv[2].split()]
rows = int(sys.argv[3])
ma, mw = sum(alone) / len(alone), sum(watched) / len(watched)
print(f"mean: alone {ma:.0f} ms ({rows / ma / 1000:.2f} M rows/s), watched {mw:.0f} ms "
      f"({rows / mw / 1000:.2f} M rows/s): watching costs {100 * (mw - ma) / ma:+.1f} %")
PY
