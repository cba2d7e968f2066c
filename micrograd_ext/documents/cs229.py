""""2-Layer Neural Net Gradient Derivations for Backpropagation" (CS229 problem set): closed forms, nets,
verify rows, errata, and the network trained on real handwritten digits.

The post's network, in its transposed convention (``W[1]`` is d x h, ``W[2]`` is h x k;
column vectors)::

    z[1] = W[1]^T x + b[1],  a[1] = sigma(z[1]),  z[2] = W[2]^T a[1] + b[2],  y_hat = softmax(z[2]),
    J = CrossEntropy(y, y_hat)

and its results (section "Conclusion")::

    dJ/dW[2] = a[1] (y_hat - y)^T                                  h x k
    dJ/db[2] = y_hat - y                                           k x 1
    dJ/dW[1] = x outer [(W[2] (y_hat - y)) o a[1] o (1 - a[1])]    d x h
    dJ/db[1] = (W[2] (y_hat - y)) o a[1] o (1 - a[1])               h x 1

The post numbers no equations: rows are labelled with the derivative they check, in the
post's notation (``dJ/dW[2]``).  :func:`train_digits` trains the network with ``Tensor``
on the UCI optical handwritten digits shipped in the package (:func:`load_digits`),
checking the gradients against these closed forms at every logged step.
"""

from __future__ import annotations

import gzip
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ..core.jacobian import jacobian, jacobian_values
from ..core.tensor import Tensor
from ..nets import losses
from ..nets.optim import Adam
from .common import (
    AUTHOR,
    CS229,
    RTOL,
    Array,
    Erratum,
    Row,
    Rows,
    compare,
    datas,
    flat,
    grads,
    leaf,
    sigmoid,
    softmax,
    strict_add,
    t_log_softmax,
    t_sigmoid,
    v_affine,
    v_sigmoid,
    values,
)

DOC = CS229
MINIBATCH = "Conclusion, minibatch (beyond the post)"


# =============================================================================================
# Closed forms
# =============================================================================================


def forward(x: Array, W1: Array, b1: Array, W2: Array, b2: Array) -> dict[str, Array]:
    """z1 = W1^T x + b1, a1 = sigma(z1), z2 = W2^T a1 + b2, y_hat = softmax(z2).  CS229 post, "Forward Pass"."""
    z1 = W1.T @ x + b1
    a1 = sigmoid(z1)
    z2 = W2.T @ a1 + b2
    return {"z1": z1, "a1": a1, "z2": z2, "y_hat": softmax(z2, axis=0)}


def gradients(x: Array, y: Array, W1: Array, b1: Array, W2: Array, b2: Array) -> dict[str, Array]:
    """The post's derivatives for one sample (column vectors), from "Gradient Derivations" and "Conclusion".

    ``dz2`` = dJ/dz2 = y_hat - y; ``dW2`` = a1 (y_hat - y)^T; ``db2`` = y_hat - y;
    ``da1`` = dJ/da1 = (y_hat - y)^T W2^T (a 1 x h row); ``dz1`` = dJ/dz1 =
    [W2 (y_hat - y)] o a1 o (1 - a1); ``dW1`` = x outer dz1 (read as ``x dz1^T``, d x h);
    ``db1`` = dz1; ``da1/dz1`` = a1 o (1 - a1); and the forward values.  CS229 post, "Conclusion".
    """
    f = forward(x, W1, b1, W2, b2)
    e = f["y_hat"] - y
    a1 = f["a1"]
    v = (W2 @ e) * a1 * (1 - a1)
    return {"dz2": e, "dW2": a1 @ e.T, "db2": e, "da1": e.T @ W2.T, "dz1": v, "dW1": np.outer(x, v), "db1": v,
            "da1/dz1": a1 * (1 - a1), **f}


