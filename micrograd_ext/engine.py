"""micrograd's module name: ``from micrograd_ext.engine import Value`` as ``from micrograd.engine import Value``.

The scalar node lives in :mod:`micrograd_ext.core.value`.
"""

from .core.value import AnomalyError, DomainError, Value

__all__ = ["Value", "DomainError", "AnomalyError"]
