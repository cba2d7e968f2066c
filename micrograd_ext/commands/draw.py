"""``micrograd-ext draw``: render a network's graph, its figure, or the chain-rule paths to one weight.

Examples::

    micrograd-ext draw                                  # Figure 1 of the iris net -> network.svg
    micrograd-ext draw --wrt 'w(1)[3,2]'                # Figure 3: the 3 paths from C to w(1)[3,2]
    micrograd-ext draw --wrt 'w(2)[1,2]' --format png   # Figure 2: one path
    micrograd-ext draw --what graph --edge-labels --sizes 2,3,1 --out small.svg

The iris network is Bondartsov's: 4 inputs, 8 sigmoid hidden neurons, 3 sigmoid
outputs, the bias as weight column 0 (``w(l)[i,0]``), the loss ``C`` of eq. (1) as
one node, built on ``--samples`` rows of the iris data set.  ``--sizes 2,3,1``
builds a sigmoid net with those layer sizes (first = inputs) on seeded random
inputs and 0/1 targets instead.  The command names the file it wrote when it
finishes; without Graphviz's ``dot`` it writes the DOT source (``.gv``) instead
and says how to install Graphviz.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from typing import Any

__all__ = ["main", "build_net", "find_node"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="micrograd-ext draw",
        description="Render the computation graph of a small network, its Figure-1 style network diagram, "
                    "or the chain-rule paths from the loss C to one weight (Bondartsov's Figures 1-3).",
    )
    p.add_argument("--what", choices=("network", "graph", "paths", "backward"), default=None,
                   help="network: one z -> a pair per neuron (Figure 1); graph: every node and edge; "
                        "paths: the paths from C to --wrt (Figures 2, 3); backward: the backward pass step by step "
                        "(--format html, gif, svg, png). Default: paths if --wrt is given, else network")
    p.add_argument("--wrt", default=None, metavar="LABEL",
                   help="the node to draw the paths to, by label, e.g. 'w(1)[3,2]' or 'w(2)[1,2]'")
    p.add_argument("--sizes", default=None, metavar="N0,N1,...",
                   help="layer sizes of a sigmoid net, inputs first (e.g. 2,3,1); default: the iris net 4,8,3")
    p.add_argument("--samples", type=int, default=1, help="rows of data in the graph (default 1, as the figures)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights (and of the random data for --sizes)")
    p.add_argument("--out", default=None, help="output file (default: <what>.<format> in the current folder)")
    p.add_argument("--expression", action="store_true", help="backward: the README's L = (x*y + x)*y, not a net")
    p.add_argument("--format", choices=("svg", "png", "pdf", "gv", "html", "gif"), default=None,
                   help="file format (default: from --out's extension, else svg); gv is DOT source")
    p.add_argument("--edge-labels", action="store_true", help="graph: write each edge's local derivative on it")
    p.add_argument("--color-grad", action="store_true", help="colour nodes (graph) or weights (network) by gradient")
    p.add_argument("--whole", action="store_true", help="paths: draw the whole graph with the paths highlighted")
    p.add_argument("--max-nodes", type=int, default=None, help="refuse graphs with more drawn nodes (default 300)")
    return p


def _parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError:
        raise SystemExit(f"micrograd-ext draw: --sizes {text!r} (expected comma-separated positive integers, "
                         f"e.g. 2,3,1)") from None
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise SystemExit(f"micrograd-ext draw: --sizes {text!r} (expected at least two positive integers: "
                         f"inputs, then each layer, e.g. 2,3,1)")
    return sizes


def build_net(sizes: list[int] | None = None, samples: int = 1, seed: int = 0) -> tuple[Any, Any]:
    """The network and the graph of its loss ``C`` (forward and backward done).

    ``sizes=None``: the iris net ``nn.MLP(4, [8, 3], activation='sigmoid', weighted_sum=True)``
    on the first ``samples`` rows of a class-balanced pick of iris (one-hot targets),
    with ``C`` the binary cross-entropy of Bondartsov's eq. (1) as one ``bce`` node.
    Otherwise a sigmoid net of those sizes on seeded random inputs and 0/1 targets.
    """
    from ..core.value import Value
    from ..nets.neurons import MLP

    if samples < 1:
        raise SystemExit(f"micrograd-ext draw: --samples {samples} (expected at least 1)")
    if sizes is None:
        from ..nets.datasets import load_iris

        X, y, *_ = load_iris()
        # rows 0, 50, 100, 1, 51, ...: one of each class in turn
        rows = [(k % 3) * 50 + k // 3 for k in range(samples)]
        xs = [[float(v) for v in X[r]] for r in rows]
        ys = [[1.0 if int(y[r]) == c else 0.0 for c in range(3)] for r in rows]
        net = MLP(4, [8, 3], activation="sigmoid", weighted_sum=True, seed=seed)
    else:
        rng = random.Random(seed)
        xs = [[round(rng.uniform(-1, 1), 3) for _ in range(sizes[0])] for _ in range(samples)]
        ys = [[float(rng.random() < 0.5) for _ in range(sizes[-1])] for _ in range(samples)]
        net = MLP(sizes[0], sizes[1:], activation="sigmoid", weighted_sum=True, seed=seed)
    outs: list[Any] = []
    for row in xs:
        inputs = [Value(v, label=f"x[{j}]") for j, v in enumerate(row, 1)]
        out = net(inputs)
        outs.extend(out if isinstance(out, (list, tuple)) else [out])
    targets = [t for row in ys for t in row]
    C = Value.nary("bce", outs, targets=targets, scale=1.0 / len(xs))
    C.label = "C"
    net.zero_grad()
    C.backward()
    return net, C


def find_node(root: Any, label: str) -> Any:
    """The node labelled ``label`` in the graph of ``root`` (the first one, parameters are shared)."""
    from ..core.graph import topological_order

    found = [n for n in topological_order(root) if getattr(n, "label", "") == label]
    if not found:
        labels = sorted({n.label for n in topological_order(root) if getattr(n, "label", "").startswith("w(")})
        shown = ", ".join(labels[:6]) + (", ..." if len(labels) > 6 else "")
        raise SystemExit(f"micrograd-ext draw: no node labelled {label!r} in the graph (weights are labelled "
                         f"like {shown})")
    return found[0]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    from .. import diagrams as viz

    what = args.what or ("paths" if args.wrt else "network")
    if what == "paths" and not args.wrt:
        print("micrograd-ext draw: --what paths needs --wrt LABEL (e.g. --wrt 'w(1)[3,2]')", file=sys.stderr)
        return 2
    sizes = _parse_sizes(args.sizes) if args.sizes else None
    if what == "backward":
        from .draw_backward import run

        args.sizes_list = sizes
        return run(args, build_net)
    if args.format in ("html", "gif") or args.expression:
        print(f"micrograd-ext draw: {'--expression' if args.expression else '--format ' + args.format} is for "
              f"--what backward", file=sys.stderr)
        return 2
    fmt = args.format
    if fmt is None:
        ext = os.path.splitext(args.out)[1].lstrip(".").lower() if args.out else ""
        fmt = {"dot": "gv"}.get(ext, ext) if ext in ("svg", "png", "pdf", "gv", "dot") else "svg"
    out = args.out or f"{what}.{fmt}"
    limit = {} if args.max_nodes is None else {"max_nodes": args.max_nodes}

    net, C = build_net(sizes, args.samples, args.seed)
    name = "iris net 4-8-3" if sizes is None else "net " + "-".join(map(str, sizes))
    try:
        if what == "network":
            g = viz.draw_network(C, color_by_grad=args.color_grad, model=net,
                                 title=f"{name}, {args.samples} sample(s): one z -> a pair per neuron", **limit)
        elif what == "graph":
            g = viz.draw_graph(C, edge_labels=args.edge_labels, color_by_grad=args.color_grad, model=net,
                               title=f"{name}, {args.samples} sample(s): the whole graph of C", **limit)
        else:
            g = viz.draw_paths(C, find_node(C, args.wrt), whole=args.whole, model=net, **limit)
    except (viz.GraphTooLargeError, ValueError) as e:
        print(f"micrograd-ext draw: {e}", file=sys.stderr)
        return 1
    if what == "paths":
        print(g.text)
    try:
        path = viz.save(g, out, fmt)
    except viz.DotNotFoundError as e:
        gv = os.path.splitext(out)[0] + ".gv"
        viz.save(g, gv, "gv")
        print(f"micrograd-ext draw: {e}", file=sys.stderr)
        print(f"wrote the DOT source instead: {gv}  (render it later with: dot -T{fmt} {gv} -o {out})")
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
