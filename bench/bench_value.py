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
* backward time per node: ``loss.backward()`` (micrograd: topological order, then
  one closure per node; micrograd_ext: one newest-first pass);
* the natural training loop: the whole step (forward, zero_grad, backward, SGD
  step) as users write it, ``loss`` rebound each step, collector left alone;
* the same loop with ``del loss`` after each step: the last graph is dropped before
  the next one is built, so only one graph is alive at a time;
* a million-node chain (``y = y + 1.0``, and ``y = -y``, a million times): backward in ns per node;
* bytes per node: tracemalloc, memory held by one live graph / its node count;
* that a dropped graph is freed by reference counting alone: with the collector
  disabled, build, backward, drop; then ``gc.collect()`` reports how many
  unreachable objects (reference cycles) it had to free.

The engines run interleaved in one process: blocks of K training steps, engine A
then engine B, the natural loop then the ``del loss`` loop, repeated;
``gc.collect()`` runs (untimed) between blocks so neither engine pays for the
other's garbage (within a block the collector is left alone); the first step of a
block is a warm-up, the other K-1 are timed.  We report medians.  Figures are recorded in docs/bench_value.md.
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


def train_block(V: type, net: Net, X: list, y: list, steps: int, rec: dict, drop: bool = False) -> None:
    """``steps`` SGD steps as users write them; the first is a warm-up, the rest are timed.

    ``drop``: ``del loss`` at the end of each step, so the graph is freed before the next forward.
    """
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
        t4 = time.perf_counter()
        if step:
            rec["fwd"].append(t1 - t0)
            rec["bwd"].append(t3 - t2)
            rec["step"].append(t4 - t0)
        if step == steps - 1:
            rec["nodes"] = count_nodes(loss)
            rec["loss"] = loss.data
        if drop:
            del loss


