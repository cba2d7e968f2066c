"""Scalar engine: micrograd_ext.engine.Value vs the PyPI ``micrograd`` package.

Run:  .venv/bin/python bench/bench_value.py [--blocks N] [--steps K] [--quick]

The workload is micrograd's own demo, as its users run it: an MLP 2-16-16-1 (ReLU
hidden layers, linear output) on 100 two-dimensional points, trained with the
demo's max-margin loss plus L2 regularisation,

    loss = mean_i relu(1 - y_i s_i) + 1e-4 sum_p p^2,

by plain SGD, step after step.  The network is written ONCE with plain ``Value``
operations (``sum((w_i*x_i for ...), b)``, ``.relu()``, ``*``, ``+``, exactly
micrograd.nn's Neuron), and run with each engine's ``Value`` class, so both engines
build graphs of the same shape and the same number of nodes.

Measured, with Python's garbage collector ON (the default users have):

* forward time per node: building the graph of one training step (the previous
  step's graph has just become garbage, so its clean-up is part of the cost, as
  it is for users);
* backward time per node: ``loss.backward()`` (topological order + chain rule);
* bytes per node: tracemalloc, memory held by one live graph / its node count;
* that a dropped graph is freed by reference counting alone: with the collector
  disabled, build, backward, drop; then ``gc.collect()`` reports how many
  unreachable objects (reference cycles) it had to free.

The engines run interleaved in one process: blocks of K training steps, engine A
then engine B, repeated; ``gc.collect()`` runs (untimed) between blocks so neither
engine pays for the other's garbage; the first step of a block is a warm-up, the
other K-1 are timed.  We report medians.  Figures are recorded in docs/bench_value.md.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

from micrograd.engine import Value as MicrogradValue

from micrograd_ext.engine import Value as ExtValue

sys.setrecursionlimit(100_000)  # micrograd's backward is recursive

SIZES = (2, 16, 16, 1)
N_POINTS = 100
LR = 0.05
ALPHA = 1e-4


def make_data(n: int = N_POINTS, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """A fixed XOR-like 2-d problem with labels -1/+1 (no dependency on other modules)."""
    rng = random.Random(seed)
    X = [[rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0)] for _ in range(n)]
    y = [1.0 if a * b > 0 else -1.0 for a, b in X]
    return X, y


class Net:
    """micrograd.nn.MLP(2, [16, 16, 1]) written with plain Value operations, for any Value class."""

    def __init__(self, V: type, seed: int = 0) -> None:
        rng = random.Random(seed)
        self.layers = []
        for i in range(len(SIZES) - 1):
            nin, nout = SIZES[i], SIZES[i + 1]
            neurons = [([V(rng.uniform(-1, 1)) for _ in range(nin)], V(0.0)) for _ in range(nout)]
            self.layers.append(neurons)

    def parameters(self) -> list:
        return [p for layer in self.layers for w, b in layer for p in [*w, b]]

    def __call__(self, x: list) -> object:
        last = len(self.layers) - 1
        for li, layer in enumerate(self.layers):
            out = []
            for w, b in layer:
                act = sum((wi * xi for wi, xi in zip(w, x)), b)  # micrograd.nn.Neuron.__call__
                out.append(act.relu() if li < last else act)
            x = out
        return x[0]


def loss_of(net: Net, X: list, y: list) -> object:
    """micrograd demo.ipynb's loss: SVM max-margin + L2."""
    scores = [net(x) for x in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in net.parameters())
    return data_loss + reg_loss


def count_nodes(root: object) -> int:
    """Nodes reachable from ``root`` (iterative; works for both engines' ``_prev``)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for p in stack.pop()._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def train_block(V: type, net: Net, X: list, y: list, steps: int, rec: dict) -> None:
    """``steps`` SGD steps as users write them; the first is a warm-up, the rest are timed."""
    params = net.parameters()
    loss = None
    for step in range(steps):
        t0 = time.perf_counter()
        loss = loss_of(net, X, y)  # rebinding drops the previous step's graph here (freed or left to gc)
        t1 = time.perf_counter()
        for p in params:
            p.grad = 0.0
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        for p in params:
            p.data -= LR * p.grad
        if step:
            rec["fwd"].append(t1 - t0)
            rec["bwd"].append(t3 - t2)
    rec["nodes"] = count_nodes(loss)
    rec["loss"] = loss.data


def bytes_per_node(V: type, X: list, y: list) -> tuple[float, int]:
    """tracemalloc: memory held by one live graph (parameters excluded) divided by its nodes."""
    net = Net(V)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss = loss_of(net, X, y)
    loss.backward()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    n = count_nodes(loss) - len(net.parameters())
    del loss
    gc.collect()
    return held / n, n


def freed_by_refcount(V: type, X: list, y: list) -> tuple[int, int]:
    """(objects gc had to free after the graph was dropped, bytes still held before that collection)."""
    net = Net(V)
    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        loss = loss_of(net, X, y)
        loss.backward()
        del loss  # drop the graph: reference counting alone runs now
        left = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        found = gc.collect()  # objects only the cycle collector could free
    finally:
        gc.enable()
    return found, left


def micrograd_build_topo(root: object) -> list:
    """micrograd's recursive depth-first ordering (what its backward() does first)."""
    order: list = []
    visited: set = set()

    def visit(v: object) -> None:
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                visit(child)
            order.append(v)

    visit(root)
    return order


