"""Errata (docs/errata.md): each printed form disagrees with autodiff, each corrected form agrees.

Autodiff is the oracle here: the documents' nets built with the engine
(micrograd_ext.docnets), Value and Tensor.  A "printed" form that cannot even be
evaluated (wrong shape, code that does not run) counts as a disagreement and is
asserted as the specific error it raises.
"""

from __future__ import annotations

import numpy as np
import pytest

from micrograd_ext.core.jacobian import jacobian
from micrograd_ext.core.tensor import Tensor
from micrograd_ext.documents import closed_form as cf
from micrograd_ext.documents import docnets as dn
from micrograd_ext.documents.verify import compare


def agrees(got, want) -> bool:
    return compare(got, want)[2]


# -- Bondartsov --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def iris():
    X, Y = dn.iris_data()
    w1, w2 = dn.bondartsov_weights(0)
    fw = cf.bondartsov_forward(w1, w2, X)
    return X, Y, w1, w2, fw, dn.bondartsov_value(w1, w2, X, Y, jacobians=False), dn.bondartsov_tensor(w1, w2, X, Y, jacobians=False)


def test_bondartsov_5a_sum_over_samples(iris) -> None:
    X, Y, w1, w2, fw, rv, rt = iris
    printed = cf.bondartsov_dC_da2_eq5a_as_printed(fw["a2"], Y.T)  # one number per output
    corrected = cf.bondartsov_dC_da2_eq5a(fw["a2"], Y.T)  # one per output AND sample
    for r in (rv, rt):
        assert not agrees(r["dC/da2"], np.broadcast_to(printed[:, None], (3, 150)))
        assert agrees(r["dC/da2"], corrected)
        # what the printed (5a) actually is: the sum of the per-sample derivatives
        assert agrees(r["dC/da2"].sum(axis=1), printed)


def test_bondartsov_5a_middle_line_sign_is_right(iris) -> None:
    X, Y, w1, w2, fw, rv, rt = iris
    assert agrees(rv["dC/da2"], cf.bondartsov_dC_da2_eq5a_middle_line(fw["a2"], Y.T))
    # while the literal precedence (minus and 1/|Sx| on the first term only) is wrong
    a, y = fw["a2"], Y.T
    literal = -(1 / 150) * y / a + (1 - y) / (1 - a) * (-1)
    assert not agrees(rv["dC/da2"], literal)


def test_bondartsov_15_shape_and_bias_column(iris) -> None:
    X, Y, w1, w2, fw, rv, rt = iris
    a2, y = fw["a2"], Y.T
    printed = cf.bondartsov_f2_eq15_as_printed(a2, y, w2)
    assert printed.shape == (150, 9)  # |Sx| x 9: not the 8 x |Sx| of g(1)
    with pytest.raises(ValueError, match=r"\(14\)"):
        cf.bondartsov_grad_w1_eq14(fw["x"], fw["a1"], printed)
    no_bias_untransposed = (a2 - y).T @ w2[:, 1:]  # the displayed 3 x 8 block, product as printed
    assert no_bias_untransposed.shape == (150, 8)
    with pytest.raises(ValueError):
        cf.bondartsov_grad_w1_eq14(fw["x"], fw["a1"], no_bias_untransposed)
    wrong_column = w2[:, :8].T @ (a2 - y)  # dropping the last column instead of the bias column
    corrected = cf.bondartsov_f2_eq15(a2, y, w2)
    for r in (rv, rt):
        assert not agrees(150 * r["dC/da1"], wrong_column)
        assert not agrees(r["dC/dw1"], cf.bondartsov_grad_w1_eq14(fw["x"], fw["a1"], wrong_column))
        assert agrees(150 * r["dC/da1"], corrected)
        assert agrees(r["dC/da1"], no_bias_untransposed.T / 150)  # the printed product, transposed, is right
        assert agrees(r["dC/dw1"], cf.bondartsov_grad_w1_eq14(fw["x"], fw["a1"], corrected))


