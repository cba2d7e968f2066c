"""``micrograd-ext verify``: every gradient formula of the five documents, reproduced by autodiff.

For each document, its network is built with the engine (:mod:`micrograd_ext.docnets`,
node by node with ``Value`` and again with ``Tensor``) and run backward; each gradient
the document derives is compared with the document's own closed form
(:mod:`micrograd_ext.closed_form`), equation by equation, in the document's notation.

One row per (equation, quantity, engine).  Columns: document, equation, quantity
(the engine in brackets: ``[Value]`` or ``[Tensor]``), shape, the largest absolute
difference between autodiff and the closed form, and whether it passed.

Pass criterion (float64): the shapes are equal, every entry is finite, and
``max |autodiff - closed| <= 1e-10 * max(1, max |closed|)``.

``--json`` prints the rows as a JSON list of objects with exactly the keys
``document``, ``equation``, ``quantity``, ``shape`` (a list of ints), ``max_abs_diff``
(a float; ``null`` when the shapes differ) and ``passed``.  The exit status is 1 if
any row fails.

After the table (text mode, all documents) a short errata section re-checks the
numerically checkable errata of ``docs/errata.md`` against autodiff: each printed
form disagrees (or cannot be evaluated), each corrected form agrees.  The errata do
not count as rows and do not change the exit status (``tests/test_errata.py`` and
``tests/test_verify.py`` assert them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import closed_form as cf
from . import docnets as dn

RTOL = 1e-10
ENGINES = ("Value", "Tensor")


@dataclass(frozen=True)
class Row:
    """One comparison: autodiff against a document's closed form."""

    document: str
    equation: str
    quantity: str
    shape: tuple[int, ...]
    max_abs_diff: float | None
    passed: bool

    def as_dict(self) -> dict[str, Any]:
        return {"document": self.document, "equation": self.equation, "quantity": self.quantity,
                "shape": list(self.shape), "max_abs_diff": self.max_abs_diff, "passed": self.passed}


def compare(got: Any, want: Any, rtol: float = RTOL) -> tuple[tuple[int, ...], float | None, bool]:
    """``(shape, max_abs_diff, passed)`` for autodiff ``got`` against closed form ``want`` (the criterion above)."""
    g = np.asarray(got, dtype=float)
    w = np.asarray(want, dtype=float)
    if g.shape != w.shape:
        return g.shape, None, False
    if g.size == 0:
        return g.shape, 0.0, True
    if not (np.isfinite(g).all() and np.isfinite(w).all()):
        return g.shape, float("nan"), False
    d = float(np.max(np.abs(g - w)))
    return g.shape, d, d <= rtol * max(1.0, float(np.max(np.abs(w))))


class _Rows:
    def __init__(self, document: str) -> None:
        self.document = document
        self.rows: list[Row] = []

    def add(self, equation: str, quantity: str, engine: str, got: Any, want: Any) -> None:
        shape, d, ok = compare(got, want)
        self.rows.append(Row(self.document, equation, f"{quantity} [{engine}]", shape, d, ok))


def _both(d: Any, value_build: Any, tensor_build: Any) -> list[tuple[str, Any]]:
    return [("Value", value_build(d)), ("Tensor", tensor_build(d))]


# -- Bondartsov ----------------------------------------------------------------------------------


