"""Derivatives of derivatives and forward mode, against independent oracles.

* every entry of both op tables: the Hessian by reverse over reverse equals central
  differences of the first derivative (a plain ``backward()``: numbers, a different
  code path from the graph-mode rules) — parametrised over the tables, so no op can skip it;
* closed forms: the tanh derivative family, ``x ** x``, ``x^T A x`` (Hessian ``A + A^T``);
* the dot-product test ``<u, J v> = <J^T u, v>`` linking forward and reverse mode;
* nested derivatives that must not leak into each other; Newton's method.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from fdiff import fd_jacobian

from micrograd_ext import Tensor, Value, grad, hessian, hvp, jvp
from micrograd_ext.core.gradcheck import gradgradcheck
from micrograd_ext.core.graph import topological_order
from micrograd_ext.core.ops import OPS, NaryOp, Op
from micrograd_ext.core.tensor import bce, cat, cross_entropy, linear, stack
from micrograd_ext.core.tensor_ops import TENSOR_OPS
from tests.core.test_ops import NARY_CASES, cases, points

# -- every elementwise op, on Value and on Tensor ----------------------------------------------


@pytest.mark.parametrize("name,params", cases(), ids=lambda x: str(x))
def test_elementwise_second_derivatives_value(name: str, params: dict) -> None:
    op = OPS[name]
    for pt in points(op, params)[:3]:
        rep = gradgradcheck(lambda *xs: op(*xs, **params), [Value(x) for x in pt], eps=1e-5, tol=2e-5)
        assert rep.ok, (name, params, pt, str(rep))


@pytest.mark.parametrize("name,params", cases(), ids=lambda x: str(x))
def test_elementwise_second_derivatives_tensor(name: str, params: dict) -> None:
    op = OPS[name]
    pts = points(op, params)[:4]
    ts = [Tensor(np.array([pt[k] for pt in pts]), requires_grad=True) for k in range(op.arity)]
    rep = gradgradcheck(lambda *xs: (op(*xs, **params) * Tensor(np.linspace(0.5, 1.5, len(pts)))).sum(), ts,
                        eps=1e-5, tol=2e-5)
    assert rep.ok, (name, params, str(rep))


@pytest.mark.parametrize("name", sorted(NARY_CASES))
def test_nary_second_derivatives(name: str) -> None:
    xs, params = NARY_CASES[name]
    rep = gradgradcheck(lambda *vs: Value.nary(name, list(vs), **params), [Value(x) for x in xs], tol=2e-5)
    assert rep.ok, str(rep)


# -- every structural Tensor op ------------------------------------------------------------------

rng = np.random.default_rng(3)
_IDX = np.array([0, 2, 2, 1])
_Y = np.array([0, 2, 1])


def _tanh_sum(t: Tensor) -> Tensor:
    """A smooth, non-quadratic scalar of t, with fixed weights (f must be the same function at every call)."""
    return (t * np.linspace(0.5, 1.5, t.size).reshape(t.shape)).tanh().sum()  # an array: it takes t's dtype


#: op -> (a scalar function of the inputs that goes through the op, the inputs)
TENSOR_CASES = {
    "matmul": (lambda a, b: _tanh_sum(a @ b), [rng.normal(size=(2, 3)), rng.normal(size=(3, 2))]),
    "linear": (lambda x, w, b: _tanh_sum(linear(x, w, b)), [rng.normal(size=(3, 2)), rng.normal(size=(2, 2)), rng.normal(size=2)]),
    "sum": (lambda a: (a.sum(axis=1) ** 3).sum(), [rng.normal(size=(2, 3))]),
    "mean": (lambda a: (a.mean(axis=0) ** 3).sum(), [rng.normal(size=(2, 3))]),
    "max": (lambda a: (a.max(axis=1) ** 3).sum(), [rng.normal(size=(2, 3))]),
    "reshape": (lambda a: _tanh_sum(a.reshape(3, 2)), [rng.normal(size=(2, 3))]),
    "transpose": (lambda a: _tanh_sum(a.T @ a), [rng.normal(size=(2, 3))]),
    "getitem": (lambda a: _tanh_sum(a[_IDX]), [rng.normal(size=(3, 2))]),
    "scatter_add": (lambda a: (a[_IDX] ** 2).sum().tanh(), [rng.normal(size=(3, 2))]),
    "broadcast_to": (lambda a, b: _tanh_sum(a * b), [rng.normal(size=(2, 3)), rng.normal(size=(3,))]),
    "sum_to": (lambda a, b: _tanh_sum(a + b), [rng.normal(size=(2, 3)), rng.normal(size=(3,))]),
    "softmax": (lambda a: (a.softmax(axis=1) ** 2).sum(), [rng.normal(size=(2, 3))]),
    "log_softmax": (lambda a: (a.log_softmax(axis=1) ** 2).sum(), [rng.normal(size=(2, 3))]),
    "cross_entropy": (lambda a: cross_entropy(a, _Y), [rng.normal(size=(3, 3))]),
    "bce_loss": (lambda a: bce(a.sigmoid(), np.array([[0.0, 1.0], [1.0, 0.0]]), 0.5), [rng.normal(size=(2, 2))]),
    "cat": (lambda a, b: _tanh_sum(cat([a, b * b], dim=1)), [rng.normal(size=(2, 3)), rng.normal(size=(2, 2))]),
    "stack": (lambda a, b: _tanh_sum(stack([a, a * b], dim=1)), [rng.normal(size=(2, 3)), rng.normal(size=(2, 3))]),
    "max_dim": (lambda a: (a.max(dim=1).values ** 3).sum(), [rng.normal(size=(2, 3))]),
    "min_dim": (lambda a: (a.min(0, keepdim=True).values ** 3).sum(), [rng.normal(size=(2, 3))]),
    "min": (lambda a: (a.amin(dim=1) ** 3).sum(), [rng.normal(size=(2, 3))]),
    "clone": (lambda a: _tanh_sum(a.clone() * a), [rng.normal(size=(2, 3))]),
}


def test_every_structural_op_has_a_second_order_case() -> None:
    assert set(TENSOR_CASES) == set(TENSOR_OPS)


def _graph_ops(f, arrays) -> set[str]:
    """The ops in f's graph and in the graph of its gradient (create_graph=True)."""
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    y = f(*ts)
    names = {str(n._op) for n in topological_order(y)}
    for g in grad(y, ts, create_graph=True):
        names |= {str(n._op) for n in topological_order(g)}
    return names


