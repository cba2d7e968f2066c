"""Document 2, "Computing Neural Network Gradients" (CS224n-style notes), reproduced by autodiff.

Its notation: column vectors, ``z = W x + b1`` with ``W`` of shape ``Dh x Dx``, gradients of a
scalar with respect to a column vector written as ROW vectors (``delta1 = dJ/dtheta`` is
``1 x Nc``), then transposed back "to follow the shape convention".

1. The Jacobian identities of section 2, as full matrices (one backward pass per output):
   2.1 ``dz/dx = W`` for ``z = W x``; 2.2 ``dz/dx = W^T`` for ``z = x W``; 2.3 ``dz/dz = I``;
   2.4 ``dh/dz = diag(f'(z))``; 2.5 ``dJ/dW = delta^T x^T``; 2.6 ``dJ/dW = x^T delta``;
   2.7 ``dJ/dtheta = y_hat - y`` (softmax + cross-entropy), and the softmax Jacobian
   ``o_i (delta_ij - o_j)``.
2. Section 3's one-hidden-layer network built with ``Tensor`` in exactly its notation
   (``x -> z = Wx + b1 -> h = ReLU(z) -> theta = Uh + b2 -> y_hat = softmax(theta) -> J = CE``),
   and its ``delta1``, ``delta2``, ``dJ/dU``, ``dJ/db2``, ``dJ/dW``, ``dJ/db1``, ``dJ/dx``
   against ``.grad``.

The notes misname the fourth gradient of section 3: they write ``dJ/dW = delta2^T`` where they
mean ``dJ/db1`` (see docs/errata.md). The demo checks the intended quantity.

Run:  .venv/bin/python demos/doc2_cs224n_gradients.py
"""

from __future__ import annotations

import sys

import numpy as np
from _report import Report, jacobian, parse_args

from micrograd_ext.core.tensor import Tensor
from micrograd_ext.documents import cs224n
from micrograd_ext.documents.common import t_log_softmax, t_sigmoid, t_softmax


def softmax(v: np.ndarray) -> np.ndarray:
    e = np.exp(v - v.max())
    return e / e.sum()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, argv)
    rng = np.random.default_rng(args.seed)
    Dx, Dh, Nc = 4, 5, 3

    # -- section 2: the identities, as Jacobian matrices ---------------------------------------
    ids = Report("Section 2: Jacobian identities (full Jacobians by reverse mode)")
    W = rng.normal(size=(Dh, Dx))
    x = rng.normal(size=(Dx, 1))
    ids.add("2.1", "dz/dx, z = W x", jacobian(lambda t: Tensor(W) @ t, x), W)
    xr = rng.normal(size=(1, Dh))
    ids.add("2.2", "dz/dx, z = x W", jacobian(lambda t: t @ Tensor(W), xr), W.T)
    ids.add("2.3", "dz/dz", jacobian(lambda t: t * 1.0, x), np.eye(Dx))
    z0 = rng.normal(size=(Dx, 1))
    s = 1 / (1 + np.exp(-z0.ravel()))
    ids.add("2.4", "dh/dz, h = sigmoid(z)", jacobian(t_sigmoid, z0), np.diag(s * (1 - s)))
    delta = rng.normal(size=(1, Dh))  # dJ/dz for J = delta z
    Wt = Tensor(W, requires_grad=True)
    (Tensor(delta) @ (Wt @ Tensor(x))).sum().backward()
    ids.add("2.5", "dJ/dW = delta^T x^T", Wt.grad, delta.T @ x.T)
    W2 = rng.normal(size=(Dx, Dh))
    W2t = Tensor(W2, requires_grad=True)
    xrow = rng.normal(size=(1, Dx))
    ((Tensor(xrow) @ W2t) * Tensor(delta)).sum().backward()
    ids.add("2.6", "dJ/dW = x^T delta", W2t.grad, xrow.T @ delta)
    theta0 = rng.normal(size=(Nc, 1))
    y = np.zeros((Nc, 1))
    y[1] = 1.0
    th = Tensor(theta0, requires_grad=True)
    (-(Tensor(y) * t_log_softmax(th, axis=0)).sum()).backward()
    ids.add("2.7", "dJ/dtheta = y_hat - y", th.grad, softmax(theta0.ravel())[:, None] - y)
    o = softmax(theta0.ravel())
    ids.add("2.7 (softmax)", "do_i/dtheta_j", jacobian(lambda t: t_softmax(t, axis=0), theta0),
            np.diag(o) - np.outer(o, o))
    ok = ids.show()

    # -- section 3: the one-hidden-layer network ------------------------------------------------
    net = Report("Section 3: one hidden layer, ReLU, softmax, cross-entropy (one sample, column vectors)")
    x = Tensor(rng.normal(size=(Dx, 1)), requires_grad=True, label="x")
    Wp = Tensor(rng.normal(size=(Dh, Dx)), requires_grad=True, label="W")
    b1 = Tensor(rng.normal(size=(Dh, 1)), requires_grad=True, label="b1")
    U = Tensor(rng.normal(size=(Nc, Dh)), requires_grad=True, label="U")
    b2 = Tensor(rng.normal(size=(Nc, 1)), requires_grad=True, label="b2")
    y = np.zeros((Nc, 1))
    y[2] = 1.0
    z = Wp @ x + b1
    h = z.relu()
    theta = U @ h + b2
    y_hat = t_softmax(theta, axis=0)
    J = -(Tensor(y) * y_hat.log()).sum()
    J.backward()
    print(f"\nJ = {J.item():.6f}; nodes x -> z -> h -> theta -> y_hat -> J, as in the notes")

    # the notes' formulas, in their row-vector convention
    yh = y_hat.numpy()
    hv = h.numpy()
    delta1 = (yh - y).T  # 1 x Nc, identity (2.7)
    delta2 = (delta1 @ U.numpy()) * np.sign(hv).T  # 1 x Dh: delta1 U o sgn(h)
    net.add("delta1 = (y_hat - y)^T", "dJ/dtheta (as a row)", theta.grad.T, delta1)
    net.add("delta2 = delta1 U o sgn(h)", "dJ/dz (as a row)", z.grad.T, delta2)
    net.add("dJ/dU = delta1^T h^T", "dJ/dU", U.grad, delta1.T @ hv.T)
    net.add("dJ/db2 = delta1^T", "dJ/db2", b2.grad, delta1.T)
    net.add("dJ/dW = delta2^T x^T", "dJ/dW", Wp.grad, delta2.T @ x.numpy().T)
    net.add("dJ/db1 = delta2^T", "dJ/db1 (printed as dJ/dW)", b1.grad, delta2.T)
    net.add("dJ/dx = (delta2 W)^T", "dJ/dx", x.grad, (delta2 @ Wp.numpy()).T)
    ok &= net.show()
    ref = cs224n.section3(x.numpy(), Wp.numpy(), b1.numpy(), U.numpy(), b2.numpy(), y)
    r = Report("Section 3 again, against micrograd_ext.documents.cs224n.section3 (the verify oracle)")
    for name, t in (("dU", U), ("db2", b2), ("dW", Wp), ("db1", b1), ("dx", x)):
        r.add(f"section3 {name}", f"dJ/d{name[1:]}", t.grad, ref[name])
    ok &= r.show()
    print("\nall checks passed" if ok else "\nSOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
