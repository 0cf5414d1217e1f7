"""confluent-kafka's Protobuf registry serde on both sides of a Spate SQL job (spate-sql's
protobuf_confluent test).

produce BOOTSTRAP REGISTRY TOPIC VERSION: reads JSON rows from stdin and writes each as a
shop.Purchase message with ProtobufSerializer (which registers the file under TOPIC-value).
VERSION 1: user, amount (int32), ts (Timestamp, epoch milliseconds in the JSON), status (enum),
items (repeated Item), tags (map<string, int32>). VERSION 2 adds `optional string coupon` and
widens amount to int64. The message types come from a hand-built FileDescriptorProto (what
protoc generates), not from Spate.
consume BOOTSTRAP REGISTRY TOPIC: reads TOPIC until it is idle for 5 s; the key and value message
types are built from the registry's latest schemas of TOPIC-key and TOPIC-value (fetched
format=serialized, as confluent-kafka's clients do) and each record is decoded with
ProtobufDeserializer; prints the last value per key as JSON lines, sorted."""
import base64
import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory, timestamp_pb2
from google.protobuf.descriptor_pb2 import FieldDescriptorProto as F

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

mode, bootstrap, registry, topic = sys.argv[1:5]
sr = SchemaRegistryClient({"url": registry})


def field(msg, name, number, ty, label=F.LABEL_OPTIONAL, type_name=None, oneof=None):
    f = msg.field.add()
    f.name, f.number, f.type, f.label = name, number, ty, label
    if type_name:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index, f.proto3_optional = oneof, True


def purchase_file(version):
    fd = descriptor_pb2.FileDescriptorProto()
    fd.name, fd.package, fd.syntax = "shop/purchase.proto", "shop", "proto3"
    fd.dependency.append("google/protobuf/timestamp.proto")
    p = fd.message_type.add()
    p.name = "Purchase"
    field(p, "user", 1, F.TYPE_STRING)
    field(p, "amount", 2, F.TYPE_INT32 if version == 1 else F.TYPE_INT64)
    field(p, "ts", 3, F.TYPE_MESSAGE, type_name=".google.protobuf.Timestamp")
    field(p, "status", 4, F.TYPE_ENUM, type_name=".shop.Purchase.Status")
    field(p, "items", 5, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".shop.Purchase.Item")
    field(p, "tags", 6, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".shop.Purchase.TagsEntry")
    if version == 2:
        field(p, "coupon", 7, F.TYPE_STRING, oneof=0)
        p.oneof_decl.add().name = "_coupon"
    item = p.nested_type.add()
    item.name = "Item"
    field(item, "sku", 1, F.TYPE_STRING)
    field(item, "qty", 2, F.TYPE_INT32)
    entry = p.nested_type.add()
    entry.name = "TagsEntry"
    entry.options.map_entry = True
    field(entry, "key", 1, F.TYPE_STRING)
    field(entry, "value", 2, F.TYPE_INT32)
    status = p.enum_type.add()
    status.name = "Status"
    for i, n in enumerate(["NEW", "PAID", "REFUNDED"]):
        v = status.value.add()
        v.name, v.number = n, i
    return fd


def message_class(fd, name):
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))


if mode == "produce":
    Purchase = message_class(purchase_file(int(sys.argv[5])), "shop.Purchase")
    serializer = ProtobufSerializer(Purchase, sr, {"auto.register.schemas": True})
    p = Producer({"bootstrap.servers": bootstrap})
    for line in sys.stdin:
        row = json.loads(line)
        ts = row.pop("ts")
        msg = json_format.ParseDict(row, Purchase())
        msg.ts.seconds, msg.ts.nanos = ts // 1000, (ts % 1000) * 1_000_000
        p.produce(topic, serializer(msg, SerializationContext(topic, MessageField.VALUE)))
    p.flush(10)
else:
    def latest_class(subject):
        schema = sr.get_latest_version(subject, fmt="serialized").schema
        fd = descriptor_pb2.FileDescriptorProto.FromString(base64.standard_b64decode(schema.schema_str))
        return message_class(fd, f"{fd.package}.{fd.message_type[0].name}")

    keys = ProtobufDeserializer(latest_class(f"{topic}-key"), {})
    values = ProtobufDeserializer(latest_class(f"{topic}-value"), {})
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "registry-protobuf-check",
                  "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    c.subscribe([topic])
    table = {}
    as_dict = lambda m: json_format.MessageToDict(m, preserving_proto_field_name=True)
    while True:
        m = c.poll(5)
        if m is None:
            break
        if m.error():
            continue
        k = json.dumps(as_dict(keys(m.key(), SerializationContext(topic, MessageField.KEY))), sort_keys=True)
        if m.value() is None:
            table.pop(k, None)
        else:
            table[k] = as_dict(values(m.value(), SerializationContext(topic, MessageField.VALUE)))
    c.close()
    for k in sorted(table):
        print(json.dumps({"key": json.loads(k), "value": table[k]}, sort_keys=True))
