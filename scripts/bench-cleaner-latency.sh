#!/usr/bin/env bash
# Produce latency through a real client with the log cleaner idle and busy (issue 12: "produce
# p99 latency with the cleaner busy stays within 2x of idle"), end to end: librdkafka's
# rdkafka_performance produces acks=all at a fixed rate with per-message produce -> delivery
# report latency (-l -A FILE, microseconds) against a `spate broker`.
#
# Each round, for each cleaner mode (throttled at log.cleaner.io.max.bytes.per.second=$THROTTLE,
# then unthrottled, Kafka's default), a fresh broker (data on $TMPDIR, default /tmp):
#   1. fills a 1-partition topic with $FILL_MB MB of 100-byte records under ONE key, created
#      with cleanup.policy=delete and small segments, so nothing is cleanable yet and then
#      almost everything is removable; `sync` so the fill's write-back is not in the next step;
#   2. idle: the latency producer on a fresh topic (the cleaner has nothing to do);
#   3. switches the filled topic to cleanup.policy=compact (IncrementalAlterConfigs, built from
#      librdkafka's examples/incremental_alter_configs.c) and at once runs the latency producer
#      again on another fresh topic: busy.
# The cleaner thread's (spate-cleaner-0) read+write bytes and CPU time are sampled from /proc
# before and after each window, and again 0.3 s after it, so each line shows whether the cleaner
# really worked during (and still after) the window; the broker log's "cleaned log" lines
# (end of a pass) are printed too. The broker is stopped after the busy window (a pass in
# progress is abandoned). The first $WARMUP messages of each latency run are left out (the
# client's start-up: connection, metadata, a first batch that can wait 0.5 s).
# At 32 MiB/s a busy window covers only the first, read-only part of a pass over the default
# fill (the key map); FILL_MB=100 makes the pass (map, then the rewrite with its fsyncs, swaps
# and deletes) about as long as the window.
#
# Usage: SPATE_BIN=target/release/spate bash scripts/bench-cleaner-latency.sh      # RUNS=2
#        KEEP=/tmp/cleaner-latency RUNS=5 SPATE_BIN=... bash scripts/bench-cleaner-latency.sh  # keep the files
#        MODES=throttled FILL_MB=100 SPATE_BIN=... bash scripts/bench-cleaner-latency.sh   # see below
#        MODES=unthrottled CLEANER_NICE=19 SPATE_BIN=... bash scripts/bench-cleaner-latency.sh   # cleaner thread niced
#        RUNS=1 FILL_MB=300 MSGS=40000 WARMUP=5000 SPATE_BIN=... bash scripts/bench-cleaner-latency.sh  # smoke
# rdkafka_performance is built as scripts/bench-tls.sh builds it (from rdkafka-sys's sources
# under $CARGO_TARGET_DIR, default target/). Not part of the test suite.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${RUNS:-2}"
THROTTLE="${THROTTLE:-33554432}" # bytes/s: 32 MiB/s
FILL_MB="${FILL_MB:-2500}"       # enough that even the unthrottled cleaner outlasts a run
SEGMENT_BYTES="${SEGMENT_BYTES:-8388608}"
RATE="${RATE:-20000}"            # msgs/s asked of rdkafka_performance (-r)
MSGS="${MSGS:-120000}"           # per latency run
WARMUP="${WARMUP:-20000}"        # first messages of a latency run left out of the percentiles
MODES="${MODES:-throttled unthrottled}"
CLEANER_NICE="${CLEANER_NICE:-}" # e.g. 19: renice the cleaner thread (a diagnostic: CPU or I/O?)
SIZE=100
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
log() { echo "bench-cleaner-latency: $*" >&2; }

if [ -n "${SPATE_BIN:-}" ]; then
    SPATE="$SPATE_BIN"
else
    log "cargo build --release -p spate"
    cargo build --release -p spate >&2
    SPATE="$TARGET/release/spate"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/spate-bench-cleaner.XXXXXX")"
PERF="$WORK/rdkafka_performance"
IAC="$WORK/incremental_alter_configs"
RDK_OUT="$(ls -td "$TARGET"/{release,debug}/build/rdkafka-sys-*/out 2>/dev/null | head -n1 || true)"
[ -f "$RDK_OUT/src/librdkafka.a" ] || { echo "no built librdkafka under $TARGET/*/build" >&2; exit 1; }
ZSTD_LIB="$(ls -t "$TARGET"/{release,debug}/build/zstd-sys-*/out/libzstd.a 2>/dev/null | head -n1 || true)"
for prog in rdkafka_performance incremental_alter_configs; do
    gcc -O2 -I"$RDK_OUT/src" -o "$WORK/$prog" "$RDK_OUT/examples/$prog.c" "$RDK_OUT/src/librdkafka.a" \
        ${ZSTD_LIB:+"$ZSTD_LIB"} -lssl -lcrypto -lm -lz -ldl -lpthread -lrt
done
HZ="$(getconf CLK_TCK)"

