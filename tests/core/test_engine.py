"""Value: every operation's value and gradient against hand-derived formulas and
central finite differences; micrograd compatibility; errors; modes; memory.

Oracles: closed-form derivatives written out here by hand, central finite
differences on the forward values (never the engine's own backward), and a
recursive reference implementation of micrograd's build_topo for tiny graphs.
"""

from __future__ import annotations

import gc
import math

import pytest
from fdiff import fd_partial

from micrograd_ext.core.graph import AnomalyError, detect_anomaly, enable_grad, no_grad, topological_order
from micrograd_ext.engine import DomainError, Value

EPS = 1e-6


def fd(f, xs: list[float], i: int, h: float = EPS) -> float:
    """Central finite difference of the float function f (built from Value ops) in argument i."""
    return fd_partial(lambda v: f(*[Value(x) for x in v]).data, xs, i, h)


def grads(f, xs: list[float]) -> tuple[float, list[float]]:
    vs = [Value(v) for v in xs]
    out = f(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


# (name, f, inputs, expected value, expected gradients)  -- all hand-derived
CASES = [
    ("add", lambda a, b: a + b, [2.0, -3.0], -1.0, [1.0, 1.0]),
    ("sub", lambda a, b: a - b, [2.0, -3.0], 5.0, [1.0, -1.0]),
    ("mul", lambda a, b: a * b, [2.0, -3.0], -6.0, [-3.0, 2.0]),
    ("div", lambda a, b: a / b, [3.0, 2.0], 1.5, [0.5, -3.0 / 4.0]),
    ("neg", lambda a: -a, [1.5], -1.5, [-1.0]),
    ("pow2", lambda a: a**2, [3.0], 9.0, [6.0]),
    ("pow-1", lambda a: a**-1, [4.0], 0.25, [-1.0 / 16.0]),
    ("pow0.5", lambda a: a**0.5, [4.0], 2.0, [0.25]),
    ("sqrt", lambda a: a.sqrt(), [9.0], 3.0, [1.0 / 6.0]),
    ("vpow", lambda a, b: a**b, [2.0, 3.0], 8.0, [3.0 * 4.0, 8.0 * math.log(2.0)]),
    ("rpow", lambda b: 2.0**b, [3.0], 8.0, [8.0 * math.log(2.0)]),
    ("exp", lambda a: a.exp(), [0.5], math.exp(0.5), [math.exp(0.5)]),
    ("log", lambda a: a.log(), [2.0], math.log(2.0), [0.5]),
    ("tanh", lambda a: a.tanh(), [0.3], math.tanh(0.3), [1 - math.tanh(0.3) ** 2]),
    ("sigmoid", lambda a: a.sigmoid(), [0.3], 1 / (1 + math.exp(-0.3)),
     [math.exp(-0.3) / (1 + math.exp(-0.3)) ** 2]),
    ("relu+", lambda a: a.relu(), [0.7], 0.7, [1.0]),
    ("relu-", lambda a: a.relu(), [-0.7], 0.0, [0.0]),
    ("radd", lambda a: 3 + a, [2.0], 5.0, [1.0]),
    ("rsub", lambda a: 3 - a, [2.0], 1.0, [-1.0]),
    ("rmul", lambda a: 3 * a, [2.0], 6.0, [3.0]),
    ("rdiv", lambda a: 3 / a, [2.0], 1.5, [-3.0 / 4.0]),
    ("square-by-mul", lambda a: a * a, [3.0], 9.0, [6.0]),  # two edges to the same parent
    ("shared", lambda a, b: (a * b + a) * (a - b), [2.0, 3.0], -8.0, [(3 + 1) * (2 - 3) + (2 * 3 + 2), 2 * (2 - 3) - (2 * 3 + 2)]),
    ("iadd", lambda a, b: _iadd(a, b), [2.0, 5.0], 9.0, [2.0, 1.0]),
]


def _iadd(a, b):
    c = a
    c += b
    c += a
    return c


@pytest.mark.parametrize("name,f,xs,value,expected", CASES, ids=[c[0] for c in CASES])
def test_value_and_gradient_hand_derived(name, f, xs, value, expected):
    out, g = grads(f, xs)
    assert out == pytest.approx(value, rel=1e-12, abs=1e-15)
    assert g == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name,f,xs,value,expected", CASES, ids=[c[0] for c in CASES])
def test_gradient_matches_finite_differences(name, f, xs, value, expected):
    if name.startswith("relu"):
        xs = [x + 0.0 for x in xs]  # away from the kink already
    _, g = grads(f, xs)
    for i in range(len(xs)):
        assert g[i] == pytest.approx(fd(f, xs, i), rel=1e-6, abs=1e-8)


def test_subtraction_and_division_are_single_nodes():
    a, b = Value(5.0), Value(2.0)
    d = a - b
    assert d._op == "-" and d._prev == (a, b) and d.local_grads == (1.0, -1.0)
    q = a / b
    assert q._op == "/" and q._prev == (a, b) and q.local_grads == (0.5, -5.0 / 4.0)
    assert q.formulas == ("1/b", "-a/b^2")


def test_node_keeps_parents_in_order_with_one_edge_each():
    x = Value(3.0)
    y = x * x
    assert y._prev == (x, x) and y.local_grads == (3.0, 3.0)
    t = x.tanh()
    assert t.formulas == ("1 - out^2",)


def test_micrograd_constructor_and_repr():
    a = Value(2.0, label="a")
    b = Value(-3.0)
    c = Value(a.data * b.data, (a, b), "*")  # micrograd-style manual node
    c.backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    s = Value(4.0, (a,), "**2")
    s.backward()
    assert a.grad == -3.0 + 4.0  # leaf accumulates: 2 * a = 4
    # an op the table does not know is accepted (micrograd's lecture way: the caller sets
    # out._backward next); backward() without that closure says what is missing
    f = Value(1.0, (a,), "frobnicate")
    with pytest.raises(RuntimeError, match="frobnicate.*_backward"):
        f.backward()


def test_micrograd_program_runs_unchanged():
    """micrograd's README example, with only the import changed; values from its README."""
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
    assert g.data == pytest.approx(24.7041, abs=1e-4)
    g.backward()
    assert a.grad == pytest.approx(138.8338, abs=1e-4)
    assert b.grad == pytest.approx(645.5773, abs=1e-4)


@pytest.mark.parametrize("bad", ["abc", None, [1.0], {"x": 1}, 1 + 2j])
def test_type_error_names_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(1.0) + bad


@pytest.mark.parametrize(
    "expr,exc,words",
    [
        (lambda: Value(0.0).log(), DomainError, ["log", "0.0", "positive"]),
        (lambda: Value(-2.0).log(), DomainError, ["log", "-2.0"]),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, ["**", "0.0", "-1"]),
        (lambda: Value(1.0) / 0, ZeroDivisionError, ["/", "1.0", "0"]),
        (lambda: 1.0 / Value(0.0), ZeroDivisionError, ["/", "division by zero"]),
        (lambda: Value(-8.0) ** 0.5, DomainError, ["**", "-8.0", "0.5"]),
        (lambda: Value(-2.0) ** Value(2.0), DomainError, ["pow", "-2.0"]),
    ],
)
def test_domain_errors_name_op_and_value(expr, exc, words):
    with pytest.raises(exc) as info:
        expr()
    for w in words:
        assert w in str(info.value)


