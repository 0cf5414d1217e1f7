#!/usr/bin/env python3
"""Shows that check-layering.py fails on the violations it claims to catch: each case plants
one dependency in a copy of the workspace's `cargo metadata` and expects a failure, and the
unchanged metadata must pass.
"""
import copy, json, os, subprocess, sys, tempfile

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'check-layering.py')

CASES = [
    ('the SQL front end on the engine', 'spate-sql-planner', 'spate-engine'),
    ('the SQL front end on the connectors', 'spate-sql-planner', 'spate-connectors'),
    ('the SQL front end on the broker', 'spate-sql-planner', 'spate-broker'),
    ('the SQL front end on a Kafka client', 'spate-sql-planner', 'rdkafka'),
    ('the engine on the log side', 'spate-engine', 'spate-log'),
    ('the broker upward on the connectors', 'spate-broker', 'spate-connectors'),
    ('the connectors on the broker', 'spate-connectors', 'spate-broker'),
    ('the SQL runtime on the broker', 'spate-sql', 'spate-broker'),
    ('the wire client on the broker', 'spate-kafka-client', 'spate-broker'),
    ('the broker on the wire client', 'spate-broker', 'spate-kafka-client'),
    ('the engine on the wire client', 'spate-engine', 'spate-kafka-client'),
    ("the job's group on the engine", 'spate-group', 'spate-engine'),
    ('the wire client upward on the job group', 'spate-kafka-client', 'spate-group'),
    ('the shared security crate upward on the broker', 'spate-kafka-security', 'spate-broker'),
]

def run(meta):
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump(meta, f)
        path = f.name
    try:
        done = subprocess.run([sys.executable, SCRIPT, '--metadata', path], capture_output=True, text=True)
        return done.returncode, (done.stdout + done.stderr).strip()
    finally:
        os.unlink(path)

meta = json.loads(subprocess.run(['cargo', 'metadata', '--format-version', '1', '--no-deps'],
                                 check=True, capture_output=True, text=True).stdout)
failed = 0
code, out = run(meta)
print(f"{'ok  ' if code == 0 else 'FAIL'} the workspace as it is: exit {code} (expected 0)")
failed += code != 0
for name, src, dst in CASES:
    planted = copy.deepcopy(meta)
    package = next(p for p in planted['packages'] if p['name'] == src)
    package['dependencies'].append({'name': dst, 'kind': None})
    code, out = run(planted)
    ok = code == 1 and dst in out
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name} ({src} -> {dst}): exit {code} (expected 1)")
    print('     ' + out.replace('\n', '\n     '))
sys.exit(1 if failed else 0)
