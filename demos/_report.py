"""Shared by the document demos: a table of autodiff against a document's closed forms.

Not a demo itself (the leading underscore keeps it out of the demo runner).
"""

from __future__ import annotations

import argparse

import numpy as np

TOL = 1e-10


def parse_args(doc: str, argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--out", default=None, help="(unused: this demo prints only)")
    ap.add_argument("--fast", action="store_true", help="(no effect: this demo is fast)")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args(argv)


class Report:
    """Rows of (equation, quantity, autodiff, closed form); ``show()`` prints them and returns all-passed."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.rows: list[tuple[str, str, str, float, bool]] = []

    def add(self, equation: str, quantity: str, autodiff, closed_form, tol: float = TOL) -> bool:
        a = np.asarray(autodiff, dtype=float)
        c = np.asarray(closed_form, dtype=float)
        if a.shape != c.shape:
            self.rows.append((equation, quantity, f"{a.shape} vs {c.shape}", float("inf"), False))
            return False
        diff = float(np.max(np.abs(a - c))) if a.size else 0.0
        ok = diff <= tol * max(1.0, float(np.max(np.abs(c))) if c.size else 1.0)
        shape = "x".join(str(s) for s in c.shape) or "scalar"
        self.rows.append((equation, quantity, shape, diff, ok))
        return ok

    def show(self) -> bool:
        print(f"\n{self.title}")
        print(f"  {'equation':<38} {'quantity':<26} {'shape':<8} {'max |diff|':>10}  result")
        for eq, q, shape, d, ok in self.rows:
            print(f"  {eq:<38} {q:<26} {shape:<8} {d:>10.2e}  {'PASS' if ok else 'FAIL'}")
        ok = all(r[4] for r in self.rows)
        print(f"  {'all ' + str(len(self.rows)) + ' rows pass' if ok else 'SOME ROWS FAIL'} (tolerance {TOL:g}, relative)")
        return ok


def jacobian(f, x: np.ndarray) -> np.ndarray:
    """The full Jacobian d f(x) / d x as an (outputs x inputs) matrix, by reverse mode (one backward per output).

    Uses :func:`micrograd_ext.jacobian.jacobian` when it is installed.
    """
    from micrograd_ext.core.tensor import Tensor

    x = np.asarray(x, dtype=float)
    try:
        from micrograd_ext.core.jacobian import jacobian as jac
    except ImportError:
        pass
    else:
        J = np.asarray(jac(f, x))
        return J.reshape(-1, x.size)
    rows = []
    n_out = int(np.prod(f(Tensor(x)).shape))
    for k in range(n_out):
        xt = Tensor(x, requires_grad=True)
        y = f(xt)
        seed = np.zeros(y.shape)
        seed.flat[k] = 1.0
        y.backward(seed)
        rows.append(xt.grad.ravel().copy())
    return np.array(rows)
