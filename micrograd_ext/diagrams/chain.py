"""The chain rule as paths: ``dC/dw`` is a sum over paths of products of local derivatives.

Bondartsov's iris notes draw, for one weight, only the arrows that connect the loss
``C`` to it (Figure 2, one path) and then read the chain rule off the picture::

    dC/dw(2)_ij = dC/da(2)_i * da(2)_i/dz(2)_i * dz(2)_i/dw(2)_ij              eq. (4)

For a weight of the first layer there are several paths, one through each output
(Figure 3), and "the multiple paths in the picture have been transformed into
summation in the formula" (eq. (9))::

    dC/dw(1)_ij = sum_k dC/da(2)_k * da(2)_k/dz(2)_k * dz(2)_k/da(1)_i * da(1)_i/dz(1)_i * dz(1)_i/dw(1)_ij

This module does exactly that on any graph, reading it only through
:func:`micrograd_ext.core.graph.edges`:

* :func:`paths` lists every path from ``root`` back to ``wrt``; each :class:`Path`
  has its ``.nodes`` (``root`` first, ``wrt`` last), the local derivative of each
  edge in ``.factors`` (the very numbers stored on the edges, that ``backward()``
  multiplies) and their ``.product``.  The products sum to ``wrt.grad`` after
  ``root.backward()``: that *is* reverse-mode differentiation, which just shares
  the common prefixes of the paths instead of listing them.
* On a :class:`~micrograd_ext.core.tensor.Tensor` graph a path's ``.product`` is its
  *contribution*: the chain of vector-Jacobian products along it, applied from the
  root (seeded with ones) down, an array of ``wrt``'s shape; the contributions sum
  to ``wrt.grad``.  ``.factors`` holds each edge's elementwise local derivative
  where the op is elementwise (``None`` for a matrix product, whose Jacobian is not
  stored), and :meth:`Path.formulas` the backward rule of each edge (``dA = dZ B^T``).
* :func:`count_paths` counts the paths without listing them (dynamic programming
  over the topological order: the number of paths from ``root`` to a node is the
  sum over its consumers), since their number grows exponentially with depth.
* :func:`top_paths` finds the ``k`` paths whose products are largest in absolute
  value, also without listing the others (the same sweep, keeping the ``k`` best
  partial products at each node), and returns them as a :class:`TopPaths`.
* :meth:`Paths.text` and :meth:`Paths.latex` write the equation in the document's form,
  with the node labels as symbols (``w(1)[3,2]`` becomes ``w_{3,2}^{(1)}``).

An edge is one input of a node: ``x * x`` has two edges to ``x``, so
there are two paths through it (``d(x*x)/dx = x + x``).  All traversals are
iterative (no recursion), so deep graphs are fine.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.graph import edges as edges_of
from ..core.graph import op_name, parents, topological_order
from ..nets import _checks

__all__ = [
    "DEFAULT_LIMIT",
    "Path",
    "Paths",
    "TopPaths",
    "TooManyPathsError",
    "count_paths",
    "paths",
    "top_paths",
    "node_ids",
    "symbol",
    "latex_symbol",
]

#: :func:`paths` refuses to list more paths than this unless given ``limit=``.
DEFAULT_LIMIT = 10_000


class TooManyPathsError(ValueError):
    """:func:`paths` was asked to list more paths than its ``limit``."""


# ---------------------------------------------------------------------------
# Stable names for nodes
# ---------------------------------------------------------------------------


def node_ids(root: Any) -> dict[Any, str]:
    """Stable ids ``n0, n1, ...`` for every node reachable from ``root``.

    Breadth-first from ``root`` (``n0``) through each node's parents in argument
    order, so the ids depend only on the graph's structure, never on memory
    addresses or on the order in which the nodes were created: the same model on
    the same data gives the same DOT source in every run.
    """
    ids: dict[Any, str] = {root: "n0"}
    queue = [root]
    for node in queue:  # the list grows while we walk it
        for p in parents(node):
            if p not in ids:
                ids[p] = f"n{len(ids)}"
                queue.append(p)
    return ids


_LABEL_RE = re.compile(r"^([A-Za-z][A-Za-z_]*?)(?:\((\d+)\))?(?:\[([^\]]*)\])?$")


def symbol(node: Any, ids: dict[Any, str] | None = None) -> str:
    """The plain-text symbol of a node: its label, else its stable id (``n7``)."""
    label = getattr(node, "label", "") or ""
    if label:
        return label
    if ids is not None and node in ids:
        return ids[node]
    return "?"


def latex_symbol(node: Any, ids: dict[Any, str] | None = None) -> str:
    """The LaTeX symbol of a node in the document's notation.

    ``w(1)[3,2]`` -> ``w_{3,2}^{(1)}``, ``a(2)[1]`` -> ``a_{1}^{(2)}``, ``x[4]`` -> ``x_{4}``,
    ``C`` -> ``C``; other labels are set upright (``\\mathrm{...}``), unlabelled nodes
    by their id (``n_{7}``).
    """
    label = getattr(node, "label", "") or ""
    if not label:
        ident = ids.get(node) if ids is not None else None
        return f"n_{{{ident[1:]}}}" if ident else "?"
    m = _LABEL_RE.match(label)
    if m is None:
        return r"\mathrm{" + _tex_escape(label) + "}"
    name, layer, index = m.groups()
    head = name if len(name) == 1 else r"\mathrm{" + _tex_escape(name) + "}"
    out = head
    if index is not None:
        out += "_{" + _tex_escape(index) + "}"
    if layer is not None:
        out += "^{(" + layer + ")}"
    return out


_TEX_SPECIAL = {"\\": r"\backslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "^": r"\hat{}", "#": r"\#",
                "$": r"\$", "%": r"\%", "&": r"\&", "~": r"\sim{}"}


def _tex_escape(s: str) -> str:
    return "".join(_TEX_SPECIAL.get(c, c) for c in s)


# ---------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Path:
    """One path from ``root`` back to ``wrt``.

    ``nodes[0]`` is the root and ``nodes[-1]`` is ``wrt``.  ``edges[k]`` is the
    position of ``nodes[k + 1]`` among the inputs of ``nodes[k]`` (which tells the
    two edges of ``x * x`` apart) and ``factors[k]`` is the local derivative
    ``d nodes[k] / d nodes[k + 1]`` on that edge, the number the backward pass used.
    ``product`` multiplies them from the root down (1.0 for the empty path from a
    node to itself); on a Tensor graph it is the path's contribution to ``wrt.grad``
    (see the module docstring).
    """

    nodes: tuple[Any, ...]
    edges: tuple[int, ...]
    factors: tuple[Any, ...]
    product: Any

    def __len__(self) -> int:
        """The number of edges on the path."""
        return len(self.edges)

    def formulas(self) -> tuple[str, ...]:
        """The op table's formula text of each edge (``'out*(1 - out)'`` for a sigmoid)."""
        return tuple(edges_of(node)[k].formula for node, k in zip(self.nodes, self.edges))

    def partials(self, ids: dict[Any, str] | None = None) -> list[str]:
        """The factors as text partials: ``['dC/da(2)[1]', 'da(2)[1]/dz(2)[1]', ...]``."""
        syms = [symbol(n, ids) for n in self.nodes]
        return [f"d{syms[k]}/d{syms[k + 1]}" for k in range(len(self.edges))]

    def text(self, ids: dict[Any, str] | None = None, numbers: bool = False, digits: int = 6) -> str:
        """The product as text: ``dC/da(2)[1] * da(2)[1]/dz(2)[1] * dz(2)[1]/dw(2)[1,2]``.

        With ``numbers=True`` the numeric factors follow: ``... = 0.31 * 0.21 * 0.77 = 0.0501``.
        On a Tensor graph the factors are vector-Jacobian products: the numbers part names
        each edge's backward rule and the contribution's shape and largest entry.
        """
        parts = self.partials(ids)
        s = " * ".join(parts) if parts else "1"
        if numbers:
            if isinstance(self.product, np.ndarray):
                rules = " o ".join(f"[{f}]" for f in self.formulas()) or "1"
                s += f" = {rules} = {_num(self.product, digits)}"
            else:
                nums = " * ".join(_num(f, digits) for f in self.factors) if self.factors else "1"
                s += f" = {nums} = {_num(self.product, digits)}"
        return s

    def latex(self, ids: dict[Any, str] | None = None) -> str:
        r"""The product in LaTeX: ``\frac{\partial C}{\partial a_{1}^{(2)}} \frac{...}{...} ...``."""
        syms = [latex_symbol(n, ids) for n in self.nodes]
        if not self.edges:
            return "1"
        return " ".join(rf"\frac{{\partial {syms[k]}}}{{\partial {syms[k + 1]}}}" for k in range(len(self.edges)))