BROKER_PID=""
stop_broker() {
    if [ -n "$BROKER_PID" ] && kill -0 "$BROKER_PID" 2>/dev/null; then
        kill -TERM "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
    fi
    BROKER_PID=""
}
cleanup() {
    stop_broker
    # KEEP=DIR keeps the latency files, the rdkafka_performance outputs and the broker logs.
    if [ -n "${KEEP:-}" ]; then
        mkdir -p "$KEEP"
        cp "$WORK"/*.txt "$WORK"/*.log "$WORK"/results "$KEEP"/ 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# start_broker NAME [--set K=V ...]: a fresh broker on $WORK/NAME; sets BROKER_PID, ADDR, TID.
start_broker() {
    local name="$1"
    shift
    rm -rf "$WORK/$name"
    # -v: info logs, for the cleaner's "cleaned log" lines. Backoff 100 ms: the cleaner notices
    # the policy switch at once.
    "$SPATE" broker -v --data-dir "$WORK/$name" --listen 127.0.0.1:0 --set log.cleaner.backoff.ms=100 "$@" \
        >"$WORK/$name.out" 2>"$WORK/$name.log" &
    BROKER_PID=$!
    for _ in $(seq 1 300); do
        grep -qs '^spate broker listening on ' "$WORK/$name.out" && break
        kill -0 "$BROKER_PID" || { cat "$WORK/$name.log" >&2; exit 1; }
        sleep 0.1
    done
    ADDR="$(sed -n 's/^spate broker listening on \([^ ]*\) .*/\1/p' "$WORK/$name.out")"
    TID=""
    for t in /proc/"$BROKER_PID"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = spate-cleaner-0 ] && TID="${t##*/}"
    done
    [ -n "$TID" ] || { echo "no spate-cleaner-0 thread in broker $BROKER_PID" >&2; exit 1; }
    if [ -n "$CLEANER_NICE" ]; then renice -n "$CLEANER_NICE" -p "$TID" >/dev/null; fi
}

# The cleaner thread's read+write bytes (rchar+wchar: its preads and writes) and CPU ticks
# (%.0f: mawk's %d stops at 2^31).
cleaner_io() { awk '/^(rchar|wchar):/ { s += $2 } END { printf "%.0f", s }' "/proc/$BROKER_PID/task/$TID/io"; }
cleaner_cpu() { awk '{ printf "%d", $14 + $15 }' "/proc/$BROKER_PID/task/$TID/stat"; }
now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }

# Nearest-rank percentiles (ms) of a latency file (µs, one per line) after the warm-up.
percentiles() {
    tail -n +"$((WARMUP + 1))" "$1" | sort -n | awk '
        function at(p) { i = int(p * NR + 0.999999); if (i < 1) i = 1; return v[i] / 1000 }
        { v[NR] = $1 }
        END { printf "%.2f %.2f %.2f %.2f", at(0.50), at(0.99), at(0.999), v[NR] / 1000 }'
}

# latency_run LABEL TOPIC: one rdkafka_performance run; appends a result line to $WORK/results.
latency_run() {
    local label="$1" topic="$2" file="$WORK/lat-$SEQ-$1.txt"
    local l0 io0 cpu0 t0 t1 io1 cpu1 io2 p50 p99 p999 max rate mb mbs cpu cpus still
    l0="$(load)" io0="$(cleaner_io)" cpu0="$(cleaner_cpu)" t0="$(now)"
    "$PERF" -P -t "$topic" -b "$ADDR" -s "$SIZE" -r "$RATE" -c "$MSGS" -a -1 -l -A "$file" -X linger.ms=5 \
        >"$WORK/perf-$SEQ-$label.txt" 2>&1
    t1="$(now)" io1="$(cleaner_io)" cpu1="$(cleaner_cpu)"
    sleep 0.3
    io2="$(cleaner_io)"
    read -r p50 p99 p999 max <<<"$(percentiles "$file")"
    rate="$(sed -n 's/^% [0-9]* messages produced.* \([0-9]*\) msgs\/s and .*/\1/p' "$WORK/perf-$SEQ-$label.txt" | tail -n1)"
    mb="$(awk -v a="$io0" -v b="$io1" 'BEGIN { printf "%.0f", (b - a) / 1e6 }')"
    mbs="$(awk -v a="$io0" -v b="$io1" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 / (e - s) }')"
    cpu="$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$HZ" -v s="$t0" -v e="$t1" \
        'BEGIN { printf "%.1f s of %.1f s", (b - a) / hz, e - s }')"
    # Still cleaning when the run ended: over 1 MB read or written in the 0.3 s after it.
    still="$(awk -v a="$io1" -v b="$io2" 'BEGIN { print (b - a > 1e6) ? "yes" : "no" }')"
    log "$MODE round $ROUND $label: p50 $p50 p99 $p99 p99.9 $p999 max $max ms; $rate msgs/s; load $l0;" \
        "cleaner during the window: ${mb} MB read+written (${mbs} MB/s), CPU $cpu; still working after: $still"
    cpus="$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$HZ" 'BEGIN { printf "%.1f", (b - a) / hz }')"
    echo "$MODE $ROUND $label $p50 $p99 $p999 $max $rate $l0 $mb $mbs $cpus $still" >>"$WORK/results"
    echo "$t0 $t1" >"$WORK/window-$SEQ-$label"
}

