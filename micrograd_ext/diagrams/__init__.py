"""Diagrams with Graphviz: the whole graph, the network figure, the chain-rule paths to one weight.

* :mod:`.chain` — the chain rule as data: every path from the loss to one weight,
  each edge's local derivative, the products and their sum (no drawing);
* :mod:`.dot` — what every diagram shares (:class:`Diagram`, :func:`save`, labels);
* :mod:`.graph` — :func:`draw_graph`, the whole graph with local derivatives on the edges;
* :mod:`.network` — :func:`draw_network`, Bondartsov's Figure 1;
* :mod:`.paths` — :func:`draw_paths`, Figures 2 and 3 (only the arrows from ``C`` to one weight);
* :mod:`.backward` — :func:`backward_steps`, the engine's backward pass recorded step by step, and its
  frames (one ``graphviz.Digraph`` per frame, on one fixed layout, :mod:`.layout`), numbered PNG/SVG files, a GIF;
* :mod:`.player` — :func:`backward_html`, the pass as one self-contained interactive HTML page.

Every drawing reads a node's edges through :func:`micrograd_ext.core.graph.edges`.
``micrograd_ext.viz`` (release 0.1.0's name) is this package.
"""

from __future__ import annotations

from .backward import BackwardPass, FrameDiagram, FrameState, backward_gif, backward_steps
from .chain import TopPaths, count_paths, paths, top_paths
from .dot import (
    DEFAULT_MAX_NODES,
    INSTALL_HINT,
    PATH_COLORS,
    Diagram,
    DotNotFoundError,
    GraphTooLargeError,
    have_dot,
    save,
)
from .graph import draw_graph, graph_text
from .network import draw_network
from .paths import draw_paths
from .player import backward_html

__all__ = [
    "BackwardPass",
    "FrameDiagram",
    "FrameState",
    "backward_gif",
    "backward_html",
    "backward_steps",
    "Diagram",
    "DotNotFoundError",
    "GraphTooLargeError",
    "INSTALL_HINT",
    "DEFAULT_MAX_NODES",
    "PATH_COLORS",
    "count_paths",
    "draw_graph",
    "draw_network",
    "draw_paths",
    "graph_text",
    "have_dot",
    "paths",
    "top_paths",
    "TopPaths",
    "save",
]
