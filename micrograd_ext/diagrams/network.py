"""The network figure: Bondartsov's Figure 1, one ``z -> a`` pair per neuron, the bias as a ``+1`` input."""

from __future__ import annotations

import math
from typing import Any

from ..core.graph import op_name as node_op
from ..core.graph import parents
from . import chain
from .dot import (
    _GREY,
    DEFAULT_MAX_NODES,
    Diagram,
    _check_options,
    _check_size,
    _collect,
    _fmt,
    _grad_known,
    _is_param_label,
    _layers,
    _plain,
    _value_fields,
    op_name,
)

# ---------------------------------------------------------------------------
# draw_network: Figure 1
# ---------------------------------------------------------------------------


def _model_graph(model: Any) -> tuple[list[Any], list[Any]]:
    """Run ``model`` on labelled placeholder inputs ``x[1] .. x[nin]`` to get its graph."""
    from ..nets.neurons import inputs

    layers = getattr(model, "layers", None)
    if not layers:
        raise TypeError(f"draw_network: expected an nn.MLP (with .layers) or a graph node, got {type(model).__name__}")
    first = layers[0]
    nin = getattr(first, "nin", None)
    if nin is None:
        neurons = getattr(first, "neurons", None)
        nin = len(neurons[0].w) if neurons else None
    if nin is None:
        raise TypeError("draw_network: cannot tell the number of inputs of the model (expected layers[0].neurons[0].w)")
    xs = inputs([0.0] * nin)
    out = model(xs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    return outs, xs


def draw_network(
    model_or_root: Any,
    *,
    rankdir: str = "LR",
    weight_labels: bool | None = None,
    color_by_grad: bool = False,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    digits: int = 4,
    title: str | None = None,
    model: Any = None,
) -> Diagram:
    """The network drawn like Bondartsov's Figure 1: inputs, ``+1`` bias nodes, one ``z -> a`` pair per neuron.

    Given an ``nn.MLP`` it draws the architecture (it runs the model once on
    placeholder inputs ``x[1..nin]`` to read its structure); given a graph node
    (the loss ``C`` after a forward pass) it draws that graph with each neuron
    collapsed, showing data and gradients.  Weights become the edges
    ``x_j -> z_i`` (their names, values and gradients in the SVG tooltips; on the
    edges too when ``weight_labels`` is true, by default when there are at most 30).
    ``color_by_grad`` colours each weight's edge by the sign of its gradient and
    thickens it with its size.
    """
    _check_options("draw_network", rankdir=rankdir, max_nodes=max_nodes, digits=digits, title=title)
    if hasattr(model_or_root, "_edges"):
        roots = [model_or_root]
        values = True
    else:
        roots, _ = _model_graph(model_or_root)
        model = model if model is not None else model_or_root
        values = False
    return _draw_collapsed(roots, values=values, rankdir=rankdir, weight_labels=weight_labels,
                           color_by_grad=color_by_grad, max_nodes=max_nodes, digits=digits, title=title, model=model)


def _draw_collapsed(roots: list[Any], *, values: bool, rankdir: str, weight_labels: bool | None,
                    color_by_grad: bool, max_nodes: int | None, digits: int, title: str | None,
                    model: Any) -> Diagram:
    ids, order = _collect(roots)
    params: set[Any] = set()
    if model is not None and hasattr(model, "parameters"):
        params.update(model.parameters())
    for node in order:
        if not parents(node) and _is_param_label(getattr(node, "label", "") or ""):
            params.add(node)
    # Visible: labelled non-parameter nodes, unlabelled leaves (inputs), and the roots.
    root_ids = {id(r) for r in roots}  # by identity: a Tensor's == is elementwise
    visible = [n for n in order if n not in params and (getattr(n, "label", "") or not parents(n) or id(n) in root_ids)]
    vis = set(visible)
    layer = _layers(order, model)
    show_grad = values and _grad_known(roots[0])

    # Edges between visible nodes: (src, dst, weight or None, op text); bias edges have src None.
    edges: list[tuple[Any, Any, Any, str]] = []
    for v in visible:
        if not parents(v):
            continue
        stack: list[Any] = [v]
        seen = {v}
        while stack:
            node = stack.pop()
            prev = parents(node)
            op = node_op(node)
            pairs: list[tuple[Any, Any]] = []  # (input, weight)
            if op in ("wsum", "wsum0"):
                start = 1 if op == "wsum" else 0
                if op == "wsum":
                    pairs.append((None, prev[0]))
                pairs += [(prev[j + 1], prev[j]) for j in range(start, len(prev), 2)]
            elif op == "*" and len(prev) == 2 and (prev[0] in params) != (prev[1] in params):
                w, x = (prev[0], prev[1]) if prev[0] in params else (prev[1], prev[0])
                pairs.append((x, w))
            else:
                pairs += [(p, None) if p not in params else (None, p) for p in prev]
            for x, w in pairs:
                if x is None or x in vis:
                    edges.append((x, v, w, "" if (w is not None or node is not v) else op_name(op)))
                elif x not in seen:
                    seen.add(x)
                    stack.append(x)

    bias_layers = sorted({layer.get(dst, 0) for (src, dst, w, _) in edges if src is None})
    n_drawn = len(visible) + len(bias_layers)
    _check_size(n_drawn, max_nodes, "draw_network",
                "Draw less: build the graph on one sample, or draw_paths(root, w) for the paths to one weight.")
    n_weights = sum(1 for e in edges if e[2] is not None)
    if weight_labels is None:
        weight_labels = n_weights <= 30
    gmax = 0.0
    if color_by_grad and show_grad:
        gmax = max((abs(e[2].grad) for e in edges if e[2] is not None), default=0.0)

    # Straight edges, as the papers draw a network (splines bend around the layer boxes and loop
    # over the top of the figure); newrank lets a bias node outside the boxes share a column.
    g = Diagram(name="network", graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.12",
                                            "ranksep": "1.2", "remincross": "false", "splines": "line",
                                            "newrank": "true", "forcelabels": "true"},
                node_attr={"fontname": "Helvetica", "fontsize": "11"},
                edge_attr={"fontname": "Helvetica", "fontsize": "8", "arrowsize": "0.5"})
    if title:
        g.attr(label=_plain(title), labelloc="t", fontsize="14")

    def fields(node: Any) -> list[str]:
        if not values:
            return [getattr(node, "label", "") or ids[node]]
        return _value_fields(node, ids, digits, show_grad, show_id=True)

    # Columns like the figure: inputs, then z(l) and a(l) of each layer, each in its top-to-bottom order.
    def column(node: Any) -> tuple[int, int]:
        lab = getattr(node, "label", "") or ""
        li = layer.get(node)
        if li is None:
            return (0, 0) if not parents(node) else (10**6, 0)
        return (li, 1 if lab.startswith("z") else 2)

    columns: dict[tuple[int, int], list[Any]] = {}
    for node in visible:
        columns.setdefault(column(node), []).append(node)
    # The "+1" of layer l's biases stands in the column before z(l) (the inputs, or a(l-1)),
    # but outside that layer's box: it is an input of layer l, not a node of layer l - 1.
    bias_col: dict[int, tuple[int, int]] = {}
    for bl in bias_layers:
        prev_cols = [c for c in columns if c < (bl, 0)]
        bias_col[bl] = max(prev_cols) if prev_cols else (bl, 0)
    # Plain multi-line labels here (not records): dot cannot keep records in order with flat edges.
    shape = "box" if values else "ellipse"

    def emit_column(target: Any, col: tuple[int, int]) -> None:
        with target.subgraph() as s:
            s.attr(rank="same")
            names = []
            for node in columns[col]:
                s.node(ids[node], _plain("\n".join(fields(node))), shape=shape, style="rounded" if values else "")
                names.append(ids[node])
            for a, b in zip(names, names[1:]):  # keep the top-to-bottom order (with remincross=false)
                s.edge(b, a, style="invis") if rankdir == "LR" else s.edge(a, b, style="invis")

    by_layer: dict[int | str | None, list[tuple[int, int]]] = {}
    for col in sorted(columns):
        key: int | str | None = col[0] if 0 < col[0] < 10**6 else ("inputs" if col == (0, 0) else None)
        by_layer.setdefault(key, []).append(col)
    for key, cols in by_layer.items():
        if key is None:
            for col in cols:
                emit_column(g, col)
            continue
        name, text = (f"cluster_layer{key}", f"layer {key}") if key != "inputs" else ("cluster_inputs", "inputs")
        with g.subgraph(name=name) as c:
            c.attr(label=text, style="rounded,dashed", color="#999999", fontcolor="#666666")
            for col in cols:
                emit_column(c, col)
    for bl, bc in bias_col.items():
        with g.subgraph() as s:  # at the top level: in no layer's box
            s.attr(rank="same")
            s.node(f"bias{bl}", _plain(f"+1 (bias of layer {bl})"), shape="box", style="rounded,dotted")
            for node in columns.get(bc, [])[-1:]:
                s.node(ids[node])

    for src, dst, w, text in edges:
        attrs: dict[str, str] = {}
        if w is not None:
            wl = chain.symbol(w, ids)
            tip = f"{wl} = {_fmt(w.data, digits)}" + (f", grad {_fmt(w.grad, digits)}" if show_grad else "")
            attrs["tooltip"] = _plain(tip)
            if weight_labels:  # an external label: placed beside its straight edge
                attrs["xlabel"] = _plain(wl if not values else tip)
            if gmax > 0:
                t = abs(w.grad) / gmax
                attrs.update(color="#d62728" if w.grad > 0 else ("#1f77b4" if w.grad < 0 else _GREY),
                             penwidth=f"{0.5 + 3.0 * math.sqrt(t):.2f}")
        elif text:
            attrs["label"] = _plain(text)
        src_id = f"bias{layer.get(dst, 0)}" if src is None else ids[src]
        g.edge(src_id, ids[dst], **attrs)
    if gmax > 0:
        g.node("legend_colors", _plain("edges: red = positive dC/dw, blue = negative; thicker = larger |dC/dw|"),
               shape="plaintext", fontsize="10")
    lines = [f"network: {len(visible)} nodes, {n_weights} weights"]
    for src, dst, w, text in edges:
        s = "+1" if src is None else chain.symbol(src, ids)
        lines.append(f"  {s} -> {chain.symbol(dst, ids)}" + (f"  ({chain.symbol(w, ids)})" if w is not None else
                                                               (f"  [{text}]" if text else "")))
    g.text = "\n".join(lines)
    return g


