#!/usr/bin/env bash
# Compatibility of real Kafka clients with a started `spate broker`:
#   kcat (librdkafka 2.0.2, older protocol versions), confluent-kafka (librdkafka 2.16),
#   kafka-python (independent pure-Python protocol implementation), and spate's own CLI.
# Each check creates a topic, produces, lists metadata and consumes, comparing what it reads
# with what it wrote. Consumer groups and transactions (issue 3): a two-member confluent-kafka
# group (disjoint assignment, exactly-once consumption, commits, resume from committed offsets),
# a confluent-kafka transactional producer (commit and abort; read_committed vs
# read_uncommitted), a kafka-python group consumer whose commits `spate groups describe` must show
# as lag 0, and kcat's balanced consumer (-G) which must resume from its own commits.
# Then the broker is stopped with SIGTERM (it must exit 0), restarted on the
# same data dir, and the kcat topic and kcat group's committed offsets must read back unchanged.
# Log compaction (compat_compaction.py): a compacted topic created and described with
# confluent-kafka, keyless records refused, kafka-python reading the latest value per key at its
# acknowledged offset once the background cleaner has run.
# Then SASL (check_sasl): a broker with a SASL_PLAINTEXT listener, SCRAM and PLAIN logins from
# both Python clients, users created over the wire, wrong passwords refused. Last, TLS
# (check_tls): SSL with client certificates and SASL_SSL with SCRAM-SHA-512 from kcat and both
# Python clients (certificates made with the openssl CLI).
# Prints one PASS/FAIL line per check and ends with `N passed, M failed`; exits non-zero on any
# failure. The broker is always killed on exit.
#
# Needs: target/debug/spate (or $SPATE_BIN), kcat, openssl, and the Python clients installed by
# scripts/install-deps.sh in .tools/venv (or $COMPAT_PYTHON).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests/compat"
SPATE_BIN="${SPATE_BIN:-$ROOT/target/debug/spate}"
PYTHON="${COMPAT_PYTHON:-$ROOT/.tools/venv/bin/python}"
CHECK_TIMEOUT_S="${CHECK_TIMEOUT_S:-120}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/spate-compat.XXXXXX")"
DATA_DIR="$WORK/data"
BROKER_PID=""
BROKER_ADDR=""
PASSED=0
FAILED=0

stop_broker_hard() {
    if [ -n "$BROKER_PID" ] && kill -0 "$BROKER_PID" 2>/dev/null; then
        kill -KILL "$BROKER_PID" 2>/dev/null
        wait "$BROKER_PID" 2>/dev/null
    fi
    BROKER_PID=""
}

