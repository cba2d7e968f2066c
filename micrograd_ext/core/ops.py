"""The derivative rules: one table, one line of calculus per operation.

Every operation the engine knows is a :class:`Rule`.  A rule says three things:

* ``forward``: how to compute the node's value from its inputs (on Python floats);
* ``local``:   the local derivative of the output with respect to each input,
  ``d out / d input_k``, computed from the inputs and the output.  The same
  expression is used elementwise on numpy arrays by :mod:`micrograd_ext.tensor`
  (``array_local`` overrides it where floats and arrays need different code);
* ``formulas``: the same derivatives as text (``tanh: 1 - out^2``), which the
  diagrams print on the edges, so a picture always shows the rule the backward
  pass really used.

Inputs are called ``a`` and ``b`` (in that order) in the formula text, the result
``out``.  A newcomer looking for "the derivative of tanh" finds it here and nowhere
else: :class:`~micrograd_ext.engine.Value` stores the *numbers* these functions
return on its edges (not closures), and the backward pass only multiplies and adds.

The n-ary rules at the end (``sum``, ``wsum``, ``bce``, ``mse``, ``xent``) are the
one-node-per-formula nodes that the derivation documents draw: a neuron's weighted
sum ``z = w0 + sum_j w_j x_j`` (Bondartsov, eq. (5c) and (10a)) and the loss ``C``
over all outputs (eq. (1), derivative eq. (5a)).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np

__all__ = [
    "DomainError",
    "Rule",
    "RULES",
    "rule_for",
    "stable_sigmoid",
    "BCE_EPS",
]


class DomainError(ValueError, ArithmeticError):
    """An operation was asked for a value outside its domain (``log(-1)``, ``0 ** -1``).

    The message names the operation, the offending value and what was expected.
    """


# PyTorch's BCELoss clamps each log term at -100 and its backward divides by
# max(a (1 - a), 1e-12); we follow it so a saturated sigmoid gives a large finite
# loss rather than inf/nan.
BCE_LOG_FLOOR = -100.0
BCE_EPS = 1e-12


@dataclass(frozen=True, slots=True)
class Rule:
    """One operation: forward value, local derivatives and their formula text."""

    op: str
    forward: Callable
    local: Callable
    formulas: tuple[str, ...]
    doc: str = ""
    array_forward: Callable | None = None
    array_local: Callable | None = None
    nary: bool = field(default=False)

    def formula(self, k: int, arity: int | None = None) -> str:
        """Text of ``d out / d input_k`` (for n-ary rules the pattern repeats)."""
        if self.nary:
            return self.formulas[k % len(self.formulas)] if self.formulas else ""
        return self.formulas[k]


# ---------------------------------------------------------------------------
# Forward functions with domain checks (scalar).  Each error names the op,
# the value, and what was expected.
# ---------------------------------------------------------------------------


def _div(a: float, b: float) -> float:
    if b == 0:
        raise ZeroDivisionError(f"'/': division by zero: {a!r} / {b!r} (expected a nonzero divisor)")
    return a / b


def _pow(a: float, k: float) -> float:
    if a == 0 and k < 0:
        raise ZeroDivisionError(f"'**': {a!r} ** {k!r} is a division by zero (expected a nonzero base for a negative exponent)")
    if a < 0 and not float(k).is_integer():
        raise DomainError(f"'**': {a!r} ** {k!r} is not a real number (expected a non-negative base for a non-integer exponent)")
    try:
        return a**k
    except OverflowError:
        return math.inf if (a > 0 or float(k) % 2 == 0) else -math.inf


def _pow_local(a: float, k: float, out: float) -> tuple:
    if k == 0:
        return (0.0 * a,)
    if k == 1:
        return (1.0 + 0.0 * a,)
    if isinstance(a, float):
        return (math.inf,) if a == 0 and k < 1 else (k * a ** (k - 1),)
    with np.errstate(divide="ignore", invalid="ignore"):  # inf at 0 for k < 1, as for floats;
        return (k * a ** (k - 1),)  # detect_anomaly() reports it


def _vpow(a: float, b: float) -> float:
    """a ** b where the exponent is a node too (needs a > 0 for d/db = out ln a)."""
    if a <= 0:
        raise DomainError(f"'pow': base {a!r} with a Value exponent (expected a positive base, since d/db a^b = a^b ln a)")
    return _pow(a, b)


def _exp(a: float) -> float:
    # Documented choice: exp overflows to inf as in PyTorch and numpy (never an
    # OverflowError); with detect_anomaly() on, that inf raises, naming 'exp'.
    try:
        return math.exp(a)
    except OverflowError:
        return math.inf


def _log(a: float) -> float:
    if a <= 0:
        raise DomainError(f"'log': log({a!r}) is undefined (expected a positive number)")
    return math.log(a)


def stable_sigmoid(x: float) -> float:
    """1 / (1 + e^-x) without overflow: sigmoid(-1000) = 0.0, sigmoid(1000) = 1.0."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _array_sigmoid(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x, dtype=np.float64)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def _relu_local(a: float, out: float, at_zero: float = 0.0) -> tuple:
    return (1.0 if a > 0 else (at_zero if a == 0 else 0.0),)


