"""``micrograd-ext tour``: the guided tour of backpropagation on Bondartsov's iris network.

This is the project's main job (``bash run.sh``).  Following Bondartsov, "Notes on
analytic gradient derivation" (2019), it

1. loads the iris data shipped in the package and splits it (seeded, stratified)
   into 120 training and 30 held-out rows;
2. builds the paper's network node by node with :class:`~micrograd_ext.engine.Value`:
   4 inputs, 8 sigmoid hidden neurons, 3 sigmoid outputs, the bias as weight
   column 0 (``w(l)[i,0]``), each weighted sum ``z`` one node (eq. (5c)) and the
   loss ``C`` of eq. (1) one node (eq. (5a));
3. checks the gradients of one full-batch step against the closed forms of eqs. (8)
   and (14) (``micrograd_ext.closed_form``, and ``micrograd_ext.docnets``'s own
   comparison) and prints the comparison with pass/fail;
4. trains it (Adam, minibatches) with a progress bar showing loss and accuracy, and
   reports training and held-out accuracy;
5. on the held-out row the trained net finds hardest, prints the chain-rule paths from
   ``C`` to the weight of each layer with the largest gradient (eqs. (4) and (9)): each
   path's local derivatives (each recomputed from the paper's equation for it) and
   product, their sum, and ``.grad``;
6. draws Figures 1, 2 and 3 of the paper and the loss curve into ``--out``, saves the
   trained weights (``Module.save``) and checks that they load back bit for bit.

Everything it prints is computed, never canned: if a check fails (gradients, paths,
save/load), the tour says FAIL and exits with status 1.  Held-out accuracy is reported
(with a hint when it is below 90%, e.g. after a short ``--epochs``).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.graph import no_grad
from ..core.value import Value

__all__ = [
    "main",
    "run_tour",
    "TourResult",
    "split_stratified",
    "build_net",
    "check_against_paper",
    "closed_form_bondartsov",
    "print_paths",
    "svg_line_plot",
    "write_loss_curve",
]

DEFAULT_OUT = "micrograd_ext_out"
HIDDEN = 8


# -- data ------------------------------------------------------------------------------------


def split_stratified(y: np.ndarray, n_test_per_class: int, seed: int) -> tuple[list[int], list[int]]:
    """A seeded stratified split: ``n_test_per_class`` rows of each class are held out.

    Returns ``(train_idx, test_idx)``, each sorted, disjoint, covering every row.
    """
    rng = random.Random(seed)
    train: list[int] = []
    test: list[int] = []
    for k in sorted(set(int(v) for v in y)):
        idx = [i for i, v in enumerate(y) if int(v) == k]
        if len(idx) <= n_test_per_class:
            raise ValueError(f"split_stratified: class {k} has {len(idx)} rows, cannot hold out {n_test_per_class}")
        rng.shuffle(idx)
        test += idx[:n_test_per_class]
        train += idx[n_test_per_class:]
    return sorted(train), sorted(test)


def _one_hot(y: np.ndarray, k: int) -> list[list[float]]:
    return [[1.0 if int(c) == j else 0.0 for j in range(k)] for c in y]


# -- the network -----------------------------------------------------------------------------


def build_net(seed: int) -> Any:
    """Bondartsov's Figure 1 network, node by node: 4 -> 8 sigmoid -> 3 sigmoid, bias as w(l)[i,0].

    ``micrograd_ext.nn.MLP(4, [8, 3], activation='sigmoid', weighted_sum=True, seed=seed)``.
    """
    from ..nets.neurons import MLP

    return MLP(4, [HIDDEN, 3], activation="sigmoid", weighted_sum=True, seed=seed)


def bce_node(outputs: Sequence[Sequence[Value]], targets: Sequence[Sequence[float]]) -> Value:
    """The loss ``C`` of eq. (1) as ONE node over every output of every sample (edges: eq. (5a))."""
    try:
        from ..nets.losses import bce
    except ImportError:  # the losses module is not in this build: the same node, straight from the rule table
        flat = [a for row in outputs for a in row]
        ys = [float(t) for row in targets for t in row]
        return Value.nary("bce", flat, targets=ys, scale=1.0 / len(outputs))
    return bce(outputs, targets)


def inputs(row: Sequence[float]) -> list[Value]:
    """One sample's inputs as leaf nodes ``x[1] .. x[4]``, shared by every neuron of layer 1 (as in Figure 1)."""
    return [Value(float(v), label=f"x[{j}]") for j, v in enumerate(row, 1)]


