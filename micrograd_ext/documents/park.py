"""Park, "Gradients in a deep neural network and their Python implementations" (2022): closed forms,
his Python Code 1-4 executed, nets, verify rows, errata.

The article's deep network, samples as COLUMNS (``X`` is n x N)::

    z[l] = W[l] a[l-1] + b[l],  a[l] = g[l](z[l]),  a[0] = x,  J = 1/N sum_k L(o_k, y_k)

with relu hidden layers (``relu'(0) = 1``, his eq. (1), justified by the smoothed relu
of Lemma 3.1) and an identity + L2, sigmoid + binary cross-entropy or softmax +
cross-entropy output (Theorem 6.1).  ``dT`` is ``grad_T J`` (Remark 5.3).  Equation
numbers are the article's.

His Python Code 1-4 are shipped as printed (``micrograd_ext/data/doc_park_code<k>.txt``)
and executed with the minimal fixes of :data:`CODE_FIXES`, each one named (and each one an
erratum, checked by :func:`errata`): :func:`code1_namespace`, :func:`code2`,
:func:`code3`, :func:`code3_run` (his training run, its cost history), :func:`code4`.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ..core.jacobian import jacobian, jacobian_values
from ..core.tensor import Tensor
from ..core.value import Value
from ..nets import losses, tensor_nn
from .common import (
    AUTHOR,
    EXTRACTION,
    PARK,
    Array,
    Erratum,
    Row,
    Rows,
    datas,
    grads,
    labels_of,
    leaf,
    sigmoid,
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

DOC = PARK
EPSILONS = (0.5, 1e-32)  # Lemma 3.1 at a visible epsilon and at the article's Figure 2 epsilon


# =============================================================================================
# Closed forms
# =============================================================================================


def d_relu(Z: Array) -> Array:
    """relu'(z) = 1 if z >= 0, 0 if z < 0.  Park eq. (1) (and Python Code 1's ``d_relu``)."""
    return (np.asarray(Z) >= 0) * 1.0


def d_sigmoid(Z: Array) -> Array:
    """sigma'(z) = sigma(z) (1 - sigma(z)).  Park eq. (2) (and Python Code 1's ``d_sigmoid``)."""
    s = sigmoid(Z)
    return s * (1 - s)


def relu_eps(z: Array, eps: float) -> Array:
    """relu_eps(z) = -2/eps^3 z^4 - 3/eps^2 z^3 + z on [-eps, 0], relu(z) elsewhere.  Park, section 3 (before Lemma 3.1)."""
    z = np.asarray(z, dtype=float)
    poly = -2.0 / eps**3 * z**4 - 3.0 / eps**2 * z**3 + z
    return np.where((z >= -eps) & (z <= 0), poly, np.maximum(z, 0.0))


def lemma_3_1(z: Array, eps: float) -> Array:
    """relu_eps'(z) = 1 if z >= 0, 0 if z <= -eps (the lemma says nothing in between: nan there).  Park, Lemma 3.1."""
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, 1.0, np.where(z <= -eps, 0.0, np.nan))


def theorem_4_1(W: Array, x: Array, z: Array, grad_z_S: Array, g_prime: Callable[[Array], Array]) -> dict[str, Array]:
    """For z = W x + b, a = g(z), S = S(z): (7) dz/dx = W, (8) dz/db = I, (9) da/dz = diag(g'(z)), (10) grad_W S = (grad_z S) x^T.

    Park, Theorem 4.1.  ``x``, ``z``, ``grad_z_S``: column vectors.
    """
    return {"(7)": np.array(W, dtype=float), "(8)": np.eye(W.shape[0]), "(9)": np.diag(g_prime(z).ravel()),
            "(10)": grad_z_S @ x.T}


def eq6(grad_z_S: Array, x: Array) -> Array:
    """dS/dw_ij = sum_k dS/dz_k dz_k/dw_ij with dz_k/dw_ij = delta_ik x_j, with explicit sums.  Park eq. (6)."""
    g, xx = np.ravel(grad_z_S), np.ravel(x)
    m, n = g.size, xx.size
    return np.array([[sum(g[k] * (i == k) * xx[j] for k in range(m)) for j in range(n)] for i in range(m)])


def section_5_1(W: Array, delta: Array, a_prev: Array, z_prev: Array | None, g_prime_prev: Callable[[Array], Array]) -> dict[str, Array]:
    """One layer back, one sample, in the dropped-index notation of 5.1: (11) grad_W L = delta a_prev^T,
    (12) grad_b L = delta, (13) grad_x L = W^T delta (and dL/dx = (dL/dz) W as a row), (14) delta_prev =
    diag(g'(z_prev)) (W^T delta), (15) delta_prev = g'(z_prev) * (W^T delta).  Park, eqs. (11)-(15)."""
    out = {"(11)": delta @ a_prev.T, "(12)": delta.copy(), "(13)": W.T @ delta, "(13) row": delta.T @ W}
    if z_prev is not None:
        out["(14)"] = np.diag(g_prime_prev(z_prev).ravel()) @ (W.T @ delta)
        out["(15)"] = g_prime_prev(z_prev) * (W.T @ delta)
    return out


def theorem_5_1(W: Array, delta: Array, a_prev: Array, z_prev: Array, g_prime_prev: Callable[[Array], Array]) -> dict[str, Array]:
    """(16) grad_a[l-1] L = W[l]^T delta[l], (17) delta[l-1] = g'(z[l-1]) * (W[l]^T delta[l]),
    (18) grad_W[l] L = delta[l] a[l-1]^T, (19) grad_b[l] L = delta[l].  Park, Theorem 5.1, one sample, column vectors."""
    da = W.T @ delta
    return {"(16)": da, "(17)": g_prime_prev(z_prev) * da, "(18)": delta @ a_prev.T, "(19)": delta.copy()}


def deltas_per_sample(W: list, Z: list, A: list, Y: Array, g_prime: Callable[[Array], Array]) -> list:
    """delta_k[l] for every sample k (columns) by Theorem 6.1 at the output (o - y) and (17) below.  Park, Theorems 5.1, 6.1.

    Returns a list indexed by layer 1..L of n[l] x N arrays: Delta[l] = [delta_1[l] ... delta_N[l]] (5.2).
    """
    L = len(W) - 1
    D: list = [None] * (L + 1)
    D[L] = A[L] - Y
    for ell in range(L, 1, -1):
        D[ell - 1] = g_prime(Z[ell - 1]) * (W[ell].T @ D[ell])
    return D


def eq20(Delta: Array) -> Array:
    """grad_b J = 1/N sum_k delta_k (the columns of Delta averaged).  Park eq. (20)."""
    return Delta.sum(axis=1, keepdims=True) / Delta.shape[1]


def theorem_5_4(W: Array, dZ: Array, A_prev: Array, Z_prev: Array | None, g_prime_prev: Callable[[Array], Array] | None) -> dict[str, Array]:
    """(22) dA[l-1] = W[l]^T dZ[l], (23) dZ[l-1] = g'(Z[l-1]) * dA[l-1], (24) dW[l] = dZ[l] A[l-1]^T,
    (25) db[l] = the sum of the columns of dZ[l].  Park, Theorem 5.4 (vectorised, samples as columns)."""
    out = {"(22)": W.T @ dZ, "(24)": dZ @ A_prev.T, "(25)": dZ.sum(axis=1, keepdims=True)}
    if Z_prev is not None and g_prime_prev is not None:
        out["(23)"] = g_prime_prev(Z_prev) * out["(22)"]
    return out


def eq21(Delta: Array) -> Array:
    """dZ[l] = Delta[l] / N, Delta[l] = grad_Z[l] L (the per-sample deltas as columns).  Park eq. (21)."""
    return Delta / Delta.shape[1]


def theorem_6_1(o: Array, y: Array) -> Array:
    """delta = grad_z L = o - y at the output, one sample: identity + L2, sigmoid + BCE, softmax + CE.  Park, Theorem 6.1 ((27), (33), (40))."""
    return np.asarray(o, dtype=float) - np.asarray(y, dtype=float)


def linear_regression(x: Array, y: Array, X: Array, Y: Array, W: Array, b: Array) -> dict[str, Array]:
    """Section 6.1, identity output + L2 loss (26): one sample (27) delta = a - y, (28) grad_W L = delta x^T,
    (29) grad_b L = delta; vectorised (30) dZ = (A - Y)/N, (31) dW = dZ X^T, (32) db = sum of the columns of dZ.  Park, eqs. (27)-(32)."""
    delta = W @ x + b - y
    dZ = (W @ X + b - Y) / X.shape[1]
    return {"(27)": delta, "(28)": delta @ x.T, "(29)": delta, "(30)": dZ, "(31)": dZ @ X.T, "(32)": dZ.sum(axis=1, keepdims=True)}


