"""The whole graph: every value node and operation node, every edge, optionally each local derivative.

:func:`draw_graph` draws every value node (label, data, grad) and operation node,
every edge (``x * x`` has two), optionally each edge labelled with its local
derivative (its formula text and the number the backward pass used), nodes
coloured by the sign and size of their gradient, the layers of an MLP in
clusters; ``collapse=True`` draws each neuron as one ``z -> a`` pair (the network
figure of :mod:`micrograd_ext.diagrams.network`).  On a Tensor graph the nodes
show shapes and the operation nodes their backward rule in matrix form
(``dA = dZ B^T``).
"""

from __future__ import annotations

import math
from typing import Any

from ..core.graph import op_name, parents
from . import chain
from .dot import (
    _GREY,
    DEFAULT_MAX_NODES,
    PATH_COLORS,
    Diagram,
    _check_options,
    _check_size,
    _collect,
    _edge_label,
    _fmt,
    _grad_known,
    _is_tensor,
    _layers,
    _mix,
    _plain,
    _record,
    _value_fields,
)
from .dot import (
    op_name as op_text,
)
from .network import draw_network


def graph_text(root: Any, digits: int = 6) -> str:
    """The graph as text, one node per line in topological order (the fallback of the drawings).

    ``n3 z(1)[1] = wsum(n7, n8, n9)  data 0.52  grad 0.013``.
    """
    ids, order = _collect([root])
    known = _grad_known(root)
    lines = [f"graph of {chain.symbol(root, ids)}: {len(order)} nodes (inputs first)"]
    for node in order:
        head = f"{ids[node]} {getattr(node, 'label', '') or ''}".rstrip()
        if parents(node):
            head += f" = {op_name(node)}({', '.join(ids[p] for p in parents(node))})"
        if _is_tensor(node):
            head += f"  shape {tuple(node.data.shape)}"
        else:
            head += f"  data {_fmt(node.data, digits)}  grad {_fmt(node.grad, digits) if known else 'n/a'}"
        lines.append(head)
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# draw_graph
# ---------------------------------------------------------------------------


def draw_graph(
    root: Any,
    *,
    rankdir: str = "LR",
    edge_labels: bool = False,
    color_by_grad: bool = False,
    clusters: bool | None = None,
    model: Any = None,
    collapse: bool = False,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    digits: int = 4,
    title: str | None = None,
) -> Diagram:
    """The whole computation graph of ``root`` (a ``Value`` or a ``Tensor``).

    * value nodes are records ``{label | data | grad}`` (``grad n/a`` until
      ``root.backward()`` has run), operation nodes ellipses (``σ``, ``w0 + Σ w x``, ``*``);
      every edge is kept: ``x * x`` shows two edges from ``x``;
    * ``edge_labels=True`` writes on each edge its local derivative: the formula
      from the rule table and the number the backward pass used (``b = 3``,
      ``out*(1 - out) = 0.25``); on a Tensor graph the operation nodes show their
      backward rule in matrix form (``dA = dZ B^T``);
    * ``color_by_grad=True`` fills value nodes red (positive gradient) or blue
      (negative), stronger for larger ``|grad|``;
    * ``clusters`` (default: when the labels or ``model`` name layers) groups each
      MLP layer in a box; ``model`` (an ``nn.MLP``) names the layers of unlabelled
      parameters;
    * ``collapse=True`` draws each neuron as its ``z -> a`` pair, weights on the edges
      (Bondartsov's Figure 1; see :func:`draw_network`).

    Refuses (:class:`GraphTooLargeError`) above ``max_nodes`` drawn nodes.
    """
    _check_options("draw_graph", rankdir=rankdir, max_nodes=max_nodes, digits=digits, title=title)
    if collapse:
        return draw_network(root, rankdir=rankdir, color_by_grad=color_by_grad, max_nodes=max_nodes,
                            digits=digits, title=title, model=model)
    return _draw_whole(root, rankdir=rankdir, edge_labels=edge_labels, color_by_grad=color_by_grad,
                       clusters=clusters, model=model, max_nodes=max_nodes, digits=digits, title=title)


