"""micrograd_ext.jacobian: full Jacobians by reverse mode, against central finite differences and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from fdiff import fd_jacobian

from micrograd_ext.core.jacobian import jacobian, jacobian_values
from micrograd_ext.core.tensor import Tensor
from micrograd_ext.engine import Value

rng = np.random.default_rng(7)
W = rng.normal(size=(4, 3))


def test_matrix_vector_is_W() -> None:
    x = rng.normal(size=3)
    assert np.array_equal(jacobian(lambda t: Tensor(W) @ t, x), W)


def test_softmax_jacobian_closed_form() -> None:
    s = rng.normal(size=5)
    o = np.exp(s) / np.exp(s).sum()
    J = jacobian(lambda t: t.softmax(axis=0), s)
    assert np.allclose(J, o[:, None] * (np.eye(5) - o[None, :]), atol=1e-15)


def test_elementwise_is_diagonal() -> None:
    x = rng.normal(size=4)
    J = jacobian(lambda t: t.tanh(), x)
    assert np.allclose(J, np.diag(1 - np.tanh(x) ** 2), atol=1e-15)


def test_matrix_in_matrix_out_against_finite_differences() -> None:
    X = rng.normal(size=(3, 4))
    f_np = lambda A: np.tanh(A @ W) * A.sum()
    J = jacobian(lambda T: (T @ Tensor(W)).tanh() * T.sum(), X)
    assert J.shape == (3, 3, 3, 4)
    assert np.allclose(J, fd_jacobian(f_np, X), atol=1e-7)


def test_identity_constant_and_scalar_output() -> None:
    x = rng.normal(size=3)
    assert np.array_equal(jacobian(lambda t: t, x), np.eye(3))
    assert np.array_equal(jacobian(lambda t: Tensor(np.ones(2)), x), np.zeros((2, 3)))
    J = jacobian(lambda t: (t * t).sum(), x)
    assert J.shape == (3,) and np.allclose(J, 2 * x)


def test_extra_arguments_and_grad_restored() -> None:
    x = Tensor(rng.normal(size=3), requires_grad=True)
    x.grad = np.full(3, 7.0)
    Wt = Tensor(W, requires_grad=True)
    J = jacobian(lambda t, M: M @ t, x, Wt)
    assert np.array_equal(J, W)
    assert np.array_equal(x.grad, np.full(3, 7.0)) and Wt.grad is None


def test_errors() -> None:
    with pytest.raises(ValueError, match="requires_grad"):
        jacobian(lambda t: t, Tensor(np.ones(2)))
    with pytest.raises(TypeError, match="expected a Tensor"):
        jacobian(lambda t: 1.0, np.ones(2))


def test_jacobian_values_matches_tensor_and_reuses_graph() -> None:
    xs = [Value(float(v)) for v in rng.normal(size=3)]
    z = [Value.sum([float(W[i, k]) * xs[k] for k in range(3)]).sigmoid() for i in range(4)]
    Jv = jacobian_values(z, xs)
    Jt = jacobian(lambda t: (Tensor(W) @ t).sigmoid(), np.array([v.data for v in xs]))
    assert np.allclose(Jv, Jt, atol=1e-15)
    assert np.array_equal(jacobian_values(z, xs), Jv)  # a second call on the same graph
    assert np.array_equal(jacobian_values(xs, xs), np.eye(3))
