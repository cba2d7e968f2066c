"""One fixed layout for a graph: a box per node, a curve per edge, computed once and shared by every frame.

The backward-pass frames (:mod:`.backward`) and the HTML player (:mod:`.player`)
draw the same graph many times with different numbers on it; for the nodes not to
jump between frames, the positions are computed once, here, and then pinned.

* :func:`compute_layout` with ``engine="dot"`` asks Graphviz's ``dot`` for the
  positions (``pipe(format="json")``: node centres, B-spline control points of
  every edge, label positions), with each box's size fixed in advance so that
  ``dot`` leaves room for the widest text any frame will show;
* ``engine="layered"`` is our own layered drawing (no program needed): columns by
  longest path from the inputs (each leaf moved next to its first consumer, so a
  weight sits beside the neuron that uses it), rows ordered by a few barycentre
  sweeps, one cubic curve per edge.  ``engine="auto"`` uses ``dot`` when it is on
  ``PATH`` and the layered drawing otherwise.

Coordinates are SVG's: points (1/72 inch), the origin top left, ``y`` downwards.
:meth:`Layout.dot_pos` and :meth:`Layout.dot_edge_pos` give them back in
Graphviz's convention (``y`` upwards) for the pinned frames.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .dot import have_dot

__all__ = ["NodeBox", "EdgeRoute", "Layout", "compute_layout", "text_width"]

#: Margin around the drawing, in points.
MARGIN = 8.0

# Helvetica's advance widths (em/1000, from its font metrics; Arial and Liberation Sans, which browsers and
# Graphviz use in its place, have the same), for sizing boxes without a font library.
_AFM = {
    222: "ijl", 260: "|", 278: " !,./:;[]ftI\\·", 333: "()-r`'", 389: "*", 500: "ckszvxyJ‖", 556: "0123456789abdeghnopqu_L$#?",
    584: "+<=>×~^", 611: "FTZ", 667: "ABEKPSVXY", 722: "CDHNRUw&∂", 778: "GOQ", 833: "mM", 944: "W", 1000: "…→←—%Σ✓✗",
}
_WIDTHS = {c: w / 1000 for w, cs in _AFM.items() for c in cs}


def text_width(text: str, size: float) -> float:
    """The width of ``text`` set in Helvetica at ``size`` points (a slightly generous estimate)."""
    return 1.10 * size * sum(_WIDTHS.get(c, 0.6 if c.isupper() else 0.556) for c in text)


@dataclass(frozen=True)
class NodeBox:
    """A node's box: centre ``(x, y)``, width ``w`` and height ``h`` (points, ``y`` down)."""

    id: str
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class EdgeRoute:
    """An edge ``tail -> head``: a cubic B-spline (``1 + 3n`` control points), its arrow tip, its label position."""

    id: str
    tail: str
    head: str
    points: tuple[tuple[float, float], ...]
    tip: tuple[float, float]
    label: tuple[float, float]

    def svg_path(self) -> str:
        """The curve as an SVG path (``M x,y C ...``)."""
        p = self.points
        out = [f"M{_n(p[0][0])},{_n(p[0][1])}"]
        for i in range(1, len(p) - 2, 3):
            out.append("C" + " ".join(f"{_n(x)},{_n(y)}" for x, y in p[i:i + 3]))
        return "".join(out)

    def arrow(self, length: float = 7.0, half: float = 3.2) -> str:
        """The arrowhead as SVG polygon points: a triangle from the curve's end to the tip."""
        (x0, y0), (x1, y1) = self.points[-1], self.tip
        dx, dy = x1 - x0, y1 - y0
        d = math.hypot(dx, dy)
        if d == 0:
            (xa, ya) = self.points[-2]
            dx, dy = x1 - xa, y1 - ya
            d = math.hypot(dx, dy) or 1.0
        ux, uy = dx / d, dy / d
        bx, by = x1 - ux * length, y1 - uy * length
        return " ".join(f"{_n(x)},{_n(y)}" for x, y in ((x1, y1), (bx - uy * half, by + ux * half),
                                                       (bx + uy * half, by - ux * half)))