def backward_parts(V: type, X: list, y: list, reps: int = 3) -> tuple[float, float]:
    """Median (ordering, propagation) seconds of one backward on a fresh graph, gc on.

    micrograd: its recursive depth-first ``build_topo`` over ``_prev``, then one
    ``_backward()`` closure call per node; micrograd_ext orders and propagates in one
    newest-first pass (``micrograd_ext.core.value.backprop``): its ordering is 0 here
    and the whole pass counts as chain rule.
    """
    from micrograd_ext.core.value import backprop

    net = Net(V)
    t_order, t_prop = [], []
    for _ in range(reps):
        loss = loss_of(net, X, y)
        gc.collect()
        t0 = time.perf_counter()
        if V is ExtValue:
            order = None
            t1 = time.perf_counter()
            backprop(loss, 1.0)
        else:
            order = micrograd_build_topo(loss)
            t1 = time.perf_counter()
            loss.grad = 1.0
            for v in reversed(order):
                v._backward()
        t2 = time.perf_counter()
        t_order.append(t1 - t0)
        t_prop.append(t2 - t1)
        del loss, order
    return statistics.median(t_order), statistics.median(t_prop)


def fmt_row(name: str, rec: dict) -> str:
    n = rec["nodes"]
    f = statistics.median(rec["fwd"])
    b = statistics.median(rec["bwd"])
    return f"{name:<14} {n:>8} {f * 1e3:>10.1f} {b * 1e3:>10.1f} {f / n * 1e9:>12.0f} {b / n * 1e9:>12.0f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--blocks", type=int, default=4, help="interleaved blocks per engine (default 4)")
    ap.add_argument("--steps", type=int, default=4, help="training steps per block, first one untimed (default 4)")
    ap.add_argument("--quick", action="store_true", help="2 blocks of 3 steps")
    args = ap.parse_args(argv)
    if args.quick:
        args.blocks, args.steps = 2, 3

    X, y = make_data()
    engines: list[tuple[str, type]] = [("micrograd", MicrogradValue), ("micrograd_ext", ExtValue)]
    nets = {name: Net(V) for name, V in engines}
    recs: dict[str, dict] = {name: {"fwd": [], "bwd": []} for name, _ in engines}

    print(f"# bench_value: MLP {'-'.join(map(str, SIZES))} on {N_POINTS} points, max-margin + L2 loss, SGD")
    print(f"# {platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
          f"{platform.processor() or platform.platform()}, {datetime.date.today()}")
    print(f"# {args.blocks} interleaved blocks x {args.steps - 1} timed steps per engine, gc enabled: {gc.isenabled()}")
    for _ in range(args.blocks):
        for name, V in engines:
            gc.collect()
            train_block(V, nets[name], X, y, args.steps, recs[name])
    gc.collect()

    m, e = recs["micrograd"], recs["micrograd_ext"]
    same = [abs(a.data - b.data) for a, b in zip(nets["micrograd"].parameters(), nets["micrograd_ext"].parameters())]
    print(f"# same training trajectory: max |param difference| = {max(same):.3g}, "
          f"losses {m['loss']:.6f} / {e['loss']:.6f}")
    print()
    print(f"{'engine':<14} {'nodes':>8} {'fwd ms':>10} {'bwd ms':>10} {'fwd ns/node':>12} {'bwd ns/node':>12}")
    print(fmt_row("micrograd", m))
    print(fmt_row("micrograd_ext", e))
    ratio: Callable[[str], float] = lambda k: (statistics.median(m[k]) / m["nodes"]) / (statistics.median(e[k]) / e["nodes"])
    print(f"speed-up per node: forward x{ratio('fwd'):.2f} (target >= 3), backward x{ratio('bwd'):.2f} (target >= 3)")

    print("backward split (one fresh graph, median of 3):")
    for name, V in engines:
        o, p = backward_parts(V, X, y)
        print(f"  {name:<14} order {o * 1e3:6.1f} ms   chain rule {p * 1e3:6.1f} ms")

    bm, nm = bytes_per_node(MicrogradValue, X, y)
    be, ne = bytes_per_node(ExtValue, X, y)
    print()
    print(f"memory per node (tracemalloc, live graph after backward): micrograd {bm:.0f} B ({nm} nodes), "
          f"micrograd_ext {be:.0f} B ({ne} nodes): {be / bm:.0%} (target <= 50%)")

    fm, lm = freed_by_refcount(MicrogradValue, X, y)
    fe, le = freed_by_refcount(ExtValue, X, y)
    print()
    print("dropped graph, garbage collector disabled (reference counting only):")
    print(f"  micrograd     : {lm / 1e6:7.2f} MB still held after `del loss`; gc.collect() then found {fm} objects in cycles")
    print(f"  micrograd_ext : {le / 1e6:7.2f} MB still held after `del loss`; gc.collect() then found {fe} objects in cycles")
    print("  (a few hundred kB always remain: CPython's free lists of tuples and floats, kept for reuse)")


if __name__ == "__main__":
    main()
