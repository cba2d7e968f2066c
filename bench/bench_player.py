"""The backward-pass player of the tour's Figure-3 sample: page size, how long it takes to make, to open.

Run:  .venv/bin/python bench/bench_player.py [--opens N]

The graph is the iris net 4-8-3 (sigmoid, bias as weight column 0, the loss C of
Bondartsov's eq. (1) as one node) on one iris row, as the tour's Figure 3 draws it:
94 nodes, 137 edges.  We measure

* the recording and the page: ``backward_steps(C)`` then ``rec.html()`` (the dot layout
  included), median of 5;
* the page's size in bytes;
* opening it from ``file://`` in headless Chromium (Playwright, the network off), once per
  fresh page: the wall time of ``page.goto`` until the player reports ready, and the time
  the script was ready after navigation started (``performance.now()``), medians of
  ``--opens`` opens in one browser.

The figures are recorded in docs/bench_player.md.  (The test suite checks the bounds,
under 1 MB and under 1 s, in tests/diagrams/test_player_browser.py.)
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def figure3_graph():
    from micrograd_ext.commands.tour import build_net, one_sample_graph
    from micrograd_ext.nets.datasets import load_iris

    X, y, *_ = load_iris()
    return one_sample_graph(build_net(0), [float(v) for v in X[100]], [0.0, 0.0, 1.0])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--opens", type=int, default=15, help="how many times to open the page (default 15)")
    args = ap.parse_args(argv)
    from micrograd_ext import viz

    make = []
    for _ in range(5):
        C = figure3_graph()
        t0 = time.perf_counter()
        rec = viz.backward_steps(C)
        page = rec.html()
        make.append(time.perf_counter() - t0)
    n_frames = len(rec.frame_states())
    print(f"graph: {len(rec.nodes)} nodes, {len(rec.edges)} edges, {len(rec)} steps, {n_frames} frames")
    print(f"record + page (dot layout): median {statistics.median(make) * 1000:.0f} ms of 5")
    size = len(page.encode("utf-8"))
    print(f"page size: {size} bytes ({size / 1e6:.2f} MB)")
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        print("no Chromium: open times not measured (apt-get install chromium)")
        return 0
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "figure3_backward.html"
        path.write_text(page, encoding="utf-8")
        wall, ready = [], []
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(str(Path(tmp) / "profile"), executable_path=exe,
                                                        headless=True, args=ARGS, offline=True)
            for _ in range(args.opens):
                p = ctx.new_page()
                t0 = time.perf_counter()
                p.goto(path.as_uri(), wait_until="load")
                p.wait_for_selector(".bp-player[data-ready='1']", state="attached")
                wall.append(time.perf_counter() - t0)
                ready.append(p.evaluate("backprop.readyMs"))
                p.close()
            version = ctx.browser.version if ctx.browser else "?"
            ctx.close()
    print(f"open from file:// until ready: first {wall[0] * 1000:.0f} ms, median {statistics.median(wall) * 1000:.0f} ms, "
          f"max {max(wall) * 1000:.0f} ms ({args.opens} opens)")
    print(f"script ready after navigation start: first {ready[0]:.0f} ms, median {statistics.median(ready):.0f} ms, "
          f"max {max(ready):.0f} ms")
    print(f"Chromium {version}, Python {platform.python_version()}, {platform.machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
