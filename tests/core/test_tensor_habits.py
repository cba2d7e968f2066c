"""Tensor's PyTorch habits, without PyTorch: hand-derived values, numpy's forward, finite differences.

* the new shape ops and ``cat``/``stack``/``clone``/``max(dim)``/``min(dim)``/``amin`` against
  central differences (the op-table tests cover them at second order and in forward mode);
* the tie rule: ``max(dim)`` gives the whole gradient to the returned (first) index, ``amax`` and
  ``max()`` share it (hand-counted);
* ``.grad`` is one type for every shape; in-place updates follow PyTorch's rules and a modified
  input is caught at backward; masks and indices have their dtypes and no gradient.
"""

from __future__ import annotations

import numpy as np
import pytest
from fdiff import fd_grads

import micrograd_ext as mg
from micrograd_ext import Tensor, no_grad
from micrograd_ext.core.tensor import ElementCount, GradArray

RNG = np.random.default_rng(2013)


def check(op, *arrays: np.ndarray, tol: float = 1e-6):
    """The gradient of ``sum(op(*tensors) * R)`` against central differences of the numpy forward."""
    ts = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = op(*ts)
    R = RNG.standard_normal(out.shape)
    (out * Tensor(R)).sum().backward()
    want = fd_grads(lambda *xs: float((op(*[Tensor(x) for x in xs]).data * R).sum()), arrays)
    for t, w in zip(ts, want):
        np.testing.assert_allclose(t.grad, w, rtol=tol, atol=tol)
    return out


A = RNG.normal(size=(2, 3, 4))


@pytest.mark.parametrize("op, np_op", [
    (lambda x: x.view(6, 4), lambda a: a.reshape(6, 4)),
    (lambda x: x.flatten(), lambda a: a.reshape(-1)),
    (lambda x: x.flatten(1), lambda a: a.reshape(2, 12)),
    (lambda x: x.flatten(0, 1), lambda a: a.reshape(6, 4)),
    (lambda x: x.unsqueeze(1), lambda a: a[:, None]),
    (lambda x: x.unsqueeze(-1), lambda a: a[..., None]),
    (lambda x: x.unsqueeze(0).squeeze(), lambda a: a),
    (lambda x: x[:, :1].squeeze(1), lambda a: a[:, 0]),
    (lambda x: x.squeeze(0), lambda a: a),  # length 2, not 1: left as it is (PyTorch)
    (lambda x: x.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    (lambda x: x.transpose(0, 2), lambda a: a.swapaxes(0, 2)),
    (lambda x: x.transpose(-1, 1), lambda a: a.swapaxes(-1, 1)),
    (lambda x: x.clone(), lambda a: a),
    (lambda x: x.amin(dim=(0, 2)), lambda a: a.min(axis=(0, 2))),
    (lambda x: x.amax(1, keepdim=True), lambda a: a.max(axis=1, keepdims=True)),
    (lambda x: x.max(dim=2).values, lambda a: a.max(axis=2)),
    (lambda x: x.min(-2, keepdim=True).values, lambda a: a.min(axis=-2, keepdims=True)),
    (lambda x: x.sum(dim=(0, 1), keepdim=True), lambda a: a.sum(axis=(0, 1), keepdims=True)),
    (lambda x: x.mean(dim=-1), lambda a: a.mean(axis=-1)),
    (lambda x: x.softmax(dim=0), lambda a: np.exp(a) / np.exp(a).sum(0)),
    (lambda x: mg.cat([x, 2 * x[:, :2]], dim=1), lambda a: np.concatenate([a, 2 * a[:, :2]], axis=1)),
    (lambda x: mg.stack([x, x * x], dim=-1), lambda a: np.stack([a, a * a], axis=-1)),
], ids=lambda f: "")
def test_new_ops_forward_as_numpy_and_gradients_as_finite_differences(op, np_op) -> None:
    out = check(op, A)
    np.testing.assert_allclose(out.data, np_op(A), rtol=1e-14)


def test_cat_and_stack_of_several_inputs_each_get_their_slice() -> None:
    a, b, c = RNG.normal(size=(2, 3)), RNG.normal(size=(1, 3)), RNG.normal(size=(4, 3))
    check(lambda x, y, z: mg.cat([x, y, z]), a, b, c)
    check(lambda x, y: mg.stack([x, y], 1), a, RNG.normal(size=(2, 3)))
    with pytest.raises(ValueError, match=r"cat: tensor 1 has shape \(2, 2\).*dimension 0"):
        mg.cat([Tensor(a), Tensor(np.ones((2, 2)))])
    with pytest.raises(ValueError, match="stack: tensor 1"):
        mg.stack([Tensor(a), Tensor(b)])
    with pytest.raises(TypeError, match="list or tuple"):
        mg.cat(Tensor(a))


# -- the tie rule -----------------------------------------------------------------------------------------

TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]])


