"""confluent-kafka (librdkafka 2.16) against a running Spate broker.

AdminClient creates a 3-partition topic, list_topics sees it, an idempotent acks=all Producer
sends keyed records with headers (zstd-compressed), and a Consumer using assign() (no consumer
group) reads every partition from the beginning. Every record read must match what the broker
acknowledged at the same (partition, offset). Exit code 0 on success; the reason on stderr
otherwise.
"""

import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

TOPIC = "compat-confluent"
PARTITIONS = 3
RECORDS = 600
DEADLINE_S = 45


def fail(msg: str) -> None:
    print(f"confluent-kafka: {msg}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    bootstrap = sys.argv[1]

    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [NewTopic(TOPIC, num_partitions=PARTITIONS, replication_factor=1)], operation_timeout=10
    )
    futures[TOPIC].result(timeout=15)

    metadata = admin.list_topics(timeout=10)
    if TOPIC not in metadata.topics:
        fail(f"list_topics does not show {TOPIC}: {sorted(metadata.topics)}")
    seen_partitions = len(metadata.topics[TOPIC].partitions)
    if seen_partitions != PARTITIONS:
        fail(f"list_topics shows {seen_partitions} partitions, created {PARTITIONS}")

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            "compression.type": "zstd",
        }
    )
    acked = {}  # (partition, offset) -> (key, value, headers)
    errors = []

    def delivery_handler(headers):
        # Delivery reports carry key and value but not the headers, so remember what was sent.
        def on_delivery(err, msg):
            if err is not None:
                errors.append(str(err))
                return
            acked[(msg.partition(), msg.offset())] = (msg.key(), msg.value(), headers)

        return on_delivery

    for i in range(RECORDS):
        key = f"key-{i % 50}".encode()
        value = f"value-{i}-".encode() + bytes(range(i % 256))
        headers = [("seq", str(i).encode()), ("client", b"confluent-kafka")]
        while True:
            try:
                producer.produce(
                    TOPIC, value=value, key=key, headers=headers,
                    on_delivery=delivery_handler(headers),
                )
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(30)
    if remaining or errors:
        fail(f"{remaining} undelivered, errors: {errors[:5]}")
    if len(acked) != RECORDS:
        fail(f"{len(acked)} distinct (partition, offset) acknowledged for {RECORDS} records")

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "compat-confluent-unused",  # required by the client; no group API is used
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "enable.partition.eof": True,
        }
    )
    consumer.assign([TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    read = {}
    eof = set()
    deadline = time.monotonic() + DEADLINE_S
    while len(read) < RECORDS or len(eof) < PARTITIONS:
        if time.monotonic() > deadline:
            fail(f"timed out: read {len(read)} of {RECORDS} records")
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                eof.add(msg.partition())
                continue
            fail(f"consumer error: {msg.error()}")
        eof.discard(msg.partition())
        read[(msg.partition(), msg.offset())] = (msg.key(), msg.value(), msg.headers() or [])
    consumer.close()

    if read != acked:
        missing = sorted(set(acked) - set(read))[:5]
        extra = sorted(set(read) - set(acked))[:5]
        differ = [k for k in acked if k in read and acked[k] != read[k]][:5]
        sample = [(acked[k], read[k]) for k in differ[:1]]
        fail(f"read back differs: missing {missing}, extra {extra}, different {differ}; {sample}")
    print(f"confluent-kafka: {RECORDS} records over {PARTITIONS} partitions round-tripped")


if __name__ == "__main__":
    main()
