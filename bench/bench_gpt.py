"""Scalar engine on a microgpt-style GPT: micrograd_ext's Value vs a minimal microgpt-design engine.

Run:  .venv/bin/python bench/bench_gpt.py [--blocks N] [--steps K] [--quick]

The minimal engine (:class:`MiniValue`, below) is the design learners now copy from
Karpathy's microgpt (2025): a node holds ``data``, ``grad``, its children as a tuple
and the local gradient on each edge as a tuple of numbers (``_local_grads``), computed
when the op runs; ``backward()`` builds a topological order by recursive depth-first
search, then walks it backwards multiplying and adding.  Written here from that
description (nothing else: no modes, no checks, no labels).

The model is ``demos/gpt_names.py``'s :class:`GPT`, written once with plain scalar
operations (``+ - * / ** exp log relu`` and Python's ``sum``), run with each engine's
``Value``: token + position embeddings, RMSNorm, one layer of 4-head causal
self-attention with a residual, an MLP with ReLU, a linear head, softmax
cross-entropy; 16 dimensions, one name per step, as microgpt trains.

Measured, interleaved in one process, garbage collector ON, medians: blocks of K
steps of the training loop (``loss = model.loss(name)``; zero the grads;
``loss.backward()``; SGD), engine A then engine B, the same names in the same order
for both, in three ways: the natural loop (``loss`` rebound each step, so the old
graph is freed only after the new one is built), with ``del loss`` after each step,
and with a clean heap (``del loss`` and an untimed ``gc.collect()`` before each
forward).  ``gc.collect()`` (untimed) runs between blocks so neither engine pays for
the other's garbage; the first step of a block is a warm-up.  Reported: nodes per
step (each engine counts its own: micrograd_ext's ``a - b`` and ``a / b`` are one node,
the minimal engine's two), forward and backward time per step and per node, and
bytes per node of one live graph.  Before timing, both engines compute the loss and
every weight's gradient on the same weights and names, which must agree to 1e-12.
Figures are recorded in docs/bench_gpt.md.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demos"))

from gpt_names import GPT, encode, load_names  # noqa: E402

from micrograd_ext.core.graph import parents  # noqa: E402
from micrograd_ext.engine import Value as ExtValue  # noqa: E402

#: the minimal engine's topological sort is recursive, as microgpt's: main() raises the limit to this
RECURSION_LIMIT = 100_000


# ---------------------------------------------------------------------------
# The minimal engine, microgpt's design
# ---------------------------------------------------------------------------


class MiniValue:
    """A scalar node: data, grad, children and the local gradient on each edge (numbers, set at each op)."""

    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data: float, children: tuple = (), local_grads: tuple = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other: Any) -> MiniValue:
        other = other if isinstance(other, MiniValue) else MiniValue(other)
        return MiniValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Any) -> MiniValue:
        other = other if isinstance(other, MiniValue) else MiniValue(other)
        return MiniValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, k: float) -> MiniValue:  # a number exponent only
        return MiniValue(self.data**k, (self,), (k * self.data ** (k - 1),))

    def exp(self) -> MiniValue:
        e = math.exp(self.data)
        return MiniValue(e, (self,), (e,))

    def log(self) -> MiniValue:
        return MiniValue(math.log(self.data), (self,), (1.0 / self.data,))

    def relu(self) -> MiniValue:
        return MiniValue(max(0.0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self) -> MiniValue: return self * -1.0
    def __radd__(self, other: Any) -> MiniValue: return self + other
    def __sub__(self, other: Any) -> MiniValue: return self + (-other)
    def __rsub__(self, other: Any) -> MiniValue: return other + (-self)
    def __rmul__(self, other: Any) -> MiniValue: return self * other
    def __truediv__(self, other: Any) -> MiniValue: return self * other**-1
    def __rtruediv__(self, other: Any) -> MiniValue: return other * self**-1

    def backward(self) -> None:
        order: list[MiniValue] = []
        seen: set[MiniValue] = set()

        def visit(v: MiniValue) -> None:
            if v not in seen:
                seen.add(v)
                for child in v._children:
                    visit(child)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            for child, local in zip(v._children, v._local_grads):
                child.grad += local * v.grad


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------

ENGINES: list[tuple[str, type]] = [("minimal", MiniValue), ("micrograd_ext", ExtValue)]
CONFIG = {"n_embd": 16, "n_head": 4, "n_layer": 1, "block": 16}
LR = 0.01


def kids(v: Any) -> tuple:
    return v._children if isinstance(v, MiniValue) else parents(v)


def count_nodes(root: Any) -> int:
    """Nodes reachable from ``root``, leaves (weights, constants) included."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for p in kids(stack.pop()):
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def same_results(names: list[str], seed: int = 0) -> tuple[float, float, float]:
    """(|loss difference|, largest |gradient difference|, largest |gradient|) of the two engines on the same weights."""
    models = {label: GPT(V, seed=seed, **CONFIG) for label, V in ENGINES}
    dl = dg = big = 0.0
    for name in names:
        out = {}
        for label, model in models.items():
            for p in model.parameters():
                p.grad = 0.0
            loss = model.loss(encode(name))
            loss.backward()
            out[label] = (loss.data, [p.grad for p in model.parameters()])
        (la, ga), (lb, gb) = out.values()
        dl = max(dl, abs(la - lb))
        dg = max(dg, max(abs(a - b) for a, b in zip(ga, gb)))
        big = max(big, max(abs(a) for a in ga))
    return dl, dg, big