def binary_output(x: Array, y: float, W: Array, b: Array) -> dict[str, Array]:
    """Section 6.2, sigmoid + binary cross-entropy, one sample: dL/dz = -y a(1 - a)/a - (1 - y)(-a(1 - a))/(1 - a) = a - y,
    (33) delta = a - y, (34) grad_W L = delta x^T, (35) grad_b L = delta (corrected: the article prints Delta).  Park, eqs. (33)-(35)."""
    a = sigmoid(W @ x + b)
    line = -y * a * (1 - a) / a - (1 - y) * (-a * (1 - a)) / (1 - a)
    delta = a - y
    return {"dL/dz line": line, "(33)": delta, "(34)": delta @ x.T, "(35)": delta, "a": a}


def eq34_35_as_printed(Delta: Array, x: Array) -> dict[str, Array]:
    """(34) grad_W L = Delta x^T and (35) grad_b L = Delta as printed, Delta = [delta_1 ... delta_N] the matrix of all samples.  Park, section 6.2."""
    return {"(34)": strict_matmul(Delta, x.T), "(35)": Delta}


def eq36_38(A_L: Array, Y: Array, A_prev: Array) -> dict[str, Array]:
    """A sigmoid + BCE output layer, vectorised: (36) dZ[L] = (A[L] - Y)/N, (37) dW[L] = dZ[L] A[L-1]^T,
    (38) db[L] = the sum of the columns of dZ[L].  Park, eqs. (36)-(38)."""
    dZ = (A_L - Y) / A_L.shape[1]
    return {"(36)": dZ, "(37)": dZ @ A_prev.T, "(38)": dZ.sum(axis=1, keepdims=True)}


def softmax_jacobian_eq39(o: Array) -> Array:
    """do/dz = [o_i (delta_ij - o_j)].  Park eq. (39)."""
    o = np.asarray(o, dtype=float).ravel()
    return o[:, None] * (np.eye(o.size) - o[None, :])


def dL_dz_6_3_middle_line_as_printed(o: Array, y: Array) -> Array:
    """Section 6.3, the second line of dL/dz_j as printed: -sum_i o_i (1/o_i) o_i (delta_ij - o_j) = -sum_i o_i (delta_ij - o_j) (identically 0).  Park, before eq. (40)."""
    o = np.asarray(o, dtype=float).ravel()
    return np.array([-sum(o[i] * ((1.0 if i == j else 0.0) - o[j]) for i in range(o.size)) for j in range(o.size)])


def dL_dz_6_3_middle_line(o: Array, y: Array) -> Array:
    """Section 6.3, corrected: -sum_i y_i (1/o_i) o_i (delta_ij - o_j) = -sum_i y_i (delta_ij - o_j) (= o_j - y_j).  Park, before eq. (40)."""
    o, y = np.asarray(o, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    return np.array([-sum(y[i] * ((1.0 if i == j else 0.0) - o[j]) for i in range(o.size)) for j in range(o.size)])


def declared_map(fn: Callable[[Array], Array], n_in: int, n_out: int, name: str) -> Callable[[Array], Array]:
    """``fn`` with the signature the text declares, R^{n_in} -> R^{n_out}: applying it elsewhere is an error.  Park, section 1."""

    def g(z: Array) -> Array:
        z = np.asarray(z, dtype=float)
        if z.shape[0] != n_in:
            raise ValueError(f"{name}: declared on R^{n_in}, applied to a vector of R^{z.shape[0]}")
        out = fn(z)
        if out.shape[0] != n_out:
            raise ValueError(f"{name}: declared into R^{n_out}, gives a vector of R^{out.shape[0]}")
        return out

    return g


def componentwise_eq5(W: Array, x: Array, b: Array) -> Array:
    """(5) z_i = sum_j w_ij x_j + b_i, with explicit sums (the componentwise form of (3)).  Park eq. (5)."""
    return np.array([[sum(W[i, j] * x[j, 0] for j in range(W.shape[1])) + b[i, 0]] for i in range(W.shape[0])])


# =============================================================================================
# Python Code 1-4, executed as printed with named fixes
# =============================================================================================


@dataclass(frozen=True)
class CodeFix:
    """One minimal fix of a printed listing: ``old`` replaced by ``new`` (both quoted from the text), with its category."""

    name: str
    category: str
    old: str
    new: str
    why: str

    def apply(self, text: str, listing: str) -> str:
        if self.old not in text:
            raise ValueError(f"Park {listing}: the printed text no longer contains {self.old!r}")
        return text.replace(self.old, self.new)


def _indented(block: str) -> str:
    return "\n".join("    " + ln if ln.strip() else ln for ln in block.split("\n"))


_CODE4_TAIL = """N = X.shape[1]

dZ[L] = 1/N * (A[L] - Y)
dW[L] = dZ[L] @ A[L-1].T
db[L] = np.sum(dZ[L], axis=1, keepdims=True)

for i in range(L-1,0,-1):
    dA[i] = Ws[i+1].T @ dZ[i+1]
    dZ[i] = d_relu(Z[i]) * dA[i]
    dW[i] = dZ[i] @ A[i-1].T
    db[i] = np.sum(dZ[i], axis=1, keepdims=True)
return dW, db"""

#: The minimal fixes that make the printed Python Code 1, 3 and 4 run and agree with autodiff (Code 2 needs none).
CODE_FIXES: dict[str, tuple[CodeFix, ...]] = {
    "code1": (
        CodeFix("softmax sums over the classes", AUTHOR, "Z_sum = np.sum(Z_exp, axis=1, keepdims=True)",
                "Z_sum = np.sum(Z_exp, axis=0, keepdims=True)",
                "Z[L] is m x N (samples as columns): axis=1 sums over the samples"),
    ),
    "code2": (),
    "code3": (
        CodeFix("the missing colon", AUTHOR, "def back_propagation(X, y, W, b)\n", "def back_propagation(X, y, W, b):\n",
                "a def line without ':' is a SyntaxError"),
        CodeFix("the function's name", AUTHOR, "dW, db = backward_propagation(X, y, W, b)", "dW, db = back_propagation(X, y, W, b)",
                "the loop calls backward_propagation, which is never defined (NameError)"),
    ),
    "code4": (
        CodeFix("the body after the page break indented", EXTRACTION, _CODE4_TAIL, _indented(_CODE4_TAIL),
                "our copy lost the common indent of the second code block (its loop body keeps its relative indent); "
                "at column 0, 'return' is outside the function"),
        CodeFix("the missing colon", AUTHOR, "def back_propagation(X, Y, W, b)\n", "def back_propagation(X, Y, W, b):\n",
                "a def line without ':' is a SyntaxError"),
        CodeFix("Ws for W", AUTHOR, "dA[i] = Ws[i+1].T @ dZ[i+1]", "dA[i] = W[i+1].T @ dZ[i+1]",
                "Ws is never defined (NameError); the weights are W"),
    ),
}


def code_text(name: str, fixes: bool | Sequence[int] = True) -> str:
    """The text of Park's Python Code ``name`` (``'code1'`` .. ``'code4'``) as printed, with the fixes of
    :data:`CODE_FIXES` applied: all (``True``), none (``False``), or those whose indices are listed."""
    text = resources.files("micrograd_ext").joinpath("data", f"doc_park_{name}.txt").read_text(encoding="utf-8")
    all_fixes = CODE_FIXES[name]
    chosen = range(len(all_fixes)) if fixes is True else () if fixes is False else fixes
    for k in chosen:
        text = all_fixes[k].apply(text, name)
    return text


def _all_but(name: str, k: int) -> list[int]:
    return [i for i in range(len(CODE_FIXES[name])) if i != k]


def code1_namespace(fixes: bool | Sequence[int] = True) -> dict[str, Any]:
    """Execute Park's Python Code 1 (the activation functions) and return its namespace (sigmoid, d_sigmoid, relu, d_relu, softmax)."""
    ns: dict[str, Any] = {}
    exec(compile(code_text("code1", fixes), "<Park, Python Code 1>", "exec"), ns)  # noqa: S102
    return ns


def code2(X: Array, W: list, b: list, dZ_L: Array) -> dict[str, list]:
    """Park's Python Code 2 (propagation at a relu layer), executed as printed on top of Code 1: its forward
    lines for layers i = 1..L-1, then its backward lines for i = L-1..1, starting from ``dZ_L`` = dZ[L].
    Returns the lists ``Z, A, dA, dZ, dW, db`` (indexed by layer)."""
    L = len(W) - 1
    forward, backward = code_text("code2").split("\n\n")
    ns = code1_namespace()
    ns.update({"W": W, "b": b, "Z": [None] * (L + 1), "A": [np.array(X, dtype=float)] + [None] * L,
               "dA": [None] * (L + 1), "dZ": [None] * L + [dZ_L], "dW": [None] * (L + 1), "db": [None] * (L + 1)})
    fwd = compile(forward, "<Park, Python Code 2, forward>", "exec")
    bwd = compile(backward, "<Park, Python Code 2, backward>", "exec")
    for i in range(1, L):
        ns["i"] = i
        exec(fwd, ns)  # noqa: S102
    for i in range(L - 1, 0, -1):
        ns["i"] = i
        exec(bwd, ns)  # noqa: S102
    return {k: ns[k] for k in ("Z", "A", "dA", "dZ", "dW", "db")}


class _SeededNumpy:
    """numpy with a seeded ``random`` (for the ``np.random.rand`` of Code 3's initialisation)."""

    def __init__(self, seed: int) -> None:
        self.random = np.random.RandomState(seed)

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)


