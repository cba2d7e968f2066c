"""Property-based tests: random expression graphs with shared subexpressions.

Each example draws a small program: a few inputs, then a list of operations whose
operands are picked among ALL values computed so far (so subexpressions are reused
and many paths lead from the output to an input).  The oracle is the central finite
difference of the same program evaluated on perturbed inputs.
"""

from __future__ import annotations

import math

from fdiff import fd_partial
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from micrograd_ext.engine import Value

BINARY = ["+", "-", "*", "/"]
UNARY = ["tanh", "sigmoid", "exp", "neg", "square", "log1p2", "relu"]


def apply(op: str, a, b=None):
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / (b * b + 1.0)  # divisor bounded away from 0
    if op == "tanh":
        return a.tanh()
    if op == "sigmoid":
        return a.sigmoid()
    if op == "exp":
        return (a * 0.3).exp()
    if op == "neg":
        return -a
    if op == "square":
        return a**2
    if op == "log1p2":
        return (a * a + 1.0).log()
    if op == "relu":
        return a.relu()
    raise AssertionError(op)


step = st.one_of(
    st.tuples(st.sampled_from(BINARY), st.integers(0, 10**6), st.integers(0, 10**6)),
    st.tuples(st.sampled_from(UNARY), st.integers(0, 10**6), st.just(0)),
)
programs = st.tuples(
    st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=1, max_size=4),
    st.lists(step, min_size=1, max_size=14),
)


def run(program, xs):
    """Evaluate the program on the list of Values xs; returns (output, every value, relu inputs)."""
    _, steps = program
    vals = list(xs)
    kinks = []
    for op, i, j in steps:
        a, b = vals[i % len(vals)], vals[j % len(vals)]
        if op == "relu":
            kinks.append(a.data)
        vals.append(apply(op, a, b) if op in BINARY else apply(op, a))
    return vals[-1], kinks


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs)
def test_gradients_match_finite_differences(program):
    inputs, _ = program
    xs = [Value(v) for v in inputs]
    out, kinks = run(program, xs)
    assume(all(abs(k) > 1e-3 for k in kinks))  # finite differences are wrong at relu's kink
    assume(math.isfinite(out.data) and abs(out.data) < 1e6)
    out.backward()
    for i in range(len(inputs)):
        num = fd_partial(lambda v: run(program, [Value(x) for x in v])[0].data, inputs, i)
        assert math.isclose(xs[i].grad, num, rel_tol=1e-4, abs_tol=1e-6), (i, xs[i].grad, num)


@settings(max_examples=30, deadline=None)
@given(programs)
def test_backward_twice_doubles_leaf_gradients(program):
    inputs, _ = program
    xs = [Value(v) for v in inputs]
    out, _ = run(program, xs)
    out.backward()
    first = [x.grad for x in xs]
    out.backward()
    # equal up to rounding: a leaf adds its edges' terms onto what it holds, so a term that is absorbed
    # into a larger one (1e-45 + 1 - 1 = 0) can round differently the second time; terms here are O(1)
    assert all(math.isclose(x.grad, 2 * g, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(g)) for x, g in zip(xs, first))
