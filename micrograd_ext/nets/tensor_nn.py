"""Matrix layers over :class:`~micrograd_ext.tensor.Tensor`, PyTorch-style.

* :class:`Linear` — ``Y = X W^T + b`` with ``W`` of shape ``(nout, nin)`` (rows of
  ``X`` are samples, as ``torch.nn.Linear``); one graph node whose backward is
  Rosenberg's minibatch formulas ``dX = dY W``, ``dW = dY^T X``, ``db = dY^T 1``.
* :class:`Sequential` and the activation modules :class:`ReLU`, :class:`Tanh`,
  :class:`Sigmoid`, :class:`Identity`.
* :class:`MLP` — ``Linear`` layers with an activation after each, built like the
  neuron-by-neuron :class:`micrograd_ext.nn.MLP`; :meth:`MLP.from_scalar` and
  :meth:`MLP.to_scalar` move the weights between the two, so one network can be
  run at both levels and their gradients compared (row ``i`` of layer ``l``'s
  weight matrix holds neuron ``i``'s weights ``w(l)[i, 1..nin]``, the bias vector
  its ``w(l)[i, 0]``).
* Losses: :func:`mse_loss`, :func:`bce_loss`, :func:`cross_entropy`, defined in
  :mod:`micrograd_ext.nets.losses` and re-exported here, and the loss modules
  :class:`CrossEntropyLoss`, :class:`MSELoss`, :class:`BCELoss`, :class:`NLLLoss`.

As ``torch.nn``: each module's :meth:`forward` runs when it is called; the state dict of a
``Sequential`` or an ``MLP`` has ``torch.nn.Sequential``'s keys and layouts (``0.weight`` of
shape ``(out, in)``, ``0.bias``, ``2.weight``, ...: the position of each ``Linear`` among the
modules, activations included), so ``torch.nn.Sequential(...).load_state_dict`` takes it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..core.tensor import Tensor, float_dtype, linear
from . import _checks
from .losses import bce_loss, cross_entropy, mse_loss  # the losses' one home; re-exported here
from .module import Module
from .neurons import _activation_list  # one place says how an activation spec is read

__all__ = [
    "Linear",
    "Sequential",
    "ReLU",
    "Tanh",
    "Sigmoid",
    "Identity",
    "MLP",
    "mse_loss",
    "bce_loss",
    "cross_entropy",
    "ACTIVATIONS",
    "Module",
    "Softmax",
    "LogSoftmax",
    "Flatten",
    "CrossEntropyLoss",
    "MSELoss",
    "BCELoss",
    "NLLLoss",
]


class Linear(Module):
    """``y = x W^T + b``: ``weight`` is ``(nout, nin)``, ``bias`` is ``(nout,)``.

    Initialised as ``torch.nn.Linear``: both uniform in ``[-1/sqrt(nin), 1/sqrt(nin)]``
    (seeded with ``seed``).  ``x`` may be a batch ``(N, nin)`` or one sample ``(nin,)``.
    """

    def __init__(self, nin: int, nout: int, bias: bool = True, seed: int | None = None, dtype: Any = None) -> None:
        nin = _checks.integer(nin, "nin", "Linear", minimum=1)
        nout = _checks.integer(nout, "nout", "Linear", minimum=1)
        bias = _checks.flag(bias, "bias", "Linear")
        rng = np.random.default_rng(_checks.seed(seed, "Linear"))
        k = 1.0 / np.sqrt(nin)
        self.nin, self.nout = nin, nout
        self.in_features, self.out_features = nin, nout  # torch.nn.Linear's names
        dt = float_dtype(dtype, "Linear")  # float64 by default; float32 on request (its draws are float64's, rounded)
        self.weight = Tensor(rng.uniform(-k, k, (nout, nin)), requires_grad=True, label="weight", dtype=dt)
        self.bias = Tensor(rng.uniform(-k, k, nout), requires_grad=True, label="bias", dtype=dt) if bias else None

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        return linear(x, self.weight, self.bias)

    def __repr__(self) -> str:
        return f"Linear(nin={self.nin}, nout={self.nout}, bias={self.bias is not None})"


class ReLU(Module):
    """max(0, x); ``grad_at_zero`` is relu'(0) (0 as PyTorch; 1 for Park's convention)."""

    def __init__(self, grad_at_zero: float = 0.0) -> None:
        self.grad_at_zero = _checks.real(grad_at_zero, "grad_at_zero", "ReLU")

    def forward(self, x: Tensor) -> Tensor:
        return x.relu(self.grad_at_zero)

    def __repr__(self) -> str:
        return "ReLU()" if self.grad_at_zero == 0 else f"ReLU(grad_at_zero={self.grad_at_zero})"


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()

    def __repr__(self) -> str:
        return "Tanh()"


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()

    def __repr__(self) -> str:
        return "Sigmoid()"


class Identity(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x

    def __repr__(self) -> str:
        return "Identity()"


#: Activation name (as :class:`micrograd_ext.nn.Neuron` spells it) -> module class.
ACTIVATIONS: dict[str, type[Module]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "linear": Identity}


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(Linear(4, 8), ReLU(), Linear(8, 3))``.

    The modules are named by position, ``0``, ``1``, ``2`` (``0.weight``, ``2.bias``), as in
    ``torch.nn.Sequential``; they are kept in ``layers``.
    """

    def __init__(self, *modules: Module) -> None:
        for k, m in enumerate(modules):
            if not callable(m):
                raise TypeError(f"Sequential: module {k} is a {type(m).__name__} (expected a Module or another callable)")
        self.layers = list(modules)

    def _members(self) -> Iterator[tuple[str, Any]]:
        return ((str(k), m) for k, m in enumerate(self.layers))

    def forward(self, x: Any) -> Any:
        for m in self.layers:
            x = m(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(repr(m) for m in self.layers) + ")"


class MLP(Module):
    """A stack of :class:`Linear` layers, each followed by its activation.

    ``activation`` is None (ReLU on hidden layers, linear output: micrograd's
    default), one name for every layer, or a list with one name per layer, from
    ``'relu'``, ``'tanh'``, ``'sigmoid'``, ``'linear'``.  ``relu_grad_at_zero`` sets
    relu'(0) (Park's convention is 1).
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | Sequence[str] | None = None,
        seed: int | None = None,
        relu_grad_at_zero: float = 0.0,
        dtype: Any = None,
    ) -> None:
        nin = _checks.integer(nin, "nin", "MLP", minimum=1)
        if isinstance(nouts, (str, bytes)) or not hasattr(nouts, "__iter__"):
            raise TypeError(f"MLP: nouts = {nouts!r:.40} (expected a list of layer sizes, e.g. [8, 3])")
        nouts = [_checks.integer(n, f"nouts[{k}]", "MLP", minimum=1) for k, n in enumerate(nouts)]
        if not nouts:
            raise ValueError("MLP: nouts is empty (expected at least one layer size)")
        sizes = [nin, *nouts]
        self.activations = _activation_list(activation, len(nouts))
        relu_grad_at_zero = _checks.real(relu_grad_at_zero, "relu_grad_at_zero", "MLP")
        rng = np.random.default_rng(_checks.seed(seed, "MLP"))
        self.layers = [
            Linear(sizes[k], sizes[k + 1], seed=int(rng.integers(2**63)), dtype=dtype) for k in range(len(nouts))
        ]
        self.relu_grad_at_zero = relu_grad_at_zero

    def _members(self) -> Iterator[tuple[str, Any]]:
        """Each ``Linear`` named by its position in the equivalent ``torch.nn.Sequential``, where every
        activation but ``'linear'`` is a module of its own: ``MLP(2, [16, 16, 1])`` is
        ``Sequential(Linear, ReLU, Linear, ReLU, Linear)``, keys ``0.``, ``2.``, ``4.``."""
        pos = 0
        for layer, act in zip(self.layers, self.activations):
            yield str(pos), layer
            pos += 1 if act == "linear" else 2

    def forward(self, x: Tensor | np.ndarray) -> Tensor:
        for layer, act in zip(self.layers, self.activations):
            x = layer(x)
            if act == "relu":
                x = x.relu(self.relu_grad_at_zero)
            elif act == "tanh":
                x = x.tanh()
            elif act == "sigmoid":
                x = x.sigmoid()
        return x

    @property
    def sizes(self) -> list[int]:
        return [self.layers[0].nin] + [layer.nout for layer in self.layers]

    @classmethod
    def from_scalar(cls, scalar_mlp: Any) -> MLP:
        """The matrix form of a neuron-by-neuron :class:`micrograd_ext.nn.MLP` (weights copied).

        ``weight[i, j-1] = layers[l].neurons[i].w[j-1].data`` and ``bias[i] = neurons[i].b.data``.
        """
        if not isinstance(getattr(scalar_mlp, "layers", None), (list, tuple)):
            raise TypeError(f"MLP.from_scalar: expected a micrograd_ext.nn.MLP (with .layers of neurons), "
                            f"got {type(scalar_mlp).__name__}")
        layers = list(scalar_mlp.layers)
        if not layers:
            raise ValueError("MLP.from_scalar: the scalar MLP has no layers")
        net = cls.__new__(cls)
        net.layers = []
        net.activations = []
        net.relu_grad_at_zero = 0.0
        for k, layer in enumerate(layers):
            neurons = list(layer.neurons)
            nin = len(neurons[0].w)
            acts = {n.activation for n in neurons}
            if len(acts) != 1:
                raise ValueError(f"MLP.from_scalar: layer {k + 1} mixes activations {sorted(acts)} (expected one per layer)")
            act = acts.pop()
            if act not in ACTIVATIONS:
                raise ValueError(f"MLP.from_scalar: layer {k + 1} has activation {act!r} (expected one of {sorted(ACTIVATIONS)})")
            has_bias = all(getattr(n, "b", None) is not None for n in neurons)
            lin = Linear(nin, len(neurons), bias=has_bias, seed=0)
            lin.weight.data = np.array([[w.data for w in n.w] for n in neurons], dtype=np.float64)
            if has_bias:
                lin.bias.data = np.array([n.b.data for n in neurons], dtype=np.float64)
            net.layers.append(lin)
            net.activations.append(act)
        return net

    def to_scalar(self, **kwargs: Any) -> Any:
        """A :class:`micrograd_ext.nn.MLP` with the same weights (``kwargs`` go to its constructor)."""
        from .neurons import MLP as ScalarMLP

        sizes = self.sizes
        net = ScalarMLP(sizes[0], sizes[1:], activation=list(self.activations), **kwargs)
        for layer, slayer in zip(self.layers, net.layers):
            for i, n in enumerate(slayer.neurons):
                for j, w in enumerate(n.w):
                    w.data = float(layer.weight.data[i, j])
                if layer.bias is not None:
                    n.b.data = float(layer.bias.data[i])
                elif getattr(n, "b", None) is not None:
                    n.b.data = 0.0
        return net

    def __repr__(self) -> str:
        return f"MLP({self.sizes}, activations={self.activations})"


# ---------------------------------------------------------------------------
# torch.nn's shape and normalisation modules
# ---------------------------------------------------------------------------


class Softmax(Module):
    """``torch.nn.Softmax(dim)``: softmax along ``dim`` (Rosenberg section 2 for its backward)."""

    def __init__(self, dim: int = -1) -> None:
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(dim=self.dim)

    def __repr__(self) -> str:
        return f"Softmax(dim={self.dim})"


class LogSoftmax(Module):
    """``torch.nn.LogSoftmax(dim)``: ``x - logsumexp(x)`` along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return x.log_softmax(dim=self.dim)

    def __repr__(self) -> str:
        return f"LogSoftmax(dim={self.dim})"


class Flatten(Module):
    """``torch.nn.Flatten``: dimensions ``start_dim..end_dim`` merged (the batch dimension 0 kept by default)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def __repr__(self) -> str:
        return "Flatten()" if (self.start_dim, self.end_dim) == (1, -1) else f"Flatten({self.start_dim}, {self.end_dim})"


# ---------------------------------------------------------------------------
# Loss modules (torch.nn's names): each forward is the function of the same name
# ---------------------------------------------------------------------------


class _Loss(Module):
    _reductions: tuple[str, ...] = ("mean", "sum", "none")

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in self._reductions:
            raise ValueError(f"{type(self).__name__}: reduction={reduction!r} (expected one of {list(self._reductions)})")
        self.reduction = reduction

    def __repr__(self) -> str:
        return f"{type(self).__name__}()" if self.reduction == "mean" else f"{type(self).__name__}(reduction={self.reduction!r})"


class CrossEntropyLoss(_Loss):
    """``torch.nn.CrossEntropyLoss``: softmax cross-entropy from logits ``(N, C)`` and class indices ``(N,)``
    (or probability rows ``(N, C)``); one node, ``dZ = (softmax(Z) - Y) / N`` (CS224n 2.6)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002 - PyTorch's name
        from . import functional as F

        return F.cross_entropy(input, target, reduction=self.reduction)


class NLLLoss(_Loss):
    """``torch.nn.NLLLoss``: ``-input[n, target_n]`` averaged, for log-probabilities (``log_softmax``)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        from . import functional as F

        return F.nll_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """``torch.nn.MSELoss``: ``(input - target)^2`` averaged over every element."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        from . import functional as F

        return F.mse_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """``torch.nn.BCELoss``: binary cross-entropy of probabilities, averaged over every element
    (Bondartsov eq. (1); each log floored at -100 as PyTorch)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        from . import functional as F

        return F.binary_cross_entropy(input, target, reduction=self.reduction)