def _exec_code3(X: Array, y: Array, fixes: bool | Sequence[int], seed: int) -> tuple[dict[str, Any], str]:
    ns: dict[str, Any] = {"np": _SeededNumpy(seed), "X": np.array(X, dtype=float), "y": np.array(y, dtype=float)}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code_text("code3", fixes), "<Park, Python Code 3>", "exec"), ns)  # noqa: S102
    return ns, buf.getvalue()


def code3(X: Array, y: Array, W: Array, b: float | Array, fixes: bool | Sequence[int] = True) -> tuple[Array, Array]:
    """Park's Python Code 3 (linear regression, samples as columns), executed as printed (with the fixes; its
    training loop runs too), then ``back_propagation(X, y, W, b)`` -> ``(dW, db)``.  Park, Python Code 3 ((30)-(32))."""
    ns, _ = _exec_code3(X, y, fixes, 0)
    dW, db = ns["back_propagation"](np.array(X, dtype=float), np.array(y, dtype=float), np.array(W, dtype=float), b)
    return np.asarray(dW), np.asarray(db)


@dataclass(frozen=True)
class Code3Run:
    """Park's Python Code 3 training run: ``cost_history`` (the listing's own list), the weights before each
    step (``W[t]``, ``b[t]``, replayed with the listing's own functions: ``cost_history`` is reproduced bit for
    bit), its gradients ``dW[t]``, ``db[t]``, and what the listing prints."""

    cost_history: Array
    W: Array
    b: Array
    dW: Array
    db: Array
    printout: str
    learning_rate: float


def code3_run(X: Array, y: Array, seed: int = 0) -> Code3Run:
    """Execute Park's Python Code 3 as printed (with its two fixes) on ``X`` (n x N), ``y`` (1 x N): its
    initialisation ``np.random.rand(1, n) * 0.01`` (seeded), 300 gradient-descent steps at learning rate 0.01.
    Park, Python Code 3."""
    ns, printout = _exec_code3(X, y, True, seed)
    hist = np.array(ns["cost_history"], dtype=float)
    # replay with the listing's own functions, from the same initialisation, keeping the weights of each step
    X, y = np.array(X, dtype=float), np.array(y, dtype=float)
    W = _SeededNumpy(seed).random.rand(1, X.shape[0]) * 0.01
    b: Any = 0
    Ws, bs, dWs, dbs, costs = [], [], [], [], []
    for _ in range(ns["n_iter"]):
        A = ns["forward_propagation"](X, W, b)
        dW, db = ns["back_propagation"](X, y, W, b)
        Ws.append(np.array(W, dtype=float))
        bs.append(np.array(b, dtype=float).reshape(1, 1))
        dWs.append(dW)
        dbs.append(db)
        W, b = ns["update_params"](W, b, dW, db, ns["learning_rate"])
        costs.append(ns["cost"](A, y))
    if not np.array_equal(np.array(costs), hist):
        raise RuntimeError("Park Code 3: the replayed run does not reproduce the listing's cost_history")
    return Code3Run(hist, np.array(Ws), np.array(bs), np.array(dWs), np.array(dbs), printout, float(ns["learning_rate"]))


def code4(X: Array, Y: Array, W: list, b: list, fixes: bool | Sequence[int] = True,
          code1_fixes: bool | Sequence[int] | None = None) -> dict[str, list]:
    """Park's Python Code 4 (deep relu net, softmax output, samples as columns), executed as printed (with the
    fixes) on top of Code 1, then ``back_propagation(X, Y, W, b)``.  Park, Python Code 4 (Theorem 5.4, (36)-(38)).

    ``W[l]``: n[l] x n[l-1], ``b[l]``: n[l] x 1 (index 0 unused).  The listing uses module-level lists
    ``Z, A, dZ, dA, dW, db`` and ``L``; they are provided, with ``A[0] = X`` ("Set A[0] = X").  Returns the
    lists ``dW, db`` it returns and ``dZ, dA, Z, A`` it fills.
    """
    if code1_fixes is None:
        code1_fixes = fixes if isinstance(fixes, bool) else True
    L = len(W) - 1
    ns = code1_namespace(code1_fixes)
    X = np.array(X, dtype=float)
    ns.update({"L": L, "Z": [None] * (L + 1), "A": [X] + [None] * L, "dZ": [None] * (L + 1), "dA": [None] * (L + 1),
               "dW": [None] * (L + 1), "db": [None] * (L + 1)})
    exec(compile(code_text("code4", fixes), "<Park, Python Code 4>", "exec"), ns)  # noqa: S102
    dW, db = ns["back_propagation"](X, np.array(Y, dtype=float), W, b)
    return {"dW": list(dW), "db": list(db), "dZ": list(ns["dZ"]), "dA": list(ns["dA"]), "Z": list(ns["Z"]), "A": list(ns["A"])}


# =============================================================================================
# Data and the nets on both engines
# =============================================================================================

SIZES = (4, 5, 4, 3)  # n[0] .. n[L], L = 3


def data(seed: int = 3) -> dict[str, Any]:
    """Seeded data: X n x N = 4 x 6 (columns are samples), one-hot Y 3 x 6, W[l] n[l] x n[l-1], b[l] n[l] x 1.

    The pre-activation Z[1][2, 0] is exactly 0 (dyadic numbers), so relu'(0) = 1 (eq. (1))
    matters; also data for Theorem 4.1, 6.1 cases 1-2, the sigmoid + BCE output of
    (36)-(38), the linear regression of (27)-(32) and Code 3, and Code 3's training run.
    """
    rng = np.random.default_rng(seed)
    N = 6
    X = rng.normal(size=(SIZES[0], N))
    X[:, 0] = np.round(X[:, 0] * 16) / 16
    W: list[Any] = [None] + [rng.normal(size=(SIZES[k], SIZES[k - 1])) for k in range(1, len(SIZES))]
    b: list[Any] = [None] + [rng.normal(size=(SIZES[k], 1)) for k in range(1, len(SIZES))]
    W[1][2] = np.round(W[1][2] * 16) / 16
    b[1][2, 0] = -float(W[1][2] @ X[:, 0])
    Y = np.eye(SIZES[-1])[:, rng.integers(0, SIZES[-1], N)]
    d = {
        "X": X, "Y": Y, "W": W, "b": b,
        "c": rng.normal(size=(SIZES[1], 1)),  # Theorem 4.1: S(z) = 1/2 z^T z + c^T z at layer 1, sample 0
        "W_l2": rng.normal(size=(2, 4)), "b_l2": rng.normal(size=(2, 1)), "y_l2": rng.normal(size=(2, 1)),
        "W_bce": rng.normal(size=(1, 4)), "b_bce": rng.normal(size=(1, 1)), "y_bce": np.array([[1.0]]),
        "x1": rng.normal(size=(4, 1)),
        "X3": rng.normal(size=(3, 7)), "y3": rng.normal(size=(1, 7)), "W3": rng.normal(size=(1, 3)), "b3": 0.25,
        "W_out": rng.normal(size=(1, SIZES[2])), "b_out": rng.normal(size=(1, 1)), "ybin": np.array([[1.0, 0.0, 1.0, 1.0, 0.0, 1.0]]),
    }
    Xr = rng.normal(size=(3, 50))
    d["Xrun"] = Xr
    d["yrun"] = np.array([[1.5, -2.0, 0.5]]) @ Xr + 0.8 + 0.1 * rng.normal(size=(1, 50))
    return d


