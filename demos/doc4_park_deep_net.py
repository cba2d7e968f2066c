"""Document 4, Park, "Gradients in a deep neural network and their Python implementations" (2022).

Its notation: samples are COLUMNS (``X`` is ``n x N``, one-hot ``Y`` is ``m x N``),
``Z[l] = W[l] A[l-1] + b[l]``, ``A[l] = g(Z[l])``, relu hidden layers and a softmax output,
the cost averaged over the ``N`` samples, and the convention ``relu'(0) = 1`` (its eq. (1) and
``d_relu(Z) = (Z >= 0)``), justified by the smoothed relu of its Lemma 3.1.

The demo builds that network with ``Tensor`` (relu with ``grad_at_zero=1.0``; the softmax and the
cross-entropy from elementary operations), runs ``backward()``, and checks against the paper:

- Theorem 6.1 / eq. (21): ``dZ[L] = (A[L] - Y) / N`` at the softmax + cross-entropy output;
- Theorem 5.4, eqs. (22)-(25), layer by layer;
- his Python Code 4 and Code 2 as printed in the article (``micrograd_ext/data/doc_park_code4.txt``),
  executed with the minimal fixes it needs, each one named (docs/errata.md);
- his Python Code 3 (linear regression): its own training run, 300 steps, its cost history shown
  and checked to fall at every step, its gradients checked against autodiff along the way;
- Lemma 3.1: the derivative of relu_eps, computed by autodiff, is 1 for z >= 0 and 0 for z <= -eps.

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
from micrograd_ext.documents import park
from micrograd_ext.documents.common import softmax, t_log_softmax


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
    cost = -(Tensor(Y) * t_log_softmax(Z[L], axis=0)).sum() / N  # mean cross-entropy over the columns
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
    AL = softmax(Z[L].numpy(), axis=0)
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
    Wl, bl = [None] + [Wn[i] for i in range(1, L + 1)], [None] + [bn[i] for i in range(1, L + 1)]
    c4 = park.code4(X, Y, Wl, bl)
    dbc = c4["db"]
    for i in range(1, L + 1):
        r.add("Python Code 4, executed", f"dW[{i}]", W[i].grad, c4["dW"][i])
        r.add("Python Code 4, executed", f"db[{i}]", b[i].grad, c4["db"][i])
    c2 = park.code2(X, Wl, bl, Z[L].grad)
    for i in range(L - 1, 0, -1):
        r.add("Python Code 2, executed", f"dZ[{i}]", Z[i].grad, c2["dZ"][i])
        r.add("Python Code 2, executed", f"dW[{i}]", W[i].grad, c2["dW"][i])
    ok = r.show()
    print("\nthe fixes the printed listings need to run and agree (each an erratum; Code 2 needs none):")
    for name, fixes in park.CODE_FIXES.items():
        for f in fixes:
            print(f"  Code {name[-1]} [{f.category}] {f.name}: {f.old.splitlines()[0]!r} -> {f.new.splitlines()[0]!r}")

    d = park.data()
    run = park.code3_run(d["Xrun"], d["yrun"])
    print(f"\nPython Code 3, its own training run ({len(run.cost_history)} steps, learning rate {run.learning_rate:g}); "
          "what it prints:")
    print("  " + run.printout.strip().replace("\n", "\n  "))
    steps = list(range(0, len(run.cost_history), 50)) + [len(run.cost_history) - 1]
    print("  cost_history: " + ", ".join(f"[{t}] {run.cost_history[t]:.4f}" for t in steps))
    falls = bool(np.all(np.diff(run.cost_history) < 0))
    print(f"  the cost falls at every step: {'PASS' if falls else 'FAIL'}")
    ok &= falls
    r = Report("Python Code 3's back_propagation along its run, against autodiff (Tensor)")
    Xr, yr = Tensor(d["Xrun"]), d["yrun"]
    for t in steps:
        Wt = Tensor(run.W[t], requires_grad=True)
        bt = Tensor(run.b[t], requires_grad=True)
        J = (((Wt @ Xr + bt) - Tensor(yr)) ** 2).sum() * (1.0 / (2 * yr.shape[1]))  # the cost (26) averaged
        J.backward()
        r.add("(31) dW = dZ X^T", f"dW, step {t}", Wt.grad, run.dW[t])
        r.add("(32) db = row sums of dZ", f"db, step {t}", bt.grad, run.db[t])
    ok &= r.show()

    r = Report("Lemma 3.1: relu_eps'(z) by autodiff (eps = 0.5)")
    zs = np.array([-1.0, -0.5, 0.0, 0.25, 1.0])
    slope = park.relu_eps_autodiff(zs, 0.5, "Tensor")["slope"]
    r.add("1 for z >= 0, 0 for z <= -eps", "relu_eps'(z), z = -1, -0.5, 0, 0.25, 1", slope, park.lemma_3_1(zs, 0.5))
    ok &= r.show()

    W0, b0, _, _, _ = build(X, Y, Wn, bn, L, at_zero=0.0)
    diff = float(np.max(np.abs(b0[1].grad - dbc[1])))
    print(f"\nwith PyTorch's relu'(0) = 0 instead: db[1] differs from Park's formula by {diff:.3g} "
          f"({'as expected' if diff > 1e-6 else 'UNEXPECTED: no difference'}); dW[L] is unaffected: "
          f"{float(np.max(np.abs(W0[L].grad - c4['dW'][L]))):.1e}")
    ok &= diff > 1e-6
    print("\nall checks passed" if ok else "\nSOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
