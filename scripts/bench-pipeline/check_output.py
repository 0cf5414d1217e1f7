"""Reads a window-count output topic to its end (read_committed) and prints how many results
it holds, the sum of their counts and how many (key, window_end) pairs came more than once, so a
side-by-side run shows that every system did the whole job.
Usage: check_output.py BOOTSTRAP TOPIC"""
import json
import sys

from confluent_kafka import Consumer, KafkaError, TopicPartition


def main() -> None:
    bootstrap, topic = sys.argv[1], sys.argv[2]
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"check-{topic}",
        "isolation.level": "read_committed",
        "enable.partition.eof": True,
        "enable.auto.commit": False,
    })
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    left = set(partitions)
    results, total, seen, repeated = 0, 0, set(), 0
    while left:
        m = consumer.poll(10)
        if m is None:
            break
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                left.discard(m.partition())
                continue
            raise SystemExit(f"consume error: {m.error()}")
        v = json.loads(m.value())
        key = (m.key(), v["window_end"])
        repeated += key in seen
        seen.add(key)
        results += 1
        total += v["cnt"]
    consumer.close()
    print(f"{topic}: {results} results, counts sum to {total}, {repeated} repeated windows")


if __name__ == "__main__":
    main()
