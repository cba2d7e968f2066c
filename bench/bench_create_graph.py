"""The cost of ``backward(create_graph=True)`` relative to ``backward()``, on two workloads.

Run:  .venv/bin/python bench/bench_create_graph.py [--reps N] [--quick]

``backward()`` multiplies numbers stored on the edges; ``backward(create_graph=True)``
evaluates the op tables' derivative expressions on graph nodes, so it builds a second
graph (the derivative graph) node by node.  How much dearer is that?

1. micrograd's demo net, the workload of ``bench/bench_value.py`` (reused from there):
   an MLP 2-16-16-1 of plain ``Value`` operations on 100 points, max-margin + L2 loss,
   68,818 nodes per step.  Timed: ``loss.backward()``, ``loss.backward(create_graph=True)``,
   ``grad(loss, params)`` (the functional form, numbers), ``grad(loss, params,
   create_graph=True)``, and a Hessian-vector product (``create_graph`` pass, then one
   backward through the derivative graph).  Each on a freshly built graph (its
   construction untimed), garbage collector on, ``gc.collect()`` untimed before each.
2. the Tensor iris step: Bondartsov's 4-8-3 sigmoid net (``tensor_nn.MLP``) on the 150
   iris samples, eq. (1) BCE (``bce_loss(..., reduction='batchmean')``).  Timed: the
   same calls on freshly built graphs, ``inner`` calls per timing (each graph is
   built, untimed, beforehand); one BLAS thread.

All variants run interleaved in one process (each repetition runs every variant
once, in an order that rotates), and we report medians over the repetitions and the
ratio of medians.  Figures are recorded in docs/higher_order.md.
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_value import N_POINTS, SIZES, Net, loss_of, make_data  # noqa: E402

from micrograd_ext import Tensor, grad  # noqa: E402
from micrograd_ext.core.graph import topological_order  # noqa: E402
from micrograd_ext.engine import Value  # noqa: E402
from micrograd_ext.nets.datasets import load_iris  # noqa: E402
from micrograd_ext.nets.tensor_nn import MLP, bce_loss  # noqa: E402

clock = time.perf_counter


def _reset(params: list, value: bool) -> None:
    for p in params:
        p.grad = 0.0 if value else None


def derivative_graph_size(grads: list, forward_root: object) -> tuple[int, int]:
    """(nodes reachable from the gradients, how many of them are new: not in the forward graph)."""
    seen: set[int] = set()
    for g in grads:
        for n in topological_order(g):
            seen.add(id(n))
    old = {id(n) for n in topological_order(forward_root)}
    return len(seen), len(seen - old)


def value_variants(net: Net, X: list, y: list) -> dict[str, Callable[[], Callable[[], object]]]:
    """name -> prepare(): builds the graph (untimed) and returns the call to time."""
    params = net.parameters()
    v = [((k * 7919) % 13) / 13.0 - 0.5 for k in range(len(params))]  # a fixed direction for the hvp

    def plain() -> Callable[[], object]:
        loss = loss_of(net, X, y)
        _reset(params, True)
        return loss.backward

    def graph() -> Callable[[], object]:
        loss = loss_of(net, X, y)
        _reset(params, True)
        return lambda: loss.backward(create_graph=True)

    def fn_plain() -> Callable[[], object]:
        loss = loss_of(net, X, y)
        return lambda: grad(loss, params)

    def fn_graph() -> Callable[[], object]:
        loss = loss_of(net, X, y)
        return lambda: grad(loss, params, create_graph=True)

    def hvp() -> Callable[[], object]:
        loss = loss_of(net, X, y)

        def run() -> object:
            gs = grad(loss, params, create_graph=True)
            return grad(Value.sum([g * vk for g, vk in zip(gs, v)]), params, allow_unused=True)

        return run

    return {"backward()": plain, "backward(create_graph=True)": graph, "grad(loss, params)": fn_plain,
            "grad(..., create_graph=True)": fn_graph, "Hessian-vector product": hvp}


def tensor_variants(net: MLP, X: np.ndarray, Y: np.ndarray, inner: int) -> dict[str, Callable[[], Callable[[], object]]]:
    params = net.parameters()
    Xt = Tensor(X)
    vs = [np.cos(np.arange(p.data.size)).reshape(p.data.shape) for p in params]

    def losses() -> list:
        return [bce_loss(net(Xt), Y, reduction="batchmean") for _ in range(inner)]

    def plain() -> Callable[[], object]:
        ls = losses()

        def run() -> None:
            for loss in ls:
                _reset(params, False)
                loss.backward()

        return run

    def graph() -> Callable[[], object]:
        ls = losses()

        def run() -> None:
            for loss in ls:
                _reset(params, False)
                loss.backward(create_graph=True)

        return run

    def fn_plain() -> Callable[[], object]:
        ls = losses()
        return lambda: [grad(loss, params) for loss in ls]

    def fn_graph() -> Callable[[], object]:
        ls = losses()
        return lambda: [grad(loss, params, create_graph=True) for loss in ls]

    def hvp() -> Callable[[], object]:
        ls = losses()

        def run() -> None:
            for loss in ls:
                gs = grad(loss, params, create_graph=True)
                dot = None
                for g, v in zip(gs, vs):
                    term = (g * v).sum()
                    dot = term if dot is None else dot + term
                grad(dot, params, allow_unused=True)

        return run

    return {"backward()": plain, "backward(create_graph=True)": graph, "grad(loss, params)": fn_plain,
            "grad(..., create_graph=True)": fn_graph, "Hessian-vector product": hvp}


def measure(variants: dict[str, Callable[[], Callable[[], object]]], reps: int, per_call: int = 1) -> dict[str, list[float]]:
    """Interleaved: each repetition runs every variant once, the order rotating; first repetition is a warm-up."""
    names = list(variants)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(reps + 1):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            call = variants[name]()
            gc.collect()
            t0 = clock()
            result = call()
            dt = clock() - t0
            del call, result  # graphs are freed outside the timing
            if r:
                times[name].append(dt / per_call)
    return times


def table(times: dict[str, list[float]], unit: str, scale: float) -> dict[str, float]:
    """Prints median and min times and the median over repetitions of (time / backward() time in that repetition)."""
    base = times["backward()"]
    ratios = {}
    print(f"  {'':<30} {'median ' + unit:>12} {'min ' + unit:>10} {'x backward() (median of per-rep ratios)':>41}")
    for name, ts in times.items():
        ratios[name] = statistics.median(t / b for t, b in zip(ts, base))
        print(f"  {name:<30} {statistics.median(ts) * scale:>12.2f} {min(ts) * scale:>10.2f} {ratios[name]:>40.2f}x")
    return ratios


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7, help="interleaved repetitions (default 7; medians)")
    ap.add_argument("--quick", action="store_true", help="2 repetitions (a smoke run)")
    args = ap.parse_args(argv)
    reps = 2 if args.quick else args.reps
    print(f"# bench_create_graph: {platform.python_implementation()} {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}, {datetime.date.today()}; {reps} interleaved repetitions, medians; gc enabled")

    X, y = make_data()
    net = Net(Value)
    loss = loss_of(net, X, y)
    n_fwd = len(topological_order(loss))
    gs = grad(loss, net.parameters(), create_graph=True)
    n_reach, n_new = derivative_graph_size(gs, loss)
    del loss, gs
    print(f"\n1. micrograd's demo net (bench_value): MLP {'-'.join(map(str, SIZES))} of Value ops on {N_POINTS} points, "
          f"max-margin + L2; {n_fwd:,} nodes; create_graph builds {n_new:,} new nodes "
          f"(the gradients' graphs reach {n_reach:,})")
    variants = {"forward (build the graph)": lambda: (lambda: loss_of(net, X, y)), **value_variants(net, X, y)}
    table(measure(variants, reps), "ms", 1e3)

    Xi, yi = load_iris()[:2]
    Xi, Yi = np.asarray(Xi, dtype=float), np.eye(3)[np.asarray(yi)]
    tnet = MLP(4, [8, 3], activation="sigmoid", seed=0)
    inner = 20
    L = bce_loss(tnet(Tensor(Xi)), Yi, reduction="batchmean")
    n_reach, n_new = derivative_graph_size(grad(L, tnet.parameters(), create_graph=True), L)
    print(f"\n2. the Tensor iris step: 4-8-3 sigmoid net, 150 samples, eq. (1) BCE; {len(topological_order(L))} nodes, "
          f"create_graph builds {n_new} new nodes; {inner} calls per timing")

    def forward() -> Callable[[], object]:
        return lambda: [bce_loss(tnet(Tensor(Xi)), Yi, reduction="batchmean") for _ in range(inner)]

    table(measure({"forward (build the graph)": forward, **tensor_variants(tnet, Xi, Yi, inner)}, reps, per_call=inner),
          "us", 1e6)
    return 0


if __name__ == "__main__":
    sys.exit(main())
