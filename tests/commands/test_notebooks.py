"""The lesson notebooks of demos/ run top to bottom in a fresh kernel (nbclient), and the outputs stored in
them are exactly those of a fresh run (issue 11): no timing, no memory address, no error.

The oracle for the lessons' numbers is inside the notebooks themselves (hand-derived formulas, central
finite differences, the iris document's closed forms (8) and (14)); here we check that they ran and that
what a reader sees in the stored file is what running it gives.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

DEMOS = Path(__file__).resolve().parents[2] / "demos"
NOTEBOOKS = sorted(DEMOS.glob("lesson*.ipynb"))

nbformat = pytest.importorskip("nbformat", reason="nbformat is a test dependency (pip install -e '.[test]')")
pytest.importorskip("nbclient", reason="nbclient is a test dependency (pip install -e '.[test]')")
pytest.importorskip("ipykernel", reason="ipykernel is a test dependency (pip install -e '.[test]')")


def _runner():
    spec = importlib.util.spec_from_file_location("_run_notebooks", DEMOS / "_run_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_first_lessons_are_there():
    assert [p.stem for p in NOTEBOOKS] == ["lesson1_chain_rule_by_hand", "lesson2_iris_figures",
                                           "lesson3_backward_player"]


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="the stored outputs hold pictures drawn by Graphviz's dot, which is not installed")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_fresh_run_gives_the_stored_outputs(path):
    run = _runner()
    stored = nbformat.read(path, as_version=4)
    code = [c for c in stored.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))  # run top to bottom, once
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\bat 0x[0-9a-f]{6,}", text), "a memory address in the stored outputs"
    assert all("execution" not in c.metadata for c in code), "timing metadata in the stored notebook"
    assert all(o.output_type != "error" for c in code for o in c.outputs)
    fresh = run.execute(path)
    for k, ((n1, o1), (n2, o2)) in enumerate(zip(run.outputs(fresh), run.outputs(stored))):
        assert (n1, o1) == (n2, o2), (f"{path.name}, code cell {k + 1}: the stored output is not what a fresh run "
                                      f"gives; run .venv/bin/python demos/_run_notebooks.py")
