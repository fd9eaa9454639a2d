#!/usr/bin/env python3
"""Folder-level reference graph of a C# source tree, read from type names (no compiler needed).

A file refers to a type when the type's name appears in it as a token (comments and strings stripped).
Prints the folder pairs that refer to each other both ways and the largest knot of files that all reach
each other, then one summary line: "mutual folder pairs N; largest file knot M".
Usage: layers.py SRC_DIR [--max-mutual N] [--max-knot M]   (exit 1 past either bound)

A copy of the project's shared tool, kept here so that the test that holds the floor plan to it
(tests/Broadcast.Server.Tests/Architecture/FloorPlanTests.cs) runs wherever the repository is cloned.
"""
import collections, os, re, sys

root = sys.argv[1]
args = sys.argv[2:]
max_mutual = int(args[args.index('--max-mutual') + 1]) if '--max-mutual' in args else None
max_knot = int(args[args.index('--max-knot') + 1]) if '--max-knot' in args else None

files = [os.path.join(d, f) for d, _, fs in os.walk(root) if '/obj' not in d and '/bin' not in d
         for f in fs if f.endswith('.cs')]
decl = re.compile(r'\b(?:class|record|struct|interface|enum)\s+(?:struct\s+|class\s+)?([A-Z][A-Za-z0-9_]*)')
defs, text = {}, {}
for f in files:
    t = open(f, encoding='utf-8').read()
    t = re.sub(r'"""[\s\S]*?"""', '""', t)
    t = re.sub(r'/\*.*?\*/', '', t, flags=re.S)
    t = re.sub(r'//.*', '', t)
    t = re.sub(r'@?"(?:[^"\\\n]|\\.)*"', '""', t)
    text[f] = t
    for m in decl.finditer(t):
        defs.setdefault(m.group(1), f)

def folder(f):
    parts = os.path.relpath(f, root).split(os.sep)
    return parts[0] if len(parts) > 1 else '(root)'

edges, fedges = collections.defaultdict(set), collections.defaultdict(set)
for f, t in text.items():
    for tok in set(re.findall(r'\b[A-Z][A-Za-z0-9_]*\b', t)):
        g = defs.get(tok)
        if g and g != f:
            fedges[f].add(g)
            if folder(g) != folder(f) and folder(f) != '(root)':
                edges[(folder(f), folder(g))].add(f"{os.path.basename(f)}:{tok}")

mutual = sorted((a, b) for (a, b) in edges if (b, a) in edges and a < b)
for a, b in mutual:
    print(f"{a} <-> {b}: {', '.join(sorted(edges[(a, b)])[:3])} / {', '.join(sorted(edges[(b, a)])[:3])}")

sys.setrecursionlimit(20000)
index, low, stack, on, knots, counter = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
    for w in fedges[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        knots.append(comp)
for f in files:
    if f not in index: visit(f)
largest = max(knots, key=len) if knots else []
if len(largest) > 1:
    print("largest knot:", ", ".join(sorted(os.path.relpath(x, root) for x in largest)))
print(f"mutual folder pairs {len(mutual)}; largest file knot {len(largest)}")
bad = (max_mutual is not None and len(mutual) > max_mutual) or (max_knot is not None and len(largest) > max_knot)
sys.exit(1 if bad else 0)
