"""tanh and its first four derivatives, each the gradient of the one before; backward drawn as a graph.

The lesson.  ``backward()`` multiplies *numbers*: each edge of the graph holds its
local derivative as a float.  With ``create_graph=True`` the engine evaluates the same
local derivatives — the same entries of the op table, e.g. ``d(tanh)/da = 1 - out^2``
— on the graph's *nodes* instead, so the gradient it returns is itself a node of a new
graph, made of ordinary ops, which can be differentiated again.  Nesting
``grad(..., create_graph=True)`` four times gives tanh', tanh'', tanh''' and tanh''''.

By hand (write ``t = tanh x`` and use ``t' = 1 - t^2`` at every step):

    tanh'    = 1 - t^2
    tanh''   = -2t (1 - t^2)
    tanh'''  = (6t^2 - 2) (1 - t^2)
    tanh'''' = (16t - 24t^3) (1 - t^2)

What a learner should see:

* the five curves on [-3, 3] (``tanh_derivatives.png``), computed on a ``Tensor`` of
  points — each derivative is ``grad(d.sum(), [x], create_graph=True)``, which for an
  elementwise function is the derivative at every point — and printed next to the
  closed forms above (differences at the 1e-15 level: rounding only);
* the graphs growing with the order (DeZero's step 35 draws the same growth): the
  derivative of a graph is a bigger graph, because the chain rule adds products and
  sums for every edge;
* ``tanh_second_derivative_graph.svg``: the graph of tanh''(x) at x = 0.5 after
  ``y.backward(create_graph=True)`` twice.  Nodes that a local-derivative formula
  created carry that formula as their label (``d(tanh)/da = 1 - out^2``), so the
  picture says where each piece of the derivative came from: backward is itself a
  computation graph.  (Before the second ``backward`` the lesson sets ``x.grad = 0``:
  a leaf *accumulates* its gradient, and tanh' would otherwise be added to tanh''.
  ``micrograd_ext.grad`` avoids the trap: it returns the gradient and writes no
  ``.grad``.)

Run:  .venv/bin/python demos/tanh_derivatives.py [--out DIR] [--fast]
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np
from _lesson import Checks, parse_args, pyplot, save

from micrograd_ext import Tensor, Value, grad
from micrograd_ext.core.graph import topological_order

NAMES = ["tanh", "tanh'", "tanh''", "tanh'''", "tanh''''"]
FORMULAS = ["t", "1 - t^2", "-2t (1 - t^2)", "(6t^2 - 2)(1 - t^2)", "(16t - 24t^3)(1 - t^2)"]


def closed_forms(x: np.ndarray | float) -> list:
    """tanh and its first four derivatives, derived by hand from ``t' = 1 - t^2``."""
    t = np.tanh(x)
    s = 1 - t * t
    return [t, s, -2 * t * s, (6 * t * t - 2) * s, (16 * t - 24 * t**3) * s]


def nested_derivatives(xs: np.ndarray, order: int = 4) -> tuple[list[np.ndarray], list[int]]:
    """tanh and its derivatives up to ``order`` at the points ``xs`` (one Tensor), by nesting ``grad``.

    Returns the arrays and the number of nodes in each one's graph.
    """
    x = Tensor(np.asarray(xs, dtype=float), requires_grad=True)
    d = x.tanh()
    out, sizes = [d.data.copy()], [len(topological_order(d))]
    for _ in range(order):
        (d,) = grad(d.sum(), [x], create_graph=True)  # elementwise: the derivative at every point
        out.append(d.data.copy())
        sizes.append(len(topological_order(d)))
    return out, sizes


def nested_derivatives_value(x0: float, order: int = 4) -> list[float]:
    """The same with one scalar ``Value`` (the other backend of the op table)."""
    x = Value(x0)
    d = x.tanh()
    out = [d.data]
    for _ in range(order):
        (d,) = grad(d, [x], create_graph=True)
        out.append(d.data)
    return out


