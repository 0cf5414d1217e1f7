#!/usr/bin/env python3
"""Materializes two Debezium-JSON changelogs (one record a line, as `spate consume` prints a
topic) into their final tables and compares them as multisets of rows.

Usage: compare.py FLINK.jsonl SPATE.jsonl [LABEL]
A record with "after" adds that row (Debezium `c`/`r`/`u`), one with "before" removes it (`d`,
`u`); Flink's and Spate's Debezium sinks write +I/+U as `c` and -U/-D as `d`. Prints the number
of changes and of final rows of each side, then the rows only one side holds (up to 20 of
each), and exits 1 when the tables differ or a side removes a row it does not hold.
"""
import json
import sys
from collections import Counter


def materialize(path):
    table = Counter()
    changes = 0
    unmatched = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            changes += 1
            before, after = rec.get("before"), rec.get("after")
            if before is not None:
                key = json.dumps(before, sort_keys=True)
                if table[key] <= 0:
                    unmatched.append(key)
                table[key] -= 1
            if after is not None:
                table[json.dumps(after, sort_keys=True)] += 1
    return +table, changes, unmatched


def main():
    flink, spate = sys.argv[1], sys.argv[2]
    label = sys.argv[3] if len(sys.argv) > 3 else ""
    ft, fc, fu = materialize(flink)
    st, sc, su = materialize(spate)
    only_f, only_s = ft - st, st - ft
    same = not only_f and not only_s and not fu and not su
    print(f"{label}: flink {fc} changes -> {sum(ft.values())} rows; "
          f"spate {sc} changes -> {sum(st.values())} rows; "
          + ("SAME final table" if same else
             f"DIFFERENT: {sum(only_f.values())} rows only in flink, "
             f"{sum(only_s.values())} only in spate"))
    for name, rows in (("flink", fu), ("spate", su)):
        if rows:
            print(f"  {name} removes {len(rows)} rows it does not hold, e.g. {rows[0]}")
    for name, rows in (("only in flink", only_f), ("only in spate", only_s)):
        for i, (row, n) in enumerate(sorted(rows.items())):
            if i == 20:
                print(f"  {name}: ... ({len(rows) - 20} more)")
                break
            print(f"  {name}{'' if n == 1 else f' x{n}'}: {row}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