@dataclass
class Layout:
    """Boxes and curves of one graph; ``engine`` says who computed them (``'dot'`` or ``'layered'``)."""

    width: float
    height: float
    nodes: dict[str, NodeBox]
    edges: dict[str, EdgeRoute]
    engine: str
    notes: list[str] = field(default_factory=list)

    def dot_pos(self, node_id: str) -> str:
        """The node's ``pos`` attribute for a pinned Graphviz frame (``'x,y!'`` in points, ``y`` up)."""
        b = self.nodes[node_id]
        return f"{_n(b.x)},{_n(self.height - b.y)}!"

    def dot_edge_pos(self, edge_id: str) -> str:
        """The edge's ``pos`` attribute (``'e,tip p0 p1 ...'``) for ``neato -n2``."""
        r = self.edges[edge_id]
        pts = " ".join(f"{_n(x)},{_n(self.height - y)}" for x, y in r.points)
        return f"e,{_n(r.tip[0])},{_n(self.height - r.tip[1])} {pts}"

    def shifted(self, dy: float, extra_height: float = 0.0) -> Layout:
        """The same layout moved down by ``dy`` points (room for a caption above it)."""
        nodes = {k: NodeBox(b.id, b.x, b.y + dy, b.w, b.h) for k, b in self.nodes.items()}
        edges = {k: EdgeRoute(r.id, r.tail, r.head, tuple((x, y + dy) for x, y in r.points), (r.tip[0], r.tip[1] + dy),
                              (r.label[0], r.label[1] + dy)) for k, r in self.edges.items()}
        return Layout(self.width, self.height + dy + extra_height, nodes, edges, self.engine, list(self.notes))


