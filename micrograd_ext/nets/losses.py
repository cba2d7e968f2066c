"""The loss functions, for ``Value`` and ``Tensor``: mean squared error, binary and softmax cross-entropy, max-margin.

This module is the one home of the losses a user calls; the fused loss *nodes* they
build (the ``mse``, ``bce`` and ``xent`` rules of :mod:`micrograd_ext.core.ops`, the
Tensor ``bce`` and ``cross_entropy`` nodes of :mod:`micrograd_ext.core.tensor`) live in
the engine.  :mod:`micrograd_ext.nets.tensor_nn` re-exports :func:`mse_loss`,
:func:`bce_loss` and :func:`cross_entropy` so ``from micrograd_ext.tensor_nn import
bce_loss`` keeps working.

**Reduction.**  Every loss takes ``reduction``, read by one parser
(:func:`parse_reduction`) with PyTorch's meanings: ``'mean'`` over every element,
``'sum'``, ``'batchmean'`` (summed over the outputs, averaged over the ``N`` samples:
Bondartsov's eq. (1), ``C = -1/|Sx| sum_x sum_k ...``) and ``'none'`` (one loss per
element, or per sample for the cross-entropy).

**Value losses** (:func:`mse`, :func:`bce`, :func:`softmax_cross_entropy`,
:func:`max_margin`) can be built two ways, so a diagram shows either the documents'
picture or the learner's hand calculation:

* ``nary=True``: the loss is ONE node of the rule table (``mse``, ``bce``, ``xent``),
  whose local derivative to each prediction is the formula of the document
  (Bondartsov 2019, eq. (5a) for ``bce``; CS224n notes, identity 2.6, ``y_hat - y``
  for ``xent``);
* ``nary=False``: elementary nodes only (``-``, ``**2``, ``log``, ``exp``, ``*``, ``+``).

``preds`` is a list of lists (rows are samples, columns are outputs), a flat list
(``N`` samples of one output each) or a single ``Value``; ``targets`` has the same
shape.  Their default reduction is ``'batchmean'``: for a flat list that is the mean
over its elements (PyTorch's ``'mean'``).

**Tensor losses** (:func:`mse_loss`, :func:`bce_loss`, :func:`cross_entropy`) default
to ``'mean'`` as PyTorch.  Given a ``Tensor``, :func:`mse`, :func:`bce` and
:func:`softmax_cross_entropy` hand over to them (with ``'batchmean'``).

Targets are checked: finite numbers, within ``[0, 1]`` for the binary cross-entropy.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from functools import reduce
from operator import add
from typing import Any

import numpy as np

from ..core.ops import DomainError
from ..core.tensor import Tensor
from ..core.tensor import bce as _bce_node
from ..core.tensor import cross_entropy as _xent_node
from ..core.value import Value
from . import _checks

__all__ = ["mse", "bce", "softmax_cross_entropy", "max_margin", "mse_loss", "bce_loss", "cross_entropy",
           "REDUCTIONS", "parse_reduction"]

#: The reductions, as PyTorch names them.
REDUCTIONS: tuple[str, ...] = ("mean", "sum", "batchmean", "none")


def parse_reduction(reduction: Any, where: str, allowed: Sequence[str] = REDUCTIONS) -> str:
    """The one reader of ``reduction=``: one of :data:`REDUCTIONS` that the loss ``where`` supports."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"{where}: reduction = {reduction!r} (expected one of {', '.join(map(repr, allowed))})")
    if reduction not in allowed:
        raise ValueError(f"{where}: reduction = {reduction!r} is not available here "
                         f"(expected one of {', '.join(map(repr, allowed))})")
    return reduction