def forward(d: dict[str, Any], X: Array) -> tuple[list, list]:
    """Z[l], A[l] of the softmax net by the article's forward pass (numpy), A[0] = X."""
    L = len(d["W"]) - 1
    Z: list = [None]
    A: list = [X]
    for ell in range(1, L + 1):
        Z.append(d["W"][ell] @ A[-1] + d["b"][ell])
        A.append(np.maximum(Z[-1], 0.0) if ell < L else softmax(Z[-1], axis=0))
    return Z, A


def _v_column(Ws: list, bs: list, x: Sequence[Any], out: str = "softmax") -> tuple[list, list]:
    """One sample (a column) through the net: z[l] = W[l] a[l-1] + b[l], relu (relu'(0) = 1), then the output."""
    L = len(Ws) - 1
    a: list = list(x)
    Zs: list = [None]
    As: list = [a]
    for ell in range(1, L + 1):
        z = [v_affine(row, a, bias=bi) for row, bi in zip(Ws[ell], bs[ell])]
        if ell < L:
            a = [zi.relu(grad_at_zero=1.0) for zi in z]
        else:
            a = v_softmax(z) if out == "softmax" else [v_sigmoid(zi) for zi in z]
        Zs.append(z)
        As.append(a)
    return Zs, As


def _v_params(d: dict[str, Any], L: int) -> tuple[list, list]:
    return ([None] + [values(d["W"][ell], f"W[{ell}]") for ell in range(1, L + 1)],
            [None] + [values(d["b"][ell][:, 0], f"b[{ell}]") for ell in range(1, L + 1)])


def _cols(cols: list, which: int, ell: int, f: Callable[[Any], Array]) -> Array:
    return np.array([f(cols[k][which][ell]) for k in range(len(cols))]).T


def value_net(d: dict[str, Any]) -> dict[str, Any]:
    """Park's net node by node with ``Value`` (``relu(grad_at_zero=1.0)``, his convention), J = 1/N sum_k CE_k
    (:func:`micrograd_ext.nets.losses.softmax_cross_entropy`, ``nary=False``), and the article's other nets."""
    X, Y, N = d["X"], d["Y"], d["X"].shape[1]
    L = len(d["W"]) - 1
    Ws, bs = _v_params(d, L)
    Xv = values(X, "X")
    cols = [_v_column(Ws, bs, [Xv[i][k] for i in range(X.shape[0])]) for k in range(N)]
    J = losses.softmax_cross_entropy([cols[k][0][L] for k in range(N)], labels_of(Y, "columns"), nary=False)
    J.backward()
    out: dict[str, Any] = {
        "dW": [None] + [grads(Ws[ell]) for ell in range(1, L + 1)],
        "db": [None] + [grads(bs[ell])[:, None] for ell in range(1, L + 1)],
        "dZ": [None] + [_cols(cols, 0, ell, grads) for ell in range(1, L + 1)],
        "dA": [grads(Xv)] + [_cols(cols, 1, ell, grads) for ell in range(1, L)],
        "Z": [None] + [_cols(cols, 0, ell, datas) for ell in range(1, L + 1)], "A1": _cols(cols, 1, 1, datas)}
    # one sample (k = 0): L_0 = CE of sample 0
    Ws1, bs1 = _v_params(d, L)
    x0 = values(X[:, 0], "x")
    Zs, As = _v_column(Ws1, bs1, x0)
    losses.softmax_cross_entropy(Zs[L], labels_of(Y, "columns")[0], nary=False).backward()
    out["5.1"] = {"delta": [None] + [grads(Zs[ell])[:, None] for ell in range(1, L + 1)],
                  "da": [grads(x0)[:, None]] + [grads(As[ell])[:, None] for ell in range(1, L)],
                  "dW": [None] + [grads(Ws1[ell]) for ell in range(1, L + 1)],
                  "db": [None] + [grads(bs1[ell])[:, None] for ell in range(1, L + 1)]}
    # Theorem 4.1 at layer 1, sample 0: z = W x + b, a = relu(z), S = 1/2 z^T z + c^T z
    W1, b1 = values(d["W"][1], "W"), values(d["b"][1][:, 0], "b")
    x0 = values(X[:, 0], "x")
    z = [v_affine(row, x0, bias=bi) for row, bi in zip(W1, b1)]
    out["(7)"] = jacobian_values(z, x0)
    out["(8)"] = jacobian_values(z, b1)
    zl = values(datas(z), "z")
    out["(9)"] = jacobian_values([v.relu(grad_at_zero=1.0) for v in zl], zl)
    W1 = values(d["W"][1], "W")
    xc = [float(v) for v in X[:, 0]]
    z = [v_affine(row, xc, bias=Value(float(bi))) for row, bi in zip(W1, d["b"][1][:, 0])]
    S = Value.sum([zi * zi * 0.5 + zi * float(ci) for zi, ci in zip(z, d["c"][:, 0])])
    S.backward()
    out["(10)"], out["dS/dz"] = grads(W1), grads(z)[:, None]
    # section 2: dz[2]/dx = dz[2]/da[1] da[1]/dz[1] dz[1]/dx, through layer 1
    Ws2, bs2 = _v_params(d, L)
    x0 = values(X[:, 0], "x")
    Zs, _ = _v_column(Ws2, bs2, x0)
    out["dz2/dx"] = jacobian_values(Zs[2], x0)
    # Theorem 6.1, one sample, delta = grad_z L; sections 6.1-6.2
    out["6.1"] = {}
    x1 = [float(v) for v in d["x1"][:, 0]]
    z = [v_affine(values(row, "w"), x1, bias=Value(float(bi))) for row, bi in zip(d["W_l2"], d["b_l2"][:, 0])]
    (Value.sum([(zi - float(yi)) ** 2 for zi, yi in zip(z, d["y_l2"][:, 0])]) * 0.5).backward()
    out["6.1"]["1"] = (grads(z)[:, None], datas(z)[:, None])
    wb, bb = values(d["W_bce"][0], "w"), Value(float(d["b_bce"][0, 0]), label="b")
    z = v_affine(wb, x1, bias=bb)
    a = v_sigmoid(z)
    losses.bce([a], [float(d["y_bce"][0, 0])], nary=False).backward()
    out["6.1"]["2"] = (np.array([[z.grad]]), np.array([[a.data]]))
    out["6.2"] = {"dW": grads(wb)[None, :], "db": np.array([[bb.grad]])}
    z = values(out["Z"][L][:, 0], "z")
    o = v_softmax(z)
    losses.softmax_cross_entropy(z, labels_of(Y, "columns")[0], nary=False).backward()
    out["6.1"]["3"] = (grads(z)[:, None], datas(o)[:, None])
    zl = values(out["Z"][L][:, 0], "z")
    out["(39)"] = jacobian_values(v_softmax(zl), zl)
    # section 6.1, linear regression (26), one sample and the batch: J = 1/N sum 1/2 (a - y)^2
    X3, y3 = d["X3"], d["y3"]
    W3, b3 = values(d["W3"][0], "W"), Value(float(d["b3"]), label="b")
    a0 = v_affine(W3, [float(v) for v in X3[:, 0]], bias=b3)
    (losses.mse([a0], [float(y3[0, 0])], nary=False) * 0.5).backward()
    out["6.1 one"] = {"delta": np.array([[a0.grad]]), "dW": grads(W3)[None, :], "db": np.array([[b3.grad]])}
    W3, b3 = values(d["W3"][0], "W"), Value(float(d["b3"]), label="b")
    A3 = [v_affine(W3, [float(v) for v in X3[:, k]], bias=b3) for k in range(X3.shape[1])]
    (losses.mse(A3, list(y3[0]), nary=False) * 0.5).backward()
    out["code3"] = (grads(W3)[None, :], np.array([[b3.grad]]))
    out["6.1 batch"] = {"dZ": grads(A3)[None, :], "dW": grads(W3)[None, :], "db": np.array([[b3.grad]])}
    # the deep net with a sigmoid + BCE output, (36)-(38)
    dd = dict(d, W=[None, d["W"][1], d["W"][2], d["W_out"]], b=[None, d["b"][1], d["b"][2], d["b_out"]])
    Wb, bb_ = _v_params(dd, L)
    colsb = [_v_column(Wb, bb_, [Xv[i][k] for i in range(X.shape[0])], out="sigmoid") for k in range(N)]
    losses.bce([colsb[k][1][L][0] for k in range(N)], list(d["ybin"][0]), nary=False).backward()
    out["bce"] = {"dZ": _cols(colsb, 0, L, grads), "dW": grads(Wb[L]), "db": grads(bb_[L])[:, None],
                  "A": _cols(colsb, 1, L, datas), "A_prev": _cols(colsb, 1, L - 1, datas)}
    return out


