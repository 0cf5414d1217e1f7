#!/usr/bin/env bash
# Regenerates the changelog golden outputs of Spate's updating SQL (crates/spate-sql/tests/flink_changelog/):
# for each case directory, runs its job.sql — DDL, then one SELECT — on real Apache Flink 2.3
# (/work/shared/reference/flink-sql/run.sh, parallelism 1, no mini-batch) and writes the rows the
# SELECT returned, in order, to <case>/expected.txt: one line per row, its kind (+I, -U, +U, -D)
# and its values as Python's str() prints them, tab-separated. ${DATA} in job.sql is the absolute
# path of <case>/input.
#
# Usage: bash scripts/flink-changelog-golden.sh crates/spate-sql/tests/flink_changelog/*/
# FLINK_RUN overrides the runner. Exits non-zero on the first case whose Flink run fails (its log
# is printed); that case's expected.txt is left as it was.
set -euo pipefail

FLINK_RUN="${FLINK_RUN:-/work/shared/reference/flink-sql/run.sh}"
[ "$#" -gt 0 ] || { echo "usage: $0 <case dir>..." >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/flink-changelog.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

for arg in "$@"; do
    case_dir="$(cd "$arg" && pwd)"
    name="$(basename "$case_dir")"
    [ -f "$case_dir/job.sql" ] || { echo "$case_dir: no job.sql" >&2; exit 1; }
    mkdir -p "$WORK/$name"
    sql="$WORK/$name/job.sql"
    sed "s|\${DATA}|$case_dir/input|g" "$case_dir/job.sql" >"$sql"
    echo "== $name: running on Flink (parallelism 1)"
    if ! "$FLINK_RUN" "$sql" 1 >"$WORK/$name/rows.txt" 2>"$WORK/$name/flink.log"; then
        echo "== $name: Flink failed; its log:" >&2
        grep -v '^\s*at ' "$WORK/$name/flink.log" | tail -n 60 >&2
        exit 1
    fi
    cp "$WORK/$name/rows.txt" "$case_dir/expected.txt"
    echo "== $name: $(wc -l <"$case_dir/expected.txt") rows"
done
