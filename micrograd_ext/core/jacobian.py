"""Full Jacobians by reverse mode: one backward pass per output element.

Reverse mode gives a vector-Jacobian product ``v^T J`` per pass.  Seeding the pass
with the one-hot ``v = e_k`` gives row ``k`` of the Jacobian, so ``m`` passes give the
whole ``m x n`` matrix.  This is how the documents' Jacobian identities are checked
as *matrices* rather than only through the products backward computes:

* CS224n notes 2.1 / Park (7): ``dz/dx = W`` for ``z = W x``;
* CS224n notes 2.4 / Park (9): ``da/dz = diag(g'(z))``;
* CS224n notes 2.7 / Rosenberg section 2 / Park (39): ``do/dz = [o_i (delta_ij - o_j)]``.

The layout is ``out.shape + x.shape``: entry ``[i..., j...]`` is ``d out[i...] / d x[j...]``
(for vectors, the ``m x n`` Jacobian of the documents: rows are outputs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .tensor import Tensor
from .value import Value

__all__ = ["jacobian", "jacobian_values"]


def jacobian(f: Callable[..., Tensor], x: Tensor | np.ndarray | Sequence, *others: Tensor | np.ndarray) -> np.ndarray:
    """The Jacobian of ``out = f(x)`` with respect to ``x``, shape ``out.shape + x.shape``, by reverse mode.

    ``x`` may be a Tensor (it must have ``requires_grad=True``; its ``.grad`` is
    restored afterwards) or array-like (a fresh leaf Tensor is made).  ``others`` are
    passed on to ``f`` after ``x`` (constants or other parameters; their ``.grad`` is
    restored too).  The graph is built once; each output element gets one
    ``backward`` seeded with a one-hot array.  ``f`` may return a Tensor that does not
    depend on ``x`` (all zeros) or ``x`` itself (the identity).
    """
    if isinstance(x, Tensor):
        if not x.requires_grad:
            raise ValueError("jacobian: x is a Tensor with requires_grad=False (expected a leaf that requires a gradient)")
        xt = x
    else:
        xt = Tensor(np.asarray(x, dtype=float), requires_grad=True)
    saved = [(t, t.grad) for t in (xt, *others) if isinstance(t, Tensor)]
    try:
        out = f(xt, *others)
        if not isinstance(out, Tensor):
            raise TypeError(f"jacobian: f returned {type(out).__name__} (expected a Tensor)")
        J = np.zeros(out.shape + xt.shape)
        if not out.requires_grad:  # out does not depend on any tensor that needs a gradient
            return J
        seed = np.zeros(out.shape)
        for k in np.ndindex(*out.shape):
            for t, _ in saved:
                t.grad = None
            seed[k] = 1.0
            out.backward(seed)
            seed[k] = 0.0
            if xt.grad is not None:
                J[k] = xt.grad
        return J
    finally:
        for t, g in saved:
            t.grad = g


def jacobian_values(outputs: Sequence[Value], inputs: Sequence[Value]) -> np.ndarray:
    """The ``len(outputs) x len(inputs)`` Jacobian of scalar ``Value`` nodes, one backward per output.

    The graph is reused.  Before each pass the inputs' ``.grad`` are zeroed (an input
    that the output does not depend on reads 0); other leaves reached accumulate, as
    after any ``backward()``: zero them before training on the same graph.
    """
    J = np.zeros((len(outputs), len(inputs)))
    for r, out in enumerate(outputs):
        for v in inputs:
            v.grad = 0.0
        out.backward()
        J[r] = [v.grad for v in inputs]
    return J
