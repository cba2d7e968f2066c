"""Rosenberg, "Some Neural Network Derivative Calculations": closed forms, nets, verify rows, errata.

Section 1, the affine transformation, for one sample (columns) and for a minibatch
(samples as ROWS)::

    y = W x + b                    y, b: m x 1, x: d x 1, W: m x d
    Y = X W^T + 1 b^T              X: n x d, Y: n x m, 1: n x 1

and section 2, the softmax ``y = sigma(s)`` with its Jacobian and backward pass.  The
notes leave ``J = f(y)`` open ("some function f: R^m -> R"); here J is the mean squared
error of the softmax of y against a target (:func:`micrograd_ext.nets.losses.mse`,
``tensor_nn.mse_loss``), and for the minibatch the mean over the samples.  The notes
number no equations: rows are labelled by section.  The text breaks off at "Now suppose
we are using a minibatch"; the minibatch softmax row applies section 2 row by row and
says so.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from ..core.jacobian import jacobian, jacobian_values
from ..core.tensor import Tensor
from ..nets import losses, tensor_nn
from .common import (
    AUTHOR,
    CONVENTION,
    ROSENBERG,
    Array,
    Erratum,
    Row,
    Rows,
    datas,
    flat,
    grads,
    leaf,
    softmax,
    strict_add,
    t_softmax,
    v_affine,
    v_softmax,
    values,
)

DOC = ROSENBERG

MINIBATCH_SOFTMAX = "2, minibatch (beyond the text)"


# =============================================================================================
# Closed forms
# =============================================================================================


def dy_dW_one_sample(x: Array, m: int) -> Array:
    """dy_r/dW_ij = x_j delta_ir.  Rosenberg, section 1.  ``x``: d x 1; returns the m x m x d Jacobian."""
    x = np.asarray(x, dtype=float).ravel()
    J = np.zeros((m, m, x.size))
    for r in range(m):
        J[r, r, :] = x
    return J


def dy_dW_einstein_as_printed(x: Array, m: int) -> Array:
    """x_k delta_ir delta_jk read literally, k a free index: an m x m x d x d array.  Rosenberg, section 1."""
    x = np.asarray(x, dtype=float).ravel()
    d = x.size
    return np.array([[[[x[k] * (i == r) * (j == k) for k in range(d)] for j in range(d)] for i in range(m)] for r in range(m)])


def dy_dW_einstein(x: Array, m: int) -> Array:
    """x_k delta_ir delta_jk summed over the repeated index k (Einstein's convention) = x_j delta_ir.  Rosenberg, section 1."""
    return dy_dW_einstein_as_printed(x, m).sum(axis=3)


def dy_dx_one_sample(W: Array) -> Array:
    """dy_r/dx_i = W_ri (the m x d matrix W).  Rosenberg, section 1."""
    return np.array(W, dtype=float)


def dy_db_one_sample(m: int) -> Array:
    """dy_r/db_i = delta_ir (the m x m identity).  Rosenberg, section 1."""
    return np.eye(m)


def affine_one_sample(W: Array, x: Array, dJ_dy: Array) -> dict[str, Array]:
    """y = W x + b: dJ/dW = (dJ/dy) x^T, dJ/dx = W^T (dJ/dy), dJ/db = dJ/dy.  Rosenberg, section 1 (one sample).  ``dJ_dy``: m x 1."""
    return {"dW": dJ_dy @ x.T, "dx": W.T @ dJ_dy, "db": dJ_dy.copy()}


def affine_one_sample_sums(W: Array, x: Array, dJ_dy: Array) -> dict[str, Array]:
    """The element forms: dJ/dW_ij = sum_r dJ/dy_r dy_r/dW_ij, dJ/dx_i = sum_r dJ/dy_r W_ri = (dJ/dy)^T W_.i,
    dJ/db_i = sum_r dJ/dy_r delta_ir.  Rosenberg, section 1 (one sample), with explicit sums."""
    g, xx = np.ravel(dJ_dy), np.ravel(x)
    m, d = W.shape
    dW = np.array([[sum(g[r] * xx[j] * (i == r) for r in range(m)) for j in range(d)] for i in range(m)])
    dx = np.array([[sum(g[r] * W[r, i] for r in range(m))] for i in range(d)])
    dx_col = np.array([[float(np.ravel(dJ_dy) @ W[:, i])] for i in range(d)])
    db = np.array([[sum(g[r] * (i == r) for r in range(m))] for i in range(m)])
    return {"dW": dW, "dx": dx, "dx (column form)": dx_col, "db": db}


def affine_minibatch(W: Array, X: Array, dJ_dY: Array) -> dict[str, Array]:
    """Y = X W^T + 1 b^T (rows are samples): dJ/dW = (dJ/dY)^T X, dJ/db = (dJ/dY)^T 1, dJ/dX = (dJ/dY) W.  Rosenberg, section 1 (minibatch)."""
    ones = np.ones((X.shape[0], 1))
    return {"dW": dJ_dY.T @ X, "db": dJ_dY.T @ ones, "dX": dJ_dY @ W}


def affine_minibatch_sums(W: Array, X: Array, dJ_dY: Array) -> dict[str, Array]:
    """dJ/dW_ij = sum_r dJ/dY_ri X_rj = [(dJ/dY)_.i]^T X_.j, dJ/db_i = sum_r dJ/dY_ri = 1^T (dJ/dY)_.i,
    dJ/dX_ij = sum_s dJ/dY_is W_sj.  Rosenberg, section 1 (minibatch), with explicit sums."""
    n, m = dJ_dY.shape
    d = X.shape[1]
    dW = np.array([[sum(dJ_dY[r, i] * X[r, j] for r in range(n)) for j in range(d)] for i in range(m)])
    db = np.array([[sum(dJ_dY[r, i] for r in range(n))] for i in range(m)])
    dX = np.array([[sum(dJ_dY[i, s] * W[s, j] for s in range(m)) for j in range(d)] for i in range(n)])
    return {"dW": dW, "db": db, "dX": dX}


def dY_dW_minibatch(X: Array, m: int) -> Array:
    """dY_rs/dW_ij = X_rj delta_is.  Rosenberg, section 1 (minibatch).  Returns the n x m x m x d Jacobian."""
    n, d = X.shape
    J = np.zeros((n, m, m, d))
    for s in range(m):
        J[:, s, s, :] = X
    return J


def dY_db_minibatch(n: int, m: int) -> Array:
    """dY_rs/db_i = delta_is.  Rosenberg, section 1 (minibatch).  Returns the n x m x m Jacobian."""
    return np.broadcast_to(np.eye(m), (n, m, m)).copy()


def dY_dX_minibatch(W: Array, n: int) -> Array:
    """dY_rs/dX_ij = W_sj delta_ir.  Rosenberg, section 1 (minibatch).  Returns the n x m x n x d Jacobian."""
    m, d = W.shape
    J = np.zeros((n, m, n, d))
    for r in range(n):
        J[r, :, r, :] = W
    return J


def minibatch_Y_as_printed(X: Array, W: Array, b: Array) -> Array:
    """Y = X W^T + b^T as a sum of matrices: n x m plus 1 x m (raises ValueError).  Rosenberg, section 1 (minibatch)."""
    return strict_add(X @ W.T, np.asarray(b, dtype=float).reshape(1, -1))


def minibatch_Y(X: Array, W: Array, b: Array) -> Array:
    """Y = X W^T + 1 b^T with 1 the n x 1 column of ones.  Rosenberg, section 1 (minibatch)."""
    return strict_add(X @ W.T, np.ones((X.shape[0], 1)) @ np.asarray(b, dtype=float).reshape(1, -1))


def softmax_jacobian(s: Array) -> Array:
    """dy_i/ds_j = sigma(s_i) (delta_ij - sigma(s_j)).  Rosenberg, section 2.  Returns d x d."""
    p = softmax(np.asarray(s, dtype=float).ravel())
    return p[:, None] * (np.eye(p.size) - p[None, :])


def softmax_jacobian_quotient(s: Array) -> Array:
    """dy_i/ds_j = exp(s_i) delta_ij / sum_c exp(s_c) - exp(s_i) exp(s_j) / [sum_c exp(s_c)]^2.  Rosenberg, section 2 (second line)."""
    s = np.asarray(s, dtype=float).ravel()
    e = np.exp(s)
    S = e.sum()
    return np.array([[e[i] * (i == j) / S - e[i] * e[j] / S**2 for j in range(s.size)] for i in range(s.size)])


def softmax_backward(s: Array, dJ_dy: Array) -> Array:
    """dJ/ds = (dJ/dy - [(dJ/dy)^T sigma(s)] 1) * sigma(s).  Rosenberg, section 2.  ``s``, ``dJ_dy``: d x 1."""
    p = softmax(s, axis=0)
    return (dJ_dy - (dJ_dy.T @ p) * np.ones_like(p)) * p


def softmax_backward_sums(s: Array, dJ_dy: Array) -> Array:
    """dJ/ds_j = dJ/dy_j sigma(s_j) - sum_r dJ/dy_r sigma(s_r) sigma(s_j).  Rosenberg, section 2 (the element line)."""
    p, g = softmax(np.asarray(s, dtype=float).ravel()), np.ravel(dJ_dy)
    return np.array([[g[j] * p[j] - sum(g[r] * p[r] * p[j] for r in range(p.size))] for j in range(p.size)])


# =============================================================================================
# Data and the nets on both engines
# =============================================================================================


def data(seed: int = 2) -> dict[str, Array]:
    """Seeded data: W m x d = 3 x 4, b (m), one sample x (d x 1) and target t, minibatch X n x d = 5 x 4 and T n x m."""
    rng = np.random.default_rng(seed)
    return {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=3), "x": rng.normal(size=(4, 1)), "t": rng.normal(size=(3, 1)),
            "X": rng.normal(size=(5, 4)), "T": rng.normal(size=(5, 3))}