def batch_gradients(X: Array, Y: Array, W1: Array, b1: Array, W2: Array, b2: Array) -> dict[str, Array]:
    """The mean over a minibatch (samples as ROWS of ``X``, B x d, and one-hot ``Y``, B x k) of the post's
    per-sample results: each sample's column-vector formulas, as outer products, averaged.  CS229 post, "Conclusion".

    Returns ``dW1`` (d x h), ``db1`` (h,), ``dW2`` (h x k), ``db2`` (k,) and ``y_hat`` (B x k).
    """
    Z1 = X @ W1 + b1  # row n is (W1^T x_n + b1)^T
    A1 = sigmoid(Z1)
    Z2 = A1 @ W2 + b2
    P = softmax(Z2, axis=1)
    E = P - Y  # row n: (y_hat - y)^T of sample n
    V = (E @ W2.T) * A1 * (1 - A1)  # row n: [(W2 (y_hat - y)) o a1 o (1 - a1)]^T
    B = X.shape[0]
    return {"dW2": np.einsum("ni,nc->ic", A1, E) / B, "db2": E.sum(axis=0) / B,
            "dW1": np.einsum("nj,ni->ji", X, V) / B, "db1": V.sum(axis=0) / B, "y_hat": P}


def dz2_dW2(a1: Array, k: int) -> Array:
    """dz2_c/dW2_{i,c'} = a1_i delta_cc' (the post writes dz2/dW2 = a1 in R^{h x 1}, the nonzero part).  CS229 post.  Returns k x h x k."""
    a = np.ravel(a1)
    J = np.zeros((k, a.size, k))
    for c in range(k):
        J[c, :, c] = a
    return J


def dz1_dW1(x: Array, h: int) -> Array:
    """dz1_i/dW1_{j,i'} = x_j delta_ii' (the post writes dz1/dW1 = x in R^{d x 1}).  CS229 post.  Returns h x d x h."""
    xx = np.ravel(x)
    J = np.zeros((h, xx.size, h))
    for i in range(h):
        J[i, :, i] = xx
    return J


def dz2_da1(W2: Array) -> Array:
    """dz2/da1 = W2^T (k x h) for z2 = W2^T a1 + b2.  CS229 post, "Gradient Derivations" (corrected; the next line uses W2^T)."""
    return np.array(W2, dtype=float).T


def dz2_da1_as_printed(W2: Array) -> Array:
    """dz2/da1 = W2, "in R^{k x h}" as printed (but W2 is h x k).  CS229 post, "Gradient Derivations"."""
    return np.array(W2, dtype=float)


# =============================================================================================
# Data and the nets on both engines
# =============================================================================================


def data(seed: int = 4) -> dict[str, Array]:
    """Seeded data: d = 5, h = 4, k = 3 (h != k, so W2 and W2^T differ in shape); one sample x, one-hot y;
    a minibatch X (B = 6 rows) with labels."""
    rng = np.random.default_rng(seed)
    d, h, k = 5, 4, 3
    return {"x": rng.normal(size=(d, 1)), "y": np.eye(k)[:, [1]], "W1": rng.normal(size=(d, h)), "b1": rng.normal(size=(h, 1)),
            "W2": rng.normal(size=(h, k)), "b2": rng.normal(size=(k, 1)), "X": rng.normal(size=(6, d)),
            "labels": rng.integers(0, k, 6)}


