"""Each document's network built with the engine, twice: node by node with ``Value`` and with ``Tensor``.

Every build follows its document's conventions (samples as rows or as columns, ``W``
or ``W^T``, the bias as weight column 0 or a vector) and returns the *autodiff*
gradients of the quantities the document derives, as numpy arrays in the document's
shapes.  The losses are built from elementary nodes (``log``, ``exp``, ``*``, ``sum``),
not from the fused loss nodes whose local derivatives are the documents' formulas,
so that every checked gradient is *derived* by the chain rule, not looked up.

The data: the real iris data set shipped in the package for Bondartsov (150 rows,
:func:`iris_data`); small seeded random data of the right shapes for the others
(``*_data(seed)``).  :mod:`micrograd_ext.verify` compares these builds against
:mod:`micrograd_ext.closed_form`.

For the guided tour: :func:`bondartsov_iris_gradients`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from ..core.jacobian import jacobian, jacobian_values
from ..core.tensor import Tensor
from ..core.value import Value
from . import closed_form as cf

Array = np.ndarray
Grid = list[list[Value]]

IRIS_CLASSES = ("setosa", "versicolor", "virginica")


# -- helpers ------------------------------------------------------------------------------------


def values(a: Array, name: str = "") -> Grid | list[Value]:
    """A nested list of ``Value`` leaves with the entries of a 1-D or 2-D array, labelled ``name[i,j]`` (1-based)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        return [Value(float(v), label=f"{name}[{i + 1}]") for i, v in enumerate(a)]
    return [[Value(float(v), label=f"{name}[{i + 1},{j + 1}]") for j, v in enumerate(row)] for i, row in enumerate(a)]


def grads(nodes: Any) -> Array:
    """The ``.grad`` of a (nested) list of ``Value`` as an array of the same shape."""
    return np.array([grads(n) for n in nodes]) if isinstance(nodes, (list, tuple)) else np.array(nodes.grad)


def datas(nodes: Any) -> Array:
    """The ``.data`` of a (nested) list of ``Value`` as an array."""
    return np.array([datas(n) for n in nodes]) if isinstance(nodes, (list, tuple)) else np.array(nodes.data)


def _flat(grid: Any) -> list[Value]:
    return [v for row in grid for v in row] if isinstance(grid[0], (list, tuple)) else list(grid)


def value_softmax(zs: Sequence[Value]) -> list[Value]:
    """softmax from elementary nodes: ``exp(z_i - max) / sum_k exp(z_k - max)`` (the max is a constant shift)."""
    m = max(z.data for z in zs)
    es = [(z - m).exp() for z in zs]
    s = Value.sum(es)
    return [e / s for e in es]


def value_cross_entropy(probs: Sequence[Value], y: Sequence[float]) -> Value:
    """``-sum_i y_i log p_i`` from elementary nodes (every term, also those with ``y_i = 0``)."""
    return -Value.sum([p.log() * float(yi) for p, yi in zip(probs, y)])


def tensor_cross_entropy(P: Tensor, Y: Array) -> Tensor:
    """``-sum Y * log P`` (elementwise, summed over everything)."""
    return -(P.log() * Tensor(Y)).sum()


def _tensor(a: Array, label: str = "") -> Tensor:
    return Tensor(np.array(a, dtype=float), requires_grad=True, label=label)


# =============================================================================================
# Bondartsov: the iris net 4 -> 8 -> 3, sigmoid, bias as weight column 0, eq. (1)
# =============================================================================================


