"""Chain-rule diagrams with Graphviz: the whole graph, the network figure, the paths to one weight.

Three drawings, each returned as a :class:`Diagram` (a ``graphviz.Digraph``: it
shows itself inline in Jupyter, ``.source`` is its DOT text, ``.render`` /
``.pipe`` / :func:`save` write SVG, PNG or PDF):

* :func:`draw_graph` — every value node (label, data, grad) and operation node,
  every edge (``x * x`` has two), optionally each edge labelled with its local
  derivative (formula from :data:`micrograd_ext.rules.RULES` and the number the
  backward pass used), nodes coloured by the sign and size of their gradient, the
  layers of an MLP in clusters; ``collapse=True`` draws each neuron as one
  ``z -> a`` pair with the weights on the edges, the way Bondartsov's Figure 1
  draws the iris network.  On a :class:`~micrograd_ext.tensor.Tensor` graph the
  nodes show shapes and the operation nodes their backward rule in matrix form
  (``dA = dZ B^T``).
* :func:`draw_network` — Figure 1 for a model (``nn.MLP``) or a graph.
* :func:`draw_paths` — Figures 2 and 3: only the arrows that connect the loss
  ``C`` to one weight, one colour per path, each edge labelled with its local
  derivative, and a legend with each path's product and their sum checked
  against ``wrt.grad`` (eqs. (4) and (9)); ``whole=True`` highlights the paths in
  the whole graph instead.

Node ids are ``n0, n1, ...`` in breadth-first order from the root
(:func:`micrograd_ext.chain.node_ids`), so the DOT source is the same in every run.
Labels are plain or record labels (never HTML-like), escaped.  The DOT source never
needs Graphviz; rendering without the ``dot`` program raises
:class:`DotNotFoundError`, which says how to install it, and the Jupyter display
falls back to the text form of the diagram (for paths: the chain-rule sum).
"""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from typing import Any

import graphviz

from . import chain

__all__ = [
    "Diagram",
    "DotNotFoundError",
    "GraphTooLargeError",
    "INSTALL_HINT",
    "DEFAULT_MAX_NODES",
    "PATH_COLORS",
    "draw_graph",
    "draw_network",
    "draw_paths",
    "graph_text",
    "have_dot",
    "save",
]

#: Graphs with more drawn nodes than this refuse to draw (pass ``max_nodes=``).
DEFAULT_MAX_NODES = 300

#: One colour per path (colour-blind friendly order first: vermilion, blue, green, ...).
PATH_COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")

INSTALL_HINT = (
    "Graphviz's 'dot' program is not on PATH. Install Graphviz: 'sudo apt-get install graphviz' (Debian/Ubuntu), "
    "'brew install graphviz' (macOS), 'conda install -c conda-forge graphviz' or https://graphviz.org/download/ "
    "(Windows: add its bin folder to PATH). The DOT source needs no install: diagram.source, or save(diagram, 'f.gv')."
)

_GREY = "#b0b0b0"
_FORMATS = ("svg", "png", "pdf", "gv")


