#!/usr/bin/env python3
"""One job on several processes (issue 45): throughput on 1, 2 and 3 processes, the repartition
topics' cost, and the recovery time after kill -9 against the state size.

Starts its own `spate broker` (release binary unless --spate) in a temporary directory.

    cargo build --release -p spate
    python3 scripts/bench-distributed.py [--lines 5000000] [--only scale,recovery]

scale     `spate example word-count --bounded --parallelism 3` (two stages of three tasks) over
          --lines generated lines in a 6-partition topic: once in one process without
          --distributed (in-process exchanges), then with --distributed on 1, 2 and 3 processes
          started together (static members). Per run: wall time until the last process exits,
          CPU seconds (user + sys) of the job processes and of the broker, CPU-s per million
          lines, and the repartition topic's bytes on disk per input line.
recovery  `spate sql --distributed` on 2 processes (10 s session timeout): an updating GROUP
          BY over K distinct keys (--keys, default 10000,100000,1000000) read from a
          4-partition topic; once both caught up, one is killed with SIGKILL and (a) started
          again at once with its instance id, or (b) not: the other takes its tasks over when
          its session times out. Reports the state (the changelog topics' bytes on disk) and the
          time from the kill until every task the killed process owned committed a newer
          checkpoint (read with `spate jobs group --json`, polled every 50 ms): restore from the
          changelog included.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TICKS = os.sysconf("SC_CLK_TCK")
# The broker's data directory (topic sizes are read from it).
BROKER_DATA = []


def cpu_seconds(pid):
    """user + sys CPU seconds of a live process (and its reaped children)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / TICKS


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def topic_bytes(data_dir, prefix):
    """Bytes on disk of every partition directory of topics starting with prefix."""
    total = 0
    for root, dirs, _ in os.walk(data_dir):
        for d in dirs:
            if re.fullmatch(re.escape(prefix) + r".*-\d+", d):
                total += dir_bytes(os.path.join(root, d))
    return total


