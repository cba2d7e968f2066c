"""Bondartsov, "Notes on analytic gradient derivation" (2019): closed forms, nets, verify rows, errata.

The network of the note (its Figure 1): the iris data, 4 inputs, 8 sigmoid hidden
neurons, 3 sigmoid outputs, the bias as weight column 0::

    z(1) = w(1) [1; x]        w(1) is 8 x 5 (row i = neuron i, column 0 = its bias)
    a(1) = sigma(z(1))
    z(2) = w(2) [1; a(1)]     w(2) is 3 x 9
    a(2) = sigma(z(2))
    C    = -1/|Sx| sum_Sx sum_j [y_j ln a_j(2) + (1 - y_j) ln(1 - a_j(2))]      eq. (1)

Notation of this module (the note's): per-sample quantities are COLUMNS (``a2``, ``y``
are 3 x N, ``a1`` 8 x N, ``x`` with its bias row 5 x N, as in (8) and (14)); the data
``X`` is N x 4 and ``Y`` one-hot N x 3 (one row per flower).  Equation numbers are the
note's.

* closed forms: numpy, one function per equation (``*_as_printed`` where the printed
  text is wrong or reads right only under a convention, see :func:`errata`);
* the net on both engines: :func:`value_net` (node by node) and :func:`tensor_net`
  (matrices), the sigmoid and the cost built from elementary operations, so that every
  derivative a row checks is derived by the chain rule;
* :func:`rows` (the ``verify`` rows) and :func:`errata`;
* :func:`iris_gradients`, the guided tour's check of (8) and (14).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..core.jacobian import jacobian, jacobian_values
from ..core.tensor import Tensor
from ..core.value import Value
from ..nets import losses
from ..nets.datasets import load_iris
from .common import (
    AUTHOR,
    BONDARTSOV,
    CONVENTION,
    FD_RTOL,
    RTOL,
    Array,
    Erratum,
    Row,
    Rows,
    central_difference,
    datas,
    flat,
    grads,
    leaf,
    sigmoid,
    t_sigmoid,
    v_affine,
    v_sigmoid,
    values,
)

DOC = BONDARTSOV


def _bias_row(m: Array) -> Array:
    """``[1; m]``: a row of ones on top (the bias input of weight column 0)."""
    return np.vstack([np.ones((1, m.shape[1])), m])


# =============================================================================================
# Closed forms
# =============================================================================================


def forward(w1: Array, w2: Array, X: Array) -> dict[str, Array]:
    """z(1) = w(1) [1; x], a(1) = sigma(z(1)), z(2) = w(2) [1; a(1)], a(2) = sigma(z(2)).  Bondartsov, "Neural network".

    Returns the columns-per-sample arrays ``x`` (5 x N, bias row first), ``z1``, ``a1``
    (8 x N), ``a1b`` (9 x N, bias row first), ``z2``, ``a2`` (3 x N).  (The note writes
    ``w(1)T . x``; the matrix it displays is ``w(1)`` itself: see the errata.)
    """
    x = _bias_row(np.asarray(X, dtype=float).T)
    z1 = w1 @ x
    a1 = sigmoid(z1)
    a1b = _bias_row(a1)
    z2 = w2 @ a1b
    return {"x": x, "z1": z1, "a1": a1, "a1b": a1b, "z2": z2, "a2": sigmoid(z2)}


def cost_eq1(a2: Array, y: Array) -> float:
    """C = -1/|Sx| sum_Sx sum_j [y_j ln a_j(2) + (1 - y_j) ln(1 - a_j(2))].  Bondartsov eq. (1) (``a2``, ``y``: 3 x N)."""
    return float(-np.sum(y * np.log(a2) + (1 - y) * np.log(1 - a2)) / a2.shape[1])


def cost(w1: Array, w2: Array, X: Array, Y: Array) -> float:
    """C of eq. (1) from the weights and the data (``X`` N x 4, ``Y`` one-hot N x 3).  Bondartsov eq. (1)."""
    return cost_eq1(forward(w1, w2, X)["a2"], np.asarray(Y, dtype=float).T)


def dC_da2_eq5a(a2: Array, y: Array) -> Array:
    """dC/da_i(2) = 1/|Sx| (a_i(2) - y_i) / (a_i(2) (1 - a_i(2))) for EACH sample.  Bondartsov eq. (5a), last line.

    Returns 3 x N: column n is the derivative by sample n's output.  The printed (5a)
    keeps a sum over Sx in front (:func:`dC_da2_eq5a_as_printed`): the sum belongs to
    the whole chain product of (4), as (6) applies it (a convention, see the errata).
    """
    return (a2 - y) / (a2 * (1 - a2)) / a2.shape[1]


def dC_da2_eq5a_as_printed(a2: Array, y: Array) -> Array:
    """(5a) read literally: 1/|Sx| sum_Sx (a_i - y_i) / (a_i (1 - a_i)), one number per output i, shape (3,).  Bondartsov eq. (5a)."""
    return dC_da2_eq5a(a2, y).sum(axis=1)


def dC_da2_eq5a_middle_line(a2: Array, y: Array) -> Array:
    """-1/|Sx| [y_i 1/a_i + (1 - y_i) 1/(1 - a_i) (-1)] per sample, the bracket around the summand.  Bondartsov eq. (5a), middle line."""
    return -(y * (1.0 / a2) + (1 - y) * (1.0 / (1 - a2)) * (-1.0)) / a2.shape[1]


def dC_da2_eq5a_middle_line_literal(a2: Array, y: Array) -> Array:
    """(5a)'s middle line read without the bracket: the minus sign and 1/|Sx| on the first term only.  Bondartsov eq. (5a)."""
    return -(1.0 / a2.shape[1]) * y * (1.0 / a2) + (1 - y) * (1.0 / (1 - a2)) * (-1.0)