def chain_backward(n: int = 1_000_000, reps: int = 3, unary: bool = False) -> tuple[float, float]:
    """Median seconds of ``y.backward()`` on a chain of ``n`` nodes, and of building it.

    ``y = y + 1.0`` repeated (each '+' node has a constant leaf, which gets a gradient
    too), or with ``unary`` ``y = -y`` (one parent, no leaves).  Built fresh for each
    rep (untimed), the collector run before timing.
    """
    t_back, t_build = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        x = ExtValue(1.0)
        y = x
        if unary:
            for _ in range(n):
                y = -y
        else:
            for _ in range(n):
                y = y + 1.0
        t1 = time.perf_counter()
        gc.collect()
        t2 = time.perf_counter()
        y.backward()
        t3 = time.perf_counter()
        assert x.grad == (1.0 if not unary else (-1.0) ** n)
        t_build.append(t1 - t0)
        t_back.append(t3 - t2)
        del x, y
        gc.collect()
    return statistics.median(t_back), statistics.median(t_build)


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
    loops = {"natural": False, "del loss": True}
    nets = {(name, loop): Net(V) for name, V in engines for loop in loops}
    recs: dict[tuple[str, str], dict] = {(name, loop): {"fwd": [], "bwd": [], "step": []}
                                         for name, _ in engines for loop in loops}

    print(f"# bench_value: MLP {'-'.join(map(str, SIZES))} on {N_POINTS} points, max-margin + L2 loss, SGD")
    print(f"# {platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
          f"{platform.processor() or platform.platform()}, {datetime.date.today()}")
    print(f"# {args.blocks} interleaved blocks x {args.steps - 1} timed steps per engine and loop, "
          f"gc enabled: {gc.isenabled()}")
    for _ in range(args.blocks):
        for loop, drop in loops.items():
            for name, V in engines:
                gc.collect()
                train_block(V, nets[name, loop], X, y, args.steps, recs[name, loop], drop)
    gc.collect()

    m, e = recs["micrograd", "natural"], recs["micrograd_ext", "natural"]
    same = [abs(a.data - b.data) for a, b in zip(nets["micrograd", "natural"].parameters(),
                                                  nets["micrograd_ext", "natural"].parameters())]
    print(f"# same training trajectory: max |param difference| = {max(same):.3g}, "
          f"losses {m['loss']:.6f} / {e['loss']:.6f}")
    print()
    print(f"{'engine':<14} {'nodes':>8} {'fwd ms':>10} {'bwd ms':>10} {'fwd ns/node':>12} {'bwd ns/node':>12}")
    print(fmt_row("micrograd", m))
    print(fmt_row("micrograd_ext", e))
    ratio: Callable[[str], float] = lambda k: (statistics.median(m[k]) / m["nodes"]) / (statistics.median(e[k]) / e["nodes"])
    print(f"speed-up per node: forward x{ratio('fwd'):.2f} (target >= 10), backward x{ratio('bwd'):.2f} (target >= 3.5)")

    print()
    print("training loop, whole step (forward, zero_grad, backward, SGD step), collector left alone, median ms:")
    med = lambda name, loop, k="step": statistics.median(recs[name, loop][k]) * 1e3
    for loop in loops:
        how = "`loss` rebound each step" if loop == "natural" else "`del loss` after each step"
        mm, ee = med("micrograd", loop), med("micrograd_ext", loop)
        print(f"  {loop:<9} ({how:<26}): micrograd {mm:8.1f}   micrograd_ext {ee:7.1f}   x{mm / ee:5.2f}"
              + ("   (target >= 10)" if loop == "natural" else ""))
    for name, _ in engines:
        nat, dl = med(name, "natural"), med(name, "del loss")
        print(f"  effect of `del loss`, {name:<13}: step {nat:8.1f} -> {dl:7.1f} ms (x{nat / dl:.2f}); forward "
              f"{med(name, 'natural', 'fwd'):8.1f} -> {med(name, 'del loss', 'fwd'):7.1f} ms")

    print("backward split (one fresh graph, median of 3):")
    for name, V in engines:
        o, p = backward_parts(V, X, y)
        print(f"  {name:<14} order {o * 1e3:6.1f} ms   chain rule {p * 1e3:6.1f} ms")

    bm, nm = bytes_per_node(MicrogradValue, X, y)
    be, ne = bytes_per_node(ExtValue, X, y)
    print()
    print(f"memory per node (tracemalloc, live graph after backward): micrograd {bm:.0f} B ({nm} nodes), "
          f"micrograd_ext {be:.0f} B ({ne} nodes): {be / bm:.0%} (target <= 25%)")

    fm, lm = freed_by_refcount(MicrogradValue, X, y)
    fe, le = freed_by_refcount(ExtValue, X, y)
    print()
    print("dropped graph, garbage collector disabled (reference counting only):")
    print(f"  micrograd     : {lm / 1e6:7.2f} MB still held after `del loss`; gc.collect() then found {fm} objects in cycles")
    print(f"  micrograd_ext : {le / 1e6:7.2f} MB still held after `del loss`; gc.collect() then found {fe} objects in cycles")
    print("  (a few hundred kB always remain: CPython's free lists of tuples and floats, kept for reuse)")

    n = 1_000_000
    reps = 1 if args.quick else 3
    print()
    print(f"a chain of {n:,} nodes, backward (median of {reps}; micrograd's recursive backward cannot run it), "
          "target < 300 ns per node:")
    back, build = chain_backward(n, reps)
    print(f"  y = y + 1.0 : {back * 1e3:4.0f} ms: {back / n * 1e9:4.0f} ns per '+' node "
          f"({back / (2 * n + 1) * 1e9:.0f} ns per node reached, constant leaves included); built in {build:.1f} s")
    back, build = chain_backward(n, reps, unary=True)
    print(f"  y = -y      : {back * 1e3:4.0f} ms: {back / n * 1e9:4.0f} ns per 'neg' node; built in {build:.1f} s")

if __name__ == "__main__":
    main()
