"""float32 is kept through every op, constant and gradient (a float64 constant or seed never promotes it).

Generated from the op tables, like the op tests: every elementwise op and every structural op
runs on float32 inputs; its output and the gradients of its inputs must be float32, and equal
to the float64 run to float32 precision.
"""

from __future__ import annotations

import numpy as np
import pytest

from micrograd_ext import Tensor
from micrograd_ext.core.ops import OPS
from micrograd_ext.nets.tensor_nn import MLP, Linear
from tests.core.test_higher_order import TENSOR_CASES
from tests.core.test_ops import cases, points


@pytest.mark.parametrize("name,params", cases(), ids=lambda x: str(x))
def test_elementwise_ops_keep_float32(name: str, params: dict) -> None:
    op = OPS[name]
    pts = points(op, params)
    cols = [np.array([pt[k] for pt in pts]) for k in range(op.arity)]
    runs = {}
    for dt in (np.float32, np.float64):
        ts = [Tensor(c, requires_grad=True, dtype=dt) for c in cols]
        out = op(*ts, **params)
        (out * 2.0 + 1.0).sum().backward()  # Python constants on the way: they take the tensor's dtype
        runs[dt] = (out, ts)
    out32, ts32 = runs[np.float32]
    assert out32.data.dtype == np.float32, name
    assert all(t.grad.dtype == np.float32 for t in ts32), name
    out64, ts64 = runs[np.float64]
    np.testing.assert_allclose(out32.data, out64.data, rtol=2e-6, atol=1e-6)
    for a, b in zip(ts32, ts64):
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(TENSOR_CASES))
def test_structural_ops_keep_float32(name: str) -> None:
    f, arrays = TENSOR_CASES[name]
    ts = [Tensor(a, requires_grad=True, dtype=np.float32) for a in arrays]
    y = f(*ts)
    assert y.data.dtype == np.float32, name
    y.backward()
    assert all(t.grad.dtype == np.float32 for t in ts), name
    t64 = [Tensor(a, requires_grad=True) for a in arrays]
    y64 = f(*t64)
    y64.backward()
    assert float(y.item()) == pytest.approx(float(y64.item()), rel=1e-5, abs=1e-6)
    for a, b in zip(ts, t64):
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-3, atol=1e-5)


def test_layers_take_a_dtype_and_data_follows_the_weights() -> None:
    net = MLP(4, [8, 3], dtype=np.float32, seed=0)
    assert all(p.data.dtype == np.float32 for p in net.parameters())
    X = np.random.default_rng(0).normal(size=(5, 4))  # float64 data: a constant, it takes the weights' dtype
    out = net(X)
    assert out.data.dtype == np.float32
    out.sum().backward()
    assert all(p.grad.dtype == np.float32 for p in net.parameters())
    assert Linear(3, 2, dtype="float32").weight.data.dtype == np.float32


def test_float32_and_float64_do_not_mix_in_a_matrix_product() -> None:
    a = Tensor(np.ones((2, 3)), dtype=np.float32)
    b = Tensor(np.ones((3, 2)))
    with pytest.raises(TypeError, match=r"'@': operands of dtype float32.*float64.*\.double\(\)"):
        a @ b
    with pytest.raises(TypeError, match="dtype float16"):
        Tensor([1.0], dtype=np.float16)
    assert (a * 2.5).data.dtype == np.float32 and (2.5 - a).data.dtype == np.float32
    assert Tensor([1.0]).data.dtype == np.float64  # float64 by default
