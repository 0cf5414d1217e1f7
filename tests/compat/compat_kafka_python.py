"""kafka-python (pure Python protocol implementation) against a running Spate broker.

KafkaAdminClient creates a 2-partition topic, list_topics sees it, a KafkaProducer with
acks=all sends keyed gzip-compressed records, and a KafkaConsumer using assign() plus
seek_to_beginning() (no consumer group) reads them back. Every record read must match what the
broker acknowledged at the same (partition, offset). The consumer fetches in an incremental fetch
session (KIP-227): the broker must create one, answer incremental requests in it, and never send
a response kafka-python finds invalid. Exit code 0 on success.
"""

import logging
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

TOPIC = "compat-kafka-python"
PARTITIONS = 2
RECORDS = 400
DEADLINE_S = 45


def fail(msg: str) -> None:
    print(f"kafka-python: {msg}", file=sys.stderr)
    sys.exit(1)


class FetchSessionLog(logging.Handler):
    """Counts what kafka-python's fetch session handler logs (kafka-python 3.0's wording)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.created = 0
        self.incremental = 0
        self.problems = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if "created a new incremental fetch session" in text:
            self.created += 1
        elif "sent an incremental fetch response for session" in text:
            self.incremental += 1
        elif "unable to process the fetch request" in text or "sent an invalid" in text:
            self.problems.append(text)


def main() -> None:
    bootstrap = sys.argv[1]
    sessions = FetchSessionLog()
    fetcher_log = logging.getLogger("kafka.consumer.fetcher")
    fetcher_log.setLevel(logging.DEBUG)
    fetcher_log.addHandler(sessions)

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="compat-admin")
    admin.create_topics([NewTopic(TOPIC, num_partitions=PARTITIONS, replication_factor=1)])
    topics = admin.list_topics()
    if TOPIC not in topics:
        fail(f"list_topics does not show {TOPIC}: {sorted(topics)}")
    described = admin.describe_topics([TOPIC])
    seen_partitions = len(described[0]["partitions"])
    if seen_partitions != PARTITIONS:
        fail(f"describe_topics shows {seen_partitions} partitions, created {PARTITIONS}")
    admin.close()

    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", compression_type="gzip", linger_ms=5
    )
    pending = []
    for i in range(RECORDS):
        key = f"key-{i % 37}".encode()
        value = f"value-{i}-".encode() + b"x" * (i % 97)
        pending.append((key, value, producer.send(TOPIC, key=key, value=value)))
    producer.flush(timeout=30)
    acked = {}
    for key, value, future in pending:
        meta = future.get(timeout=30)
        acked[(meta.partition, meta.offset)] = (key, value)
    producer.close()
    if len(acked) != RECORDS:
        fail(f"{len(acked)} distinct (partition, offset) acknowledged for {RECORDS} records")

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    consumer.assign([TopicPartition(TOPIC, p) for p in range(PARTITIONS)])
    consumer.seek_to_beginning()
    read = {}
    deadline = time.monotonic() + DEADLINE_S
    while len(read) < RECORDS:
        if time.monotonic() > deadline:
            fail(f"timed out: read {len(read)} of {RECORDS} records")
        for tp, records in consumer.poll(timeout_ms=500).items():
            for r in records:
                read[(tp.partition, r.offset)] = (r.key, r.value)
    # More polls, until the session has answered an incremental request (a long poll with
    # nothing new): anything beyond what was acknowledged is an error too.
    polls = 0
    while polls < 2 or (sessions.incremental == 0 and time.monotonic() < deadline):
        polls += 1
        for tp, records in consumer.poll(timeout_ms=500).items():
            for r in records:
                read[(tp.partition, r.offset)] = (r.key, r.value)
    consumer.close()

    if read != acked:
        missing = sorted(set(acked) - set(read))[:5]
        extra = sorted(set(read) - set(acked))[:5]
        differ = [k for k in acked if k in read and acked[k] != read[k]][:5]
        fail(f"read back differs: missing {missing}, extra {extra}, different {differ}")
    if sessions.problems:
        fail(f"fetch session problems: {sessions.problems[:3]}")
    if sessions.created == 0 or sessions.incremental == 0:
        fail(
            f"no incremental fetch session used: {sessions.created} created, "
            f"{sessions.incremental} incremental responses"
        )
    print(
        f"kafka-python: {RECORDS} records over {PARTITIONS} partitions round-tripped "
        f"(fetch sessions: {sessions.created} created, {sessions.incremental} incremental responses)"
    )


if __name__ == "__main__":
    main()
