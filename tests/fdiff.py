"""Central finite differences: the independent oracle shared by the closed-form tests."""

import numpy as np


def fd_grad(f, a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f / d a by central differences, one element of ``a`` at a time."""
    a = np.array(a, dtype=float)
    g = np.zeros_like(a)
    for idx in np.ndindex(*a.shape):
        ap, am = a.copy(), a.copy()
        ap[idx] += eps
        am[idx] -= eps
        g[idx] = (f(ap) - f(am)) / (2 * eps)
    return g