def test_max_along_a_dim_gives_the_gradient_to_the_first_maximum() -> None:
    q = Tensor(TIES, requires_grad=True)
    v, i = q.max(dim=1)
    assert v.tolist() == [3.0, 2.0] and i.tolist() == [1, 0] and i.dtype == np.int64
    v.sum().backward()
    np.testing.assert_array_equal(q.grad, [[0, 1, 0], [1, 0, 0]])  # all to the returned index


def test_amax_and_full_max_share_the_gradient_at_ties() -> None:
    q = Tensor(TIES, requires_grad=True)
    q.amax(dim=1).sum().backward()
    np.testing.assert_array_equal(q.grad, [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    q.grad = None
    q.max().backward()
    np.testing.assert_array_equal(q.grad, [[0, 0.5, 0.5], [0, 0, 0]])
    q.grad = None
    q.max(axis=1).sum().backward()  # numpy's spelling is amax
    np.testing.assert_array_equal(q.grad, [[0, 0.5, 0.5], [0.5, 0.5, 0]])


def test_min_dim_keepdim_and_argmin_argmax() -> None:
    q = Tensor(TIES, requires_grad=True)
    r = q.min(0, keepdim=True)
    assert r.values.shape == (1, 3) and r.indices.tolist() == [[0, 1, 1]]
    (r.values * Tensor([[1.0, 2.0, 3.0]])).sum().backward()
    np.testing.assert_array_equal(q.grad, [[1, 0, 0], [0, 2, 3]])
    assert q.argmax().item() == 1 and q.argmin(dim=1).tolist() == [0, 2] and q.argmax(1, keepdim=True).shape == (2, 1)
    with pytest.raises(TypeError, match="dim=.*and axis="):
        q.max(dim=1, axis=1)
    with pytest.raises(TypeError, match="one int"):
        q.max(dim=(0, 1))


# -- .grad ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_grad_is_one_type_for_every_shape_with_torch_methods(shape) -> None:
    x = Tensor(np.full(shape, 2.0), requires_grad=True)
    h = x * x
    (h * 3.0).sum().backward()
    for g in (x.grad, h.grad):  # a leaf and an intermediate
        assert type(g) is GradArray and g.shape == shape and g.dtype == np.float64
    np.testing.assert_array_equal(x.grad, np.full(shape, 12.0))  # d(3 x^2)/dx = 6x
    assert x.grad.data is x.grad and type(x.grad.numpy()) is np.ndarray
    assert x.grad.numel() == int(np.prod(shape)) and x.grad.dim() == len(shape)
    assert x.grad.clone().tolist() == np.full(shape, 12.0).tolist()
    x.grad.zero_()
    np.testing.assert_array_equal(x.grad, np.zeros(shape))
    (x * 1.0).sum().backward()  # a zeroed gradient accumulates from 0
    np.testing.assert_array_equal(x.grad, np.ones(shape))


def test_grad_assignment_checks_the_shape() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.grad = [0.5, 0.5]
    assert type(x.grad) is GradArray and x.grad.tolist() == [0.5, 0.5]
    with pytest.raises(ValueError, match=r"grad: assigned a gradient of shape \(3,\) to a tensor of shape \(2,\)"):
        x.grad = np.zeros(3)
    x.grad = None
    assert x.grad is None


# -- in-place updates ------------------------------------------------------------------------------------------


def test_sgd_step_under_no_grad_updates_the_same_leaf_and_the_next_backward_works() -> None:
    w = Tensor([1.0, -2.0], requires_grad=True)
    ident = id(w)
    for _ in range(3):  # f = sum w^2: w <- w - 0.1 * 2w = 0.8 w each step
        (w * w).sum().backward()
        with no_grad():
            w -= 0.1 * w.grad
        w.grad.zero_()
    assert id(w) == ident and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.data, np.array([1.0, -2.0]) * 0.8**3, rtol=1e-15)
    w.data -= 0.5 * w.data  # the .data route, untracked as in PyTorch
    np.testing.assert_allclose(w.data, np.array([1.0, -2.0]) * 0.8**3 * 0.5, rtol=1e-15)


def test_in_place_rules_raise_clearly_and_change_nothing() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"leaf Tensor that requires grad .*is being used in an in-place operation"):
        w -= 1.0
    with pytest.raises(RuntimeError, match="leaf Tensor that requires grad"):
        w.zero_()
    assert w.data.tolist() == [1.0, 2.0]
    y = w * 2.0
    for update in (lambda: y.__iadd__(1.0), lambda: y.mul_(2.0), lambda: y.__setitem__(0, 5.0)):
        with pytest.raises(RuntimeError, match=r"made by '\*'.*part of a recorded graph"):
            update()
        with no_grad(), pytest.raises(RuntimeError, match="recorded graph"):
            update()
    assert y.data.tolist() == [2.0, 4.0]
    c = Tensor([0.0, 0.0])
    with pytest.raises(RuntimeError, match="does not require grad with one that does"):
        c += w
    c += Tensor([1.0, 1.0])  # constants may change in place
    c[1] = 7.0
    assert c.data.tolist() == [1.0, 7.0]
    with pytest.raises(ValueError, match=r"'\+=': cannot update a tensor of shape \(2,\)"):
        c += np.ones(3)


