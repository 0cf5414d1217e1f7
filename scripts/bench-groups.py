#!/usr/bin/env python3
"""Consumer-group and transaction benchmarks (issue 3) against a started Spate broker.

Builds nothing and starts nothing: start a release broker first, then point this at it.

    cargo build --release -p spate
    target/release/spate broker --listen 127.0.0.1:0 --data-dir "$(mktemp -d)" &
    # prints: spate broker listening on HOST:PORT (data dir D)
    .tools/venv/bin/python scripts/bench-groups.py HOST:PORT [--runs 5] [--txn-seconds 10]
        [--txn-rounds 2] [--only join,leave,coop,txn]

Uses confluent-kafka (librdkafka 2.16) from the venv made by scripts/install-deps.sh, with
librdkafka defaults unless a line below says otherwise. Works against any Kafka-compatible broker.

join   3 consumers, each on its own thread, subscribe to a 6-partition topic at the same moment
       (a barrier) in a fresh group. Per member: time from its subscribe() call to its first
       on_assign callback; a run reports the max over the 3, and also the time until the group is
       stable (3 non-empty, disjoint assignments covering all partitions). Median of --runs fresh
       groups. The poll loop uses poll(0.01), so callbacks are served within ~10 ms.
leave  In each of those stable 3-member groups, one member calls close() after a random 0.5-3.5 s
       pause (so the close lands at a random phase of the others' heartbeat timers: with the eager
       protocol the remaining members learn of the rebalance from a heartbeat answer, every
       heartbeat.interval.ms = 3 s by default); time from the close() call to the moment the 2
       remaining members' assignments cover all 6 partitions again. Median of --runs.
       --consumer-conf k=v (repeatable) adds client settings to every member, e.g.
       heartbeat.interval.ms=100 to see the broker's part without the heartbeat wait.
coop   join, with partition.assignment.strategy=cooperative-sticky (assignments tracked
       incrementally), median of --runs.
txn    One producer, 100-byte values, 1-partition topics (a fresh one per measurement):
       idempotent (enable.idempotence=true) producing as fast as possible for --txn-seconds then
       flush(); and transactional (transactional.id) with one transaction per 100 ms: begin,
       produce as fast as possible for 100 ms, flush(), commit_transaction(), repeat for
       --txn-seconds. Rounds alternate idempotent / transactional (--txn-rounds); msgs/s =
       acknowledged records / wall time including the final flush or commit. Reports the ratio of
       the totals. Delivery reports are error-only (delivery.report.only.error) to keep the Python
       loop cheap; any delivery error fails the run.
"""

import argparse
import random
import statistics
import sys
import threading
import time
import uuid

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

GROUP_PARTITIONS = 6
MEMBERS = 3
WAIT_S = 60


def create_topic(admin: AdminClient, name: str, partitions: int) -> None:
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=1)], operation_timeout=10
    )
    futures[name].result(timeout=15)


