"""Tests of micrograd_ext.chain: paths, their local derivatives and products, count_paths, the equation text.

Oracles: hand-derived derivatives (d(x*x)/dx = 2x, the sigmoid and bce formulas of
Bondartsov eqs. (5a)-(5c)), central finite differences, a brute-force recursive
path counter written here, and closed-form path counts (2^n for a squaring ladder).
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_ext.diagrams.chain import (
    TooManyPathsError,
    count_paths,
    latex_symbol,
    node_ids,
    paths,
)
from micrograd_ext.engine import Value


def iris_like(seed: int = 0):
    """Bondartsov's 4-8-3 sigmoid net with the bias as weight column 0 and C of eq. (1), one sample."""
    rng = random.Random(seed)
    x = [Value(rng.uniform(0, 7), label=f"x[{j}]") for j in range(1, 5)]
    W1 = [[Value(rng.uniform(-1, 1), label=f"w(1)[{i},{j}]") for j in range(5)] for i in range(1, 9)]
    W2 = [[Value(rng.uniform(-1, 1), label=f"w(2)[{i},{j}]") for j in range(9)] for i in range(1, 4)]
    a1 = []
    for i, row in enumerate(W1, 1):
        z = Value.weighted_sum(row[1:], x, bias=row[0])
        z.label = f"z(1)[{i}]"
        a = z.sigmoid()
        a.label = f"a(1)[{i}]"
        a1.append(a)
    a2 = []
    for i, row in enumerate(W2, 1):
        z = Value.weighted_sum(row[1:], a1, bias=row[0])
        z.label = f"z(2)[{i}]"
        a = z.sigmoid()
        a.label = f"a(2)[{i}]"
        a2.append(a)
    y = [0.0, 1.0, 0.0]
    C = Value.nary("bce", a2, targets=y, scale=1.0)
    C.label = "C"
    return C, x, W1, W2, a1, a2, y


def test_x_times_x_has_two_paths_summing_to_2x():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    y.backward()
    ps = paths(y, x)
    assert len(ps) == 2 == count_paths(y, x)
    assert [p.edges for p in ps] == [(0,), (1,)]
    assert [p.factors for p in ps] == [(3.0,), (3.0,)]
    assert ps.total == 6.0 == 2 * x.data  # d(x^2)/dx = 2x
    assert ps.check()[0]


def test_figure2_last_layer_weight_one_path_eq4():
    C, x, W1, W2, a1, a2, y = iris_like()
    C.backward()
    w = W2[0][2]  # w(2)[1,2]
    ps = paths(C, w)
    assert len(ps) == 1
    p = ps[0]
    assert [n.label for n in p.nodes] == ["C", "a(2)[1]", "z(2)[1]", "w(2)[1,2]"]
    a = a2[0].data
    # eq. (5a), (5b), (5c) by hand
    expected = ((a - y[0]) / (a * (1 - a)), a * (1 - a), a1[1].data)
    for got, want in zip(p.factors, expected):
        assert got == pytest.approx(want, rel=1e-12)
    # eq. (6): (a - y) a_j^(1)
    assert p.product == pytest.approx((a - y[0]) * a1[1].data, rel=1e-12)
    assert p.product == pytest.approx(w.grad, rel=1e-12)
    assert p.formulas() == ("(a-y)/(a(1-a))/N", "out*(1 - out)", "x_j")


def test_figure3_first_layer_weight_three_paths_eq9():
    C, x, W1, W2, a1, a2, y = iris_like()
    C.backward()
    w = W1[2][2]  # w(1)[3,2]
    ps = paths(C, w)
    assert len(ps) == 3 == count_paths(C, w)
    assert [p.nodes[1].label for p in ps] == ["a(2)[1]", "a(2)[2]", "a(2)[3]"]
    # eq. (11): sum_k (a_k - y_k) w(2)[k,3] * a_3 (1 - a_3) * x_2
    g1 = a1[2].data * (1 - a1[2].data)
    want = sum((a2[k].data - y[k]) * W2[k][3].data for k in range(3)) * g1 * x[1].data
    assert ps.total == pytest.approx(want, rel=1e-12)
    assert abs(ps.total - w.grad) <= 1e-12 * max(1.0, abs(w.grad))


