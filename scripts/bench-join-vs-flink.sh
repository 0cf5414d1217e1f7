#!/usr/bin/env bash
# Issue 42's regular join side by side: ORDERS JSON orders and CUSTOMERS JSON customers are
# written to two topics (3 partitions each) of one `spate broker` process; then Apache Flink 2.3
# with its Kafka connectors (../shared/reference/flink-sql/run.sh) and `spate sql` run the same
# Flink SQL file (scripts/bench-join/left-join.sql: orders LEFT JOIN customers ON customer_id ->
# upsert-kafka keyed by order_id, checkpoints every INTERVAL) over those topics, each into its
# own output topic. Prints each job's wall time ("job finished in", excluding JVM and cluster
# start), input rows/s, and the machine's CPU time (user+system from /proc/stat) over each whole
# run: the broker's share included for both, the JVM's and mini-cluster's start included for
# Flink (Flink's JVM is not a waited-for child of run.sh, so per-process accounting would miss
# it). Then the state each system checkpointed, per input row held (the join keeps every order
# and every customer, no TTL; the sink materializer of ON CONFLICT DO DEDUPLICATE one row per
# order), by scripts/bench-join/state_size.py:
#   - Spate: its last checkpoint, the one a bounded job takes when every task has finished, so
#     it holds all ORDERS + CUSTOMERS rows (per operator from the checkpoint's _metadata);
#   - Flink (hashmap state backend, Flink's default; full, not incremental, checkpoints): Flink
#     deletes its checkpoints when a bounded job finishes, so a helper hard-links their files as
#     they appear; the newest with state files is measured (Flink checkpoints as its sources
#     end, while the join still holds its state), its rows from the Kafka source positions in
#     its _metadata, its files attributed by the state names in their headers.
# Last, checks with confluent-kafka that both outputs describe the same final table (latest
# value per key, tombstones delete), with one row per order and a customer exactly where one
# exists.
# Usage: scripts/bench-join-vs-flink.sh [ORDERS] [CUSTOMERS] [PARALLELISM]
#   defaults 1000000 700000 1. Environment: SPATE_BIN (default target/release/spate), INTERVAL
#   (checkpoint interval, default '10 s'; Flink also checkpoints as its sources end, Spate when
#   every task has finished), PYTHON (with confluent-kafka; default .tools/venv/bin/python, which
#   scripts/install-deps.sh installs), KEEP=1 keeps the scratch directory (and the broker's
#   data) and prints where it is.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
orders=${1:-1000000}
customers=${2:-700000}
parallelism=${3:-1}
interval=${INTERVAL:-10 s}
flink="$root/../shared/reference/flink-sql/run.sh"
spate="${SPATE_BIN:-$root/target/release/spate}"
python="${PYTHON:-$root/.tools/venv/bin/python}"
[ -x "$spate" ] || { echo "build first: cargo build --release -p spate (or set SPATE_BIN)" >&2; exit 1; }
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$spate" broker --listen "127.0.0.1:$port" --data-dir "$work/broker" > "$work/broker.log" 2>&1 &
broker=$!
keeper=""
cleanup() {
    kill $broker $keeper 2>/dev/null
    wait $broker $keeper 2>/dev/null
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $work (broker at port $port stopped)"; else rm -rf "$work"; fi
}
trap cleanup EXIT
sleep 1
bootstrap="127.0.0.1:$port"
"$spate" topics create orders --partitions 3 --bootstrap "$bootstrap" > /dev/null
"$spate" topics create customers --partitions 3 --bootstrap "$bootstrap" > /dev/null
echo "== filling $customers customers and $orders orders $(date +%T)"
# Customers 0..CUSTOMERS-1, each once, in a shuffled order; orders name a customer drawn from
# 0..CUSTOMERS*10/7 (so that ~30 % at the default sizes have none), an amount in cents and an
# item.
awk -v n="$customers" 'BEGIN {
    srand(42);
    split("north south east west central north-east south-west islands", regions, " ");
    for (i = 0; i < n; i++) id[i] = i;
    for (i = n - 1; i > 0; i--) { j = int(rand() * (i + 1)); t = id[i]; id[i] = id[j]; id[j] = t; }
    for (i = 0; i < n; i++)
        printf "{\"customer_id\":%d,\"name\":\"customer-%d\",\"region\":\"%s\"}\n", id[i], id[i], regions[1 + int(rand() * 8)];
}' | "$spate" produce customers --bootstrap "$bootstrap" --acks 1 > /dev/null
awk -v n="$orders" -v c="$customers" 'BEGIN {
    srand(4242);
    range = int(c * 10 / 7);
    for (i = 0; i < n; i++)
        printf "{\"order_id\":%d,\"customer_id\":%d,\"amount\":%d,\"item\":\"sku-%d\"}\n", i, int(rand() * range), 100 + int(rand() * 99900), int(rand() * 5000);
}' | "$spate" produce orders --bootstrap "$bootstrap" --acks 1 > /dev/null
rows=$((orders + customers))
rate() { awk -v n="$rows" -v s="$1" 'BEGIN { printf "%.3f M input rows/s", n / s / 1e6 }'; }
sql_file() { # SYSTEM OUTPUT -> the job file for it
    local flink_lines='/^--flink /d'
    [ "$1" = flink ] && flink_lines='s/^--flink //'
    sed -e "s/\${BOOTSTRAP}/$bootstrap/g" -e "s/\${ORDERS}/orders/g" -e "s/\${CUSTOMERS}/customers/g" \
        -e "s/\${OUTPUT}/$2/g" -e "s/\${PARALLELISM}/$parallelism/g" -e "s/\${INTERVAL}/$interval/g" \
        -e "s|\${FLINK_CHECKPOINTS}|$work/flink-ckpt|g" -e "$flink_lines" \
        "$root/scripts/bench-join/left-join.sql" > "$work/$2.sql"
    echo "$work/$2.sql"
}
# The machine's busy CPU time so far in seconds (user, nice, system, irq, softirq).
busy() { awk '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8) / 100 }' /proc/stat; }
since() { awk -v a="$1" -v b="$(busy)" 'BEGIN { printf "%.1f", b - a }'; }

