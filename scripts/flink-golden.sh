#!/usr/bin/env bash
# Regenerates the Flink golden outputs of Spate's SQL corpus (crates/spate-sql/tests/flink/):
# for each case directory, runs its job.sql on real Apache Flink 2.3 (through
# /work/shared/reference/flink-sql/run.sh, parallelism 1) and writes what the sinks wrote to
# <case>/expected.txt, one line per line of a sink file:
#     <sink table>\t<dir relative to the sink path, empty at the root>\t<line>
# sorted with LC_ALL=C sort. Hidden and in-progress files (any path part starting with '.')
# are skipped. In job.sql, ${DATA} is replaced by the absolute path of <case>/input and ${OUT}
# by a fresh temporary directory; every sink writes to ${OUT}/<sink table name>.
#
# Usage: bash scripts/flink-golden.sh crates/spate-sql/tests/flink/tumble [more case dirs...]
#        bash scripts/flink-golden.sh crates/spate-sql/tests/flink/*/
# A failing job fails the run: the temp copy starts with SET 'restart-strategy.type' = 'none'
# (with checkpointing on, Flink would otherwise restart the job forever).
# FLINK_RUN overrides the runner (default /work/shared/reference/flink-sql/run.sh).
# Exits non-zero on the first case whose Flink run fails (its log is printed); expected.txt of
# that case is left as it was.
set -euo pipefail

FLINK_RUN="${FLINK_RUN:-/work/shared/reference/flink-sql/run.sh}"

if [ "$#" -eq 0 ]; then
    echo "usage: $0 <case dir>..." >&2
    exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/flink-golden.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

for arg in "$@"; do
    case_dir="$(cd "$arg" && pwd)"
    name="$(basename "$case_dir")"
    [ -f "$case_dir/job.sql" ] || { echo "$case_dir: no job.sql" >&2; exit 1; }
    out="$WORK/$name/out"
    mkdir -p "$out"
    sql="$WORK/$name/job.sql"
    DATA="$case_dir/input" OUT="$out" python3 - "$case_dir/job.sql" "$sql" <<'EOF'
import os, sys
text = open(sys.argv[1]).read()
text = "SET 'restart-strategy.type' = 'none';\n" + text
text = text.replace("${DATA}", os.environ["DATA"]).replace("${OUT}", os.environ["OUT"])
open(sys.argv[2], "w").write(text)
EOF
    echo "== $name: running $sql on Flink (parallelism 1)"
    log="$WORK/$name/flink.log"
    start=$SECONDS
    if ! "$FLINK_RUN" "$sql" 1 >"$log" 2>&1; then
        echo "== $name: Flink failed; its log:" >&2
        grep -v '^\s*at ' "$log" | tail -n 60 >&2
        exit 1
    fi
    # Every sink table writes to its own directory under $out; collect the committed files.
    tmp="$WORK/$name/expected.txt"
    : >"$tmp"
    for sink_dir in "$out"/*/; do
        [ -d "$sink_dir" ] || continue
        sink="$(basename "$sink_dir")"
        (cd "$sink_dir" && find . -type f -not -path '*/.*' -print) | LC_ALL=C sort | while read -r f; do
            rel="$(dirname "${f#./}")"
            [ "$rel" = "." ] && rel=""
            while IFS= read -r line || [ -n "$line" ]; do
                printf '%s\t%s\t%s\n' "$sink" "$rel" "$line"
            done <"$sink_dir/$f"
        done >>"$tmp"
    done
    LC_ALL=C sort "$tmp" >"$case_dir/expected.txt"
    echo "== $name: $(wc -l <"$case_dir/expected.txt") lines in $case_dir/expected.txt ($((SECONDS - start)) s)"
    cut -f1 "$case_dir/expected.txt" | LC_ALL=C sort | uniq -c | sed 's/^/     /'
done
