"""What every diagram shares: the :class:`Diagram` type, saving, and the labels of nodes and edges.

A diagram is a :class:`Diagram` (a ``graphviz.Digraph``: it shows itself inline in
Jupyter, ``.source`` is its DOT text, ``.render`` / ``.pipe`` / :func:`save` write
SVG, PNG or PDF).  Node ids are ``n0, n1, ...`` in breadth-first order from the root
(:func:`micrograd_ext.diagrams.chain.node_ids`), so the DOT source is the same in
every run.  Labels are plain or record labels (never HTML-like), escaped.  The DOT
source never needs Graphviz; rendering without the ``dot`` program raises
:class:`DotNotFoundError`, which says how to install it, and the Jupyter display
falls back to the text form of the diagram (as text and HTML: nothing is then
offered as ``image/svg+xml``).
"""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from typing import Any

import graphviz
import numpy as np

from ..core.graph import creation_number, edges, parents
from ..nets import _checks, files, labels

__all__ = [
    "Diagram",
    "DotNotFoundError",
    "GraphTooLargeError",
    "INSTALL_HINT",
    "DEFAULT_MAX_NODES",
    "PATH_COLORS",
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

    def __repr__(self) -> str:
        """``<Diagram draw_graph: graph of L: 5 nodes (inputs first)>``: no memory address (notebooks stay the same)."""
        head = (self.text or "").split("\n", 1)[0]
        return f"<{type(self).__name__} {self.name}" + (f": {head}>" if head else ">")

    def _repr_mimebundle_(self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None,
                          **kw: Any) -> dict[str, Any]:
        try:
            return super()._repr_mimebundle_(include, exclude, **kw)
        except graphviz.ExecutableNotFound:
            return self._fallback_bundle()

    def _repr_svg_(self) -> str | None:
        """The SVG text (used by some front ends); ``None`` when ``dot`` is missing.

        Jupyter offers what this returns as ``image/svg+xml``, so it is SVG or nothing:
        without ``dot`` the display falls back to :meth:`_repr_mimebundle_`'s text and
        HTML forms (the diagram's text and the install hint).
        """
        try:
            return self.pipe(format="svg", encoding="utf-8")
        except graphviz.ExecutableNotFound:
            return None

    def _fallback_bundle(self) -> dict[str, str]:
        body = (self.text or "(no text form)") + "\n\n" + INSTALL_HINT
        html = ("<pre style='white-space: pre-wrap'>" + body.replace("&", "&amp;").replace("<", "&lt;")
                .replace(">", "&gt;") + "</pre>")
        return {"text/plain": body, "text/html": html}


def save(diagram: graphviz.Digraph, path: str | os.PathLike, format: str | None = None) -> str:
    """Write ``diagram`` to ``path`` as SVG, PNG, PDF or DOT source (``gv``); returns the path written.

    The format is the one of the file's suffix (``.dot`` is DOT source too); a path
    without a suffix gets ``format`` (default ``svg``) as its suffix; an unknown suffix
    (``foo.jpg``), or a ``format`` that disagrees with the suffix, is refused with a
    ``ValueError`` before anything is drawn.  DOT source never needs Graphviz; the other
    formats raise :class:`DotNotFoundError` when ``dot`` is missing.  The file is written
    by :func:`micrograd_ext.nets.files.write_bytes` (folders created; a path that cannot
    be written raises a one-line ``OSError``; nothing half-written is left behind).
    """
    if not isinstance(diagram, graphviz.Digraph):
        raise TypeError(f"save: expected a diagram (a graphviz.Digraph from draw_graph, draw_network or draw_paths), "
                        f"got {type(diagram).__name__}")
    target, fmt = files.output_format(path, "save", _FORMATS, default=format or "svg", aliases={"dot": "gv"},
                                      format=format)
    if fmt == "gv":
        return files.write_bytes(target, diagram.source, "save")
    try:
        data = diagram.pipe(format=fmt)
    except graphviz.ExecutableNotFound as e:
        if isinstance(e, DotNotFoundError):
            raise
        raise DotNotFoundError(f"write {target}") from None
    return files.write_bytes(target, data, "save")


# ---------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------


def _fmt(x: Any, digits: int = 4) -> str:
    """A number for a label: ``digits`` significant digits, ``0`` for both zeros (never ``-0.0000``).

    An array of more than one element is shown by its shape and largest entry; ``None``
    (a Tensor edge whose Jacobian is not stored) as ``VJP``.
    """
    if x is None:
        return "VJP"
    if hasattr(x, "shape") and getattr(x, "size", 1) != 1:
        big = float(np.max(np.abs(x))) if x.size else 0.0
        return f"array {tuple(x.shape)}, |max| {_fmt(big, digits)}"
    x = float(np.asarray(x).reshape(()) if hasattr(x, "shape") else x)
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
    return _OP_NAMES.get(str(op), str(op))


def _is_param_label(label: str) -> bool:
    """A weight or bias label (``w(l)[i,j]``, ``b(l)[i]``), read by :mod:`micrograd_ext.nets.labels`."""
    return labels.is_parameter(label)


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
        for p in parents(node):
            if p not in ids:
                ids[p] = f"n{len(ids)}"
                queue.append(p)
    order = sorted(queue, key=creation_number)
    return ids, order


def _consumers(order: Sequence[Any]) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = {}
    for node in order:
        for p in parents(node):
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
        li = labels.layer_of(getattr(node, "label", "") or "")
        if li is not None:
            layer[node] = li
    cons = _consumers(order)
    for node in reversed(order):  # consumers first
        if node in layer or not parents(node) or getattr(node, "label", ""):
            continue
        ls = {layer.get(c) for c in cons.get(node, ())}
        if len(ls) == 1 and None not in ls:
            layer[node] = ls.pop()
    return layer


RANKDIRS = ("LR", "RL", "TB", "BT")


def _check_options(where: str, *, rankdir: str, max_nodes: int | None, digits: int, title: str | None = None) -> None:
    """The options every drawing takes, checked at its entry (each error names the function and the option)."""
    _checks.choice(rankdir, "rankdir", where, RANKDIRS)
    if max_nodes is not None:
        _checks.integer(max_nodes, "max_nodes", where, minimum=1)
    d = _checks.integer(digits, "digits", where, minimum=1)
    if d > 17:
        raise ValueError(f"{where}: digits = {d} (expected 1 to 17 significant digits; float64 has 17)")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"{where}: title = {title!r:.40} of type {type(title).__name__} (expected a str or None)")


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


