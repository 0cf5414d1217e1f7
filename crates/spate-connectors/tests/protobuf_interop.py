"""confluent-kafka's Protobuf serde on the other side of Spate's `kafka::protobuf::ProtobufSerde`:
its ProtobufDeserializer reads a record Spate wrote, and its ProtobufSerializer writes one for
Spate to read. The message class is built from a hand-written FileDescriptorProto (what protoc
would generate), so nothing of Spate's is on the Python side. argv[1] is the registry URL, argv[2]
the hex of Spate's record. Prints one JSON object of observations; the Rust test asserts on them."""
import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor_pb2 import FieldDescriptorProto as F

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

fd = descriptor_pb2.FileDescriptorProto()
fd.name, fd.package, fd.syntax = "shop/click.proto", "shop", "proto3"
click = fd.message_type.add()
click.name = "Click"
for name, number, ty in [("user", 1, F.TYPE_INT64), ("referrer", 2, F.TYPE_STRING), ("page", 3, F.TYPE_STRING)]:
    f = click.field.add()
    f.name, f.number, f.type, f.label = name, number, ty, F.LABEL_OPTIONAL
pool = descriptor_pool.DescriptorPool()
pool.Add(fd)
Click = message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.Click"))

url, spate_hex = sys.argv[1], sys.argv[2]
client = SchemaRegistryClient({"url": url})
out = {}

ctx = SerializationContext("clicks", MessageField.VALUE)
read = ProtobufDeserializer(Click, {})(bytes.fromhex(spate_hex), ctx)
out["read"] = [read.user, read.referrer, read.page]

py_ctx = SerializationContext("py-clicks", MessageField.VALUE)
ser = ProtobufSerializer(Click, client, {"auto.register.schemas": True})
out["written"] = ser(Click(user=1 << 40, referrer="mail", page="/home"), py_ctx).hex()
print(json.dumps(out))
