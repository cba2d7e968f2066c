"""The backward-pass page in a real browser: Debian's Chromium, driven headless by Playwright (issue 11).

Playwright (from PyPI) is pointed at the system Chromium with ``executable_path`` and
downloads no browser.  Every page is opened from ``file://`` with the network off:
the test records every request the page makes and every JavaScript error.

Oracles: a twin graph run through a plain ``backward()`` (its ``.grad`` are what the
last frame must show); the chain rule recomputed here at each step (the parent's new
gradient = its old one + the node's gradient x the edge's local derivative, read with
``edges(node)``); the README expression by hand (paths to x: (-2)(1)(-2) = 4 and
(-2)(1) = -2, sum 2; to y: -6 and -3, sum -9).

Where Chromium or Playwright is missing the tests skip and say why; on CI (``CI`` set)
they fail instead, since ``scripts/setup.sh`` installs both there.
"""

from __future__ import annotations

import math
import os
import shutil
import time
from pathlib import Path

import pytest

from micrograd_ext import viz
from micrograd_ext.core.graph import edges, topological_order
from micrograd_ext.diagrams.dot import _fmt
from tests.diagrams.test_backward import expression

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; on CI the browser tests must run (scripts/setup.sh installs Chromium and Playwright)")
    pytest.skip(reason)


def _chromium() -> str:
    for name in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if name and os.path.exists(name):
            return name
    _unavailable("Chromium is not installed (apt-get install chromium; scripts/setup.sh does it as root or with "
                 "passwordless sudo)")
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install playwright; it drives the system Chromium, "
                     "no browser download)")
    exe = _chromium()
    pw = sync_playwright().start()
    yield pw, exe
    pw.stop()


def _launch(playwright, profile: Path, **kw):
    pw, exe = playwright
    return pw.chromium.launch_persistent_context(str(profile), executable_path=exe, headless=True, args=ARGS,
                                                 offline=True, viewport={"width": 1200, "height": 900}, **kw)


@pytest.fixture(scope="module")
def browser(playwright, tmp_path_factory):
    ctx = _launch(playwright, tmp_path_factory.mktemp("chromium-profile"))
    yield ctx
    ctx.close()


class Opened:
    """A page opened from file:// with every request and every error recorded."""

    def __init__(self, ctx, path: Path, wait: bool = True) -> None:
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.errors: list[str] = []
        page = ctx.new_page()
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)

        def route(r):
            if r.request.url == self.url:
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        t0 = time.perf_counter()
        page.goto(self.url, wait_until="load")
        if wait:
            page.wait_for_selector(".bp-player[data-ready='1']", state="attached", timeout=5000)
        self.seconds = time.perf_counter() - t0
        self.page = page

    def js(self, expr: str):
        return self.page.evaluate(expr)

    def wait(self, expr: str, timeout: float = 5.0) -> None:
        """Poll ``expr`` until true (the page's Content-Security-Policy forbids wait_for_function's eval)."""
        end = time.monotonic() + timeout
        while not self.js(expr):
            assert time.monotonic() < end, f"timed out waiting for {expr}"
            self.page.wait_for_timeout(25)

    def check_clean(self) -> None:
        assert self.requests == [self.url], self.requests  # nothing but the page itself
        assert self.blocked == []
        assert self.errors == []

    def close(self) -> None:
        self.page.close()


@pytest.fixture(scope="module")
def expr_page(tmp_path_factory):
    L, *_ = expression()
    path = tmp_path_factory.mktemp("pages") / "expression.html"
    viz.backward_html(L, str(path))
    return path


def twin_grads():
    L, *_ = expression()
    L.backward()
    return {n.label: n.grad for n in topological_order(L)}


def test_opens_offline_from_file_with_no_request_and_no_error(browser, expr_page):
    p = Opened(browser, expr_page)
    assert p.js("backprop.frames.length") == 9
    assert p.js("backprop.frame") == 0  # with JavaScript the lesson starts before the first step
    assert p.js("backprop.frames.map(f => f.kind)") == ["start", "seed"] + ["step"] * 6 + ["done"]
    p.js("backprop.goto(8); backprop.goto(3); backprop.select('x'); backprop.play(); backprop.pause()")
    p.check_clean()
    p.close()


