"""Regenerate the figures of this folder: ``.venv/bin/python docs/figures/make_figures.py``.

* ``neuron_graph_edge_labels.{svg,png}`` — micrograd's one-neuron example
  ``tanh(x1 w1 + x2 w2 + b)``, the whole graph with each edge's local derivative
  (formula from the rule table and its number);
* ``iris_figure1_network.{svg,png}`` — Bondartsov's Figure 1: the 4-8-3 sigmoid
  net on one iris row, one ``z -> a`` pair per neuron, weights on the edges;
* ``iris_figure2_paths_w2.{svg,png}`` — Figure 2: the single path from ``C`` to
  ``w(2)[1,2]`` (eq. (4));
* ``iris_figure3_paths_w1.{svg,png}`` — Figure 3: the three paths from ``C`` to
  ``w(1)[3,2]`` (eq. (9)), with the legend of products and their sum.
"""

from __future__ import annotations

import os
import sys

from micrograd_ext import diagrams as viz
from micrograd_ext.engine import Value

HERE = os.path.dirname(os.path.abspath(__file__))


def neuron() -> Value:
    """Karpathy's micrograd neuron: o = tanh(x1 w1 + x2 w2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def write(diagram: viz.Diagram, stem: str) -> None:
    for fmt in ("svg", "png"):
        print("wrote", viz.save(diagram, os.path.join(HERE, f"{stem}.{fmt}")))


def main() -> int:
    write(viz.draw_graph(neuron(), edge_labels=True, title="o = tanh(x1 w1 + x2 w2 + b): local derivatives on the edges"),
          "neuron_graph_edge_labels")
    from micrograd_ext.commands.draw import build_net, find_node

    try:
        net, C = build_net(None, samples=1, seed=0)
    except ImportError as e:  # nn or datasets not installed
        print(f"iris figures skipped: {e}", file=sys.stderr)
        return 1
    write(viz.draw_network(C, model=net, title="iris net 4-8-3 on one row: one z -> a pair per neuron (Figure 1)"),
          "iris_figure1_network")
    write(viz.draw_paths(C, find_node(C, "w(2)[1,2]"), title="Figure 2: the one path from C to w(2)[1,2], eq. (4)"),
          "iris_figure2_paths_w2")
    write(viz.draw_paths(C, find_node(C, "w(1)[3,2]"), title="Figure 3: three paths from C to w(1)[3,2], eq. (9)"),
          "iris_figure3_paths_w1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
