"""The op table, tested entry by entry on floats, Value and Tensor (minitorch's MathTest style).

Every test here is generated from :data:`micrograd_ext.core.ops.OPS`: adding an op adds
its tests.  The oracles are independent of the op table's derivative expressions:
central finite differences of the forward function, and numpy's elementwise functions
against Python's ``math`` for the forward values (the two backends are different code).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from fdiff import fd_partial

from micrograd_ext import Tensor, define_op
from micrograd_ext.core.graph import edges
from micrograd_ext.core.ops import OPS, REQUIRED, NaryOp, Op
from micrograd_ext.engine import Value

#: Parameter values for the ops whose parameters have no default (an op with a required
#: parameter fails test_every_required_parameter_has_examples until it is listed here).
PARAM_EXAMPLES: dict[str, list[dict]] = {
    "**": [{"k": 2}, {"k": 3}, {"k": -1}, {"k": 0.5}, {"k": -2.5}, {"k": 0}, {"k": 1}],
    # ops whose defaults are refused (clamp needs a bound) list theirs too
    "clamp": [{"min": -1.0, "max": 1.0}, {"min": 0.0}, {"max": 0.5}],
    "in_range": [{"min": -1.0, "max": 1.0}, {"min": 0.0}],
}
#: Points tried for each input; those outside an op's domain, at a kink, or where the
#: function is not finite are skipped (and at least one point must remain).
CANDIDATES = (-1.7, -0.6, 0.45, 1.3, 2.2)
H = 1e-6


def elementwise_ops() -> list[str]:
    return sorted(name for name, op in OPS.items() if isinstance(op, Op) and not name.startswith("_test_"))


def cases() -> list[tuple[str, dict]]:
    out = []
    for name in elementwise_ops():
        op = OPS[name]
        required = [p for p, d in op.params.items() if d is REQUIRED]
        for params in PARAM_EXAMPLES.get(name, [{}]) if required or name in PARAM_EXAMPLES else [{}]:
            out.append((name, params))
    return out


def _fwd(op: Op, params: dict, *xs: float) -> float:
    return float(op(*[float(x) for x in xs], **params))


def points(op: Op, params: dict) -> list[tuple[float, ...]]:
    """Points where the op is defined, finite and smooth (finite differences at two steps agree)."""
    grids = [(a,) for a in CANDIDATES] if op.arity == 1 else [(a, b) for a in CANDIDATES for b in CANDIDATES[1::2]]
    good = []
    for pt in grids:
        try:
            y = _fwd(op, params, *pt)
            if not math.isfinite(y):
                continue
            smooth = True
            for k in range(op.arity):
                d1, d2 = (_central(op, params, pt, k, h) for h in (1e-4, 1e-6))
                smooth &= math.isfinite(d1) and abs(d1 - d2) <= 1e-4 * max(1.0, abs(d1))
        except (ArithmeticError, ValueError):
            continue
        if smooth:
            good.append(pt)
    return good


def _central(op: Op, params: dict, pt: tuple, k: int, h: float = H) -> float:
    return fd_partial(lambda xs: _fwd(op, params, *xs), pt, k, h)


def evaluate(text: str, **names: float) -> float:
    """Evaluate an edge's formula text, e.g. '1 - out^2', '2*a^1', 'out*ln(a)', '1 if a > 0 else 0'."""
    expr = text.replace("^", "**").replace("ln(", "log(")
    expr = re.sub(r"(?<=[\w)])\(", "*(", expr)
    for fn in ("log", "cos", "sin", "sign"):
        expr = expr.replace(f"{fn}*(", f"{fn}(")
    sign = lambda v: float(np.sign(v))  # noqa: E731
    return float(eval(expr, {"log": math.log, "cos": math.cos, "sin": math.sin, "sign": sign, "__builtins__": {}}, names))  # noqa: S307


