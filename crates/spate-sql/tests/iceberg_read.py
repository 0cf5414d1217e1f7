"""Reads an Iceberg table the way users do, with pyiceberg, and prints one JSON object: the
schema, the partition spec, the rows, the current snapshot's data files (and their column
metrics as pyiceberg reads them) and every snapshot
with its summary.

    iceberg_read.py hadoop TABLE_DIR
    iceberg_read.py sql SQLITE_DB WAREHOUSE CATALOG_NAME NAMESPACE.TABLE
    iceberg_read.py write SQLITE_DB WAREHOUSE CATALOG_NAME NAMESPACE.TABLE  (pyiceberg writes one)
    iceberg_read.py rust hadoop TABLE_DIR   (the rows as iceberg-rust reads them, deletes applied)

pyiceberg 0.12 refuses tables with equality deletes; the `rust` mode reads the rows with Apache
Iceberg's Rust implementation (iceberg-rust, in pyiceberg-core) through DataFusion, which
applies equality and position deletes, and everything else with pyiceberg.
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


def write(db, warehouse, name, ident):
    """Creates a table with pyiceberg's own writer and appends three rows."""
    from datetime import datetime
    from decimal import Decimal

    import pyarrow as pa
    from pyiceberg.catalog.sql import SqlCatalog

    catalog = SqlCatalog(name, uri=f"sqlite:///{db}", warehouse=f"file://{warehouse}")
    catalog.create_namespace_if_not_exists(ident.split(".")[0])
    data = pa.table({
        "id": pa.array([1, 2, 3], pa.int64()),
        "name": pa.array(["a", None, "c"], pa.string()),
        "price": pa.array([Decimal("1.50"), Decimal("-2.25"), None], pa.decimal128(10, 2)),
        "ts": pa.array([datetime(2026, 11, 28, 12, 0, 0, 123456), None, datetime(1970, 1, 1)], pa.timestamp("us")),
    })
    table = catalog.create_table(ident, schema=data.schema)
    table.append(data)
    print(json.dumps({"snapshots": len(table.snapshots())}))


def rust_rows(table):
    """The rows of the current snapshot as iceberg-rust reads them."""
    from datafusion import SessionContext
    from pyiceberg_core.datafusion import IcebergDataFusionTable

    location = table.metadata_location
    if "://" not in location:
        location = "file://" + os.path.abspath(location)
    provider = IcebergDataFusionTable(identifier=list(table.name()), metadata_location=location, file_io_properties={})
    ctx = SessionContext()
    ctx.register_table("t", provider)
    return ctx.sql("SELECT * FROM t").to_arrow_table().to_pylist()


def main():
    if sys.argv[1] == "write":
        write(*sys.argv[2:6])
        return
    rust = sys.argv[1] == "rust"
    table = load(sys.argv[2:] if rust else sys.argv[1:])
    rows = rust_rows(table) if rust else table.scan().to_arrow().to_pylist()
    inspected = table.inspect.files().to_pylist() if table.current_snapshot() else []
    files = [f["file_path"] for f in inspected]
    metrics = [{"records": f["record_count"], "columns": f["readable_metrics"]} for f in inspected]
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
        "metrics": metrics,
        "snapshots": snapshots,
    }
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
