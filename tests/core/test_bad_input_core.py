"""Bad input to the engine: clear errors, IEEE results for overflow, nothing silently wrong.

The rows of docs/robustness.md's section "The engine", one test each, and a hypothesis sweep
that feeds random non-numeric and extreme values to every op of the op table, on Value and on
Tensor: each call either returns a number (finite, inf or nan, as IEEE arithmetic gives) or
raises one of the documented errors with a message naming the op.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_ext import Tensor, Value, no_grad
from micrograd_ext.core.ops import OPS, DomainError, NaryOp, Op

# -- the rows -----------------------------------------------------------------------------------


def test_pow_overflow_is_inf_not_an_error() -> None:
    assert (Value(10.0) ** 400).data == math.inf
    assert (Value(2.0) ** 1025).data == math.inf
    assert (Value(10.0) ** Value(400.0)).data == math.inf
    y = Value(10.0) ** 400
    y.backward()  # the local derivative 400 * 10^399 overflows too: inf, as IEEE arithmetic
    assert y._prev[0].grad == math.inf


def test_division_whose_derivative_underflows() -> None:
    a, b = Value(1.0), Value(1e-162)
    (a / b).backward()
    assert a.grad == pytest.approx(1e162) and b.grad == -math.inf  # -1/b^2 is beyond float64: -inf


def test_huge_int_names_value() -> None:
    with pytest.raises(OverflowError, match=r"Value: 1000.*too large for a float64"):
        Value(10**400)
    with pytest.raises(OverflowError, match="operand"):
        Value(1.0) + 10**400


def test_relu_grad_at_zero_is_checked_when_given() -> None:
    with pytest.raises(TypeError, match=r"relu: grad_at_zero='x'"):
        Value(0.0).relu(grad_at_zero="x")
    with pytest.raises(TypeError, match="grad_at_zero"):
        Tensor([0.0]).relu(grad_at_zero=None)
    assert Value(0.0).relu(grad_at_zero=1).local_grads == (1.0,)  # Park (2022)


def test_nary_without_its_parameters() -> None:
    with pytest.raises(TypeError, match=r"Value.nary\('bce'\): missing the parameter\(s\) \['targets'\]"):
        Value.nary("bce", [Value(0.5)])
    with pytest.raises(ValueError, match="not an n-ary op"):
        Value.nary("tanh", [Value(0.5)])


def test_backward_of_a_result_made_under_no_grad_raises() -> None:
    x = Value(2.0)
    with no_grad():
        y = x * 3.0
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()
    t = Tensor([1.0], requires_grad=True)
    with no_grad():
        u = t * 3.0
    with pytest.raises(RuntimeError, match="no_grad"):
        u.backward()


def test_bool_of_a_tensor_is_pytorch_s() -> None:
    with pytest.raises(ValueError, match=r"shape \(2,\).*ambiguous"):
        bool(Tensor([0.0, 0.0]))
    assert bool(Tensor([0.0])) is False and bool(Tensor(2.0)) is True


def test_user_attributes_on_nodes() -> None:
    """micrograd habits: EurekaLabs' micrograd sets _vis_color on nodes, its AdamW p.m and p.v; DeZero x.name."""
    v = Value(1.0)
    v._vis_color = "red"
    v.m, v.v = 0.0, 0.0
    w = v * 2.0
    w.name = "w"
    assert (v._vis_color, v.m, w.name) == ("red", 0.0, "w")
    t = Tensor([1.0])
    t.name = "t"
    assert t.name == "t"
    assert Value(1.0).label == "" and Value(1.0, label="x").label == "x"


# -- the sweep: every op, random bad and extreme inputs ---------------------------------------------

extreme = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-308, 5e-324, 1.7e308, -1.7e308, 10**400, -(10**400), 2**53 + 1]),
    st.integers(-(10**6), 10**6),
)
junk = st.one_of(st.none(), st.booleans(), st.text(max_size=3), st.binary(max_size=3),
                 st.complex_numbers(allow_nan=False, max_magnitude=10), st.lists(st.floats(), max_size=2))

ELEMENTWISE = sorted(n for n, op in OPS.items() if isinstance(op, Op) and not n.startswith("_test_"))
DOCUMENTED = (TypeError, ValueError, ArithmeticError, IndexError)  # DomainError, ZeroDivisionError, OverflowError


def _params(op: Op) -> dict:
    """Parameters for ops that need them: the op-table tests' first example (test_ops.PARAM_EXAMPLES)."""
    from tests.core.test_ops import PARAM_EXAMPLES

    return PARAM_EXAMPLES.get(op.name, [{}])[0]


def _call(op: Op, xs: list, params: dict, engine: str) -> None:
    try:
        if engine == "value":
            ins = [x if not isinstance(x, (int, float)) or isinstance(x, bool) else Value(x) for x in xs]
        else:
            ins = [Tensor([x, 0.5]) if isinstance(x, (int, float)) and not isinstance(x, bool) else x for x in xs]
        out = op(*ins, **params)
    except DOCUMENTED as e:
        assert str(e), f"{op.name}: {type(e).__name__} without a message"
        return
    data = np.asarray(out.data, dtype=float)
    assert data.dtype == np.float64  # a number: finite, inf or nan, never an exception type leaking out


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ELEMENTWISE), st.lists(st.one_of(extreme, junk), min_size=2, max_size=2),
       st.sampled_from(["value", "tensor"]))
def test_every_op_on_bad_and_extreme_inputs(name: str, xs: list, engine: str) -> None:
    op = OPS[name]
    _call(op, xs[: op.arity], _params(op), engine)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ELEMENTWISE), st.lists(extreme, min_size=2, max_size=2))
def test_extreme_numbers_give_ieee_results_and_backward_runs(name: str, xs: list) -> None:
    """Finite or not, every op's value and local derivatives are numbers, and backward runs."""
    op = OPS[name]
    try:
        vals = [Value(x) for x in xs[: op.arity]]
        out = op(*vals, **_params(op))
    except (DomainError, ZeroDivisionError, OverflowError) as e:  # a domain error, or 10**400 refused
        assert op.name in str(e) or "Value" in str(e) or "operand" in str(e), str(e)
        return
    assert isinstance(out.data, float) and all(isinstance(d, float) for d in out.local_grads)
    out.backward()
    assert all(isinstance(v.grad, float) for v in vals)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(n for n, op in OPS.items() if isinstance(op, NaryOp))),
       st.lists(st.one_of(extreme, junk), min_size=1, max_size=3))
def test_nary_ops_on_bad_inputs(name: str, xs: list) -> None:
    params = {"bce": {"targets": [1.0] * len(xs)}, "mse": {"targets": [0.0] * len(xs)},
              "xent": {"target": 0}}.get(name, {})
    try:
        out = Value.nary(name, xs, **params)
    except DOCUMENTED as e:
        assert str(e)
        return
    assert isinstance(out.data, float)
