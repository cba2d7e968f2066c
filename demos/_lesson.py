"""Shared by the higher-order lessons (newton, tanh_derivatives, taylor_sin, iris_hessian, dual_numbers).

Not a demo itself (the leading underscore keeps it out of the demo runner): the
command line every lesson takes (``--out``, ``--fast``), the PASS/FAIL lines a
learner reads, and matplotlib loaded without a display (or a clear note that it is
missing, in which case the lesson still prints everything and only skips the picture).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

DEFAULT_OUT = os.path.join("micrograd_ext_out", "demos")


def parse_args(doc: str, argv: list[str] | None = None, extra: Any = None) -> argparse.Namespace:
    """``--out DIR`` (default ``micrograd_ext_out/demos``) and ``--fast`` (what the test suite runs)."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help=f"folder for the pictures (default {DEFAULT_OUT})")
    ap.add_argument("--fast", action="store_true", help="a smaller run (for the tests): a few seconds")
    if extra is not None:
        extra(ap)
    return ap.parse_args(argv)


class Checks:
    """The lesson's checks, each printed as one ``PASS``/``FAIL`` line; :meth:`ok` says whether all passed."""

    def __init__(self) -> None:
        self.results: list[tuple[str, bool]] = []

    def check(self, what: str, ok: bool, detail: str = "") -> bool:
        ok = bool(ok)
        self.results.append((what, ok))
        print(f"  [{'PASS' if ok else 'FAIL'}] {what}" + (f"  ({detail})" if detail else ""))
        return ok

    def ok(self) -> bool:
        return all(ok for _, ok in self.results)

    def summary(self) -> int:
        """Prints the tally and returns the exit status (0 when every check passed)."""
        n, bad = len(self.results), [w for w, ok in self.results if not ok]
        print(f"\n{n - len(bad)} of {n} checks pass" + ("" if not bad else ": SOME CHECKS FAIL: " + "; ".join(bad)))
        return 0 if not bad else 1


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend, or None (with how to install it)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed, so no picture; get it with")
        print("  .venv/bin/pip install 'micrograd_ext[plot]'   (or: pip install matplotlib)")
        return None
    return plt


def save(fig: Any, out: str, name: str) -> str:
    """Writes ``fig`` to ``out/name``, closes it and prints where it went."""
    import matplotlib.pyplot as plt

    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, name)
    fig.savefig(path)
    plt.close(fig)
    print(f"picture: {path}")
    return path
