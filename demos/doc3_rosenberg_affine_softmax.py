"""Document 3, Rosenberg, "Some Neural Network Derivative Calculations", reproduced by autodiff.

Its notation: an affine layer ``y = W x + b`` for one sample (``x`` is ``d x 1``, ``W`` is
``m x d``), then a minibatch stacked as ROWS, ``Y = X W^T + b^T`` (``X`` is ``n x d``); and a
softmax ``y = sigma(s)``.  "Suppose we have already computed dJ/dy": the demo makes ``J`` any
scalar function downstream by seeding the backward pass with a random upstream gradient ``G``
(``J = sum(G * y)``, so ``dJ/dy = G``), exactly the situation the notes assume.

Checked, with ``Tensor``:
- one sample: ``dJ/dW = (dJ/dy) x^T``, ``dJ/dx = W^T (dJ/dy)``, ``dJ/db = dJ/dy``;
- minibatch: ``dJ/dW = (dJ/dY)^T X``, ``dJ/db = (dJ/dY)^T 1``, ``dJ/dX = (dJ/dY) W``;
- softmax: ``dy_i/ds_j = sigma(s_i)(delta_ij - sigma(s_j))`` (the full Jacobian) and
  ``dJ/ds = (dJ/dy - [(dJ/dy)^T sigma(s)] 1) * sigma(s)``;
- the softmax layer applied row by row to a minibatch, with the same formula per row (the notes break
  off before their minibatch softmax: this row goes beyond the text).

The softmax is built from ``exp``, ``sum`` and ``/`` (``micrograd_ext.documents.common.t_softmax``),
so its backward pass is derived by the chain rule, not read from a fused node whose backward is
section 2's formula itself.

Run:  .venv/bin/python demos/doc3_rosenberg_affine_softmax.py
"""

from __future__ import annotations

import sys

import numpy as np
from _report import Report, jacobian, parse_args

from micrograd_ext.core.tensor import Tensor
from micrograd_ext.documents import rosenberg
from micrograd_ext.documents.common import t_softmax


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, argv)
    rng = np.random.default_rng(args.seed)
    d, m, n = 4, 3, 6

    r = Report("Section 1: the affine layer")
    x = Tensor(rng.normal(size=(d, 1)), requires_grad=True)
    W = Tensor(rng.normal(size=(m, d)), requires_grad=True)
    b = Tensor(rng.normal(size=(m, 1)), requires_grad=True)
    G = rng.normal(size=(m, 1))  # dJ/dy
    y = W @ x + b
    y.backward(G)
    r.add("dJ/dW = (dJ/dy) x^T", "one sample", W.grad, G @ x.numpy().T)
    r.add("dJ/dx = W^T (dJ/dy)", "one sample", x.grad, W.numpy().T @ G)
    r.add("dJ/db = dJ/dy", "one sample", b.grad, G)

    X = Tensor(rng.normal(size=(n, d)), requires_grad=True)
    W = Tensor(rng.normal(size=(m, d)), requires_grad=True)
    b = Tensor(rng.normal(size=(m,)), requires_grad=True)  # b^T broadcast over the rows
    GY = rng.normal(size=(n, m))  # dJ/dY
    Y = X @ W.T + b
    Y.backward(GY)
    r.add("dJ/dW = (dJ/dY)^T X", "minibatch, rows = samples", W.grad, GY.T @ X.numpy())
    r.add("dJ/db = (dJ/dY)^T 1", "minibatch", b.grad, GY.T @ np.ones(n))
    r.add("dJ/dX = (dJ/dY) W", "minibatch", X.grad, GY @ W.numpy())
    ok = r.show()

    r = Report("Section 2: softmax")
    s0 = rng.normal(size=(d,))
    sig = np.exp(s0 - s0.max())
    sig /= sig.sum()
    r.add("sigma(s_i)(delta_ij - sigma(s_j))", "dy/ds (Jacobian)", jacobian(lambda t: t_softmax(t, axis=0), s0),
          np.diag(sig) - np.outer(sig, sig))
    s = Tensor(s0, requires_grad=True)
    gy = rng.normal(size=(d,))
    t_softmax(s, axis=0).backward(gy)
    r.add("(dJ/dy - [(dJ/dy)^T sig(s)] 1) * sig(s)", "dJ/ds", s.grad, (gy - (gy @ sig) * np.ones(d)) * sig)
    S0 = rng.normal(size=(n, d))
    S = Tensor(S0, requires_grad=True)
    GS = rng.normal(size=(n, d))
    t_softmax(S, axis=1).backward(GS)
    P = np.exp(S0 - S0.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    r.add("same formula, row by row", "dJ/dS, minibatch", S.grad, (GS - np.sum(GS * P, axis=1, keepdims=True)) * P)
    ok &= r.show()
    r = Report("Against micrograd_ext.documents.rosenberg (the verify oracle)")
    ref = rosenberg.affine_minibatch(W.numpy(), X.numpy(), GY)
    r.add("affine_minibatch", "dJ/dW", W.grad, ref["dW"])
    r.add("affine_minibatch", "dJ/db", b.grad, ref["db"].ravel())
    r.add("affine_minibatch", "dJ/dX", X.grad, ref["dX"])
    r.add("softmax_backward", "dJ/ds", s.grad, rosenberg.softmax_backward(s0[:, None], gy[:, None]).ravel())
    ok &= r.show()
    print("\nall checks passed" if ok else "\nSOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
