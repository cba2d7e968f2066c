"""micrograd's two-moons demo, node by node: a 2-16-16-1 MLP, max-margin loss + L2, SGD.

The same recipe as micrograd's ``demo.ipynb`` (100 points, noise 0.1, labels -1/+1,
``loss = mean(relu(1 - y * score)) + 1e-4 * sum(p^2)``, learning rate 1.0 - 0.9 k/100),
trained by :func:`micrograd_ext.commands.train.train_moons`, the loop of ``micrograd-ext
train``.  Each neuron's weighted sum is one node (``weighted_sum=True``): the same gradients
as micrograd's chains of ``+`` and ``*`` nodes, with several times fewer nodes, so the 100
steps take seconds.  The data come from ``micrograd_ext.datasets.make_moons`` (not
scikit-learn's), so the numbers differ from micrograd's notebook.

The seed is micrograd's notebook's, 1337, for the data and the initial weights; ``micrograd-ext
train`` defaults to seed 0, so its run is another one: ``micrograd-ext train --seed 1337``
gives this run, and both print their seed.  At the end it draws the decision boundary, a
PNG (matplotlib) and a text map in the terminal.

Run:  .venv/bin/python demos/moons.py [--out DIR] [--steps N] [--fast]
"""

from __future__ import annotations

import argparse
import io
import os
import sys

import numpy as np

from micrograd_ext.core.graph import no_grad
from micrograd_ext.nets.files import write_bytes


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

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from micrograd_ext.commands.train import train_moons
    from micrograd_ext.nets.datasets import make_moons

    n = 60 if args.fast else 100
    steps = args.steps if args.steps is not None else (40 if args.fast else 100)
    print(f"two moons: {n} points, seed {args.seed}; MLP 2-16-16-1 (ReLU, linear output); {steps} SGD steps")
    print(f"  (the same run as: micrograd-ext train --seed {args.seed} --samples {n} --steps {steps})")
    res = train_moons(steps, n, args.seed, out=sys.stderr)
    model = res.model
    X, y = make_moons(n=n, noise=0.1, seed=args.seed, signed=True)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    acc = res.final_accuracy
    print(f"training accuracy after {steps} steps: {100 * acc:.1f}% (loss {res.final_loss:.6f})")
    print("decision regions (':' class +1, '.' class -1; data: x = +1, o = -1):")
    print(ascii_map(model, X, y, cols=50 if args.fast else 64, rows=16 if args.fast else 22))

    h = 0.1 if args.fast else 0.05
    xs = np.arange(X[:, 0].min() - 1, X[:, 0].max() + 1, h)
    ys = np.arange(X[:, 1].min() - 1, X[:, 1].max() + 1, h)
    Z = scores_grid(model, xs, ys)
    path = os.path.join(args.out, "moons_decision_boundary.png")
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
    ax.contourf(xs, ys, Z > 0, cmap=plt.cm.Spectral, alpha=0.8)
    ax.contour(xs, ys, Z, levels=[0.0], colors="k", linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=30, cmap=plt.cm.Spectral, edgecolors="k")
    ax.set_title(f"two moons, MLP 2-16-16-1 node by node: {100 * acc:.0f}% after {steps} steps")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    write_bytes(path, buf.getvalue(), "moons")
    print(f"decision boundary: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