def value_net(d: dict[str, Array]) -> dict[str, Array]:
    """The CS229 net with ``Value``: z1_i = sum_j W1[j][i] x_j + b1_i (a COLUMN of W1: the transposed convention),
    sigma from ``exp``, ``+``, ``/``, J by :func:`micrograd_ext.nets.losses.softmax_cross_entropy` (``nary=False``)."""
    W1, W2 = values(d["W1"], "W1"), values(d["W2"], "W2")
    b1, b2 = values(d["b1"][:, 0], "b1"), values(d["b2"][:, 0], "b2")
    dd, h, k = d["W1"].shape[0], d["W1"].shape[1], d["W2"].shape[1]

    def net(x: list) -> tuple[list, list, list]:
        z1 = [v_affine([W1[j][i] for j in range(dd)], x, bias=b1[i]) for i in range(h)]
        a1 = [v_sigmoid(z) for z in z1]
        z2 = [v_affine([W2[i][c] for i in range(h)], a1, bias=b2[c]) for c in range(k)]
        return z1, a1, z2

    z1, a1, z2 = net([float(v) for v in d["x"][:, 0]])
    losses.softmax_cross_entropy(z2, int(np.argmax(d["y"][:, 0])), nary=False).backward()
    out = {"dW1": grads(W1), "db1": grads(b1)[:, None], "dW2": grads(W2), "db2": grads(b2)[:, None], "dz2": grads(z2)[:, None],
           "da1": grads(a1)[None, :], "dz1": grads(z1)[:, None]}
    out["dz2/da1"] = jacobian_values(z2, a1)
    out["dz2/dW2"] = jacobian_values(z2, flat(W2)).reshape(k, h, k)
    out["dz2/db2"] = jacobian_values(z2, b2)
    out["dz1/dW1"] = jacobian_values(z1, flat(W1)).reshape(h, dd, h)
    out["dz1/db1"] = jacobian_values(z1, b1)
    zl = values(datas(z1), "z1")
    out["da1/dz1"] = np.diag(jacobian_values([v_sigmoid(z) for z in zl], zl))[:, None]
    for p in flat(W1) + flat(W2) + b1 + b2:
        p.grad = 0.0
    rows = [net([float(v) for v in xr])[2] for xr in d["X"]]
    losses.softmax_cross_entropy(rows, [int(c) for c in d["labels"]], nary=False).backward()
    out["batch"] = {"dW1": grads(W1), "db1": grads(b1), "dW2": grads(W2), "db2": grads(b2)}
    return out


def tensor_net(d: dict[str, Array]) -> dict[str, Array]:
    """The CS229 net with ``Tensor``: ``z1 = W1.T @ x + b1``, ``z2 = W2.T @ a1 + b2`` (column vectors); the
    minibatch with samples as rows, ``Z1 = X @ W1 + b1``.  Softmax + CE from elementary operations."""
    W1, W2, b1, b2 = leaf(d["W1"], "W1"), leaf(d["W2"], "W2"), leaf(d["b1"], "b1"), leaf(d["b2"], "b2")
    z1 = W1.T @ Tensor(d["x"]) + b1
    a1 = t_sigmoid(z1)
    z2 = W2.T @ a1 + b2
    (-(t_log_softmax(z2, axis=0) * Tensor(d["y"])).sum()).backward()
    out = {"dW1": W1.grad.copy(), "db1": b1.grad.copy(), "dW2": W2.grad.copy(), "db2": b2.grad.copy(), "dz2": z2.grad.copy(),
           "da1": a1.grad.T.copy(), "dz1": z1.grad.copy()}
    W1c, W2c, b1c, b2c = Tensor(d["W1"]), Tensor(d["W2"]), Tensor(d["b1"][:, 0]), Tensor(d["b2"][:, 0])
    xc, a1c = Tensor(d["x"][:, 0]), Tensor(a1.data[:, 0])
    out["dz2/da1"] = jacobian(lambda a: W2c.T @ a + b2c, a1.data[:, 0])
    out["dz2/dW2"] = jacobian(lambda W: W.T @ a1c + b2c, d["W2"])
    out["dz2/db2"] = jacobian(lambda b: W2c.T @ a1c + b, d["b2"][:, 0])
    out["dz1/dW1"] = jacobian(lambda W: W.T @ xc + b1c, d["W1"])
    out["dz1/db1"] = jacobian(lambda b: W1c.T @ xc + b, d["b1"][:, 0])
    out["da1/dz1"] = np.diag(jacobian(t_sigmoid, z1.data[:, 0]))[:, None]
    W1, W2, b1, b2 = leaf(d["W1"], "W1"), leaf(d["W2"], "W2"), leaf(d["b1"][:, 0], "b1"), leaf(d["b2"][:, 0], "b2")
    Z2 = t_sigmoid(Tensor(d["X"]) @ W1 + b1) @ W2 + b2
    Yb = np.eye(d["W2"].shape[1])[d["labels"]]
    (-(t_log_softmax(Z2, axis=1) * Tensor(Yb)).sum() * (1.0 / len(Yb))).backward()
    out["batch"] = {"dW1": W1.grad.copy(), "db1": b1.grad.copy(), "dW2": W2.grad.copy(), "db2": b2.grad.copy()}
    return out


