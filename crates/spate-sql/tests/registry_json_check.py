"""confluent-kafka's JSON Schema registry serde on both sides of a Spate SQL job (spate-sql's
json_confluent test).

produce BOOTSTRAP REGISTRY TOPIC SCHEMA: reads JSON rows from stdin and writes each with
JSONSerializer (which validates it against SCHEMA and registers SCHEMA under TOPIC-value).
consume BOOTSTRAP REGISTRY TOPIC: reads TOPIC until it is idle for 5 s, decodes keys and values
with JSONDeserializer (each validated against the writer's schema, fetched by the id in the
frame) and prints the last value per key as JSON lines, sorted."""
import json
import sys

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

mode, bootstrap, registry, topic = sys.argv[1:5]
sr = SchemaRegistryClient({"url": registry})

if mode == "produce":
    serializer = JSONSerializer(sys.argv[5], sr)
    p = Producer({"bootstrap.servers": bootstrap})
    for line in sys.stdin:
        p.produce(topic, serializer(json.loads(line), SerializationContext(topic, MessageField.VALUE)))
    p.flush(10)
else:
    keys = JSONDeserializer(None, schema_registry_client=sr)
    values = JSONDeserializer(None, schema_registry_client=sr)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "registry-json-check",
                  "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    c.subscribe([topic])
    table = {}
    while True:
        m = c.poll(5)
        if m is None:
            break
        if m.error():
            continue
        k = json.dumps(keys(m.key(), SerializationContext(topic, MessageField.KEY)), sort_keys=True)
        if m.value() is None:
            table.pop(k, None)
        else:
            table[k] = values(m.value(), SerializationContext(topic, MessageField.VALUE))
    c.close()
    for k in sorted(table):
        print(json.dumps({"key": json.loads(k), "value": table[k]}, sort_keys=True))
