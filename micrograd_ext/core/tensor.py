"""The Tensor half of the engine: the same graph as :class:`~micrograd_ext.engine.Value`, over numpy arrays.

A :class:`Tensor` is a node holding a float64 ``ndarray``.  It is recorded in the
same kind of graph as a ``Value`` (parents in ``_prev``, a creation number
``_seq`` from :func:`micrograd_ext.graph.next_seq`, a rule name ``_op``) and run
backward by the same driver (:func:`micrograd_ext.graph.run_backward`): the graph
is ordered once, iteratively, and :meth:`Tensor._backprop` walks it from the
output back, asking each node's rule for the gradients of its inputs.

Where the scalar engine multiplies a number by a local derivative, a tensor node
applies a *vector-Jacobian product* (VJP): given ``dZ = d root / d Z`` (an array of
``Z``'s shape), its rule returns ``dA = d root / d A`` for each input ``A``.  The
rules live in one table, :data:`TENSOR_RULES`, each with its formula text in the
documents' matrix form, e.g. for ``Z = A B``: ``dA = dZ B^T``, ``dB = A^T dZ``
(Rosenberg, "Some Neural Network Derivative Calculations", section 1).

*Elementwise* operations (``+ - * / ** exp log tanh sigmoid relu``) have no rule of
their own here: they use the scalar table :data:`micrograd_ext.rules.RULES`, whose
local-derivative expressions work unchanged on arrays (``tanh: 1 - out^2``), so
each derivative is written once for ``Value`` and ``Tensor``.  Their VJP is
``dA = dZ * local`` followed by *unbroadcasting*: an operand that numpy broadcast
gets the gradient summed back to its own shape.

Semantics shared with ``Value`` (and PyTorch): ``.grad`` is ``None`` before
backward; intermediate nodes get this pass's gradient, leaves accumulate.  Only
nodes that need a gradient do any work: an operation whose inputs all have
``requires_grad=False`` (a data matrix) records no parents, and no VJP computes a
gradient for such an input.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from .graph import MODE, AnomalyError, Edge, next_seq, run_backward
from .ops import BCE_EPS, BCE_LOG_FLOOR, RULES, DomainError

__all__ = [
    "Tensor",
    "TensorRule",
    "TENSOR_RULES",
    "linear",
    "cross_entropy",
    "bce",
    "DomainError",
    "AnomalyError",
]

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence]
_ndarray = np.ndarray
_f64 = np.float64


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _as_array(data: Any, where: str = "Tensor") -> np.ndarray:
    """A float64 copy of numeric ``data``; TypeError naming the type otherwise."""
    if isinstance(data, Tensor):
        return data.data.copy()
    if isinstance(data, (str, bytes)):
        raise TypeError(f"{where}: expected numeric data (a number, a list of numbers or an array), got {type(data).__name__}: {data!r:.60}")
    try:
        arr = np.array(data)
    except ValueError as e:  # ragged lists
        raise ValueError(f"{where}: data of type {type(data).__name__} is not a rectangular array of numbers ({e})") from None
    if arr.dtype.kind not in "biuf":
        bad = data
        if arr.dtype.kind == "O" and arr.size:
            bad = next((x for x in arr.flat if not isinstance(x, numbers.Real)), arr.flat[0])
        raise TypeError(
            f"{where}: expected numeric data (a number, a list of numbers or an array), "
            f"got {type(data).__name__} holding {type(bad).__name__} ({arr.dtype} elements)"
        )
    return arr if arr.dtype == _f64 else arr.astype(_f64)  # np.array made a copy already


def _broadcast_shape(op: str, s1: tuple, s2: tuple) -> tuple:
    """numpy's broadcast shape of ``s1`` and ``s2``, or a ValueError naming the op and both shapes."""
    n = max(len(s1), len(s2))
    a = (1,) * (n - len(s1)) + s1
    b = (1,) * (n - len(s2)) + s2
    out = []
    for x, y in zip(a, b):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise ValueError(
                f"'{op}': shapes {s1} and {s2} cannot be broadcast together "
                f"(expected each pair of trailing dimensions to be equal or 1)"
            )
    return tuple(out)


