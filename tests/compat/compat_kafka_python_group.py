"""kafka-python (pure Python protocol implementation) consumer group against a running Spate broker.

A KafkaProducer writes keyed records to a 2-partition topic; a KafkaConsumer with a group_id
subscribes (JoinGroup/SyncGroup/Heartbeat through kafka-python's own coordinator code), reads
every record exactly once, commits synchronously, checks its committed offsets equal the
log-end offsets, and closes (LeaveGroup). run.sh then checks `spate groups describe` reports lag
0 for this group. Exit code 0 on success; the reason on stderr otherwise.
Usage: compat_kafka_python_group.py BOOTSTRAP TOPIC GROUP
"""

import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

PARTITIONS = 2
RECORDS = 300
DEADLINE_S = 40


def fail(msg: str) -> None:
    print(f"kafka-python group: {msg}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
    deadline = time.monotonic() + DEADLINE_S

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="compat-admin-group")
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    admin.close()

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    futures = [
        producer.send(topic, key=f"k{i % 17}".encode(), value=f"v{i}".encode())
        for i in range(RECORDS)
    ]
    producer.flush(timeout=30)
    acked = {}
    for i, future in enumerate(futures):
        meta = future.get(timeout=30)
        acked[(meta.partition, meta.offset)] = f"v{i}".encode()
    producer.close()

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    consumer.subscribe([topic])
    read = {}
    while len(read) < RECORDS:
        if time.monotonic() > deadline:
            fail(f"timed out: read {len(read)} of {RECORDS}; assignment {consumer.assignment()}")
        for tp, records in consumer.poll(timeout_ms=500).items():
            for r in records:
                key = (tp.partition, r.offset)
                if key in read:
                    fail(f"read {key} twice")
                read[key] = r.value
    for tp, records in consumer.poll(timeout_ms=300).items():
        for r in records:
            read[(tp.partition, r.offset)] = r.value
    if read != acked:
        missing = sorted(set(acked) - set(read))[:5]
        extra = sorted(set(read) - set(acked))[:5]
        fail(f"consumed set differs from produced: missing {missing}, extra {extra}")
    assignment = sorted(tp.partition for tp in consumer.assignment())
    if assignment != list(range(PARTITIONS)):
        fail(f"single member assigned {assignment}, expected all {PARTITIONS} partitions")

    consumer.commit()
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    ends = consumer.end_offsets(tps)
    for tp in tps:
        committed = consumer.committed(tp)
        if committed != ends[tp]:
            fail(f"partition {tp.partition}: committed {committed}, log end {ends[tp]}")
    consumer.close()
    print(f"kafka-python group: {RECORDS} records consumed and committed "
          f"({ {tp.partition: ends[tp] for tp in tps} })")


if __name__ == "__main__":
    main()