def _predict(net: Any, X: np.ndarray) -> tuple[list[list[float]], list[int]]:
    """Forward without recording a graph: the outputs ``a(2)`` and the argmax class of each row."""
    outs: list[list[float]] = []
    with no_grad():
        for row in X:
            o = net([float(v) for v in row])
            outs.append([v.data for v in o])
    return outs, [int(np.argmax(o)) for o in outs]


def _bce_value(outs: list[list[float]], Y: list[list[float]]) -> float:
    eps = 1e-300
    s = 0.0
    for o, y in zip(outs, Y):
        for a, t in zip(o, y):
            s += t * math.log(max(a, eps)) + (1 - t) * math.log(max(1 - a, eps))
    return -s / len(outs)


# -- progress bar ----------------------------------------------------------------------------


class Progress:
    """A plain-text progress bar on stderr (redrawn in place on a terminal, a few lines otherwise)."""

    def __init__(self, total: int, width: int = 28, stream: Any = None) -> None:
        self.total = max(1, total)
        self.width = width
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.perf_counter()
        self._last_decile = -1

    def update(self, done: int, **fields: float) -> None:
        sys.stdout.flush()  # keep the bar after what the tour printed when both go to one pipe
        frac = done / self.total
        bar = "#" * int(round(frac * self.width))
        text = "  ".join(f"{k} {v:.4f}" if k == "loss" else f"{k} {100 * v:5.1f}%" for k, v in fields.items())
        line = f"  epoch {done:>4}/{self.total} [{bar:<{self.width}}] {text}  {time.perf_counter() - self.t0:5.1f}s"
        if self.tty:
            self.stream.write("\r" + line)
            if done >= self.total:
                self.stream.write("\n")
            self.stream.flush()
        else:
            decile = int(frac * 10)
            if decile != self._last_decile or done >= self.total:
                self._last_decile = decile
                self.stream.write(line + "\n")
                self.stream.flush()


# -- training --------------------------------------------------------------------------------


@dataclass
class TrainLog:
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    nodes_per_step: int = 0
    seconds: float = 0.0


def count_nodes(root: Value) -> int:
    from ..core.graph import topological_order

    return len(topological_order(root))


def train(net: Any, Xtr: np.ndarray, Ytr: list[list[float]], Xte: np.ndarray, Yte: list[list[float]], *,
          epochs: int, batch: int, lr: float, seed: int, progress: bool = True) -> TrainLog:
    """Minibatch Adam on the loss of eq. (1); each step builds the whole graph node by node."""
    from ..nets.optim import Adam

    opt = Adam(net.parameters(), lr=lr)
    rng = random.Random(seed)
    order = list(range(len(Xtr)))
    rows = [[float(v) for v in r] for r in Xtr]
    ytrue = [int(np.argmax(y)) for y in Ytr]
    log = TrainLog()
    bar = Progress(epochs) if progress else None
    t0 = time.perf_counter()
    for ep in range(1, epochs + 1):
        rng.shuffle(order)
        tot, correct = 0.0, 0
        for s in range(0, len(order), batch):
            idx = order[s: s + batch]
            outs = [net(inputs(rows[i])) for i in idx]
            C = bce_node(outs, [Ytr[i] for i in idx])
            if not log.nodes_per_step:
                log.nodes_per_step = count_nodes(C)
            opt.zero_grad()
            C.backward()
            opt.step()
            tot += C.data * len(idx)
            correct += sum(int(np.argmax([v.data for v in o])) == ytrue[i] for o, i in zip(outs, idx))
        log.train_loss.append(tot / len(order))
        log.train_acc.append(correct / len(order))
        outs_te, _ = _predict(net, Xte)
        log.test_loss.append(_bce_value(outs_te, Yte))
        if bar:
            bar.update(ep, loss=log.train_loss[-1], acc=log.train_acc[-1])
    log.seconds = time.perf_counter() - t0
    return log


