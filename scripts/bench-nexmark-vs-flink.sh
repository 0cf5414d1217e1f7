#!/usr/bin/env bash
# Nexmark side by side: Apache Flink 2.3 (../shared/reference/flink-sql/run.sh, with Flink's Kafka
# connector) and Spate (`spate bench nexmark`) run the same SQL files (scripts/bench-nexmark/:
# the Nexmark project's Kafka table, views and queries) over the same EVENTS events in the topic
# `nexmark` of one `spate broker`, at parallelism 1, each query on Flink then on Spate. Prints
# each system's job time and events/s ("job finished in" of Flink, excluding its JVM and
# cluster start; Spate's job time).
# Usage: scripts/bench-nexmark-vs-flink.sh EVENTS QUERY...   e.g. 10000000 q0 q1 q2 q5
# Needs a release build (`cargo build --release -p spate`). q10 writes files into a scratch
# directory; q14's user-defined function is compiled for Flink from CountChar.java (javac).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
events=$1
shift
flink="$root/../shared/reference/flink-sql/run.sh"
spate="$root/target/release/spate"
[ -x "$spate" ] || { echo "build first: cargo build --release -p spate" >&2; exit 1; }
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$spate" broker --listen "127.0.0.1:$port" --data-dir "$work/broker" > "$work/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
bootstrap="127.0.0.1:$port"
# Loads the events (and runs q0 once, as a warm-up of the broker's page cache).
"$spate" bench nexmark --bootstrap "$bootstrap" --events "$events" --query q0 2>&1 | grep -E '^(loaded|nexmark)'
# q14's count_char for Flink, compiled against the Flink of run.sh's environment.
udf_jar=""
if printf '%s\n' "$@" | grep -qx q14; then
    venv="${FLINK_VENV:-${TMPDIR:-/tmp}/flink-venv}"
    api=$(ls "$venv"/lib/python3*/site-packages/pyflink/lib/flink-table-api-java-uber-*.jar)
    mkdir -p "$work/udf"
    javac -d "$work/udf" -cp "$api" "$root/scripts/bench-nexmark/CountChar.java"
    (cd "$work/udf" && jar cf countchar.jar spate)
    udf_jar="$work/udf/countchar.jar"
fi
rate() { awk -v n="$events" -v s="$1" 'BEGIN { printf "%.3f M events/s", n / s / 1e6 }'; }
# The machine's busy CPU time so far in seconds (user, nice, system, irq, softirq): each run's
# share is the difference, the broker's included for both and the JVM's start for Flink (its
# JVM is not a waited-for child of run.sh, so per-process accounting would miss it).
busy() { awk '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8) / 100 }' /proc/stat; }
since() { awk -v a="$1" -v b="$(busy)" 'BEGIN { printf "%.1f", b - a }'; }
for q in "$@"; do
    echo "== $q $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
    rm -rf "$work/out" && mkdir "$work/out"
    {
        cat "$root/scripts/bench-nexmark/ddl.sql"
        [ "$q" != q14 ] || echo "CREATE TEMPORARY FUNCTION count_char AS 'spate.bench.CountChar' LANGUAGE JAVA USING JAR 'file://$udf_jar';"
        cat "$root/scripts/bench-nexmark/$q.sql"
    } | sed -e "s/\${BOOTSTRAP}/$bootstrap/g" -e "s|\${OUT}|$work/out|g" > "$work/$q.sql"
    c0=$(busy)
    t=$(bash "$flink" "$work/$q.sql" 1 2>&1 | sed -n 's/^# job finished in \([0-9.]*\)s$/\1/p' | tail -1)
    echo "flink $q: job ${t}s, $(rate "$t"), machine cpu $(since "$c0")s (JVM start included)"
    c0=$(busy)
    line=$("$spate" bench nexmark --bootstrap "$bootstrap" --events "$events" --no-load --query "$q" 2>&1 |
        sed -n 's/^nexmark \(q[0-9]*\): [0-9]* events in \([0-9.]*\) s.*$/\2/p')
    echo "spate $q: job ${line}s, $(rate "$line"), machine cpu $(since "$c0")s"
done