def test_frame_0_shows_no_gradient_as_a_number(browser, expr_page):
    p = Opened(browser, expr_page)
    p.js("backprop.goto(0)")
    assert p.js("backprop.grads()") == {"x": None, "y": None, "u": None, "v": None, "L": None}
    texts = p.page.locator(".bp-node .bp-g").all_text_contents()
    assert texts == ["grad ?"] * 5
    assert p.page.locator(".bp-node.bp-unknown").count() == 5
    p.check_clean()
    p.close()


def test_the_last_frame_shows_every_grad(browser, expr_page):
    p = Opened(browser, expr_page)
    p.js("backprop.goto(backprop.frames.length - 1)")
    want = twin_grads()
    assert p.js("backprop.grads()") == want == {"x": 2.0, "y": -9.0, "u": -2.0, "v": -2.0, "L": 1.0}
    for key, g in want.items():
        text = p.page.locator(f'.bp-node[data-key="{key}"] .bp-g').text_content()
        assert text.endswith(_fmt(g)), (key, text)
    assert p.page.locator(".bp-node.bp-final").count() == 5
    p.check_clean()
    p.close()


def check_stepping(p, root) -> int:
    """Step the page from frame 0 to the last with ``step()`` and check every frame against the chain rule.

    At a step, the parent's new gradient must be its old one (0 where it showed ``?``) plus the node's
    gradient times the local derivative of the edge, read here with ``edges(node)``: the same float the
    engine computes.  Any other change is a gradient appearing, and it must be the final one (the twin
    graph's); the last frame must show every ``.grad``.  Returns the number of step frames.
    """
    order = topological_order(root)
    keys = p.js("backprop.nodes")
    steps = p.js("backprop.steps")
    frames = p.js("backprop.frames")
    seen = p.js("""(() => { backprop.goto(0); const out = [backprop.grads()];
        while (backprop.frame < backprop.frames.length - 1) { backprop.step(); out.push(backprop.grads()); }
        return out; })()""")
    assert len(seen) == len(frames)
    node = {n.label: n for n in order}  # the page names a node by its label (unique in these graphs)
    want = {k: node[k].grad for k in keys}
    assert all(v is None for v in seen[0].values())
    n_steps = 0
    for k in range(1, len(frames)):
        before, after, fr = seen[k - 1], seen[k], frames[k]
        changed = {n for n in after if after[n] != before[n]}
        if fr["kind"] == "step":
            n_steps += 1
            s = steps[fr["step"]]
            c, par = keys[s["node"]], keys[s["parent"]]
            e = edges(node[c])[s["index"]]
            assert e.parent is node[par]
            assert (before[par] or 0.0) + after[c] * e.local == after[par], (k, c, par)
            assert after[c] == want[c]  # a node passes its gradient on once it is final
            changed.discard(par)
        for n in changed:
            assert before[n] is None and after[n] == want[n], (k, n)  # a gradient appears only once known
    assert seen[-1] == want
    return n_steps


def test_stepping_frame_by_frame_follows_the_chain_rule_to_the_same_numbers(browser, expr_page):
    L, *_ = expression()
    L.backward()
    p = Opened(browser, expr_page)
    assert check_stepping(p, L) == 6
    assert p.js("backprop.grads()") == twin_grads()
    p.check_clean()
    p.close()


def test_the_controls_the_keys_and_the_scrubber(browser, expr_page):
    p = Opened(browser, expr_page)
    page = p.page
    p.js("backprop.goto(4)")
    page.locator(".bp-step").click()
    assert p.js("backprop.frame") == 5
    page.locator(".bp-back").click()
    page.locator(".bp-back").click()
    assert p.js("backprop.frame") == 3
    page.keyboard.press("ArrowRight")
    assert p.js("backprop.frame") == 4
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert p.js("backprop.frame") == 2
    page.keyboard.press("End")
    assert p.js("backprop.frame") == 8
    page.keyboard.press("Home")
    assert p.js("backprop.frame") == 0
    page.locator(".bp-scrub").fill("6")
    assert p.js("backprop.frame") == 6
    assert "frame 6 of 8" in page.locator(".bp-count").text_content()
    assert "∂L/∂x += ∂L/∂u × ∂u/∂x = (-2) × (-2) = 4" in page.locator(".bp-caption").text_content()
    assert page.locator(".bp-label text").text_content() == "(-2) × (-2) = 4"
    # play runs by itself and stops at the end; pause stops it
    page.locator(".bp-speed").select_option("200")
    p.js("backprop.goto(0)")
    page.locator(".bp-play").click()
    p.wait("backprop.frame >= 3")
    page.keyboard.press(" ")
    stopped = p.js("backprop.frame")
    page.wait_for_timeout(600)
    assert p.js("backprop.frame") == stopped and not p.js("backprop.playing")
    page.locator(".bp-play").click()
    p.wait("backprop.frame === 8 && !backprop.playing", timeout=10)
    p.check_clean()
    p.close()


