"""Every script in demos/ runs in its fast mode and exits 0 (issue 6)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEMOS = sorted(p for p in (Path(__file__).resolve().parents[2] / "demos").glob("*.py") if not p.name.startswith("_"))


LESSONS = {"chain_rule_by_hand", "moons", "newton", "tanh_derivatives", "taylor_sin", "iris_hessian", "dual_numbers"}
PICTURES = {  # what each higher-order lesson must leave in --out (tests/commands/test_lessons.py checks its numbers)
    "newton": ["newton_vs_gd.png"],
    "tanh_derivatives": ["tanh_derivatives.png", "tanh_second_derivative_graph.svg"],
    "taylor_sin": ["taylor_sin.png"],
    "iris_hessian": ["iris_hessian.png"],
    "dual_numbers": ["dual_numbers_timing.png"],
}


def test_there_is_a_demo_for_each_document_and_the_lessons():
    names = {p.stem for p in DEMOS}
    assert LESSONS <= names
    assert len([n for n in names if n.startswith("doc")]) == 5, names


@pytest.mark.parametrize("script", DEMOS, ids=[p.stem for p in DEMOS])
def test_demo_runs_in_fast_mode(script, tmp_path):
    r = subprocess.run([sys.executable, str(script), "--fast", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, f"{script.name} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    assert "FAIL" not in r.stdout, r.stdout[-3000:]
    if script.stem in PICTURES:
        assert " checks pass" in r.stdout and "SOME CHECKS FAIL" not in r.stdout, r.stdout[-3000:]
        for name in PICTURES[script.stem]:
            if name.endswith(".png") and importlib.util.find_spec("matplotlib") is None:
                continue
            if name.endswith(".svg") and shutil.which("dot") is None:
                name = name[:-4] + ".gv"  # without Graphviz the lesson writes the DOT source
            assert (tmp_path / name).is_file(), f"{script.name} did not write {name}:\n{r.stdout[-2000:]}"


def test_moons_without_matplotlib_still_runs_and_says_how_to_get_it(tmp_path):
    script = next(p for p in DEMOS if p.stem == "moons")
    code = ("import runpy, sys; sys.modules['matplotlib'] = None; "
            f"sys.argv = [{str(script)!r}, '--fast', '--out', {str(tmp_path)!r}]; "
            f"runpy.run_path({str(script)!r}, run_name='__main__')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "matplotlib is not installed" in r.stdout and "pip install" in r.stdout
    assert "decision regions" in r.stdout  # the text map is always printed
    assert not list(tmp_path.glob("*.png"))
