"""``torch.nn.functional``'s names, on :class:`~micrograd_ext.core.tensor.Tensor`: ``import ... as F``.

    from micrograd_ext.nets import functional as F
    loss = F.cross_entropy(F.relu(F.linear(x, W1, b1)) @ W2.T, y)

Each function is the Tensor operation (or the loss of :mod:`micrograd_ext.nets.tensor_nn`) of
the same meaning, with PyTorch's argument names and defaults: ``dim=``, ``reduction='mean'``
(``'sum'`` and ``'none'`` too).  The gradients are the op tables' (the fused ``linear``,
``cross_entropy`` and ``bce_loss`` nodes are the documents' formulas: Rosenberg section 1,
CS224n 2.6, Bondartsov eqs. (1), (5a)).  One difference: ``softmax``/``log_softmax`` without
``dim`` use the last dimension (PyTorch guesses a dimension there, with a deprecation warning).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.tensor import Tensor
from ..core.tensor import linear as _linear
from .tensor_nn import bce_loss as _bce_loss
from .tensor_nn import cross_entropy as _cross_entropy
from .tensor_nn import mse_loss as _mse_loss

__all__ = [
    "relu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "linear",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
]

_REDUCTIONS = ("mean", "sum", "none")


def _tensor(x: Any, where: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    raise TypeError(f"{where}: input of type {type(x).__name__} (expected a Tensor)")


def _check_reduction(reduction: str, where: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{where}: reduction={reduction!r} (expected 'mean', 'sum' or 'none')")


def _reduce(per: Tensor, reduction: str) -> Tensor:
    return per if reduction == "none" else per.sum() if reduction == "sum" else per.mean()


def relu(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument names
    """max(0, x); relu'(0) = 0, as PyTorch."""
    return _tensor(input, "relu").relu()


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "sigmoid").sigmoid()


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor(input, "tanh").tanh()


def softmax(input: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """exp(x) / sum exp(x) along ``dim`` (the last by default), max subtracted first (Rosenberg section 2)."""
    return _tensor(input, "softmax").softmax(dim=-1 if dim is None else dim)


def log_softmax(input: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """x - logsumexp(x) along ``dim`` (the last by default)."""
    return _tensor(input, "log_softmax").log_softmax(dim=-1 if dim is None else dim)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``y = x W^T + b`` with ``W`` of shape ``(out, in)``, one node (Rosenberg section 1)."""
    return _linear(input, weight, bias)


def _targets(target: Any) -> np.ndarray:
    return target.data if isinstance(target, Tensor) else np.asarray(target)


def cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Softmax cross-entropy from logits ``(N, C)`` (or ``(C,)``) and class indices ``(N,)`` or
    probability rows ``(N, C)``, as ``torch.nn.functional.cross_entropy``.

    ``'mean'`` and ``'sum'``: one node, ``dZ = (softmax(Z) - Y) / N`` (CS224n 2.6);
    ``'none'``: the loss of each sample, ``-log_softmax(Z)[n, y_n]``.
    """
    z = _tensor(input, "cross_entropy")
    _check_reduction(reduction, "cross_entropy")
    if reduction != "none":
        return _cross_entropy(z, target, reduction)
    t = _targets(target)
    logp = z.log_softmax(dim=-1)
    if t.shape == z.shape:  # probability rows
        return -(logp * Tensor(t)).sum(dim=-1)
    return nll_loss(logp, t, reduction="none")


def nll_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """``-input[n, target_n]`` (``input`` holds log-probabilities, e.g. ``log_softmax``), averaged over
    the ``N`` samples: ``nll_loss(log_softmax(z, 1), y) == cross_entropy(z, y)``."""
    lp = _tensor(input, "nll_loss")
    _check_reduction(reduction, "nll_loss")
    t = _targets(target)
    if lp.ndim not in (1, 2):
        raise ValueError(f"nll_loss: input of shape {lp.shape} (expected (N, C) or (C,))")
    if t.dtype.kind not in "iu" and not (t.dtype.kind == "f" and np.all(t == np.round(t))):
        raise TypeError(f"nll_loss: target of dtype {t.dtype} (expected integer class indices)")
    t = t.astype(np.intp)
    C = lp.shape[-1]
    if t.size and (t.min() < 0 or t.max() >= C):
        raise IndexError(f"nll_loss: class index {int(t[(t < 0) | (t >= C)].flat[0])} (expected 0 <= target < {C})")
    if lp.ndim == 1:
        if t.shape != ():
            raise ValueError(f"nll_loss: target of shape {t.shape} for input of shape {lp.shape} (expected one index)")
        return _reduce(-lp[int(t)], reduction)
    if t.shape != (lp.shape[0],):
        raise ValueError(f"nll_loss: target of shape {t.shape} for input of shape {lp.shape} (expected ({lp.shape[0]},))")
    return _reduce(-lp[np.arange(lp.shape[0]), t], reduction)


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """``(input - target)^2``, averaged over every element (``torch.nn.functional.mse_loss``)."""
    x = _tensor(input, "mse_loss")
    _check_reduction(reduction, "mse_loss")
    if reduction != "none":
        return _mse_loss(x, target, reduction)
    t = target if isinstance(target, Tensor) else Tensor(target)
    if t.shape != x.shape:
        raise ValueError(f"mse_loss: target of shape {t.shape} for input of shape {x.shape} (expected the same shape)")
    return (x - t) ** 2


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """``|input - target|``, averaged over every element; its derivative at 0 is 0 (``abs``'s, as PyTorch)."""
    x = _tensor(input, "l1_loss")
    _check_reduction(reduction, "l1_loss")
    t = target if isinstance(target, Tensor) else Tensor(target)
    if t.shape != x.shape:
        raise ValueError(f"l1_loss: target of shape {t.shape} for input of shape {x.shape} (expected the same shape)")
    return _reduce((x - t).abs(), reduction)


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """``-[y ln p + (1 - y) ln(1 - p)]`` of probabilities ``p``, averaged over every element
    (``torch.nn.functional.binary_cross_entropy``; Bondartsov eq. (1), derivative eq. (5a)).

    ``'mean'``/``'sum'``: one node, each log floored at -100 as PyTorch; ``'none'``: the
    elementwise losses, from ``log`` nodes (a prediction of exactly 0 or 1 is a domain error there).
    """
    p = _tensor(input, "binary_cross_entropy")
    _check_reduction(reduction, "binary_cross_entropy")
    if reduction != "none":
        return _bce_loss(p, target, reduction)
    y = Tensor(_targets(target))
    if y.shape != p.shape:
        raise ValueError(f"binary_cross_entropy: target of shape {y.shape} for input of shape {p.shape} (expected the same shape)")
    return -(y * p.log().clamp(min=-100.0) + (1.0 - y) * (1.0 - p).log().clamp(min=-100.0))