def _num(x: Any, digits: int = 6) -> str:
    if isinstance(x, np.ndarray):
        big = float(np.max(np.abs(x))) if x.size else 0.0
        return f"array of shape {x.shape} (largest |entry| {big:.{digits}g})"
    if x == 0:
        return "0"  # never "-0"
    s = f"{x:.{digits}g}"
    return f"({s})" if s.startswith("-") else s


class Paths(list):
    """The list of :class:`Path` from ``root`` to ``wrt``, with the equation they form.

    ``sum(p.product for p in ps)`` is ``ps.total``; after ``root.backward()`` it equals
    ``wrt.grad`` (:meth:`check`).
    """

    def __init__(self, root: Any, wrt: Any, items: Sequence[Path], ids: dict[Any, str]) -> None:
        super().__init__(items)
        self.root = root
        self.wrt = wrt
        self.ids = ids

    @property
    def total(self) -> Any:
        """The sum of the paths' products (``math.fsum``; arrays summed for a Tensor graph), i.e. ``d root / d wrt``."""
        if self and isinstance(self[0].product, np.ndarray):
            return sum((p.product for p in self[1:]), self[0].product.copy())
        return math.fsum(p.product for p in self)

    def lhs(self) -> str:
        return f"d{symbol(self.root, self.ids)}/d{symbol(self.wrt, self.ids)}"

    def text(self, numbers: bool = False, digits: int = 6) -> str:
        """The chain rule as one line of text, the document's eq. (4)/(9) form.

        ``dC/dw(1)[3,2] = dC/da(2)[1] * ... + dC/da(2)[2] * ... + ...``; with
        ``numbers=True`` one line per path with its factors and product, then the sum.
        """
        if not numbers:
            rhs = " + ".join(p.text(self.ids) for p in self) if self else "0"
            return f"{self.lhs()} = {rhs}"
        lines = [f"{self.lhs()} = sum over {len(self)} path(s) of the products of local derivatives"]
        for k, p in enumerate(self, 1):
            lines.append(f"  path {k}: {p.text(self.ids)}")
            lines.append(f"          = {p.text(self.ids, numbers=True, digits=digits).split(' = ', 1)[1]}")
        total = self.total
        if isinstance(total, np.ndarray):
            lines.append(f"  sum = {_num(total, digits)}")
        else:
            lines.append(f"  sum = {total:.15g}" if total != 0 else "  sum = 0")
        return "\n".join(lines)

    def latex(self, max_terms: int = 12) -> str:
        r"""The chain rule in LaTeX: ``\frac{\partial C}{\partial w_{3,2}^{(1)}} = ... + ...``.

        After ``max_terms`` paths the sum is cut with ``+ \dots`` and the count.
        """
        lhs = rf"\frac{{\partial {latex_symbol(self.root, self.ids)}}}{{\partial {latex_symbol(self.wrt, self.ids)}}}"
        terms = [p.latex(self.ids) for p in self[:max_terms]]
        rhs = " + ".join(terms) if terms else "0"
        if len(self) > max_terms:
            rhs += rf" + \dots \quad (\text{{{len(self)} paths}})"
        return f"{lhs} = {rhs}"

    def check(self, tol: float = 1e-12) -> tuple[bool, float]:
        """``(ok, |total - wrt.grad|)``: the sum of products against the backward pass.

        ``ok`` when the difference is within ``tol * max(1, |wrt.grad|)`` (the largest
        difference and the largest gradient entry, for a Tensor).
        """
        g = getattr(self.wrt, "grad", None)
        total = self.total
        if isinstance(total, np.ndarray) or isinstance(g, np.ndarray):
            ga = np.zeros(np.shape(total)) if g is None else np.asarray(g, dtype=float)
            diff = float(np.max(np.abs(np.asarray(total) - ga))) if ga.size else 0.0
            return diff <= tol * max(1.0, float(np.max(np.abs(ga))) if ga.size else 0.0), diff
        gf = float(g or 0.0)
        diff = abs(total - gf)
        return diff <= tol * max(1.0, abs(gf)), diff

    def __repr__(self) -> str:
        total = self.total if self else 0.0
        shown = f"of shape {total.shape}" if isinstance(total, np.ndarray) else repr(total)
        return f"<Paths {self.lhs()}: {len(self)} path(s), sum {shown}>"

    def __str__(self) -> str:
        return self.text(numbers=True)