def _panel(p, key: str):
    p.page.locator(f'.bp-node[data-key="{key}"]').click()
    panel = p.page.locator(".bp-panel")
    assert panel.is_visible()
    products = [float(v) for v in p.page.locator(".bp-panel .bp-path").evaluate_all(
        "els => els.map(e => e.getAttribute('data-product'))")]
    s = p.page.locator(".bp-paths-sum")
    return panel, products, float(s.get_attribute("data-sum")), float(s.get_attribute("data-grad"))


def test_clicking_a_node_shows_its_paths_whose_sum_matches(browser, expr_page):
    p = Opened(browser, expr_page)
    p.js("backprop.goto(4)")
    panel, products, total, grad = _panel(p, "x")
    assert products == [4.0, -2.0]  # L -> v -> u -> x: (-2)(1)(-2); L -> v -> x: (-2)(1)
    assert total == 2.0 == grad == twin_grads()["x"]
    text = panel.text_content()
    assert "L → v → u → x" in text and "✓ equal" in text
    assert "(not yet)" in text  # frame 4: neither of x's terms has arrived
    p.js("backprop.goto(8)")
    assert "(not yet)" not in p.page.locator(".bp-panel").text_content()  # the panel follows the frame
    panel, products, total, grad = _panel(p, "y")
    assert sorted(products) == [-6.0, -3.0] and total == -9.0 == grad
    p.page.keyboard.press("Escape")
    assert not p.page.locator(".bp-panel").is_visible()
    p.check_clean()
    p.close()


def test_hovering_an_edge_shows_its_formula_and_number(browser, expr_page):
    p = Opened(browser, expr_page)
    p.js("backprop.goto(8)")
    keys = p.js("backprop.nodes")
    data_edges = p.js("JSON.parse(document.querySelector('script.bp-data').textContent).edges")
    ei = next(i for i, e in enumerate(data_edges) if keys[e["from"]] == "x" and keys[e["to"]] == "u")
    x, y = p.js(f"""(() => {{
        const path = document.querySelector('.bp-edge[data-e="{ei}"] .bp-line');
        const pt = path.getPointAtLength(path.getTotalLength() / 2).matrixTransform(path.getScreenCTM());
        return [pt.x, pt.y]; }})()""")
    p.page.mouse.move(x, y)
    tip = p.page.locator(".bp-tip")
    tip.wait_for(state="visible", timeout=2000)
    text = tip.text_content()
    assert "∂u/∂x" in text and "local derivative: y = -2" in text and "(-2) × (-2) = 4" in text
    p.page.mouse.move(2, 2)
    assert not tip.is_visible()
    p.check_clean()
    p.close()


def test_with_javascript_off_the_page_shows_the_final_state(playwright, expr_page, tmp_path):
    ctx = _launch(playwright, tmp_path / "profile", java_script_enabled=False)
    try:
        p = Opened(ctx, expr_page, wait=False)
        texts = dict(zip(p.page.locator(".bp-node").evaluate_all("els => els.map(e => e.dataset.key)"),
                         p.page.locator(".bp-node .bp-g").all_text_contents()))
        assert texts == {"x": "grad (-2) + 4 = 2", "y": "grad (-3) + (-6) = -9", "u": "grad -2", "v": "grad -2",
                         "L": "grad 1"}
        assert p.page.locator("noscript").count() == 1
        assert "JavaScript is off" in p.page.content()
        assert not p.page.locator(".bp-controls").is_visible()
        p.page.locator(".bp-steps summary").click()  # the table of steps opens without the script
        assert p.page.locator(".bp-steps tr[data-s]").count() == 6
        assert p.page.locator(".bp-steps tr[data-s]").first.is_visible()
        assert p.requests == [p.url] and p.errors == []
    finally:
        ctx.close()


