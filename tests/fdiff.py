"""Central finite differences: the one independent oracle of the test suite.

Every gradient the engine computes is compared, somewhere, with these: they call only
the forward function (never a derivative rule), one perturbed input at a time, with the
error ``O(eps^2)`` of a central difference plus rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

EPS = 1e-6


def fd_jacobian(f: Callable[[np.ndarray], object], a: np.ndarray, eps: float = EPS) -> np.ndarray:
    """``d f(a) / d a`` of an array function, shape ``f(a).shape + a.shape``."""
    a = np.array(a, dtype=float)
    y0 = np.asarray(f(a), dtype=float)
    J = np.zeros(y0.shape + a.shape)
    for idx in np.ndindex(*a.shape):
        ap, am = a.copy(), a.copy()
        ap[idx] += eps
        am[idx] -= eps
        J[(Ellipsis,) + idx] = (np.asarray(f(ap), dtype=float) - np.asarray(f(am), dtype=float)) / (2 * eps)
    return J


def fd_grad(f: Callable[[np.ndarray], float], a: np.ndarray, eps: float = EPS) -> np.ndarray:
    """``d f / d a`` of a scalar function of one array, by central differences, element by element."""
    return fd_jacobian(f, a, eps).reshape(np.shape(a))


def fd_grads(f: Callable[..., float], arrays: Sequence[np.ndarray], eps: float = EPS) -> list[np.ndarray]:
    """The gradient of the scalar function ``f(*arrays)`` with respect to each array."""
    arrays = [np.array(x, dtype=float) for x in arrays]
    out = []
    for k in range(len(arrays)):
        def fk(a: np.ndarray, k: int = k) -> float:
            return f(*arrays[:k], a, *arrays[k + 1:])

        out.append(fd_grad(fk, arrays[k], eps))
    return out


def fd_partial(f: Callable[[list[float]], float], xs: Sequence[float], i: int, eps: float = EPS) -> float:
    """``d f / d xs[i]`` of a function of a list of numbers."""
    return float(fd_grad(lambda a: f(list(a)), np.array(xs, dtype=float), eps)[i])
