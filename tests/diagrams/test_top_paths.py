"""Tests of chain.top_paths (the k paths with the largest |product|, found without listing them) and
draw_paths(..., paths=...).

Oracles: a brute-force enumeration of every path written here (recursion over
``edges(node)``), on random small DAGs with repeated edges (``x * x``), negative
factors, n-ary sums and dead ends; and closed forms on a ladder of 2^n paths that no
enumeration could list.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_ext.core.graph import edges, parents
from micrograd_ext.core.tensor import Tensor
from micrograd_ext.diagrams import draw_paths
from micrograd_ext.diagrams.chain import TopPaths, count_paths, count_text, paths, top_paths
from micrograd_ext.engine import Value


def brute_paths(root, wrt):
    """Every path root -> wrt as ((node ids...), (edge indices...), product), product multiplied from the root down."""
    out = []

    def walk(node, ids, ix, prod):
        if node is wrt:
            out.append((ids, ix, prod))
            return
        for e in edges(node):
            walk(e.parent, ids + (id(e.parent),), ix + (e.index,), e.local * prod)

    walk(root, (id(root),), (), 1.0)
    return out


OPS = ("mul", "add", "sub", "neg", "scale", "tanh", "sum", "square")


@st.composite
def dags(draw):
    """A random scalar DAG: 2-3 leaves, up to 9 ops on earlier nodes, a root, and a node to differentiate by."""
    n_leaves = draw(st.integers(2, 3))
    nodes = [Value(draw(st.floats(-2, 2, allow_nan=False)), label=f"x{i}") for i in range(n_leaves)]
    for _ in range(draw(st.integers(1, 9))):
        op = draw(st.sampled_from(OPS))
        pick = st.integers(0, len(nodes) - 1)
        a, b = nodes[draw(pick)], nodes[draw(pick)]  # a is b happens: repeated edges
        if op == "mul":
            v = a * b
        elif op == "add":
            v = a + b
        elif op == "sub":
            v = a - b  # local -1 on b
        elif op == "neg":
            v = -a
        elif op == "scale":
            v = a * draw(st.sampled_from([-3.0, -0.5, 0.0, 0.25, 2.0]))  # negative and zero factors
        elif op == "tanh":
            v = a.tanh()
        elif op == "square":
            v = a * a
        else:
            v = Value.sum([a, b, nodes[draw(pick)]])
        nodes.append(v)
    root = nodes[-1] if draw(st.booleans()) else Value.sum(nodes[-3:])
    wrt = nodes[draw(st.integers(0, len(nodes) - 1))]
    return root, wrt


def check_is_path(p, root, wrt):
    assert p.nodes[0] is root and p.nodes[-1] is wrt
    assert len(p.nodes) == len(p.edges) + 1 == len(p.factors) + 1
    prod = 1.0
    for k, e in enumerate(p.edges):
        assert parents(p.nodes[k])[e] is p.nodes[k + 1]
        assert p.factors[k] == edges(p.nodes[k])[e].local
        prod = p.factors[k] * prod
    assert p.product == prod


@settings(max_examples=300, deadline=None)
@given(dags(), st.integers(1, 6))
def test_top_paths_agrees_with_brute_force(dag, k):
    root, wrt = dag
    every = brute_paths(root, wrt)
    top = top_paths(root, wrt, k=k)
    assert isinstance(top, TopPaths)
    assert top.count == len(every) == count_paths(root, wrt)
    assert len(top) == min(k, len(every))
    want = sorted((abs(prod) for _, _, prod in every), reverse=True)[:k]
    assert [abs(p.product) for p in top] == want  # bit for bit: the same products in the same order of multiplication
    by_path = {(ids, ix): prod for ids, ix, prod in every}
    seen = set()
    for p in top:
        check_is_path(p, root, wrt)
        key = (tuple(id(n) for n in p.nodes), p.edges)
        assert key in by_path and by_path[key] == p.product
        assert key not in seen  # no path twice
        seen.add(key)
    assert top.complete == (k >= len(every))


@settings(max_examples=100, deadline=None)
@given(dags())
def test_all_paths_when_k_is_large_and_their_sum_is_the_gradient(dag):
    root, wrt = dag
    root.backward()
    n = count_paths(root, wrt)
    top = top_paths(root, wrt, k=max(1, n))
    assert top.complete and len(top) == n
    assert {(tuple(map(id, p.nodes)), p.edges) for p in top} == {(ids, ix) for ids, ix, _ in brute_paths(root, wrt)}
    if n:
        want = wrt.grad if wrt is not root else 1.0
        assert math.isclose(math.fsum(p.product for p in top), want, rel_tol=1e-12, abs_tol=1e-12)


def test_x_times_x_two_edges_each_a_path():
    x = Value(-3.0, label="x")
    y = x * x
    top = top_paths(y, x, k=5)
    assert top.count == 2 and len(top) == 2 and top.complete
    assert sorted(p.edges for p in top) == [(0,), (1,)]
    assert [p.product for p in top] == [-3.0, -3.0]  # d(x*x)/dx = x on each edge: 2x in all


def test_negative_factors_rank_by_absolute_value():
    x = Value(1.0, label="x")
    y = Value.sum([x * -5.0, x * 2.0, x * 0.5])  # three paths, products -5, 2, 0.5
    assert [p.product for p in top_paths(y, x, k=2)] == [-5.0, 2.0]
    assert [p.product for p in top_paths(y, x, k=3)] == [-5.0, 2.0, 0.5]


def ladder(n, seed=0):
    """z_{i+1} = a_i z_i + b_i z_i: 2^n paths from z_n to z_0; a path picks a_i or b_i at each level."""
    rng = random.Random(seed)
    z0 = Value(0.3, label="z0")
    z = z0
    coeffs = []
    for _ in range(n):
        a, b = rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5)
        coeffs.append((a, b))
        z = z * a + z * b
    return z, z0, coeffs


def test_ladder_of_2_to_the_200_paths_closed_form():
    root, z0, coeffs = ladder(200)
    top = top_paths(root, z0, k=2)
    assert top.count == 2**200 == count_paths(root, z0)
    assert not top.complete
    big = [max(abs(a), abs(b)) for a, b in coeffs]
    best = math.prod(big)
    ratio = max(min(abs(a), abs(b)) / max(abs(a), abs(b)) for a, b in coeffs)  # swap the level that costs least
    assert abs(top[0].product) == pytest.approx(best, rel=1e-12)
    assert abs(top[1].product) == pytest.approx(best * ratio, rel=1e-12)
    sign = math.prod(math.copysign(1.0, a if abs(a) >= abs(b) else b) for a, b in coeffs)
    assert math.copysign(1.0, top[0].product) == sign
    for p in top:
        check_is_path(p, root, z0)
        assert len(p) == 400  # two edges a level: the '+' node and the '*' node


def test_nan_product_ranks_last():
    x = Value(1.0, label="x")
    y = Value.sum([x * float("nan"), x * 3.0, x * -1.0])
    top = top_paths(y, x, k=3)
    assert [p.product for p in top[:2]] == [3.0, -1.0]
    assert math.isnan(top[2].product)


def test_root_is_wrt_and_wrt_outside_the_graph():
    x = Value(2.0, label="x")
    y = x.tanh()
    same = top_paths(y, y)
    assert same.count == 1 and len(same) == 1 and same[0].nodes == (y,) and same[0].product == 1.0
    other = top_paths(y, Value(1.0))
    assert other.count == 0 and len(other) == 0 and other.complete


def test_bad_arguments():
    x = Value(2.0)
    y = x * x
    with pytest.raises(ValueError, match="k = 0"):
        top_paths(y, x, k=0)
    with pytest.raises(TypeError, match="k = 1.5"):
        top_paths(y, x, k=1.5)
    with pytest.raises(TypeError, match="expected graph nodes"):
        top_paths(y, 2.0)
    t = Tensor(np.ones((2, 2)))
    with pytest.raises(TypeError, match="Tensor"):
        top_paths((t * t).sum(), t)


def test_count_text():
    assert count_text(7) == "7"
    assert count_text(4_238_993_920) == "4,238,993,920"
    assert count_text(2**200) == "1.60e+60 (61 digits)"  # 2^200 = 1.606...e60: digits cut, not rounded


def test_text_marks_the_cut_sum():
    root, z0, _ = ladder(30)
    root.backward()
    top = top_paths(root, z0, k=2)
    assert top.text().endswith(f"+ ... ({count_text(2**30 - 2)} more paths)")
    long = top.text(numbers=True)
    assert "the 2 with the largest |product|" in long and "sum of these 2" in long
    assert "1,073,741,824" in repr(top)
    assert r"\dots" in top.latex()
    html = top._repr_html_()
    assert "sum over all 1,073,741,824 paths" in html and "equal" not in html


# ---------------------------------------------------------------------------
# draw_paths(root, wrt, paths=...)
# ---------------------------------------------------------------------------


def small_net():
    x = [Value(0.5, label="x[1]"), Value(-1.5, label="x[2]")]
    w = [Value(0.3, label="w(1)[1,1]"), Value(-0.7, label="w(1)[1,2]")]
    h = Value.weighted_sum(w, x).tanh()
    h.label = "a(1)[1]"
    C = Value.sum([h * h, h * 2.0, h.exp()])
    C.label = "C"
    C.backward()
    return C, w[0]


def test_draw_given_top_paths():
    C, w = small_net()
    assert count_paths(C, w) == 4
    top = top_paths(C, w, k=2)
    g = draw_paths(C, w, paths=top)
    src = g.source
    assert "the 2 of 4 paths from C to w(1)[1,1] with the largest |product|" in src
    assert "sum of these 2 products" in src and "sum over all 4 paths" in src
    assert "legend_path2" in src and "legend_path3" not in src
    assert "DIFFERENT" not in src and "equal" not in src  # a selection is not compared with the gradient
    assert "sum over all 4 paths" in g.text


def test_draw_given_all_paths_is_the_default_drawing():
    C, w = small_net()
    assert draw_paths(C, w, paths=paths(C, w)).source == draw_paths(C, w).source
    every = top_paths(C, w, k=10)  # complete: drawn and checked like all paths
    assert "✓ equal" in draw_paths(C, w, paths=every).source


def test_draw_paths_refuses_wrong_paths():
    C, w = small_net()
    with pytest.raises(TypeError, match="paths = "):
        draw_paths(C, w, paths=[1, 2])
    other = top_paths(C, C)
    with pytest.raises(ValueError, match="another root or wrt"):
        draw_paths(C, w, paths=other)


def test_draw_given_top_paths_in_the_whole_graph():
    C, w = small_net()
    top = top_paths(C, w, k=1)
    src = draw_paths(C, w, paths=top, whole=True).source
    assert "the 1 of 4 paths from C to w(1)[1,1] with the largest |product|" in src
    assert "legend_path1" in src and "legend_path2" not in src
