"""Regenerate the backward-player figures of this folder: ``.venv/bin/python docs/figures/make_player_figures.py``.

* ``backward_player_expression.html`` — the player for the README's expression
  ``L = (x*y + x)*y`` (``micrograd_ext.viz.backward_html``): one self-contained file,
  open it from disk;
* ``backward_player_frame5.png`` — a screenshot of that page in headless Chromium at
  frame 5 of 8 (the middle of the pass: ``x`` has one of its two terms), with the
  panel of ``x`` open (its two chain-rule paths and their sum);
* ``backward_expression.gif`` — the same frames as an animated GIF, for slides.

Needs Graphviz, Chromium (``apt-get install chromium``) and Playwright (a test dependency).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

from micrograd_ext import viz
from micrograd_ext.commands.draw_backward import expression  # the README's worked example

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]



def main() -> int:
    rec = viz.backward_steps(expression())
    page = os.path.join(HERE, "backward_player_expression.html")
    rec.html(page, title="Backward pass of L = (x*y + x)*y")
    print("wrote", page)
    print("wrote", rec.gif(os.path.join(HERE, "backward_expression.gif")))
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        print("no Chromium: the screenshot is not remade (apt-get install chromium)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=exe, headless=True, args=ARGS,
                                                    offline=True, viewport={"width": 1180, "height": 700},
                                                    device_scale_factor=1)
        p = ctx.new_page()
        p.goto("file://" + page)
        p.wait_for_selector(".bp-player[data-ready='1']", state="attached")
        p.evaluate("backprop.goto(5); backprop.select('x')")
        p.locator(".bp-steps").evaluate("e => e.remove()")
        p.locator(".bp-help").evaluate("e => e.remove()")
        shot = os.path.join(HERE, "backward_player_frame5.png")
        p.locator(".bp-player").screenshot(path=shot)
        print("wrote", shot)
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