def tensor_net(d: dict[str, Any]) -> dict[str, Any]:
    """Park's nets with ``Tensor``, samples as columns: ``Z[l] = W[l] @ A[l-1] + b[l]`` (b broadcast over the
    columns), ``relu(grad_at_zero=1.0)``, the output's softmax and cross-entropy from elementary operations
    (:func:`~.common.t_log_softmax`, not the fused nodes whose backward is (40) itself).  Same keys as :func:`value_net`."""
    X, Y, N = d["X"], d["Y"], d["X"].shape[1]
    L = len(d["W"]) - 1

    def net(Xt: Tensor, W: list, b: list, output: str = "logits") -> tuple[list, list, list, list]:
        Ws = [None] + [leaf(W[ell], f"W[{ell}]") for ell in range(1, L + 1)]
        bs = [None] + [leaf(b[ell], f"b[{ell}]") for ell in range(1, L + 1)]
        Zs: list = [None]
        As: list = [Xt]
        for ell in range(1, L + 1):
            Z = Ws[ell] @ As[-1] + bs[ell]
            Zs.append(Z)
            As.append(Z.relu(grad_at_zero=1.0) if ell < L else (t_sigmoid(Z) if output == "sigmoid" else Z))
        return Ws, bs, Zs, As

    def ce(Z: Tensor, Yc: Array) -> Tensor:
        return -(t_log_softmax(Z, axis=0) * Tensor(Yc)).sum()

    Xt = leaf(X, "X")
    Ws, bs, Zs, As = net(Xt, d["W"], d["b"])
    (ce(Zs[L], Y) * (1.0 / N)).backward()
    out: dict[str, Any] = {"dW": [None] + [Ws[ell].grad.copy() for ell in range(1, L + 1)],
                           "db": [None] + [bs[ell].grad.copy() for ell in range(1, L + 1)],
                           "dZ": [None] + [Zs[ell].grad.copy() for ell in range(1, L + 1)],
                           "dA": [Xt.grad.copy()] + [As[ell].grad.copy() for ell in range(1, L)],
                           "Z": [None] + [Zs[ell].data.copy() for ell in range(1, L + 1)], "A1": As[1].data.copy()}
    x0 = leaf(X[:, :1], "x")
    Ws1, bs1, Zs1, As1 = net(x0, d["W"], d["b"])
    ce(Zs1[L], Y[:, :1]).backward()
    out["5.1"] = {"delta": [None] + [Zs1[ell].grad.copy() for ell in range(1, L + 1)],
                  "da": [x0.grad.copy()] + [As1[ell].grad.copy() for ell in range(1, L)],
                  "dW": [None] + [Ws1[ell].grad.copy() for ell in range(1, L + 1)],
                  "db": [None] + [bs1[ell].grad.copy() for ell in range(1, L + 1)]}
    W1c, b1c = Tensor(d["W"][1]), Tensor(d["b"][1][:, 0])
    out["(7)"] = jacobian(lambda x: W1c @ x + b1c, X[:, 0])
    out["(8)"] = jacobian(lambda b: W1c @ Tensor(X[:, 0]) + b, d["b"][1][:, 0])
    out["(9)"] = jacobian(lambda z: z.relu(grad_at_zero=1.0), out["Z"][1][:, 0])
    W1 = leaf(d["W"][1], "W")
    z = W1 @ Tensor(X[:, :1]) + Tensor(d["b"][1])
    (z * z * 0.5 + z * Tensor(d["c"])).sum().backward()
    out["(10)"], out["dS/dz"] = W1.grad.copy(), z.grad.copy()
    W2c, b2c = Tensor(d["W"][2]), Tensor(d["b"][2][:, 0])
    out["dz2/dx"] = jacobian(lambda x: W2c @ (W1c @ x + b1c).relu(grad_at_zero=1.0) + b2c, X[:, 0])
    out["6.1"] = {}
    z = leaf(d["W_l2"] @ d["x1"] + d["b_l2"], "z")  # z itself is the node whose gradient is delta
    (((z - Tensor(d["y_l2"])) ** 2).sum() * 0.5).backward()
    out["6.1"]["1"] = (z.grad.copy(), z.data.copy())
    Wb, bb = leaf(d["W_bce"], "w"), leaf(d["b_bce"], "b")
    z = Wb @ Tensor(d["x1"]) + bb
    a = t_sigmoid(z)
    yb = Tensor(d["y_bce"])
    (-(a.log() * yb + (1 - a).log() * (1 - yb)).sum()).backward()
    out["6.1"]["2"] = (z.grad.copy(), a.data.copy())
    out["6.2"] = {"dW": Wb.grad.copy(), "db": bb.grad.copy()}
    z = leaf(out["Z"][L][:, :1], "z")
    o = t_softmax(z, axis=0)
    ce(z, Y[:, :1]).backward()
    out["6.1"]["3"] = (z.grad.copy(), o.data.copy())
    out["(39)"] = jacobian(lambda t: t_softmax(t, axis=0), out["Z"][L][:, 0])
    X3, y3 = d["X3"], d["y3"]
    W3, b3 = leaf(d["W3"], "W"), leaf(np.array([[d["b3"]]]), "b")
    a0 = W3 @ Tensor(X3[:, :1]) + b3
    (tensor_nn.mse_loss(a0, y3[:, :1], reduction="sum") * 0.5).backward()
    out["6.1 one"] = {"delta": a0.grad.copy(), "dW": W3.grad.copy(), "db": b3.grad.copy()}
    W3, b3 = leaf(d["W3"], "W"), leaf(np.array([[d["b3"]]]), "b")
    A3 = W3 @ Tensor(X3) + b3
    (tensor_nn.mse_loss(A3, y3, reduction="sum") * (1.0 / (2 * X3.shape[1]))).backward()
    out["code3"] = (W3.grad.copy(), b3.grad.copy())
    out["6.1 batch"] = {"dZ": A3.grad.copy(), "dW": W3.grad.copy(), "db": b3.grad.copy()}
    Wb_, bb_, Zb, Ab = net(Tensor(X), [None, d["W"][1], d["W"][2], d["W_out"]], [None, d["b"][1], d["b"][2], d["b_out"]],
                           output="sigmoid")
    yb = Tensor(d["ybin"])
    (-(Ab[L].log() * yb + (1 - Ab[L]).log() * (1 - yb)).sum() * (1.0 / N)).backward()
    out["bce"] = {"dZ": Zb[L].grad.copy(), "dW": Wb_[L].grad.copy(), "db": bb_[L].grad.copy(), "A": Ab[L].data.copy(),
                  "A_prev": Ab[L - 1].data.copy()}
    return out


def code1_autodiff(Z: Array, engine: str) -> dict[str, Array]:
    """The derivatives of Code 1's own sigmoid formula ``1/(1+np.exp(-Z))`` and of relu (relu'(0) = 1), by autodiff, elementwise."""
    if engine == "Tensor":
        return {"d_sigmoid": np.diag(jacobian(t_sigmoid, Z.ravel())).reshape(Z.shape),
                "d_relu": np.diag(jacobian(lambda t: t.relu(grad_at_zero=1.0), Z.ravel())).reshape(Z.shape)}
    zs = values(Z.ravel(), "Z")
    ds = np.diag(jacobian_values([v_sigmoid(v) for v in zs], zs)).reshape(Z.shape)
    zs = values(Z.ravel(), "Z")
    dr = np.diag(jacobian_values([v.relu(grad_at_zero=1.0) for v in zs], zs)).reshape(Z.shape)
    return {"d_sigmoid": ds, "d_relu": dr}


def relu_eps_autodiff(z: Array, eps: float, engine: str) -> dict[str, Array]:
    """relu_eps built from elementary operations (the polynomial on [-eps, 0], relu elsewhere), its derivative
    by autodiff at each point of ``z``; and the polynomial piece's value and slope at the joints 0 and -eps."""
    z = np.asarray(z, dtype=float)

    def poly(t: Any) -> Any:
        return -2.0 / eps**3 * t**4 - 3.0 / eps**2 * t**3 + t

    if engine == "Tensor":
        M = ((z >= -eps) & (z <= 0)).astype(float)

        def f(t: Tensor) -> Tensor:
            return Tensor(M) * poly(t) + Tensor(1.0 - M) * t.relu()

        slope = np.diag(jacobian(f, z))
        joints = [[poly(Tensor(np.array(p))).item(), float(jacobian(poly, np.array([p]))[0, 0])] for p in (0.0, -eps)]
        return {"slope": slope, "joints": np.array(joints)}
    slope = []
    for p in z:
        v = Value(float(p))
        r = poly(v) if -eps <= p <= 0 else v.relu()
        r.backward()
        slope.append(v.grad)
    joints = []
    for p in (0.0, -eps):
        v = Value(p)
        r = poly(v)
        r.backward()
        joints.append([r.data, v.grad])
    return {"slope": np.array(slope), "joints": np.array(joints)}


