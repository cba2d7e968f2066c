"""micrograd_ext: reverse-mode autodiff made to be read and to teach backpropagation."""

from .engine import Value
from .graph import AnomalyError, detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .rules import RULES, DomainError

__version__ = "0.1.0"

__all__ = [
    "Value",
    "RULES",
    "DomainError",
    "AnomalyError",
    "detect_anomaly",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "__version__",
]

try:  # the Tensor half of the engine
    from .tensor import Tensor  # noqa: F401

    __all__.append("Tensor")
except ImportError:  # pragma: no cover - during bootstrapping only
    pass