def _scale(reduction: str, n_elements: int, n_samples: int) -> float:
    """The factor in front of the sum: ``'mean'`` 1/elements, ``'batchmean'`` 1/samples, ``'sum'`` 1."""
    if reduction == "mean":
        return 1.0 / max(n_elements, 1)
    if reduction == "batchmean":
        return 1.0 / max(n_samples, 1)
    return 1.0


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def _as_value(p: Any, where: str) -> Value:
    if isinstance(p, Value):
        return p
    if isinstance(p, numbers.Real) and not isinstance(p, bool):
        return Value(_checks.real(p, "prediction", where, finite=False))
    raise TypeError(f"{where}: expected a Value or a number as a prediction, got {type(p).__name__}: {p!r:.60}")


def _as_float(t: Any, where: str) -> float:
    if type(t) is float and math.isfinite(t):  # the common case first
        return t
    if isinstance(t, Value):
        t = t.data
    if isinstance(t, numbers.Real) and not isinstance(t, bool):
        return _checks.real(t, "target", where)
    raise TypeError(f"{where}: expected a number as a target, got {type(t).__name__}: {t!r:.60}")


def _check_probabilities(ys: Sequence[float], where: str) -> None:
    for y in ys:
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"{where}: target {y!r} (expected a probability in [0, 1], e.g. a 0/1 label)")


def _unflatten(nodes: list[Value], preds: Any) -> Any:
    """Per-element losses (``reduction='none'``) in the shape of ``preds``."""
    if isinstance(preds, (Value, numbers.Real)):
        return nodes[0]
    rows = list(preds)
    if rows and _is_row(rows[0]):
        out, k = [], 0
        for r in rows:
            out.append(nodes[k: k + len(r)])
            k += len(r)
        return out
    return nodes


def _is_row(x: Any) -> bool:
    return not isinstance(x, (Value, numbers.Number, str)) and hasattr(x, "__len__")


def _rows(preds: Any, targets: Any, where: str) -> tuple[int, list[Value], list[float]]:
    """``N`` rows of predictions and targets of equal length (see the module docstring),
    returned as ``N`` and the predictions and targets flattened row after row."""
    if isinstance(preds, (Value, numbers.Real)):  # one prediction
        preds = [preds]
    preds = list(preds)
    targets = list(targets) if _is_row(targets) else [targets]
    if not preds:
        raise ValueError(f"{where}: no predictions (expected at least one)")
    if len(preds) != len(targets):
        raise ValueError(f"{where}: {len(preds)} predictions but {len(targets)} targets (expected the same number)")
    if _is_row(preds[0]):
        P, T = [], []
        for n, (pr, tr) in enumerate(zip(preds, targets)):
            if not _is_row(pr) or not _is_row(tr) or len(pr) != len(tr):
                raise ValueError(f"{where}: sample {n} has predictions {_shape(pr)} and targets {_shape(tr)} "
                                 "(expected rows of the same length)")
            P.extend(_as_value(p, where) for p in pr)
            T.extend(_as_float(t, where) for t in tr)
        return len(preds), P, T
    return len(preds), [_as_value(p, where) for p in preds], [_as_float(t, where) for t in targets]


def _shape(x: Any) -> str:
    return f"of length {len(x)}" if _is_row(x) else f"{type(x).__name__} {x!r:.30}"


def mse(preds: Any, targets: Any, *, nary: bool = True, reduction: str = "batchmean") -> Any:
    """Mean squared error ``1/N sum_n sum_k (a_nk - y_nk)^2`` (``N`` samples; see the module docstring).

    ``nary=True``: one ``mse`` node, local derivative ``2 (a - y) / N``;
    ``nary=False``: ``(a - y)**2`` nodes, summed, times ``1/N``.  ``reduction='none'``
    gives one loss node per element, in the shape of ``preds``.
    """
    if _is_tensor(preds):
        return mse_loss(preds, targets, reduction=parse_reduction(reduction, "mse"))
    reduction = parse_reduction(reduction, "mse")
    nary = _checks.flag(nary, "nary", "mse")
    N, flat, ys = _rows(preds, targets, "mse")
    if reduction == "none":
        if nary:
            return _unflatten([Value.nary("mse", [p], targets=[y], scale=1.0) for p, y in zip(flat, ys)], preds)
        return _unflatten([(p - y) ** 2 for p, y in zip(flat, ys)], preds)
    scale = _scale(reduction, len(flat), N)
    if nary:
        return Value.nary("mse", flat, targets=ys, scale=scale)
    total = reduce(add, [(p - y) ** 2 for p, y in zip(flat, ys)])
    return total * scale if reduction != "sum" else total


