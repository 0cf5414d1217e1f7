"""Reads what Spate's filesystem sink wrote in the parquet format with pyarrow, the reader
data engineers use, and prints it for the Rust test to compare:

    python parquet_check.py DIR

Line 1: the Arrow schema pyarrow reads (hive partitioning for `k=v` directories), as
        {"column": "type"}.
Line 2: the rows, sorted by the first column, as JSON (dates, times, decimals and bytes as
        strings).
Line 3: per file column of the first file, its physical type, logical type and codec, and
        the number of row groups of every file, summed.
"""
import json
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq


def main() -> None:
    root = Path(sys.argv[1])
    files = sorted(p for p in root.rglob("*.parquet") if not p.name.startswith((".", "_")))
    dataset = ds.dataset(str(root), format="parquet", partitioning="hive")
    table = dataset.to_table()
    print(json.dumps({f.name: str(f.type) for f in table.schema}, sort_keys=True))
    first = table.schema.names[0]
    rows = sorted(table.to_pylist(), key=lambda r: (r[first] is None, r[first]))
    print(json.dumps(rows, default=lambda v: v.hex() if isinstance(v, bytes) else str(v), sort_keys=True))
    meta = pq.ParquetFile(files[0]).metadata
    columns = {}
    for i in range(meta.num_columns):
        c = meta.row_group(0).column(i)
        columns[c.path_in_schema] = [c.physical_type, str(c.statistics.logical_type) if c.statistics else None, c.compression]
    groups = sum(pq.ParquetFile(f).metadata.num_row_groups for f in files)
    print(json.dumps({"columns": columns, "row_groups": groups, "files": len(files)}, sort_keys=True))


if __name__ == "__main__":
    main()