def test_saturating_functions_give_limits():
    assert Value(1000.0).tanh().data == 1.0 and Value(-1000.0).tanh().data == -1.0
    assert Value(1000.0).sigmoid().data == 1.0 and Value(-1000.0).sigmoid().data == 0.0
    for x in (1000.0, -1000.0):
        for fn in ("tanh", "sigmoid"):
            v = Value(x)
            getattr(v, fn)().backward()
            assert v.grad == 0.0  # the derivative's limit, no nan


def test_exp_overflow_is_inf_documented_choice():
    v = Value(1000.0)
    y = v.exp()
    assert y.data == math.inf  # as numpy/PyTorch; never OverflowError
    with detect_anomaly(), pytest.raises(AnomalyError, match="exp"):
        Value(1000.0).exp()
    assert Value(-1000.0).exp().data == 0.0


def test_relu_derivative_at_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0  # PyTorch convention
    y = Value(0.0)
    y.relu(grad_at_zero=1.0).backward()
    assert y.grad == 1.0  # Park (2022) convention
    assert math.isnan(Value(math.nan).relu().data)


def test_backward_twice_leaves_accumulate_intermediates_recomputed():
    x = Value(3.0)
    h = x * x  # intermediate
    y = h * 2.0
    y.backward()
    assert (x.grad, h.grad) == (12.0, 2.0)
    y.backward()
    assert x.grad == 24.0  # leaves accumulate, as in PyTorch
    assert h.grad == 2.0  # intermediates show this pass's d y / d h
    x.grad = 0.0
    y.backward(0.5)  # an explicit upstream gradient
    assert x.grad == 6.0


