"""The scalar engine: :class:`Value`, a node of a computation graph.

A drop-in superset of micrograd's ``Value``: code written for micrograd runs after
changing ``from micrograd.engine import Value`` to ``from micrograd_ext.engine
import Value``.

Each node stores

* ``data`` — its value (a Python float, i.e. float64),
* ``grad`` — ``d root / d node`` after ``root.backward()``,
* ``_prev`` — its parents, in argument order (``x * x`` has two edges to ``x``),
* ``_local`` — the numeric local derivative ``d node / d parent`` for each edge,
* ``_op`` — the name of its rule in :data:`micrograd_ext.rules.RULES`,
* ``label`` — a name for diagrams (``w(1)[3,2]``, ``z(2)[1]``).

There are no closures: ``backward()`` orders the graph once (iteratively) and
then, for each node from the output back, adds ``local * node.grad`` into each
parent's ``grad``.  That is the whole chain rule.  Because a node refers only to
its parents, a graph that is dropped is freed by reference counting alone.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any, Union

from .graph import MODE, AnomalyError, Edge, next_seq, run_backward
from .ops import RULES, DomainError, rule_for

__all__ = ["Value", "DomainError", "AnomalyError"]

Number = Union[int, float]
_isfinite = math.isfinite


def _check_number(data: object, where: str = "Value") -> float:
    """float(data) for a real number (int, float, numpy scalar); TypeError naming the type otherwise."""
    if type(data) is float:  # the common case, without the slower abstract-class check below
        return data
    if isinstance(data, numbers.Real):
        return float(data)
    raise TypeError(f"{where}: expected a real number (int or float), got {type(data).__name__}: {data!r:.60}")


class Value:
    """A scalar node: value, gradient, parents and the local derivative on each edge."""

    __slots__ = ("data", "grad", "_prev", "_local", "_op", "label", "_seq")

    def __init__(self, data: Number, _children: Iterable[Value] = (), _op: str = "", label: str = "") -> None:
        self.data = _check_number(data)
        self.grad = 0.0
        self._prev: tuple[Value, ...] = tuple(_children)
        self._op = _op
        self.label = label
        self._seq = next_seq()
        if self._prev:
            # micrograd-style manual construction: derive the local derivatives
            # from the rule table so backward() still works.
            rule = rule_for(_op)
            if rule is None or rule.nary:
                raise ValueError(
                    f"Value: cannot build a node with children for unknown op {_op!r} "
                    f"(expected one of {sorted(k for k, r in RULES.items() if not r.nary)})"
                )
            ins = [c.data for c in self._prev]
            if _op.startswith("**") and len(ins) == 1:
                ins.append(float(_op[2:]))
            self._local = tuple(rule.local(*ins, self.data))[: len(self._prev)]
        else:
            self._local = ()

    # -- construction of result nodes ------------------------------------------------

    @staticmethod
    def _node(data: float, prev: tuple, local: tuple, op: str) -> Value:
        """Make a result node (bypasses ``__init__``'s checks: data is already a float)."""
        v = _new(Value)
        v.data = data
        v.grad = 0.0
        v._op = op
        v.label = ""
        v._seq = next_seq()
        if MODE.grad:
            v._prev = prev
            v._local = local
        else:
            v._prev = v._local = ()
        if MODE.anomaly and not _isfinite(data):
            ins = ", ".join(f"{p.data!r}" for p in prev)
            raise AnomalyError(f"forward: '{op}' produced {data!r} from inputs ({ins})")
        return v

    def _binary(self, other: Value | Number, op: str) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        rule = RULES[op]
        a, b = self.data, other.data
        out = rule.forward(a, b)
        return Value._node(out, (self, other), rule.local(a, b, out), op)

    def _unary(self, op: str) -> Value:
        rule = RULES[op]
        a = self.data
        out = rule.forward(a)
        return Value._node(out, (self,), rule.local(a, out), op)

    # -- arithmetic ---------------------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        return self._binary(other, "+")

    def __radd__(self, other: Number) -> Value:
        return Value(other)._binary(self, "+")

    def __sub__(self, other: Value | Number) -> Value:
        return self._binary(other, "-")

    def __rsub__(self, other: Number) -> Value:
        return Value(other)._binary(self, "-")

    def __mul__(self, other: Value | Number) -> Value:
        return self._binary(other, "*")

    def __rmul__(self, other: Number) -> Value:
        return Value(other)._binary(self, "*")

    def __truediv__(self, other: Value | Number) -> Value:
        return self._binary(other, "/")

    def __rtruediv__(self, other: Number) -> Value:
        return Value(other)._binary(self, "/")

    def __neg__(self) -> Value:
        return self._unary("neg")

    def __pos__(self) -> Value:
        return self

    def __pow__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return self._binary(other, "pow")
        k = _check_number(other, "'**' exponent")
        rule = RULES["**"]
        a = self.data
        out = rule.forward(a, k)
        # micrograd spells the op '**2'; the exponent is part of the op, not a parent.
        return Value._node(out, (self,), rule.local(a, k, out), f"**{other:g}" if isinstance(other, float) else f"**{other}")

    def __rpow__(self, other: Number) -> Value:
        return Value(other)._binary(self, "pow")

    # -- functions ------------------------------------------------------------------------

    def relu(self, grad_at_zero: float = 0.0) -> Value:
        """max(0, x).  ``relu'(0) = 0`` as in PyTorch; Park (2022) uses ``grad_at_zero=1``."""
        rule = RULES["ReLU"]
        a = self.data
        out = rule.forward(a)
        return Value._node(out, (self,), rule.local(a, out, grad_at_zero), "ReLU")

    def tanh(self) -> Value:
        """tanh(x); local derivative ``1 - out^2``.  tanh(+-1000) = +-1 exactly."""
        return self._unary("tanh")

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x); local derivative ``out (1 - out)`` (Bondartsov eq. (5b))."""
        return self._unary("sigmoid")

    def exp(self) -> Value:
        """e^x; overflows to ``inf`` (no OverflowError), which detect_anomaly() reports."""
        return self._unary("exp")

    def log(self) -> Value:
        """Natural log; a non-positive input raises :class:`DomainError`."""
        return self._unary("log")

    def sqrt(self) -> Value:
        return self**0.5

    # -- n-ary nodes: one node per formula, as the documents draw them --------------------

    @staticmethod
    def sum(values: Iterable[Value | Number]) -> Value:
        """One ``sum`` node over many values (local derivative 1 on each edge)."""
        vals = tuple(v if isinstance(v, Value) else Value(v) for v in values)
        if not vals:
            raise ValueError("Value.sum: expected at least one value, got an empty sequence")
        rule = RULES["sum"]
        ins = [v.data for v in vals]
        out = rule.forward(*ins)
        return Value._node(out, vals, rule.local(*ins, out), "sum")

    @staticmethod
    def weighted_sum(weights: Sequence[Value], inputs: Sequence[Value | Number], bias: Value | None = None) -> Value:
        """``z = w0 + sum_j w_j x_j`` as one node (Bondartsov: ``dz/dw_j = x_j`` (5c), ``dz/dx_j = w_j`` (10a)).

        Parents are ordered ``(w0, w1, x1, w2, x2, ...)`` (``w0`` only with a bias).
        """
        if len(weights) != len(inputs):
            raise ValueError(
                f"weighted_sum: {len(weights)} weights but {len(inputs)} inputs (expected the same number)"
            )
        if bias is not None and not isinstance(bias, Value):
            bias = Value(_check_number(bias, "weighted_sum bias"))
        prev: list[Value] = [bias] if bias is not None else []
        for w, x in zip(weights, inputs):
            prev.append(w if isinstance(w, Value) else Value(_check_number(w, "weighted_sum weight")))
            prev.append(x if isinstance(x, Value) else Value(_check_number(x, "weighted_sum input")))
        prev_t = tuple(prev)
        op = "wsum" if bias is not None else "wsum0"
        rule = RULES[op]
        ins = [p.data for p in prev_t]
        out = rule.forward(*ins)
        return Value._node(out, prev_t, rule.local(*ins, out), op)

    @staticmethod
    def nary(op: str, inputs: Sequence[Value | Number], **params: object) -> Value:
        """One node of an n-ary rule of :data:`~micrograd_ext.rules.RULES` over ``inputs``.

        For example ``Value.nary('bce', outputs, targets=ys, scale=1/N)`` is the loss
        ``C`` of Bondartsov's eq. (1) as one node whose local derivative to each
        output ``a_k`` is eq. (5a).  ``params`` go to the rule (targets, scale, ...).
        """
        rule = RULES.get(op)
        if rule is None or not rule.nary:
            raise ValueError(f"Value.nary: {op!r} is not an n-ary rule (expected one of "
                             f"{sorted(k for k, r in RULES.items() if r.nary)})")
        vals = tuple(v if isinstance(v, Value) else Value(v) for v in inputs)
        if not vals:
            raise ValueError(f"Value.nary({op!r}): expected at least one input, got none")
        ins = [v.data for v in vals]
        out = rule.forward(*ins, **params)
        return Value._node(out, vals, tuple(rule.local(*ins, out, **params)), op)

    # -- backward ---------------------------------------------------------------------------

    def backward(self, grad: float = 1.0) -> None:
        """Fill ``.grad`` of every node this value depends on with ``d self / d node``.

        One pass in reverse topological order, no recursion.  Intermediate nodes get
        this pass's gradient; leaves (parameters, inputs, constants) *accumulate*,
        as in PyTorch: call ``zero_grad()`` between steps.
        """
        run_backward(self, self._seed(grad))

    @staticmethod
    def _seed(grad: float = 1.0) -> float:
        return _check_number(1.0 if grad is None else grad, "backward")

    @staticmethod
    def _backprop(order: list[Value], seed: float) -> None:
        """The chain rule over ``order`` (parents before children, root last).

        Walking from the root back, each node's ``grad`` is final when we reach it
        (all its consumers come later in ``order`` and are done), so we add
        ``local * grad`` into each parent: ``d root / d parent`` is the sum over
        its edges of (local derivative) x (gradient of the node above).
        A node whose gradient is 0 adds nothing and is skipped.
        """
        for node in order:  # intermediate nodes get this pass's gradient
            if node._prev:
                node.grad = 0.0
        order[-1].grad += seed  # a leaf root accumulates like any leaf
        if MODE.anomaly:
            return Value._backprop_checked(order)
        for node in reversed(order):
            g = node.grad
            if not g:
                continue
            prev = node._prev
            if len(prev) == 2:  # the common cases written out: same as the loop below, ~30% faster
                a, b = prev
                da, db = node._local
                a.grad += da * g
                b.grad += db * g
            elif len(prev) == 1:
                prev[0].grad += node._local[0] * g
            else:  # a leaf (no edges) or an n-ary node
                for parent, local in zip(prev, node._local):
                    parent.grad += local * g

    @staticmethod
    def _backprop_traced(order: list[Value], seed: float, on_step: Any) -> None:
        """:meth:`_backprop` with a report of every step (:func:`~micrograd_ext.core.graph.trace_backward`).

        The same order, the same skip of zero gradients and the same ``local * g``
        products and additions as the fast loop, so the gradients are bit for bit equal.
        """
        for node in order:
            if node._prev:
                node.grad = 0.0
        order[-1].grad += seed
        for node in reversed(order):
            g = node.grad
            if not g:
                continue
            fs = node.formulas
            for k, (parent, local) in enumerate(zip(node._prev, node._local)):
                c = local * g
                parent.grad += c
                on_step(node, k, parent, local, fs[k] if k < len(fs) else "", g, c)

    def _edges(self) -> tuple[Edge, ...]:
        fs = self.formulas
        return tuple(Edge(self, p, k, d, fs[k] if k < len(fs) else "") for k, (p, d) in enumerate(zip(self._prev, self._local)))

    @staticmethod
    def _backprop_checked(order: list[Value]) -> None:
        """:meth:`_backprop` under :func:`~micrograd_ext.graph.detect_anomaly`: stop at the first non-finite gradient."""
        for node in reversed(order):
            g = node.grad
            for parent, local in zip(node._prev, node._local):
                before = parent.grad
                parent.grad = before + local * g
                if not _isfinite(parent.grad) and _isfinite(before):
                    ins = ", ".join(repr(p.data) for p in node._prev)
                    name = f" '{parent.label}'" if parent.label else ""
                    raise AnomalyError(
                        f"backward: '{node._op}' with inputs ({ins}), output {node.data!r} and gradient {g!r} "
                        f"gave the non-finite gradient {parent.grad!r} to its input{name} (data={parent.data!r}) "
                        f"through the local derivative {local!r}"
                    )

    def _backward(self) -> None:
        """micrograd compatibility: push this node's grad to its parents (one step)."""
        for p, d in zip(self._prev, self._local):
            p.grad += d * self.grad

    # -- conveniences -------------------------------------------------------------------------

    def item(self) -> float:
        return self.data

    def __float__(self) -> float:
        return float(self.data)

    def __lt__(self, other: Value | Number) -> bool:
        return self.data < (other.data if isinstance(other, Value) else other)

    def __le__(self, other: Value | Number) -> bool:
        return self.data <= (other.data if isinstance(other, Value) else other)

    def __gt__(self, other: Value | Number) -> bool:
        return self.data > (other.data if isinstance(other, Value) else other)

    def __ge__(self, other: Value | Number) -> bool:
        return self.data >= (other.data if isinstance(other, Value) else other)

    __hash__ = object.__hash__  # identity, like micrograd (== is identity too)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """The numeric local derivatives ``d self / d parent`` on each incoming edge."""
        return self._local

    @property
    def formulas(self) -> tuple[str, ...]:
        """The formula text of each incoming edge, from the rule table."""
        from .ops import edge_formula

        exp = float(self._op[2:]) if self._op.startswith("**") else None
        return tuple(edge_formula(self._op, k, exponent=exp) for k in range(len(self._prev)))

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"


_new = object.__new__