def test_bondartsov_z_equals_w_times_x_not_w_transpose(iris) -> None:
    X, Y, w1, w2, fw, rv, rt = iris
    with pytest.raises(ValueError):
        np.matmul(w1.T, fw["x"])  # "z(1) = w(1)T . x" with w(1) the 8 x 5 matrix of (3)
    assert agrees(rv["z1"], w1 @ fw["x"])
    assert rv["dC/dw1"].shape == (8, 5) and rv["dC/dw2"].shape == (3, 9)  # the layout of (2), (3), (13), (14)


# -- CS224n-style notes ---------------------------------------------------------------------------


def test_cs224n_jacobian_entry_index() -> None:
    d = dn.cs224n_data()
    W, x = d["W_id"], d["x_id"]
    J = jacobian(lambda t: Tensor(W) @ t, x)
    n, m = W.shape
    printed = np.array([[W[i, i] if i < m else np.nan for _ in range(m)] for i in range(n)])  # (df/dx)_ij = df_i/dx_i
    assert not agrees(J, printed)
    assert agrees(J, W)  # (df/dx)_ij = df_i/dx_j


def test_cs224n_2_5_sum_range() -> None:
    d = dn.cs224n_data()
    W, x = d["W_id"], d["x_id"]
    n, m = W.shape
    assert n > m
    delta = (W @ x - d["t_id"])[None, :]
    for r in (dn.cs224n_value(d), dn.cs224n_tensor(d)):
        assert not agrees(r["2.5 dJ/dW"], cf.cs224n_dJ_dWij_2_5_sum(delta, x[:, None], upper=m))  # sum_{k=1}^m
        assert agrees(r["2.5 dJ/dW"], cf.cs224n_dJ_dWij_2_5_sum(delta, x[:, None]))  # sum_{k=1}^n


def test_cs224n_section3_db1_misnamed_as_dW() -> None:
    d = dn.cs224n_data()
    s3 = cf.cs224n_section3(d["x"], d["W"], d["b1"], d["U"], d["b2"], d["y"])
    for r in (dn.cs224n_value(d), dn.cs224n_tensor(d)):
        assert not agrees(r["dW"], s3["delta2"].T)  # printed: dJ/dW = delta2^T
        assert agrees(r["db1"], s3["delta2"].T)  # it is dJ/db1
        assert agrees(r["dW"], s3["delta2"].T @ d["x"].T)


def test_cs224n_2_5_outer_product_claim_is_right() -> None:
    """Checked, not an erratum: with delta the 1 x n ROW dJ/dz, delta^T x^T is the n x m outer product."""
    d = dn.cs224n_data()
    W, x = d["W_id"], d["x_id"]
    delta = (W @ x - d["t_id"])[None, :]
    assert agrees(dn.cs224n_tensor(d)["2.5 dJ/dW"], delta.T @ x[None, :])


# -- Park -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def park():
    d = dn.park_data()
    return d, dn.park_value(d), dn.park_tensor(d)


def test_park_code1_softmax_axis(park) -> None:
    d, rv, rt = park
    printed = cf.park_code1_namespace(corrected=False)["softmax"](rv["Z"][3])
    assert not np.allclose(printed.sum(axis=0), 1.0)  # columns (samples) do not sum to 1
    dW_p, db_p = cf.park_code4(d["X"], d["Y"], d["W"], d["b"], corrected=True, code1_corrected=False)
    dW_c, db_c = cf.park_code4(d["X"], d["Y"], d["W"], d["b"])
    for r in (rv, rt):
        assert not any(agrees(r["dW"][k], dW_p[k]) for k in (1, 2, 3))
        assert all(agrees(r["dW"][k], dW_c[k]) and agrees(r["db"][k], db_c[k]) for k in (1, 2, 3))


def test_park_code3_does_not_run_as_printed(park) -> None:
    d, rv, rt = park
    args = (d["X3"], d["y3"], d["W3"], d["b3"])
    with pytest.raises(SyntaxError):
        cf.park_code3(*args, corrected=False)
    with pytest.raises(NameError, match="backward_propagation"):
        cf.park_code3(*args, corrected=(0,))  # the ':' fixed, the call still names backward_propagation
    dW, db = cf.park_code3(*args)
    for r in (rv, rt):
        assert agrees(r["code3"][0], dW) and agrees(r["code3"][1], db)