def bondartsov_rows(seed: int = 0) -> list[Row]:
    """Eqs. (5a)-(5c), (6)-(8), (10a)-(10c), (11)-(15) on the real iris data (150 rows), seeded weights."""
    R = _Rows(cf.BONDARTSOV)
    X, Y = dn.iris_data()
    w1, w2 = dn.bondartsov_weights(seed)
    fw = cf.bondartsov_forward(w1, w2, X)
    x, a1, a1b, a2 = fw["x"], fw["a1"], fw["a1b"], fw["a2"]
    y = Y.T
    N = X.shape[0]
    # closed forms, once
    c5a = cf.bondartsov_dC_da2_eq5a(a2, y)
    c5a_mid = cf.bondartsov_dC_da2_eq5a_middle_line(a2, y)
    c5b = np.array([np.diag(v) for v in cf.bondartsov_da_dz_eq5b(a2).T])
    c5c = np.einsum("ik,nj->nikj", np.eye(3), cf.bondartsov_dz2_dw2_eq5c(a1)[:, 0, :])
    c6 = np.array([[cf.bondartsov_grad_w2_eq6(a1, a2, y, i, j) for j in range(9)] for i in range(1, 4)])
    c7 = cf.bondartsov_grad_w2_eq7(a1, a2, y)
    c8 = cf.bondartsov_grad_w2_eq8(a1b, a2, y)
    c10a = np.broadcast_to(cf.bondartsov_dz2_da1_eq10a(w2), (N, 3, 8))
    c10b = np.einsum("ik,nj->nikj", np.eye(8), cf.bondartsov_dz1_dw1_eq10b(X)[:, 0, :])
    c10c = np.array([np.diag(v) for v in cf.bondartsov_da_dz_eq5b(a1).T])
    c11 = np.array([[cf.bondartsov_grad_w1_eq11(X, a1, a2, y, w2, i, j) for j in range(5)] for i in range(1, 9)])
    f12 = cf.bondartsov_f2_eq12a(a2, y, w2)
    g12 = cf.bondartsov_g1_eq12b(a1)
    c13 = cf.bondartsov_grad_w1_eq13(X, a1, a2, y, w2)
    f15 = cf.bondartsov_f2_eq15(a2, y, w2)
    c14 = cf.bondartsov_grad_w1_eq14(x, a1, f15)
    for eng, r in (("Value", dn.bondartsov_value(w1, w2, X, Y)), ("Tensor", dn.bondartsov_tensor(w1, w2, X, Y))):
        R.add("(5a)", "dC/da(2) per sample = (a - y)/(a(1 - a))/|Sx|", eng, r["dC/da2"], c5a)
        R.add("(5a)", "dC/da(2), middle line -[y/a + (1 - y)/(1 - a) (-1)]/|Sx|", eng, r["dC/da2"], c5a_mid)
        R.add("(5b)", "da(2)/dz(2) = diag(a(2)(1 - a(2))) per sample", eng, r["da2/dz2"], c5b)
        R.add("(5c)", "dz(2)_i/dw(2)_kj = delta_ik [1, a(1)_j] per sample", eng, r["dz2/dw2"], c5c)
        R.add("(6)", "dC/dw(2)_ij, element by element (j = 0 and j != 0)", eng, r["dC/dw2"], c6)
        R.add("(7)", "grad_w(2) C, matrix of sums", eng, r["dC/dw2"], c7)
        R.add("(8)", "grad_w(2) C = (a(2) - y) a(1)^T/|Sx|, bias column in a(1)^T", eng, r["dC/dw2"], c8)
        R.add("(10a)", "dz(2)_k/da(1)_i = w(2)_ki per sample", eng, r["dz2/da1"], c10a)
        R.add("(10b)", "dz(1)_i/dw(1)_kj = delta_ik [1, x_j] per sample", eng, r["dz1/dw1"], c10b)
        R.add("(10c)", "da(1)/dz(1) = diag(a(1)(1 - a(1))) per sample", eng, r["da1/dz1"], c10c)
        R.add("(11)", "dC/dw(1)_ij, element by element", eng, r["dC/dw1"], c11)
        R.add("(12a)", "f(2) = |Sx| dC/da(1) per sample", eng, N * r["dC/da1"], f12)
        R.add("(12a)-(12b)", "g(1) o f(2)/|Sx| = dC/dz(1) per sample", eng, r["dC/dz1"], g12 * f12 / N)
        R.add("(13)", "grad_w(1) C, matrix of sums", eng, r["dC/dw1"], c13)
        R.add("(14)", "grad_w(1) C = (g(1) o f(2)) x^T/|Sx|, bias column in x^T", eng, r["dC/dw1"], c14)
        R.add("(15)", "f(2) = w(2)[:, 1:]^T (a(2) - y) (corrected) = |Sx| dC/da(1)", eng, N * r["dC/da1"], f15)
    return R.rows


# -- CS224n-style notes ------------------------------------------------------------------------


