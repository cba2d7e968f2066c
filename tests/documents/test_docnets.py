"""micrograd_ext.docnets: the documents' nets, the iris data, and the tour's bondartsov_iris_gradients."""

from __future__ import annotations

import numpy as np
import pytest
from fdiff import fd_grad

from micrograd_ext.documents import closed_form as cf
from micrograd_ext.documents import docnets as dn


def test_iris_data_is_the_real_data_set() -> None:
    X, Y = dn.iris_data()
    assert X.shape == (150, 4) and Y.shape == (150, 3)
    assert np.array_equal(Y.sum(axis=0), [50, 50, 50])
    assert np.allclose(X[0], [5.1, 3.5, 1.4, 0.2])  # Fisher's first setosa
    assert np.allclose(X.mean(axis=0), [5.8433, 3.0573, 3.7580, 1.1993], atol=1e-3)


def test_bondartsov_nets_against_finite_differences_of_eq1() -> None:
    X, Y = dn.iris_data()
    X, Y = X[::10], Y[::10]
    w1, w2 = dn.bondartsov_weights(3)

    def cost(a1, a2):
        return cf.bondartsov_cost_eq1(cf.bondartsov_forward(a1, a2, X)["a2"], Y.T)

    g1 = fd_grad(lambda w: cost(w, w2), w1)
    g2 = fd_grad(lambda w: cost(w1, w), w2)
    for build in (dn.bondartsov_value, dn.bondartsov_tensor):
        r = build(w1, w2, X, Y, jacobians=False)
        assert np.isclose(float(r["C"]), cost(w1, w2), rtol=1e-13)
        assert np.allclose(r["dC/dw1"], g1, atol=1e-8) and np.allclose(r["dC/dw2"], g2, atol=1e-8)


def test_iris_gradients_with_nested_values() -> None:
    X, Y = dn.iris_data()
    w1, w2 = dn.bondartsov_weights(1)
    W1, W2 = dn.values(w1), dn.values(w2)
    r = dn.bondartsov_iris_gradients((W1, W2), X, Y)
    assert r.passed() and r.max_abs_diff_eq8 < 1e-12 and r.max_abs_diff_eq14 < 1e-12
    assert np.array_equal(dn.grads(W1), r.grad_w1)  # the parameters hold the gradients
    r2 = dn.bondartsov_iris_gradients((W1, W2), X, Y)  # zeroed first: no accumulation
    assert np.array_equal(r2.grad_w1, r.grad_w1)


def test_iris_gradients_with_nn_mlp() -> None:
    from micrograd_ext.nets import neurons as nn
    X, Y = dn.iris_data()
    net = nn.MLP(4, [8, 3], activation="sigmoid", weighted_sum=True, seed=0)
    r = dn.bondartsov_iris_gradients(net, X, Y)
    assert r.passed() and r.grad_w1.shape == (8, 5) and r.grad_w2.shape == (3, 9)
    w1, w2 = ([[n.b.data] + [w.data for w in n.w] for n in layer.neurons] for layer in net.layers)
    assert np.array_equal(r.eq14, cf.bondartsov_grad_w1(np.array(w1), np.array(w2), X, Y))
    assert np.array_equal(r.grad_w2, [[n.b.grad] + [w.grad for w in n.w] for n in net.layers[1].neurons])
    with pytest.raises(ValueError, match="sigmoid"):
        dn.bondartsov_iris_gradients(nn.MLP(4, [8, 3], seed=0), X, Y)


def test_iris_gradients_rejects_bad_shapes() -> None:
    X, Y = dn.iris_data()
    w1, w2 = dn.bondartsov_weights(0)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        dn.bondartsov_iris_gradients((dn.values(w1), dn.values(w2)), X[:, :3], Y)
    with pytest.raises(ValueError, match="8 x 5"):
        dn.bondartsov_iris_gradients((dn.values(w2), dn.values(w2)), X, Y)


def test_planted_zero_preactivations() -> None:
    d = dn.cs224n_data()
    assert float(d["W"][2] @ d["x"][:, 0] + d["b1"][2, 0]) == 0.0
    p = dn.park_data()
    assert float(p["W"][1][2] @ p["X"][:, 0] + p["b"][1][2, 0]) == 0.0


def test_park_relu_convention_changes_db1() -> None:
    """With PyTorch's relu'(0) = 0 the gradient of b[1] differs from Park's Code 4 at the planted zero."""
    p = dn.park_data()
    dW, db = cf.park_code4(p["X"], p["Y"], p["W"], p["b"])
    r = dn.park_tensor(p)
    assert np.allclose(r["db"][1], db[1], atol=1e-14)
    from micrograd_ext.core.tensor import Tensor

    Ws = [Tensor(p["W"][k], requires_grad=True) for k in (1, 2, 3)]
    bs = [Tensor(p["b"][k], requires_grad=True) for k in (1, 2, 3)]
    A = Tensor(p["X"])
    for k in range(3):
        Z = Ws[k] @ A + bs[k]
        A = Z.relu() if k < 2 else Z.softmax(axis=0)
    (-(A.log() * Tensor(p["Y"])).sum() / p["X"].shape[1]).backward()
    assert not np.allclose(bs[0].grad, db[1], atol=1e-10)


@pytest.mark.parametrize("name", list(dn.BUILDS))
def test_value_and_tensor_builds_agree(name: str) -> None:
    d = getattr(dn, f"{name}_data")()
    fv, ft = dn.BUILDS[name]
    rv, rt = fv(d), ft(d)

    def walk(a, b):
        if isinstance(a, dict):
            for k in a:
                walk(a[k], b[k])
        elif isinstance(a, (list, tuple)):
            for x, y in zip(a, b):
                if x is not None:
                    walk(x, y)
        else:
            a, b = np.asarray(a), np.asarray(b)
            assert a.shape == b.shape
            assert np.allclose(a, b, rtol=1e-10, atol=1e-12)

    walk(rv, rt)
