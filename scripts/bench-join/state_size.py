"""The state each system checkpointed for scripts/bench-join/left-join.sql, per input row it held.
Usage: state_size.py report BOOTSTRAP SPATE_CHECKPOINT_DIR FLINK_KEPT_DIR
       state_size.py keep FLINK_CHECKPOINT_DIR FLINK_KEPT_DIR   (until killed)

Spate (`spate sql --checkpoint-dir D` writes D/job-N/chk-ID/{_metadata,task-*.state}): its newest
complete checkpoint, which for a bounded job is the one taken after every task finished, so it
holds every row of both topics; bytes per operator from the JSON _metadata.

Flink (`execution.checkpointing.dir` D writes D/JOB_ID/chk-ID/, hashmap backend: full
snapshots, one file per keyed operator subtask, small state inline in _metadata) deletes every
checkpoint when the job finishes (a retained checkpoint is kept after a cancellation, not after
the end of a bounded job), so `keep` runs beside the job and hard-links every file that appears
under D into KEPT (a link made while Flink still writes the file sees the whole file). The newest
checkpoint with a _metadata and state files is the one measured (Flink 2.3 triggers one as its
sources end, while the join still holds its state). The input rows it holds are the Kafka source's positions recorded in it: each
unfinished split is (topic as writeUTF, partition int, starting offset long, stopping offset
long) in _metadata; a partition without a split there was read to its end (the splits of
finished partitions leave the reader's state). State files are labelled by the state names
their headers carry (the join's left-records/right-records, the sink materializer's values)."""
import glob
import json
import os
import re
import struct
import sys
import time

TOPICS = ("orders", "customers")


def end_offsets(bootstrap):
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-join-state"})
    ends = {}
    for t in TOPICS:
        parts = c.list_topics(t, timeout=10).topics[t].partitions
        ends[t] = {p: c.get_watermark_offsets(TopicPartition(t, p), timeout=10)[1] for p in parts}
    c.close()
    return ends


def dir_bytes(d):
    """File name -> bytes, each file once (a kept metadata file may have two names)."""
    out, inodes = {}, set()
    for f in sorted(os.listdir(d), key=lambda f: (f != "_metadata", f)):
        st = os.stat(os.path.join(d, f))
        if st.st_ino not in inodes:
            inodes.add(st.st_ino)
            out[f] = st.st_size
    return out


def newest(dirs):
    return sorted(dirs, key=lambda d: int(d.rsplit("chk-", 1)[1]))


def spate(d, rows):
    done = newest([os.path.dirname(m) for m in glob.glob(f"{d}/job-*/chk-*/_metadata")])
    if not done:
        print(f"spate: no complete checkpoint under {d}")
        return
    chk = done[-1]
    files = dir_bytes(chk)
    total = sum(files.values())
    meta = json.load(open(os.path.join(chk, "_metadata")))
    print(f"spate: {os.path.relpath(chk, d)} (the final one; {len(done)} kept): {total:,} bytes "
          f"in {len(files)} files = {total / rows:.1f} bytes per input row held ({rows:,} rows)")
    for op in meta["operators"]:
        b = 0
        for s in op["subtasks"]:
            if s.get("operator_state"):
                b += s["operator_state"]["len"]
            b += sum(r["len"] for _, r in s.get("key_groups", []))
        if b:
            print(f"  {op['uid']}: {b:,} bytes ({b / rows:.1f} per row held)")


def splits(meta, ends):
    """(topic, partition) -> next offset to read, from the Kafka source splits in _metadata."""
    found = {}
    for t in TOPICS:
        name = t.encode()
        for m in re.finditer(re.escape(struct.pack(">H", len(name)) + name), meta):
            tail = meta[m.end():m.end() + 20]
            if len(tail) < 20:
                continue
            p, start, stop = struct.unpack(">iqq", tail)
            # The enumerator's state lists (topic, partition, status) without offsets: read as a
            # split, its "stopping offset" is the next topic name's bytes, past the partition's end.
            if p in ends[t] and 0 <= start <= ends[t][p] and (stop < 0 or start <= stop <= ends[t][p]):
                found[(t, p)] = start
    return found


def metadata_file(files):
    """The checkpoint's metadata among its file names (Flink may write it under a temporary name
    and rename it; the hard link keeps the first name)."""
    return next((f for f in files if f == "_metadata"), None) or \
        next((f for f in files if f.lstrip(".").startswith("_metadata")), None)


def labels(path):
    """The names of the states a keyed state file's header lists: the join's left-records and
    right-records, the sink materializer's values."""
    head = open(path, "rb").read(1 << 12)
    found = [n for n in ("left-records", "right-records", "values") if re.search(rb"[^a-z-]" + n.encode() + rb"[^a-z-]", head)]
    return " ".join(found) or "(no known state name in its header)"


def flink(d, ends):
    chks = newest(glob.glob(f"{d}/*/chk-*"))
    sizes = [(c, dir_bytes(c)) for c in chks]
    complete = [(c, f) for c, f in sizes if metadata_file(f)]
    if not complete:
        print(f"flink: no complete checkpoint kept under {d}")
        return
    print("flink: checkpoints kept " + ", ".join(
        f"{os.path.basename(c)} {sum(f.values()) / 1e6:.1f} MB" for c, f in complete))
    with_state = [(c, f) for c, f in complete if len(f) > 1]
    if not with_state:
        print("flink: no checkpoint holds state files")
        return
    chk, files = with_state[-1]
    total = sum(files.values())
    meta = open(os.path.join(chk, metadata_file(files)), "rb").read()
    at = splits(meta, ends)
    held = {t: sum(at.get((t, p), end) for p, end in ends[t].items()) for t in TOPICS}
    rows = sum(held.values())
    print(f"flink: {os.path.basename(chk)} (the newest with state): {total:,} bytes in {len(files)} files "
          f"= {total / rows:.1f} bytes per input row held; it holds "
          + ", ".join(f"{held[t]:,} of {sum(ends[t].values()):,} {t}" for t in TOPICS)
          + f" (source splits still open in it: {sorted(at.items()) or 'none'})")
    for f, b in sorted(files.items(), key=lambda x: -x[1]):
        what = "(metadata; small state inline)" if f == metadata_file(files) else labels(os.path.join(chk, f))
        print(f"  {f}: {b:,} bytes ({b / rows:.1f} per row held) {what}")


def keep(src, dst):
    """Hard-links every new file under src into dst, every 20 ms, until killed."""
    seen = set()
    while True:
        for d, _, files in os.walk(src):
            for f in files:
                path = os.path.join(d, f)
                if path in seen:
                    continue
                to = os.path.join(dst, os.path.relpath(path, src))
                try:
                    os.makedirs(os.path.dirname(to), exist_ok=True)
                    os.link(path, to)
                    seen.add(path)
                except FileExistsError:
                    seen.add(path)
                except FileNotFoundError:
                    pass
        time.sleep(0.02)


def main():
    if sys.argv[1] == "keep":
        keep(sys.argv[2], sys.argv[3])
        return
    bootstrap, spate_dir, flink_dir = sys.argv[2:5]
    ends = end_offsets(bootstrap)
    spate(spate_dir, sum(sum(e.values()) for e in ends.values()))
    flink(flink_dir, ends)


if __name__ == "__main__":
    main()
