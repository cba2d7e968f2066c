"""micrograd's two-moons demo, node by node: a 2-16-16-1 MLP, max-margin loss + L2, SGD.

The same recipe as micrograd's ``demo.ipynb`` (100 points, noise 0.1, labels -1/+1,
``loss = mean(relu(1 - y * score)) + 1e-4 * sum(p^2)``, learning rate 1.0 - 0.9 k/100),
written with micrograd_ext's ``nn``, ``losses`` and ``optim``.  Each neuron's weighted sum
is one node (``weighted_sum=True``): the same gradients as micrograd's chains of ``+`` and
``*`` nodes, with several times fewer nodes, so the 100 steps take seconds.  The data come
from ``micrograd_ext.datasets.make_moons`` (not scikit-learn's), so the numbers differ from
micrograd's notebook.  At the end it draws the decision boundary: a PNG with matplotlib if it
is installed, always a text map in the terminal.

Run:  .venv/bin/python demos/moons.py [--out DIR] [--steps N] [--fast]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from micrograd_ext.core.graph import no_grad


def scores_grid(model, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The model's score at every grid point (no graph is recorded)."""
    Z = np.empty((len(ys), len(xs)))
    with no_grad():
        for r, yv in enumerate(ys):
            for c, xv in enumerate(xs):
                Z[r, c] = model([float(xv), float(yv)]).data
    return Z


def ascii_map(model, X: np.ndarray, y: np.ndarray, cols: int = 60, rows: int = 20) -> str:
    """The decision regions as text: '.' where the score is negative, ':' where positive; data as o / x."""
    x0, x1 = X[:, 0].min() - 0.3, X[:, 0].max() + 0.3
    y0, y1 = X[:, 1].min() - 0.3, X[:, 1].max() + 0.3
    xs = np.linspace(x0, x1, cols)
    ys = np.linspace(y1, y0, rows)
    Z = scores_grid(model, xs, ys)
    grid = [[":" if Z[r, c] > 0 else "." for c in range(cols)] for r in range(rows)]
    for (px, py), lab in zip(X, y):
        c = int(round((px - x0) / (x1 - x0) * (cols - 1)))
        r = int(round((y1 - py) / (y1 - y0) * (rows - 1)))
        grid[r][c] = "x" if lab > 0 else "o"
    return "\n".join("  " + "".join(row) for row in grid)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join("micrograd_ext_out", "demos"), help="folder for the picture")
    ap.add_argument("--steps", type=int, default=None, help="SGD steps (default 100, 30 with --fast)")
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--fast", action="store_true", help="fewer points and steps (for tests)")
    args = ap.parse_args(argv)

    from micrograd_ext.nets.datasets import make_moons
    from micrograd_ext.nets.losses import max_margin
    from micrograd_ext.nets.neurons import MLP
    from micrograd_ext.nets.optim import SGD

    n = 60 if args.fast else 100
    steps = args.steps if args.steps is not None else (40 if args.fast else 100)
    X, y = make_moons(n=n, noise=0.1, seed=args.seed)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if set(np.unique(y)) <= {0.0, 1.0}:
        y = 2 * y - 1  # micrograd's demo uses labels -1 / +1
    model = MLP(2, [16, 16, 1], seed=args.seed, weighted_sum=True)
    params = model.parameters()
    print(f"two moons: {n} points; MLP 2-16-16-1 (ReLU, linear output), {len(params)} parameters")
    rows = [[float(a), float(b)] for a, b in X]
    labels = [float(v) for v in y]
    opt = SGD(params, lr=1.0)
    acc = 0.0
    for k in range(steps):
        scores = [model(r) for r in rows]
        loss = max_margin(scores, labels, alpha=1e-4, params=params)
        acc = float(np.mean([(s.data > 0) == (t > 0) for s, t in zip(scores, labels)]))
        opt.zero_grad()
        loss.backward()
        opt.lr = 1.0 - 0.9 * k / steps  # micrograd's schedule
        opt.step()
        if k % max(1, steps // 10) == 0 or k == steps - 1:
            print(f"  step {k:>3}  loss {loss.data:.4f}  accuracy {100 * acc:5.1f}%", file=sys.stderr)
    with no_grad():
        acc = float(np.mean([(model(r).data > 0) == (t > 0) for r, t in zip(rows, labels)]))
    print(f"training accuracy after {steps} steps: {100 * acc:.1f}%")
    print("decision regions (':' class +1, '.' class -1; data: x = +1, o = -1):")
    print(ascii_map(model, X, y, cols=50 if args.fast else 64, rows=16 if args.fast else 22))

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed, so no PNG of the decision boundary; get it with")
        print("  .venv/bin/pip install 'micrograd_ext[plot]'   (or: pip install matplotlib)")
        return 0
    h = 0.1 if args.fast else 0.05
    xs = np.arange(X[:, 0].min() - 1, X[:, 0].max() + 1, h)
    ys = np.arange(X[:, 1].min() - 1, X[:, 1].max() + 1, h)
    Z = scores_grid(model, xs, ys)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "moons_decision_boundary.png")
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
    ax.contourf(xs, ys, Z > 0, cmap=plt.cm.Spectral, alpha=0.8)
    ax.contour(xs, ys, Z, levels=[0.0], colors="k", linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=30, cmap=plt.cm.Spectral, edgecolors="k")
    ax.set_title(f"two moons, MLP 2-16-16-1 node by node: {100 * acc:.0f}% after {steps} steps")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(f"decision boundary: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
