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
4. trains it (Adam, minibatches) with a progress bar (``tqdm``) showing loss and
   accuracy, and reports training and held-out accuracy;
5. on the held-out row the trained net finds hardest, prints the chain-rule paths from
   ``C`` to the weight of each layer with the largest gradient (eqs. (4) and (9)): each
   path's local derivatives (each recomputed from the paper's equation for it) and
   product, their sum, and ``.grad``;
6. draws Figures 1, 2 and 3 of the paper and the loss curve (matplotlib) into ``--out``,
   saves the trained weights (``Module.save``), checks that they load back bit for
   bit, and prints the ``micrograd-ext draw`` command that redraws Figure 3 from them.

The tour prints; the library computes: the data and its split
(:func:`micrograd_ext.nets.datasets.iris_split`), the net and its labelled inputs
(:mod:`micrograd_ext.nets.neurons`), the loss (:func:`micrograd_ext.nets.losses.bce`),
the closed forms (``micrograd_ext.closed_form``, ``micrograd_ext.docnets``), the paths
and their text (:mod:`micrograd_ext.diagrams.chain`), the figures
(:mod:`micrograd_ext.diagrams`) and every file written
(:func:`micrograd_ext.nets.files.write_bytes`).

Everything it prints is computed, never canned: if a check fails (gradients, paths,
save/load), the tour says FAIL and exits with status 1.  Held-out accuracy is reported
(with a hint when it is below 90%, e.g. after a short ``--epochs``).
"""

from __future__ import annotations

import io
import math
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from ..core.graph import edges, no_grad, op_name, topological_order
from ..core.value import Value
from ..nets import files, labels
from ..nets.datasets import iris_split, split_stratified
from ..nets.losses import bce
from ..nets.neurons import MLP, inputs
from ..nets.optim import Adam
from ._run import Parser, fail, run

__all__ = [
    "main",
    "run_tour",
    "TourResult",
    "split_stratified",
    "build_net",
    "check_against_paper",
    "print_paths",
    "write_loss_curve",
]

PROG = "micrograd-ext tour"
DEFAULT_OUT = "micrograd_ext_out"
HIDDEN = 8


# -- the network -----------------------------------------------------------------------------


def build_net(seed: int) -> MLP:
    """Bondartsov's Figure 1 network, node by node: 4 -> 8 sigmoid -> 3 sigmoid, bias as w(l)[i,0].

    ``micrograd_ext.nn.MLP(4, [8, 3], activation='sigmoid', weighted_sum=True, seed=seed)``.
    """
    return MLP(4, [HIDDEN, 3], activation="sigmoid", weighted_sum=True, seed=seed)


def _predict(net: Any, X: np.ndarray) -> tuple[list[list[float]], list[int]]:
    """Forward without recording a graph: the outputs ``a(2)`` and the argmax class of each row."""
    outs: list[list[float]] = []
    with no_grad():
        for row in X:
            o = net([float(v) for v in row])
            outs.append([v.data for v in o])
    return outs, [int(np.argmax(o)) for o in outs]


def _loss(outs: list[list[float]], Y: list[list[float]]) -> float:
    """``C`` of eq. (1) of numbers (no graph): :func:`micrograd_ext.nets.losses.bce`."""
    with no_grad():
        return bce(outs, Y).data


# -- training --------------------------------------------------------------------------------


@dataclass
class TrainLog:
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    nodes_per_step: int = 0
    seconds: float = 0.0


def train(net: Any, Xtr: np.ndarray, Ytr: list[list[float]], Xte: np.ndarray, Yte: list[list[float]], *,
          epochs: int, batch: int, lr: float, seed: int, progress: bool = True) -> TrainLog:
    """Minibatch Adam on the loss of eq. (1); each step builds the whole graph node by node."""
    opt = Adam(net.parameters(), lr=lr)
    rng = random.Random(seed)
    order = list(range(len(Xtr)))
    rows = [[float(v) for v in r] for r in Xtr]
    ytrue = [int(np.argmax(y)) for y in Ytr]
    log = TrainLog()
    t0 = time.perf_counter()
    sys.stdout.flush()  # keep the bar after what the tour printed when both go to one pipe
    with tqdm(range(1, epochs + 1), desc="  training", unit="epoch", file=sys.stderr, disable=not progress,
              dynamic_ncols=True, mininterval=0.2) as bar:
        for _ in bar:
            rng.shuffle(order)
            tot, correct = 0.0, 0
            for s in range(0, len(order), batch):
                idx = order[s: s + batch]
                outs = [net(inputs(rows[i])) for i in idx]
                C = bce(outs, [Ytr[i] for i in idx])
                if not log.nodes_per_step:
                    log.nodes_per_step = len(topological_order(C))
                opt.zero_grad()
                C.backward()
                opt.step()
                tot += C.data * len(idx)
                correct += sum(int(np.argmax([v.data for v in o])) == ytrue[i] for o, i in zip(outs, idx))
                # Drop this step's graph now: otherwise it stays alive while the next one is built
                # and Python's garbage collector scans it again and again.  The gain grows with the
                # graph: about 1.1x on these minibatches of 30 rows, 1.3-1.8x on a 68,818-node
                # graph (docs/walkthrough.md, "Dropping the last graph").
                del C, outs
            log.train_loss.append(tot / len(order))
            log.train_acc.append(correct / len(order))
            log.test_loss.append(_loss(_predict(net, Xte)[0], Yte))
            bar.set_postfix(loss=f"{log.train_loss[-1]:.4f}", acc=f"{100 * log.train_acc[-1]:.1f}%", refresh=False)
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
    return [np.array([[n.b.data] + [w.data for w in n.w] for n in layer.neurons]) for layer in net.layers]


def _grad_matrices(net: Any) -> list[np.ndarray]:
    return [np.array([[n.b.grad] + [w.grad for w in n.w] for n in layer.neurons]) for layer in net.layers]


def check_against_paper(net: Any, X: np.ndarray, Y: list[list[float]], tol: float = 1e-10) -> list[tuple[str, list[CheckRow]]]:
    """One full-batch backward pass compared with eqs. (8) and (14), in two graphs.

    1. The training step's own graph (``C`` of eq. (1) as ONE node), against
       ``micrograd_ext.closed_form.bondartsov_grad_w2`` / ``bondartsov_grad_w1`` (the
       paper's formulas, equation by equation, in numpy).
    2. ``micrograd_ext.docnets.bondartsov_iris_gradients(net, X, Y)``: the same net with
       ``C`` built from elementary nodes, compared with the same closed forms by the
       verification code.

    Returns ``[(title, rows), ...]``.  Leaves the net's ``.grad`` zeroed.
    """
    from micrograd_ext.closed_form import bondartsov_grad_w1, bondartsov_grad_w2
    from micrograd_ext.docnets import bondartsov_iris_gradients

    rows_x = [[float(v) for v in r] for r in X]
    net.zero_grad()
    C = bce([net(inputs(r)) for r in rows_x], Y)
    C.backward()
    g1, g2 = _grad_matrices(net)
    W1, W2 = _weights_matrices(net)
    Xa, Ya = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    e1, e2 = np.asarray(bondartsov_grad_w1(W1, W2, Xa, Ya)), np.asarray(bondartsov_grad_w2(W1, W2, Xa, Ya))
    net.zero_grad()

    def row(eq: str, name: str, got: np.ndarray, want: np.ndarray) -> CheckRow:
        d = float(np.max(np.abs(got - want)))
        return CheckRow(eq, name, want.shape, d, d <= tol * max(1.0, float(np.max(np.abs(want)))))

    r = bondartsov_iris_gradients(net, Xa, Ya)
    net.zero_grad()
    return [("the training step's graph (C one node) vs. micrograd_ext.closed_form",
             [row("(8)", "grad w(2)", g2, e2), row("(14)", "grad w(1)", g1, e1)]),
            ("micrograd_ext.docnets.bondartsov_iris_gradients (C from elementary nodes)",
             [row("(8)", "grad w(2)", np.asarray(r.grad_w2), np.asarray(r.eq8)),
              row("(14)", "grad w(1)", np.asarray(r.grad_w1), np.asarray(r.eq14))])]


# -- chain-rule paths --------------------------------------------------------------------------


def one_sample_graph(net: Any, x: Sequence[float], y: Sequence[float]) -> Value:
    """The graph of ``C`` for ONE sample (``|Sx| = 1``), as the paper's Figures 2 and 3 draw it."""
    net.zero_grad()
    C = bce([net(inputs(x))], [list(y)])
    C.label = "C"
    C.backward()
    return C


def _equation_of(node: Value, k: int, y: Sequence[float]) -> tuple[str, float] | None:
    """The paper's equation for the local derivative on edge ``k`` of ``node`` and its value from that equation.

    Computed from the nodes' values and labels only (never from the stored local
    derivative, nor from the order of a node's parents), so that comparing it with the
    edge's number checks the engine against the paper: (5a) ``dC/da(2)_i = (a - y_i)/(a(1 - a))``
    (one sample); (5b)/(10c) ``da/dz = a(1 - a)``; (10a) ``dz(2)_k/da(1)_i = w(2)_{k,i}``;
    (5c)/(10b) ``dz/dw_{i,j} = a_j`` or ``x_j`` (1 for ``j = 0``).  ``None`` for an edge the
    paper does not name.
    """
    es = edges(node)
    lab, parent = labels.parse(node.label), labels.parse(es[k].parent.label)
    if lab is None or parent is None:
        return None
    if lab.name == "C" and parent.name == "a" and parent.layer == 2:
        a = es[k].parent.data
        return "(5a)", (a - y[parent.index[0] - 1]) / (a * (1 - a))
    if lab.name == "a" and lab.layer in (1, 2):
        return ("(5b)" if lab.layer == 2 else "(10c)"), node.data * (1 - node.data)
    if lab.name == "z" and op_name(node) == "wsum":
        by_label = {labels.parse(e.parent.label): e.parent for e in es}
        eq = "(5c)" if lab.layer == 2 else "(10b)"
        if parent.is_parameter:  # dz(l)_i / dw(l)_{i,j}: input j of the neuron, 1 for the bias
            j = parent.index[1]
            if j == 0:
                return eq, 1.0
            name = labels.a(lab.layer - 1, j) if lab.layer > 1 else labels.x(j)
            return eq, by_label[labels.parse(name)].data
        if parent.name in ("a", "x"):  # dz(l)_i / da(l-1)_j = w(l)_{i,j}
            return "(10a)", by_label[labels.parse(labels.weight(lab.layer, lab.index[0], parent.index[0]))].data
    return None


def print_paths(C: Value, w: Value, y: Sequence[float] | None = None, out: Any = None) -> bool:
    """Print every path from ``C`` to ``w`` (:meth:`micrograd_ext.diagrams.chain.Paths.text`), their sum and ``.grad``.

    With the sample's targets ``y``, each factor is also recomputed from the paper's
    equation for it (:func:`_equation_of`) and compared.  Returns whether every check passed.
    """
    from ..diagrams.chain import paths

    out = out or sys.stdout
    ps = paths(C, w)
    ok = True
    for line in ps.text(numbers=True).splitlines():
        print("  " + line, file=out)
    if y is not None:
        for k, p in enumerate(ps, 1):
            eqs = [_equation_of(n, e, y) for n, e in zip(p.nodes, p.edges)]
            if all(eqs):
                worst = max(abs(f - v) / max(1.0, abs(v)) for f, (_, v) in zip(p.factors, eqs))
                good = worst <= 1e-12
                ok &= good
                print(f"    path {k} factors by Bondartsov eqs. {' * '.join(e for e, _ in eqs)}: "
                      f"{'PASS' if good else 'FAIL'} (worst relative difference {worst:.1e})", file=out)
    good, diff = ps.check()
    ok &= good
    print(f"    {w.label}.grad = {w.grad:.15g} (backward)   {'PASS' if good else 'FAIL'} (|sum - grad| = {diff:.1e})",
          file=out)
    return ok


# -- pictures --------------------------------------------------------------------------------


def write_loss_curve(log: TrainLog, out_dir: str) -> str:
    """The loss curve as a PNG drawn by matplotlib; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return files.write_bytes(os.path.join(out_dir, "loss_curve.png"), buf.getvalue(), "tour")


def draw_figures(net: Any, C: Value, w2: Value, w1: Value, out_dir: str, have_dot: bool) -> list[str]:
    """Figures 1, 2, 3 of the paper: DOT source (``.gv``) always, SVG too when ``dot`` is there."""
    from .. import diagrams as viz

    written: list[str] = []
    for stem, g in (("figure1_network", viz.draw_network(net)), ("figure2_paths_w2", viz.draw_paths(C, w2)),
                    ("figure3_paths_w1", viz.draw_paths(C, w1))):
        base = os.path.join(out_dir, stem)
        if have_dot:
            written.append(viz.save(g, base + ".svg"))
        written.append(viz.save(g, base + ".gv"))
    return written


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


def _quote(text: str) -> str:
    return text if all(c.isalnum() or c in "/._-" for c in text) else "'" + text.replace("'", "'\\''") + "'"


def run_tour(out_dir: str, seed: int = 0, epochs: int | None = None, fast: bool = False,
             progress: bool = True) -> TourResult:
    """The whole tour (see the module docstring); ``out_dir`` is created first, or the tour stops at once."""
    from ..diagrams import have_dot as _have_dot

    t_start = time.perf_counter()
    files.ensure_folder(out_dir, "--out")
    written: list[str] = []
    print("micrograd_ext guided tour: Bondartsov, 'Notes on analytic gradient derivation' (2019), built node by node")

    # 1. data
    _section("1. The data")
    data = iris_split(seed)
    tr, te = data.train, data.test
    Xs = data.X
    Xtr, Xte = Xs[tr], Xs[te]
    Ytr, Yte = data.one_hot(tr), data.one_hot(te)
    y = data.y
    print(f"iris: {data.raw.shape[0]} rows x {data.raw.shape[1]} features, classes {', '.join(data.class_names)}")
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
    per_row = [_loss([o], [t]) for o, t in zip(outs_te, Yte)]
    i0 = te[int(np.argmax(per_row))]  # the hardest held-out row: its gradients are the largest
    y0 = data.one_hot([i0])[0]
    C = one_sample_graph(net, Xs[i0], y0)
    # the weight (not bias) of each layer with the largest gradient for this row: the liveliest paths
    w1 = max((w for n in net.layers[0].neurons for w in n.w), key=lambda w: abs(w.grad))
    w2 = max((w for n in net.layers[1].neurons for w in n.w), key=lambda w: abs(w.grad))
    print(f"iris row {i0} (0-based; {data.class_names[int(y[i0])]}), the held-out row with the largest loss, "
          f"C = {C.data:.4f}; |Sx| = 1, so C is eq. (1) for this one row")
    paths_ok = print_paths(C, w2, y0)
    i2 = labels.parse(w2.label).index[0]
    print(f"  one path, as in Figure 2: C -> {labels.a(2, i2)} -> {labels.z(2, i2)} -> {w2.label}")
    paths_ok &= print_paths(C, w1, y0)
    print("  three paths, one through each output, as in Figure 3; their sum is eq. (9)")

    # 6. pictures and weights
    _section("6. Figures, loss curve and weights")
    have_dot = _have_dot()
    if not have_dot:
        print("Graphviz 'dot' is not on PATH: the figures are written as DOT source (.gv); render them with")
        print("  dot -Tsvg FILE.gv -o FILE.svg   after installing Graphviz (apt-get install graphviz / brew install graphviz)")
    written += draw_figures(net, C, w2, w1, out_dir, have_dot)
    written += write_player(C, out_dir)
    curve = write_loss_curve(log, out_dir)
    written.append(curve)
    print("loss curve: matplotlib")
    wpath = net.save(os.path.join(out_dir, "iris_weights.npz"))
    written.append(wpath)
    again = build_net(seed + 1)
    again.load(wpath)
    same = all(a == b for a, b in zip((p.data for p in net.parameters()), (p.data for p in again.parameters())))
    _, pte2 = _predict(again, Xte)
    same = same and pte2 == pte
    print(f"weights saved with Module.save and loaded into a fresh net: {'identical, bit for bit' if same else 'DIFFERENT'}")
    print("files written:")
    for f in written:
        print(f"  {f}")
    fig3 = [f for f in written if "figure3" in f]
    print(f"open first: {fig3[0]}  (Figure 3: the three paths from C to {w1.label}, each edge with its local "
          "derivative, each path with its product, and their sum)")
    for f in (f for f in written if f.endswith("backward_player.html")):
        print(f"then: {f}  (the backward pass of that sample, step by step, in any browser, offline)")
    print(f"redraw it from the saved weights: micrograd-ext draw --load {_quote(wpath)} --seed {seed} --row {i0} "
          f"--wrt {_quote(w1.label)} --out figure3.svg")

    ok = grads_ok and paths_ok and same  # the checks; accuracy depends on --epochs and is reported
    seconds = time.perf_counter() - t_start
    print()
    print(f"tour {'finished' if ok else 'FAILED'} in {seconds:.1f} s: held-out accuracy {100 * test_acc:.1f}%"
          f"{'' if test_acc >= 0.9 else ' (below 90%: train longer with --epochs)'}, "
          f"gradients vs. eqs. (8), (14) {'PASS' if grads_ok else 'FAIL'}, paths {'PASS' if paths_ok else 'FAIL'}, "
          f"save/load {'PASS' if same else 'FAIL'}")
    return TourResult(train_acc, test_acc, checks, paths_ok, written, seconds, ok)


def _main(argv: list[str] | None) -> int:
    p = Parser(
        prog=PROG,
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
        fail(PROG, f"--epochs {args.epochs} (expected at least 1)")
    if args.seed < 0:
        fail(PROG, f"--seed {args.seed} (expected a non-negative integer)")
    res = run_tour(args.out, seed=args.seed, epochs=args.epochs, fast=args.fast, progress=not args.no_progress)
    return 0 if res.ok else 1


def main(argv: list[str] | None = None) -> int:
    """The ``micrograd-ext tour`` command; returns its exit status (errors: one line on stderr)."""
    return run(PROG, lambda: _main(argv))


if __name__ == "__main__":
    sys.exit(main())
