"""micrograd_ext: reverse-mode autodiff made to be read and to teach backpropagation.

The package is in layers, each importing only from the ones below it:

* :mod:`micrograd_ext.core` — the op table, :class:`Value` (scalars) and
  :class:`Tensor` (numpy arrays), the graph driver and its modes;
* :mod:`micrograd_ext.nets` — modules, neurons and layers, losses, optimizers, data sets;
* :mod:`micrograd_ext.diagrams` — the graph, the network figure, the chain-rule paths;
* :mod:`micrograd_ext.documents` — the five derivation documents, equation by equation;
* :mod:`micrograd_ext.commands` — ``micrograd-ext tour | verify | draw | train``.

Coming from PyTorch: the factories (``zeros``, ``ones``, ``arange``, ``cat``, ``stack``, ...)
are here, ``nets.tensor_nn`` is ``torch.nn``, ``nets.functional`` is ``torch.nn.functional``,
``nets.bridge`` moves weights to and from PyTorch, and :func:`compare` runs one function
through both engines.

``from micrograd_ext.engine import Value`` works as micrograd's import does, and the
other module names of release 0.1.0 (``micrograd_ext.nn``, ``.viz``, ``.tensor``,
``.losses``, ...) still import (see :mod:`micrograd_ext._aliases`).
"""

from . import _aliases
from .core.autodiff import grad, hessian, hvp, jvp
from .core.graph import AnomalyError, detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .core.ops import OPS, RULES, DomainError, define_op
from .core.tensor import (
    TENSOR_OPS,
    TENSOR_RULES,
    Tensor,
    arange,
    cat,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    stack,
    zeros,
    zeros_like,
)
from .core.value import Value

_aliases.install()

__version__ = "0.2.0"

__all__ = [
    "Value",
    "Tensor",
    "OPS",
    "TENSOR_OPS",
    "RULES",
    "TENSOR_RULES",
    "define_op",
    "grad",
    "hessian",
    "hvp",
    "jvp",
    "DomainError",
    "AnomalyError",
    "detect_anomaly",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
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
    "compare",
    "__version__",
]

_SUBPACKAGES = {"core", "nets", "diagrams", "documents", "commands"}


def __getattr__(name: str):  # lazy: `micrograd_ext.nets`, and the 0.1.0 names `micrograd_ext.viz`, ...
    import importlib

    if name in _SUBPACKAGES or name in _aliases.ALIASES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "compare":  # runs a function through micrograd_ext and PyTorch (needs torch when called)
        return importlib.import_module(f"{__name__}.nets.bridge").compare
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
