#!/usr/bin/env bash
# Regenerates the jdbc connector's golden outputs (crates/spate-sql/tests/flink_jdbc/): for each
# case directory, starts a private PostgreSQL server (initdb into a temporary directory, a free
# port of 127.0.0.1, trust authentication, locale C), runs the case's setup.sql in it, runs its
# job.sql on real Apache Flink 2.3 (/work/shared/reference/flink-sql/run.sh, parallelism 1) with
# Flink's JDBC connector, then writes every table of schema public to <case>/expected.txt:
# per table (by name), its rows ordered by all columns, as `<table>\t<row in COPY's text format>`
# (tab-separated, \N for NULL). The Rust test (tests/it/flink_jdbc.rs) dumps the same way.
#
# In job.sql, ${PG_URL} is the server's JDBC URL and ${DATA} the absolute path of <case>/input.
#
# The runner puts only Kafka's jars on Flink's classpath; this script takes Flink's JDBC
# connector 4.0 (flink-connector-jdbc-core, -postgres) and the PostgreSQL driver from the pip
# package shigawire-apache-flink-libraries 2.0.0.post1 (the one run.sh takes Kafka's jars from)
# into $FLINK_VENV/jdbc-jars, and prepends `SET 'pipeline.jars' = ..` naming them to the job:
# run_sql.py applies SET through PyFlink's TableConfig.set, which also adds the jars to the
# client's class loader, so the planner finds the connector's factory.
#
# Usage: bash scripts/flink-jdbc-golden.sh crates/spate-sql/tests/flink_jdbc/*/
# FLINK_RUN overrides the runner, FLINK_VENV its virtualenv (default /tmp/flink-venv), PG_BIN the
# PostgreSQL binaries (default the newest /usr/lib/postgresql/*/bin). Exits non-zero on the first
# case whose Flink run fails (its log is printed); that case's expected.txt is left as it was.
set -euo pipefail

FLINK_RUN="${FLINK_RUN:-/work/shared/reference/flink-sql/run.sh}"
FLINK_VENV="${FLINK_VENV:-${TMPDIR:-/tmp}/flink-venv}"
[ "$#" -gt 0 ] || { echo "usage: $0 <case dir>..." >&2; exit 2; }

PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
[ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL server binaries (set PG_BIN; scripts/install-deps.sh installs them)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/flink-jdbc.XXXXXX")"
PG_DIR=""
stop_pg() {
    if [ -n "$PG_DIR" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
        PG_DIR=""
    fi
}
trap 'stop_pg; rm -rf "$WORK"' EXIT

# PostgreSQL refuses to run as root: under root its commands run as the package's postgres user.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

jdbc_jars() {
    local jars="$FLINK_VENV/jdbc-jars"
    if [ ! -f "$jars/postgresql.jar" ]; then
        local dl
        dl="$(mktemp -d)"
        "$FLINK_VENV/bin/pip" download -q --no-deps -d "$dl" shigawire-apache-flink-libraries==2.0.0.post1
        (cd "$dl" && python3 -m zipfile -e shigawire_apache_flink_libraries-*.whl x)
        mkdir -p "$jars"
        for j in flink-connector-jdbc-core flink-connector-jdbc-postgres postgresql; do
            cp "$dl/x/pyflink/lib/$j.jar" "$jars/"
        done
        rm -rf "$dl"
    fi
    echo "$jars"
}

# Starts a fresh server in a new directory of its own (under root, given to postgres, so its
# parents must not be private), setting PG_PORT and PG_DIR.
start_pg() {
    local dir
    dir="$(mktemp -d "${TMPDIR:-/tmp}/flink-jdbc-pg.XXXXXX")"
    PG_DIR="$dir"
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir"; fi
    as_pg "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$dir/initdb.log"
    PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
}

psql_() {
    "$PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d postgres -p "$PG_PORT" "$@"
}

# Every table of schema public, by name, each ordered by all its columns.
dump_tables() {
    local t
    for t in $(psql_ -c "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"); do
        psql_ -c "COPY (SELECT * FROM $t AS r ORDER BY r) TO STDOUT" | sed "s|^|$t\t|"
    done
}

# Run once so the runner installs Flink before the jars are taken from its virtualenv.
[ -x "$FLINK_VENV/bin/pip" ] || { echo "SELECT 1;" >"$WORK/warmup.sql"; "$FLINK_RUN" "$WORK/warmup.sql" 1 >/dev/null; }
JARS="$(jdbc_jars)"
PIPELINE_JARS="file://$JARS/flink-connector-jdbc-core.jar;file://$JARS/flink-connector-jdbc-postgres.jar;file://$JARS/postgresql.jar"

for arg in "$@"; do
    case_dir="$(cd "$arg" && pwd)"
    name="$(basename "$case_dir")"
    [ -f "$case_dir/job.sql" ] || { echo "$case_dir: no job.sql" >&2; exit 1; }
    mkdir -p "$WORK/$name"
    start_pg
    psql_ -q -f "$case_dir/setup.sql" >/dev/null
    sql="$WORK/$name/job.sql"
    {
        echo "SET 'pipeline.jars' = '$PIPELINE_JARS';"
        sed -e "s|\${DATA}|$case_dir/input|g" \
            -e "s|\${PG_URL}|jdbc:postgresql://127.0.0.1:$PG_PORT/postgres|g" "$case_dir/job.sql"
    } >"$sql"
    echo "== $name: running on Flink (parallelism 1)"
    if ! "$FLINK_RUN" "$sql" 1 >"$WORK/$name/stdout.txt" 2>"$WORK/$name/flink.log"; then
        echo "== $name: Flink failed; its log:" >&2
        grep -v '^\s*at ' "$WORK/$name/flink.log" | tail -n 60 >&2
        exit 1
    fi
    dump_tables >"$WORK/$name/expected.txt"
    stop_pg
    cp "$WORK/$name/expected.txt" "$case_dir/expected.txt"
    echo "== $name: $(wc -l <"$case_dir/expected.txt") rows"
done
