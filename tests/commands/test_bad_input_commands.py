"""The command line under bad paths and options (issue 12), each case run as a subprocess.

A command prints ONE line to stderr and exits non-zero, never a traceback; it writes no
file it was not asked for, and refuses a format it cannot write instead of writing the
wrong bytes.  `bash run.sh` resolves relative paths against the caller's folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
HAVE_DOT = shutil.which("dot") is not None


def cli(*args: str, cwd: Path, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "micrograd_ext", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env={**os.environ, **(env or {})})


def one_line_error(r: subprocess.CompletedProcess, *words: str) -> str:
    """The run failed with exactly one line on stderr, containing every word, and no traceback."""
    assert r.returncode != 0, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "Error:" not in r.stderr.split(":", 1)[0], r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def test_draw_out_under_a_file(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    r = cli("draw", "--sizes", "2,2,1", "--out", "afile/x.svg", cwd=tmp_path)
    one_line_error(r, "micrograd-ext draw:", "'afile' is a file, not a folder")
    assert (tmp_path / "afile").read_text() == "not a folder"


def test_tour_out_under_a_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    r = cli("tour", "--fast", "--no-progress", "--out", "afile/sub", cwd=tmp_path)
    one_line_error(r, "micrograd-ext tour: --out: cannot create the folder", "is a file, not a folder")
    assert "1. The data" not in r.stdout  # it stops before doing anything


def _unwritable() -> Path | None:
    """A folder that cannot be written, even as root (sysfs refuses new entries)."""
    p = Path("/sys")
    if sys.platform.startswith("linux") and p.is_dir():
        try:
            (p / "micrograd_ext_probe").mkdir()
        except OSError:
            return p
        (p / "micrograd_ext_probe").rmdir()  # pragma: no cover
    return None


@pytest.mark.skipif(_unwritable() is None, reason="no unwritable folder on this machine")
@pytest.mark.parametrize("cmd", [["draw", "--sizes", "2,2,1", "--out"], ["tour", "--fast", "--no-progress", "--out"]])
def test_unwritable_folder(tmp_path, cmd):
    target = str(_unwritable() / "micrograd_ext_test" / ("x.svg" if cmd[0] == "draw" else "out"))
    r = cli(*cmd, target, cwd=tmp_path)
    one_line_error(r, f"micrograd-ext {cmd[0]}:", "cannot create the folder")


@pytest.mark.parametrize("args, words", [
    (["--out", "foo.jpg"], ["format 'jpg' is not one this writes", ".svg, .png, .pdf, .gv"]),
    (["--out", "foo.svg", "--format", "png"], ["format 'png' for the file 'foo.svg'"]),
    (["--out", "foo"], []),  # no suffix: --format (svg by default) gives it
])
def test_draw_format_comes_from_the_suffix_or_is_refused(tmp_path, args, words):
    r = cli("draw", "--sizes", "2,2,1", *args, "--max-nodes", "50", cwd=tmp_path)
    if words:
        one_line_error(r, *words)
        assert not list(tmp_path.iterdir())  # nothing written, certainly not SVG bytes in foo.jpg
    else:
        assert r.returncode in (0, 1), r.stderr  # 1: dot missing (then the .gv is written)
        assert (tmp_path / ("foo.svg" if HAVE_DOT else "foo.gv")).exists()


@pytest.mark.parametrize("args, words", [
    (["--what", "graph", "--wrt", "w(1)[1,1]"], ["--wrt does nothing with --what graph", "--whole"]),
    (["--what", "network", "--wrt", "w(1)[1,1]"], ["--wrt does nothing with --what network"]),
    (["--what", "network", "--whole"], ["--whole does nothing with --what network"]),
    (["--what", "network", "--edge-labels"], ["--edge-labels does nothing with --what network"]),
    (["--wrt", "w(1)[1,1]", "--color-grad"], ["--color-grad does nothing with --what paths"]),
    (["--wrt", "w(1)[9,9]"], ["no node labelled 'w(1)[9,9]'", "w(1)[1,0]"]),
    (["--wrt", "weight 3"], ["--wrt 'weight 3' is not a label", "w(1)[3,2]"]),
    (["--samples", "0"], ["--samples 0"]),
    (["--samples", "x"], ["--samples: invalid int value: 'x'"]),
    (["--max-nodes", "0"], ["draw_network: max_nodes = 0"]),
    (["--seed", "-1"], ["seed = -1"]),
    (["--sizes", "2,0,1"], ["--sizes '2,0,1'"]),
    (["--row", "150"], ["--row 150 (expected an iris row from 0 to 149"]),
    (["--row", "3", "--samples", "2"], ["--row picks the iris rows itself"]),
])
def test_draw_bad_options(tmp_path, args, words):
    r = cli("draw", *args, "--out", "x.gv", cwd=tmp_path)
    one_line_error(r, "micrograd-ext draw:", *words)
    assert not (tmp_path / "x.gv").exists()


def test_draw_load_missing_file_and_wrong_architecture(tmp_path):
    r = cli("draw", "--load", "nothing.npz", "--out", "x.gv", cwd=tmp_path)
    one_line_error(r, "--load 'nothing.npz': no such file")
    from micrograd_ext.nets.neurons import MLP

    MLP(4, [8, 3], activation="sigmoid", weighted_sum=True, seed=0).save(tmp_path / "iris.npz")
    r = cli("draw", "--sizes", "2,2,1", "--load", "iris.npz", "--out", "x.gv", cwd=tmp_path)
    one_line_error(r, "load_state_dict: the state does not fit MLP", "unchanged", "unexpected: layers.0.neurons.0.w.2")
    np.save(tmp_path / "arr.npy", np.zeros(3))
    r = cli("draw", "--load", "arr.npy", "--out", "x.gv", cwd=tmp_path)
    one_line_error(r, "is a .npy file (one array)")
    assert not (tmp_path / "x.gv").exists()


@pytest.mark.parametrize("cmd, words", [
    (["tour", "--epochs", "0"], ["micrograd-ext tour: --epochs 0"]),
    (["tour", "--seed", "-3"], ["micrograd-ext tour: --seed -3"]),
    (["tour", "--epochs", "many"], ["--epochs: invalid int value"]),
    (["train", "--samples", "1"], ["micrograd-ext train: --samples 1"]),
    (["train", "--seed", "-1"], ["micrograd-ext train: --seed -1"]),
    (["verify", "--doc", "nope"], ["--doc: invalid choice: 'nope'"]),
    (["nope"], ["unknown command 'nope'"]),
])
def test_other_commands_bad_options(tmp_path, cmd, words):
    one_line_error(cli(*cmd, cwd=tmp_path), *words)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("args", [["verify"], ["verify", "--json"], ["--help"]])
def test_a_closed_pipe_ends_quietly(tmp_path, args):
    """`micrograd-ext verify | head`: the reader goes away; no BrokenPipeError traceback, status 141."""
    p = subprocess.Popen([sys.executable, "-m", "micrograd_ext", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=tmp_path)
    p.stdout.close()  # before the command has written anything (it is still importing)
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err and err.strip() == "", err


def test_a_closed_pipe_through_head(tmp_path):
    r = subprocess.run(["bash", "-c", f"'{sys.executable}' -m micrograd_ext verify | head -n 2; "
                                      "echo \"status ${PIPESTATUS[0]}\""], capture_output=True, text=True,
                       cwd=tmp_path, timeout=120)
    assert "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr, r.stderr
    assert len(r.stdout.splitlines()) == 3
    assert r.stdout.splitlines()[-1] in ("status 141", "status 0")  # 0 when the table fit in the pipe at once


def test_run_sh_writes_relative_paths_under_the_callers_folder(tmp_path):
    r = subprocess.run(["bash", str(REPO / "run.sh"), "draw", "--sizes", "2,2,1", "--out", "relout/net.gv"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "wrote relout/net.gv" in r.stdout
    assert (tmp_path / "relout" / "net.gv").read_text().startswith("digraph")
    assert not (REPO / "relout").exists()


def test_train_says_its_seed_and_how_to_get_the_demos_run(tmp_path):
    r = cli("train", "--fast", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "seed 0" in r.stdout and "demos/moons.py uses micrograd's seed 1337; --seed 1337 gives its run" in r.stdout


def test_an_unexpected_error_is_one_line_too(tmp_path):
    """Even a bug ends in one line (with the hint to get the traceback), and MICROGRAD_EXT_DEBUG shows it."""
    code = ("import sys; from micrograd_ext.commands._run import run\n"
            "def body():\n    raise KeyError('boom')\n"
            "sys.exit(run('micrograd-ext demo', body))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    one_line_error(r, "micrograd-ext demo: internal error, KeyError", "MICROGRAD_EXT_DEBUG=1")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60,
                       env={**os.environ, "MICROGRAD_EXT_DEBUG": "1"})
    assert "Traceback" in r.stderr and "KeyError: 'boom'" in r.stderr