def cs224n_rows(seed: int = 1) -> list[Row]:
    """Identities 2.1-2.7 (as full Jacobians and gradients) and section 3 (delta1, delta2, dU, db2, dW, db1, dx)."""
    R = _Rows(cf.CS224N)
    d = dn.cs224n_data(seed)
    W, x = d["W_id"], d["x_id"]
    delta5 = (W @ x - d["t_id"])[None, :]
    delta6 = d["xr_id"] @ W - d["t_row"]
    th = d["theta_id"][:, None]
    s3 = cf.cs224n_section3(d["x"], d["W"], d["b1"], d["U"], d["b2"], d["y"])
    for eng, r in _both(d, dn.cs224n_value, dn.cs224n_tensor):
        R.add("2.1", "dz/dx = W, z = W x", eng, r["2.1 dz/dx"], cf.cs224n_dz_dx_2_1(W))
        R.add("2.2", "dz/dx = W^T, z = x W", eng, r["2.2 dz/dx"], cf.cs224n_dz_dx_2_2(W))
        R.add("2.3", "dz/dx = I, z = x", eng, r["2.3 dz/dx"], cf.cs224n_dz_dx_2_3(3))
        R.add("2.4", "dz/dx = diag(f'(x)), f = sigmoid", eng, r["2.4 sigmoid"], cf.cs224n_dz_dx_2_4(lambda v: cf.sigmoid(v) * (1 - cf.sigmoid(v)), x))
        R.add("2.4", "dz/dx = diag(f'(x)), f = tanh", eng, r["2.4 tanh"], cf.cs224n_dz_dx_2_4(lambda v: 1 - np.tanh(v) ** 2, x))
        R.add("2.5", "dJ/dW = delta^T x^T, z = W x", eng, r["2.5 dJ/dW"], cf.cs224n_dJ_dW_2_5(delta5, x[:, None]))
        R.add("2.5", "dJ/dW_ij = sum_{k=1..n} delta_k dz_k/dW_ij", eng, r["2.5 dJ/dW"], cf.cs224n_dJ_dWij_2_5_sum(delta5, x[:, None]))
        R.add("2.6", "dJ/dW = x^T delta, z = x W", eng, r["2.6 dJ/dW"], cf.cs224n_dJ_dW_2_6(delta6, d["xr_id"]))
        R.add("2.7", "dJ/dtheta = (y_hat - y)^T, softmax + CE", eng, r["2.7 dJ/dtheta"],
              cf.cs224n_dJ_dtheta_2_7(cf.softmax(th), d["y_id"][:, None]))
        R.add("2.7", "dy_hat_k/dtheta_i = y_hat_k(delta_ki - y_hat_i)", eng, r["2.7 dyhat/dtheta"],
              cf.cs224n_softmax_jacobian_2_7(cf.softmax(th)))
        R.add("3", "delta1 = dJ/dtheta = (y_hat - y)^T", eng, r["delta1"], s3["delta1"])
        R.add("3", "delta2 = dJ/dz = delta1 U o sgn(h)", eng, r["delta2"], s3["delta2"])
        R.add("3", "dJ/dU = delta1^T h^T", eng, r["dU"], s3["dU"])
        R.add("3", "dJ/db2 = delta1^T", eng, r["db2"], s3["db2"])
        R.add("3", "dJ/dW = delta2^T x^T", eng, r["dW"], s3["dW"])
        R.add("3", "dJ/db1 = delta2^T (printed as 'dJ/dW')", eng, r["db1"], s3["db1"])
        R.add("3", "dJ/dx = (delta2 W)^T", eng, r["dx"], s3["dx"])
    return R.rows


# -- Rosenberg --------------------------------------------------------------------------------


