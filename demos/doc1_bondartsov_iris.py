"""Document 1, Bondartsov, "Notes on analytic gradient derivation" (2019): the iris network.

Its notation: 4 inputs, 8 sigmoid hidden neurons, 3 sigmoid outputs; the bias is weight column 0
(``z(1)_i = w(1)_{i,0} + w(1)_{i,1} x_1 + ... + w(1)_{i,4} x_4``, and ``w(1)`` is ``8 x 5``,
``w(2)`` is ``3 x 9``); the loss is eq. (1), the binary cross-entropy summed over the 3 outputs and
averaged over the ``|Sx|`` samples.

The demo builds the network node by node with ``Value`` exactly as the paper draws it (each ``z`` is
one weighted-sum node, ``C`` is one node), feeds it real iris rows (the raw measurements, as in the
paper), runs ``backward()``, and checks, equation by equation:

- the local derivatives stored on the graph's edges: (5a) ``dC/da(2)_i``, (5b) ``da/dz = a(1 - a)``
  (and (10c) for layer 1), (5c)/(10b) ``dz/dw_{i,j} = a_j`` or ``x_j`` (1 for ``j = 0``), (10a)
  ``dz(2)_k/da(1)_i = w(2)_{k,i}``;
- the gradients: (8) ``grad w(2) = 1/|Sx| (a(2) - y) . a(1)^T``, (14)
  ``grad w(1) = 1/|Sx| (g(1) o f(2)) . x^T``, and (15) ``f(2) = (a(2) - y)^T . w(2)`` (the
  displayed block, columns 1..8), which is ``|Sx|`` times the backward pass's ``dC/da(1)`` with
  samples as rows: the transpose of the f(2) that (14) needs (see docs/errata.md);
- the number of chain-rule paths of Figures 2 and 3: one per sample from ``C`` to a weight of
  layer 2, three per sample (one through each output) to a weight of layer 1.

Run:  .venv/bin/python demos/doc1_bondartsov_iris.py
"""

from __future__ import annotations

import random
import sys

import numpy as np
from _report import Report, parse_args

