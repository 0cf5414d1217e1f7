#!/usr/bin/env python3
"""Fails when a workspace crate depends on another workspace crate across the layering.

The rule (ARCHITECTURE.md, "Bird's-eye view"): the log side (spate-log < spate-broker) and the
engine side (spate-engine) never depend on each other; only spate-connectors, spate-sql,
spate-server and the spate binary may depend on both; nothing depends upward. The SQL front
end (spate-sql-planner) is a side of its own that depends on no other workspace crate (nor on
a Kafka client). Layers, bottom to top: the sides, then spate-connectors, then spate-sql (it
translates plans onto the engine and wires tables to connectors), then spate-server, then
spate. Every edge
(normal, dev and build dependencies alike, since a dev-dependency upward is a loop in the
making) is read from `cargo metadata`, so the check cannot drift from the manifests. A
workspace crate this script does not know fails too: place it in LAYERS first.
"""
import json
import subprocess
import sys

# crate -> (side, rank). Sides: "log", "engine", or "both" (may depend on either side).
# A crate may depend on a crate of its own side (or of any side if it is "both") with a
# strictly lower rank.
LAYERS = {
    "spate-log": ("log", 0),
    # Kafka security shared by the broker (server side) and the wire client (client side).
    "spate-kafka-security": ("log", 0),
    # The raw Kafka-protocol client: below the connectors and the CLI, beside the broker.
    "spate-kafka-client": ("log", 1),
    "spate-broker": ("log", 1),
    # A distributed job's processes as a Kafka group (membership, task assignor): on the wire
    # client, so one rank above it; its tests run a broker in process (rank 1, same side).
    "spate-group": ("log", 2),
    "spate-engine": ("engine", 0),
    # The SQL front end (parse, bind, plan): a side of its own, on neither the log nor the engine.
    "spate-sql-planner": ("sql", 0),
    # Avro schemas, codec and compatibility rules: pure data, a side of its own that the
    # registry (log side) and the formats (SQL runtime, connectors) both build on.
    "spate-avro": ("avro", 0),
    # Protobuf schemas (compile, print, message indexes, compatibility): the same side and
    # rank as Avro, for the same users.
    "spate-protobuf": ("avro", 0),
    # The schema registry's state and rules on top of the schema types (for now Avro): the
    # same side, one rank up; the HTTP listener and the topic store join it in the binary.
    "spate-schema-registry": ("avro", 1),
    # The registry's client (formats and serializers ask it for schemas): one rank up, so its
    # tests can serve the registry in the test process.
    "spate-registry-client": ("avro", 2),
    # Iceberg tables (metadata JSON, Avro manifests, catalogs): a pure data format like Avro,
    # built on spate-avro's container files, so one rank above it on the same side; the SQL
    # sink (spate-sql) uses it and it knows no engine or SQL crate.
    "spate-iceberg": ("avro", 1),
    "spate-connectors": ("both", 3),
    "spate-sql": ("both", 4),
    # One job on several processes: the engine's exchanges and checkpoints on Kafka (the
    # wire client, the group's changelogs). Beside the SQL runtime, so its tests can run
    # connectors' jobs; only the binary wires it to jobs.
    "spate-distributed": ("both", 4),
    "spate-server": ("both", 5),
    "spate": ("both", 6),
}


# External crates a workspace crate must not depend on: the SQL front end stays free of Kafka
# clients, so planning builds without librdkafka.
FORBIDDEN_EXTERNAL = {
    "spate-sql-planner": {"rdkafka", "rdkafka-sys", "tokio"},
}


# Workspace edges forbidden although the ranks allow them, with the dependency kinds they are
# forbidden for. The connectors reach an in-process broker only through
# `spate_log::in_process` and speak Kafka through spate-kafka-client, so the SQL runtime and
# the server do not compile the broker through them; their tests still run a real broker in
# the test process (a dev-dependency, which never reaches a dependent's build).
FORBIDDEN_EDGES = {
    ("spate-connectors", "spate-broker"): {"normal", "build"},
    ("spate-sql", "spate-broker"): {"normal", "build"},
    ("spate-kafka-client", "spate-broker"): {"normal", "build", "dev"},
    ("spate-broker", "spate-kafka-client"): {"normal", "build", "dev"},
}


def allowed(src: str, dst: str) -> bool:
    (s_side, s_rank), (d_side, d_rank) = LAYERS[src], LAYERS[dst]
    if d_rank >= s_rank:
        return False
    if s_side == "both":
        return True
    return s_side == d_side


def main() -> int:
    # `--metadata FILE`: read `cargo metadata` output from FILE (the gate's own test plants
    # violations in a copy of it).
    if len(sys.argv) == 3 and sys.argv[1] == "--metadata":
        with open(sys.argv[2]) as f:
            meta = json.load(f)
    else:
        meta = json.loads(
            subprocess.run(
                ["cargo", "metadata", "--format-version", "1", "--no-deps"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
    members = {p["name"]: p for p in meta["packages"]}
    errors = []
    for name in sorted(members):
        if name not in LAYERS:
            errors.append(f"{name}: unknown workspace crate; give it a layer in scripts/check-layering.py")
            continue
        for dep in members[name]["dependencies"]:
            dst = dep["name"]
            if dst in FORBIDDEN_EXTERNAL.get(name, ()):
                errors.append(f"{name} -> {dst}: {name} must not depend on {dst}")
                continue
            if dst not in members:
                continue
            kind = dep.get("kind") or "normal"
            if dst not in LAYERS:
                continue  # reported above as unknown
            if kind in FORBIDDEN_EDGES.get((name, dst), ()):
                errors.append(f"{name} -> {dst} ({kind} dependency) is forbidden (FORBIDDEN_EDGES)")
                continue
            if not allowed(name, dst):
                errors.append(
                    f"{name} -> {dst} ({kind} dependency) crosses the layering: "
                    f"{name} is {LAYERS[name][0]}-side rank {LAYERS[name][1]}, "
                    f"{dst} is {LAYERS[dst][0]}-side rank {LAYERS[dst][1]}"
                )
    for e in errors:
        print(f"check-layering: {e}", file=sys.stderr)
    if errors:
        return 1
    print(f"check-layering: {len(members)} workspace crates, layering respected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