def rosenberg_rows(seed: int = 2) -> list[Row]:
    """Section 1 (one sample and minibatch, with the element Jacobians) and section 2 (softmax Jacobian and backward)."""
    R = _Rows(cf.ROSENBERG)
    d = dn.rosenberg_data(seed)
    W, b, x, t = d["W"], d["b"][:, None], d["x"], d["t"]
    s = W @ x + b
    ds = cf.rosenberg_softmax_backward(s, 2 * (cf.softmax(s) - t))
    one = cf.rosenberg_affine_one_sample(W, x, ds)
    dy_dW = np.einsum("ri,j->rij", np.eye(3), x[:, 0])
    X, T = d["X"], d["T"]
    n = X.shape[0]
    S = X @ W.T + d["b"]
    dS = np.vstack([cf.rosenberg_softmax_backward(S[r][:, None], 2 * (cf.softmax(S[r][:, None]) - T[r][:, None]) / n).T for r in range(n)])
    mb = cf.rosenberg_affine_minibatch(W, X, dS)
    for eng, r in _both(d, dn.rosenberg_value, dn.rosenberg_tensor):
        R.add("2", "dy_i/ds_j = sigma(s_i)(delta_ij - sigma(s_j))", eng, r["dsigma/ds"], cf.rosenberg_softmax_jacobian(s))
        R.add("2", "dJ/ds = (dJ/dy - [(dJ/dy)^T sigma(s)] 1) * sigma(s)", eng, r["ds"], ds)
        R.add("1", "dy_r/dW_ij = x_j delta_ir", eng, r["dy/dW"], dy_dW)
        R.add("1", "dJ/dW = (dJ/dy) x^T", eng, r["dW"], one["dW"])
        R.add("1", "dJ/dx = W^T (dJ/dy)", eng, r["dx"], one["dx"])
        R.add("1", "dJ/db = dJ/dy", eng, r["db"], one["db"])
        R.add("1 (minibatch)", "dY_rs/dW_ij = X_rj delta_is", eng, r["dY/dW"], cf.rosenberg_dY_dW_minibatch(X, 3))
        R.add("1 (minibatch)", "dY_rs/db_i = delta_is", eng, r["dY/db"], cf.rosenberg_dY_db_minibatch(n, 3))
        R.add("1 (minibatch)", "dY_rs/dX_ij = W_sj delta_ir", eng, r["dY/dX"], cf.rosenberg_dY_dX_minibatch(W, n))
        R.add("2 (minibatch)", "dJ/dY, softmax backward row by row", eng, r["batch dS"], dS)
        R.add("1 (minibatch)", "dJ/dW = (dJ/dY)^T X", eng, r["batch dW"], mb["dW"])
        R.add("1 (minibatch)", "dJ/db = (dJ/dY)^T 1", eng, r["batch db"], mb["db"])
        R.add("1 (minibatch)", "dJ/dX = (dJ/dY) W", eng, r["batch dX"], mb["dX"])
    return R.rows


# -- Park -----------------------------------------------------------------------------------------


def _park_forward(d: dict[str, Any], X: np.ndarray) -> tuple[list, list]:
    L = len(d["W"]) - 1
    Z: list = [None]
    A: list = [X]
    for ell in range(1, L + 1):
        Z.append(d["W"][ell] @ A[-1] + d["b"][ell])
        A.append(np.maximum(Z[-1], 0.0) if ell < L else cf.softmax(Z[-1], axis=0))
    return Z, A