@pytest.mark.parametrize("name", sorted(TENSOR_CASES))
def test_structural_second_derivatives(name: str) -> None:
    f, arrays = TENSOR_CASES[name]
    assert name in _graph_ops(f, arrays), f"the case for {name} does not go through it"
    rep = gradgradcheck(f, [Tensor(a.copy(), requires_grad=True) for a in arrays], eps=1e-5, tol=2e-5)
    assert rep.ok, str(rep)


@pytest.mark.parametrize("name", sorted(TENSOR_CASES))
def test_structural_forward_mode_equals_finite_differences(name: str) -> None:
    """jvp through each op's JVP rule: J v against central differences of f."""
    f, arrays = TENSOR_CASES[name]
    ts = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    vs = [np.cos(np.arange(a.size)).reshape(a.shape) + 0.3 for a in arrays]
    value, tangent = jvp(f, ts, vs)

    def along(s: np.ndarray) -> float:
        return f(*[Tensor(a + s[0] * v) for a, v in zip(arrays, vs)]).item()

    want = fd_jacobian(along, np.zeros(1))[0]
    assert value == pytest.approx(f(*[Tensor(a) for a in arrays]).item(), rel=1e-15)
    assert tangent == pytest.approx(want, rel=1e-6, abs=1e-8)


# -- closed forms ----------------------------------------------------------------------------------