class Member:
    """A group member polled by its own thread; records its assignment over time."""

    def __init__(self, bootstrap: str, group: str, topic: str, cooperative: bool, extra: dict):
        conf = {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False}
        conf.update(extra)
        if cooperative:
            conf["partition.assignment.strategy"] = "cooperative-sticky"
        self.consumer = Consumer(conf)
        self.topic = topic
        self.cooperative = cooperative
        self.assigned = set()
        self.subscribed_at = None
        self.first_assign_at = None
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = None

    def _on_assign(self, _c, partitions):
        now = time.monotonic()
        with self.lock:
            parts = {tp.partition for tp in partitions}
            self.assigned = (self.assigned | parts) if self.cooperative else parts
            if self.first_assign_at is None:
                self.first_assign_at = now

    def _on_revoke(self, _c, partitions):
        with self.lock:
            if self.cooperative:
                self.assigned -= {tp.partition for tp in partitions}
            else:
                self.assigned = set()

    def start(self, barrier: threading.Barrier) -> None:
        def run():
            barrier.wait()
            self.subscribed_at = time.monotonic()
            self.consumer.subscribe([self.topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
            while not self.stop.is_set():
                msg = self.consumer.poll(0.01)
                if msg is not None and msg.error():
                    print(f"consumer error: {msg.error()}", file=sys.stderr)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def snapshot(self) -> set:
        with self.lock:
            return set(self.assigned)

    def close(self) -> float:
        """Stops polling and closes; returns the monotonic time close() was called."""
        self.stop.set()
        self.thread.join()
        called = time.monotonic()
        self.consumer.close()
        return called


def covers_all(members) -> bool:
    sets = [m.snapshot() for m in members]
    union = set().union(*sets)
    return all(sets) and sum(len(s) for s in sets) == len(union) == GROUP_PARTITIONS


def wait_until(cond, what: str) -> float:
    deadline = time.monotonic() + WAIT_S
    while not cond():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {WAIT_S} s waiting for {what}")
        time.sleep(0.002)
    return time.monotonic()


def group_run(bootstrap: str, topic: str, cooperative: bool, measure_leave: bool, extra: dict):
    """One fresh group: (max subscribe->first on_assign, subscribe->stable, close->rebalanced)."""
    group = f"bench-group-{uuid.uuid4().hex[:10]}"
    members = [Member(bootstrap, group, topic, cooperative, extra) for _ in range(MEMBERS)]
    barrier = threading.Barrier(MEMBERS)
    for m in members:
        m.start(barrier)
    stable_at = wait_until(lambda: covers_all(members), "a stable 3-member group")
    wait_until(lambda: all(m.first_assign_at for m in members), "first assignments")
    first = max(m.first_assign_at - m.subscribed_at for m in members)
    stable = stable_at - min(m.subscribed_at for m in members)
    leave = None
    if measure_leave:
        # Let the group settle (no rebalance in flight), then leave at a random heartbeat phase.
        time.sleep(random.uniform(0.5, 3.5))
        leaving, rest = members[0], members[1:]
        called = leaving.close()
        done = wait_until(lambda: covers_all(rest), "the 2 remaining members to cover all partitions")
        leave = done - called
        members = rest
    for m in members:
        m.close()
    return first, stable, leave


def fmt_s(values) -> str:
    return ", ".join(f"{v * 1000:.0f}" for v in values) + " ms"


def bench_groups(bootstrap, admin, runs: int, cooperative: bool, leave: bool, extra: dict) -> None:
    topic = f"bench-groups-{uuid.uuid4().hex[:8]}"
    create_topic(admin, topic, GROUP_PARTITIONS)
    label = "cooperative-sticky" if cooperative else "default assignors (range,roundrobin)"
    if extra:
        label += ", " + ", ".join(f"{k}={v}" for k, v in extra.items())
    firsts, stables, leaves = [], [], []
    for _ in range(runs):
        first, stable, left = group_run(bootstrap, topic, cooperative, leave, extra)
        firsts.append(first)
        stables.append(stable)
        if left is not None:
            leaves.append(left)
    print(f"join, {label}, {MEMBERS} members, {GROUP_PARTITIONS} partitions, {runs} fresh groups:")
    print(f"  subscribe -> first on_assign (max of {MEMBERS}): median "
          f"{statistics.median(firsts) * 1000:.0f} ms  [{fmt_s(firsts)}]")
    print(f"  subscribe -> group stable (all {MEMBERS} assigned, covering): median "
          f"{statistics.median(stables) * 1000:.0f} ms  [{fmt_s(stables)}]")
    if leaves:
        print(f"leave, {label}: close() -> 2 remaining members cover all partitions: median "
              f"{statistics.median(leaves) * 1000:.0f} ms  [{fmt_s(leaves)}]")
    sys.stdout.flush()


VALUE = b"x" * 100


class Errors:
    def __init__(self):
        self.count = 0
        self.first = None

    def __call__(self, err, _msg):
        if err is not None:
            self.count += 1
            self.first = self.first or str(err)


def produce_for(producer: Producer, topic: str, until: float) -> int:
    """Produces VALUE as fast as the client accepts until `until`; returns records produced."""
    n = 0
    while True:
        for _ in range(500):
            try:
                producer.produce(topic, VALUE)
                n += 1
            except BufferError:
                producer.poll(0.001)
        producer.poll(0)
        if time.monotonic() >= until:
            return n


def run_idempotent(bootstrap: str, topic: str, seconds: float) -> float:
    errors = Errors()
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                  "delivery.report.only.error": True, "on_delivery": errors})
    start = time.monotonic()
    n = produce_for(p, topic, start + seconds)
    if p.flush(60):
        raise RuntimeError("idempotent: records undelivered 60 s after the run")
    elapsed = time.monotonic() - start
    if errors.count:
        raise RuntimeError(f"idempotent: {errors.count} delivery errors, first: {errors.first}")
    return n / elapsed