def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` back to ``shape``: the gradient of an operand that numpy broadcast.

    Broadcasting copies an operand along new leading axes and along its axes of
    length 1; each copy contributes to the result, so (chain rule) the operand's
    gradient is the sum of the copies' gradients over those axes.
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead > 0:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return np.asarray(g)


@functools.lru_cache(maxsize=64)
def _ones(n: int) -> np.ndarray:
    """A read-only vector of n ones: ``dY^T 1`` as a matrix product is faster than ``sum(axis=0)`` on small arrays."""
    v = np.ones(n)
    v.flags.writeable = False
    return v


@functools.lru_cache(maxsize=64)
def _arange(n: int) -> np.ndarray:
    v = np.arange(n)
    v.flags.writeable = False
    return v


def _shifted_exp_rows(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(z - m, exp(z - m), row sums of exp(z - m))`` for a 2-D ``z``, without overflow.

    ``log sum_c exp(z_c) = m + log sum_c exp(z_c - m)`` holds for any ``m``.  One
    max over the whole array already makes every exponent <= 0 (no overflow, also
    for logits of 1000) and costs far less than a max per row; a row whose entries
    all lie far below that max would lose precision (its sum under 1e-30), so such
    a batch is redone with each row's own max.
    """
    ones = _ones(z.shape[1])
    shifted = z - z.max()
    e = np.exp(shifted)
    s = e @ ones
    if not s.min() >= 1e-30:  # also true for nan
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e @ ones
    return shifted, e, s


def _norm_axes(op: str, axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...] | None:
    """``axis`` as a sorted tuple of non-negative ints (None for all axes); ValueError if out of range."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    out = []
    for ax in axes:
        if not isinstance(ax, numbers.Integral):
            raise TypeError(f"'{op}': axis {ax!r} is a {type(ax).__name__} (expected an int)")
        if not -ndim <= ax < max(ndim, 1) or (ndim == 0 and ax not in (0, -1)):
            raise ValueError(f"'{op}': axis {ax} is out of range for a tensor with {ndim} dimension(s) (expected {-ndim} <= axis < {ndim})")
        out.append(int(ax) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"'{op}': repeated axis in {axis!r}")
    return tuple(sorted(out))


def _expand(g: np.ndarray, axes: tuple[int, ...] | None, keepdims: bool, shape: tuple) -> np.ndarray:
    """Put back the reduced axes of ``g`` (as length 1) so it broadcasts against ``shape``."""
    if axes is None:
        return np.reshape(g, (1,) * len(shape)) if not keepdims else g
    if not keepdims:
        g = np.expand_dims(g, axes)
    return g


def _shapes(node: Tensor) -> str:
    return ", ".join(str(p.data.shape) for p in node._prev)


def _check_finite_forward(op: str, out: np.ndarray, prev: tuple) -> None:
    if not np.isfinite(out).all():
        bad = "nan" if np.isnan(out).any() else "inf"
        shapes = ", ".join(str(p.data.shape) for p in prev)
        raise AnomalyError(f"forward: '{op}' produced {bad} (output shape {out.shape}) from inputs of shapes ({shapes})")


# ---------------------------------------------------------------------------
# The rule table
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TensorRule:
    """A tensor operation's vector-Jacobian rule and its formula text.

    ``vjp(node, dZ)`` returns one gradient per parent of ``node`` (``None`` for a
    parent with ``requires_grad=False``: no work is done for it).  ``formulas[k]`` is
    the text of the gradient of input ``k``; ``doc`` the forward formula and source.
    """

    op: str
    vjp: Callable[[Tensor, np.ndarray], tuple]
    formulas: tuple[str, ...]
    doc: str = ""

    def formula(self, k: int) -> str:
        return self.formulas[min(k, len(self.formulas) - 1)] if self.formulas else ""


# -- elementwise: the scalar rules of rules.RULES applied to arrays --------------------------


def _elementwise_locals(node: Tensor) -> tuple:
    """The local derivative of each input of an elementwise node, from :data:`micrograd_ext.core.ops.RULES`."""
    rule = RULES[node._op]
    ins = [p.data for p in node._prev]
    if node._op == "ReLU":  # relu's value at 0 is a keyword of its rule: (a, out, at_zero)
        return rule.array_local(ins[0], node.data, *node._ctx)
    if node._ctx is not None:  # the constant exponent k of '**': (a, k, out)
        ins.extend(node._ctx)
    return (rule.array_local or rule.local)(*ins, node.data)


def _elementwise_vjp(node: Tensor, g: np.ndarray) -> tuple:
    """``dA = dZ * local`` for each input, local from :data:`micrograd_ext.rules.RULES`; then unbroadcast.

    A local derivative that is the constant 1 (``+``) passes ``dZ`` through
    unchanged, -1 negates it: no multiplication by a constant array.
    """
    prev = node._prev
    local = _elementwise_locals(node)
    grads = []
    for p, d in zip(prev, local):
        if not p.requires_grad:
            grads.append(None)
            continue
        if type(d) is float:  # a constant local derivative (1.0 for '+', -1.0 for '-')
            pg = g if d == 1.0 else (-g if d == -1.0 else g * d)
        else:
            pg = g * d
        grads.append(_unbroadcast(pg, p.data.shape))
    return tuple(grads)


def _elementwise_rule(op: str) -> TensorRule:
    r = RULES[op]
    names = ("a", "b")
    return TensorRule(
        op,
        _elementwise_vjp,
        tuple(f"d{names[k]} = dout * ({f})" for k, f in enumerate(r.formulas)),
        f"out = {r.doc}, elementwise (local derivatives from rules.RULES[{op!r}]; "
        "an operand that numpy broadcast gets its gradient summed back to its shape)",
    )


# -- structural rules -----------------------------------------------------------------------


def _matmul_vjp(node: Tensor, g: np.ndarray) -> tuple:
    a_t, b_t = node._prev
    a, b = a_t.data, b_t.data
    if a.ndim == 2 and b.ndim == 2:  # the common case: Z = A B
        return (g @ b.T if a_t.requires_grad else None, a.T @ g if b_t.requires_grad else None)
    if a.ndim == 1 and b.ndim == 1:  # dot product: Z = a . b is a number
        return (g * b if a_t.requires_grad else None, g * a if b_t.requires_grad else None)
    # General form: treat a vector as a one-row (A) or one-column (B) matrix,
    # apply dA = dZ B^T and dB = A^T dZ, sum over broadcast batch dimensions, and
    # drop the added axis again.
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    if b.ndim == 1:
        g2 = np.expand_dims(g2, -1)
    da = db = None
    if a_t.requires_grad:
        da = _unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
    if b_t.requires_grad:
        db = _unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
    return (da, db)


def _linear_vjp(node: Tensor, g: np.ndarray) -> tuple:
    x_t, w_t = node._prev[0], node._prev[1]
    x = x_t.data
    if x.ndim == 1:  # one sample: y = W x + b
        dx = g @ w_t.data if x_t.requires_grad else None
        dw = np.outer(g, x) if w_t.requires_grad else None
        out = (dx, dw)
        if len(node._prev) == 3:
            out += (g.copy() if node._prev[2].requires_grad else None,)
        return out
    g2 = g.reshape(-1, g.shape[-1]) if g.ndim > 2 else g
    x2 = x.reshape(-1, x.shape[-1]) if x.ndim > 2 else x
    dx = (g @ w_t.data) if x_t.requires_grad else None
    dw = (g2.T @ x2) if w_t.requires_grad else None
    out = (dx, dw)
    if len(node._prev) == 3:
        out += (_ones(g2.shape[0]) @ g2 if node._prev[2].requires_grad else None,)  # dY^T 1
    return out


def _sum_vjp(node: Tensor, g: np.ndarray) -> tuple:
    axes, keepdims = node._ctx
    shape = node._prev[0].data.shape
    return (np.broadcast_to(_expand(g, axes, keepdims, shape), shape),)


def _mean_vjp(node: Tensor, g: np.ndarray) -> tuple:
    axes, keepdims = node._ctx
    a = node._prev[0].data
    count = a.size // max(node.data.size, 1) if a.size else 1
    return (np.broadcast_to(_expand(g, axes, keepdims, a.shape) / count, a.shape),)


def _max_vjp(node: Tensor, g: np.ndarray) -> tuple:
    axes, keepdims = node._ctx
    a = node._prev[0].data
    z = _expand(node.data, axes, keepdims, a.shape)
    mask = a == z
    ties = mask.sum(axis=axes, keepdims=True)
    return (mask * (_expand(g, axes, keepdims, a.shape) / ties),)


def _reshape_vjp(node: Tensor, g: np.ndarray) -> tuple:
    return (g.reshape(node._prev[0].data.shape),)


def _transpose_vjp(node: Tensor, g: np.ndarray) -> tuple:
    axes = node._ctx
    return (g.transpose(np.argsort(axes)) if axes is not None else g.T,)


def _getitem_vjp(node: Tensor, g: np.ndarray) -> tuple:
    index, basic = node._ctx
    a = node._prev[0].data
    out = np.zeros_like(a)
    if basic:  # slices and ints: each element picked at most once
        out[index] = g
    else:  # integer/boolean arrays may repeat an element: accumulate
        np.add.at(out, index, g)
    return (out,)


def _softmax_vjp(node: Tensor, g: np.ndarray) -> tuple:
    axis = node._ctx
    s = node.data
    return ((g - (g * s).sum(axis=axis, keepdims=True)) * s,)


def _log_softmax_vjp(node: Tensor, g: np.ndarray) -> tuple:
    axis = node._ctx
    return (g - np.exp(node.data) * g.sum(axis=axis, keepdims=True),)


def _xent_vjp(node: Tensor, g: np.ndarray) -> tuple:
    e, s, t, flat, scale, onehot = node._ctx
    c = float(g) * scale
    if onehot:  # dZ = c (softmax(Z) * sum_k Y_k - Y)
        d = e * ((c * (t @ _ones(t.shape[1]))) / s)[:, None]
        d -= c * t
    else:  # dZ = c (softmax(Z) - Y): subtract c at each sample's class
        d = e * (c / s)[:, None]
        d.ravel()[flat] -= c
    return (d.reshape(node._prev[0].data.shape),)


def _bce_vjp(node: Tensor, g: np.ndarray) -> tuple:
    y, scale = node._ctx
    a = node._prev[0].data
    return ((float(g) * scale) * (a - y) / np.maximum(a * (1.0 - a), BCE_EPS),)


#: op -> :class:`TensorRule`.  Structural operations have their own VJP and formula in
#: matrix form (inputs ``A``, ``B``, output ``Z``; ``dZ`` is the gradient arriving at ``Z``);
#: elementwise operations reuse :data:`micrograd_ext.rules.RULES`.
TENSOR_RULES: dict[str, TensorRule] = {
    op: _elementwise_rule(op) for op in ("+", "-", "*", "/", "neg", "**", "pow", "exp", "log", "tanh", "sigmoid", "ReLU")
}
TENSOR_RULES.update(
    {
        "matmul": TensorRule(
            "matmul",
            _matmul_vjp,
            ("dA = dZ B^T", "dB = A^T dZ"),
            "Z = A B (a vector is a one-row A or a one-column B; Rosenberg section 1: dJ/dX = (dJ/dY) W, "
            "dJ/dW = (dJ/dY)^T X; CS224n 2.1-2.2)",
        ),
        "linear": TensorRule(
            "linear",
            _linear_vjp,
            ("dX = dY W", "dW = dY^T X", "db = dY^T 1"),
            "Y = X W^T + b^T, rows of X are samples (Rosenberg section 1, minibatch: dJ/dX = (dJ/dY) W, "
            "dJ/dW = (dJ/dY)^T X, dJ/db = (dJ/dY)^T 1)",
        ),
        "sum": TensorRule("sum", _sum_vjp, ("dA = dZ broadcast to shape(A)",), "Z = sum of A over axis"),
        "mean": TensorRule("mean", _mean_vjp, ("dA = dZ broadcast to shape(A) / n",), "Z = mean of A over axis (n elements each)"),
        "max": TensorRule(
            "max",
            _max_vjp,
            ("dA = dZ broadcast * [A == Z] / (number of ties)",),
            "Z = max of A over axis (a tie shares the gradient equally)",
        ),
        "reshape": TensorRule("reshape", _reshape_vjp, ("dA = reshape(dZ, shape(A))",), "Z = reshape(A)"),
        "transpose": TensorRule("transpose", _transpose_vjp, ("dA = dZ^T (axes permuted back)",), "Z = A^T"),
        "getitem": TensorRule(
            "getitem",
            _getitem_vjp,
            ("dA = zeros(shape(A)); dA[index] += dZ",),
            "Z = A[index] (repeated indices accumulate)",
        ),
        "softmax": TensorRule(
            "softmax",
            _softmax_vjp,
            ("dA = (dZ - (dZ^T Z) 1) * Z",),
            "Z = softmax(A) = exp(A - max A) / sum exp(A - max A) (Rosenberg section 2: "
            "dJ/ds = (dJ/dy - [(dJ/dy)^T sigma(s)] 1) * sigma(s))",
        ),
        "log_softmax": TensorRule(
            "log_softmax",
            _log_softmax_vjp,
            ("dA = dZ - softmax(A) (dZ^T 1)",),
            "Z = A - max A - log sum exp(A - max A)",
        ),
        "xent": TensorRule(
            "xent",
            _xent_vjp,
            ("dZ = dC (softmax(Z) - Y) / N",),
            "C = -1/N sum_n log softmax(Z_n)[y_n], softmax and cross-entropy in one node "
            "(CS224n 2.6: y_hat - y; Park Theorem 6.1: delta = o - y)",
        ),
        "bce": TensorRule(
            "bce",
            _bce_vjp,
            ("dA = dC (A - Y) / (A (1 - A)) / N",),
            "C = -1/N sum [Y ln A + (1 - Y) ln(1 - A)] (Bondartsov eq. (1); derivative eq. (5a))",
        ),
    }
)


# ---------------------------------------------------------------------------
# Tensor
# ---------------------------------------------------------------------------

_new = object.__new__


def _make(data: np.ndarray, prev: tuple, op: str, ctx: Any = None) -> Tensor:
    """A result node.  It records its parents only if one of them needs a gradient."""
    t = _new(Tensor)
    t.data = data
    t.grad = None
    t._op = op
    t.label = ""
    t._seq = next_seq()
    needs = False
    if MODE.grad:
        for p in prev:
            if p.requires_grad:
                needs = True
                break
    if needs:
        t._prev = prev
        t._ctx = ctx
        t.requires_grad = True
    else:
        t._prev = ()
        t._ctx = None
        t.requires_grad = False
    if MODE.anomaly:
        _check_finite_forward(op, data, prev)
    return t


def _const(x: Any, op: str) -> Tensor:
    """A number or array on one side of an operation, as a constant leaf."""
    if isinstance(x, Tensor):
        return x
    t = _new(Tensor)
    t.data = _as_array(x, f"'{op}' operand")
    t.grad = None
    t._prev = ()
    t._op = ""
    t._ctx = None
    t.label = ""
    t.requires_grad = False
    t._seq = next_seq()
    return t


def _is_basic_index(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (numbers.Integral, slice)) or i is None or i is Ellipsis for i in items)


class Tensor:
    """A node holding a float64 array: value, gradient, parents and the rule that made it.

    >>> W = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x = Tensor([1.0, -1.0])
    >>> (W @ x).sum().backward()
    >>> W.grad                        # dW = dZ x^T, an outer product
    array([[ 1., -1.],
           [ 1., -1.]])
    """

    __slots__ = ("data", "grad", "requires_grad", "_prev", "_op", "_ctx", "label", "_seq", "__weakref__")

    __array_ufunc__ = None  # ndarray + Tensor calls Tensor.__radd__, not numpy's loop

    def __init__(self, data: ArrayLike, requires_grad: bool = False, label: str = "") -> None:
        self.data: np.ndarray = _as_array(data)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._prev: tuple[Tensor, ...] = ()
        self._op = ""
        self._ctx: Any = None
        self.label = label
        self._seq = next_seq()

    # -- basic properties ------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed), a node of the graph."""
        return self.transpose()

    def numpy(self) -> np.ndarray:
        """The data array (not a copy, like ``torch.Tensor.numpy``)."""
        return self.data

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, cut off from the graph."""
        t = _const(self.data, "detach")
        t.data = self.data
        return t

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item: tensor of shape {self.data.shape} has {self.data.size} elements (expected exactly one)")
        return float(self.data.reshape(()))

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self._op:
            extra += f", op={self._op!r}"
        return f"Tensor({body}{extra})"

    __hash__ = object.__hash__  # identity (graphs keep nodes in sets); == is identity too

    @property
    def formulas(self) -> tuple[str, ...]:
        """The formula text of the backward rule on each incoming edge (from :data:`TENSOR_RULES`)."""
        rule = TENSOR_RULES.get(self._op)
        if rule is None:
            return ()
        texts = tuple(rule.formula(k) for k in range(len(self._prev)))
        if self._op == "**":
            k = self._ctx[0]
            texts = tuple(t.replace("k*a^(k-1)", f"{k:g}*a^{k - 1:g}") for t in texts)
        return texts

    # -- elementwise arithmetic (rules from rules.RULES) --------------------------------------

    def _binary(self, other: Any, op: str) -> Tensor:
        o = other if isinstance(other, Tensor) else _const(other, op)
        a, b = self.data, o.data
        if a.shape != b.shape:
            _broadcast_shape(op, a.shape, b.shape)
        return _make(RULES[op].array_forward(a, b), (self, o), op)

    def _rbinary(self, other: Any, op: str) -> Tensor:
        return _const(other, op)._binary(self, op)

    def __add__(self, other: ArrayLike) -> Tensor:
        return self._binary(other, "+")

    def __radd__(self, other: ArrayLike) -> Tensor:
        return self._rbinary(other, "+")

    def __sub__(self, other: ArrayLike) -> Tensor:
        return self._binary(other, "-")

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return self._rbinary(other, "-")

    def __mul__(self, other: ArrayLike) -> Tensor:
        return self._binary(other, "*")

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return self._rbinary(other, "*")

    def __truediv__(self, other: ArrayLike) -> Tensor:
        return self._binary(other, "/")

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return self._rbinary(other, "/")

    def __neg__(self) -> Tensor:
        return self._unary("neg")

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, other: ArrayLike) -> Tensor:
        """``x ** k`` for a constant number ``k`` (rule ``'**'``), ``x ** y`` for a tensor ``y`` (rule ``'pow'``)."""
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            k = float(other)
            return _make(RULES["**"].array_forward(self.data, k), (self,), "**", (k,))
        return self._binary(other, "pow")

    def __rpow__(self, other: ArrayLike) -> Tensor:
        return self._rbinary(other, "pow")

    def _unary(self, op: str) -> Tensor:
        return _make(RULES[op].array_forward(self.data), (self,), op)

    def exp(self) -> Tensor:
        """e^x elementwise (overflows to inf, which :func:`~micrograd_ext.graph.detect_anomaly` reports)."""
        return self._unary("exp")

    def log(self) -> Tensor:
        """Natural log elementwise; a non-positive element raises :class:`~micrograd_ext.rules.DomainError`."""
        return self._unary("log")

    def tanh(self) -> Tensor:
        """tanh elementwise; local derivative ``1 - out^2`` (the scalar rule)."""
        return self._unary("tanh")

    def sigmoid(self) -> Tensor:
        """1 / (1 + e^-x) elementwise, without overflow; local derivative ``out (1 - out)`` (Bondartsov eq. (5b))."""
        return self._unary("sigmoid")

    def relu(self, grad_at_zero: float = 0.0) -> Tensor:
        """max(0, x) elementwise.  ``relu'(0) = 0`` as in PyTorch; Park (2022) uses ``grad_at_zero=1``."""
        return _make(RULES["ReLU"].array_forward(self.data), (self,), "ReLU", (float(grad_at_zero),))

    def sqrt(self) -> Tensor:
        return self**0.5

    # -- matrix product ----------------------------------------------------------------------

    def __matmul__(self, other: ArrayLike) -> Tensor:
        o = other if isinstance(other, Tensor) else _const(other, "@")
        a, b = self.data, o.data
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"'@': shapes {a.shape} and {b.shape}: matmul needs at least one dimension on each side (use * for a number)")
        ka = a.shape[-1]
        kb = b.shape[-2] if b.ndim >= 2 else b.shape[0]
        if ka != kb:
            raise ValueError(
                f"'@': shapes {a.shape} and {b.shape} are not aligned: {ka} (last dimension of the left operand) "
                f"!= {kb} ({'first' if b.ndim < 2 else 'second-to-last'} dimension of the right operand)"
            )
        if a.ndim > 2 or b.ndim > 2:
            _broadcast_shape("@", a.shape[:-2], b.shape[:-2] if b.ndim >= 2 else ())
        return _make(a @ b, (self, o), "matmul")

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return _const(other, "@").__matmul__(self)

    # -- reductions --------------------------------------------------------------------------

    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes if None); ``dA = dZ`` broadcast back to ``A``'s shape."""
        axes = _norm_axes("sum", axis, self.data.ndim)
        return _make(np.asarray(self.data.sum(axis=axes, keepdims=keepdims)), (self,), "sum", (axes, keepdims))

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``; ``dA = dZ / n`` broadcast back."""
        axes = _norm_axes("mean", axis, self.data.ndim)
        if self.data.size == 0:
            raise ValueError(f"'mean': tensor of shape {self.data.shape} is empty (expected at least one element)")
        return _make(np.asarray(self.data.mean(axis=axes, keepdims=keepdims)), (self,), "mean", (axes, keepdims))

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``; the gradient goes to the maximal elements (ties share it equally)."""
        axes = _norm_axes("max", axis, self.data.ndim)
        if self.data.size == 0:
            raise ValueError(f"'max': tensor of shape {self.data.shape} is empty (expected at least one element)")
        return _make(np.asarray(self.data.max(axis=axes, keepdims=keepdims)), (self,), "max", (axes, keepdims))

    # -- shape -------------------------------------------------------------------------------

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """``reshape(2, 3)`` or ``reshape((2, 3))``; the gradient is reshaped back."""
        if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
            shape = tuple(shape[0])
        try:
            out = self.data.reshape(shape)
        except (ValueError, TypeError) as e:
            raise ValueError(f"'reshape': cannot reshape a tensor of shape {self.data.shape} into {tuple(shape)} ({e})") from None
        return _make(out, (self,), "reshape")

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Reverse the axes (no arguments) or permute them; the gradient is permuted back."""
        if len(axes) == 1 and not isinstance(axes[0], numbers.Integral):
            axes = tuple(axes[0])
        if not axes:
            return _make(self.data.T, (self,), "transpose", None)
        nd = self.data.ndim
        if sorted(a % nd if -nd <= a < nd else a for a in axes) != list(range(nd)):
            raise ValueError(f"'transpose': axes {axes} are not a permutation of the {nd} axes of a tensor of shape {self.data.shape}")
        perm = tuple(a % nd for a in axes)
        return _make(self.data.transpose(perm), (self,), "transpose", perm)

    def __getitem__(self, index: Any) -> Tensor:
        """Indexing and slicing as numpy; the gradient scatters back (repeated indices accumulate)."""
        if isinstance(index, Tensor):
            index = index.data.astype(np.intp)
        elif isinstance(index, tuple):
            index = tuple(i.data.astype(np.intp) if isinstance(i, Tensor) else i for i in index)
        try:
            out = self.data[index]
        except IndexError as e:
            raise IndexError(f"'getitem': index {index!r} is invalid for a tensor of shape {self.data.shape} ({e})") from None
        return _make(np.array(out, dtype=_f64), (self,), "getitem", (index, _is_basic_index(index)))

    # -- softmax ------------------------------------------------------------------------------

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum exp(x) along ``axis``, computed as exp(x - max x) / ...: no overflow at x = 1000."""
        (ax,) = _norm_axes("softmax", axis, self.data.ndim) or (None,)
        z = self.data - self.data.max(axis=ax, keepdims=True)
        e = np.exp(z)
        return _make(e / e.sum(axis=ax, keepdims=True), (self,), "softmax", ax)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - logsumexp(x) along ``axis``, stable (the max is subtracted before exp)."""
        (ax,) = _norm_axes("log_softmax", axis, self.data.ndim) or (None,)
        z = self.data - self.data.max(axis=ax, keepdims=True)
        return _make(z - np.log(np.exp(z).sum(axis=ax, keepdims=True)), (self,), "log_softmax", ax)

    # -- backward -----------------------------------------------------------------------------

    def backward(self, grad: ArrayLike | None = None) -> None:
        """Fill ``.grad`` of every tensor this one depends on with ``d self / d tensor``.

        ``grad`` is the upstream gradient, of this tensor's shape; it may be left out
        only for a one-element tensor (a loss).  Intermediate nodes get this pass's
        gradient; leaves accumulate (call ``zero_grad()`` between steps).
        """
        run_backward(self, self._seed(grad))

    def _seed(self, grad: ArrayLike | None = None) -> np.ndarray:
        """The upstream gradient of :meth:`backward`, checked against this tensor's shape."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require a gradient (it was computed only from tensors with "
                "requires_grad=False, or under no_grad()); create the parameters with requires_grad=True"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: tensor of shape {self.data.shape} is not a single number; pass its upstream gradient "
                    f"explicitly, backward(grad) with grad of shape {self.data.shape} (e.g. the gradient of a loss)"
                )
            seed = np.array(1.0) if self.data.ndim == 0 else np.ones(self.data.shape)
        else:
            seed = _as_array(grad, "backward(grad)")
            if seed.shape != self.data.shape:
                if seed.size == 1 and self.data.size == 1:
                    seed = seed.reshape(self.data.shape)
                else:
                    raise ValueError(f"backward: grad of shape {seed.shape} for a tensor of shape {self.data.shape} (expected the same shape)")
        return seed

    def _edges(self) -> tuple[Edge, ...]:
        rule = TENSOR_RULES.get(self._op)
        if rule is None or not self._prev:
            return ()
        fs = self.formulas
        local = _elementwise_locals(self) if rule.vjp is _elementwise_vjp else None

        def vjp_of(k: int) -> Any:
            return lambda upstream: rule.vjp(self, np.asarray(upstream, dtype=_f64))[k]

        return tuple(
            Edge(self, p, k, None if local is None else local[k], fs[k] if k < len(fs) else "", vjp_of(k))
            for k, p in enumerate(self._prev)
        )

    @staticmethod
    def _backprop_traced(order: list[Tensor], seed: np.ndarray, on_step: Any) -> None:
        """:meth:`_backprop`, reporting each step (:func:`~micrograd_ext.core.graph.trace_backward`)."""
        Tensor._backprop(order, seed, on_step)

    @staticmethod
    def _backprop(order: list[Tensor], seed: np.ndarray, on_step: Any = None) -> None:
        """Reverse-mode pass over ``order`` (parents before children, root last)."""
        for node in order:
            if node._prev:
                node.grad = None
        root = order[-1]
        root.grad = seed if root._prev or root.grad is None else root.grad + seed
        anomaly = MODE.anomaly
        rules = TENSOR_RULES
        for node in reversed(order):
            g = node.grad
            if g is None or not node._prev:
                continue
            grads = rules[node._op].vjp(node, g)
            for k, (p, pg) in enumerate(zip(node._prev, grads)):
                if pg is None:
                    continue
                if anomaly and not np.isfinite(pg).all():
                    raise AnomalyError(
                        f"backward: '{node._op}' (inputs of shapes ({_shapes(node)}), output {node.data.shape}) "
                        f"gave a non-finite gradient to its input of shape {p.data.shape}{' ' + p.label if p.label else ''}"
                    )
                if p.grad is None:
                    if not p._prev and (pg is g or pg.base is not None or type(pg) is not _ndarray):
                        pg = np.array(pg, dtype=_f64)  # a leaf owns its .grad (never a view of another array)
                    p.grad = pg
                else:
                    p.grad = p.grad + pg
                if on_step is not None:
                    fs = node.formulas
                    on_step(node, k, p, None, fs[k] if k < len(fs) else "", g, pg)


# ---------------------------------------------------------------------------
# Fused nodes: one node per formula, as the documents draw them
# ---------------------------------------------------------------------------


def linear(x: ArrayLike, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``Y = X W^T + b`` as one node (rows of ``X`` are samples; ``W`` is ``(nout, nin)``).

    Backward (Rosenberg, section 1, minibatch): ``dX = dY W``, ``dW = dY^T X``,
    ``db = dY^T 1``.  ``X`` may be one sample (a vector): ``y = W x + b``.
    """
    xt = x if isinstance(x, Tensor) else _const(x, "linear")
    w = weight.data
    xd = xt.data
    if xd.ndim == 0 or xd.shape[-1] != w.shape[1]:
        raise ValueError(f"'linear': input of shape {xd.shape} and weight of shape {w.shape} (expected input (..., {w.shape[1]}))")
    y = xd @ w.T
    if bias is None:
        return _make(y, (xt, weight), "linear")
    if bias.data.shape != (w.shape[0],):
        raise ValueError(f"'linear': bias of shape {bias.data.shape} for weight of shape {w.shape} (expected ({w.shape[0]},))")
    y += bias.data
    return _make(y, (xt, weight, bias), "linear")


def cross_entropy(logits: Tensor, target: ArrayLike, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy from logits as one node (like ``torch.nn.functional.cross_entropy``).

    ``logits`` is ``(N, C)`` (or ``(C,)`` for one sample); ``target`` holds class
    indices ``(N,)`` or one-hot / probability rows ``(N, C)``.  ``reduction`` is
    ``'mean'`` (over samples, ``N``) or ``'sum'``.  Forward uses ``logsumexp`` with
    the max subtracted (no overflow); backward is ``dZ = (softmax(Z) - Y) / N``
    (CS224n 2.6, Park Theorem 6.1).
    """
    z_t = logits if isinstance(logits, Tensor) else _const(logits, "cross_entropy")
    z = z_t.data
    if z.ndim not in (1, 2):
        raise ValueError(f"'cross_entropy': logits of shape {z.shape} (expected (N, C) or (C,))")
    if reduction not in ("mean", "sum"):
        raise ValueError(f"'cross_entropy': reduction {reduction!r} (expected 'mean' or 'sum')")
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    C = z.shape[-1]
    onehot = t.shape == z.shape
    if not onehot:
        if t.shape != z.shape[:-1]:
            raise ValueError(f"'cross_entropy': target of shape {t.shape} for logits of shape {z.shape} (expected class indices of shape {z.shape[:-1]} or one-hot rows of shape {z.shape})")
        if t.dtype.kind not in "iub" and not (t.dtype.kind == "f" and np.all(t == np.round(t))):
            raise TypeError(f"'cross_entropy': target of dtype {t.dtype} (expected integer class indices, or one-hot rows of shape {z.shape})")
        t = t.astype(np.intp, copy=False)
        # One reduction checks both ends: a negative index is huge when read as unsigned.
        if t.size and t.reshape(-1).view(np.uintp).max() >= C:
            bad = t[(t < 0) | (t >= C)].flat[0]
            raise IndexError(f"'cross_entropy': class index {int(bad)} (expected 0 <= target < {C})")
    if z.ndim == 1:  # one sample: a batch of one
        z = z[None, :]
        t = t[None, :] if onehot else t.reshape(1)
    n = z.shape[0]
    shifted, e, s = _shifted_exp_rows(z)
    if onehot:
        t = t.astype(_f64, copy=False)
        ones = _ones(C)
        per = np.log(s) * (t @ ones) - (t * shifted) @ ones
        flat = None
    else:
        flat = _arange(n) * C + t  # position of z[n, t_n] in the flattened array
        per = np.log(s) - shifted.ravel()[flat]
    scale = 1.0 / n if reduction == "mean" else 1.0
    return _make(np.asarray(per.sum() * scale), (z_t,), "xent", (e, s, t, flat, scale, onehot))


def bce(pred: Tensor, target: ArrayLike, scale: float) -> Tensor:
    """``C = -scale * sum [Y ln A + (1 - Y) ln(1 - A)]`` as one node (Bondartsov eq. (1), derivative eq. (5a)).

    Each log term is floored at -100 and the backward divides by
    ``max(A (1 - A), 1e-12)``, as PyTorch's ``BCELoss`` (a saturated sigmoid gives a
    large finite loss, not inf).  ``A`` must lie in [0, 1].
    """
    a = pred.data
    y = target.data if isinstance(target, Tensor) else _as_array(target, "'bce' target")
    if y.shape != a.shape:
        try:
            y = np.broadcast_to(y, a.shape)
        except ValueError:
            raise ValueError(f"'bce': target of shape {y.shape} for predictions of shape {a.shape} (expected the same shape)") from None
    if not ((a >= 0.0) & (a <= 1.0)).all():
        raise DomainError(f"'bce': predictions outside [0, 1] (e.g. {a[~((a >= 0) & (a <= 1))].flat[0]!r}); expected probabilities, e.g. sigmoid outputs")
    with np.errstate(divide="ignore"):
        la = np.maximum(np.log(a), BCE_LOG_FLOOR)
        l1a = np.maximum(np.log(1.0 - a), BCE_LOG_FLOOR)
    c = -scale * float((y * la + (1.0 - y) * l1a).sum())
    return _make(np.asarray(c), (pred,), "bce", (y, scale))