def test_park_code4_does_not_run_as_printed(park) -> None:
    d, rv, rt = park
    args = (d["X"], d["Y"], d["W"], d["b"])
    with pytest.raises(SyntaxError):
        cf.park_code4(*args, corrected=False)
    with pytest.raises(NameError, match="Ws"):
        cf.park_code4(*args, corrected=(0,))
    dW, db = cf.park_code4(*args)
    assert all(agrees(rv["dW"][k], dW[k]) for k in (1, 2, 3))


def test_park_6_3_middle_line(park) -> None:
    d, rv, rt = park
    for r in (rv, rt):
        delta, o = r["6.1"]["3"]
        y = d["Y"][:, :1]
        printed = cf.park_dL_dz_6_3_middle_line_as_printed(o, y)
        assert np.allclose(printed, 0.0)  # -sum_i o_i (delta_ij - o_j) = 0 identically
        assert not agrees(delta[:, 0], printed)
        assert agrees(delta[:, 0], cf.park_dL_dz_6_3_middle_line(o, y))


def test_park_34_35_Delta_for_delta(park) -> None:
    """(34)-(35) use Delta (all samples) where the one-sample delta belongs."""
    d, _, _ = park
    X = d["X"]
    ybin = np.array([[1.0, 0.0, 1.0, 1.0, 0.0, 1.0]])
    A = cf.sigmoid(d["W_bce"] @ X + d["b_bce"])
    Delta = A - ybin
    k = 2
    W = Tensor(d["W_bce"], requires_grad=True)
    b = Tensor(d["b_bce"], requires_grad=True)
    a = (W @ Tensor(X[:, k:k + 1]) + b).sigmoid()
    L = -(a.log() * ybin[0, k] + (1 - a).log() * (1 - ybin[0, k])).sum()
    L.backward()
    printed = cf.park_eq34_35_as_printed(Delta, X[:, k:k + 1])
    assert not agrees(W.grad, printed["(34)"])
    assert not agrees(b.grad, printed["(35)"])
    delta = Delta[:, k:k + 1]
    assert agrees(W.grad, delta @ X[:, k:k + 1].T) and agrees(b.grad, delta)  # (28)-(29) with delta


def test_park_relu_convention_matters(park) -> None:
    """Not an erratum: Park's relu'(0) = 1 differs from PyTorch's 0 at the planted zero, and the engine follows either."""
    d, rv, _ = park
    assert rv["Z"][1][2, 0] == 0.0
    dW, db = cf.park_code4(d["X"], d["Y"], d["W"], d["b"])
    assert agrees(rv["db"][1], db[1])
    z = Tensor(rv["Z"][1][:, :1], requires_grad=True)
    z.relu().sum().backward()
    assert z.grad[2, 0] == 0.0 and cf.park_d_relu(rv["Z"][1][:, :1])[2, 0] == 1.0


# -- CS229 ------------------------------------------------------------------------------------------


def test_cs229_dz2_da1() -> None:
    d = dn.cs229_data()
    h, k = d["W2"].shape
    assert h != k
    for r in (dn.cs229_value(d), dn.cs229_tensor(d)):
        assert r["dz2/da1"].shape == (k, h)
        assert not agrees(r["dz2/da1"], cf.cs229_dz2_da1_as_printed(d["W2"]))  # printed: W2 (h x k)
        assert agrees(r["dz2/da1"], cf.cs229_dz2_da1(d["W2"]))  # W2^T (k x h)


def test_cs229_b2_shape() -> None:
    d = dn.cs229_data()
    h, k = d["W2"].shape
    a1 = cf.cs229_forward(d["x"], d["W1"], d["b1"], d["W2"], d["b2"])["a1"]
    b2_printed = np.zeros((h, 1))  # "b[2] in R^h"
    with pytest.raises(ValueError):
        Tensor(d["W2"]).T @ Tensor(a1) + Tensor(b2_printed)  # k x 1 + h x 1, h != k: no such sum
    assert dn.cs229_tensor(d)["db2"].shape == (k, 1)

