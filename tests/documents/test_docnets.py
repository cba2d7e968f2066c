"""The documents' nets built with the engine (Value and Tensor) against central finite differences of the
documents' forward functions in numpy: an oracle that shares no rule with the engine; the iris data; the
tour's bondartsov_iris_gradients."""

from __future__ import annotations

import numpy as np
import pytest
from fdiff import fd_grad

from micrograd_ext.documents import bondartsov as B
from micrograd_ext.documents import cs224n as C
from micrograd_ext.documents import cs229 as S
from micrograd_ext.documents import docnets as dn
from micrograd_ext.documents import park as P
from micrograd_ext.documents import rosenberg as R

ENGINES = ("Value", "Tensor")


def ce(p, y) -> float:
    return float(-(np.asarray(y) * np.log(p)).sum())


def test_iris_data_is_the_real_data_set() -> None:
    X, Y = B.iris_data()
    assert X.shape == (150, 4) and Y.shape == (150, 3)
    assert np.array_equal(Y.sum(axis=0), [50, 50, 50])
    assert np.allclose(X[0], [5.1, 3.5, 1.4, 0.2])  # Fisher's first setosa
    assert np.allclose(X.mean(axis=0), [5.8433, 3.0573, 3.7580, 1.1993], atol=1e-3)


@pytest.mark.parametrize("engine", ENGINES)
def test_bondartsov_nets_against_finite_differences_of_eq1(engine) -> None:
    X, Y = B.iris_data()
    X, Y = X[::10], Y[::10]
    w1, w2 = B.weights(3)
    build = B.value_net if engine == "Value" else B.tensor_net
    r = build(w1, w2, X, Y, jacobians=False)
    assert np.isclose(float(r["C"]), B.cost(w1, w2, X, Y), rtol=1e-13)
    assert np.allclose(r["dC/dw1"], fd_grad(lambda w: B.cost(w, w2, X, Y), w1), atol=1e-8)
    assert np.allclose(r["dC/dw2"], fd_grad(lambda w: B.cost(w1, w, X, Y), w2), atol=1e-8)
    a2 = B.forward(w1, w2, X)["a2"]
    assert np.allclose(r["dC/da2"], fd_grad(lambda a: B.cost_eq1(a, Y.T), a2), atol=1e-8)


@pytest.mark.parametrize("engine", ENGINES)
def test_cs224n_nets_against_finite_differences(engine) -> None:
    d = C.data()
    d["b1"] = d["b1"].copy()
    d["b1"][2, 0] += 0.3  # move the planted zero off ReLU's kink: finite differences need a smooth point
    r = (C.value_net if engine == "Value" else C.tensor_net)(d)

    def J(x=d["x"], W=d["W"], b1=d["b1"], U=d["U"], b2=d["b2"]):
        return ce(C.softmax(U @ np.maximum(W @ x + b1, 0) + b2), d["y"])

    for k, arg in (("dU", "U"), ("dx", "x"), ("dW", "W"), ("db1", "b1"), ("db2", "b2")):
        assert np.allclose(r[k], fd_grad(lambda a, arg=arg: J(**{arg: a}), d[arg]), atol=1e-8), k
    W, x, t = d["W_id"], d["x_id"], d["t_id"]
    assert np.allclose(r["2.5 dJ/dW"], fd_grad(lambda w: float(np.mean((w @ x - t) ** 2)), W), atol=1e-8)
    assert np.allclose(r["2.7 dJ/dtheta"][0], fd_grad(lambda th: ce(C.softmax(th), d["y_id"]), d["theta_id"]), atol=1e-8)
    J11 = np.array([fd_grad(lambda v, i=i: C.f_1_1(v)[i], d["x_11"]) for i in range(4)])
    assert np.allclose(r["1.1"], J11, atol=1e-7)


