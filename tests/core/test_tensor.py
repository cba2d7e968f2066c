"""Tensor: every operation against central finite differences, plus graph semantics and errors.

The oracle for gradients is :func:`fd_grads` (central differences on the numpy
function, independent of the engine); a few cases use hand-computed values.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from fdiff import fd_grads

from micrograd_ext.core.graph import AnomalyError, detect_anomaly, no_grad
from micrograd_ext.core.ops import OPS, DomainError
from micrograd_ext.core.tensor import TENSOR_RULES, Tensor, bce, cross_entropy, linear
from micrograd_ext.engine import Value

RNG = np.random.default_rng(1234)


# -- the oracle -------------------------------------------------------------------------------


def check_op(op, *arrays: np.ndarray, tol: float = 1e-6, eps: float = 1e-6):
    """Autodiff gradients of ``sum(op(*tensors) * R)`` (R a fixed random weighting) against finite differences."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    out = op(*ts)
    R = RNG.standard_normal(out.shape)
    (out * Tensor(R)).sum().backward()

    def f(*xs):
        return float((op(*[Tensor(x) for x in xs]).data * R).sum())

    expected = fd_grads(f, arrays, eps)
    for t, e in zip(ts, expected):
        assert t.grad is not None and t.grad.shape == t.shape
        np.testing.assert_allclose(t.grad, e, rtol=tol, atol=tol)
    return ts, out


def rand(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape)


# -- elementwise ops and broadcasting -----------------------------------------------------------

BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),  # row vector over rows
    ((4,), (3, 4)),  # the other side
    ((3, 1), (1, 4)),  # both broadcast: an outer operation
    ((3, 4), (3, 1)),  # column over columns
    ((2, 1, 4), (3, 1)),  # new leading axis and length-1 axes at once
    ((), (3, 4)),  # a 0-d tensor
    ((3, 4), ()),
    ((2, 3, 4), (1, 3, 1)),  # keepdims-shaped operand
]


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_binary_ops_broadcast_in_every_direction(op, shapes):
    sa, sb = shapes
    a = rand(*sa)
    b = rand(*sb, low=0.5, high=2.0) * RNG.choice([-1, 1], sb)  # keep divisors away from 0
    fn = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y, "/": lambda x, y: x / y}[op]
    (ta, tb), out = check_op(fn, a, b)
    assert out.shape == np.broadcast_shapes(sa, sb)
    assert ta.grad.shape == sa and tb.grad.shape == sb


@pytest.mark.parametrize("fn", [
    lambda x: 2.5 + x, lambda x: x + 2.5, lambda x: 3.0 - x, lambda x: x - 3.0,
    lambda x: -1.5 * x, lambda x: x * 4.0, lambda x: 2.0 / x, lambda x: x / 4.0, lambda x: -x,
], ids=["radd", "add", "rsub", "sub", "rmul", "mul", "rdiv", "div", "neg"])
def test_numbers_on_either_side(fn):
    check_op(fn, rand(2, 3, low=0.5, high=2.0))


def test_ndarray_on_the_left_defers_to_tensor():
    x = Tensor(rand(2, 3), requires_grad=True)
    out = np.ones((2, 3)) * 3.0 + x
    assert isinstance(out, Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))


@pytest.mark.parametrize("k", [2, 3, 0.5, -1.0, 1, 0])
def test_pow_constant(k):
    check_op(lambda x: x**k, rand(3, 2, low=0.5, high=2.0))


def test_pow_tensor_exponent_and_rpow():
    check_op(lambda x, y: x**y, rand(3, 2, low=0.5, high=2.0), rand(3, 2))
    check_op(lambda x, y: x**y, rand(3, 2, low=0.5, high=2.0), rand(2))  # broadcast exponent
    check_op(lambda y: 2.0**y, rand(4))


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "relu", "sqrt"])
def test_unary_functions(name):
    low = 0.3 if name in ("log", "sqrt") else -3.0
    a = rand(3, 4, low=low, high=3.0)
    if name == "relu":
        a[np.abs(a) < 1e-3] = 0.5  # away from the kink
    check_op(lambda x: getattr(x, name)(), a)