def code3_run_autodiff(run: Code3Run, X: Array, y: Array, engine: str, every: int = 30) -> dict[str, Array]:
    """Along Code 3's training run: the engine's cost (26) J(W_t, b_t) at every step, and its gradients at steps
    0, ``every``, 2 ``every``, ... and the last."""
    N = X.shape[1]
    steps = sorted(set(range(0, len(run.cost_history), every)) | {len(run.cost_history) - 1})
    costs, dW, db = [], [], []
    for t in range(len(run.cost_history)):
        W, b = run.W[t], run.b[t]
        if engine == "Tensor":
            Wt, bt = leaf(W, "W"), leaf(b, "b")
            J = tensor_nn.mse_loss(Wt @ Tensor(X) + bt, y, reduction="sum") * (1.0 / (2 * N))
            if t in steps:
                J.backward()
                dW.append(Wt.grad.copy())
                db.append(bt.grad.copy())
            costs.append(J.item())
        else:
            Wv, bv = values(W[0], "W"), Value(float(b[0, 0]), label="b")
            A = [v_affine(Wv, [float(v) for v in X[:, k]], bias=bv) for k in range(N)]
            J = losses.mse(A, list(y[0]), nary=False) * 0.5
            if t in steps:
                J.backward()
                dW.append(grads(Wv)[None, :])
                db.append(np.array([[bv.grad]]))
            costs.append(J.data)
    return {"costs": np.array(costs), "steps": np.array(steps), "dW": np.array(dW), "db": np.array(db)}


@lru_cache(maxsize=1)
def _builds() -> dict[str, Any]:
    d = data()
    run = code3_run(d["Xrun"], d["yrun"])
    return {"d": d, "Value": value_net(d), "Tensor": tensor_net(d), "run": run,
            "run Value": code3_run_autodiff(run, d["Xrun"], d["yrun"], "Value"),
            "run Tensor": code3_run_autodiff(run, d["Xrun"], d["yrun"], "Tensor")}


# =============================================================================================
# verify: the rows
# =============================================================================================