def count_text(n: int) -> str:
    """A path count for people: ``1,234`` up to twelve digits, else ``2.16e+41 (42 digits)``.

    Exact integer arithmetic (a count can be far beyond a float's range)."""
    s = str(n)
    if len(s) <= 12:
        return f"{n:,}"
    return f"{s[0]}.{s[1:3]}e+{len(s) - 1} ({len(s)} digits)"


class TopPaths(Paths):
    """The ``k`` paths from ``root`` to ``wrt`` whose products are largest in absolute value,
    out of ``count`` paths in all (what :func:`top_paths` returns), largest first.

    A :class:`Paths`, so it draws (``draw_paths(root, wrt, paths=top)``) and prints like one;
    but unless :attr:`complete`, its :attr:`~Paths.total` is only the part of
    ``d root / d wrt`` that these paths carry: the gradient is the sum over all ``count``
    paths, which reverse mode computes without listing them.
    """

    def __init__(self, root: Any, wrt: Any, items: Sequence[Path], ids: dict[Any, str], count: int, k: int) -> None:
        super().__init__(root, wrt, items, ids)
        #: how many paths lead from ``root`` to ``wrt`` in all (:func:`count_paths`)
        self.count = count
        #: how many were asked for
        self.k = k

    @property
    def complete(self) -> bool:
        """True when these are all the paths (``k >= count``): then ``total`` is ``d root / d wrt``."""
        return len(self) == self.count

    def describe(self) -> str:
        """``the 3 of 2.16e+41 (42 digits) paths from C to w with the largest |product|``."""
        if self.complete:
            return f"all {count_text(self.count)} path(s) from {symbol(self.root, self.ids)} to {symbol(self.wrt, self.ids)}"
        return (f"the {len(self)} of {count_text(self.count)} paths from {symbol(self.root, self.ids)} to "
                f"{symbol(self.wrt, self.ids)} with the largest |product|")

    def text(self, numbers: bool = False, digits: int = 6) -> str:
        """As :meth:`Paths.text`; when these are not all the paths, the sum is marked as cut
        (``+ ...``) and the numbers part says how many paths were left out."""
        if self.complete:
            return super().text(numbers=numbers, digits=digits)
        rest = self.count - len(self)
        if not numbers:
            rhs = " + ".join(p.text(self.ids) for p in self) if self else "0"
            return f"{self.lhs()} = {rhs} + ... ({count_text(rest)} more paths)"
        lines = [f"{self.lhs()} = sum over {count_text(self.count)} paths of the products of local derivatives; "
                 f"the {len(self)} with the largest |product|:"]
        for k, p in enumerate(self, 1):
            lines.append(f"  path {k} ({len(p)} edge{'' if len(p) == 1 else 's'}): {p.text(self.ids)}")
            lines.append(f"          = {p.text(self.ids, numbers=True, digits=digits).split(' = ', 1)[1]}")
        lines.append(f"  sum of these {len(self)} = {self.total:.15g}   (+ {count_text(rest)} more paths)")
        return "\n".join(lines)

    def latex(self, max_terms: int = 12) -> str:
        r"""As :meth:`Paths.latex`, the sum cut with ``+ \dots`` and the number of paths."""
        if self.complete:
            return super().latex(max_terms)
        lhs = rf"\frac{{\partial {latex_symbol(self.root, self.ids)}}}{{\partial {latex_symbol(self.wrt, self.ids)}}}"
        terms = [p.latex(self.ids) for p in self[:max_terms]]
        rhs = " + ".join(terms) if terms else "0"
        return rf"{lhs} = {rhs} + \dots \quad (\text{{{count_text(self.count)} paths}})"

    def __repr__(self) -> str:
        best = repr(self[0].product) if self else "none"
        return f"<TopPaths {self.lhs()}: {self.describe()}; largest product {best}>"


