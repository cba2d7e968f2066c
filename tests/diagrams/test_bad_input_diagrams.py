"""Bad input to the diagrams' entry points (issue 12), and Figure 1's layout.

Figure 1's checks read the drawing itself: the DOT source (which box each node is in) and,
where Graphviz is installed, the coordinates of the rendered SVG (no edge leaves the band
between its two ends, so none loops over the top of the figure).
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import graphviz
import pytest

from micrograd_ext import diagrams as viz
from micrograd_ext.engine import Value
from micrograd_ext.nets.neurons import MLP

HAVE_DOT = shutil.which("dot") is not None
SVG = "{http://www.w3.org/2000/svg}"


def small_graph():
    x, y = Value(3.0, label="x"), Value(-2.0, label="y")
    L = (x * y + x) * y
    L.label = "L"
    L.backward()
    return L, x


def test_draw_paths_to_a_node_outside_the_graph_names_it():
    L, _ = small_graph()
    z = Value(1.0, label="z")
    with pytest.raises(ValueError, match=r"draw_paths: wrt 'z' \(Value\(data=1.0.*is not a node of the graph of root"):
        viz.draw_paths(L, z)


def test_draw_paths_to_the_root_itself_is_the_empty_path():
    L, _ = small_graph()
    g = viz.draw_paths(L, L)
    assert "1 path(s)" in g.source


@pytest.mark.parametrize("fn", ["draw_graph", "draw_network", "draw_paths"])
@pytest.mark.parametrize("option, bad, exc, words", [
    ("rankdir", "XY", ValueError, "rankdir = 'XY'"),
    ("digits", 0, ValueError, "digits = 0"),
    ("digits", 40, ValueError, "digits = 40"),
    ("digits", "4", TypeError, "digits = '4'"),
    ("max_nodes", 0, ValueError, "max_nodes = 0"),
    ("max_nodes", 2.5, TypeError, "max_nodes = 2.5"),
    ("title", 3, TypeError, "title = 3"),
])
def test_drawing_options_are_checked_at_the_entry(fn, option, bad, exc, words):
    L, x = small_graph()
    args = (L, x) if fn == "draw_paths" else (L,)
    with pytest.raises(exc, match=re.escape(f"{fn}: {words}")):
        getattr(viz, fn)(*args, **{option: bad})


def test_draw_paths_limit_is_checked():
    L, x = small_graph()
    with pytest.raises(ValueError, match="draw_paths: limit = 0"):
        viz.draw_paths(L, x, limit=0)


def test_save_takes_the_format_from_the_suffix_or_refuses(tmp_path):
    L, _ = small_graph()
    g = viz.draw_graph(L)
    with pytest.raises(ValueError, match=r"save: cannot write .*foo\.jpg': format 'jpg' is not one this writes"):
        viz.save(g, tmp_path / "foo.jpg")
    with pytest.raises(ValueError, match=r"save: format 'png' for the file .*x\.svg', whose suffix says 'svg'"):
        viz.save(g, tmp_path / "x.svg", "png")
    with pytest.raises(TypeError, match="save: expected a diagram"):
        viz.save("digraph {}", tmp_path / "x.gv")
    with pytest.raises(TypeError, match="save: path"):
        viz.save(g, None)
    assert not list(tmp_path.iterdir())
    assert viz.save(g, tmp_path / "plain", "gv").endswith("plain.gv")
    assert (tmp_path / "plain.gv").read_text() == g.source
    assert viz.save(g, tmp_path / "src.dot") == str(tmp_path / "src.dot")  # DOT source under its other suffix


def test_save_under_a_file_is_one_clear_oserror_and_leaves_nothing(tmp_path):
    L, _ = small_graph()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(NotADirectoryError, match=r"save: cannot create the folder .*afile' is a file, not a folder"):
        viz.save(viz.draw_graph(L), tmp_path / "afile" / "g.gv")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        viz.save(viz.draw_graph(L), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


# -- Figure 1 ---------------------------------------------------------------------------------------------


def _cluster_bodies(source: str) -> dict[str, str]:
    """The text of each `subgraph cluster_* { ... }` block of the DOT source (braces matched)."""
    out = {}
    for m in re.finditer(r"subgraph (cluster_\w+) \{", source):
        depth, k = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(source[k], 0)
            k += 1
        out[m.group(1)] = source[m.end():k]
    return out


def test_figure_1_bias_nodes_are_in_no_layers_box():
    g = viz.draw_network(MLP(4, [8, 3], activation="sigmoid", weighted_sum=True, seed=0))
    bodies = _cluster_bodies(g.source)
    assert {"cluster_inputs", "cluster_layer1", "cluster_layer2"} <= set(bodies)
    for name, body in bodies.items():
        assert "bias1" not in body and "bias2" not in body, (name, body)
    assert '"+1 (bias of layer 2)"' in g.source and '"+1 (bias of layer 1)"' in g.source
    # layer 2's bias is in the column of a(1) (the inputs of layer 2), outside layer 1's box
    m = re.search(r"\{\s*rank=same\s*bias2 \[[^\]]*\]\s*(n\d+)\s*\}", g.source)
    assert m, g.source
    assert re.search(rf'{m.group(1)} \[label="a\(1\)\[8\]"', g.source)


def _path_points(d: str) -> list[tuple[float, float]]:
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]
    return list(zip(nums[0::2], nums[1::2]))


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz 'dot' is not installed")
def test_figure_1_edges_stay_between_their_ends():
    """No edge leaves the vertical band between its two nodes: the edges from x[1] do not loop over the top."""
    g = viz.draw_network(MLP(4, [8, 3], activation="sigmoid", weighted_sum=True, seed=0))
    root = ET.fromstring(g.pipe(format="svg"))
    centre: dict[str, tuple[float, float]] = {}
    for node in root.iter(SVG + "g"):
        if node.get("class") == "node":
            shape = node.find(SVG + "ellipse")
            if shape is not None:
                centre[node.find(SVG + "title").text] = (float(shape.get("cx")), float(shape.get("cy")))
                continue
            shape = node.find(SVG + "polygon")  # a box; a rounded box is a path
            pts = _path_points(shape.get("points") if shape is not None else node.find(SVG + "path").get("d"))
            ys = [p[1] for p in pts]
            centre[node.find(SVG + "title").text] = (0.0, (min(ys) + max(ys)) / 2)
    labels = {m.group(1): m.group(2) for m in re.finditer(r'(n\d+) \[label="([^"]+)"', g.source)}
    checked = 0
    for edge in root.iter(SVG + "g"):
        if edge.get("class") != "edge":
            continue
        path = next(edge.iter(SVG + "path"), None)
        if path is None:  # the invisible edges that keep a column in order
            continue
        src, dst = edge.find(SVG + "title").text.split("->")
        (_, y0), (_, y1) = centre[src], centre[dst]
        lo, hi = min(y0, y1) - 20, max(y0, y1) + 20  # half a node's height of slack
        for _, y in _path_points(path.get("d")):
            assert lo <= y <= hi, (labels.get(src, src), labels.get(dst, dst), y, (y0, y1))
        checked += 1
    assert checked == 4 * 8 + 8 + 8 * 3 + 3 + 8 + 3  # weights, biases, sigma edges


def test_the_network_figure_is_still_a_graphviz_digraph():
    g = viz.draw_network(MLP(2, [3, 1], seed=0))
    assert isinstance(g, graphviz.Digraph) and 'xlabel="w(1)[1,1]"' in g.source