cleanup() {
    stop_broker_hard
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts the broker on an ephemeral port; sets BROKER_PID and BROKER_ADDR (host:port parsed
# from its one stdout line). $1 names the log files; further arguments replace the default
# `--listen 127.0.0.1:0` (e.g. listeners).
start_broker() {
    local name="$1"
    shift
    local -a listen=(--listen 127.0.0.1:0)
    [ "$#" -gt 0 ] && listen=("$@")
    # Emptied here, not only by the child's redirection: a restart reuses the name, and on a
    # loaded machine the loop below could read the previous broker's line (its closed port)
    # before the child got to truncate the file.
    : >"$WORK/$name.out"
    "$SPATE_BIN" broker "${listen[@]}" --data-dir "$DATA_DIR" \
        >"$WORK/$name.out" 2>"$WORK/$name.log" &
    BROKER_PID=$!
    local i line
    for i in $(seq 1 300); do
        line="$(grep -m1 '^spate broker listening on ' "$WORK/$name.out" 2>/dev/null || true)"
        if [ -n "$line" ]; then
            BROKER_ADDR="$(sed -n 's/^spate broker listening on \([^ ]*\) .*/\1/p' <<<"$line")"
            [ -n "$BROKER_ADDR" ] && return 0
            echo "cannot parse the start-up line: $line" >&2
            return 1
        fi
        if ! kill -0 "$BROKER_PID" 2>/dev/null; then
            echo "broker exited during start-up; stderr:" >&2
            tail -n 20 "$WORK/$name.log" >&2
            BROKER_PID=""
            return 1
        fi
        sleep 0.1
    done
    echo "broker printed no start-up line within 30 s" >&2
    return 1
}

# run_check NAME COMMAND...: runs one check with a time limit, prints PASS/FAIL and, on
# failure, the tail of its output and of the broker's log.
run_check() {
    local name="$1"
    shift
    local started=$SECONDS
    local -a runner=(timeout "$CHECK_TIMEOUT_S")
    # Shell functions run in this shell (the restart check replaces the broker); each of their
    # client commands carries its own time limit instead.
    if declare -F "$1" >/dev/null; then runner=(); fi
    if "${runner[@]}" "$@" >"$WORK/check-$name.txt" 2>&1; then
        PASSED=$((PASSED + 1))
        echo "PASS $name ($((SECONDS - started)) s)"
    else
        local rc=$?
        FAILED=$((FAILED + 1))
        echo "FAIL $name (exit $rc after $((SECONDS - started)) s)"
        tail -n 25 "$WORK/check-$name.txt" | sed 's/^/    /'
        if [ -f "$WORK/broker.log" ]; then
            echo "    --- broker log (tail) ---"
            tail -n 10 "$WORK/broker.log" | sed 's/^/    /'
        fi
    fi
}

KCAT_TOPIC="compat-kcat"
CLIENT_TIMEOUT_S=60

kcat_consume_all() {
    timeout "$CLIENT_TIMEOUT_S" kcat -b "$BROKER_ADDR" -C -t "$KCAT_TOPIC" -o beginning -e -q -f '%k:%s\n'
}

check_kcat() {
    local i
    for i in $(seq 1 500); do echo "key-$((i % 13)):value-$i-$(printf '%*s' $((i % 40)) '' | tr ' ' v)"; done \
        >"$WORK/kcat.expected"
    # Producing to an unknown topic auto-creates it (Metadata with allow_auto_topic_creation).
    timeout "$CLIENT_TIMEOUT_S" kcat -b "$BROKER_ADDR" -P -t "$KCAT_TOPIC" -K: -z snappy \
        -X request.required.acks=-1 <"$WORK/kcat.expected" || return 1
    timeout "$CLIENT_TIMEOUT_S" kcat -b "$BROKER_ADDR" -L -t "$KCAT_TOPIC" >"$WORK/kcat.metadata" || return 1
    cat "$WORK/kcat.metadata"
    grep -q "topic \"$KCAT_TOPIC\" with 1 partitions" "$WORK/kcat.metadata" || {
        echo "metadata does not list $KCAT_TOPIC with 1 partition"
        return 1
    }
    grep -q 'broker 0 at ' "$WORK/kcat.metadata" || { echo "metadata lists no broker"; return 1; }
    kcat_consume_all >"$WORK/kcat.read" || return 1
    diff -u "$WORK/kcat.expected" "$WORK/kcat.read" | head -n 20
    cmp -s "$WORK/kcat.expected" "$WORK/kcat.read" && echo "500 keyed records round-tripped"
}

check_spate_cli() {
    local topic="compat-cli"
    timeout "$CLIENT_TIMEOUT_S" "$SPATE_BIN" topics create "$topic" --partitions 1 --bootstrap "$BROKER_ADDR" || return 1
    timeout "$CLIENT_TIMEOUT_S" "$SPATE_BIN" topics list --bootstrap "$BROKER_ADDR" >"$WORK/cli.list" || return 1
    grep -qw "$topic" "$WORK/cli.list" || { echo "topics list misses $topic"; return 1; }
    timeout "$CLIENT_TIMEOUT_S" "$SPATE_BIN" topics describe "$topic" --bootstrap "$BROKER_ADDR" || return 1
    local i
    for i in $(seq 1 100); do echo "k$i|line $i"; done >"$WORK/cli.in"
    timeout "$CLIENT_TIMEOUT_S" "$SPATE_BIN" produce "$topic" --key-separator '|' --bootstrap "$BROKER_ADDR" <"$WORK/cli.in" ||
        return 1
    timeout "$CLIENT_TIMEOUT_S" "$SPATE_BIN" consume "$topic" --from-beginning --max 100 --bootstrap "$BROKER_ADDR" \
        >"$WORK/cli.read" || return 1
    # The consume output format is the CLI's own; every value must appear, in order.
    local expected_values
    expected_values="$(sed 's/^[^|]*|//' "$WORK/cli.in")"
    grep -o 'line [0-9]*' "$WORK/cli.read" | diff -u <(echo "$expected_values") - | head -n 20
    [ "$(grep -o 'line [0-9]*' "$WORK/cli.read")" = "$expected_values" ] &&
        echo "100 records round-tripped through the CLI"
}

# kafka-python joins a group, consumes and commits; then `spate groups describe` must list both
# partitions of the topic with committed == log-end and lag 0, and a total lag of 0.
check_kafka_python_group() {
    local topic="compat-kafka-python-group" group="compat-kafka-python-group"
    timeout "$CLIENT_TIMEOUT_S" "$PYTHON" "$HERE/compat_kafka_python_group.py" "$BROKER_ADDR" "$topic" "$group" ||
        return 1
    timeout "$CLIENT_TIMEOUT_S" "$SPATE_BIN" groups describe "$group" --bootstrap "$BROKER_ADDR" \
        >"$WORK/kp-group.describe" || return 1
    cat "$WORK/kp-group.describe"
    # Rows: topic partition committed log-end lag member (tab-separated).
    local rows
    rows="$(awk -F'\t' -v t="$topic" '$1 == t && $3 == $4 && $5 == "0" && $4 > 0 { n++ } END { print n + 0 }' \
        "$WORK/kp-group.describe")"
    [ "$rows" -eq 2 ] || { echo "expected 2 partitions of $topic with committed == log-end and lag 0, got $rows"; return 1; }
    grep -qx 'total lag 0' "$WORK/kp-group.describe" || { echo "total lag is not 0"; return 1; }
    echo "spate groups describe shows lag 0 on both partitions"
}

# kcat's balanced consumer (librdkafka 2.0.2): -G joins a group, -e exits at the end of every
# assigned partition, and closing commits. The first run must read every record once; a second
# run in the same group must resume from the commits and read nothing; describe must show lag 0.
check_kcat_group() {
    local topic="compat-kcat-group" group="compat-kcat-group" i
    timeout "$CLIENT_TIMEOUT_S" "$SPATE_BIN" topics create "$topic" --partitions 3 --bootstrap "$BROKER_ADDR" || return 1
    for i in $(seq 1 300); do echo "k$i:v$i"; done >"$WORK/kcat-group.in"
    timeout "$CLIENT_TIMEOUT_S" kcat -b "$BROKER_ADDR" -P -t "$topic" -K: <"$WORK/kcat-group.in" || return 1
    local -a consume=(timeout 30 kcat -b "$BROKER_ADDR" -G "$group" -X auto.offset.reset=earliest -e -q
        -f '%k:%s\n' "$topic")
    "${consume[@]}" >"$WORK/kcat-group.first" || { echo "kcat -G exited non-zero (or timed out)"; return 1; }
    diff <(sort "$WORK/kcat-group.in") <(sort "$WORK/kcat-group.first") | head -n 10
    cmp -s <(sort "$WORK/kcat-group.in") <(sort "$WORK/kcat-group.first") || {
        echo "first group read: $(wc -l <"$WORK/kcat-group.first") lines, expected the 300 produced"
        return 1
    }
    "${consume[@]}" >"$WORK/kcat-group.second" || { echo "second kcat -G exited non-zero"; return 1; }
    [ ! -s "$WORK/kcat-group.second" ] || {
        echo "second run re-read $(wc -l <"$WORK/kcat-group.second") records instead of resuming"
        return 1
    }
    timeout "$CLIENT_TIMEOUT_S" "$SPATE_BIN" groups describe "$group" --bootstrap "$BROKER_ADDR" \
        >"$WORK/kcat-group.describe" || return 1
    cat "$WORK/kcat-group.describe"
    grep -qx 'total lag 0' "$WORK/kcat-group.describe" || { echo "total lag is not 0"; return 1; }
    echo "300 records read once through kcat -G; the second run resumed from the commits"
}

# kcat at an absolute offset past the end: librdkafka must reset to the earliest offset and read
# the topic (before the fix it spun on parse errors until the timeout).
check_kcat_out_of_range() {
    timeout 30 kcat -b "$BROKER_ADDR" -C -t "$KCAT_TOPIC" -o 1000000 -X auto.offset.reset=earliest -e -q \
        -f '%k:%s\n' >"$WORK/kcat.oor" 2>"$WORK/kcat.oor.err" || { echo "kcat exited non-zero (or timed out)"; head -5 "$WORK/kcat.oor.err"; return 1; }
    cmp -s "$WORK/kcat.expected" "$WORK/kcat.oor" || { echo "read $(wc -l <"$WORK/kcat.oor") lines, not the 500 written"; return 1; }
    echo "kcat reset from offset 1000000 to earliest and read all 500 records"
}

check_restart() {
    local pid="$BROKER_PID" rc=0 i
    kill -TERM "$pid"
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "broker still running 10 s after SIGTERM"
        return 1
    fi
    wait "$pid" || rc=$?
    BROKER_PID=""
    [ "$rc" -eq 0 ] || { echo "broker exited $rc on SIGTERM"; return 1; }
    mv "$WORK/broker.log" "$WORK/broker-first.log"
    start_broker broker || return 1
    kcat_consume_all >"$WORK/kcat.reread" || return 1
    diff -u "$WORK/kcat.expected" "$WORK/kcat.reread" | head -n 20
    cmp -s "$WORK/kcat.expected" "$WORK/kcat.reread" || return 1
    echo "data intact after restart"
    # Committed group offsets live in the internal offsets log and must survive the restart too.
    timeout "$CLIENT_TIMEOUT_S" "$SPATE_BIN" groups describe compat-kcat-group --bootstrap "$BROKER_ADDR" \
        >"$WORK/kcat-group.restart" || return 1
    cat "$WORK/kcat-group.restart"
    local rows
    rows="$(awk -F'\t' '$1 == "compat-kcat-group" && $3 == $4 && $5 == "0" { n++ } END { print n + 0 }' \
        "$WORK/kcat-group.restart")"
    [ "$rows" -eq 3 ] || { echo "after restart, $rows of 3 committed offsets of compat-kcat-group are at log end"; return 1; }
    echo "committed group offsets intact after restart"
}

# SASL (issue 12): a fresh broker with a PLAINTEXT and a SASL_PLAINTEXT listener and a super
# user added offline with `spate users add`; compat_sasl.py then manages users over the wire and
# moves records with both Python clients, SCRAM-SHA-256/512 and PLAIN, and checks that wrong
# passwords fail; compat_acls.py manages ACLs with both admin clients and checks enforcement.
check_sasl() {
    local pid="$BROKER_PID"
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null
    BROKER_PID=""
    DATA_DIR="$WORK/sasl-data"
    echo "adm1n-secret" | "$SPATE_BIN" users add admin --mechanism SCRAM-SHA-512 --password-stdin \
        --data-dir "$DATA_DIR" || return 1
    mv "$WORK/broker.log" "$WORK/broker-plaintext.log"
    start_broker broker --listener PLAINTEXT://127.0.0.1:0 --listener SASL_PLAINTEXT://127.0.0.1:0 \
        --set super.users=User:admin || return 1
    local sasl_addr
    sasl_addr="$(sed -n 's/.* SASL_PLAINTEXT=SASL_PLAINTEXT:\/\/\([^ )]*\).*/\1/p' "$WORK/broker.out")"
    [ -n "$sasl_addr" ] || { echo "no SASL_PLAINTEXT listener in: $(cat "$WORK/broker.out")"; return 1; }
    timeout "$CHECK_TIMEOUT_S" "$PYTHON" "$HERE/compat_sasl.py" "$sasl_addr" admin adm1n-secret || return 1
    # ACLs (issue 12) on the same broker: both Python admin clients, and enforcement.
    timeout "$CHECK_TIMEOUT_S" "$PYTHON" "$HERE/compat_acls.py" "$sasl_addr" admin adm1n-secret
}

# TLS (issue 12): a fresh broker with SSL (client certificates required) and SASL_SSL
# listeners, certificates made by compat_tls.py with the openssl CLI; confluent-kafka,
# kafka-python and kcat over SSL with a client certificate whose subject an ACL names, both
# Python clients over SASL_SSL with SCRAM-SHA-512, and clients that must be refused.
check_tls() {
    if [ -n "$BROKER_PID" ]; then
        kill -TERM "$BROKER_PID"
        wait "$BROKER_PID" 2>/dev/null
        BROKER_PID=""
    fi
    DATA_DIR="$WORK/tls-data"
    local certs="$WORK/tls-certs"
    "$PYTHON" "$HERE/compat_tls.py" certs "$certs" || return 1
    echo "adm1n-secret" | "$SPATE_BIN" users add admin --mechanism SCRAM-SHA-512 --password-stdin \
        --data-dir "$DATA_DIR" || return 1
    [ -f "$WORK/broker.log" ] && mv "$WORK/broker.log" "$WORK/broker-sasl.log"
    start_broker broker --listener PLAINTEXT://127.0.0.1:0 --listener SSL://127.0.0.1:0 \
        --listener SASL_SSL://127.0.0.1:0 --set super.users=User:admin \
        --set ssl.keystore.type=PEM --set "ssl.keystore.location=$certs/broker.pem" \
        --set "ssl.truststore.location=$certs/ca.pem" \
        --set listener.name.ssl.ssl.client.auth=required || return 1
    local ssl_addr sasl_ssl_addr
    ssl_addr="$(sed -n 's/.* SSL=SSL:\/\/\([^ )]*\).*/\1/p' "$WORK/broker.out")"
    sasl_ssl_addr="$(sed -n 's/.* SASL_SSL=SASL_SSL:\/\/\([^ )]*\).*/\1/p' "$WORK/broker.out")"
    [ -n "$ssl_addr" ] && [ -n "$sasl_ssl_addr" ] ||
        { echo "no SSL/SASL_SSL listener in: $(cat "$WORK/broker.out")"; return 1; }
    timeout "$CHECK_TIMEOUT_S" "$PYTHON" "$HERE/compat_tls.py" check "$certs" "$ssl_addr" "$sasl_ssl_addr" \
        admin adm1n-secret || return 1
    # Spate's CLI over SASL_SSL: `topics create` through its own TLS+SCRAM client, produce and
    # consume through librdkafka, both from one client properties file.
    cat >"$WORK/tls-admin.properties" <<END
security.protocol=SASL_SSL
ssl.ca.location=$certs/ca.pem
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="adm1n-secret";
END
    local cli=(--bootstrap "$sasl_ssl_addr" --command-config "$WORK/tls-admin.properties")
    timeout "$CLIENT_TIMEOUT_S" "$SPATE_BIN" topics create compat-tls-cli --partitions 1 "${cli[@]}" || return 1
    seq 1 20 | sed 's/^/tls line /' >"$WORK/tls-cli.in"
    timeout "$CLIENT_TIMEOUT_S" "$SPATE_BIN" produce compat-tls-cli "${cli[@]}" <"$WORK/tls-cli.in" || return 1
    timeout "$CLIENT_TIMEOUT_S" "$SPATE_BIN" consume compat-tls-cli --from-beginning --max 20 "${cli[@]}" \
        >"$WORK/tls-cli.read" || return 1
    [ "$(grep -o 'tls line [0-9]*' "$WORK/tls-cli.read")" = "$(cat "$WORK/tls-cli.in")" ] ||
        { echo "spate consume over SASL_SSL read: $(head -3 "$WORK/tls-cli.read")"; return 1; }
    echo "spate CLI: topics create, produce and consume over SASL_SSL with SCRAM-SHA-512"
    # The refused handshakes were logged, and the broker is still up.
    grep -c "TLS handshake failed" "$WORK/broker.log" | sed 's/^/TLS handshakes refused and logged: /'
    kill -0 "$BROKER_PID"
}

summary() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

if [ ! -x "$SPATE_BIN" ]; then
    echo "FAIL setup: $SPATE_BIN not built (cargo build -p spate)"
    FAILED=1
    summary
    exit 1
fi
for tool in kcat "$PYTHON"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL setup: $tool missing (bash scripts/install-deps.sh)"
        FAILED=1
        summary
        exit 1
    fi
done

if ! start_broker broker; then
    echo "FAIL broker-start"
    FAILED=1
    summary
    exit 1
fi
echo "broker at $BROKER_ADDR (pid $BROKER_PID, data $DATA_DIR)"

run_check kcat check_kcat
run_check confluent-kafka "$PYTHON" "$HERE/compat_confluent.py" "$BROKER_ADDR"
run_check kafka-python "$PYTHON" "$HERE/compat_kafka_python.py" "$BROKER_ADDR"
run_check spate-cli check_spate_cli
run_check confluent-kafka-group "$PYTHON" "$HERE/compat_confluent_group.py" "$BROKER_ADDR"
run_check confluent-kafka-txn "$PYTHON" "$HERE/compat_confluent_txn.py" "$BROKER_ADDR"
run_check kafka-python-group check_kafka_python_group
run_check kcat-group check_kcat_group
run_check kcat-out-of-range check_kcat_out_of_range
run_check out-of-range "$PYTHON" "$HERE/compat_out_of_range.py" "$BROKER_ADDR"
run_check compaction "$PYTHON" "$HERE/compat_compaction.py" "$BROKER_ADDR"
run_check restart check_restart
run_check sasl check_sasl
run_check tls check_tls

summary