def test_elementwise_ops_are_the_one_table_entries():
    # One tanh entry serves both engines (the numbers are checked against finite differences above).
    x = Tensor([0.3, -1.2], requires_grad=True)
    y = x.tanh()
    assert y._op == "tanh" and y._op.op is OPS["tanh"] is Value(0.3).tanh()._op.op
    assert y.formulas == ("da = dout * (1 - out^2)",)


def test_relu_derivative_at_zero_pytorch_and_park():
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])  # PyTorch: relu'(0) = 0
    x.grad = None
    x.relu(grad_at_zero=1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0])  # Park (2022): relu'(0) = 1
    x.grad = None
    x.relu(grad_at_zero=0.5).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 1.0])


# -- matmul ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("sa, sb", [
    ((3, 4), (4, 5)),  # matrix-matrix
    ((3, 4), (4,)),  # matrix-vector
    ((4,), (4, 5)),  # vector-matrix
    ((4,), (4,)),  # dot product
    ((2, 3, 4), (4, 5)),  # batched, broadcast right operand
    ((2, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (4,)),
], ids=str)
def test_matmul_all_forms(sa, sb):
    (ta, tb), out = check_op(lambda x, y: x @ y, rand(*sa), rand(*sb))
    assert out.shape == (rand(*sa) @ rand(*sb)).shape


def test_matmul_closed_form_rosenberg():
    # Z = A B with L = sum(Z * R): dA = R B^T, dB = A^T R  (the table's formula text)
    A, B = rand(3, 4), rand(4, 2)
    R = rand(3, 2)
    ta, tb = Tensor(A, requires_grad=True), Tensor(B, requires_grad=True)
    ((ta @ tb) * Tensor(R)).sum().backward()
    np.testing.assert_allclose(ta.grad, R @ B.T, rtol=1e-14)
    np.testing.assert_allclose(tb.grad, A.T @ R, rtol=1e-14)
    assert TENSOR_RULES["matmul"].formulas() == ("dA = dZ B^T", "dB = A^T dZ")


def test_matmul_number_on_left_and_array():
    check_op(lambda y: np.ones((2, 3)) @ y, rand(3, 2))


# -- reductions ------------------------------------------------------------------------------------

AXES = [None, 0, 1, 2, -1, -2, (0, 2), (-1, 0)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "max"])
def test_reductions_axis_keepdims(name, axis, keepdims):
    a = rand(2, 3, 4)
    _, out = check_op(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims), a)
    assert out.shape == getattr(np, name if name != "max" else "amax")(a, axis=axis, keepdims=keepdims).shape


def test_max_ties_share_the_gradient():
    x = Tensor([[1.0, 3.0, 3.0], [5.0, 2.0, 0.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


def test_sum_of_0d_and_item():
    x = Tensor(3.0, requires_grad=True)
    y = x * x
    y.backward()
    assert y.item() == 9.0 and x.grad.shape == () and float(x.grad) == 6.0


# -- shape ops and indexing --------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [
    lambda x: x.reshape(4, 6), lambda x: x.reshape((3, 8)), lambda x: x.reshape(-1),
    lambda x: x.transpose(), lambda x: x.transpose(1, 0, 2), lambda x: x.transpose((2, 0, 1)),
    lambda x: x.T, lambda x: x.transpose(-1, 0, 1),
], ids=["reshape", "reshape-tuple", "flatten", "transpose", "perm", "perm-tuple", "T", "neg-axes"])
def test_shape_ops(fn):
    check_op(fn, rand(2, 3, 4))


@pytest.mark.parametrize("index", [
    (slice(None), 1), 1, -1, (slice(1, None), slice(None, None, 2)), (Ellipsis, 0),
    ([0, 0, 2],),  # repeated rows
    (np.array([0, 2, 0, 0]), np.array([1, 1, 1, 3])),  # repeated elements
    (slice(None), [3, 3]),
    (None, 0),
], ids=str)
def test_getitem_scatters_back(index):
    check_op(lambda x: x[index], rand(3, 4))


def test_getitem_repeated_indices_accumulate_hand_count():
    x = Tensor(np.arange(5.0), requires_grad=True)
    x[[0, 0, 0, 3, 3]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 0.0, 2.0, 0.0])


def test_getitem_boolean_mask_and_tensor_index():
    a = rand(3, 4)
    mask = a > 0
    check_op(lambda x: x[mask], a)
    x = Tensor(a, requires_grad=True)
    x[Tensor([2, 2])].sum().backward()
    np.testing.assert_array_equal(x.grad, np.vstack([np.zeros((2, 4)), 2 * np.ones((1, 4))]))


