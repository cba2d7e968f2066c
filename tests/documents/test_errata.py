"""The errata of the five documents (docs/errata.md): every one is tested here twice - the literal reading
as printed against autodiff (it disagrees, or cannot be evaluated and raises the error it should) and the
corrected reading (or the reading under the convention) against autodiff (it agrees) - on both engines.

Autodiff is the oracle: the documents' nets built with the engine, Value and Tensor, with every loss and
activation made of elementary operations.
"""

from __future__ import annotations

import numpy as np
import pytest

from micrograd_ext.core.tensor import Tensor
from micrograd_ext.documents import bondartsov as B
from micrograd_ext.documents import common as C
from micrograd_ext.documents import cs224n as N
from micrograd_ext.documents import park as P
from micrograd_ext.documents import verify

ERRATA = [e for _, fn in verify.ERRATA for e in fn()]
IDS = [f"{C.document(e.document).key}|{e.equation}|{e.printed[:30]}" for e in ERRATA]


def agrees(got, want, rtol=C.RTOL) -> bool:
    return C.compare(got, want, rtol)[2]


@pytest.mark.parametrize("e", ERRATA, ids=IDS)
def test_printed_form_is_refuted_by_autodiff(e: C.Erratum) -> None:
    if e.raises is not None:
        with pytest.raises(e.raises):
            e.printed_form()
        return
    printed = e.printed_form()
    for engine, autodiff in e.autodiff.items():
        assert not agrees(autodiff(), printed, e.rtol), (engine, e.equation)


@pytest.mark.parametrize("e", ERRATA, ids=IDS)
def test_corrected_form_agrees_with_autodiff(e: C.Erratum) -> None:
    want = e.corrected_form()
    targets = e.autodiff_corrected or e.autodiff
    assert set(targets) == {"Value", "Tensor"}
    for engine, autodiff in targets.items():
        assert agrees(autodiff(), want, e.rtol), (engine, e.equation)


@pytest.mark.parametrize("e", ERRATA, ids=IDS)
def test_each_erratum_is_classified_and_quoted(e: C.Erratum) -> None:
    assert e.category in C.CATEGORIES
    assert e.passage.strip() and e.printed.strip() and e.corrected.strip() and e.quantity.strip() and e.why.strip()
    assert C.check_erratum(e).passed


def _find(doc, equation, word=""):
    hits = [e for e in ERRATA if e.document == doc.name and e.equation == equation and word in e.printed + e.corrected]
    assert len(hits) == 1, (doc.key, equation, word, len(hits))
    return hits[0]


def test_the_audit_classifications() -> None:
    """The entries the audit re-read: conventions and extraction noise are not counted as the authors' errors;
    the (15) erratum is the transpose (the displayed block holds columns 1..8); the three missed errors are in."""
    assert _find(C.BONDARTSOV, "(5a)").category == C.CONVENTION
    assert _find(C.BONDARTSOV, "z(1) = w(1)T . x, (3)").category == C.CONVENTION
    e15 = _find(C.BONDARTSOV, "(15)")
    assert e15.category == C.AUTHOR and "transpose" in e15.corrected and "1..8" in e15.corrected
    assert _find(C.CS224N, "1.1").category == C.EXTRACTION
    assert _find(C.CS224N, "3", "b_0").category == C.EXTRACTION
    assert _find(C.PARK, "(5)").category == C.AUTHOR  # "Equation (1) can be written componentwise" means (3)
    assert _find(C.PARK, "section 1").category == C.AUTHOR  # g[l]: R^{n[l-1]} -> R^{n[l]}
    assert _find(C.BONDARTSOV, "(5b)").category == C.AUTHOR  # its middle line subtracts the 1 twice
    counts = {c: sum(e.category == c for e in ERRATA) for c in C.CATEGORIES}
    assert all(counts.values()) and sum(counts.values()) == len(ERRATA)


def test_every_park_code_fix_is_an_erratum() -> None:
    fixes = [f for name in ("code1", "code3", "code4") for f in P.CODE_FIXES[name]]
    named = " ".join(e.corrected for e in ERRATA if e.document == C.PARK.name and e.equation.startswith("Code"))
    assert all(f.name in named for f in fixes) and len(fixes) == 6


# -- a few errata looked at more closely -------------------------------------------------------------


def test_bondartsov_5a_printed_is_the_sum_of_the_per_sample_derivatives() -> None:
    b = B._builds()
    printed = B.dC_da2_eq5a_as_printed(b["fw"]["a2"], b["Y"].T)
    for eng in ("Value", "Tensor"):
        assert agrees(b[eng]["dC/da2"].sum(axis=1), printed)  # what the printed (5a) is, read literally


