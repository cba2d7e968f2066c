"""Document 5, "2-Layer Neural Net Gradient Derivations for Backpropagation" (CS229 problem set).

Its notation (transposed): ``W[1]`` is ``d x h`` and ``W[2]`` is ``h x k``, so
``z[1] = W[1]^T x + b[1]``, ``a[1] = sigma(z[1])``, ``z[2] = W[2]^T a[1] + b[2]``,
``y_hat = softmax(z[2])``, ``J = CrossEntropy(y, y_hat)`` for one sample.

The demo builds the network node by node with ``Value`` in that notation (the weight ``W1[j,i]``
joins input ``x_j`` to hidden unit ``i``; each ``z`` is one weighted-sum node; the loss is one
softmax-cross-entropy node), runs ``backward()``, and checks the post's four results:

- ``dJ/dW[2] = a[1] (y_hat - y)^T``  (``h x k``)
- ``dJ/db[2] = y_hat - y``
- ``dJ/dW[1] = x outer [(W[2] (y_hat - y)) o a[1] o (1 - a[1])]``  (``d x h``)
- ``dJ/db[1] = (W[2] (y_hat - y)) o a[1] o (1 - a[1])``

and then the same for a minibatch of ``B`` samples with the mean loss (the formulas summed over the
samples and divided by ``B``).  Last, the network the problem set trains, trained here with ``Tensor``
on real handwritten digits (the UCI 8 x 8 optical digits shipped in the package; ``--fast``: 12
epochs instead of 20), its gradients checked against the post's formulas at every logged step, to
at least 95% held-out accuracy (``micrograd-ext digits`` runs the same training).

Run:  .venv/bin/python demos/doc5_cs229_two_layer.py
"""

from __future__ import annotations

import sys

import numpy as np
from _report import Report, parse_args

from micrograd_ext.documents import cs229
from micrograd_ext.engine import Value


def build(d: int, h: int, k: int, rng: np.random.Generator):
    W1 = [[Value(float(rng.normal()), label=f"W1[{j},{i}]") for i in range(h)] for j in range(d)]
    b1 = [Value(float(rng.normal()), label=f"b1[{i}]") for i in range(h)]
    W2 = [[Value(float(rng.normal()), label=f"W2[{i},{c}]") for c in range(k)] for i in range(h)]
    b2 = [Value(float(rng.normal()), label=f"b2[{c}]") for c in range(k)]
    return W1, b1, W2, b2


def forward(x, W1, b1, W2, b2):
    d, h, k = len(W1), len(b1), len(b2)
    z1 = [Value.weighted_sum([W1[j][i] for j in range(d)], x, bias=b1[i]) for i in range(h)]  # column i of W1
    a1 = [z.sigmoid() for z in z1]
    z2 = [Value.weighted_sum([W2[i][c] for i in range(h)], a1, bias=b2[c]) for c in range(k)]
    return z1, a1, z2


def grads(M):
    return np.array([[v.grad for v in row] for row in M])


