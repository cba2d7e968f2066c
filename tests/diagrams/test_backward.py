"""Tests of micrograd_ext.viz.backward_steps and its frames (issue 11).

Oracles: a twin graph built by the same program and run through a plain
``backward()`` (the recording must reproduce its gradients bit for bit); the edges
read with ``edges(node)`` after that plain pass (one step per edge out of a node
with a non-zero gradient); local derivative x upstream recomputed here; central
finite differences for the iris net; hand-computed sums for the README expression
(dL/dx = y^2 + y = 2 from the terms -2 and 4, dL/dy = 2xy + x = -9 from -3 and -6).
"""

from __future__ import annotations

import html
import math
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd_ext import viz
from micrograd_ext.core.graph import creation_number, edges, topological_order
from micrograd_ext.engine import Value
from micrograd_ext.tensor import Tensor

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz 'dot' is not installed")


def expression():
    """The README's expression: L = (x*y + x) * y at x = 3, y = -2."""
    x = Value(3.0, label="x")
    y = Value(-2.0, label="y")
    u = x * y
    u.label = "u"
    v = u + x
    v.label = "v"
    L = v * y
    L.label = "L"
    return L, x, y, u, v


# -- random programs: operands picked among all values so far (shared subexpressions) ---------------

BINARY = ["+", "-", "*", "/"]
UNARY = ["tanh", "sigmoid", "exp", "square", "relu", "neg"]


def apply(op, a, b=None):
    return {
        "+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / (b * b + 1.0),
        "tanh": lambda: a.tanh(), "sigmoid": lambda: a.sigmoid(), "exp": lambda: (a * 0.3).exp(),
        "square": lambda: a ** 2, "relu": lambda: a.relu(), "neg": lambda: -a,
    }[op]()


step = st.one_of(
    st.tuples(st.sampled_from(BINARY), st.integers(0, 10**6), st.integers(0, 10**6)),
    st.tuples(st.sampled_from(UNARY), st.integers(0, 10**6), st.just(0)),
)
programs = st.tuples(st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=1, max_size=4),
                     st.lists(step, min_size=1, max_size=16))


def build(program):
    inputs, ops = program
    vals = [Value(v) for v in inputs]
    for op, i, j in ops:
        a, b = vals[i % len(vals)], vals[j % len(vals)]
        vals.append(apply(op, a, b) if op in BINARY else apply(op, a))
    return vals[-1]


def grads_of(root):
    return [n.grad for n in topological_order(root)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs)
def test_replay_equals_backward_bit_for_bit_on_random_graphs(program):
    plain = build(program)
    plain.backward()
    want = grads_of(plain)

    root = build(program)
    rec = viz.backward_steps(root)
    order = topological_order(root)
    got = grads_of(root)
    # bit for bit: the same floats (nan compares by its bits too)
    assert [float(g).hex() for g in got] == [float(g).hex() for g in want]
    replay = rec.replay()
    assert [float(replay[n]).hex() for n in order] == [float(g).hex() for g in want]
    # the recorded "after" of each parent's last step is its final gradient
    for n in order:
        ts = [s for s in rec if s.parent is n]
        if ts:
            assert float(ts[-1].grad_after).hex() == float(n.grad).hex()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs)
def test_one_step_per_edge_that_carries_gradient_in_reverse_topological_order(program):
    root = build(program)
    rec = viz.backward_steps(root)
    order = topological_order(root)
    pos = {n: i for i, n in enumerate(order)}
    # the edges out of every node whose gradient is non-zero, read after the pass
    carrying = sorted((pos[n], e.index) for n in order if n.grad != 0 for e in edges(n))
    assert sorted((pos[s.node], s.index) for s in rec) == carrying
    assert len({(pos[s.node], s.index) for s in rec}) == len(rec)  # no edge twice
    # the engine's order: newest node first (decreasing creation number, a reverse topological order),
    # each node's edges together, in argument order
    nodes = [creation_number(s.node) for s in rec]
    assert nodes == sorted(nodes, reverse=True)
    for a, b in zip(rec, rec[1:]):
        if a.node is b.node:
            assert a.index < b.index
    # a node passes its gradient on only once it is final: no step feeds it after its own steps began
    first_out = {}
    for k, s in enumerate(rec):
        first_out.setdefault(s.node, k)
    for k, s in enumerate(rec):
        if s.parent in first_out:
            assert k < first_out[s.parent]
    # each step: upstream = the node's final gradient; contribution = local x upstream, the same float
    for s in rec:
        e = edges(s.node)[s.index]
        assert e.parent is s.parent
        assert float(s.upstream).hex() == float(s.node.grad).hex()
        assert float(s.contribution).hex() == float(e.local * s.upstream).hex()
        assert s.local == e.local and s.formula == e.formula


