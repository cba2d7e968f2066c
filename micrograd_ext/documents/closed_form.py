"""Closed-form gradients of the five derivation documents, in numpy, in each document's own notation.

Every function implements ONE equation (or theorem, or code listing) of one document
and says which in its docstring, so a reader can put the page next to the code.
The conventions are the document's, not ours: samples as rows or as columns, ``W``
or ``W^T``, the bias as weight column 0 or as a vector, mean or sum over the batch.
Nothing here calls the autodiff engine: these are the *oracles* that
:mod:`micrograd_ext.verify` compares reverse-mode autodiff against.

Documents (as in ``shared/seeds/README.md``):

* ``BONDARTSOV`` - Bondartsov, "Notes on analytic gradient derivation" (2019):
  iris net 4 -> 8 -> 3, sigmoid, bias as weight column 0, mean binary cross-entropy.
* ``CS224N`` - "Computing Neural Network Gradients" (Stanford CS224n-style notes):
  identities 2.1-2.7 and the one-hidden-layer example of section 3.
* ``ROSENBERG`` - Rosenberg, "Some Neural Network Derivative Calculations":
  affine layer (one sample and minibatch) and softmax backward.
* ``PARK`` - Park, "Gradients in a deep neural network and their Python
  implementations" (2022): samples as COLUMNS, Theorems 4.1, 5.1, 5.4, 6.1, Python Code 1-4.
* ``CS229`` - "2-Layer Neural Net Gradient Derivations for Backpropagation" (CS229
  problem set): ``z = W^T x + b``, sigmoid hidden layer, softmax + cross-entropy.

Functions whose name ends in ``_as_printed`` implement a formula exactly as the
document prints it where the print is wrong (see ``docs/errata.md``); the tests
show they disagree with autodiff while the corrected function agrees.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

import numpy as np

BONDARTSOV = 'Bondartsov, "Notes on analytic gradient derivation"'
CS224N = '"Computing Neural Network Gradients" (CS224n-style notes)'
ROSENBERG = 'Rosenberg, "Some Neural Network Derivative Calculations"'
PARK = 'Park, "Gradients in a deep neural network and their Python implementations"'
CS229 = '"2-Layer Neural Net Gradient Derivations for Backpropagation" (CS229)'

DOCUMENTS = (BONDARTSOV, CS224N, ROSENBERG, PARK, CS229)

Array = np.ndarray


def sigmoid(z: Array) -> Array:
    """1 / (1 + e^-z), elementwise (Bondartsov's a = sigma(z); Park eq. (2) for its derivative)."""
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z))))


