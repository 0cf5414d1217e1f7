"""confluent-kafka (librdkafka 2.16) consumer group against a running Spate broker.

Two Consumers in one group subscribe to a 4-partition topic. Once the group is stable, both
members must own partitions, disjoint and together covering all 4. Then records are produced and
must be consumed exactly once across the two members, each record by the member that owns its
partition; both members commit synchronously and close. The committed offsets (read back with
OffsetFetch from a fresh client) must equal the log-end offsets. A new consumer in the same group
(auto.offset.reset=earliest, so lost commits would show as re-read records) must then resume from
the committed offsets and get exactly the records produced after the first two left.
Exit code 0 on success; the reason on stderr otherwise.
"""

import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

TOPIC = "compat-confluent-group"
GROUP = "compat-confluent-group"
PARTITIONS = 4
FIRST_RECORDS = 400
SECOND_RECORDS = 120
DEADLINE_S = 40


def fail(msg: str) -> None:
    print(f"confluent-kafka group: {msg}", file=sys.stderr)
    sys.exit(1)


def produce(bootstrap: str, start: int, count: int) -> dict:
    """Produces `count` keyed records; returns {(partition, offset): value} as acknowledged."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    acked = {}
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            acked[(msg.partition(), msg.offset())] = msg.value()

    for i in range(start, start + count):
        producer.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode(), on_delivery=on_delivery)
        producer.poll(0)
    remaining = producer.flush(20)
    if remaining or errors or len(acked) != count:
        fail(f"produce: {remaining} undelivered, {len(acked)} acked of {count}, errors {errors[:3]}")
    return acked


class Member:
    """One group member and what it was assigned and read."""

    def __init__(self, bootstrap: str, name: str):
        self.name = name
        self.assigned = set()
        self.read = {}  # (partition, offset) -> value
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": GROUP,
                "client.id": name,
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )

    def on_assign(self, _consumer, partitions):
        self.assigned = {tp.partition for tp in partitions}

    def on_revoke(self, _consumer, _partitions):
        self.assigned = set()

    def subscribe(self):
        self.consumer.subscribe([TOPIC], on_assign=self.on_assign, on_revoke=self.on_revoke)

    def poll(self, timeout: float) -> None:
        msg = self.consumer.poll(timeout)
        if msg is None:
            return
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                return
            fail(f"{self.name}: consumer error {msg.error()}")
        key = (msg.partition(), msg.offset())
        if key in self.read:
            fail(f"{self.name}: read {key} twice")
        if msg.partition() not in self.assigned:
            fail(f"{self.name}: read partition {msg.partition()}, assigned {sorted(self.assigned)}")
        self.read[key] = msg.value()


def log_end_offsets(consumer: Consumer) -> dict:
    return {
        p: consumer.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=10)[1]
        for p in range(PARTITIONS)
    }


def main() -> None:
    bootstrap = sys.argv[1]
    deadline = time.monotonic() + DEADLINE_S

    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [NewTopic(TOPIC, num_partitions=PARTITIONS, replication_factor=1)], operation_timeout=10
    )
    futures[TOPIC].result(timeout=15)

    members = [Member(bootstrap, "member-a"), Member(bootstrap, "member-b")]
    for m in members:
        m.subscribe()

    # Wait for a stable group: both members own partitions, disjoint, covering all.
    started = time.monotonic()
    while True:
        if time.monotonic() > deadline:
            fail(f"group never stable: {[sorted(m.assigned) for m in members]}")
        for m in members:
            m.poll(0.05)
        a, b = members[0].assigned, members[1].assigned
        if a and b and not (a & b) and (a | b) == set(range(PARTITIONS)):
            break
    print(
        f"stable after {time.monotonic() - started:.2f} s: "
        f"{members[0].name} {sorted(a)}, {members[1].name} {sorted(b)}"
    )

    acked = produce(bootstrap, 0, FIRST_RECORDS)
    while sum(len(m.read) for m in members) < FIRST_RECORDS:
        if time.monotonic() > deadline:
            fail(f"timed out: read {[len(m.read) for m in members]} of {FIRST_RECORDS}")
        for m in members:
            m.poll(0.05)
    # A little more polling: any further record is a duplicate or was never produced.
    settle = time.monotonic() + 0.5
    while time.monotonic() < settle:
        for m in members:
            m.poll(0.05)
    if set(members[0].read) & set(members[1].read):
        fail("both members read the same (partition, offset)")
    read = {**members[0].read, **members[1].read}
    if read != acked:
        missing = sorted(set(acked) - set(read))[:5]
        extra = sorted(set(read) - set(acked))[:5]
        fail(f"consumed set differs from produced: missing {missing}, extra {extra}")
    for m in members:
        if not m.read:
            fail(f"{m.name} consumed nothing")
        m.consumer.commit(asynchronous=False)
    print(f"{FIRST_RECORDS} records consumed exactly once: "
          f"{members[0].name} {len(members[0].read)}, {members[1].name} {len(members[1].read)}")
    for m in members:
        m.consumer.close()

    # OffsetFetch from a client that has not joined: committed == log end for every partition.
    checker = Consumer({"bootstrap.servers": bootstrap, "group.id": GROUP})
    committed = checker.committed([TopicPartition(TOPIC, p) for p in range(PARTITIONS)], timeout=10)
    committed = {tp.partition: tp.offset for tp in committed}
    ends = log_end_offsets(checker)
    checker.close()
    if committed != ends:
        fail(f"committed offsets {committed} != log-end offsets {ends}")
    print(f"committed offsets {committed} equal the log-end offsets")

    newer = produce(bootstrap, FIRST_RECORDS, SECOND_RECORDS)
    resumed = Member(bootstrap, "member-c")
    resumed.subscribe()
    while len(resumed.read) < SECOND_RECORDS:
        if time.monotonic() > deadline:
            fail(f"resume timed out: read {len(resumed.read)} of {SECOND_RECORDS}")
        resumed.poll(0.1)
    settle = time.monotonic() + 0.5
    while time.monotonic() < settle:
        resumed.poll(0.05)
    resumed.consumer.close()
    if resumed.read != newer:
        old = sorted(set(resumed.read) & set(acked))[:5]
        fail(f"resumed consumer read {len(resumed.read)} records, expected the {SECOND_RECORDS} "
             f"newer ones; already-committed records re-read: {old}")
    print(f"a new member resumed from the committed offsets: {SECOND_RECORDS} newer records only")


if __name__ == "__main__":
    main()
