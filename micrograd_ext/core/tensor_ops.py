"""The Tensor engine's structural operations: one entry each, its backward rule and its formula.

Elementwise operations (``+ - * / ** exp log tanh sigmoid relu sin ...``) are not here:
``Tensor`` applies the entries of :data:`micrograd_ext.core.ops.OPS` to arrays.  The
operations here mix elements (a matrix product, a reduction, indexing, softmax, the
fused layer and loss nodes), so their backward rule is a *vector-Jacobian product*
(VJP): given ``dZ = d root / d Z`` (an array of ``Z``'s shape) it returns ``dA = d root
/ d A`` for each input ``A``, written in the documents' matrix form, e.g. for
``Z = A B``: ``dA = dZ B^T``, ``dB = A^T dZ`` (Rosenberg, "Some Neural Network Derivative
Calculations", section 1).

Each rule is a function ``vjp(P, ins, out, g, ctx, needs)``:

* ``P`` — the backend: numpy's functions for a plain ``backward()``, or the Tensor
  engine's own operations for ``backward(create_graph=True)`` (then ``ins``, ``out``
  and ``g`` are Tensors and the gradient it returns is a graph, differentiable again);
* ``ins``, ``out`` — the inputs and output (arrays, or nodes); ``ctx`` what the forward
  pass kept (axes, an index); ``needs[k]`` whether input ``k`` needs a gradient
  (``None`` is returned for one that does not: no work is done for it).

The same code serves both backends wherever arrays and Tensors spell an operation
alike (``@``, ``.T``, ``*``, ``.sum(axis=..., keepdims=...)``); ``P`` supplies the rest
(``P.broadcast_to``, ``P.sum_to``, ``P.scatter_add``, ``P.exp``).  A rule whose fast
numpy form reuses what the forward pass cached (the fused cross-entropy keeps its
softmax) has a second function for graph nodes, ``vjp_graph``.

Each entry also has ``jvp(P, ins, out, t, ctx)`` for forward mode: given the tangents
``t`` of the inputs (``None`` for an input without one) it returns the output's tangent.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .ops import BCE_EPS, OpText

__all__ = ["TensorOp", "TENSOR_OPS", "TENSOR_RULES", "ARRAY_P", "unbroadcast", "expand_reduced", "gather_index"]


class TensorOp:
    """One structural operation of the Tensor engine: its VJP, its JVP and its formula text.

    ``formulas[k]`` is the text of the gradient of input ``k`` (``dA = dZ B^T``); ``doc``
    the forward formula and its source.  ``text`` is the name a node shows (``node._op``).
    """

    kind = "structural"

    def __init__(self, name: str, vjp: Callable, formulas: Sequence[str], doc: str = "", *,
                 jvp: Callable | None = None, vjp_graph: Callable | None = None) -> None:
        self.name = name
        self.vjp = vjp
        self.vjp_graph = vjp_graph or vjp
        self.jvp = jvp
        self._formulas = tuple(formulas)
        self.doc = doc
        self.plain = OpText(name, self, {})
        self.params: dict[str, Any] = {}

    def formula(self, k: int, arity: int | None = None, params: dict[str, Any] | None = None) -> str:
        fs = self._formulas
        return fs[min(k, len(fs) - 1)] if fs else ""

    def formulas(self, params: dict[str, Any] | None = None, arity: int | None = None) -> tuple[str, ...]:
        n = len(self._formulas) if arity is None else arity
        return tuple(self.formula(k) for k in range(n))

    @property
    def formulas_tuple(self) -> tuple[str, ...]:
        return self._formulas

    def names(self, k: int, node: Any, parents: Sequence[Any]) -> dict[str, Any]:
        out = {"Z": node, "Y": node}
        out.update(zip("AB", parents))
        return out

    def __repr__(self) -> str:
        return f"<tensor op {self.name!r}: {self.doc}>"


# ---------------------------------------------------------------------------
# Helpers shared by the rules (numpy)
# ---------------------------------------------------------------------------


def unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
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


def expand_reduced(g: Any, axes: tuple[int, ...] | None, keepdims: bool, ndim: int, P: Any) -> Any:
    """Put back the axes a reduction removed (as length 1), so ``g`` broadcasts against its input."""
    if keepdims:
        return g
    if axes is None:
        return P.reshape(g, (1,) * ndim)
    return P.expand_dims(g, axes)


@functools.lru_cache(maxsize=64)
def ones(n: int, dtype: Any = np.float64) -> np.ndarray:
    """A read-only vector of n ones (of ``dtype``: a float32 pass stays float32): ``dY^T 1`` as a
    matrix product is faster than ``sum(axis=0)`` on small arrays."""
    v = np.ones(n, dtype=dtype)
    v.flags.writeable = False
    return v


def scatter_add_array(shape: tuple, index: Any, g: np.ndarray, basic: bool) -> np.ndarray:
    out = np.zeros(shape, dtype=g.dtype)
    if basic:  # slices and ints: each element picked at most once
        out[index] = g
    else:  # integer/boolean arrays may repeat an element: accumulate
        np.add.at(out, index, g)
    return out


#: The numpy backend of the rules.
ARRAY_P = type("ArrayBackend", (), {})()
for _k, _v in {
    "broadcast_to": np.broadcast_to,
    "sum_to": unbroadcast,
    "reshape": np.reshape,
    "expand_dims": np.expand_dims,
    "swapaxes": np.swapaxes,
    "transpose": np.transpose,
    "scatter_add": scatter_add_array,
    "exp": np.exp,
    "is_array": True,
}.items():
    setattr(ARRAY_P, _k, _v)


# ---------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------


def _matmul_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    a, b = ins
    if a.ndim == 2 and b.ndim == 2:  # the common case: Z = A B
        return (g @ b.T if needs[0] else None, a.T @ g if needs[1] else None)
    if a.ndim == 1 and b.ndim == 1:  # dot product: Z = a . b is a number
        return (g * b if needs[0] else None, g * a if needs[1] else None)
    # General form: treat a vector as a one-row (A) or one-column (B) matrix,
    # apply dA = dZ B^T and dB = A^T dZ, sum over broadcast batch dimensions, and
    # drop the added axis again.
    a2 = P.reshape(a, (1,) + a.shape) if a.ndim == 1 else a
    b2 = P.reshape(b, b.shape + (1,)) if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = P.expand_dims(g2, -2)
    if b.ndim == 1:
        g2 = P.expand_dims(g2, -1)
    da = db = None
    if needs[0]:
        da = P.reshape(P.sum_to(g2 @ P.swapaxes(b2, -1, -2), a2.shape), a.shape)
    if needs[1]:
        db = P.reshape(P.sum_to(P.swapaxes(a2, -1, -2) @ g2, b2.shape), b.shape)
    return (da, db)


def _matmul_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    a, b = ins
    ta, tb = t
    parts = []
    if ta is not None:
        parts.append(ta @ b)
    if tb is not None:
        parts.append(a @ tb)
    return _add_all(parts)


def _add_all(parts: list[Any]) -> Any:
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def _linear_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    x, w = ins[0], ins[1]
    if x.ndim == 1:  # one sample: y = W x + b
        res = (g @ w if needs[0] else None, P.outer(g, x) if needs[1] else None)
        if len(ins) == 3:
            res += ((g * 1.0 if P is not ARRAY_P else g.copy()) if needs[2] else None,)
        return res
    g2 = P.reshape(g, (-1, g.shape[-1])) if g.ndim > 2 else g
    x2 = P.reshape(x, (-1, x.shape[-1])) if x.ndim > 2 else x
    res = ((g @ w) if needs[0] else None, (g2.T @ x2) if needs[1] else None)
    if len(ins) == 3:
        db = None
        if needs[2]:
            db = ones(g2.shape[0], g2.dtype) @ g2 if P is ARRAY_P else g2.sum(axis=0)  # dY^T 1
        res += (db,)
    return res


def _linear_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    x, w = ins[0], ins[1]
    parts = []
    if t[0] is not None:
        parts.append(t[0] @ w.T)
    if t[1] is not None:
        parts.append(x @ t[1].T)
    if len(ins) == 3 and t[2] is not None:
        parts.append(P.broadcast_to(t[2], out.shape) if P is ARRAY_P else t[2] + 0.0 * out)
    return _add_all(parts)


def _sum_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    axes, keepdims = ctx
    a = ins[0]
    return (P.broadcast_to(expand_reduced(g, axes, keepdims, a.ndim, P), a.shape),)


def _sum_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    axes, keepdims = ctx
    return t[0].sum(axis=axes, keepdims=keepdims)


def _mean_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    axes, keepdims = ctx
    a = ins[0]
    count = a.size // max(out.size, 1) if a.size else 1
    return (P.broadcast_to(expand_reduced(g, axes, keepdims, a.ndim, P) * (1.0 / count), a.shape),)


def _mean_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    axes, keepdims = ctx
    return t[0].mean(axis=axes, keepdims=keepdims)


def _max_mask(P: Any, a: Any, out: Any, axes: Any, keepdims: bool) -> Any:
    """Where the maximum is, divided by the number of ties (constant: the max picks, it does not scale)."""
    av = a if P is ARRAY_P else a.data
    ov = out if P is ARRAY_P else out.data
    z = expand_reduced(ov, axes, keepdims, av.ndim, ARRAY_P)
    mask = av == z
    return (mask / mask.sum(axis=axes, keepdims=True)).astype(av.dtype if av.dtype.kind == "f" else np.float64)


def _max_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    axes, keepdims = ctx
    a = ins[0]
    return (expand_reduced(g, axes, keepdims, a.ndim, P) * _max_mask(P, a, out, axes, keepdims),)


def _max_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    axes, keepdims = ctx
    return (t[0] * _max_mask(P, ins[0], out, axes, keepdims)).sum(axis=axes, keepdims=keepdims)


def _reshape_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    return (P.reshape(g, ins[0].shape),)


def _reshape_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    return P.reshape(t[0], out.shape)


def _transpose_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    axes = ctx
    return (P.transpose(g, tuple(np.argsort(axes))) if axes is not None else P.transpose(g),)


def _transpose_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    return P.transpose(t[0], ctx) if ctx is not None else P.transpose(t[0])


def _getitem_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    index, basic = ctx
    return (P.scatter_add(ins[0].shape, index, g, basic),)


def _getitem_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    index, _ = ctx
    return t[0][index]


def _scatter_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    """The adjoint of indexing: Z = zeros(shape); Z[index] += A, so dA = dZ[index]."""
    index, _ = ctx[1], ctx[2]
    return (g[index],)


def _scatter_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    shape, index, basic = ctx
    return P.scatter_add(shape, index, t[0], basic)


def _broadcast_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    return (P.sum_to(g, ins[0].shape),)


def _broadcast_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    return P.broadcast_to(t[0], out.shape)


def _sum_to_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    return (P.broadcast_to(g, ins[0].shape),)


def _sum_to_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    return P.sum_to(t[0], out.shape)


def _softmax_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    axis = ctx
    s = out
    return ((g - (g * s).sum(axis=axis, keepdims=True)) * s,)


def _softmax_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    axis = ctx
    s = out
    return (t[0] - (t[0] * s).sum(axis=axis, keepdims=True)) * s


def _log_softmax_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    axis, soft = ctx  # softmax(A), kept by the forward pass
    return (g - soft * g.sum(axis=axis, keepdims=True),)


def _log_softmax_vjp_graph(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    """On graph nodes softmax(A) is exp(Z) of the output node, so that it can be differentiated again."""
    axis = ctx[0]
    return (g - P.exp(out) * g.sum(axis=axis, keepdims=True),)


def _log_softmax_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    axis = ctx[0]
    return t[0] - (P.exp(out) * t[0]).sum(axis=axis, keepdims=True)


def _xent_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    e, s, t, flat, scale, onehot, shape = ctx
    c = float(g) * scale
    if onehot:  # dZ = c (softmax(Z) * sum_k Y_k - Y)
        d = e * ((c * (t @ ones(t.shape[1], t.dtype))) / s)[:, None]
        d -= c * t
    else:  # dZ = c (softmax(Z) - Y): subtract c at each sample's class
        d = e * (c / s)[:, None]
        d.ravel()[flat] -= c
    return (d.reshape(shape),)


def _xent_vjp_graph(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    """The same rule on graph nodes: dZ = g scale (softmax(Z) sum_k Y_k - Y), softmax recomputed as a node."""
    _, _, t, _, scale, onehot, shape = ctx
    z = ins[0]
    z2 = P.reshape(z, (1,) + z.shape) if z.ndim == 1 else z
    y = t if onehot else np.eye(z2.shape[-1], dtype=z.dtype)[t]
    d = (P.softmax(z2, axis=-1) * (y @ ones(y.shape[1], y.dtype))[:, None] - y) * (g * scale)
    return (P.reshape(d, shape),)


def _xent_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    _, _, tgt, _, scale, onehot, shape = ctx
    z = ins[0]
    z2 = z.reshape((1,) + z.shape) if z.ndim == 1 else z
    y = tgt if onehot else np.eye(z2.shape[-1], dtype=z.dtype)[tgt]
    soft = P.softmax_array(z2) if P is ARRAY_P else P.softmax(z2, axis=-1)
    dz = (soft * (y @ ones(y.shape[1], y.dtype))[:, None] - y) * scale
    return (dz * P.reshape(t[0], dz.shape)).sum()


def _bce_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    y, scale = ctx
    a = ins[0]
    return ((float(g) * scale) * (a - y) / np.maximum(a * (1.0 - a), BCE_EPS),)


def _bce_vjp_graph(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    """dC/dA = g scale (A - Y) / max(A (1 - A), 1e-12) on nodes: the numeric rule's clamp, as the clamp op
    (so a saturated sigmoid gives a finite second derivative too, as PyTorch's BCELoss)."""
    y, scale = ctx
    a = ins[0]
    return ((a - y) / (a * (1.0 - a)).clamp(min=BCE_EPS) * (g * scale),)


def _bce_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    y, scale = ctx
    a = ins[0]
    if P is ARRAY_P:
        d = scale * (a - y) / np.maximum(a * (1.0 - a), BCE_EPS)
    else:
        d = (a - y) / (a * (1.0 - a)).clamp(min=BCE_EPS) * scale
    return (d * t[0]).sum()


def _add(op: TensorOp) -> TensorOp:
    TENSOR_OPS[op.name] = op
    return op


#: name -> :class:`TensorOp`: the structural operations of the Tensor engine (inputs ``A``,
#: ``B``, output ``Z``; ``dZ`` is the gradient arriving at ``Z``).
TENSOR_OPS: dict[str, TensorOp] = {}

_add(TensorOp("matmul", _matmul_vjp, ("dA = dZ B^T", "dB = A^T dZ"),
              "Z = A B (a vector is a one-row A or a one-column B; Rosenberg section 1: dJ/dX = (dJ/dY) W, "
              "dJ/dW = (dJ/dY)^T X; CS224n 2.1-2.2)", jvp=_matmul_jvp))
_add(TensorOp("linear", _linear_vjp, ("dX = dY W", "dW = dY^T X", "db = dY^T 1"),
              "Y = X W^T + b^T, rows of X are samples (Rosenberg section 1, minibatch: dJ/dX = (dJ/dY) W, "
              "dJ/dW = (dJ/dY)^T X, dJ/db = (dJ/dY)^T 1)", jvp=_linear_jvp))
_add(TensorOp("sum", _sum_vjp, ("dA = dZ broadcast to shape(A)",), "Z = sum of A over axis", jvp=_sum_jvp))
_add(TensorOp("mean", _mean_vjp, ("dA = dZ broadcast to shape(A) / n",), "Z = mean of A over axis (n elements each)",
              jvp=_mean_jvp))
_add(TensorOp("max", _max_vjp, ("dA = dZ broadcast * [A == Z] / (number of ties)",),
              "Z = max of A over axis (a tie shares the gradient equally)", jvp=_max_jvp))
_add(TensorOp("reshape", _reshape_vjp, ("dA = reshape(dZ, shape(A))",), "Z = reshape(A)", jvp=_reshape_jvp))
_add(TensorOp("transpose", _transpose_vjp, ("dA = dZ^T (axes permuted back)",), "Z = A^T", jvp=_transpose_jvp))
_add(TensorOp("getitem", _getitem_vjp, ("dA = zeros(shape(A)); dA[index] += dZ",),
              "Z = A[index] (repeated indices accumulate)", jvp=_getitem_jvp))
_add(TensorOp("scatter_add", _scatter_vjp, ("dA = dZ[index]",), "Z = zeros(shape); Z[index] += A (the adjoint of indexing)",
              jvp=_scatter_jvp))
_add(TensorOp("broadcast_to", _broadcast_vjp, ("dA = dZ summed back to shape(A)",), "Z = A broadcast to a shape",
              jvp=_broadcast_jvp))
_add(TensorOp("sum_to", _sum_to_vjp, ("dA = dZ broadcast to shape(A)",), "Z = A summed down to a shape (undoes broadcasting)",
              jvp=_sum_to_jvp))
_add(TensorOp("softmax", _softmax_vjp, ("dA = (dZ - (dZ^T Z) 1) * Z",),
              "Z = softmax(A) = exp(A - max A) / sum exp(A - max A) (Rosenberg section 2: "
              "dJ/ds = (dJ/dy - [(dJ/dy)^T sigma(s)] 1) * sigma(s))", jvp=_softmax_jvp))
_add(TensorOp("log_softmax", _log_softmax_vjp, ("dA = dZ - softmax(A) (dZ^T 1)",),
              "Z = A - max A - log sum exp(A - max A)", jvp=_log_softmax_jvp, vjp_graph=_log_softmax_vjp_graph))
_add(TensorOp("cross_entropy", _xent_vjp, ("dZ = dC (softmax(Z) - Y) / N",),
              "C = -1/N sum_n log softmax(Z_n)[y_n], softmax and cross-entropy in one node "
              "(CS224n 2.6: y_hat - y; Park Theorem 6.1: delta = o - y)", jvp=_xent_jvp, vjp_graph=_xent_vjp_graph))
_add(TensorOp("bce_loss", _bce_vjp, ("dA = dC (A - Y) / (A (1 - A)) / N",),
              "C = -1/N sum [Y ln A + (1 - Y) ln(1 - A)] (Bondartsov eq. (1); derivative eq. (5a))",
              jvp=_bce_jvp, vjp_graph=_bce_vjp_graph))



# ---------------------------------------------------------------------------
# PyTorch's structural habits: cat, stack, max/min along a dim (values and indices),
# amin, clone.  (view, flatten, squeeze, unsqueeze and permute are reshape and transpose.)
# ---------------------------------------------------------------------------


def _along(axis: int, ndim: int, index: Any) -> tuple:
    """The index ``[:, ..., :, index]`` with ``index`` at position ``axis``."""
    return (slice(None),) * axis + (index,) + (slice(None),) * (ndim - axis - 1)


def _cat_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    """Z = cat(A_1, ..., A_n) along an axis: dA_k is the slice of dZ where A_k sits."""
    axis, offsets = ctx
    return tuple(g[_along(axis, g.ndim, slice(offsets[k], offsets[k + 1]))] if need else None
                 for k, need in enumerate(needs))


def _cat_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    axis, _ = ctx
    return P.concatenate([tk if tk is not None else a * 0.0 for a, tk in zip(ins, t)], axis)


def _stack_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    """Z = stack(A_1, ..., A_n) along a new axis: dA_k = dZ[..., k, ...] (that axis removed)."""
    axis = ctx
    return tuple(g[_along(axis, g.ndim, k)] if need else None for k, need in enumerate(needs))


def _stack_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    return P.stack([tk if tk is not None else a * 0.0 for a, tk in zip(ins, t)], ctx)


def gather_index(shape: tuple, axis: int, idx: np.ndarray) -> tuple:
    """The advanced index that picks ``a[..., idx[...], ...]`` along ``axis`` (``idx`` keeps that axis, length 1).

    ``a[gather_index(a.shape, axis, idx)]`` has the shape of ``idx``: ``np.take_along_axis``
    written as indexing, so that the same index scatters the gradient back.
    """
    grids = []
    for d, n in enumerate(shape):
        if d == axis:
            grids.append(idx)
        else:
            view = [1] * len(shape)
            view[d] = n
            grids.append(np.arange(n).reshape(view))
    return tuple(grids)


def _pick_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    """Z = A[index of the max (min) along axis]: the whole gradient goes to the returned index
    (PyTorch's rule for ``max(dim)``/``min(dim)``; one element is picked per slice, so no accumulation)."""
    axis, keepdim, index = ctx
    a = ins[0]
    ge = g if keepdim else P.expand_dims(g, axis)
    return (P.scatter_add(a.shape, index, ge, True),)


def _pick_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    _, _, index = ctx
    return P.reshape(t[0][index], out.shape)


def _clone_vjp(P: Any, ins: Sequence[Any], out: Any, g: Any, ctx: Any, needs: Sequence[bool]) -> tuple:
    return (g,)


def _clone_jvp(P: Any, ins: Sequence[Any], out: Any, t: Sequence[Any], ctx: Any) -> Any:
    return t[0]


_add(TensorOp("cat", _cat_vjp, ("dA_k = dZ[rows of A_k]",),
              "Z = [A_1; A_2; ...] joined along an existing axis (torch.cat)", jvp=_cat_jvp))
_add(TensorOp("stack", _stack_vjp, ("dA_k = dZ[..., k, ...]",),
              "Z = the A_k stacked along a new axis (torch.stack)", jvp=_stack_jvp))
_add(TensorOp("max_dim", _pick_vjp, ("dA = zeros; dA[argmax] = dZ",),
              "Z = max of A along one axis, with the indices; the gradient goes to the returned index "
              "(torch.max(dim): the first maximum)", jvp=_pick_jvp))
_add(TensorOp("min_dim", _pick_vjp, ("dA = zeros; dA[argmin] = dZ",),
              "Z = min of A along one axis, with the indices; the gradient goes to the returned index "
              "(torch.min(dim): the first minimum)", jvp=_pick_jvp))
_add(TensorOp("min", _max_vjp, ("dA = dZ broadcast * [A == Z] / (number of ties)",),
              "Z = min of A over axis (a tie shares the gradient equally: torch.amin)", jvp=_max_jvp))
_add(TensorOp("clone", _clone_vjp, ("dA = dZ",), "Z = a copy of A (torch.clone)", jvp=_clone_jvp))

#: The 0.1.0 name of :data:`TENSOR_OPS`.
TENSOR_RULES = TENSOR_OPS


def _softmax_array(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


ARRAY_P.outer = np.outer
ARRAY_P.softmax_array = _softmax_array
ARRAY_P.concatenate = np.concatenate
ARRAY_P.stack = np.stack


def is_basic_index(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (numbers.Integral, slice)) or i is None or i is Ellipsis for i in items)