MODES = {
    "natural": "loss rebound each step (the old graph is freed after the new one is built)",
    "del loss": "`del loss` after the step (the old graph is freed before the next forward)",
    "clean heap": "`del loss` and an untimed gc.collect() before each forward",
}


def train_block(model: GPT, names: list[str], rec: dict, mode: str = "natural") -> None:
    """Steps of the training loop, one name each; the first is a warm-up, the rest are timed."""
    params = model.parameters()
    loss = None
    for step, name in enumerate(names):
        tokens = encode(name)
        if mode == "clean heap":
            gc.collect()
        t0 = time.perf_counter()
        loss = model.loss(tokens)  # "natural": rebinding drops the previous step's graph here
        t1 = time.perf_counter()
        for p in params:
            p.grad = 0.0
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        for p in params:
            p.data -= LR * p.grad
        t4 = time.perf_counter()
        if step:
            n = count_nodes(loss)  # untimed
            rec["nodes"].append(n)
            rec["fwd"].append(t1 - t0)
            rec["bwd"].append(t3 - t2)
            rec["step"].append(t4 - t0)
            rec["fwd_node"].append((t1 - t0) / n)
            rec["bwd_node"].append((t3 - t2) / n)
        if mode != "natural":
            del loss


def bytes_per_node(V: type, name: str) -> tuple[float, int]:
    """tracemalloc: memory held by one live graph after backward (weights excluded) / its nodes (weights excluded)."""
    model = GPT(V, **CONFIG)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss = model.loss(encode(name))
    loss.backward()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    n = count_nodes(loss) - len(model.parameters())
    del loss
    gc.collect()
    return held / n, n


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--blocks", type=int, default=5, help="interleaved blocks per engine and way (default 5)")
    ap.add_argument("--steps", type=int, default=7, help="steps (names) per block, the first untimed (default 7)")
    ap.add_argument("--quick", action="store_true", help="2 blocks of 3 steps")
    args = ap.parse_args(argv)
    if args.quick:
        args.blocks, args.steps = 2, 3
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))

    names = load_names()
    print(f"# bench_gpt: microgpt-style GPT (demos/gpt_names.py), {CONFIG}, one name per step, SGD")
    print(f"# {platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
          f"{platform.processor() or platform.platform()}, {datetime.date.today()}")
    print(f"# {args.blocks} interleaved blocks x {args.steps - 1} timed steps per engine, gc enabled: {gc.isenabled()}")
    dl, dg, big = same_results(names[:5])
    ok = dl <= 1e-12 and dg <= 1e-12
    print(f"# same loss and gradients on the same weights (5 names): |loss diff| {dl:.2g}, max |grad diff| {dg:.2g} "
          f"(largest |grad| {big:.3g}): {'OK' if ok else 'DIFFERENT'} (tolerance 1e-12)")
    if not ok:
        raise SystemExit("bench_gpt: the two engines disagree; the timings would compare different computations")

    keys = ("nodes", "fwd", "bwd", "step", "fwd_node", "bwd_node")
    recs = {(m, label): {k: [] for k in keys} for m in MODES for label, _ in ENGINES}
    models = {(m, label): GPT(V, **CONFIG) for m in MODES for label, V in ENGINES}
    at = 0
    for _ in range(args.blocks):
        block = [names[(at + i) % len(names)] for i in range(args.steps)]
        at += args.steps
        for m in MODES:
            for label, _ in ENGINES:
                gc.collect()
                train_block(models[m, label], block, recs[m, label], m)
    gc.collect()

    med: Callable[[str, str, str], float] = lambda m, label, k: statistics.median(recs[m, label][k])
    for m, how in MODES.items():
        print()
        print(f"## {m}: {how}")
        print(f"{'engine':<14} {'nodes/step':>10} {'fwd ms':>8} {'bwd ms':>8} {'step ms':>8} {'fwd ns/node':>12} "
              f"{'bwd ns/node':>12}")
        for label, _ in ENGINES:
            print(f"{label:<14} {med(m, label, 'nodes'):>10.0f} {med(m, label, 'fwd') * 1e3:>8.1f} "
                  f"{med(m, label, 'bwd') * 1e3:>8.1f} {med(m, label, 'step') * 1e3:>8.1f} "
                  f"{med(m, label, 'fwd_node') * 1e9:>12.0f} {med(m, label, 'bwd_node') * 1e9:>12.0f}")
        r = lambda k, m=m: med(m, "minimal", k) / med(m, "micrograd_ext", k)
        print(f"micrograd_ext vs minimal, per node: forward x{r('fwd_node'):.2f} (target >= 1: no slower), "
              f"backward x{r('bwd_node'):.2f} (target >= 1.5)")
        print(f"                          per step: forward x{r('fwd'):.2f}, backward x{r('bwd'):.2f}, "
              f"whole step x{r('step'):.2f}")
    print()
    for label, V in ENGINES:
        b, n = bytes_per_node(V, names[0])
        print(f"memory per node (tracemalloc, live graph after backward, {names[0]!r}): {label:<14} {b:6.0f} B "
              f"({n} nodes)")


if __name__ == "__main__":
    main()
