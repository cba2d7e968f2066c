"""Document 4, Park, "Gradients in a deep neural network and their Python implementations" (2022).

Its notation: samples are COLUMNS (``X`` is ``n x N``, one-hot ``Y`` is ``m x N``),
``Z[l] = W[l] A[l-1] + b[l]``, ``A[l] = g(Z[l])``, relu hidden layers and a softmax output,
the cost averaged over the ``N`` samples, and the convention ``relu'(0) = 1`` (its eq. (1) and
``d_relu(Z) = (Z >= 0)``).

The demo builds that network with ``Tensor`` (relu with ``grad_at_zero=1.0``), runs ``backward()``,
and checks against the paper:

- Theorem 6.1 / eq. (21): ``dZ[L] = (A[L] - Y) / N`` at the softmax + cross-entropy output;
- Theorem 5.4, eqs. (22)-(25), layer by layer: ``dA[l-1] = W[l]^T dZ[l]``,
  ``dZ[l-1] = g'(Z[l-1]) * dA[l-1]``, ``dW[l] = dZ[l] A[l-1]^T``, ``db[l]`` = row sums of ``dZ[l]``;
- Python Code 4 (``back_propagation``), run as printed except for two typos (``Ws[i+1]`` for
  ``W[i+1]``, and ``softmax`` summing over ``axis=1``, the samples, where columns are samples: it must
  be ``axis=0``; see docs/errata.md).

One input column is all zeros and the first layer's biases are zero, so some ``Z[1]`` entries are
exactly 0 and the relu convention matters: with PyTorch's ``relu'(0) = 0`` the gradients of the first
layer's biases differ from Park's formulas, as the last rows show.

Run:  .venv/bin/python demos/doc4_park_deep_net.py
"""

from __future__ import annotations

import sys

import numpy as np
from _report import Report, parse_args

from micrograd_ext.core.tensor import Tensor


def softmax_columns(Z: np.ndarray) -> np.ndarray:
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def python_code_4(X, Y, W, b, L):
    """Park's Python Code 4, with ``Ws`` read as ``W`` and the softmax over columns (axis=0)."""
    Z, A = [None] * (L + 1), [None] * (L + 1)
    A[0] = X
    for i in range(1, L):
        Z[i] = W[i] @ A[i - 1] + b[i]
        A[i] = np.maximum(0, Z[i])
    Z[L] = W[L] @ A[L - 1] + b[L]
    A[L] = softmax_columns(Z[L])
    N = X.shape[1]
    dZ, dA, dW, db = {}, {}, {}, {}
    dZ[L] = 1 / N * (A[L] - Y)
    dW[L] = dZ[L] @ A[L - 1].T
    db[L] = np.sum(dZ[L], axis=1, keepdims=True)
    for i in range(L - 1, 0, -1):
        dA[i] = W[i + 1].T @ dZ[i + 1]
        dZ[i] = (Z[i] >= 0) * 1.0 * dA[i]  # d_relu(Z) = (Z >= 0): relu'(0) = 1
        dW[i] = dZ[i] @ A[i - 1].T
        db[i] = np.sum(dZ[i], axis=1, keepdims=True)
    return dW, db


