"""Forward mode as dual numbers, and why reverse mode wins for one loss and many weights.

The lesson, part 1: dual numbers.  Extend the real numbers with an ``eps`` whose
square is 0 (as ``i^2 = -1`` extends them to complex numbers).  Then

    (a + a' eps) + (b + b' eps) = (a + b) + (a' + b') eps
    (a + a' eps) * (b + b' eps) = ab + (a b' + a' b) eps          (eps^2 = 0)
    sin(a + a' eps)             = sin a + cos(a) a' eps

— the eps-part obeys exactly the sum, product and chain rules.  Evaluate any
expression on ``x + 1 eps`` and the eps-part of the result *is* the derivative: for
``f(x, y) = x y + sin x`` at ``(2, 3)``, seeding ``x = 2 + 1 eps, y = 3 + 0 eps``
gives ``f = 6.909... + (3 + cos 2) eps``.  That is forward mode: the derivative
travels *with* the values, from the inputs to the outputs, one direction (one
"tangent") per pass.  ``micrograd_ext.jvp(f, inputs, v)`` does the same on a recorded
graph: it pushes the tangent ``v`` through the same local derivatives that
``backward()`` uses, in creation order, and returns ``(f(x), J v)``.

Part 2: the cost.  For ``F: R^n -> R^m`` the Jacobian ``J`` is m x n.  One forward
pass gives one *column* ``J e_j`` (n passes for all of J); one reverse pass gives one
*row* ``e_i^T J`` (m passes).  The lesson builds the same Jacobian both ways for
``F(x) = tanh(W x) * mean(x^2)``, checks both against the closed form
``J = diag(mean(x^2) (1 - t^2)) W + t (2x/n)^T`` (``t = tanh(W x)``) and the dot-product
test ``<u, J v> = <J^T u, v>``, then times them as n grows with m fixed and as m grows
with n fixed (``dual_numbers_timing.png``).  What a learner should see: the cost of
forward mode grows with the number of *inputs*, that of reverse mode with the number
of *outputs*.  Training a net is the case m = 1 (one loss) and n = millions (the
weights): one reverse pass gives the whole gradient, where forward mode would need
one pass per weight.  That is why backpropagation is reverse mode.

The timings are printed and plotted, never asserted (they depend on the machine).

Run:  .venv/bin/python demos/dual_numbers.py [--out DIR] [--fast]
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
from _lesson import Checks, parse_args, pyplot, save

from micrograd_ext import Tensor, Value, grad, jvp


class Dual:
    """``a + b eps`` with ``eps^2 = 0``: ``real`` is the value, ``eps`` the derivative carried along."""

    def __init__(self, real: float, eps: float = 0.0) -> None:
        self.real, self.eps = float(real), float(eps)

    def __add__(self, other: Dual | float) -> Dual:
        o = other if isinstance(other, Dual) else Dual(other)
        return Dual(self.real + o.real, self.eps + o.eps)

    __radd__ = __add__

    def __mul__(self, other: Dual | float) -> Dual:
        o = other if isinstance(other, Dual) else Dual(other)
        return Dual(self.real * o.real, self.real * o.eps + self.eps * o.real)  # the eps^2 term is 0

    __rmul__ = __mul__

    def sin(self) -> Dual:
        return Dual(math.sin(self.real), math.cos(self.real) * self.eps)

    def __repr__(self) -> str:
        return f"{self.real:.6f} + {self.eps:.6f} eps"


def tiny(x, y):
    """``f(x, y) = x y + sin x``: works on floats, Duals and Values alike."""
    return x * y + x.sin()


def make_F(n: int, m: int, seed: int = 0) -> tuple[Callable[[Tensor], Tensor], np.ndarray]:
    """``F(x) = tanh(W x) * mean(x^2)`` from R^n to R^m, and its W (fixed, seeded)."""
    W = np.random.default_rng(seed).normal(size=(m, n)) / math.sqrt(n)
    Wt = Tensor(W)

    def F(x: Tensor) -> Tensor:
        return (Wt @ x).tanh() * (x * x).mean()

    return F, W


def closed_form_jacobian(W: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``d/dx [tanh(Wx) s]`` with ``s = mean(x^2)``: ``diag(s (1 - t^2)) W + t (2x/n)^T``."""
    t = np.tanh(W @ x)
    s = np.mean(x * x)
    return (s * (1 - t * t))[:, None] * W + np.outer(t, 2 * x / x.size)


