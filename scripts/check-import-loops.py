#!/usr/bin/env python3
"""Fails when modules of a crate import each other in a loop.

Usage: check-import-loops.py [--depth=N] <crate>/src ...

Every `crate::a::b`, `super::..` or `self::..` path a file names (`self` is the file's own
module, `super` its parent, for `x.rs` and `x/mod.rs` alike) (in `use` or inline) is an edge to the
deepest module file that exists; a strongly connected component of more than one module is an
import loop, printed with its edges. Edges to a module's own ancestors (a child using what its
`mod.rs` declares) do not count, nor do test modules (`#[cfg(test)] mod ...`). With
`--depth=1` modules are folded into their top-level module (`runtime::task` -> `runtime`),
which shows loops between folders. A plain text scan: it does not resolve `pub use`
re-exports, so code should import items from where they are defined.
"""
import os, re, sys

def modules(src):
    mods = {}
    for dp, _, fs in os.walk(src):
        for f in fs:
            if not f.endswith('.rs'): continue
            p = os.path.join(dp, f)
            rel = os.path.relpath(p, src)[:-3].split(os.sep)
            if rel[-1] in ('mod', 'lib', 'main'): rel = rel[:-1]
            mods[tuple(rel)] = p
    return mods

def strip_tests(text):
    # cut `#[cfg(test)] mod x { ... }` blocks (brace matching, good enough for our code)
    out, i = [], 0
    for m in re.finditer(r'#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s*)?mod\s+\w+\s*\{', text):
        if m.start() < i: continue
        out.append(text[i:m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {'{': 1, '}': -1}.get(text[j], 0); j += 1
        i = j
    out.append(text[i:])
    text = ''.join(out)
    text = re.sub(r'#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s*)?mod\s+\w+\s*;', '', text)
    return re.sub(r'//[^\n]*', '', text)

def expand_use(text):
    """crate::a::{b, c::d} -> crate::a::b, crate::a::c::d (one level of braces is enough)."""
    paths = []
    for m in re.finditer(r'\b(crate|super|self)((?:::\w+)+)(?:::\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\})?', text):
        base = [m.group(1)] + [s for s in m.group(2).split('::') if s]
        if m.group(3):
            for part in re.split(r',(?![^{]*\})', m.group(3)):
                part = part.strip()
                sub = re.match(r'([\w:]+)', part)
                if sub: paths.append(base + [s for s in sub.group(1).split('::') if s and s != 'self'])
        else:
            paths.append(base)
    return paths

def main(src, depth=None):
    mods = modules(src)
    edges = {}
    for m in mods: edges.setdefault(m if depth is None else m[:depth], set())
    for m, p in mods.items():
        text = strip_tests(open(p, encoding='utf-8').read())
        for path in expand_use(text):
            if path[0] == 'crate': parts = path[1:]
            else:
                # `self` is the file's own module (`m`, for `x/mod.rs` and `x.rs` alike);
                # each `super` is one module up from it.
                base = list(m)
                parts = path[1:] if path[0] == 'self' else path
                while parts and parts[0] == 'super':
                    base = base[:-1]; parts = parts[1:]
                parts = base + parts
            # deepest existing module
            for k in range(len(parts), 0, -1):
                t = tuple(parts[:k])
                if t in mods:
                    a, b = (m, t) if depth is None else (m[:depth], t[:depth])
                    if a != b and not (a[:len(b)] == b): edges.setdefault(a, set()).add(b)
                    break
    # Tarjan
    idx, low, on, st, sccs, n = {}, {}, set(), [], [], [0]
    sys.setrecursionlimit(10000)
    def sc(v):
        idx[v] = low[v] = n[0]; n[0] += 1; st.append(v); on.add(v)
        for w in edges.get(v, ()):
            if w not in idx: sc(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], idx[w])
        if low[v] == idx[v]:
            c = []
            while True:
                w = st.pop(); on.discard(w); c.append(w)
                if w == v: break
            if len(c) > 1: sccs.append(c)
    for v in list(edges):
        if v not in idx: sc(v)
    for c in sccs:
        names = sorted('::'.join(x) or '<root>' for x in c)
        print(f"{src}: import loop of {len(c)} modules: {', '.join(names)}")
        cs = set(c)
        for v in sorted(c):
            for w in sorted(edges.get(v, set()) & cs):
                print(f"    {'::'.join(v)} -> {'::'.join(w)}")
    return 1 if sccs else 0

if __name__ == '__main__':
    args = sys.argv[1:]
    depth = None
    if args and args[0].startswith('--depth='):
        depth = int(args[0].split('=')[1]); args = args[1:]
    sys.exit(max(main(s, depth) for s in args))