@lru_cache(maxsize=1)
def _builds() -> dict[str, Any]:
    d = data()
    return {"d": d, "Value": value_net(d), "Tensor": tensor_net(d)}


# =============================================================================================
# verify: the rows
# =============================================================================================


def rows() -> list[Row]:
    """Every derivative of "Gradient Derivations" (the terms and the combined results) and the four of "Conclusion",
    for one sample; the four again for a minibatch (the mean of the per-sample results)."""
    b = _builds()
    d = b["d"]
    h, k = d["W2"].shape
    c = gradients(d["x"], d["y"], d["W1"], d["b1"], d["W2"], d["b2"])
    cb = batch_gradients(d["X"], np.eye(k)[d["labels"]], d["W1"], d["b1"][:, 0], d["W2"], d["b2"][:, 0])
    R = Rows(DOC)
    for eng in ("Value", "Tensor"):
        r = b[eng]
        R.add("dJ/dz[2]", "dJ/dz2 = y_hat - y", eng, r["dz2"], c["dz2"])
        R.add("dz[2]/dW[2]", "dz2/dW2 = a1 (dz2_c/dW2_ic' = a1_i delta_cc', the k x h x k Jacobian)", eng, r["dz2/dW2"],
              dz2_dW2(c["a1"], k))
        R.add("dJ/dW[2]", "dJ/dW2 = [dJ/dz2 a1^T]^T = a1 (y_hat - y)^T", eng, r["dW2"], c["dW2"])
        R.add("dz[2]/db[2]", "dz2/db2 = I (k x k)", eng, r["dz2/db2"], np.eye(k))
        R.add("dJ/db[2]", "dJ/db2 = y_hat - y", eng, r["db2"], c["db2"])
        R.add("dz[2]/da[1]", "dz2/da1 = W2^T (printed: W2)", eng, r["dz2/da1"], dz2_da1(d["W2"]))
        R.add("da[1]/dz[1]", "da1/dz1 = sigma(z1) o (1 - sigma(z1)) = a1 o (1 - a1)", eng, r["da1/dz1"], c["da1/dz1"])
        R.add("dz[1]/dW[1]", "dz1/dW1 = x (dz1_i/dW1_ji' = x_j delta_ii', the h x d x h Jacobian)", eng, r["dz1/dW1"],
              dz1_dW1(d["x"], h))
        R.add("dJ/da[1]", "dJ/da1 = (y_hat - y)^T W2^T (1 x h)", eng, r["da1"], c["da1"])
        R.add("dJ/dz[1]", "dJ/dz1 = [W2 (y_hat - y)] o a1 o (1 - a1)", eng, r["dz1"], c["dz1"])
        R.add("dJ/dW[1]", "dJ/dW1 = x outer [(W2 (y_hat - y)) o a1 o (1 - a1)]", eng, r["dW1"], c["dW1"])
        R.add("dz[1]/db[1]", "dz1/db1 = I (h x h)", eng, r["dz1/db1"], np.eye(h))
        R.add("dJ/db[1]", "dJ/db1 = (W2 (y_hat - y)) o a1 o (1 - a1)", eng, r["db1"], c["db1"])
        for key in ("dW2", "db2", "dW1", "db1"):
            R.add(MINIBATCH, f"dJ/{key[1:]}: the mean of the post's per-sample result over B = {len(d['X'])} samples", eng, r["batch"][key], cb[key])
    return R.rows


# =============================================================================================
# verify: the errata
# =============================================================================================


