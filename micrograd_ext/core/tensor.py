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
backward; intermediate nodes get this pass's gradient, leaves accumulate.  A Tensor's
``.grad`` is a :class:`GradArray` (a float64 ndarray with ``zero_()``, ``.data``, ``numpy()``).
PyTorch's habits (``dim=``/``keepdim=``, ``max(dim)`` with indices, masks, ``view``/``permute``/
``cat``/``stack``, the factories, in-place updates under ``no_grad()`` with PyTorch's rules)
are in the last section of the class and of this module.  Only
nodes that need a gradient do any work: an operation whose inputs all have
``requires_grad=False`` (a data matrix) records no parents, and no VJP computes a
gradient for such an input.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Union

import numpy as np

from . import ops as _ops
from .graph import MODE, AnomalyError, Edge, evaluating_rule, next_seq, run_backward, topological_order
from .ops import BCE_LOG_FLOOR, OPS, DomainError, Op, OpText
from .tensor_ops import (
    ARRAY_P,
    TENSOR_OPS,
    TENSOR_RULES,
    TensorOp,
    gather_index,
    is_basic_index,
    ones,
    scatter_add_array,
    unbroadcast,
)

__all__ = [
    "Tensor",
    "GradArray",
    "ElementCount",
    "ValuesIndices",
    "zeros",
    "ones",
    "full",
    "eye",
    "arange",
    "linspace",
    "zeros_like",
    "ones_like",
    "full_like",
    "cat",
    "stack",
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


#: The dtypes a Tensor that can have a gradient holds: float64 (the default) and float32.
FLOATS = (np.dtype(np.float64), np.dtype(np.float32))


def float_dtype(dtype: Any, where: str = "Tensor") -> np.dtype:
    """``dtype`` as one of :data:`FLOATS` (``None``: float64); a TypeError naming ``where`` otherwise."""
    if dtype is None:
        return FLOATS[0]
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{where}: dtype {dtype!r} (expected numpy.float64, the default, or numpy.float32)") from None
    if dt not in FLOATS:
        raise TypeError(f"{where}: dtype {dt} (expected float64, the default, or float32)")
    return dt


def _as_array(data: Any, where: str = "Tensor", dtype: Any = None) -> np.ndarray:
    """A copy of numeric ``data`` as ``dtype``; TypeError naming the type otherwise.

    ``dtype=None``: float64, except that float32 data (a float32 array or Tensor) stays float32,
    as ``torch.tensor`` keeps a numpy array's dtype.
    """
    if dtype is None and getattr(getattr(data, "dtype", None), "type", None) is np.float32:
        dtype = np.float32
    dt = float_dtype(dtype, where)
    if isinstance(data, Tensor):
        return data.data.astype(dt)
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
    return arr if arr.dtype == dt else arr.astype(dt)  # np.array made a copy already


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
    ones = _ones(z.shape[1], z.dtype)
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
    t._grad = None
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


def _const(x: Any, op: str, dtype: Any = None) -> Tensor:
    """A number or array on one side of an operation, as a constant leaf of ``dtype`` (the other
    operand's: a constant never promotes a float32 computation to float64)."""
    if isinstance(x, Tensor):
        return x
    t = _new(Tensor)
    t.data = _as_array(x, f"'{op}' operand", dtype)
    t._grad = None
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
    >>> W.grad                        # dW = dZ x^T, an outer product (a GradArray: an ndarray with zero_())
    GradArray([[ 1., -1.],
               [ 1., -1.]])
    """

    __slots__ = ("data", "_grad", "requires_grad", "_prev", "_op", "_ctx", "label", "_seq", "__weakref__", "__dict__")

    __array_ufunc__ = None  # ndarray + Tensor calls Tensor.__radd__, not numpy's loop

    def __init__(self, data: ArrayLike, requires_grad: bool = False, label: str = "", dtype: Any = None) -> None:
        self.data: np.ndarray = _as_array(data, dtype=dtype)
        self._grad: np.ndarray | None = None
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
    def size(self) -> ElementCount:
        """numpy's ``t.size`` (the number of elements, an int) that is also PyTorch's ``t.size()`` (the shape)
        and ``t.size(d)`` (the length of dimension ``d``): see :class:`ElementCount`."""
        return ElementCount(self.data.size, self.data.shape)

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
        t._shares = self  # an in-place update of either is an update of both (one buffer)
        return t

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item: tensor of shape {self.data.shape} has {self.data.size} elements (expected exactly one)")
        if self.data.dtype not in FLOATS:  # an index (int) or a mask (bool): its own Python type, as PyTorch
            return self.data.reshape(()).item()
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
        """An op of the table on arrays: its domain check, its forward (numpy), a new node."""
        text = op.bind(**params) if params else (op.plain or op.bind())
        dt = self.data.dtype if self.data.dtype in FLOATS else None
        ins = (self,) + tuple(o if o.__class__ is Tensor else _const(o, op.name, dt) for o in others)
        arrays = [t.data for t in ins]
        fwd, _, chk = op.compiled("array")
        pv = text.params.values()
        if chk is not None:
            chk(*arrays, *pv)
        try:
            if op.forward_warns:
                with np.errstate(over="ignore", under="ignore"):
                    out = fwd(*arrays, *pv)
            else:
                out = fwd(*arrays, *pv)
        except ValueError:
            if len(arrays) == 2:  # shapes that do not broadcast: say so, naming the op and both shapes
                _broadcast_shape(op.name, arrays[0].shape, arrays[1].shape)
            raise
        if out.__class__ is not _ndarray:
            out = np.asarray(out)
        if out.dtype not in FLOATS:  # a mask (step of a float tensor) or an int input: a float of the input's dtype
            out = out.astype(dt or _f64)
        return _make(out, ins, text)

    @classmethod
    def _apply_op(cls, op: Any, inputs: Sequence[Any], params: dict[str, Any]) -> Tensor:
        """Apply an elementwise op of :data:`~micrograd_ext.core.ops.OPS` to Tensors (and numbers/arrays)."""
        if not isinstance(op, Op):
            raise TypeError(f"'{op.name}': this op works on lists of Values only (Value.nary), not on Tensors")
        like = next((x.data.dtype for x in inputs if isinstance(x, Tensor) and x.data.dtype in FLOATS), None)
        first = inputs[0] if isinstance(inputs[0], Tensor) else _const(inputs[0], op.name, like)
        return first._elementwise(op, tuple(inputs[1:]), params)

    def _binary(self, other: Any, op: str) -> Tensor:
        return self._elementwise(OPS[op], (other,))

    def _rbinary(self, other: Any, op: str) -> Tensor:
        return _const(other, op, self.data.dtype if self.data.dtype in FLOATS else None)._binary(self, op)

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
        o = other if isinstance(other, Tensor) else _const(other, "@", self.data.dtype if self.data.dtype in FLOATS else None)
        a, b = self.data, o.data
        if a.dtype != b.dtype:
            _same_float("@", a, b)
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
        return _const(other, "@", self.data.dtype if self.data.dtype in FLOATS else None).__matmul__(self)

    # -- reductions --------------------------------------------------------------------------

    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False, *,
            dim: int | Sequence[int] | None = None, keepdim: bool | None = None) -> Tensor:
        """Sum over ``axis`` (all axes if None); ``dA = dZ`` broadcast back to ``A``'s shape.

        ``dim``/``keepdim`` are PyTorch's names for numpy's ``axis``/``keepdims``."""
        axis, keepdims = _axis_arg("sum", axis, dim), _keep_arg(keepdims, keepdim)
        axes = _norm_axes("sum", axis, self.data.ndim)
        return _make(np.asarray(self.data.sum(axis=axes, keepdims=keepdims)), (self,), TENSOR_OPS["sum"].plain, (axes, keepdims))

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False, *,
             dim: int | Sequence[int] | None = None, keepdim: bool | None = None) -> Tensor:
        """Mean over ``axis`` (or PyTorch's ``dim``); ``dA = dZ / n`` broadcast back."""
        axis, keepdims = _axis_arg("mean", axis, dim), _keep_arg(keepdims, keepdim)
        axes = _norm_axes("mean", axis, self.data.ndim)
        if self.data.size == 0:
            raise ValueError(f"'mean': tensor of shape {self.data.shape} is empty (expected at least one element)")
        return _make(np.asarray(self.data.mean(axis=axes, keepdims=keepdims)), (self,), TENSOR_OPS["mean"].plain, (axes, keepdims))

    def max(self, dim: int | None = None, keepdim: bool = False, *, axis: int | Sequence[int] | None = None,
            keepdims: bool | None = None) -> Tensor | ValuesIndices:
        """The maximum, in numpy's spelling or in PyTorch's.

        * ``t.max()``: the largest element; ties share the gradient equally (as ``torch.max()``);
        * ``t.max(dim)`` / ``t.max(dim=1, keepdim=...)`` (PyTorch): ``(values, indices)`` along ``dim``, the
          first maximum of each slice, and the whole gradient goes to the returned index (``torch.max(dim)``);
        * ``t.max(axis=..., keepdims=...)`` (numpy): the values only, ties share the gradient (= :meth:`amax`).
        """
        return self._max_or_min("max", dim, keepdim, axis, keepdims)

    def _max_or_min(self, name: str, dim: int | None, keepdim: bool, axis: int | Sequence[int] | None,
                    keepdims: bool | None) -> Tensor | ValuesIndices:
        """:meth:`max` / :meth:`min`: PyTorch's ``dim`` form (values, indices) or numpy's ``axis`` form (values)."""
        if axis is not None or keepdims is not None:
            if dim is not None:
                raise TypeError(f"'{name}': got dim={dim!r} and axis={axis!r} (expected one: dim= returns (values, indices) "
                                "as PyTorch, axis= returns the values as numpy)")
            return self._extreme(name, axis, bool(keepdims))
        if dim is None:
            if keepdim:
                raise TypeError(f"'{name}': keepdim=True without dim (expected {name}(dim, keepdim=True), or a{name}(keepdim=True))")
            return self._extreme(name, None, False)
        return self._pick(name, dim, keepdim)

    def _extreme(self, name: str, axis: int | Sequence[int] | None, keepdims: bool) -> Tensor:
        """The ``max``/``min`` reduction over ``axis`` (a tie shares the gradient equally)."""
        axes = _norm_axes(name, axis, self.data.ndim)
        if self.data.size == 0:
            raise ValueError(f"'{name}': tensor of shape {self.data.shape} is empty (expected at least one element)")
        fn = self.data.max if name == "max" else self.data.min
        return _make(np.asarray(fn(axis=axes, keepdims=keepdims)), (self,), TENSOR_OPS[name].plain, (axes, keepdims))

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
        """Reverse the axes (no arguments) or permute them (numpy); the gradient is permuted back.

        Two ints ``transpose(d0, d1)`` swap those two dimensions, as ``torch.transpose``
        (for a matrix this is numpy's ``transpose(1, 0)``; numpy's ``transpose(0, 1)``, the
        identity, is ``transpose((0, 1))``).  A tuple, or three ints or more, is numpy's permutation.
        """
        if len(axes) == 2 and all(isinstance(a, numbers.Integral) for a in axes):
            nd = self.data.ndim
            for a in axes:
                if not -nd <= a < nd:
                    raise ValueError(f"'transpose': dimension {a} is out of range for a tensor of shape {self.data.shape} "
                                     f"(expected {-nd} <= dim < {nd})")
            swap = list(range(nd))
            i, j = axes[0] % nd, axes[1] % nd
            swap[i], swap[j] = swap[j], swap[i]
            axes = tuple(swap)
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
            index = _index_array(index)
        elif isinstance(index, tuple):
            index = tuple(_index_array(i) if isinstance(i, Tensor) else i for i in index)
        try:
            out = self.data[index]
        except IndexError as e:
            raise IndexError(f"'getitem': index {index!r} is invalid for a tensor of shape {self.data.shape} ({e})") from None
        return _make(np.array(out, dtype=self.data.dtype), (self,), TENSOR_OPS["getitem"].plain, (index, _is_basic_index(index)))

    # -- softmax ------------------------------------------------------------------------------

    def softmax(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """exp(x) / sum exp(x) along ``axis`` (PyTorch: ``dim``; the last one by default),
        computed as exp(x - max x) / ...: no overflow at x = 1000."""
        axis = _axis_arg("softmax", axis, dim, -1)
        (ax,) = _norm_axes("softmax", axis, self.data.ndim) or (None,)
        z = self.data - self.data.max(axis=ax, keepdims=True)
        e = np.exp(z)
        return _make(e / e.sum(axis=ax, keepdims=True), (self,), TENSOR_OPS["softmax"].plain, ax)

    def log_softmax(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """x - logsumexp(x) along ``axis`` (PyTorch: ``dim``; the last one by default), stable (the max is subtracted before exp)."""
        axis = _axis_arg("log_softmax", axis, dim, -1)
        (ax,) = _norm_axes("log_softmax", axis, self.data.ndim) or (None,)
        z = self.data - self.data.max(axis=ax, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=ax, keepdims=True)
        e /= s  # softmax(x), kept for the backward pass: dA = dZ - softmax(A) (dZ^T 1), no second exp
        return _make(z - np.log(s), (self,), TENSOR_OPS["log_softmax"].plain, (ax, e))

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
            seed = np.array(1.0, dtype=self.data.dtype).reshape(self.data.shape)  # float32 stays float32
        else:
            seed = _as_array(grad, "backward(grad)", self.data.dtype if self.data.dtype in FLOATS else None)
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
            return lambda upstream: node_vjp(self, np.asarray(upstream, dtype=self.data.dtype), force=k)[k]

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
                node._grad = None
        root = order[-1]
        root._grad = seed if root._prev or root._grad is None else root._grad + seed
        anomaly = MODE.anomaly
        last_inplace = _LAST_INPLACE[0]
        for node in reversed(order):
            g = node._grad
            if g is None or not node._prev:
                continue
            op = node._op.op
            if op.__class__ is TensorOp and last_inplace <= node._seq:  # a structural op: its VJP, straight
                prev = node._prev
                grads = op.vjp(ARRAY_P, [p.data for p in prev], node.data, g, node._ctx, [p.requires_grad for p in prev])
            else:
                grads = node_vjp(node, g)
            for k, (p, pg) in enumerate(zip(node._prev, grads)):
                if pg is None:
                    continue
                if anomaly and not np.isfinite(pg).all():
                    raise AnomalyError(
                        f"backward: '{node._op}' (inputs of shapes ({_shapes(node)}), output {node.data.shape}) "
                        f"gave a non-finite gradient to its input of shape {p.data.shape}{' ' + p.label if p.label else ''}"
                    )
                if p._grad is None:
                    if not p._prev and (pg is g or pg.base is not None or type(pg) is not _ndarray):
                        pg = np.array(pg, dtype=p.data.dtype)  # a leaf owns its .grad (never a view of another array)
                    p._grad = pg
                else:
                    p._grad = p._grad + pg
                if on_step is not None:
                    fs = node.formulas
                    local = elementwise_locals(node)[k] if isinstance(node._op.op, Op) else None
                    on_step(node, k, p, local, fs[k] if k < len(fs) else "", g, pg)


    # =========================================================================================
    # PyTorch habits: the gradient, in-place updates, masks and indices, shape and reductions.
    # (PyTorch's names beside numpy's; each differentiable one is an entry of the op tables.)
    # =========================================================================================

    #: creation number of this tensor's latest in-place update (-1: never updated in place)
    _modified_at = -1

    @property
    def grad(self) -> GradArray | Tensor | None:
        """``d root / d self`` after ``backward()``: ``None`` before, else a :class:`GradArray` (a float64
        numpy array with ``zero_()``, ``.data``, ``numpy()``, ... as on a ``torch.Tensor``), of this
        tensor's shape, 0-d included; a ``Tensor`` after ``backward(create_graph=True)``."""
        g = self._grad
        if type(g) is _ndarray:  # what backward() stores: viewed once, on the first read
            g = self._grad = g.view(GradArray)
            return g
        if g is None or type(g) is GradArray or isinstance(g, Tensor):
            return g
        g = self._grad = np.asarray(g, dtype=self.data.dtype).view(GradArray)
        return g

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is None:
            self._grad = None
            return
        arr = value if isinstance(value, Tensor) else np.asarray(value, dtype=self.data.dtype if self.data.dtype in FLOATS else _f64)
        if arr.shape != self.data.shape:
            raise ValueError(f"grad: assigned a gradient of shape {arr.shape} to a tensor of shape {self.data.shape} "
                             "(expected the same shape, as PyTorch)")
        self._grad = arr

    @property
    def is_leaf(self) -> bool:
        """True for a tensor no recorded operation made (parameters, inputs, constants), as PyTorch."""
        return not self._prev

    @property
    def grad_fn(self) -> OpText | None:
        """The op that made this tensor (``'matmul'``, ``'tanh'``...), None for a leaf (PyTorch's ``grad_fn``)."""
        return self._op if self._prev else None

    @property
    def dtype(self) -> np.dtype:
        """``float64`` (every tensor that can have a gradient); ``int64`` for indices (``argmax``, ``max(dim)``
        indices, ``arange`` of ints) and ``bool`` for masks (``x > 0``)."""
        return self.data.dtype

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording operations on this leaf, in place; returns it (PyTorch)."""
        if self._prev and not requires_grad:
            raise RuntimeError(f"requires_grad_: this tensor was made by '{self._op}' (not a leaf); only a leaf's flag "
                               "can be changed (use .detach() for a copy cut off from the graph)")
        if requires_grad and self.data.dtype not in FLOATS:
            raise RuntimeError(f"requires_grad_: a tensor of dtype {self.data.dtype} cannot require a gradient "
                               "(expected float64 or float32; convert with .double() or .float())")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """PyTorch's opt-in for an intermediate tensor's ``.grad``; here every intermediate keeps the gradient
        of the latest backward pass anyway, so this does nothing (it exists so that PyTorch code runs)."""
        return None

    # -- inspecting ------------------------------------------------------------------------------

    def numel(self) -> int:
        """The number of elements (numpy's ``size``)."""
        return int(self.data.size)

    def dim(self) -> int:
        """The number of dimensions (numpy's ``ndim``)."""
        return self.data.ndim

    def tolist(self) -> Any:
        """The data as nested Python lists (a number for a 0-d tensor)."""
        return self.data.tolist()

    def cpu(self) -> Tensor:
        """This tensor (there is no other device), so that PyTorch's ``t.cpu().numpy()`` runs."""
        return self

    def __float__(self) -> float:
        if self.data.size != 1:
            raise TypeError(f"float(): a tensor of shape {self.data.shape} has {self.data.size} elements (expected one)")
        return float(self.data.reshape(()))

    def __int__(self) -> int:
        if self.data.size != 1:
            raise TypeError(f"int(): a tensor of shape {self.data.shape} has {self.data.size} elements (expected one)")
        return int(self.data.reshape(()))

    def __index__(self) -> int:
        if self.data.size != 1 or self.data.dtype.kind not in "iu":
            raise TypeError(f"a tensor of shape {self.data.shape} and dtype {self.data.dtype} cannot be an index "
                            "(expected one integer element)")
        return int(self.data.reshape(()))

    # -- dtype conversions (masks and indices are not differentiable) ---------------------------------

    def float(self) -> Tensor:
        """As float32 (PyTorch's ``.float()``): this tensor if it is float32 already, else a new constant."""
        return self if self.data.dtype == np.float32 else _leaf(self.data.astype(np.float32))

    def double(self) -> Tensor:
        """As float64 (PyTorch's ``.double()``, the default here): this tensor if it is one, else a new constant."""
        return self if self.data.dtype == _f64 else _leaf(self.data.astype(_f64))

    def long(self) -> Tensor:
        """As int64 (truncated toward zero), a constant: integers have no gradient."""
        return _leaf(self.data.astype(np.int64))

    int = long

    def bool(self) -> Tensor:
        """A mask: ``True`` where the element is nonzero."""
        return _leaf(self.data != 0)

    # -- elementwise habits ----------------------------------------------------------------------------

    def pow(self, exponent: ArrayLike) -> Tensor:
        """``self ** exponent`` (op ``'**'`` for a number, ``'pow'`` for a tensor)."""
        return self.__pow__(exponent)

    def __abs__(self) -> Tensor:
        return _ops.OPS["abs"](self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
        """``min(max(x, min), max)`` elementwise (op ``'clamp'``); ``clamp(min=0)``, ``clamp(max=1)``,
        ``clamp(-1, 1)``; the derivative is 1 where ``min <= x <= max`` (bounds included, as PyTorch), else 0."""
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            raise TypeError("'clamp': min and max are numbers here (expected clamp(min=0.0) or clamp(-1.0, 1.0))")
        return self._elementwise(OPS["clamp"], (), {"min": min, "max": max})

    clip = clamp

    def matmul(self, other: ArrayLike) -> Tensor:
        """``self @ other``."""
        return self.__matmul__(other)

    # -- comparisons: masks, not differentiable ----------------------------------------------------------

    def _compare(self, other: Any, fn: Callable, sym: str) -> Tensor:
        o = other.data if isinstance(other, Tensor) else other
        if not isinstance(other, (Tensor, numbers.Real, np.ndarray)) and not isinstance(other, (list, tuple)):
            return NotImplemented
        try:
            return _leaf(np.asarray(fn(self.data, o)))
        except (ValueError, TypeError) as e:
            raise ValueError(f"'{sym}': cannot compare a tensor of shape {self.data.shape} with "
                             f"{getattr(o, 'shape', type(o).__name__)} ({e})") from None

    def __gt__(self, other: ArrayLike) -> Tensor:
        """A mask (dtype bool, no gradient): ``x > 0``; use it to index (``x[x > 0]``) or as numbers (``.float()``)."""
        return self._compare(other, np.greater, ">")

    def __ge__(self, other: ArrayLike) -> Tensor:
        return self._compare(other, np.greater_equal, ">=")

    def __lt__(self, other: ArrayLike) -> Tensor:
        return self._compare(other, np.less, "<")

    def __le__(self, other: ArrayLike) -> Tensor:
        return self._compare(other, np.less_equal, "<=")

    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        """Elementwise ``==``, a mask, as PyTorch and numpy (hashing stays by identity)."""
        return self._compare(other, np.equal, "==")

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal, "!=")

    __hash__ = object.__hash__

    gt, ge, lt, le, eq, ne = __gt__, __ge__, __lt__, __le__, __eq__, __ne__

    def _logical(self, other: Any, fn: Callable, sym: str) -> Tensor:
        o = other.data if isinstance(other, Tensor) else np.asarray(other)
        for arr in (self.data, o):
            if arr.dtype.kind not in "biu":
                raise TypeError(f"'{sym}': operands of dtype {arr.dtype} (expected masks, e.g. (x > 0) {sym} (x < 1), "
                                "or integer tensors)")
        return _leaf(np.asarray(fn(self.data, o)))

    def __and__(self, other: ArrayLike) -> Tensor:
        return self._logical(other, np.logical_and if self.data.dtype == bool else np.bitwise_and, "&")

    def __or__(self, other: ArrayLike) -> Tensor:
        return self._logical(other, np.logical_or if self.data.dtype == bool else np.bitwise_or, "|")

    __rand__, __ror__ = __and__, __or__

    def __invert__(self) -> Tensor:
        if self.data.dtype != bool:
            raise TypeError(f"'~': a tensor of dtype {self.data.dtype} (expected a mask, e.g. ~(x > 0))")
        return _leaf(~self.data)

    def any(self) -> Tensor:
        return _leaf(np.asarray(self.data.any()))

    def all(self) -> Tensor:
        return _leaf(np.asarray(self.data.all()))

    # -- reductions with indices ---------------------------------------------------------------------------

    def min(self, dim: int | None = None, keepdim: bool = False, *, axis: int | Sequence[int] | None = None,
            keepdims: bool | None = None) -> Tensor | ValuesIndices:
        """The minimum; the same three forms as :meth:`max` (``min(dim)`` returns ``(values, indices)``)."""
        return self._max_or_min("min", dim, keepdim, axis, keepdims)

    def amax(self, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
             axis: int | Sequence[int] | None = None, keepdims: bool | None = None) -> Tensor:
        """The maximum over ``dim`` (all by default); a tie shares the gradient equally (``torch.amax``, numpy's ``max``)."""
        return self._extreme("max", _axis_arg("amax", axis, dim), _keep_arg(keepdim, keepdims))

    def amin(self, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
             axis: int | Sequence[int] | None = None, keepdims: bool | None = None) -> Tensor:
        """The minimum over ``dim``; a tie shares the gradient equally (``torch.amin``)."""
        return self._extreme("min", _axis_arg("amin", axis, dim), _keep_arg(keepdim, keepdims))

    def _pick(self, name: str, dim: Any, keepdim: bool) -> ValuesIndices:
        """``(values, indices)`` of the first maximum (minimum) along ``dim``; op ``max_dim`` (``min_dim``)."""
        if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
            raise TypeError(f"'{name}': dim={dim!r} (expected one int; for several dimensions use amax/amin)")
        if self.data.ndim == 0:
            raise ValueError(f"'{name}': dim={dim} of a 0-d tensor (expected a tensor with at least one dimension)")
        (ax,) = _norm_axes(name, int(dim), self.data.ndim)
        if self.data.shape[ax] == 0:
            raise ValueError(f"'{name}': dimension {ax} of a tensor of shape {self.data.shape} is empty "
                             "(expected at least one element)")
        idx = (np.argmax if name == "max" else np.argmin)(self.data, axis=ax, keepdims=True)
        index = gather_index(self.data.shape, ax, idx)
        vals = self.data[index]
        if not keepdim:
            vals, idx = vals.squeeze(ax), idx.squeeze(ax)
        values = _make(np.asarray(vals), (self,), TENSOR_OPS[f"{name}_dim"].plain, (ax, bool(keepdim), index))
        return ValuesIndices(values, _leaf(np.asarray(idx, dtype=np.int64)))

    def argmax(self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None) -> Tensor:
        """The index of the first maximum (of the flattened tensor if ``dim`` is None): int64, no gradient."""
        return self._arg("argmax", np.argmax, _axis_arg("argmax", axis, dim), keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None) -> Tensor:
        """The index of the first minimum: int64, no gradient."""
        return self._arg("argmin", np.argmin, _axis_arg("argmin", axis, dim), keepdim)

    def _arg(self, name: str, fn: Callable, axis: Any, keepdim: bool) -> Tensor:
        if self.data.size == 0:
            raise ValueError(f"'{name}': tensor of shape {self.data.shape} is empty (expected at least one element)")
        if axis is None:
            out = fn(self.data)
            return _leaf(np.asarray(out, dtype=np.int64).reshape((1,) * self.data.ndim if keepdim else ()))
        (ax,) = _norm_axes(name, axis, self.data.ndim)
        return _leaf(np.asarray(fn(self.data, axis=ax, keepdims=keepdim), dtype=np.int64))

    # -- shape habits: reshape and transpose under PyTorch's names -----------------------------------------

    def view(self, *shape: int | Sequence[int]) -> Tensor:
        """PyTorch's ``view``: :meth:`reshape` (op ``reshape``; there are no strides to share here)."""
        return self.reshape(*shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Dimensions ``start_dim..end_dim`` merged into one (all by default; a 0-d tensor becomes shape (1,))."""
        shape = self.data.shape
        if not shape:
            return self.reshape(1)
        nd = len(shape)
        s, e = (_norm_axes("flatten", d, nd)[0] for d in (start_dim, end_dim))
        if s > e:
            raise ValueError(f"'flatten': start_dim {start_dim} comes after end_dim {end_dim} for a tensor of shape {shape}")
        return self.reshape(shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:])

    def unsqueeze(self, dim: int) -> Tensor:
        """A new dimension of length 1 at ``dim`` (``-ndim-1 <= dim <= ndim``)."""
        nd = self.data.ndim
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or not -nd - 1 <= dim <= nd:
            raise ValueError(f"'unsqueeze': dim={dim!r} for a tensor of shape {self.data.shape} (expected an int "
                             f"with {-nd - 1} <= dim <= {nd})")
        d = int(dim) % (nd + 1)
        return self.reshape(self.data.shape[:d] + (1,) + self.data.shape[d:])

    def squeeze(self, dim: int | Sequence[int] | None = None) -> Tensor:
        """The dimensions of length 1 removed (all, or those of ``dim`` that have length 1: as PyTorch,
        a ``dim`` whose length is not 1 is left as it is)."""
        shape = self.data.shape
        dims = set(range(len(shape))) if dim is None else set(_norm_axes("squeeze", dim, len(shape)) or ())
        return self.reshape(tuple(n for d, n in enumerate(shape) if not (d in dims and n == 1)))

    def permute(self, *dims: int | Sequence[int]) -> Tensor:
        """The dimensions in the order ``dims`` (numpy's ``transpose(axes)``): ``x.permute(1, 0, 2)``."""
        if len(dims) == 1 and not isinstance(dims[0], numbers.Integral):
            dims = tuple(dims[0])
        if len(dims) != self.data.ndim:
            raise ValueError(f"'permute': {len(dims)} dims {dims} for a tensor of shape {self.data.shape} "
                             f"(expected a permutation of its {self.data.ndim} dimensions)")
        return self.transpose(tuple(dims))

    def t(self) -> Tensor:
        """The transpose of a matrix (a 0-d or 1-d tensor is returned as it is, as PyTorch)."""
        if self.data.ndim > 2:
            raise ValueError(f"'t': a tensor of shape {self.data.shape} (expected at most 2 dimensions; use transpose(d0, d1))")
        return self.transpose()

    def clone(self) -> Tensor:
        """A copy, a node of the graph (op ``clone``: the gradient passes through unchanged)."""
        return _make(self.data.copy(), (self,), TENSOR_OPS["clone"].plain)

    # -- in-place updates (PyTorch's rules) ------------------------------------------------------------------

    def _inplace(self, op: str, fn: Callable[[np.ndarray], Any], other: Any = None) -> Tensor:
        """Change ``self.data`` in place by ``fn(data)``, after PyTorch's checks (see :func:`_check_inplace`)."""
        _check_inplace(self, op, other)
        try:
            fn(self.data)
        except (ValueError, TypeError) as e:
            other_shape = getattr(getattr(other, "data", other), "shape", None)
            raise ValueError(f"'{op}': cannot update a tensor of shape {self.data.shape} and dtype {self.data.dtype} "
                             f"in place with {'shape ' + str(other_shape) if other_shape is not None else repr(other)} ({e})") from None
        _mark_modified(self)
        return self

    def __iadd__(self, other: ArrayLike) -> Tensor:
        """``x += y``: in place, under :func:`~micrograd_ext.core.graph.no_grad` for a parameter (PyTorch's rule)."""
        o = _operand(other)
        return self._inplace("+=", lambda d: np.add(d, o, out=d), other)

    def __isub__(self, other: ArrayLike) -> Tensor:
        """``w -= lr * w.grad``: in place (the same tensor object), allowed on a parameter under ``no_grad()``."""
        o = _operand(other)
        return self._inplace("-=", lambda d: np.subtract(d, o, out=d), other)

    def __imul__(self, other: ArrayLike) -> Tensor:
        o = _operand(other)
        return self._inplace("*=", lambda d: np.multiply(d, o, out=d), other)

    def __itruediv__(self, other: ArrayLike) -> Tensor:
        o = _operand(other)
        return self._inplace("/=", lambda d: np.divide(d, o, out=d), other)

    def add_(self, other: ArrayLike, alpha: float = 1.0) -> Tensor:
        o = _operand(other)
        return self._inplace("add_", lambda d: np.add(d, o * alpha if alpha != 1.0 else o, out=d), other)

    def sub_(self, other: ArrayLike, alpha: float = 1.0) -> Tensor:
        o = _operand(other)
        return self._inplace("sub_", lambda d: np.subtract(d, o * alpha if alpha != 1.0 else o, out=d), other)

    def mul_(self, other: ArrayLike) -> Tensor:
        o = _operand(other)
        return self._inplace("mul_", lambda d: np.multiply(d, o, out=d), other)

    def div_(self, other: ArrayLike) -> Tensor:
        o = _operand(other)
        return self._inplace("div_", lambda d: np.divide(d, o, out=d), other)

    def zero_(self) -> Tensor:
        """Every element set to 0, in place."""
        return self._inplace("zero_", lambda d: d.fill(0))

    def fill_(self, value: float) -> Tensor:
        return self._inplace("fill_", lambda d: d.fill(value), value)

    def copy_(self, src: ArrayLike) -> Tensor:
        """The elements of ``src`` (broadcast to this shape) copied in, in place."""
        o = _operand(src)
        return self._inplace("copy_", lambda d: np.copyto(d, o), src)

    def __setitem__(self, index: Any, value: ArrayLike) -> None:
        """``x[index] = value``, in place, with the rules of the other in-place updates."""
        if isinstance(index, Tensor):
            index = _index_array(index)
        elif isinstance(index, tuple):
            index = tuple(_index_array(i) if isinstance(i, Tensor) else i for i in index)
        o = _operand(value)

        def put(d: np.ndarray) -> None:
            d[index] = o

        self._inplace("setitem", put, value)


def node_vjp_graph(node: Tensor, g: Tensor) -> tuple:
    """:func:`node_vjp` on graph nodes: the gradients as Tensors, built with Tensor operations
    (``backward(create_graph=True)``); elementwise local derivatives from the op table's
    expressions evaluated on the nodes, structural VJPs from their rules with :data:`TENSOR_P`."""
    op = node._op.op
    prev = node._prev
    if _LAST_INPLACE[0] > node._seq:
        _check_inputs_unmodified(node)
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
    op = text.op
    _, loc, _ = op.compiled("array")
    if not op.local_warns:
        return loc(*[p.data for p in node._prev], *text.params.values(), node.data)
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
    if _LAST_INPLACE[0] > node._seq:
        _check_inputs_unmodified(node)
    if op.__class__ is TensorOp and force is None:  # the structural ops: their VJP, straight
        return op.vjp(ARRAY_P, [p.data for p in prev], node.data, g, node._ctx, [p.requires_grad for p in prev])
    needs = [p.requires_grad for p in prev]
    if force is not None:
        needs[force] = True
    if isinstance(op, TensorOp):
        return op.vjp(ARRAY_P, [p.data for p in prev], node.data, g, node._ctx, needs)
    grads = []
    text = node._op
    each = op.each_local("array")
    ins = [p.data for p in prev]
    pv = text.params.values()
    for k, (p, need) in enumerate(zip(prev, needs)):
        if not need:  # no work for an input that needs no gradient (a data matrix, a constant)
            grads.append(None)
            continue
        if op.local_warns:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                d = each[k](*ins, *pv, node.data)
        else:
            d = each[k](*ins, *pv, node.data)
        if type(d) is float:  # a constant local derivative (1.0 for '+', -1.0 for '-')
            pg = g if d == 1.0 else (-g if d == -1.0 else g * d)
        else:
            pg = g * d
        grads.append(_unbroadcast(pg, p.data.shape))
    return tuple(grads)


# ---------------------------------------------------------------------------
# Fused nodes: one node per formula, as the documents draw them
# ---------------------------------------------------------------------------


def _same_float(op: str, a: np.ndarray, b: np.ndarray) -> None:
    """A matrix product of float32 and float64 is refused (as PyTorch does), never promoted in silence."""
    if a.dtype in FLOATS and b.dtype in FLOATS:
        raise TypeError(f"'{op}': operands of dtype {a.dtype} (shape {a.shape}) and {b.dtype} (shape {b.shape}) "
                        "(expected the same dtype: convert one with .float() for float32 or .double() for float64)")


def linear(x: ArrayLike, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``Y = X W^T + b`` as one node (rows of ``X`` are samples; ``W`` is ``(nout, nin)``).

    Backward (Rosenberg, section 1, minibatch): ``dX = dY W``, ``dW = dY^T X``,
    ``db = dY^T 1``.  ``X`` may be one sample (a vector): ``y = W x + b``.  A constant
    input (an array) takes the weight's dtype; float32 and float64 tensors do not mix.
    """
    xt = x if isinstance(x, Tensor) else _const(x, "linear", weight.data.dtype)
    w = weight.data
    xd = xt.data
    if xd.dtype != w.dtype:
        _same_float("linear", xd, w)
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
        t = t.astype(z.dtype, copy=False)
        ones = _ones(C, z.dtype)
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
    dt = a.dtype if a.dtype in FLOATS else None
    y = target.data.astype(dt or _f64, copy=False) if isinstance(target, Tensor) else _as_array(target, "'bce' target", dt)
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
    return _make(np.asarray(c, dtype=dt or _f64), (pred,), TENSOR_OPS["bce_loss"].plain, (y, scale))


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


# ---------------------------------------------------------------------------
# PyTorch habits: what the methods above use, the factories, cat and stack
# ---------------------------------------------------------------------------


class GradArray(np.ndarray):
    """What ``Tensor.grad`` is: a float64 numpy array, of the tensor's shape (0-d included), with the
    methods of a ``torch.Tensor`` that gradient code calls.

    Every numpy function and operator works on it as on any array (``w.data -= lr * w.grad``,
    ``np.testing.assert_allclose(w.grad, ...)``); and, as in PyTorch, ``w.grad.zero_()``,
    ``w.grad.data``, ``w.grad.numpy()``, ``w.grad.clone()``, ``w.grad.item()``, ``w.grad.tolist()``.
    A subclass rather than a :class:`Tensor`, so that the gradient stays a plain array for the
    optimizers and costs nothing in the backward pass (the engine stores plain arrays; the
    view is made when ``.grad`` is first read).
    """

    __slots__ = ()
    #: numpy's priority of a Python number: ``lr * w.grad`` (a number first) is then a plain ndarray, the
    #: fast case for ``w.data -= lr * w.grad`` (a subclass result costs about 1 us more per parameter and
    #: step); lower would make numpy defer ``w.grad + 1e-8`` to the float, which refuses it
    __array_priority__ = -1000000.0

    def zero_(self) -> GradArray:
        """Every element set to 0, in place (``w.grad.zero_()``)."""
        self.fill(0.0)
        return self

    def fill_(self, value: float) -> GradArray:
        self.fill(value)
        return self

    def add_(self, other: Any, alpha: float = 1.0) -> GradArray:
        self += _operand(other) * alpha if alpha != 1.0 else _operand(other)
        return self

    def mul_(self, other: Any) -> GradArray:
        self *= _operand(other)
        return self

    @property
    def data(self) -> GradArray:  # type: ignore[override]
        """The gradient itself (PyTorch's ``w.grad.data``), not numpy's memory buffer."""
        return self

    def numpy(self) -> np.ndarray:
        """The same numbers as a plain ``ndarray`` (shares the memory, as ``torch.Tensor.numpy``)."""
        return self.view(np.ndarray)

    def clone(self) -> GradArray:
        return self.copy()

    def detach(self) -> GradArray:
        return self

    def numel(self) -> int:
        return int(self.size)

    def dim(self) -> int:
        return self.ndim

    def abs(self) -> GradArray:
        return np.abs(self)


class ElementCount(int):
    """``Tensor.size``: numpy's element count (an ``int``) that, called, is PyTorch's ``size()``.

    ``t.size == 6`` and ``t.size + 1`` are numpy's; ``t.size()`` is the shape ``(2, 3)`` and
    ``t.size(1)`` the length of dimension 1, as ``torch.Tensor.size``.
    """

    shape: tuple

    def __new__(cls, n: int, shape: tuple) -> ElementCount:
        obj = super().__new__(cls, n)
        obj.shape = shape
        return obj

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return tuple(self.shape)
        nd = len(self.shape)
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or not -nd <= dim < max(nd, 1) or nd == 0:
            raise IndexError(f"size: dimension {dim!r} is out of range for a tensor of shape {self.shape} "
                             f"(expected {-nd} <= dim < {nd})")
        return self.shape[int(dim)]


class ValuesIndices(NamedTuple):
    """``(values, indices)`` of ``max(dim)`` / ``min(dim)`` (PyTorch's ``torch.return_types.max``)."""

    values: Tensor
    indices: Tensor


def _leaf(arr: np.ndarray) -> Tensor:
    """A constant tensor holding ``arr`` as it is (any dtype: a mask, indices), requires_grad=False."""
    t = _new(Tensor)
    t.data = arr
    t._grad = None
    t._prev = ()
    t._op = ""
    t._ctx = None
    t.label = ""
    t.requires_grad = False
    t._seq = next_seq()
    return t


def _operand(x: Any) -> Any:
    """The array (or number) behind ``x`` for an in-place update."""
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, np.ndarray):
        return np.asarray(x)
    if isinstance(x, numbers.Number) and not isinstance(x, bool):
        return x
    return _as_array(x, "in-place update")


def _index_array(t: Tensor) -> np.ndarray:
    """A Tensor used as an index: a mask (bool) selects, anything else is read as integer positions."""
    return t.data if t.data.dtype == bool else t.data.astype(np.intp)


def _axis_arg(op: str, axis: Any, dim: Any, default: Any = None) -> Any:
    """numpy's ``axis`` or PyTorch's ``dim`` (the same thing), refusing two different values."""
    if dim is not None:
        if axis is not None and axis != dim:
            raise TypeError(f"'{op}': got axis={axis!r} and dim={dim!r} (expected one of them: dim is PyTorch's name "
                            "for numpy's axis)")
        return dim
    return default if axis is None else axis


def _keep_arg(base: Any, alt: Any) -> bool:
    """``keepdims`` (numpy) / ``keepdim`` (PyTorch): the explicitly given one."""
    return bool(base) if alt is None else bool(alt)


#: ``[creation number of the latest in-place update of any tensor]``; a node created after it
#: cannot have a modified input, so the backward pass checks nothing (one comparison per node).
_LAST_INPLACE = [-1]


def _check_inplace(t: Tensor, op: str, other: Any = None) -> None:
    """PyTorch's rules for changing a tensor in place, so that no gradient is silently wrong.

    * a tensor made by a recorded operation (it has parents): never (its consumers' backward
      would read the new values; write ``y = y - ...``, a new node, instead);
    * a leaf that requires grad (a parameter), outside ``no_grad()``: "a leaf Variable that
      requires grad is being used in an in-place operation" (the update would not be recorded);
    * a constant updated with a tensor that requires grad, outside ``no_grad()``: the graph
      cannot record an update of a constant;
    * otherwise: in place (``with no_grad(): w -= lr * w.grad``, the optimizer step).
    """
    if t._prev:
        raise RuntimeError(f"'{op}': in-place update of a tensor made by '{t._op}' (shape {t.data.shape}), which is part "
                           "of a recorded graph: its backward pass would use the changed values. Write a new node "
                           "instead (y = y - ...), or update a detached copy")
    if MODE.grad:
        if t.requires_grad:
            raise RuntimeError(f"'{op}': a leaf Tensor that requires grad (shape {t.data.shape}{', ' + t.label if t.label else ''}) "
                               "is being used in an in-place operation (PyTorch's rule: the update would not be "
                               "recorded). Update parameters inside `with no_grad():` (w -= lr * w.grad), or through w.data")
        if isinstance(other, Tensor) and other.requires_grad:
            raise RuntimeError(f"'{op}': in-place update of a tensor that does not require grad with one that does "
                               f"(shape {other.data.shape}): the graph cannot record it. Write x = x + y (a new node) instead")


def _mark_modified(t: Tensor) -> None:
    s = next_seq()
    _LAST_INPLACE[0] = s
    while t is not None:  # a detached tensor shares its buffer with its source
        t._modified_at = s
        t = t.__dict__.get("_shares")


def _modified_at(t: Tensor) -> int:
    latest = -1
    while t is not None:
        latest = max(latest, t._modified_at)
        t = t.__dict__.get("_shares")
    return latest


def _check_inputs_unmodified(node: Tensor) -> None:
    """Raise if an input of ``node`` was changed in place after ``node`` was made (its VJP would read new values)."""
    for k, p in enumerate(node._prev):
        if _modified_at(p) > node._seq:
            name = f" {p.label!r}" if p.label else ""
            raise RuntimeError(
                f"backward: input {k}{name} (shape {p.data.shape}) of '{node._op}' was modified by an in-place "
                f"operation after '{node._op}' used it, so its gradient would be computed from the new values "
                "(PyTorch: 'one of the variables needed for gradient computation has been modified by an inplace "
                "operation'). Run the forward pass again after the update")


# -- factories ----------------------------------------------------------------------------------------


def _size_arg(where: str, size: tuple) -> tuple[int, ...]:
    """``zeros(2, 3)`` or ``zeros((2, 3))``: a shape of non-negative ints."""
    if len(size) == 1 and not isinstance(size[0], numbers.Integral):
        size = tuple(size[0])
    for n in size:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise TypeError(f"{where}: size {size!r} (expected non-negative ints, e.g. {where}(2, 3) or {where}((2, 3)))")
    return tuple(int(n) for n in size)


def _factory(arr: np.ndarray, requires_grad: bool, where: str) -> Tensor:
    if requires_grad and arr.dtype not in FLOATS:
        raise RuntimeError(f"{where}: a tensor of dtype {arr.dtype} cannot require a gradient (expected float values)")
    t = _leaf(arr)
    t.requires_grad = bool(requires_grad)
    return t


def zeros(*size: int | Sequence[int], requires_grad: bool = False) -> Tensor:
    """A float64 tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))`` (``torch.zeros``)."""
    return _factory(np.zeros(_size_arg("zeros", size)), requires_grad, "zeros")


def ones(*size: int | Sequence[int], requires_grad: bool = False) -> Tensor:
    """A float64 tensor of ones (``torch.ones``)."""
    return _factory(np.ones(_size_arg("ones", size)), requires_grad, "ones")


def full(size: int | Sequence[int], fill_value: float, requires_grad: bool = False) -> Tensor:
    """A float64 tensor of ``size`` filled with ``fill_value`` (``torch.full``)."""
    shape = _size_arg("full", (size,) if isinstance(size, numbers.Integral) else tuple(size))
    return _factory(np.full(shape, float(fill_value)), requires_grad, "full")


def eye(n: int, m: int | None = None, requires_grad: bool = False) -> Tensor:
    """The ``n x m`` identity matrix (``m = n`` by default), float64 (``torch.eye``)."""
    (n, *rest) = _size_arg("eye", (n,) if m is None else (n, m))
    return _factory(np.eye(n, rest[0] if rest else n), requires_grad, "eye")


def arange(start: float, end: float | None = None, step: float = 1, requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` up to ``end`` (excluded), as ``torch.arange``: int64 when every
    argument is an int (``arange(6)``), float64 otherwise (``arange(0, 1, 0.25)``)."""
    if end is None:
        start, end = 0, start
    for name, v in (("start", start), ("end", end), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"arange: {name}={v!r} (expected a number)")
    if step == 0:
        raise ValueError("arange: step=0 (expected a nonzero step)")
    ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    arr = np.arange(start, end, step, dtype=np.int64 if ints else _f64)
    return _factory(arr, requires_grad, "arange")


def linspace(start: float, end: float, steps: int, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced float64 values from ``start`` to ``end``, both included (``torch.linspace``)."""
    (steps,) = _size_arg("linspace", (steps,))
    return _factory(np.linspace(float(start), float(end), steps), requires_grad, "linspace")


def _like(t: Any, where: str) -> tuple[int, ...]:
    if isinstance(t, Tensor):
        return t.data.shape
    if isinstance(t, np.ndarray):
        return t.shape
    raise TypeError(f"{where}: expected a Tensor (or an ndarray), got {type(t).__name__}")


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    """Zeros of ``t``'s shape, float64 (``torch.zeros_like``)."""
    return _factory(np.zeros(_like(t, "zeros_like")), requires_grad, "zeros_like")


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    """Ones of ``t``'s shape, float64 (``torch.ones_like``)."""
    return _factory(np.ones(_like(t, "ones_like")), requires_grad, "ones_like")


def full_like(t: Tensor, fill_value: float, requires_grad: bool = False) -> Tensor:
    return _factory(np.full(_like(t, "full_like"), float(fill_value)), requires_grad, "full_like")


def _tensor_list(where: str, tensors: Any) -> list[Tensor]:
    if isinstance(tensors, (Tensor, np.ndarray)) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{where}: expected a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{where}: got an empty list (expected at least one tensor)")
    return [x if isinstance(x, Tensor) else _const(x, where) for x in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors joined along an existing dimension (``torch.cat``, numpy's ``concatenate``); op ``cat``:
    each input's gradient is its slice of the output's."""
    ts = _tensor_list("cat", tensors)
    shapes = [t.data.shape for t in ts]
    nd = len(shapes[0])
    if nd == 0:
        raise ValueError("cat: 0-d tensors cannot be joined (expected at least one dimension; use stack)")
    (ax,) = _norm_axes("cat", _axis_arg("cat", axis, dim, 0), nd)
    for k, sh in enumerate(shapes):
        if len(sh) != nd or sh[:ax] + sh[ax + 1:] != shapes[0][:ax] + shapes[0][ax + 1:]:
            raise ValueError(f"cat: tensor {k} has shape {sh}, tensor 0 has {shapes[0]} (expected the same shape "
                             f"except along dimension {ax})")
    offsets = tuple(int(v) for v in np.cumsum([0] + [sh[ax] for sh in shapes]))
    return _make(np.concatenate([t.data for t in ts], axis=ax), tuple(ts), TENSOR_OPS["cat"].plain, (ax, offsets))


def stack(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors stacked along a new dimension ``dim`` (``torch.stack``); op ``stack``."""
    ts = _tensor_list("stack", tensors)
    shapes = [t.data.shape for t in ts]
    for k, sh in enumerate(shapes):
        if sh != shapes[0]:
            raise ValueError(f"stack: tensor {k} has shape {sh}, tensor 0 has {shapes[0]} (expected equal shapes)")
    nd = len(shapes[0]) + 1
    d = _axis_arg("stack", axis, dim, 0)
    if isinstance(d, bool) or not isinstance(d, numbers.Integral) or not -nd <= d < nd:
        raise ValueError(f"stack: dim={d!r} for tensors of shape {shapes[0]} (expected an int with {-nd} <= dim < {nd})")
    ax = int(d) % nd
    return _make(np.stack([t.data for t in ts], axis=ax), tuple(ts), TENSOR_OPS["stack"].plain, ax)


_TensorBackend.concatenate = staticmethod(lambda xs, axis: cat(list(xs), axis))
_TensorBackend.stack = staticmethod(lambda xs, axis: stack(list(xs), axis))
