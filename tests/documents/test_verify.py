"""`micrograd-ext verify`: every row and every erratum passes, the JSON has the rows and the errata with their
kinds, categories and tolerances, and the exit status is 1 when anything fails."""

from __future__ import annotations

import json

import pytest

from micrograd_ext.commands import verify as verify_command
from micrograd_ext.documents import common as C
from micrograd_ext.documents import verify

ROWS = verify.all_rows()
ROW_KEYS = {"kind", "document", "equation", "quantity", "shape", "max_abs_diff", "tolerance", "passed"}
ERRATUM_KEYS = ROW_KEYS | {"category", "passage", "printed", "corrected", "printed_result"}


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.document[:12]}|{r.equation}|{r.quantity}" for r in ROWS])
def test_every_row_passes(row: verify.Row) -> None:
    assert row.passed, row
    assert row.max_abs_diff is not None and row.tolerance in (C.RTOL, C.FD_RTOL)


def test_every_quantity_on_both_engines() -> None:
    keys = [(r.document, r.equation, r.quantity.rsplit(" [", 1)[0]) for r in ROWS]
    for eng in C.ENGINES:
        assert sum(r.quantity.endswith(f"[{eng}]") for r in ROWS) == len(ROWS) // 2
    assert all(keys.count(k) == 2 for k in keys)
    assert {r.document for r in ROWS} == {d.name for d in C.DOCUMENTS.values()}


def test_iris_rows_use_the_150_real_rows() -> None:
    r = [r for r in ROWS if r.document == C.BONDARTSOV.name and r.equation == "(5a)"][0]
    assert r.shape == (3, 150)


def test_every_erratum_is_confirmed() -> None:
    checks = verify.errata()
    assert len(checks) == sum(len(fn()) for _, fn in verify.ERRATA)
    assert all(c.passed for c in checks), [c.erratum.equation for c in checks if not c.passed]
    text = verify.format_errata(checks)
    assert "FAIL" not in text and "DISAGREES" not in text and "UNEXPECTED" not in text
    assert verify.errata_summary(checks).startswith(f"{len(checks)} of {len(checks)} errata confirmed")


def test_main_table_errata_and_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert verify_command.main(["--doc", "cs229"]) == 0
    out = capsys.readouterr().out
    n = sum(r.document == C.CS229.name for r in ROWS)
    assert "dJ/dW[1]" in out and f"{n} of {n} rows pass" in out
    assert "CS229 dz[2]/da[1] [author error]" in out and "2 of 2 errata confirmed" in out


def test_main_json_rows_and_errata(capsys: pytest.CaptureFixture[str]) -> None:
    assert verify_command.main(["--json", "--doc", "rosenberg", "--doc", "cs229"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = [o for o in data if o["kind"] == "row"]
    errata = [o for o in data if o["kind"] == "erratum"]
    assert len(rows) == sum(r.document in (C.ROSENBERG.name, C.CS229.name) for r in ROWS)
    assert len(errata) == 5 and data[: len(rows)] == rows  # the rows first, then the errata
    for obj in rows:
        assert set(obj) == ROW_KEYS and isinstance(obj["shape"], list) and obj["passed"] is True
    for obj in errata:
        assert set(obj) == ERRATUM_KEYS and obj["category"] in C.CATEGORIES and obj["tolerance"] == C.RTOL
        assert obj["passed"] is True
    assert data[0]["document"] == 'Rosenberg, "Some Neural Network Derivative Calculations"'


def test_main_exits_1_when_a_row_fails(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    bad = C.Row(C.CS229.name, "x", "broken [Value]", (1,), 1.0, False)
    monkeypatch.setattr(verify, "SECTIONS", (("cs229", lambda: [bad]),))
    monkeypatch.setattr(verify, "ERRATA", ())
    assert verify_command.main([]) == 1
    assert "FAIL" in capsys.readouterr().out
    assert verify_command.main(["--json"]) == 1


def test_main_exits_1_when_an_erratum_fails(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    right = C.Erratum(C.CS229.name, "x", C.AUTHOR, "p", "printed", "corrected", "q", lambda: 1.0, lambda: 1.0,
                      {"Value": lambda: 1.0, "Tensor": lambda: 1.0}, why="a printed form that is right")
    monkeypatch.setattr(verify, "SECTIONS", ())
    monkeypatch.setattr(verify, "ERRATA", (("cs229", lambda: [right]),))
    assert verify_command.main([]) == 1
    assert "FAIL" in capsys.readouterr().out
    assert verify_command.main(["--json"]) == 1
    assert json.loads(capsys.readouterr().out)[0]["passed"] is False


def test_verify_is_reachable_from_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from micrograd_ext.commands import cli

    assert cli.main(["verify", "--doc", "cs229"]) == 0
    assert "CS229" in capsys.readouterr().out
    assert cli.main(["verify", "--doc", "nope"]) == 2  # a usage error: one line on stderr, status 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err
