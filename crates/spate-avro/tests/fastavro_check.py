"""Reference side of spate-avro's property test: for each JSON line {"schema", "hex"} on stdin,
fastavro parses the schema, prints its Parsing Canonical Form and CRC-64-AVRO fingerprint,
decodes the bytes (which must be consumed exactly) and re-encodes the value. One JSON line out
per line in: {"canonical", "fingerprint", "hex"} or {"error"}."""
import io
import json
import sys

import fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form


def plain(schema):
    """The schema without logical types: the bytes are the same, and fastavro would otherwise
    turn random ints into dates (and fail outside Python's range)."""
    if isinstance(schema, dict):
        return {k: plain(v) for k, v in schema.items() if k != "logicalType"}
    if isinstance(schema, list):
        return [plain(s) for s in schema]
    return schema


for line in sys.stdin:
    case = json.loads(line)
    try:
        text = case["schema"]
        canonical = to_parsing_canonical_form(fastavro.parse_schema(json.loads(text)))
        schema = fastavro.parse_schema(plain(json.loads(text)))
        data = bytes.fromhex(case["hex"])
        buf = io.BytesIO(data)
        value = fastavro.schemaless_reader(buf, schema, None)
        if buf.tell() != len(data):
            raise ValueError(f"decoded {buf.tell()} of {len(data)} bytes")
        out = io.BytesIO()
        fastavro.schemaless_writer(out, schema, value)
        print(json.dumps({
            "canonical": canonical,
            "fingerprint": fingerprint(canonical, "CRC-64-AVRO"),
            "hex": out.getvalue().hex(),
        }))
    except Exception as e:  # noqa: BLE001 (reported to the Rust side, which fails the case)
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
