"""What every graph shares: topological order, the backward driver, and the modes.

Both :class:`~micrograd_ext.engine.Value` and :class:`~micrograd_ext.tensor.Tensor`
nodes keep their parents in ``_prev`` (a tuple, in argument order).  This module
orders such a graph without recursion (so a chain of a million nodes is fine) and
runs the backward pass; the node class supplies only ``_backprop(order)``, the loop
that multiplies and adds along the edges.

Modes (module-level switches, each with a context manager):

* :func:`no_grad` — operations record no parents (like ``torch.no_grad``);
* :func:`detect_anomaly` — the first ``nan`` or ``inf`` produced by any operation,
  forward or backward, raises :class:`AnomalyError` naming the op and its inputs.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MODE",
    "AnomalyError",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "topological_order",
    "next_seq",
    "run_backward",
    "Edge",
    "edges",
    "op_name",
    "parents",
    "creation_number",
    "Step",
    "trace_backward",
]


class _Mode:
    """The switches.  ``plain`` is ``grad and not anomaly``: the one test node creation makes."""

    __slots__ = ("_grad", "_anomaly", "plain", "rule")

    def __init__(self) -> None:
        self._grad = True
        self._anomaly = False
        self.plain = True
        #: the op whose derivative is being evaluated on graph nodes (``backward(create_graph=True)``),
        #: during which turning a node into a number is an error (it would cut the graph)
        self.rule: str | None = None

    @property
    def grad(self) -> bool:
        return self._grad

    @grad.setter
    def grad(self, on: bool) -> None:
        self._grad = bool(on)
        self.plain = self._grad and not self._anomaly

    @property
    def anomaly(self) -> bool:
        return self._anomaly

    @anomaly.setter
    def anomaly(self, on: bool) -> None:
        self._anomaly = bool(on)
        self.plain = self._grad and not self._anomaly


MODE = _Mode()


class AnomalyError(FloatingPointError):
    """A non-finite value was produced while :func:`detect_anomaly` was on."""


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Record no graph inside the block (for ``Value`` and ``Tensor``)."""
    prev, MODE.grad = MODE.grad, False
    try:
        yield
    finally:
        MODE.grad = prev


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Record the graph again inside a :func:`no_grad` block."""
    prev, MODE.grad = MODE.grad, True
    try:
        yield
    finally:
        MODE.grad = prev


def is_grad_enabled() -> bool:
    return MODE.grad


@contextlib.contextmanager
def evaluating_rule(op: str) -> Iterator[None]:
    """Mark that ``op``'s derivative is being evaluated on graph nodes (see :data:`MODE` ``.rule``)."""
    prev, MODE.rule = MODE.rule, op
    try:
        yield
    finally:
        MODE.rule = prev


def refuse_number(node: Any, how: str) -> None:
    """Raise if a derivative rule is turning a graph node into a number (``float(node)``, ``math.log(node)``)."""
    if MODE.rule is not None:
        raise TypeError(
            f"the derivative of {MODE.rule!r} turned a {type(node).__name__} into a number ({how}) while "
            "derivatives of derivatives were being built; a rule must use the op table's primitives "
            "(exp, log, tanh, ...) and arithmetic on its inputs, never math.* or float(), or the second "
            "derivative would silently lose that term"
        )


@contextlib.contextmanager
def detect_anomaly(enabled: bool = True) -> Iterator[None]:
    """Raise :class:`AnomalyError` at the first ``nan``/``inf``, naming the operation.

    Forward: an operation whose result is not finite raises with the op name, its
    inputs and its output.  Backward: a gradient that becomes non-finite raises
    with the op whose local derivative produced it.  Off by default (it costs a
    check per node).
    """
    prev, MODE.anomaly = MODE.anomaly, enabled
    try:
        yield
    finally:
        MODE.anomaly = prev


#: Every node gets the next number of this counter when it is created.  A node's
#: parents always exist before it, so their numbers are smaller: ``_seq`` gives a
#: stable creation order (the diagrams number nodes with it).
next_seq = itertools.count().__next__


def topological_order(root: Any) -> list[Any]:
    """All nodes reachable from ``root``, each after all of its parents (root last).

    This is micrograd's ``build_topo`` (a depth-first search that appends a node
    once all its parents are in the list) with Python's call stack replaced by an
    explicit one, so a chain of a million nodes does not hit the recursion limit.
    Each stack entry is a node and the iterator over its parents, so the search
    resumes where it left that node.  A leaf (no parents) is finished as soon as
    it is seen.  The result is deterministic: it depends only on the order of the
    parents in each node's ``_prev``.
    """
    order: list[Any] = []
    seen = {root}  # nodes hash by identity
    stack = [(root, iter(root._prev))]
    while stack:
        node, parents = stack[-1]
        for p in parents:  # resume with the next parent of `node`
            if p not in seen:
                seen.add(p)
                if p._prev:  # go down into p first
                    stack.append((p, iter(p._prev)))
                    break
                order.append(p)  # a leaf is finished at once
        else:  # every parent of `node` is in `order`: node comes next
            stack.pop()
            order.append(node)
    return order