def _n(x: float) -> str:
    """A coordinate with at most 2 decimals and no trailing zeros (``12``, ``12.5``)."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def compute_layout(
    nodes: Sequence[str],
    sizes: dict[str, tuple[float, float]],
    edges: Sequence[tuple[str, str, str]],
    *,
    engine: str = "auto",
    edge_labels: dict[str, str] | None = None,
    rankdir: str = "LR",
) -> Layout:
    """Positions for ``nodes`` (ids, inputs first) of the given ``sizes`` (points) and ``edges`` ``(id, tail, head)``.

    ``edge_labels`` maps an edge id to the widest label text it will carry (10 pt),
    so that the layout keeps room for it.  ``engine``: ``'dot'``, ``'layered'`` or
    ``'auto'`` (``dot`` when it is installed).  Raises ``ValueError`` for another engine.
    """
    if engine not in ("auto", "dot", "layered"):
        raise ValueError(f"layout: engine {engine!r} (expected 'auto', 'dot' or 'layered')")
    if engine == "auto":
        engine = "dot" if have_dot() else "layered"
    if engine == "dot":
        return _dot_layout(nodes, sizes, edges, edge_labels or {}, rankdir)
    return _layered_layout(nodes, sizes, edges, edge_labels or {})


# ---------------------------------------------------------------------------
# Graphviz dot
# ---------------------------------------------------------------------------


def _dot_layout(nodes: Sequence[str], sizes: dict[str, tuple[float, float]], edges: Sequence[tuple[str, str, str]],
                edge_labels: dict[str, str], rankdir: str) -> Layout:
    from .dot import Diagram, _plain

    g = Diagram(name="layout", graph_attr={"rankdir": rankdir, "nodesep": "0.18", "ranksep": "0.45",
                                           "fontname": "Helvetica", "splines": "spline"},
                node_attr={"shape": "box", "fixedsize": "true", "label": ""},
                edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    for nid in nodes:
        w, h = sizes[nid]
        g.node(nid, width=f"{w / 72:.4f}", height=f"{h / 72:.4f}")
    for eid, tail, head in edges:
        attrs = {"id": eid}
        if eid in edge_labels:  # the widest text the edge will carry: dot keeps room for it
            attrs["label"] = _plain(edge_labels[eid])
        g.edge(tail, head, **attrs)
    data = json.loads(g.pipe(format="json").decode("utf-8"))
    x0, y0, x1, y1 = (float(v) for v in data["bb"].split(","))
    H = y1 - y0 + 2 * MARGIN
    W = x1 - x0 + 2 * MARGIN

    def pt(s: str) -> tuple[float, float]:
        x, y = (float(v) for v in s.split(",")[:2])
        return (x - x0 + MARGIN, (y1 - y) + MARGIN)

    boxes: dict[str, NodeBox] = {}
    by_gvid: dict[int, str] = {}
    for obj in data.get("objects", []):
        name = obj["name"]
        if name not in sizes:
            continue
        by_gvid[obj["_gvid"]] = name
        x, y = pt(obj["pos"])
        w, h = sizes[name]
        boxes[name] = NodeBox(name, x, y, w, h)
    routes: dict[str, EdgeRoute] = {}
    for e in data.get("edges", []):
        eid = e.get("id")
        parts = e["pos"].split()
        tip = None
        pts: list[tuple[float, float]] = []
        for part in parts:
            if part.startswith("e,"):
                tip = pt(part[2:])
            elif part.startswith("s,"):
                continue
            else:
                pts.append(pt(part))
        if tip is None:
            tip = pts[-1]
        label = pt(e["lp"]) if "lp" in e else _bezier_mid(pts)
        routes[eid] = EdgeRoute(eid, by_gvid[e["tail"]], by_gvid[e["head"]], tuple(pts), tip, label)
    return Layout(W, H, boxes, routes, "dot")


def _bezier_mid(pts: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """The point at t = 1/2 of the middle segment of a cubic B-spline."""
    nseg = max(1, (len(pts) - 1) // 3)
    i = 3 * (nseg // 2)
    if i + 3 >= len(pts):
        i = max(0, len(pts) - 4)
    if len(pts) < 4:
        (ax, ay), (bx, by) = pts[0], pts[-1]
        return ((ax + bx) / 2, (ay + by) / 2)
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = pts[i:i + 4]
    t = 0.5 if nseg % 2 else 0.0
    u = 1 - t
    return (u ** 3 * ax + 3 * u * u * t * bx + 3 * u * t * t * cx + t ** 3 * dx,
            u ** 3 * ay + 3 * u * u * t * by + 3 * u * t * t * cy + t ** 3 * dy)


# ---------------------------------------------------------------------------
# Our own layered drawing (no program needed)
# ---------------------------------------------------------------------------


def _layered_layout(nodes: Sequence[str], sizes: dict[str, tuple[float, float]],
                    edges: Sequence[tuple[str, str, str]], edge_labels: dict[str, str]) -> Layout:
    parents: dict[str, list[str]] = {n: [] for n in nodes}
    children: dict[str, list[str]] = {n: [] for n in nodes}
    for _, tail, head in edges:
        parents[head].append(tail)
        children[tail].append(head)
    # columns: longest path from the inputs (nodes come inputs first, so one pass suffices) ...
    col: dict[str, int] = {}
    for n in nodes:
        col[n] = 1 + max((col[p] for p in parents[n]), default=-1)
    # ... then each leaf next to its earliest consumer
    for n in nodes:
        if not parents[n] and children[n]:
            col[n] = min(col[c] for c in children[n]) - 1
    # an edge over several columns goes through one small dummy box per column in between (Sugiyama)
    dummy_h = 10.0
    chain: dict[str, list[str]] = {}
    up: dict[str, list[str]] = {n: [] for n in nodes}
    down: dict[str, list[str]] = {n: [] for n in nodes}
    size = dict(sizes)
    for eid, tail, head in edges:
        path = [tail]
        for c in range(col[tail] + 1, col[head]):
            d = f"{eid}~{c}"
            col[d] = c
            size[d] = (0.0, dummy_h)
            up[d], down[d] = [], []
            path.append(d)
        path.append(head)
        chain[eid] = path
        for a, b in zip(path, path[1:]):
            down[a].append(b)
            up[b].append(a)
    ncols = max(col.values(), default=0) + 1
    columns: list[list[str]] = [[] for _ in range(ncols)]
    for n in list(nodes) + [d for eid in chain for d in chain[eid][1:-1]]:
        columns[col[n]].append(n)
    # rows: barycentre sweeps, right to left from the root then left to right
    pos = {n: float(i) for column in columns for i, n in enumerate(column)}

    def sweep(order: range, neighbours: dict[str, list[str]]) -> None:
        for c in order:
            column = columns[c]
            bary = {}
            for n in column:
                ns = [pos[m] for m in neighbours[n]]
                bary[n] = sum(ns) / len(ns) if ns else pos[n]
            column.sort(key=lambda n: (bary[n], pos[n]))
            for i, n in enumerate(column):
                pos[n] = float(i)

    for _ in range(6):
        sweep(range(ncols - 2, -1, -1), down)
        sweep(range(1, ncols), up)
    label_w = max((text_width(t, 10) for t in edge_labels.values()), default=0.0)
    gap_x = max(40.0, label_w + 16.0)
    gap_y = 12.0
    col_w = [max((size[n][0] for n in column), default=0.0) for column in columns]
    col_h = [sum(size[n][1] for n in column) + gap_y * max(0, len(column) - 1) for column in columns]
    height = max(col_h, default=0.0)
    centre: dict[str, tuple[float, float]] = {}
    boxes: dict[str, NodeBox] = {}
    x = MARGIN
    for c, column in enumerate(columns):
        y = MARGIN + (height - col_h[c]) / 2
        for n in column:
            w, h = size[n]
            centre[n] = (x + col_w[c] / 2, y + h / 2)
            if n in sizes:
                boxes[n] = NodeBox(n, x + col_w[c] / 2, y + h / 2, w, h)
            y += h + gap_y
        x += col_w[c] + gap_x
    W = x - gap_x + MARGIN
    H = height + 2 * MARGIN
    # each edge gets its own port on both boxes (sorted by the other end's height: no crossing at the box)
    outs: dict[str, list[str]] = {}
    ins: dict[str, list[str]] = {}
    for eid, tail, head in edges:
        outs.setdefault(tail, []).append(eid)
        ins.setdefault(head, []).append(eid)

    def ports(groups: dict[str, list[str]], neighbour: int) -> dict[str, float]:
        out: dict[str, float] = {}
        for n, es in groups.items():
            es = sorted(es, key=lambda e: (centre[chain[e][neighbour]][1], e))
            h = boxes[n].h - 16.0
            for k, e in enumerate(es):
                out[e] = boxes[n].y + (0.0 if len(es) == 1 else -h / 2 + h * k / (len(es) - 1))
        return out

    out_y, in_y = ports(outs, 1), ports(ins, -2)
    routes: dict[str, EdgeRoute] = {}
    for eid, tail, head in edges:
        a, b = boxes[tail], boxes[head]
        way = [(a.x + a.w / 2, out_y[eid])] + [centre[d] for d in chain[eid][1:-1]]
        tip = (b.x - b.w / 2, in_y[eid])
        way.append((tip[0] - 7.0, tip[1]))
        pts = [way[0]]
        for (x0, y0), (x1, y1) in zip(way, way[1:]):
            dx = max(12.0, (x1 - x0) / 2)
            pts += [(x0 + dx, y0), (x1 - dx, y1), (x1, y1)]
        routes[eid] = EdgeRoute(eid, tail, head, tuple(pts), tip, _bezier_mid(pts))
    return Layout(W, H, boxes, routes, "layered")