def park_rows(seed: int = 3) -> list[Row]:
    """Theorems 4.1, 5.1, 5.4, 6.1 (three cases), eq. (39) and Python Code 3 and 4, with relu'(0) = 1."""
    R = _Rows(cf.PARK)
    d = park = dn.park_data(seed)
    W, b, X, Y = d["W"], d["b"], d["X"], d["Y"]
    L = len(W) - 1
    Z, A = _park_forward(d, X)
    # Theorem 4.1 at layer 1, sample 0 (z has an exact 0: relu'(0) = 1)
    x0 = X[:, :1]
    z0 = Z[1][:, :1]
    t41 = cf.park_theorem_4_1(W[1], x0, z0, z0 + d["c"], cf.park_d_relu)
    # Theorem 5.1, sample 0: delta[L] = o - y (Theorem 6.1), then (16)-(19) layer by layer
    Z0, A0 = _park_forward(d, x0)
    delta = {L: cf.park_theorem_6_1(A0[L], Y[:, :1])}
    t51: dict[int, dict] = {}
    for ell in range(L, 0, -1):
        t51[ell] = cf.park_theorem_5_1(W[ell], delta[ell], A0[ell - 1], Z0[ell - 1] if ell > 1 else A0[0], cf.park_d_relu)
        if ell > 1:
            delta[ell - 1] = t51[ell]["(17)"]
    # Theorem 5.4, the batch: dZ[L] = Delta/N (21), then (22)-(25)
    dZ = {L: cf.park_dZ_output_eq21(A[L], Y)}
    t54: dict[int, dict] = {}
    for ell in range(L, 0, -1):
        t54[ell] = cf.park_theorem_5_4(W[ell], dZ[ell], A[ell - 1], Z[ell - 1] if ell > 1 else None, cf.park_d_relu if ell > 1 else None)
        if ell > 1:
            dZ[ell - 1] = t54[ell]["(23)"]
    # Theorem 6.1, three output layers, one sample
    o1 = d["W_l2"] @ d["x1"] + d["b_l2"]
    o2 = cf.sigmoid(d["W_bce"] @ d["x1"] + d["b_bce"])
    o3 = cf.softmax(Z[L][:, :1], axis=0)
    c61 = {"1": cf.park_theorem_6_1(o1, d["y_l2"]), "2": cf.park_theorem_6_1(o2, d["y_bce"]), "3": cf.park_theorem_6_1(o3, Y[:, :1])}
    names61 = {"1": "identity + L2", "2": "sigmoid + BCE", "3": "softmax + CE"}
    code3 = cf.park_code3(d["X3"], d["y3"], d["W3"], d["b3"])
    code4 = cf.park_code4(X, Y, W, b)
    for eng, r in _both(park, dn.park_value, dn.park_tensor):
        R.add("Thm 4.1 (7)", "dz/dx = W", eng, r["4.1 (7)"], t41["(7)"])
        R.add("Thm 4.1 (8)", "dz/db = I", eng, r["4.1 (8)"], t41["(8)"])
        R.add("Thm 4.1 (9)", "da/dz = diag(g'(z)), relu'(0) = 1", eng, r["4.1 (9)"], t41["(9)"])
        R.add("Thm 4.1 (10)", "grad_W S = (grad_z S) x^T", eng, r["4.1 (10)"], t41["(10)"])
        for ell in range(L, 0, -1):
            R.add("Thm 5.1 (16)", f"grad_a[{ell - 1}] L = W[{ell}]^T delta[{ell}]", eng, r["5.1"]["da"][ell - 1], t51[ell]["(16)"])
            if ell > 1:
                R.add("Thm 5.1 (17)", f"delta[{ell - 1}] = g'(z[{ell - 1}]) * (W[{ell}]^T delta[{ell}])", eng, r["5.1"]["delta"][ell - 1], t51[ell]["(17)"])
            R.add("Thm 5.1 (18)", f"grad_W[{ell}] L = delta[{ell}] a[{ell - 1}]^T", eng, r["5.1"]["dW"][ell], t51[ell]["(18)"])
            R.add("Thm 5.1 (19)", f"grad_b[{ell}] L = delta[{ell}]", eng, r["5.1"]["db"][ell], t51[ell]["(19)"])
        R.add("Thm 5.4 (21)", f"dZ[{L}] = Delta[{L}]/N = (A[{L}] - Y)/N", eng, r["dZ"][L], dZ[L])
        for ell in range(L, 0, -1):
            R.add("Thm 5.4 (22)", f"dA[{ell - 1}] = W[{ell}]^T dZ[{ell}]", eng, r["dA"][ell - 1], t54[ell]["(22)"])
            if ell > 1:
                R.add("Thm 5.4 (23)", f"dZ[{ell - 1}] = g'(Z[{ell - 1}]) * dA[{ell - 1}]", eng, r["dZ"][ell - 1], t54[ell]["(23)"])
            R.add("Thm 5.4 (24)", f"dW[{ell}] = dZ[{ell}] A[{ell - 1}]^T", eng, r["dW"][ell], t54[ell]["(24)"])
            R.add("Thm 5.4 (25)", f"db[{ell}] = sum of columns of dZ[{ell}]", eng, r["db"][ell], t54[ell]["(25)"])
        for case in ("1", "2", "3"):
            R.add(f"Thm 6.1 case {case}", f"delta = grad_z L = o - y, {names61[case]}", eng, r["6.1"][case][0], c61[case])
        R.add("(39)", "do/dz = [o_i(delta_ij - o_j)]", eng, r["(39)"], cf.park_softmax_jacobian_eq39(o3))
        R.add("Python Code 3", "dW (back_propagation, linear regression)", eng, r["code3"][0], code3[0])
        R.add("Python Code 3", "db (back_propagation, linear regression)", eng, r["code3"][1], code3[1])
        for ell in range(1, L + 1):
            R.add("Python Code 4", f"dW[{ell}] (back_propagation, softmax output)", eng, r["dW"][ell], code4[0][ell])
            R.add("Python Code 4", f"db[{ell}] (back_propagation, softmax output)", eng, r["db"][ell], code4[1][ell])
    return R.rows


# -- CS229 ------------------------------------------------------------------------------------------


