#!/usr/bin/env bash
# Broker benchmark with librdkafka's own load generator, rdkafka_performance.
#
# Builds rdkafka_performance from the librdkafka sources that the rdkafka-sys crate vendors (no
# download), builds `spate` in release, starts `spate broker` on a fresh data dir and measures:
#   - produce throughput: 100 B and 1 KiB messages, 1 and 8 partitions, acks=1 and acks=all
#     (acks=all is fsynced before the ack: spate's default flush policy),
#   - consume throughput from the beginning of the 1-partition topics,
#   - produce latency p50/p99 at a fixed moderate rate (-r) for acks=1 and acks=all,
#   - broker RSS at idle (after start-up, and again after the runs) and peak (VmHWM).
# Each throughput figure is the median of $RUNS runs (default 3), each on a fresh topic.
# Results: a table on stdout, raw tool output under target/bench/broker-<timestamp>/.
#
# Usage: bash scripts/bench-broker.sh            # full run
#        RUNS=1 SCALE=0.05 LATENCY_SECONDS=2 SPATE_BIN=target/debug/spate \
#            bash scripts/bench-broker.sh          # smoke run of this script
# Not part of the test suite: it builds in release and takes several minutes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${RUNS:-3}"
SCALE="${SCALE:-1}"
LATENCY_RATE="${LATENCY_RATE:-20000}"
LATENCY_SECONDS="${LATENCY_SECONDS:-10}"

scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { printf "%d", n * s }'; }
MSGS_SMALL="$(scaled 6000000)"  # 100 B: 600 MB per run
MSGS_LARGE="$(scaled 1000000)"  # 1 KiB: 1 GiB per run
MSGS_SMALL_SYNC="$(scaled 2000000)"
MSGS_LARGE_SYNC="$(scaled 500000)"

OUT_DIR="$ROOT/target/bench/broker-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT_DIR"
log() { echo "bench: $*" >&2; }

# --- build -----------------------------------------------------------------------------------
if [ -n "${SPATE_BIN:-}" ]; then
    SPATE="$SPATE_BIN" # e.g. a debug build for a smoke run of this script
else
    log "cargo build --release -p spate"
    cargo build --release -p spate >&2
    SPATE="$ROOT/target/release/spate"
fi

PERF="$ROOT/target/bench/rdkafka_performance"
RDK_OUT="$(ls -td "$ROOT"/target/release/build/rdkafka-sys-*/out 2>/dev/null | head -n1 || true)"
if [ -z "$RDK_OUT" ] || [ ! -f "$RDK_OUT/src/librdkafka.a" ]; then
    RDK_OUT="$(ls -td "$ROOT"/target/*/build/rdkafka-sys-*/out 2>/dev/null | head -n1 || true)"
fi
if [ -z "$RDK_OUT" ] || [ ! -f "$RDK_OUT/src/librdkafka.a" ]; then
    echo "no built librdkafka under target/*/build/rdkafka-sys-*/out" >&2
    exit 1
fi
if [ ! -x "$PERF" ] || [ "$RDK_OUT/src/librdkafka.a" -nt "$PERF" ]; then
    log "building rdkafka_performance from $RDK_OUT"
    # The workspace builds librdkafka with the system OpenSSL (rdkafka's `ssl` feature).
    LIBS=(-lssl -lcrypto -lm -lz -ldl -lpthread -lrt)
    # With the zstd feature librdkafka links the zstd that zstd-sys builds.
    ZSTD_LIB="$(ls -t "$ROOT"/target/{release,debug}/build/zstd-sys-*/out/libzstd.a 2>/dev/null | head -n1 || true)"
    if [ -n "$ZSTD_LIB" ]; then LIBS=("$ZSTD_LIB" "${LIBS[@]}"); fi
    gcc -O2 -I"$RDK_OUT/src" -o "$PERF" "$RDK_OUT/examples/rdkafka_performance.c" \
        "$RDK_OUT/src/librdkafka.a" "${LIBS[@]}"
fi

# --- broker ----------------------------------------------------------------------------------
DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/spate-bench.XXXXXX")"
BROKER_PID=""
cleanup() {
    if [ -n "$BROKER_PID" ] && kill -0 "$BROKER_PID" 2>/dev/null; then
        kill -TERM "$BROKER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$BROKER_PID" 2>/dev/null || true
    fi
    rm -rf "$DATA_DIR"
}
trap cleanup EXIT

"$SPATE" broker --listen 127.0.0.1:0 --data-dir "$DATA_DIR" >"$OUT_DIR/broker.out" 2>"$OUT_DIR/broker.log" &
BROKER_PID=$!
ADDR=""
for _ in $(seq 1 300); do
    ADDR="$(sed -n 's/^spate broker listening on \([^ ]*\) .*/\1/p' "$OUT_DIR/broker.out")"
    [ -n "$ADDR" ] && break
    kill -0 "$BROKER_PID" || { cat "$OUT_DIR/broker.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$ADDR" ] || { echo "broker did not start" >&2; exit 1; }