def iris_data() -> tuple[Array, Array]:
    """The iris data set shipped in the package: ``X`` (150 x 4 float64) and one-hot ``Y`` (150 x 3).

    Uses :func:`micrograd_ext.datasets.load_iris` when present, otherwise reads the
    shipped ``micrograd_ext/data/iris.csv`` (Fisher's iris data, UCI Machine Learning
    Repository) directly.
    """
    try:
        from ..nets.datasets import load_iris
    except ImportError:
        load_iris = None
    if load_iris is not None:
        loaded = load_iris()
        X, y = np.asarray(loaded[0], dtype=float), np.asarray(loaded[1], dtype=int)
    else:
        text = resources.files("micrograd_ext").joinpath("data", "iris.csv").read_text(encoding="utf-8")
        rows = [r for r in csv.reader(text.splitlines()) if r and not r[0].startswith("#")]
        body = rows[1:] if not _is_number(rows[0][0]) else rows
        X = np.array([[float(v) for v in r[:4]] for r in body])
        y = np.array([IRIS_CLASSES.index(r[4].strip().replace("Iris-", "")) for r in body])
    if X.shape != (150, 4):
        raise ValueError(f"iris_data: expected 150 x 4 features, got {X.shape}")
    return X, np.eye(3)[y]


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def bondartsov_weights(seed: int = 0) -> tuple[Array, Array]:
    """Seeded weights ``w(1)`` (8 x 5) and ``w(2)`` (3 x 9), column 0 the bias, ~ U(-1, 1)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (8, 5)), rng.uniform(-1, 1, (3, 9))


def value_bce(outputs: Sequence[Sequence[Value]], Y: Array) -> Value:
    """Eq. (1) from elementary nodes: ``C = -1/|Sx| sum_Sx sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]``."""
    N = len(outputs)
    terms = []
    for a_row, y_row in zip(outputs, Y):
        for a, y in zip(a_row, y_row):
            terms.append(a.log() * float(y) + (1 - a).log() * (1.0 - float(y)))
    return Value.sum(terms) * (-1.0 / N)


def _bondartsov_value_forward(w1: Grid, w2: Grid, X: Array) -> dict[str, list]:
    """Per sample: z_i(1) = w_i0 + sum_j w_ij x_j (one weighted-sum node), a(1) = sigma, z(2), a(2) likewise."""
    out: dict[str, list] = {"z1": [], "a1": [], "z2": [], "a2": []}
    for n, x in enumerate(X):
        xs = [float(v) for v in x]
        z1 = [Value.weighted_sum(row[1:], xs, bias=row[0]) for row in w1]
        a1 = [z.sigmoid() for z in z1]
        z2 = [Value.weighted_sum(row[1:], a1, bias=row[0]) for row in w2]
        a2 = [z.sigmoid() for z in z2]
        for i, (p, q) in enumerate(zip(z1, a1)):
            p.label, q.label = f"z(1)[{i + 1}]#{n + 1}", f"a(1)[{i + 1}]#{n + 1}"
        for i, (p, q) in enumerate(zip(z2, a2)):
            p.label, q.label = f"z(2)[{i + 1}]#{n + 1}", f"a(2)[{i + 1}]#{n + 1}"
        for k, v in (("z1", z1), ("a1", a1), ("z2", z2), ("a2", a2)):
            out[k].append(v)
    return out


def bondartsov_value(w1: Array, w2: Array, X: Array, Y: Array, jacobians: bool = True) -> dict[str, Array]:
    """The iris net node by node with ``Value`` (Bondartsov's Figure 1), full-batch cost eq. (1), one backward.

    Returns autodiff arrays in the document's orientation (per-sample quantities as
    columns): ``dC/dw1`` 8 x 5, ``dC/dw2`` 3 x 9, ``dC/da2``, ``dC/dz2`` 3 x N,
    ``dC/da1``, ``dC/dz1`` 8 x N, the forward ``a1``, ``a2``, ``z1``, ``z2`` and, with
    ``jacobians``, per sample (one backward per output node): ``da2/dz2`` N x 3 x 3,
    ``da1/dz1`` N x 8 x 8, ``dz2/dw2`` N x 3 x 3 x 9, ``dz2/da1`` N x 3 x 8, ``dz1/dw1`` N x 8 x 8 x 5.
    """
    W1, W2 = values(w1, "w(1)"), values(w2, "w(2)")
    fw = _bondartsov_value_forward(W1, W2, X)
    C = value_bce(fw["a2"], Y)
    C.backward()
    out = {"C": np.array(C.data), "dC/dw1": grads(W1), "dC/dw2": grads(W2)}
    for k in ("z1", "a1", "z2", "a2"):
        out[k] = datas(fw[k]).T
        out[f"dC/d{k}"] = grads(fw[k]).T
    if jacobians:
        w1f, w2f = _flat(W1), _flat(W2)
        out["da2/dz2"] = np.array([jacobian_values(a, z) for a, z in zip(fw["a2"], fw["z2"])])
        out["da1/dz1"] = np.array([jacobian_values(a, z) for a, z in zip(fw["a1"], fw["z1"])])
        out["dz2/dw2"] = np.array([jacobian_values(z, w2f).reshape(3, 3, 9) for z in fw["z2"]])
        out["dz2/da1"] = np.array([jacobian_values(z, a) for z, a in zip(fw["z2"], fw["a1"])])
        out["dz1/dw1"] = np.array([jacobian_values(z, w1f).reshape(8, 8, 5) for z in fw["z1"]])
    return out


_EMBED = np.vstack([np.zeros((1, 8)), np.eye(8)])  # [1; a(1)] = E a(1) + e0: a(1) with its bias row
_E0 = np.eye(9)[:, :1]


def bondartsov_tensor(w1: Array, w2: Array, X: Array, Y: Array, jacobians: bool = True) -> dict[str, Array]:
    """The iris net with ``Tensor``, in the document's matrix form: ``z(1) = w(1) [1; x]``, ``z(2) = w(2) [1; a(1)]``.

    Per-sample quantities are columns (x with its bias row is 5 x N).  The bias row of
    ``a(1)`` is added by a constant embedding ``[1; a(1)] = E a(1) + e0``.  Same keys
    as :func:`bondartsov_value`; the Jacobians come from :func:`micrograd_ext.jacobian.jacobian`.
    """
    N = X.shape[0]
    xb = np.vstack([np.ones((1, N)), np.asarray(X, dtype=float).T])  # 5 x N
    Yt = np.asarray(Y, dtype=float).T
    W1, W2 = _tensor(w1, "w(1)"), _tensor(w2, "w(2)")
    Z1 = W1 @ Tensor(xb)
    A1 = Z1.sigmoid()
    A1b = Tensor(_EMBED) @ A1 + Tensor(_E0)
    Z2 = W2 @ A1b
    A2 = Z2.sigmoid()
    C = -(A2.log() * Tensor(Yt) + (1 - A2).log() * Tensor(1 - Yt)).sum() * (1.0 / N)
    C.backward()
    out = {"C": C.data.copy(), "dC/dw1": W1.grad.copy(), "dC/dw2": W2.grad.copy()}
    for k, t in (("z1", Z1), ("a1", A1), ("z2", Z2), ("a2", A2)):
        out[k] = t.data.copy()
        out[f"dC/d{k}"] = t.grad.copy()
    if jacobians:
        z1, z2, a1, a1b = Z1.data, Z2.data, A1.data, A1b.data
        sig = lambda t: t.sigmoid()
        out["da2/dz2"] = np.array([jacobian(sig, z2[:, n]) for n in range(N)])
        out["da1/dz1"] = np.array([jacobian(sig, z1[:, n]) for n in range(N)])
        out["dz2/dw2"] = np.array([jacobian(lambda W, v=a1b[:, n]: W @ Tensor(v), w2) for n in range(N)])
        W2c, E, e0 = Tensor(w2), Tensor(_EMBED), Tensor(_E0[:, 0])
        out["dz2/da1"] = np.array([jacobian(lambda a: W2c @ (E @ a + e0), a1[:, n]) for n in range(N)])
        out["dz1/dw1"] = np.array([jacobian(lambda W, v=xb[:, n]: W @ Tensor(v), w1) for n in range(N)])
    return out


@dataclass(frozen=True)
class IrisGradients:
    """Autodiff gradients of Bondartsov's cost (1) and the closed forms (8) and (14), side by side.

    ``grad_w1`` (8 x 5) and ``grad_w2`` (3 x 9) are autodiff (column 0 the bias);
    ``eq14`` and ``eq8`` the closed forms; ``max_abs_diff_eq14`` / ``max_abs_diff_eq8``
    the largest absolute differences; ``loss`` is C of eq. (1).
    """

    loss: float
    grad_w1: Array
    grad_w2: Array
    eq14: Array
    eq8: Array
    max_abs_diff_eq14: float
    max_abs_diff_eq8: float

    def passed(self, rtol: float = 1e-10) -> bool:
        """Both differences within ``rtol * max(1, max |closed form|)``."""
        return all(d <= rtol * max(1.0, float(np.max(np.abs(c))))
                   for d, c in ((self.max_abs_diff_eq14, self.eq14), (self.max_abs_diff_eq8, self.eq8)))


def bondartsov_iris_gradients(params: Any, X: Any, Y: Any) -> IrisGradients:
    """Autodiff vs Bondartsov's eqs. (8) and (14) for the iris net, on the given weights and data.

    Signature: ``bondartsov_iris_gradients(params, X, Y) -> IrisGradients``

    * ``params``: either a pair ``(w1, w2)`` of nested lists of ``Value``, ``w1[i][j]``
      8 x 5 and ``w2[i][j]`` 3 x 9 with column 0 the bias (Bondartsov's ``w(l)_{i,j}``,
      0-based lists); or a :class:`micrograd_ext.nn.MLP` built as ``MLP(4, [8, 3],
      activation='sigmoid', weighted_sum=True)`` (any object with ``.layers``, each with
      ``.neurons``, each with ``.b`` and ``.w``).
    * ``X``: N x 4 features; ``Y``: N x 3 one-hot targets (array-likes).

    Builds the net node by node (weighted-sum nodes, sigmoids, cost (1) from elementary
    nodes), zeroes the parameters' ``.grad``, runs one backward pass, and compares with
    the closed forms :func:`micrograd_ext.closed_form.bondartsov_grad_w2` (eq. (8)) and
    :func:`~micrograd_ext.closed_form.bondartsov_grad_w1` (eqs. (14)-(15)).  The
    parameters' ``.grad`` hold the autodiff gradients afterwards.
    """
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    if X.ndim != 2 or X.shape[1] != 4 or Y.shape != (X.shape[0], 3):
        raise ValueError(f"bondartsov_iris_gradients: X of shape {X.shape} and Y of shape {Y.shape} (expected (N, 4) and (N, 3))")
    if hasattr(params, "layers"):
        layers = params.layers
        if len(layers) != 2 or len(layers[0].neurons) != 8 or len(layers[1].neurons) != 3:
            raise ValueError("bondartsov_iris_gradients: expected an MLP 4 -> 8 -> 3")
        for layer in layers:
            act = getattr(layer.neurons[0], "activation", "sigmoid")
            if act != "sigmoid":
                raise ValueError(f"bondartsov_iris_gradients: layer activation {act!r} (expected 'sigmoid' on both layers, as in the paper)")
        W1 = [[n.b] + list(n.w) for n in layers[0].neurons]
        W2 = [[n.b] + list(n.w) for n in layers[1].neurons]
        for v in _flat(W1) + _flat(W2):
            v.grad = 0.0
        outs = []
        for x in X:
            o = params([float(v) for v in x])
            outs.append(list(o) if isinstance(o, (list, tuple)) else [o])
    else:
        W1, W2 = params
        if np.shape(datas(W1)) != (8, 5) or np.shape(datas(W2)) != (3, 9):
            raise ValueError(f"bondartsov_iris_gradients: w1 {np.shape(datas(W1))} and w2 {np.shape(datas(W2))} (expected 8 x 5 and 3 x 9)")
        for v in _flat(W1) + _flat(W2):
            v.grad = 0.0
        outs = _bondartsov_value_forward(W1, W2, X)["a2"]
    C = value_bce(outs, Y)
    C.backward()
    g1, g2 = grads(W1), grads(W2)
    w1, w2 = datas(W1), datas(W2)
    e14, e8 = cf.bondartsov_grad_w1(w1, w2, X, Y), cf.bondartsov_grad_w2(w1, w2, X, Y)
    return IrisGradients(float(C.data), g1, g2, e14, e8, float(np.max(np.abs(g1 - e14))), float(np.max(np.abs(g2 - e8))))


# =============================================================================================
# CS224n-style notes: identities 2.1-2.7 and section 3 (x -> z = Wx + b1 -> ReLU -> Uh + b2 -> softmax -> CE)
# =============================================================================================


def cs224n_data(seed: int = 1) -> dict[str, Array]:
    """Seeded data: the identities use W (4 x 3: n = 4 > m = 3) and x; section 3 uses Dx = 4, Dh = 5, Nc = 3.

    One hidden pre-activation of section 3 is exactly 0 (dyadic numbers, so every
    summation order gives 0): ReLU'(0) = 0 in the notes (sgn(h)), as in the engine's default.
    """
    rng = np.random.default_rng(seed)
    d = {
        "W_id": rng.normal(size=(4, 3)), "x_id": rng.normal(size=3), "t_id": rng.normal(size=4),
        "xr_id": rng.normal(size=(1, 4)), "t_row": rng.normal(size=(1, 3)),
        "theta_id": rng.normal(size=3), "y_id": np.eye(3)[1],
    }
    Dx, Dh, Nc = 4, 5, 3
    x = np.round(rng.normal(size=(Dx, 1)) * 16) / 16
    W = rng.normal(size=(Dh, Dx))
    W[2] = np.round(W[2] * 16) / 16
    b1 = rng.normal(size=(Dh, 1))
    b1[2, 0] = -float(W[2] @ x[:, 0])  # exact: dyadic products and sums
    d.update({"x": x, "W": W, "b1": b1, "U": rng.normal(size=(Nc, Dh)), "b2": rng.normal(size=(Nc, 1)), "y": np.eye(Nc)[:, [2]]})
    return d


def cs224n_value(d: dict[str, Array]) -> dict[str, Array]:
    """The notes' identities and section 3 with ``Value`` nodes (column vectors as lists; gradients reshaped to the notes' shapes)."""
    out: dict[str, Array] = {}
    W, x = d["W_id"], d["x_id"]
    # 2.1: z = W x
    xs = values(x, "x")
    z = [Value.sum([float(W[i, k]) * xs[k] for k in range(3)]) for i in range(4)]
    out["2.1 dz/dx"] = jacobian_values(z, xs)
    # 2.2: z = x W (x a row: here x is 1 x 4 and the matrix is W_id^T... use W (4 x 3) as the m x n matrix)
    xr = values(d["xr_id"][0], "x")
    zr = [Value.sum([xr[k] * float(W[k, j]) for k in range(4)]) for j in range(3)]
    out["2.2 dz/dx"] = jacobian_values(zr, xr)
    # 2.3: z = x
    out["2.3 dz/dx"] = jacobian_values(xs, xs)
    # 2.4: z = f(x) elementwise
    out["2.4 sigmoid"] = jacobian_values([v.sigmoid() for v in xs], xs)
    out["2.4 tanh"] = jacobian_values([v.tanh() for v in xs], xs)
    # 2.5: z = W x, J = 1/2 |z - t|^2
    Wv = values(W, "W")
    xc = [float(v) for v in x]
    z = [Value.weighted_sum(row, xc) for row in Wv]
    J = Value.sum([(zi - float(ti)) ** 2 for zi, ti in zip(z, d["t_id"])]) * 0.5
    J.backward()
    out["2.5 dJ/dW"] = grads(Wv)
    # 2.6: z = x W (x a 1 x 4 row, W_id as the 4 x 3 matrix), J = 1/2 |z - t|^2
    Wv = values(W, "W")
    xr = d["xr_id"][0]
    zr = [Value.sum([float(xr[k]) * Wv[k][j] for k in range(4)]) for j in range(3)]
    J = Value.sum([(zj - float(tj)) ** 2 for zj, tj in zip(zr, d["t_row"][0])]) * 0.5
    J.backward()
    out["2.6 dJ/dW"] = grads(Wv)
    # 2.7: y_hat = softmax(theta), J = CE(y, y_hat)
    th = values(d["theta_id"], "theta")
    p = value_softmax(th)
    J = value_cross_entropy(p, d["y_id"])
    J.backward()
    out["2.7 dJ/dtheta"] = grads(th)[None, :]
    th = values(d["theta_id"], "theta")
    out["2.7 dyhat/dtheta"] = jacobian_values(value_softmax(th), th)
    # section 3
    xv = values(d["x"][:, 0], "x")
    Wv, Uv = values(d["W"], "W"), values(d["U"], "U")
    b1, b2 = values(d["b1"][:, 0], "b1"), values(d["b2"][:, 0], "b2")
    zs = [Value.weighted_sum(row, xv, bias=b) for row, b in zip(Wv, b1)]
    hs = [zi.relu() for zi in zs]
    ths = [Value.weighted_sum(row, hs, bias=b) for row, b in zip(Uv, b2)]
    J = value_cross_entropy(value_softmax(ths), d["y"][:, 0])
    J.backward()
    out.update({
        "delta1": grads(ths)[None, :], "delta2": grads(zs)[None, :], "dU": grads(Uv), "db2": grads(b2)[:, None],
        "dW": grads(Wv), "db1": grads(b1)[:, None], "dx": grads(xv)[:, None],
    })
    return out


def cs224n_tensor(d: dict[str, Array]) -> dict[str, Array]:
    """The notes' identities (as full Jacobians, :func:`~micrograd_ext.jacobian.jacobian`) and section 3 with ``Tensor``."""
    out: dict[str, Array] = {}
    W, x = d["W_id"], d["x_id"]
    Wc = Tensor(W)
    out["2.1 dz/dx"] = jacobian(lambda t: Wc @ t, x)
    out["2.2 dz/dx"] = jacobian(lambda t: t @ Wc, d["xr_id"]).reshape(3, 4)
    out["2.3 dz/dx"] = jacobian(lambda t: t, x)
    out["2.4 sigmoid"] = jacobian(lambda t: t.sigmoid(), x)
    out["2.4 tanh"] = jacobian(lambda t: t.tanh(), x)
    Wt = _tensor(W, "W")
    z = Wt @ Tensor(x[:, None])
    J = ((z - Tensor(d["t_id"][:, None])) ** 2).sum() * 0.5
    J.backward()
    out["2.5 dJ/dW"] = Wt.grad.copy()
    Wt = _tensor(W, "W")
    z = Tensor(d["xr_id"]) @ Wt
    J = ((z - Tensor(d["t_row"])) ** 2).sum() * 0.5
    J.backward()
    out["2.6 dJ/dW"] = Wt.grad.copy()
    th = _tensor(d["theta_id"][:, None], "theta")
    J = tensor_cross_entropy(th.softmax(axis=0), d["y_id"][:, None])
    J.backward()
    out["2.7 dJ/dtheta"] = th.grad.T.copy()
    out["2.7 dyhat/dtheta"] = jacobian(lambda t: t.softmax(axis=0), d["theta_id"])
    xt, Wt, Ut = _tensor(d["x"], "x"), _tensor(d["W"], "W"), _tensor(d["U"], "U")
    b1, b2 = _tensor(d["b1"], "b1"), _tensor(d["b2"], "b2")
    z = Wt @ xt + b1
    h = z.relu()
    theta = Ut @ h + b2
    J = tensor_cross_entropy(theta.softmax(axis=0), d["y"])
    J.backward()
    out.update({
        "delta1": theta.grad.T.copy(), "delta2": z.grad.T.copy(), "dU": Ut.grad.copy(), "db2": b2.grad.copy(),
        "dW": Wt.grad.copy(), "db1": b1.grad.copy(), "dx": xt.grad.copy(),
    })
    return out