def test_equation_text_and_latex_in_the_documents_form():
    C, x, W1, W2, *_ = iris_like()
    C.backward()
    ps = paths(C, W2[0][2])
    assert ps.text() == "dC/dw(2)[1,2] = dC/da(2)[1] * da(2)[1]/dz(2)[1] * dz(2)[1]/dw(2)[1,2]"
    assert ps.latex() == (
        r"\frac{\partial C}{\partial w_{1,2}^{(2)}} = \frac{\partial C}{\partial a_{1}^{(2)}} "
        r"\frac{\partial a_{1}^{(2)}}{\partial z_{1}^{(2)}} \frac{\partial z_{1}^{(2)}}{\partial w_{1,2}^{(2)}}"
    )
    ps3 = paths(C, W1[2][2])
    assert ps3.text().count(" + ") == 2
    assert ps3.latex().count(r"\frac") == 1 + 3 * 5
    numeric = ps3.text(numbers=True)
    assert "path 3:" in numeric and "sum =" in numeric


def test_latex_symbols_and_unlabelled_nodes():
    assert latex_symbol(Value(1.0, label="w(1)[3,2]")) == "w_{3,2}^{(1)}"
    assert latex_symbol(Value(1.0, label="x[4]")) == "x_{4}"
    assert latex_symbol(Value(1.0, label="loss_1")) == r"\mathrm{loss\_1}"
    a = Value(2.0)
    b = a.tanh()
    ids = node_ids(b)
    assert ids == {b: "n0", a: "n1"}
    assert paths(b, a).text() == "dn0/dn1 = dn0/dn1"


def test_root_equals_wrt_and_unreachable_node():
    a = Value(2.0, label="a")
    b = Value(5.0, label="b")
    c = a * 3.0
    ps = paths(a, a)
    assert len(ps) == 1 and ps[0].product == 1.0 and ps[0].nodes == (a,)
    assert len(paths(c, b)) == 0 and count_paths(c, b) == 0
    assert paths(c, b).total == 0.0


def test_count_paths_exponential_ladder_and_limit_error():
    # x_{k+1} = x_k * x_k: two edges per step, so 2^n paths from x_n back to x_0
    x0 = Value(1.0001, label="x0")
    v = x0
    for _ in range(60):
        v = v * v
    assert count_paths(v, x0) == 2**60
    with pytest.raises(TooManyPathsError) as e:
        paths(v, x0)
    msg = str(e.value)
    assert str(2**60) in msg and "limit=" in msg and "count_paths" in msg
    # a smaller ladder lists fine with a raised limit
    u = x0
    for _ in range(12):
        u = u * u
    with pytest.raises(TooManyPathsError):
        paths(u, x0, limit=4095)
    assert len(paths(u, x0, limit=4096)) == 4096


def test_deep_chain_no_recursion():
    x = Value(0.1, label="x")
    v = x
    for _ in range(5000):
        v = v + 0.0
    ps = paths(v, x)
    assert len(ps) == 1 and len(ps[0]) == 5000 and ps[0].product == 1.0


def test_paths_rejects_non_nodes():
    with pytest.raises(TypeError, match="paths: expected graph nodes"):
        paths(1.0, Value(1.0))


# -- random graphs ------------------------------------------------------------------------


def _brute_count(node, wrt) -> int:
    """Number of paths by plain recursion (an independent oracle for count_paths)."""
    if node is wrt:
        return 1
    return sum(_brute_count(p, wrt) for p in node._prev)


OPS = ("+", "*", "-", "tanh", "sigmoid", "square", "wsum", "sum", "bce_like")


@st.composite
def random_graph(draw):
    n_leaves = draw(st.integers(1, 4))
    leaves = [Value(draw(st.floats(-1.5, 1.5)), label=f"x{k}") for k in range(n_leaves)]
    nodes = list(leaves)
    for _ in range(draw(st.integers(1, 10))):
        op = draw(st.sampled_from(OPS))
        pick = lambda: nodes[draw(st.integers(0, len(nodes) - 1))]  # noqa: E731
        if op in ("+", "*", "-"):
            a, b = pick(), pick()  # may be the same node: repeated edges
            v = a + b if op == "+" else a * b if op == "*" else a - b
        elif op == "tanh":
            v = pick().tanh()
        elif op == "sigmoid":
            v = pick().sigmoid()
        elif op == "square":
            a = pick()
            v = a * a
        elif op == "wsum":
            k = draw(st.integers(1, 3))
            v = Value.weighted_sum([pick() for _ in range(k)], [pick() for _ in range(k)], bias=pick())
        elif op == "sum":
            v = Value.sum([pick() for _ in range(draw(st.integers(1, 4)))])
        else:
            v = Value.nary("bce", [pick().sigmoid() for _ in range(2)], targets=[0.0, 1.0], scale=0.5)
        # keep values moderate so products stay well conditioned
        if abs(v.data) > 50:
            v = v.tanh()
        nodes.append(v)
    return nodes[-1], leaves, nodes


