"""Every numbered equation of the five documents that states a derivative has a verify row, on both engines.

The list below was written from reading the documents, not from the code: a derivative the documents
state and verify forgets makes this test fail.  Where a document numbers nothing (Rosenberg's notes, the
CS229 post, the sections of the CS224n notes with several results) an entry also names the derivative,
which must begin the row's quantity.  Not listed, because they state no derivative: Bondartsov (1) (the
cost); Park (3), (4), (5) (the layer's forward map; the derivatives read off (5) are (7)-(8)) and (26) (the
L2 loss).
"""

from __future__ import annotations

import pytest

from micrograd_ext.documents import common as C
from micrograd_ext.documents import verify

ROWS = verify.all_rows()

EQUATIONS: list[tuple[C.Document, str, str]] = (
    [(C.BONDARTSOV, e, "") for e in ("(2)", "(3)", "(4)", "(5a)", "(5b)", "(5c)", "(6)", "(7)", "(8)", "(9)", "(10a)",
                                     "(10b)", "(10c)", "(11)", "(12a)", "(12b)", "(13)", "(14)", "(15)")]
    + [(C.CS224N, e, "") for e in ("1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.7 (additional reading)")]
    + [(C.CS224N, "3", q) for q in ("ReLU'", "delta1", "delta2", "dJ/dU", "dJ/db2", "dJ/dW", "dJ/db1", "dJ/dx")]
    + [(C.ROSENBERG, "1", q) for q in ("dy_r/dW_ij", "dJ/dW_ij", "dJ/dW =", "dy_r/dx_i", "dJ/dx_i", "dJ/dx =",
                                       "dy_r/db_i", "dJ/db_i", "dJ/db =")]
    + [(C.ROSENBERG, "1, minibatch", q) for q in ("dY_rs/dW_ij", "dY_rs/db_i", "dY_rs/dX_ij", "dJ/dW_ij", "dJ/dW =",
                                                  "dJ/db_i", "dJ/db =", "dJ/dX_ij", "dJ/dX =")]
    + [(C.ROSENBERG, "2", q) for q in ("dy_i/ds_j", "dJ/ds_j", "dJ/ds =")]
    + [(C.PARK, e, "") for e in ("(1)", "Lemma 3.1", "(2)", "Code 1", "2", "(6)", "(7)", "(8)", "(9)", "(10)", "(11)",
                                 "(12)", "(13)", "(14)", "(15)", "(16)", "(17)", "(18)", "(19)", "(20)", "(21)", "(22)",
                                 "(23)", "(24)", "(25)", "Code 2", "(27)", "(28)", "(29)", "(30)", "(31)", "(32)",
                                 "Code 3", "6.2", "(33)", "(34)", "(35)", "(36)", "(37)", "(38)", "(39)", "6.3", "(40)",
                                 "Theorem 6.1", "Code 4")]
    + [(C.CS229, e, "") for e in ("dJ/dz[2]", "dJ/dW[2]", "dz[2]/dW[2]", "dJ/db[2]", "dz[2]/db[2]", "dz[2]/da[1]",
                                  "da[1]/dz[1]", "dz[1]/dW[1]", "dJ/da[1]", "dJ/dz[1]", "dJ/dW[1]", "dJ/db[1]",
                                  "dz[1]/db[1]")]
)


@pytest.mark.parametrize("doc,equation,quantity", EQUATIONS, ids=[f"{d.key}|{e}|{q}" for d, e, q in EQUATIONS])
def test_equation_has_a_passing_row_on_both_engines(doc: C.Document, equation: str, quantity: str) -> None:
    rows = [r for r in ROWS if r.document == doc.name and r.equation == equation and r.quantity.startswith(quantity)]
    engines = {r.quantity.rsplit("[", 1)[1].rstrip("]") for r in rows}
    assert engines == {"Value", "Tensor"}, f"{doc.short} {equation} {quantity}: no row on {set(C.ENGINES) - engines}"
    assert all(r.passed for r in rows)


def test_park_equations_1_to_40_are_all_accounted_for() -> None:
    listed = {e for d, e, _ in EQUATIONS if d is C.PARK}
    no_derivative = {"(3)", "(4)", "(5)", "(26)"}
    assert {f"({k})" for k in range(1, 41)} == {e for e in listed if e.startswith("(")} | no_derivative


def test_the_list_has_no_duplicates_and_covers_the_five_documents() -> None:
    assert len(set((d.key, e, q) for d, e, q in EQUATIONS)) == len(EQUATIONS)
    assert {d.key for d, _, _ in EQUATIONS} == set(C.DOCUMENTS)