def _counts(root: Any, wrt: Any) -> tuple[list[Any], dict[Any, int]]:
    """Number of edge-paths from ``root`` to each node (root: 1), in one reverse topological sweep."""
    order = topological_order(root)
    count: dict[Any, int] = {root: 1}
    for node in reversed(order):  # every consumer of a node comes after it in `order`
        c = count.get(node, 0)
        if c:
            for p in parents(node):  # one term per edge: x * x adds twice
                count[p] = count.get(p, 0) + c
    return order, count


def count_paths(root: Any, wrt: Any) -> int:
    """How many paths lead from ``root`` back to ``wrt`` (0 if ``wrt`` is not in the graph).

    Dynamic programming over the topological order: ``count(root) = 1`` and each
    node passes its count to every parent, once per edge.  Linear in the number of
    edges, so it works where listing the paths would never finish.
    """
    _, count = _counts(root, wrt)
    return count.get(wrt, 0)


def paths(root: Any, wrt: Any, limit: int | None = DEFAULT_LIMIT) -> Paths:
    """Every path from ``root`` back to ``wrt``, with its local derivatives and their product.

    The paths come in a deterministic order: depth-first from the root, parents in
    argument order.  Their products sum to ``wrt.grad`` after ``root.backward()``
    (the multivariable chain rule, Bondartsov eqs. (4) and (9)).

    Raises :class:`TooManyPathsError` when there are more than ``limit`` paths
    (counted first with :func:`count_paths`); pass a larger ``limit=`` (or
    ``limit=None``) to list them anyway.
    """
    if not hasattr(root, "_edges") or not hasattr(wrt, "_edges"):
        raise TypeError(f"paths: expected graph nodes (Value or Tensor) for root and wrt, got "
                        f"{type(root).__name__} and {type(wrt).__name__}")
    order, count = _counts(root, wrt)
    n = count.get(wrt, 0)
    ids = node_ids(root)
    if limit is not None and n > limit:
        raise TooManyPathsError(
            f"paths: there are {n} paths from {symbol(root, ids)} to {symbol(wrt, ids)} (count_paths), more than "
            f"limit={limit}; pass paths(root, wrt, limit={n}) or limit=None to list them all, or use "
            f"count_paths(root, wrt) to count them and wrt.grad for their sum"
        )
    # Which nodes can reach wrt through their parents (so the search never walks dead ends).
    reaches = {wrt}
    for node in order:  # parents come first
        if node is not wrt and any(p in reaches for p in parents(node)):
            reaches.add(node)
    found: list[Path] = []
    if wrt not in reaches or root not in reaches:
        return Paths(root, wrt, found, ids)
    cache: dict[Any, tuple] = {}

    def edge_cache(node: Any) -> tuple:
        if node not in cache:
            cache[node] = edges_of(node)
        return cache[node]

    data = getattr(root, "data", None)
    seed: Any = np.ones(data.shape) if isinstance(data, np.ndarray) else 1.0
    # Iterative depth-first search with an explicit stack of (node, next edge index).
    nodes: list[Any] = [root]
    edges: list[int] = []
    stack: list[int] = [0]
    while stack:
        node = nodes[-1]
        if node is wrt:
            path_edges = [edge_cache(nodes[k])[e] for k, e in enumerate(edges)]
            factors = tuple(_factor(e) for e in path_edges)
            prod = seed
            for e in path_edges:  # from the root down: the backward pass's own products
                prod = e.apply(prod)
            found.append(Path(tuple(nodes), tuple(edges), factors, prod))
            stack.pop()
            nodes.pop()
            if edges:
                edges.pop()
            continue
        k = stack[-1]
        prev = parents(node)
        while k < len(prev) and prev[k] not in reaches:
            k += 1
        if k >= len(prev):
            stack.pop()
            nodes.pop()
            if edges:
                edges.pop()
            continue
        stack[-1] = k + 1
        nodes.append(prev[k])
        edges.append(k)
        stack.append(0)
    return Paths(root, wrt, found, ids)