def bce(preds: Any, targets: Any, *, nary: bool = True, reduction: str = "batchmean") -> Any:
    """Binary cross-entropy, Bondartsov (2019) eq. (1) summed over the outputs:

    ``C = -1/|Sx| sum_{Sx} sum_k [y_k ln a_k + (1 - y_k) ln(1 - a_k)]``.

    ``preds`` are probabilities (e.g. sigmoid outputs ``a(2)[k]``), rows are samples.
    ``nary=True``: one ``bce`` node whose local derivative to ``a_k`` is eq. (5a),
    ``(a_k - y_k) / (a_k (1 - a_k)) / |Sx|`` (each log is floored at -100 as
    PyTorch's ``BCELoss``, so a saturated output gives a large finite loss).
    ``nary=False``: ``log``, ``*``, ``+`` nodes (a term whose factor ``y`` or
    ``1 - y`` is zero is left out, so ``a = 1`` with ``y = 1`` is fine; ``ln 0`` otherwise
    raises :class:`~micrograd_ext.rules.DomainError`).  Targets must lie in ``[0, 1]``
    (a ``ValueError`` otherwise, as PyTorch's ``BCELoss``).  ``reduction='none'``
    gives one loss node per element, in the shape of ``preds``.
    """
    if _is_tensor(preds):
        return bce_loss(preds, targets, reduction=parse_reduction(reduction, "bce"))
    reduction = parse_reduction(reduction, "bce")
    nary = _checks.flag(nary, "nary", "bce")
    N, flat, ys = _rows(preds, targets, "bce")
    _check_probabilities(ys, "bce")
    for p in flat:
        if not 0.0 <= p.data <= 1.0:
            raise DomainError(f"bce: prediction {p.data!r} {p.label} (expected a probability in [0, 1], "
                              "e.g. a sigmoid output)".replace("  ", " "))
    if reduction == "none":
        if nary:
            return _unflatten([Value.nary("bce", [a], targets=[y], scale=1.0) for a, y in zip(flat, ys)], preds)
        return _unflatten([_bce_elementary([a], [y], -1.0) for a, y in zip(flat, ys)], preds)
    scale = _scale(reduction, len(flat), N)
    if nary:
        return Value.nary("bce", flat, targets=ys, scale=scale)
    return _bce_elementary(flat, ys, -scale)


def _bce_elementary(flat: Sequence[Value], ys: Sequence[float], factor: float) -> Value:
    terms: list[Value] = []
    for a, y in zip(flat, ys):
        if y != 0.0:
            terms.append(y * a.log())
        if y != 1.0:
            terms.append((1.0 - y) * (1.0 - a).log())
    return reduce(add, terms) * factor


def _check_class(k: Any, n: int, where: str) -> int:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{where}: target {k!r} of type {type(k).__name__} (expected a class index, an int)")
    if not 0 <= int(k) < n:
        raise IndexError(f"{where}: class index {int(k)} for {n} logits (expected 0 <= target < {n})")
    return int(k)


def _xent_elementary(z: list[Value], k: int, scale: float) -> Value:
    # log softmax(z)_k = z_k - logsumexp(z); logsumexp(z) = m + ln sum_j e^(z_j - m), with
    # m = max_j z_j a constant (the result does not depend on m, so neither does the
    # gradient): no exp ever overflows, the largest term is e^0 = 1.
    m = max(v.data for v in z)
    s = reduce(add, [(v - m).exp() for v in z])
    loss = s.log() + m - z[k]
    return loss * scale if scale != 1.0 else loss