@pytest.mark.parametrize("engine", ENGINES)
def test_cs224n_relu_prime_at_zero_is_the_left_derivative(engine) -> None:
    """At the planted z = 0 the notes' ReLU'(0) = sgn(0) = 0: db1 there is the backward difference."""
    d = C.data()
    r = (C.value_net if engine == "Value" else C.tensor_net)(d)

    def Jb(shift):
        b1 = d["b1"].copy()
        b1[2, 0] += shift
        return ce(C.softmax(d["U"] @ np.maximum(d["W"] @ d["x"] + b1, 0) + d["b2"]), d["y"])

    h = 1e-7
    assert r["db1"][2, 0] == 0.0 and abs((Jb(0) - Jb(-h)) / h) < 1e-12 and abs((Jb(h) - Jb(0)) / h) > 1e-3


@pytest.mark.parametrize("engine", ENGINES)
def test_rosenberg_nets_against_finite_differences(engine) -> None:
    d = R.data()
    r = (R.value_net if engine == "Value" else R.tensor_net)(d)

    def J(W=d["W"], b=d["b"], x=d["x"]):
        return float(np.mean((R.softmax(W @ x + b[:, None]) - d["t"]) ** 2))

    def JB(W=d["W"], X=d["X"]):
        S_ = X @ W.T + d["b"]
        return float(((R.softmax(S_, axis=1) - d["T"]) ** 2).sum() / len(X))

    assert np.allclose(r["dW"], fd_grad(lambda a: J(W=a), d["W"]), atol=1e-8)
    assert np.allclose(r["db"][:, 0], fd_grad(lambda a: J(b=a), d["b"]), atol=1e-8)
    assert np.allclose(r["dx"], fd_grad(lambda a: J(x=a), d["x"]), atol=1e-8)
    assert np.allclose(r["batch dW"], fd_grad(lambda a: JB(W=a), d["W"]), atol=1e-8)
    assert np.allclose(r["batch dX"], fd_grad(lambda a: JB(X=a), d["X"]), atol=1e-8)


def _park_smooth():
    """Park's data with the planted zero moved off relu's kink (finite differences need a smooth point)."""
    d = P.data()
    d["b"][1] = d["b"][1].copy()
    d["b"][1][2, 0] += 0.3
    return d


def _park_J(d, W1=None, b1=None, W3=None, X=None):
    W = [None, d["W"][1] if W1 is None else W1, d["W"][2], d["W"][3] if W3 is None else W3]
    b = [None, d["b"][1] if b1 is None else b1, d["b"][2], d["b"][3]]
    A = d["X"] if X is None else X
    for ell in (1, 2, 3):
        Z = W[ell] @ A + b[ell]
        A = np.maximum(Z, 0) if ell < 3 else P.softmax(Z, axis=0)
    return ce(A, d["Y"]) / d["X"].shape[1]


@pytest.mark.parametrize("engine", ENGINES)
def test_park_nets_against_finite_differences(engine) -> None:
    d = _park_smooth()
    r = (P.value_net if engine == "Value" else P.tensor_net)(d)
    assert np.allclose(r["dW"][1], fd_grad(lambda a: _park_J(d, W1=a), d["W"][1]), atol=1e-8)
    assert np.allclose(r["db"][1], fd_grad(lambda a: _park_J(d, b1=a), d["b"][1]), atol=1e-8)
    assert np.allclose(r["dW"][3], fd_grad(lambda a: _park_J(d, W3=a), d["W"][3]), atol=1e-8)
    assert np.allclose(r["dA"][0], fd_grad(lambda a: _park_J(d, X=a), d["X"]), atol=1e-8)
    c = r["code3"]
    X3, y3 = d["X3"], d["y3"]
    J3 = lambda W, b: float(((W @ X3 + b - y3) ** 2).sum() / (2 * X3.shape[1]))
    assert np.allclose(c[0], fd_grad(lambda a: J3(a, d["b3"]), d["W3"]), atol=1e-8)


@pytest.mark.parametrize("engine", ENGINES)
def test_park_relu_prime_at_zero_is_the_right_derivative(engine) -> None:
    """At the planted z = 0, Park's relu'(0) = 1 is the one-sided derivative from the right (relu_eps's
    choice): db[1][2] equals the forward difference, not the backward one."""
    d = P.data()
    r = (P.value_net if engine == "Value" else P.tensor_net)(d)
    assert P.forward(d, d["X"])[0][1][2, 0] == 0.0
    h = 1e-7

    def Jb(shift):
        b1 = d["b"][1].copy()
        b1[2, 0] += shift
        return _park_J(d, b1=b1)

    forward_diff, backward_diff = (Jb(h) - Jb(0)) / h, (Jb(0) - Jb(-h)) / h
    assert abs(r["db"][1][2, 0] - forward_diff) < 1e-5
    assert abs(r["db"][1][2, 0] - backward_diff) > 1e-3