def value_net(d: dict[str, Array]) -> dict[str, Array]:
    """One sample: y = W x + b, J = mse(softmax(y), t); minibatch: Y = X W^T + 1 b^T, J = 1/n sum_r |softmax(Y_r) - T_r|^2.

    softmax from elementary nodes (:func:`~.common.v_softmax`), J by
    :func:`micrograd_ext.nets.losses.mse` with ``nary=False``.
    """
    out: dict[str, Array] = {}
    m = d["W"].shape[0]
    Wv, bv, xv = values(d["W"], "W"), values(d["b"], "b"), values(d["x"][:, 0], "x")
    y = [v_affine(row, xv, bias=bi) for row, bi in zip(Wv, bv)]
    J = losses.mse(v_softmax(y), list(d["t"][:, 0]), nary=False)
    J.backward()
    out.update({"dW": grads(Wv), "db": grads(bv)[:, None], "dx": grads(xv)[:, None], "ds": grads(y)[:, None]})
    out["dy/dW"] = jacobian_values(y, flat(Wv)).reshape(m, m, 4)
    out["dy/dx"] = jacobian_values(y, xv)
    out["dy/db"] = jacobian_values(y, bv)
    yv = values(datas(y), "s")
    out["dsigma/ds"] = jacobian_values(v_softmax(yv), yv)
    n = d["X"].shape[0]
    Wv, bv, Xv = values(d["W"], "W"), values(d["b"], "b"), values(d["X"], "X")
    Y = [[v_affine(Wv[s], Xv[r], bias=bv[s]) for s in range(m)] for r in range(n)]
    J = losses.mse([v_softmax(Y[r]) for r in range(n)], d["T"].tolist(), nary=False)
    J.backward()
    out.update({"batch dW": grads(Wv), "batch db": grads(bv)[:, None], "batch dX": grads(Xv), "batch dS": grads(Y),
                "Y": datas(Y)})
    Yf = flat(Y)
    out["dY/dW"] = jacobian_values(Yf, flat(Wv)).reshape(n, m, m, 4)
    out["dY/db"] = jacobian_values(Yf, bv).reshape(n, m, m)
    out["dY/dX"] = jacobian_values(Yf, flat(Xv)).reshape(n, m, n, 4)
    return out


