"""Real Avro on both sides of a Spate SQL job (spate-sql's avro_kafka test).

produce BOOTSTRAP TOPIC SCHEMA_JSON: reads JSON rows from stdin, writes each as an Avro binary
datum (fastavro, no container) to TOPIC.
consume BOOTSTRAP TOPIC SCHEMA_JSON COUNT: reads COUNT records of TOPIC and prints each decoded
datum as one JSON line (bytes as hex, timestamps as epoch milliseconds)."""
import datetime
import decimal
import io
import json
import sys

import fastavro
from confluent_kafka import Consumer, Producer

mode, bootstrap, topic, schema_text = sys.argv[1:5]
schema = fastavro.parse_schema(json.loads(schema_text))


def plain(v):
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, datetime.datetime):
        return int(v.timestamp() * 1000)
    if isinstance(v, bytes):
        return v.hex()
    return v


if mode == "produce":
    p = Producer({"bootstrap.servers": bootstrap})
    for line in sys.stdin:
        row = json.loads(line)
        if row.get("price") is not None:
            row["price"] = decimal.Decimal(row["price"])
        if row.get("ts") is not None:
            row["ts"] = datetime.datetime.fromtimestamp(row["ts"] / 1000, tz=datetime.timezone.utc)
        out = io.BytesIO()
        fastavro.schemaless_writer(out, schema, row)
        p.produce(topic, out.getvalue())
    p.flush(10)
else:
    count = int(sys.argv[5])
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "avro-check",
                  "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    c.subscribe([topic])
    seen = 0
    while seen < count:
        m = c.poll(20)
        if m is None:
            sys.exit(f"only {seen} of {count} records")
        if m.error():
            continue
        datum = fastavro.schemaless_reader(io.BytesIO(m.value()), schema, None)
        print(json.dumps(plain(datum), sort_keys=True))
        seen += 1
    extra = c.poll(1)
    if extra is not None and not extra.error():
        sys.exit(f"a record beyond the {count} expected, at offset {extra.offset()}")
    c.close()
