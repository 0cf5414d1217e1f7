"""confluent-kafka (librdkafka 2.16) transactional producer against a running Spate broker.

A Producer with a transactional.id writes three transactions to a 2-partition topic: the first is
committed, the second aborted (after its records are flushed, so they are in the log), the third
committed, so the aborted records sit between committed ones. A read_committed Consumer (assign,
no group) must see exactly the committed records; a read_uncommitted Consumer must see the
committed and the aborted ones. Neither may see anything else (control records are not
delivered to applications). Exit code 0 on success; the reason on stderr otherwise.
"""

import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

TOPIC = "compat-confluent-txn"
PARTITIONS = 2
PER_TXN = 60
DEADLINE_S = 30


def fail(msg: str) -> None:
    print(f"confluent-kafka txn: {msg}", file=sys.stderr)
    sys.exit(1)


def read_all(bootstrap: str, isolation: str) -> list:
    """Every value in the topic as `isolation` sees it, up to end of partition on each."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"compat-txn-{isolation}-unused",  # required by the client; assign() only
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": isolation,
        }
    )
    consumer.assign([TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    values = []
    eof = set()
    deadline = time.monotonic() + DEADLINE_S / 2
    while len(eof) < PARTITIONS:
        if time.monotonic() > deadline:
            fail(f"{isolation}: timed out, read {len(values)}, end of partition on {sorted(eof)}")
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                eof.add(msg.partition())
                continue
            fail(f"{isolation}: consumer error {msg.error()}")
        eof.discard(msg.partition())
        values.append(msg.value().decode())
    consumer.close()
    return values


def main() -> None:
    bootstrap = sys.argv[1]

    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [NewTopic(TOPIC, num_partitions=PARTITIONS, replication_factor=1)], operation_timeout=10
    )
    futures[TOPIC].result(timeout=15)

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "transactional.id": "compat-confluent-txn",
            "linger.ms": 5,
        }
    )
    errors = []

    def on_delivery(err, _msg):
        if err is not None:
            errors.append(str(err))

    producer.init_transactions(15)
    outcome = {}  # value -> "commit" | "abort"
    for txn, action in enumerate(["commit", "abort", "commit"]):
        producer.begin_transaction()
        for i in range(PER_TXN):
            value = f"txn{txn}-{action}-{i}"
            producer.produce(TOPIC, key=f"k{i}".encode(), value=value.encode(), on_delivery=on_delivery)
            outcome[value] = action
            producer.poll(0)
        # Flush first so the aborted records really are in the log, not purged client-side.
        if producer.flush(15):
            fail(f"transaction {txn}: records still undelivered after 15 s")
        if action == "commit":
            producer.commit_transaction(15)
        else:
            producer.abort_transaction(15)
    if errors:
        fail(f"delivery errors: {errors[:3]}")

    committed = sorted(v for v, a in outcome.items() if a == "commit")
    everything = sorted(outcome)

    rc = read_all(bootstrap, "read_committed")
    if len(rc) != len(set(rc)):
        fail("read_committed saw a record twice")
    if sorted(rc) != committed:
        aborted_seen = sorted(v for v in rc if outcome.get(v) == "abort")[:3]
        missing = sorted(set(committed) - set(rc))[:3]
        fail(f"read_committed saw {len(rc)} records, expected {len(committed)}; "
             f"aborted visible: {aborted_seen}; committed missing: {missing}")
    print(f"read_committed: exactly the {len(committed)} committed records")

    ru = read_all(bootstrap, "read_uncommitted")
    if sorted(ru) != everything:
        missing = sorted(set(everything) - set(ru))[:3]
        fail(f"read_uncommitted saw {len(ru)} records, expected {len(everything)}; missing {missing}")
    print(f"read_uncommitted: all {len(everything)} records, aborted ones included")


if __name__ == "__main__":
    main()
