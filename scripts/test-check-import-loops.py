#!/usr/bin/env python3
"""Shows that check-import-loops.py fails on the loops it claims to catch, and passes code
without them. Each case plants a small crate in a temporary directory and runs the script on
it:

- a loop between sibling modules through `super::` (`a/x.rs` <-> `a/y.rs`), which the script
  once resolved one level too high and passed;
- a loop through a module one level up (`a/b/c.rs` uses `super::super::d`, `a/d.rs` uses
  `crate::a::b::c`);
- a loop spelled with `self::` in a `mod.rs`;
- and no loop: children using what their parent declares, a parent using its children.
"""
import os, subprocess, sys, tempfile

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'check-import-loops.py')

CASES = [
    ('sibling loop through super::', 1, {
        'lib.rs': 'mod a;',
        'a/mod.rs': 'mod x;\nmod y;',
        'a/x.rs': 'use super::y::Y;\npub struct X;',
        'a/y.rs': 'use super::x::X;\npub struct Y;',
    }),
    ('loop through a module one level up', 1, {
        'lib.rs': 'mod a;',
        'a/mod.rs': 'mod b;\nmod d;',
        'a/b/mod.rs': 'mod c;',
        'a/b/c.rs': 'use super::super::d::D;\npub struct C;',
        'a/d.rs': 'use crate::a::b::c::C;\npub struct D;',
    }),
    ('loop spelled with self::', 1, {
        'lib.rs': 'mod a;\nmod z;',
        'a/mod.rs': 'mod x;\nuse self::x::X;',
        'a/x.rs': 'use crate::z::Z;\npub struct X;',
        'z.rs': 'use crate::a::Thing;\npub struct Z;',
    }),
    ('no loop', 0, {
        'lib.rs': 'mod a;',
        'a/mod.rs': 'mod x;\nmod y;\nuse self::x::X;\npub struct Thing;',
        'a/x.rs': 'use super::Thing;\nuse super::y::Y;\npub struct X;',
        'a/y.rs': 'use super::Thing;\npub struct Y;\n#[cfg(test)]\nmod tests {\n    use super::super::x::X;\n}',
    }),
]

def run(files):
    with tempfile.TemporaryDirectory() as root:
        src = os.path.join(root, 'src')
        for path, text in files.items():
            full = os.path.join(src, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, 'w') as f:
                f.write(text + '\n')
        done = subprocess.run([sys.executable, SCRIPT, src], capture_output=True, text=True)
        return done.returncode, done.stdout

failed = 0
for name, expected, files in CASES:
    code, out = run(files)
    ok = code == expected
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {code} (expected {expected})")
    if not ok or code:
        print('     ' + out.strip().replace('\n', '\n     '))
sys.exit(1 if failed else 0)
