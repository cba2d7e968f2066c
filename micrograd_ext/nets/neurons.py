"""Neurons, layers and multi-layer perceptrons built node by node from :class:`Value`.

A superset of micrograd's ``nn`` module, with the same signatures and defaults:

* ``Neuron(nin, nonlin=True)``: weights ``w_j ~ U(-1, 1)``, bias ``0``; ReLU unless
  ``nonlin=False`` (then linear); ``repr`` like ``ReLUNeuron(2)``;
* ``Layer(nin, nout, **kwargs)``: ``nout`` neurons; returns a list, or the single
  ``Value`` when ``nout == 1``;
* ``MLP(nin, nouts)``: ReLU on the hidden layers, linear on the last.

What is added:

* a choice of activation per neuron / layer: ``'relu'``, ``'tanh'``, ``'sigmoid'``, ``'linear'``;
* labels in the derivation documents' notation (Bondartsov 2019, Figure 1), so a
  diagram reads like the paper: weight ``w(l)[i,j]`` (layer ``l``, neuron ``i``,
  input ``j``, all 1-based), bias ``w(l)[i,0]`` (the paper's column 0) or ``b(l)[i]``
  (``bias_label='b'``), weighted sum ``z(l)[i]``, activation ``a(l)[i]``;
* ``weighted_sum=True`` builds each ``z(l)[i] = w(l)[i,0] + sum_j w(l)[i,j] a(l-1)[j]``
  as ONE node (the ``wsum`` rule, local derivatives eqs. (5c) and (10a)), as the
  papers draw it; the default is micrograd's chain of ``*`` and ``+`` nodes;
* a one-neuron hidden layer works (``MLP(2, [16, 1, 1])``);
* reproducible initialisation: ``MLP(..., seed=s)`` draws from its own
  ``random.Random(s)``.  Without a seed, weights come from the module-level
  generator :data:`default_rng`, which is Python's global :mod:`random` (as in
  micrograd, so ``random.seed(1337)`` gives exactly micrograd's weights) until
  :func:`manual_seed` gives the module its own seeded generator.

Every class is a :class:`micrograd_ext.module.Module` (``parameters()``,
``named_parameters()``, ``zero_grad()``, ``state_dict()``, ``save``/``load``).
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Sequence
from typing import Any, Protocol, Union

from ..core.value import Value
from . import _checks, labels
from .module import Module

__all__ = ["Neuron", "Layer", "MLP", "ACTIVATIONS", "default_rng", "manual_seed", "inputs"]

#: The activations a neuron can have (``'linear'``: the output is ``z`` itself).
ACTIVATIONS: tuple[str, ...] = ("relu", "tanh", "sigmoid", "linear")

_REPR_NAME = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear"}


class _Uniform(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


#: Where weights come from when no ``seed``/``rng`` is given.  Python's global
#: :mod:`random` by default (micrograd's behaviour); see :func:`manual_seed`.
default_rng: _Uniform = random

RngLike = Union[random.Random, int, None]


def manual_seed(seed: int | None) -> None:
    """Give this module its own generator ``random.Random(seed)`` for unseeded models.

    After ``manual_seed(s)``, models built without ``seed``/``rng`` are initialised
    reproducibly, without touching Python's global :mod:`random` state.
    ``manual_seed(None)`` goes back to the global :mod:`random` (micrograd's source).
    """
    global default_rng
    seed = _checks.seed(seed, "manual_seed")
    default_rng = random if seed is None else random.Random(seed)


def _resolve_rng(rng: Any, where: str = "rng") -> _Uniform:
    if rng is None:
        return default_rng
    if hasattr(rng, "uniform") and not isinstance(rng, (int, str)):
        return rng
    if isinstance(rng, bool) or not isinstance(rng, int):
        raise TypeError(f"{where}: rng = {rng!r:.60} of type {type(rng).__name__} "
                        "(expected a random.Random, an int seed or None)")
    return random.Random(_checks.seed(rng, where, "rng"))


def _check_count(n: Any, what: str, where: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{where}: {what} = {n!r} (expected a positive integer)")
    return n


def inputs(row: Sequence[float]) -> list[Value]:
    """One sample's inputs as leaf nodes labelled ``x[1] .. x[n]`` (:func:`micrograd_ext.nets.labels.x`).

    Pass the same list to every neuron of the first layer, as Bondartsov's Figure 1
    draws one node per input.
    """
    try:
        values = list(row)
    except TypeError:
        raise TypeError(f"inputs: expected a sequence of numbers, got {type(row).__name__}: {row!r:.40}") from None
    return [Value(_checks.real(v, f"row[{j - 1}]", "inputs", finite=False), label=labels.x(j))
            for j, v in enumerate(values, 1)]


def _check_input(v: Any, k: int, where: str) -> Any:
    if isinstance(v, Value):
        return v
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{where}: input {k} is {type(v).__name__} {v!r:.40} (expected a Value or a real number)")
    return _checks.real(v, f"input {k}", where, finite=False)


def _as_inputs(x: Any, nin: int, where: str, check: bool = False) -> list[Any]:
    """The inputs as a list (a single Value or number is one input); ``check`` looks at each input."""
    if type(x) is list and len(x) == nin:
        xs = x
    else:
        if isinstance(x, (Value, numbers.Real)) or (hasattr(x, "ndim") and getattr(x, "ndim", 1) == 0):
            xs = [x]
        elif isinstance(x, (str, bytes, dict)) or x is None:
            raise TypeError(f"{where}: expected a list of {nin} inputs (Values or numbers), got {type(x).__name__}")
        else:
            try:
                xs = list(x)
            except TypeError:
                raise TypeError(f"{where}: expected a list of {nin} inputs (Values or numbers), "
                                f"got {type(x).__name__}") from None
        if len(xs) != nin:
            raise ValueError(f"{where}: got {len(xs)} inputs, expected {nin}")
        check = True
    if check:
        xs = [_check_input(v, k, where) for k, v in enumerate(xs)]
    return xs


class Neuron(Module):
    """One neuron ``a = f(z)``, ``z = w0 + sum_j w_j x_j`` (Bondartsov 2019, definitions before eq. (1)).

    ``nonlin`` is micrograd's switch (ReLU or linear); ``activation`` (one of
    :data:`ACTIVATIONS`) overrides it.  ``layer`` and ``index`` (1-based) only
    name the nodes: ``w(layer)[index,j]``, ``z(layer)[index]``, ``a(layer)[index]``.
    ``bias=False`` gives a neuron without bias (``.b`` is ``None``).
    ``relu_grad_at_zero`` sets relu'(0) (0 as in PyTorch; Park (2022) uses 1).
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        *,
        activation: str | None = None,
        bias: bool = True,
        layer: int = 1,
        index: int = 1,
        weighted_sum: bool = False,
        rng: RngLike = None,
        bias_label: str = "w0",
        relu_grad_at_zero: float = 0.0,
    ) -> None:
        _check_count(nin, "nin", "Neuron")
        nonlin = _checks.flag(nonlin, "nonlin", "Neuron")
        if activation is None:
            activation = "relu" if nonlin else "linear"
        if activation not in ACTIVATIONS:
            raise ValueError(f"Neuron: unknown activation {activation!r} (expected one of {', '.join(ACTIVATIONS)})")
        if bias_label not in ("w0", "b"):
            raise ValueError(f"Neuron: bias_label {bias_label!r} (expected 'w0' for w(l)[i,0] or 'b' for b(l)[i])")
        layer = _checks.integer(layer, "layer", "Neuron", minimum=1)
        index = _checks.integer(index, "index", "Neuron", minimum=1)
        bias = _checks.flag(bias, "bias", "Neuron")
        weighted_sum = _checks.flag(weighted_sum, "weighted_sum", "Neuron")
        relu_grad_at_zero = _checks.real(relu_grad_at_zero, "relu_grad_at_zero", "Neuron")
        gen = _resolve_rng(rng, "Neuron")
        self.w = [Value(gen.uniform(-1, 1), label=labels.weight(layer, index, j)) for j in range(1, nin + 1)]
        self.b: Value | None = None
        if bias:
            self.b = Value(0.0, label=labels.bias(layer, index, bias_label))
        self.activation = activation
        self.nonlin = activation != "linear"
        self.layer = layer
        self.index = index
        self.weighted_sum = weighted_sum
        self.relu_grad_at_zero = relu_grad_at_zero
        self._names = (layer, index, labels.z(layer, index), labels.a(layer, index))

    @property
    def nin(self) -> int:
        return len(self.w)

    def __call__(self, x: Sequence[Value | float] | Value | float) -> Value:
        """``f(z)`` for inputs ``x`` (``nin`` Values or numbers); ``z`` is labelled ``z(l)[i]``."""
        xs = _as_inputs(x, len(self.w), f"Neuron z({self.layer})[{self.index}]")
        if self.weighted_sum:
            z = Value.weighted_sum(self.w, xs, self.b)
        else:
            # micrograd's chain: ((b + w1*x1) + w2*x2) + ...
            terms = (wi * xi for wi, xi in zip(self.w, xs))
            z = self.b if self.b is not None else next(terms)
            for t in terms:
                z = z + t
        names = self.__dict__.get("_names", (None, None))
        if names[0] != self.layer or names[1] != self.index:  # formatted once, not on every call
            names = self._names = (self.layer, self.index, labels.z(self.layer, self.index),
                                   labels.a(self.layer, self.index))
        z.label = names[2]
        act = self.activation
        if act == "linear":
            return z
        if act == "relu":
            a = z.relu(self.relu_grad_at_zero)
        elif act == "tanh":
            a = z.tanh()
        else:
            a = z.sigmoid()
        a.label = names[3]
        return a

    def __repr__(self) -> str:
        return f"{_REPR_NAME[self.activation]}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs (micrograd's ``Layer(nin, nout, **kwargs)``).

    ``neuron_kwargs`` go to every :class:`Neuron` (``nonlin``, ``activation``,
    ``layer``, ``weighted_sum``, ``rng``, ...); neuron ``i`` gets ``index=i`` (1-based).
    """

    def __init__(self, nin: int, nout: int, **neuron_kwargs: Any) -> None:
        _check_count(nin, "nin", "Layer")
        _check_count(nout, "nout", "Layer")
        if "index" in neuron_kwargs:
            raise TypeError("Layer: 'index' is set per neuron (1..nout); do not pass it")
        rng = neuron_kwargs.pop("rng", None)
        gen = _resolve_rng(rng, "Layer")
        self.neurons = [Neuron(nin, index=i, rng=gen, **neuron_kwargs) for i in range(1, nout + 1)]
        self.nin = nin
        self.nout = nout

    def __call__(self, x: Sequence[Value | float] | Value | float) -> Value | list[Value]:
        xs = _as_inputs(x, self.nin, f"Layer {self.neurons[0].layer}", check=True)
        out = [n(xs) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


def _activation_list(activation: str | Sequence[str] | None, n: int) -> list[str]:
    if activation is None:  # micrograd: ReLU hidden layers, linear output
        acts = ["relu"] * (n - 1) + ["linear"]
    elif isinstance(activation, str):
        acts = [activation] * n
    elif isinstance(activation, (list, tuple)):
        acts = list(activation)
        if len(acts) != n:
            raise ValueError(f"MLP: {len(acts)} activations {acts} for {n} layers (expected one per layer)")
    else:
        raise TypeError(f"MLP: activation = {activation!r:.40} of type {type(activation).__name__} (expected None, "
                        f"one of {', '.join(ACTIVATIONS)}, or a list with one per layer)")
    for a in acts:
        if a not in ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {a!r} (expected one of {', '.join(ACTIVATIONS)})")
    return acts


class MLP(Module):
    """A multi-layer perceptron ``MLP(nin, nouts)``; layer ``l`` (1-based) has ``nouts[l-1]`` neurons.

    ``activation``: ``None`` (micrograd: ReLU hidden, linear last), one name for
    every layer, or a list with one name per layer.  ``seed`` makes the
    initialisation reproducible (weights ``U(-1, 1)`` from ``random.Random(seed)``
    in the order layer, neuron, input, as micrograd draws them; biases 0).
    ``weighted_sum=True`` makes each ``z(l)[i]`` one node; ``bias_label`` is
    ``'w0'`` (``w(l)[i,0]``, Bondartsov) or ``'b'`` (``b(l)[i]``).

    Calling it returns the output ``Value`` (one output neuron) or a list.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        *,
        activation: str | Sequence[str] | None = None,
        seed: int | None = None,
        weighted_sum: bool = False,
        bias_label: str = "w0",
        bias: bool = True,
        relu_grad_at_zero: float = 0.0,
    ) -> None:
        _check_count(nin, "nin", "MLP")
        try:
            nouts = list(nouts)
        except TypeError:
            raise TypeError(f"MLP: nouts should be a list of layer sizes, got {type(nouts).__name__}") from None
        if not nouts:
            raise ValueError("MLP: nouts is empty (expected at least one layer size, e.g. [16, 16, 1])")
        for k, n in enumerate(nouts, 1):
            _check_count(n, f"nouts[{k - 1}] (layer {k})", "MLP")
        acts = _activation_list(activation, len(nouts))
        seed = _checks.seed(seed, "MLP")
        weighted_sum = _checks.flag(weighted_sum, "weighted_sum", "MLP")
        bias = _checks.flag(bias, "bias", "MLP")
        relu_grad_at_zero = _checks.real(relu_grad_at_zero, "relu_grad_at_zero", "MLP")
        gen = default_rng if seed is None else random.Random(seed)
        sz = [nin, *nouts]
        self.layers = [
            Layer(sz[k], sz[k + 1], activation=acts[k], layer=k + 1, weighted_sum=weighted_sum, rng=gen,
                  bias_label=bias_label, bias=bias, relu_grad_at_zero=relu_grad_at_zero)
            for k in range(len(nouts))
        ]
        self.nin = nin
        self.nouts = nouts
        self.activations = acts

    @property
    def sizes(self) -> list[int]:
        """``[nin, *nouts]``."""
        return [self.nin, *self.nouts]

    def __call__(self, x: Sequence[Value | float] | Value | float) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)  # a one-neuron layer gives a Value; the next layer takes it as one input
        return x  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