echo "== flink $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
"$spate" topics create flink-out --partitions 3 --bootstrap "$bootstrap" > /dev/null
# Flink deletes its checkpoints when the job finishes: hard links keep them (state_size.py).
mkdir -p "$work/flink-ckpt" "$work/flink-kept"
if [ -x "$python" ]; then
    "$python" "$root/scripts/bench-join/state_size.py" keep "$work/flink-ckpt" "$work/flink-kept" &
    keeper=$!
fi
flink_sql=$(sql_file flink flink-out)
c0=$(busy)
bash "$flink" "$flink_sql" "$parallelism" > "$work/flink.log" 2>&1 || {
    grep -v '^\s*at ' "$work/flink.log" | tail -40 >&2; exit 1; }
t=$(sed -n 's/^# job finished in \([0-9.]*\)s$/\1/p' "$work/flink.log" | tail -1)
echo "flink sql: job ${t}s, $(rate "$t"), machine cpu $(since "$c0")s (JVM start included)"
[ -z "$keeper" ] || { sleep 0.2; kill "$keeper"; wait "$keeper" 2>/dev/null || true; keeper=""; }

echo "== spate $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
"$spate" topics create spate-out --partitions 3 --bootstrap "$bootstrap" > /dev/null
spate_sql=$(sql_file spate spate-out)
c0=$(busy)
"$spate" sql -f "$spate_sql" --checkpoint-dir "$work/spate-ckpt" > "$work/spate.log" 2>&1 || {
    tail -20 "$work/spate.log" >&2; exit 1; }
t=$(sed -n 's/^\[INFO\] job finished in \([0-9.]*\)s.*$/\1/p' "$work/spate.log" | tail -1)
echo "spate sql: job ${t}s, $(rate "$t"), machine cpu $(since "$c0")s"

if [ -x "$python" ]; then # scripts/install-deps.sh puts confluent-kafka there
    echo "== state"
    "$python" "$root/scripts/bench-join/state_size.py" report "$bootstrap" "$work/spate-ckpt" "$work/flink-kept"
    echo "== outputs"
    "$python" "$root/scripts/bench-join/check_output.py" "$bootstrap" flink-out spate-out "$customers" "$orders"
else
    echo "no $python: state and outputs not checked (scripts/install-deps.sh installs confluent-kafka)" >&2
fi
