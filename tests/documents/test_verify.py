"""`micrograd-ext verify`: every row passes, the JSON has exactly the issue's keys, exit status 1 on failure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from micrograd_ext.commands import verify as verify_command
from micrograd_ext.documents import closed_form as cf
from micrograd_ext.documents import verify

ROWS = verify.all_rows()
KEYS = {"document", "equation", "quantity", "shape", "max_abs_diff", "passed"}


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.document[:12]}|{r.equation}|{r.quantity}" for r in ROWS])
def test_every_row_passes(row: verify.Row) -> None:
    assert row.passed, row
    assert row.max_abs_diff is not None


def test_coverage_of_the_issue() -> None:
    eqs = {(r.document, r.equation) for r in ROWS}
    B, C, R, P, S = cf.BONDARTSOV, cf.CS224N, cf.ROSENBERG, cf.PARK, cf.CS229
    need = [(B, e) for e in ("(5a)", "(5b)", "(5c)", "(6)", "(7)", "(8)", "(11)", "(13)", "(14)", "(15)")]
    need += [(C, e) for e in ("2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "3")]
    need += [(R, "1"), (R, "1 (minibatch)"), (R, "2")]
    need += [(P, e) for e in ("Thm 4.1 (7)", "Thm 4.1 (10)", "Thm 5.1 (17)", "Thm 5.4 (21)", "Thm 5.4 (25)",
                              "Thm 6.1 case 1", "Thm 6.1 case 2", "Thm 6.1 case 3", "Python Code 3", "Python Code 4")]
    need += [(S, e) for e in ("dJ/dW2", "dJ/db2", "dJ/dW1", "dJ/db1")]
    missing = [n for n in need if n not in eqs]
    assert not missing
    s3 = {r.quantity.split(" = ")[0] for r in ROWS if r.document == C and r.equation == "3"}
    assert {"delta1", "delta2", "dJ/dU", "dJ/db2", "dJ/dW", "dJ/db1", "dJ/dx"} <= s3
    # both engines for every (document, equation, quantity)
    for eng in ("[Value]", "[Tensor]"):
        assert sum(r.quantity.endswith(eng) for r in ROWS) == len(ROWS) // 2
    assert {r.document for r in ROWS} == set(cf.DOCUMENTS)


def test_iris_rows_use_the_150_real_rows() -> None:
    r = [r for r in ROWS if r.document == cf.BONDARTSOV and r.equation == "(5a)"][0]
    assert r.shape == (3, 150)


def test_compare_criterion() -> None:
    assert verify.compare([1.0, 2.0], [1.0, 2.0 + 1e-11])[2]
    assert not verify.compare([1.0, 2.0], [1.0, 2.0 + 1e-9])[2]
    assert verify.compare([1e6], [1e6 + 1e-5])[2]  # relative to max |closed form|
    assert not verify.compare([1e6], [1e6 + 1e-3])[2]
    shape, d, ok = verify.compare(np.zeros((2, 3)), np.zeros((3, 2)))
    assert (shape, d, ok) == ((2, 3), None, False)
    assert not verify.compare([np.nan], [np.nan])[2]


def test_main_table_and_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert verify_command.main(["--doc", "cs229"]) == 0
    out = capsys.readouterr().out
    assert "dJ/dW1" in out and "12 of 12 rows pass" in out


def test_main_json_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert verify_command.main(["--json", "--doc", "rosenberg", "--doc", "cs229"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 26 + 12
    for obj in data:
        assert set(obj) == KEYS
        assert isinstance(obj["shape"], list) and isinstance(obj["passed"], bool)
    assert data[0]["document"] == 'Rosenberg, "Some Neural Network Derivative Calculations"'


def test_main_exits_1_when_a_row_fails(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    bad = verify.Row(cf.CS229, "x", "broken [Value]", (1,), 1.0, False)
    monkeypatch.setattr(verify, "SECTIONS", (("cs229", lambda: [bad]),))
    assert verify_command.main([]) == 1
    assert "FAIL" in capsys.readouterr().out
    assert verify_command.main(["--json"]) == 1


def test_verify_is_reachable_from_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from micrograd_ext.commands import cli

    assert cli.main(["verify", "--doc", "cs229"]) == 0
    assert "CS229" in capsys.readouterr().out


def test_errata_section() -> None:
    items = verify.errata()
    assert len(items) >= 9
    for e in items:
        assert e.printed_result.startswith(("disagrees", "cannot be evaluated")), e
        assert e.corrected_agrees, e
    text = verify.format_errata(items)
    assert "Park Python Code 1" in text and "AGREES" not in text and "DISAGREES" not in text
