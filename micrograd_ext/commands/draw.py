"""``micrograd-ext draw``: render a network's graph, its figure, or the chain-rule paths to one weight.

Examples::

    micrograd-ext draw                                  # Figure 1 of the iris net -> network.svg
    micrograd-ext draw --wrt 'w(1)[3,2]'                # Figure 3: the 3 paths from C to w(1)[3,2]
    micrograd-ext draw --wrt 'w(2)[1,2]' --format png   # Figure 2: one path
    micrograd-ext draw --what graph --edge-labels --sizes 2,3,1 --out small.svg
    micrograd-ext draw --load micrograd_ext_out/iris_weights.npz --row 77 --wrt 'w(1)[8,1]'
                                                        # the tour's Figure 3, with its numbers

The iris network is Bondartsov's: 4 inputs, 8 sigmoid hidden neurons, 3 sigmoid
outputs, the bias as weight column 0 (``w(l)[i,0]``), the loss ``C`` of eq. (1) as
one node, built on ``--samples`` rows of the iris data set.  ``--sizes 2,3,1``
builds a sigmoid net with those layer sizes (first = inputs) on seeded random
inputs and 0/1 targets instead.  ``--load FILE`` puts the weights of a file written
by ``Module.save`` (the tour's ``iris_weights.npz``) into the net; ``--row R`` builds
the graph on iris row ``R`` standardised as the tour does (the statistics of the
training rows of ``--seed``'s split), so ``--load`` and ``--row`` together redraw the
tour's figures with the tour's numbers (the tour prints the command).

The file format is the one of ``--out``'s suffix (``.svg``, ``.png``, ``.pdf``, ``.gv``/``.dot``);
another suffix is refused.  The command names the file it wrote when it finishes;
without Graphviz's ``dot`` it writes the DOT source (``.gv``) instead and says how to
install Graphviz.  Bad options and paths end in one line on stderr and a non-zero
status, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from typing import Any

from ..nets import files, labels
from ._run import Parser, fail, run

__all__ = ["main", "build_net", "find_node"]

PROG = "micrograd-ext draw"
FORMATS = ("svg", "png", "pdf", "gv")


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog=PROG,
        description="Render the computation graph of a small network, its Figure-1 style network diagram, "
                    "or the chain-rule paths from the loss C to one weight (Bondartsov's Figures 1-3).",
    )
    p.add_argument("--what", choices=("network", "graph", "paths", "backward"), default=None,
                   help="network: one z -> a pair per neuron (Figure 1); graph: every node and edge; "
                        "paths: the paths from C to --wrt (Figures 2, 3); backward: the backward pass step by step "
                        "(--format html, gif, svg, png). Default: paths if --wrt is given, else network")
    p.add_argument("--wrt", default=None, metavar="LABEL",
                   help="paths: the node to draw the paths to, by label, e.g. 'w(1)[3,2]' or 'w(2)[1,2]'")
    p.add_argument("--sizes", default=None, metavar="N0,N1,...",
                   help="layer sizes of a sigmoid net, inputs first (e.g. 2,3,1); default: the iris net 4,8,3")
    p.add_argument("--samples", type=int, default=None,
                   help="rows of data in the graph (default 1, as the figures)")
    p.add_argument("--row", type=int, action="append", default=None, metavar="R",
                   help="iris row R (0-based, repeatable), standardised as the tour does with --seed's split; "
                        "instead of --samples")
    p.add_argument("--load", default=None, metavar="FILE",
                   help="weights to draw: a .npz written by Module.save, e.g. the tour's "
                        "micrograd_ext_out/iris_weights.npz (default: the initial weights of --seed)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the weights (and of the random data for --sizes; of the split for --row)")
    p.add_argument("--out", default=None,
                   help="output file; its suffix gives the format (default: <what>.<format> in the current folder)")
    p.add_argument("--expression", action="store_true", help="backward: the README's L = (x*y + x)*y, not a net")
    p.add_argument("--format", choices=FORMATS + ("html", "gif"), default=None,
                   help="file format when --out has no suffix (default svg; html for --what backward); "
                        "gv is DOT source; html and gif are for --what backward")
    p.add_argument("--edge-labels", action="store_true", help="graph: write each edge's local derivative on it")
    p.add_argument("--color-grad", action="store_true", help="graph, network: colour nodes (graph) or weights "
                                                             "(network) by gradient")
    p.add_argument("--whole", action="store_true", help="paths: draw the whole graph with the paths highlighted")
    p.add_argument("--max-nodes", type=int, default=None, help="refuse graphs with more drawn nodes (default 300)")
    return p


def _parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError:
        fail(PROG, f"--sizes {text!r} (expected comma-separated positive integers, e.g. 2,3,1)")
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        fail(PROG, f"--sizes {text!r} (expected at least two positive integers: inputs, then each layer, e.g. 2,3,1)")
    return sizes


def _iris_rows(rows: list[int] | None, samples: int, seed: int) -> tuple[list[list[float]], list[list[float]]]:
    """Inputs and one-hot targets: the tour's standardised rows, or raw rows 0, 50, 100, 1, ... (one class in turn)."""
    from ..nets.datasets import iris_split, load_iris

    if rows is not None:
        data = iris_split(seed)
        n = len(data.y)
        for r in rows:
            if not 0 <= r < n:
                fail(PROG, f"--row {r} (expected an iris row from 0 to {n - 1}, as the tour prints it)")
        return [[float(v) for v in data.X[r]] for r in rows], data.one_hot(rows)
    X, y, *_ = load_iris()
    picked = [(k % 3) * 50 + k // 3 for k in range(samples)]
    return ([[float(v) for v in X[r]] for r in picked],
            [[1.0 if int(y[r]) == c else 0.0 for c in range(3)] for r in picked])


def build_net(sizes: list[int] | None = None, samples: int = 1, seed: int = 0, *, rows: list[int] | None = None,
              load: str | None = None) -> tuple[Any, Any]:
    """The network and the graph of its loss ``C`` (forward and backward done).

    ``sizes=None``: the iris net ``nn.MLP(4, [8, 3], activation='sigmoid', weighted_sum=True)``
    on the first ``samples`` rows of a class-balanced pick of iris (one-hot targets), or
    on the tour's standardised ``rows``, with ``C`` the binary cross-entropy of
    Bondartsov's eq. (1) as one ``bce`` node.  Otherwise a sigmoid net of those sizes on
    seeded random inputs and 0/1 targets.  ``load``: a file written by ``Module.save``
    whose weights replace the initial ones.
    """
    from ..nets.losses import bce
    from ..nets.neurons import MLP, inputs

    if samples < 1:
        fail(PROG, f"--samples {samples} (expected at least 1)")
    if sizes is None:
        xs, ys = _iris_rows(rows, samples, seed)
        net = MLP(4, [8, 3], activation="sigmoid", weighted_sum=True, seed=seed)
    else:
        rng = random.Random(seed)
        xs = [[round(rng.uniform(-1, 1), 3) for _ in range(sizes[0])] for _ in range(samples)]
        ys = [[float(rng.random() < 0.5) for _ in range(sizes[-1])] for _ in range(samples)]
        net = MLP(sizes[0], sizes[1:], activation="sigmoid", weighted_sum=True, seed=seed)
    if load is not None:
        net.load(load)
    outs: list[Any] = []
    for row in xs:
        out = net(inputs(row))
        outs.append(list(out) if isinstance(out, (list, tuple)) else [out])
    C = bce(outs, ys)
    C.label = "C"
    net.zero_grad()
    C.backward()
    return net, C


def find_node(root: Any, label: str) -> Any:
    """The node labelled ``label`` in the graph of ``root`` (the first one, parameters are shared)."""
    from ..core.graph import topological_order

    parsed = labels.parse(label)
    if parsed is None:
        fail(PROG, f"--wrt {label!r} is not a label (expected one like 'w(1)[3,2]': weight of layer 1, neuron 3, "
                   "input 2; or 'z(2)[1]', 'a(1)[4]', 'x[2]')")
    order = topological_order(root)
    found = [n for n in order if labels.parse(getattr(n, "label", "")) == parsed]
    if not found:
        weights = sorted({n.label for n in order if labels.is_parameter(getattr(n, "label", ""))},
                         key=lambda t: (labels.parse(t).layer, labels.parse(t).index))
        shown = ", ".join(weights[:3]) + (f", ... {weights[-1]}" if len(weights) > 3 else "")
        fail(PROG, f"no node labelled {label!r} in the graph (weights are labelled {shown})")
    return found[0]


def _check_options(args: argparse.Namespace, what: str) -> None:
    """Refuse an option that would be silently ignored with this --what."""
    applies = {"wrt": ("paths",), "whole": ("paths",), "edge_labels": ("graph",), "color_grad": ("graph", "network")}
    for opt, whats in applies.items():
        if getattr(args, opt) not in (None, False) and what not in whats:
            flag = "--" + opt.replace("_", "-")
            hint = " (use --what paths --whole to see the paths in the whole graph)" if opt == "wrt" else ""
            fail(PROG, f"{flag} does nothing with --what {what} (it is for --what {' or '.join(whats)}){hint}")
    if args.row is not None and (args.samples is not None or args.sizes is not None):
        fail(PROG, "--row picks the iris rows itself: give it without --samples or --sizes")


def _main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from .. import diagrams as viz

    what = args.what or ("paths" if args.wrt else "network")
    if what == "paths" and not args.wrt:
        fail(PROG, "--what paths needs --wrt LABEL (e.g. --wrt 'w(1)[3,2]')")
    _check_options(args, what)
    sizes = _parse_sizes(args.sizes) if args.sizes else None
    if what == "backward":
        from .draw_backward import run as run_backward

        args.sizes_list = sizes
        if args.samples is None:
            args.samples = 1
        return run_backward(args, build_net)
    if args.format in ("html", "gif") or args.expression:
        fail(PROG, f"{'--expression' if args.expression else '--format ' + args.format} is for --what backward", 2)
    out = args.out if args.out is not None else f"{what}.{args.format or 'svg'}"
    out, fmt = files.output_format(out, "--out", FORMATS, default=args.format or "svg", aliases={"dot": "gv"},
                                   format=args.format)
    if args.load is not None and not os.path.exists(args.load) and not os.path.exists(args.load + ".npz"):
        fail(PROG, f"--load {args.load!r}: no such file (expected a .npz written by Module.save, e.g. the tour's "
                   "micrograd_ext_out/iris_weights.npz)", 1)
    samples = args.samples if args.samples is not None else (len(args.row) if args.row else 1)
    limit = {} if args.max_nodes is None else {"max_nodes": args.max_nodes}

    net, C = build_net(sizes, samples, args.seed, rows=args.row, load=args.load)
    name = "iris net 4-8-3" if sizes is None else "net " + "-".join(map(str, sizes))
    if what == "network":
        g = viz.draw_network(C, color_by_grad=args.color_grad, model=net,
                             title=f"{name}, {samples} sample(s): one z -> a pair per neuron", **limit)
    elif what == "graph":
        g = viz.draw_graph(C, edge_labels=args.edge_labels, color_by_grad=args.color_grad, model=net,
                           title=f"{name}, {samples} sample(s): the whole graph of C", **limit)
    else:
        g = viz.draw_paths(C, find_node(C, args.wrt), whole=args.whole, model=net, **limit)
    if what == "paths":
        print(g.text)
    try:
        path = viz.save(g, out)
    except viz.DotNotFoundError as e:
        gv = os.path.splitext(out)[0] + ".gv"
        viz.save(g, gv)
        print(f"{PROG}: {e}", file=sys.stderr)
        print(f"wrote the DOT source instead: {gv}  (render it later with: dot -T{fmt} {gv} -o {out})")
        return 1
    print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """The ``micrograd-ext draw`` command; returns its exit status (errors: one line on stderr)."""
    return run(PROG, lambda: _main(list(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    sys.exit(main())
