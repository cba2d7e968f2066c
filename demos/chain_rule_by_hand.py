"""A first lesson: the chain rule by hand on a five-node expression, then by the engine.

    x = 3,  y = -2
    u = x * y          (node u)
    v = u + x          (node v)
    L = v * y          (node L)

Five nodes (x, y, u, v, L).  x reaches L along two paths (through u and directly
into v), and y along two (through u, and directly into L).  The chain rule says:
the derivative of L with respect to a node is the SUM over all paths from L to that
node of the PRODUCT of the local derivatives along the path (Bondartsov, eq. (9)).

By hand: L = (x y + x) y = x y^2 + x y, so dL/dx = y^2 + y = 2 and
dL/dy = 2 x y + x = -9.  This script prints every local derivative, every path and
its product, and checks the sums against ``.grad`` and against those hand-derived
formulas and central finite differences.

Run:  .venv/bin/python demos/chain_rule_by_hand.py [--out DIR] [--fast]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys

from micrograd_ext.core.graph import edges, op_name
from micrograd_ext.engine import Value


def build(xv: float = 3.0, yv: float = -2.0) -> tuple[Value, Value, Value, Value, Value]:
    x = Value(xv, label="x")
    y = Value(yv, label="y")
    u = x * y
    u.label = "u"
    v = u + x
    v.label = "v"
    L = v * y
    L.label = "L"
    return x, y, u, v, L


def all_paths(root: Value, target: Value) -> list[tuple[list[Value], list[float]]]:
    """Every path root -> ... -> target as (nodes, local derivatives), found with an explicit stack."""
    found = []
    stack: list[tuple[Value, list[Value], list[float]]] = [(root, [root], [])]
    while stack:
        node, nodes, facs = stack.pop()
        if node is target:
            found.append((nodes, facs))
            continue
        for e in edges(node):  # each incoming edge: its parent and its local derivative
            stack.append((e.parent, nodes + [e.parent], facs + [e.local]))
    found.reverse()
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join("micrograd_ext_out", "demos"), help="folder for the graph picture")
    ap.add_argument("--fast", action="store_true", help="(no effect: this demo is instant)")
    args = ap.parse_args(argv)

    x, y, u, v, L = build()
    print("The expression:  u = x * y,  v = u + x,  L = v * y   with x = 3, y = -2")
    print(f"forward:  u = {u.data:g},  v = {v.data:g},  L = {L.data:g}")
    print()
    print("Step 1. Every local derivative (each node with respect to each of its inputs):")
    for node in (u, v, L):
        for e in edges(node):
            names = {sym: n.label for sym, n in e.names.items()}  # which node each symbol of the formula is
            mine = re.sub(r"\b(a|b|out)\b", lambda m, nm=names: nm[m.group(1)], e.formula)
            print(f"  d{node.label}/d{e.parent.label:<2} = {mine:<4} = {e.local:<3g} "
                  f"(rule for a {op_name(node)} b: d/d{'ab'[e.index]} = {e.formula})")
    L.backward()
    ok = True
    print()
    print("Step 2. Every path from L to each input; multiply along a path, add over the paths:")
    hand = {"x": y.data**2 + y.data, "y": 2 * x.data * y.data + x.data}
    hand_text = {"x": "y^2 + y", "y": "2 x y + x"}
    for leaf in (x, y, u, v):
        ps = all_paths(L, leaf)
        total = 0.0
        print(f"  to {leaf.label}: {len(ps)} path(s)")
        for nodes, facs in ps:
            prod = 1.0
            for f in facs:
                prod *= f
            total += prod
            names = " -> ".join(n.label for n in nodes)
            print(f"    {names:<18} {' * '.join(f'{f:g}' for f in facs):<16} = {prod:g}")
        line = f"    sum = {total:g};  engine's {leaf.label}.grad = {leaf.grad:g}"
        good = abs(total - leaf.grad) < 1e-12
        if leaf.label in hand:
            line += f";  by hand dL/d{leaf.label} = {hand_text[leaf.label]} = {hand[leaf.label]:g}"
            good = good and abs(hand[leaf.label] - leaf.grad) < 1e-12
        print(line + ("   PASS" if good else "   FAIL"))
        ok &= good

    print()
    print("Step 3. The same derivatives by wiggling the inputs (central finite differences, h = 1e-6):")
    h = 1e-6
    for name in ("x", "y"):
        def f(dx: float, dy: float) -> float:
            return build(3.0 + dx, -2.0 + dy)[4].data

        fd = (f(h, 0) - f(-h, 0)) / (2 * h) if name == "x" else (f(0, h) - f(0, -h)) / (2 * h)
        g = x.grad if name == "x" else y.grad
        good = abs(fd - g) < 1e-6
        ok &= good
        print(f"  dL/d{name}: finite difference {fd:.8f}, backward {g:g}   {'PASS' if good else 'FAIL'}")

    try:
        from micrograd_ext.diagrams.chain import paths

        ps = paths(L, x)
        good = len(ps) == len(all_paths(L, x)) and abs(ps.total - x.grad) < 1e-12
        ok &= good
        print(f"\nmicrograd_ext.chain.paths(L, x) finds the same {len(ps)} paths   {'PASS' if good else 'FAIL'}")
        print("the chain rule for x, written from the paths:")
        print(f"  {ps.text()}")
        print(f"  LaTeX: {ps.latex()}")
    except ImportError:
        print("\n(micrograd_ext.chain is not installed in this build: paths were listed by this script alone)")

    try:
        from micrograd_ext.diagrams import draw_graph, draw_paths
    except ImportError:
        print("(micrograd_ext.viz is not available: no pictures of the graph)")
    else:
        os.makedirs(args.out, exist_ok=True)
        for stem, g, what in (("chain_rule_by_hand", draw_graph(L, edge_labels=True),
                               "the graph, data and grad on every node, local derivative on every edge"),
                              ("chain_rule_paths_to_x", draw_paths(L, x),
                               "the two paths from L to x, their products and their sum")):
            gv = os.path.join(args.out, stem + ".gv")
            with open(gv, "w", encoding="utf-8") as fh:
                fh.write(g.source)
            if shutil.which("dot"):
                svg = os.path.join(args.out, stem + ".svg")
                with open(svg, "wb") as fh:
                    fh.write(g.pipe(format="svg"))
                print(f"{what}: {svg}")
            else:
                print(f"{what}: {gv} (DOT source; install Graphviz to render it: apt-get install graphviz)")

    print("\nall checks passed" if ok else "\nSOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