def errata() -> list[Erratum]:
    """The post's errata, each with its passage, its category and its check against autodiff (both engines)."""
    b = _builds()
    d = b["d"]
    h, k = d["W2"].shape
    E = ("Value", "Tensor")
    f = forward(d["x"], d["W1"], d["b1"], d["W2"], d["b2"])
    return [
        Erratum(
            DOC.name, "dz[2]/da[1]", AUTHOR,
            r"\frac{\partial z^{[2]}}{\partial a^{[1]}} &= W^{[2]} &\in \mathbb{R}^{k \times h}",
            "dz2/da1 = W2 (which is h x k)", "W2^T, k x h (the shape it states; the next display has (y_hat - y)^T W2^T)",
            "dz2/da1, the Jacobian of z2 = W2^T a1 + b2",
            lambda: dz2_da1_as_printed(d["W2"]), lambda: dz2_da1(d["W2"]), {e: (lambda e=e: b[e]["dz2/da1"]) for e in E},
            why="with z = W^T x the Jacobian by x is W^T"),
        Erratum(
            DOC.name, "Dimensions", AUTHOR, r"- $b^{[1]} \in \mathbb{R}^h$ - $b^{[2]} \in \mathbb{R}^h$",
            "b[2] in R^h", "b[2] in R^k (it is added to W2^T a1, in R^k)", "z2 = W2^T a1 + b2 (forward)",
            lambda: strict_add(d["W2"].T @ f["a1"], np.zeros((h, 1))), lambda: strict_add(d["W2"].T @ f["a1"], d["b2"]),
            {e: (lambda e=e: forward(d["x"], d["W1"], d["b1"], d["W2"], d["b2"])["z2"]) for e in E}, raises=ValueError,
            why=f"with h = {h} != k = {k} the sum is not defined"),
    ]


# =============================================================================================
# The UCI optical digits, and the net trained on them with Tensor
# =============================================================================================


def load_digits() -> tuple[Array, Array]:
    """The UCI optical recognition of handwritten digits, 8 x 8 images shipped in the package
    (``micrograd_ext/data/digits.csv.gz``, source in ``micrograd_ext/data/SOURCE.txt``).

    Returns ``X`` (1797 x 64, float64 pixel counts 0..16, row-major 8 x 8) and the labels
    ``y`` (1797 ints 0..9).  Raises ValueError if the file is not that data set.
    """
    raw = resources.files("micrograd_ext").joinpath("data", "digits.csv.gz").read_bytes()
    a = np.loadtxt(io.StringIO(gzip.decompress(raw).decode("ascii")), delimiter=",")
    if a.shape != (1797, 65):
        raise ValueError(f"load_digits: digits.csv.gz has shape {a.shape} (expected 1797 rows of 64 pixels and a label)")
    X, y = a[:, :64], a[:, 64]
    if not (np.all(X == np.round(X)) and X.min() >= 0 and X.max() <= 16 and set(np.unique(y)) == set(range(10))):
        raise ValueError("load_digits: digits.csv.gz is not 8 x 8 counts 0..16 with labels 0..9")
    return X, y.astype(int)


def split_digits(y: Array, n_test_per_class: int = 36, seed: int = 0) -> tuple[Array, Array]:
    """A seeded stratified split: ``n_test_per_class`` images of each digit held out.  Returns ``(train, test)`` indices."""
    rng = np.random.default_rng(seed)
    test = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:n_test_per_class] for c in range(10)])
    return np.setdiff1d(np.arange(len(y)), test), np.sort(test)


@dataclass(frozen=True)
class GradCheck:
    """At one logged step: the largest relative difference between autodiff and the post's closed forms, per parameter."""

    step: int
    epoch: int
    loss: float
    max_rel_diff: dict[str, float]
    passed: bool


@dataclass(frozen=True)
class DigitsRun:
    """The result of :func:`train_digits`."""

    hidden: int
    epochs: int
    batch_size: int
    lr: float
    seed: int
    n_train: int
    n_test: int
    steps: int
    train_accuracy: float
    test_accuracy: float
    seconds: float
    epoch_loss: list[float] = field(default_factory=list)
    checks: list[GradCheck] = field(default_factory=list)

    @property
    def gradients_agree(self) -> bool:
        """Every logged check passed."""
        return bool(self.checks) and all(c.passed for c in self.checks)