def rows() -> list[Row]:
    """(1), Lemma 3.1, (2), section 2, Theorems 4.1, 5.1 (with (11)-(15) and (20)), 5.4 ((21) at every layer),
    6.1, (27)-(40), and Python Code 1-4 executed (with Code 3's training run), relu'(0) = 1."""
    B = _builds()
    d = B["d"]
    W, b, X, Y = d["W"], d["b"], d["X"], d["Y"]
    L = len(W) - 1
    Z, A = forward(d, X)
    x0 = X[:, :1]
    z0 = Z[1][:, :1]
    t41 = theorem_4_1(W[1], x0, z0, z0 + d["c"], d_relu)
    Z0, A0 = forward(d, x0)
    delta = {L: theorem_6_1(A0[L], Y[:, :1])}
    t51: dict[int, dict] = {}
    for ell in range(L, 0, -1):
        t51[ell] = theorem_5_1(W[ell], delta[ell], A0[ell - 1], Z0[ell - 1] if ell > 1 else A0[0], d_relu)
        if ell > 1:
            delta[ell - 1] = t51[ell]["(17)"]
    s51 = section_5_1(W[L], delta[L], A0[L - 1], Z0[L - 1], d_relu)
    Delta = deltas_per_sample(W, Z, A, Y, d_relu)
    dZ = {L: eq21(Delta[L])}
    t54: dict[int, dict] = {}
    for ell in range(L, 0, -1):
        t54[ell] = theorem_5_4(W[ell], dZ[ell], A[ell - 1], Z[ell - 1] if ell > 1 else None, d_relu if ell > 1 else None)
        if ell > 1:
            dZ[ell - 1] = t54[ell]["(23)"]
    o1 = d["W_l2"] @ d["x1"] + d["b_l2"]
    o3 = softmax(Z[L][:, :1], axis=0)
    c61 = {"1": theorem_6_1(o1, d["y_l2"]), "2": theorem_6_1(sigmoid(d["W_bce"] @ d["x1"] + d["b_bce"]), d["y_bce"]),
           "3": theorem_6_1(o3, Y[:, :1])}
    names61 = {"1": "identity + L2", "2": "sigmoid + BCE", "3": "softmax + CE"}
    lr = linear_regression(d["X3"][:, :1], d["y3"][:, :1], d["X3"], d["y3"], d["W3"], np.array([[d["b3"]]]))
    bo = binary_output(d["x1"], float(d["y_bce"][0, 0]), d["W_bce"], d["b_bce"])
    Zb = [None, W[1] @ X + b[1]]
    Zb.append(W[2] @ np.maximum(Zb[1], 0) + b[2])
    A2b = np.maximum(Zb[2], 0)
    e36 = eq36_38(sigmoid(d["W_out"] @ A2b + d["b_out"]), d["ybin"], A2b)
    code1 = code1_namespace()
    code3_grads = code3(d["X3"], d["y3"], d["W3"], d["b3"])
    c4 = code4(X, Y, W, b)
    zgrid = {eps: np.array([-3, -1.5, -1, 0, 1e-3, 0.5, 2]) * eps for eps in EPSILONS}
    run = B["run"]
    jz = W[2] @ np.diag(d_relu(Z[1][:, 0])) @ W[1]
    R = Rows(DOC)
    for eng in ("Value", "Tensor"):
        r = B[eng]
        zz = np.array([-1.5, -0.25, 0.0, 0.0, 0.75])
        R.add("(1)", "relu'(z) = 1 for z >= 0, 0 for z < 0 (relu(grad_at_zero=1))", eng, code1_autodiff(zz, eng)["d_relu"], d_relu(zz))
        for eps in EPSILONS:
            ra = relu_eps_autodiff(zgrid[eps], eps, eng)
            sel_pos, sel_neg = zgrid[eps] >= 0, zgrid[eps] <= -eps
            R.add("Lemma 3.1", f"relu_eps'(z) = 1 for z >= 0 (eps = {eps:g})", eng, ra["slope"][sel_pos], lemma_3_1(zgrid[eps], eps)[sel_pos])
            R.add("Lemma 3.1", f"relu_eps'(z) = 0 for z <= -eps (eps = {eps:g})", eng, ra["slope"][sel_neg], lemma_3_1(zgrid[eps], eps)[sel_neg])
            R.add("Lemma 3.1", f"relu_eps is C^1: value and slope (0, 1) at z = 0 and (0, 0) at -eps (eps = {eps:g})", eng,
                  ra["joints"], np.array([[0.0, 1.0], [0.0, 0.0]]))
        R.add("(2)", "sigma'(z) = sigma(z)(1 - sigma(z)), sigma from exp, +, /", eng,
              code1_autodiff(Z[3][:, :2], eng)["d_sigmoid"], d_sigmoid(Z[3][:, :2]))
        R.add("Code 1", "d_sigmoid(Z), executed, = autodiff of Code 1's sigmoid 1/(1+np.exp(-Z))", eng,
              code1_autodiff(Z[2], eng)["d_sigmoid"], code1["d_sigmoid"](Z[2]))
        R.add("Code 1", "d_relu(Z), executed, = autodiff of relu (relu'(0) = 1)", eng, code1_autodiff(Z[1], eng)["d_relu"], code1["d_relu"](Z[1]))
        R.add("2", "dz[2]/dx = (dz[2]/da[1])(da[1]/dz[1])(dz[1]/dx), a product of Jacobians", eng, r["dz2/dx"], jz)
        R.add("(6)", "dS/dw_ij = sum_k dS/dz_k dz_k/dw_ij", eng, r["(10)"], eq6(r["dS/dz"], x0))
        for key, text in (("(7)", "dz/dx = W"), ("(8)", "dz/db = I"), ("(9)", "da/dz = diag(g'(z)), relu'(0) = 1"),
                          ("(10)", "grad_W S = (grad_z S) x^T")):
            R.add(key, f"Theorem 4.1: {text}", eng, r[key], t41[key])
        s = r["5.1"]
        R.add("(11)", f"grad_W L = delta a_prev^T (layer {L}, one sample)", eng, s["dW"][L], s51["(11)"])
        R.add("(12)", f"grad_b L = delta (layer {L})", eng, s["db"][L], s51["(12)"])
        R.add("(13)", f"grad_x L = W^T delta (layer {L})", eng, s["da"][L - 1], s51["(13)"])
        R.add("(13)", f"dL/dx = (dL/dz) W, a row (layer {L})", eng, s["da"][L - 1].T, s51["(13) row"])
        R.add("(14)", f"delta_prev = diag(g'(z_prev)) (W^T delta), the Jacobian form (layer {L})", eng, s["delta"][L - 1], s51["(14)"])
        R.add("(15)", f"delta_prev = g'(z_prev) * (W^T delta) (layer {L})", eng, s["delta"][L - 1], s51["(15)"])
        for ell in range(L, 0, -1):
            R.add("(16)", f"Theorem 5.1: grad_a[{ell - 1}] L = W[{ell}]^T delta[{ell}]", eng, s["da"][ell - 1], t51[ell]["(16)"])
            if ell > 1:
                R.add("(17)", f"Theorem 5.1: delta[{ell - 1}] = g'(z[{ell - 1}]) * (W[{ell}]^T delta[{ell}])", eng,
                      s["delta"][ell - 1], t51[ell]["(17)"])
            R.add("(18)", f"Theorem 5.1: grad_W[{ell}] L = delta[{ell}] a[{ell - 1}]^T", eng, s["dW"][ell], t51[ell]["(18)"])
            R.add("(19)", f"Theorem 5.1: grad_b[{ell}] L = delta[{ell}]", eng, s["db"][ell], t51[ell]["(19)"])
        for ell in range(L, 0, -1):
            R.add("(20)", f"grad_b[{ell}] J = 1/N sum_k delta_k[{ell}] (per-sample deltas)", eng, r["db"][ell], eq20(Delta[ell]))
            R.add("(21)", f"Theorem 5.4: dZ[{ell}] = Delta[{ell}]/N, Delta = [delta_1 ... delta_N] per sample", eng, r["dZ"][ell],
                  eq21(Delta[ell]))
        for ell in range(L, 0, -1):
            R.add("(22)", f"Theorem 5.4: dA[{ell - 1}] = W[{ell}]^T dZ[{ell}]", eng, r["dA"][ell - 1], t54[ell]["(22)"])
            if ell > 1:
                R.add("(23)", f"Theorem 5.4: dZ[{ell - 1}] = g'(Z[{ell - 1}]) * dA[{ell - 1}]", eng, r["dZ"][ell - 1], t54[ell]["(23)"])
            R.add("(24)", f"Theorem 5.4: dW[{ell}] = dZ[{ell}] A[{ell - 1}]^T", eng, r["dW"][ell], t54[ell]["(24)"])
            R.add("(25)", f"Theorem 5.4: db[{ell}] = sum of columns of dZ[{ell}]", eng, r["db"][ell], t54[ell]["(25)"])
        c2 = code2(X, W, b, r["dZ"][L])
        for i in range(L - 1, 0, -1):
            for k in ("dA", "dZ", "dW", "db"):
                R.add("Code 2", f"{k}[{i}], executed at the relu layer i = {i}", eng, r[k][i], c2[k][i])
        one, bat = r["6.1 one"], r["6.1 batch"]
        R.add("(27)", "delta = grad_z L = a - y, identity + L2 (26), one sample", eng, one["delta"], lr["(27)"])
        R.add("(28)", "grad_W L = delta x^T", eng, one["dW"], lr["(28)"])
        R.add("(29)", "grad_b L = delta", eng, one["db"], lr["(29)"])
        R.add("(30)", "dZ = (A - Y)/N, linear regression, the batch", eng, bat["dZ"], lr["(30)"])
        R.add("(31)", "dW = dZ X^T", eng, bat["dW"], lr["(31)"])
        R.add("(32)", "db = sum of columns of dZ", eng, bat["db"], lr["(32)"])
        R.add("6.2", "dL/dz = -y a(1 - a)/a - (1 - y)(-a(1 - a))/(1 - a), sigmoid + BCE", eng, r["6.1"]["2"][0], bo["dL/dz line"])
        R.add("(33)", "delta = grad_z L = a - y, sigmoid + BCE, one sample", eng, r["6.1"]["2"][0], bo["(33)"])
        R.add("(34)", "grad_W L = delta x^T (printed with Delta)", eng, r["6.2"]["dW"], bo["(34)"])
        R.add("(35)", "grad_b L = delta (printed with Delta)", eng, r["6.2"]["db"], bo["(35)"])
        R.add("(36)", f"dZ[{L}] = (A[{L}] - Y)/N, deep net with a sigmoid + BCE output", eng, r["bce"]["dZ"], e36["(36)"])
        R.add("(37)", f"dW[{L}] = dZ[{L}] A[{L - 1}]^T, sigmoid + BCE output", eng, r["bce"]["dW"], e36["(37)"])
        R.add("(38)", f"db[{L}] = sum of columns of dZ[{L}], sigmoid + BCE output", eng, r["bce"]["db"], e36["(38)"])
        R.add("(39)", "do/dz = [o_i(delta_ij - o_j)]", eng, r["(39)"], softmax_jacobian_eq39(o3))
        R.add("6.3", "dL/dz_j = -sum_i y_i (delta_ij - o_j) (corrected middle line)", eng, r["6.1"]["3"][0][:, 0],
              dL_dz_6_3_middle_line(r["6.1"]["3"][1], Y[:, :1]))
        R.add("(40)", "delta = o - y, softmax + CE, one sample", eng, r["6.1"]["3"][0], theorem_6_1(o3, Y[:, :1]))
        for case in ("1", "2", "3"):
            R.add("Theorem 6.1", f"case {case}: delta = grad_z L = o - y, {names61[case]}", eng, r["6.1"][case][0], c61[case])
        R.add("Code 3", "dW of back_propagation, executed (linear regression)", eng, r["code3"][0], code3_grads[0])
        R.add("Code 3", "db of back_propagation, executed (linear regression)", eng, r["code3"][1], code3_grads[1])
        ra = B[f"run {eng}"]
        n_steps = len(run.cost_history)
        R.add("Code 3", f"its training run: cost_history[t] = the engine's J(W_t, b_t), all {n_steps} steps", eng,
              ra["costs"], run.cost_history)
        R.add("Code 3", f"its training run: dW, db at steps {', '.join(str(s) for s in ra['steps'][:3])}, ... = autodiff", eng,
              np.concatenate([ra["dW"].ravel(), ra["db"].ravel()]),
              np.concatenate([run.dW[ra["steps"]].ravel(), run.db[ra["steps"]].ravel()]))
        R.add("Code 3", f"its training run: the cost falls at every step ({ra['costs'][0]:.4g} -> {ra['costs'][-1]:.4g}; "
              "largest rise)", eng, np.maximum(np.diff(ra["costs"]), 0.0), np.zeros(n_steps - 1))
        for ell in range(1, L + 1):
            R.add("Code 4", f"dW[{ell}], executed (softmax output)", eng, r["dW"][ell], c4["dW"][ell])
            R.add("Code 4", f"db[{ell}], executed", eng, r["db"][ell], c4["db"][ell])
            R.add("Code 4", f"dZ[{ell}], executed", eng, r["dZ"][ell], c4["dZ"][ell])
            if ell < L:
                R.add("Code 4", f"dA[{ell}], executed", eng, r["dA"][ell], c4["dA"][ell])
    return R.rows


# =============================================================================================
# verify: the errata
# =============================================================================================