def test_backward_from_a_leaf_and_seed_type():
    x = Value(2.0)
    x.backward()
    assert x.grad == 1.0
    with pytest.raises(TypeError, match="str"):
        x.backward("1")


def test_no_grad_records_nothing_and_enable_grad_restores():
    x = Value(2.0)
    with no_grad():
        y = x * 3 + 1
        assert y._prev == () and y.data == 7.0
        with enable_grad():
            z = x * 3
            assert len(z._prev) == 2 and z._prev[0] is x
    assert len((x * 3)._prev) == 2


def test_anomaly_forward_names_op_and_inputs():
    a, b = Value(1e308), Value(10.0)
    with detect_anomaly():
        with pytest.raises(AnomalyError) as info:
            _ = a * b
    msg = str(info.value)
    assert "'*'" in msg and "1e+308" in msg and "10.0" in msg and "inf" in msg
    _ = a * b  # off again outside the block: inf, no error
    with detect_anomaly(), pytest.raises(AnomalyError, match="'-'"):
        _ = Value(math.inf) - Value(math.inf)


def test_anomaly_backward_names_the_op():
    x = Value(0.0)
    y = x**0.5  # finite value 0, local derivative inf
    z = y * 3.0
    z.backward()  # without the mode: silently inf
    assert x.grad == math.inf
    x.grad = 0.0
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        z.backward()
    assert "'**0.5'" in str(info.value) and "inf" in str(info.value)


def test_n_ary_nodes_against_finite_differences_and_documents():
    # Bondartsov eq. (1): C = -1/N sum_k [y ln a + (1-y) ln(1-a)], edge (5a) = (a-y)/(a(1-a)) / N
    a = [0.2, 0.7, 0.9]
    y = [0.0, 1.0, 1.0]
    N = 4.0
    vs = [Value(v) for v in a]
    C = Value.nary("bce", vs, targets=y, scale=1 / N)
    expected = -sum(yk * math.log(ak) + (1 - yk) * math.log(1 - ak) for ak, yk in zip(a, y)) / N
    assert C.data == pytest.approx(expected, rel=1e-13)
    C.backward()
    for k, v in enumerate(vs):
        assert v.grad == pytest.approx((a[k] - y[k]) / (a[k] * (1 - a[k])) / N, rel=1e-12)  # (5a)
        assert v.grad == pytest.approx(fd(lambda *z: Value.nary("bce", z, targets=y, scale=1 / N), a, k), rel=1e-6)

    # weighted sum z = w0 + sum_j w_j x_j: dz/dw0 = 1, dz/dw_j = x_j (5c), dz/dx_j = w_j (10a)
    w0, w, x = 0.5, [1.5, -2.0], [0.3, 0.8]
    W0, W, Xs = Value(w0), [Value(v) for v in w], [Value(v) for v in x]
    z = Value.weighted_sum(W, Xs, bias=W0)
    assert z.data == pytest.approx(w0 + w[0] * x[0] + w[1] * x[1], rel=1e-14)
    assert z._prev == (W0, W[0], Xs[0], W[1], Xs[1])
    z.backward()
    assert W0.grad == 1.0
    assert [v.grad for v in W] == x and [v.grad for v in Xs] == w
    assert z.formulas == ("1", "x_j", "w_j", "x_j", "w_j")
    z0 = Value.weighted_sum(W, Xs)
    assert z0._op == "wsum0" and z0.formulas == ("x_j", "w_j", "x_j", "w_j")

    flat = [w0, w[0], x[0], w[1], x[1]]
    f = lambda b, w1, x1, w2, x2: Value.weighted_sum([w1, w2], [x1, x2], bias=b)
    g = grads(f, flat)[1]
    assert g == pytest.approx([fd(f, flat, i) for i in range(5)], rel=1e-6)

    # sum, mse, xent (softmax cross-entropy: d/dz_k = softmax_k - [k == target], CS224n 2.6)
    zs = [0.5, -1.0, 2.0]
    s_f = lambda *v: Value.sum(v)
    assert grads(s_f, zs) == (pytest.approx(1.5), [1.0, 1.0, 1.0])
    m_f = lambda *v: Value.nary("mse", v, targets=[1.0, 0.0, 1.0], scale=1 / 3)
    out, g = grads(m_f, zs)
    assert out == pytest.approx(((0.5 - 1) ** 2 + 1.0 + 1.0) / 3)
    assert g == pytest.approx([2 * (0.5 - 1) / 3, 2 * -1.0 / 3, 2 * 1.0 / 3])
    x_f = lambda *v: Value.nary("xent", v, target=2, scale=0.5)
    out, g = grads(x_f, zs)
    e = [math.exp(v) for v in zs]
    p = [v / sum(e) for v in e]
    assert out == pytest.approx(-0.5 * math.log(p[2]), rel=1e-13)
    assert g == pytest.approx([0.5 * p[0], 0.5 * p[1], 0.5 * (p[2] - 1)], rel=1e-12)
    for i in range(3):
        assert g[i] == pytest.approx(fd(x_f, zs, i), rel=1e-6)
    # numerically stable at large logits
    big = Value.nary("xent", [Value(1000.0), Value(0.0)], target=1, scale=1.0)
    assert big.data == pytest.approx(1000.0)