def test_bondartsov_15_printed_product_is_the_transpose() -> None:
    b = B._builds()
    fw, y, w2 = b["fw"], b["Y"].T, b["w2"]
    printed = B.f2_eq15_as_printed(fw["a2"], y, w2)
    assert printed.shape == (150, 8)
    with pytest.raises(ValueError, match=r"\(14\)"):
        B.grad_w1_eq14(fw["x"], fw["a1"], printed)
    for eng in ("Value", "Tensor"):
        assert agrees(150 * b[eng]["dC/da1"], printed.T)
        wrong_column = w2[:, :8].T @ (fw["a2"] - y)  # dropping the last column instead of the bias column
        assert not agrees(150 * b[eng]["dC/da1"], wrong_column)


def test_bondartsov_w_transpose_reading_needs_numerator_layout() -> None:
    b = B._builds()
    g = B.grad_w1_transposed_layout(b["w1"], b["w2"], b["X"], b["Y"], "Tensor")
    assert g.shape == (5, 8) and agrees(g.T, b["Tensor"]["dC/dw1"])
    with pytest.raises(ValueError):
        np.matmul(b["w1"].T, b["fw"]["x"])  # w(1)^T . x with w(1) the displayed 8 x 5 matrix is no product


def test_cs224n_2_5_sum_leaves_rows_out() -> None:
    d = N.data()
    W, x = d["W_id"], d["x_id"]
    n, m = W.shape
    assert n > m
    delta = (2.0 / n) * (W @ x - d["t_id"])[None, :]
    printed = N.dJ_dWij_2_5_sum(delta, x[:, None], upper=m)
    assert np.all(printed[m:] == 0.0) and np.any(delta[0, m:] != 0)


def test_park_6_3_printed_line_is_identically_zero() -> None:
    for z in np.random.default_rng(5).normal(size=(4, 3)):
        o = P.softmax(z[:, None], axis=0)
        assert np.allclose(P.dL_dz_6_3_middle_line_as_printed(o, np.eye(3)[:, [0]]), 0.0)


def test_park_code1_printed_softmax_does_not_normalise_the_samples() -> None:
    d = P.data()
    Z3 = P.forward(d, d["X"])[0][3]
    printed = P.code1_namespace(fixes=False)["softmax"](Z3)
    assert not np.allclose(printed.sum(axis=0), 1.0) and np.allclose(printed.sum(axis=1), 1.0)
    assert np.allclose(P.code1_namespace()["softmax"](Z3).sum(axis=0), 1.0)


def test_park_code_listings_fail_as_printed_with_the_errors_named() -> None:
    d = P.data()
    args3, args4 = (d["X3"], d["y3"], d["W3"], d["b3"]), (d["X"], d["Y"], d["W"], d["b"])
    with pytest.raises(SyntaxError):
        P.code3(*args3, fixes=False)
    with pytest.raises(NameError, match="backward_propagation"):
        P.code3(*args3, fixes=(0,))
    with pytest.raises(SyntaxError, match="'return' outside function"):
        P.code4(*args4, fixes=(1, 2))
    with pytest.raises(SyntaxError, match="expected ':'"):
        P.code4(*args4, fixes=(0, 2))
    with pytest.raises(NameError, match="Ws"):
        P.code4(*args4, fixes=(0, 1))
    with pytest.raises(ValueError, match="no longer contains"):
        P.CODE_FIXES["code3"][0].apply("something else", "code3")


def test_park_relu_convention_is_a_choice_the_engine_follows() -> None:
    """Not an erratum: Park's relu'(0) = 1 differs from PyTorch's 0 at the planted zero, and the engine follows either."""
    d = P.data()
    z = Tensor(P.forward(d, d["X"])[0][1][:, :1], requires_grad=True)
    assert z.data[2, 0] == 0.0
    z.relu().sum().backward()
    assert z.grad[2, 0] == 0.0 and P.d_relu(z.data)[2, 0] == 1.0
    assert P.code1_namespace()["d_relu"](z.data)[2, 0] == 1.0


def test_docs_errata_md_lists_every_erratum_with_its_category() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "errata.md").read_text(encoding="utf-8")
    headings = [ln[4:] for ln in text.splitlines() if ln.startswith("### ")]
    want = [f"{C.document(e.document).short} {e.equation}: {e.category}" for e in ERRATA]
    assert headings == want
    counts = {c: sum(e.category == c for e in ERRATA) for c in C.CATEGORIES}
    assert f"| all five | {counts[C.AUTHOR]} | {counts[C.EXTRACTION]} | {counts[C.CONVENTION]} | {len(verify.all_rows())} |" in text
    assert f"({len(ERRATA)} errata)" in text and "shared/" not in text and "seeds" not in text
