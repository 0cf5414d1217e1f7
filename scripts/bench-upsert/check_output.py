"""Compares the tables two upsert-kafka topics describe (the last value per key, a tombstone
removing its key): the output of Flink and of Spate for scripts/bench-upsert/group-by.sql.
Usage: check_output.py BOOTSTRAP TOPIC_A TOPIC_B. Prints the number of keys and records of each,
and exits 1 if the tables differ."""
import json
import sys

from confluent_kafka import Consumer, TopicPartition


def table(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-upsert-check",
                  "enable.auto.commit": False, "isolation.level": "read_committed",
                  "enable.partition.eof": True})
    parts = c.list_topics(topic, timeout=10).topics[topic].partitions
    c.assign([TopicPartition(topic, p, 0) for p in parts])
    rows, records, eof = {}, 0, 0
    while eof < len(parts):
        m = c.poll(5.0)
        if m is None:
            break
        if m.error():
            eof += 1
            continue
        records += 1
        key = json.loads(m.key())["user_id"]
        if m.value() is None:
            rows.pop(key, None)
        else:
            rows[key] = json.loads(m.value())
    c.close()
    return rows, records


a_rows, a_n = table(sys.argv[1], sys.argv[2])
b_rows, b_n = table(sys.argv[1], sys.argv[3])
print(f"{sys.argv[2]}: {len(a_rows)} keys from {a_n} records; {sys.argv[3]}: {len(b_rows)} keys from {b_n} records")
if a_rows != b_rows:
    diff = [k for k in set(a_rows) | set(b_rows) if a_rows.get(k) != b_rows.get(k)][:5]
    print("the tables differ, e.g.:", [(k, a_rows.get(k), b_rows.get(k)) for k in diff])
    sys.exit(1)
print("the tables are equal")