class Broker:
    def __init__(self, spate, work):
        self.data = os.path.join(work, "broker")
        self.log = open(os.path.join(work, "broker.log"), "w")
        self.proc = subprocess.Popen(
            [spate, "broker", "--listen", "127.0.0.1:0", "--data-dir", self.data],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        line = self.proc.stdout.readline()
        m = re.search(r"listening on (\S+)", line)
        if not m:
            sys.exit(f"broker did not start: {line!r}")
        self.addr = m.group(1)

    def cpu(self):
        return cpu_seconds(self.proc.pid)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def timed(cmd, log_path):
    """Starts cmd under /usr/bin/time; returns (Popen, path of its time output)."""
    out = log_path + ".time"
    proc = subprocess.Popen(
        ["/usr/bin/time", "-f", "%e %U %S", "-o", out] + cmd,
        stdout=subprocess.DEVNULL,
        stderr=open(log_path, "w"),
    )
    return proc, out


def read_time(path):
    wall, user, sys_ = open(path).read().split()[-3:]
    return float(wall), float(user) + float(sys_)


def scale(args, spate, broker, work):
    addr = broker.addr
    base = [spate, "example", "word-count", "--bootstrap", addr, "--bounded"]
    base += ["--partitions", "6", "--parallelism", "3", "--input", "words"]
    base += ["--checkpoint-interval", "1s"]
    gen = subprocess.run(
        base + ["--generate", str(args.lines), "--output", "gen", "--group", "gen"]
        + ["--checkpoint-dir", os.path.join(work, "gen")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if gen.returncode != 0:
        sys.exit(f"generating the input failed: {gen.stderr}")
    input_bytes = topic_bytes(broker.data, "words")
    print(f"input: {args.lines} lines, {input_bytes / args.lines:.1f} B per line on disk")
    print("| binary | run | wall | job CPU (user + sys) | CPU-s per M lines | broker CPU | repartition B per line |")
    print("|---|---|---|---|---|---|---|")
    binaries = [("A", spate)] + ([("B", args.compare)] if args.compare else [])
    for run, n, (which, binary) in [
        (run, n, b) for run in range(args.runs) for n in [0, 1, 2, 3] for b in binaries
    ]:
            base[0] = binary
            name = f"r{run}-n{n}-{which}"
            extra = ["--output", f"out-{name}", "--group", f"src-{name}"]
            broker_before = broker.cpu()
            started = time.monotonic()
            procs = []
            for i in range(max(n, 1)):
                cmd = base + extra + ["--checkpoint-dir", os.path.join(work, f"{name}-{i}")]
                if n > 0:
                    cmd += ["--distributed", f"g-{name}", "--instance-id", f"p{i}"]
                    cmd += ["--session-timeout", "10s"]
                procs.append(timed(cmd, os.path.join(work, f"{name}-{i}.log")))
            cpu = 0.0
            for proc, out in procs:
                if proc.wait() != 0:
                    sys.exit(f"{name} failed; see {work}")
                cpu += read_time(out)[1]
            wall = time.monotonic() - started
            broker_cpu = broker.cpu() - broker_before
            label = "one process, in-process exchanges" if n == 0 else f"--distributed, {n} process{'es' if n > 1 else ''}"
            repartition = topic_bytes(broker.data, f"g-{name}-exchange-") / args.lines if n else 0
            print(
                f"| {which} | {label} | {wall:.2f} s | {cpu:.2f} s | {cpu * 1e6 / args.lines:.2f} | "
                f"{broker_cpu:.2f} s | {repartition:.1f} |",
                flush=True,
            )


def group_status(spate, addr, group):
    out = subprocess.run(
        [spate, "jobs", "group", group, "--json", "--bootstrap", addr],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        return None
    return json.loads(out.stdout)


def produce_keys(spate, addr, topic, records, keys):
    subprocess.run([spate, "topics", "create", topic, "--partitions", "4", "--bootstrap", addr],
                   check=True, stdout=subprocess.DEVNULL)
    p = subprocess.Popen([spate, "produce", topic, "--bootstrap", addr, "--acks", "1"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    chunk = []
    for i in range(records):
        chunk.append(f'{{"k":{(i * 2654435761) % keys},"v":{i}}}\n')
        if len(chunk) == 10000:
            p.stdin.write("".join(chunk))
            chunk = []
    p.stdin.write("".join(chunk))
    p.stdin.close()
    if p.wait() != 0:
        sys.exit("producing failed")


def recovery(args, spate, broker, work):
    addr = broker.addr
    print("| distinct keys | changelog at the kill | restarted at once | taken over by the other |")
    print("|---|---|---|---|")
    for keys in [int(k) for k in args.keys.split(",")]:
        topic = f"keys-{keys}"
        records = max(2 * keys, 2_000_000)
        produce_keys(spate, addr, topic, records, keys)
        script = os.path.join(work, f"{topic}.sql")
        with open(script, "w") as f:
            f.write(f"""SET 'execution.checkpointing.interval' = '1s';
SET 'parallelism.default' = '2';
CREATE TABLE src (k BIGINT, v BIGINT) WITH ('connector' = 'kafka', 'topic' = '{topic}',
  'scan.startup.mode' = 'earliest-offset', 'format' = 'json');
CREATE TABLE dst (k BIGINT, n BIGINT, s BIGINT, PRIMARY KEY (k) NOT ENFORCED)
WITH ('connector' = 'blackhole');
INSERT INTO dst SELECT k, COUNT(*), SUM(v) FROM src GROUP BY k;
""")
        took = {}
        changelog = 0
        for restart in (True, False):
            group = f"rec-{keys}-{'restart' if restart else 'takeover'}"
            took[restart], size = kill_and_measure(spate, addr, work, script, topic, group, restart)
            changelog = max(changelog, size)
        print(f"| {keys:,} | {changelog / 1e6:.1f} MB | {took[True]:.2f} s | {took[False]:.2f} s |", flush=True)


def kill_and_measure(spate, addr, work, script, topic, group, restart):
    """Runs the script on two processes until caught up, kills one; the seconds until its
    tasks committed again, and the changelog's bytes at the kill."""

    def start(instance, run):
        log = open(os.path.join(work, f"{group}-{instance}-{run}.log"), "w")
        return subprocess.Popen(
            [spate, "sql", "-f", script, "--bootstrap", addr, "--checkpoint-dir",
             os.path.join(work, f"{group}-{instance}"), "--distributed", group,
             "--instance-id", instance, "--session-timeout", "10s"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)

    a, b = start("a", 1), start("b", 1)
    deadline = time.monotonic() + 600
    while True:
        st = group_status(spate, addr, group)
        if st and len(st["members"]) == 2 and st["tasks"] and all(
            t["checkpoint"] and t["checkpoint"] > 1 for t in st["tasks"]
        ) and sum(t["lag"] for t in st["tasks"] if any(i["topic"] == topic for i in t["inputs"])) == 0:
            break
        if time.monotonic() > deadline:
            sys.exit(f"{group} never caught up: {st}")
        time.sleep(0.2)
    time.sleep(2)
    st = group_status(spate, addr, group)
    b_member = next(m for m in st["members"] if m["member_id"].startswith("b-"))
    moved = set(b_member["tasks"])
    before = {t["task"]: t["checkpoint"] for t in st["tasks"] if t["task"] in moved}
    changelog = topic_bytes(BROKER_DATA[0], f"{group}-stage-")
    killed = time.monotonic()
    b.send_signal(signal.SIGKILL)
    b.wait()
    procs = [a]
    if restart:
        procs.append(start("b", 2))
    while True:
        st = group_status(spate, addr, group)
        if st and all(
            (t["checkpoint"] or 0) > before[t["task"]] for t in st["tasks"] if t["task"] in moved
        ):
            break
        if time.monotonic() - killed > 300:
            sys.exit(f"{group}: the moved tasks never committed again: {st}")
        time.sleep(0.05)
    took = time.monotonic() - killed
    for p in procs:
        p.send_signal(signal.SIGKILL)
        p.wait()
    return took, changelog


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spate", default="target/release/spate")
    ap.add_argument("--lines", type=int, default=5_000_000)
    ap.add_argument("--compare", help="a second binary (B) run beside --spate (A) in `scale`")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--keys", default="10000,100000,1000000")
    ap.add_argument("--only", default="scale,recovery")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bench-distributed-")
    broker = Broker(args.spate, work)
    BROKER_DATA.append(broker.data)
    try:
        if "scale" in args.only:
            scale(args, args.spate, broker, work)
        if "recovery" in args.only:
            recovery(args, args.spate, broker, work)
    finally:
        broker.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
