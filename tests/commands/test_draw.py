"""Tests of the ``micrograd-ext draw`` command (micrograd_ext.draw.main).

Oracles: the structure of a net given by its layer sizes is known (a 2-3-1 net has
2 x 3 + 3 + 3 + 1 weights; a last-layer weight has one path to C, a first-layer
weight one path per output), the written SVG is parsed with xml.etree, and the
printed path sum is compared with the weight's gradient by central finite differences.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import pytest

import micrograd_ext.nets.neurons  # noqa: F401
from micrograd_ext.commands.draw import build_net, main  # noqa: E402

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz 'dot' is not installed")
SVG = "{http://www.w3.org/2000/svg}"


def svg_node_titles(path) -> list[str]:
    root = ET.parse(path).getroot()
    return [g.find(SVG + "title").text for g in root.iter(SVG + "g") if g.get("class") == "node"]


@needs_dot
def test_network_figure_for_sizes(tmp_path, capsys):
    out = tmp_path / "net.svg"
    assert main(["--sizes", "2,3,1", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    titles = svg_node_titles(out)
    # inputs 2 + (z, a) x (3 + 1) + C as value nodes, plus one +1 node per layer
    assert len([t for t in titles if re.fullmatch(r"n\d+", t)]) == 2 + 2 * 4 + 1
    assert {"bias1", "bias2"} <= set(titles)


@needs_dot
def test_paths_to_named_weight(tmp_path, capsys):
    out = tmp_path / "p.svg"
    assert main(["--sizes", "2,3,2", "--wrt", "w(1)[2,1]", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2 path(s)" in text and "agrees" in text and f"wrote {out}" in text
    titles = svg_node_titles(out)
    assert len([t for t in titles if re.fullmatch(r"n\d+", t)]) == 1 + 2 + 2 + 1 + 1 + 1


def test_gv_format_needs_no_dot(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "g.gv"
    assert main(["--what", "graph", "--edge-labels", "--sizes", "2,2,1", "--out", str(out)]) == 0
    src = out.read_text()
    assert src.startswith("digraph") and 'label="x[1] = ' in src  # dz/dw(1)[i,1] = x[1], eq. (10b)


def test_dot_missing_writes_source_and_says_how_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "fig.png"
    assert main(["--sizes", "2,2,1", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "apt-get install graphviz" in captured.err
    assert (tmp_path / "fig.gv").exists() and not out.exists()


def test_bad_arguments(tmp_path, capsys):
    assert main(["--sizes", "2,2,1", "--wrt", "w(9)[1,1]", "--format", "gv", "--out", str(tmp_path / "a.gv")]) == 2
    assert "no node labelled 'w(9)[1,1]'" in capsys.readouterr().err
    assert main(["--sizes", "2,x", "--out", str(tmp_path / "b.gv")]) == 2
    assert "--sizes '2,x'" in capsys.readouterr().err
    assert main(["--what", "paths", "--sizes", "2,1"]) == 2
    assert not list(tmp_path.iterdir())


def test_path_sum_matches_finite_differences():
    from micrograd_ext.commands.draw import find_node
    from micrograd_ext.diagrams.chain import paths

    net, C = build_net([3, 4, 2], samples=2, seed=3)
    w = find_node(C, "w(1)[2,3]")
    total = paths(C, w).total
    h = 1e-6
    w0 = w.data
    w.data = w0 + h
    _, Cp = _rebuild(net)
    w.data = w0 - h
    _, Cm = _rebuild(net)
    w.data = w0
    assert total == pytest.approx((Cp - Cm) / (2 * h), rel=1e-6, abs=1e-9)


def _rebuild(net):
    """The loss of build_net([3, 4, 2], samples=2, seed=3) recomputed with the net's current weights."""
    import random

    from micrograd_ext.engine import Value

    rng = random.Random(3)
    xs = [[round(rng.uniform(-1, 1), 3) for _ in range(3)] for _ in range(2)]
    ys = [[float(rng.random() < 0.5) for _ in range(2)] for _ in range(2)]
    outs = []
    for row in xs:
        outs.extend(net([Value(v) for v in row]))
    C = Value.nary("bce", outs, targets=[t for r in ys for t in r], scale=0.5)
    return outs, C.data
