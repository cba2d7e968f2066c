"""micrograd_ext.documents.common: the registry of the documents, the pass criterion, the erratum check."""

from __future__ import annotations

import numpy as np
import pytest

from micrograd_ext.documents import common as C


def test_five_documents_with_full_citations() -> None:
    assert list(C.DOCUMENTS) == ["bondartsov", "cs224n", "rosenberg", "park", "cs229"]
    for d in C.DOCUMENTS.values():
        assert d.author and d.title and d.year and d.where and d.notation
        assert d.title in d.name and d.title in d.citation()
        assert C.document(d.key) is d and C.document(d.name) is d
    assert "doi:10.11568/kjm.2022.30.1.131" in C.PARK.where and C.PARK.year == "2022"
    assert C.BONDARTSOV.year.startswith("2019")
    with pytest.raises(KeyError, match="expected one of"):
        C.document("nope")


def test_compare_criterion() -> None:
    assert C.compare([1.0, 2.0], [1.0, 2.0 + 1e-11])[2]
    assert not C.compare([1.0, 2.0], [1.0, 2.0 + 1e-9])[2]
    assert C.compare([1e6], [1e6 + 1e-5])[2]  # relative to max |closed form|
    assert not C.compare([1e6], [1e6 + 1e-3])[2]
    assert C.compare([1.0], [1.0 + 1e-7], rtol=1e-6)[2]
    assert C.compare(np.zeros((2, 3)), np.zeros((3, 2))) == ((2, 3), None, False)
    assert not C.compare([np.nan], [np.nan])[2]
    assert C.compare(np.zeros(0), np.zeros(0)) == ((0,), 0.0, True)


def test_row_dict_has_kind_and_tolerance() -> None:
    r = C.Row("doc", "(1)", "q [Value]", (2,), 0.0, True, 1e-6)
    assert r.as_dict() == {"kind": "row", "document": "doc", "equation": "(1)", "quantity": "q [Value]", "shape": [2],
                           "max_abs_diff": 0.0, "tolerance": 1e-6, "passed": True}


def _erratum(printed, corrected, got, raises=None, got_corrected=None) -> C.Erratum:
    return C.Erratum("doc", "(1)", C.AUTHOR, "passage", "p", "c", "q", printed, corrected,
                     {"Value": lambda: got, "Tensor": lambda: got}, raises=raises,
                     autodiff_corrected=None if got_corrected is None else {"Value": lambda: got_corrected,
                                                                             "Tensor": lambda: got_corrected})


def test_check_erratum_judges_both_halves() -> None:
    one = np.ones(3)
    assert C.check_erratum(_erratum(lambda: 2 * one, lambda: one, one)).passed
    agrees = C.check_erratum(_erratum(lambda: one, lambda: one, one))  # a "printed" form that is right
    assert not agrees.passed and "AGREES" in agrees.printed_result
    wrong_fix = C.check_erratum(_erratum(lambda: 2 * one, lambda: 3 * one, one))
    assert not wrong_fix.passed and not wrong_fix.corrected_agrees

    def boom():
        raise ValueError("shapes")

    assert C.check_erratum(_erratum(boom, lambda: one, one, raises=ValueError)).passed
    other = C.check_erratum(_erratum(boom, lambda: one, one, raises=NameError))
    assert not other.passed and "UNEXPECTED" in other.printed_result
    no_raise = C.check_erratum(_erratum(lambda: 2 * one, lambda: one, one, raises=ValueError))
    assert not no_raise.passed
    # the corrected form compared with another autodiff quantity
    assert C.check_erratum(_erratum(lambda: 2 * one, lambda: 5 * one, one, got_corrected=5 * one)).passed


def test_erratum_dict() -> None:
    d = C.check_erratum(_erratum(lambda: 2 * np.ones(3), lambda: np.ones(3), np.ones(3))).as_dict()
    assert d["kind"] == "erratum" and d["category"] == C.AUTHOR and d["tolerance"] == C.RTOL and d["passed"] is True
    assert {"document", "equation", "quantity", "shape", "max_abs_diff", "passage", "printed", "corrected",
            "printed_result"} <= set(d)


def test_strict_algebra_and_central_difference() -> None:
    with pytest.raises(ValueError, match="equal shapes"):
        C.strict_add(np.zeros((5, 3)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="inner sizes"):
        C.strict_matmul(np.zeros((1, 6)), np.zeros((1, 4)))
    x = np.array([0.3, -1.2])
    assert np.allclose(C.central_difference(lambda v: v[0] ** 2 * v[1], x), [2 * 0.3 * -1.2, 0.09], atol=1e-9)


def test_elementary_builders_match_numpy() -> None:
    from micrograd_ext.core.tensor import Tensor
    from micrograd_ext.core.value import Value

    z = np.array([[-30.0, 0.0, 2.5], [1.0, -2.0, 0.5]])
    assert np.allclose(C.t_sigmoid(Tensor(z)).data, C.sigmoid(z), rtol=1e-15, atol=0)
    assert np.allclose(C.t_softmax(Tensor(z), axis=1).data, C.softmax(z, axis=1))
    assert np.allclose(C.t_log_softmax(Tensor(z), axis=0).data, np.log(C.softmax(z, axis=0)))
    assert np.allclose([v.data for v in C.v_softmax([Value(t) for t in z[0]])], C.softmax(z[0]))
    assert C.v_sigmoid(Value(0.0)).data == 0.5
    assert C.labels_of(np.eye(3)[[2, 0]], "rows") == [2, 0] and C.labels_of(np.eye(3)[:, [1, 2]], "columns") == [1, 2]