def _relu_array_local(a: np.ndarray, out: np.ndarray, at_zero: float = 0.0) -> tuple:
    # A boolean mask is the derivative 1/0 (grad * mask is a float array) and costs
    # one pass instead of four; only an unusual relu'(0) needs the float form.
    if at_zero == 0.0:
        return (a > 0,)
    if at_zero == 1.0:
        return (a >= 0,)
    return (np.where(a > 0, 1.0, np.where(a == 0, at_zero, 0.0)),)


def _array_div(a, b):
    if np.any(b == 0):
        raise ZeroDivisionError(f"'/': division by zero: divisor has {int(np.sum(b == 0))} zero element(s) (expected nonzero divisors)")
    return a / b


def _array_log(a):
    bad = a <= 0
    if np.any(bad):
        raise DomainError(f"'log': log of non-positive value {np.asarray(a)[bad].flat[0]!r} (expected positive numbers)")
    return np.log(a)


def _array_pow(a, k):
    if np.any((a == 0) & (k < 0)):
        raise ZeroDivisionError(f"'**': 0 ** {k!r} is a division by zero (expected nonzero bases for a negative exponent)")
    if np.any(a < 0) and not float(k).is_integer():
        raise DomainError(f"'**': negative base ** {k!r} is not real (expected non-negative bases for a non-integer exponent)")
    return np.power(a, k)


def _array_vpow(a, b):
    """a ** b elementwise where the exponent is a tensor too (needs a > 0, as :func:`_vpow`)."""
    if np.any(a <= 0):
        raise DomainError(f"'pow': base {np.asarray(a)[a <= 0].flat[0]!r} with a tensor exponent (expected positive bases, since d/db a^b = a^b ln a)")
    return np.power(a, b)


def _array_exp(a):
    with np.errstate(over="ignore"):
        return np.exp(a)


# ---------------------------------------------------------------------------
# N-ary rules: the documents' one-node formulas.
# ---------------------------------------------------------------------------


def _sum_forward(*xs: float) -> float:
    return math.fsum(xs) if len(xs) > 8 else sum(xs, 0.0)


def _sum_local(*args: float) -> tuple:
    return (1.0,) * (len(args) - 1)


def _wsum_forward(*args: float, bias: bool = True) -> float:
    """z = w0 + sum_j w_j x_j; inputs ordered (w0, w1, x1, w2, x2, ...)."""
    start = 1 if bias else 0
    z = args[0] if bias else 0.0
    for j in range(start, len(args), 2):
        z += args[j] * args[j + 1]
    return z


def _wsum_local(*args: float, bias: bool = True) -> tuple:
    xs = args[:-1]
    grads: list[float] = [1.0] if bias else []
    start = 1 if bias else 0
    for j in range(start, len(xs), 2):
        grads.append(xs[j + 1])  # d z / d w_j = x_j   (eq. 5c)
        grads.append(xs[j])  # d z / d x_j = w_j   (eq. 10a)
    return tuple(grads)


def _bce_terms(a: float, y: float) -> float:
    la = math.log(a) if a > 0 else -math.inf
    l1a = math.log(1.0 - a) if a < 1 else -math.inf
    return y * max(la, BCE_LOG_FLOOR) + (1.0 - y) * max(l1a, BCE_LOG_FLOOR)


def _bce_forward(*a: float, targets: Sequence[float], scale: float) -> float:
    """C = -scale * sum_k [y_k ln a_k + (1 - y_k) ln(1 - a_k)]   (Bondartsov eq. (1))."""
    for ak in a:
        if not 0.0 <= ak <= 1.0:
            raise DomainError(f"'bce': prediction {ak!r} (expected a probability in [0, 1], e.g. a sigmoid output)")
    return -scale * math.fsum(_bce_terms(ak, yk) for ak, yk in zip(a, targets))


def _bce_local(*args: float, targets: Sequence[float], scale: float) -> tuple:
    """dC/da_k = scale * (a_k - y_k) / (a_k (1 - a_k))   (Bondartsov eq. (5a))."""
    a = args[:-1]
    return tuple(scale * (ak - yk) / max(ak * (1.0 - ak), BCE_EPS) for ak, yk in zip(a, targets))


def _mse_forward(*a: float, targets: Sequence[float], scale: float) -> float:
    return scale * math.fsum((ak - yk) ** 2 for ak, yk in zip(a, targets))


def _mse_local(*args: float, targets: Sequence[float], scale: float) -> tuple:
    a = args[:-1]
    return tuple(2.0 * scale * (ak - yk) for ak, yk in zip(a, targets))


def _softmax(z: Sequence[float]) -> list[float]:
    m = max(z)
    e = [math.exp(zk - m) for zk in z]
    s = math.fsum(e)
    return [ek / s for ek in e]