def test_getitem_errors():
    with pytest.raises(IndexError, match=r"getitem.*\(3, 4\)"):
        Tensor(np.zeros((3, 4)))[5]


# -- softmax family ----------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_fd(name, axis):
    check_op(lambda x: getattr(x, name)(axis=axis), rand(3, 4))


def test_softmax_closed_form_rosenberg():
    # dJ/ds = (dJ/dy - [(dJ/dy)^T sigma] 1) * sigma  (Rosenberg section 2)
    s = rand(5)
    dy = rand(5)
    x = Tensor(s, requires_grad=True)
    y = x.softmax()
    y.backward(dy)
    sig = np.exp(s) / np.exp(s).sum()
    np.testing.assert_allclose(x.grad, (dy - dy @ sig) * sig, rtol=1e-13, atol=1e-15)


def test_softmax_stable_at_1000():
    x = Tensor([[1000.0, 1000.0, 999.0], [-1000.0, 0.0, 1000.0]], requires_grad=True)
    with detect_anomaly():
        p = x.softmax(axis=1)
        lp = x.log_softmax(axis=1)
        (p.sum() + lp[:, 0].sum()).backward()
    z = 2 + math.exp(-1)  # row 0: exp(0) + exp(0) + exp(-1)
    np.testing.assert_allclose(p.data[0], [1 / z, 1 / z, math.exp(-1) / z], rtol=1e-15)
    np.testing.assert_allclose(lp.data[0], [-math.log(z), -math.log(z), -1 - math.log(z)], rtol=1e-15)
    assert lp.data[1, 0] == pytest.approx(-2000.0, rel=1e-15)
    assert np.isfinite(x.grad).all()


# -- fused nodes: linear, cross-entropy, bce -----------------------------------------------------------


@pytest.mark.parametrize("xshape", [(5, 3), (3,), (2, 5, 3)], ids=str)
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_fd(xshape, with_bias):
    if with_bias:
        check_op(lambda x, w, b: linear(x, w, b), rand(*xshape), rand(4, 3), rand(4))
    else:
        check_op(lambda x, w: linear(x, w), rand(*xshape), rand(4, 3))


def test_linear_closed_form_and_data_gets_no_gradient():
    # Rosenberg section 1, minibatch: dW = dY^T X, db = dY^T 1, dX = dY W
    X, W, b, dY = rand(6, 3), rand(2, 3), rand(2), rand(6, 2)
    x = Tensor(X)  # data: requires_grad=False
    w, bb = Tensor(W, requires_grad=True), Tensor(b, requires_grad=True)
    y = linear(x, w, bb)
    np.testing.assert_allclose(y.data, X @ W.T + b, rtol=1e-15)
    y.backward(dY)
    np.testing.assert_allclose(w.grad, dY.T @ X, rtol=1e-14)
    np.testing.assert_allclose(bb.grad, dY.T @ np.ones(6), rtol=1e-14)
    assert x.grad is None
    xg = Tensor(X, requires_grad=True)
    linear(xg, w, bb).backward(dY)
    np.testing.assert_allclose(xg.grad, dY @ W, rtol=1e-14)


def _np_xent(z, t):
    z = np.atleast_2d(z)
    m = z.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    return lse, np.exp(z - lse[:, None])


def test_cross_entropy_integer_labels_closed_form():
    Z, y = rand(6, 4), RNG.integers(0, 4, 6)
    z = Tensor(Z, requires_grad=True)
    loss = cross_entropy(z, y)
    lse, P = _np_xent(Z, y)
    assert loss.item() == pytest.approx(np.mean(lse - Z[np.arange(6), y]), rel=1e-14)
    loss.backward()
    Y = np.eye(4)[y]
    np.testing.assert_allclose(z.grad, (P - Y) / 6, rtol=1e-12, atol=1e-15)  # CS224n 2.6, Park Thm 6.1
    check_op(lambda x: cross_entropy(x, y), Z)
    check_op(lambda x: cross_entropy(x, y, reduction="sum"), Z)