def test_the_readme_expression_step_by_step():
    L, x, y, u, v = expression()
    rec = viz.backward_steps(L)
    assert [(rec.symbol(s.node), rec.symbol(s.parent)) for s in rec] == [
        ("L", "v"), ("L", "y"), ("v", "u"), ("v", "x"), ("u", "x"), ("u", "y")]
    # by hand: dL/dv = y = -2, dL/dy (from L) = v = x*y + x = -3, dL/du = dL/dv * 1, dL/dx = -2*1 + -2*y
    assert [s.contribution for s in rec] == [-2.0, -3.0, -2.0, -2.0, 4.0, -6.0]
    assert x.grad == 2.0 == 3.0 - 2.0 + (-2.0) ** 2 - 2.0 - 1.0  # y^2 + y at y = -2
    assert y.grad == -9.0 == 2 * 3 * -2 + 3
    states = rec.frame_states()
    assert len(states) == len(rec) + 3 == 9
    assert [s.kind for s in states] == ["start", "seed"] + ["step"] * 6 + ["done"]
    i = rec.index
    # x: its first term (-2, via v) arrives at frame 5, the second (4, via u) at frame 6
    assert [fs.status[i[x]] for fs in states] == ["unknown"] * 5 + ["partial", "final", "final", "final"]
    partial, final = rec.grad_texts(i[x])
    assert partial == ["grad ?", "grad (-2) + ? = -2 so far", "grad (-2) + 4 = 2"]
    assert final == "grad (-2) + 4 = 2"
    assert rec.grad_texts(i[y])[1] == "grad (-3) + (-6) = -9"
    assert rec.product_text(4) == "(-2) × (-2) = 4"
    assert "∂L/∂x += ∂L/∂u × ∂u/∂x = (-2) × (-2) = 4" in states[6].caption
    assert "x.grad = 2 (final)" in states[6].caption
    # the root is known from the seed frame on
    assert states[0].status[i[L]] == "unknown" and states[1].status[i[L]] == "final"


def test_a_true_zero_is_shown_only_once_final_never_before():
    x = Value(1.5, label="x")
    n = x * -1.0
    n.label = "n"
    r = n.relu()  # relu'(-1.5) = 0: n's gradient is exactly 0, and n passes nothing on
    r.label = "r"
    L = r + x
    L.label = "L"
    rec = viz.backward_steps(L)
    assert n.grad == 0.0 and x.grad == 1.0
    assert all(s.node is not n for s in rec)  # an edge out of a zero-gradient node is no step
    states = rec.frame_states()
    k = rec.index[n]
    texts = []
    for fs in states:
        partial, final = rec.grad_texts(k)
        texts.append(final if fs.status[k] == "final" else partial[fs.counts[k]] if fs.status[k] == "partial"
                     else "grad ?")
    first = next(j for j, fs in enumerate(states) if fs.status[k] != "unknown")
    assert all(t == "grad ?" for t in texts[:first])
    assert texts[-1] == "grad 0"
    zero_edges = [ei for ei, e in enumerate(rec.edges) if e.node is n]
    assert [states[-1].edge_status[ei] for ei in zero_edges] == ["zero", "zero"]  # to x and to the constant


def test_frames_share_one_layout_pinned_in_every_frame():
    L, *_ = expression()
    rec = viz.backward_steps(L)
    for layout in (["dot"] if HAVE_DOT else []) + ["layered"]:
        frames = rec.frames(layout=layout)
        assert len(frames) == len(rec) + 3
        pins = []
        for g in frames:
            assert isinstance(g, viz.FrameDiagram)
            nodes = {}
            for line in g.source.splitlines():
                m = re.match(r"\s*(n\d+) \[(.*)\]\s*$", line)
                if m:
                    attrs = dict(re.findall(r'\b(pos|width|height)=("[^"]*"|\S+)', m.group(2)))
                    nodes[m.group(1)] = attrs
            assert re.search(r"^\s*node \[.*fixedsize=true", g.source, re.M)  # sizes fixed for every node
            assert len(nodes) == 5 and all(set(a) == {"pos", "width", "height"} for a in nodes.values())
            assert all(a["pos"].endswith('!"') for a in nodes.values())  # pinned
            pins.append(nodes)
        assert all(p == pins[0] for p in pins)
        # frame 0: every gradient unknown, drawn "?", no number (never a misleading 0)
        grads0 = re.findall(r'label="[^"]*\\ngrad ([^"\\]*)"', frames[0].source)
        assert grads0 == ["?"] * 5
        assert not re.search(r"grad -?\d", frames[0].source)  # nor in a tooltip
        last = re.findall(r'label="[^"]*\\ngrad ([^"\\]*)"', frames[-1].source)
        assert sorted(last) == sorted(["(-2) + 4 = 2", "(-3) + (-6) = -9", "-2", "-2", "1"])
        active = [ln for ln in frames[6].source.splitlines() if "penwidth=2.5" in ln and "->" in ln]
        assert len(active) == 1 and "(-2) × (-2) = 4" in active[0]


