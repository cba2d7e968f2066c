"""Engine behaviours found while writing the higher-order lessons, now fixed: the functional API
records its graphs inside ``no_grad()``, ``gradgradcheck`` takes closures as ``gradcheck`` does, and
the graph-mode ``bce`` rule keeps the numeric rule's clamp (a saturated sigmoid stays finite).
"""

from __future__ import annotations

import numpy as np
import pytest

from micrograd_ext import Tensor, Value, grad
from micrograd_ext.core.gradcheck import gradcheck, gradgradcheck
from micrograd_ext.nets.tensor_nn import bce_loss


def test_gradgradcheck_accepts_a_closure_over_the_parameters_as_gradcheck_does():
    w, b = Value(0.7, label="w"), Value(-0.2, label="b")
    x = 1.5

    def loss() -> Value:  # a closure over a model, inputs=model.parameters(): gradcheck's documented use
        return (w * x + b).tanh() ** 2

    assert gradcheck(loss, [w, b]).ok
    assert gradgradcheck(loss, [w, b], tol=1e-5).ok


def _saturated():
    z = Tensor(np.array([[40.0, -40.0]]), requires_grad=True)  # sigmoid(40) == 1.0 exactly in float64
    loss = bce_loss(z.sigmoid(), np.array([[0.0, 1.0]]), reduction="sum")
    return z, loss


def test_saturated_bce_plain_backward_is_finite():
    """The reference for the test below: plain backward clamps a(1 - a) at 1e-12, as PyTorch's BCELoss."""
    z, loss = _saturated()
    (g,) = grad(loss, [z])
    assert np.all(np.isfinite(g))


def test_saturated_bce_in_create_graph_mode_is_finite_or_names_bce():
    z, loss = _saturated()
    try:
        (g,) = grad(loss, [z], create_graph=True)
    except ZeroDivisionError as e:  # acceptable if the message says where and why
        assert "bce" in str(e) and "create_graph" in str(e), str(e)
    else:
        np.testing.assert_allclose(g.data, grad(loss, [z])[0], rtol=1e-6, atol=1e-12)


def _right_or_refused(fn, want):
    """``fn()`` equals ``want``, or raises an error that names no_grad (either is acceptable; zeros are not)."""
    try:
        got = fn()
    except (RuntimeError, ValueError) as e:
        assert "no_grad" in str(e), str(e)
        return
    np.testing.assert_allclose(np.asarray(got, dtype=float), want, rtol=1e-12)


@pytest.mark.parametrize("what", ["hessian Value", "hessian Tensor", "hvp", "jvp"])
def test_hessian_hvp_jvp_inside_no_grad_are_not_silently_zero(what):
    from micrograd_ext import hessian, hvp, jvp, no_grad

    calls = {
        "hessian Value": (lambda: hessian(lambda a: a**3, [Value(2.0)]), [[12.0]]),
        "hessian Tensor": (lambda: hessian(lambda a: (a**3).sum(), Tensor([2.0], requires_grad=True)), [[12.0]]),
        "hvp": (lambda: hvp(lambda a: a**3, [Value(2.0)], [1.0]), [12.0]),
        "jvp": (lambda: jvp(lambda a: a**3, [Value(2.0)], [1.0])[1], 12.0),
    }
    fn, want = calls[what]
    with no_grad():
        _right_or_refused(fn, want)


def test_create_graph_inside_no_grad_still_records_the_derivative_graph():
    from micrograd_ext import no_grad

    x = Value(2.0)
    y = x**3  # the graph is recorded outside the block
    with no_grad():
        (g,) = grad(y, [x], create_graph=True)
    _right_or_refused(lambda: grad(g, [x], allow_unused=True), [12.0])