# =============================================================================================
# Rosenberg: affine y = W x + b (one sample) and Y = X W^T + 1 b^T (minibatch), softmax backward
# J = sum of squared errors of softmax(y) against a target (any f works; this one is not special)
# =============================================================================================


def rosenberg_data(seed: int = 2) -> dict[str, Array]:
    """Seeded data: W m x d = 3 x 4, b (m), one sample x (d x 1) and target t, minibatch X n x d = 5 x 4 and T n x m."""
    rng = np.random.default_rng(seed)
    return {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=3), "x": rng.normal(size=(4, 1)), "t": rng.normal(size=(3, 1)),
            "X": rng.normal(size=(5, 4)), "T": rng.normal(size=(5, 3))}


def rosenberg_value(d: dict[str, Array]) -> dict[str, Array]:
    """One sample: y = W x + b, p = softmax(y), J = |p - t|^2; minibatch: Y = X W^T + 1 b^T, J = 1/n sum_r |softmax(Y_r) - T_r|^2."""
    out: dict[str, Array] = {}
    Wv, bv, xv = values(d["W"], "W"), values(d["b"], "b"), values(d["x"][:, 0], "x")
    y = [Value.weighted_sum(row, xv, bias=bi) for row, bi in zip(Wv, bv)]
    p = value_softmax(y)
    J = Value.sum([(pi - float(ti)) ** 2 for pi, ti in zip(p, d["t"][:, 0])])
    J.backward()
    out.update({"dW": grads(Wv), "db": grads(bv)[:, None], "dx": grads(xv)[:, None], "ds": grads(y)[:, None]})
    out["dy/dW"] = jacobian_values(y, _flat(Wv)).reshape(3, 3, 4)
    yv = values(datas(y), "s")
    out["dsigma/ds"] = jacobian_values(value_softmax(yv), yv)
    n = d["X"].shape[0]
    Wv, bv, Xv = values(d["W"], "W"), values(d["b"], "b"), values(d["X"], "X")
    Y = [[Value.weighted_sum(Wv[s], Xv[r], bias=bv[s]) for s in range(3)] for r in range(n)]
    terms = []
    for r in range(n):
        pr = value_softmax(Y[r])
        terms += [(pi - float(ti)) ** 2 for pi, ti in zip(pr, d["T"][r])]
    J = Value.sum(terms) * (1.0 / n)
    J.backward()
    out.update({"batch dW": grads(Wv), "batch db": grads(bv)[:, None], "batch dX": grads(Xv), "batch dS": grads(Y)})
    Yf = _flat(Y)
    out["dY/dW"] = jacobian_values(Yf, _flat(Wv)).reshape(n, 3, 3, 4)
    out["dY/db"] = jacobian_values(Yf, bv).reshape(n, 3, 3)
    out["dY/dX"] = jacobian_values(Yf, _flat(Xv)).reshape(n, 3, n, 4)
    return out


