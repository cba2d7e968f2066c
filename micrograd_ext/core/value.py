"""The scalar engine: :class:`Value`, a node of a computation graph.

A drop-in superset of micrograd's ``Value``: code written for micrograd runs after
changing ``from micrograd.engine import Value`` to ``from micrograd_ext.engine
import Value``.

Each node stores

* ``data`` — its value (a Python float, i.e. float64),
* ``grad`` — ``d root / d node`` after ``root.backward()``,
* its parents and the numeric local derivative ``d node / d parent`` on each edge
  (read them with :func:`micrograd_ext.core.graph.edges`, or as micrograd's
  ``_prev`` and our ``local_grads``),
* ``_op`` — the operation that made it, an entry of :data:`micrograd_ext.core.ops.OPS`,
  spelled as micrograd spells it (``'+'``, ``'**2'``, ``'ReLU'``),
* ``label`` — a name for diagrams (``w(1)[3,2]``, ``z(2)[1]``).

There are no closures: an operation asks the op table for its value and its local
derivatives (numbers), and ``backward()`` orders the graph once (iteratively) and
then, for each node from the output back, adds ``local * node.grad`` into each
parent's ``grad``.  That is the whole chain rule.  Because a node refers only to
its parents, a graph that is dropped is freed by reference counting alone.

Storage: a node with one or two parents keeps them, and their local derivatives,
in four fields (``_a``, ``_b``, ``_da``, ``_db``) rather than in tuples, so a node
is one object for the garbage collector, not three; a node with more parents (a
``sum`` or weighted-sum node) keeps tuples in ``_a``/``_da``.  Nodes accept
attributes of their own (``v.name = 'x'``, an optimizer's ``p.m``), as micrograd's do.

micrograd's lecture way of adding an operation also works: build the node with
``Value(t, (self,), 'anything')`` and set ``out._backward`` to a closure that adds
into the parents' ``.grad``; ``backward()`` then calls the closure.
"""

from __future__ import annotations

import heapq
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Union

from . import ops as _ops
from .graph import MODE, AnomalyError, Edge, evaluating_rule, next_seq, refuse_number, run_backward
from .ops import OPS, DomainError, NaryOp, Op, OpText, float_forward, float_local, ieee

__all__ = ["Value", "DomainError", "AnomalyError"]

Number = Union[int, float]
_isfinite = math.isfinite


def _check_number(data: object, where: str = "Value") -> float:
    """float(data) for a real number (int, float, numpy scalar); TypeError naming the type otherwise."""
    if type(data) is float:  # the common case, without the slower abstract-class check below
        return data
    if isinstance(data, numbers.Real):
        try:
            return float(data)
        except OverflowError:
            raise OverflowError(f"{where}: {data!r:.40} is too large for a float64 "
                                "(expected a number of magnitude at most 1.8e308)") from None
    raise TypeError(f"{where}: expected a real number (int or float), got {type(data).__name__}: {data!r:.60}")


