"""The backward-pass page read as a file (no browser): self-contained, the recorded numbers, the static final state,
and the Jupyter displays (issue 11).  The page in a real browser: test_player_browser.py.

Oracles: the graph's ``.grad`` after a plain ``backward()`` of a twin graph; the README
expression's gradients by hand (dL/dx = y^2 + y = 2, dL/dy = 2xy + x = -9); the
paths L -> v -> u -> x and L -> v -> x with products (-2)(1)(-2) = 4 and (-2)(1) = -2.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser

import pytest

from micrograd_ext import viz
from micrograd_ext.core.graph import topological_order
from micrograd_ext.diagrams import player
from micrograd_ext.diagrams.chain import paths
from tests.diagrams.test_backward import expression

HAVE_DOT = shutil.which("dot") is not None

#: What would make a page reach outside itself (a URL scheme, a protocol-relative URL, an element or
#: rule that loads something, a script API that fetches).
EXTERNAL = [
    r"(?i)\b(?:https?|ftp|wss?|file|data|blob|javascript):",
    r"""(?i)["'(=]\s*//""",
    r"(?i)<\s*(?:link|img|iframe|object|embed|audio|video|source|track|base|form)\b",
    r"(?i)\bsrc\s*=", r"(?i)\bsrcset\s*=", r"(?i)\bhref\s*=", r"(?i)\baction\s*=",
    r"(?i)@import", r"(?i)@font-face", r"(?i)\burl\s*\(",
    r"\bfetch\s*\(", r"XMLHttpRequest", r"\bimport\s*\(", r"\bnew\s+(?:Worker|WebSocket|EventSource)\b",
    r"navigator\.sendBeacon", r"\.open\s*\(",
]


class _Texts(HTMLParser):
    """Collects the text of every SVG node's gradient line (``<text class="bp-g">``) and the page's data."""

    def __init__(self) -> None:
        super().__init__()
        self.grads: dict[str, str] = {}
        self.key: str | None = None
        self._in = None
        self.data = ""
        self._data = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "g" and "bp-node" in (a.get("class") or "").split():
            self.key = a["data-key"]
        if tag == "text" and a.get("class") == "bp-g":
            self._in = self.key
        if tag == "script" and a.get("class") == "bp-data":
            self._data = True

    def handle_endtag(self, tag):
        if tag == "text":
            self._in = None
        if tag == "script":
            self._data = False

    def handle_data(self, d):
        if self._in is not None:
            self.grads[self._in] = self.grads.get(self._in, "") + d
        if self._data:
            self.data += d


def parse(page: str) -> _Texts:
    p = _Texts()
    p.feed(page)
    return p


def test_the_page_references_nothing_outside_itself(tmp_path):
    L, *_ = expression()
    page = viz.backward_html(L, str(tmp_path / "pass.html"))
    assert (tmp_path / "pass.html").read_text(encoding="utf-8") == page
    for pattern in EXTERNAL:
        m = re.search(pattern, page)
        assert m is None, f"{pattern!r} matches {page[max(0, m.start() - 60):m.end() + 60]!r}"
    # and the browser is told to refuse anything external anyway
    assert re.search(r"""<meta http-equiv="Content-Security-Policy" content="default-src 'none';""", page)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_the_page_carries_the_recorded_numbers():
    L, x, y, u, v = expression()
    page = viz.backward_html(L)
    data = json.loads(parse(page).data)
    twin, *_ = expression()
    twin.backward()
    want = {n.label: n.grad for n in topological_order(twin)}
    assert {nd["key"]: nd["fin"] for nd in data["nodes"]} == want == {"x": 2.0, "y": -9.0, "u": -2.0, "v": -2.0,
                                                                         "L": 1.0}
    assert len(data["frames"]) == 9 and len(data["steps"]) == 6
    assert data["frames"][0]["n"] == [[i, 0, 0] for i in range(5)]  # frame 0: every gradient unknown
    assert [s["contrib"] for s in data["steps"]] == [-2.0, -3.0, -2.0, -2.0, 4.0, -6.0]
    xs = next(nd for nd in data["nodes"] if nd["key"] == "x")
    rows = xs["panel"]["paths"]["rows"]
    assert [(r["route"], r["product"]) for r in rows] == [("L → v → u → x", 4.0), ("L → v → x", -2.0)]
    assert xs["panel"]["paths"]["sum"] == 2.0 and xs["panel"]["paths"]["ok"] is True