def second_derivative_graph(x0: float = 0.5) -> tuple[Value, Value, Value]:
    """``(x, tanh'(x), tanh''(x))`` by ``backward(create_graph=True)`` twice (the gradients are graph nodes)."""
    x = Value(x0, label="x")
    y = x.tanh()
    y.label = "y"
    y.backward(create_graph=True)
    d1 = x.grad  # a Value: the graph of 1 - y^2
    d1.label = "tanh'(x)"
    x.grad = 0.0  # a leaf accumulates: clear it, or tanh' would be added to tanh''
    d1.backward(create_graph=True)
    d2 = x.grad
    d2.label = "tanh''(x)"
    return x, d1, d2


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, argv)
    checks = Checks()
    n = 121 if args.fast else 601
    xs = np.linspace(-3.0, 3.0, n)
    ds, sizes = nested_derivatives(xs)
    want = closed_forms(xs)
    print(f"tanh and its derivatives on [-3, 3] ({n} points, one Tensor), each by grad(create_graph=True) of the one before")
    print(f"  {'':<9} {'closed form (t = tanh x)':<26} {'max |autodiff - closed|':>24} {'graph nodes':>12}")
    for k in range(5):
        diff = float(np.max(np.abs(ds[k] - want[k])))
        print(f"  {NAMES[k]:<9} {FORMULAS[k]:<26} {diff:>24.2e} {sizes[k]:>12}")
        checks.check(f"{NAMES[k]} equals {FORMULAS[k]}", diff < 1e-12)
    checks.check("each derivative's graph is larger than the one before",
                 all(b > a for a, b in zip(sizes, sizes[1:])), " < ".join(map(str, sizes)))
    for x0 in (-1.3, 0.5):
        got = nested_derivatives_value(x0)
        diff = max(abs(a - b) for a, b in zip(got, closed_forms(x0)))
        checks.check(f"the same four derivatives with Value at x = {x0}", diff < 1e-12, f"max diff {diff:.1e}")
    h = 1e-4
    for k in (1, 4):  # an oracle independent of the closed forms: central differences of the order below
        p, m = nested_derivatives(np.array([0.5 + h, 0.5 - h]), order=k - 1)[0][k - 1]
        fd = (p - m) / (2 * h)
        got = nested_derivatives(np.array([0.5]), order=k)[0][k][0]
        checks.check(f"{NAMES[k]}(0.5) against central differences of {NAMES[k - 1]}", abs(got - fd) < 1e-6 * max(1, abs(fd)),
                     f"{got:.10f} vs {fd:.10f}")

    x, d1, d2 = second_derivative_graph(0.5)
    t = math.tanh(0.5)
    print(f"\nbackward(create_graph=True) at x = 0.5: x.grad is a {type(d1).__name__} (tanh' = {d1.data:.6f}); "
          f"its backward gives tanh'' = {d2.data:.6f}")
    checks.check("tanh''(0.5) from two backward(create_graph=True) equals -2t(1 - t^2)",
                 abs(d2.data - (-2 * t * (1 - t * t))) < 1e-14)
    from micrograd_ext.diagrams import DotNotFoundError, draw_graph
    from micrograd_ext.diagrams import save as save_diagram

    diagram = draw_graph(d2, edge_labels=True, title="tanh''(x) at x = 0.5: the graph that backward built")
    labelled = [n.label for n in topological_order(d2) if n.label.startswith("d(")]
    print(f"  the graph of tanh'' has {len(topological_order(d2))} nodes; labelled with their formula: {labelled}")
    checks.check("the derivative graph's nodes carry the formula they came from", "d(tanh)/da = 1 - out^2" in diagram.source)
    os.makedirs(args.out, exist_ok=True)
    base = os.path.join(args.out, "tanh_second_derivative_graph")
    try:
        print(f"picture: {save_diagram(diagram, base + '.svg')}")
    except DotNotFoundError:
        print(f"Graphviz 'dot' is missing: wrote the DOT source {save_diagram(diagram, base + '.gv')} instead of SVG")

    plt = pyplot()
    if plt is not None:
        fine = np.linspace(-3, 3, 601)
        fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
        for k in range(5):
            line, = ax.plot(xs, ds[k], lw=1.8, label=f"{NAMES[k]} = {FORMULAS[k]}")
            ax.plot(fine, closed_forms(fine)[k], color="k", lw=0.6, ls=":")
        ax.plot([], [], color="k", lw=0.6, ls=":", label="closed forms (dotted)")
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_xlabel("x")
        ax.set_title("tanh and its first four derivatives, each by grad(create_graph=True) of the one before",
                     fontsize=9)
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        save(fig, args.out, "tanh_derivatives.png")
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