class _Kind:
    """Markers in the ``_b`` field of a node that does not have exactly two parents."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


#: ``_b`` of an n-ary node: ``_a`` is the tuple of parents, ``_da`` the tuple of local derivatives.
NARY = _Kind("n-ary")
#: ``_b`` of a node whose backward is a user closure (micrograd's ``out._backward = ...``).
CLOSURE = _Kind("closure")
#: ``_b`` of a result computed under ``no_grad()`` (it has no parents; ``backward()`` on it is an error).
NOGRAD = _Kind("no_grad")
_new = object.__new__


# The operations' methods are made from the op table's entries by these two factories.


def _binary_method(name: str, reflected: bool = False, dunder: str | None = None) -> Callable[[Value, Any], Value]:
    """``Value.__add__`` and friends: :meth:`Value._binary` with the op's fused float function
    bound in (the hottest code of a forward pass: one call computes the value and both local
    derivatives).  ``reflected`` makes ``__radd__`` (``2 + x``: the number is the left input)."""
    op = OPS[name]
    text = op.plain
    fused = op.fused()
    check = op.compiled("float")[2]

    def method(self: Value, other: Any) -> Value:
        if other.__class__ is not Value:
            other = _lift(other, name)
        x, y = (other, self) if reflected else (self, other)
        a = x.data
        b = y.data
        if check is not None:
            check(a, b)
        try:
            out, da, db = fused(a, b)
        except (OverflowError, ZeroDivisionError, ValueError):  # math raises where IEEE gives inf or nan
            out = ieee(op, "forward", (a, b), {})
            da, db = ieee(op, "local", (a, b), {}, out)
        if MODE.plain:
            v = _new(Value)
            v.data = out
            v.grad = 0.0
            v._op = text
            v._seq = next_seq()
            v._a = x
            v._b = y
            v._da = da
            v._db = db
            return v
        return Value._make(out, x, y, da, db, text)

    dunder = dunder or {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "pow": "pow"}[name]
    method.__name__ = f"__r{dunder}__" if reflected else f"__{dunder}__"
    method.__qualname__ = f"Value.{method.__name__}"
    method.__doc__ = f"``{'other ' + name + ' self' if reflected else 'self ' + name + ' other'}``: the op {name!r} of the op table ({op.doc})"
    return method


def _unary_method(name: str, doc: str = "", **params: Any) -> Callable[[Value], Value]:
    """A one-input op with fixed parameters as a method (``x.tanh()``, ``-x``, relu with relu'(0) = 0)."""
    op = OPS[name]
    text = op.bind(**params)
    p = tuple(text.params.values())
    fused = op.fused()
    check = op.compiled("float")[2]

    def method(self: Value) -> Value:
        a = self.data
        if check is not None:
            check(a, *p)
        try:
            out, da = fused(a, *p)
        except (OverflowError, ZeroDivisionError, ValueError):  # math raises where IEEE gives inf or nan
            out = ieee(op, "forward", (a,), text.params)
            (da,) = ieee(op, "local", (a,), text.params, out)
        if MODE.plain:
            v = _new(Value)
            v.data = out
            v.grad = 0.0
            v._op = text
            v._seq = next_seq()
            v._a = self
            v._b = v._db = None
            v._da = da
            return v
        return Value._make(out, self, None, da, None, text)

    method.__name__ = {"neg": "__neg__", "ReLU": "relu"}.get(name, name)
    method.__qualname__ = f"Value.{method.__name__}"
    method.__doc__ = doc or f"the op {name!r} of the op table ({op.doc})"
    return method


def _unary_node(op: Op, text: OpText, x: Value, p: tuple) -> Value:
    """``op`` applied to ``x`` with parameter values ``p`` (its ``text`` names them): the fused float function."""
    a = x.data
    check = op.compiled("float")[2]
    if check is not None:
        check(a, *p)
    try:
        out, da = op.fused()(a, *p)
    except (OverflowError, ZeroDivisionError, ValueError):  # math raises where IEEE gives inf or nan
        out = ieee(op, "forward", (a,), text.params)
        (da,) = ieee(op, "local", (a,), text.params, out)
    return Value._make(out, x, None, da, None, text)


class Value:
    """A scalar node: value, gradient, parents and the local derivative on each edge."""

    # Eight fields, plus ``__dict__`` for attributes of the user's own (``v.name = 'x'``,
    # an optimizer's ``p.m``), where ``label`` lives too once set (the class gives the
    # default ``''``).  Memory per node is measured in bench/bench_value.py.
    __slots__ = ("data", "grad", "_a", "_b", "_da", "_db", "_op", "_seq", "__dict__")

    label: str = ""

    def __init__(self, data: Number, _children: Iterable[Value] = (), _op: str = "", label: str = "") -> None:
        self.data = _check_number(data)
        self.grad = 0.0
        if label:
            self.label = label
        self._seq = next_seq()
        self._b = self._da = self._db = None
        prev = tuple(_children)
        if not prev:
            self._a = None
            self._op = _op
            return
        for p in prev:
            if not isinstance(p, Value):
                raise TypeError(f"Value: child {p!r:.40} of type {type(p).__name__} (expected Values)")
        # micrograd-style manual construction.  An op the table knows gets its local
        # derivatives from the table; any other op name is accepted, and the node's
        # backward is the closure the caller sets next (``out._backward = ...``).
        text, local = _manual_locals(_op, prev, self.data)
        self._op = text
        if local is None:
            self._a, self._b = prev, CLOSURE
            self.__dict__["_closure"] = None
        elif len(prev) == 1:
            self._a, self._da = prev[0], local[0]
        elif len(prev) == 2:
            self._a, self._b = prev
            self._da, self._db = local
        else:
            self._a, self._b, self._da = prev, NARY, tuple(local)

    # -- building result nodes ---------------------------------------------------------

    @staticmethod
    def _make(data: float, a: Any, b: Any, da: Any, db: Any, op: Any) -> Value:
        """A result node (no checks: ``data`` is a float already).  Under ``no_grad()`` it records no parents."""
        v = _new(Value)
        v.data = data
        v.grad = 0.0
        v._op = op
        v._seq = next_seq()
        if MODE.grad:
            v._a, v._b, v._da, v._db = a, b, da, db
        else:
            v._a = v._da = v._db = None
            v._b = NOGRAD
        if MODE.anomaly and not _isfinite(data):
            ins = ", ".join(f"{p.data!r}" for p in _as_tuple(a, b))
            raise AnomalyError(f"forward: '{op}' produced {data!r} from inputs ({ins})")
        return v

    def _with_params(self, op: Op, params: dict[str, Any]) -> Value:
        """A one-input op with parameters (``x ** k``, relu with another relu'(0)): its fused float function."""
        text = op.bind(**params)
        return _unary_node(op, text, self, tuple(text.params.values()))

    @classmethod
    def _apply_op(cls, op: Any, inputs: Sequence[Any], params: dict[str, Any]) -> Value:
        """Apply any op of the table to Values (and numbers): what ``OPS[name](x, ...)`` does for a Value."""
        if isinstance(op, NaryOp):
            return Value.nary(op.name, inputs, **params)
        xs = [x if isinstance(x, Value) else _lift(x, op.name) for x in inputs]
        text = op.bind(**params)
        full = text.params
        ins = [x.data for x in xs]
        out = float_forward(op, ins, full)
        local = float_local(op, ins, full, out)
        if len(xs) == 1:
            return Value._make(out, xs[0], None, local[0], None, text)
        return Value._make(out, xs[0], xs[1], local[0], local[1], text)

    # -- arithmetic ---------------------------------------------------------------------

    # Each operator is its entry of the op table (value and local derivatives), made into a method.
    __add__ = _binary_method("+")
    __radd__ = _binary_method("+", reflected=True)
    __sub__ = _binary_method("-")
    __rsub__ = _binary_method("-", reflected=True)
    __mul__ = _binary_method("*")
    __rmul__ = _binary_method("*", reflected=True)
    __truediv__ = _binary_method("/")
    __rtruediv__ = _binary_method("/", reflected=True)
    __neg__ = _unary_method("neg", "``-x``")

    def __pos__(self) -> Value:
        return self

    def __pow__(self, other: Value | Number) -> Value:
        """``x ** k`` for a number ``k`` (micrograd's ``'**k'`` node); ``x ** y`` for a Value ``y`` (``'pow'``)."""
        if isinstance(other, Value):
            return _vpow(self, other)
        return self._with_params(_POW, {"k": other})

    __rpow__ = _binary_method("pow", reflected=True)

    # -- functions ------------------------------------------------------------------------

    def relu(self, grad_at_zero: float = 0.0) -> Value:
        """max(0, x).  ``relu'(0) = 0`` as in PyTorch; Park (2022) uses ``grad_at_zero=1``."""
        if grad_at_zero.__class__ is float and grad_at_zero == 0.0:
            return _relu0(self)
        return self._with_params(_RELU, {"grad_at_zero": grad_at_zero})

    tanh = _unary_method("tanh", "tanh(x); local derivative ``1 - out^2``.  tanh(+-1000) = +-1 exactly.")
    sigmoid = _unary_method("sigmoid", "1 / (1 + e^-x); local derivative ``out (1 - out)`` (Bondartsov eq. (5b)).")
    exp = _unary_method("exp", "e^x; overflows to ``inf`` (no OverflowError), which detect_anomaly() reports.")
    log = _unary_method("log", "Natural log; a non-positive input raises :class:`DomainError`.")

    def sqrt(self) -> Value:
        return self**0.5

    # -- n-ary nodes: one node per formula, as the documents draw them --------------------

    @staticmethod
    def sum(values: Iterable[Value | Number]) -> Value:
        """One ``sum`` node over many values (local derivative 1 on each edge)."""
        vals = tuple(v if isinstance(v, Value) else _lift(v, "Value.sum") for v in values)
        if not vals:
            raise ValueError("Value.sum: expected at least one value, got an empty sequence")
        return _nary_node(OPS["sum"], vals, {})

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
            bias = _lift(bias, "weighted_sum bias")
        prev: list[Value] = [bias] if bias is not None else []
        for w, x in zip(weights, inputs):
            prev.append(w if isinstance(w, Value) else _lift(w, "weighted_sum weight"))
            prev.append(x if isinstance(x, Value) else _lift(x, "weighted_sum input"))
        if not prev:
            raise ValueError("weighted_sum: no weights and no bias (expected at least one term)")
        return _nary_node(OPS["wsum" if bias is not None else "wsum0"], tuple(prev), {})

    @staticmethod
    def nary(op: str, inputs: Sequence[Value | Number], **params: object) -> Value:
        """One node of an n-ary op of :data:`~micrograd_ext.core.ops.OPS` over ``inputs``.

        For example ``Value.nary('bce', outputs, targets=ys, scale=1/N)`` is the loss
        ``C`` of Bondartsov's eq. (1) as one node whose local derivative to each
        output ``a_k`` is eq. (5a).  ``params`` go to the op (targets, scale, ...).
        """
        rule = OPS.get(op) if isinstance(op, str) else None
        if not isinstance(rule, NaryOp):
            raise ValueError(f"Value.nary: {op!r} is not an n-ary op (expected one of "
                             f"{sorted(k for k, r in OPS.items() if isinstance(r, NaryOp))})")
        vals = tuple(v if isinstance(v, Value) else _lift(v, f"Value.nary({op!r})") for v in inputs)
        if not vals:
            raise ValueError(f"Value.nary({op!r}): expected at least one input, got none")
        return _nary_node(rule, vals, rule.check_params(dict(params), len(vals)))

    # -- micrograd's view of the edges ------------------------------------------------------

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The parents in argument order (micrograd keeps a set; here ``x * x`` lists ``x`` twice)."""
        return _parents(self)

    @property
    def _local(self) -> tuple[float, ...]:
        return self.local_grads

    @property
    def local_grads(self) -> tuple[float, ...]:
        """The numeric local derivatives ``d self / d parent`` on each incoming edge."""
        b = self._b
        if self._a is None:
            return ()
        if b is None:
            return (self._da,)
        if b is NARY:
            return self._da
        if b is CLOSURE:
            return _probe_closure(self)
        return (self._da, self._db)

    @property
    def formulas(self) -> tuple[str, ...]:
        """The formula text of each incoming edge, from the op table."""
        parents = _parents(self)
        if not parents:
            return ()
        op = getattr(self._op, "op", None)
        if self._b is CLOSURE or op is None:
            return ("from _backward",) * len(parents)
        if isinstance(op, NaryOp):
            return tuple(op.formula(k, len(parents)) for k in range(len(parents)))
        return op.formulas(self._op.params)

    def _edges(self) -> tuple[Edge, ...]:
        parents = _parents(self)
        if not parents:
            return ()
        local = self.local_grads
        fs = self.formulas
        op = getattr(self._op, "op", None)
        return tuple(
            Edge(self, p, k, local[k], fs[k], names=op.names(k, self, parents) if op is not None and self._b is not CLOSURE else {})
            for k, p in enumerate(parents)
        )

    # -- micrograd's _backward ------------------------------------------------------------

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's per-node step: calling it adds this node's share into its parents' ``.grad``."""
        if self._b is CLOSURE:
            return self.__dict__.get("_closure") or _no_closure(self)
        return lambda: _push(self)

    @_backward.setter
    def _backward(self, fn: Callable[[], None]) -> None:
        """micrograd's lecture style: ``out._backward = closure``; ``backward()`` then calls it."""
        if not callable(fn):
            raise TypeError(f"_backward: expected a function of no arguments, got {type(fn).__name__}")
        parents = _parents(self)
        if not parents:
            raise ValueError("_backward: this Value has no children; build it as Value(data, (inputs...), 'op') first")
        self._a, self._b, self._da, self._db = parents, CLOSURE, None, None
        self.__dict__["_closure"] = fn

    # -- backward ---------------------------------------------------------------------------

    def backward(self, grad: float = 1.0, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this value depends on with ``d self / d node``.

        One pass in reverse topological order, no recursion (:func:`backprop`).
        Intermediate nodes a gradient reaches get this pass's gradient; leaves
        (parameters, inputs, constants) *accumulate*, as in PyTorch: call
        ``zero_grad()`` between steps.  A node whose gradient is exactly 0 passes
        nothing on, so the nodes only it leads to are not visited and keep their
        ``.grad`` (0.0 on a graph no pass has been through).

        ``create_graph=True``: every ``.grad`` becomes a ``Value``, a node of a new graph
        built from the op table's derivative expressions, which can be differentiated
        again (``x.grad.backward()``, or better :func:`micrograd_ext.grad`, which leaves
        ``.grad`` alone).  A leaf whose ``.grad`` is a number adds it.
        """
        if create_graph:
            _assign_graph_grads(self, self._seed(grad))
            return
        run_backward(self, self._seed(grad))

    def _seed(self, grad: float | None = 1.0) -> float:
        if self._b is NOGRAD:
            raise RuntimeError(
                "backward: this Value was computed under no_grad(), so it records no graph and no gradient can "
                "flow to its inputs; compute it outside the no_grad() block (or with enable_grad())"
            )
        return _check_number(1.0 if grad is None else grad, "backward")

    def _backward_pass(self, seed: float, on_step: Any = None) -> None:
        """The backward pass from this node (see :func:`backprop`)."""
        if on_step is not None or MODE.anomaly:
            _backprop_general(self, seed, on_step)
        else:
            backprop(self, seed)

    # -- conveniences -------------------------------------------------------------------------

    def item(self) -> float:
        return self.data

    def __float__(self) -> float:
        refuse_number(self, "float()")
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

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"




# ---------------------------------------------------------------------------
# The backward pass
# ---------------------------------------------------------------------------

#: Nodes made up to this many node creations before the root are ordered in a list
#: indexed by creation number; older ones (an intermediate computed long ago and reused)
#: in a heap, so the list never grows past this length (8 bytes an entry).
WINDOW = 1 << 21


def backprop(root: Value, seed: float) -> None:
    """The chain rule from ``root`` back: one pass over the nodes, newest first.

    A node's inputs are always made before it, so they have smaller creation numbers
    (``_seq``): visiting nodes from the newest to the oldest visits every node after
    all the nodes that use it, which is all the chain rule needs (its ``grad`` is
    complete when we reach it).  So there is no separate ordering step: ``pending[j]``
    holds the node made ``j`` creations before the root, filled in when a gradient
    first reaches it, and one scan down that list is the whole pass.  At each node we
    add ``local * grad`` into each input: ``d root / d input`` is the sum over its
    edges of (local derivative) x (gradient of the node above).

    Semantics (as PyTorch's where it has them): every intermediate node a gradient
    reaches gets this pass's gradient (the first contribution *sets* it, so a second
    ``backward()`` does not double it); leaves (parameters, inputs, constants)
    *accumulate*.  A node whose gradient is exactly 0 (behind a dead relu, say) passes
    nothing on and is not visited: ``0 * local`` is 0 for every finite local
    derivative, so the gradients are the same, and a relu net's backward does about
    half the work.  The price: an intermediate node that only such nodes lead to is
    not visited either, and keeps the ``.grad`` it had, which is 0.0 unless an
    earlier pass through the same graph, from another root, set it.
    """
    if root._a is None:  # a leaf root accumulates like any leaf
        root.grad += seed
        return
    top = root._seq
    root.grad = seed
    pending: list[Any] = [root] + [None] * 63
    n = 64  # the list's length: it doubles when a node lies beyond it
    hi = 0  # the largest index in use: the scan stops there
    far: list[int] = []  # a heap of j = top - seq (smallest first: newest first) for nodes older than WINDOW
    far_nodes: dict[int, Value] = {}
    i = 0
    while True:
        if i <= hi:
            node = pending[i]
            i += 1
            if node is None:
                continue
        elif far:
            node = far_nodes.pop(heapq.heappop(far))
        else:
            return
        g = node.grad
        if not g:  # a zero gradient passes nothing on
            continue
        b = node._b
        if b is CLOSURE or b is NARY:
            hi = max(hi, _visit_slow(node, g, pending, far, far_nodes, top))
            n = len(pending)
            continue
        # -- one or two parents, the common case, written out: first the input `a`
        a = node._a
        c = node._da * g
        if a._a is None:  # a leaf accumulates
            a.grad += c
        else:
            j = top - a._seq
            if j < n:
                if pending[j] is None:
                    pending[j] = a
                    a.grad = c
                    if j > hi:
                        hi = j
                else:
                    a.grad += c
            elif j < WINDOW:
                n = min(max(j + 1, 2 * n), WINDOW)
                pending.extend([None] * (n - len(pending)))
                pending[j] = a
                a.grad = c
                hi = j
            elif j in far_nodes or _push_far(a, j, c, far, far_nodes):
                a.grad += c
        if b is None:
            continue
        # -- then the second input `b`, the same way
        c = node._db * g
        if b._a is None:
            b.grad += c
        else:
            j = top - b._seq
            if j < n:
                if pending[j] is None:
                    pending[j] = b
                    b.grad = c
                    if j > hi:
                        hi = j
                else:
                    b.grad += c
            elif j < WINDOW:
                n = min(max(j + 1, 2 * n), WINDOW)
                pending.extend([None] * (n - len(pending)))
                pending[j] = b
                b.grad = c
                hi = j
            elif j in far_nodes or _push_far(b, j, c, far, far_nodes):
                b.grad += c


def _push_far(p: Value, j: int, c: float, far: list[int], far_nodes: dict[int, Value]) -> bool:
    """First gradient for a node older than the window: into the heap, gradient set.  Returns False."""
    far_nodes[j] = p
    heapq.heappush(far, j)
    p.grad = c
    return False


def _reach(p: Value, c: float | None, pending: list[Any], far: list[int], far_nodes: dict[int, Value], top: int) -> int:
    """Give input ``p`` the contribution ``c`` (``None``: none, but mark it reached); the index used (-1: none)."""
    if p._a is None:
        if c is not None:
            p.grad += c
        return -1
    j = top - p._seq
    if j < len(pending) or j < WINDOW:  # the same rule as backprop's: in the list if it reaches that far
        if j >= len(pending):
            pending.extend([None] * (min(max(j + 1, 2 * len(pending)), WINDOW) - len(pending)))
        if pending[j] is None:
            pending[j] = p
            p.grad = 0.0 if c is None else c
        elif c is not None:
            p.grad += c
        return j
    if j in far_nodes:
        if c is not None:
            p.grad += c
    else:
        _push_far(p, j, 0.0 if c is None else c, far, far_nodes)
    return -1


def _visit_slow(node: Value, g: float, pending: list[Any], far: list[int], far_nodes: dict[int, Value], top: int) -> int:
    """One node of :func:`backprop` that is not the common case (an n-ary node, a closure); the largest index used."""
    parents = _parents(node)
    hi = -1
    if node._b is CLOSURE:
        for p in parents:  # reached: reset before the closure adds into them
            hi = max(hi, _reach(p, None, pending, far, far_nodes, top))
        _run_closure(node)
        return hi
    for p, d in zip(parents, node._da):
        hi = max(hi, _reach(p, d * g, pending, far, far_nodes, top))
    return hi


def order_newest_first(root: Value) -> list[Value]:
    """The nodes :func:`backprop` visits, in the order it visits them: every intermediate
    node ``root`` depends on, newest first (decreasing creation number)."""
    seen = {id(root): root}
    stack = [root]
    while stack:
        for p in _parents(stack.pop()):
            if p._a is not None and id(p) not in seen:
                seen[id(p)] = p
                stack.append(p)
    return sorted(seen.values(), key=lambda v: -v._seq)


def _backprop_general(root: Value, seed: float, on_step: Any = None) -> None:
    """:func:`backprop` for :func:`~micrograd_ext.core.graph.trace_backward` and ``detect_anomaly()``.

    The same nodes in the same order, the same products ``local * g`` and the same
    first-set-then-add rule, so the gradients are bit for bit those of the fast pass;
    it reports each step to ``on_step`` and, under ``detect_anomaly()``, stops at the
    first gradient that becomes non-finite, naming the op.
    """
    if root._a is None:
        root.grad += seed
        return
    reached = {id(root)}
    root.grad = seed
    anomaly = MODE.anomaly
    for node in order_newest_first(root):
        g = node.grad
        if id(node) not in reached or not g:  # as the fast pass: not reached, or a zero gradient passing nothing
            continue
        parents = _parents(node)
        if node._b is CLOSURE:
            for p in parents:
                if p._a is not None and id(p) not in reached:
                    reached.add(id(p))
                    p.grad = 0.0
            before = [p.grad for p in parents]
            _run_closure(node)
            if on_step is not None:
                for k, p in enumerate(parents):
                    c = p.grad - before[k]
                    on_step(node, k, p, c / g, "from _backward", g, c)
            continue
        fs = node.formulas if on_step is not None else ()
        for k, (p, local) in enumerate(zip(parents, node.local_grads)):
            first = p._a is not None and id(p) not in reached
            if first:
                reached.add(id(p))
            c = local * g
            before = p.grad
            p.grad = c if first else before + c
            if anomaly and not _isfinite(p.grad) and (first or _isfinite(before)):
                ins = ", ".join(repr(q.data) for q in parents)
                name = f" '{p.label}'" if p.label else ""
                raise AnomalyError(
                    f"backward: '{node._op}' with inputs ({ins}), output {node.data!r} and gradient {g!r} "
                    f"gave the non-finite gradient {p.grad!r} to its input{name} (data={p.data!r}) "
                    f"through the local derivative {local!r}"
                )
            if on_step is not None:
                on_step(node, k, p, local, fs[k], g, c)


# ---------------------------------------------------------------------------
# Derivatives as graphs (backward(create_graph=True), grad, hessian)
# ---------------------------------------------------------------------------


def graph_locals(node: Value) -> tuple[Any, ...]:
    """The local derivatives of ``node`` as graph nodes, from the op table's expressions
    evaluated on its inputs and output (constants stay numbers).

    A node these expressions create is labelled with the formula it computes
    (``d(tanh)/da = 1 - out^2``), so a drawing of a derivative graph says where each
    node came from.  Turning a node into a number inside a rule raises.
    """
    ps = _parents(node)
    text = node._op
    op = getattr(text, "op", None)
    if node._b is CLOSURE or op is None:
        raise TypeError(
            f"derivatives of derivatives: the node {str(node._op)!r} was made with a _backward closure, which "
            "computes numbers, not graph nodes; define the op with micrograd_ext.define_op to differentiate it twice"
        )
    mark = next_seq()
    with evaluating_rule(op.name):
        if isinstance(op, NaryOp):
            local = tuple(op.local(_VALUE_P, ps, node, **text.params))
        else:
            _, loc, _ = op.compiled("value")
            local = loc(*ps, *text.params.values(), node)
    formulas = None
    for k, d in enumerate(local):
        if isinstance(d, Value) and d._seq > mark and not d.label:
            formulas = formulas or node.formulas
            d.label = f"d({text})/d{_input_name(op, k)} = {formulas[k]}"
    return local


def _input_name(op: Any, k: int) -> str:
    names = getattr(op, "inputs", None)
    return names[k] if names and k < len(names) else f"x{k + 1}"


def _assign_graph_grads(root: Value, seed: float) -> None:
    from .autodiff import vjp_pass

    grads, nodes = vjp_pass([root], [seed], create_graph=True)
    for key, g in grads.items():
        node = nodes[key]
        if not isinstance(g, Value):
            g = Value(float(g))
        if node._a is None:  # a leaf accumulates
            old = node.grad
            node.grad = g if (isinstance(old, (int, float)) and old == 0) else old + g
        else:
            node.grad = g


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _lift(x: Any, where: str) -> Value:
    """A number on one side of an operation, as a constant leaf."""
    v = _new(Value)
    v.data = x if x.__class__ is float else _check_number(x, f"'{where}' operand")
    v.grad = 0.0
    v._a = v._b = v._da = v._db = None
    v._op = ""
    v._seq = next_seq()
    return v


def _as_tuple(a: Any, b: Any) -> tuple:
    if a is None:
        return ()
    if b is None:
        return (a,)
    if b is NARY or b is CLOSURE:
        return a
    return (a, b)


def _parents(v: Value) -> tuple[Value, ...]:
    a = v._a
    if a is None:
        return ()
    b = v._b
    if b is None:
        return (a,)
    if b is NARY or b is CLOSURE:
        return a
    return (a, b)


def _nary_node(op: NaryOp, vals: tuple[Value, ...], params: dict[str, Any]) -> Value:
    ins = [v.data for v in vals]
    if op.domain is not None:
        op.domain(ins, **params)
    out = op.forward(_FLOAT_NS, ins, **params)
    local = tuple(op.local(_FLOAT_NS, ins, out, **params))
    return Value._make(out, vals, NARY, local, None, op.bind(**params))


def _manual_locals(op_name: Any, prev: tuple[Value, ...], out: float) -> tuple[Any, tuple | None]:
    """micrograd's ``Value(data, children, op)``: the op text and the table's local derivatives
    (``None`` when the table does not know the op: the caller's ``_backward`` closure does the job)."""
    if isinstance(op_name, OpText):
        text = op_name
    elif isinstance(op_name, str) and isinstance(OPS.get(op_name), (Op, NaryOp)) and not OPS[op_name].params:
        text = OPS[op_name].plain
    elif isinstance(op_name, str) and op_name.startswith("**") and len(prev) == 1:
        try:
            text = OPS["**"].bind(k=float(op_name[2:]))
        except (TypeError, ValueError):
            return op_name, None
    elif op_name in ("ReLU", "relu") and len(prev) == 1:
        text = _RELU0
    else:
        return op_name, None
    op = text.op
    ins = [p.data for p in prev]
    if isinstance(op, NaryOp):
        return text, tuple(op.local(_FLOAT_NS, ins, out, **text.params))
    if op.arity != len(prev):
        return op_name, None
    return text, float_local(op, ins, text.params, out)


def _push(node: Value) -> None:
    """micrograd's ``_backward()`` of one node: add ``local * grad`` into each parent."""
    g = node.grad
    for p, d in zip(_parents(node), node.local_grads):
        p.grad += d * g


def _run_closure(node: Value) -> None:
    fn = node.__dict__.get("_closure")
    if fn is None:
        _no_closure(node)()
    fn()


def _no_closure(node: Value) -> Callable[[], None]:
    def fail() -> None:
        raise RuntimeError(
            f"backward: the node made by Value(data, children, {str(node._op)!r}) has no local derivative: "
            f"{str(node._op)!r} is not an op of the table and no _backward closure was set (set "
            f"out._backward = ... as in micrograd, or define the op with micrograd_ext.define_op)"
        )

    return fail


def _probe_closure(node: Value) -> tuple[float, ...]:
    """The local derivatives a ``_backward`` closure applies, found by running it once with
    ``node.grad = 1`` and reading what it adds to each parent (grads are restored).

    Exact for a closure that adds ``local * out.grad`` to each parent, as the chain rule's do.
    """
    parents = _parents(node)
    fn = node.__dict__.get("_closure")
    if fn is None:
        return tuple(math.nan for _ in parents)
    saved = [(p, p.grad) for p in {id(p): p for p in parents}.values()]
    g0 = node.grad
    try:
        for p, _ in saved:
            p.grad = 0.0
        node.grad = 1.0
        fn()
        # a parent listed twice gets the whole sum on its first edge
        seen: set[int] = set()
        out = []
        for p in parents:
            out.append(0.0 if id(p) in seen else float(p.grad))
            seen.add(id(p))
        return tuple(out)
    finally:
        node.grad = g0
        for p, g in saved:
            p.grad = g


# ---------------------------------------------------------------------------
# The float backend's extras and the op entries Value's methods use
# ---------------------------------------------------------------------------

_FLOAT_NS = _ops.namespace("float")

_POW, _RELU = OPS["**"], OPS["ReLU"]
_RELU0 = _RELU.bind(grad_at_zero=0.0)
_relu0 = _unary_method("ReLU", grad_at_zero=0.0)
_vpow = _binary_method("pow")


def _on_define(op: Any, method: bool | str) -> None:
    """Make a new op usable by Value: its node function (for derivatives of derivatives), and ``x.name()`` if asked."""
    if isinstance(op, Op):
        if "value" in _ops.BACKENDS:
            _ops.BACKENDS["value"][op.name] = _ops.node_function(op, Value._apply_op)
            op._compiled.pop("value", None)
    _ops.install_method(Value, op, method)


_ops._ON_DEFINE.append(_on_define)
for _op in list(OPS.values()):
    _on_define(_op, getattr(_op, "method", False))


# ---------------------------------------------------------------------------
# The ``value`` backend: each primitive name means the op of that name on Values
# ---------------------------------------------------------------------------


def _value_fsum(xs: Sequence[Any]) -> Any:
    if any(isinstance(x, Value) for x in xs):
        return Value.sum(xs)
    return math.fsum(xs)


def _value_accumulate(terms: Sequence[Any]) -> Any:
    z = terms[0]
    for t in terms[1:]:
        z = z + t
    return z


def _value_bce_term(a: Any, y: float) -> Any:
    terms = []
    if y != 0.0:
        terms.append(y * _ops.OPS["log"](a))
    if y != 1.0:
        terms.append((1.0 - y) * _ops.OPS["log"](1.0 - a))
    return _value_accumulate(terms)


def _register_value_backend() -> None:
    ns: dict[str, Any] = {name: _ops.node_function(op, Value._apply_op) for name, op in OPS.items() if isinstance(op, Op)}
    ns.update(fsum=_value_fsum, accumulate=_value_accumulate, one=1.0, bce_term=_value_bce_term,
              clamp_below=lambda x, eps: _ops.OPS["clamp"](x, min=eps),  # the float rule's clamp, as an op
              max_value=lambda xs: max(x.data if isinstance(x, Value) else x for x in xs))  # a constant shift
    _ops.register_backend("value", ns)


_register_value_backend()
_VALUE_P = _ops.namespace("value")