def tensor_net(d: dict[str, Array]) -> dict[str, Array]:
    """The same with ``Tensor``: ``y = W @ x + b`` (columns), ``Y = X @ W.T + b`` (rows, b broadcast = 1 b^T).

    The softmax is :func:`~.common.t_softmax` (``exp``, ``sum``, ``/``), not the fused
    softmax node whose backward is section 2's formula itself; J is
    :func:`micrograd_ext.nets.tensor_nn.mse_loss` (``'mean'``, and ``'batchmean'`` for the minibatch).
    """
    out: dict[str, Array] = {}
    W, b, x = leaf(d["W"], "W"), leaf(d["b"][:, None], "b"), leaf(d["x"], "x")
    y = W @ x + b
    tensor_nn.mse_loss(t_softmax(y, axis=0), d["t"]).backward()
    out.update({"dW": W.grad.copy(), "db": b.grad.copy(), "dx": x.grad.copy(), "ds": y.grad.copy()})
    bc, Wc = Tensor(d["b"]), Tensor(d["W"])
    out["dy/dW"] = jacobian(lambda Wt: Wt @ Tensor(d["x"][:, 0]) + bc, d["W"])
    out["dy/dx"] = jacobian(lambda xt: Wc @ xt + bc, d["x"][:, 0])
    out["dy/db"] = jacobian(lambda bt: Wc @ Tensor(d["x"][:, 0]) + bt, d["b"])
    out["dsigma/ds"] = jacobian(lambda s: t_softmax(s, axis=0), y.data[:, 0])
    W, b, X = leaf(d["W"], "W"), leaf(d["b"], "b"), leaf(d["X"], "X")
    Y = X @ W.T + b
    tensor_nn.mse_loss(t_softmax(Y, axis=1), d["T"], reduction="batchmean").backward()
    out.update({"batch dW": W.grad.copy(), "batch db": b.grad[:, None].copy(), "batch dX": X.grad.copy(),
                "batch dS": Y.grad.copy(), "Y": Y.data.copy()})
    Xc = Tensor(d["X"])
    out["dY/dW"] = jacobian(lambda Wt: Xc @ Wt.T + bc, d["W"])
    out["dY/db"] = jacobian(lambda bt: Xc @ Wc.T + bt, d["b"])
    out["dY/dX"] = jacobian(lambda Xt: Xt @ Wc.T + bc, d["X"])
    return out