def da_dz_eq5b(a: Array) -> Array:
    """da_i/dz_i = a_i (1 - a_i), the sigmoid's derivative, elementwise.  Bondartsov eq. (5b) (and (10c), (12b) for layer 1)."""
    return a * (1 - a)


def da_dz_eq5b_line4(z: Array) -> Array:
    """e^-z / (1 + e^-z)^2, the fourth line of the derivation of (5b).  Bondartsov eq. (5b)."""
    e = np.exp(-z)
    return e / (1 + e) ** 2


def da_dz_eq5b_line6(z: Array) -> Array:
    """The sixth line of (5b) as it is meant: (1 + e^-z)/(1 + e^-z)^2 - 1/(1 + e^-z)^2.  Bondartsov eq. (5b), corrected."""
    e = np.exp(-z)
    return (1 + e) / (1 + e) ** 2 - 1 / (1 + e) ** 2


def da_dz_eq5b_line6_as_printed(z: Array) -> Array:
    """The sixth line of (5b) as printed: (1 + e^-z - 1)/(1 + e^-z)^2 - 1/(1 + e^-z)^2 (the 1 subtracted twice).  Bondartsov eq. (5b)."""
    e = np.exp(-z)
    return (1 + e - 1) / (1 + e) ** 2 - 1 / (1 + e) ** 2


def dz2_dw2_eq5c(a1: Array) -> Array:
    """dz_i(2)/dw_ij(2) = 1 if j = 0, a_j(1) if j != 0.  Bondartsov eq. (5c).  ``a1``: 8 x N; returns N x 3 x 9 (the same for each i)."""
    row = _bias_row(a1).T
    return np.broadcast_to(row[:, None, :], (a1.shape[1], 3, row.shape[1])).copy()


def paths_eq4(a1: Array, a2: Array, y: Array) -> Array:
    """The product along each path of Figure 2, one path per sample: (5a) x (5b) x (5c).  Bondartsov eq. (4).

    Entry ``[n, i, j]`` is the product of the local derivatives on the path
    ``C -> a(2)_i (sample n) -> z(2)_i -> w(2)_ij``; summed over the |Sx| paths it is
    dC/dw(2)_ij, which is (6).  Returns N x 3 x 9.
    """
    c5a = dC_da2_eq5a(a2, y)
    c5b = da_dz_eq5b(a2)
    return (c5a * c5b).T[:, :, None] * dz2_dw2_eq5c(a1)


def grad_w2_eq6(a1: Array, a2: Array, y: Array, i: int, j: int) -> float:
    """dC/dw_ij(2) = 1/|Sx| sum_Sx (a_i(2) - y_i) if j = 0, 1/|Sx| sum_Sx (a_i(2) - y_i) a_j(1) if j != 0.

    Bondartsov eq. (6), one element (i = 1..3, j = 0..8, the note's indices).
    """
    e = a2[i - 1] - y[i - 1]
    return float(np.sum(e if j == 0 else e * a1[j - 1]) / a2.shape[1])


def grad_w2_eq7(a1: Array, a2: Array, y: Array) -> Array:
    """The matrix (2) filled in with (6), element by element with explicit sums.  Bondartsov eq. (7).  Returns 3 x 9."""
    N = a2.shape[1]
    out = np.empty((3, 9))
    for i in range(3):
        e = a2[i] - y[i]
        out[i, 0] = sum(e) / N
        for j in range(1, 9):
            out[i, j] = sum(e[n] * a1[j - 1, n] for n in range(N)) / N
    return out


def grad_w2_eq8(a1b: Array, a2: Array, y: Array) -> Array:
    """grad_w(2) C = 1/|Sx| (a(2) - y) . a(1)T, a(1)T with its bias first column.  Bondartsov eq. (8).  ``a1b``: 9 x N; returns 3 x 9."""
    return (a2 - y) @ a1b.T / a2.shape[1]


def dz2_da1_eq10a(w2: Array) -> Array:
    """dz_k(2)/da_i(1) = w_ki(2), i = 1..8 (column 0 of w(2) is the bias).  Bondartsov eq. (10a).  Returns 3 x 8."""
    return w2[:, 1:].copy()


def dz1_dw1_eq10b(X: Array) -> Array:
    """dz_i(1)/dw_ij(1) = 1 if j = 0, x_j if j != 0.  Bondartsov eq. (10b).  ``X``: N x 4; returns N x 8 x 5."""
    X = np.asarray(X, dtype=float)
    row = np.hstack([np.ones((X.shape[0], 1)), X])
    return np.broadcast_to(row[:, None, :], (X.shape[0], 8, 5)).copy()