def softmax_cross_entropy(logits: Any, target: Any, *, nary: bool = True, reduction: str = "mean") -> Any:
    """``-ln softmax(z)_target = logsumexp(z) - z_target``, numerically stable.

    ``logits``: one sample's logits (a list of Values) with ``target`` a class index,
    or a list of such rows with a list of indices (then the mean over samples).
    The gradient to ``z`` is ``softmax(z) - y`` (CS224n notes, identity 2.6).
    ``nary=True``: one ``xent`` node per sample (plus a ``sum`` over samples);
    ``nary=False``: ``-``, ``exp``, ``+``, ``log`` nodes with the max subtracted.
    ``reduction``: ``'mean'`` (or ``'batchmean'``, the same here) over the samples,
    ``'sum'``, or ``'none'`` (a list of one loss node per sample).
    """
    if _is_tensor(logits):
        return cross_entropy(logits, target, reduction=parse_reduction(reduction, "softmax_cross_entropy"))
    reduction = parse_reduction(reduction, "softmax_cross_entropy")
    nary = _checks.flag(nary, "nary", "softmax_cross_entropy")
    if isinstance(logits, (Value, numbers.Number, str)) or not hasattr(logits, "__iter__"):
        raise TypeError(f"softmax_cross_entropy: logits {type(logits).__name__} {logits!r:.40} "
                        "(expected a list of Values, or a list of such rows)")
    rows = list(logits)
    if not rows:
        raise ValueError("softmax_cross_entropy: no logits (expected at least one)")
    if _is_row(rows[0]):
        if not _is_row(target) or len(target) != len(rows):
            raise ValueError(f"softmax_cross_entropy: {len(rows)} rows of logits but targets {_shape(target)} "
                             "(expected one class index per row)")
        batch = [[_as_value(v, "softmax_cross_entropy") for v in r] for r in rows]
        ks = list(target)
    else:
        batch = [[_as_value(v, "softmax_cross_entropy") for v in rows]]
        ks = [target]
    N = len(batch)
    scale = 1.0 if reduction in ("sum", "none") else 1.0 / N
    nodes = []
    for r, (z, k) in enumerate(zip(batch, ks)):
        if not z:
            raise ValueError(f"softmax_cross_entropy: sample {r} has no logits")
        kk = _check_class(k, len(z), "softmax_cross_entropy")
        nodes.append(Value.nary("xent", z, target=kk, scale=scale) if nary else _xent_elementary(z, kk, 1.0))
    if reduction == "none":
        return nodes if _is_row(rows[0]) else nodes[0]
    if nary:
        return nodes[0] if N == 1 else Value.sum(nodes)
    if N == 1:
        return nodes[0]
    total = reduce(add, nodes)
    return total if reduction == "sum" else total * scale