@needs_dot
def test_rendered_frames_keep_every_node_in_place(tmp_path):
    L, *_ = expression()
    rec = viz.backward_steps(L)
    paths = rec.save_frames(str(tmp_path / "frames"), format="svg")
    assert [p.rsplit("/", 1)[1] for p in paths] == [f"frame_{k:03d}.svg" for k in range(9)]
    svg_ns = "{http://www.w3.org/2000/svg}"
    boxes = []
    for p in paths:
        root = ET.parse(p).getroot()
        where = {}
        for g in root.iter(svg_ns + "g"):
            if g.get("class") == "node" and re.fullmatch(r"n\d+", g.find(svg_ns + "title").text):
                shape = next(e for e in g.iter() if e.tag in (svg_ns + "path", svg_ns + "polygon"))
                where[g.find(svg_ns + "title").text] = shape.get("d") or shape.get("points")
        boxes.append(where)
    assert len(boxes[0]) == 5 and all(b == boxes[0] for b in boxes)
    pngs = rec.save_frames(str(tmp_path / "png"), format="png")
    assert len(pngs) == 9 and all(open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n" for p in pngs)


@needs_dot
def test_gif_has_one_image_per_frame(tmp_path):
    from PIL import Image

    L, *_ = expression()
    path = viz.backward_gif(L, str(tmp_path / "pass.gif"), duration_ms=500)
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == 9
        size = im.size
        durations = []
        for k in range(im.n_frames):
            im.seek(k)
            assert im.size == size
            durations.append(im.info["duration"])
    assert durations[1:-1] == [500] * 7 and durations[0] > 500 and durations[-1] > 500


def test_zero_grad_default_and_accumulating_pass():
    program = ([0.7, -1.3], [("*", 0, 1), ("tanh", 2, 0), ("+", 3, 0), ("*", 4, 1)])
    once = build(program)
    once.backward()
    twice = build(program)
    twice.backward()
    twice.backward()

    root = build(program)
    root.backward()  # already backpropagated: the recording still shows one pass's gradients
    viz.backward_steps(root)
    assert [g.hex() for g in map(float, grads_of(root))] == [g.hex() for g in map(float, grads_of(once))]

    root2 = build(program)
    root2.backward()
    rec = viz.backward_steps(root2, zero_grad=False)  # leaves accumulate, like a second backward()
    assert [g.hex() for g in map(float, grads_of(root2))] == [g.hex() for g in map(float, grads_of(twice))]
    replay = rec.replay()
    assert [float(replay[n]).hex() for n in topological_order(root2)] == [g.hex() for g in map(float,
                                                                                                grads_of(twice))]
    leaf = topological_order(root2)[0]
    partial, final = rec.grad_texts(rec.index[leaf])
    assert final.startswith("grad ") and "+" in final  # its earlier gradient is the first term


def test_iris_figure3_sample_replays_bit_for_bit_and_matches_finite_differences():
    from micrograd_ext.commands.tour import build_net, one_sample_graph
    from micrograd_ext.nets.datasets import load_iris

    X, y, *_ = load_iris()
    x0, y0 = [float(v) for v in X[100]], [0.0, 0.0, 1.0]
    net_a, net_b = build_net(0), build_net(0)
    Ca = one_sample_graph(net_a, x0, y0)  # a plain backward() inside
    Cb = one_sample_graph(net_b, x0, y0)
    rec = viz.backward_steps(Cb)
    pa, pb = net_a.parameters(), net_b.parameters()
    assert [p.grad.hex() for p in pb] == [p.grad.hex() for p in pa]
    replay = rec.replay()
    assert all(replay[p].hex() == p.grad.hex() for p in pb)
    assert len(rec) == sum(len(edges(n)) for n in topological_order(Cb) if n.grad != 0)
    assert len(rec.nodes) == 4 + 8 * 5 + 8 + 8 + 3 * 9 + 3 + 3 + 1
    assert len(rec.frame_states()) == len(rec) + 3

    def loss(ws):
        from micrograd_ext.core.graph import no_grad
        from micrograd_ext.nets.losses import bce
        from micrograd_ext.nets.neurons import inputs
        net = build_net(0)
        for p, w in zip(net.parameters(), ws):
            p.data = float(w)
        with no_grad():
            return bce([net(inputs(x0))], [list(y0)]).data

    w = np.array([p.data for p in pa])
    h = 1e-6
    for k in (0, 7, 33, len(w) - 1):  # a bias and weights of both layers
        up, dn = w.copy(), w.copy()
        up[k] += h
        dn[k] -= h
        assert math.isclose(pb[k].grad, (loss(up) - loss(dn)) / (2 * h), rel_tol=1e-5, abs_tol=1e-8)
    assert Ca.data == Cb.data


def test_tensor_graph_steps_carry_arrays_and_replay_bit_for_bit():
    def make():
        rng = np.random.default_rng(0)
        W = Tensor(rng.normal(size=(3, 2)), requires_grad=True, label="W")
        b = Tensor(rng.normal(size=(3,)), requires_grad=True, label="b")
        x = Tensor(rng.normal(size=(2,)), label="x")  # data: no gradient
        h = (W @ x + b).tanh()
        h.label = "h"
        L = (h * h).sum()
        L.label = "L"
        return L, W, b, x

    L0, W0, b0, _ = make()
    L0.backward()
    L, W, b, x = make()
    rec = viz.backward_steps(L)
    assert np.array_equal(W.grad, W0.grad) and np.array_equal(b.grad, b0.grad)
    replay = rec.replay()
    for n, m in zip(topological_order(L), topological_order(L0)):
        if m.grad is None:
            assert replay[n] is None
        else:
            assert replay[n].shape == m.grad.shape and np.array_equal(replay[n], m.grad)
    for s in rec:  # an elementwise edge carries its local derivative; a matrix product's step is its VJP only
        assert (s.local is None) == (str(s.node._op) in ("matmul", "linear", "sum", "mean", "cross_entropy", "bce_loss"))
    assert all(s.parent is not x for s in rec)  # x needs no gradient: its edge carries nothing
    states = rec.frame_states()
    assert len(states) == len(rec) + 3
    texts = " ".join(rec.node_lines(i)[1] for i in range(len(rec.nodes)))
    assert "shape (3, 2)" in texts
    g = rec.frame(len(states) - 1)
    assert "‖·‖" in g.source  # a 3x2 gradient is drawn by its shape and norm
    page = rec.html()
    assert "vector-Jacobian" in page


def test_errors_name_the_argument():
    L, *_ = expression()
    rec = viz.backward_steps(L)
    with pytest.raises(IndexError, match=r"frame: k=9 \(expected 0 <= k < 9"):
        rec.frame(9)
    with pytest.raises(ValueError, match="save_frames: format 'jpg'"):
        rec.save_frames("/nonexistent", format="jpg")
    with pytest.raises(TypeError, match="backward_steps: expected a Value or Tensor.*float"):
        viz.backward_steps(3.0)
    with pytest.raises(ValueError, match="layout: engine 'neato'"):
        rec.layout("neato")


def test_without_dot_the_frames_are_dot_source_and_say_why(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    L, *_ = expression()
    rec = viz.backward_steps(L)
    assert rec.layout().engine == "layered"
    g = rec.frame(3)
    assert "pos=" in g.source
    with pytest.raises(viz.DotNotFoundError, match="apt-get install graphviz"):
        g.pipe(format="png")
    with pytest.raises(viz.DotNotFoundError, match="write the frames as png"):
        rec.save_frames(str(tmp_path / "f"), format="png")
    with pytest.raises(viz.DotNotFoundError, match="GIF"):
        rec.gif(str(tmp_path / "a.gif"))
    assert len(rec.save_frames(str(tmp_path / "gv"), format="gv")) == 9
    page = html.unescape(rec.html())
    assert "micrograd_ext's own layered drawing (Graphviz's dot is not installed)" in page
