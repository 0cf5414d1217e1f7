"""Drives Spate's registry with confluent-kafka's SchemaRegistryClient and JSON Schema serde
(JSONSerializer / JSONDeserializer), the way Kafka applications use a Confluent registry with
schemaType JSON. argv[1] is the registry URL. Prints one JSON object of observations; the Rust
test asserts on them."""
import json
import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

url = sys.argv[1]
client = SchemaRegistryClient({"url": url})
out = {}

# An open content model (no additionalProperties), pretty-printed as people write it.
v1 = """{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Click",
  "type": "object",
  "properties": {
    "user": {"type": "integer"},
    "page": {"type": "string"}
  },
  "required": ["user"]
}"""
# Compatible under BACKWARD: `page` may now also be null.
v2_ok = """{"$schema":"http://json-schema.org/draft-07/schema#","title":"Click","type":"object",
  "properties":{"user":{"type":"integer"},"page":{"type":["string","null"]}},"required":["user"]}"""
# Incompatible under BACKWARD: a property added to an open content model.
v2_bad = """{"$schema":"http://json-schema.org/draft-07/schema#","title":"Click","type":"object",
  "properties":{"user":{"type":"integer"},"page":{"type":"string"},"ms":{"type":"integer"}},
  "required":["user"]}"""

# The serde: the serializer registers v1 under the topic's subject and frames each record.
ctx = SerializationContext("clicks", MessageField.VALUE)
ser = JSONSerializer(v1, client, conf={"auto.register.schemas": True})
data = ser({"user": 7, "page": "/cart"}, ctx)
out["wire_prefix"] = list(data[:5])
# The deserializer finds the schema by the id in the frame.
de = JSONDeserializer(None, schema_registry_client=client)
out["round_trip"] = de(data, ctx)
try:
    ser({"user": "not a number"}, ctx)
    out["invalid_record_written"] = True
except SerializationError as e:
    out["invalid_record_refused"] = str(e)[:200]

latest = client.get_latest_version("clicks-value")
out["latest"] = [latest.version, latest.schema_id, latest.schema.schema_type]
out["by_id"] = client.get_schema(latest.schema_id).schema_str
found = client.lookup_schema("clicks-value", Schema(v1, "JSON"))
out["lookup"] = [found.version, found.schema_id]

out["compatible_ok"] = client.test_compatibility("clicks-value", Schema(v2_ok, "JSON"))
out["compatible_bad"] = client.test_compatibility("clicks-value", Schema(v2_bad, "JSON"))
try:
    client.register_schema("clicks-value", Schema(v2_bad, "JSON"))
    out["bad_registered"] = True
except SchemaRegistryError as e:
    out["bad_error"] = [e.http_status_code, e.error_code, e.error_message]
out["id2"] = client.register_schema("clicks-value", Schema(v2_ok, "JSON"))

# Records written with v2 (a null page) read back through the registry.
ser2 = JSONSerializer(v2_ok, client, conf={"auto.register.schemas": False})
data2 = ser2({"user": 8, "page": None}, ctx)
out["wire_prefix_v2"] = list(data2[:5])
out["round_trip_v2"] = de(data2, ctx)

malformed = {}
for name, text in [("not_json", "{not json"), ("not_a_schema", "[1, 2]"), ("bad_type", '{"type":"strng"}')]:
    try:
        client.register_schema("bad-value", Schema(text, "JSON"))
        malformed[name] = "registered"
    except SchemaRegistryError as e:
        malformed[name] = [e.http_status_code, e.error_code, e.error_message]
out["malformed"] = malformed
print(json.dumps(out))