def rosenberg_tensor(d: dict[str, Array]) -> dict[str, Array]:
    """The same two nets with ``Tensor``: ``y = W @ x + b`` (columns) and ``Y = X @ W.T + b`` (rows, b broadcast = 1 b^T)."""
    out: dict[str, Array] = {}
    W, b, x = _tensor(d["W"], "W"), _tensor(d["b"][:, None], "b"), _tensor(d["x"], "x")
    y = W @ x + b
    J = ((y.softmax(axis=0) - Tensor(d["t"])) ** 2).sum()
    J.backward()
    out.update({"dW": W.grad.copy(), "db": b.grad.copy(), "dx": x.grad.copy(), "ds": y.grad.copy()})
    out["dy/dW"] = jacobian(lambda Wt: Wt @ Tensor(d["x"][:, 0]) + Tensor(d["b"]), d["W"])
    out["dsigma/ds"] = jacobian(lambda s: s.softmax(axis=0), y.data[:, 0])
    n = d["X"].shape[0]
    W, b, X = _tensor(d["W"], "W"), _tensor(d["b"], "b"), _tensor(d["X"], "X")
    Y = X @ W.T + b
    J = ((Y.softmax(axis=1) - Tensor(d["T"])) ** 2).sum() * (1.0 / n)
    J.backward()
    out.update({"batch dW": W.grad.copy(), "batch db": b.grad[:, None].copy(), "batch dX": X.grad.copy(), "batch dS": Y.grad.copy()})
    Xc, Wc, bc = Tensor(d["X"]), Tensor(d["W"]), Tensor(d["b"])
    out["dY/dW"] = jacobian(lambda Wt: Xc @ Wt.T + bc, d["W"])
    out["dY/db"] = jacobian(lambda bt: Xc @ Wc.T + bt, d["b"])
    out["dY/dX"] = jacobian(lambda Xt: Xt @ Wc.T + bc, d["X"])
    return out


