"""The Tensor half of the engine: the same graph as :class:`~micrograd_ext.engine.Value`, over numpy arrays.

A :class:`Tensor` is a node holding a float64 ``ndarray``.  It is recorded in the
same kind of graph as a ``Value`` (parents in ``_prev``, a creation number
``_seq`` from :func:`micrograd_ext.graph.next_seq`, a rule name ``_op``) and run
backward by the same driver (:func:`micrograd_ext.core.graph.run_backward`): the graph
is ordered once, iteratively, and :meth:`Tensor._backprop` walks it from the
output back, asking each node's op for the gradients of its inputs.

Where the scalar engine multiplies a number by a local derivative, a tensor node
applies a *vector-Jacobian product* (VJP): given ``dZ = d root / d Z`` (an array of
``Z``'s shape), its op returns ``dA = d root / d A`` for each input ``A``.

*Elementwise* operations (``+ - * / ** exp log tanh sigmoid relu sin ...``) are the
entries of :data:`micrograd_ext.core.ops.OPS`, the same ones ``Value`` uses, compiled
for numpy arrays: each derivative is written once for both engines.  Their VJP is
``dA = dZ * local`` followed by *unbroadcasting*: an operand that numpy broadcast
gets the gradient summed back to its own shape.  The *structural* operations (matrix
product, reductions, reshape/transpose, indexing, softmax, the fused linear and loss
nodes) are the entries of :data:`micrograd_ext.core.tensor_ops.TENSOR_OPS`, each with
its VJP in the documents' matrix form, e.g. for ``Z = A B``: ``dA = dZ B^T``,
``dB = A^T dZ`` (Rosenberg, "Some Neural Network Derivative Calculations", section 1).

Semantics shared with ``Value`` (and PyTorch): ``.grad`` is ``None`` before
backward; intermediate nodes get this pass's gradient, leaves accumulate.  Only
nodes that need a gradient do any work: an operation whose inputs all have
``requires_grad=False`` (a data matrix) records no parents, and no VJP computes a
gradient for such an input.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from . import ops as _ops
from .graph import MODE, AnomalyError, Edge, evaluating_rule, next_seq, run_backward, topological_order
from .ops import BCE_LOG_FLOOR, OPS, DomainError, Op, OpText
from .tensor_ops import (
    ARRAY_P,
    TENSOR_OPS,
    TENSOR_RULES,
    TensorOp,
    is_basic_index,
    ones,
    scatter_add_array,
    unbroadcast,
)

__all__ = [
    "Tensor",
    "TENSOR_OPS",
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


_unbroadcast = unbroadcast
_ones = ones


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


def _shapes(node: Tensor) -> str:
    return ", ".join(str(p.data.shape) for p in node._prev)


def _check_finite_forward(op: str, out: np.ndarray, prev: tuple) -> None:
    if not np.isfinite(out).all():
        bad = "nan" if np.isnan(out).any() else "inf"
        shapes = ", ".join(str(p.data.shape) for p in prev)
        raise AnomalyError(f"forward: '{op}' produced {bad} (output shape {out.shape}) from inputs of shapes ({shapes})")


# ---------------------------------------------------------------------------
# Tensor
# ---------------------------------------------------------------------------

_new = object.__new__


def _make(data: np.ndarray, prev: tuple, op: OpText, ctx: Any = None) -> Tensor:
    """A result node.  It records its parents only if one of them needs a gradient.

    ``op`` is the op's text (``OPS[...]`` or ``TENSOR_OPS[...]`` ``.plain``, or bound with
    parameters); ``ctx`` what the backward rule needs from the forward pass.
    """
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


_is_basic_index = is_basic_index


class Tensor:
    """A node holding a float64 array: value, gradient, parents and the rule that made it.

    >>> W = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x = Tensor([1.0, -1.0])
    >>> (W @ x).sum().backward()
    >>> W.grad                        # dW = dZ x^T, an outer product
    array([[ 1., -1.],
           [ 1., -1.]])
    """

    __slots__ = ("data", "grad", "requires_grad", "_prev", "_op", "_ctx", "label", "_seq", "__weakref__", "__dict__")

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
        """The formula text of the backward rule on each incoming edge (from the op tables)."""
        op = getattr(self._op, "op", None)
        if op is None or not self._prev:
            return ()
        if isinstance(op, Op):
            return tuple(f"d{'ab'[k]} = dout * ({f})" for k, f in enumerate(op.formulas(self._op.params)))
        return tuple(op.formula(k) for k in range(len(self._prev)))

    def __bool__(self) -> bool:
        """``bool(t)`` of a one-element tensor is its value's truth, as in numpy and PyTorch; more elements: an error."""
        if self.data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor of shape {self.data.shape} with {self.data.size} elements "
                             "is ambiguous (expected one element; use (t != 0).any() or .all() on .data)")
        return bool(self.data.reshape(()))

    # -- elementwise operations: the entries of ops.OPS on arrays ------------------------------

    def _elementwise(self, op: Op, others: tuple = (), params: dict[str, Any] | None = None) -> Tensor:
        text = op.bind(**params) if params else (op.plain or op.bind())
        ins = [self] + [o if isinstance(o, Tensor) else _const(o, op.name) for o in others]
        arrays = [t.data for t in ins]
        if len(arrays) == 2 and arrays[0].shape != arrays[1].shape:
            _broadcast_shape(op.name, arrays[0].shape, arrays[1].shape)
        fwd, _, chk = op.compiled("array")
        pv = text.params.values()
        if chk is not None:
            chk(*arrays, *pv)
        with np.errstate(over="ignore", under="ignore"):
            out = fwd(*arrays, *pv)
        return _make(np.asarray(out, dtype=_f64), tuple(ins), text)

    @classmethod
    def _apply_op(cls, op: Any, inputs: Sequence[Any], params: dict[str, Any]) -> Tensor:
        """Apply an elementwise op of :data:`~micrograd_ext.core.ops.OPS` to Tensors (and numbers/arrays)."""
        if not isinstance(op, Op):
            raise TypeError(f"'{op.name}': this op works on lists of Values only (Value.nary), not on Tensors")
        first = inputs[0] if isinstance(inputs[0], Tensor) else _const(inputs[0], op.name)
        return first._elementwise(op, tuple(inputs[1:]), params)

    def _binary(self, other: Any, op: str) -> Tensor:
        return self._elementwise(OPS[op], (other,))

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
        """``x ** k`` for a constant number ``k`` (op ``'**'``), ``x ** y`` for a tensor ``y`` (op ``'pow'``)."""
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return self._elementwise(OPS["**"], (), {"k": other})
        return self._binary(other, "pow")

    def __rpow__(self, other: ArrayLike) -> Tensor:
        return self._rbinary(other, "pow")

    def _unary(self, op: str) -> Tensor:
        return self._elementwise(OPS[op])

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
        return self._elementwise(OPS["ReLU"], (), {"grad_at_zero": grad_at_zero})

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
        return _make(a @ b, (self, o), TENSOR_OPS["matmul"].plain)

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return _const(other, "@").__matmul__(self)

    # -- reductions --------------------------------------------------------------------------

    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes if None); ``dA = dZ`` broadcast back to ``A``'s shape."""
        axes = _norm_axes("sum", axis, self.data.ndim)
        return _make(np.asarray(self.data.sum(axis=axes, keepdims=keepdims)), (self,), TENSOR_OPS["sum"].plain, (axes, keepdims))

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``; ``dA = dZ / n`` broadcast back."""
        axes = _norm_axes("mean", axis, self.data.ndim)
        if self.data.size == 0:
            raise ValueError(f"'mean': tensor of shape {self.data.shape} is empty (expected at least one element)")
        return _make(np.asarray(self.data.mean(axis=axes, keepdims=keepdims)), (self,), TENSOR_OPS["mean"].plain, (axes, keepdims))

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``; the gradient goes to the maximal elements (ties share it equally)."""
        axes = _norm_axes("max", axis, self.data.ndim)
        if self.data.size == 0:
            raise ValueError(f"'max': tensor of shape {self.data.shape} is empty (expected at least one element)")
        return _make(np.asarray(self.data.max(axis=axes, keepdims=keepdims)), (self,), TENSOR_OPS["max"].plain, (axes, keepdims))

    # -- shape -------------------------------------------------------------------------------

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """``reshape(2, 3)`` or ``reshape((2, 3))``; the gradient is reshaped back."""
        if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
            shape = tuple(shape[0])
        try:
            out = self.data.reshape(shape)
        except (ValueError, TypeError) as e:
            raise ValueError(f"'reshape': cannot reshape a tensor of shape {self.data.shape} into {tuple(shape)} ({e})") from None
        return _make(out, (self,), TENSOR_OPS["reshape"].plain)

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Reverse the axes (no arguments) or permute them; the gradient is permuted back."""
        if len(axes) == 1 and not isinstance(axes[0], numbers.Integral):
            axes = tuple(axes[0])
        if not axes:
            return _make(self.data.T, (self,), TENSOR_OPS["transpose"].plain, None)
        nd = self.data.ndim
        if sorted(a % nd if -nd <= a < nd else a for a in axes) != list(range(nd)):
            raise ValueError(f"'transpose': axes {axes} are not a permutation of the {nd} axes of a tensor of shape {self.data.shape}")
        perm = tuple(a % nd for a in axes)
        return _make(self.data.transpose(perm), (self,), TENSOR_OPS["transpose"].plain, perm)

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
        return _make(np.array(out, dtype=_f64), (self,), TENSOR_OPS["getitem"].plain, (index, _is_basic_index(index)))

    # -- softmax ------------------------------------------------------------------------------

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum exp(x) along ``axis``, computed as exp(x - max x) / ...: no overflow at x = 1000."""
        (ax,) = _norm_axes("softmax", axis, self.data.ndim) or (None,)
        z = self.data - self.data.max(axis=ax, keepdims=True)
        e = np.exp(z)
        return _make(e / e.sum(axis=ax, keepdims=True), (self,), TENSOR_OPS["softmax"].plain, ax)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - logsumexp(x) along ``axis``, stable (the max is subtracted before exp)."""
        (ax,) = _norm_axes("log_softmax", axis, self.data.ndim) or (None,)
        z = self.data - self.data.max(axis=ax, keepdims=True)
        return _make(z - np.log(np.exp(z).sum(axis=ax, keepdims=True)), (self,), TENSOR_OPS["log_softmax"].plain, ax)

    # -- backward -----------------------------------------------------------------------------

    def backward(self, grad: ArrayLike | None = None, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every tensor this one depends on with ``d self / d tensor``.

        ``grad`` is the upstream gradient, of this tensor's shape; it may be left out
        only for a one-element tensor (a loss).  Intermediate nodes get this pass's
        gradient; leaves accumulate (call ``zero_grad()`` between steps).

        ``create_graph=True``: every ``.grad`` becomes a ``Tensor``, a node of a new graph
        (the VJPs written with Tensor operations), which can be differentiated again.
        """
        seed = self._seed(grad)
        if create_graph:
            from .autodiff import vjp_pass

            grads, nodes = vjp_pass([self], [Tensor(seed)], create_graph=True)
            for key, g in grads.items():
                node = nodes[key]
                if not isinstance(g, Tensor):
                    g = Tensor(g)
                if not node._prev and node.grad is not None:
                    node.grad = node.grad + g  # a leaf accumulates
                else:
                    node.grad = g
            return
        run_backward(self, seed)

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
        op = getattr(self._op, "op", None)
        if op is None or not self._prev:
            return ()
        fs = self.formulas
        local = elementwise_locals(self) if isinstance(op, Op) else None

        def vjp_of(k: int) -> Any:
            return lambda upstream: node_vjp(self, np.asarray(upstream, dtype=_f64), force=k)[k]

        return tuple(
            Edge(self, p, k, None if local is None else local[k], fs[k] if k < len(fs) else "",
                 op.names(k, self, self._prev), vjp_of(k))
            for k, p in enumerate(self._prev)
        )

    def _backward_pass(self, seed: np.ndarray, on_step: Any = None) -> None:
        """Order the graph once (iteratively, :func:`~micrograd_ext.core.graph.topological_order`), then :meth:`_backprop`."""
        Tensor._backprop(topological_order(self), seed, on_step)

    @staticmethod
    def _backprop(order: list[Tensor], seed: np.ndarray, on_step: Any = None) -> None:
        """Reverse-mode pass over ``order`` (parents before children, root last).

        For each node from the root back, its op gives one gradient per parent (the
        VJP); a parent that needs none gets ``None`` and costs nothing.  The first
        gradient a node receives is stored as is, later ones are added.
        """
        for node in order:
            if node._prev:
                node.grad = None
        root = order[-1]
        root.grad = seed if root._prev or root.grad is None else root.grad + seed
        anomaly = MODE.anomaly
        for node in reversed(order):
            g = node.grad
            if g is None or not node._prev:
                continue
            grads = node_vjp(node, g)
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
                    local = elementwise_locals(node)[k] if isinstance(node._op.op, Op) else None
                    on_step(node, k, p, local, fs[k] if k < len(fs) else "", g, pg)


