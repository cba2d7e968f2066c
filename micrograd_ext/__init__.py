"""micrograd_ext: reverse-mode autodiff made to be read and to teach backpropagation.

The scalar engine (:class:`Value`) and the array engine (:class:`Tensor`) record the
same kind of graph; the derivative of every operation is written once, in
:mod:`micrograd_ext.rules`.  Above them: :mod:`~micrograd_ext.nn` (neurons, layers,
MLP built node by node), :mod:`~micrograd_ext.tensor_nn` (the same nets as matrices),
:mod:`~micrograd_ext.losses`, :mod:`~micrograd_ext.optim`,
:mod:`~micrograd_ext.chain` (the chain-rule paths from a loss to a weight),
:mod:`~micrograd_ext.viz` (graphviz diagrams) and :mod:`~micrograd_ext.verify`
(the five derivation documents reproduced equation by equation).
"""

from .engine import Value
from .graph import AnomalyError, detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .rules import RULES, DomainError
from .tensor import TENSOR_RULES, Tensor

__version__ = "0.1.0"

__all__ = [
    "Value",
    "Tensor",
    "RULES",
    "TENSOR_RULES",
    "DomainError",
    "AnomalyError",
    "detect_anomaly",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "__version__",
]


def __getattr__(name: str):  # lazy sub-modules: `micrograd_ext.nn`, `micrograd_ext.viz`, ...
    import importlib

    if name in {"nn", "tensor_nn", "losses", "optim", "gradcheck", "datasets", "chain", "viz", "verify",
                "closed_form", "docnets", "jacobian", "module"}:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