def test_cross_entropy_one_hot_and_soft_targets():
    Z, y = rand(5, 3), RNG.integers(0, 3, 5)
    a = cross_entropy(Tensor(Z), y).item()
    b = cross_entropy(Tensor(Z), np.eye(3)[y]).item()
    c = cross_entropy(Tensor(Z), np.eye(3, dtype=int)[y]).item()
    assert a == pytest.approx(b, rel=1e-14) and b == c
    soft = RNG.dirichlet(np.ones(3), 5)
    check_op(lambda x: cross_entropy(x, soft), Z)


def test_cross_entropy_one_sample_and_errors():
    z = rand(4)
    check_op(lambda x: cross_entropy(x, 2), z)
    with pytest.raises(IndexError, match="class index 4"):
        cross_entropy(Tensor(rand(3, 4)), [0, 1, 4])
    with pytest.raises(IndexError, match="class index -1"):
        cross_entropy(Tensor(rand(3, 4)), [0, -1, 2])
    with pytest.raises(ValueError, match=r"target of shape \(2,\)"):
        cross_entropy(Tensor(rand(3, 4)), [0, 1])
    with pytest.raises(TypeError, match="integer class indices"):
        cross_entropy(Tensor(rand(3, 4)), [0.5, 1, 2])


def test_cross_entropy_large_and_widely_spread_logits():
    # logits of 1000, and rows whose scales differ by 3000 (the per-row fallback)
    Z = np.array([[1000.0, 999.0, 998.0], [-2000.0, -2001.0, -1999.0], [0.0, 1.0, 2.0]])
    y = np.array([0, 2, 1])
    z = Tensor(Z, requires_grad=True)
    with detect_anomaly():
        loss = cross_entropy(z, y)
        loss.backward()
    lse, P = _np_xent(Z, y)
    assert loss.item() == pytest.approx(np.mean(lse - Z[np.arange(3), y]), rel=1e-14)
    np.testing.assert_allclose(z.grad, (P - np.eye(3)[y]) / 3, rtol=1e-12, atol=1e-16)


def test_bce_closed_form_bondartsov():
    A = rand(4, 3, low=0.05, high=0.95)
    Y = (RNG.random((4, 3)) > 0.5).astype(float)
    a = Tensor(A, requires_grad=True)
    loss = bce(a, Y, scale=1 / 4)  # eq. (1): mean over the 4 samples, sum over the 3 outputs
    assert loss.item() == pytest.approx(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / 4, rel=1e-14)
    loss.backward()
    np.testing.assert_allclose(a.grad, (A - Y) / (A * (1 - A)) / 4, rtol=1e-13)  # eq. (5a)
    check_op(lambda x: bce(x, Y, 0.25), A)
    with pytest.raises(DomainError, match="bce"):
        bce(Tensor([1.5]), [1.0], 1.0)


# -- backward semantics ---------------------------------------------------------------------------------


def test_grad_none_before_backward_and_leaves_accumulate():
    w = Tensor(rand(3), requires_grad=True)
    h = w * 2.0
    loss = (h * h).sum()
    assert w.grad is None and h.grad is None
    loss.backward()
    g1 = w.grad.copy()
    np.testing.assert_allclose(g1, 8 * w.data, rtol=1e-15)
    loss.backward()
    np.testing.assert_allclose(w.grad, 2 * g1, rtol=1e-15)  # the leaf accumulates
    np.testing.assert_allclose(h.grad, 2 * h.data, rtol=1e-15)  # the intermediate is this pass's


def test_backward_needs_a_gradient_for_non_scalar_outputs():
    x = Tensor(rand(2, 3), requires_grad=True)
    y = x * 3.0
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*backward\(grad\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"grad of shape \(3,\) for a tensor of shape \(2, 3\)"):
        y.backward(np.ones(3))
    G = rand(2, 3)
    y.backward(G)
    np.testing.assert_allclose(x.grad, 3 * G, rtol=1e-15)
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        Tensor([1.0]).sum().backward()


def test_one_element_tensor_backward_without_grad():
    x = Tensor([[2.0]], requires_grad=True)
    (x * x).backward()
    assert x.grad.shape == (1, 1) and x.grad[0, 0] == 4.0


def test_data_without_requires_grad_records_nothing_and_gets_nothing():
    X = Tensor(rand(4, 3))
    Y = (X * 2.0 + 1.0).exp()  # only constants: no graph at all
    assert Y._prev == () and not Y.requires_grad
    W = Tensor(rand(3, 2), requires_grad=True)
    Z = (Y @ W).sum()
    assert Z.requires_grad
    Z.backward()
    assert X.grad is None and Y.grad is None and W.grad is not None