@settings(max_examples=60, deadline=None)
@given(random_graph())
def test_sum_of_path_products_equals_grad_on_random_dags(g):
    root, leaves, nodes = g
    root.backward()
    for node in nodes:
        n = count_paths(root, node)
        if node is not root and len(nodes) <= 12:
            assert n == _brute_count(root, node)
        if n > 3000:
            continue
        ps = paths(root, node, limit=None)
        assert len(ps) == n
        for p in ps:
            assert p.nodes[0] is root and p.nodes[-1] is node
            for k, e in enumerate(p.edges):
                assert p.nodes[k]._prev[e] is p.nodes[k + 1]
            assert p.product == pytest.approx(math.prod(p.factors), rel=1e-15, abs=0)
        want = node.grad if n else 0.0
        assert abs(ps.total - want) <= 1e-12 * max(1.0, abs(want))


@settings(max_examples=25, deadline=None)
@given(random_graph())
def test_sum_of_path_products_matches_finite_differences(g):
    root, leaves, nodes = g
    root.backward()
    for leaf in leaves:
        n = count_paths(root, leaf)
        if n == 0 or n > 3000:
            continue
        total = paths(root, leaf, limit=None).total
        fd = _finite_difference(root, leaf)
        assert total == pytest.approx(fd, rel=1e-5, abs=1e-6)


def _finite_difference(root, leaf, h: float = 1e-6) -> float:
    """Central difference of root w.r.t. leaf, recomputing the graph's values with the math module
    (each op's forward written out here, independently of the op table)."""
    from micrograd_ext.core.graph import topological_order

    def sig(x: float) -> float:
        return 1.0 / (1.0 + math.exp(-x))

    def wsum(ins: list[float]) -> float:  # (w0, w1, x1, w2, x2, ...)
        return ins[0] + sum(ins[j] * ins[j + 1] for j in range(1, len(ins), 2))

    def bce(ins: list[float]) -> float:  # targets [0, 1], scale 0.5
        return -0.5 * (math.log(1.0 - ins[0]) + math.log(ins[1]))

    forward_of = {"+": lambda i: i[0] + i[1], "*": lambda i: i[0] * i[1], "-": lambda i: i[0] - i[1],
                  "tanh": lambda i: math.tanh(i[0]), "sigmoid": lambda i: sig(i[0]), "wsum": wsum,
                  "sum": lambda i: math.fsum(i), "bce": bce}
    order = topological_order(root)

    def forward(shift: float) -> float:
        val = {}
        for node in order:
            if not node._prev:
                val[node] = node.data + (shift if node is leaf else 0.0)
                continue
            val[node] = forward_of[str(node._op)]([val[p] for p in node._prev])
        return val[root]

    return (forward(h) - forward(-h)) / (2 * h)


def test_tensor_paths_contributions_sum_to_grad_and_are_drawn_with_shapes() -> None:
    """On a Tensor MLP each path's contribution is the chain of VJPs along it; they sum to W.grad."""
    import numpy as np

    from micrograd_ext import Tensor
    from micrograd_ext.diagrams import draw_paths
    from micrograd_ext.nets.tensor_nn import MLP, cross_entropy

    net = MLP(4, [5, 3], activation="tanh", seed=0)
    X = Tensor(np.random.default_rng(0).normal(size=(6, 4)))
    h = net.layers[0](X)
    # two paths to W: through the net, and through a penalty on the first layer
    C = cross_entropy(net(X), np.array([0, 1, 2, 0, 1, 2])) + (h.tanh() ** 2).mean()
    C.backward()
    W = net.layers[0].weight
    ps = paths(C, W)
    assert len(ps) == 2 and count_paths(C, W) == 2
    for p in ps:
        assert p.product.shape == W.data.shape
        assert all(f for f in p.formulas())  # every edge names its backward rule
    assert np.max(np.abs(ps.total - W.grad)) <= 1e-12 * max(1.0, np.max(np.abs(W.grad)))
    assert ps.check()[0]
    # the penalty path alone, by the closed form: d mean(tanh(XW^T+b)^2)/dW = (2/30) [t (1 - t^2)]^T X
    t = np.tanh(X.data @ W.data.T + net.layers[0].bias.data)
    penalty = ((2.0 / t.size) * t * (1 - t * t)).T @ X.data
    assert any(np.allclose(p.product, penalty, rtol=1e-12, atol=1e-15) for p in ps)
    src = draw_paths(C, W).source
    assert "shape (5, 4)" in src and "dW = dY^T X" in src and "✓ equal" in src
