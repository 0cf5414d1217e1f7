#!/usr/bin/env bash
# Issue 44's lookup join benchmark: datagen probes joined with a 10 000-row PostgreSQL table
# (`jdbc` connector) into a blackhole, one subtask, on a private PostgreSQL server the test
# starts (tests/it/pg_server.rs: Debian's postgresql package). Prints rows/s, the wall time,
# this process's CPU time and the machine's busy CPU time (PostgreSQL's included) for: no
# cache with one key column (a batch's keys in one `= ANY` query), no cache with two key
# columns (one `unnest` query per batch; Flink queries once per row) and a partial cache.
# Takes well under a minute once built. Usage: scripts/bench-lookup.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cargo test -p spate-sql --test it -- --ignored --exact jdbc_lookup::jdbc_lookup_rows_per_second --nocapture \
    2>&1 | grep -E "rows in|panicked|error"