def cs229_rows(seed: int = 4) -> list[Row]:
    """The four gradients of the conclusion, and dz2/da1 = W2^T (corrected), for z = W^T x + b."""
    R = _Rows(cf.CS229)
    d = dn.cs229_data(seed)
    c = cf.cs229_gradients(d["x"], d["y"], d["W1"], d["b1"], d["W2"], d["b2"])
    for eng, r in _both(d, dn.cs229_value, dn.cs229_tensor):
        R.add("dJ/dz2", "dJ/dz2 = y_hat - y", eng, r["dz2"], c["dz2"])
        R.add("dJ/dW2", "dJ/dW2 = a1 (y_hat - y)^T", eng, r["dW2"], c["dW2"])
        R.add("dJ/db2", "dJ/db2 = y_hat - y", eng, r["db2"], c["db2"])
        R.add("dJ/dW1", "dJ/dW1 = x outer [(W2 (y_hat - y)) o a1 o (1 - a1)]", eng, r["dW1"], c["dW1"])
        R.add("dJ/db1", "dJ/db1 = (W2 (y_hat - y)) o a1 o (1 - a1)", eng, r["db1"], c["db1"])
        R.add("dz2/da1", "dz2/da1 = W2^T (printed: W2)", eng, r["dz2/da1"], cf.cs229_dz2_da1(d["W2"]))
    return R.rows


@dataclass(frozen=True)
class Erratum:
    """A printed formula that autodiff refutes, and its correction that autodiff confirms (docs/errata.md)."""

    document: str
    equation: str
    printed: str
    corrected: str
    printed_result: str  # 'disagrees (max |diff| ...)' or the error the printed form raises
    corrected_agrees: bool


def _check_printed(fn: Any, got: Any) -> str:
    try:
        want = fn()
    except (ValueError, SyntaxError, NameError) as e:
        return f"cannot be evaluated: {type(e).__name__}"
    shape, d, ok = compare(got, want)
    if ok:
        return "AGREES (unexpected)"
    return f"disagrees (shape {np.shape(want)} vs {shape})" if d is None else f"disagrees (max |diff| {d:.2e})"


def errata() -> list[Erratum]:
    """The numerically checkable errata, each re-checked against autodiff (Tensor builds) now."""
    out: list[Erratum] = []

    def add(doc: str, eq: str, printed: str, corrected: str, got: Any, printed_fn: Any, corrected_want: Any) -> None:
        out.append(Erratum(doc, eq, printed, corrected, _check_printed(printed_fn, got), compare(got, corrected_want)[2]))

    X, Y = dn.iris_data()
    w1, w2 = dn.bondartsov_weights(0)
    fw = cf.bondartsov_forward(w1, w2, X)
    r = dn.bondartsov_tensor(w1, w2, X, Y, jacobians=False)
    a2, y = fw["a2"], Y.T
    add(cf.BONDARTSOV, "(5a)", "dC/da_i = 1/|Sx| sum_Sx (a_i - y_i)/(a_i(1 - a_i))", "per sample: (a_i - y_i)/(a_i(1 - a_i))/|Sx|, no sum",
        r["dC/da2"], lambda: np.broadcast_to(cf.bondartsov_dC_da2_eq5a_as_printed(a2, y)[:, None], a2.shape), cf.bondartsov_dC_da2_eq5a(a2, y))
    add(cf.BONDARTSOV, "(15) in (14)", "f(2) = (a(2) - y)^T w(2)", "f(2) = w(2)[:, 1:]^T (a(2) - y)", r["dC/dw1"],
        lambda: cf.bondartsov_grad_w1_eq14(fw["x"], fw["a1"], cf.bondartsov_f2_eq15_as_printed(a2, y, w2)),
        cf.bondartsov_grad_w1_eq14(fw["x"], fw["a1"], cf.bondartsov_f2_eq15(a2, y, w2)))
    d = dn.cs224n_data()
    rc = dn.cs224n_tensor(d)
    delta = (d["W_id"] @ d["x_id"] - d["t_id"])[None, :]
    xc = d["x_id"][:, None]
    add(cf.CS224N, "2.5", "dJ/dW_ij = sum_{k=1}^m delta_k dz_k/dW_ij", "sum_{k=1}^n", rc["2.5 dJ/dW"],
        lambda: cf.cs224n_dJ_dWij_2_5_sum(delta, xc, upper=xc.shape[0]), cf.cs224n_dJ_dWij_2_5_sum(delta, xc))
    s3 = cf.cs224n_section3(d["x"], d["W"], d["b1"], d["U"], d["b2"], d["y"])
    add(cf.CS224N, "3", "dJ/dW = delta2^T", "dJ/db1 = delta2^T (dJ/dW = delta2^T x^T)", rc["dW"], lambda: s3["delta2"].T, s3["dW"])
    p = dn.park_data()
    rp = dn.park_tensor(p)
    code4_printed_softmax = lambda: cf.park_code4(p["X"], p["Y"], p["W"], p["b"], corrected=True, code1_corrected=False)[0][1]
    add(cf.PARK, "Python Code 1", "softmax: np.sum(Z_exp, axis=1)", "axis=0 (samples are columns)", rp["dW"][1], code4_printed_softmax,
        cf.park_code4(p["X"], p["Y"], p["W"], p["b"])[0][1])
    add(cf.PARK, "Python Code 3", "def back_propagation(X, y, W, b) / backward_propagation(...)", "def ...: / back_propagation(...)",
        rp["code3"][0], lambda: cf.park_code3(p["X3"], p["y3"], p["W3"], p["b3"], corrected=False)[0],
        cf.park_code3(p["X3"], p["y3"], p["W3"], p["b3"])[0])
    add(cf.PARK, "Python Code 4", "def back_propagation(X, Y, W, b) / Ws[i+1]", "def ...: / W[i+1]", rp["dW"][1],
        lambda: cf.park_code4(p["X"], p["Y"], p["W"], p["b"], corrected=False)[0][1], cf.park_code4(p["X"], p["Y"], p["W"], p["b"])[0][1])
    delta3, o3 = rp["6.1"]["3"]
    add(cf.PARK, "6.3 (before (40))", "-sum_i o_i (delta_ij - o_j)", "-sum_i y_i (delta_ij - o_j)", delta3[:, 0],
        lambda: cf.park_dL_dz_6_3_middle_line_as_printed(o3, p["Y"][:, :1]), cf.park_dL_dz_6_3_middle_line(o3, p["Y"][:, :1]))
    c = dn.cs229_data()
    r9 = dn.cs229_tensor(c)
    add(cf.CS229, "dz2/da1", "W2 in R^{k x h}", "W2^T in R^{k x h}", r9["dz2/da1"], lambda: cf.cs229_dz2_da1_as_printed(c["W2"]),
        cf.cs229_dz2_da1(c["W2"]))
    return out