# -- the checks against the paper -----------------------------------------------------------


@dataclass
class CheckRow:
    equation: str
    quantity: str
    shape: tuple
    max_abs_diff: float
    passed: bool


def _weights_matrices(net: Any) -> list[np.ndarray]:
    """``w(l)`` as the paper's matrices, bias in column 0 (rows = neurons of layer l)."""
    mats = []
    for layer in net.layers:
        mats.append(np.array([[n.b.data] + [w.data for w in n.w] for n in layer.neurons]))
    return mats


def _grad_matrices(net: Any) -> list[np.ndarray]:
    mats = []
    for layer in net.layers:
        mats.append(np.array([[n.b.grad] + [w.grad for w in n.w] for n in layer.neurons]))
    return mats


def closed_form_bondartsov(W1: np.ndarray, W2: np.ndarray, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eqs. (8) and (14)-(15) of Bondartsov in numpy (a fallback when ``verify`` is not installed).

    ``X`` is ``|Sx| x 4`` and ``Y`` is ``|Sx| x 3`` (rows are samples).  With ``x`` and
    ``a(1)`` given a bias column of ones,
    ``grad w(2) = 1/|Sx| (a(2) - y) . a(1)^T`` (8) and
    ``grad w(1) = 1/|Sx| (g(1) o f(2)) . x^T`` (14), ``f(2) = (a(2) - y)^T w(2)`` (15).
    """
    N = X.shape[0]
    x1 = np.hstack([np.ones((N, 1)), X])
    a1 = 1.0 / (1.0 + np.exp(-(x1 @ W1.T)))
    a1b = np.hstack([np.ones((N, 1)), a1])
    a2 = 1.0 / (1.0 + np.exp(-(a1b @ W2.T)))
    E = a2 - Y  # (N, 3)
    gW2 = E.T @ a1b / N  # (8)
    f2 = E @ W2[:, 1:]  # (15), (N, 8)
    g1 = a1 * (1 - a1)  # (12b)
    gW1 = (g1 * f2).T @ x1 / N  # (14)
    return gW1, gW2


def check_against_paper(net: Any, X: np.ndarray, Y: list[list[float]], tol: float = 1e-10) -> list[tuple[str, list[CheckRow]]]:
    """One full-batch backward pass compared with eqs. (8) and (14), in one or two graphs.

    1. The training step's own graph (``C`` of eq. (1) as ONE node), against
       ``micrograd_ext.closed_form.bondartsov_grad_w2`` / ``bondartsov_grad_w1`` (the
       paper's formulas, equation by equation), or the numpy forms of this module when
       ``closed_form`` is not installed.
    2. When ``micrograd_ext.docnets`` is installed, its
       ``bondartsov_iris_gradients(net, X, Y)``: the same net with ``C`` built from
       elementary nodes, compared with the same closed forms by the verification code.

    Returns ``[(title, rows), ...]``.  Leaves the net's ``.grad`` zeroed.
    """
    rows_x = [[float(v) for v in r] for r in X]
    net.zero_grad()
    C = bce_node([net(inputs(r)) for r in rows_x], Y)
    C.backward()
    g1, g2 = _grad_matrices(net)
    W1, W2 = _weights_matrices(net)
    Xa, Ya = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    try:  # the verification module's implementation of the paper's formulas, when it is installed
        from ..documents.closed_form import bondartsov_grad_w1, bondartsov_grad_w2
    except ImportError:
        oracle = "micrograd_ext.tour.closed_form_bondartsov"
        e1, e2 = closed_form_bondartsov(W1, W2, Xa, Ya)
    else:
        oracle = "micrograd_ext.closed_form"
        e1, e2 = np.asarray(bondartsov_grad_w1(W1, W2, Xa, Ya)), np.asarray(bondartsov_grad_w2(W1, W2, Xa, Ya))
    net.zero_grad()

    def row(eq: str, name: str, got: np.ndarray, want: np.ndarray) -> CheckRow:
        d = float(np.max(np.abs(got - want)))
        return CheckRow(eq, name, want.shape, d, d <= tol * max(1.0, float(np.max(np.abs(want)))))

    out = [(f"the training step's graph (C one node) vs. {oracle}",
            [row("(8)", "grad w(2)", g2, e2), row("(14)", "grad w(1)", g1, e1)])]
    try:
        from ..documents.docnets import bondartsov_iris_gradients
    except ImportError:
        return out
    r = bondartsov_iris_gradients(net, Xa, Ya)
    net.zero_grad()
    out.append(("micrograd_ext.docnets.bondartsov_iris_gradients (C from elementary nodes)",
                [row("(8)", "grad w(2)", np.asarray(r.grad_w2), np.asarray(r.eq8)),
                 row("(14)", "grad w(1)", np.asarray(r.grad_w1), np.asarray(r.eq14))]))
    return out


# -- chain-rule paths --------------------------------------------------------------------------


def one_sample_graph(net: Any, x: Sequence[float], y: Sequence[float]) -> Value:
    """The graph of ``C`` for ONE sample (``|Sx| = 1``), as the paper's Figures 2 and 3 draw it."""
    net.zero_grad()
    out = net(inputs(x))
    C = bce_node([out], [list(y)])
    C.label = "C"
    C.backward()
    return C


def _equation_of(node: Value, k: int, y: Sequence[float]) -> tuple[str, float] | None:
    """The paper's equation for the local derivative on edge ``k`` of ``node`` and its value from that equation.

    Computed from the nodes' data only (never from the stored local derivative), so that
    comparing it with the edge's number checks the engine against the paper:
    (5a) ``dC/da(2)_i = (a - y_i)/(a(1 - a))`` (one sample); (5b)/(10c) ``da/dz = a(1 - a)``;
    (10a) ``dz(2)_k/da(1)_i = w(2)_{k,i}``; (5c)/(10b) ``dz/dw_{i,j} = a_j`` or ``x_j`` (1 for ``j = 0``).
    ``None`` for an edge the paper does not name.
    """
    lab = node.label
    parent = node._prev[k]
    if lab == "C" and parent.label.startswith("a(2)["):
        i = int(parent.label[5:-1])
        a = parent.data
        return "(5a)", (a - y[i - 1]) / (a * (1 - a))
    if lab.startswith("a(2)") or lab.startswith("a(1)"):
        return ("(5b)" if lab.startswith("a(2)") else "(10c)"), node.data * (1 - node.data)
    if lab.startswith("z(") and node._op == "wsum":
        # parents: (w_0, w_1, x_1, w_2, x_2, ...)
        if k == 0:
            return ("(5c)" if lab.startswith("z(2)") else "(10b)"), 1.0
        if k % 2 == 1:  # a weight: the local derivative is its input
            return ("(5c)" if lab.startswith("z(2)") else "(10b)"), node._prev[k + 1].data
        return "(10a)", node._prev[k - 1].data  # an input a(1)_i: the weight w(2)_{k,i}
    return None


def print_paths(C: Value, w: Value, y: Sequence[float] | None = None, out: Any = None) -> bool:
    """Print every path from ``C`` to ``w``: its partials, local derivatives and product; the sum and ``.grad``.

    With the sample's targets ``y``, each factor is also recomputed from the paper's
    equation for it (:func:`_equation_of`) and compared.  Returns whether every check passed.
    """
    out = out or sys.stdout
    from ..diagrams.chain import paths

    ps = paths(C, w)
    total = 0.0
    ok = True
    print(f"  dC/d{w.label}: {len(ps)} path(s)", file=out)
    for k, p in enumerate(ps, 1):
        labels = [getattr(n, "label", "") or getattr(n, "_op", "?") for n in p.nodes]
        parts = " * ".join(f"d{a}/d{b}" for a, b in zip(labels, labels[1:]))
        facs = " * ".join(f"{f:+.6g}" for f in p.factors)
        print(f"    path {k}: {parts}", file=out)
        print(f"            = {facs} = {p.product:+.10g}", file=out)
        if y is not None:
            eqs = [_equation_of(n, e, y) for n, e in zip(p.nodes, p.edges)]
            if all(eqs):
                worst = max(abs(f - v) / max(1.0, abs(v)) for f, (_, v) in zip(p.factors, eqs))
                good = worst <= 1e-12
                ok &= good
                print(f"            factors by Bondartsov eqs. {' * '.join(e for e, _ in eqs)}: "
                      f"{'PASS' if good else 'FAIL'} (worst relative difference {worst:.1e})", file=out)
        total += p.product
    good = abs(total - w.grad) <= 1e-12 * max(1.0, abs(w.grad))
    ok &= good
    print(f"    sum of products = {total:+.15g}", file=out)
    print(f"    {w.label}.grad      = {w.grad:+.15g}   {'PASS' if good else 'FAIL'} (|diff| = {abs(total - w.grad):.1e})",
          file=out)
    return ok


# -- pictures --------------------------------------------------------------------------------


def svg_line_plot(series: dict[str, Sequence[float]], title: str, xlabel: str, ylabel: str,
                  width: int = 640, height: int = 400) -> str:
    """A line plot as a standalone SVG document (no dependency): axes, ticks, one polyline per series."""
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    ml, mr, mt, mb = 70, 20, 40, 50
    pw, ph = width - ml - mr, height - mt - mb
    n = max(len(v) for v in series.values())
    ymax = max(max(v) for v in series.values() if len(v))
    ymin = min(0.0, min(min(v) for v in series.values() if len(v)))
    if ymax <= ymin:
        ymax = ymin + 1.0

    def px(i: float) -> float:
        return ml + pw * (i / max(1, n - 1))

    def py(v: float) -> float:
        return mt + ph * (1 - (v - ymin) / (ymax - ymin))

    def esc(s: str) -> str:
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">{esc(title)}</text>',
        f'<line x1="{ml}" y1="{mt + ph}" x2="{ml + pw}" y2="{mt + ph}" stroke="black"/>',
        f'<line x1="{ml}" y1="{mt}" x2="{ml}" y2="{mt + ph}" stroke="black"/>',
    ]
    for t in range(6):
        v = ymin + (ymax - ymin) * t / 5
        parts.append(f'<line x1="{ml - 4}" y1="{py(v):.1f}" x2="{ml}" y2="{py(v):.1f}" stroke="black"/>')
        parts.append(f'<text x="{ml - 8}" y="{py(v) + 4:.1f}" text-anchor="end">{v:.3g}</text>')
    for t in range(6):
        i = (n - 1) * t / 5
        parts.append(f'<line x1="{px(i):.1f}" y1="{mt + ph}" x2="{px(i):.1f}" y2="{mt + ph + 4}" stroke="black"/>')
        parts.append(f'<text x="{px(i):.1f}" y="{mt + ph + 18}" text-anchor="middle">{int(round(i)) + 1}</text>')
    parts.append(f'<text x="{ml + pw / 2}" y="{height - 10}" text-anchor="middle">{esc(xlabel)}</text>')
    parts.append(f'<text x="18" y="{mt + ph / 2}" text-anchor="middle" transform="rotate(-90 18 {mt + ph / 2})">'
                 f'{esc(ylabel)}</text>')
    for k, (name, ys) in enumerate(series.items()):
        c = colors[k % len(colors)]
        pts = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(ys))
        parts.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="{pts}"/>')
        parts.append(f'<line x1="{ml + pw - 150}" y1="{mt + 12 + 18 * k}" x2="{ml + pw - 125}" y2="{mt + 12 + 18 * k}" '
                     f'stroke="{c}" stroke-width="2"/>')
        parts.append(f'<text x="{ml + pw - 118}" y="{mt + 16 + 18 * k}">{esc(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_loss_curve(log: TrainLog, out_dir: str) -> tuple[str, str]:
    """The loss curve: a PNG by matplotlib if it is installed, else an SVG written by hand.

    Returns ``(path, how)``.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        path = os.path.join(out_dir, "loss_curve.svg")
        svg = svg_line_plot({"training loss": log.train_loss, "held-out loss": log.test_loss},
                            "Loss C of eq. (1) while training", "epoch", "C")
        with open(path, "w", encoding="utf-8") as f:
            f.write(svg)
        return path, "hand-written SVG (matplotlib is not installed: pip install 'micrograd_ext[plot]' for a PNG)"
    path = os.path.join(out_dir, "loss_curve.png")
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    ep = range(1, len(log.train_loss) + 1)
    ax.plot(ep, log.train_loss, label="training loss (120 rows, mean over the epoch's steps)")
    ax.plot(ep, log.test_loss, label="held-out loss (30 rows)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("C, eq. (1)")
    ax.set_title("Iris net 4-8-3, loss of Bondartsov eq. (1)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path, "matplotlib"


def _have_dot() -> bool:
    return shutil.which("dot") is not None


def _emit(graph: Any, out_dir: str, stem: str, have_dot: bool) -> list[str]:
    """Write a graphviz.Digraph as SVG (and its DOT source), or DOT only when ``dot`` is missing."""
    gv = os.path.join(out_dir, stem + ".gv")
    with open(gv, "w", encoding="utf-8") as f:
        f.write(graph.source)
    if not have_dot:
        return [gv]
    svg = os.path.join(out_dir, stem + ".svg")
    data = graph.pipe(format="svg")
    with open(svg, "wb") as f:
        f.write(data)
    return [svg, gv]


def draw_figures(net: Any, C: Value, w2: Value, w1: Value, out_dir: str, have_dot: bool) -> tuple[list[str], list[str]]:
    """Figures 1, 2, 3 of the paper.  Returns (files written, notes on what could not be drawn)."""
    files: list[str] = []
    notes: list[str] = []
    try:
        from .. import diagrams as viz
    except ImportError as e:
        return files, [f"figures skipped: micrograd_ext.viz is not available ({e})"]
    net_fig = None
    for name in ("draw_network", "network_figure", "draw_mlp"):
        fn = getattr(viz, name, None)
        if fn is not None:
            net_fig = fn
            break
    if net_fig is None:
        notes.append("Figure 1 skipped: micrograd_ext.viz has no network-figure function")
    else:
        files += _emit(net_fig(net), out_dir, "figure1_network", have_dot)
    files += _emit(viz.draw_paths(C, w2), out_dir, "figure2_paths_w2", have_dot)
    files += _emit(viz.draw_paths(C, w1), out_dir, "figure3_paths_w1", have_dot)
    return files, notes


def write_player(C: Value, out_dir: str) -> list[str]:
    """The backward pass of the Figure-3 sample as one self-contained page (no Graphviz needed: its own layout)."""
    path = os.path.join(out_dir, "backward_player.html")
    try:
        from .. import diagrams as viz

        viz.backward_html(C, path, title="The backward pass of C on the Figure-3 sample, step by step")
    except Exception as e:  # the player must not hide the rest of the tour
        print(f"backward player skipped: {type(e).__name__}: {e}")
        return []
    return [path]


# -- the tour ----------------------------------------------------------------------------------


@dataclass
class TourResult:
    train_acc: float
    test_acc: float
    checks: list[CheckRow]
    paths_ok: bool
    files: list[str]
    seconds: float
    ok: bool


def _section(title: str) -> None:
    print()
    print(title)
    print("-" * len(title))


def run_tour(out_dir: str, seed: int = 0, epochs: int | None = None, fast: bool = False,
             progress: bool = True) -> TourResult:
    t_start = time.perf_counter()
    from ..nets.datasets import load_iris

    os.makedirs(out_dir, exist_ok=True)
    files: list[str] = []
    print("micrograd_ext guided tour: Bondartsov, 'Notes on analytic gradient derivation' (2019), built node by node")

    # 1. data
    _section("1. The data")
    loaded = load_iris()
    X, y = np.asarray(loaded[0], dtype=float), np.asarray(loaded[1])
    class_names = list(loaded[3]) if len(loaded) > 3 else ["0", "1", "2"]
    tr, te = split_stratified(y, 10, seed)
    mu, sd = X[tr].mean(axis=0), X[tr].std(axis=0)
    Xs = (X - mu) / sd
    Xtr, Xte = Xs[tr], Xs[te]
    Ytr, Yte = _one_hot(y[tr], 3), _one_hot(y[te], 3)
    print(f"iris: {X.shape[0]} rows x {X.shape[1]} features, classes {', '.join(class_names)}")
    print(f"seeded stratified split (seed {seed}): {len(tr)} training rows, {len(te)} held out (10 per class)")
    print("features standardised with the training rows' mean and standard deviation; targets one-hot (Sy)")

    # 2. the net
    _section("2. The network of Figure 1, node by node")
    net = build_net(seed)
    nparams = len(net.parameters())
    print("4 inputs -> 8 sigmoid neurons -> 3 sigmoid neurons; bias = weight column 0, e.g. w(1)[i,0]")
    print("each z(l)[i] = w(l)[i,0] + sum_j w(l)[i,j] a(l-1)[j] is ONE node (local derivatives: eqs. (5c), (10a))")
    print("the loss C of eq. (1) is ONE node (local derivative to a(2)[k]: eq. (5a))")
    print(f"parameters: {nparams} = 8 x (4+1) + 3 x (8+1)")

    # 3. gradient check of one step
    _section("3. One step's gradients vs. the paper's eqs. (8) and (14)")
    groups = check_against_paper(net, Xtr, Ytr)
    checks = [r for _, rows in groups for r in rows]
    print(f"one full-batch backward pass over the {len(tr)} training rows at initialisation")
    for title, rows in groups:
        print(f"{title}:")
        print(f"  {'equation':<9} {'quantity':<11} {'shape':<7} {'max |autodiff - closed form|':>28}  result")
        for r in rows:
            print(f"  {r.equation:<9} {r.quantity:<11} {str(r.shape[0]) + 'x' + str(r.shape[1]):<7} "
                  f"{r.max_abs_diff:>28.3e}  {'PASS' if r.passed else 'FAIL'}")
    grads_ok = all(r.passed for r in checks)
    print(f"gradient comparison: {'PASS' if grads_ok else 'FAIL'} (tolerance 1e-10)")

    # 4. training
    _section("4. Training (Adam, minibatches of 30, every step a fresh graph of Values)")
    if epochs is None:
        epochs = 60 if fast else 200
    log = train(net, Xtr, Ytr, Xte, Yte, epochs=epochs, batch=30, lr=0.05, seed=seed, progress=progress)
    _, ptr = _predict(net, Xtr)
    _, pte = _predict(net, Xte)
    train_acc = float(np.mean(np.array(ptr) == y[tr]))
    test_acc = float(np.mean(np.array(pte) == y[te]))
    print(f"{epochs} epochs x {math.ceil(len(tr) / 30)} steps in {log.seconds:.1f} s "
          f"(about {log.nodes_per_step} nodes per step)")
    print(f"final training loss C = {log.train_loss[-1]:.4f}, held-out loss = {log.test_loss[-1]:.4f}")
    print(f"training accuracy: {100 * train_acc:.1f}% ({sum(np.array(ptr) == y[tr])}/{len(tr)})")
    print(f"held-out accuracy: {100 * test_acc:.1f}% ({sum(np.array(pte) == y[te])}/{len(te)})")

    # 5. paths
    _section("5. The chain rule as paths (eqs. (4) and (9)), on one held-out sample")
    outs_te, _ = _predict(net, Xte)
    per_row = [_bce_value([o], [t]) for o, t in zip(outs_te, Yte)]
    i0 = te[int(np.argmax(per_row))]  # the hardest held-out row: its gradients are the largest
    y0 = _one_hot(y[[i0]], 3)[0]
    C = one_sample_graph(net, Xs[i0], y0)
    # the weight (not bias) of each layer with the largest gradient for this row: the liveliest paths
    w1 = max((w for n in net.layers[0].neurons for w in n.w), key=lambda w: abs(w.grad))
    w2 = max((w for n in net.layers[1].neurons for w in n.w), key=lambda w: abs(w.grad))
    print(f"iris row {i0} (0-based; {class_names[int(y[i0])]}), the held-out row with the largest loss, C = {C.data:.4f}; "
          "|Sx| = 1, so C is eq. (1) for this one row")
    paths_ok = True
    try:
        paths_ok &= print_paths(C, w2, y0)
        i2 = w2.label[w2.label.index("[") + 1: w2.label.index(",")]
        print(f"  one path, as in Figure 2: C -> a(2)[{i2}] -> z(2)[{i2}] -> {w2.label}")
        paths_ok &= print_paths(C, w1, y0)
        print("  three paths, one through each output, as in Figure 3; their sum is eq. (9)")
    except ImportError as e:
        paths_ok = False
        print(f"  paths skipped: micrograd_ext.chain is not available ({e})")

    # 6. pictures and weights
    _section("6. Figures, loss curve and weights")
    have_dot = _have_dot()
    if not have_dot:
        print("Graphviz 'dot' is not on PATH: the figures are written as DOT source (.gv); render them with")
        print("  dot -Tsvg FILE.gv -o FILE.svg   after installing Graphviz (apt-get install graphviz / brew install graphviz)")
    try:
        figs, notes = draw_figures(net, C, w2, w1, out_dir, have_dot)
    except Exception as e:  # a drawing failure must not hide the rest of the tour
        figs, notes = [], [f"figures failed: {type(e).__name__}: {e}"]
    for n in notes:
        print(n)
    files += figs
    files += write_player(C, out_dir)
    curve, how = write_loss_curve(log, out_dir)
    files.append(curve)
    print(f"loss curve: {how}")
    wpath = os.path.join(out_dir, "iris_weights.npz")
    net.save(wpath)
    files.append(wpath)
    again = build_net(seed + 1)
    again.load(wpath)
    same = all(a == b for a, b in zip((p.data for p in net.parameters()), (p.data for p in again.parameters())))
    _, pte2 = _predict(again, Xte)
    same = same and pte2 == pte
    print(f"weights saved with Module.save and loaded into a fresh net: {'identical, bit for bit' if same else 'DIFFERENT'}")
    print("files written:")
    for f in files:
        print(f"  {f}")
    fig3 = [f for f in files if "figure3" in f]
    if fig3:
        print(f"open first: {fig3[0]}  (Figure 3: the three paths from C to {w1.label}, each edge with its local "
              "derivative, each path with its product, and their sum)")
    else:
        print(f"open first: {curve}  (the loss curve; the figures could not be drawn, see above)")
    for f in (f for f in files if f.endswith("backward_player.html")):
        print(f"then: {f}  (the backward pass of that sample, step by step, in any browser, offline)")

    ok = grads_ok and paths_ok and same  # the checks; accuracy depends on --epochs and is reported
    seconds = time.perf_counter() - t_start
    print()
    print(f"tour {'finished' if ok else 'FAILED'} in {seconds:.1f} s: held-out accuracy {100 * test_acc:.1f}%"
          f"{'' if test_acc >= 0.9 else ' (below 90%: train longer with --epochs)'}, "
          f"gradients vs. eqs. (8), (14) {'PASS' if grads_ok else 'FAIL'}, paths {'PASS' if paths_ok else 'FAIL'}, "
          f"save/load {'PASS' if same else 'FAIL'}")
    return TourResult(train_acc, test_acc, checks, paths_ok, files, seconds, ok)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="micrograd-ext tour",
        description="The guided tour: Bondartsov's iris network (4-8-3, sigmoid, loss of eq. (1)) built node by "
        "node with Value, trained, checked against eqs. (8) and (14), its chain-rule paths printed and its "
        "Figures 1-3 and loss curve drawn into --out.",
    )
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default ./{DEFAULT_OUT}/)")
    p.add_argument("--seed", type=int, default=0, help="seed for the split, the initial weights and the minibatches")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default 200, 60 with --fast)")
    p.add_argument("--fast", action="store_true", help="fewer epochs (for tests)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        p.error(f"--epochs must be at least 1, got {args.epochs}")
    res = run_tour(args.out, seed=args.seed, epochs=args.epochs, fast=args.fast, progress=not args.no_progress)
    return 0 if res.ok else 1


if __name__ == "__main__":
    sys.exit(main())
