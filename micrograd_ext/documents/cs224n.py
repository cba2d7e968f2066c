""""Computing Neural Network Gradients" (CS224n-style notes): closed forms, nets, verify rows, errata.

The notes' sections: 1.1 the Jacobian, 1.2 the chain rule as a product of Jacobians,
2.1-2.7 identities (``z = W x``, ``z = x W``, ``z = x``, ``z = f(x)`` elementwise,
dJ/dW for ``z = W x`` and ``z = x W``, softmax + cross-entropy and the softmax
derivative), and 3, a one-hidden-layer network::

    z = W x + b1,  h = ReLU(z),  theta = U h + b2,  y_hat = softmax(theta),  J = CE(y, y_hat)

Notation (the notes'): Jacobians are outputs x inputs; dJ/dz of a column vector z is a
ROW (``delta1 = (y_hat - y)^T``, 1 x Nc); parameter gradients are reshaped to the
parameter's shape; ``ReLU'(x) = sgn(ReLU(x))`` (0 at 0).  Section numbers are the notes'.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from ..core.jacobian import jacobian, jacobian_values
from ..core.tensor import Tensor
from ..core.value import Value
from ..nets import losses, tensor_nn
from .common import (
    AUTHOR,
    CS224N,
    EXTRACTION,
    FD_RTOL,
    Array,
    Erratum,
    Row,
    Rows,
    central_difference,
    grads,
    leaf,
    softmax,
    strict_matmul,
    t_log_softmax,
    t_sigmoid,
    t_softmax,
    v_affine,
    v_sigmoid,
    v_softmax,
    values,
)

DOC = CS224N


# =============================================================================================
# Closed forms
# =============================================================================================


def jacobian_1_1_as_printed(J: Array) -> Array:
    """(df/dx)_ij = df_i/dx_i as printed: entry (i, j) holds the DIAGONAL entry i of the true Jacobian ``J``.  CS224n notes, 1.1."""
    return np.array([[J[i, i] for _ in range(J.shape[1])] for i in range(J.shape[0])])


def chain_1_2(x: float) -> dict[str, Array]:
    """The chain rule of 1.2 for the example f(x) = [x^2, e^x], g(f) = [f1 f2, f1 + 3 f2^2].  CS224n notes, 1.2.

    Returns ``dg/df`` (2 x 2), ``df/dx`` (2 x 1), their product ``dg/dx`` (2 x 1) and the
    first display's element form ``dg_i/dx = sum_k dg_i/df_k df_k/dx``.
    """
    f1, f2 = x * x, np.exp(x)
    dg_df = np.array([[f2, f1], [1.0, 6.0 * f2]])
    df_dx = np.array([[2.0 * x], [np.exp(x)]])
    elem = np.array([[sum(dg_df[i, k] * df_dx[k, 0] for k in range(2))] for i in range(2)])
    return {"dg/df": dg_df, "df/dx": df_dx, "dg/dx": dg_df @ df_dx, "elementwise": elem}


def chain_1_2_as_printed(x: float) -> Array:
    """1.2's matrix product as our copy prints it: a 2 x 3 matrix times a 2 x 3 matrix (garbled entries).  CS224n notes, 1.2.

    Raises ValueError (the product is not defined).
    """
    c = chain_1_2(x)
    G, F = c["dg/df"], c["df/dx"]
    left = np.array([[G[0, 0], G[0, 1], G[0, 1]], [G[1, 0], G[1, 1], G[1, 1]]])
    right = np.array([[F[0, 0], F[0, 0], F[0, 0] + G[0, 1] * F[1, 0]], [G[1, 0], F[1, 0], F[1, 0]]])
    return strict_matmul(left, right)


def dz_dx_2_1(W: Array) -> Array:
    """z = W x (x a column): dz/dx = W (n x m).  CS224n notes, identity 2.1."""
    return np.array(W, dtype=float)


def dz_dx_2_2(W: Array) -> Array:
    """z = x W (x a row, W m x n): dz/dx = W^T (n x m).  CS224n notes, identity 2.2."""
    return np.array(W, dtype=float).T


def dz_dx_2_3(n: int) -> Array:
    """z = x: dz/dx = I (n x n).  CS224n notes, identity 2.3."""
    return np.eye(n)


def dz_dx_2_4(fprime: Callable[[Array], Array], x: Array) -> Array:
    """z = f(x) elementwise: dz/dx = diag(f'(x)).  CS224n notes, identity 2.4."""
    return np.diag(fprime(np.asarray(x, dtype=float)))


def dz_dW_2_5(x: Array, n: int) -> Array:
    """z = W x: dz_k/dW_ij = x_j if k = i, else 0 (dz/dW_ij is x_j in the i-th element).  CS224n notes, 2.5.  Returns n x n x m."""
    x = np.asarray(x, dtype=float).ravel()
    J = np.zeros((n, n, x.size))
    for i in range(n):
        J[i, i, :] = x
    return J


def dJ_dW_2_5(delta: Array, x: Array) -> Array:
    """z = W x, dJ/dz = delta (a 1 x n row): dJ/dW = delta^T x^T (n x m, entry (i, j) = delta_i x_j).  CS224n notes, identity 2.5."""
    return delta.T @ x.T


def dJ_dWij_2_5_sum(delta: Array, x: Array, upper: int | None = None) -> Array:
    """dJ/dW_ij = sum_k delta_k dz_k/dW_ij with dz_k/dW_ij = x_j [k = i].  CS224n notes, 2.5 (the element-wise sum).

    ``upper`` is the last k of the sum: k = 1..n (the length of z) by default; the
    notes print ``sum_{k=1}^m`` (m = the length of x): ``upper=m``.  Returns n x m.
    """
    n, m = delta.shape[1], x.shape[0]
    upper = n if upper is None else upper
    out = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            out[i, j] = sum(delta[0, k] * (x[j, 0] if k == i else 0.0) for k in range(min(upper, n)))
    return out


def first_row_2_5(W: Array, n: int) -> list[float]:
    """"z_1 only relates to the first row of W which is [W_11 W_12 ... W_1n]": the row's entries W_11 .. W_1n.  CS224n notes, 2.5.

    W is n x m: the row has m entries, so for n > m this raises IndexError (pass ``n=m``
    for the corrected ``[W_11 ... W_1m]``).
    """
    return [float(W[0, j]) for j in range(n)]


def dJ_dWii_2_5_as_printed(delta: Array, x: Array) -> Array:
    """"Now let's compute dJ/dW_ii": the diagonal entries dJ/dW_ii = delta_i x_i, as the left sides read.  CS224n notes, 2.5."""
    k = min(delta.shape[1], x.shape[0])
    return np.array([delta[0, i] * x[i, 0] for i in range(k)])


def dJ_dW_2_6(delta: Array, x: Array) -> Array:
    """z = x W (x a 1 x m row), dJ/dz = delta (1 x n): dJ/dW = x^T delta (m x n).  CS224n notes, identity 2.6."""
    return x.T @ delta


def dJ_dtheta_2_7(y_hat: Array, y: Array) -> Array:
    """y_hat = softmax(theta), J = CE(y, y_hat) = -sum y_i log y_hat_i: dJ/dtheta = (y_hat - y)^T (a row).  CS224n notes, identity 2.7."""
    return (y_hat - y).T


def dJ_dtheta_2_7_sum(y_hat: Array, y: Array) -> Array:
    """dJ/dtheta_i = -sum_k y_k (1/y_hat_k) dy_hat_k/dtheta_i with the softmax derivative of 2.7.  CS224n notes, 2.7 (third line)."""
    p, t = np.ravel(y_hat), np.ravel(y)
    J = softmax_jacobian_2_7(p)
    return np.array([[-sum(t[k] / p[k] * J[k, i] for k in range(p.size)) for i in range(p.size)]])


def softmax_jacobian_2_7(y_hat: Array) -> Array:
    """dy_hat_k/dtheta_i = y_hat_k (1 - y_hat_i) if k = i, -y_hat_i y_hat_k otherwise (row k, column i).  CS224n notes, 2.7."""
    p = np.asarray(y_hat, dtype=float).ravel()
    return np.array([[p[k] * (1 - p[i]) if k == i else -p[i] * p[k] for i in range(p.size)] for k in range(p.size)])


def softmax_derivative_reading(theta: Array) -> dict[str, Array]:
    """The "Additional reading" of 2.7: y_i = e^theta_i / sum_k e^theta_k.  CS224n notes, 2.7, additional reading.

    ``in sum``: dy_i/dtheta_j = y_i (1 - y_j) if i = j, -y_j y_i otherwise;
    ``quotient``: the quotient rule (g'h - h'g)/h^2 with g = e^theta_i, h = sum_k e^theta_k;
    ``dh/dtheta``: e^theta_j; ``third line`` (i = j): (e^theta_i / S)((S - e^theta_j)/S), corrected.
    """
    t = np.asarray(theta, dtype=float).ravel()
    e, S = np.exp(t), np.exp(t).sum()
    y = e / S
    n = t.size
    in_sum = np.array([[y[i] * (1 - y[j]) if i == j else -y[j] * y[i] for j in range(n)] for i in range(n)])
    quotient = np.array([[((e[i] if i == j else 0.0) * S - e[j] * e[i]) / S**2 for j in range(n)] for i in range(n)])
    third = np.array([(e[i] / S) * ((S - e[i]) / S) for i in range(n)])
    third_printed = np.array([e[i] * (S - e[i]) / S for i in range(n)])
    off_printed = np.array([[e[j] if i != j else 0.0 for j in range(n)] for i in range(n)])
    return {"in sum": in_sum, "quotient": quotient, "dh/dtheta": e, "third line": third,
            "third line as printed": third_printed, "i != j as printed": off_printed, "y": y}


def section3(x: Array, W: Array, b1: Array, U: Array, b2: Array, y: Array) -> dict[str, Array]:
    """The one-hidden-layer example, CS224n notes section 3: z = W x + b1, h = ReLU(z), theta = U h + b2, y_hat = softmax(theta).

    Column vectors (x: Dx x 1, b1: Dh x 1, b2, y: Nc x 1).  Returns
    ``delta1 = (y_hat - y)^T`` (1 x Nc), ``delta2 = delta1 U o sgn(h)`` (1 x Dh),
    ``dU = delta1^T h^T``, ``db2 = delta1^T``, ``dW = delta2^T x^T``, ``db1 = delta2^T``
    (printed with the left side ``dJ/dW``, see the errata), ``dx = (delta2 W)^T``,
    ``relu'`` = sgn(ReLU(z)) and the forward values.
    """
    z = W @ x + b1
    h = np.maximum(z, 0.0)
    theta = U @ h + b2
    y_hat = softmax(theta, axis=0)
    delta1 = (y_hat - y).T
    delta2 = (delta1 @ U) * np.sign(h).T
    return {"z": z, "h": h, "theta": theta, "y_hat": y_hat, "delta1": delta1, "delta2": delta2, "relu'": np.sign(h),
            "dU": delta1.T @ h.T, "db2": delta1.T, "dW": delta2.T @ x.T, "db1": delta2.T, "dx": (delta2 @ W).T}


# =============================================================================================
# Data and the nets on both engines
# =============================================================================================

_C1 = np.array([[1.0, 0.5, -0.3], [0.2, -1.0, 0.7], [0.4, 0.1, 0.9], [-0.6, 0.8, 0.3]])  # 1.1's example f
_C2 = np.array([[0.3, -0.2, 0.5], [1.1, 0.4, -0.7], [-0.5, 0.6, 0.2], [0.9, -0.3, 0.4]])


def f_1_1(x: Any) -> Any:
    """1.1's example f: R^3 -> R^4, f(x) = C1 (x * x) + C2 e^x (numpy, Value list or Tensor)."""
    if isinstance(x, Tensor):
        return Tensor(_C1) @ (x * x) + Tensor(_C2) @ x.exp()
    if isinstance(x, (list, tuple)):
        return [Value.sum([float(_C1[i, k]) * (x[k] * x[k]) + float(_C2[i, k]) * x[k].exp() for k in range(3)]) for i in range(4)]
    x = np.asarray(x, dtype=float)
    return _C1 @ (x * x) + _C2 @ np.exp(x)


def data(seed: int = 1) -> dict[str, Array]:
    """Seeded data: the identities use W (4 x 3: n = 4 > m = 3) and x; section 3 uses Dx = 4, Dh = 5, Nc = 3.

    One hidden pre-activation of section 3 is exactly 0 (dyadic numbers, so every
    summation order gives 0): ReLU'(0) = sgn(0) = 0 in the notes, as in the engine.
    """
    rng = np.random.default_rng(seed)
    d = {"W_id": rng.normal(size=(4, 3)), "x_id": rng.normal(size=3), "t_id": rng.normal(size=4),
         "xr_id": rng.normal(size=(1, 4)), "t_row": rng.normal(size=(1, 3)),
         "theta_id": rng.normal(size=3), "y_id": np.eye(3)[1], "x_12": 0.7, "x_11": np.array([0.3, -0.8, 0.5])}
    Dx, Dh, Nc = 4, 5, 3
    x = np.round(rng.normal(size=(Dx, 1)) * 16) / 16
    W = rng.normal(size=(Dh, Dx))
    W[2] = np.round(W[2] * 16) / 16
    b1 = rng.normal(size=(Dh, 1))
    b1[2, 0] = -float(W[2] @ x[:, 0])  # exact: dyadic products and sums
    d.update({"x": x, "W": W, "b1": b1, "U": rng.normal(size=(Nc, Dh)), "b2": rng.normal(size=(Nc, 1)), "y": np.eye(Nc)[:, [2]]})
    return d


def _v_tanh(v: Value) -> Value:
    """tanh(v) = (e^2v - 1)/(e^2v + 1) from elementary nodes."""
    e = (2.0 * v).exp()
    return (e - 1.0) / (e + 1.0)


def _t_tanh(t: Tensor) -> Tensor:
    e = (2.0 * t).exp()
    return (e - 1.0) / (e + 1.0)


def value_net(d: dict[str, Array]) -> dict[str, Array]:
    """The notes' identities and section 3 with ``Value`` nodes (column vectors as lists; gradients reshaped to the notes' shapes).

    The losses: 2.5 and 2.6 any J, here :func:`micrograd_ext.nets.losses.mse` (``nary=False``);
    2.7 and 3 softmax + CE from elementary nodes (:func:`micrograd_ext.nets.losses.softmax_cross_entropy`
    with ``nary=False``, and ``-sum y log y_hat`` where y_hat itself is needed).
    """
    out: dict[str, Array] = {}
    W, x = d["W_id"], d["x_id"]
    xv = values(d["x_11"], "x")
    out["1.1"] = jacobian_values(f_1_1(xv), xv)
    x12 = Value(d["x_12"], label="x")
    f = [x12 * x12, x12.exp()]
    g = [f[0] * f[1], f[0] + 3.0 * f[1] ** 2]
    out["1.2"] = jacobian_values(g, [x12])
    xs = values(x, "x")
    z = [Value.sum([float(W[i, k]) * xs[k] for k in range(3)]) for i in range(4)]
    out["2.1 dz/dx"] = jacobian_values(z, xs)
    xr = values(d["xr_id"][0], "x")
    zr = [Value.sum([xr[k] * float(W[k, j]) for k in range(4)]) for j in range(3)]
    out["2.2 dz/dx"] = jacobian_values(zr, xr)
    out["2.3 dz/dx"] = jacobian_values(xs, xs)
    out["2.4 sigmoid"] = jacobian_values([v_sigmoid(v) for v in xs], xs)
    out["2.4 tanh"] = jacobian_values([_v_tanh(v) for v in xs], xs)
    Wv = values(W, "W")
    z = [v_affine(row, [float(v) for v in x]) for row in Wv]
    out["2.5 dz/dW"] = np.array([jacobian_values([zk], [w for row in Wv for w in row]).reshape(4, 3) for zk in z])
    J = losses.mse(z, list(d["t_id"]), nary=False)
    out["2.5 dJ/dW (1 x nm)"] = jacobian_values([J], [w for row in Wv for w in row])
    for w in (w for row in Wv for w in row):
        w.grad = 0.0
    J.backward()
    out["2.5 dJ/dW"] = grads(Wv)
    out["2.5 dJ/dz"] = grads(z)[None, :]
    Wv = values(W, "W")
    xr = d["xr_id"][0]
    zr = [Value.sum([float(xr[k]) * Wv[k][j] for k in range(4)]) for j in range(3)]
    J = losses.mse(zr, list(d["t_row"][0]), nary=False)
    J.backward()
    out["2.6 dJ/dW"] = grads(Wv)
    out["2.6 dJ/dz"] = grads(zr)[None, :]
    th = values(d["theta_id"], "theta")
    J = losses.softmax_cross_entropy(th, int(np.argmax(d["y_id"])), nary=False)
    J.backward()
    out["2.7 dJ/dtheta"] = grads(th)[None, :]
    th = values(d["theta_id"], "theta")
    out["2.7 dyhat/dtheta"] = jacobian_values(v_softmax(th), th)
    th = values(d["theta_id"], "theta")
    h = Value.sum([t.exp() for t in th])
    h.backward()
    out["2.7 dh/dtheta"] = grads(th)
    u = [Value(float(np.exp(t)), label=f"e^theta[{k + 1}]") for k, t in enumerate(d["theta_id"])]
    Value.sum(u).backward()
    out["2.7 dh/du"] = grads(u)
    # section 3
    xv = values(d["x"][:, 0], "x")
    Wv, Uv = values(d["W"], "W"), values(d["U"], "U")
    b1, b2 = values(d["b1"][:, 0], "b1"), values(d["b2"][:, 0], "b2")
    zs = [v_affine(row, xv, bias=b) for row, b in zip(Wv, b1)]
    hs = [zi.relu() for zi in zs]
    ths = [v_affine(row, hs, bias=b) for row, b in zip(Uv, b2)]
    J = losses.softmax_cross_entropy(ths, int(np.argmax(d["y"][:, 0])), nary=False)
    J.backward()
    out.update({"delta1": grads(ths)[None, :], "delta2": grads(zs)[None, :], "dU": grads(Uv), "db2": grads(b2)[:, None],
                "dW": grads(Wv), "db1": grads(b1)[:, None], "dx": grads(xv)[:, None]})
    zl = values(np.ravel([z.data for z in zs]), "z")
    out["relu'"] = np.diag(jacobian_values([v.relu() for v in zl], zl))[:, None]
    tl = values([t.data for t in ths], "theta")
    yh = v_softmax(tl)
    Jy = -Value.sum([p.log() * float(t) for p, t in zip(yh, d["y"][:, 0])])
    Jy.backward()
    out["dJ/dyhat"] = grads(yh)[None, :]
    out["dyhat/dtheta"] = jacobian_values(yh, tl)
    return out


def tensor_net(d: dict[str, Array]) -> dict[str, Array]:
    """The notes' identities (as full Jacobians, :func:`~micrograd_ext.core.jacobian.jacobian`) and section 3 with ``Tensor``.

    2.5 and 2.6 use :func:`micrograd_ext.nets.tensor_nn.mse_loss` (elementary); softmax and
    cross-entropy are built from elementary operations (:func:`~.common.t_softmax`,
    :func:`~.common.t_log_softmax`), not the fused nodes whose local derivative is 2.7 itself.
    """
    out: dict[str, Array] = {}
    W, x = d["W_id"], d["x_id"]
    Wc = Tensor(W)
    out["1.1"] = jacobian(f_1_1, d["x_11"])
    e0, e1 = Tensor(np.array([1.0, 0.0])), Tensor(np.array([0.0, 1.0]))

    def g_of_f(t: Tensor) -> Tensor:
        F = e0 * (t * t) + e1 * t.exp()
        return e0 * (F[0] * F[1]) + e1 * (F[0] + 3.0 * F[1] ** 2)

    out["1.2"] = jacobian(g_of_f, np.array([d["x_12"]]))
    out["2.1 dz/dx"] = jacobian(lambda t: Wc @ t, x)
    out["2.2 dz/dx"] = jacobian(lambda t: t @ Wc, d["xr_id"]).reshape(3, 4)
    out["2.3 dz/dx"] = jacobian(lambda t: t, x)
    out["2.4 sigmoid"] = jacobian(t_sigmoid, x)
    out["2.4 tanh"] = jacobian(_t_tanh, x)
    xc = Tensor(x[:, None])
    out["2.5 dz/dW"] = jacobian(lambda Wt: Wt @ xc, W)[:, 0]
    tc = d["t_id"][:, None]
    out["2.5 dJ/dW (1 x nm)"] = jacobian(lambda w: tensor_nn.mse_loss(w.reshape(4, 3) @ xc, tc), W.ravel())[None, :]
    Wt = leaf(W, "W")
    z = Wt @ xc
    tensor_nn.mse_loss(z, tc).backward()
    out["2.5 dJ/dW"] = Wt.grad.copy()
    out["2.5 dJ/dz"] = z.grad.T.copy()
    Wt = leaf(W, "W")
    z = Tensor(d["xr_id"]) @ Wt
    tensor_nn.mse_loss(z, d["t_row"]).backward()
    out["2.6 dJ/dW"] = Wt.grad.copy()
    out["2.6 dJ/dz"] = z.grad.copy()
    th = leaf(d["theta_id"][:, None], "theta")
    (-(t_log_softmax(th, axis=0) * Tensor(d["y_id"][:, None])).sum()).backward()
    out["2.7 dJ/dtheta"] = th.grad.T.copy()
    out["2.7 dyhat/dtheta"] = jacobian(lambda t: t_softmax(t, axis=0), d["theta_id"])
    th = leaf(d["theta_id"], "theta")
    th.exp().sum().backward()
    out["2.7 dh/dtheta"] = th.grad.copy()
    u = leaf(np.exp(d["theta_id"]), "e^theta")
    u.sum().backward()
    out["2.7 dh/du"] = u.grad.copy()
    xt, Wt, Ut = leaf(d["x"], "x"), leaf(d["W"], "W"), leaf(d["U"], "U")
    b1, b2 = leaf(d["b1"], "b1"), leaf(d["b2"], "b2")
    z = Wt @ xt + b1
    h = z.relu()
    theta = Ut @ h + b2
    (-(t_log_softmax(theta, axis=0) * Tensor(d["y"])).sum()).backward()
    out.update({"delta1": theta.grad.T.copy(), "delta2": z.grad.T.copy(), "dU": Ut.grad.copy(), "db2": b2.grad.copy(),
                "dW": Wt.grad.copy(), "db1": b1.grad.copy(), "dx": xt.grad.copy()})
    out["relu'"] = np.diag(jacobian(lambda t: t.relu(), z.data[:, 0]))[:, None]
    tl = leaf(theta.data, "theta")
    yh = t_softmax(tl, axis=0)
    (-(yh.log() * Tensor(d["y"])).sum()).backward()
    out["dJ/dyhat"] = yh.grad.T.copy()
    out["dyhat/dtheta"] = jacobian(lambda t: t_softmax(t, axis=0), theta.data[:, 0])
    return out


@lru_cache(maxsize=1)
def _builds() -> dict[str, Any]:
    d = data()
    return {"d": d, "Value": value_net(d), "Tensor": tensor_net(d)}


# =============================================================================================
# verify: the rows
# =============================================================================================


def rows() -> list[Row]:
    """1.1-1.2, identities 2.1-2.7 (as full Jacobians and gradients, and their element forms) and section 3."""
    b = _builds()
    d = b["d"]
    R = Rows(DOC)
    W, x = d["W_id"], d["x_id"]
    fd11 = np.moveaxis(central_difference(f_1_1, d["x_11"]), 0, -1)
    c12 = chain_1_2(d["x_12"])
    delta5 = (2.0 / 4) * (W @ x - d["t_id"])[None, :]  # dJ/dz of the mean squared error J over the 4 entries
    delta6 = (2.0 / 3) * (d["xr_id"] @ W - d["t_row"])
    th = d["theta_id"][:, None]
    s3 = section3(d["x"], d["W"], d["b1"], d["U"], d["b2"], d["y"])
    sr = softmax_derivative_reading(d["theta_id"])
    p3 = softmax(s3["theta"], axis=0)
    for eng in ("Value", "Tensor"):
        r = b[eng]
        R.add("1.1", "(df/dx)_ij = df_i/dx_j, 4 x 3 (central differences)", eng, r["1.1"], fd11, FD_RTOL)
        R.add("1.2", "dg/dx = [sum_k dg_i/df_k df_k/dx], the chain rule entry by entry", eng, r["1.2"], c12["elementwise"])
        R.add("1.2", "dg/dx = (dg/df)(df/dx), a product of Jacobians (2 x 2)(2 x 1)", eng, r["1.2"], c12["dg/dx"])
        R.add("2.1", "dz/dx = W, z = W x", eng, r["2.1 dz/dx"], dz_dx_2_1(W))
        R.add("2.2", "dz/dx = W^T, z = x W", eng, r["2.2 dz/dx"], dz_dx_2_2(W))
        R.add("2.3", "dz/dx = I, z = x", eng, r["2.3 dz/dx"], dz_dx_2_3(3))
        R.add("2.4", "dz/dx = diag(f'(x)), f = sigmoid", eng, r["2.4 sigmoid"], dz_dx_2_4(lambda v: 1 / (1 + np.exp(-v)) * (1 - 1 / (1 + np.exp(-v))), x))
        R.add("2.4", "dz/dx = diag(f'(x)), f = tanh", eng, r["2.4 tanh"], dz_dx_2_4(lambda v: 1 - np.tanh(v) ** 2, x))
        R.add("2.5", "dz_k/dW_ij = x_j [k = i] (the n x n x m Jacobian)", eng, r["2.5 dz/dW"], dz_dW_2_5(x, 4))
        R.add("2.5", "dJ/dW as the 1 x nm Jacobian, reshaped: delta^T x^T", eng, r["2.5 dJ/dW (1 x nm)"].reshape(4, 3),
              dJ_dW_2_5(delta5, x[:, None]))
        R.add("2.5", "dJ/dW = delta^T x^T, z = W x", eng, r["2.5 dJ/dW"], dJ_dW_2_5(r["2.5 dJ/dz"], x[:, None]))
        R.add("2.5", "dJ/dW_ij = sum_{k=1..n} delta_k dz_k/dW_ij", eng, r["2.5 dJ/dW"], dJ_dWij_2_5_sum(delta5, x[:, None]))
        R.add("2.6", "dJ/dW = x^T delta, z = x W", eng, r["2.6 dJ/dW"], dJ_dW_2_6(delta6, d["xr_id"]))
        R.add("2.7", "dJ/dtheta = (y_hat - y)^T, softmax + CE", eng, r["2.7 dJ/dtheta"], dJ_dtheta_2_7(softmax(th), d["y_id"][:, None]))
        R.add("2.7", "dJ/dtheta_i = -sum_k y_k (1/y_hat_k) dy_hat_k/dtheta_i", eng, r["2.7 dJ/dtheta"],
              dJ_dtheta_2_7_sum(softmax(th), d["y_id"]))
        R.add("2.7", "dy_hat_k/dtheta_i = y_hat_k(1 - y_hat_i) if k = i, -y_hat_i y_hat_k", eng, r["2.7 dyhat/dtheta"],
              softmax_jacobian_2_7(softmax(th)))
        R.add("2.7 (additional reading)", "dy_i/dtheta_j = (g'h - h'g)/h^2, g = e^theta_i, h = sum_k e^theta_k", eng,
              r["2.7 dyhat/dtheta"], sr["quotient"])
        R.add("2.7 (additional reading)", "dh/dtheta_j = e^theta_j", eng, r["2.7 dh/dtheta"], sr["dh/dtheta"])
        R.add("2.7 (additional reading)", "dy_i/dtheta_j = y_i(1 - y_j) if i = j, -y_j y_i (in sum)", eng,
              r["2.7 dyhat/dtheta"], sr["in sum"])
        R.add("3", "ReLU'(z) = sgn(ReLU(z)) (0 at the planted z = 0)", eng, r["relu'"], s3["relu'"])
        R.add("3", "dJ/dy_hat dy_hat/dtheta = delta1", eng, r["dJ/dyhat"] @ r["dyhat/dtheta"], s3["delta1"])
        R.add("3", "delta1 = dJ/dtheta = (y_hat - y)^T", eng, r["delta1"], s3["delta1"])
        R.add("3", "delta2 = dJ/dz = delta1 U o sgn(h)", eng, r["delta2"], s3["delta2"])
        R.add("3", "dJ/dU = delta1^T h^T", eng, r["dU"], s3["dU"])
        R.add("3", "dJ/db2 = delta1^T", eng, r["db2"], s3["db2"])
        R.add("3", "dJ/dW = delta2^T x^T", eng, r["dW"], s3["dW"])
        R.add("3", "dJ/db1 = delta2^T (printed as 'dJ/dW')", eng, r["db1"], s3["db1"])
        R.add("3", "dJ/dx = (delta2 W)^T", eng, r["dx"], s3["dx"])
        assert np.allclose(p3, s3["y_hat"])
    return R.rows


# =============================================================================================
# verify: the errata
# =============================================================================================


def errata() -> list[Erratum]:
    """The notes' errata, each with its passage, its category and its check against autodiff (both engines)."""
    b = _builds()
    d = b["d"]
    W, x = d["W_id"], d["x_id"]
    n, m = W.shape
    delta5 = (2.0 / n) * (W @ x - d["t_id"])[None, :]
    xc = x[:, None]
    s3 = section3(d["x"], d["W"], d["b1"], d["U"], d["b2"], d["y"])
    sr = softmax_derivative_reading(d["theta_id"])
    Wsq = W[:m]  # a square W (3 x 3) for 1.1, where the printed index pattern can be evaluated
    E = ("Value", "Tensor")

    def jac_sq(e: str) -> Array:
        if e == "Tensor":
            return jacobian(lambda t: Tensor(Wsq) @ t, x)
        xs = values(x, "x")
        return jacobian_values([Value.sum([float(Wsq[i, k]) * xs[k] for k in range(m)]) for i in range(m)], xs)

    def dz1_dW_support(e: str) -> Array:
        """The entries of W that z_1 depends on (nonzero dz_1/dW_ij), read off autodiff's Jacobian."""
        J = b[e]["2.5 dz/dW"][0]
        return W[J != 0]

    params3 = {"W": d["W"], "b1": d["b1"], "U": d["U"], "b2": d["b2"]}
    return [
        Erratum(
            DOC.name, "1.1", EXTRACTION,
            r"(\frac{\partial f}{\partial x})_{ij} = \frac{\partial f_i}{\partial x_i}",
            "entry (i, j) of the Jacobian is df_i/dx_i", "df_i/dx_j (the matrix displayed just above has it right)",
            "the Jacobian of z = W x (W square)",
            lambda: jacobian_1_1_as_printed(Wsq), lambda: Wsq, {e: (lambda e=e: jac_sq(e)) for e in E},
            why="a subscript misread in our copy (j as i): the display above it is the standard m x n matrix of df_i/dx_j"),
        Erratum(
            DOC.name, "1.2", EXTRACTION,
            r"rac{\partial oldsymbol{g}}{\partial x} = rac{\partial oldsymbol{g}}{\partial oldsymbol{f}} rac{\partial "
            r"oldsymbol{f}}{\partial x} = egin{bmatrix} rac{\partial g_1}{\partial f_1} & rac{\partial g_1}{\partial f_2} & "
            r"rac{\partial g_1}{\partial f_2} \ ... \end{bmatrix} egin{bmatrix} rac{\partial f_1}{\partial x} & "
            r"rac{\partial f_1}{\partial x} & rac{\partial f_1}{\partial x} + rac{\partial g_1}{\partial f_2} ... \end{bmatrix}",
            "a 2 x 3 matrix times a 2 x 3 matrix, with entries repeated and mixed",
            "dg/dx = (dg/df)(df/dx): the 2 x 2 Jacobian of g times the 2 x 1 Jacobian of f",
            "dg/dx for the example f(x) = [x^2, e^x], g = [f1 f2, f1 + 3 f2^2]",
            lambda: chain_1_2_as_printed(d["x_12"]), lambda: chain_1_2(d["x_12"])["dg/dx"],
            {e: (lambda e=e: b[e]["1.2"]) for e in E}, raises=ValueError,
            why="the LaTeX of this display is garbled in our copy (rac for \\frac, egin for \\begin, cells run together)"),
        Erratum(
            DOC.name, "2.5", AUTHOR,
            r"\frac{\partial J}{\partial W_{ij}} = \frac{\partial J}{\partial z} \frac{\partial z}{\partial W_{ij}} = "
            r"\delta \frac{\partial z}{\partial W_{ij}} = \sum_{k=1}^m \delta_k \frac{\partial z_k}{\partial W_{ij}} = \delta_i x_j",
            "the sum over k = 1..m (m = the length of x)",
            "k = 1..n, the length of z (the notes' own list: \"k is the index of elements in column vector z in R^n\")",
            "dJ/dW for z = W x, n = 4 > m = 3",
            lambda: dJ_dWij_2_5_sum(delta5, xc, upper=m), lambda: dJ_dWij_2_5_sum(delta5, xc),
            {e: (lambda e=e: b[e]["2.5 dJ/dW"]) for e in E},
            why="with n > m the printed sum never reaches the rows i > m of dJ/dW"),
        Erratum(
            DOC.name, "2.5", AUTHOR,
            r"z_1 only relates to the first row of W which is \begin{bmatrix} W_{11} & W_{12} & \cdots & W_{1n} \end{bmatrix}",
            "the first row of W, W_11 .. W_1n (n entries)", "W_11 .. W_1m: W is n x m, a row has m entries",
            "the entries of W with a nonzero dz_1/dW_ij",
            lambda: first_row_2_5(W, n), lambda: first_row_2_5(W, m), {e: (lambda e=e: dz1_dW_support(e)) for e in E},
            raises=IndexError, why="rows of W in R^{n x m} have m entries (the notes' own index list says so)"),
        Erratum(
            DOC.name, "2.5", EXTRACTION,
            r"if k \neq i the result of \frac{\partial z_k}{\partial W_{ii}} is zero ... Now let's compute "
            r"\frac{\partial J}{\partial W_{ii}}: ... Note that the only nonzero term in the sum is "
            r"\delta_i \, {\partial z_i \over \partial W_{ii}}",
            "the derivatives by W_ii, the diagonal of W", "by W_ij, every entry (the displays in between have W_ij)",
            "dJ/dW for z = W x",
            lambda: dJ_dWii_2_5_as_printed(delta5, xc), lambda: dJ_dW_2_5(delta5, xc),
            {e: (lambda e=e: b[e]["2.5 dJ/dW"]) for e in E},
            why="the subscript j became i in the three running-text lines of our copy; the displays say W_ij"),
        Erratum(
            DOC.name, "2.7 (additional reading)", AUTHOR,
            r"rac{\partial h(x)}{\partial e^{ heta_j}} = rac{\partial \sum\limits_{k=1}^N e^{ heta_k}}{\partial e^{ heta_j}} "
            r"ext{ will always be } e^{ heta_j} ext{ because } rac{\partial e^{ heta_j}}{\partial e^{ heta_j}} = e^{ heta_j}",
            "dh/de^theta_j = e^theta_j: the derivative by e^theta_j (which is 1)",
            "dh/dtheta_j = e^theta_j: the derivative by theta_j",
            "dh/du_j, u_k = e^theta_k the variables (printed); dh/dtheta_j (corrected); h = sum_k e^theta_k",
            lambda: sr["dh/dtheta"], lambda: sr["dh/dtheta"], {e: (lambda e=e: b[e]["2.7 dh/du"]) for e in E},
            autodiff_corrected={e: (lambda e=e: b[e]["2.7 dh/dtheta"]) for e in E},
            why="the denominators name e^theta_j where theta_j is meant (the same slip in the next bullet)"),
        Erratum(
            DOC.name, "2.7 (additional reading)", EXTRACTION,
            r"&= rac{e^{ heta_i} (\sum\limits_{k=1}^N e^{ heta_k} - e^{ heta_j})}{(\sum\limits_{k=1}^N e^{ heta_k})^2} \ "
            r"&= rac{e^{ heta_i} (\sum\limits_{k=1}^N e^{ heta_k} - e^{ heta_j})}{\sum\limits_{k=1}^N e^{ heta_k}} \ &= y_i (1-y_j)",
            "(i = j) e^theta_i (S - e^theta_j) / S, S = sum_k e^theta_k: S times the result",
            "(e^theta_i / S)((S - e^theta_j)/S) = y_i (1 - y_j), two fractions (the next line is right)",
            "dy_i/dtheta_i, the diagonal of the softmax Jacobian",
            lambda: sr["third line as printed"], lambda: sr["third line"],
            {e: (lambda e=e: np.diag(b[e]["2.7 dyhat/dtheta"])) for e in E},
            why="a product of two fractions run together into one in our copy (a fraction bar lost)"),
        Erratum(
            DOC.name, "2.7 (additional reading)", EXTRACTION,
            r"rac{\partial y_i}{\partial heta_j} = rac{\sum\limits_{k=1}^N e^{ heta_k}}{\partial heta_j} = "
            r"rac{0 - e^{ heta_j} e^{ heta_i}}{(\sum\limits_{k=1}^N e^{ heta_k})^2}",
            "(i != j) dy_i/dtheta_j read as d(sum_k e^theta_k)/dtheta_j = e^theta_j",
            "d(e^theta_i / sum_k e^theta_k)/dtheta_j = -y_j y_i (the next line is right)",
            "dy_i/dtheta_j for i != j (the off-diagonal softmax Jacobian)",
            lambda: sr["i != j as printed"], lambda: sr["in sum"] - np.diag(np.diag(sr["in sum"])),
            {e: (lambda e=e: b[e]["2.7 dyhat/dtheta"] - np.diag(np.diag(b[e]["2.7 dyhat/dtheta"]))) for e in E},
            why="the numerator e^theta_i / sum is lost in our copy: only its denominator remains"),
        Erratum(
            DOC.name, "3", EXTRACTION,
            r"Now let's write out the chain rule for $\frac{\partial J}{\partial U}$ and $\frac{\partial J}{\partial b_0}$:",
            "dJ/db_0: the network has no parameter b_0", "dJ/db_2 (the display that follows is for b_2) = delta1^T",
            "dJ/db2 of section 3", lambda: params3["b_0"], lambda: s3["db2"], {e: (lambda e=e: b[e]["db2"]) for e in E},
            raises=KeyError, why="a subscript 2 read as 0 in our copy; the next display is dJ/db_2"),
        Erratum(
            DOC.name, "3", AUTHOR,
            r"\frac{\partial J}{\partial W} = \frac{\partial J}{\partial z} \frac{\partial z}{\partial b_1} = "
            r"\delta_2 \frac{\partial z}{\partial b_1} = \delta_2^T  (using identity (2.3) and transposing)",
            "dJ/dW = delta2^T (the left side of the fourth gradient)",
            "dJ/db1 = delta2^T; dJ/dW = delta2^T x^T is the line above",
            "dJ/dW of section 3", lambda: s3["delta2"].T, lambda: s3["dW"], {e: (lambda e=e: b[e]["dW"]) for e in E},
            why="the right side is the derivative by b1 (dz/db1); only the left side is misnamed"),
    ]
