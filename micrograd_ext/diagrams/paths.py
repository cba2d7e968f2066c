"""The chain-rule paths from the loss to one weight, drawn as Bondartsov's Figures 2 and 3.

Only the arrows that connect the loss ``C`` to one weight, one colour per path,
each edge labelled with its local derivative, and a legend with each path's
product and their sum checked against ``wrt.grad`` (eqs. (4) and (9));
``whole=True`` highlights the paths in the whole graph instead.
"""

from __future__ import annotations

from typing import Any

from ..core.graph import creation_number, parents, topological_order
from ..core.graph import op_name as node_op
from ..nets import _checks
from . import chain
from .dot import (
    DEFAULT_MAX_NODES,
    PATH_COLORS,
    Diagram,
    _check_options,
    _check_size,
    _edge_label,
    _fmt,
    _grad_known,
    _plain,
    _record,
    _value_fields,
    op_name,
)
from .graph import _draw_whole

# ---------------------------------------------------------------------------
# draw_paths: Figures 2 and 3
# ---------------------------------------------------------------------------


def _partial(ps: chain.Paths) -> bool:
    """True for a selection of the paths (:func:`chain.top_paths` with fewer than all): its sum is not the gradient."""
    return isinstance(ps, chain.TopPaths) and not ps.complete


def _paths_text(ps: chain.Paths, digits: int = 6) -> str:
    lines = [ps.text(numbers=True, digits=digits)]
    wrt, root = ps.wrt, ps.root
    if _partial(ps):
        known = f"= {_fmt(wrt.grad, 15)}" if _grad_known(root) else "n/a (call backward() on the root to see it)"
        lines.append(f"  {chain.symbol(wrt, ps.ids)}.grad (backward, the sum over all {chain.count_text(ps.count)} "
                     f"paths) {known}")
    elif _grad_known(root):
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
    paths: chain.Paths | None = None,
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

    ``paths=``: draw these paths instead of listing them all, e.g. the few with the
    largest products, ``draw_paths(C, w, paths=chain.top_paths(C, w, k=3))``, where
    there are far too many paths to list (``limit`` is then not used).  For such a
    selection the title and legend say how many paths there are in all, and that
    ``wrt.grad`` is the sum over all of them, not over the ones drawn.

    Refuses with :class:`micrograd_ext.chain.TooManyPathsError` above ``limit`` paths,
    and with a ``ValueError`` when ``wrt`` is not a node of ``root``'s graph (or
    ``paths`` are not paths from ``root`` to ``wrt``).
    """
    if not hasattr(root, "_edges") or not hasattr(wrt, "_edges"):
        raise TypeError(f"draw_paths: expected graph nodes for root and wrt, got {type(root).__name__} and "
                        f"{type(wrt).__name__}")
    _check_options("draw_paths", rankdir=rankdir, max_nodes=max_nodes, digits=digits, title=title)
    if limit is not None:
        _checks.integer(limit, "limit", "draw_paths", minimum=1)
    if wrt is not root and id(wrt) not in {id(n) for n in topological_order(root)}:
        name = f" {wrt.label!r}" if getattr(wrt, "label", "") else ""
        raise ValueError(f"draw_paths: wrt{name} ({wrt!r:.60}) is not a node of the graph of root "
                         f"({root!r:.60}); expected a node that root was computed from, e.g. one of its weights")
    if paths is not None:
        if not isinstance(paths, chain.Paths):
            raise TypeError(f"draw_paths: paths = {paths!r:.60} of type {type(paths).__name__} (expected the Paths "
                            "that chain.paths or chain.top_paths returned)")
        if paths.root is not root or paths.wrt is not wrt:
            raise ValueError(f"draw_paths: paths= holds the paths {paths.lhs()} of another root or wrt (expected "
                             "paths from this root to this wrt, e.g. chain.top_paths(root, wrt, k))")
        ps = paths
    else:
        try:
            ps = chain.paths(root, wrt, limit=limit)
        except chain.TooManyPathsError as e:
            raise chain.TooManyPathsError(f"draw_paths: {e} (a drawing of that many paths would be unreadable: "
                                          f"draw_paths(..., limit=N) draws them anyway, or paths=chain.top_paths"
                                          f"(root, wrt, k) draws the k with the largest products)") from None
    ids = ps.ids
    highlight: dict[tuple[Any, int], list[int]] = {}
    for node, e, k in chain.iter_edges(ps):
        lst = highlight.setdefault((node, e), [])
        if k not in lst:
            lst.append(k)
    if title is None and _partial(ps):
        title = ps.describe()
    elif title is None:
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
    nodes.sort(key=creation_number)
    show_grad = _grad_known(ps.root)
    g = Diagram(name="paths", graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.25",
                                          "ranksep": "0.5"},
                node_attr={"fontname": "Helvetica", "fontsize": "11", "shape": "record"},
                edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.6"})
    g.attr(label=_plain(title), labelloc="t", fontsize="13")
    for n in nodes:
        attrs = {"penwidth": "2"} if n is ps.root or n is ps.wrt else {}
        fields = _value_fields(n, ids, digits, show_grad, show_id=True)
        if parents(n):
            fields.insert(1, f"op {op_name(node_op(n))}")
        g.node(ids[n], _record(fields, rankdir), **attrs)
    for (node, k), pks in highlight.items():
        parent = parents(node)[k]
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
            if hasattr(p.product, "shape"):  # a Tensor graph: the chain of backward rules along the path
                facs = " ∘ ".join(f"[{f}]" for f in p.formulas()) or "1"
            else:
                facs = " × ".join(_fmt(f, digits) for f in p.factors) or "1"
            text = f"path {k + 1}: {facs} = {_fmt(p.product, digits + 2)}"
            nid = f"legend_path{k + 1}"
            c.node(nid, _plain(text), shape="plaintext", fontcolor=PATH_COLORS[k % len(PATH_COLORS)],
                   fontsize="10", height="0.2", margin="0.02")
        lines = []
        if len(ps) > len(shown):
            lines.append(f"... and {len(ps) - len(shown)} more paths")
        lhs = f"∂{chain.symbol(ps.root, ids)}/∂{chain.symbol(ps.wrt, ids)}"
        if _partial(ps):
            lines.append(f"sum of these {len(ps)} products: {_fmt(ps.total, 10)}")
            lines.append(f"{lhs} is the sum over all {chain.count_text(ps.count)} paths, found by backward() "
                         "without listing them:")
            lines.append(f"{chain.symbol(ps.wrt, ids)}.grad = " +
                         (_fmt(ps.wrt.grad, 10) if _grad_known(ps.root) else "n/a (backward() not run)"))
        else:
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