# =============================================================================================
# Park: deep net, samples as COLUMNS, relu hidden layers with relu'(0) = 1, softmax + CE output
# =============================================================================================

PARK_SIZES = (4, 5, 4, 3)  # n[0] .. n[L], L = 3


def park_data(seed: int = 3) -> dict[str, Any]:
    """Seeded data: X n x N = 4 x 6 (columns are samples), one-hot Y 3 x 6, W[l] n[l] x n[l-1], b[l] n[l] x 1.

    Pre-activation Z[1][2, 0] is exactly 0 (dyadic numbers), so relu'(0) = 1 (Park's
    eq. (1)) matters for the gradients; data for Theorem 6.1's cases 1-2 and Code 3 too.
    """
    rng = np.random.default_rng(seed)
    sizes = PARK_SIZES
    N = 6
    X = rng.normal(size=(sizes[0], N))
    X[:, 0] = np.round(X[:, 0] * 16) / 16
    W: list[Any] = [None] + [rng.normal(size=(sizes[k], sizes[k - 1])) for k in range(1, len(sizes))]
    b: list[Any] = [None] + [rng.normal(size=(sizes[k], 1)) for k in range(1, len(sizes))]
    W[1][2] = np.round(W[1][2] * 16) / 16
    b[1][2, 0] = -float(W[1][2] @ X[:, 0])
    Y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], N)]
    return {
        "X": X, "Y": Y, "W": W, "b": b,
        # Theorem 4.1: S(z) = 1/2 z^T z + c^T z at layer 1, sample 0
        "c": rng.normal(size=(sizes[1], 1)),
        # Theorem 6.1 case 1 (identity + L2, m = 2) and case 2 (sigmoid + BCE, m = 1), one sample x
        "W_l2": rng.normal(size=(2, 4)), "b_l2": rng.normal(size=(2, 1)), "y_l2": rng.normal(size=(2, 1)),
        "W_bce": rng.normal(size=(1, 4)), "b_bce": rng.normal(size=(1, 1)), "y_bce": np.array([[1.0]]),
        "x1": rng.normal(size=(4, 1)),
        # Python Code 3: linear regression, X3 n x N, y3 1 x N
        "X3": rng.normal(size=(3, 7)), "y3": rng.normal(size=(1, 7)), "W3": rng.normal(size=(1, 3)), "b3": 0.25,
    }