@pytest.mark.parametrize("engine", ENGINES)
def test_cs229_nets_against_finite_differences(engine) -> None:
    d = S.data()
    r = (S.value_net if engine == "Value" else S.tensor_net)(d)

    def J(W1=d["W1"], b1=d["b1"], W2=d["W2"], b2=d["b2"]):
        return ce(S.forward(d["x"], W1, b1, W2, b2)["y_hat"], d["y"])

    for k, arg in (("dW1", "W1"), ("db1", "b1"), ("dW2", "W2"), ("db2", "b2")):
        assert np.allclose(r[k], fd_grad(lambda a, arg=arg: J(**{arg: a}), d[arg]), atol=1e-8), k
    Y = np.eye(3)[d["labels"]]
    JB = lambda W1: ce(S.softmax(S.sigmoid(d["X"] @ W1 + d["b1"][:, 0]) @ d["W2"] + d["b2"][:, 0], axis=1), Y) / len(Y)
    assert np.allclose(r["batch"]["dW1"], fd_grad(JB, d["W1"]), atol=1e-8)


def test_iris_gradients_with_nested_values() -> None:
    X, Y = B.iris_data()
    w1, w2 = B.weights(1)
    W1, W2 = dn.values(w1), dn.values(w2)
    r = dn.bondartsov_iris_gradients((W1, W2), X, Y)
    assert r.passed() and r.max_abs_diff_eq8 < 1e-12 and r.max_abs_diff_eq14 < 1e-12
    assert np.array_equal(dn.grads(W1), r.grad_w1)  # the parameters hold the gradients
    r2 = dn.bondartsov_iris_gradients((W1, W2), X, Y)  # zeroed first: no accumulation
    assert np.array_equal(r2.grad_w1, r.grad_w1)
    assert np.allclose(r.grad_w2, fd_grad(lambda w: B.cost(w1, w, X, Y), w2), atol=1e-8)


def test_iris_gradients_with_nn_mlp() -> None:
    from micrograd_ext.nets import neurons as nn
    X, Y = B.iris_data()
    net = nn.MLP(4, [8, 3], activation="sigmoid", weighted_sum=True, seed=0)
    r = dn.bondartsov_iris_gradients(net, X, Y)
    assert r.passed() and r.grad_w1.shape == (8, 5) and r.grad_w2.shape == (3, 9)
    w1, w2 = ([[n.b.data] + [w.data for w in n.w] for n in layer.neurons] for layer in net.layers)
    assert np.array_equal(r.eq14, B.grad_w1(np.array(w1), np.array(w2), X, Y))
    assert np.array_equal(r.grad_w2, [[n.b.grad] + [w.grad for w in n.w] for n in net.layers[1].neurons])
    with pytest.raises(ValueError, match="sigmoid"):
        dn.bondartsov_iris_gradients(nn.MLP(4, [8, 3], seed=0), X, Y)


def test_iris_gradients_rejects_bad_shapes() -> None:
    X, Y = B.iris_data()
    w1, w2 = B.weights(0)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        dn.bondartsov_iris_gradients((dn.values(w1), dn.values(w2)), X[:, :3], Y)
    with pytest.raises(ValueError, match="8 x 5"):
        dn.bondartsov_iris_gradients((dn.values(w2), dn.values(w2)), X, Y)


def test_planted_zero_preactivations() -> None:
    d = C.data()
    assert float(d["W"][2] @ d["x"][:, 0] + d["b1"][2, 0]) == 0.0
    p = P.data()
    assert float(p["W"][1][2] @ p["X"][:, 0] + p["b"][1][2, 0]) == 0.0


def test_old_docnets_names() -> None:
    assert set(dn.BUILDS) == {"cs224n", "rosenberg", "park", "cs229"}
    assert dn.bondartsov_value is B.value_net and dn.park_data is P.data and dn.iris_data is B.iris_data