SEQ=0
: >"$WORK/results"
FILL_MSGS=$((FILL_MB * 1000000 / SIZE))
for ROUND in $(seq 1 "$RUNS"); do
    for MODE in $MODES; do
        SEQ=$((SEQ + 1))
        extra=()
        [ "$MODE" = throttled ] && extra=(--set "log.cleaner.io.max.bytes.per.second=$THROTTLE")
        start_broker "b$SEQ" "${extra[@]}"
        log "round $ROUND, $MODE: broker pid $BROKER_PID on $ADDR (cleaner thread $TID), load $(load)"
        "$SPATE" topics create fill --partitions 1 --config cleanup.policy=delete \
            --config "segment.bytes=$SEGMENT_BYTES" --bootstrap "$ADDR" >/dev/null
        "$SPATE" topics create idle --partitions 1 --bootstrap "$ADDR" >/dev/null
        "$SPATE" topics create busy --partitions 1 --bootstrap "$ADDR" >/dev/null
        "$PERF" -P -t fill -b "$ADDR" -s "$SIZE" -c "$FILL_MSGS" -a 1 -k the-only-key -X linger.ms=5 \
            >"$WORK/fill-$SEQ.txt" 2>&1
        log "filled: $(grep -o '[0-9]* messages produced ([0-9]* bytes).*MB/s' "$WORK/fill-$SEQ.txt" | tail -n1)"
        sync
        latency_run idle idle
        "$IAC" -b "$ADDR" TOPIC fill SET cleanup.policy compact >"$WORK/iac-$SEQ.txt" 2>&1
        grep -q 'error: Success' "$WORK/iac-$SEQ.txt" || { cat "$WORK/iac-$SEQ.txt" >&2; exit 1; }
        latency_run busy busy
        # When each pass over fill-0 ended (the broker logs the end of a pass, not its start).
        read -r w0 w1 <"$WORK/window-$SEQ-busy"
        ended="$(grep 'cleaned log' "$WORK/b$SEQ.log" | grep 'fill-0' | cut -d' ' -f1 |
            while read -r ts; do
                awk -v t="$(date -d "$ts" +%s.%N)" -v e="$w1" 'BEGIN { printf "%+.2f s ", t - e }'
            done || true)"
        log "busy window $(date -u -d "@$w0" +%T.%N | cut -c1-12)-$(date -u -d "@$w1" +%T.%N | cut -c1-12);" \
            "cleaning passes of fill-0 ended (relative to the end of the window): ${ended:-none before the broker stopped}"
        grep 'cleaned log' "$WORK/b$SEQ.log" | grep 'fill-0' | cut -c1-400 >&2 || true
        stop_broker
        rm -rf "${WORK:?}/b$SEQ"
        sync
    done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '\nPer run (ms; cleaner MB and MB/s: its read+write bytes during the window):\n\n'
printf '| round | broker | window | p50 | p99 | p99.9 | max | msgs/s | load | cleaner MB | cleaner MB/s | cleaner CPU s | busy after |\n'
printf '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n'
while read -r mode round label p50 p99 p999 max rate l mb mbs cpus still; do
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
        "$round" "$mode" "$label" "$p50" "$p99" "$p999" "$max" "$rate" "$l" "$mb" "$mbs" "$cpus" "$still"
done <"$WORK/results"

printf '\nMedians over %s round(s); ratio = busy p99 / idle p99 of the same broker, median of the rounds:\n\n' "$RUNS"
printf '| cleaner | idle p50 / p99 / p99.9 (ms) | busy p50 / p99 / p99.9 (ms) | busy p99 / idle p99 | within 2x |\n'
printf '|---|---:|---:|---:|---|\n'
for mode in $MODES; do
    col() { awk -v m="$mode" -v l="$1" -v c="$2" '$1 == m && $3 == l { print $c }' "$WORK/results" | median; }
    ratio="$(awk -v m="$mode" '$1 == m && $3 == "idle" { i[$2] = $5 } $1 == m && $3 == "busy" { b[$2] = $5 }
        END { for (r in b) printf "%.2f\n", b[r] / i[r] }' "$WORK/results" | median)"
    printf '| %s | %s / %s / %s | %s / %s / %s | %s | %s |\n' "$mode" \
        "$(col idle 4)" "$(col idle 5)" "$(col idle 6)" "$(col busy 4)" "$(col busy 5)" "$(col busy 6)" \
        "$ratio" "$(awk -v r="$ratio" 'BEGIN { print (r <= 2) ? "yes" : "no" }')"
done