def run_transactional(bootstrap: str, topic: str, seconds: float):
    errors = Errors()
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"bench-{uuid.uuid4().hex[:8]}",
                  "delivery.report.only.error": True, "on_delivery": errors})
    p.init_transactions(30)
    start = time.monotonic()
    end = start + seconds
    n = 0
    commits = []
    while time.monotonic() < end:
        p.begin_transaction()
        n += produce_for(p, topic, min(time.monotonic() + 0.1, end))
        # commit_transaction() flushes first; flushing explicitly splits its time into waiting
        # for the records' acks=all replies and the EndTxn round trip (markers written).
        c = time.monotonic()
        if p.flush(60):
            raise RuntimeError("transactional: records undelivered 60 s after the transaction")
        f = time.monotonic()
        p.commit_transaction(60)
        commits.append((f - c, time.monotonic() - f))
    elapsed = time.monotonic() - start
    if errors.count:
        raise RuntimeError(f"transactional: {errors.count} delivery errors, first: {errors.first}")
    return n / elapsed, len(commits), commits


def bench_txn(bootstrap: str, admin: AdminClient, seconds: float, rounds: int) -> None:
    idem, txn = [], []
    for r in range(rounds):
        topic = f"bench-idem-{uuid.uuid4().hex[:8]}"
        create_topic(admin, topic, 1)
        rate = run_idempotent(bootstrap, topic, seconds)
        idem.append(rate)
        print(f"round {r + 1}: idempotent    {rate:,.0f} msgs/s")
        topic = f"bench-txn-{uuid.uuid4().hex[:8]}"
        create_topic(admin, topic, 1)
        rate, count, commits = run_transactional(bootstrap, topic, seconds)
        txn.append(rate)
        flushes = sorted(c[0] for c in commits)
        ends = sorted(c[1] for c in commits)
        print(f"round {r + 1}: transactional {rate:,.0f} msgs/s ({count} transactions; "
              f"per commit: flush p50 {statistics.median(flushes) * 1000:.1f} ms "
              f"(max {flushes[-1] * 1000:.1f}), commit_transaction() after the flush p50 "
              f"{statistics.median(ends) * 1000:.1f} ms (max {ends[-1] * 1000:.1f}))")
        sys.stdout.flush()
    mi, mt = statistics.mean(idem), statistics.mean(txn)
    print(f"txn: 100 B, 1 partition, {seconds:g} s x {rounds} rounds each: idempotent mean "
          f"{mi:,.0f} msgs/s, transactional (1 txn / 100 ms) mean {mt:,.0f} msgs/s, "
          f"ratio {mt / mi:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bootstrap")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--txn-seconds", type=float, default=10.0)
    ap.add_argument("--txn-rounds", type=int, default=2)
    ap.add_argument("--only", default="join,leave,coop,txn")
    ap.add_argument("--consumer-conf", action="append", default=[], metavar="K=V")
    args = ap.parse_args()
    extra = dict(kv.split("=", 1) for kv in args.consumer_conf)
    only = set(args.only.split(","))
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    try:
        if only & {"join", "leave"}:
            bench_groups(args.bootstrap, admin, args.runs, False, "leave" in only, extra)
        if "coop" in only:
            bench_groups(args.bootstrap, admin, args.runs, True, False, extra)
        if "txn" in only:
            bench_txn(args.bootstrap, admin, args.txn_seconds, args.txn_rounds)
    except (RuntimeError, KafkaException) as e:
        print(f"bench-groups: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