def _named_formula(edge: Any) -> str:
    """The edge's formula with its symbols replaced by the nodes' labels, when they all have one.

    ``d(x1 * w1)/d x1`` is the op's ``b``; on the drawing it reads ``w1``.  For a
    weighted sum ``x_j`` / ``w_j`` become the partner input's label.  Which node each
    symbol stands for comes from the op table (:attr:`Edge.names`); unlabelled
    operands leave the formula in the table's own names.
    """
    formula, names = edge.formula, edge.names
    used = set(_TOKEN_RE.findall(formula))
    if not used or any(not (getattr(names.get(t), "label", "") or "") for t in used):
        return formula

    def sub(m: re.Match) -> str:
        label = names[m.group(1)].label
        return label if _SIMPLE_RE.match(label) else f"({label})"

    return _TOKEN_RE.sub(sub, formula)


def _edge_label(node: Any, k: int, digits: int, partial: str | None = None) -> str:
    """``formula = number`` for edge ``k`` of ``node`` (the number is the stored local derivative)."""
    es = edges(node)
    if k >= len(es):
        return ""
    edge = es[k]
    if _is_tensor(node):
        return edge.formula
    formula = _named_formula(edge)
    loc = edge.local
    num = _fmt(loc, digits) if loc is not None else "?"
    body = num if (not formula or formula == num) else f"{formula} = {num}"
    return f"{partial}\n{body}" if partial else body


