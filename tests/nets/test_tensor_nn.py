"""Matrix layers: closed forms, the neuron-by-neuron net at the scalar level, losses, optimizers, state."""

from __future__ import annotations

import numpy as np
import pytest

from micrograd_ext.core.tensor import Tensor
from micrograd_ext.engine import Value
from micrograd_ext.nets.tensor_nn import (
    MLP,
    Identity,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    bce_loss,
    cross_entropy,
    mse_loss,
)

RNG = np.random.default_rng(7)


def test_linear_is_x_wT_plus_b_pytorch_layout():
    lin = Linear(3, 2, seed=0)
    assert lin.weight.shape == (2, 3) and lin.bias.shape == (2,)
    k = 1 / np.sqrt(3)
    assert np.all(np.abs(lin.weight.data) <= k) and np.all(np.abs(lin.bias.data) <= k)
    X = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(lin(Tensor(X)).data, X @ lin.weight.data.T + lin.bias.data, rtol=1e-15)
    np.testing.assert_allclose(lin(X[0]).data, lin.weight.data @ X[0] + lin.bias.data, rtol=1e-15)
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    assert Linear(3, 2, bias=False).parameters()[0].shape == (2, 3) and len(Linear(3, 2, bias=False).parameters()) == 1
    with pytest.raises(ValueError, match=r"'linear'.*\(5, 4\).*\(2, 3\)"):
        lin(Tensor(np.ones((5, 4))))


def test_sequential_and_activation_modules():
    net = Sequential(Linear(2, 4, seed=1), ReLU(), Linear(4, 3, seed=2), Tanh(), Identity(), Sigmoid())
    X = RNG.standard_normal((6, 2))
    l1, l2 = net[0], net[2]
    h = np.maximum(X @ l1.weight.data.T + l1.bias.data, 0)
    expected = 1 / (1 + np.exp(-np.tanh(h @ l2.weight.data.T + l2.bias.data)))
    np.testing.assert_allclose(net(Tensor(X)).data, expected, rtol=1e-14)
    assert len(net) == 6
    # torch.nn.Sequential's names: the position of each module (issue 13)
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = Tensor([-1.0, 0.0, 1.0], requires_grad=True)
    ReLU(grad_at_zero=1.0)(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0])