def test_leaf_grad_is_its_own_array():
    w = Tensor(rand(2, 3), requires_grad=True)
    y = (w + 0.0).reshape(6)
    y.backward(np.arange(6.0))
    assert w.grad.flags.writeable and not np.shares_memory(w.grad, y.grad)
    w.grad *= 0  # an optimizer may work in place
    np.testing.assert_array_equal(y.grad, np.arange(6.0))


def test_same_graph_counter_as_value_and_iterative_order():
    a = Value(1.0)
    t = Tensor([1.0], requires_grad=True)
    b = Value(2.0)
    assert a._seq < t._seq < b._seq
    x = t
    for _ in range(20000):  # deep chain: no recursion anywhere
        x = x * 1.0
    x.sum().backward()
    assert t.grad[0] == 1.0


def test_no_grad_for_tensor_and_value_together():
    w = Tensor(rand(3), requires_grad=True)
    v = Value(2.0)
    with no_grad():
        y = (w * 2.0).sum()
        u = v * v
    assert not y.requires_grad and y._prev == () and u._prev == ()
    assert (w * 2.0).requires_grad


def test_detect_anomaly_forward_names_op_and_shapes():
    x = Tensor(np.full((2, 3), 800.0), requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"'exp'.*inf.*\(2, 3\)"):
        x.exp()
    x.exp()  # off again: overflow to inf is allowed


def test_detect_anomaly_backward_names_op():
    x = Tensor([0.0, 1.0], requires_grad=True)
    y = (x**0.5).sum()  # forward is finite: sqrt(0) = 0; backward 0.5 / sqrt(0) = inf
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"backward: '\*\*0\.5'.*\(2,\)"):
        y.backward()


# -- errors ---------------------------------------------------------------------------------------------


def test_matmul_shape_mismatch_names_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"'@': shapes \(2, 3\) and \(4, 5\).*3.*!= 4"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"'@': shapes \(3,\) and \(2,\)"):
        Tensor(np.ones(3)) @ np.ones(2)
    with pytest.raises(ValueError, match=r"'@'.*\(\)"):
        Tensor(2.0) @ Tensor(np.ones(2))


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_broadcast_mismatch_names_op_and_both_shapes(op):
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((4,)))
    fn = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}[op]
    with pytest.raises(ValueError, match=re.escape(f"'{op}': shapes (2, 3) and (4,) cannot be broadcast")):
        fn()


@pytest.mark.parametrize("bad", ["abc", None, {"a": 1}, [1.0, "x"], 1 + 2j, [Value(1.0)]], ids=repr)
def test_non_numeric_data_is_a_type_error(bad):
    with pytest.raises(TypeError, match="Tensor: expected numeric data"):
        Tensor(bad)
    with pytest.raises(TypeError):
        Tensor([1.0]) + bad


def test_other_errors():
    with pytest.raises(ValueError, match="rectangular"):
        Tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match=r"axis 2 is out of range.*2 dimension"):
        Tensor(np.ones((2, 3))).sum(axis=2)
    with pytest.raises(ValueError, match="reshape"):
        Tensor(np.ones((2, 3))).reshape(4, 2)
    with pytest.raises(ValueError, match="item"):
        Tensor(np.ones(2)).item()
    with pytest.raises(DomainError, match="log"):
        Tensor([1.0, -1.0]).log()


# -- conveniences ----------------------------------------------------------------------------------------


def test_properties_and_conversions():
    a = np.arange(6.0).reshape(2, 3)
    t = Tensor(a, requires_grad=True, label="A")
    a[0, 0] = 99.0  # the tensor holds its own copy
    assert t.data[0, 0] == 0.0 and t.data.dtype == np.float64
    assert t.shape == (2, 3) and t.ndim == 2 and t.T.shape == (3, 2) and len(t) == 2
    assert t.numpy() is t.data
    d = t.detach()
    assert not d.requires_grad and d.data is t.data and d._prev == ()
    assert Tensor(3).data.dtype == np.float64 and Tensor([1, 2]).data.dtype == np.float64
    assert "requires_grad=True" in repr(t)
    assert {t: 1}[t] == 1  # hashable by identity
