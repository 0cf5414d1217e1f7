"""Reads an Iceberg table the way users do, with pyiceberg, and prints one JSON object: the
schema, the partition spec, the rows, the current snapshot's data files and every snapshot
with its summary.

    iceberg_read.py hadoop TABLE_DIR
    iceberg_read.py sql SQLITE_DB WAREHOUSE CATALOG_NAME NAMESPACE.TABLE
"""
import json
import os
import sys


def load(args):
    kind = args[0]
    if kind == "hadoop":
        from pyiceberg.table import StaticTable
        meta = os.path.join(args[1], "metadata")
        with open(os.path.join(meta, "version-hint.text")) as f:
            version = f.read().strip()
        return StaticTable.from_metadata(os.path.join(meta, f"v{version}.metadata.json"))
    if kind == "sql":
        from pyiceberg.catalog.sql import SqlCatalog
        catalog = SqlCatalog(args[3], uri=f"sqlite:///{args[1]}", warehouse=f"file://{args[2]}")
        return catalog.load_table(args[4])
    raise SystemExit(f"unknown table kind {kind}")


def main():
    table = load(sys.argv[1:])
    rows = table.scan().to_arrow().to_pylist()
    files = table.inspect.files().column("file_path").to_pylist() if table.current_snapshot() else []
    snapshots = []
    for s in table.snapshots():
        summary = dict(s.summary.additional_properties)
        summary["operation"] = s.summary.operation.value
        snapshots.append({"id": s.snapshot_id, "parent": s.parent_snapshot_id, "summary": summary})
    out = {
        "schema": str(table.schema()),
        "spec": str(table.spec()),
        "rows": rows,
        "files": files,
        "snapshots": snapshots,
    }
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