def softmax(z: Array, axis: int = 0) -> Array:
    """exp(z_i) / sum_k exp(z_k) along ``axis`` (a column vector by default, as Park and CS224n write it)."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _bias_row(m: Array) -> Array:
    """Prepend a row of ones: ``[1; m]`` (Bondartsov's bias input, weight column 0)."""
    return np.vstack([np.ones((1, m.shape[1])), m])


# =============================================================================================
# Bondartsov, "Notes on analytic gradient derivation" (2019)
#
# Notation: w(1) is 8 x 5 and w(2) is 3 x 9, column 0 the bias (the matrices of (2)-(3)).
# In the vectorized forms (8), (14) per-sample quantities are COLUMNS: a(2) - y is 3 x |Sx|;
# x and a(1) with their bias row are 5 x |Sx| and 9 x |Sx| ("x^T includes a bias first
# column": x^T is |Sx| x 5).  X is given as |Sx| x 4 and Y as |Sx| x 3 (one row per flower).
# =============================================================================================


def bondartsov_forward(w1: Array, w2: Array, X: Array) -> dict[str, Array]:
    """The forward pass of section "Neural network": z(1) = w(1) [1; x], a(1) = sigma(z(1)), z(2) = w(2) [1; a(1)].

    Bondartsov (2019), the definitions before eq. (1).  Returns the columns-per-sample
    arrays ``x`` (5 x N, bias row first), ``z1``, ``a1`` (8 x N), ``a1b`` (9 x N, bias row),
    ``z2``, ``a2`` (3 x N).  (The document writes ``z(1) = w(1)T . x``; the displayed
    matrix is ``w(1)`` itself, see the errata.)
    """
    x = _bias_row(np.asarray(X, dtype=float).T)
    z1 = w1 @ x
    a1 = sigmoid(z1)
    a1b = _bias_row(a1)
    z2 = w2 @ a1b
    a2 = sigmoid(z2)
    return {"x": x, "z1": z1, "a1": a1, "a1b": a1b, "z2": z2, "a2": a2}


def bondartsov_cost_eq1(a2: Array, y: Array) -> float:
    """C = -1/|Sx| sum_Sx sum_j [y_j ln a_j(2) + (1 - y_j) ln(1 - a_j(2))].  Bondartsov eq. (1) (a2, y: 3 x N)."""
    N = a2.shape[1]
    return float(-np.sum(y * np.log(a2) + (1 - y) * np.log(1 - a2)) / N)


def bondartsov_dC_da2_eq5a(a2: Array, y: Array) -> Array:
    """dC/da_i(2) = 1/|Sx| (a_i(2) - y_i) / (a_i(2) (1 - a_i(2))), for EACH sample.  Bondartsov eq. (5a), last line.

    ``a2``, ``y``: 3 x N; returns 3 x N (column n is the derivative with respect to
    sample n's output).  The printed (5a) keeps the sum over Sx in front; see
    :func:`bondartsov_dC_da2_eq5a_as_printed` and the errata.
    """
    N = a2.shape[1]
    return (a2 - y) / (a2 * (1 - a2)) / N


def bondartsov_dC_da2_eq5a_middle_line(a2: Array, y: Array) -> Array:
    """-1/|Sx| [y_i 1/a_i + (1 - y_i) 1/(1 - a_i) (-1)], per sample.  Bondartsov eq. (5a), middle line.

    With the bracket around the whole summand (as eq. (1) intends), the sign is right
    and this equals the last line of (5a).  Returns 3 x N.
    """
    N = a2.shape[1]
    return -(y * (1.0 / a2) + (1 - y) * (1.0 / (1 - a2)) * (-1.0)) / N


def bondartsov_dC_da2_eq5a_as_printed(a2: Array, y: Array) -> Array:
    """(5a) exactly as printed: 1/|Sx| sum_Sx (a_i - y_i) / (a_i (1 - a_i)) - one number per output i (shape (3,)).

    Bondartsov eq. (5a).  This is the sum over samples of the per-sample derivatives
    (the derivative for a common shift of a_i in every sample), not dC/da_i of any one
    sample.  ERRATUM, see docs/errata.md.
    """
    return bondartsov_dC_da2_eq5a(a2, y).sum(axis=1)


def bondartsov_da_dz_eq5b(a: Array) -> Array:
    """da_i/dz_i = a_i (1 - a_i) (sigmoid derivative).  Bondartsov eq. (5b) (and (10c), (12b) for layer 1)."""
    return a * (1 - a)


def bondartsov_dz2_dw2_eq5c(a1: Array) -> Array:
    """dz_i(2)/dw_ij(2) = 1 if j = 0, a_j(1) if j != 0.  Bondartsov eq. (5c).

    ``a1``: 8 x N.  Returns N x 3 x 9: entry [n, i, j] for sample n (the same for each
    output i, since z_i(2) depends only on row i of w(2)).
    """
    N = a1.shape[1]
    row = _bias_row(a1).T  # N x 9: [1, a_1, ..., a_8]
    return np.broadcast_to(row[:, None, :], (N, 3, row.shape[1])).copy()


def bondartsov_grad_w2_eq6(a1: Array, a2: Array, y: Array, i: int, j: int) -> float:
    """dC/dw_ij(2) = 1/|Sx| sum_Sx (a_i(2) - y_i) if j = 0, 1/|Sx| sum_Sx (a_i(2) - y_i) a_j(1) if j != 0.

    Bondartsov eq. (6), one element (i = 1..3, j = 0..8, the document's indices).
    """
    N = a2.shape[1]
    e = a2[i - 1] - y[i - 1]
    if j == 0:
        return float(np.sum(e) / N)
    return float(np.sum(e * a1[j - 1]) / N)


def bondartsov_grad_w2_eq7(a1: Array, a2: Array, y: Array) -> Array:
    """The matrix (2) filled in with (6): row i is [sum (a_i - y_i), sum (a_i - y_i) a_1, ..., sum (a_i - y_i) a_8] / |Sx|.

    Bondartsov eq. (7), written element by element with explicit sums.  Returns 3 x 9.
    """
    N = a2.shape[1]
    out = np.empty((3, 9))
    for i in range(3):
        e = a2[i] - y[i]
        out[i, 0] = sum(e) / N
        for j in range(1, 9):
            out[i, j] = sum(e[n] * a1[j - 1, n] for n in range(N)) / N
    return out


def bondartsov_grad_w2_eq8(a1b: Array, a2: Array, y: Array) -> Array:
    """grad_w(2) C = 1/|Sx| (a(2) - y) . a(1)T, with a(1)T including a bias first column.  Bondartsov eq. (8).

    ``a1b``: 9 x N (bias row of ones first), ``a2``, ``y``: 3 x N.  Returns 3 x 9.
    """
    N = a2.shape[1]
    return (a2 - y) @ a1b.T / N


def bondartsov_dz2_da1_eq10a(w2: Array) -> Array:
    """dz_k(2)/da_i(1) = w_ki(2) (i = 1..8: the bias column 0 is not a derivative by a(1)).  Bondartsov eq. (10a).

    Returns the 3 x 8 Jacobian dz(2)/da(1).
    """
    return w2[:, 1:].copy()


def bondartsov_dz1_dw1_eq10b(X: Array) -> Array:
    """dz_i(1)/dw_ij(1) = 1 if j = 0, x_j if j != 0.  Bondartsov eq. (10b).  ``X``: N x 4; returns N x 8 x 5."""
    X = np.asarray(X, dtype=float)
    row = np.hstack([np.ones((X.shape[0], 1)), X])
    return np.broadcast_to(row[:, None, :], (X.shape[0], 8, 5)).copy()


def bondartsov_grad_w1_eq11(X: Array, a1: Array, a2: Array, y: Array, w2: Array, i: int, j: int) -> float:
    """dC/dw_ij(1) = 1/|Sx| sum_Sx (sum_k (a_k(2) - y_k) w_ki(2)) a_i(1) (1 - a_i(1)) [1 if j = 0 else x_j].

    Bondartsov eq. (11), one element (i = 1..8, j = 0..4), with explicit loops.
    """
    N = a2.shape[1]
    total = 0.0
    for n in range(N):
        s = sum((a2[k, n] - y[k, n]) * w2[k, i] for k in range(3))
        g = a1[i - 1, n] * (1 - a1[i - 1, n])
        total += s * g * (1.0 if j == 0 else X[n, j - 1])
    return total / N


def bondartsov_f2_eq12a(a2: Array, y: Array, w2: Array) -> Array:
    """f_i(2) = sum_{k=1..3} (a_k(2) - y_k) w_ki(2), i = 1..8, per sample.  Bondartsov eq. (12a).  Returns 8 x N."""
    N = a2.shape[1]
    f = np.zeros((8, N))
    for i in range(1, 9):
        for k in range(3):
            f[i - 1] += (a2[k] - y[k]) * w2[k, i]
    return f


def bondartsov_g1_eq12b(a1: Array) -> Array:
    """g_i(1) = a_i(1) (1 - a_i(1)), i = 1..8.  Bondartsov eq. (12b).  Returns 8 x N."""
    return a1 * (1 - a1)


def bondartsov_grad_w1_eq13(X: Array, a1: Array, a2: Array, y: Array, w2: Array) -> Array:
    """The matrix (3) filled in with (12a)-(12b): row i is [sum g_i f_i, sum g_i f_i x_1, ..., sum g_i f_i x_4] / |Sx|.

    Bondartsov eq. (13), element by element.  Returns 8 x 5.
    """
    N = a2.shape[1]
    f = bondartsov_f2_eq12a(a2, y, w2)
    g = bondartsov_g1_eq12b(a1)
    out = np.empty((8, 5))
    for i in range(8):
        gf = g[i] * f[i]
        out[i, 0] = sum(gf) / N
        for j in range(1, 5):
            out[i, j] = sum(gf[n] * X[n, j - 1] for n in range(N)) / N
    return out


def bondartsov_f2_eq15(a2: Array, y: Array, w2: Array) -> Array:
    """f(2) vectorized, CORRECTED: f(2) = (w(2) without its bias column)^T (a(2) - y), 8 x |Sx|.  Bondartsov eq. (15).

    The form (14) needs (8 x |Sx|, like g(1)).  The printed (15),
    ``(a(2) - y)^T . w(2)``, is |Sx| x 9 with the w(2) of (2) (bias column included), or
    |Sx| x 8 - the transpose - with the bias column dropped; see
    :func:`bondartsov_f2_eq15_as_printed` and docs/errata.md.
    """
    return w2[:, 1:].T @ (a2 - y)


def bondartsov_f2_eq15_as_printed(a2: Array, y: Array, w2: Array) -> Array:
    """(15) exactly as printed: f(2) = (a(2) - y)^T . w(2), with w(2) the 3 x 9 matrix of (2).  Bondartsov eq. (15).

    Returns |Sx| x 9: a transposed shape with an extra (bias) column.  ERRATUM.
    """
    return (a2 - y).T @ w2


def bondartsov_grad_w1_eq14(x: Array, a1: Array, f2: Array) -> Array:
    """grad_w(1) C = 1/|Sx| (g(1) o f(2)) . x^T, with x^T including a bias first column.  Bondartsov eq. (14).

    ``x``: 5 x N (bias row first), ``a1``: 8 x N, ``f2``: 8 x N (from
    :func:`bondartsov_f2_eq15`).  Returns 8 x 5.  Raises ValueError when ``f2`` is not
    8 x N (as with the printed (15)).
    """
    g = bondartsov_g1_eq12b(a1)
    if f2.shape != g.shape:
        raise ValueError(
            f"Bondartsov (14): g(1) o f(2) needs f(2) of shape {g.shape} (like g(1)), got {f2.shape}"
        )
    N = x.shape[1]
    return (g * f2) @ x.T / N


def bondartsov_grad_w2(w1: Array, w2: Array, X: Array, Y: Array) -> Array:
    """grad_w(2) C by eq. (8), from the weights and the data (X: N x 4, Y one-hot N x 3).  Bondartsov eq. (8)."""
    fw = bondartsov_forward(w1, w2, X)
    return bondartsov_grad_w2_eq8(fw["a1b"], fw["a2"], np.asarray(Y, dtype=float).T)


def bondartsov_grad_w1(w1: Array, w2: Array, X: Array, Y: Array) -> Array:
    """grad_w(1) C by eq. (14) with f(2) from eq. (15) (corrected form), from the weights and the data.  Bondartsov eqs. (14)-(15)."""
    fw = bondartsov_forward(w1, w2, X)
    y = np.asarray(Y, dtype=float).T
    return bondartsov_grad_w1_eq14(fw["x"], fw["a1"], bondartsov_f2_eq15(fw["a2"], y, w2))


# =============================================================================================
# "Computing Neural Network Gradients" (CS224n-style notes)
#
# Jacobians are (outputs x inputs); dJ/dz for a column vector z is a ROW (1 x n), e.g.
# delta_1 = (y_hat - y)^T; gradients of parameters are reshaped to the parameter's shape.
# =============================================================================================


def cs224n_dz_dx_2_1(W: Array) -> Array:
    """z = W x (x a column): dz/dx = W (n x m).  CS224n notes, identity 2.1."""
    return np.array(W, dtype=float)


def cs224n_dz_dx_2_2(W: Array) -> Array:
    """z = x W (x a row, W m x n): dz/dx = W^T (n x m).  CS224n notes, identity 2.2."""
    return np.array(W, dtype=float).T


def cs224n_dz_dx_2_3(n: int) -> Array:
    """z = x: dz/dx = I (n x n).  CS224n notes, identity 2.3."""
    return np.eye(n)


def cs224n_dz_dx_2_4(fprime: Callable[[Array], Array], x: Array) -> Array:
    """z = f(x) elementwise: dz/dx = diag(f'(x)).  CS224n notes, identity 2.4."""
    return np.diag(fprime(np.asarray(x, dtype=float)))


def cs224n_dJ_dW_2_5(delta: Array, x: Array) -> Array:
    """z = W x, dJ/dz = delta (a 1 x n row): dJ/dW = delta^T x^T (n x m, entry (i, j) = delta_i x_j).  CS224n notes, identity 2.5.

    ``delta``: 1 x n, ``x``: m x 1 (a column), as in the notes.
    """
    return delta.T @ x.T


def cs224n_dJ_dWij_2_5_sum(delta: Array, x: Array, upper: int | None = None) -> Array:
    """dJ/dW_ij = sum_k delta_k dz_k/dW_ij with dz_k/dW_ij = x_j [k = i].  CS224n notes, 2.5 (the element-wise sum).

    ``upper`` is the last k of the sum: the corrected form sums k = 1..n (the length of
    z); the notes print ``sum_{k=1}^m`` (m = length of x) - pass ``upper=m`` for the
    printed form (ERRATUM when n > m: rows i > m come out 0).  Returns n x m.
    """
    n, m = delta.shape[1], x.shape[0]
    upper = n if upper is None else upper
    out = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            out[i, j] = sum(delta[0, k] * (x[j, 0] if k == i else 0.0) for k in range(min(upper, n)))
    return out


def cs224n_dJ_dW_2_6(delta: Array, x: Array) -> Array:
    """z = x W (x a 1 x m row), dJ/dz = delta (1 x n): dJ/dW = x^T delta (m x n).  CS224n notes, identity 2.6."""
    return x.T @ delta


def cs224n_dJ_dtheta_2_7(y_hat: Array, y: Array) -> Array:
    """y_hat = softmax(theta), J = CE(y, y_hat) = -sum y_i log y_hat_i: dJ/dtheta = (y_hat - y)^T (a row).  CS224n notes, identity 2.7."""
    return (y_hat - y).T


def cs224n_softmax_jacobian_2_7(y_hat: Array) -> Array:
    """d y_hat_k / d theta_i = y_hat_k (1 - y_hat_i) if k = i, -y_hat_i y_hat_k otherwise.  CS224n notes, 2.7 (softmax derivative).

    ``y_hat``: a vector; returns the Jacobian [d y_hat_k / d theta_i] (row k, column i).
    """
    p = np.asarray(y_hat, dtype=float).ravel()
    return np.diag(p) - np.outer(p, p)


def cs224n_section3(x: Array, W: Array, b1: Array, U: Array, b2: Array, y: Array) -> dict[str, Array]:
    """The one-hidden-layer example, CS224n notes section 3: z = W x + b1, h = ReLU(z), theta = U h + b2, y_hat = softmax(theta).

    Column vectors (x: Dx x 1, b1: Dh x 1, b2, y: Nc x 1).  Returns
    ``delta1 = (y_hat - y)^T`` (1 x Nc), ``delta2 = delta1 U o sgn(h)`` (1 x Dh),
    ``dU = delta1^T h^T``, ``db2 = delta1^T``, ``dW = delta2^T x^T``,
    ``db1 = delta2^T`` (printed with the left side misnamed ``dJ/dW``, see errata),
    ``dx = (delta2 W)^T``, and the forward values.
    """
    z = W @ x + b1
    h = np.maximum(z, 0.0)
    theta = U @ h + b2
    y_hat = softmax(theta, axis=0)
    delta1 = (y_hat - y).T
    delta2 = (delta1 @ U) * np.sign(h).T
    return {
        "z": z, "h": h, "theta": theta, "y_hat": y_hat,
        "delta1": delta1, "delta2": delta2,
        "dU": delta1.T @ h.T, "db2": delta1.T, "dW": delta2.T @ x.T, "db1": delta2.T, "dx": (delta2 @ W).T,
    }


# =============================================================================================
# Rosenberg, "Some Neural Network Derivative Calculations"
# =============================================================================================


def rosenberg_affine_one_sample(W: Array, x: Array, dJ_dy: Array) -> dict[str, Array]:
    """y = W x + b (y, b: m x 1, x: d x 1, W: m x d): dJ/dW = (dJ/dy) x^T, dJ/dx = W^T (dJ/dy), dJ/db = dJ/dy.

    Rosenberg, section 1 (one sample).  ``dJ_dy``: m x 1.
    """
    return {"dW": dJ_dy @ x.T, "dx": W.T @ dJ_dy, "db": dJ_dy.copy()}


def rosenberg_affine_minibatch(W: Array, X: Array, dJ_dY: Array) -> dict[str, Array]:
    """Y = X W^T + 1 b^T (rows are samples; X: n x d, Y: n x m): dJ/dW = (dJ/dY)^T X, dJ/db = (dJ/dY)^T 1, dJ/dX = (dJ/dY) W.

    Rosenberg, section 1 (minibatch).
    """
    ones = np.ones((X.shape[0], 1))
    return {"dW": dJ_dY.T @ X, "db": dJ_dY.T @ ones, "dX": dJ_dY @ W}


def rosenberg_dY_dW_minibatch(X: Array, m: int) -> Array:
    """dY_rs/dW_ij = X_rj delta_is.  Rosenberg, section 1 (minibatch).  Returns the n x m x m x d Jacobian."""
    n, d = X.shape
    J = np.zeros((n, m, m, d))
    for s in range(m):
        J[:, s, s, :] = X
    return J


def rosenberg_dY_db_minibatch(n: int, m: int) -> Array:
    """dY_rs/db_i = delta_is.  Rosenberg, section 1 (minibatch).  Returns the n x m x m Jacobian."""
    return np.broadcast_to(np.eye(m), (n, m, m)).copy()


def rosenberg_dY_dX_minibatch(W: Array, n: int) -> Array:
    """dY_rs/dX_ij = W_sj delta_ir.  Rosenberg, section 1 (minibatch).  Returns the n x m x n x d Jacobian."""
    m, d = W.shape
    J = np.zeros((n, m, n, d))
    for r in range(n):
        J[r, :, r, :] = W
    return J


def rosenberg_softmax_jacobian(s: Array) -> Array:
    """dy_i/ds_j = sigma(s_i) (delta_ij - sigma(s_j)).  Rosenberg, section 2.  Returns d x d."""
    p = softmax(np.asarray(s, dtype=float).ravel())
    return p[:, None] * (np.eye(p.size) - p[None, :])


def rosenberg_softmax_backward(s: Array, dJ_dy: Array) -> Array:
    """dJ/ds = (dJ/dy - [(dJ/dy)^T sigma(s)] 1) * sigma(s).  Rosenberg, section 2.  ``s``, ``dJ_dy``: d x 1."""
    p = softmax(s, axis=0)
    return (dJ_dy - (dJ_dy.T @ p) * np.ones_like(p)) * p


# =============================================================================================
# Park, "Gradients in a deep neural network and their Python implementations" (2022)
#
# Samples are COLUMNS (X is n x N).  relu'(z) = 1 for z >= 0 (his eq. (1)).  dT means
# grad_T J for the cost J = 1/N sum_k L_k (Remark 5.3).
# =============================================================================================


def park_d_relu(Z: Array) -> Array:
    """relu'(z) = 1 if z >= 0, 0 if z < 0.  Park eq. (1) and Python Code 1 (``d_relu``)."""
    return (np.asarray(Z) >= 0) * 1.0


def park_d_sigmoid(Z: Array) -> Array:
    """sigma'(z) = sigma(z) (1 - sigma(z)).  Park eq. (2) and Python Code 1 (``d_sigmoid``)."""
    s = sigmoid(Z)
    return s * (1 - s)


def park_theorem_4_1(W: Array, x: Array, z: Array, grad_z_S: Array, g_prime: Callable[[Array], Array]) -> dict[str, Array]:
    """For z = W x + b, a = g(z), S = S(z): (7) dz/dx = W, (8) dz/db = I, (9) da/dz = diag(g'(z)), (10) grad_W S = (grad_z S) x^T.

    Park, Theorem 4.1.  ``x``, ``z``, ``grad_z_S``: column vectors.
    """
    return {
        "(7)": np.array(W, dtype=float),
        "(8)": np.eye(W.shape[0]),
        "(9)": np.diag(g_prime(z).ravel()),
        "(10)": grad_z_S @ x.T,
    }


def park_theorem_5_1(W: Array, delta: Array, a_prev: Array, z_prev: Array, g_prime_prev: Callable[[Array], Array]) -> dict[str, Array]:
    """One layer back, one sample: (16) grad_a[l-1] L = W^T delta, (17) delta[l-1] = g'(z[l-1]) * (W^T delta),
    (18) grad_W L = delta a[l-1]^T, (19) grad_b L = delta.

    Park, Theorem 5.1, eqs. (16)-(19).  Column vectors.
    """
    da = W.T @ delta
    return {"(16)": da, "(17)": g_prime_prev(z_prev) * da, "(18)": delta @ a_prev.T, "(19)": delta.copy()}


def park_theorem_5_4(W: Array, dZ: Array, A_prev: Array, Z_prev: Array | None, g_prime_prev: Callable[[Array], Array] | None) -> dict[str, Array]:
    """Vectorized, samples as columns: (22) dA[l-1] = W[l]^T dZ[l], (23) dZ[l-1] = g'(Z[l-1]) * dA[l-1],
    (24) dW[l] = dZ[l] A[l-1]^T, (25) db[l] = sum of the columns of dZ[l].

    Park, Theorem 5.4.  (21) dZ[L] = Delta[L] / N is :func:`park_dZ_output_eq21`.
    ``Z_prev`` may be None at the input layer (no (23)).
    """
    out = {"(22)": W.T @ dZ, "(24)": dZ @ A_prev.T, "(25)": dZ.sum(axis=1, keepdims=True)}
    if Z_prev is not None and g_prime_prev is not None:
        out["(23)"] = g_prime_prev(Z_prev) * out["(22)"]
    return out


def park_dZ_output_eq21(A_L: Array, Y: Array) -> Array:
    """dZ[L] = Delta[L] / N with Delta = O - Y (Theorem 6.1 for each column).  Park eq. (21) with (30)/(36)."""
    return (A_L - Y) / A_L.shape[1]


def park_theorem_6_1(o: Array, y: Array) -> Array:
    """delta = grad_z L = o - y at the output layer, for one sample: identity + L2, sigmoid + BCE, softmax + CE.

    Park, Theorem 6.1 (eqs. (27), (33), (40)).
    """
    return np.asarray(o, dtype=float) - np.asarray(y, dtype=float)


def park_softmax_jacobian_eq39(o: Array) -> Array:
    """do/dz = [o_i (delta_ij - o_j)].  Park eq. (39)."""
    o = np.asarray(o, dtype=float).ravel()
    return o[:, None] * (np.eye(o.size) - o[None, :])


def park_dL_dz_6_3_middle_line_as_printed(o: Array, y: Array) -> Array:
    """Park section 6.3, the second line of dL/dz_j as printed: -sum_i o_i (1/o_i) o_i (delta_ij - o_j) = -sum_i o_i (delta_ij - o_j).

    The printed line has o_i where y_i belongs; it is identically 0.  ERRATUM.
    """
    o = np.asarray(o, dtype=float).ravel()
    return np.array([-sum(o[i] * ((1.0 if i == j else 0.0) - o[j]) for i in range(o.size)) for j in range(o.size)])


def park_dL_dz_6_3_middle_line(o: Array, y: Array) -> Array:
    """Park section 6.3, corrected second line: -sum_i y_i (1/o_i) o_i (delta_ij - o_j) = -sum_i y_i (delta_ij - o_j) (= o_j - y_j)."""
    o = np.asarray(o, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    return np.array([-sum(y[i] * ((1.0 if i == j else 0.0) - o[j]) for i in range(o.size)) for j in range(o.size)])


def park_eq34_35_as_printed(Delta: Array, x: Array) -> dict[str, Array]:
    """(34) grad_W L = Delta x^T and (35) grad_b L = Delta as printed, with Delta = [delta_1 ... delta_N] (all samples).

    Park section 6.2.  For the loss of ONE sample the matrix Delta is the wrong quantity
    (it should be delta, as in (28)-(29)).  ERRATUM.
    """
    return {"(34)": Delta @ x.T if Delta.shape[1] == x.shape[1] else np.full((Delta.shape[0], x.shape[0]), np.nan),
            "(35)": Delta}


# -- Park's Python Code 1, 3 and 4, executed from the text as printed ------------------------

#: Minimal corrections to the printed Python Code 1-4 (each one is an erratum; see docs/errata.md).
PARK_CODE_FIXES: dict[str, tuple[tuple[str, str], ...]] = {
    "code1": (
        # Code 1's softmax sums over axis=1, i.e. over SAMPLES, but Park's Z[L] is m x N (samples as columns).
        ("Z_sum = np.sum(Z_exp, axis=1, keepdims=True)", "Z_sum = np.sum(Z_exp, axis=0, keepdims=True)"),
    ),
    "code3": (
        ("def back_propagation(X, y, W, b)\n", "def back_propagation(X, y, W, b):\n"),  # missing ':'
        ("dW, db = backward_propagation(X, y, W, b)", "dW, db = back_propagation(X, y, W, b)"),  # undefined name
    ),
    "code4": (
        ("def back_propagation(X, Y, W, b)\n", "def back_propagation(X, Y, W, b):\n"),  # missing ':'
        ("dA[i] = Ws[i+1].T @ dZ[i+1]", "dA[i] = W[i+1].T @ dZ[i+1]"),  # undefined name Ws
    ),
}


def park_code_text(name: str, corrected: bool | Sequence[int] = True) -> str:
    """The text of Park's Python Code ``name`` ('code1', 'code3', 'code4') as printed in the article,
    with the fixes of :data:`PARK_CODE_FIXES` applied: all of them (``corrected=True``),
    none (``False``), or those whose indices are listed (e.g. ``(0,)``).

    The printed listings are shipped as ``micrograd_ext/data/doc_park_<name>.txt``.
    """
    text = resources.files("micrograd_ext").joinpath("data", f"doc_park_{name}.txt").read_text(encoding="utf-8")
    fixes = PARK_CODE_FIXES[name]
    if corrected is True:
        chosen = list(range(len(fixes)))
    elif corrected is False:
        chosen = []
    else:
        chosen = list(corrected)
    for k in chosen:
        old, new = fixes[k]
        if old not in text:
            raise ValueError(f"park_code_text({name!r}): the printed text no longer contains {old!r}")
        text = text.replace(old, new)
    return text


def park_code1_namespace(corrected: bool | Sequence[int] = True) -> dict[str, Any]:
    """Execute Park's Python Code 1 (activation functions) and return its namespace (sigmoid, d_relu, softmax, ...)."""
    ns: dict[str, Any] = {}
    exec(compile(park_code_text("code1", corrected), "<Park, Python Code 1>", "exec"), ns)  # noqa: S102
    return ns


def park_code3(X: Array, y: Array, W: Array, b: float | Array, corrected: bool | Sequence[int] = True) -> tuple[Array, Array]:
    """Park's Python Code 3 (linear regression, samples as columns), executed as printed (with the fixes), then
    ``back_propagation(X, y, W, b)`` -> ``(dW, db)``.  Park, Python Code 3 (eqs. (30)-(32)).

    The listing's own gradient-descent loop runs too (300 steps on ``X``, ``y``, its
    printout discarded); its result is not used.  Raises SyntaxError / NameError for the
    uncorrected text.
    """
    ns: dict[str, Any] = {"np": np, "X": np.array(X, dtype=float), "y": np.array(y, dtype=float)}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(park_code_text("code3", corrected), "<Park, Python Code 3>", "exec"), ns)  # noqa: S102
    dW, db = ns["back_propagation"](np.array(X, dtype=float), np.array(y, dtype=float), np.array(W, dtype=float), b)
    return np.asarray(dW), np.asarray(db)


def park_code4(X: Array, Y: Array, W: list[Array], b: list[Array], corrected: bool | Sequence[int] = True,
               code1_corrected: bool | Sequence[int] | None = None) -> tuple[list[Array], list[Array]]:
    """Park's Python Code 4 (deep relu net, softmax output, samples as columns), executed as printed (with the
    fixes) on top of Code 1, then ``back_propagation(X, Y, W, b)`` -> ``(dW, db)``, lists indexed by layer 1..L
    (index 0 unused).  Park, Python Code 4 (Theorem 5.4 with (36)-(38)).

    ``W[l]``: n[l] x n[l-1], ``b[l]``: n[l] x 1.  The code reads module-level lists
    ``Z, A, dZ, dA, dW, db`` and ``L``; they are provided, with ``A[0] = X`` ("Set A[0] = X").
    """
    code1_corrected = corrected if code1_corrected is None else code1_corrected
    L = len(W) - 1
    ns = park_code1_namespace(code1_corrected)
    X = np.array(X, dtype=float)
    ns.update({
        "L": L, "Z": [None] * (L + 1), "A": [X] + [None] * L, "dZ": [None] * (L + 1), "dA": [None] * (L + 1),
        "dW": [None] * (L + 1), "db": [None] * (L + 1),
    })
    exec(compile(park_code_text("code4", corrected), "<Park, Python Code 4>", "exec"), ns)  # noqa: S102
    dW, db = ns["back_propagation"](X, np.array(Y, dtype=float), W, b)
    return list(dW), list(db)


# =============================================================================================
# "2-Layer Neural Net Gradient Derivations for Backpropagation" (CS229 problem set)
#
# W1: d x h, W2: h x k (transposed convention), z1 = W1^T x + b1, a1 = sigma(z1),
# z2 = W2^T a1 + b2, y_hat = softmax(z2), J = CE(y, y_hat).  Column vectors.
# =============================================================================================


def cs229_forward(x: Array, W1: Array, b1: Array, W2: Array, b2: Array) -> dict[str, Array]:
    """z1 = W1^T x + b1, a1 = sigma(z1), z2 = W2^T a1 + b2, y_hat = softmax(z2).  CS229 post, "Forward Pass"."""
    z1 = W1.T @ x + b1
    a1 = sigmoid(z1)
    z2 = W2.T @ a1 + b2
    return {"z1": z1, "a1": a1, "z2": z2, "y_hat": softmax(z2, axis=0)}


def cs229_gradients(x: Array, y: Array, W1: Array, b1: Array, W2: Array, b2: Array) -> dict[str, Array]:
    """The four gradients of the CS229 post's conclusion:
    dJ/dW2 = a1 (y_hat - y)^T (h x k), dJ/db2 = y_hat - y (k x 1),
    dJ/dW1 = x outer [(W2 (y_hat - y)) o a1 o (1 - a1)] (d x h), dJ/db1 = (W2 (y_hat - y)) o a1 o (1 - a1) (h x 1).

    CS229 post, "Conclusion".  The outer product ``x outer v^T`` is read as ``x v^T``.
    """
    f = cs229_forward(x, W1, b1, W2, b2)
    e = f["y_hat"] - y
    a1 = f["a1"]
    v = (W2 @ e) * a1 * (1 - a1)
    return {"dW2": a1 @ e.T, "db2": e, "dW1": np.outer(x, v), "db1": v, "dz2": e, **f}


def cs229_dz2_da1_as_printed(W2: Array) -> Array:
    """dz2/da1 as printed: W2, "in R^{k x h}" - but W2 is h x k.  CS229 post, section "Gradient Derivations", the terms of dJ/dW1.  ERRATUM."""
    return np.array(W2, dtype=float)


def cs229_dz2_da1(W2: Array) -> Array:
    """dz2/da1 = W2^T (k x h) for z2 = W2^T a1 + b2.  CS229 post, section "Gradient Derivations", corrected (the next line uses W2^T already)."""
    return np.array(W2, dtype=float).T