def test_mlp_backward_equals_closed_form_park():
    # Park, Theorem 5.4 in row layout: dZ2 = (P - Y)/N, dW2 = dZ2^T A1, db2 = dZ2^T 1,
    # dA1 = dZ2 W2, dZ1 = dA1 * relu'(Z1), dW1 = dZ1^T X, db1 = dZ1^T 1
    net = MLP(4, [5, 3], seed=3)
    X, y = RNG.standard_normal((7, 4)), RNG.integers(0, 3, 7)
    cross_entropy(net(Tensor(X)), y).backward()
    (W1, b1), (W2, b2) = [(lay.weight.data, lay.bias.data) for lay in net.layers]
    Z1 = X @ W1.T + b1
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ W2.T + b2
    P = np.exp(Z2 - Z2.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    dZ2 = (P - np.eye(3)[y]) / 7
    dZ1 = (dZ2 @ W2) * (Z1 > 0)
    for got, want in [(net.layers[1].weight.grad, dZ2.T @ A1), (net.layers[1].bias.grad, dZ2.sum(0)),
                      (net.layers[0].weight.grad, dZ1.T @ X), (net.layers[0].bias.grad, dZ1.sum(0))]:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def _scalar_forward(net: MLP, x: list[float]) -> list[Value]:
    """The same network neuron by neuron with Value (an independent scalar computation)."""
    ws = [[[Value(float(w)) for w in row] for row in lay.weight.data] for lay in net.layers]
    bs = [[Value(float(b)) for b in lay.bias.data] for lay in net.layers]
    a: list = [Value(v) for v in x]
    for W, B, act in zip(ws, bs, net.activations):
        z = [sum((wi * ai for wi, ai in zip(row, a)), b) for row, b in zip(W, B)]
        a = [{"relu": zi.relu(), "tanh": zi.tanh(), "sigmoid": zi.sigmoid(), "linear": zi}[act] for zi in z]
    return a, ws, bs


@pytest.mark.parametrize("activation", [None, "tanh", ["sigmoid", "sigmoid"]], ids=str)
def test_matrix_mlp_gradients_equal_value_neuron_by_neuron(activation):
    net = MLP(3, [4, 2], activation=activation, seed=5)
    X, Yt = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))
    mse_loss(net(Tensor(X)), Yt, reduction="batchmean").backward()
    # scalar side: the same per-sample losses, summed and divided by N
    grads_w = [np.zeros_like(lay.weight.data) for lay in net.layers]
    grads_b = [np.zeros_like(lay.bias.data) for lay in net.layers]
    for xn, yn in zip(X, Yt):
        out, ws, bs = _scalar_forward(net, list(xn))
        loss = sum(((o - t) ** 2 for o, t in zip(out, yn)), Value(0.0)) * (1 / 5)
        loss.backward()
        for k in range(2):
            grads_w[k] += [[w.grad for w in row] for row in ws[k]]
            grads_b[k] += [b.grad for b in bs[k]]
    for k, lay in enumerate(net.layers):
        np.testing.assert_allclose(lay.weight.grad, grads_w[k], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(lay.bias.grad, grads_b[k], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("weighted_sum", [False, True])
def test_from_scalar_to_scalar_and_equal_gradients(weighted_sum):
    from micrograd_ext.nets import neurons as nn
    snet = nn.MLP(3, [4, 4, 2], activation=["tanh", "relu", "linear"], seed=11, weighted_sum=weighted_sum)
    tnet = MLP.from_scalar(snet)
    assert tnet.sizes == [3, 4, 4, 2] and tnet.activations == ["tanh", "relu", "linear"]
    for lay, slay in zip(tnet.layers, snet.layers):
        for i, n in enumerate(slay.neurons):
            assert list(lay.weight.data[i]) == [w.data for w in n.w] and lay.bias.data[i] == n.b.data
    X = RNG.standard_normal((6, 3))
    y = RNG.integers(0, 2, 6)
    # scalar: per-sample softmax cross-entropy, each scaled by 1/N, summed (one xent node per sample)
    loss_s = Value.sum([Value.nary("xent", snet(list(map(float, x))), target=int(k), scale=1 / 6) for x, k in zip(X, y)])
    loss_s.backward()
    loss_t = cross_entropy(tnet(Tensor(X)), y)
    loss_t.backward()
    assert loss_t.item() == pytest.approx(loss_s.data, rel=1e-12)
    for lay, slay in zip(tnet.layers, snet.layers):
        gw = np.array([[w.grad for w in n.w] for n in slay.neurons])
        gb = np.array([n.b.grad for n in slay.neurons])
        np.testing.assert_allclose(lay.weight.grad, gw, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(lay.bias.grad, gb, rtol=1e-12, atol=1e-12)
    # and back: the matrix weights, changed, go into a new scalar net
    for p in tnet.parameters():
        p.data = p.data * 0.5
    back = tnet.to_scalar(weighted_sum=weighted_sum)
    for lay, slay in zip(tnet.layers, back.layers):
        for i, n in enumerate(slay.neurons):
            assert [w.data for w in n.w] == list(lay.weight.data[i]) and n.b.data == lay.bias.data[i]
            assert n.activation == tnet.activations[tnet.layers.index(lay)]
    x0 = list(map(float, X[0]))
    np.testing.assert_allclose([v.data for v in back(x0)], tnet(X[0]).data, rtol=1e-13)


def test_losses_closed_forms_and_reductions():
    P = RNG.uniform(0.05, 0.95, (4, 3))
    Y = (RNG.random((4, 3)) > 0.5).astype(float)
    terms = -(Y * np.log(P) + (1 - Y) * np.log(1 - P))
    for red, want in [("mean", terms.mean()), ("sum", terms.sum()), ("batchmean", terms.sum() / 4)]:
        assert bce_loss(Tensor(P), Y, reduction=red).item() == pytest.approx(want, rel=1e-14)
    A = RNG.standard_normal((4, 3))
    for red, want in [("mean", ((A - Y) ** 2).mean()), ("sum", ((A - Y) ** 2).sum()), ("batchmean", ((A - Y) ** 2).sum() / 4)]:
        assert mse_loss(Tensor(A), Y, reduction=red).item() == pytest.approx(want, rel=1e-14)
    a = Tensor(A, requires_grad=True)
    mse_loss(a, Y).backward()
    np.testing.assert_allclose(a.grad, 2 * (A - Y) / 12, rtol=1e-14)
    with pytest.raises(ValueError, match="reduction"):
        mse_loss(Tensor(A), Y, reduction="avg")
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        bce_loss(Tensor(P), np.ones(3))


def test_saturated_sigmoid_bce_is_finite():
    z = Tensor([[40.0, -40.0]], requires_grad=True)
    loss = bce_loss(z.sigmoid(), [[0.0, 1.0]], reduction="sum")
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(z.grad).all()


def test_training_reduces_the_loss_and_state_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)  # XOR of signs: needs the hidden layer
    net = MLP(2, [16, 2], activation=["tanh", "linear"], seed=0)
    Xt = Tensor(X)
    first = None
    for _ in range(300):
        net.zero_grad()
        loss = cross_entropy(net(Xt), y)
        loss.backward()
        for p in net.parameters():
            p.data -= 0.5 * p.grad
        first = loss.item() if first is None else first
    assert loss.item() < 0.5 * first
    acc = (net(Xt).data.argmax(1) == y).mean()
    assert acc > 0.9
    path = tmp_path / "net.npz"
    net.save(path)
    other = MLP(2, [16, 2], activation=["tanh", "linear"], seed=1)
    other.load(path)
    np.testing.assert_array_equal(other(Xt).data, net(Xt).data)


def test_zero_grad_sets_none():
    net = MLP(2, [3, 1], seed=0)
    net(Tensor(np.ones((4, 2)))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_optimizers_work_unchanged_on_tensor_parameters():
    from micrograd_ext.nets import optim
    X, y = RNG.standard_normal((8, 3)), RNG.integers(0, 2, 8)
    for make in (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps, lr=0.01)):
        net = MLP(3, [4, 2], seed=2)
        before = [p.data.copy() for p in net.parameters()]
        opt = make(net.parameters())
        opt.zero_grad()
        cross_entropy(net(Tensor(X)), y).backward()
        grads = [p.grad.copy() for p in net.parameters()]
        opt.step()
        for p, b, g in zip(net.parameters(), before, grads):
            assert isinstance(p.data, np.ndarray) and p.data.shape == b.shape
            if isinstance(opt, optim.SGD):  # first step with momentum: v = g, p -= lr v
                np.testing.assert_allclose(p.data, b - 0.1 * g, rtol=1e-14)
            else:  # Adam's first step moves each weight by lr * g / (|g| + eps')
                np.testing.assert_allclose(p.data, b - 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-6)
        # a parameter without a gradient is skipped
        extra = Tensor(np.ones(2), requires_grad=True)
        opt2 = make([extra])
        opt2.step()
        np.testing.assert_array_equal(extra.data, np.ones(2))
