"""The reference side of spate-iceberg's tests: pyarrow writes Parquet data files, pyiceberg
reads (and writes) the tables Spate commits. One command per run; the answer is one JSON line.

  write-parquet PATH ROWS_JSON            -> {"size"}
  read-static METADATA_LOCATION           -> table summary (see describe)
  read-sql DB WAREHOUSE CATALOG NS.TABLE  -> table summary
  sql-append DB WAREHOUSE CATALOG NS.TABLE ROWS_JSON  (creates namespace and table if missing)
  read-rest URI TOKEN NS.TABLE            -> table summary, through pyiceberg's RestCatalog
  rest-append URI TOKEN NS.TABLE ROWS_JSON  (the table must exist)
TOKEN "-" means none.
Rows are {"id": int, "name": str|null, "ts": micros|null}."""
import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq


def arrow_schema():
    def field(name, typ, fid, nullable):
        return pa.field(name, typ, nullable=nullable, metadata={"PARQUET:field_id": str(fid)})

    return pa.schema([
        field("id", pa.int64(), 1, False),
        field("name", pa.string(), 2, True),
        field("ts", pa.timestamp("us", tz="UTC"), 3, True),
    ])


def arrow_rows(rows):
    return pa.Table.from_pylist(rows, schema=arrow_schema())


def describe(tbl):
    data = tbl.scan().to_arrow()
    data = data.set_column(2, "ts", pa.compute.cast(data.column("ts"), pa.int64()))
    rows = sorted(data.to_pylist(), key=lambda r: r["id"])
    snapshots = [{"id": s.snapshot_id, "parent": s.parent_snapshot_id, "seq": s.sequence_number,
                  "summary": s.summary.model_dump() if s.summary else {}}
                 for s in tbl.metadata.snapshots]
    for s in snapshots:
        s["summary"] = {k: str(v) for k, v in s["summary"].items()}
    files = tbl.inspect.files().to_pylist()
    partitions = sorted(json.dumps(f["partition"], default=str, sort_keys=True) for f in files)
    return {"rows": rows, "snapshots": snapshots, "partitions": partitions,
            "current": tbl.metadata.current_snapshot_id, "spec": str(tbl.spec())}


def sql_catalog(db, warehouse, name):
    from pyiceberg.catalog.sql import SqlCatalog
    return SqlCatalog(name, uri=f"sqlite:///{db}", warehouse=f"file://{warehouse}")


def rest_catalog(uri, token):
    from pyiceberg.catalog.rest import RestCatalog
    props = {"uri": uri}
    if token != "-":
        props["token"] = token
    return RestCatalog("rest", **props)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "write-parquet":
        path, rows = args[0], json.loads(args[1])
        pq.write_table(arrow_rows(rows), path)
        import os
        out = {"size": os.path.getsize(path)}
    elif cmd == "read-static":
        from pyiceberg.table import StaticTable
        out = describe(StaticTable.from_metadata(args[0]))
    elif cmd == "read-sql":
        out = describe(sql_catalog(args[0], args[1], args[2]).load_table(args[3]))
    elif cmd == "read-rest":
        out = describe(rest_catalog(args[0], args[1]).load_table(args[2]))
    elif cmd == "rest-append":
        tbl = rest_catalog(args[0], args[1]).load_table(args[2])
        tbl.append(arrow_rows(json.loads(args[3])))
        out = {"metadata": tbl.metadata_location}
    elif cmd == "sql-append":
        from pyiceberg.partitioning import PartitionField, PartitionSpec
        from pyiceberg.schema import Schema
        from pyiceberg.transforms import DayTransform
        from pyiceberg.types import LongType, NestedField, StringType, TimestamptzType
        cat = sql_catalog(args[0], args[1], args[2])
        ns, _ = args[3].rsplit(".", 1)
        cat.create_namespace_if_not_exists(ns)
        schema = Schema(NestedField(1, "id", LongType(), required=True),
                        NestedField(2, "name", StringType(), required=False),
                        NestedField(3, "ts", TimestamptzType(), required=False))
        spec = PartitionSpec(PartitionField(source_id=3, field_id=1000, transform=DayTransform(), name="ts_day"))
        tbl = cat.create_table_if_not_exists(args[3], schema=schema, partition_spec=spec)
        tbl.append(arrow_rows(json.loads(args[4])))
        out = {"metadata": tbl.metadata_location}
    else:
        raise SystemExit(f"unknown command {cmd}")
    print(json.dumps(out, default=str))


main()