def node_vjp_graph(node: Tensor, g: Tensor) -> tuple:
    """:func:`node_vjp` on graph nodes: the gradients as Tensors, built with Tensor operations
    (``backward(create_graph=True)``); elementwise local derivatives from the op table's
    expressions evaluated on the nodes, structural VJPs from their rules with :data:`TENSOR_P`."""
    op = node._op.op
    prev = node._prev
    needs = tuple(p.requires_grad for p in prev)
    with evaluating_rule(op.name):
        if isinstance(op, TensorOp):
            return op.vjp_graph(TENSOR_P, prev, node, g, node._ctx, needs)
        _, loc, _ = op.compiled("tensor")
        local = loc(*prev, *node._op.params.values(), node)
    grads = []
    for p, d, need in zip(prev, local, needs):
        if not need:
            grads.append(None)
        elif isinstance(d, float) and d == 1.0:
            grads.append(_sum_to(g, p.data.shape))
        elif isinstance(d, float) and d == -1.0:
            grads.append(_sum_to(-g, p.data.shape))
        else:
            grads.append(_sum_to(g * d, p.data.shape))
    return tuple(grads)


def elementwise_locals(node: Tensor) -> tuple:
    """The local derivative of each input of an elementwise node, from its entry of :data:`~micrograd_ext.core.ops.OPS`."""
    text = node._op
    _, loc, _ = text.op.compiled("array")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf/nan where the math says so;
        return loc(*[p.data for p in node._prev], *text.params.values(), node.data)  # detect_anomaly() reports them