def test_an_input_modified_after_use_is_caught_at_backward() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w.tanh() * w).sum()
    with no_grad():
        w -= 0.1
    with pytest.raises(RuntimeError, match=r"input 1 \(shape \(2,\)\) of '\*' was modified by an in-place operation"):
        loss.backward()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        mg.grad(loss, [w])
    d = w.detach()
    loss2 = (w * w).sum()
    with no_grad():
        d.mul_(2.0)  # one buffer: the update of the detached copy is an update of w
    assert w.data.tolist() == pytest.approx([1.8, 3.8])
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss2.backward()
    (w * w).sum().backward()  # a graph made after the update is fine
    np.testing.assert_allclose(w.grad, 2 * w.data)


def test_requires_grad_and_retain_grad() -> None:
    d = Tensor([1.0, 2.0])
    assert d.requires_grad_() is d and d.requires_grad
    (d * d).sum().backward()
    assert d.grad.tolist() == [2.0, 4.0]
    h = d * 3.0
    assert h.retain_grad() is None and not h.is_leaf and h.grad_fn == "*"
    with pytest.raises(RuntimeError, match="not a leaf"):
        h.requires_grad_(False)
    with pytest.raises(RuntimeError, match="dtype int64 cannot require a gradient"):
        mg.arange(3).requires_grad_()


# -- masks, indices, inspection ----------------------------------------------------------------------------------


def test_comparisons_are_masks_without_gradient() -> None:
    x = Tensor([[1.0, -2.0, 3.0], [0.5, 0.0, -1.5]], requires_grad=True)
    m = x > 0
    assert m.dtype == bool and not m.requires_grad
    assert m.tolist() == [[True, False, True], [True, False, False]]
    assert (x == 0).tolist() == [[False] * 3, [False, True, False]] and (x != 0).sum().item() == 5
    assert ((x >= 0) & (x <= 1)).tolist() == [[True, False, False], [True, True, False]]
    assert (~m | (x < -1.9)).tolist() == [[False, True, False], [False, True, True]]
    y = x[x > 0]
    assert y.tolist() == [1.0, 3.0, 0.5]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, m.float().data)
    assert (x > 0).float().dtype == np.float32 and (x > 0).double().dtype == np.float64  # PyTorch's names
    with pytest.raises(TypeError, match="expected masks"):
        x & x
    assert {x, x} == {x} and x in [x] and (x == None) is False  # noqa: E711 - hashing stays by identity


def test_size_is_numpy_s_count_and_torch_s_shape() -> None:
    x = Tensor(np.zeros((2, 3)))
    assert isinstance(x.size, ElementCount) and x.size == 6 and x.size + 1 == 7
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2 and x.numel() == 6 and x.dim() == 2
    with pytest.raises(IndexError, match="dimension 2 is out of range"):
        x.size(2)


def test_factories_as_numpy() -> None:
    assert mg.zeros(2, 3).data.tolist() == np.zeros((2, 3)).tolist() and mg.ones((2,)).data.tolist() == [1.0, 1.0]
    assert mg.arange(5).dtype == np.int64 and mg.arange(1, 2, 0.25).tolist() == [1.0, 1.25, 1.5, 1.75]
    assert mg.full((2,), 7).tolist() == [7.0, 7.0] and mg.eye(2, 3).tolist() == np.eye(2, 3).tolist()
    assert mg.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    x = Tensor(np.ones((2, 2)))
    assert mg.zeros_like(x).shape == (2, 2) and mg.full_like(x, 3.0).tolist() == [[3.0, 3.0]] * 2
    z = mg.zeros(3, requires_grad=True)
    assert z.requires_grad and z.is_leaf
    with pytest.raises(TypeError, match="zeros: size"):
        mg.zeros(-1)


def test_clamp_and_abs_follow_pytorch_at_the_kinks() -> None:
    x = Tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    (x.clamp(-1.0, 1.0) + abs(x) + x.clamp(min=0.0)).sum().backward()
    # clamp'(x) = 1 on [-1, 1], bounds included; |x|' = sign(x), 0 at 0; clamp(min=0)' = 1 for x >= 0
    np.testing.assert_array_equal(x.grad, [0 - 1, 1 - 1, 1 + 0 + 1, 1 + 1 + 1, 0 + 1 + 1])
    with pytest.raises(TypeError, match="at least one of min and max"):
        x.clamp()


def test_transpose_two_ints_is_torch_s_swap_and_a_tuple_numpy_s_permutation() -> None:
    a = np.arange(6.0).reshape(2, 3)
    assert Tensor(a).transpose(0, 1).tolist() == a.T.tolist()  # numpy's transpose(0, 1) would be the identity
    assert Tensor(a).transpose((0, 1)).tolist() == a.tolist()
    b = np.arange(24.0).reshape(2, 3, 4)
    assert Tensor(b).transpose(2, 0, 1).shape == (4, 2, 3) and Tensor(b).transpose(0, 2).shape == (4, 3, 2)
