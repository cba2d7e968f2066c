"""micrograd_ext.closed_form: the oracles themselves, checked against central finite differences of the
documents' forward functions (numpy only, no autodiff), and their docstrings name document and equation."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
from fdiff import fd_grad

from micrograd_ext.documents import closed_form as cf

rng = np.random.default_rng(11)




def ce(p: np.ndarray, y: np.ndarray) -> float:
    return float(-(y * np.log(p)).sum())


def test_bondartsov_8_14_against_finite_differences() -> None:
    X = rng.normal(size=(7, 4))
    Y = np.eye(3)[rng.integers(0, 3, 7)]
    w1, w2 = rng.uniform(-1, 1, (8, 5)), rng.uniform(-1, 1, (3, 9))
    cost = lambda a, b: cf.bondartsov_cost_eq1(cf.bondartsov_forward(a, b, X)["a2"], Y.T)
    assert np.allclose(cf.bondartsov_grad_w2(w1, w2, X, Y), fd_grad(lambda w: cost(w1, w), w2), atol=1e-8)
    assert np.allclose(cf.bondartsov_grad_w1(w1, w2, X, Y), fd_grad(lambda w: cost(w, w2), w1), atol=1e-8)
    fw = cf.bondartsov_forward(w1, w2, X)
    y = Y.T
    c8 = cf.bondartsov_grad_w2_eq8(fw["a1b"], fw["a2"], y)
    assert np.allclose(cf.bondartsov_grad_w2_eq7(fw["a1"], fw["a2"], y), c8, atol=1e-15)
    assert np.isclose(cf.bondartsov_grad_w2_eq6(fw["a1"], fw["a2"], y, 2, 0), c8[1, 0])
    c14 = cf.bondartsov_grad_w1(w1, w2, X, Y)
    assert np.allclose(cf.bondartsov_grad_w1_eq13(X, fw["a1"], fw["a2"], y, w2), c14, atol=1e-15)
    assert np.isclose(cf.bondartsov_grad_w1_eq11(X, fw["a1"], fw["a2"], y, w2, 3, 2), c14[2, 2])


def test_cs224n_section3_against_finite_differences() -> None:
    x, W, b1 = rng.normal(size=(4, 1)), rng.normal(size=(5, 4)), rng.normal(size=(5, 1))
    U, b2, y = rng.normal(size=(3, 5)), rng.normal(size=(3, 1)), np.eye(3)[:, [0]]

    def J(x_=x, W_=W, b1_=b1, U_=U, b2_=b2):
        return ce(cf.softmax(U_ @ np.maximum(W_ @ x_ + b1_, 0) + b2_), y)

    s = cf.cs224n_section3(x, W, b1, U, b2, y)
    assert np.allclose(s["dU"], fd_grad(lambda a: J(U_=a), U), atol=1e-8)
    assert np.allclose(s["db2"], fd_grad(lambda a: J(b2_=a), b2), atol=1e-8)
    assert np.allclose(s["dW"], fd_grad(lambda a: J(W_=a), W), atol=1e-8)
    assert np.allclose(s["db1"], fd_grad(lambda a: J(b1_=a), b1), atol=1e-8)
    assert np.allclose(s["dx"], fd_grad(lambda a: J(x_=a), x), atol=1e-8)


def test_rosenberg_against_finite_differences() -> None:
    W, X, T, b = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 3)), rng.normal(size=3)

    def J(W_=W, X_=X):
        Y = X_ @ W_.T + b
        return float(((Y ** 2) * T).sum())

    dY = 2 * (X @ W.T + b) * T
    mb = cf.rosenberg_affine_minibatch(W, X, dY)
    assert np.allclose(mb["dW"], fd_grad(lambda a: J(W_=a), W), atol=1e-7)
    assert np.allclose(mb["dX"], fd_grad(lambda a: J(X_=a), X), atol=1e-7)
    s, g = rng.normal(size=(4, 1)), rng.normal(size=(4, 1))
    assert np.allclose(cf.rosenberg_softmax_backward(s, g), fd_grad(lambda a: float((g * cf.softmax(a)).sum()), s), atol=1e-8)


def test_park_code4_against_finite_differences() -> None:
    sizes = (3, 4, 3)
    X = rng.normal(size=(3, 5))
    Y = np.eye(3)[:, rng.integers(0, 3, 5)]
    W = [None] + [rng.normal(size=(sizes[k], sizes[k - 1])) for k in (1, 2)]
    b = [None] + [rng.normal(size=(sizes[k], 1)) for k in (1, 2)]

    def J(W1=W[1], b1=b[1]):
        A = cf.softmax(W[2] @ np.maximum(W1 @ X + b1, 0) + b[2], axis=0)
        return ce(A, Y) / X.shape[1]

    dW, db = cf.park_code4(X, Y, W, b)
    assert np.allclose(dW[1], fd_grad(lambda a: J(W1=a), W[1]), atol=1e-8)
    assert np.allclose(db[1], fd_grad(lambda a: J(b1=a), b[1]), atol=1e-8)


def test_cs229_against_finite_differences() -> None:
    x, y = rng.normal(size=(5, 1)), np.eye(3)[:, [2]]
    W1, b1, W2, b2 = rng.normal(size=(5, 4)), rng.normal(size=(4, 1)), rng.normal(size=(4, 3)), rng.normal(size=(3, 1))

    def J(W1_=W1, b1_=b1, W2_=W2):
        return ce(cf.cs229_forward(x, W1_, b1_, W2_, b2)["y_hat"], y)

    g = cf.cs229_gradients(x, y, W1, b1, W2, b2)
    assert np.allclose(g["dW1"], fd_grad(lambda a: J(W1_=a), W1), atol=1e-8)
    assert np.allclose(g["db1"], fd_grad(lambda a: J(b1_=a), b1), atol=1e-8)
    assert np.allclose(g["dW2"], fd_grad(lambda a: J(W2_=a), W2), atol=1e-8)


def test_sigmoid_is_stable() -> None:
    assert np.array_equal(cf.sigmoid(np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])


PUBLIC = [(n, f) for n, f in inspect.getmembers(cf, inspect.isfunction) if f.__module__ == cf.__name__ and not n.startswith("_")]
DOC_RE = re.compile(r"Bondartsov|CS224n|Rosenberg|Park|CS229")
EQ_RE = re.compile(r"eq\.|eqs\.|identity|section|Theorem|Code|\(\d+[a-c]?\)|Conclusion|Forward Pass|corrected|2\.\d")


@pytest.mark.parametrize("name,fn", [p for p in PUBLIC if p[0] not in ("sigmoid", "softmax")], ids=[p[0] for p in PUBLIC if p[0] not in ("sigmoid", "softmax")])
def test_docstring_names_document_and_equation(name, fn) -> None:
    doc = inspect.getdoc(fn) or ""
    assert DOC_RE.search(doc), f"{name}: docstring does not name its document"
    assert EQ_RE.search(doc), f"{name}: docstring does not name its equation"