def node_vjp(node: Tensor, g: np.ndarray, force: int | None = None) -> tuple:
    """The gradients a node passes to its parents, given ``g = d root / d node`` (numpy).

    Elementwise ops: ``dA = dZ * local``, unbroadcast to ``A``'s shape; a constant local
    derivative of 1 (``+``) passes ``dZ`` through, -1 negates it.  Structural ops: their
    VJP from :data:`~micrograd_ext.core.tensor_ops.TENSOR_OPS`.  ``force`` computes the
    gradient of that parent even if it does not need one (for :func:`~micrograd_ext.core.graph.edges`).
    """
    op = node._op.op
    prev = node._prev
    needs = tuple(p.requires_grad or k == force for k, p in enumerate(prev))
    if isinstance(op, TensorOp):
        return op.vjp(ARRAY_P, [p.data for p in prev], node.data, g, node._ctx, needs)
    grads = []
    for p, d, need in zip(prev, elementwise_locals(node), needs):
        if not need:
            grads.append(None)
            continue
        if type(d) is float:  # a constant local derivative (1.0 for '+', -1.0 for '-')
            pg = g if d == 1.0 else (-g if d == -1.0 else g * d)
        else:
            pg = g * d
        grads.append(_unbroadcast(pg, p.data.shape))
    return tuple(grads)


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
        return _make(y, (xt, weight), TENSOR_OPS["linear"].plain)
    if bias.data.shape != (w.shape[0],):
        raise ValueError(f"'linear': bias of shape {bias.data.shape} for weight of shape {w.shape} (expected ({w.shape[0]},))")
    y += bias.data
    return _make(y, (xt, weight, bias), TENSOR_OPS["linear"].plain)


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
    return _make(np.asarray(per.sum() * scale), (z_t,), TENSOR_OPS["cross_entropy"].plain,
                 (e, s, t, flat, scale, onehot, z_t.data.shape))


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
    return _make(np.asarray(c), (pred,), TENSOR_OPS["bce_loss"].plain, (y, scale))