def _park_value_column(Ws: list, bs: list, x: Sequence[Value | float]) -> tuple[list, list]:
    """One sample (a column) through the deep net: z[l] = W[l] a[l-1] + b[l], relu (relu'(0) = 1) then softmax."""
    L = len(Ws) - 1
    a: list = list(x)
    Zs: list = [None]
    As: list = [a]
    for ell in range(1, L + 1):
        z = [Value.weighted_sum(row, a, bias=bi) for row, bi in zip(Ws[ell], bs[ell])]
        a = [zi.relu(grad_at_zero=1.0) for zi in z] if ell < L else value_softmax(z)
        Zs.append(z)
        As.append(a)
    return Zs, As


def park_value(d: dict[str, Any]) -> dict[str, Any]:
    """Park's net node by node with ``Value`` (relu(grad_at_zero=1.0), Park's convention), J = 1/N sum_k CE_k.

    Returns per layer ``dZ[l]``, ``dA[l]`` (n[l] x N, ``dA[0]`` = dJ/dX), ``dW[l]``,
    ``db[l]`` (n[l] x 1), lists indexed 0..L; Theorem 4.1 and 5.1 quantities for
    sample 0; Theorem 6.1 deltas; Code 3's dW, db.
    """
    X, Y, N = d["X"], d["Y"], d["X"].shape[1]
    L = len(d["W"]) - 1
    Ws: list = [None] + [values(d["W"][ell], f"W[{ell}]") for ell in range(1, L + 1)]
    bs: list = [None] + [values(d["b"][ell][:, 0], f"b[{ell}]") for ell in range(1, L + 1)]
    Xv = values(X, "X")
    cols = [_park_value_column(Ws, bs, [Xv[i][k] for i in range(X.shape[0])]) for k in range(N)]
    J = Value.sum([value_cross_entropy(cols[k][1][L], Y[:, k]) for k in range(N)]) * (1.0 / N)
    J.backward()
    out: dict[str, Any] = {"dW": [None] + [grads(Ws[ell]) for ell in range(1, L + 1)],
                           "db": [None] + [grads(bs[ell])[:, None] for ell in range(1, L + 1)],
                           "dZ": [None] + [np.array([grads(cols[k][0][ell]) for k in range(N)]).T for ell in range(1, L + 1)],
                           "dA": [grads(Xv)] + [np.array([grads(cols[k][1][ell]) for k in range(N)]).T for ell in range(1, L + 1)],
                           "Z": [None] + [np.array([datas(cols[k][0][ell]) for k in range(N)]).T for ell in range(1, L + 1)],
                           "A": [X] + [np.array([datas(cols[k][1][ell]) for k in range(N)]).T for ell in range(1, L + 1)]}
    # Theorem 5.1, one sample (k = 0): L_0 = CE of sample 0, gradients per layer
    Ws1: list = [None] + [values(d["W"][ell], f"W[{ell}]") for ell in range(1, L + 1)]
    bs1: list = [None] + [values(d["b"][ell][:, 0], f"b[{ell}]") for ell in range(1, L + 1)]
    x0 = values(X[:, 0], "x")
    Zs, As = _park_value_column(Ws1, bs1, x0)
    L0 = value_cross_entropy(As[L], Y[:, 0])
    L0.backward()
    out["5.1"] = {"delta": [None] + [grads(Zs[ell])[:, None] for ell in range(1, L + 1)],
                  "da": [grads(x0)[:, None]] + [grads(As[ell])[:, None] for ell in range(1, L)],
                  "dW": [None] + [grads(Ws1[ell]) for ell in range(1, L + 1)],
                  "db": [None] + [grads(bs1[ell])[:, None] for ell in range(1, L + 1)]}
    # Theorem 4.1 at layer 1, sample 0: z = W x + b, a = relu(z), S = 1/2 z^T z + c^T z
    W1, b1 = values(d["W"][1], "W"), values(d["b"][1][:, 0], "b")
    z = [Value.weighted_sum(row, x0, bias=bi) for row, bi in zip(W1, b1)]
    out["4.1 (7)"] = jacobian_values(z, x0)
    out["4.1 (8)"] = jacobian_values(z, b1)
    zl = values(datas(z), "z")
    out["4.1 (9)"] = jacobian_values([v.relu(grad_at_zero=1.0) for v in zl], zl)
    W1 = values(d["W"][1], "W")
    xc = [float(v) for v in X[:, 0]]
    z = [Value.weighted_sum(row, xc, bias=Value(float(bi))) for row, bi in zip(W1, d["b"][1][:, 0])]
    S = Value.sum([zi * zi * 0.5 + zi * float(ci) for zi, ci in zip(z, d["c"][:, 0])])
    S.backward()
    out["4.1 (10)"] = grads(W1)
    # Theorem 6.1, one sample, delta = grad_z L
    out["6.1"] = {}
    x1 = [float(v) for v in d["x1"][:, 0]]
    z = [Value.weighted_sum(values(row, "w"), x1, bias=Value(float(bi))) for row, bi in zip(d["W_l2"], d["b_l2"][:, 0])]
    Lz = Value.sum([(zi - float(yi)) ** 2 for zi, yi in zip(z, d["y_l2"][:, 0])]) * 0.5
    Lz.backward()
    out["6.1"]["1"] = (grads(z)[:, None], datas(z)[:, None])
    z = Value.weighted_sum(values(d["W_bce"][0], "w"), x1, bias=Value(float(d["b_bce"][0, 0])))
    a = z.sigmoid()
    yb = float(d["y_bce"][0, 0])
    Lz = -(a.log() * yb + (1 - a).log() * (1 - yb))
    Lz.backward()
    out["6.1"]["2"] = (np.array([[z.grad]]), np.array([[a.data]]))
    z = [Value(float(v), label="z") for v in out["Z"][L][:, 0]]
    o = value_softmax(z)
    Lz = value_cross_entropy(o, Y[:, 0])
    Lz.backward()
    out["6.1"]["3"] = (grads(z)[:, None], datas(o)[:, None])
    zl = values(out["Z"][L][:, 0], "z")
    out["(39)"] = jacobian_values(value_softmax(zl), zl)
    # Python Code 3: linear regression, cost = sum (A - y)^2 / (2N)
    X3, y3 = d["X3"], d["y3"]
    W3, b3 = values(d["W3"][0], "W"), Value(float(d["b3"]), label="b")
    N3 = X3.shape[1]
    A3 = [Value.weighted_sum(W3, [float(v) for v in X3[:, k]], bias=b3) for k in range(N3)]
    Jc = Value.sum([(ak - float(yk)) ** 2 for ak, yk in zip(A3, y3[0])]) * (1.0 / (2 * N3))
    Jc.backward()
    out["code3"] = (grads(W3)[None, :], np.array([[b3.grad]]))
    return out