def top_paths(root: Any, wrt: Any, k: int = 3) -> TopPaths:
    """The ``k`` paths from ``root`` back to ``wrt`` with the largest ``|product|``, found without listing the others.

    Where :func:`paths` lists every path (and there may be 10^40 of them), this is
    the k-best-paths dynamic programme on a DAG.  Going from the root down, node
    after node in reverse topological order (every consumer of a node before the
    node), each node keeps the ``k`` largest, in absolute value, of the partial
    products ``root -> ... -> node``, each with a pointer to the consumer, edge and
    rank it extends.  A node's candidates are its consumers' kept products times the
    local derivative on each edge into it (two edges for ``x * x``), and it keeps the
    ``k`` largest.  Nothing is lost: ``|a d| = |a| |d|`` and multiplying by ``|d| >= 0``
    keeps the order, so a partial product not among a consumer's ``k`` best is beaten
    by ``k`` others through the same edge.  The ``k`` kept at ``wrt`` are the answer,
    read back along the pointers; each product is computed in the order
    :func:`paths` uses (from the root down), so it is bit for bit that path's product.

    Cost: one topological order and one pass over the edges of the nodes between
    ``root`` and ``wrt`` (each read once with :func:`~micrograd_ext.core.graph.edges`),
    ``k`` candidates per edge, so ``O(V + E k log k)`` time and ``O(V k)`` memory, against
    the number of paths for :func:`paths`.  The total number of paths is counted in
    the same pass (:attr:`TopPaths.count`).

    Order: largest ``|product|`` first; equal ones in the order of discovery (stable,
    deterministic); a ``nan`` product ranks last.  Scalar (``Value``) graphs only: on a
    ``Tensor`` graph a path's product is an array (use :func:`paths`).
    """
    if not hasattr(root, "_edges") or not hasattr(wrt, "_edges"):
        raise TypeError(f"top_paths: expected graph nodes (Value) for root and wrt, got "
                        f"{type(root).__name__} and {type(wrt).__name__}")
    if isinstance(getattr(root, "data", None), np.ndarray) or isinstance(getattr(wrt, "data", None), np.ndarray):
        raise TypeError("top_paths: root and wrt are Tensors; a path's product on a Tensor graph is an array, which "
                        "has no single size to rank by (expected Value nodes; paths(root, wrt) lists a Tensor graph's paths)")
    k = _checks.integer(k, "k", "top_paths", minimum=1)
    order = topological_order(root)
    ids = node_ids(root)
    reaches = {wrt}
    for node in order:  # parents come first
        if node is not wrt and any(p in reaches for p in parents(node)):
            reaches.add(node)
    if root not in reaches:
        return TopPaths(root, wrt, [], ids, 0, k)
    # best[node]: up to k entries (product, local, consumer, edge index, rank in the consumer's list)
    best: dict[Any, list[tuple[Any, Any, Any, int, int]]] = {}
    candidates: dict[Any, list[tuple[Any, Any, Any, int, int]]] = {root: [(1.0, None, None, -1, -1)]}
    count: dict[Any, int] = {root: 1}
    for node in reversed(order):  # the root first; every consumer of a node before it
        if node not in reaches:
            continue
        kept = heapq.nlargest(k, candidates.pop(node), key=_size)
        best[node] = kept
        if node is wrt:  # a path ends here; nothing after it in this order reaches wrt
            break
        c = count.pop(node)
        for e in edges_of(node):
            p = e.parent
            if p not in reaches:
                continue
            d = e.local
            if not isinstance(d, (int, float, np.floating)):
                raise TypeError(f"top_paths: the edge {op_name(node)!r} -> input {e.index} has the local derivative "
                                f"{d!r:.60} (expected a number: top_paths works on Value graphs)")
            d = float(d)
            count[p] = count.get(p, 0) + c
            into = candidates.setdefault(p, [])
            for r, entry in enumerate(kept):
                into.append((d * entry[0], d, node, e.index, r))
    found: list[Path] = []
    for entry in best[wrt]:
        nodes, edge_ix, factors = [wrt], [], []
        at = entry
        while at[2] is not None:  # back along the pointers to the root
            _, d, consumer, index, rank = at
            nodes.append(consumer)
            edge_ix.append(index)
            factors.append(d)
            at = best[consumer][rank]
        found.append(Path(tuple(reversed(nodes)), tuple(reversed(edge_ix)), tuple(reversed(factors)), entry[0]))
    return TopPaths(root, wrt, found, ids, count[wrt], k)