def _draw_whole(
    root: Any,
    *,
    rankdir: str,
    edge_labels: bool,
    color_by_grad: bool,
    clusters: bool | None,
    model: Any,
    max_nodes: int | None,
    digits: int,
    title: str | None,
    highlight: dict[tuple[Any, int], list[int]] | None = None,
    what: str = "draw_graph",
) -> Diagram:
    if not hasattr(root, "_edges"):
        raise TypeError(f"{what}: expected a Value or Tensor (a graph node), got {type(root).__name__}")
    ids, order = _collect([root])
    n_drawn = len(order) + sum(1 for n in order if parents(n))
    _check_size(n_drawn, max_nodes, what,
                "Draw less: draw_paths(root, w) shows only the paths to one weight, draw_graph(root, collapse=True) "
                "one z -> a pair per neuron; or build the graph on fewer samples.")
    tensor = _is_tensor(root)
    show_grad = _grad_known(root)
    on_path: set[Any] = set()
    if highlight:
        for (node, k) in highlight:
            on_path.add(node)
            on_path.add(parents(node)[k])
    layer = _layers(order, model) if clusters is not False else {}
    if clusters is None:
        clusters = bool(layer)

    g = Diagram(name=what, graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.15",
                                       "ranksep": "0.35"},
                node_attr={"fontname": "Helvetica", "fontsize": "11"},
                edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.6"})
    if title:
        g.attr(label=_plain(title), labelloc="t", fontsize="14")

    gmax = 0.0
    if color_by_grad and show_grad and not tensor:
        gmax = max((abs(n.grad) for n in order), default=0.0)

    def value_attrs(node: Any) -> dict[str, str]:
        attrs = {"shape": "record"}
        if highlight is not None and node not in on_path:
            attrs.update(color=_GREY, fontcolor="#808080")
        elif highlight is not None:
            attrs.update(penwidth="2")
        if gmax > 0 and node.grad != 0:
            t = 0.15 + 0.85 * math.sqrt(abs(node.grad) / gmax)
            attrs.update(style="filled", fillcolor=_mix("#d62728" if node.grad > 0 else "#1f77b4", t))
        return attrs

    def op_attrs(node: Any) -> dict[str, str]:
        attrs = {"shape": "ellipse", "fontsize": "10", "margin": "0.02"}
        if highlight is not None and node not in on_path:
            attrs.update(color=_GREY, fontcolor="#808080")
        return attrs

    def op_label(node: Any) -> str:
        name = op_text(op_name(node))
        if tensor:
            fs = [f for f in (getattr(node, "formulas", ()) or ()) if f]
            seen: list[str] = []
            for f in fs:
                if f not in seen:
                    seen.append(f)
            if seen:
                return _plain(name + "\n" + "\n".join(seen))
        return _plain(name)

    groups: dict[int | None, list[Any]] = {}
    for node in order:
        groups.setdefault(layer.get(node) if clusters else None, []).append(node)

    def emit(target: Any, nodes: list[Any]) -> None:
        for node in nodes:
            nid = ids[node]
            target.node(nid, _record(_value_fields(node, ids, digits, show_grad,
                                                   show_id=highlight is not None and node in on_path), rankdir),
                        **value_attrs(node))
            if parents(node):
                target.node(nid + "_op", op_label(node), **op_attrs(node))

    for key in sorted(groups, key=lambda k: (k is not None, k or 0)):
        if key is None:
            emit(g, groups[key])
        else:
            with g.subgraph(name=f"cluster_layer{key}") as c:
                c.attr(label=f"layer {key}", style="rounded,dashed", color="#999999", fontcolor="#666666",
                       fontsize="11")
                emit(c, groups[key])

    for node in order:
        if not parents(node):
            continue
        nid = ids[node]
        out_attrs: dict[str, str] = {}
        hl_node = highlight is not None and node in on_path and any(
            (node, k) in highlight for k in range(len(parents(node))))
        if highlight is not None:
            if hl_node:
                ks = sorted({pk for k in range(len(parents(node))) for pk in highlight.get((node, k), ())})
                out_attrs.update(color=":".join(PATH_COLORS[i % len(PATH_COLORS)] for i in ks), penwidth="2")
            else:
                out_attrs.update(color=_GREY)
        g.edge(nid + "_op", nid, **out_attrs)
        for k, p in enumerate(parents(node)):
            attrs: dict[str, str] = {}
            hl = highlight.get((node, k)) if highlight is not None else None
            if hl:
                attrs.update(color=":".join(PATH_COLORS[i % len(PATH_COLORS)] for i in hl), penwidth="2")
            elif highlight is not None:
                attrs.update(color=_GREY)
            if edge_labels or hl:
                text = _edge_label(node, k, digits)
                if text:
                    attrs["label"] = _plain(text)
            fs = getattr(node, "formulas", ()) or ()
            attrs["tooltip"] = _plain(f"d {chain.symbol(node, ids)} / d {chain.symbol(p, ids)} (edge {k})"
                                      + (f": {fs[k]}" if k < len(fs) and fs[k] else ""))
            g.edge(ids[p], nid + "_op", **attrs)

    if color_by_grad and gmax > 0:
        g.node("legend_colors", _plain("fill: red = positive grad, blue = negative; stronger = larger |grad|"),
               shape="plaintext", fontsize="10")
    g.text = graph_text(root)
    return g


