"""SGD and Adam against PyTorch's update formulas, written out independently (closed forms where they exist)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from micrograd_ext.engine import Value
from micrograd_ext.nets.optim import SGD, Adam


def run(opt_cls, p0: float, grads: list[float], **kw) -> list[float]:
    p = Value(p0)
    opt = opt_cls([p], **kw)
    out = []
    for g in grads:
        p.grad = g
        opt.step()
        out.append(p.data)
    return out


def test_sgd_plain_is_p_minus_lr_grad():
    assert run(SGD, 1.0, [0.5, -2.0], lr=0.1) == pytest.approx([1.0 - 0.05, 1.0 - 0.05 + 0.2], rel=1e-15)


def test_sgd_momentum_closed_form_for_a_constant_gradient():
    """PyTorch: b_1 = g, b_t = mu b_{t-1} + g, so b_t = g (1 - mu^t) / (1 - mu); p_T = p_0 - lr sum_t b_t."""
    mu, lr, g, T = 0.9, 0.05, 1.5, 6
    got = run(SGD, 2.0, [g] * T, lr=lr, momentum=mu)
    want = [2.0 - lr * g * sum((1 - mu**t) / (1 - mu) for t in range(1, k + 1)) for k in range(1, T + 1)]
    assert got == pytest.approx(want, rel=1e-13)


def test_sgd_momentum_weight_decay_dampening_nesterov_by_hand():
    mu, lr, wd, tau = 0.5, 0.1, 0.01, 0.25
    g1, g2 = 1.0, -3.0
    p = 2.0
    # step 1: d = g + wd p; buffer = d (no dampening on the first step)
    d1 = g1 + wd * p
    b1 = d1
    p1 = p - lr * b1
    # step 2: buffer = mu b + (1 - tau) d
    d2 = g2 + wd * p1
    b2 = mu * b1 + (1 - tau) * d2
    p2 = p1 - lr * b2
    assert run(SGD, 2.0, [g1, g2], lr=lr, momentum=mu, weight_decay=wd, dampening=tau) == pytest.approx([p1, p2], rel=1e-14)
    # nesterov: the step uses g + mu b
    q1 = 2.0 - lr * (g1 + mu * g1)
    bb2 = mu * g1 + g2
    q2 = q1 - lr * (g2 + mu * bb2)
    assert run(SGD, 2.0, [g1, g2], lr=lr, momentum=mu, nesterov=True) == pytest.approx([q1, q2], rel=1e-14)


def test_adam_closed_form():
    """m_t = (1-b1) sum_i b1^(t-i) g_i, v_t likewise with g^2; p_t = p_{t-1} - lr m_t/(1-b1^t) / (sqrt(v_t/(1-b2^t)) + eps)."""
    b1, b2, lr, eps = 0.8, 0.99, 0.01, 1e-8
    gs = [0.3, -1.0, 2.0, 0.5]
    p = 1.0
    want = []
    for t in range(1, len(gs) + 1):
        m = (1 - b1) * sum(b1 ** (t - i) * gs[i - 1] for i in range(1, t + 1))
        v = (1 - b2) * sum(b2 ** (t - i) * gs[i - 1] ** 2 for i in range(1, t + 1))
        p = p - lr * (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps)
        want.append(p)
    assert run(Adam, 1.0, gs, lr=lr, betas=(b1, b2), eps=eps) == pytest.approx(want, rel=1e-13)


def test_adam_first_step_is_lr_times_sign():
    got = run(Adam, 0.0, [-123.0], lr=0.05)
    assert got[0] == pytest.approx(0.05, rel=1e-9)  # m^ / sqrt(v^) = g / |g|


def test_adam_weight_decay_adds_lambda_p_to_the_gradient():
    a = run(Adam, 2.0, [0.5, 0.5], lr=0.1, weight_decay=0.1)
    p = Value(2.0)
    opt = Adam([p], lr=0.1)
    ref = []
    for _ in range(2):
        p.grad = 0.5 + 0.1 * p.data
        opt.step()
        ref.append(p.data)
    assert a == ref


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
                                  lambda ps: Adam(ps, lr=0.1, weight_decay=0.01)])
def test_tensor_parameters_update_in_place_elementwise_like_values(make):
    from micrograd_ext.core import tensor
    data = np.array([[0.5, -1.0], [2.0, 0.0]])
    t = tensor.Tensor(data.copy(), requires_grad=True)
    arr = t.data
    vals = [Value(v) for v in data.ravel()]
    opt_t, opt_v = make([t]), make(vals)
    rng = np.random.default_rng(0)
    for _ in range(3):
        g = rng.normal(size=(2, 2))
        t.grad = g.copy()
        for v, gv in zip(vals, g.ravel()):
            v.grad = float(gv)
        opt_t.step()
        opt_v.step()
    assert t.data is arr  # in place
    assert t.data.ravel() == pytest.approx([v.data for v in vals], rel=1e-14)


def test_none_grad_is_skipped_and_zero_grad():
    from micrograd_ext.core import tensor
    t = tensor.Tensor(np.ones(3), requires_grad=True)
    v = Value(1.0)
    opt = Adam([t, v], lr=0.1)
    v.grad = 1.0
    t.grad = None
    opt.step()
    assert list(t.data) == [1.0, 1.0, 1.0] and v.data != 1.0
    assert "step" not in opt.state[0] and opt.state[1]["step"] == 1
    opt.zero_grad()
    assert t.grad is None and v.grad == 0.0


def test_training_a_value_quadratic_converges():
    x = Value(5.0)
    opt = SGD([x], lr=0.1, momentum=0.5)
    for _ in range(100):
        opt.zero_grad()
        loss = (x - 2.0) ** 2
        loss.backward()
        opt.step()
    assert x.data == pytest.approx(2.0, abs=1e-8)


def test_lr_can_change_between_steps():
    p = Value(1.0)
    opt = SGD([p], lr=1.0)
    p.grad = 1.0
    opt.step()
    opt.lr = 0.5
    opt.step()
    assert p.data == 1.0 - 1.0 - 0.5


def test_bad_arguments():
    from micrograd_ext.nets.neurons import MLP

    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="lr = -1"):
        SGD([Value(1.0)], lr=-1)
    with pytest.raises(TypeError, match=r"model.parameters\(\)"):
        Adam(MLP(2, [1], seed=0))
    with pytest.raises(TypeError, match="parameter 1 is a float"):
        SGD([Value(1.0), 2.0], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        p = Value(1.0)
        SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match=r"betas\[1\] = 1"):
        Adam([Value(1.0)], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="nesterov"):
        SGD([Value(1.0)], lr=0.1, nesterov=True)