def test_without_javascript_the_page_shows_the_final_state():
    L, *_ = expression()
    page = viz.backward_html(L)
    shown = parse(page).grads
    assert shown == {"x": "grad (-2) + 4 = 2", "y": "grad (-3) + (-6) = -9", "u": "grad -2", "v": "grad -2",
                     "L": "grad 1"}
    assert "JavaScript is off: this is the final state" in page
    assert re.search(r'<div class="bp-controls" hidden>', page)  # the controls appear only with the script
    # the table of steps works without the script (a <details> element)
    assert page.count('<tr data-s="') == 6


def test_a_graph_too_large_is_refused_with_the_way_out():
    L, *_ = expression()
    with pytest.raises(viz.GraphTooLargeError, match=r"5 nodes, more than max_nodes=3.*max_nodes=5"):
        viz.backward_html(L, max_nodes=3)


def test_both_layouts_make_a_page():
    L, *_ = expression()
    rec = viz.backward_steps(L)
    layered = html.unescape(rec.html(layout="layered"))
    assert "laid out by micrograd_ext's own layered drawing" in layered
    if HAVE_DOT:
        assert "laid out by Graphviz dot" in html.unescape(rec.html(layout="dot"))


def test_jupyter_shows_the_player_and_the_paths_table():
    from IPython.core.formatters import DisplayFormatter

    fmt = DisplayFormatter()
    L, x, *_ = expression()
    rec = viz.backward_steps(L)
    bundle, _ = fmt.format(rec)
    assert set(bundle) == {"text/plain", "text/html"}
    frag = bundle["text/html"]
    assert frag.count('class="bp-player"') == 1 and "BackpropPlayer.init" in frag and "<html" not in frag
    for pattern in EXTERNAL:
        assert re.search(pattern, frag) is None, pattern
    assert bundle["text/plain"] == "<BackwardPass of L: 6 steps, 5 nodes, 9 frames>"  # no memory address
    # the id comes from the content and a counter: a second display differs only by the counter
    again = fmt.format(rec)[0]["text/html"]
    ids = [re.search(r'id="(bp-[0-9a-f]{10})-(\d+)"', h).groups() for h in (frag, again)]
    assert ids[0][0] == ids[1][0] and int(ids[1][1]) == int(ids[0][1]) + 1

    ps = paths(L, x)
    table = fmt.format(ps)[0]["text/html"]
    assert "<table>" in table and table.count("<tr><td>") == 2
    assert "L → v → u → x" in table and "(-2) × 1 × (-2)" in table
    assert re.search(r"<b>sum of the products</b></td><td[^>]*><b>2</b>", table)
    assert "x.grad from backward() = 2: ✓ equal" in table


def test_jupyter_is_offered_no_fake_svg_without_dot(tmp_path, monkeypatch):
    from IPython.core.formatters import DisplayFormatter

    L, x, *_ = expression()
    L.backward()
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    fmt = DisplayFormatter()
    for obj in (viz.draw_graph(L), viz.draw_paths(L, x), viz.backward_steps(L).frame(2)):
        bundle, _ = fmt.format(obj)
        assert "image/svg+xml" not in bundle
        assert "apt-get install graphviz" in bundle["text/plain"]
    bundle, _ = fmt.format(viz.backward_steps(L))
    assert "bp-player" in bundle["text/html"] and "image/svg+xml" not in bundle


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz 'dot' is not installed")
def test_jupyter_gets_real_svg_with_dot():
    from IPython.core.formatters import DisplayFormatter

    L, x, *_ = expression()
    L.backward()
    for obj in (viz.draw_graph(L), viz.backward_steps(L).frame(2)):
        svg = DisplayFormatter().format(obj)[0]["image/svg+xml"]
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg


def test_the_assets_are_package_data():
    from importlib import resources
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    conf = (root / "pyproject.toml").read_text()
    section = conf.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]
    assert re.search(r'^micrograd_ext = \[.*"diagrams/assets/\*"', section, re.M)
    names = {p.name for p in resources.files("micrograd_ext.diagrams").joinpath("assets").iterdir()}
    assert {"player.html", "player.css", "player.js"} <= names
    assert "__JS__" in player._asset("player.html")
