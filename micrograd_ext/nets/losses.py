"""Loss functions of ``Value``s: mean squared error, binary and softmax cross-entropy, max-margin.

Each loss can be built two ways, so a diagram shows either the documents' picture
or the learner's hand calculation:

* ``nary=True``: the loss is ONE node of the rule table (``mse``, ``bce``,
  ``xent``), whose local derivative to each prediction is the formula of the
  document (Bondartsov 2019, eq. (5a) for ``bce``; CS224n notes, identity 2.6,
  ``y_hat - y`` for ``xent``);
* ``nary=False``: elementary nodes only (``-``, ``**2``, ``log``, ``exp``, ``*``, ``+``).

Shapes.  ``preds`` is a list of lists (rows are samples, columns are outputs), a
flat list, or a single ``Value``; ``targets`` has the same shape.  For a list of
lists the loss is averaged over the ``N`` samples and *summed* over the outputs,
as eq. (1) of Bondartsov; a flat list is ``N`` samples of one output each, so it
is the mean over its elements (PyTorch's ``reduction='mean'``).

Given a :class:`~micrograd_ext.tensor.Tensor`, :func:`mse`, :func:`bce` and
:func:`softmax_cross_entropy` hand over to :mod:`micrograd_ext.tensor_nn`
(``mse_loss``, ``bce_loss`` with ``reduction='batchmean'``, ``cross_entropy``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from functools import reduce
from operator import add
from typing import Any

from ..core.ops import DomainError
from ..core.value import Value

__all__ = ["mse", "bce", "softmax_cross_entropy", "max_margin"]


def _is_tensor(x: Any) -> bool:
    try:
        from ..core.tensor import Tensor
    except ImportError:  # pragma: no cover - the Tensor half is not in this build
        return False
    return isinstance(x, Tensor)


def _tensor_nn() -> Any:
    try:
        from . import tensor_nn
    except ImportError as e:  # pragma: no cover
        raise TypeError("losses: Tensor inputs need micrograd_ext.tensor_nn, which is not in this build") from e
    return tensor_nn


def _as_value(p: Any, where: str) -> Value:
    if isinstance(p, Value):
        return p
    if isinstance(p, numbers.Real) and not isinstance(p, bool):
        return Value(p)
    raise TypeError(f"{where}: expected a Value or a number as a prediction, got {type(p).__name__}: {p!r:.60}")


def _as_float(t: Any, where: str) -> float:
    if isinstance(t, Value):
        return t.data
    if isinstance(t, numbers.Real) and not isinstance(t, bool):
        return float(t)
    raise TypeError(f"{where}: expected a number as a target, got {type(t).__name__}: {t!r:.60}")


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


def mse(preds: Any, targets: Any, *, nary: bool = True) -> Value:
    """Mean squared error ``1/N sum_n sum_k (a_nk - y_nk)^2`` (``N`` samples; see the module docstring).

    ``nary=True``: one ``mse`` node, local derivative ``2 (a - y) / N``;
    ``nary=False``: ``(a - y)**2`` nodes, summed, times ``1/N``.
    """
    if _is_tensor(preds):
        return _tensor_nn().mse_loss(preds, targets, reduction="batchmean")
    N, flat, ys = _rows(preds, targets, "mse")
    if nary:
        return Value.nary("mse", flat, targets=ys, scale=1.0 / N)
    return reduce(add, [(p - y) ** 2 for p, y in zip(flat, ys)]) * (1.0 / N)


def bce(preds: Any, targets: Any, *, nary: bool = True) -> Value:
    """Binary cross-entropy, Bondartsov (2019) eq. (1) summed over the outputs:

    ``C = -1/|Sx| sum_{Sx} sum_k [y_k ln a_k + (1 - y_k) ln(1 - a_k)]``.

    ``preds`` are probabilities (e.g. sigmoid outputs ``a(2)[k]``), rows are samples.
    ``nary=True``: one ``bce`` node whose local derivative to ``a_k`` is eq. (5a),
    ``(a_k - y_k) / (a_k (1 - a_k)) / |Sx|`` (each log is floored at -100 as
    PyTorch's ``BCELoss``, so a saturated output gives a large finite loss).
    ``nary=False``: ``log``, ``*``, ``+`` nodes (a term whose factor ``y`` or
    ``1 - y`` is zero is left out, so ``a = 1`` with ``y = 1`` is fine; ``ln 0`` otherwise
    raises :class:`~micrograd_ext.rules.DomainError`).
    """
    if _is_tensor(preds):
        return _tensor_nn().bce_loss(preds, targets, reduction="batchmean")
    N, flat, ys = _rows(preds, targets, "bce")
    for p in flat:
        if not 0.0 <= p.data <= 1.0:
            raise DomainError(f"bce: prediction {p.data!r} {p.label} (expected a probability in [0, 1], "
                              "e.g. a sigmoid output)".replace("  ", " "))
    if nary:
        return Value.nary("bce", flat, targets=ys, scale=1.0 / N)
    terms: list[Value] = []
    for a, y in zip(flat, ys):
        if y != 0.0:
            terms.append(y * a.log())
        if y != 1.0:
            terms.append((1.0 - y) * (1.0 - a).log())
    if not terms:  # pragma: no cover - every y is both 0 and 1: impossible
        raise ValueError("bce: no terms")
    return reduce(add, terms) * (-1.0 / N)


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


def softmax_cross_entropy(logits: Any, target: Any, *, nary: bool = True) -> Value:
    """``-ln softmax(z)_target = logsumexp(z) - z_target``, numerically stable.

    ``logits``: one sample's logits (a list of Values) with ``target`` a class index,
    or a list of such rows with a list of indices (then the mean over samples).
    The gradient to ``z`` is ``softmax(z) - y`` (CS224n notes, identity 2.6).
    ``nary=True``: one ``xent`` node per sample (plus a ``sum`` over samples);
    ``nary=False``: ``-``, ``exp``, ``+``, ``log`` nodes with the max subtracted.
    """
    if _is_tensor(logits):
        return _tensor_nn().cross_entropy(logits, target)
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
    nodes = []
    for r, (z, k) in enumerate(zip(batch, ks)):
        if not z:
            raise ValueError(f"softmax_cross_entropy: sample {r} has no logits")
        kk = _check_class(k, len(z), "softmax_cross_entropy")
        nodes.append(Value.nary("xent", z, target=kk, scale=1.0 / N) if nary else _xent_elementary(z, kk, 1.0))
    if nary:
        return nodes[0] if N == 1 else Value.sum(nodes)
    return nodes[0] if N == 1 else reduce(add, nodes) * (1.0 / N)


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
    import numpy as np

    y = np.asarray(getattr(labels, "data", labels), dtype=np.float64).reshape(scores.shape)
    bad = ~np.isin(y, (-1.0, 1.0))
    if np.any(bad):
        raise ValueError(f"max_margin: label {y[bad].flat[0]!r} (expected -1 or +1; for 0/1 labels use y * 2 - 1)")
    loss = (1.0 - scores * y).relu().mean()
    for p in params or ():
        loss = loss + alpha * (p * p).sum()
    return loss