log "broker pid $BROKER_PID at $ADDR, data in $DATA_DIR"

rss_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$BROKER_PID/status"; }
sleep 2
RSS_IDLE_START="$(rss_kib VmRSS)"

create_topic() { # name partitions [config...]
    local name="$1" partitions="$2"
    shift 2
    local args=()
    for c in "$@"; do args+=(--config "$c"); done
    "$SPATE" topics create "$name" --partitions "$partitions" "${args[@]}" --bootstrap "$ADDR" >/dev/null
}
delete_topic() { "$SPATE" topics delete "$1" --bootstrap "$ADDR" >/dev/null || true; }

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Produce summary: "% N messages produced (B bytes), D delivered (offset O, F failed) in T ms: R msgs/s and M MB/s, ..."
parse_produce() { # file -> "msgs_per_s mb_per_s failed delivered"
    sed -n 's/^% \([0-9]*\) messages produced (\([0-9]*\) bytes), \([0-9]*\) delivered (offset [-0-9]*, \([0-9]*\) failed) in \([0-9]*\)ms: \([0-9]*\) msgs\/s and \([0-9.]*\) MB\/s.*/\6 \7 \4 \3/p' "$1" | tail -n1
}
# Consume summary: "% N messages (B bytes) consumed in T ms: R msgs/s (M MB/s)"
parse_consume() { # file -> "msgs_per_s mb_per_s msgs"
    sed -n 's/^% \([0-9]*\) messages (\([0-9]*\) bytes) consumed in \([0-9]*\)ms: \([0-9]*\) msgs\/s (\([0-9.]*\) MB\/s).*/\4 \5 \1/p' "$1" | tail -n1
}

RESULTS="$OUT_DIR/results.tsv"
printf 'benchmark\tmsgs/s\tMB/s\truns\tnote\n' >"$RESULTS"
TOPIC_SEQ=0
KEEP_TOPIC=""

# bench_produce LABEL SIZE PARTITIONS ACKS COUNT KEEP(yes|no)
bench_produce() {
    local label="$1" size="$2" partitions="$3" acks="$4" count="$5" keep="$6"
    local rates=() mbs=() note="" run
    for run in $(seq 1 "$RUNS"); do
        TOPIC_SEQ=$((TOPIC_SEQ + 1))
        local topic="bench-$TOPIC_SEQ"
        create_topic "$topic" "$partitions"
        local out="$OUT_DIR/$label-run$run.txt"
        echo "\$ rdkafka_performance -P -t $topic -b $ADDR -s $size -c $count -a $acks -X linger.ms=5" >"$out"
        "$PERF" -P -t "$topic" -b "$ADDR" -s "$size" -c "$count" -a "$acks" -X linger.ms=5 \
            >>"$out" 2>&1 || note="tool exit $?"
        local parsed
        parsed="$(parse_produce "$out")"
        if [ -z "$parsed" ]; then
            note="no summary (see $out)"
        else
            read -r rate mb failed delivered <<<"$parsed"
            rates+=("$rate")
            mbs+=("$mb")
            if [ "$failed" != 0 ] || [ "$delivered" != "$count" ]; then
                note="delivered $delivered/$count, $failed failed"
            fi
        fi
        if [ "$keep" = yes ] && [ "$run" = "$RUNS" ]; then
            KEEP_TOPIC="$topic"
        else
            delete_topic "$topic"
        fi
    done
    printf '%s\t%s\t%s\t%s\t%s\n' "$label" \
        "$(printf '%s\n' "${rates[@]}" | median)" "$(printf '%s\n' "${mbs[@]}" | median)" \
        "$(IFS=/; echo "${rates[*]}")" "$note" >>"$RESULTS"
    log "$(tail -n1 "$RESULTS")"
}

# bench_consume LABEL TOPIC COUNT
bench_consume() {
    local label="$1" topic="$2" count="$3"
    local rates=() mbs=() note="" run
    for run in $(seq 1 "$RUNS"); do
        local out="$OUT_DIR/$label-run$run.txt"
        echo "\$ rdkafka_performance -C -t $topic -p 0 -b $ADDR -o beginning -e -c $count" >"$out"
        "$PERF" -C -t "$topic" -p 0 -b "$ADDR" -o beginning -e -c "$count" >>"$out" 2>&1 ||
            note="tool exit $?"
        local parsed
        parsed="$(parse_consume "$out")"
        if [ -z "$parsed" ]; then
            note="no summary (see $out)"
        else
            read -r rate mb msgs <<<"$parsed"
            rates+=("$rate")
            mbs+=("$mb")
            [ "$msgs" = "$count" ] || note="consumed $msgs/$count"
        fi
    done
    printf '%s\t%s\t%s\t%s\t%s\n' "$label" \
        "$(printf '%s\n' "${rates[@]}" | median)" "$(printf '%s\n' "${mbs[@]}" | median)" \
        "$(IFS=/; echo "${rates[*]}")" "$note" >>"$RESULTS"
    log "$(tail -n1 "$RESULTS")"
}