def _xent_forward(*z: float, target: int, scale: float) -> float:
    """-scale * log softmax(z)[target], computed as logsumexp(z) - z[target]."""
    if not 0 <= target < len(z):
        raise IndexError(f"'xent': class index {target!r} (expected 0 <= target < {len(z)})")
    m = max(z)
    return scale * (m + math.log(math.fsum(math.exp(zk - m) for zk in z)) - z[target])


def _xent_local(*args: float, target: int, scale: float) -> tuple:
    """d/dz_k = scale * (softmax(z)_k - [k == target])   (CS224n 2.6: y_hat - y)."""
    p = _softmax(args[:-1])
    return tuple(scale * (pk - (1.0 if k == target else 0.0)) for k, pk in enumerate(p))


def _r(op, forward, local, formulas, doc="", **kw) -> tuple[str, Rule]:
    return op, Rule(op, forward, local, tuple(formulas), doc, **kw)


#: The table.  ``op`` is the node's ``_op`` (micrograd's spelling where it has one).
RULES: dict[str, Rule] = dict(
    [
        #  op          forward                 local derivatives (inputs..., out)        formula text
        _r("+", lambda a, b: a + b, lambda a, b, out: (1.0, 1.0), ("1", "1"), "a + b", array_forward=np.add),
        _r("-", lambda a, b: a - b, lambda a, b, out: (1.0, -1.0), ("1", "-1"), "a - b", array_forward=np.subtract),
        _r("*", lambda a, b: a * b, lambda a, b, out: (b, a), ("b", "a"), "a * b", array_forward=np.multiply),
        _r("/", _div, lambda a, b, out: (1.0 / b, -a / (b * b)), ("1/b", "-a/b^2"), "a / b", array_forward=_array_div),
        _r("neg", lambda a: -a, lambda a, out: (-1.0,), ("-1",), "-a", array_forward=np.negative),
        _r("**", _pow, _pow_local, ("k*a^(k-1)",), "a ** k (k a constant)", array_forward=_array_pow),
        _r("pow", _vpow, lambda a, b, out: (b * a ** (b - 1), out * math.log(a)), ("b*a^(b-1)", "out*ln(a)"), "a ** b",
           array_forward=_array_vpow, array_local=lambda a, b, out: (b * a ** (b - 1), out * np.log(a))),
        _r("exp", _exp, lambda a, out: (out,), ("out",), "e^a", array_forward=_array_exp),
        _r("log", _log, lambda a, out: (1.0 / a,), ("1/a",), "ln a", array_forward=_array_log),
        _r("tanh", math.tanh, lambda a, out: (1.0 - out * out,), ("1 - out^2",), "tanh a", array_forward=np.tanh),
        _r("sigmoid", stable_sigmoid, lambda a, out: (out * (1.0 - out),), ("out*(1 - out)",), "1/(1+e^-a)", array_forward=_array_sigmoid),
        _r("ReLU", lambda a: 0.0 if a <= 0 else a,  # nan stays nan
           _relu_local, ("1 if a > 0 else 0",), "max(0, a)",
           array_forward=lambda a: np.maximum(a, 0.0), array_local=_relu_array_local),
        _r("sum", _sum_forward, _sum_local, ("1",), "a_1 + a_2 + ... + a_n", nary=True),
        _r("wsum", _wsum_forward, _wsum_local, ("1", "x_j", "w_j"), "w_0 + sum_j w_j x_j (Bondartsov (5c), (10a))", nary=True),
        _r("wsum0", partial(_wsum_forward, bias=False), partial(_wsum_local, bias=False), ("x_j", "w_j"),
           "sum_j w_j x_j (no bias)", nary=True),
        _r("bce", _bce_forward, _bce_local, ("(a-y)/(a(1-a))/N",), "-1/N sum [y ln a + (1-y) ln(1-a)] (Bondartsov (1), (5a))", nary=True),
        _r("mse", _mse_forward, _mse_local, ("2(a-y)/N",), "1/N sum (a - y)^2", nary=True),
        _r("xent", _xent_forward, _xent_local, ("softmax(z)_k - y_k",), "-log softmax(z)_y (CS224n 2.6)", nary=True),
    ]
)


def rule_for(op: str) -> Rule | None:
    """The rule of a node's ``_op``; ``'**2'`` (micrograd's spelling) maps to ``'**'``."""
    rule = RULES.get(op)
    if rule is None and op.startswith("**"):
        return RULES["**"]
    return rule


def edge_formula(op: str, k: int, *, bias: bool = True, exponent: float | None = None) -> str:
    """The text a diagram prints on edge ``k`` of a node with this ``_op``."""
    rule = rule_for(op)
    if rule is None:
        return ""
    if op == "wsum":
        if bias and k == 0:
            return "1"
        j = k - (1 if bias else 0)
        return "x_j" if j % 2 == 0 else "w_j"
    text = rule.formula(k)
    if exponent is not None:
        kk = f"{exponent:g}"
        text = text.replace("k*a^(k-1)", f"{kk}*a^{exponent - 1:g}")
    return text
