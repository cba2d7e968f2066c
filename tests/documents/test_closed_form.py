"""The documents' closed forms (the oracles of verify) checked against central finite differences of the
documents' own forward functions, in numpy only (no autodiff); and their docstrings name document and equation."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
from fdiff import fd_grad

from micrograd_ext.documents import bondartsov as B
from micrograd_ext.documents import closed_form as cf
from micrograd_ext.documents import cs224n as C
from micrograd_ext.documents import cs229 as S
from micrograd_ext.documents import park as P
from micrograd_ext.documents import rosenberg as R

rng = np.random.default_rng(11)


def ce(p: np.ndarray, y: np.ndarray) -> float:
    return float(-(y * np.log(p)).sum())


def sig(z):
    return 1 / (1 + np.exp(-z))


# -- Bondartsov --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bond():
    X = rng.normal(size=(7, 4))
    Y = np.eye(3)[rng.integers(0, 3, 7)]
    w1, w2 = rng.uniform(-1, 1, (8, 5)), rng.uniform(-1, 1, (3, 9))
    return X, Y, w1, w2, B.forward(w1, w2, X)


def test_bondartsov_gradient_matrices_against_finite_differences(bond) -> None:
    X, Y, w1, w2, fw = bond
    y = Y.T
    g2 = fd_grad(lambda w: B.cost(w1, w, X, Y), w2)
    g1 = fd_grad(lambda w: B.cost(w, w2, X, Y), w1)
    for c2 in (B.grad_w2(w1, w2, X, Y), B.grad_w2_eq7(fw["a1"], fw["a2"], y), B.paths_eq4(fw["a1"], fw["a2"], y).sum(0),
               np.array([[B.grad_w2_eq6(fw["a1"], fw["a2"], y, i, j) for j in range(9)] for i in range(1, 4)])):
        assert np.allclose(c2, g2, atol=1e-8)
    for c1 in (B.grad_w1(w1, w2, X, Y), B.grad_w1_eq13(X, fw["a1"], fw["a2"], y, w2),
               B.paths_eq9(X, fw["a1"], fw["a2"], y, w2).sum(axis=(0, 1)),
               np.array([[B.grad_w1_eq11(X, fw["a1"], fw["a2"], y, w2, i, j) for j in range(5)] for i in range(1, 9)])):
        assert np.allclose(c1, g1, atol=1e-8)


def test_bondartsov_per_sample_derivatives_against_finite_differences(bond) -> None:
    X, Y, w1, w2, fw = bond
    y = Y.T
    # (5a): C as a function of the outputs a(2), one entry per output and sample
    assert np.allclose(B.dC_da2_eq5a(fw["a2"], y), fd_grad(lambda a: B.cost_eq1(a, y), fw["a2"]), atol=1e-8)
    assert np.allclose(B.dC_da2_eq5a_middle_line(fw["a2"], y), B.dC_da2_eq5a(fw["a2"], y), atol=1e-14)
    # (12a), (15): f(2) = |Sx| dC/da(1), C as a function of a(1) through z(2) = w(2) [1; a(1)]
    N = X.shape[0]
    f_fd = N * fd_grad(lambda a: B.cost_eq1(sig(w2 @ np.vstack([np.ones((1, N)), a])), y), fw["a1"])
    assert np.allclose(B.f2_eq12a(fw["a2"], y, w2), f_fd, atol=1e-7)
    assert np.allclose(B.f2_eq15(fw["a2"], y, w2), f_fd, atol=1e-7)
    assert np.allclose(B.f2_eq15_as_printed(fw["a2"], y, w2).T, f_fd, atol=1e-7)  # the printed product is its transpose
    # (5b) and the lines of its derivation: the sigmoid's derivative
    z = np.linspace(-3, 3, 7)
    d = np.array([fd_grad(lambda t: float(sig(t[0])), np.array([v])) [0] for v in z])
    for form in (B.da_dz_eq5b(sig(z)), B.da_dz_eq5b_line4(z), B.da_dz_eq5b_line6(z)):
        assert np.allclose(form, d, atol=1e-9)
    assert not np.allclose(B.da_dz_eq5b_line6_as_printed(z), d, atol=1e-3)


# -- CS224n-style notes ----------------------------------------------------------------------


def test_cs224n_section3_against_finite_differences() -> None:
    x, W, b1 = rng.normal(size=(4, 1)), rng.normal(size=(5, 4)), rng.normal(size=(5, 1))
    U, b2, y = rng.normal(size=(3, 5)), rng.normal(size=(3, 1)), np.eye(3)[:, [0]]

    def J(x_=x, W_=W, b1_=b1, U_=U, b2_=b2):
        return ce(C.softmax(U_ @ np.maximum(W_ @ x_ + b1_, 0) + b2_), y)

    s = C.section3(x, W, b1, U, b2, y)
    assert np.allclose(s["dU"], fd_grad(lambda a: J(U_=a), U), atol=1e-8)
    assert np.allclose(s["db2"], fd_grad(lambda a: J(b2_=a), b2), atol=1e-8)
    assert np.allclose(s["dW"], fd_grad(lambda a: J(W_=a), W), atol=1e-8)
    assert np.allclose(s["db1"], fd_grad(lambda a: J(b1_=a), b1), atol=1e-8)
    assert np.allclose(s["dx"], fd_grad(lambda a: J(x_=a), x), atol=1e-8)


def test_cs224n_identities_against_finite_differences() -> None:
    x = 0.37
    g = lambda t: np.array([t**2 * np.exp(t), t**2 + 3 * np.exp(2 * t)])  # g(f(x)) of chain_1_2
    dg = np.array([[fd_grad(lambda v, i=i: g(v[0])[i], np.array([x]))[0]] for i in range(2)])
    c = C.chain_1_2(x)
    assert np.allclose(c["dg/dx"], dg, atol=1e-8) and np.allclose(c["elementwise"], dg, atol=1e-8)
    th = rng.normal(size=4)
    Jfd = np.array([fd_grad(lambda t, k=k: C.softmax(t)[k], th) for k in range(4)])
    p = C.softmax(th)
    r = C.softmax_derivative_reading(th)
    for J in (C.softmax_jacobian_2_7(p), r["in sum"], r["quotient"]):
        assert np.allclose(J, Jfd, atol=1e-9)
    assert np.allclose(r["dh/dtheta"], fd_grad(lambda t: np.exp(t).sum(), th), atol=1e-8)
    assert np.allclose(r["third line"], np.diag(Jfd), atol=1e-9) and not np.allclose(r["third line as printed"], np.diag(Jfd))
    y = np.eye(4)[2]
    assert np.allclose(C.dJ_dtheta_2_7_sum(p, y), fd_grad(lambda t: ce(C.softmax(t), y), th)[None, :], atol=1e-8)
    W, xv, t = rng.normal(size=(4, 3)), rng.normal(size=(3, 1)), rng.normal(size=(4, 1))
    Jw = lambda w: float(np.mean((w @ xv - t) ** 2))
    delta = (2 / 4 * (W @ xv - t)).T
    assert np.allclose(C.dJ_dW_2_5(delta, xv), fd_grad(Jw, W), atol=1e-8)
    assert np.allclose(C.dJ_dWij_2_5_sum(delta, xv), fd_grad(Jw, W), atol=1e-8)
    dz = np.array([fd_grad(lambda w, k=k: float((w @ xv)[k, 0]), W) for k in range(4)])
    assert np.allclose(C.dz_dW_2_5(xv, 4), dz, atol=1e-9)


# -- Rosenberg ---------------------------------------------------------------------------------


def test_rosenberg_against_finite_differences() -> None:
    W, X, T, b = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 3)), rng.normal(size=3)

    def J(W_=W, X_=X):
        return float((((X_ @ W_.T + b) ** 2) * T).sum())

    dY = 2 * (X @ W.T + b) * T
    for mb in (R.affine_minibatch(W, X, dY), R.affine_minibatch_sums(W, X, dY)):
        assert np.allclose(mb["dW"], fd_grad(lambda a: J(W_=a), W), atol=1e-7)
        assert np.allclose(mb["dX"], fd_grad(lambda a: J(X_=a), X), atol=1e-7)
        assert np.allclose(mb["db"][:, 0], dY.sum(axis=0))
    x, g = rng.normal(size=(4, 1)), rng.normal(size=(3, 1))
    j1 = lambda W_=W, x_=x: (g.T @ (W_ @ x_ + b[:, None])).item()
    for one in (R.affine_one_sample(W, x, g), R.affine_one_sample_sums(W, x, g)):
        assert np.allclose(one["dW"], fd_grad(lambda a: j1(W_=a), W), atol=1e-8)
        assert np.allclose(one["dx"], fd_grad(lambda a: j1(x_=a), x), atol=1e-8)
    s, gs = rng.normal(size=(4, 1)), rng.normal(size=(4, 1))
    want = fd_grad(lambda a: float((gs * R.softmax(a)).sum()), s)
    assert np.allclose(R.softmax_backward(s, gs), want, atol=1e-8)
    assert np.allclose(R.softmax_backward_sums(s, gs), want, atol=1e-8)
    Jfd = np.array([fd_grad(lambda a, k=k: R.softmax(a)[k], s[:, 0]) for k in range(4)])
    assert np.allclose(R.softmax_jacobian(s), Jfd, atol=1e-9) and np.allclose(R.softmax_jacobian_quotient(s), Jfd, atol=1e-9)


# -- Park ----------------------------------------------------------------------------------------------


def _park_net():
    sizes = (3, 4, 3)
    X = rng.normal(size=(3, 5))
    Y = np.eye(3)[:, rng.integers(0, 3, 5)]
    W = [None] + [rng.normal(size=(sizes[k], sizes[k - 1])) for k in (1, 2)]
    b = [None] + [rng.normal(size=(sizes[k], 1)) for k in (1, 2)]
    return X, Y, W, b


def test_park_code4_code2_and_theorem_5_4_against_finite_differences() -> None:
    X, Y, W, b = _park_net()

    def J(W1=W[1], b1=b[1], W2=W[2]):
        A = P.softmax(W2 @ np.maximum(W1 @ X + b1, 0) + b[2], axis=0)
        return ce(A, Y) / X.shape[1]

    c4 = P.code4(X, Y, W, b)
    gW1, gb1, gW2 = fd_grad(lambda a: J(W1=a), W[1]), fd_grad(lambda a: J(b1=a), b[1]), fd_grad(lambda a: J(W2=a), W[2])
    assert np.allclose(c4["dW"][1], gW1, atol=1e-8) and np.allclose(c4["db"][1], gb1, atol=1e-8)
    assert np.allclose(c4["dW"][2], gW2, atol=1e-8)
    Z1 = W[1] @ X + b[1]
    A1 = np.maximum(Z1, 0)
    dZ2 = P.eq21(P.softmax(W[2] @ A1 + b[2], axis=0) - Y)
    c2 = P.code2(X, W, b, dZ2)
    assert np.allclose(c2["dW"][1], gW1, atol=1e-8) and np.allclose(c2["db"][1], gb1, atol=1e-8)
    t = P.theorem_5_4(W[2], dZ2, A1, Z1, P.d_relu)
    assert np.allclose(t["(24)"], gW2, atol=1e-8)
    assert np.allclose(P.theorem_5_4(W[1], t["(23)"], X, None, None)["(24)"], gW1, atol=1e-8)


def test_park_output_layers_against_finite_differences() -> None:
    x, W, b = rng.normal(size=(4, 1)), rng.normal(size=(1, 4)), rng.normal(size=(1, 1))
    y = 1.0
    bce = lambda W_=W, b_=b: float(-(y * np.log(sig(W_ @ x + b_)) + (1 - y) * np.log(1 - sig(W_ @ x + b_))).sum())
    o = P.binary_output(x, y, W, b)
    assert np.allclose(o["(34)"], fd_grad(lambda a: bce(W_=a), W), atol=1e-8)
    assert np.allclose(o["(35)"], fd_grad(lambda a: bce(b_=a), b), atol=1e-8)
    assert np.allclose(o["dL/dz line"], o["(33)"], atol=1e-14)
    X, Yr, W3, b3 = rng.normal(size=(3, 6)), rng.normal(size=(1, 6)), rng.normal(size=(1, 3)), rng.normal(size=(1, 1))
    Jl = lambda W_=W3, b_=b3: float(((W_ @ X + b_ - Yr) ** 2).sum() / (2 * X.shape[1]))
    lr = P.linear_regression(X[:, :1], Yr[:, :1], X, Yr, W3, b3)
    assert np.allclose(lr["(31)"], fd_grad(lambda a: Jl(W_=a), W3), atol=1e-8)
    assert np.allclose(lr["(32)"], fd_grad(lambda a: Jl(b_=a), b3), atol=1e-8)
    A_prev, Wo, bo, Yb = np.abs(rng.normal(size=(4, 6))), rng.normal(size=(1, 4)), rng.normal(size=(1, 1)), rng.integers(0, 2, (1, 6))
    Jb = lambda W_=Wo: float(-(Yb * np.log(sig(W_ @ A_prev + bo)) + (1 - Yb) * np.log(1 - sig(W_ @ A_prev + bo))).sum() / 6)
    assert np.allclose(P.eq36_38(sig(Wo @ A_prev + bo), Yb, A_prev)["(37)"], fd_grad(Jb, Wo), atol=1e-8)
    z = rng.normal(size=(5, 1))
    o = P.softmax(z, axis=0)
    Jfd = np.array([fd_grad(lambda t, k=k: P.softmax(t)[k], z[:, 0]) for k in range(5)])
    assert np.allclose(P.softmax_jacobian_eq39(o), Jfd, atol=1e-9)
    yv = np.eye(5)[:, [3]]
    assert np.allclose(P.dL_dz_6_3_middle_line(o, yv), fd_grad(lambda t: ce(P.softmax(t), yv[:, 0]), z[:, 0]), atol=1e-8)


def test_park_lemma_3_1_against_finite_differences() -> None:
    eps = 0.5
    f = lambda t: float(P.relu_eps(np.array(t[0]), eps))
    for zz in (-1.2, -0.5 - 1e-3, -0.2, -1e-3, 1e-3, 0.4):  # one-sided neighbourhoods stay in one piece
        slope = fd_grad(f, np.array([zz]), eps=1e-7)[0]
        want = P.lemma_3_1(np.array([zz]), eps)[0]
        if np.isfinite(want):
            assert abs(slope - want) < 1e-5
    # continuity and slopes at the joints, from both sides
    h = 1e-6
    for p, s in ((0.0, 1.0), (-eps, 0.0)):
        assert abs(P.relu_eps(np.array(p), eps)) < 1e-15
        left = (P.relu_eps(np.array(p), eps) - P.relu_eps(np.array(p - h), eps)) / h
        right = (P.relu_eps(np.array(p + h), eps) - P.relu_eps(np.array(p), eps)) / h
        assert abs(left - s) < 1e-4 and abs(right - s) < 1e-4


# -- CS229 -------------------------------------------------------------------------------------------------------


def test_cs229_against_finite_differences() -> None:
    x, y = rng.normal(size=(5, 1)), np.eye(3)[:, [2]]
    W1, b1, W2, b2 = rng.normal(size=(5, 4)), rng.normal(size=(4, 1)), rng.normal(size=(4, 3)), rng.normal(size=(3, 1))

    def J(W1_=W1, b1_=b1, W2_=W2, b2_=b2):
        return ce(S.forward(x, W1_, b1_, W2_, b2_)["y_hat"], y)

    g = S.gradients(x, y, W1, b1, W2, b2)
    assert np.allclose(g["dW1"], fd_grad(lambda a: J(W1_=a), W1), atol=1e-8)
    assert np.allclose(g["db1"], fd_grad(lambda a: J(b1_=a), b1), atol=1e-8)
    assert np.allclose(g["dW2"], fd_grad(lambda a: J(W2_=a), W2), atol=1e-8)
    assert np.allclose(g["db2"], fd_grad(lambda a: J(b2_=a), b2), atol=1e-8)
    a1 = g["a1"]
    Ja = lambda a: ce(S.softmax(W2.T @ a + b2, axis=0), y)
    assert np.allclose(g["da1"], fd_grad(Ja, a1).T, atol=1e-8)
    X, Yb = rng.normal(size=(6, 5)), np.eye(3)[rng.integers(0, 3, 6)]
    bg = S.batch_gradients(X, Yb, W1, b1[:, 0], W2, b2[:, 0])
    Jb = lambda W1_=W1, b2_=b2[:, 0]: ce(S.softmax(S.sigmoid(X @ W1_ + b1[:, 0]) @ W2 + b2_, axis=1), Yb) / 6
    assert np.allclose(bg["dW1"], fd_grad(lambda a: Jb(W1_=a), W1), atol=1e-8)
    assert np.allclose(bg["db2"], fd_grad(lambda a: Jb(b2_=a), b2[:, 0]), atol=1e-8)


def test_sigmoid_is_stable() -> None:
    assert np.array_equal(cf.sigmoid(np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])


def test_release_0_1_names_still_work() -> None:
    X = rng.normal(size=(4, 4))
    Y = np.eye(3)[[0, 1, 2, 0]]
    w1, w2 = rng.uniform(-1, 1, (8, 5)), rng.uniform(-1, 1, (3, 9))
    assert cf.bondartsov_grad_w1 is B.grad_w1 and cf.cs229_gradients is S.gradients
    assert np.array_equal(cf.bondartsov_grad_w2(w1, w2, X, Y), B.grad_w2(w1, w2, X, Y))
    assert cf.DOCUMENTS == tuple(m.DOC.name for m in (B, C, R, P, S))
    Xp, Yp, W, b = _park_net()
    dW, db = cf.park_code4(Xp, Yp, W, b)
    assert np.array_equal(dW[1], P.code4(Xp, Yp, W, b)["dW"][1])


MODULES = {"Bondartsov": B, "CS224n": C, "Rosenberg": R, "Park": P, "CS229": S}
NOT_FORMULAS = {"data", "value_net", "tensor_net", "rows", "errata", "iris_data", "weights", "load_digits", "split_digits",
                "train_digits", "f_1_1", "code1_autodiff", "relu_eps_autodiff", "code3_run_autodiff",
                "grad_w1_transposed_layout", "iris_gradients", "tensor_cost", "forward"}
FORMULAS = [(doc, n, f) for doc, m in MODULES.items() for n, f in inspect.getmembers(m, inspect.isfunction)
            if f.__module__ == m.__name__ and not n.startswith("_") and n not in NOT_FORMULAS]
EQ_RE = re.compile(r"eq\.|eqs\.|identity|section|Section|Theorem|Lemma|Code|\(\d+[a-c]?\)|Conclusion|Forward Pass|"
                   r"Gradient Derivations|\d\.\d|post\b")


@pytest.mark.parametrize("doc,name,fn", FORMULAS, ids=[f"{d}.{n}" for d, n, _ in FORMULAS])
def test_docstring_names_document_and_equation(doc, name, fn) -> None:
    text = inspect.getdoc(fn) or ""
    assert doc in text or (doc == "CS224n" and "CS224n" in text), f"{name}: docstring does not name {doc}"
    assert EQ_RE.search(text), f"{name}: docstring does not name its equation"


def test_relu_eps_dips_below_zero_inside_its_polynomial_piece() -> None:
    """Quoted in docs/errata.md: relu_eps reaches about -0.26 eps at z = (-1 - sqrt(33))/16 eps (not monotone)."""
    for eps in (0.5, 1e-3):
        z = np.linspace(-eps, 0, 200001)
        f = P.relu_eps(z, eps)
        assert abs(f.min() / eps - (-0.26)) < 0.005
        assert abs(z[np.argmin(f)] / eps - (-1 - np.sqrt(33)) / 16) < 1e-4
