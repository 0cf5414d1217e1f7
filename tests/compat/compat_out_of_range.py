"""A consumer whose position is outside the log (past its end) must apply auto.offset.reset.

Before the fix the broker answered OFFSET_OUT_OF_RANGE with a null record set, which librdkafka
(confluent-kafka, kcat) rejects as a parse failure and retries forever, reading nothing.
confluent-kafka and kafka-python each start at offset 1,000,000 of a 20-record topic with
auto.offset.reset=earliest and must read all 20 records. Exit code 0 on success.
"""

import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from kafka import KafkaConsumer
from kafka import TopicPartition as KpTopicPartition

TOPIC = "compat-out-of-range"
RECORDS = 20
FAR = 1_000_000
DEADLINE_S = 20


def fail(msg: str) -> None:
    print(f"out-of-range: {msg}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    bootstrap = sys.argv[1]
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for i in range(RECORDS):
        producer.produce(TOPIC, value=f"v{i}".encode())
    if producer.flush(15) != 0:
        fail("records not delivered")

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "compat-out-of-range",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.assign([TopicPartition(TOPIC, 0, FAR)])
    got = []
    deadline = time.time() + DEADLINE_S
    while len(got) < RECORDS and time.time() < deadline:
        m = consumer.poll(0.2)
        if m is not None and m.error() is None:
            got.append(m.value().decode())
    consumer.close()
    if got != [f"v{i}" for i in range(RECORDS)]:
        fail(f"confluent-kafka read {len(got)} of {RECORDS} records after an out-of-range start: {got[:5]}")

    kp = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    tp = KpTopicPartition(TOPIC, 0)
    kp.assign([tp])
    kp.seek(tp, FAR)
    got = []
    deadline = time.time() + DEADLINE_S
    while len(got) < RECORDS and time.time() < deadline:
        for records in kp.poll(timeout_ms=200).values():
            got.extend(r.value.decode() for r in records)
    kp.close()
    if got != [f"v{i}" for i in range(RECORDS)]:
        fail(f"kafka-python read {len(got)} of {RECORDS} records after an out-of-range start")
    print(f"confluent-kafka and kafka-python reset from offset {FAR} to earliest and read {RECORDS} records")


if __name__ == "__main__":
    main()
