"""Drives Spate's registry with confluent-kafka's SchemaRegistryClient and Protobuf serde
(ProtobufSerializer / ProtobufDeserializer), the way Kafka applications use a Confluent registry
with schemaType PROTOBUF. The message types are built from a hand-written FileDescriptorProto
(what protoc would generate), so Spate's own compiler and printer are not on the writing side.
argv[1] is the registry URL. Prints one JSON object of observations; the Rust test asserts on
them."""
import base64
import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
from google.protobuf.descriptor_pb2 import FieldDescriptorProto as F

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext


def field(msg, name, number, ty, label=F.LABEL_OPTIONAL, type_name=None, proto3_optional=False, oneof=None):
    f = msg.field.add()
    f.name, f.number, f.type, f.label = name, number, ty, label
    if type_name:
        f.type_name = type_name
    if proto3_optional:
        f.proto3_optional = True
    if oneof is not None:
        f.oneof_index = oneof
    return f


def order_file(name, package, sku_type=F.TYPE_STRING, extra_field=False):
    """shop/order.proto: Order { id, sku, optional note, repeated Line lines, map counts,
    Status status, Timestamp at } with nested Line and enum Status."""
    fd = descriptor_pb2.FileDescriptorProto()
    fd.name, fd.package, fd.syntax = name, package, "proto3"
    fd.dependency.append("google/protobuf/timestamp.proto")
    order = fd.message_type.add()
    order.name = "Order"
    field(order, "id", 1, F.TYPE_INT64)
    field(order, "sku", 2, sku_type)
    field(order, "note", 3, F.TYPE_STRING, proto3_optional=True, oneof=0)
    field(order, "lines", 4, F.TYPE_MESSAGE, F.LABEL_REPEATED, f".{package}.Order.Line")
    field(order, "counts", 5, F.TYPE_MESSAGE, F.LABEL_REPEATED, f".{package}.Order.CountsEntry")
    field(order, "status", 6, F.TYPE_ENUM, type_name=f".{package}.Order.Status")
    field(order, "at", 7, F.TYPE_MESSAGE, type_name=".google.protobuf.Timestamp")
    if extra_field:
        field(order, "channel", 8, F.TYPE_STRING)
    order.oneof_decl.add().name = "_note"
    line = order.nested_type.add()
    line.name = "Line"
    field(line, "item", 1, F.TYPE_STRING)
    field(line, "qty", 2, F.TYPE_UINT32)
    entry = order.nested_type.add()
    entry.name = "CountsEntry"
    entry.options.map_entry = True
    field(entry, "key", 1, F.TYPE_STRING)
    field(entry, "value", 2, F.TYPE_INT32)
    status = order.enum_type.add()
    status.name = "Status"
    for i, n in enumerate(["NEW", "PAID", "SHIPPED"]):
        v = status.value.add()
        v.name, v.number = n, i
    return fd


def classes(fd):
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(fd)
    order = message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{fd.package}.Order"))
    line = message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{fd.package}.Order.Line"))
    return order, line


url = sys.argv[1]
client = SchemaRegistryClient({"url": url})
out = {}

Order, Line = classes(order_file("shop/order.proto", "shop"))
ctx = SerializationContext("orders", MessageField.VALUE)
ser = ProtobufSerializer(Order, client, {"auto.register.schemas": True})
o = Order(id=7, sku="A-1", lines=[Line(item="pen", qty=3)], status=2)
o.counts["red"] = 4
o.at.seconds, o.at.nanos = 1700000000, 5000
data = ser(o, ctx)
out["wire_prefix"] = list(data[:6])
back = ProtobufDeserializer(Order, {})(data, ctx)
out["round_trip"] = [back.id, back.sku, back.HasField("note"), back.lines[0].item, back.lines[0].qty,
                     dict(back.counts), back.status, back.at.seconds, back.at.nanos]
out["round_trip_equal"] = back == o

# A nested message: the serializer frames it with the message indexes [0, 0].
line_ser = ProtobufSerializer(Line, client, {"auto.register.schemas": True})
line_data = line_ser(Line(item="cup", qty=1), SerializationContext("lines", MessageField.VALUE))
out["nested_prefix"] = list(line_data[:8])
out["nested_back"] = ProtobufDeserializer(Line, {})(line_data, SerializationContext("lines", MessageField.VALUE)).item

latest = client.get_latest_version("orders-value")
out["latest"] = [latest.version, latest.schema_id, latest.schema.schema_type]
out["text"] = latest.schema.schema_str

# Lookups compare canonical forms: the same file as base64 and as the registry's text.
found = client.lookup_schema("orders-value", Schema(latest.schema.schema_str, "PROTOBUF"))
out["lookup_text"] = [found.version, found.schema_id]

# Under BACKWARD: a new field is compatible, string -> int64 is not.
def b64(fd):
    return base64.standard_b64encode(fd.SerializeToString()).decode()
v2_ok = Schema(b64(order_file("v2.proto", "shop", extra_field=True)), "PROTOBUF")
v2_bad = Schema(b64(order_file("v2.proto", "shop", sku_type=F.TYPE_INT64)), "PROTOBUF")
out["compatible_ok"] = client.test_compatibility("orders-value", v2_ok)
out["compatible_bad"] = client.test_compatibility("orders-value", v2_bad)
try:
    client.register_schema("orders-value", v2_bad)
    out["bad_registered"] = True
except SchemaRegistryError as e:
    out["bad_error"] = [e.http_status_code, e.error_code, e.error_message]
out["id2"] = client.register_schema("orders-value", v2_ok)
try:
    client.register_schema("broken-value", Schema("syntax = \"proto3\"; message M { int32 a = 1; int32 b = 1; }", "PROTOBUF"))
except SchemaRegistryError as e:
    out["malformed"] = [e.http_status_code, e.error_code, e.error_message]
print(json.dumps(out))
