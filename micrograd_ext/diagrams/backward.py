"""The backward pass, step by step: the engine's own pass recorded, then drawn frame by frame.

:func:`backward_steps` runs ``root``'s real backward pass through
:func:`micrograd_ext.core.graph.trace_backward` (the engine's loop, reporting each
step) and keeps the record: one :class:`~micrograd_ext.core.graph.Step` per edge
that carries gradient, in the order the engine applies them (reverse topological
order, the root first).  Each step names the node, the parent, the edge, the local
derivative and its formula, the upstream gradient ``d root / d node``, the
contribution ``upstream x local`` and the parent's gradient after the step.  This
is reverse-mode differentiation as Bondartsov's notes derive it by hand: the
gradient of a node is the sum, over its consumers, of (the consumer's gradient) x
(the local derivative on the edge) (*Notes on analytic gradient derivation*, 2019,
eqs. (4) and (9): each path's product, the products summed).

The record (:class:`BackwardPass`, a list of steps) then gives

* :meth:`BackwardPass.replay`: the gradients rebuilt from the recorded
  contributions alone; they equal what ``backward()`` gives, bit for bit;
* :meth:`BackwardPass.frame_states`: the pass as frames of data: frame 0 after the
  forward pass (every gradient unknown, shown ``?``), frame 1 the seed
  ``d root / d root = 1``, one frame per step, and a last frame with every
  gradient final.  A node's gradient is *final* once every edge out of it towards
  the root has been processed; until then a node fed by several edges shows its
  ``+=`` sum filling up;
* :meth:`BackwardPass.frames`: each frame as a ``graphviz.Digraph`` on one fixed
  layout (:mod:`.layout`): every node's ``pos`` is pinned (``neato -n2`` draws it
  as given), so nothing moves between frames; the active edge is labelled
  ``upstream x local = contribution``;
* :meth:`BackwardPass.save_frames` (numbered PNG, SVG or DOT files) and
  :meth:`BackwardPass.gif` (an animated GIF, with Pillow) for slides;
* :meth:`BackwardPass.html` and the Jupyter display: the self-contained
  interactive player of :mod:`.player`.

On a Tensor graph the steps carry arrays: the nodes show shapes and norms (small
arrays in full), and an edge's step is the operation's vector-Jacobian product
(its formula, ``dA = dZ B^T``), since no scalar local derivative exists there.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.graph import Edge, Step, edges, op_name, topological_order, trace_backward
from .dot import DEFAULT_MAX_NODES, Diagram, DotNotFoundError, _fmt, _plain, have_dot
from .dot import op_name as op_display
from .layout import Layout, compute_layout, text_width

__all__ = ["BackwardPass", "FrameState", "FrameDiagram", "backward_steps", "backward_gif"]

#: Font sizes (points) of a node's lines and of edge labels, shared by the frames and the player.
TITLE_SIZE, LINE_SIZE, EDGE_SIZE = 12.0, 11.0, 10.0
LINE_HEIGHT = 14.0
#: Edge labels with the local derivative on every edge are drawn up to this many edges (Value graphs; on a
#: Tensor graph an edge's rule is a formula, shown on hover and on the active edge).
LOCAL_LABELS_MAX_EDGES = 40

# Colours of the states (also in the player's style sheet).
COLORS = {
    "unknown": ("#ffffff", "#9a9a9a"),  # fill, border
    "partial": ("#fff3c4", "#d4a017"),
    "final": ("#e3f4e1", "#3c8d3c"),
    "pending": "#c8c8c8",
    "active": "#d62728",
    "done": "#4a4a4a",
    "zero": "#dddddd",
}


def _is_tensor(node: Any) -> bool:
    return hasattr(node, "requires_grad") and hasattr(node, "shape")


def _copy(g: Any) -> Any:
    return g.copy() if isinstance(g, np.ndarray) else g


def _sgn(x: float, digits: int = 4) -> str:
    """A number for a product or a sum: negative numbers in parentheses."""
    s = _fmt(x, digits)
    return f"({s})" if s.startswith("-") else s


def summary(a: Any, digits: int = 4) -> str:
    """A Tensor's data or gradient in a few characters: the number, a small array in full, else its shape and norm."""
    if a is None:
        return "?"
    arr = np.asarray(a, dtype=float)
    if arr.size == 1:
        return _fmt(float(arr.reshape(-1)[0]), digits)
    if arr.size <= 4:
        return "[" + ", ".join(_fmt(v, 3) for v in arr.reshape(-1)) + "]"
    shape = "×".join(str(d) for d in arr.shape)
    return f"{shape}, ‖·‖ {_fmt(float(np.linalg.norm(arr)), 3)}"