def train_digits(hidden: int = 64, epochs: int = 20, batch_size: int = 32, lr: float = 0.01, seed: int = 0,
                 log_every: int | None = None, on_log: Callable[[GradCheck], None] | None = None) -> DigitsRun:
    """Train the post's two-layer net on the UCI digits with ``Tensor`` and check its gradients as it trains.

    The post's network and convention: ``W1`` is 64 x ``hidden``, ``W2`` is ``hidden`` x 10, a
    minibatch has samples as rows (``Z1 = X W1 + b1`` is row by row ``W1^T x + b1``),
    sigmoid hidden layer, softmax + cross-entropy output (both from elementary operations),
    J the mean over the minibatch; Adam (:class:`micrograd_ext.nets.optim.Adam`).  The
    images: 36 of each digit held out (seeded, stratified), each pixel standardised with
    the training images' mean and standard deviation.

    At step 0, every ``log_every`` steps (default: once per epoch) and at the last step,
    before the update, autodiff's gradients are compared with :func:`batch_gradients` (the
    post's per-sample results, averaged): ``max |autodiff - closed| <= 1e-10 max(1, max |closed|)``.
    """
    if hidden < 1 or epochs < 1 or batch_size < 1 or not lr > 0:
        raise ValueError(f"train_digits: hidden={hidden}, epochs={epochs}, batch_size={batch_size}, lr={lr} "
                         "(expected positive sizes and a positive learning rate)")
    t0 = time.perf_counter()
    X0, y = load_digits()
    train, test = split_digits(y, seed=seed)
    mu, sd = X0[train].mean(axis=0), X0[train].std(axis=0)
    X = (X0 - mu) / np.where(sd > 0, sd, 1.0)
    Yall = np.eye(10)[y]
    rng = np.random.default_rng(seed)
    W1 = leaf(rng.normal(0, 1 / np.sqrt(64), (64, hidden)), "W1")
    b1 = leaf(np.zeros(hidden), "b1")
    W2 = leaf(rng.normal(0, 1 / np.sqrt(hidden), (hidden, 10)), "W2")
    b2 = leaf(np.zeros(10), "b2")
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    opt = Adam(list(params.values()), lr=lr)
    per_epoch = -(-len(train) // batch_size)
    log_every = per_epoch if log_every is None else log_every
    last = epochs * per_epoch - 1
    checks: list[GradCheck] = []
    epoch_loss: list[float] = []
    step = 0
    for epoch in range(epochs):
        perm = rng.permutation(train)
        total = 0.0
        for s in range(0, len(perm), batch_size):
            idx = perm[s:s + batch_size]
            Xb, Yb = X[idx], Yall[idx]
            Z2 = t_sigmoid(Tensor(Xb) @ W1 + b1) @ W2 + b2
            J = -(t_log_softmax(Z2, axis=1) * Tensor(Yb)).sum() * (1.0 / len(idx))
            opt.zero_grad()
            J.backward()
            total += J.item() * len(idx)
            if step % log_every == 0 or step == last:
                cf = batch_gradients(Xb, Yb, W1.data, b1.data, W2.data, b2.data)
                cf = {"W1": cf["dW1"], "b1": cf["db1"], "W2": cf["dW2"], "b2": cf["db2"]}
                diffs, ok = {}, True
                for name, p in params.items():
                    _, dmax, passed = compare(p.grad, cf[name], RTOL)
                    diffs[name] = float("inf") if dmax is None else dmax / max(1.0, float(np.max(np.abs(cf[name]))))
                    ok &= passed
                check = GradCheck(step, epoch, J.item(), diffs, ok)
                checks.append(check)
                if on_log is not None:
                    on_log(check)
            opt.step()
            step += 1
        epoch_loss.append(total / len(train))

    def accuracy(ix: Array) -> float:
        Z2 = sigmoid(X[ix] @ W1.data + b1.data) @ W2.data + b2.data
        return float(np.mean(np.argmax(Z2, axis=1) == y[ix]))

    return DigitsRun(hidden, epochs, batch_size, lr, seed, len(train), len(test), step, accuracy(train), accuracy(test),
                     time.perf_counter() - t0, epoch_loss, checks)
