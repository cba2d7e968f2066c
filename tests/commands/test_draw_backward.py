"""``micrograd-ext draw --what backward`` (issue 11): the page, the GIF and the numbered frames, for the README's
expression or a net, and a clear one-line error where something is missing.

Oracles: the README expression's pass has 6 steps (one per edge: L has 2, v 2, u 2) and its gradients
are known by hand (dL/dx = y^2 + y = 2, dL/dy = 2xy + x = -9); a 2-3-1 sigmoid net on one sample has
2*3 + 3 + 3 + 1 parameters, and its pass one step per edge out of a node with a non-zero gradient.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from micrograd_ext.commands.draw import main

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz 'dot' is not installed")


def page_data(path) -> dict:
    text = path.read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" class="bp-data">(.*?)</script>', text, re.S)
                      .group(1))


def test_the_expression_as_a_page(tmp_path, capsys):
    out = tmp_path / "pass.html"
    assert main(["--what", "backward", "--expression", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "backward pass of L = (x*y + x)*y: 6 steps, 5 nodes, 9 frames" in text
    assert f"wrote {out}" in text
    data = page_data(out)
    assert {n["key"]: n["fin"] for n in data["nodes"]} == {"x": 2.0, "y": -9.0, "u": -2.0, "v": -2.0, "L": 1.0}


def test_a_net_as_a_page_by_default_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["--what", "backward", "--sizes", "2,3,1"]) == 0
    data = page_data(tmp_path / "backward.html")
    params = [n for n in data["nodes"] if n["key"].startswith("w(")]
    assert len(params) == 2 * 3 + 3 + 3 + 1
    assert len(data["frames"]) == len(data["steps"]) + 3


@needs_dot
def test_gif_and_numbered_frames(tmp_path, capsys):
    from PIL import Image

    gif = tmp_path / "pass.gif"
    assert main(["--what", "backward", "--expression", "--format", "gif", "--out", str(gif)]) == 0
    with Image.open(gif) as im:
        assert im.n_frames == 9
    folder = tmp_path / "frames"
    assert main(["--what", "backward", "--expression", "--format", "svg", "--out", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [f"frame_{k:03d}.svg" for k in range(9)]
    assert main(["--what", "backward", "--expression", "--format", "png", "--out", str(tmp_path / "p.png")]) == 0
    assert len(list((tmp_path / "p").glob("frame_*.png"))) == 9
    assert "wrote 9 frames" in capsys.readouterr().out


@needs_dot
def test_the_iris_frames_fit_their_boxes():
    """Every node's box is wide enough for every text it shows: dot warns of no label too big."""
    from micrograd_ext import viz
    from micrograd_ext.commands.draw import build_net

    _, C = build_net(None, samples=1, seed=0)
    rec = viz.backward_steps(C)
    last = len(rec.frame_states()) - 1
    for k in (0, 1, 40, 70, 100, 120, last):
        r = subprocess.run(["neato", "-n2", "-Tsvg"], input=rec.frame(k).source, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0 and "too small" not in r.stderr, (k, r.stderr[:500])


def test_without_dot_the_page_still_works_and_the_rest_says_why(tmp_path, capsys, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "pass.html"
    assert main(["--what", "backward", "--expression", "--out", str(out)]) == 0
    assert "own layout" in capsys.readouterr().out and page_data(out)["layout"] == "layered"
    assert main(["--what", "backward", "--expression", "--format", "gif", "--out", str(tmp_path / "a.gif")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "apt-get install graphviz" in err and "--format html needs no Graphviz" in err
    assert main(["--what", "backward", "--expression", "--format", "svg", "--out", str(tmp_path / "f")]) == 1
    captured = capsys.readouterr()
    assert "DOT source of the 9 frames instead" in captured.out and captured.err.count("\n") == 1
    assert len(list((tmp_path / "f").glob("frame_*.gv"))) == 9


def test_bad_combinations_are_one_line_errors(tmp_path, capsys):
    assert main(["--what", "backward", "--format", "pdf", "--out", str(tmp_path / "x.pdf")]) == 2
    assert "--what backward --format pdf (expected one of html, gif, svg, png, gv" in capsys.readouterr().err
    assert main(["--format", "html", "--out", str(tmp_path / "x.html")]) == 2
    assert "--format html is for --what backward" in capsys.readouterr().err
    assert main(["--expression"]) == 2
    assert "--expression is for --what backward" in capsys.readouterr().err
    assert main(["--what", "backward", "--expression", "--max-nodes", "3", "--out", str(tmp_path / "y.html")]) == 1
    assert "more than max_nodes=3" in capsys.readouterr().err


def test_the_command_line_never_ends_in_a_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "micrograd_ext", "draw", "--what", "backward", "--format", "pdf"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1