def test_tanh_derivative_family_by_nesting_grad() -> None:
    """tanh' = 1 - t^2, tanh'' = -2t(1 - t^2), tanh''' = (6t^2 - 2)(1 - t^2), tanh'''' = 8t(2 - 3t^2)(1 - t^2)... hand-derived."""
    for x0 in (-1.3, 0.2, 0.9):
        x = Value(x0)
        ds = [x.tanh()]
        for _ in range(4):
            (d,) = grad(ds[-1], [x], create_graph=True)
            ds.append(d)
        t = math.tanh(x0)
        want = [t, 1 - t * t, -2 * t * (1 - t * t), (6 * t * t - 2) * (1 - t * t), (16 * t - 24 * t**3) * (1 - t * t)]
        assert [d.data for d in ds] == pytest.approx(want, rel=1e-12, abs=1e-14)


def test_x_to_the_x_hides_no_constant() -> None:
    x0 = 1.7
    x = Value(x0)
    (d1,) = grad(x**x, [x], create_graph=True)
    (d2,) = grad(d1, [x])
    assert d1.data == pytest.approx(x0**x0 * (math.log(x0) + 1), rel=1e-14)
    assert d2 == pytest.approx(x0**x0 * ((math.log(x0) + 1) ** 2 + 1 / x0), rel=1e-13)


def test_quadratic_form_hessian_is_a_plus_a_transpose() -> None:
    A = rng.normal(size=(4, 4))
    x = Tensor(rng.normal(size=4), requires_grad=True)
    H = hessian(lambda x: x @ (Tensor(A) @ x), x)
    np.testing.assert_allclose(H, A + A.T, rtol=1e-14, atol=1e-14)
    xs = [Value(float(v)) for v in x.data]
    Hv = hessian(lambda *v: Value.sum([v[i] * A[i, j] * v[j] for i in range(4) for j in range(4)]), xs)
    np.testing.assert_allclose(Hv, A + A.T, rtol=1e-13, atol=1e-13)
    v = rng.normal(size=4)
    np.testing.assert_allclose(hvp(lambda x: x @ (Tensor(A) @ x), x, v), (A + A.T) @ v, rtol=1e-13)


def test_hessian_of_a_net_loss_is_symmetric_and_shaped_s_plus_s() -> None:
    X = rng.normal(size=(6, 3))
    W = Tensor(rng.normal(size=(4, 3)) * 0.5, requires_grad=True)
    H = hessian(lambda W: cross_entropy(linear(Tensor(X), W).tanh(), np.array([0, 1, 2, 3, 0, 1])), W)
    assert H.shape == (4, 3, 4, 3)
    M = H.reshape(12, 12)
    np.testing.assert_allclose(M, M.T, atol=1e-14)


def test_forward_and_reverse_mode_agree_by_the_dot_product_test() -> None:
    """<u, J v> (one forward pass) = <J^T u, v> (one reverse pass), for a vector function."""
    W = rng.normal(size=(3, 4))
    x = Tensor(rng.normal(size=4), requires_grad=True)
    v, u = rng.normal(size=4), rng.normal(size=3)

    def f(x: Tensor) -> Tensor:
        return (Tensor(W) @ x).tanh() * x[:3]

    _, Jv = jvp(f, x, v)
    (JTu,) = grad(f(x), [x], grad_outputs=u)
    assert float(u @ Jv) == pytest.approx(float(JTu @ v), rel=1e-13)
    xs = [Value(float(a)) for a in x.data]
    outs, tans = jvp(lambda *a: [(a[0] * a[1]).sin(), a[2].exp() / a[3]], xs, list(v))
    rev = grad([(xs[0] * xs[1]).sin(), xs[2].exp() / xs[3]], xs, grad_outputs=[1.0, -2.0])
    assert tans[0] * 1.0 + tans[1] * -2.0 == pytest.approx(float(np.dot(rev, v)), rel=1e-13)