def _size(entry: tuple[Any, ...]) -> float:
    """How :func:`top_paths` ranks a partial product: its absolute value; ``nan`` below everything."""
    x = entry[0]
    return abs(x) if x == x else -1.0


def _factor(edge: Any) -> Any:
    local = edge.local
    return float(local) if isinstance(local, (int, float, np.floating)) else local


def iter_edges(ps: Sequence[Path]) -> Iterator[tuple[Any, int, int]]:
    """``(node, edge index, path number)`` for every edge of every path (for drawing)."""
    for k, p in enumerate(ps):
        for node, e in zip(p.nodes, p.edges):
            yield node, e, k


# ---------------------------------------------------------------------------
# Jupyter: the paths as a table
# ---------------------------------------------------------------------------

#: :meth:`Paths._repr_html_` lists this many paths (and counts the rest).
HTML_ROWS = 64


def _paths_repr_html(self: Paths) -> str:
    """Jupyter's display of :class:`Paths`: one row per path (its nodes, partials, factors, product), then the sum.

    The sum is checked against ``wrt.grad`` (Bondartsov 2019, eqs. (4) and (9): the
    products of the local derivatives along each path, summed over the paths).
    """
    import html

    e = html.escape

    def plain(x: float) -> str:
        return "0" if x == 0 else f"{x:.10g}"

    lhs = f"∂{symbol(self.root, self.ids)}/∂{symbol(self.wrt, self.ids)}"
    partial = isinstance(self, TopPaths) and not self.complete
    rows = []
    for k, p in enumerate(self[:HTML_ROWS], 1):
        syms = [symbol(n, self.ids) for n in p.nodes]
        partials = " · ".join(f"∂{syms[i]}/∂{syms[i + 1]}" for i in range(len(p.edges))) or "1"
        factors = " × ".join(_num(f, 6) for f in p.factors) or "1"
        rows.append(f"<tr><td>{k}</td><td>{e(' → '.join(syms))}</td><td>{e(partials)}</td><td>{e(factors)}</td>"
                    f"<td style='text-align:right'>{e(plain(p.product))}</td></tr>")
    more = (f"<tr><td colspan='5'>… and {len(self) - HTML_ROWS} more paths (not listed)</td></tr>"
            if len(self) > HTML_ROWS else "")
    total = self.total
    g = getattr(self.wrt, "grad", None)
    if partial and isinstance(g, (int, float)) and not isinstance(g, bool):
        verdict = (f"{e(symbol(self.wrt, self.ids))}.grad from backward() = {e(plain(float(g)))}: the sum over all "
                   f"{e(count_text(self.count))} paths, of which these {len(self)} carry {e(plain(total))}")
    elif partial:
        verdict = (f"{e(symbol(self.wrt, self.ids))}.grad (the sum over all {e(count_text(self.count))} paths): "
                   "call backward() on the root to see it")
    elif isinstance(g, (int, float)) and not isinstance(g, bool):
        ok, diff = self.check()
        verdict = (f"{e(symbol(self.wrt, self.ids))}.grad from backward() = {e(plain(float(g)))}: "
                   f"{'✓ equal' if ok else '✗ different'} (|difference| = {diff:.1e})")
    else:
        verdict = f"{e(symbol(self.wrt, self.ids))}.grad: not a number (call backward() on the root to compare)"
    head = (f"<p><b>{e(lhs)}</b> = the sum over {len(self)} path(s) of the products of the local derivatives "
            f"along each path</p>")
    if partial:
        head = (f"<p><b>{e(lhs)}</b> = the sum over {e(count_text(self.count))} paths of the products of the local "
                f"derivatives along each path; here {e(self.describe())}</p>")
    table = ("<table><thead><tr><th>path</th><th>nodes (root first)</th><th>partial derivatives</th>"
             "<th>local derivatives</th><th>product</th></tr></thead><tbody>" + "".join(rows) + more +
             f"</tbody><tfoot><tr><td colspan='4'><b>sum of {'these' if partial else 'the'} products</b></td>"
             f"<td style='text-align:right'><b>{e(plain(total))}</b></td></tr></tfoot></table>")
    return f"<div class='mgx-paths'>{head}{table}<p>{verdict}</p></div>"


Paths._repr_html_ = _paths_repr_html  # type: ignore[attr-defined]