def test_n_ary_errors():
    with pytest.raises(ValueError, match="weights"):
        Value.weighted_sum([Value(1.0)], [1.0, 2.0])
    with pytest.raises(ValueError, match="n-ary"):
        Value.nary("tanh", [Value(1.0)])
    with pytest.raises(ValueError, match="empty"):
        Value.sum([])
    with pytest.raises(DomainError, match="bce"):
        Value.nary("bce", [Value(1.5)], targets=[1.0], scale=1.0)


def _micrograd_build_topo(root):
    """micrograd's recursive build_topo (the oracle for the order), over ordered _prev."""
    topo, visited = [], set()

    def build(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)

    build(root)
    return topo


def test_topological_order_is_micrograds_build_topo():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = (c + a).tanh() * (b - c) + a.exp()
    assert topological_order(d) == _micrograd_build_topo(d)


def test_backward_visits_each_node_after_every_node_that_uses_it():
    from micrograd_ext.core.graph import trace_backward

    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = (c + a).tanh() * (b - c) + a.exp() * c
    steps = trace_backward(d)
    first_as_node = {}
    for s in steps:
        first_as_node.setdefault(id(s.node), s.number)
    for s in steps:  # an edge into p is done before p passes its gradient on
        if id(s.parent) in first_as_node:
            assert s.number < first_as_node[id(s.parent)]


@pytest.mark.slow
def test_million_node_chain_runs_backward():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0 and y.data == 1_000_001.0
    del y
    gc.collect()


def test_long_chain_of_unary_ops_has_no_recursion():
    x = Value(0.5)
    y = x
    for _ in range(50_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def _count_values() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is Value)


def test_dropped_graph_is_freed_without_the_cycle_collector():
    params = [Value(0.1 * i) for i in range(10)]
    gc.collect()
    gc.disable()
    try:
        before = _count_values()
        h = [p * p + p for p in params]
        loss = Value.sum([v.tanh() for v in h]) / 10.0
        loss.backward()
        assert _count_values() > before + 30  # the graph is alive and tracked
        del h, loss
        assert _count_values() == before  # freed by reference counting alone
        assert gc.collect() == 0  # and there was no cycle for the collector to find
    finally:
        gc.enable()


def test_comparisons_and_hash_by_identity():
    a, b = Value(1.0), Value(2.0)
    assert a < b and b > a and a <= 1.0 and b >= 2
    assert a != Value(1.0) and len({a, Value(1.0)}) == 2
    assert float(b) == 2.0 and b.item() == 2.0