@lru_cache(maxsize=1)
def _builds() -> dict[str, Any]:
    d = data()
    return {"d": d, "Value": value_net(d), "Tensor": tensor_net(d)}


def _closed(d: dict[str, Array]) -> dict[str, Any]:
    """dJ/dy and dJ/dY by the closed forms: the mse derivative, then section 2's softmax backward."""
    W, b, x, t, X, T = d["W"], d["b"][:, None], d["x"], d["t"], d["X"], d["T"]
    m, n = W.shape[0], X.shape[0]
    s = W @ x + b
    dJ_dsigma = 2 * (softmax(s) - t) / m
    S = X @ W.T + d["b"]
    dS = np.vstack([softmax_backward(S[r][:, None], 2 * (softmax(S[r][:, None]) - T[r][:, None]) / n).T for r in range(n)])
    return {"s": s, "dJ/dsigma": dJ_dsigma, "ds": softmax_backward(s, dJ_dsigma), "S": S, "dS": dS}


# =============================================================================================
# verify: the rows
# =============================================================================================


def rows() -> list[Row]:
    """Section 1 (one sample and minibatch: element Jacobians, element sums, matrix forms) and section 2."""
    b = _builds()
    d = b["d"]
    W, x, X = d["W"], d["x"], d["X"]
    m, n = W.shape[0], X.shape[0]
    c = _closed(d)
    one, one_s = affine_one_sample(W, x, c["ds"]), affine_one_sample_sums(W, x, c["ds"])
    mb, mb_s = affine_minibatch(W, X, c["dS"]), affine_minibatch_sums(W, X, c["dS"])
    R = Rows(DOC)
    for eng in ("Value", "Tensor"):
        r = b[eng]
        R.add("1", "dy_r/dW_ij = x_k delta_ir delta_jk = x_j delta_ir", eng, r["dy/dW"], dy_dW_one_sample(x, m))
        R.add("1", "dJ/dW_ij = sum_r dJ/dy_r dy_r/dW_ij = dJ/dy_i x_j", eng, r["dW"], one_s["dW"])
        R.add("1", "dJ/dW = (dJ/dy) x^T", eng, r["dW"], one["dW"])
        R.add("1", "dy_r/dx_i = W_ri", eng, r["dy/dx"], dy_dx_one_sample(W))
        R.add("1", "dJ/dx_i = sum_r dJ/dy_r W_ri", eng, r["dx"], one_s["dx"])
        R.add("1", "dJ/dx_i = (dJ/dy)^T W_.i", eng, r["dx"], one_s["dx (column form)"])
        R.add("1", "dJ/dx = W^T (dJ/dy)", eng, r["dx"], one["dx"])
        R.add("1", "dy_r/db_i = delta_ir", eng, r["dy/db"], dy_db_one_sample(m))
        R.add("1", "dJ/db_i = sum_r dJ/dy_r delta_ir = dJ/dy_i", eng, r["db"], one_s["db"])
        R.add("1", "dJ/db = dJ/dy", eng, r["db"], one["db"])
        R.add("1, minibatch", "dY_rs/dW_ij = X_rk delta_is delta_jk = X_rj delta_is", eng, r["dY/dW"], dY_dW_minibatch(X, m))
        R.add("1, minibatch", "dY_rs/db_i = delta_is", eng, r["dY/db"], dY_db_minibatch(n, m))
        R.add("1, minibatch", "dY_rs/dX_ij = sum_k W_sk delta_ir delta_jk = W_sj delta_ir", eng, r["dY/dX"], dY_dX_minibatch(W, n))
        R.add("1, minibatch", "dJ/dW_ij = sum_r dJ/dY_ri X_rj = [(dJ/dY)_.i]^T X_.j", eng, r["batch dW"], mb_s["dW"])
        R.add("1, minibatch", "dJ/dW = (dJ/dY)^T X", eng, r["batch dW"], mb["dW"])
        R.add("1, minibatch", "dJ/db_i = sum_r dJ/dY_ri = 1^T (dJ/dY)_.i", eng, r["batch db"], mb_s["db"])
        R.add("1, minibatch", "dJ/db = (dJ/dY)^T 1", eng, r["batch db"], mb["db"])
        R.add("1, minibatch", "dJ/dX_ij = sum_s dJ/dY_is W_sj", eng, r["batch dX"], mb_s["dX"])
        R.add("1, minibatch", "dJ/dX = (dJ/dY) W", eng, r["batch dX"], mb["dX"])
        R.add("2", "dy_i/ds_j = exp(s_i) delta_ij/sum_c exp(s_c) - exp(s_i) exp(s_j)/[sum_c exp(s_c)]^2", eng,
              r["dsigma/ds"], softmax_jacobian_quotient(c["s"]))
        R.add("2", "dy_i/ds_j = sigma(s_i)(delta_ij - sigma(s_j))", eng, r["dsigma/ds"], softmax_jacobian(c["s"]))
        R.add("2", "dJ/ds_j = dJ/dy_j sigma(s_j) - sum_r dJ/dy_r sigma(s_r) sigma(s_j)", eng, r["ds"],
              softmax_backward_sums(c["s"], c["dJ/dsigma"]))
        R.add("2", "dJ/ds = (dJ/dy - [(dJ/dy)^T sigma(s)] 1) * sigma(s)", eng, r["ds"], c["ds"])
        R.add(MINIBATCH_SOFTMAX, "dJ/dY: section 2's dJ/ds on each row of Y (the text breaks off before its minibatch softmax)", eng, r["batch dS"], c["dS"])
    return R.rows


