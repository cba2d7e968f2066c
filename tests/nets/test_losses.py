"""Losses against hand-written formulas (math module), the documents' derivatives, and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_ext.core.gradcheck import gradcheck
from micrograd_ext.core.graph import topological_order
from micrograd_ext.core.ops import DomainError
from micrograd_ext.engine import Value
from micrograd_ext.nets.losses import bce, max_margin, mse, softmax_cross_entropy

A = [[0.2, 0.7, 0.4], [0.9, 0.1, 0.35]]
Y = [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]


def leaves(rows: list[list[float]]) -> list[list[Value]]:
    return [[Value(v) for v in r] for r in rows]


def flat(rows):
    return [v for r in rows for v in r]


def ops(root: Value) -> set[str]:
    return {n._op for n in topological_order(root) if n._prev}


# -- binary cross-entropy: Bondartsov eq. (1), derivative eq. (5a) ----------------------------------


@pytest.mark.parametrize("nary", [True, False])
def test_bce_is_eq_1_and_its_gradient_is_eq_5a(nary):
    P = leaves(A)
    C = bce(P, Y, nary=nary)
    N = len(A)
    by_hand = -sum(y * math.log(a) + (1 - y) * math.log(1 - a) for ra, ry in zip(A, Y) for a, y in zip(ra, ry)) / N
    assert C.data == pytest.approx(by_hand, rel=1e-14)
    C.backward()
    for p, a, y in zip(flat(P), flat(A), flat(Y)):
        assert p.grad == pytest.approx((a - y) / (a * (1 - a)) / N, rel=1e-12)  # eq. (5a), over |Sx|
    if nary:
        assert C._op == "bce" and len(C._prev) == 6
    else:
        assert "bce" not in ops(C) and "log" in ops(C)


@pytest.mark.parametrize("nary", [True, False])
def test_bce_through_a_sigmoid_gives_a_minus_y(nary):
    """With a = sigmoid(z): dC/dz = (a - y) / N (Bondartsov eqs. (5a)*(5b), the factor a(1-a) cancels)."""
    zs = [Value(v) for v in (-1.5, 0.3, 2.0)]
    ys = [1.0, 0.0, 1.0]
    outs = [z.sigmoid() for z in zs]
    C = bce([[o] for o in outs], [[y] for y in ys], nary=nary)
    C.backward()
    for z, o, y in zip(zs, outs, ys):
        assert z.grad == pytest.approx((o.data - y) / 3, rel=1e-12)


@pytest.mark.parametrize("nary", [True, False])
def test_bce_finite_differences(nary):
    P = flat(leaves(A))
    report = gradcheck(lambda *ps: bce([list(ps[:3]), list(ps[3:])], Y, nary=nary), P)
    assert report.ok, str(report)


def test_bce_flat_list_is_mean_over_elements_and_single_value_works():
    C = bce([Value(0.8), Value(0.3)], [1.0, 0.0])
    assert C.data == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2, rel=1e-14)
    assert bce(Value(0.8), 1.0).data == pytest.approx(-math.log(0.8), rel=1e-14)


def test_bce_saturated_and_out_of_range():
    # y = 1 and a = 1: the elementary form leaves out (1 - y) ln(1 - a), no ln 0
    assert bce([Value(1.0)], [1.0], nary=False).data == 0.0
    assert bce([Value(1.0)], [1.0], nary=True).data == 0.0
    # the n-ary node floors each log at -100 (PyTorch's BCELoss): finite
    assert bce([Value(0.0)], [1.0]).data == pytest.approx(100.0)
    with pytest.raises(DomainError, match="log"):
        bce([Value(0.0)], [1.0], nary=False)
    with pytest.raises(DomainError, match=r"bce: prediction 1\.5"):
        bce([Value(1.5)], [1.0])


def test_bce_shape_errors():
    with pytest.raises(ValueError, match="2 predictions but 1 targets"):
        bce([Value(0.5), Value(0.5)], [1.0])
    with pytest.raises(ValueError, match="sample 1"):
        bce(leaves(A), [[0.0, 1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(TypeError, match="target"):
        bce([Value(0.5)], ["yes"])


# -- mean squared error ------------------------------------------------------------------------------


@pytest.mark.parametrize("nary", [True, False])
def test_mse_formula_and_gradient(nary):
    P = leaves(A)
    L = mse(P, Y, nary=nary)
    N = 2
    assert L.data == pytest.approx(sum((a - y) ** 2 for a, y in zip(flat(A), flat(Y))) / N, rel=1e-14)
    L.backward()
    for p, a, y in zip(flat(P), flat(A), flat(Y)):
        assert p.grad == pytest.approx(2 * (a - y) / N, rel=1e-12)
    assert (L._op == "mse") is nary


def test_mse_flat_is_mean_like_pytorch_and_finite_differences():
    xs = [Value(v) for v in (1.0, -2.0, 0.5, 3.0)]
    ts = [0.5, 0.0, 0.5, 1.0]
    assert mse(xs, ts).data == pytest.approx((0.25 + 4 + 0 + 4) / 4, rel=1e-14)
    assert gradcheck(lambda *v: mse(list(v), ts, nary=False), xs).ok


# -- softmax cross-entropy ---------------------------------------------------------------------------


def softmax(z):
    e = [math.exp(v) for v in z]
    return [v / sum(e) for v in e]


@pytest.mark.parametrize("nary", [True, False])
def test_xent_formula_and_gradient_is_softmax_minus_onehot(nary):
    z = [1.0, -0.5, 2.0, 0.25]
    Z = [Value(v) for v in z]
    L = softmax_cross_entropy(Z, 2, nary=nary)
    assert L.data == pytest.approx(-math.log(softmax(z)[2]), rel=1e-14)
    L.backward()
    p = softmax(z)
    assert [v.grad for v in Z] == pytest.approx([p[0], p[1], p[2] - 1.0, p[3]], rel=1e-12)  # CS224n 2.6
    assert (L._op == "xent") is nary


@pytest.mark.parametrize("nary", [True, False])
def test_xent_batch_is_mean_and_matches_finite_differences(nary):
    rows = [[0.1, 0.2, -0.3], [1.5, -1.0, 0.0], [0.0, 0.0, 0.0]]
    ks = [0, 2, 1]
    L = softmax_cross_entropy(leaves(rows), ks, nary=nary)
    assert L.data == pytest.approx(sum(-math.log(softmax(r)[k]) for r, k in zip(rows, ks)) / 3, rel=1e-14)
    xs = flat(leaves(rows))
    rep = gradcheck(lambda *v: softmax_cross_entropy([list(v[0:3]), list(v[3:6]), list(v[6:9])], ks, nary=nary), xs)
    assert rep.ok, str(rep)


@pytest.mark.parametrize("nary", [True, False])
def test_xent_is_numerically_stable(nary):
    Z = [Value(1000.0), Value(0.0), Value(-1000.0)]
    assert softmax_cross_entropy(Z, 0, nary=nary).data == 0.0
    L = softmax_cross_entropy(Z, 1, nary=nary)
    assert L.data == pytest.approx(1000.0, rel=1e-15)
    L.backward()
    assert [v.grad for v in Z] == pytest.approx([1.0, -1.0, 0.0], abs=1e-15)
    assert all(math.isfinite(v.grad) for v in Z)


def test_xent_bad_targets():
    Z = [Value(0.0), Value(1.0)]
    with pytest.raises(IndexError, match="class index 2 for 2 logits"):
        softmax_cross_entropy(Z, 2)
    with pytest.raises(TypeError, match="class index"):
        softmax_cross_entropy(Z, 1.0)
    with pytest.raises(ValueError, match="one class index per row"):
        softmax_cross_entropy([Z, Z], [0])


# -- max-margin (micrograd's demo) ---------------------------------------------------------------------


@pytest.mark.parametrize("nary", [False, True])
def test_max_margin_formula_and_gradient(nary):
    s = [0.3, -1.2, 2.5, 0.9, -0.4]
    y = [1.0, -1.0, -1.0, 1.0, 1.0]
    S = [Value(v) for v in s]
    ps = [Value(v) for v in (0.5, -2.0)]
    L = max_margin(S, y, alpha=1e-3, params=ps, nary=nary)
    hinge = [max(0.0, 1 - yi * si) for yi, si in zip(y, s)]
    assert L.data == pytest.approx(sum(hinge) / 5 + 1e-3 * (0.25 + 4.0), rel=1e-14)
    L.backward()
    assert [v.grad for v in S] == pytest.approx([(-yi / 5 if h > 0 else 0.0) for yi, h in zip(y, hinge)], abs=1e-16)
    assert [p.grad for p in ps] == pytest.approx([2e-3 * 0.5, 2e-3 * -2.0], rel=1e-14)


def test_max_margin_without_params_and_label_check():
    assert max_margin([Value(0.5)], [1.0]).data == 0.5
    with pytest.raises(ValueError, match="label 0.0 .*-1 or \\+1"):
        max_margin([Value(0.5)], [0])
    with pytest.raises(ValueError, match="2 scores but 1 labels"):
        max_margin([Value(0.5), Value(1.0)], [1.0])


# -- Tensors are handed to tensor_nn -------------------------------------------------------------------


def test_tensor_inputs_delegate_and_agree_with_the_scalar_losses():
    import micrograd_ext.nets.tensor_nn  # noqa: F401
    from micrograd_ext.core import tensor
    Tensor = tensor.Tensor
    a = np.array(A)
    y = np.array(Y)
    for fn in (bce, mse):
        t = Tensor(a, requires_grad=True)
        lt = fn(t, y)
        P = leaves(A)
        ls = fn(P, Y)
        assert float(lt.data) == pytest.approx(ls.data, rel=1e-13)
        lt.backward()
        ls.backward()
        assert t.grad == pytest.approx(np.array([[v.grad for v in r] for r in P]), rel=1e-12)
    z = np.array([[0.1, 0.2, -0.3], [1.5, -1.0, 0.0]])
    t = Tensor(z, requires_grad=True)
    lt = softmax_cross_entropy(t, np.array([0, 2]))
    assert float(lt.data) == pytest.approx(softmax_cross_entropy(leaves(z.tolist()), [0, 2]).data, rel=1e-13)
    s = Tensor(np.array([0.3, -1.2, 2.5]), requires_grad=True)
    w = Tensor(np.array([[0.5, -2.0]]), requires_grad=True)
    lt = max_margin(s, [1.0, -1.0, -1.0], alpha=1e-3, params=[w])
    ls = max_margin([Value(0.3), Value(-1.2), Value(2.5)], [1.0, -1.0, -1.0], alpha=1e-3, params=[Value(0.5), Value(-2.0)])
    assert float(lt.data) == pytest.approx(ls.data, rel=1e-14)


# -- property-based: the two constructions of each loss agree everywhere -----------------------------

finite = st.floats(min_value=-800.0, max_value=800.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(z=st.lists(finite, min_size=1, max_size=6), data=st.data())
def test_xent_nary_and_elementary_agree_and_grads_sum_to_zero(z, data):
    k = data.draw(st.integers(0, len(z) - 1))
    Z1, Z2 = [Value(v) for v in z], [Value(v) for v in z]
    L1, L2 = softmax_cross_entropy(Z1, k), softmax_cross_entropy(Z2, k, nary=False)
    assert math.isfinite(L1.data) and L1.data >= -1e-12
    assert L1.data == pytest.approx(L2.data, rel=1e-12, abs=1e-12)
    L1.backward()
    L2.backward()
    assert [v.grad for v in Z1] == pytest.approx([v.grad for v in Z2], abs=1e-12)
    assert sum(v.grad for v in Z1) == pytest.approx(0.0, abs=1e-12)  # softmax sums to 1, one-hot too


@settings(max_examples=60, deadline=None)
@given(a=st.lists(st.floats(0.01, 0.99), min_size=1, max_size=6), data=st.data())
def test_bce_nary_and_elementary_agree(a, data):
    y = data.draw(st.lists(st.sampled_from([0.0, 1.0, 0.25]), min_size=len(a), max_size=len(a)))
    P1, P2 = [Value(v) for v in a], [Value(v) for v in a]
    L1, L2 = bce(P1, y), bce(P2, y, nary=False)
    assert L1.data == pytest.approx(L2.data, rel=1e-12)
    L1.backward()
    L2.backward()
    assert [v.grad for v in P1] == pytest.approx([v.grad for v in P2], rel=1e-10)
