"""confluent-kafka's registry serde on both sides of a Spate SQL job (spate-sql's
avro_confluent test).

produce BOOTSTRAP REGISTRY TOPIC SCHEMA_JSON: reads JSON rows from stdin and writes each with
AvroSerializer (which registers SCHEMA_JSON under TOPIC-value); a field named "ts" holds epoch
milliseconds, written as a datetime.
consume BOOTSTRAP REGISTRY TOPIC: reads TOPIC until it is idle for 5 s, decodes keys and values
with AvroDeserializer (schemas from the registry by the records' ids) and prints the last value
per key as JSON lines, sorted; a deleted key (tombstone) is left out.
dump BOOTSTRAP REGISTRY TOPIC: the same reading, every value printed in order (one partition)."""
import datetime
import json
import sys

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

mode, bootstrap, registry, topic = sys.argv[1:5]


def millis(v):
    if isinstance(v, datetime.datetime):
        return int(v.timestamp() * 1000)
    raise TypeError(f"{type(v)} is not JSON")


sr = SchemaRegistryClient({"url": registry})

if mode == "produce":
    serializer = AvroSerializer(sr, sys.argv[5])
    p = Producer({"bootstrap.servers": bootstrap})
    for line in sys.stdin:
        row = json.loads(line)
        if row.get("ts") is not None:
            row["ts"] = datetime.datetime.fromtimestamp(row["ts"] / 1000, tz=datetime.timezone.utc)
        value = serializer(row, SerializationContext(topic, MessageField.VALUE))
        p.produce(topic, value)
    p.flush(10)
else:
    keys = AvroDeserializer(sr)
    values = AvroDeserializer(sr)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "registry-avro-check",
                  "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    c.subscribe([topic])
    table = {}
    while True:
        m = c.poll(5)
        if m is None:
            break
        if m.error():
            continue
        key = keys(m.key(), SerializationContext(topic, MessageField.KEY))
        k = json.dumps(key, sort_keys=True)
        if m.value() is None:
            table.pop(k, None)
        else:
            table[k] = values(m.value(), SerializationContext(topic, MessageField.VALUE))
        if mode == "dump":
            print(json.dumps(table.pop(k, None), sort_keys=True, default=millis))
    c.close()
    for k in sorted(table):
        print(json.dumps({"key": json.loads(k), "value": table[k]}, sort_keys=True, default=millis))