# =============================================================================================
# verify: the errata
# =============================================================================================


def errata() -> list[Erratum]:
    """The notes' errata, each with its passage, its category and its check against autodiff (both engines)."""
    b = _builds()
    d = b["d"]
    W, x, X = d["W"], d["x"], d["X"]
    m = W.shape[0]
    c = _closed(d)
    E = ("Value", "Tensor")
    bvec = d["b"]
    return [
        Erratum(
            DOC.name, "1, minibatch", CONVENTION,
            r"Then we have $$Y = XW^T + b^T,$$ and the rs 'th entry is given by $$Y_{rs} = X_{r\cdot} (W^T)_{\cdot s} + 1b_s^T"
            r" ... where 1 is an $n \times 1$ column vector.",
            "a sum of matrices of shapes n x m and 1 x m",
            "Y = X W^T + 1 b^T, b^T added to every row (numpy's broadcasting); the next line writes the 1",
            "Y, the minibatch affine output (forward)",
            lambda: minibatch_Y_as_printed(X, W, bvec), lambda: minibatch_Y(X, W, bvec), {e: (lambda e=e: b[e]["Y"]) for e in E},
            raises=ValueError, why="a shorthand that the entry-wise line and \"1 is an n x 1 column vector\" spell out"),
        Erratum(
            DOC.name, "1", CONVENTION,
            r"$$\frac{\partial y_r}{\partial W_{ij}} = x_k \delta_{ir} \delta_{jk} = x_j \delta_{ir},$$ (and in the minibatch "
            r"$\frac{\partial Y_{rs}}{\partial W_{ij}} = X_{rk} \delta_{is} \delta_{jk} = X_{rj} \delta_{is}$)",
            "x_k delta_ir delta_jk with k a free index (an array over r, i, j and k)",
            "summed over the repeated index k (Einstein's convention): x_j delta_ir; the dY/dX line writes the sum out",
            "dy_r/dW_ij (m x m x d)",
            lambda: dy_dW_einstein_as_printed(x, m), lambda: dy_dW_einstein(x, m), {e: (lambda e=e: b[e]["dy/dW"]) for e in E},
            why="a repeated index summed, as physicists write; with the sum the lines are right"),
        Erratum(
            DOC.name, "1, minibatch", AUTHOR,
            r"and if we let $\frac{\partial J}{\partial b}$ be the $b \times 1$ vector of derivatives "
            r"$\frac{\partial J}{\partial b_i}$, then we can write $$\frac{\partial J}{\partial b} = "
            r"\left(\frac{\partial J}{\partial Y} \right)^T 1.$$",
            "dJ/db as a b x 1 vector (b is the bias vector, not a size)", "an m x 1 vector (b has m entries)",
            "dJ/db of the minibatch",
            lambda: np.zeros((bvec, 1)), lambda: affine_minibatch(W, X, c["dS"])["db"],
            {e: (lambda e=e: b[e]["batch db"]) for e in E}, raises=TypeError,
            why="the letter of the vector written for its length"),
    ]