def test_our_own_layout_works_like_dots(browser, tmp_path):
    L, *_ = expression()
    path = tmp_path / "layered.html"
    viz.backward_html(L, str(path), layout="layered")
    p = Opened(browser, path)
    p.js("backprop.goto(0)")
    assert set(p.js("backprop.grads()").values()) == {None}
    p.js("backprop.goto(8)")
    assert p.js("backprop.grads()") == twin_grads()
    _, products, total, grad = _panel(p, "x")
    assert products == [4.0, -2.0] and total == grad == 2.0
    p.check_clean()
    p.close()


def test_iris_figure3_page_is_small_opens_fast_and_checks_out(browser, tmp_path):
    """The tour's Figure-3 sample: one iris row through the 4-8-3 net, C of eq. (1); the weight of layer 1
    with the largest gradient has three paths, one through each output (Bondartsov, eq. (9))."""
    from micrograd_ext.commands.tour import build_net, one_sample_graph
    from micrograd_ext.nets.datasets import load_iris

    X, y, *_ = load_iris()
    net = build_net(0)
    C = one_sample_graph(net, [float(v) for v in X[100]], [0.0, 0.0, 1.0])
    w1 = max((w for n in net.layers[0].neurons for w in n.w), key=lambda w: abs(w.grad))
    want = {n.label: n.grad for n in topological_order(C)}
    path = tmp_path / "iris_figure3_backward.html"
    viz.backward_html(C, str(path))
    size = path.stat().st_size
    assert size < 1_000_000, f"{size} bytes"
    # opened three times, each in a fresh page: the median time from navigation to the player being ready
    opens = []
    for _ in range(3):
        p = Opened(browser, path)
        opens.append((p.seconds, p.js("backprop.readyMs")))
        p.check_clean()
        p.close()
    wall = sorted(t for t, _ in opens)[1]
    ready_ms = max(r for _, r in opens)
    print(f"\niris Figure-3 page: {size} bytes, {len(want)} nodes; opened and ready in {wall * 1000:.0f} ms "
          f"(median of 3; the script was ready at most {ready_ms:.0f} ms after navigation started)")
    assert wall < 1.0 and ready_ms < 1000
    p = Opened(browser, path)
    assert p.js("backprop.frames.length") == 140
    assert check_stepping(p, C) == 137  # frame 0 shows no number, each step the chain rule, the end every .grad
    p.js("backprop.goto(backprop.frames.length - 1)")
    assert p.js("backprop.grads()") == want
    p.js(f"backprop.select({w1.label!r})")
    products = [float(v) for v in p.page.locator(".bp-panel .bp-path").evaluate_all(
        "els => els.map(e => e.getAttribute('data-product'))")]
    assert len(products) == 3
    assert math.isclose(math.fsum(products), w1.grad, rel_tol=1e-12, abs_tol=1e-15)
    assert "✓ equal" in p.page.locator(".bp-paths-sum").text_content()
    p.check_clean()
    p.close()


def test_two_players_in_one_notebook_page_work_apart(browser, tmp_path):
    from IPython.core.formatters import DisplayFormatter

    L, *_ = expression()
    rec = viz.backward_steps(L)
    fmt = DisplayFormatter()
    a, b = fmt.format(rec)[0]["text/html"], fmt.format(rec)[0]["text/html"]
    path = tmp_path / "notebook.html"
    path.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
                    f"<div class='cell'>{a}</div><div class='cell'>{b}</div></body></html>", encoding="utf-8")
    p = Opened(browser, path, wait=False)
    p.wait("document.querySelectorAll(\".bp-player[data-ready='1']\").length === 2")
    first, second = p.page.locator(".bp-player").nth(0), p.page.locator(".bp-player").nth(1)
    first.locator(".bp-step").click()
    assert first.locator(".bp-count").text_content() == "frame 1 of 8"
    assert second.locator(".bp-count").text_content() == "frame 0 of 8"
    second.locator('.bp-node[data-key="x"]').click()
    assert second.locator(".bp-panel").is_visible() and not first.locator(".bp-panel").is_visible()
    # keys go to the player that has the focus, not to the whole notebook
    second.locator(".bp-step").click()
    p.page.keyboard.press("ArrowRight")
    assert second.locator(".bp-count").text_content() == "frame 2 of 8"
    assert first.locator(".bp-count").text_content() == "frame 1 of 8"
    p.check_clean()
    p.close()