# -- semantics ---------------------------------------------------------------------------------------


def test_nested_derivatives_do_not_leak() -> None:
    """d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1 (a leak of the inner derivative would give 2)."""
    x, y = Value(1.5), Value(-0.5)
    (inner,) = grad(x + y, [y], create_graph=True)
    (outer,) = grad(x * inner, [x])
    assert outer == 1.0 and x.grad == 0.0 and y.grad == 0.0  # grad() touches no .grad


def test_dezero_step_36_double_backprop() -> None:
    """DeZero, step 36: y = x^2, gx = dy/dx = 2x, z = gx^3 + y, so dz/dx = 3 gx^2 * 2 + 2x = 100 at x = 2."""
    x = Value(2.0)
    y = x**2
    y.backward(create_graph=True)
    gx = x.grad
    assert isinstance(gx, Value) and gx.data == 4.0
    x.grad = 0.0
    z = gx**3 + y
    z.backward()
    assert x.grad == 3 * 4.0**2 * 2 + 2 * 2.0  # 100.0


def test_allow_unused_and_errors() -> None:
    x, y = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match="does not influence"):
        grad(x * 2.0, [x, y])
    assert grad(x * 2.0, [x, y], allow_unused=True) == [2.0, 0.0]
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="not a single number"):
        grad(t * 2.0, [t])
    assert grad(t * 2.0, [t], grad_outputs=np.ones(2))[0].tolist() == [2.0, 2.0]


def test_closure_nodes_refuse_second_order_clearly() -> None:
    from tests.core.test_ops import _lecture_tanh

    x = Value(0.3)
    with pytest.raises(TypeError, match="_backward closure"):
        grad(_lecture_tanh(x), [x], create_graph=True)


def test_a_rule_cannot_turn_a_node_into_a_number(monkeypatch) -> None:
    from micrograd_ext import define_op

    with pytest.raises(ValueError, match="Attribute"):
        define_op("_test_sneaky", "a * a", "2 * a.data", replace=True)
    with pytest.raises(ValueError, match="condition"):
        define_op("_test_branchy", "a * a", "2 * a if a > 0 else 0.0", replace=True)
    # an n-ary rule written as a function: float() on a node raises while building a gradient graph
    good = OPS["mse"].local
    monkeypatch.setattr(OPS["mse"], "local", lambda P, xs, out, **kw: [float(x) * 0 + 1.0 for x in xs])
    v = Value(0.3)
    loss = Value.nary("mse", [v], targets=[0.0])
    with pytest.raises(TypeError, match="turned a Value into a number"):
        grad(loss, [v], create_graph=True)
    monkeypatch.setattr(OPS["mse"], "local", good)


def test_derivative_graph_is_labelled_with_the_formulas_it_came_from() -> None:
    from micrograd_ext.diagrams import draw_graph

    x = Value(0.5, label="x")
    y = x.tanh()
    y.backward(create_graph=True)
    src = draw_graph(x.grad).source
    assert "d(tanh)/da = 1 - out^2" in src


def test_newton_on_x4_minus_2x2_converges_in_at_most_7_steps() -> None:
    x = 2.0
    steps = 0
    while abs(x - 1.0) > 1e-10:
        v = Value(x)
        (g,) = grad(v**4 - 2 * v**2, [v], create_graph=True)
        (h,) = grad(g, [v])
        x -= g.data / h
        steps += 1
        assert steps <= 7
    assert steps <= 7


def test_elementwise_and_nary_tables_are_all_covered() -> None:
    covered = {name for name, _ in cases()} | set(NARY_CASES)
    table = {n for n, op in OPS.items() if isinstance(op, (Op, NaryOp)) and not n.startswith("_test_")}
    assert table <= covered