# bench_latency LABEL ACKS: 100 B at a fixed rate; per-message latency (us) written by -A.
LATENCY_RESULTS="$OUT_DIR/latency.tsv"
printf 'benchmark\trate msgs/s\tp50 ms\tp99 ms\tmax ms\tsamples\n' >"$LATENCY_RESULTS"
bench_latency() {
    local label="$1" acks="$2"
    TOPIC_SEQ=$((TOPIC_SEQ + 1))
    local topic="bench-$TOPIC_SEQ" count=$((LATENCY_RATE * LATENCY_SECONDS))
    create_topic "$topic" 1
    local out="$OUT_DIR/$label.txt" samples="$OUT_DIR/$label.us"
    echo "\$ rdkafka_performance -P -t $topic -b $ADDR -s 100 -a $acks -r $LATENCY_RATE -c $count -l -A $samples -X linger.ms=0" >"$out"
    "$PERF" -P -t "$topic" -b "$ADDR" -s 100 -a "$acks" -r "$LATENCY_RATE" -c "$count" -l \
        -A "$samples" -X linger.ms=0 >>"$out" 2>&1 || true
    sort -n "$samples" | awk -v label="$label" -v rate="$LATENCY_RATE" '
        { v[NR] = $1 }
        END {
            if (NR == 0) { printf "%s\t%s\tnan\tnan\tnan\t0\n", label, rate; exit }
            p50 = v[int(NR * 0.50) + (NR * 0.50 > int(NR * 0.50))]
            p99 = v[int(NR * 0.99) + (NR * 0.99 > int(NR * 0.99))]
            printf "%s\t%s\t%.3f\t%.3f\t%.3f\t%d\n", label, rate, p50 / 1000, p99 / 1000, v[NR] / 1000, NR
        }' >>"$LATENCY_RESULTS"
    log "$(tail -n1 "$LATENCY_RESULTS")"
    delete_topic "$topic"
}

bench_produce "produce 100B 1p acks=1" 100 1 1 "$MSGS_SMALL" yes
SMALL_TOPIC="$KEEP_TOPIC"
bench_consume "consume 100B 1p" "$SMALL_TOPIC" "$MSGS_SMALL"
delete_topic "$SMALL_TOPIC"
bench_produce "produce 100B 8p acks=1" 100 8 1 "$MSGS_SMALL" no
bench_produce "produce 1KiB 1p acks=1" 1024 1 1 "$MSGS_LARGE" yes
LARGE_TOPIC="$KEEP_TOPIC"
bench_consume "consume 1KiB 1p" "$LARGE_TOPIC" "$MSGS_LARGE"
delete_topic "$LARGE_TOPIC"
bench_produce "produce 1KiB 8p acks=1" 1024 8 1 "$MSGS_LARGE" no
bench_produce "produce 100B 1p acks=all+fsync" 100 1 -1 "$MSGS_SMALL_SYNC" no
bench_produce "produce 100B 8p acks=all+fsync" 100 8 -1 "$MSGS_SMALL_SYNC" no
bench_produce "produce 1KiB 1p acks=all+fsync" 1024 1 -1 "$MSGS_LARGE_SYNC" no
bench_produce "produce 1KiB 8p acks=all+fsync" 1024 8 -1 "$MSGS_LARGE_SYNC" no
bench_latency "latency 100B acks=1" 1
bench_latency "latency 100B acks=all+fsync" -1

RSS_PEAK="$(rss_kib VmHWM)"
sleep 5
RSS_IDLE_END="$(rss_kib VmRSS)"

{
    echo
    echo "Spate broker benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load avg $(cut -d' ' -f1-3 /proc/loadavg))"
    echo "tool: rdkafka_performance (librdkafka $("$PERF" 2>&1 | sed -n 's/^librdkafka version \([^ ]*\).*/\1/p')), broker $ADDR, runs per figure: $RUNS"
    echo
    column -t -s $'\t' "$RESULTS"
    echo
    column -t -s $'\t' "$LATENCY_RESULTS"
    echo
    echo "broker RSS: idle after start $((RSS_IDLE_START / 1024)) MiB, idle after the runs $((RSS_IDLE_END / 1024)) MiB, peak (VmHWM) $((RSS_PEAK / 1024)) MiB"
    echo "raw output: $OUT_DIR"
} | tee "$OUT_DIR/summary.txt"
