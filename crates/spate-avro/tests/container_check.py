"""Reference side of spate-avro's container-file test: for each JSON line {"schema", "hex"} on
stdin (a whole container file Spate wrote), fastavro reads the file and re-encodes every datum
alone, then writes the datums into a deflate container of its own. One JSON line out per line
in: {"datums": [hex, ...], "codec", "file": hex} or {"error"}."""
import io
import json
import sys

import fastavro
import fastavro.read

# The file's own schema carries the random logical types, and fastavro's file reader applies
# the writer's logical types whatever the reader schema says: turn the conversions off.
fastavro.read.LOGICAL_READERS.clear()


def plain(schema):
    """The schema without logical types (same bytes; fastavro would turn random ints into
    dates and fail outside Python's range)."""
    if isinstance(schema, dict):
        return {k: plain(v) for k, v in schema.items() if k != "logicalType"}
    if isinstance(schema, list):
        return [plain(s) for s in schema]
    return schema


for line in sys.stdin:
    case = json.loads(line)
    try:
        schema = fastavro.parse_schema(plain(json.loads(case["schema"])))
        reader = fastavro.reader(io.BytesIO(bytes.fromhex(case["hex"])), reader_schema=schema)
        records = list(reader)
        datums = []
        for record in records:
            out = io.BytesIO()
            fastavro.schemaless_writer(out, schema, record)
            datums.append(out.getvalue().hex())
        file = io.BytesIO()
        fastavro.writer(file, schema, records, codec="deflate", sync_interval=100)
        print(json.dumps({"datums": datums, "codec": reader.codec, "file": file.getvalue().hex()}))
    except Exception as e:  # noqa: BLE001 (reported to the Rust side, which fails the case)
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