def park_tensor(d: dict[str, Any]) -> dict[str, Any]:
    """Park's net with ``Tensor``, samples as columns: ``Z[l] = W[l] @ A[l-1] + b[l]`` (b broadcast over columns),
    ``relu(grad_at_zero=1.0)``, ``softmax(axis=0)``, J = -1/N sum Y * log A[L].  Same keys as :func:`park_value`."""
    X, Y, N = d["X"], d["Y"], d["X"].shape[1]
    L = len(d["W"]) - 1

    def net(Xt: Tensor) -> tuple[list, list, list, list]:
        Ws = [None] + [_tensor(d["W"][ell], f"W[{ell}]") for ell in range(1, L + 1)]
        bs = [None] + [_tensor(d["b"][ell], f"b[{ell}]") for ell in range(1, L + 1)]
        Zs: list = [None]
        As: list = [Xt]
        for ell in range(1, L + 1):
            Z = Ws[ell] @ As[-1] + bs[ell]
            Zs.append(Z)
            As.append(Z.relu(grad_at_zero=1.0) if ell < L else Z.softmax(axis=0))
        return Ws, bs, Zs, As

    Xt = _tensor(X, "X")
    Ws, bs, Zs, As = net(Xt)
    J = tensor_cross_entropy(As[L], Y) * (1.0 / N)
    J.backward()
    out: dict[str, Any] = {"dW": [None] + [Ws[ell].grad.copy() for ell in range(1, L + 1)],
                           "db": [None] + [bs[ell].grad.copy() for ell in range(1, L + 1)],
                           "dZ": [None] + [Zs[ell].grad.copy() for ell in range(1, L + 1)],
                           "dA": [Xt.grad.copy()] + [As[ell].grad.copy() for ell in range(1, L + 1)],
                           "Z": [None] + [Zs[ell].data.copy() for ell in range(1, L + 1)],
                           "A": [X] + [As[ell].data.copy() for ell in range(1, L + 1)]}
    x0 = _tensor(X[:, :1], "x")
    Ws1, bs1, Zs1, As1 = net(x0)
    L0 = tensor_cross_entropy(As1[L], Y[:, :1])
    L0.backward()
    out["5.1"] = {"delta": [None] + [Zs1[ell].grad.copy() for ell in range(1, L + 1)],
                  "da": [x0.grad.copy()] + [As1[ell].grad.copy() for ell in range(1, L)],
                  "dW": [None] + [Ws1[ell].grad.copy() for ell in range(1, L + 1)],
                  "db": [None] + [bs1[ell].grad.copy() for ell in range(1, L + 1)]}
    W1c, b1c = Tensor(d["W"][1]), Tensor(d["b"][1][:, 0])
    out["4.1 (7)"] = jacobian(lambda x: W1c @ x + b1c, X[:, 0])
    out["4.1 (8)"] = jacobian(lambda b: W1c @ Tensor(X[:, 0]) + b, d["b"][1][:, 0])
    out["4.1 (9)"] = jacobian(lambda z: z.relu(grad_at_zero=1.0), out["Z"][1][:, 0])
    W1 = _tensor(d["W"][1], "W")
    z = W1 @ Tensor(X[:, :1]) + Tensor(d["b"][1])
    S = (z * z * 0.5 + z * Tensor(d["c"])).sum()
    S.backward()
    out["4.1 (10)"] = W1.grad.copy()
    out["6.1"] = {}
    z = _tensor(d["W_l2"] @ d["x1"] + d["b_l2"], "z")  # z itself is the node whose gradient is delta
    Lz = ((z - Tensor(d["y_l2"])) ** 2).sum() * 0.5
    Lz.backward()
    out["6.1"]["1"] = (z.grad.copy(), z.data.copy())
    z = _tensor(d["W_bce"] @ d["x1"] + d["b_bce"], "z")
    a = z.sigmoid()
    yb = Tensor(d["y_bce"])
    Lz = -(a.log() * yb + (1 - a).log() * (1 - yb)).sum()
    Lz.backward()
    out["6.1"]["2"] = (z.grad.copy(), a.data.copy())
    z = _tensor(out["Z"][L][:, :1], "z")
    o = z.softmax(axis=0)
    Lz = tensor_cross_entropy(o, Y[:, :1])
    Lz.backward()
    out["6.1"]["3"] = (z.grad.copy(), o.data.copy())
    out["(39)"] = jacobian(lambda t: t.softmax(axis=0), out["Z"][L][:, 0])
    X3, y3 = d["X3"], d["y3"]
    W3, b3 = _tensor(d["W3"], "W"), _tensor(np.array([[d["b3"]]]), "b")
    A3 = W3 @ Tensor(X3) + b3
    Jc = ((A3 - Tensor(y3)) ** 2).sum() * (1.0 / (2 * X3.shape[1]))
    Jc.backward()
    out["code3"] = (W3.grad.copy(), b3.grad.copy())
    return out