@pytest.mark.parametrize("name,params", cases(), ids=lambda x: str(x))
def test_value_gradient_equals_finite_differences(name: str, params: dict) -> None:
    op = OPS[name]
    pts = points(op, params)
    assert pts, f"no smooth point for {name} {params}"
    for pt in pts:
        xs = [Value(x) for x in pt]
        out = op(*xs, **params)
        out.backward()
        for k, x in enumerate(xs):
            want = _central(op, params, pt, k)
            got = x.grad if xs.count(x) == 1 else None
            assert got == pytest.approx(want, rel=1e-6, abs=1e-7), (name, params, pt, k)


@pytest.mark.parametrize("name,params", cases(), ids=lambda x: str(x))
def test_tensor_forward_and_gradient_elementwise(name: str, params: dict) -> None:
    """numpy's forward equals math's at every point; the Tensor gradient equals finite differences."""
    op = OPS[name]
    pts = points(op, params)
    cols = [np.array([pt[k] for pt in pts]) for k in range(op.arity)]
    ts = [Tensor(c, requires_grad=True) for c in cols]
    out = op(*ts, **params)
    np.testing.assert_allclose(out.data, [_fwd(op, params, *pt) for pt in pts], rtol=1e-13, atol=1e-15)
    out.sum().backward()
    for k, t in enumerate(ts):
        want = [_central(op, params, pt, k) for pt in pts]
        np.testing.assert_allclose(t.grad, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name,params", cases(), ids=lambda x: str(x))
def test_formula_text_says_what_the_edge_stores(name: str, params: dict) -> None:
    """The text a diagram prints on an edge evaluates to the number that edge stores."""
    op = OPS[name]
    for pt in points(op, params):
        xs = [Value(x) for x in pt]
        out = op(*xs, **params)
        for e in edges(out):
            names = dict(zip("ab", pt), out=out.data)
            assert evaluate(e.formula, **names) == pytest.approx(e.local, rel=1e-12, abs=1e-15), (name, e.formula)


def test_every_required_parameter_has_examples() -> None:
    for name in elementwise_ops():
        required = [p for p, d in OPS[name].params.items() if d is REQUIRED]
        assert not required or name in PARAM_EXAMPLES, f"add example parameters for {name!r} to PARAM_EXAMPLES"


@pytest.mark.parametrize("name", [n for n in elementwise_ops() if OPS[n].domain])
def test_domain_errors_name_the_op_on_both_engines(name: str) -> None:
    op = OPS[name]
    bad = {"/": ((1.0, 0.0), {}), "log": ((-1.0,), {}), "pow": ((-2.0, 0.5), {}), "**": ((0.0,), {"k": -1})}
    if name not in bad:
        pytest.skip(f"no bad point listed for {name}")
    pt, params = bad[name]
    exc = op.domain[0][0] if name != "**" else ZeroDivisionError
    with pytest.raises(exc, match=re.escape(f"'{name}'")):
        op(*[Value(x) for x in pt], **params)
    with pytest.raises(exc, match=re.escape(f"'{name}'")):
        op(*[Tensor([x, 1.0]) for x in pt], **params)


def test_overflow_gives_inf_not_an_error() -> None:
    """One rule for every op (issue: OverflowError from math): a float result that overflows is inf."""
    assert (Value(10.0) ** 400).data == math.inf
    assert (Value(2.0) ** 1025).data == math.inf
    assert (Value(-10.0) ** 401).data == -math.inf
    assert (Value(10.0) ** Value(400.0)).data == math.inf
    assert Value(1000.0).exp().data == math.inf
    x, y = Value(1.0), Value(1e-162)
    (x / y).backward()  # d/dy = -x/y^2: y*y underflows, the derivative is -inf, not a crash
    assert y.grad == -math.inf and x.grad == pytest.approx(1e162)


# -- n-ary ops: finite differences of their forward on floats -----------------------------------


NARY_CASES = {
    "sum": ([0.3, -1.2, 2.0], {}),
    "wsum": ([0.1, 0.5, -1.0, -0.3, 2.0], {}),
    "wsum0": ([0.5, -1.0, -0.3, 2.0], {}),
    "bce": ([0.2, 0.7, 0.9], {"targets": [0.0, 1.0, 1.0], "scale": 1 / 3}),
    "mse": ([0.2, -0.7], {"targets": [0.5, 1.0], "scale": 0.5}),
    "xent": ([0.2, -0.7, 1.5], {"target": 2, "scale": 0.5}),
}


def test_every_nary_op_has_a_case() -> None:
    assert {n for n, op in OPS.items() if isinstance(op, NaryOp)} == set(NARY_CASES)


@pytest.mark.parametrize("name", sorted(NARY_CASES))
def test_nary_gradient_equals_finite_differences(name: str) -> None:
    xs0, params = NARY_CASES[name]

    def f(xs: list[float]) -> float:
        return Value.nary(name, [Value(x) for x in xs], **params).data

    vs = [Value(x) for x in xs0]
    out = Value.nary(name, vs, **params)
    out.backward()
    for k in range(len(xs0)):
        assert vs[k].grad == pytest.approx(fd_partial(f, xs0, k), rel=1e-6, abs=1e-8), (name, k)


def test_nary_forward_against_hand_written_formulas() -> None:
    a, y, s = [0.2, 0.7, 0.9], [0.0, 1.0, 1.0], 1 / 3
    bce = -s * sum(yk * math.log(ak) + (1 - yk) * math.log(1 - ak) for ak, yk in zip(a, y))  # Bondartsov eq. (1)
    assert Value.nary("bce", [Value(v) for v in a], targets=y, scale=s).data == pytest.approx(bce, rel=1e-14)
    z = [0.2, -0.7, 1.5]
    xent = math.log(sum(math.exp(v) for v in z)) - z[2]
    assert Value.nary("xent", [Value(v) for v in z], target=2).data == pytest.approx(xent, rel=1e-14)
    w = Value.weighted_sum([Value(0.5), Value(-0.3)], [Value(-1.0), Value(2.0)], Value(0.1))
    assert w.data == pytest.approx(0.1 + 0.5 * -1.0 + -0.3 * 2.0, rel=1e-15)


def test_wsum_edge_formulas_follow_the_parent_order() -> None:
    """Parents (w0, w1, x1, w2, x2): d z/d w0 = 1, d z/d w_j = x_j (eq. (5c)), d z/d x_j = w_j (eq. (10a))."""
    z = Value.weighted_sum([Value(0.5), Value(-0.3)], [Value(-1.0), Value(2.0)], Value(0.1))
    assert [e.formula for e in edges(z)] == ["1", "x_j", "w_j", "x_j", "w_j"]
    assert [e.local for e in edges(z)] == [1.0, -1.0, 0.5, 2.0, -0.3]
    assert [OPS["wsum"].formula(k, 5) for k in range(5)] == ["1", "x_j", "w_j", "x_j", "w_j"]
    z0 = Value.weighted_sum([Value(0.5), Value(-0.3)], [Value(-1.0), Value(2.0)])
    assert [e.formula for e in edges(z0)] == ["x_j", "w_j", "x_j", "w_j"]
    # the partner a formula names is the other factor of the same product
    e = edges(z)[3]
    assert e.names["x_j"] is e.node._prev[4]


def test_nary_parameter_errors_are_clear() -> None:
    v = Value(0.5)
    with pytest.raises(TypeError, match=r"'bce'.*targets"):
        Value.nary("bce", [v])
    with pytest.raises(ValueError, match=r"'bce'.*2 targets for 1 inputs"):
        Value.nary("bce", [v], targets=[0.0, 1.0])
    with pytest.raises(ValueError, match=r"target 2\.0.*\[0, 1\]"):
        Value.nary("bce", [v], targets=[2.0])
    with pytest.raises(TypeError, match="unknown parameter"):
        Value.nary("sum", [v], scale=2.0)


# -- a new op, defined by a user, works everywhere ------------------------------------------------


def test_user_defined_op_value_tensor_gradcheck_and_diagram() -> None:
    from micrograd_ext.core.gradcheck import gradcheck
    from micrograd_ext.diagrams import draw_graph

    cube = define_op("_test_cube", "a * a * a", "3 * a * a", formulas=("3a^2",), replace=True)
    x = Value(1.5, label="x")
    y = cube(x)
    y.backward()
    assert y.data == 1.5**3 and x.grad == pytest.approx(3 * 1.5**2, rel=1e-15)
    assert gradcheck(lambda v: cube(v).tanh(), [Value(0.7)]).ok
    t = Tensor([0.5, -2.0], requires_grad=True)
    cube(t).sum().backward()
    np.testing.assert_allclose(t.grad, 3 * np.array([0.5, -2.0]) ** 2, rtol=1e-15)
    src = draw_graph(y, edge_labels=True).source
    assert "_test_cube" in src and "3a^2 = 6.75" in src


def test_sin_and_cos_are_ops_of_the_table_with_methods() -> None:
    x = Value(0.8)
    y = x.sin() * x.cos()  # d/dx = cos^2 - sin^2 = cos 2x
    y.backward()
    assert x.grad == pytest.approx(math.cos(1.6), rel=1e-14)
    t = Tensor([0.8, -0.3], requires_grad=True)
    (t.sin() * t.cos()).sum().backward()
    np.testing.assert_allclose(t.grad, np.cos(2 * t.data), rtol=1e-14)


def test_define_op_refuses_bad_definitions() -> None:
    with pytest.raises(ValueError, match="exists already"):
        define_op("tanh", "tanh(a)", "1 - out*out")
    with pytest.raises(SyntaxError, match="_test_bad"):
        define_op("_test_bad", "a +", "1", replace=True)
    with pytest.raises(ValueError, match="1 or 2 inputs"):
        define_op("_test_three", "a", "1", "1", "1", replace=True)
    with pytest.raises(TypeError, match="strings"):
        define_op("_test_fn", math.sin, "cos(a)", replace=True)


# -- micrograd's lecture: closures attached to Value ------------------------------------------------


def _lecture_tanh(self):  # as in the lecture (and its notebook): out._backward = _backward
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = type(self)(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def _lecture_exp(self):
    x = self.data
    out = type(self)(math.exp(x), (self,), "exp")

    def _backward():
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def _lecture_neuron(V):
    x1, x2, w1, w2, b = V(2.0), V(0.0), V(-3.0), V(1.0), V(6.8813735870195432)
    n = x1 * w1 + x2 * w2 + b
    e = _lecture_exp(2 * n)
    o = (e - 1) / (e + 1)
    o2 = _lecture_tanh(n) * 0.5 + o * 0.5
    o2.backward()
    return [v.grad for v in (x1, x2, w1, w2, b)], o2


def test_micrograd_lecture_closures_give_micrograd_s_gradients() -> None:
    mg = pytest.importorskip("micrograd.engine")
    ours, o = _lecture_neuron(Value)
    theirs, _ = _lecture_neuron(mg.Value)
    assert ours == pytest.approx(theirs, rel=1e-14)
    # and both are the lecture's numbers: d tanh(n)/dn = 1 - tanh(n)^2 = 0.5 at this n
    assert ours[0] == pytest.approx(-3.0 * 0.5, rel=1e-9) and ours[2] == pytest.approx(2.0 * 0.5, rel=1e-9)
    # the diagram edge shows the local derivative the closure applied
    tanh_node = o._prev[0]._prev[0]
    (edge,) = edges(tanh_node)
    assert edge.local == pytest.approx(0.5, rel=1e-12) and edge.formula == "from _backward"