def paths_eq9(X: Array, a1: Array, a2: Array, y: Array, w2: Array) -> Array:
    """The product along each path of Figure 3: (5a) (5b) (10a) (10c) (10b), three paths (k = 1..3) per sample.  Bondartsov eq. (9).

    Entry ``[n, k, i, j]`` is the product on the path
    ``C -> a(2)_k (sample n) -> z(2)_k -> a(1)_i -> z(1)_i -> w(1)_ij``; summed over the
    3 |Sx| paths it is dC/dw(1)_ij, which is (11).  Returns N x 3 x 8 x 5.
    """
    c5 = (dC_da2_eq5a(a2, y) * da_dz_eq5b(a2)).T  # N x 3
    c10a = dz2_da1_eq10a(w2)  # 3 x 8
    c10c = da_dz_eq5b(a1).T  # N x 8
    c10b = dz1_dw1_eq10b(X)  # N x 8 x 5
    return c5[:, :, None, None] * c10a[None, :, :, None] * c10c[:, None, :, None] * c10b[:, None, :, :]


def grad_w1_eq11(X: Array, a1: Array, a2: Array, y: Array, w2: Array, i: int, j: int) -> float:
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


def f2_eq12a(a2: Array, y: Array, w2: Array) -> Array:
    """f_i(2) = sum_{k=1..3} (a_k(2) - y_k) w_ki(2), i = 1..8, per sample.  Bondartsov eq. (12a).  Returns 8 x N."""
    f = np.zeros((8, a2.shape[1]))
    for i in range(1, 9):
        for k in range(3):
            f[i - 1] += (a2[k] - y[k]) * w2[k, i]
    return f


def g1_eq12b(a1: Array) -> Array:
    """g_i(1) = a_i(1) (1 - a_i(1)), i = 1..8, per sample.  Bondartsov eq. (12b).  Returns 8 x N."""
    return a1 * (1 - a1)


def grad_w1_eq13(X: Array, a1: Array, a2: Array, y: Array, w2: Array) -> Array:
    """The matrix (3) filled in with (12a)-(12b), element by element: row i is [sum g_i f_i, sum g_i f_i x_1, ...] / |Sx|.

    Bondartsov eq. (13).  Returns 8 x 5.
    """
    N = a2.shape[1]
    gf = g1_eq12b(a1) * f2_eq12a(a2, y, w2)
    out = np.empty((8, 5))
    for i in range(8):
        out[i, 0] = sum(gf[i]) / N
        for j in range(1, 5):
            out[i, j] = sum(gf[i, n] * X[n, j - 1] for n in range(N)) / N
    return out


def f2_eq15(a2: Array, y: Array, w2: Array) -> Array:
    """f(2) vectorised, CORRECTED: the transpose of the printed product, w(2)[:, 1:]^T (a(2) - y), 8 x |Sx|.  Bondartsov eq. (15).

    The printed ``(a(2) - y)^T . w(2)`` (the block displayed there holds columns 1..8
    of w(2)) is |Sx| x 8: samples as rows, while (14) multiplies f(2) elementwise with
    g(1), 8 x |Sx| (:func:`f2_eq15_as_printed`, see the errata).
    """
    return w2[:, 1:].T @ (a2 - y)


def f2_eq15_as_printed(a2: Array, y: Array, w2: Array) -> Array:
    """(15) as printed: (a(2) - y)^T . [w_{k,1..8}(2)], the displayed |Sx| x 3 and 3 x 8 blocks: |Sx| x 8.  Bondartsov eq. (15)."""
    return (a2 - y).T @ w2[:, 1:]


def grad_w1_eq14(x: Array, a1: Array, f2: Array) -> Array:
    """grad_w(1) C = 1/|Sx| (g(1) o f(2)) . x^T, x^T with its bias first column.  Bondartsov eq. (14).

    ``x``: 5 x N (bias row first), ``a1``: 8 x N, ``f2``: 8 x N.  Returns 8 x 5.
    Raises ValueError when ``f2`` does not have g(1)'s shape (as with the printed (15)).
    """
    g = g1_eq12b(a1)
    if f2.shape != g.shape:
        raise ValueError(f"Bondartsov (14): g(1) o f(2) needs f(2) of shape {g.shape} (like g(1)), got {f2.shape}")
    return (g * f2) @ x.T / x.shape[1]


def grad_w2(w1: Array, w2: Array, X: Array, Y: Array) -> Array:
    """grad_w(2) C by eq. (8), from the weights and the data (``X``: N x 4, ``Y`` one-hot N x 3).  Bondartsov eq. (8)."""
    fw = forward(w1, w2, X)
    return grad_w2_eq8(fw["a1b"], fw["a2"], np.asarray(Y, dtype=float).T)


def grad_w1(w1: Array, w2: Array, X: Array, Y: Array) -> Array:
    """grad_w(1) C by eq. (14) with f(2) from eq. (15) (corrected), from the weights and the data.  Bondartsov eqs. (14)-(15)."""
    fw = forward(w1, w2, X)
    return grad_w1_eq14(fw["x"], fw["a1"], f2_eq15(fw["a2"], np.asarray(Y, dtype=float).T, w2))


# =============================================================================================
# The net on both engines
# =============================================================================================


def iris_data() -> tuple[Array, Array]:
    """The iris data shipped in the package: ``X`` (150 x 4) and one-hot ``Y`` (150 x 3)."""
    X, y = load_iris()[:2]
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=int)
    if X.shape != (150, 4):
        raise ValueError(f"iris_data: expected 150 x 4 features, got {X.shape}")
    return X, np.eye(3)[y]


