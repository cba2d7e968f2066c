"""Every script in demos/ runs in its fast mode and exits 0 (issue 6)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DEMOS = sorted(p for p in (Path(__file__).resolve().parents[2] / "demos").glob("*.py") if not p.name.startswith("_"))


def test_there_is_a_demo_for_each_document_and_the_two_lessons():
    names = {p.stem for p in DEMOS}
    assert {"chain_rule_by_hand", "moons"} <= names
    assert len([n for n in names if n.startswith("doc")]) == 5, names


@pytest.mark.parametrize("script", DEMOS, ids=[p.stem for p in DEMOS])
def test_demo_runs_in_fast_mode(script, tmp_path):
    r = subprocess.run([sys.executable, str(script), "--fast", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, f"{script.name} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    assert "FAIL" not in r.stdout, r.stdout[-3000:]


def test_moons_demo_is_the_train_commands_run_with_its_seed(tmp_path):
    """demos/moons.py (seed 1337) says which `micrograd-ext train` run it is, and that run reports the same numbers."""
    script = next(p for p in DEMOS if p.stem == "moons")
    r = subprocess.run([sys.executable, str(script), "--fast", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    cmd = re.search(r"the same run as: micrograd-ext (train .*)\)", r.stdout).group(1).split()
    assert cmd[cmd.index("--seed") + 1] == "1337"
    demo = re.search(r"training accuracy after \d+ steps: ([\d.]+)% \(loss (\S+)\)", r.stdout).groups()
    t = subprocess.run([sys.executable, "-m", "micrograd_ext", *cmd], capture_output=True, text=True, timeout=120)
    assert t.returncode == 0, t.stderr
    assert "seed 1337" in t.stdout
    train = re.search(r"final training accuracy: ([\d.]+)% .*, loss (\S+)", t.stdout).groups()
    assert demo == train
    assert (tmp_path / "moons_decision_boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