def max_margin(scores: Any, labels: Sequence[float], alpha: float = 1e-4, params: Sequence[Any] | None = None,
               *, nary: bool = False) -> Value:
    """micrograd's demo loss: the SVM max-margin loss plus L2 regularisation,

    ``L = 1/N sum_n relu(1 - y_n s_n) + alpha sum_p p^2``,  labels ``y_n`` in ``{-1, +1}``.

    ``params`` (e.g. ``model.parameters()``) are the weights of the L2 term (none if
    ``None``).  ``nary=False`` (the default) builds exactly the nodes of micrograd's
    ``demo.ipynb``: ``sum(losses) * (1.0 / len(losses)) + alpha * sum(p*p ...)``.
    ``nary=True`` uses one ``sum`` node for each of the two sums.
    Given a Tensor of scores, the same formula with Tensor operations.
    """
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not math.isfinite(alpha):
        raise ValueError(f"max_margin: alpha = {alpha!r} (expected a finite number)")
    if _is_tensor(scores):
        return _max_margin_tensor(scores, labels, float(alpha), params)
    ss = [scores] if isinstance(scores, Value) else list(scores)
    ys = [labels] if isinstance(labels, numbers.Real) else list(labels)
    if not ss:
        raise ValueError("max_margin: no scores (expected at least one)")
    if len(ss) != len(ys):
        raise ValueError(f"max_margin: {len(ss)} scores but {len(ys)} labels (expected the same number)")
    yf = [_as_float(y, "max_margin") for y in ys]
    for y in yf:
        if y not in (-1.0, 1.0):
            raise ValueError(f"max_margin: label {y!r} (expected -1 or +1; for 0/1 labels use y * 2 - 1, "
                             "or make_moons(signed=True))")
    ss = [_as_value(s, "max_margin") for s in ss]
    losses = [(1 + -yi * si).relu() for yi, si in zip(yf, ss)]
    ps = list(params) if params is not None else []
    if nary:
        data_loss = Value.sum(losses) * (1.0 / len(losses))
        if not ps:
            return data_loss
        return data_loss + alpha * Value.sum([p * p for p in ps])
    data_loss = sum(losses) * (1.0 / len(losses))
    if not ps:
        return data_loss
    reg_loss = alpha * sum(p * p for p in ps)
    return data_loss + reg_loss


def _max_margin_tensor(scores: Any, labels: Any, alpha: float, params: Sequence[Any] | None) -> Any:
    y = np.asarray(getattr(labels, "data", labels), dtype=np.float64).reshape(scores.shape)
    bad = ~np.isin(y, (-1.0, 1.0))
    if np.any(bad):
        raise ValueError(f"max_margin: label {y[bad].flat[0]!r} (expected -1 or +1; for 0/1 labels use y * 2 - 1)")
    loss = (1.0 - scores * y).relu().mean()
    for p in params or ():
        loss = loss + alpha * (p * p).sum()
    return loss


# ---------------------------------------------------------------------------
# Tensor losses (PyTorch's names and defaults)
# ---------------------------------------------------------------------------


def _as_tensor_pred(pred: Any, where: str) -> Tensor:
    if not isinstance(pred, Tensor):
        raise TypeError(f"{where}: predictions of type {type(pred).__name__} (expected a Tensor; "
                        "for lists of Values use mse / bce / softmax_cross_entropy)")
    return pred


def _target_array(target: Any, shape: tuple[int, ...], where: str, *, probabilities: bool = False) -> np.ndarray:
    """The targets as a float64 array of ``shape``: real, finite numbers (in [0, 1] for ``probabilities``)."""
    t = target.data if isinstance(target, Tensor) else target
    try:
        arr = np.asarray(t)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: targets {type(target).__name__} {target!r:.40} (expected an array of numbers)") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{where}: targets of dtype {arr.dtype} (expected real numbers)")
    arr = arr.astype(np.float64, copy=False)
    if arr.shape != shape:
        raise ValueError(f"{where}: target of shape {arr.shape} for predictions of shape {shape} (expected the same shape)")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{where}: target {float(arr[~np.isfinite(arr)].flat[0])!r} (expected finite numbers)")
    if probabilities:
        bad = (arr < 0.0) | (arr > 1.0)
        if np.any(bad):
            raise ValueError(f"{where}: target {float(arr[bad].flat[0])!r} (expected probabilities in [0, 1], e.g. 0/1 labels)")
    return arr


def mse_loss(pred: Tensor, target: Tensor | np.ndarray, reduction: str = "mean") -> Tensor:
    """``(pred - target)^2`` reduced: ``'mean'`` over all elements (as PyTorch), ``'sum'``,
    ``'batchmean'`` (summed over outputs, averaged over the samples of axis 0) or ``'none'``."""
    reduction = parse_reduction(reduction, "mse_loss")
    pred = _as_tensor_pred(pred, "mse_loss")
    t = Tensor(_target_array(target, pred.shape, "mse_loss"))
    per = (pred - t) ** 2
    if reduction == "none":
        return per
    if reduction == "mean":
        return per.mean()
    if reduction == "sum":
        return per.sum()
    return per.sum() * (1.0 / (per.shape[0] if per.ndim else 1))