def jacobian_forward(F: Callable[[Tensor], Tensor], x0: np.ndarray, m: int) -> np.ndarray:
    """Column by column: ``J e_j`` by one forward-mode pass (``jvp``) per input."""
    J = np.zeros((m, x0.size))
    for j in range(x0.size):
        e = np.zeros(x0.size)
        e[j] = 1.0
        _, J[:, j] = jvp(F, Tensor(x0.copy(), requires_grad=True), e)
    return J


def jacobian_reverse(F: Callable[[Tensor], Tensor], x0: np.ndarray, m: int) -> np.ndarray:
    """Row by row: ``e_i^T J`` by one reverse-mode pass (``grad`` with ``grad_outputs = e_i``) per output."""
    J = np.zeros((m, x0.size))
    for i in range(m):
        x = Tensor(x0.copy(), requires_grad=True)
        e = np.zeros(m)
        e[i] = 1.0
        (J[i],) = grad(F(x), [x], grad_outputs=e)  # each pass records F once, as jvp does
    return J


def timed(fn: Callable[[], object], reps: int) -> float:
    """Median seconds of ``reps`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def sweep(sizes: list[int], fixed: int, grow: str, reps: int) -> list[tuple[int, float, float]]:
    """``(size, forward seconds, reverse seconds)`` for the full Jacobian, interleaved per size."""
    out = []
    for k in sizes:
        n, m = (k, fixed) if grow == "n" else (fixed, k)
        F, _ = make_F(n, m, seed=k)
        x0 = np.random.default_rng(k + 1).normal(size=n)
        tf = timed(lambda F=F, x0=x0, m=m: jacobian_forward(F, x0, m), reps)
        tr = timed(lambda F=F, x0=x0, m=m: jacobian_reverse(F, x0, m), reps)
        out.append((k, tf, tr))
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, argv)
    checks = Checks()

    print("part 1: f(x, y) = x y + sin x at (2, 3); by hand df/dx = y + cos x, df/dy = x")
    exact = (3 + math.cos(2.0), 2.0)
    dx = tiny(Dual(2.0, 1.0), Dual(3.0, 0.0))
    dy = tiny(Dual(2.0, 0.0), Dual(3.0, 1.0))
    print(f"  dual numbers, x = 2 + 1 eps, y = 3:   f = {dx}   (eps-part: df/dx)")
    print(f"  dual numbers, x = 2, y = 3 + 1 eps:   f = {dy}   (eps-part: df/dy)")
    xs = [Value(2.0, label="x"), Value(3.0, label="y")]
    val, tx = jvp(tiny, xs, [1.0, 0.0])
    _, ty = jvp(tiny, xs, [0.0, 1.0])
    print(f"  jvp (forward mode on the graph):      f = {val:.6f}, J e_x = {tx:.6f}, J e_y = {ty:.6f}  (two passes)")
    rev = grad(tiny(*xs), xs)
    print(f"  grad (reverse mode, one pass):        df/dx = {rev[0]:.6f}, df/dy = {rev[1]:.6f}  (both at once)")
    checks.check("dual numbers, jvp and grad agree with the hand-derived (3 + cos 2, 2)",
                 max(abs(dx.eps - exact[0]), abs(dy.eps - exact[1]), abs(tx - exact[0]), abs(ty - exact[1]),
                     abs(rev[0] - exact[0]), abs(rev[1] - exact[1])) < 1e-15)

    n, m = 6, 3
    F, W = make_F(n, m)
    x0 = np.random.default_rng(1).normal(size=n)
    Jf, Jr, Jc = jacobian_forward(F, x0, m), jacobian_reverse(F, x0, m), closed_form_jacobian(W, x0)
    print(f"\npart 2: F(x) = tanh(W x) * mean(x^2), R^{n} -> R^{m}; J by {n} forward passes (columns) "
          f"and by {m} reverse passes (rows)")
    print("  J (forward mode):\n" + "\n".join("    " + " ".join(f"{v:+.5f}" for v in row) for row in Jf))
    checks.check("column-by-column J (jvp) equals row-by-row J (grad)", np.abs(Jf - Jr).max() < 1e-14,
                 f"max |diff| {np.abs(Jf - Jr).max():.1e}")
    checks.check("both equal the closed form diag(s(1 - t^2)) W + t (2x/n)^T", max(np.abs(Jf - Jc).max(), np.abs(Jr - Jc).max()) < 1e-14,
                 f"max |diff| {max(np.abs(Jf - Jc).max(), np.abs(Jr - Jc).max()):.1e}")
    rng = np.random.default_rng(2)
    u, v = rng.normal(size=m), rng.normal(size=n)
    _, Jv = jvp(F, Tensor(x0.copy(), requires_grad=True), v)
    xt = Tensor(x0.copy(), requires_grad=True)
    (JTu,) = grad(F(xt), [xt], grad_outputs=u)
    checks.check("the dot-product test <u, J v> (one forward pass) = <J^T u, v> (one reverse pass)",
                 abs(u @ Jv - JTu @ v) < 1e-14 * max(1.0, abs(u @ Jv)), f"{u @ Jv:.15f} vs {JTu @ v:.15f}")

    sizes = [1, 4, 16, 64] if args.fast else [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    reps = 1 if args.fast else 5
    fixed = 4
    print(f"\ntiming the full Jacobian (median of {reps} after a warm-up; this machine, not asserted):")
    by_n = sweep(sizes, fixed, "n", reps)
    by_m = sweep(sizes, fixed, "m", reps)
    print(f"  {'':<17} {'forward (jvp) ms':>17} {'reverse (grad) ms':>18}")
    for k, tf, tr in by_n:
        print(f"  n = {k:>4}, m = {fixed:>4} {tf * 1e3:>15.2f} {tr * 1e3:>18.2f}")
    for k, tf, tr in by_m:
        print(f"  n = {fixed:>4}, m = {k:>4} {tf * 1e3:>15.2f} {tr * 1e3:>18.2f}")
    big_n, big_m = by_n[-1], by_m[-1]
    print(f"  with n = {big_n[0]} inputs and m = {fixed} outputs reverse mode is {big_n[1] / big_n[2]:.0f}x faster; "
          f"with n = {fixed}, m = {big_m[0]} forward mode is {big_m[2] / big_m[1]:.0f}x faster")
    n_train = sizes[-1]
    (train,) = sweep([n_train], 1, "n", reps)
    print(f"  the training case, one loss (m = 1) and n = {n_train} weights: the whole gradient by reverse mode "
          f"{train[2] * 1e3:.2f} ms (one pass), by forward mode {train[1] * 1e3:.2f} ms ({n_train} passes)")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), dpi=100, sharey=True)
        for ax, rows, label, other in ((axes[0], by_n, "n, number of inputs", f"m = {fixed} outputs"),
                                       (axes[1], by_m, "m, number of outputs", f"n = {fixed} inputs")):
            ks = [r[0] for r in rows]
            ax.loglog(ks, [r[1] * 1e3 for r in rows], "o-", label="forward mode: jvp, one pass per input (column)")
            ax.loglog(ks, [r[2] * 1e3 for r in rows], "s-", label="reverse mode: grad, one pass per output (row)")
            ax.set_xlabel(label)
            ax.set_title(f"full Jacobian, {other}", fontsize=9)
            ax.legend(fontsize=7)
        axes[0].set_ylabel("ms (median)")
        fig.suptitle("F(x) = tanh(W x) * mean(x^2): forward mode pays per input, reverse mode per output", fontsize=10)
        fig.tight_layout()
        save(fig, args.out, "dual_numbers_timing.png")
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
