"""Optimizers: :class:`SGD` (with momentum) and :class:`Adam`, as PyTorch defines them.

They work on any list of parameters: ``Value`` (``p.data`` and ``p.grad`` floats)
and ``Tensor`` (``p.data`` a float64 ndarray, updated in place; ``p.grad`` an
ndarray, or ``None`` — then the parameter is skipped, as in PyTorch).  The update
formulas are written out in each class's docstring; the state (momentum buffers,
moments, step counts) is kept per parameter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from . import _checks

__all__ = ["Optimizer", "SGD", "Adam"]


def _sqrt(x: Any) -> Any:
    return np.sqrt(x) if isinstance(x, np.ndarray) else math.sqrt(x)


def _copy(x: Any) -> Any:
    return np.array(x, dtype=np.float64, copy=True) if isinstance(x, np.ndarray) else float(x)


def _check_hyper(name: str, value: Any, where: str, *, low: float = 0.0, high: float | None = None,
                 open_high: bool = False) -> float:
    return _checks.real(value, name, where, low=low, high=high, high_open=open_high)


def _check_betas(value: Any, where: str) -> tuple[float, float]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"{where}: betas = {value!r} (expected a pair (beta1, beta2), each >= 0 and < 1)")
    b1, b2 = value
    return (_check_hyper("betas[0]", b1, where, high=1.0, open_high=True),
            _check_hyper("betas[1]", b2, where, high=1.0, open_high=True))


class Optimizer:
    """Base class: holds the parameter list; :meth:`zero_grad` and :meth:`step`.

    Each subclass lists its hyper-parameters in ``_HYPER`` (name -> check).  They are
    checked whenever they are set, in the constructor and afterwards
    (``opt.lr = 0.01`` between steps is fine, ``opt.lr = -5`` raises and leaves
    ``opt.lr`` as it was), so an optimizer never runs with a value it would have
    refused at construction.
    """

    _HYPER: dict[str, Callable[[Any, str], Any]] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        check = type(self)._HYPER.get(name)
        if check is not None:
            where = type(self).__name__
            value = check(value, where)
            self._check_together({**{k: getattr(self, k) for k in type(self)._HYPER if k in vars(self)}, name: value})
        object.__setattr__(self, name, value)

    def _check_together(self, hyper: dict[str, Any]) -> None:
        """Constraints between hyper-parameters (none by default)."""

    def __init__(self, params: Iterable[Any], where: str) -> None:
        if hasattr(params, "parameters") and callable(params.parameters):
            raise TypeError(f"{where}: got a {type(params).__name__}; pass its parameters: {where}(model.parameters(), ...)")
        try:
            self.params = list(params)
        except TypeError:
            raise TypeError(f"{where}: expected a list of parameters, got {type(params).__name__}") from None
        if not self.params:
            raise ValueError(f"{where}: got an empty parameter list (expected at least one parameter)")
        for k, p in enumerate(self.params):
            if not (hasattr(p, "data") and hasattr(p, "grad")):
                raise TypeError(f"{where}: parameter {k} is a {type(p).__name__} (expected a Value or a Tensor, "
                                "with .data and .grad)")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{where}: a parameter appears more than once in the list (it would be updated twice)")
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """``grad = 0.0`` for a Value, ``None`` for a Tensor (PyTorch's ``set_to_none``)."""
        for p in self.params:
            p.grad = None if isinstance(p.data, np.ndarray) else 0.0

    @staticmethod
    def _apply(p: Any, delta: Any) -> None:
        """``p.data -= delta`` (in place for an array, so views and references stay valid)."""
        if isinstance(p.data, np.ndarray):
            p.data -= delta
        else:
            p.data = float(p.data - delta)

    def step(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        hp = ", ".join(f"{k}={v}" for k, v in vars(self).items() if k not in ("params", "state"))
        return f"{type(self).__name__}({len(self.params)} parameters, {hp})"


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, PyTorch's ``torch.optim.SGD``.

    For each parameter ``p`` with gradient ``g`` (``mu`` = momentum, ``lambda`` = weight_decay,
    ``tau`` = dampening, ``gamma`` = lr)::

        g <- g + lambda p                          (if lambda != 0)
        b <- g                                     (first step with momentum)
        b <- mu b + (1 - tau) g                    (later steps)
        g <- g + mu b  if nesterov  else  b        (if mu != 0)
        p <- p - gamma g

    ``momentum=0`` is plain gradient descent ``p <- p - lr * grad``.  ``lr`` may be
    changed between steps (micrograd's demo decays it).
    """

    def __init__(self, params: Iterable[Any], lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
                 *, dampening: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, "SGD")
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.dampening = dampening
        self.nesterov = nesterov

    _HYPER = {
        "lr": lambda v, where: _check_hyper("lr", v, where),
        "momentum": lambda v, where: _check_hyper("momentum", v, where),
        "weight_decay": lambda v, where: _check_hyper("weight_decay", v, where),
        "dampening": lambda v, where: _check_hyper("dampening", v, where, high=1.0),
        "nesterov": lambda v, where: _checks.flag(v, "nesterov", where),
    }

    def _check_together(self, hyper: dict[str, Any]) -> None:
        if hyper.get("nesterov") and (hyper.get("momentum", 0.0) <= 0 or hyper.get("dampening", 0.0) != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0 (as in PyTorch); "
                             f"momentum = {hyper.get('momentum')!r}, dampening = {hyper.get('dampening')!r}")

    def step(self) -> None:
        lr, mu, wd, tau = self.lr, self.momentum, self.weight_decay, self.dampening
        for p, st in zip(self.params, self.state):
            g = p.grad
            if g is None:
                continue
            if wd != 0:
                g = g + wd * p.data
            if mu != 0:
                buf = st.get("momentum_buffer")
                if buf is None:
                    buf = _copy(g)
                else:
                    buf = mu * buf + (1.0 - tau) * g
                st["momentum_buffer"] = buf
                g = g + mu * buf if self.nesterov else buf
            self._apply(p, lr * g)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), PyTorch's ``torch.optim.Adam`` with bias correction.

    For each parameter ``p`` with gradient ``g``, step ``t = 1, 2, ...`` (counted per parameter)::

        g  <- g + lambda p                     (if weight_decay lambda != 0; L2 as in PyTorch's Adam)
        m  <- beta1 m + (1 - beta1) g          (m, v start at 0)
        v  <- beta2 v + (1 - beta2) g^2
        m^ =  m / (1 - beta1^t)
        v^ =  v / (1 - beta2^t)
        p  <- p - lr m^ / (sqrt(v^) + eps)
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, "Adam")
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay

    _HYPER = {
        "lr": lambda v, where: _check_hyper("lr", v, where),
        "betas": _check_betas,
        "eps": lambda v, where: _check_hyper("eps", v, where),
        "weight_decay": lambda v, where: _check_hyper("weight_decay", v, where),
    }

    def step(self) -> None:
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        b1, b2 = self.betas
        for p, st in zip(self.params, self.state):
            g = p.grad
            if g is None:
                continue
            if wd != 0:
                g = g + wd * p.data
            t = st.get("step", 0) + 1
            m = st.get("exp_avg", 0.0)
            v = st.get("exp_avg_sq", 0.0)
            m = b1 * m + (1.0 - b1) * g
            v = b2 * v + (1.0 - b2) * (g * g)
            st["step"], st["exp_avg"], st["exp_avg_sq"] = t, m, v
            m_hat = m / (1.0 - b1**t)
            v_hat = v / (1.0 - b2**t)
            self._apply(p, lr * m_hat / (_sqrt(v_hat) + eps))