def errata() -> list[Erratum]:
    """The article's errata, each with its passage, its category and its check against autodiff (both engines)."""
    B = _builds()
    d = B["d"]
    W, b, X, Y = d["W"], d["b"], d["X"], d["Y"]
    Z, A = forward(d, X)
    E = ("Value", "Tensor")
    args4 = (X, Y, W, b)
    args3 = (d["X3"], d["y3"], d["W3"], d["b3"])
    g1 = declared_map(lambda z: np.maximum(z, 0.0), SIZES[0], SIZES[1], "g[1]")
    g1_fixed = declared_map(lambda z: np.maximum(z, 0.0), SIZES[1], SIZES[1], "g[1]")
    dW1 = {e: (lambda e=e: B[e]["dW"][1]) for e in E}
    xk = X[:, 2:3]
    Delta_bce = sigmoid(d["W_bce"] @ X + d["b_bce"]) - d["ybin"]
    f3 = CODE_FIXES["code3"]
    f4 = CODE_FIXES["code4"]

    def a1_engine(e: str) -> Array:
        return B[e]["A1"][:, :1]

    def z_layer1(e: str) -> Array:
        return B[e]["Z"][1][:, :1]

    def bce_one(e: str, k: int = 2) -> dict[str, Array]:
        if e == "Tensor":
            Wt, bt = leaf(d["W_bce"], "w"), leaf(d["b_bce"], "b")
            a = t_sigmoid(Wt @ Tensor(X[:, k:k + 1]) + bt)
            y = float(d["ybin"][0, k])
            (-(a.log() * y + (1 - a).log() * (1 - y)).sum()).backward()
            return {"dW": Wt.grad.copy(), "db": bt.grad.copy()}
        wv, bv = values(d["W_bce"][0], "w"), Value(float(d["b_bce"][0, 0]))
        a = v_sigmoid(v_affine(wv, [float(v) for v in X[:, k]], bias=bv))
        losses.bce([a], [float(d["ybin"][0, k])], nary=False).backward()
        return {"dW": grads(wv)[None, :], "db": np.array([[bv.grad]])}

    delta3 = {e: B[e]["6.1"]["3"] for e in E}
    return [
        Erratum(
            DOC.name, "section 1", AUTHOR,
            r"and an activation function $$g[\ell] : \mathbb{R}^{n[\ell-1]} \rightarrow \mathbb{R}^{n[\ell]}, \quad "
            r"\mathbf{a}[\ell] = g[\ell](\mathbf{z}[\ell]).$$",
            "g[l] maps R^{n[l-1]} to R^{n[l]}",
            "g[l]: R^{n[l]} -> R^{n[l]}: it acts on z[l] in R^{n[l]} elementwise (as section 4 says, g: R^m -> R^m)",
            "a[1] = g[1](z[1]) of sample 0, the engine's forward (n[0] = 4, n[1] = 5)",
            lambda: g1(z_layer1("Tensor")), lambda: g1_fixed(z_layer1("Tensor")), {e: (lambda e=e: a1_engine(e)) for e in E},
            raises=ValueError, why="the layer HL_l maps R^{n[l-1]} -> R^{n[l]}; its activation does not"),
        Erratum(
            DOC.name, "(5)", AUTHOR,
            r"The case of the softmax activation function will be treated in later section. ... Equation (1) can be written "
            r"componentwise: $$(5) \quad z_i = \sum_{j=1}^n w_{ij}x_j + b_i.$$",
            "(5) is equation (1) (relu'(z) = 1 for z >= 0, 0 for z < 0) written componentwise",
            "(5) is equation (3), z = W x + b, written componentwise",
            "z = W x + b of layer 1, sample 0 (the engine's forward)",
            lambda: d_relu(X[:, :1]), lambda: componentwise_eq5(W[1], X[:, :1], b[1]), {e: (lambda e=e: z_layer1(e)) for e in E},
            why="a wrong cross-reference: (1) is relu', (3) is the linear layer"),
        Erratum(
            DOC.name, "Code 1", AUTHOR, "def softmax(Z):\n    Z_exp = np.exp(Z)\n    Z_sum = np.sum(Z_exp, axis=1, keepdims=True)",
            "softmax normalised over axis 1, the samples (Z[L] is m x N)",
            "axis=0: each column (sample) sums to 1 (fix: " + CODE_FIXES["code1"][0].name + ")",
            "dW[1] of Code 4 (which calls this softmax)",
            lambda: code4(*args4, fixes=True, code1_fixes=False)["dW"][1], lambda: code4(*args4)["dW"][1], dW1,
            why=CODE_FIXES["code1"][0].why),
        Erratum(
            DOC.name, "Code 3", AUTHOR, "def back_propagation(X, y, W, b)\n    A = forward_propagation(X, W, b)",
            "a def line without its colon", f"def back_propagation(X, y, W, b): (fix: {f3[0].name})",
            "dW of back_propagation (linear regression)",
            lambda: code3(*args3, fixes=_all_but("code3", 0))[0], lambda: code3(*args3)[0],
            {e: (lambda e=e: B[e]["code3"][0]) for e in E}, raises=SyntaxError, why=f3[0].why),
        Erratum(
            DOC.name, "Code 3", AUTHOR, "    dW, db = backward_propagation(X, y, W, b)",
            "the loop calls backward_propagation", f"back_propagation, the function defined above (fix: {f3[1].name})",
            "dW of back_propagation (linear regression)",
            lambda: code3(*args3, fixes=_all_but("code3", 1))[0], lambda: code3(*args3)[0],
            {e: (lambda e=e: B[e]["code3"][0]) for e in E}, raises=NameError, why=f3[1].why),
        Erratum(
            DOC.name, "Code 4", EXTRACTION, "def back_propagation(X, Y, W, b)\n    Z, A = forward_propagation(X, W, b)\n```\n\n```\n\n"
            "N = X.shape[1]\n\ndZ[L] = 1/N * (A[L] - Y)\n...\nfor i in range(L-1,0,-1):\n    dA[i] = Ws[i+1].T @ dZ[i+1]\n...\nreturn dW, db",
            "the second code block at column 0: outside back_propagation", f"indented into back_propagation (fix: {f4[0].name})",
            "dW[1] of Code 4",
            lambda: code4(*args4, fixes=_all_but("code4", 0))["dW"][1], lambda: code4(*args4)["dW"][1], dW1,
            raises=SyntaxError, why=f4[0].why),
        Erratum(
            DOC.name, "Code 4", AUTHOR, "def back_propagation(X, Y, W, b)\n    Z, A = forward_propagation(X, W, b)",
            "a def line without its colon", f"def back_propagation(X, Y, W, b): (fix: {f4[1].name})", "dW[1] of Code 4",
            lambda: code4(*args4, fixes=_all_but("code4", 1))["dW"][1], lambda: code4(*args4)["dW"][1], dW1,
            raises=SyntaxError, why=f4[1].why),
        Erratum(
            DOC.name, "Code 4", AUTHOR, "    dA[i] = Ws[i+1].T @ dZ[i+1]",
            "the weights called Ws", f"W[i+1] (fix: {f4[2].name})", "dW[1] of Code 4",
            lambda: code4(*args4, fixes=_all_but("code4", 2))["dW"][1], lambda: code4(*args4)["dW"][1], dW1,
            raises=NameError, why=f4[2].why),
        Erratum(
            DOC.name, "6.3, before (40)", AUTHOR,
            r"\frac{\partial \mathcal{L}}{\partial z_j} &= - \sum_i y_i \frac{\partial \log(o_i)}{\partial z_j} = - \sum_i o_i "
            r"\frac{1}{o_i} \frac{\partial o_i}{\partial z_j} \\ &= - \sum_i o_i \frac{1}{o_i} \cdot o_i (\delta_{ij} - o_j) = "
            r"- \sum_i o_i (\delta_{ij} - o_j)",
            "-sum_i o_i (delta_ij - o_j): o_i where y_i belongs (identically 0, since sum_i o_i = 1)",
            "-sum_i y_i (delta_ij - o_j) = o_j - y_j; the next line and (40) have y again",
            "dL/dz (softmax + CE, one sample)",
            lambda: dL_dz_6_3_middle_line_as_printed(delta3["Tensor"][1], Y[:, :1]),
            lambda: dL_dz_6_3_middle_line(delta3["Tensor"][1], Y[:, :1]),
            {e: (lambda e=e: delta3[e][0][:, 0]) for e in E}, why="y_i replaced by o_i in two lines of the derivation"),
        Erratum(
            DOC.name, "(34)-(35)", AUTHOR,
            r"$$(33) \quad \boldsymbol{\delta} = \nabla_{\mathbf{z}} \mathcal{L} = \mathbf{a} - \mathbf{y},$$ "
            r"$$(34) \quad \nabla_{\mathbf{W}} \mathcal{L} = \Delta \mathbf{x}^T,$$ $$(35) \quad \nabla_b \mathcal{L} = \Delta.$$",
            "grad_W L = Delta x^T, grad_b L = Delta for the loss of one sample, Delta = [delta_1 ... delta_N] (5.2)",
            "delta x^T and delta, as (28)-(29) (and as (33) defines delta)",
            "grad_W L of one sample's BCE (sample 3)",
            lambda: eq34_35_as_printed(Delta_bce, xk)["(34)"], lambda: binary_output(xk, float(d["ybin"][0, 2]), d["W_bce"],
                                                                                     d["b_bce"])["(34)"],
            {e: (lambda e=e: bce_one(e)["dW"]) for e in E}, raises=ValueError,
            why="Delta is the matrix of all N samples (1 x N here): Delta x^T is not even defined for one x"),
    ]