_SHORT = {cf.BONDARTSOV: "Bondartsov", cf.CS224N: "CS224n notes", cf.ROSENBERG: "Rosenberg", cf.PARK: "Park", cf.CS229: "CS229"}


def format_errata(items: Sequence[Erratum]) -> str:
    lines = ["Errata (docs/errata.md; re-checked against autodiff now, Tensor builds):"]
    for e in items:
        lines.append(f"  {_SHORT[e.document]} {e.equation}: printed {e.printed!r} {e.printed_result}; "
                     f"corrected {e.corrected!r} {'agrees' if e.corrected_agrees else 'DISAGREES'}")
    return "\n".join(lines)


SECTIONS = (("bondartsov", bondartsov_rows), ("cs224n", cs224n_rows), ("rosenberg", rosenberg_rows),
            ("park", park_rows), ("cs229", cs229_rows))


def all_rows() -> list[Row]:
    """Every row of every document, in the order of the seeds README."""
    rows: list[Row] = []
    for _, fn in SECTIONS:
        rows += fn()
    return rows


def format_table(rows: Sequence[Row]) -> str:
    """The rows as a plain-text table, grouped by document."""
    lines = []
    doc = None
    wq = max(len(r.quantity) for r in rows) if rows else 10
    we = max(len(r.equation) for r in rows) if rows else 8
    for r in rows:
        if r.document != doc:
            doc = r.document
            lines += ["", doc, "-" * len(doc), f"{'equation':<{we}}  {'quantity':<{wq}}  {'shape':<14}  {'max |diff|':>10}  result"]
        shape = "x".join(str(s) for s in r.shape) or "scalar"
        diff = "n/a" if r.max_abs_diff is None else f"{r.max_abs_diff:.2e}"
        lines.append(f"{r.equation:<{we}}  {r.quantity:<{wq}}  {shape:<14}  {diff:>10}  {'pass' if r.passed else 'FAIL'}")
    return "\n".join(lines).lstrip("\n")
