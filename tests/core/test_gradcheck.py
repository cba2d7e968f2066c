"""gradcheck: agrees on correct rules, catches a wrong one, reports per input, leaves inputs as they were."""

from __future__ import annotations

import math

import pytest

from micrograd_ext.core.gradcheck import gradcheck, relative_error
from micrograd_ext.core.ops import OPS, define_op
from micrograd_ext.engine import Value


def f(a: Value, b: Value, c: Value) -> Value:
    return (a * b).tanh() + (a / c).exp() - b.sigmoid().log() + (c**3 - a).relu() * b


def test_passes_on_a_smooth_function_and_reports_rows():
    xs = [Value(0.3, label="a"), Value(-1.2, label="b"), Value(0.9, label="c")]
    rep = gradcheck(f, xs)
    assert rep.ok and bool(rep)
    assert rep.max_rel_error < 1e-8
    assert [r.label for r in rep.rows] == ["a", "b", "c"]
    # the numeric column is an independent central difference computed here by hand for input b
    h = 1e-5
    num_b = (f(Value(0.3), Value(-1.2 + h), Value(0.9)).data - f(Value(0.3), Value(-1.2 - h), Value(0.9)).data) / (2 * h)
    assert rep.rows[1].numeric == pytest.approx(num_b, rel=1e-6)
    assert rep.rows[1].analytic == pytest.approx(num_b, rel=1e-6)
    assert "PASS" in str(rep) and "b" in rep.table()


def test_catches_a_wrong_local_derivative():
    """A deliberately wrong tanh (derivative 1 - out instead of 1 - out^2) must make the check fail."""
    bad_tanh = define_op("bad_tanh_for_gradcheck", "tanh(a)", "1 - out", replace=True)

    def g(a, b, c):
        return bad_tanh(a * b) + c

    xs = [Value(0.3, label="a"), Value(-1.2, label="b"), Value(0.9, label="c")]
    rep = gradcheck(g, xs)
    assert not rep.ok
    assert rep.max_rel_error > 1e-2
    assert {r.label for r in rep.failures} == {"a", "b"}  # c does not go through the tanh
    assert "FAIL" in str(rep)


def test_catches_a_wrong_wsum_edge(monkeypatch):
    good = OPS["wsum"].local

    def bad_local(P, xs, out):
        g = list(good(P, xs, out))
        g[1] *= 1.01  # d z / d w_1 off by 1 %
        return g

    monkeypatch.setattr(OPS["wsum"], "local", bad_local)
    w = [Value(0.5, label="w1"), Value(-0.3, label="w2")]
    b = Value(0.1, label="w0")
    rep = gradcheck(lambda w1, w2, w0: Value.weighted_sum([w1, w2], [2.0, 3.0], w0).sigmoid(), [*w, b])
    assert not rep.ok and rep.worst.label == "w1"


def test_no_argument_closure_form_and_state_restored():
    from micrograd_ext.nets.neurons import MLP

    m = MLP(2, [3, 1], activation="tanh", seed=0)
    ps = m.parameters()
    for p in ps:
        p.data += 0.05
        p.grad = 7.0
    before = [(p.data, p.grad) for p in ps]
    rep = gradcheck(lambda: (m([0.4, -0.6]) - 1.0) ** 2, ps)
    assert rep.ok and len(rep.rows) == len(ps)
    assert [(p.data, p.grad) for p in ps] == before


def test_relative_error_definition():
    assert relative_error(2.0, 2.0) == 0.0
    assert relative_error(100.0, 101.0) == pytest.approx(1 / 101)
    assert relative_error(1e-9, 2e-9) == pytest.approx(1e-9)  # absolute below 1
    assert relative_error(math.nan, 1.0) == math.inf


def test_bad_arguments():
    a = Value(1.0)
    with pytest.raises(TypeError, match="input 1 is a float"):
        gradcheck(lambda x, y: x, [a, 2.0])
    with pytest.raises(ValueError, match="leaf"):
        gradcheck(lambda x: x, [a * 2])
    with pytest.raises(TypeError, match="returned a float"):
        gradcheck(lambda x: 1.0, [a])
    with pytest.raises(ValueError, match="eps"):
        gradcheck(lambda x: x, [a], eps=0)


def test_tensor_inputs_one_row_per_element_and_a_wrong_op_is_caught() -> None:
    import numpy as np

    from micrograd_ext import Tensor, define_op

    W = Tensor(np.array([[0.3, -0.2], [0.5, 0.1]]), requires_grad=True, label="W")
    x = Tensor(np.array([1.0, -2.0]))
    rep = gradcheck(lambda W: (W @ x).tanh().sum(), [W])
    assert rep.ok and [r.label for r in rep.rows] == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]"]
    bad = define_op("bad_tanh_tensor_gradcheck", "tanh(a)", "1 - out", replace=True)
    rep = gradcheck(lambda W: bad(W @ x).sum(), [W])
    assert not rep.ok and W.grad is None  # the input's grad is left as it was