@dataclass(frozen=True)
class FrameState:
    """One frame of the backward pass, as data.

    ``kind`` is ``'start'`` (forward done, no gradient known), ``'seed'``,
    ``'step'`` or ``'done'``; ``step`` the core's :class:`~micrograd_ext.core.graph.Step`
    (``None`` but for ``'step'``).  Per node (indexed as :attr:`BackwardPass.nodes`):
    ``status`` is ``'unknown'`` (drawn ``?``), ``'partial'`` (some of its ``+=`` terms
    in) or ``'final'``, and ``counts`` how many terms have arrived.  Per edge
    (indexed as :attr:`BackwardPass.edges`): ``'pending'``, ``'active'``, ``'done'``, or
    ``'zero'`` (its node's gradient is zero: it carries nothing and is no step).
    """

    number: int
    kind: str
    step: Step | None
    caption: str
    status: tuple[str, ...]
    counts: tuple[int, ...]
    edge_status: tuple[str, ...]


class FrameDiagram(Diagram):
    """A frame: a :class:`~micrograd_ext.diagrams.dot.Diagram` whose nodes and edges are pinned.

    Rendered with ``neato -n2`` (the positions and curves as given, no layout run),
    which :meth:`pipe` and :meth:`render` (and so the Jupyter display and
    :func:`~micrograd_ext.diagrams.dot.save`) use by default.  The DOT source also
    says ``layout=neato``, so ``dot -Tsvg frame.gv`` keeps the nodes in place too.
    """

    def pipe(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if len(args) < 4:
            kwargs.setdefault("neato_no_op", 2)
        return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        if len(args) < 7:
            kwargs.setdefault("neato_no_op", 2)
        return super().render(*args, **kwargs)


class BackwardPass(list):
    """The recorded backward pass of ``root``: a list of the engine's :class:`~micrograd_ext.core.graph.Step`.

    Attributes: ``root``; ``nodes`` (every node, inputs first: the topological
    order); ``edges`` (every :class:`~micrograd_ext.core.graph.Edge`, the root's first,
    in the order the engine visits them); ``ids`` (stable ids ``n0, n1, ...``,
    breadth-first from the root, as :func:`micrograd_ext.diagrams.chain.node_ids`);
    ``keys`` (each node's name on the page: its label, else its id);
    ``start`` (each node's gradient when the pass began: ``0`` or ``None`` for
    intermediate nodes, a leaf's earlier gradient, the root's seed).
    """

    def __init__(self, root: Any, steps: Sequence[Step], order: Sequence[Any], start: dict[Any, Any],
                 zeroed: bool) -> None:
        super().__init__(steps)
        self.root = root
        self.nodes: list[Any] = list(order)
        self.index = {n: i for i, n in enumerate(self.nodes)}
        self.zeroed = zeroed
        self.start = start
        self.tensor = _is_tensor(root)
        # stable ids, breadth-first from the root through each node's inputs in argument order
        self.ids: dict[Any, str] = {root: "n0"}
        queue = [root]
        for node in queue:
            for e in edges(node):
                if e.parent not in self.ids:
                    self.ids[e.parent] = f"n{len(self.ids)}"
                    queue.append(e.parent)
        labels = [getattr(n, "label", "") or "" for n in self.nodes]
        dup = {lab for lab in labels if lab and labels.count(lab) > 1}
        self.keys: list[str] = [
            (lab if lab not in dup else f"{lab} ({self.ids[n]})") if lab else self.ids[n]
            for n, lab in zip(self.nodes, labels)
        ]
        # every edge, in the engine's visiting order (the root's first)
        self.visit: list[Any] = list(reversed(self.nodes))
        self.edges: list[Edge] = [e for node in self.visit for e in edges(node)]
        self._edge_at = {(id(e.node), e.index): i for i, e in enumerate(self.edges)}
        self.step_edge: list[int] = [self._edge_at[(id(s.node), s.index)] for s in self]
        self.edge_step: dict[int, int] = {ei: si for si, ei in enumerate(self.step_edge)}
        #: the steps into each node (its ``+=`` terms), by node index
        self.terms: list[list[int]] = [[] for _ in self.nodes]
        for si, s in enumerate(self):
            self.terms[self.index[s.parent]].append(si)
        self._layouts: dict[str, Layout] = {}
        self._states: list[FrameState] | None = None

    @property
    def local_labels(self) -> bool:
        """Whether every edge is labelled with its local derivative (a Value graph of at most 40 edges)."""
        return not self.tensor and len(self.edges) <= LOCAL_LABELS_MAX_EDGES

    # -- the numbers ----------------------------------------------------------------------------

    @property
    def seed(self) -> Any:
        """The root's gradient once seeded (``1`` for a scalar root)."""
        return self.start[self.root]

    def grad(self, node: Any) -> Any:
        """``node``'s gradient at the end of the recorded pass (a copy for an array)."""
        i = self.index[node]
        ts = self.terms[i]
        return _copy(self[ts[-1]].grad_after) if ts else _copy(self.start[node])

    def replay(self) -> dict[Any, Any]:
        """The gradients rebuilt from the recording alone: the start state, then each contribution added in order.

        The additions are the engine's (``grad + contribution`` into each parent, an
        array assigned on its first contribution), so the result equals the graph's
        ``.grad`` after ``backward()`` bit for bit.
        """
        g = {n: _copy(self.start[n]) for n in self.nodes}
        set_already: set[int] = set()
        for s in self:
            cur = g[s.parent]
            # the engine's rule: an intermediate node's first contribution *sets* its gradient
            # (so a -0.0 stays -0.0), a leaf's is added to what it had
            first = id(s.parent) not in set_already and bool(edges(s.parent))
            set_already.add(id(s.parent))
            g[s.parent] = _copy(s.contribution) if (cur is None or first) else cur + s.contribution
        return g

    def value_at(self, i: int, count: int, final: bool) -> Any:
        """The gradient node ``i`` shows with ``count`` terms in (``None`` while unknown)."""
        node = self.nodes[i]
        ts = self.terms[i]
        if final:
            return self.grad(node)
        if count == 0:
            return None
        return self[ts[count - 1]].grad_after

    # -- text ------------------------------------------------------------------------------------

    def symbol(self, node: Any) -> str:
        return self.keys[self.index[node]]

    def number(self, x: Any, digits: int = 4) -> str:
        return summary(x, digits) if self.tensor else _fmt(x, digits)

    def title(self, i: int) -> str:
        """A node's first line: its name and, for an operation's result, the operation (``u  (*)``)."""
        node = self.nodes[i]
        op = op_name(node)
        return f"{self.keys[i]}  ({op_display(op)})" if op else self.keys[i]

    def data_text(self, i: int) -> str:
        node = self.nodes[i]
        if self.tensor:
            shape = tuple(node.data.shape)
            return f"data {summary(node.data)}" if node.data.size <= 4 else f"shape {shape}"
        return f"data {_fmt(node.data)}"

    def grad_texts(self, i: int) -> tuple[list[str], str]:
        """``(partial, final)``: ``partial[n]`` is the grad line with ``n`` of the node's terms in, ``final`` the last.

        One term: the number.  Two or three: the ``+=`` sum written out, ``?`` for
        the terms still to come (``grad 4 + ? = 4 so far``, then ``grad 4 + (-2) = 2``).
        More (or, on a Tensor graph, two or more): the running sum and how many terms are in
        (``grad 0.0123 so far (5 of 8 terms)``).
        A leaf's gradient from before the pass (``zero_grad=False``) is the first term.
        """
        node = self.nodes[i]
        ts = self.terms[i]
        N = len(ts)
        prior = self.start[node]
        has_prior = node is not self.root and not self._is_zero(prior)
        fin = self.grad(node)
        if node is self.root:
            return ["grad ?"], f"grad {self.number(fin)}"
        if self.tensor and fin is None:
            return ["grad ?"], "grad — (no gradient)"
        contrib = ([self.number(prior)] if has_prior else []) + [
            self.number(self[s].contribution) if self.tensor else _sgn(self[s].contribution) for s in ts]
        M = len(contrib)
        partial = ["grad ?"]
        for n in range(1, N + 1):
            k = n + (1 if has_prior else 0)
            now = self.number(self[ts[n - 1]].grad_after)
            if M == 1:
                partial.append(f"grad {now}")
            elif M <= 3 and not self.tensor:
                shown = " + ".join(contrib[:k] + ["?"] * (M - k))
                partial.append(f"grad {shown} = {now} so far" if k < M else f"grad {shown} = {now}")
            else:
                partial.append(f"grad {now} so far ({k} of {M} terms)" if k < M else f"grad {now} (sum of {M})")
        if M == 0:
            final = f"grad {self.number(fin)}"
        elif M == 1:
            final = f"grad {self.number(fin)}"
        elif M <= 3 and not self.tensor:
            final = f"grad {' + '.join(contrib)} = {self.number(fin)}"
        else:
            final = f"grad {self.number(fin)} (sum of {M})"
        return partial, final

    def _is_zero(self, g: Any) -> bool:
        if g is None:
            return True
        if isinstance(g, np.ndarray):
            return not g.any()
        return g == 0

    def local_text(self, ei: int) -> str:
        """An edge's local derivative: its formula in the nodes' names and its number (``y = -2``)."""
        e = self.edges[ei]
        formula = self.named_formula(ei)
        if self.tensor or e.local is None or isinstance(e.local, np.ndarray):
            return formula or "vjp"
        num = _fmt(e.local)
        return num if (not formula or formula == num) else f"{formula} = {num}"

    def named_formula(self, ei: int) -> str:
        """The rule's formula with its operand names (``a``, ``b``, ``out``, ``x_j``, ``w_j``) replaced by labels."""
        e = self.edges[ei]
        formula = e.formula or ""
        node = e.node
        es = edges(node)
        op = op_name(node)
        names: dict[str, Any] = {}
        if op in ("wsum", "wsum0"):
            first = 1 if op == "wsum" else 0
            k = e.index
            if k >= first:
                partner = k + 1 if (k - first) % 2 == 0 else k - 1
                if partner < len(es):
                    names = {"x_j": es[partner].parent, "w_j": es[partner].parent}
        elif len(es) <= 2 and op not in ("sum", "bce", "mse", "xent"):
            names = {"a": es[0].parent, "out": node}
            if len(es) > 1:
                names["b"] = es[1].parent
        used = set(re.findall(r"\b(a|b|out|x_j|w_j)\b", formula))
        if not used or any(t not in names or not (getattr(names[t], "label", "") or "") for t in used):
            return formula

        def sub(m: re.Match) -> str:
            label = names[m.group(1)].label
            return label if re.fullmatch(r"[\w()\[\],.]+", label) else f"({label})"

        return re.sub(r"\b(a|b|out|x_j|w_j)\b", sub, formula)

    def product_text(self, si: int) -> str:
        """The active edge's label: ``upstream × local = contribution`` (for a Tensor: the VJP's formula)."""
        s = self[si]
        if self.tensor or s.local is None:
            return f"{s.formula or 'vjp'} → {self.number(s.contribution)}"
        return f"{_sgn(s.upstream)} × {_sgn(s.local)} = {_fmt(s.contribution)}"

    def step_text(self, si: int, final: bool = False) -> str:
        """One line for step ``si``: the chain rule it applies, with its numbers."""
        s = self[si]
        R, c, p = self.symbol(self.root), self.symbol(s.node), self.symbol(s.parent)
        n = len(self)
        head = f"step {si + 1} of {n}: {c} passes its gradient back to {p}"
        if self.tensor or s.local is None:
            body = (f"∂{R}/∂{p} += vjp of ∂{R}/∂{c} through {op_display(op_name(s.node))} "
                    f"[{s.formula or 'vjp'}] = {self.number(s.contribution)}")
        else:
            body = (f"∂{R}/∂{p} += ∂{R}/∂{c} × ∂{c}/∂{p} = {_sgn(s.upstream)} × {_sgn(s.local)} = "
                    f"{_fmt(s.contribution)}")
        tail = f"{p}.grad = {self.number(s.grad_after)}{' (final)' if final else ''}"
        return f"{head}:  {body};  {tail}"

    def text(self) -> str:
        """The whole pass as text, one line per step (the fallback of the drawings)."""
        lines = [f"backward pass of {self.symbol(self.root)}: {len(self)} steps, "
                 f"{len(self.nodes)} nodes, {len(self.edges)} edges; seed ∂{self.symbol(self.root)}/"
                 f"∂{self.symbol(self.root)} = {self.number(self.seed)}"]
        lines += ["  " + self.step_text(i) for i in range(len(self))]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<BackwardPass of {self.symbol(self.root)}: {len(self)} steps, {len(self.nodes)} nodes, "
                f"{len(self.frame_states())} frames>")

    # -- frames as data ---------------------------------------------------------------------------

    def frame_states(self) -> list[FrameState]:
        """Every frame as data: start, seed, one per step, done (``len(self) + 3`` frames)."""
        if self._states is not None:
            return self._states
        nn, ne = len(self.nodes), len(self.edges)
        R = self.symbol(self.root)
        pending = [0] * nn  # consumer edges of each node not yet processed
        for e in self.edges:
            pending[self.index[e.parent]] += 1
        counts = [0] * nn
        estat = ["pending"] * ne
        node_edges: dict[int, list[int]] = {}
        for ei, e in enumerate(self.edges):
            node_edges.setdefault(id(e.node), []).append(ei)
        ri = self.index[self.root]

        def status() -> tuple[str, ...]:
            return tuple("final" if (pending[i] == 0 and (i != ri or seeded)) else
                         ("partial" if counts[i] else "unknown") for i in range(nn))

        def close(node: Any) -> None:  # the engine is past `node`: its edges without a step carry nothing
            for ei in node_edges.get(id(node), ()):
                if estat[ei] == "pending":
                    estat[ei] = "zero"
                    pending[self.index[self.edges[ei].parent]] -= 1
                elif estat[ei] == "active":
                    estat[ei] = "done"

        states: list[FrameState] = []
        seeded = False
        states.append(FrameState(0, "start", None,
                                 f"Forward pass done: every value is known, no gradient yet (? = not computed). "
                                 f"The backward pass starts at {R}.",
                                 ("unknown",) * nn, (0,) * nn, tuple(estat)))
        seeded = True
        states.append(FrameState(1, "seed", None,
                                 f"Seed: ∂{R}/∂{R} = {self.number(self.seed)}. Then, from {R} back to the inputs, "
                                 f"each node passes its gradient along its edges.", status(), tuple(counts),
                                 tuple(estat)))
        vpos = 0  # position in the engine's visiting order
        where = {n: i for i, n in enumerate(self.visit)}
        prev_active: int | None = None
        for si, s in enumerate(self):
            if prev_active is not None:
                estat[prev_active] = "done"
            while vpos < where[s.node]:  # the nodes the engine passed since the last step (gradient 0)
                close(self.visit[vpos])
                vpos += 1
            ei = self.step_edge[si]
            estat[ei] = "active"
            prev_active = ei
            pi = self.index[s.parent]
            counts[pi] += 1
            pending[pi] -= 1
            st = status()
            states.append(FrameState(len(states), "step", s, self.step_text(si, st[pi] == "final"), st,
                                     tuple(counts), tuple(estat)))
        if prev_active is not None:
            estat[prev_active] = "done"
        for node in self.visit[vpos:]:
            close(node)
        n = len(self)
        states.append(FrameState(len(states), "done", None,
                                 f"Backward pass done: {n} step{'s' if n != 1 else ''}, every gradient final. "
                                 f"Click a node for its chain-rule paths.",
                                 ("final",) * nn, tuple(counts), tuple(estat)))
        self._states = states
        return states

    # -- layout ---------------------------------------------------------------------------------

    def node_lines(self, i: int) -> list[str]:
        """Every text a node can show, widest first in each slot (for sizing its box)."""
        partial, final = self.grad_texts(i)
        return [self.title(i), self.data_text(i), *partial, final]

    def node_size(self, i: int) -> tuple[float, float]:
        partial, final = self.grad_texts(i)
        w = max([1.08 * text_width(self.title(i), TITLE_SIZE)] +  # the title is bold
                [text_width(t, LINE_SIZE) for t in (self.data_text(i), *partial, final)])
        return (math.ceil(w + 24), 3 * LINE_HEIGHT + 10)

    def edge_label_texts(self) -> dict[str, str]:
        """The widest label each edge carries: its product when active, its local derivative on small graphs."""
        out: dict[str, str] = {}
        small = self.local_labels
        for ei in range(len(self.edges)):
            texts = []
            if ei in self.edge_step and small:
                texts.append(self.product_text(self.edge_step[ei]))
            if small:
                texts.append(self.local_text(ei))
            if texts:
                out[f"e{ei}"] = max(texts, key=lambda t: text_width(t, EDGE_SIZE))
        return out

    def layout(self, engine: str = "auto") -> Layout:
        """The one layout every frame uses (cached per engine; see :func:`~micrograd_ext.diagrams.layout.compute_layout`)."""
        key = engine if engine != "auto" else ("dot" if have_dot() else "layered")
        if key not in self._layouts:
            ids = [self.ids[n] for n in self.nodes]
            sizes = {self.ids[n]: self.node_size(i) for i, n in enumerate(self.nodes)}
            es = [(f"e{ei}", self.ids[e.parent], self.ids[e.node]) for ei, e in enumerate(self.edges)]
            self._layouts[key] = compute_layout(ids, sizes, es, engine=key, edge_labels=self.edge_label_texts())
        return self._layouts[key]

    # -- frames as Graphviz digraphs ---------------------------------------------------------------------

    def frames(self, layout: str = "auto") -> list[FrameDiagram]:
        """Every frame as a ``graphviz.Digraph`` (a :class:`FrameDiagram`), all on one pinned layout."""
        return [self.frame(k, layout) for k in range(len(self.frame_states()))]

    def frame(self, k: int, layout: str = "auto") -> FrameDiagram:
        """Frame ``k`` (0: forward done, 1: the seed, 2 ...: the steps, last: done) as a ``graphviz.Digraph``.

        Every node has ``pos="x,y!"``, a fixed ``width``/``height`` and
        ``fixedsize=true``, the same in every frame; every edge its curve (``pos``).
        A gradient not known yet is drawn ``?``; a partial ``+=`` sum on a yellow
        node, a final gradient on a green one; the active edge red, labelled
        ``upstream × local = contribution``; edges already processed dark, the rest grey.
        """
        states = self.frame_states()
        if not -len(states) <= k < len(states):
            raise IndexError(f"frame: k={k} (expected 0 <= k < {len(states)}, the number of frames)")
        st = states[k]
        lay = self.layout(layout)
        caption_lines = [st.caption, "?: not yet known   yellow: += sum filling up   green: final   "
                                     "red edge: this step"]
        # the canvas is as wide as the widest caption of any frame, so every frame has the same size
        cap_w = max(text_width(t, LINE_SIZE) for fs in states for t in (fs.caption, caption_lines[1])) * 1.05 + 24
        top = 2 * LINE_HEIGHT + 12
        width = max(lay.width, cap_w)
        height = lay.height + top
        g = FrameDiagram(name=f"backward_frame_{k}", engine="neato",
                         graph_attr={"layout": "neato", "inputscale": "72", "notranslate": "true",
                                     "outputorder": "edgesfirst", "splines": "true",
                                     "bb": f"0,0,{width:.2f},{height:.2f}", "fontname": "Helvetica",
                                     "bgcolor": "white", "pad": "0.1"},
                         node_attr={"fontname": "Helvetica", "fontsize": f"{LINE_SIZE:g}", "shape": "box",
                                    "fixedsize": "true", "style": "rounded,filled", "margin": "0.04"},
                         edge_attr={"fontname": "Helvetica", "fontsize": f"{EDGE_SIZE:g}", "arrowsize": "0.6"})
        g.node("caption", _plain("\n".join(caption_lines)), shape="plaintext", style="", fixedsize="false",
               pos=f"{width / 2:.2f},{lay.height + top / 2:.2f}!", fontsize=f"{LINE_SIZE:g}")
        active_parent = st.step.parent if st.step is not None else None
        active_node = st.step.node if st.step is not None else None
        for i, node in enumerate(self.nodes):
            nid = self.ids[node]
            b = lay.nodes[nid]
            status = st.status[i]
            partial, final = self.grad_texts(i)
            gtext = final if status == "final" else partial[min(st.counts[i], len(partial) - 1)]
            if status == "unknown":
                gtext = "grad ?"
            fill, border = COLORS[status]
            attrs = {"pos": lay.dot_pos(nid),
                     "width": f"{b.w / 72:.4f}", "height": f"{b.h / 72:.4f}", "fillcolor": fill, "color": border,
                     "tooltip": _plain(f"{self.keys[i]}: {self.data_text(i)}; {gtext}")}
            if node is active_parent:
                attrs.update(penwidth="2.5", color=COLORS["active"])
            elif node is active_node:
                attrs.update(penwidth="2.5", color="#ff7f0e")
            g.node(nid, _plain("\n".join([self.title(i), self.data_text(i), gtext])), **attrs)
        for ei, e in enumerate(self.edges):
            eid = f"e{ei}"
            es = st.edge_status[ei]
            attrs = {"pos": lay.dot_edge_pos(eid), "color": COLORS[es], "id": eid,
                     "tooltip": _plain(f"∂{self.symbol(e.node)}/∂{self.symbol(e.parent)} = {self.local_text(ei)}")}
            if es == "active":
                attrs.update(penwidth="2.5", label=_plain(self.product_text(self.edge_step[ei])),
                             fontcolor=COLORS["active"])
                r = lay.edges[eid]
                attrs["lp"] = f"{r.label[0]:.2f},{lay.height - r.label[1]:.2f}"
            elif self.local_labels:
                attrs.update(label=_plain(self.local_text(ei)), fontcolor="#666666")
                r = lay.edges[eid]
                attrs["lp"] = f"{r.label[0]:.2f},{lay.height - r.label[1]:.2f}"
            if es == "done":
                attrs["penwidth"] = "1.4"
            g.edge(self.ids[e.parent], self.ids[e.node], **attrs)
        g.text = st.caption
        return g

    # -- files -------------------------------------------------------------------------------------

    def save_frames(self, folder: str, format: str = "png", layout: str = "auto", prefix: str = "frame_") -> list[str]:
        """Write every frame as ``folder/frame_000.png`` (or ``.svg``, or ``.gv`` DOT source); returns the paths.

        PNG and SVG need Graphviz (:class:`~micrograd_ext.diagrams.dot.DotNotFoundError` otherwise).
        """
        fmt = format.lower()
        if fmt not in ("png", "svg", "gv"):
            raise ValueError(f"save_frames: format {format!r} (expected 'png', 'svg' or 'gv')")
        if fmt != "gv" and not have_dot():
            raise DotNotFoundError(f"write the frames as {fmt}")
        os.makedirs(folder, exist_ok=True)
        frames = self.frames(layout)
        width = max(3, len(str(len(frames) - 1)))
        paths = []
        for k, g in enumerate(frames):
            path = os.path.join(folder, f"{prefix}{k:0{width}d}.{fmt}")
            if fmt == "gv":
                with open(path, "w", encoding="utf-8") as f:
                    f.write(g.source)
            else:
                with open(path, "wb") as f:
                    f.write(g.pipe(format=fmt))
            paths.append(path)
        return paths

    def gif(self, path: str, *, duration_ms: int = 900, first_ms: int = 1800, last_ms: int = 4000,
            layout: str = "auto", dpi: int = 96) -> str:
        """Write the frames as an animated GIF (with Pillow); returns ``path``.

        Each frame shows ``duration_ms`` (the first and the last longer); the GIF
        loops.  Needs Graphviz to render the frames and Pillow to assemble them.
        """
        try:
            from PIL import Image
        except ImportError:
            raise ImportError("gif: the animated GIF needs Pillow: pip install pillow "
                              "(or pip install 'micrograd_ext[plot]')") from None
        if not have_dot():
            raise DotNotFoundError("render the frames of the GIF")
        import io

        images = []
        for g in self.frames(layout):
            g.graph_attr["dpi"] = str(dpi)
            images.append(Image.open(io.BytesIO(g.pipe(format="png"))).convert("RGB"))
        W = max(im.width for im in images)
        H = max(im.height for im in images)
        canvas = []
        for im in images:
            if im.size != (W, H):
                bg = Image.new("RGB", (W, H), "white")
                bg.paste(im, (0, 0))
                im = bg
            canvas.append(im.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
        durations = [duration_ms] * len(canvas)
        durations[0] = first_ms
        durations[-1] = last_ms
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        canvas[0].save(path, format="GIF", save_all=True, append_images=canvas[1:], duration=durations, loop=0,
                       optimize=False, disposal=1)
        return path

    # -- the player ---------------------------------------------------------------------------------

    def html(self, path: str | None = None, *, layout: str = "auto", title: str | None = None,
             max_nodes: int | None = DEFAULT_MAX_NODES) -> str:
        """The self-contained interactive page (:func:`micrograd_ext.diagrams.player.player_html`); written to ``path`` if given."""
        from .player import player_html

        return player_html(self, path, layout=layout, title=title, max_nodes=max_nodes)

    def _repr_html_(self) -> str:
        """Jupyter's display: the player, inline (its final state shows where scripts do not run)."""
        from .player import player_fragment

        return player_fragment(self)


def backward_steps(root: Any, grad: Any = None, *, zero_grad: bool = True) -> BackwardPass:
    """Run ``root``'s backward pass and record it: one step per edge that carries gradient, in the engine's order.

    Built on :func:`micrograd_ext.core.graph.trace_backward` (the engine's own loop,
    reporting each step), so afterwards every ``.grad`` is what ``backward()`` gives,
    bit for bit, and :meth:`BackwardPass.replay` rebuilds them from the recorded
    contributions.  ``grad`` is the seed (``None``: 1 for a scalar root).

    ``zero_grad=True`` (the default) first sets every leaf's ``.grad`` to zero
    (``0.0`` for a Value, ``None`` for a Tensor, as ``Module.zero_grad``), so the
    recording shows ``d root / d leaf`` even on a graph that was already
    backpropagated; ``zero_grad=False`` records an accumulating pass (leaves keep
    their earlier gradient and add to it, as a second ``backward()`` does).
    """
    if not hasattr(root, "grad") or not hasattr(root, "backward"):
        raise TypeError(f"backward_steps: expected a Value or Tensor (a graph node), got {type(root).__name__}")
    order = topological_order(root)
    tensor = _is_tensor(root)
    if zero_grad:
        for n in order:
            if not edges(n):
                n.grad = None if tensor else 0.0
    before = {n: _copy(n.grad) for n in order if not edges(n)}
    steps = trace_backward(root, grad)
    start: dict[Any, Any] = {}
    for n in order:
        if n is root:
            start[n] = _copy(root.grad)  # the root is no node's input: its gradient is the seed
        elif n in before:
            start[n] = before[n]
        else:
            start[n] = None if tensor else 0.0
    return BackwardPass(root, steps, order, start, zero_grad)


def backward_gif(root: Any, path: str, **kwargs: Any) -> str:
    """Record ``root``'s backward pass and write it as an animated GIF (:meth:`BackwardPass.gif`)."""
    return backward_steps(root).gif(path, **kwargs)
