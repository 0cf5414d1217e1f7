"""Log compaction with real clients against a running Spate broker.

confluent-kafka's AdminClient creates a compacted topic (small segments, low dirty ratio) and
describe_configs must report the compaction configs; an idempotent confluent-kafka producer
writes 2000 updates of 40 keys; a keyless record must be refused (INVALID_RECORD). Then, until
the broker's background cleaner has run (log.cleaner.backoff.ms, 15 s by default), kafka-python
reads the partition from the beginning: every record must be the one acknowledged at its offset,
offsets must ascend, the last value of every key must be its latest, and fewer records than
written must remain. Exit code 0 on success; the reason on stderr otherwise.
"""

import sys
import time

from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafka import KafkaConsumer, TopicPartition

TOPIC = "compat-compacted"
KEYS = 40
UPDATES = 2000
DEADLINE_S = 60


def fail(msg: str) -> None:
    print(f"compaction: {msg}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    bootstrap = sys.argv[1]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    configs = {
        "cleanup.policy": "compact",
        "segment.bytes": "4096",
        "min.cleanable.dirty.ratio": "0.01",
    }
    futures = admin.create_topics(
        [NewTopic(TOPIC, num_partitions=1, replication_factor=1, config=configs)], operation_timeout=10
    )
    futures[TOPIC].result(timeout=15)
    described = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, TOPIC)])
    entries = list(described.values())[0].result(timeout=15)
    for name, value in configs.items():
        if entries[name].value != value:
            fail(f"describe_configs: {name}={entries[name].value}, created with {value}")

    producer = Producer(
        {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5,
         "batch.size": 2000}
    )
    acked = {}
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
        else:
            acked[msg.offset()] = (msg.key(), msg.value())

    latest = {}
    for i in range(UPDATES):
        key = f"key-{i % KEYS}".encode()
        value = f"value-{i}".encode()
        producer.produce(TOPIC, key=key, value=value, on_delivery=on_delivery)
        latest[key] = value
        producer.poll(0)
    producer.flush(30)
    if errors or len(acked) != UPDATES:
        fail(f"{len(acked)} of {UPDATES} acknowledged; errors {errors[:3]}")

    refused = []
    producer.produce(TOPIC, value=b"no key", on_delivery=lambda err, msg: refused.append(err))
    producer.flush(30)
    if not refused or refused[0] is None or refused[0].code() != KafkaError.INVALID_RECORD:
        fail(f"keyless record on a compacted topic: {refused}")

    deadline = time.monotonic() + DEADLINE_S
    while True:
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                 consumer_timeout_ms=3000)
        tp = TopicPartition(TOPIC, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        end = consumer.end_offsets([tp])[tp]
        read = []
        for message in consumer:
            read.append((message.offset, message.key, message.value))
            if message.offset >= end - 1:
                break
        consumer.close()
        last_offset = -1
        seen = {}
        for offset, key, value in read:
            if offset <= last_offset:
                fail(f"offset {offset} after {last_offset}")
            last_offset = offset
            if acked.get(offset) != (key, value):
                fail(f"offset {offset} reads {(key, value)}, acknowledged {acked.get(offset)}")
            seen[key] = value
        if seen != latest:
            fail(f"latest values differ: {len(seen)} keys read, {len(latest)} written")
        if len(read) < UPDATES // 2:
            print(f"compaction: {len(read)} of {UPDATES} records remain after cleaning")
            return
        if time.monotonic() > deadline:
            fail(f"still {len(read)} of {UPDATES} records after {DEADLINE_S} s: the cleaner did not run")
        time.sleep(2)


if __name__ == "__main__":
    try:
        main()
    except KafkaException as e:
        fail(str(e))
