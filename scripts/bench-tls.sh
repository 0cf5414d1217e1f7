#!/usr/bin/env bash
# TLS against plaintext on one broker, side by side: `spate broker` with a PLAINTEXT and an SSL
# listener (certificates made with the openssl CLI into a temporary directory), and librdkafka's
# rdkafka_performance producing (acks=1) and then consuming the same amount through each.
# Runs alternate PLAINTEXT / SSL so machine load drifts hit both alike; each figure is the
# median of $RUNS runs, each on a fresh topic.
#
# Usage: bash scripts/bench-tls.sh                      # release build, RUNS=3
#        RUNS=1 SCALE=0.05 SPATE_BIN=target/debug/spate bash scripts/bench-tls.sh   # smoke run
# rdkafka_performance is built as scripts/bench-broker.sh builds it (from rdkafka-sys's sources).
# Not part of the test suite.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${RUNS:-3}"
SCALE="${SCALE:-1}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { printf "%d", n * s }'; }
MSGS_SMALL="$(scaled 3000000)" # 100 B
MSGS_LARGE="$(scaled 500000)"  # 1 KiB
log() { echo "bench-tls: $*" >&2; }

if [ -n "${SPATE_BIN:-}" ]; then
    SPATE="$SPATE_BIN"
else
    log "cargo build --release -p spate"
    cargo build --release -p spate >&2
    SPATE="$TARGET/release/spate"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/spate-bench-tls.XXXXXX")"
PERF="$WORK/rdkafka_performance"
RDK_OUT="$(ls -td "$TARGET"/{release,debug}/build/rdkafka-sys-*/out 2>/dev/null | head -n1 || true)"
[ -f "$RDK_OUT/src/librdkafka.a" ] || { echo "no built librdkafka under $TARGET/*/build" >&2; exit 1; }
ZSTD_LIB="$(ls -t "$TARGET"/{release,debug}/build/zstd-sys-*/out/libzstd.a 2>/dev/null | head -n1 || true)"
gcc -O2 -I"$RDK_OUT/src" -o "$PERF" "$RDK_OUT/examples/rdkafka_performance.c" "$RDK_OUT/src/librdkafka.a" \
    ${ZSTD_LIB:+"$ZSTD_LIB"} -lssl -lcrypto -lm -lz -ldl -lpthread -lrt

BROKER_PID=""
cleanup() {
    if [ -n "$BROKER_PID" ] && kill -0 "$BROKER_PID" 2>/dev/null; then
        kill -TERM "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# A CA and a broker certificate for 127.0.0.1.
C="$WORK/certs"
mkdir -p "$C"
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/ca.key" -out "$C/ca.pem" \
    -days 2 -subj /CN=bench-ca -addext basicConstraints=critical,CA:TRUE
ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/broker.key" -out "$C/broker.csr" \
    -subj /CN=broker
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$C/ext"
ossl x509 -req -in "$C/broker.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial -days 2 \
    -extfile "$C/ext" -out "$C/broker.crt"
cat "$C/broker.crt" "$C/broker.key" >"$C/broker.pem"

# No authorizer (on by default with a TLS listener): this measures TLS, not ACL checks.
"$SPATE" broker --data-dir "$WORK/data" --listener PLAINTEXT://127.0.0.1:0 --listener SSL://127.0.0.1:0 \
    --set "ssl.keystore.location=$C/broker.pem" --set authorizer.class.name= >"$WORK/broker.out" 2>"$WORK/broker.log" &
BROKER_PID=$!
for _ in $(seq 1 300); do
    grep -q '^spate broker listening on ' "$WORK/broker.out" && break
    kill -0 "$BROKER_PID" || { cat "$WORK/broker.log" >&2; exit 1; }
    sleep 0.1
done
PLAIN="$(sed -n 's/.* PLAINTEXT=PLAINTEXT:\/\/\([^ )]*\).*/\1/p' "$WORK/broker.out")"
SSL="$(sed -n 's/.* SSL=SSL:\/\/\([^ )]*\).*/\1/p' "$WORK/broker.out")"
log "broker pid $BROKER_PID: PLAINTEXT $PLAIN, SSL $SSL"

SSL_ARGS=(-X security.protocol=SSL -X "ssl.ca.location=$C/ca.pem")
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
parse_produce() { sed -n 's/^% [0-9]* messages produced.* \([0-9]*\) msgs\/s and \([0-9.]*\) MB\/s.*/\1 \2/p' "$1" | tail -n1; }
parse_consume() { sed -n 's/^% [0-9]* messages (.*) consumed in .* \([0-9]*\) msgs\/s (\([0-9.]*\) MB\/s).*/\1 \2/p' "$1" | tail -n1; }

SEQ=0
declare -A RESULT
for size in 100 1024; do
    count=$MSGS_SMALL
    [ "$size" -eq 1024 ] && count=$MSGS_LARGE
    for run in $(seq 1 "$RUNS"); do
        for proto in PLAINTEXT SSL; do
            SEQ=$((SEQ + 1))
            topic="bench-tls-$SEQ"
            "$SPATE" topics create "$topic" --partitions 1 --bootstrap "$PLAIN" >/dev/null
            addr="$PLAIN" && extra=()
            [ "$proto" = SSL ] && addr="$SSL" && extra=("${SSL_ARGS[@]}")
            "$PERF" -P -t "$topic" -b "$addr" -s "$size" -c "$count" -a 1 -X linger.ms=5 "${extra[@]}" \
                >"$WORK/p-$SEQ.txt" 2>&1
            "$PERF" -C -t "$topic" -p 0 -b "$addr" -o beginning -e -c "$count" "${extra[@]}" \
                >"$WORK/c-$SEQ.txt" 2>&1
            read -r pm pmb <<<"$(parse_produce "$WORK/p-$SEQ.txt")"
            read -r cm cmb <<<"$(parse_consume "$WORK/c-$SEQ.txt")"
            log "$size B $proto run $run: produce $pm msgs/s ($pmb MB/s), consume $cm msgs/s ($cmb MB/s)"
            RESULT["$size $proto produce"]+="$pm $pmb;"
            RESULT["$size $proto consume"]+="$cm $cmb;"
            "$SPATE" topics delete "$topic" --bootstrap "$PLAIN" >/dev/null || true
        done
    done
done

printf '| benchmark | PLAINTEXT msgs/s | PLAINTEXT MB/s | SSL msgs/s | SSL MB/s | SSL / PLAINTEXT |\n'
printf '|---|---:|---:|---:|---:|---:|\n'
for size in 100 1024; do
    for what in produce consume; do
        col() { tr ';' '\n' <<<"${RESULT["$size $1 $what"]}" | awk 'NF' | cut -d' ' -f"$2" | median; }
        pm="$(col PLAINTEXT 1)" pmb="$(col PLAINTEXT 2)" sm="$(col SSL 1)" smb="$(col SSL 2)"
        ratio="$(awk -v a="$sm" -v b="$pm" 'BEGIN { printf "%.2f", a / b }')"
        printf '| %s %s B, 1 partition%s | %s | %s | %s | %s | %s |\n' "$what" "$size" \
            "$([ "$what" = produce ] && echo ", acks=1")" "$pm" "$pmb" "$sm" "$smb" "$ratio"
    done
done