def build(X, Y, Wn, bn, L, at_zero):
    W = {i: Tensor(Wn[i], requires_grad=True, label=f"W[{i}]") for i in range(1, L + 1)}
    b = {i: Tensor(bn[i], requires_grad=True, label=f"b[{i}]") for i in range(1, L + 1)}
    A = {0: Tensor(X)}
    Z = {}
    for i in range(1, L):
        Z[i] = W[i] @ A[i - 1] + b[i]
        A[i] = Z[i].relu(grad_at_zero=at_zero)
    Z[L] = W[L] @ A[L - 1] + b[L]
    N = X.shape[1]
    cost = -(Tensor(Y) * Z[L].log_softmax(axis=0)).sum() / N  # mean cross-entropy over the columns
    cost.backward()
    return W, b, Z, A, cost


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, argv)
    rng = np.random.default_rng(args.seed)
    n, N, m = 4, 8, 3
    sizes = [n, 6, 5, m]
    L = len(sizes) - 1
    X = rng.normal(size=(n, N))
    X[:, 3] = 0.0  # a zero sample: with b[1] = 0 its Z[1] column is exactly 0
    Y = np.eye(m)[:, rng.integers(0, m, N)]
    Wn = {i: rng.normal(size=(sizes[i], sizes[i - 1])) for i in range(1, L + 1)}
    bn = {i: rng.normal(size=(sizes[i], 1)) for i in range(1, L + 1)}
    bn[1] = np.zeros((sizes[1], 1))

    W, b, Z, A, cost = build(X, Y, Wn, bn, L, at_zero=1.0)
    print(f"deep net {'-'.join(map(str, sizes))}, samples as columns (X is {n}x{N}), cost = {cost.item():.6f}")
    print(f"Z[1] has {int(np.sum(Z[1].numpy() == 0))} entries exactly 0 (relu'(0) = 1 applies there)")

    r = Report("Theorems 5.4 and 6.1, layer by layer (relu'(0) = 1, as in the paper)")
    AL = softmax_columns(Z[L].numpy())
    dZ = {L: (AL - Y) / N}
    r.add("(21), Thm 6.1: dZ[L] = (A[L]-Y)/N", f"dZ[{L}]", Z[L].grad, dZ[L])
    for i in range(L, 0, -1):
        Aprev = A[i - 1].numpy()
        r.add("(24): dW[l] = dZ[l] A[l-1]^T", f"dW[{i}]", W[i].grad, dZ[i] @ Aprev.T)
        r.add("(25): db[l] = row sums of dZ[l]", f"db[{i}]", b[i].grad, dZ[i].sum(axis=1, keepdims=True))
        if i > 1:
            dA = Wn[i].T @ dZ[i]
            r.add("(22): dA[l-1] = W[l]^T dZ[l]", f"dA[{i - 1}]", A[i - 1].grad, dA)
            dZ[i - 1] = (Z[i - 1].numpy() >= 0) * dA
            r.add("(23): dZ[l-1] = g'(Z[l-1]) * dA", f"dZ[{i - 1}]", Z[i - 1].grad, dZ[i - 1])
    dWc, dbc = python_code_4(X, Y, Wn, bn, L)
    for i in range(1, L + 1):
        r.add("Python Code 4", f"dW[{i}]", W[i].grad, dWc[i])
        r.add("Python Code 4", f"db[{i}]", b[i].grad, dbc[i])
    ok = r.show()

    try:
        from micrograd_ext.documents import closed_form as cf
    except ImportError:
        print("\n(micrograd_ext.closed_form is not installed: the cross-check with the verify oracle is skipped)")
    else:
        dWp, dbp = cf.park_code4(X, Y, [None] + [Wn[i] for i in range(1, L + 1)], [None] + [bn[i] for i in range(1, L + 1)])
        r = Report("Against micrograd_ext.closed_form.park_code4 (Park's listing executed, typos fixed)")
        for i in range(1, L + 1):
            r.add("park_code4", f"dW[{i}]", W[i].grad, dWp[i])
            r.add("park_code4", f"db[{i}]", b[i].grad, dbp[i])
        ok &= r.show()

    W0, b0, _, _, _ = build(X, Y, Wn, bn, L, at_zero=0.0)
    diff = float(np.max(np.abs(b0[1].grad - dbc[1])))
    print(f"\nwith PyTorch's relu'(0) = 0 instead: db[1] differs from Park's formula by {diff:.3g} "
          f"({'as expected' if diff > 1e-6 else 'UNEXPECTED: no difference'}); dW[L] is unaffected: "
          f"{float(np.max(np.abs(W0[L].grad - dWc[L]))):.1e}")
    ok &= diff > 1e-6
    print("\nall checks passed" if ok else "\nSOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
