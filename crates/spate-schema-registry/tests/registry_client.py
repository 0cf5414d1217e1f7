"""Drives Spate's registry with confluent-kafka's own SchemaRegistryClient and Avro serde, the
way Kafka applications use a Confluent registry. argv[1] is the registry URL. Prints one JSON
object of observations; the Rust test asserts on them."""
import json
import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

url = sys.argv[1]
client = SchemaRegistryClient({"url": url})
out = {}

v1 = """{"type":"record","name":"Click","namespace":"shop","fields":[
  {"name":"user","type":"long"},{"name":"page","type":["null","string"],"default":null}]}"""
v2_ok = """{"type":"record","name":"Click","namespace":"shop","fields":[
  {"name":"user","type":"long"},{"name":"page","type":["null","string"],"default":null},
  {"name":"ms","type":"long","default":0}]}"""
v2_bad = """{"type":"record","name":"Click","namespace":"shop","fields":[
  {"name":"user","type":"long"},{"name":"ms","type":"long"}]}"""

out["id1"] = client.register_schema("clicks-value", Schema(v1, "AVRO"))
out["id1_again"] = client.register_schema("clicks-value", Schema(v1, "AVRO"))
out["types"] = client.get_schema_types()
out["compatible_ok"] = client.test_compatibility("clicks-value", Schema(v2_ok, "AVRO"))
out["compatible_bad"] = client.test_compatibility("clicks-value", Schema(v2_bad, "AVRO"))
try:
    client.register_schema("clicks-value", Schema(v2_bad, "AVRO"))
    out["bad_registered"] = True
except SchemaRegistryError as e:
    out["bad_error"] = [e.http_status_code, e.error_code, e.error_message]
out["id2"] = client.register_schema("clicks-value", Schema(v2_ok, "AVRO"))
latest = client.get_latest_version("clicks-value")
out["latest"] = [latest.version, latest.schema_id, latest.schema.schema_type]
out["by_id"] = client.get_schema(out["id1"]).schema_str
out["subjects"] = client.get_subjects()
out["versions"] = client.get_versions("clicks-value")
found = client.lookup_schema("clicks-value", Schema(v1, "AVRO"))
out["lookup"] = [found.version, found.schema_id]
client.set_compatibility("clicks-value", "FULL")
out["level"] = client.get_compatibility("clicks-value")
try:
    client.get_latest_version("nope")
except SchemaRegistryError as e:
    out["missing"] = [e.http_status_code, e.error_code, e.error_message]

# The serde: a record written with the registry's id, read back through it.
ctx = SerializationContext("orders", MessageField.VALUE)
ser = AvroSerializer(client, v2_ok, conf={"auto.register.schemas": True})
de = AvroDeserializer(client)
data = ser({"user": 7, "page": "/cart", "ms": 12}, ctx)
out["wire_prefix"] = list(data[:5])
out["round_trip"] = de(data, ctx)

out["deleted"] = client.delete_version("clicks-value", 1)
out["versions_after_delete"] = client.get_versions("clicks-value")
print(json.dumps(out))