def _on_define(op: Any, method: bool | str) -> None:
    """``t.name()`` for an op defined with ``method=True`` (the op table's ``sin``, ``cos``, a user's op)."""
    _ops.install_method(Tensor, op, method)


_ops._ON_DEFINE.append(_on_define)
for _op in list(OPS.values()):
    _on_define(_op, getattr(_op, "method", False))


# ---------------------------------------------------------------------------
# The structural ops that the gradient graphs need, and the ``tensor`` backend
# ---------------------------------------------------------------------------


def _broadcast_to(x: Tensor, shape: tuple) -> Tensor:
    """``x`` broadcast to ``shape``, a node (its VJP sums back to ``x``'s shape)."""
    shape = tuple(shape)
    if x.data.shape == shape:
        return x
    return _make(np.broadcast_to(x.data, shape), (x,), TENSOR_OPS["broadcast_to"].plain)


def _sum_to(x: Tensor, shape: tuple) -> Tensor:
    """``x`` summed down to ``shape`` (undoes broadcasting), a node."""
    shape = tuple(shape)
    if x.data.shape == shape:
        return x
    return _make(np.asarray(unbroadcast(x.data, shape)), (x,), TENSOR_OPS["sum_to"].plain)


def _scatter_add(shape: tuple, index: Any, g: Tensor, basic: bool) -> Tensor:
    """``zeros(shape); out[index] += g``, a node (the adjoint of indexing; its VJP is ``dZ[index]``)."""
    return _make(scatter_add_array(tuple(shape), index, g.data, basic), (g,), TENSOR_OPS["scatter_add"].plain,
                 (tuple(shape), index, basic))


