"""Tests of micrograd_ext.viz: DOT source read without Graphviz, real SVG rendered with dot, and dot missing.

Oracles: the graphs are built here by hand, so the expected nodes and edges are
known (Bondartsov's Figure 2 has exactly C, a(2)_i, z(2)_i, w(2)_ij; Figure 3 has
one path through each of the 3 outputs); local derivatives are checked against
their closed forms; rendered SVG is parsed with xml.etree.
"""

from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from micrograd_ext import diagrams as viz
from micrograd_ext.diagrams import dot
from micrograd_ext.engine import Value
from tests.diagrams.test_chain import iris_like

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz 'dot' is not installed")
SVG = "{http://www.w3.org/2000/svg}"

NODE_RE = re.compile(r'^\s*("?[\w]+"?) \[(.*)\]\s*$')
EDGE_RE = re.compile(r'^\s*("?[\w]+"?) -> ("?[\w]+"?)(?: \[(.*)\])?\s*$')


def parse_dot(src: str):
    """(nodes {id: attr text}, edges [(a, b, attr text)]) from DOT source, one statement per line."""
    nodes, edges = {}, []
    for line in src.splitlines():
        m = EDGE_RE.match(line)
        if m:
            edges.append((m.group(1).strip('"'), m.group(2).strip('"'), m.group(3) or ""))
            continue
        m = NODE_RE.match(line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            nodes[m.group(1).strip('"')] = m.group(2)
    return nodes, edges


def label_of(attrs: str) -> str:
    m = re.search(r'label="((?:[^"\\]|\\.)*)"', attrs) or re.search(r"label=(\S+)", attrs)
    return m.group(1) if m else ""


def value_nodes(nodes):
    return {k: v for k, v in nodes.items() if re.fullmatch(r"n\d+", k)}


def svg_titles(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    return [g.find(SVG + "title").text for g in root.iter(SVG + "g") if g.get("class") == "node"]


# -- draw_graph --------------------------------------------------------------------------


def test_graph_nodes_edges_and_na_before_backward():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    g = viz.draw_graph(y)
    assert isinstance(g, viz.Diagram) and g.graph_attr["rankdir"] == "LR"
    nodes, edges = parse_dot(g.source)
    assert set(value_nodes(nodes)) == {"n0", "n1"}  # y is n0 (root), x is n1
    assert "n0_op" in nodes and label_of(nodes["n0_op"]) == "*"
    assert [(a, b) for a, b, _ in edges].count(("n1", "n0_op")) == 2  # x * x keeps both edges
    assert "grad n/a" in label_of(nodes["n1"])
    y.backward()
    nodes, _ = parse_dot(viz.draw_graph(y).source)
    assert "grad 6" in label_of(nodes["n1"]) and "grad 1" in label_of(nodes["n0"])


def test_never_negative_zero_and_number_format():
    a = Value(-0.0, label="a")
    b = a * 2.0
    b.backward()
    src = viz.draw_graph(b).source
    assert "-0" not in src.replace("->", "")
    assert dot._fmt(-0.0) == "0" and dot._fmt(1.23456789e-7) == "1.235e-07"


def test_edge_labels_formula_and_number():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b
    d = c.tanh()
    d.label = "d"
    d.backward()
    g = viz.draw_graph(d, edge_labels=True)
    _, edges = parse_dot(g.source)
    labels = [label_of(attr) for _, _, attr in edges if "label=" in attr]
    # d(a*b)/da = b = -3, d(a*b)/db = a = 2, dtanh/dc = 1 - out^2
    assert "b = -3" in labels and "a = 2" in labels
    t = 1 - np.tanh(-6.0) ** 2
    assert f"1 - d^2 = {t:.4g}" in labels  # the rule's 'out' named by the node's label
    # operands named by their labels; an unlabelled operand leaves the rule's own names
    p, q = Value(2.0, label="x1"), Value(-3.0, label="w1")
    r = p * q
    assert sorted(label_of(a) for _, _, a in parse_dot(viz.draw_graph(r, edge_labels=True).source)[1]
                  if "label=" in a) == ["w1 = -3", "x1 = 2"]
    u = p * Value(5.0)
    assert "b = 5" in viz.draw_graph(u, edge_labels=True).source


def test_stable_ids_and_escaped_labels():
    def build():
        p = Value(1.5, label='we{ir}d|"lab\\el"<x>')
        q = Value(2.0)
        return (p * q + p).sigmoid()

    s1, s2 = viz.draw_graph(build()).source, viz.draw_graph(build()).source
    assert s1 == s2
    assert "0x" not in s1  # no memory addresses
    assert r"we\{ir\}d\|\"lab\\el\"\<x\>" in s1


@needs_dot
def test_escaped_label_renders_to_svg():
    p = Value(1.5, label='we{ir}d|"lab\\el"<x>')
    r = (p * 2.0).exp()
    data = viz.draw_graph(r).pipe(format="svg")
    texts = [t.text for t in ET.fromstring(data).iter(SVG + "text")]
    assert 'we{ir}d|"lab\\el"<x>' in texts


def test_color_by_grad_and_clusters():
    C, x, W1, W2, *_ = iris_like()
    C.backward()
    g = viz.draw_graph(C, color_by_grad=True)
    src = g.source
    assert "subgraph cluster_layer1" in src and "subgraph cluster_layer2" in src
    nodes, _ = parse_dot(src)
    ids = {label_of(v).split("|")[0].strip(): k for k, v in value_nodes(nodes).items()}
    pos = nodes[ids["w(2)[2,1]"]] if W2[1][1].grad > 0 else nodes[ids["w(2)[1,1]"]]
    assert "fillcolor" in pos
    w = W2[1][1]
    want_red = w.grad > 0
    fill = re.search(r'fillcolor="(#\w+)"', nodes[ids["w(2)[2,1]"]]).group(1)
    r, b = int(fill[1:3], 16), int(fill[5:7], 16)
    assert (r > b) == want_red


def test_size_limit_refuses_with_advice():
    v = Value(0.5)
    for _ in range(200):
        v = v.tanh()
    with pytest.raises(viz.GraphTooLargeError) as e:
        viz.draw_graph(v)
    msg = str(e.value)
    assert "max_nodes=300" in msg and "draw_paths" in msg and "collapse=True" in msg
    assert viz.draw_graph(v, max_nodes=None).source


def test_collapsed_network_like_figure1():
    C, x, W1, W2, *_ = iris_like()
    C.backward()
    g = viz.draw_graph(C, collapse=True)
    nodes, edges = parse_dot(g.source)
    labels = {label_of(v).split("\\n")[0] for k, v in nodes.items() if re.fullmatch(r"n\d+", k)}
    assert labels == {f"x[{j}]" for j in range(1, 5)} | {f"z(1)[{i}]" for i in range(1, 9)} | {
        f"a(1)[{i}]" for i in range(1, 9)} | {f"z(2)[{i}]" for i in range(1, 4)} | {
        f"a(2)[{i}]" for i in range(1, 4)} | {"C"}
    assert not any(lab.startswith("w(") for lab in labels)  # weights are edges
    visible = [e for e in edges if "invis" not in e[2]]
    weight_edges = [e for e in visible if "tooltip" in e[2] and "w(" in e[2]]
    assert len(weight_edges) == 8 * 5 + 3 * 9  # every weight, biases from the +1 nodes
    assert {"bias1", "bias2"} <= set(nodes)


def test_tensor_graph_shapes_and_matrix_rules():
    from micrograd_ext.core.tensor import Tensor

    A = Tensor(np.ones((2, 3)), requires_grad=True, label="A")
    B = Tensor(np.ones((3, 4)), requires_grad=True, label="W")
    Z = (A @ B).sum()
    Z.label = "L"
    g = viz.draw_graph(Z)
    src = g.source
    assert "shape (2, 3)" in src and "shape (3, 4)" in src
    assert "dA = dZ B^T" in src and "dB = A^T dZ" in src
    assert "grad n/a" in src
    Z.backward()
    assert "grad n/a" not in viz.draw_graph(Z).source


# -- draw_paths ----------------------------------------------------------------------------


def test_figure2_exactly_the_path_nodes():
    C, x, W1, W2, a1, *_ = iris_like()
    C.backward()
    w = W2[0][2]
    g = viz.draw_paths(C, w)
    nodes, edges = parse_dot(g.source)
    vals = value_nodes(nodes)
    assert sorted(label_of(v).split("|")[0].strip() for v in vals.values()) == sorted(
        ["C", "a(2)[1]", "z(2)[1]", "w(2)[1,2]"])
    path_edges = [e for e in edges if e[0] in vals]
    assert len(path_edges) == 3
    assert [k for k in nodes if k.startswith("legend_path")] == ["legend_path1"]
    # the legend states the sum and the agreement with backward
    legend = label_of(nodes["legend_sum"])
    assert "equal" in legend and dot._fmt(w.grad, 10) in legend
    # edge labels: partial, formula and number
    lab = [label_of(a) for s, d, a in path_edges if label_of(nodes[s]).startswith("w(2)[1,2]")][0]
    # eq. (5c): dz(2)_1/dw(2)_1,2 = a(1)_2, the rule's x_j named by the partner input
    assert "∂z(2)[1]/∂w(2)[1,2]" in lab and f"a(1)[2] = {dot._fmt(a1[1].data)}" in lab


def test_figure3_three_paths_one_colour_each():
    C, x, W1, W2, *_ = iris_like()
    C.backward()
    g = viz.draw_paths(C, W1[2][2])
    nodes, edges = parse_dot(g.source)
    assert len(value_nodes(nodes)) == 1 + 3 + 3 + 1 + 1 + 1  # C, a(2)x3, z(2)x3, a(1)_3, z(1)_3, w
    assert [k for k in nodes if k.startswith("legend_path")] == ["legend_path1", "legend_path2", "legend_path3"]
    colors = {re.search(r'fontcolor="(#\w+)"', nodes[f"legend_path{k}"]).group(1) for k in (1, 2, 3)}
    assert len(colors) == 3
    # the shared edges carry one strand per path
    shared = [a for _, _, a in edges if re.search(r'color="#\w+:#\w+:#\w+"', a)]
    assert len(shared) == 2  # w -> z(1)_3 and z(1)_3 -> a(1)_3
    assert "3 path(s)" in g.text and "agrees" in g.text


def test_paths_whole_graph_highlighted():
    C, x, W1, W2, *_ = iris_like()
    C.backward()
    g = viz.draw_paths(C, W1[2][2], whole=True)
    nodes, edges = parse_dot(g.source)
    assert len(value_nodes(nodes)) > 80  # the whole graph
    coloured = [e for e in edges if "penwidth=2" in e[2]]
    grey = [e for e in edges if dot._GREY in e[2]]
    assert coloured and len(grey) > len(coloured)


def test_paths_before_backward_says_na_and_limit():
    C, x, W1, W2, *_ = iris_like()
    g = viz.draw_paths(C, W1[0][0])
    assert "n/a" in label_of(parse_dot(g.source)[0]["legend_sum"])
    with pytest.raises(ValueError, match="draw_paths: .*3 paths"):
        viz.draw_paths(C, W1[0][0], limit=2)


# -- output: files, Jupyter, dot missing ------------------------------------------------------


@needs_dot
def test_render_svg_png_pdf(tmp_path):
    C, x, W1, W2, *_ = iris_like()
    C.backward()
    g = viz.draw_paths(C, W2[0][2])
    svg = viz.save(g, str(tmp_path / "f2.svg"))
    titles = svg_titles(open(svg, "rb").read())
    vals = [t for t in titles if re.fullmatch(r"n\d+", t)]
    assert len(vals) == 4
    assert open(viz.save(g, str(tmp_path / "f2.png")), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert open(viz.save(g, str(tmp_path / "f2.pdf")), "rb").read(5) == b"%PDF-"
    gv = viz.save(g, str(tmp_path / "f2.gv"))
    assert open(gv, encoding="utf-8").read() == g.source
    bundle = g._repr_mimebundle_()
    assert "image/svg+xml" in bundle
    with pytest.raises(ValueError, match=r"format .jpg. is not one this writes \(expected a file name ending in one of \.svg, \.png, \.pdf, \.gv"):
        viz.save(g, str(tmp_path / "f.jpg"))


@pytest.fixture
def no_dot(tmp_path, monkeypatch):
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None
    return tmp_path


def test_dot_missing_clear_error_and_fallback(no_dot):
    C, x, W1, W2, *_ = iris_like()
    C.backward()
    g = viz.draw_paths(C, W1[2][2])
    assert "digraph" in g.source  # no dot needed for the source
    with pytest.raises(viz.DotNotFoundError) as e:
        g.pipe(format="svg")
    assert "apt-get install graphviz" in str(e.value) and "brew install graphviz" in str(e.value)
    with pytest.raises(viz.DotNotFoundError):
        viz.save(g, str(no_dot / "x.png"))
    with pytest.raises(viz.DotNotFoundError):
        g.render(str(no_dot / "y"), format="pdf")
    assert os.path.exists(viz.save(g, str(no_dot / "x.gv")))
    bundle = g._repr_mimebundle_()
    assert "dC/dw(1)[3,2]" in bundle["text/plain"] and "path 3:" in bundle["text/plain"]
    assert "apt-get install graphviz" in bundle["text/plain"]
    assert "<pre" in bundle["text/html"] and "image/svg+xml" not in bundle
    assert g._repr_svg_() is None  # what Jupyter gets as image/svg+xml is SVG or nothing
    whole = viz.draw_graph(C)._repr_mimebundle_()
    assert "graph of C" in whole["text/plain"]


def test_draw_network_from_model():
    from micrograd_ext.nets import neurons as nn
    net = nn.MLP(4, [8, 3], activation="sigmoid", weighted_sum=True, seed=1)
    g = viz.draw_network(net)
    nodes, edges = parse_dot(g.source)
    labels = {label_of(v) for k, v in nodes.items() if re.fullmatch(r"n\d+", k)}
    assert {"x[1]", "z(1)[8]", "a(1)[8]", "z(2)[3]", "a(2)[3]"} <= labels
    assert len([e for e in edges if "tooltip" in e[2]]) == 8 * 5 + 3 * 9