# =============================================================================================
# CS229: z1 = W1^T x + b1 (W1 d x h), a1 = sigma(z1), z2 = W2^T a1 + b2 (W2 h x k), softmax + CE
# =============================================================================================


def cs229_data(seed: int = 4) -> dict[str, Array]:
    """Seeded data: d = 5, h = 4, k = 3 (h != k, so W2 and W2^T differ in shape); one sample x, one-hot y."""
    rng = np.random.default_rng(seed)
    d, h, k = 5, 4, 3
    return {"x": rng.normal(size=(d, 1)), "y": np.eye(k)[:, [1]], "W1": rng.normal(size=(d, h)), "b1": rng.normal(size=(h, 1)),
            "W2": rng.normal(size=(h, k)), "b2": rng.normal(size=(k, 1))}


def cs229_value(d: dict[str, Array]) -> dict[str, Array]:
    """The CS229 net with ``Value``: z1_j = sum_i W1[i][j] x_i + b1_j (a COLUMN of W1: the transposed convention)."""
    W1, W2 = values(d["W1"], "W1"), values(d["W2"], "W2")
    b1, b2 = values(d["b1"][:, 0], "b1"), values(d["b2"][:, 0], "b2")
    x = [float(v) for v in d["x"][:, 0]]
    h, k = d["W1"].shape[1], d["W2"].shape[1]
    z1 = [Value.weighted_sum([W1[i][j] for i in range(len(x))], x, bias=b1[j]) for j in range(h)]
    a1 = [z.sigmoid() for z in z1]
    z2 = [Value.weighted_sum([W2[i][j] for i in range(h)], a1, bias=b2[j]) for j in range(k)]
    J = value_cross_entropy(value_softmax(z2), d["y"][:, 0])
    J.backward()
    out = {"dW1": grads(W1), "db1": grads(b1)[:, None], "dW2": grads(W2), "db2": grads(b2)[:, None], "dz2": grads(z2)[:, None]}
    out["dz2/da1"] = jacobian_values(z2, a1)
    return out


def cs229_tensor(d: dict[str, Array]) -> dict[str, Array]:
    """The CS229 net with ``Tensor``: ``z1 = W1.T @ x + b1``, ``z2 = W2.T @ a1 + b2`` (column vectors)."""
    W1, W2, b1, b2 = _tensor(d["W1"], "W1"), _tensor(d["W2"], "W2"), _tensor(d["b1"], "b1"), _tensor(d["b2"], "b2")
    z1 = W1.T @ Tensor(d["x"]) + b1
    a1 = z1.sigmoid()
    z2 = W2.T @ a1 + b2
    J = tensor_cross_entropy(z2.softmax(axis=0), d["y"])
    J.backward()
    out = {"dW1": W1.grad.copy(), "db1": b1.grad.copy(), "dW2": W2.grad.copy(), "db2": b2.grad.copy(), "dz2": z2.grad.copy()}
    W2c, b2c = Tensor(d["W2"]), Tensor(d["b2"][:, 0])
    out["dz2/da1"] = jacobian(lambda a: W2c.T @ a + b2c, a1.data[:, 0])
    return out


BUILDS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "cs224n": (cs224n_value, cs224n_tensor),
    "rosenberg": (rosenberg_value, rosenberg_tensor),
    "park": (park_value, park_tensor),
    "cs229": (cs229_value, cs229_tensor),
}