def _expand_dims(x: Tensor, axes: Any) -> Tensor:
    return x.reshape(np.expand_dims(np.empty(x.data.shape, dtype=bool), axes).shape)


def _swapaxes(x: Tensor, i: int, j: int) -> Tensor:
    perm = list(range(x.data.ndim))
    perm[i], perm[j] = perm[j], perm[i]
    return x.transpose(perm)


def _transpose(x: Tensor, axes: Any = None) -> Tensor:
    return x.transpose() if axes is None else x.transpose(axes)


def _outer(a: Tensor, b: Tensor) -> Tensor:
    return a.reshape(-1, 1) * b.reshape(1, -1)


class _TensorBackend:
    """:data:`TENSOR_P`: what the structural VJPs call, as Tensor operations (for ``create_graph=True``)."""

    is_array = False
    broadcast_to = staticmethod(_broadcast_to)
    sum_to = staticmethod(_sum_to)
    reshape = staticmethod(lambda x, shape: x.reshape(shape))
    expand_dims = staticmethod(_expand_dims)
    swapaxes = staticmethod(_swapaxes)
    transpose = staticmethod(_transpose)
    scatter_add = staticmethod(_scatter_add)
    exp = staticmethod(lambda x: x.exp())
    outer = staticmethod(_outer)
    softmax = staticmethod(lambda x, axis=-1: x.softmax(axis))


TENSOR_P = _TensorBackend()


def _tensor_apply(op: Op, inputs: Sequence[Any], params: dict[str, Any]) -> Any:
    if not any(isinstance(x, Tensor) for x in inputs):  # constants only: a number or an array
        return op(*inputs, **params)
    return Tensor._apply_op(op, inputs, params)


_ops.register_backend("tensor", {name: _ops.node_function(op, _tensor_apply) for name, op in OPS.items() if isinstance(op, Op)})


def _on_define_node(op: Any, method: bool | str) -> None:
    if isinstance(op, Op):
        _ops.BACKENDS["tensor"][op.name] = _ops.node_function(op, _tensor_apply)
        op._compiled.pop("tensor", None)


_ops._ON_DEFINE.append(_on_define_node)