from micrograd_ext.diagrams.chain import count_paths
from micrograd_ext.documents import bondartsov
from micrograd_ext.engine import Value
from micrograd_ext.nets.datasets import load_iris


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, argv)
    Xall, yall = load_iris()[:2]
    Xall, yall = np.asarray(Xall, dtype=float), np.asarray(yall)
    rows = [int(i) for k in range(3) for i in np.flatnonzero(yall == k)[:4]]  # 4 rows of each class: |Sx| = 12
    X, Y = Xall[rows], np.eye(3)[yall[rows]]
    N = len(rows)
    rng = random.Random(args.seed)
    w1 = [[Value(rng.uniform(-1, 1), label=f"w(1)[{i},{j}]") for j in range(5)] for i in range(1, 9)]
    w2 = [[Value(rng.uniform(-1, 1), label=f"w(2)[{i},{j}]") for j in range(9)] for i in range(1, 4)]

    Z1, A1, Z2, A2 = [], [], [], []
    for x in X:
        z1 = [Value.weighted_sum(w[1:], [float(v) for v in x], bias=w[0]) for w in w1]
        a1 = [z.sigmoid() for z in z1]
        z2 = [Value.weighted_sum(w[1:], a1, bias=w[0]) for w in w2]
        a2 = [z.sigmoid() for z in z2]
        Z1.append(z1)
        A1.append(a1)
        Z2.append(z2)
        A2.append(a2)
    C = Value.nary("bce", [a for row in A2 for a in row], targets=[float(t) for t in Y.ravel()], scale=1.0 / N)
    C.backward()
    a1 = np.array([[v.data for v in r] for r in A1])  # |Sx| x 8
    a2 = np.array([[v.data for v in r] for r in A2])  # |Sx| x 3
    W2 = np.array([[v.data for v in r] for r in w2])
    print(f"iris rows {rows}: |Sx| = {N}; C = {C.data:.6f} (eq. (1))")

    r = Report("Local derivatives on the edges (what backward() multiplies)")
    r.add("(5a) (a-y)/(a(1-a)) / |Sx|", "dC/da(2) per sample", np.reshape(C.local_grads, (N, 3)),
          (a2 - Y) / (a2 * (1 - a2)) / N)
    r.add("(5b) a(2)(1 - a(2))", "da(2)/dz(2)", [[v.local_grads[0] for v in row] for row in A2], a2 * (1 - a2))
    r.add("(10c) a(1)(1 - a(1))", "da(1)/dz(1)", [[v.local_grads[0] for v in row] for row in A1], a1 * (1 - a1))
    # a weighted-sum node's parents are (w_0, w_1, a_1, w_2, a_2, ...): weights at 0, 1, 3, 5, ...
    r.add("(5c) 1 or a(1)_j", "dz(2)_i/dw(2)_ij", [[[z.local_grads[0]] + list(z.local_grads[1::2]) for z in row]
                                                   for row in Z2],
          np.repeat(np.hstack([np.ones((N, 1)), a1])[:, None, :], 3, axis=1))
    r.add("(10a) w(2)_k,i", "dz(2)_k/da(1)_i", [[z.local_grads[2::2] for z in row] for row in Z2],
          np.repeat(W2[None, :, 1:], N, axis=0))
    r.add("(10b) 1 or x_j", "dz(1)_i/dw(1)_ij", [[[z.local_grads[0]] + list(z.local_grads[1::2]) for z in row]
                                                 for row in Z1],
          np.repeat(np.hstack([np.ones((N, 1)), X])[:, None, :], 8, axis=1))
    ok = r.show()

    r = Report("Gradients (vectorised forms)")
    a1b = np.hstack([np.ones((N, 1)), a1])  # "a(1)^T includes a bias first column"
    xb = np.hstack([np.ones((N, 1)), X])  # "x^T includes a bias first column"
    f2 = (a2 - Y) @ W2[:, 1:]  # (15), |Sx| x 8
    g1 = a1 * (1 - a1)  # (12b)
    r.add("(8) 1/|Sx| (a(2)-y) . a(1)^T", "grad w(2)", [[v.grad for v in row] for row in w2], (a2 - Y).T @ a1b / N)
    r.add("(14) 1/|Sx| (g(1) o f(2)) . x^T", "grad w(1)", [[v.grad for v in row] for row in w1], (g1 * f2).T @ xb / N)
    r.add("(15) (a(2)-y)^T . w(2) [no bias col]", "f(2) = |Sx| dC/da(1)", N * np.array([[v.grad for v in row] for row in A1]), f2)
    ok &= r.show()

    r = Report("Against micrograd_ext.documents.bondartsov (the verify oracle)")
    r.add("dC_da2_eq5a", "dC/da(2) per sample", np.reshape(C.local_grads, (N, 3)).T, bondartsov.dC_da2_eq5a(a2.T, Y.T))
    r.add("grad_w2 (8)", "grad w(2)", [[v.grad for v in row] for row in w2],
          bondartsov.grad_w2(np.array([[v.data for v in row] for row in w1]), W2, X, Y))
    r.add("grad_w1 (14), (15)", "grad w(1)", [[v.grad for v in row] for row in w1],
          bondartsov.grad_w1(np.array([[v.data for v in row] for row in w1]), W2, X, Y))
    ok &= r.show()

    n2 = count_paths(C, w2[0][2])
    n1 = count_paths(C, w1[2][2])
    good = n2 == N and n1 == 3 * N
    ok &= good
    print(f"\npaths from C to w(2)[1,2]: {n2} (Figure 2's one path, once per sample); "
          f"to w(1)[3,2]: {n1} (Figure 3's three paths, once per sample)   {'PASS' if good else 'FAIL'}")
    print("\nall checks passed" if ok else "\nSOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