def bce_loss(pred: Tensor, target: Tensor | np.ndarray, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities ``pred`` (e.g. sigmoid outputs) against ``target`` in [0, 1].

    One graph node (the engine's ``'bce'`` node, each log floored at -100 as PyTorch's
    ``BCELoss``).  ``reduction``: ``'mean'`` over all elements (as PyTorch), ``'sum'``,
    ``'batchmean'`` — summed over outputs and averaged over the ``N`` samples (rows),
    which is Bondartsov's eq. (1) ``C = -1/N sum_n sum_k [y ln a + (1 - y) ln(1 - a)]`` —
    or ``'none'``: the per-element losses ``-[y ln a + (1 - y) ln(1 - a)]`` built from
    elementwise nodes, which needs ``0 < a < 1`` (no floor: a saturated output raises).
    """
    reduction = parse_reduction(reduction, "bce_loss")
    pred = _as_tensor_pred(pred, "bce_loss")
    t = _target_array(target, pred.shape, "bce_loss", probabilities=True)
    if reduction == "none":
        a = pred.data
        sat = (a <= 0.0) | (a >= 1.0)
        if np.any(sat):
            raise DomainError(f"bce_loss: reduction='none' needs predictions strictly between 0 and 1, got "
                              f"{float(a[sat].flat[0])!r} (the reduced losses floor ln 0 at -100 as PyTorch; 'none' is "
                              "built from elementwise log nodes, which do not)")
        return -(t * pred.log() + (1.0 - t) * (1.0 - pred).log())
    return _bce_node(pred, t, _scale(reduction, pred.size, pred.shape[0] if pred.ndim else 1))


def cross_entropy(logits: Tensor, target: Tensor | np.ndarray | Sequence[int], reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy from logits, one node (see :func:`micrograd_ext.core.tensor.cross_entropy`).

    ``target``: class indices ``(N,)`` or one-hot rows ``(N, C)``; ``reduction``:
    ``'mean'`` over samples (``'batchmean'`` is the same here), ``'sum'``, or ``'none'``
    (the ``N`` per-sample losses ``-log_softmax(z)_y``, from the ``log_softmax`` node).
    Backward of the fused node: ``dZ = (softmax(Z) - Y) / N``.
    """
    reduction = parse_reduction(reduction, "cross_entropy")
    logits = _as_tensor_pred(logits, "cross_entropy")
    if reduction != "none":
        return _xent_node(logits, target, "sum" if reduction == "sum" else "mean")
    z = logits.data
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if z.ndim not in (1, 2):
        raise ValueError(f"cross_entropy: logits of shape {z.shape} (expected (N, C) or (C,))")
    C = z.shape[-1]
    if t.shape == z.shape:
        Y = _target_array(t, z.shape, "cross_entropy")
    else:
        if t.shape != z.shape[:-1]:
            raise ValueError(f"cross_entropy: target of shape {t.shape} for logits of shape {z.shape} (expected class "
                             f"indices of shape {z.shape[:-1]} or one-hot rows of shape {z.shape})")
        if t.dtype.kind not in "iu":
            raise TypeError(f"cross_entropy: target of dtype {t.dtype} (expected integer class indices)")
        bad = (t < 0) | (t >= C)
        if np.any(bad):
            raise IndexError(f"cross_entropy: class index {int(t[bad].flat[0])} (expected 0 <= target < {C})")
        Y = np.eye(C)[t]
    return -(logits.log_softmax(axis=-1) * Y).sum(axis=-1)
