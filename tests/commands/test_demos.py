"""Every script in demos/ runs in its fast mode and exits 0 (issue 6)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEMOS = sorted(p for p in (Path(__file__).resolve().parents[2] / "demos").glob("*.py") if not p.name.startswith("_"))


LESSONS = {"chain_rule_by_hand", "moons", "newton", "tanh_derivatives", "taylor_sin", "iris_hessian", "dual_numbers",
           "gpt_names"}
PICTURES = {  # what each higher-order lesson must leave in --out (tests/commands/test_lessons.py checks its numbers)
    "newton": ["newton_vs_gd.png"],
    "tanh_derivatives": ["tanh_derivatives.png", "tanh_second_derivative_graph.svg"],
    "taylor_sin": ["taylor_sin.png"],
    "iris_hessian": ["iris_hessian.png"],
    "dual_numbers": ["dual_numbers_timing.png"],
    "gpt_names": ["gpt_top_paths.svg"],
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


def test_gpt_names_demo_trains_samples_and_counts_paths(tmp_path):
    """demos/gpt_names.py --fast: the loss goes down, names are sampled, and the path count is count_paths's."""
    script = next(p for p in DEMOS if p.stem == "gpt_names")
    r = subprocess.run([sys.executable, str(script), "--fast", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    losses = [float(x) for x in re.findall(r"step +\d+: loss ([\d.]+)", r.stdout)]
    assert len(losses) >= 3 and losses[-1] < losses[0] < 3.4, r.stdout  # ln 27 = 3.30 at the start
    samples = r.stdout.split("sampled names (temperature 0.5):\n", 1)[1].splitlines()[0].strip().split(", ")
    assert len(samples) == 6 and all(re.fullmatch(r"[a-z]+|\(empty\)", s) for s in samples), samples
    count = int(re.search(r"is a sum over ([\d,]+) chain-rule paths", r.stdout).group(1).replace(",", ""))
    assert count > 10**6  # far too many to list; the top-3 were found without listing them
    assert r.stdout.count("    path ") == 3
    svg = (tmp_path / "gpt_top_paths.svg").read_text() if shutil.which("dot") else (tmp_path / "gpt_top_paths.gv").read_text()
    assert "with the largest |product|" in svg
