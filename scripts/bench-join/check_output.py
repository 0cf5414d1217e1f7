"""Compares the tables two upsert-kafka topics describe (the last value per key, a tombstone
removing its key): the output of Flink and of Spate for scripts/bench-join/left-join.sql. Also
checks the table itself: one row per order, and a customer (name customer-ID) exactly for the
orders whose customer_id is below CUSTOMERS (the ids scripts/bench-join-vs-flink.sh generates).
Usage: check_output.py BOOTSTRAP TOPIC_A TOPIC_B CUSTOMERS ORDERS. Prints the keys, records and
tombstones of each and the rows with and without a customer; exits 1 if anything differs."""
import json
import sys

from confluent_kafka import Consumer, KafkaError, TopicPartition


def table(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-join-check",
                  "enable.auto.commit": False, "isolation.level": "read_committed",
                  "enable.partition.eof": True, "fetch.max.bytes": 64 << 20})
    parts = c.list_topics(topic, timeout=10).topics[topic].partitions
    c.assign([TopicPartition(topic, p, 0) for p in parts])
    rows, records, tombstones, left = {}, 0, 0, set(parts)
    while left:
        batch = c.consume(10000, 5.0)
        if not batch:
            break
        for m in batch:
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    left.discard(m.partition())
                    continue
                raise SystemExit(f"{topic}: {m.error()}")
            records += 1
            key = json.loads(m.key())["order_id"]
            v = m.value()
            if v is None:
                tombstones += 1
                rows.pop(key, None)
            else:
                rows[key] = json.loads(v)
    c.close()
    if left:
        raise SystemExit(f"{topic}: partitions {sorted(left)} not read to their end")
    return rows, records, tombstones


def check(name, rows, customers, orders):
    """Problems of one table on its own: missing orders, wrong customers."""
    problems = []
    if set(rows) != set(range(orders)):
        problems.append(f"{name}: {len(rows)} keys, not the order ids 0..{orders - 1}")
    for k, r in rows.items():
        want = f"customer-{r['customer_id']}" if r["customer_id"] < customers else None
        if r["order_id"] != k or r.get("name") != want or (want is None) != (r.get("region") is None):
            problems.append(f"{name}: row {r} under key {k}")
            break
    return problems


def main():
    bootstrap, a, b = sys.argv[1:4]
    customers, orders = int(sys.argv[4]), int(sys.argv[5])
    problems = []
    tables = []
    for topic in (a, b):
        rows, records, tombstones = table(bootstrap, topic)
        with_c = sum(1 for r in rows.values() if r.get("name") is not None)
        print(f"{topic}: {len(rows)} keys from {records} records ({tombstones} tombstones); "
              f"{with_c} rows with a customer, {len(rows) - with_c} without")
        problems += check(topic, rows, customers, orders)
        tables.append(rows)
    if tables[0] != tables[1]:
        diff = [k for k in set(tables[0]) | set(tables[1]) if tables[0].get(k) != tables[1].get(k)]
        problems.append(f"the tables differ in {len(diff)} keys, e.g. "
                        f"{[(k, tables[0].get(k), tables[1].get(k)) for k in diff[:3]]}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("the tables are equal, and as the generated data says")


if __name__ == "__main__":
    main()