def weights(seed: int = 0) -> tuple[Array, Array]:
    """Seeded weights ``w(1)`` (8 x 5) and ``w(2)`` (3 x 9), column 0 the bias, ~ U(-1, 1)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (8, 5)), rng.uniform(-1, 1, (3, 9))


def _value_forward(W1: Any, W2: Any, X: Array, elementary: bool = True) -> dict[str, list]:
    """Per sample: z_i(1) = w_i0 + sum_j w_ij x_j, a(1) = sigma(z(1)), z(2), a(2) likewise; ``elementary``: from
    ``*``, ``sum``, ``exp``, ``+``, ``/`` nodes (the verify nets), else the tour's picture (one weighted-sum node
    and one sigmoid node per neuron, Figure 1)."""
    sig = v_sigmoid if elementary else (lambda z: z.sigmoid())
    lin = v_affine if elementary else Value.weighted_sum
    out: dict[str, list] = {"z1": [], "a1": [], "z2": [], "a2": []}
    for n, x in enumerate(X):
        xs = [float(v) for v in x]
        z1 = [lin(row[1:], xs, bias=row[0]) for row in W1]
        a1 = [sig(z) for z in z1]
        z2 = [lin(row[1:], a1, bias=row[0]) for row in W2]
        a2 = [sig(z) for z in z2]
        for lay, zs, as_ in ((1, z1, a1), (2, z2, a2)):
            for i, (p, q) in enumerate(zip(zs, as_)):
                p.label, q.label = f"z({lay})[{i + 1}]#{n + 1}", f"a({lay})[{i + 1}]#{n + 1}"
        for k, v in (("z1", z1), ("a1", a1), ("z2", z2), ("a2", a2)):
            out[k].append(v)
    return out


def value_net(w1: Array, w2: Array, X: Array, Y: Array, jacobians: bool = True) -> dict[str, Array]:
    """The iris net node by node with ``Value`` (Figure 1), the cost (1) as :func:`micrograd_ext.nets.losses.bce`
    from elementary nodes (``nary=False``), sigma from ``exp``, ``+``, ``/``; one backward.

    Returns, in the note's orientation (per-sample quantities as columns): ``C``,
    ``dC/dw1`` 8 x 5, ``dC/dw2`` 3 x 9, ``z1``, ``a1``, ``z2``, ``a2`` and ``dC/dz1`` ...
    ``dC/da2``; with ``jacobians`` the per-sample Jacobians (one backward per output
    node): ``da2/dz2`` N x 3 x 3, ``da1/dz1`` N x 8 x 8, ``dz2/dw2`` N x 3 x 3 x 9,
    ``dz2/da1`` N x 3 x 8, ``dz1/dw1`` N x 8 x 8 x 5.
    """
    W1, W2 = values(w1, "w(1)"), values(w2, "w(2)")
    fw = _value_forward(W1, W2, X)
    C = losses.bce(fw["a2"], np.asarray(Y, dtype=float).tolist(), nary=False)
    C.backward()
    out = {"C": np.array(C.data), "dC/dw1": grads(W1), "dC/dw2": grads(W2)}
    for k in ("z1", "a1", "z2", "a2"):
        out[k] = datas(fw[k]).T
        out[f"dC/d{k}"] = grads(fw[k]).T
    if jacobians:
        w1f, w2f = flat(W1), flat(W2)
        out["da2/dz2"] = np.array([jacobian_values(a, z) for a, z in zip(fw["a2"], fw["z2"])])
        out["da1/dz1"] = np.array([jacobian_values(a, z) for a, z in zip(fw["a1"], fw["z1"])])
        out["dz2/dw2"] = np.array([jacobian_values(z, w2f).reshape(3, 3, 9) for z in fw["z2"]])
        out["dz2/da1"] = np.array([jacobian_values(z, a) for z, a in zip(fw["z2"], fw["a1"])])
        out["dz1/dw1"] = np.array([jacobian_values(z, w1f).reshape(8, 8, 5) for z in fw["z1"]])
    return out


_EMBED = np.vstack([np.zeros((1, 8)), np.eye(8)])  # [1; a(1)] = E a(1) + e0: a(1) with its bias row
_E0 = np.eye(9)[:, :1]


def tensor_cost(A2: Tensor, Yt: Array) -> Tensor:
    """Eq. (1) on the columns-per-sample 3 x N output, from ``log``, ``*``, ``+``, ``sum``.  Bondartsov eq. (1).

    (``micrograd_ext.nets.tensor_nn.bce_loss`` is one fused node whose local derivative
    is (5a) itself, and averages over rows; the note's samples are columns.)
    """
    N = A2.shape[1]
    return -(A2.log() * Tensor(Yt) + (1 - A2).log() * Tensor(1 - Yt)).sum() * (1.0 / N)


def tensor_net(w1: Array, w2: Array, X: Array, Y: Array, jacobians: bool = True) -> dict[str, Array]:
    """The iris net with ``Tensor`` in the note's matrix form, ``z(1) = w(1) [1; x]``, ``z(2) = w(2) [1; a(1)]``.

    Per-sample quantities are columns; the bias row of a(1) is a constant embedding
    ``[1; a(1)] = E a(1) + e0``; sigma from ``exp``, ``+``, ``/``.  Same keys as
    :func:`value_net`; the Jacobians come from :func:`micrograd_ext.core.jacobian.jacobian`.
    """
    N = X.shape[0]
    xb = _bias_row(np.asarray(X, dtype=float).T)
    Yt = np.asarray(Y, dtype=float).T
    W1, W2 = leaf(w1, "w(1)"), leaf(w2, "w(2)")
    Z1 = W1 @ Tensor(xb)
    A1 = t_sigmoid(Z1)
    A1b = Tensor(_EMBED) @ A1 + Tensor(_E0)
    Z2 = W2 @ A1b
    A2 = t_sigmoid(Z2)
    C = tensor_cost(A2, Yt)
    C.backward()
    out = {"C": C.data.copy(), "dC/dw1": W1.grad.copy(), "dC/dw2": W2.grad.copy()}
    for k, t in (("z1", Z1), ("a1", A1), ("z2", Z2), ("a2", A2)):
        out[k] = t.data.copy()
        out[f"dC/d{k}"] = t.grad.copy()
    if jacobians:
        z1, z2, a1b, a1 = Z1.data, Z2.data, A1b.data, A1.data
        out["da2/dz2"] = np.array([jacobian(t_sigmoid, z2[:, n]) for n in range(N)])
        out["da1/dz1"] = np.array([jacobian(t_sigmoid, z1[:, n]) for n in range(N)])
        out["dz2/dw2"] = np.array([jacobian(lambda W, v=a1b[:, n]: W @ Tensor(v), w2) for n in range(N)])
        W2c, E, e0 = Tensor(w2), Tensor(_EMBED), Tensor(_E0[:, 0])
        out["dz2/da1"] = np.array([jacobian(lambda a: W2c @ (E @ a + e0), a1[:, n]) for n in range(N)])
        out["dz1/dw1"] = np.array([jacobian(lambda W, v=xb[:, n]: W @ Tensor(v), w1) for n in range(N)])
    return out


def grad_w1_transposed_layout(w1: Array, w2: Array, X: Array, Y: Array, engine: str) -> Array:
    """The net with its first layer read as ``z(1) = w(1)^T [1; x]``, w(1) the 5 x 8 matrix whose transpose is
    the displayed one; returns autodiff's gradient in the shape of that parameter (5 x 8).  For the errata of
    the note's matrix forms (its "w(1)T . x" with (3))."""
    Wt = np.asarray(w1, dtype=float).T  # 5 x 8: Wt[j, i] = w_{i,j}
    if engine == "Tensor":
        W = leaf(Wt, "w(1)")
        xb = Tensor(_bias_row(np.asarray(X, dtype=float).T))
        A1 = t_sigmoid(W.T @ xb)
        A2 = t_sigmoid(Tensor(w2) @ (Tensor(_EMBED) @ A1 + Tensor(_E0)))
        tensor_cost(A2, np.asarray(Y, dtype=float).T).backward()
        return W.grad.copy()
    W = values(Wt, "w(1)")
    W1 = [[W[j][i] for j in range(5)] for i in range(8)]  # row i of the displayed matrix: column i of w(1)
    W2 = values(w2, "w(2)")
    C = losses.bce(_value_forward(W1, W2, X)["a2"], np.asarray(Y, dtype=float).tolist(), nary=False)
    C.backward()
    return grads(W)


@lru_cache(maxsize=1)
def _builds() -> dict[str, Any]:
    """The nets on the real iris data (150 rows) with seeded weights, once per process (read only)."""
    X, Y = iris_data()
    w1, w2 = weights(0)
    return {"X": X, "Y": Y, "w1": w1, "w2": w2, "fw": forward(w1, w2, X),
            "Value": value_net(w1, w2, X, Y), "Tensor": tensor_net(w1, w2, X, Y)}


# =============================================================================================
# verify: the rows
# =============================================================================================


def rows() -> list[Row]:
    """Every derivative of the note, on the real iris data (150 rows), seeded weights, both engines.

    (2), (3) against central differences of (1) (the definition of the matrices of
    partials); (4) and (9) path by path, then summed over all paths of the full batch;
    (5a)-(15) against the note's closed forms.
    """
    b = _builds()
    X, Y, w1, w2, fw = b["X"], b["Y"], b["w1"], b["w2"], b["fw"]
    x, a1, a1b, a2, z2 = fw["x"], fw["a1"], fw["a1b"], fw["a2"], fw["z2"]
    y = Y.T
    N = X.shape[0]
    R = Rows(DOC)
    fd2 = central_difference(lambda w: cost(w1, w, X, Y), w2)
    fd3 = central_difference(lambda w: cost(w, w2, X, Y), w1)
    p4, p9 = paths_eq4(a1, a2, y), paths_eq9(X, a1, a2, y, w2)
    c5a = dC_da2_eq5a(a2, y)
    c5b = np.array([np.diag(v) for v in da_dz_eq5b(a2).T])
    c6 = np.array([[grad_w2_eq6(a1, a2, y, i, j) for j in range(9)] for i in range(1, 4)])
    c7, c8 = grad_w2_eq7(a1, a2, y), grad_w2_eq8(a1b, a2, y)
    c10a = np.broadcast_to(dz2_da1_eq10a(w2), (N, 3, 8))
    c10b = np.einsum("ik,nj->nikj", np.eye(8), dz1_dw1_eq10b(X)[:, 0, :])
    c10c = np.array([np.diag(v) for v in da_dz_eq5b(a1).T])
    c11 = np.array([[grad_w1_eq11(X, a1, a2, y, w2, i, j) for j in range(5)] for i in range(1, 9)])
    f12, g12 = f2_eq12a(a2, y, w2), g1_eq12b(a1)
    c13, f15 = grad_w1_eq13(X, a1, a2, y, w2), f2_eq15(a2, y, w2)
    c14 = grad_w1_eq14(x, a1, f15)
    for eng in ("Value", "Tensor"):
        r = b[eng]
        diag2 = np.array([np.diag(J) for J in r["da2/dz2"]]).T  # 3 x N
        diag1 = np.array([np.diag(J) for J in r["da1/dz1"]]).T  # 8 x N
        # the product along each path, every factor from autodiff: dC/da at the node, then the local Jacobians
        a4 = (r["dC/da2"] * diag2).T[:, :, None] * np.einsum("niij->nij", r["dz2/dw2"])
        a9 = ((r["dC/da2"] * diag2).T[:, :, None, None] * r["dz2/da1"][:, :, :, None] * diag1.T[:, None, :, None]
              * np.einsum("niij->nij", r["dz1/dw1"])[:, None, :, :])
        R.add("(2)", "grad_w(2) C = [dC/dw(2)_ij], 3 x 9 (central differences of (1))", eng, r["dC/dw2"], fd2, FD_RTOL)
        R.add("(3)", "grad_w(1) C = [dC/dw(1)_ij], 8 x 5 (central differences of (1))", eng, r["dC/dw1"], fd3, FD_RTOL)
        R.add("(4)", "each of the |Sx| paths C -> a(2)_i -> z(2)_i -> w(2)_ij: (5a)(5b)(5c)", eng, a4, p4)
        R.add("(4)", "dC/dw(2)_ij = sum over the |Sx| paths of (5a)(5b)(5c)", eng, r["dC/dw2"], p4.sum(axis=0))
        R.add("(5a)", "dC/da(2) per sample = (a - y)/(a(1 - a))/|Sx|", eng, r["dC/da2"], c5a)
        R.add("(5a)", "dC/da(2), middle line -[y/a + (1 - y)/(1 - a) (-1)]/|Sx|", eng, r["dC/da2"], dC_da2_eq5a_middle_line(a2, y))
        R.add("(5b)", "da(2)/dz(2) = diag(a(2)(1 - a(2))) per sample", eng, r["da2/dz2"], c5b)
        R.add("(5b)", "da(2)_i/dz(2)_i = e^-z/(1 + e^-z)^2, line 4", eng, diag2, da_dz_eq5b_line4(z2))
        R.add("(5c)", "dz(2)_i/dw(2)_kj = delta_ik [1, a(1)_j] per sample", eng, r["dz2/dw2"],
              np.einsum("ik,nj->nikj", np.eye(3), dz2_dw2_eq5c(a1)[:, 0, :]))
        R.add("(6)", "dC/dw(2)_ij, element by element (j = 0 and j != 0)", eng, r["dC/dw2"], c6)
        R.add("(7)", "grad_w(2) C, matrix of sums", eng, r["dC/dw2"], c7)
        R.add("(8)", "grad_w(2) C = (a(2) - y) a(1)^T/|Sx|, bias column in a(1)^T", eng, r["dC/dw2"], c8)
        R.add("(9)", "each of the 3|Sx| paths C -> a(2)_k -> z(2)_k -> a(1)_i -> z(1)_i -> w(1)_ij", eng, a9, p9)
        R.add("(9)", "dC/dw(1)_ij = sum over the 3|Sx| paths (k = 1..3, every sample)", eng, r["dC/dw1"], p9.sum(axis=(0, 1)))
        R.add("(10a)", "dz(2)_k/da(1)_i = w(2)_ki per sample", eng, r["dz2/da1"], c10a)
        R.add("(10b)", "dz(1)_i/dw(1)_kj = delta_ik [1, x_j] per sample", eng, r["dz1/dw1"], c10b)
        R.add("(10c)", "da(1)/dz(1) = diag(a(1)(1 - a(1))) per sample", eng, r["da1/dz1"], c10c)
        R.add("(11)", "dC/dw(1)_ij, element by element", eng, r["dC/dw1"], c11)
        R.add("(12a)", "f(2) = |Sx| dC/da(1) per sample", eng, N * r["dC/da1"], f12)
        R.add("(12b)", "g(1) = a(1)(1 - a(1)) = the diagonal of da(1)/dz(1) per sample", eng, diag1, g12)
        R.add("(12a)-(12b)", "g(1) o f(2)/|Sx| = dC/dz(1) per sample", eng, r["dC/dz1"], g12 * f12 / N)
        R.add("(13)", "grad_w(1) C, matrix of sums", eng, r["dC/dw1"], c13)
        R.add("(14)", "grad_w(1) C = (g(1) o f(2)) x^T/|Sx|, bias column in x^T", eng, r["dC/dw1"], c14)
        R.add("(15)", "f(2) = w(2)[:, 1:]^T (a(2) - y) (transposed) = |Sx| dC/da(1)", eng, N * r["dC/da1"], f15)
    return R.rows


# =============================================================================================
# verify: the errata
# =============================================================================================


def errata() -> list[Erratum]:
    """The note's errata, each with its passage, its category and its check against autodiff (both engines)."""
    b = _builds()
    X, Y, w1, w2, fw = b["X"], b["Y"], b["w1"], b["w2"], b["fw"]
    a2, y = fw["a2"], Y.T
    eng = {e: (lambda e=e: b[e]) for e in ("Value", "Tensor")}
    N = X.shape[0]

    def diag2(e: str) -> Array:
        return np.array([np.diag(J) for J in b[e]["da2/dz2"]]).T

    def f2_printed_in_14() -> Array:
        return grad_w1_eq14(fw["x"], fw["a1"], f2_eq15_as_printed(a2, y, w2))

    return [
        Erratum(
            DOC.name, "(1), (5a)", CONVENTION,
            r"C = -\frac{1}{|Sx|} \sum_{Sx} \sum_{j=1}^3 y_j \ln a_j^{(2)} + (1 - y_j) \ln(1 - a_j^{(2)}). (1)"
            r" ... = -\frac{1}{|Sx|} \sum_{Sx} y_i \frac{1}{a_i^{(2)}} + (1 - y_i) \frac{1}{1 - a_i^{(2)}} (-1) (5a)",
            "no bracket around the summand: the minus sign and 1/|Sx| apply to the first term only",
            "the summand in brackets, -1/|Sx| sum [y ln a + (1 - y) ln(1 - a)]; then (5a)'s middle line and its sign are right",
            "dC/da(2) per sample",
            lambda: dC_da2_eq5a_middle_line_literal(a2, y), lambda: dC_da2_eq5a_middle_line(a2, y),
            {e: (lambda e=e: b[e]["dC/da2"]) for e in eng},
            why="loose notation, read as intended by every later line; with the bracket the note is consistent"),
        Erratum(
            DOC.name, "(5a)", CONVENTION,
            r"\frac{\partial C}{\partial a_i^{(2)}} = ... = \frac{1}{|Sx|} \sum_{Sx} "
            r"\frac{a_i^{(2)} - y_i}{a_i^{(2)}(1 - a_i^{(2)})}. (5a)",
            "the sum over Sx inside dC/da_i: one number per output, summed over the samples",
            "per sample, (a_i - y_i)/(a_i(1 - a_i))/|Sx|; the sum over Sx belongs to the whole chain product of (4), "
            "which is how (6) applies it",
            "dC/da(2) per sample (3 x |Sx|)",
            lambda: np.broadcast_to(dC_da2_eq5a_as_printed(a2, y)[:, None], a2.shape), lambda: dC_da2_eq5a(a2, y),
            {e: (lambda e=e: b[e]["dC/da2"]) for e in eng},
            why="a shorthand for the sum of per-sample chain products; (6), (7), (8), (11), (13), (14) apply it correctly"),
        Erratum(
            DOC.name, "(5b)", AUTHOR,
            r"&= \frac{1 + e^{-z_i^{(2)}} - 1}{(1 + e^{-z_i^{(2)}})^2} \\ &= \frac{\cancel{1 + e^{-z_i^{(2)}}} - 1}"
            r"{(1 + e^{-z_i^{(2)}})^2} - \frac{1}{(1 + e^{-z_i^{(2)}})^2} \\ &= \frac{1}{1 + e^{-z_i^{(2)}}} - ...",
            "(1 + e^-z - 1)/(1 + e^-z)^2 - 1/(1 + e^-z)^2: the 1 of the line above is subtracted again",
            "(1 + e^-z)/(1 + e^-z)^2 - 1/(1 + e^-z)^2 (the -1 moved out of the numerator); the next line and (5b) are right",
            "da(2)_i/dz(2)_i per sample (the diagonal of the Jacobian)",
            lambda: da_dz_eq5b_line6_as_printed(fw["z2"]), lambda: da_dz_eq5b_line6(fw["z2"]),
            {e: (lambda e=e: diag2(e)) for e in eng},
            why="the split of the numerator keeps the -1 it splits off"),
        Erratum(
            DOC.name, "z(1) = w(1)T . x, (3)", CONVENTION,
            r"\mathbf{z}^{(1)} = \begin{bmatrix} w_{1,0}^{(1)} & \dots & w_{1,4}^{(1)} \\ ... \\ w_{8,0}^{(1)} & \dots & "
            r"w_{8,4}^{(1)} \end{bmatrix} \begin{bmatrix} 1 \\ x_1 \\ \vdots \\ x_4 \end{bmatrix} = \mathbf{w}^{(1)\text{T}} \cdot "
            r"\mathbf{x}. ... \nabla_{w^{(1)}} C = \begin{bmatrix} \frac{\partial C}{\partial w_{1,0}^{(1)}} & "
            r"\frac{\partial C}{\partial w_{1,1}^{(1)}} & \cdots & \frac{\partial C}{\partial w_{1,4}^{(1)}} \\ ... \\ "
            r"\frac{\partial C}{\partial w_{8,0}^{(1)}} & ... \end{bmatrix}. (3)",
            "w(1) the 5 x 8 matrix whose transpose is displayed, and (3) a gradient shaped like w(1): 5 x 8",
            "numerator layout: the derivative of C by the 5 x 8 matrix w(1) is laid out as w(1)^T, 8 x 5 - which is (3) "
            "(and (13), (14)); autodiff's gradient (shaped like w(1)) is its transpose",
            "autodiff's gradient of C by w(1) read as the 5 x 8 matrix",
            lambda: grad_w1(w1, w2, X, Y), lambda: grad_w1(w1, w2, X, Y).T,
            {e: (lambda e=e: grad_w1_transposed_layout(w1, w2, X, Y, e)) for e in eng},
            why="consistent in numerator (Jacobian) layout; machine-learning code usually shapes a gradient like its "
                "parameter (denominator layout), which the rows of this module use with w(1) the displayed 8 x 5 matrix"),
        Erratum(
            DOC.name, "(15)", AUTHOR,
            r"\mathbf{f}^{(2)} = \begin{bmatrix} a_{1,1}^{(2)} - y_{1,1} & \cdots & a_{1,3}^{(2)} - y_{1,3} \\ ... \\ "
            r"a_{|Sx|,1}^{(2)} - y_{|Sx|,1} & \cdots \end{bmatrix} \begin{bmatrix} w_{1,1}^{(2)} & \cdots & "
            r"w_{1,8}^{(2)} \\ \vdots \\ w_{3,1}^{(2)} & \cdots & w_{3,8}^{(2)} \end{bmatrix} = "
            r"(\mathbf{a}^{(2)} - \mathbf{y})^T \cdot \mathbf{w}^{(2)}. (15)",
            "f(2) = (a(2) - y)^T . w(2)[:, 1:8], |Sx| x 8 (samples as rows), put into (14), whose g(1) is 8 x |Sx|",
            "f(2) = w(2)[:, 1:8]^T (a(2) - y), 8 x |Sx|: the transpose (the displayed block rightly holds columns 1..8); "
            "then (14) is right",
            "grad_w(1) C by (14)",
            f2_printed_in_14, lambda: grad_w1_eq14(fw["x"], fw["a1"], f2_eq15(a2, y, w2)),
            {e: (lambda e=e: b[e]["dC/dw1"]) for e in eng},
            raises=ValueError,
            why=f"the product has the shape of f(2)^T; g(1) o f(2) needs equal shapes (8 x {N})"),
    ]


# =============================================================================================
# The guided tour's check of (8) and (14)
# =============================================================================================


@dataclass(frozen=True)
class IrisGradients:
    """Autodiff gradients of the cost (1) and the closed forms (8) and (14), side by side.

    ``grad_w1`` (8 x 5) and ``grad_w2`` (3 x 9) are autodiff (column 0 the bias);
    ``eq14`` and ``eq8`` the closed forms; ``max_abs_diff_eq14`` / ``max_abs_diff_eq8``
    the largest absolute differences; ``loss`` is C of eq. (1).
    """

    loss: float
    grad_w1: Array
    grad_w2: Array
    eq14: Array
    eq8: Array
    max_abs_diff_eq14: float
    max_abs_diff_eq8: float

    def passed(self, rtol: float = RTOL) -> bool:
        """Both differences within ``rtol * max(1, max |closed form|)``."""
        return all(d <= rtol * max(1.0, float(np.max(np.abs(c))))
                   for d, c in ((self.max_abs_diff_eq14, self.eq14), (self.max_abs_diff_eq8, self.eq8)))


def iris_gradients(params: Any, X: Any, Y: Any) -> IrisGradients:
    """Autodiff vs Bondartsov's eqs. (8) and (14) for the iris net, on the given weights and data.

    * ``params``: a pair ``(w1, w2)`` of nested lists of ``Value``, ``w1[i][j]`` 8 x 5
      and ``w2[i][j]`` 3 x 9 with column 0 the bias; or a :class:`micrograd_ext.nn.MLP`
      built as ``MLP(4, [8, 3], activation='sigmoid', weighted_sum=True)``.
    * ``X``: N x 4 features; ``Y``: N x 3 one-hot targets.

    Builds the net node by node, the cost (1) from elementary nodes
    (:func:`micrograd_ext.nets.losses.bce` with ``nary=False``), zeroes the parameters'
    ``.grad``, runs one backward pass and compares with :func:`grad_w2` (eq. (8)) and
    :func:`grad_w1` (eqs. (14)-(15)).  The parameters' ``.grad`` hold the gradients afterwards.
    """
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    if X.ndim != 2 or X.shape[1] != 4 or Y.shape != (X.shape[0], 3):
        raise ValueError(f"bondartsov_iris_gradients: X of shape {X.shape} and Y of shape {Y.shape} (expected (N, 4) and (N, 3))")
    if hasattr(params, "layers"):
        layers = params.layers
        if len(layers) != 2 or len(layers[0].neurons) != 8 or len(layers[1].neurons) != 3:
            raise ValueError("bondartsov_iris_gradients: expected an MLP 4 -> 8 -> 3")
        for layer in layers:
            act = getattr(layer.neurons[0], "activation", "sigmoid")
            if act != "sigmoid":
                raise ValueError(f"bondartsov_iris_gradients: layer activation {act!r} (expected 'sigmoid' on both layers, as in the paper)")
        W1 = [[n.b] + list(n.w) for n in layers[0].neurons]
        W2 = [[n.b] + list(n.w) for n in layers[1].neurons]
        for v in flat(W1) + flat(W2):
            v.grad = 0.0
        outs = []
        for x in X:
            o = params([float(v) for v in x])
            outs.append(list(o) if isinstance(o, (list, tuple)) else [o])
    else:
        W1, W2 = params
        if np.shape(datas(W1)) != (8, 5) or np.shape(datas(W2)) != (3, 9):
            raise ValueError(f"bondartsov_iris_gradients: w1 {np.shape(datas(W1))} and w2 {np.shape(datas(W2))} (expected 8 x 5 and 3 x 9)")
        for v in flat(W1) + flat(W2):
            v.grad = 0.0
        outs = _value_forward(W1, W2, X, elementary=False)["a2"]
    C = losses.bce(outs, Y.tolist(), nary=False)
    C.backward()
    g1, g2 = grads(W1), grads(W2)
    w1, w2 = datas(W1), datas(W2)
    e14, e8 = grad_w1(w1, w2, X, Y), grad_w2(w1, w2, X, Y)
    return IrisGradients(float(C.data), g1, g2, e14, e8, float(np.max(np.abs(g1 - e14))), float(np.max(np.abs(g2 - e8))))
