"""micrograd's own example code runs on micrograd_ext with only the import changed.

Oracles: the numbers micrograd's README publishes (24.7041, 138.8338, 645.5773, which
micrograd checks against PyTorch), and the PyPI ``micrograd`` package itself running
the same code (its demo notebook's training loop, step by step).
"""

from __future__ import annotations

import random
import types

import pytest


def readme_example(Value: type) -> tuple[float, float, float]:
    """micrograd README, "Example usage", verbatim apart from the prints."""
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g.data, a.grad, b.grad


def test_readme_value_example_gives_the_published_numbers():
    from micrograd_ext.engine import Value

    g, ga, gb = readme_example(Value)
    assert f"{g:.4f}" == "24.7041"  # "prints 24.7041, the outcome of this forward pass"
    assert f"{ga:.4f}" == "138.8338"  # "the numeric value of dg/da"
    assert f"{gb:.4f}" == "645.5773"  # "the numeric value of dg/db"


def test_readme_value_example_equals_micrograd_package():
    mg = pytest.importorskip("micrograd.engine")
    from micrograd_ext.engine import Value

    ours, ref = readme_example(Value), readme_example(mg.Value)
    assert ours[0] == ref[0]  # same operations in the same order: the same float
    assert ours[1] == pytest.approx(ref[1], rel=1e-14)
    assert ours[2] == pytest.approx(ref[2], rel=1e-14)


def test_readme_nn_example():
    """micrograd README, "Tracing / visualization": a 2-input neuron on [1, -2]."""
    from micrograd_ext.engine import Value
    from micrograd_ext.nets import neurons as nn

    random.seed(0)
    n = nn.Neuron(2)
    x = [Value(1.0), Value(-2.0)]
    y = n(x)
    assert repr(n) == "ReLUNeuron(2)"
    w1, w2 = n.w[0].data, n.w[1].data
    assert y.data == max(0.0, 0.0 + w1 * 1.0 + w2 * -2.0)
    y.backward()
    on = y.data > 0
    assert [p.grad for p in n.parameters()] == ([1.0, -2.0, 1.0] if on else [0.0, 0.0, 0.0])
    assert [v.grad for v in x] == ([w1, w2] if on else [0.0, 0.0])


def demo_training(engine: types.ModuleType, nn: types.ModuleType, X: list, y: list, steps: int) -> tuple:
    """micrograd's demo.ipynb (model, loss(), and the optimisation loop), on the given modules."""
    Value = engine.Value
    random.seed(1337)
    model = nn.MLP(2, [8, 8, 1])

    def loss():
        Xb, yb = X, y
        inputs = [list(map(Value, xrow)) for xrow in Xb]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    history = []
    for k in range(steps):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((total_loss.data, acc))
    return history, [p.data for p in model.parameters()], repr(model)


def test_demo_notebook_training_matches_micrograd_package():
    mg_engine = pytest.importorskip("micrograd.engine")
    mg_nn = pytest.importorskip("micrograd.nn")
    from micrograd_ext import engine, nn
    from micrograd_ext.nets.datasets import make_moons

    X, y = make_moons(20, noise=0.1, seed=0, signed=True)
    X = [[float(a), float(b)] for a, b in X]
    y = [float(v) for v in y]
    ours = demo_training(engine, nn, X, y, steps=8)
    ref = demo_training(mg_engine, mg_nn, X, y, steps=8)
    assert ours[2] == ref[2]
    assert ours[0][0] == ref[0][0]  # the first loss: same weights, same forward order, same float
    for (lo, ao), (lr, ar) in zip(ours[0], ref[0]):
        assert lo == pytest.approx(lr, rel=1e-10) and ao == ar
    assert ours[1] == pytest.approx(ref[1], rel=1e-9, abs=1e-12)


def test_losses_max_margin_is_the_demo_loss_node_for_node():
    mg_engine = pytest.importorskip("micrograd.engine")
    from micrograd_ext.engine import Value
    from micrograd_ext.nets.losses import max_margin

    scores = [0.3, -1.2, 2.5, 0.9]
    labels = [1.0, -1.0, -1.0, 1.0]
    params = [0.5, -0.25, 1.5]
    ps = [Value(p) for p in params]
    ours = max_margin([Value(s) for s in scores], labels, alpha=1e-4, params=ps)
    MV = mg_engine.Value
    mps = [MV(p) for p in params]
    losses = [(1 + -yi * MV(si)).relu() for yi, si in zip(labels, scores)]
    ref = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in mps)
    assert ours.data == ref.data
    ours.backward()
    ref.backward()
    assert [p.grad for p in ps] == [p.grad for p in mps]
