"""The rule table: each rule's formula text says the same as its numeric local derivative,
and both agree with central finite differences of its forward function.

The formula texts are evaluated as Python after a small, explicit translation
(``^`` -> ``**``, ``ln`` -> ``log``, implicit products ``a(1-a)`` -> ``a*(1-a)``);
the few texts that name vector quantities are checked against a hand-written table.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from micrograd_ext.core.ops import RULES, edge_formula, rule_for
from micrograd_ext.engine import Value

H = 1e-6


def evaluate(text: str, **names: float) -> float:
    """Evaluate a rule's formula text, e.g. '1 - out^2' or '(a-y)/(a(1-a))/N'."""
    expr = text.replace("^", "**").replace("ln(", "log(")
    expr = re.sub(r"(?<=[\w)])\(", "*(", expr).replace("log*(", "log(")  # a(1-a) -> a*(1-a)
    return float(eval(expr, {"log": math.log, "__builtins__": {}}, names))  # noqa: S307


# op -> (inputs for a generic point) for the scalar (non n-ary) rules
POINTS = {
    "+": (0.7, -1.3),
    "-": (0.7, -1.3),
    "*": (0.7, -1.3),
    "/": (0.7, -1.3),
    "neg": (0.7,),
    "pow": (1.7, 2.3),
    "exp": (0.4,),
    "log": (1.9,),
    "tanh": (0.4,),
    "sigmoid": (-0.8,),
    "ReLU": (0.6,),
}


def test_every_scalar_rule_is_checked():
    scalar = {op for op, r in RULES.items() if not r.nary}
    assert scalar == set(POINTS) | {"**"}


@pytest.mark.parametrize("op", sorted(POINTS))
def test_formula_text_equals_numeric_local_and_finite_difference(op):
    rule = RULES[op]
    ins = POINTS[op]
    out = rule.forward(*ins)
    local = rule.local(*ins, out)
    names = dict(zip("ab", ins), out=out)
    assert len(rule.formulas) == len(ins) == len(local)
    for k, text in enumerate(rule.formulas):
        assert evaluate(text, **names) == pytest.approx(local[k], rel=1e-12), (op, text)
        up, dn = list(ins), list(ins)
        up[k] += H
        dn[k] -= H
        assert local[k] == pytest.approx((rule.forward(*up) - rule.forward(*dn)) / (2 * H), rel=1e-6), (op, k)


@pytest.mark.parametrize("k", [2, 3, -1, 0.5, -2.5])
def test_power_rule_text_per_exponent(k):
    a = 1.7
    node = Value(a) ** k
    (text,) = node.formulas
    assert evaluate(text, a=a) == pytest.approx(node.local_grads[0], rel=1e-12)
    assert node.local_grads[0] == pytest.approx(k * a ** (k - 1), rel=1e-12)  # hand-derived
    assert rule_for(node._op) is RULES["**"]


def test_relu_text_both_sides():
    (text,) = RULES["ReLU"].formulas
    for a in (-0.5, 0.5):
        out = max(a, 0.0)
        assert evaluate(text, a=a) == RULES["ReLU"].local(a, out)[0]


# Hand-written expectations for the n-ary rules' edge texts (documents' notation).
NARY_TEXT = {
    "sum": ("1",),
    "wsum": ("1", "x_j", "w_j"),
    "bce": ("(a-y)/(a(1-a))/N",),  # Bondartsov eq. (5a)
    "mse": ("2(a-y)/N",),
    "xent": ("softmax(z)_k - y_k",),  # CS224n 2.6: y_hat - y
}


def test_nary_formula_texts():
    assert {op: r.formulas for op, r in RULES.items() if r.nary and op != "wsum0"} == NARY_TEXT


def test_nary_texts_evaluate_to_their_locals():
    a, y, N = [0.2, 0.7], [0.0, 1.0], 5.0
    local = RULES["bce"].local(*a, 0.0, targets=y, scale=1 / N)
    for k in range(2):
        assert evaluate(RULES["bce"].formula(k), a=a[k], y=y[k], N=N) == pytest.approx(local[k], rel=1e-12)
    local = RULES["mse"].local(*a, 0.0, targets=y, scale=1 / N)
    for k in range(2):
        assert evaluate(RULES["mse"].formula(k), a=a[k], y=y[k], N=N) == pytest.approx(local[k], rel=1e-12)


def test_wsum_edge_formulas_follow_parent_order():
    assert [edge_formula("wsum", k) for k in range(5)] == ["1", "x_j", "w_j", "x_j", "w_j"]
    assert [edge_formula("wsum", k, bias=False) for k in range(4)] == ["x_j", "w_j", "x_j", "w_j"]


@pytest.mark.parametrize("op", sorted(POINTS))
def test_array_forms_agree_with_scalar_forms(op):
    """The Tensor engine reuses these rules on arrays: same numbers elementwise."""
    rule = RULES[op]
    base = POINTS[op]
    arrays = [np.array([v, v * 0.5 + 0.1 * (v > 0) + 0.05]) for v in base]
    if op in ("log", "pow"):
        arrays = [np.abs(x) + 0.1 for x in arrays]
    fwd = rule.array_forward if rule.array_forward is not None else rule.forward
    loc = rule.array_local if rule.array_local is not None else rule.local
    out = np.asarray(fwd(*arrays), dtype=float)
    local = loc(*arrays, out)
    for i in range(2):
        ins = [float(x[i]) for x in arrays]
        o = rule.forward(*ins)
        assert out[i] == pytest.approx(o, rel=1e-14)
        for k, lk in enumerate(rule.local(*ins, o)):
            assert float(np.broadcast_to(np.asarray(local[k], dtype=float), out.shape)[i]) == pytest.approx(lk, rel=1e-14)


def test_domain_checks_in_forward_functions():
    with pytest.raises(ZeroDivisionError, match="'/'"):
        RULES["/"].forward(1.0, 0.0)
    assert RULES["exp"].forward(1000.0) == math.inf
    assert RULES["sigmoid"].forward(-1000.0) == 0.0