def run_backward(root: Any, seed: Any, on_step: Callable[..., None] | None = None) -> None:
    """The backward pass: the node class walks its graph from ``root`` back (see its ``_backward_pass``).

    Semantics (the same for ``Value`` and ``Tensor``): the gradients of the graph's
    *intermediate* nodes (those with parents) are recomputed by each pass, so after
    ``backward()`` they show that pass's ``d root / d node``; *leaves* (parameters,
    inputs) accumulate, as in PyTorch, so calling ``backward()`` twice doubles their
    ``.grad`` unless you ``zero_grad()`` in between.  ``on_step``, if given, is told
    every step (:func:`trace_backward`).
    """
    root._backward_pass(seed, on_step)


# ---------------------------------------------------------------------------
# The one public reader of a node's edges
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    """One incoming edge of ``node``: the arrow ``parent -> node``, with its local derivative.

    ``index`` is the parent's position among the node's inputs (``x * x`` has two
    edges to ``x``, indices 0 and 1).  ``local`` is ``d node / d parent`` on this edge:
    a float for a ``Value``; for a ``Tensor`` an array when the operation is
    elementwise (the derivative of each output element with respect to the matching
    input element, before broadcasting), ``None`` otherwise (a matrix product's
    Jacobian is not stored: :meth:`apply` computes the vector-Jacobian product).
    ``formula`` is the text the diagrams print (``1 - out^2``, ``dA = dZ B^T``), and
    ``names`` says which node each symbol of it stands for (``{'a': x, 'b': y, 'out': z}``;
    for a weighted sum ``x_j``/``w_j`` are the partner input), so a diagram can write
    the formula with the nodes' labels.
    """

    node: Any
    parent: Any
    index: int
    local: Any
    formula: str
    names: dict[str, Any] = field(default_factory=dict)
    _apply: Callable[[Any], Any] | None = None

    def apply(self, upstream: Any) -> Any:
        """The gradient this edge passes to ``parent`` when ``upstream = d root / d node``.

        ``local * upstream`` for a ``Value`` (exactly the product ``backward()`` adds);
        for a ``Tensor`` the operation's vector-Jacobian product, of ``parent``'s shape.
        """
        if self._apply is not None:
            return self._apply(upstream)
        return self.local * upstream


def edges(node: Any) -> tuple[Edge, ...]:
    """The incoming edges of ``node`` (one per input, in argument order; a leaf has none).

    This is the one way the diagrams, the chain-rule paths, the tour and the demos read
    a graph: they never look at a node's private fields.
    """
    return node._edges()


def op_name(node: Any) -> str:
    """The name of the operation that made ``node`` (``'+'``, ``'tanh'``, ``'**2'``, ``'matmul'``); ``''`` for a leaf."""
    return str(node._op) if parents(node) else ""


def parents(node: Any) -> tuple[Any, ...]:
    """The inputs of ``node`` in argument order (the ``.parent`` of each of its :func:`edges`, without computing them)."""
    return node._prev


def creation_number(node: Any) -> int:
    """A number that grows with each node made: a node's inputs always have smaller ones."""
    return node._seq


# ---------------------------------------------------------------------------
# The backward pass, recorded step by step
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of the backward pass: one edge carrying gradient from ``node`` to ``parent``.

    ``upstream`` is ``d root / d node`` (final when the step runs), ``local`` and
    ``formula`` the edge's local derivative, ``contribution`` what the step adds to
    ``parent.grad`` (``upstream x local``, or the vector-Jacobian product for a
    Tensor), and ``grad_after`` the parent's gradient right after the step.
    ``number`` counts the steps from 0.
    """

    number: int
    node: Any
    parent: Any
    index: int
    local: Any
    formula: str
    upstream: Any
    contribution: Any
    grad_after: Any


def trace_backward(root: Any, grad: Any = None) -> list[Step]:
    """Run ``root.backward(grad)`` and record every step the engine takes, in the order it takes them.

    The steps are the engine's own: the same order (reverse topological, root first),
    the same products and the same additions as a plain ``backward()``, so afterwards
    every ``.grad`` is bit for bit what ``backward()`` gives.  An edge out of a node
    whose gradient is zero (or, for a Tensor, ``None``) carries nothing and is no step.
    """
    steps: list[Step] = []

    def record(node: Any, index: int, parent: Any, local: Any, formula: str, upstream: Any, contribution: Any) -> None:
        steps.append(Step(len(steps), node, parent, index, local, formula, upstream, contribution, _snapshot(parent.grad)))

    run_backward(root, root._seed(grad), record)
    return steps


def _snapshot(g: Any) -> Any:
    copy = getattr(g, "copy", None)
    return copy() if copy is not None and not isinstance(g, float) else g