class DotNotFoundError(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's ``dot`` program and it is not on ``PATH``.

    A subclass of ``graphviz.ExecutableNotFound`` (so code that catches that still
    works) whose message says how to install Graphviz.
    """

    def __init__(self, what: str = "render the diagram") -> None:
        RuntimeError.__init__(self, f"cannot {what}: {INSTALL_HINT}")


class GraphTooLargeError(ValueError):
    """The graph has more nodes than a readable drawing can show."""


def have_dot() -> bool:
    """Whether Graphviz's ``dot`` program is on ``PATH``."""
    return shutil.which("dot") is not None


class Diagram(graphviz.Digraph):
    """A ``graphviz.Digraph`` that knows its text form.

    Differences from the base class: rendering without ``dot`` raises
    :class:`DotNotFoundError` (with the install hint), and the Jupyter display
    then shows :attr:`text` (the chain-rule sum for a paths diagram, the list of
    nodes for a graph) and the hint instead of a traceback.
    """

    #: Text form of the diagram, shown when it cannot be rendered.
    text: str = ""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            if isinstance(e, DotNotFoundError):
                raise
            fmt = kwargs.get("format") or (args[0] if args else None) or self.format
            raise DotNotFoundError(f"render the diagram as {fmt}") from None

    def render(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            fmt = kwargs.get("format") or self.format
            raise DotNotFoundError(f"render the diagram as {fmt}") from None

    def _repr_mimebundle_(self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None,
                          **kw: Any) -> dict[str, Any]:
        try:
            return super()._repr_mimebundle_(include, exclude, **kw)
        except graphviz.ExecutableNotFound:
            return self._fallback_bundle()

    def _repr_svg_(self) -> str:
        """The SVG text (used by some front ends); the text form in a ``<pre>`` when ``dot`` is missing."""
        try:
            return self.pipe(format="svg", encoding="utf-8")
        except graphviz.ExecutableNotFound:
            return self._fallback_bundle()["text/html"]

    def _fallback_bundle(self) -> dict[str, str]:
        body = (self.text or "(no text form)") + "\n\n" + INSTALL_HINT
        html = ("<pre style='white-space: pre-wrap'>" + body.replace("&", "&amp;").replace("<", "&lt;")
                .replace(">", "&gt;") + "</pre>")
        return {"text/plain": body, "text/html": html}


def save(diagram: graphviz.Digraph, path: str, format: str | None = None) -> str:
    """Write ``diagram`` to ``path`` as SVG, PNG, PDF or DOT source (``gv``); returns the path.

    The format comes from ``format`` or the file's extension (``.dot`` is DOT source
    too).  DOT source never needs Graphviz; the other formats raise
    :class:`DotNotFoundError` when ``dot`` is missing.
    """
    fmt = (format or os.path.splitext(path)[1].lstrip(".") or "svg").lower()
    if fmt == "dot":
        fmt = "gv"
    if fmt not in _FORMATS:
        raise ValueError(f"save: format {fmt!r} (expected one of {', '.join(_FORMATS)})")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if fmt == "gv":
        with open(path, "w", encoding="utf-8") as f:
            f.write(diagram.source)
        return path
    try:
        data = diagram.pipe(format=fmt)
    except graphviz.ExecutableNotFound as e:
        if isinstance(e, DotNotFoundError):
            raise
        raise DotNotFoundError(f"write {path}") from None
    with open(path, "wb") as f:
        f.write(data)
    return path


# ---------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------


def _fmt(x: Any, digits: int = 4) -> str:
    """A number for a label: ``digits`` significant digits, ``0`` for both zeros (never ``-0.0000``)."""
    x = float(x)
    if x == 0:
        return "0"
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return f"{x:.{digits}g}"


def _esc(s: str) -> str:
    """Escape text for a quoted DOT string (backslashes, quotes, newlines)."""
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _rec(s: str) -> str:
    """Escape text for one field of a record label."""
    s = _esc(s)
    for ch in "{}|<>":
        s = s.replace(ch, "\\" + ch)
    return s


def _plain(s: str) -> str:
    return graphviz.nohtml(_esc(s))


def _record(fields: Sequence[str], rankdir: str = "LR") -> str:
    """A record label: fields stacked vertically (the compact form for left-to-right graphs)."""
    body = " | ".join(_rec(f) for f in fields)
    return graphviz.nohtml(body if rankdir in ("LR", "RL") else "{" + body + "}")


_OP_NAMES = {
    "sigmoid": "σ", "sum": "Σ", "wsum": "w0 + Σ w x", "wsum0": "Σ w x", "bce": "BCE", "mse": "MSE",
    "xent": "xent", "neg": "neg", "log": "ln", "matmul": "@",
}


def op_name(op: str) -> str:
    """How an operation is written on its node (``σ`` for sigmoid, ``w0 + Σ w x`` for a weighted sum)."""
    return _OP_NAMES.get(op, op)


_PARAM_RE = re.compile(r"^[wb]\((\d+)\)\[")
_LAYER_RE = re.compile(r"^[A-Za-z]+\((\d+)\)")


def _is_tensor(node: Any) -> bool:
    return hasattr(node, "shape") and hasattr(node, "requires_grad")


def _grad_known(root: Any) -> bool:
    """Whether a backward pass has filled the gradients (``root.grad`` is set by it)."""
    g = getattr(root, "grad", None)
    if g is None:
        return False
    try:
        return bool(abs(float(g)) > 0) if not _is_tensor(root) else True
    except TypeError:
        return True


def _mix(color: str, t: float) -> str:
    """``color`` mixed with white: t = 0 is white, t = 1 the colour itself."""
    r, g, b = (int(color[k:k + 2], 16) for k in (1, 3, 5))
    return "#" + "".join(f"{round(255 + (c - 255) * t):02x}" for c in (r, g, b))


# ---------------------------------------------------------------------------
# The graph: ids, order, layers
# ---------------------------------------------------------------------------


def _collect(roots: Sequence[Any]) -> tuple[dict[Any, str], list[Any]]:
    """Stable ids (breadth-first from the roots) and a topological order (inputs first)."""
    ids: dict[Any, str] = {}
    queue: list[Any] = []
    for r in roots:
        if r not in ids:
            ids[r] = f"n{len(ids)}"
            queue.append(r)
    for node in queue:
        for p in node._prev:
            if p not in ids:
                ids[p] = f"n{len(ids)}"
                queue.append(p)
    order = sorted(queue, key=lambda n: n._seq)
    return ids, order


def _consumers(order: Sequence[Any]) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = {}
    for node in order:
        for p in node._prev:
            lst = out.setdefault(p, [])
            if not lst or lst[-1] is not node:
                lst.append(node)
    return out


def _layers(order: Sequence[Any], model: Any = None) -> dict[Any, int]:
    """The MLP layer of each node: from labels ``w(l)[..]``, ``z(l)[..]``, ``a(l)[..]``, or ``model``.

    Unlabelled intermediate nodes (micrograd's chain of ``*`` and ``+`` inside a
    neuron) join the layer of their consumers when all consumers share one.
    """
    layer: dict[Any, int] = {}
    if model is not None and hasattr(model, "layers"):
        for li, lay in enumerate(model.layers, 1):
            for p in lay.parameters():
                layer[p] = li
    for node in order:
        m = _LAYER_RE.match(getattr(node, "label", "") or "")
        if m:
            layer[node] = int(m.group(1))
    cons = _consumers(order)
    for node in reversed(order):  # consumers first
        if node in layer or not node._prev or getattr(node, "label", ""):
            continue
        ls = {layer.get(c) for c in cons.get(node, ())}
        if len(ls) == 1 and None not in ls:
            layer[node] = ls.pop()
    return layer


def _check_size(n: int, max_nodes: int | None, what: str, advice: str) -> None:
    if max_nodes is not None and n > max_nodes:
        raise GraphTooLargeError(
            f"{what}: the drawing would have {n} nodes, more than max_nodes={max_nodes} (it would be unreadable). "
            f"{advice} Or pass max_nodes={n} to draw it anyway."
        )


def _value_fields(node: Any, ids: dict[Any, str], digits: int, show_grad: bool, show_id: bool) -> list[str]:
    label = getattr(node, "label", "") or ""
    fields = []
    if label:
        fields.append(label)
    elif show_id:
        fields.append(ids[node])
    if _is_tensor(node):
        data = node.data
        fields.append(f"shape {tuple(data.shape)}")
        if data.size == 1:
            fields.append(f"data {_fmt(data.reshape(-1)[0], digits)}")
        g = node.grad
        if g is None:
            fields.append("grad n/a")
        elif getattr(g, "size", 1) == 1:
            fields.append(f"grad {_fmt(float(g.reshape(-1)[0]) if hasattr(g, 'reshape') else g, digits)}")
        else:
            fields.append(f"grad |max| {_fmt(float(abs(g).max()), digits)}")
        return fields
    fields.append(f"data {_fmt(node.data, digits)}")
    fields.append(f"grad {_fmt(node.grad, digits)}" if show_grad else "grad n/a")
    return fields


_SIMPLE_RE = re.compile(r"^[\w()\[\],.]+$")
_TOKEN_RE = re.compile(r"\b(a|b|out|x_j|w_j)\b")


def _named_formula(node: Any, k: int, formula: str) -> str:
    """The rule's formula with its operand names replaced by the nodes' labels, when they all have one.

    ``d(x1 * w1)/d x1`` is the rule's ``b``; on the drawing it reads ``w1``.  For a
    weighted sum ``x_j`` / ``w_j`` become the partner input's label.  Unlabelled
    operands leave the formula in the rule table's own names.
    """
    prev = node._prev
    names: dict[str, Any] = {}
    if node._op in ("wsum", "wsum0"):
        start = 1 if node._op == "wsum" else 0
        if k >= start:
            partner = k + 1 if (k - start) % 2 == 0 else k - 1
            names = {"x_j": prev[partner], "w_j": prev[partner]}
    else:
        from .rules import rule_for

        rule = rule_for(node._op)
        if rule is None or rule.nary:
            return formula
        names = {"a": prev[0], "out": node}
        if len(prev) > 1:
            names["b"] = prev[1]
    used = set(_TOKEN_RE.findall(formula))
    if not used or any(not (getattr(names.get(t), "label", "") or "") for t in used):
        return formula

    def sub(m: re.Match) -> str:
        label = names[m.group(1)].label
        return label if _SIMPLE_RE.match(label) else f"({label})"

    return _TOKEN_RE.sub(sub, formula)


def _edge_label(node: Any, k: int, digits: int, partial: str | None = None) -> str:
    """``formula = number`` for edge ``k`` of ``node`` (the number is the stored local derivative)."""
    fs = getattr(node, "formulas", ()) or ()
    formula = fs[k] if k < len(fs) else ""
    if _is_tensor(node):
        return formula
    formula = _named_formula(node, k, formula)
    loc = node._local[k] if k < len(node._local) else None
    num = _fmt(loc, digits) if loc is not None else "?"
    body = num if (not formula or formula == num) else f"{formula} = {num}"
    return f"{partial}\n{body}" if partial else body


def graph_text(root: Any, digits: int = 6) -> str:
    """The graph as text, one node per line in topological order (the fallback of the drawings).

    ``n3 z(1)[1] = wsum(n7, n8, n9)  data 0.52  grad 0.013``.
    """
    ids, order = _collect([root])
    known = _grad_known(root)
    lines = [f"graph of {chain.symbol(root, ids)}: {len(order)} nodes (inputs first)"]
    for node in order:
        head = f"{ids[node]} {getattr(node, 'label', '') or ''}".rstrip()
        if node._prev:
            head += f" = {node._op}({', '.join(ids[p] for p in node._prev)})"
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
    if not hasattr(root, "_prev"):
        raise TypeError(f"{what}: expected a Value or Tensor (a graph node), got {type(root).__name__}")
    ids, order = _collect([root])
    n_drawn = len(order) + sum(1 for n in order if n._prev)
    _check_size(n_drawn, max_nodes, what,
                "Draw less: draw_paths(root, w) shows only the paths to one weight, draw_graph(root, collapse=True) "
                "one z -> a pair per neuron; or build the graph on fewer samples.")
    tensor = _is_tensor(root)
    show_grad = _grad_known(root)
    on_path: set[Any] = set()
    if highlight:
        for (node, k) in highlight:
            on_path.add(node)
            on_path.add(node._prev[k])
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
        name = op_name(node._op)
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
            if node._prev:
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
        if not node._prev:
            continue
        nid = ids[node]
        out_attrs: dict[str, str] = {}
        hl_node = highlight is not None and node in on_path and any(
            (node, k) in highlight for k in range(len(node._prev)))
        if highlight is not None:
            if hl_node:
                ks = sorted({pk for k in range(len(node._prev)) for pk in highlight.get((node, k), ())})
                out_attrs.update(color=":".join(PATH_COLORS[i % len(PATH_COLORS)] for i in ks), penwidth="2")
            else:
                out_attrs.update(color=_GREY)
        g.edge(nid + "_op", nid, **out_attrs)
        for k, p in enumerate(node._prev):
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


# ---------------------------------------------------------------------------
# draw_network: Figure 1
# ---------------------------------------------------------------------------


def _model_graph(model: Any) -> tuple[list[Any], list[Any]]:
    """Run ``model`` on labelled placeholder inputs ``x[1] .. x[nin]`` to get its graph."""
    from .engine import Value

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
    xs = [Value(0.0, label=f"x[{j}]") for j in range(1, nin + 1)]
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
    if hasattr(model_or_root, "_prev"):
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
        if not node._prev and _PARAM_RE.match(getattr(node, "label", "") or ""):
            params.add(node)
    # Visible: labelled non-parameter nodes, unlabelled leaves (inputs), and the roots.
    visible = [n for n in order if n not in params and (getattr(n, "label", "") or not n._prev or n in roots)]
    vis = set(visible)
    layer = _layers(order, model)
    show_grad = values and _grad_known(roots[0])

    # Edges between visible nodes: (src, dst, weight or None, op text); bias edges have src None.
    edges: list[tuple[Any, Any, Any, str]] = []
    for v in visible:
        if not v._prev:
            continue
        stack: list[Any] = [v]
        seen = {v}
        while stack:
            node = stack.pop()
            prev = node._prev
            op = node._op
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

    g = Diagram(name="network", graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.12",
                                            "ranksep": "1.2", "remincross": "false"},
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
            return (0, 0) if not node._prev else (10**6, 0)
        return (li, 1 if lab.startswith("z") else 2)

    columns: dict[tuple[int, int], list[Any]] = {}
    for node in visible:
        columns.setdefault(column(node), []).append(node)
    bias_col: dict[int, tuple[int, int]] = {}
    for bl in bias_layers:
        prev_cols = [c for c in columns if c < (bl, 0)]
        bias_col[bl] = max(prev_cols) if prev_cols else (bl, 0)
        columns.setdefault(bias_col[bl], [])
    # Plain multi-line labels here (not records): dot cannot keep records in order with flat edges.
    shape = "box" if values else "ellipse"
    def emit_column(target: Any, col: tuple[int, int]) -> None:
        with target.subgraph() as s:
            s.attr(rank="same")
            names = []
            for node in columns[col]:
                s.node(ids[node], _plain("\n".join(fields(node))), shape=shape, style="rounded" if values else "")
                names.append(ids[node])
            for bl, bc in bias_col.items():
                if bc == col:
                    s.node(f"bias{bl}", _plain(f"+1 (bias of layer {bl})"), shape="box", style="rounded,dotted")
                    names.append(f"bias{bl}")
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

    for src, dst, w, text in edges:
        attrs: dict[str, str] = {}
        if w is not None:
            wl = chain.symbol(w, ids)
            tip = f"{wl} = {_fmt(w.data, digits)}" + (f", grad {_fmt(w.grad, digits)}" if show_grad else "")
            attrs["tooltip"] = _plain(tip)
            if weight_labels:
                attrs["label"] = _plain(wl if not values else tip)
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


# ---------------------------------------------------------------------------
# draw_paths: Figures 2 and 3
# ---------------------------------------------------------------------------


def _paths_text(ps: chain.Paths, digits: int = 6) -> str:
    lines = [ps.text(numbers=True, digits=digits)]
    wrt, root = ps.wrt, ps.root
    if _grad_known(root):
        ok, diff = ps.check()
        lines.append(f"  {chain.symbol(wrt, ps.ids)}.grad (backward) = {_fmt(wrt.grad, 15)}   "
                     f"{'agrees' if ok else 'DISAGREES'} (|difference| = {diff:.1e})")
    else:
        lines.append(f"  {chain.symbol(wrt, ps.ids)}.grad: n/a (call backward() on the root to compare)")
    return "\n".join(lines)


def draw_paths(
    root: Any,
    wrt: Any,
    *,
    whole: bool = False,
    edge_labels: bool = True,
    legend: bool = True,
    limit: int = 64,
    rankdir: str = "LR",
    max_nodes: int | None = DEFAULT_MAX_NODES,
    digits: int = 4,
    title: str | None = None,
    model: Any = None,
) -> Diagram:
    """The paths from ``root`` (the loss ``C``) to ``wrt`` (a weight), as Bondartsov's Figures 2 and 3 draw them.

    By default only the nodes and edges on the paths are drawn (for a last-layer
    weight that is ``C``, ``a(2)[i]``, ``z(2)[i]``, ``w(2)[i,j]``: one path, eq. (4); for
    a first-layer weight one path through each output, eq. (9)).  Each path has
    its colour (an edge shared by several paths is drawn with one strand per
    path); each edge is labelled with its partial derivative, the formula from
    the rule table and the number the backward pass used; a legend lists each
    path's product and their sum next to ``wrt.grad``.  ``whole=True`` draws the
    whole graph (with its operation nodes) with the paths highlighted.

    Refuses with :class:`micrograd_ext.chain.TooManyPathsError` above ``limit`` paths.
    """
    if not hasattr(root, "_prev") or not hasattr(wrt, "_prev"):
        raise TypeError(f"draw_paths: expected graph nodes for root and wrt, got {type(root).__name__} and "
                        f"{type(wrt).__name__}")
    try:
        ps = chain.paths(root, wrt, limit=limit)
    except chain.TooManyPathsError as e:
        raise chain.TooManyPathsError(f"draw_paths: {e} (a drawing of that many paths would be unreadable: "
                                      f"draw_paths(..., limit=N) draws them anyway)") from None
    ids = ps.ids
    highlight: dict[tuple[Any, int], list[int]] = {}
    for node, e, k in chain.iter_edges(ps):
        lst = highlight.setdefault((node, e), [])
        if k not in lst:
            lst.append(k)
    if title is None:
        title = f"{len(ps)} path(s) from {chain.symbol(root, ids)} to {chain.symbol(wrt, ids)}"
    if whole:
        g = _draw_whole(root, rankdir=rankdir, edge_labels=False, color_by_grad=False, clusters=None,
                        model=model, max_nodes=max_nodes, digits=digits, title=title, highlight=highlight,
                        what="draw_paths")
    else:
        g = _draw_path_subgraph(ps, highlight, rankdir=rankdir, edge_labels=edge_labels, max_nodes=max_nodes,
                                digits=digits, title=title)
    if legend:
        _add_legend(g, ps, digits)
    g.text = _paths_text(ps)
    return g


def _draw_path_subgraph(ps: chain.Paths, highlight: dict[tuple[Any, int], list[int]], *, rankdir: str,
                        edge_labels: bool, max_nodes: int | None, digits: int, title: str) -> Diagram:
    ids = ps.ids
    nodes: list[Any] = []
    seen: set[Any] = set()
    for p in ps:
        for n in p.nodes:
            if n not in seen:
                seen.add(n)
                nodes.append(n)
    if not nodes:  # wrt does not influence root: draw both, unconnected
        nodes = [ps.root, ps.wrt]
    _check_size(len(nodes), max_nodes, "draw_paths",
                "Draw the paths to a weight nearer the loss, or build the graph on fewer samples.")
    nodes.sort(key=lambda n: n._seq)
    show_grad = _grad_known(ps.root)
    g = Diagram(name="paths", graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.25",
                                          "ranksep": "0.5"},
                node_attr={"fontname": "Helvetica", "fontsize": "11", "shape": "record"},
                edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.6"})
    g.attr(label=_plain(title), labelloc="t", fontsize="13")
    for n in nodes:
        attrs = {"penwidth": "2"} if n is ps.root or n is ps.wrt else {}
        fields = _value_fields(n, ids, digits, show_grad, show_id=True)
        if n._prev:
            fields.insert(1, f"op {op_name(n._op)}")
        g.node(ids[n], _record(fields, rankdir), **attrs)
    for (node, k), pks in highlight.items():
        parent = node._prev[k]
        attrs = {"color": ":".join(PATH_COLORS[i % len(PATH_COLORS)] for i in pks), "penwidth": "2"}
        if len(pks) == 1:
            attrs["fontcolor"] = PATH_COLORS[pks[0] % len(PATH_COLORS)]
        if edge_labels:
            partial = f"∂{chain.symbol(node, ids)}/∂{chain.symbol(parent, ids)}"
            attrs["label"] = _plain(_edge_label(node, k, digits, partial))
        g.edge(ids[parent], ids[node], **attrs)
    return g


def _add_legend(g: Diagram, ps: chain.Paths, digits: int) -> None:
    """One legend line per path, in its colour (product of its factors), then the sum and ``wrt.grad``."""
    ids = ps.ids
    shown = ps[:16]
    with g.subgraph(name="cluster_legend") as c:
        c.attr(label="chain rule: sum over paths of products of local derivatives", style="rounded",
               color="#999999", fontsize="11", fontcolor="#444444")
        for k, p in enumerate(shown):
            facs = " × ".join(_fmt(f, digits) for f in p.factors) or "1"
            text = f"path {k + 1}: {facs} = {_fmt(p.product, digits + 2)}"
            nid = f"legend_path{k + 1}"
            c.node(nid, _plain(text), shape="plaintext", fontcolor=PATH_COLORS[k % len(PATH_COLORS)],
                   fontsize="10", height="0.2", margin="0.02")
        lines = []
        if len(ps) > len(shown):
            lines.append(f"... and {len(ps) - len(shown)} more paths")
        lhs = f"∂{chain.symbol(ps.root, ids)}/∂{chain.symbol(ps.wrt, ids)}"
        lines.append(f"sum of the {len(ps)} products: {lhs} = {_fmt(ps.total, 10)}")
        if _grad_known(ps.root):
            ok, diff = ps.check()
            mark = "✓ equal" if ok else "✗ DIFFERENT"
            lines.append(f"{chain.symbol(ps.wrt, ids)}.grad from backward() = {_fmt(ps.wrt.grad, 10)}  "
                         f"{mark} (|diff| = {diff:.1e})")
        else:
            lines.append(f"{chain.symbol(ps.wrt, ids)}.grad: n/a (backward() not run)")
        c.node("legend_sum", _plain("\n".join(lines)), shape="plaintext", fontsize="10", height="0.2",
               margin="0.02")