def data(M):
    return np.array([[v.data for v in row] for row in M])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, argv)
    rng = np.random.default_rng(args.seed)
    d, h, k, B = 4, 5, 3, 6
    W1, b1, W2, b2 = build(d, h, k, rng)

    x = rng.normal(size=d)
    ell = 1  # the correct class
    y = np.eye(k)[ell]
    z1, a1, z2 = forward(list(x), W1, b1, W2, b2)
    J = Value.nary("xent", z2, target=ell, scale=1.0)  # -log softmax(z2)_ell, one node
    J.backward()
    zz = np.array([v.data for v in z2])
    y_hat = np.exp(zz - zz.max())
    y_hat /= y_hat.sum()
    a = np.array([v.data for v in a1])
    e = y_hat - y
    g1 = (data(W2) @ e) * a * (1 - a)
    print(f"one sample: J = {J.data:.6f}, {d}-{h}-{k} net, W1 is d x h, W2 is h x k")
    r = Report("The four gradients, one sample")
    r.add("dJ/dW2 = a1 (y_hat - y)^T", "dJ/dW2 (h x k)", grads(W2), np.outer(a, e))
    r.add("dJ/db2 = y_hat - y", "dJ/db2", [v.grad for v in b2], e)
    r.add("dJ/dW1 = x outer [(W2 e) o a1 o (1-a1)]", "dJ/dW1 (d x h)", grads(W1), np.outer(x, g1))
    r.add("dJ/db1 = (W2 e) o a1 o (1-a1)", "dJ/db1", [v.grad for v in b1], g1)
    ok = r.show()

    ref = cs229.gradients(x[:, None], y[:, None], data(W1), np.array([[v.data] for v in b1]), data(W2),
                          np.array([[v.data] for v in b2]))
    r = Report("One sample again, against micrograd_ext.documents.cs229.gradients (the verify oracle)")
    r.add("gradients", "dJ/dW2", grads(W2), ref["dW2"])
    r.add("gradients", "dJ/db2", [[v.grad] for v in b2], ref["db2"])
    r.add("gradients", "dJ/dW1", grads(W1), ref["dW1"])
    r.add("gradients", "dJ/db1", [[v.grad] for v in b1], ref["db1"])
    ok &= r.show()

    for p in [v for row in W1 + W2 for v in row] + b1 + b2:
        p.grad = 0.0
    X = rng.normal(size=(B, d))
    labels = rng.integers(0, k, B)
    losses = []
    cW1, cW2, cb1, cb2 = np.zeros((d, h)), np.zeros((h, k)), np.zeros(h), np.zeros(k)
    for xb, lb in zip(X, labels):
        _, a1b, z2b = forward(list(xb), W1, b1, W2, b2)
        losses.append(Value.nary("xent", z2b, target=int(lb), scale=1.0 / B))
        zz = np.array([v.data for v in z2b])
        yh = np.exp(zz - zz.max())
        yh /= yh.sum()
        ab = np.array([v.data for v in a1b])
        eb = yh - np.eye(k)[lb]
        gb = (data(W2) @ eb) * ab * (1 - ab)
        cW2 += np.outer(ab, eb) / B
        cb2 += eb / B
        cW1 += np.outer(xb, gb) / B
        cb1 += gb / B
    Jb = Value.sum(losses)
    Jb.backward()
    print(f"\nminibatch of {B}: mean loss J = {Jb.data:.6f}")
    r = Report("The four gradients, minibatch mean (each formula averaged over the samples)")
    r.add("mean of a1 (y_hat - y)^T", "dJ/dW2", grads(W2), cW2)
    r.add("mean of y_hat - y", "dJ/db2", [v.grad for v in b2], cb2)
    r.add("mean of x outer [...]", "dJ/dW1", grads(W1), cW1)
    r.add("mean of (W2 e) o a1 o (1-a1)", "dJ/db1", [v.grad for v in b1], cb1)
    ok &= r.show()
    epochs = 12 if args.fast else 20
    print(f"\nThe network trained on real handwritten digits (the UCI 8 x 8 optical digits shipped in the package), "
          f"with Tensor: 64 -> 64 sigmoid -> 10 softmax, Adam, minibatches of 32, {epochs} epochs; the gradients "
          "checked against the post's closed forms (averaged over the minibatch) at every logged step:")
    run = cs229.train_digits(epochs=epochs, on_log=lambda c: print(
        f"  step {c.step:4d}  loss {c.loss:.4f}  max relative |autodiff - closed| {max(c.max_rel_diff.values()):.1e}  "
        f"{'PASS' if c.passed else 'FAIL'}"))
    print(f"training accuracy {run.train_accuracy:.1%}, held-out accuracy {run.test_accuracy:.1%} ({run.n_test} images), "
          f"{run.seconds:.2f} s")
    good = run.gradients_agree and run.test_accuracy >= 0.95
    print(f"gradients agree at all {len(run.checks)} logged steps and held-out accuracy >= 95%: {'PASS' if good else 'FAIL'}")
    ok &= good
    print("\nall checks passed" if ok else "\nSOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
