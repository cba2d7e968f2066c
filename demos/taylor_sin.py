"""Taylor polynomials of sin, from derivatives at 0 computed by differentiating again and again.

The lesson.  Near a point ``a`` a smooth function is its Taylor series,

    f(x) = sum_n f^(n)(a) / n! (x - a)^n,

so a machine that can differentiate its own derivatives can *build* the polynomial:
``grad(y, [x], create_graph=True)`` returns ``f'(x)`` as a graph node, ``grad`` of that
node returns ``f''(x)``, and so on — each order one more reverse pass, through the
graph the previous pass built.  For ``sin`` at 0 the derivatives cycle
``0, 1, 0, -1, 0, 1, ...`` (``sin' = cos``, ``cos' = -sin``: the op table's entries,
evaluated on nodes), so the coefficients are ``0`` for even ``n`` and
``(-1)^k / (2k + 1)!`` for ``n = 2k + 1``:

    sin x = x - x^3/3! + x^5/5! - x^7/7! + x^9/9! - ...

What a learner should see:

* the derivatives at 0 the engine found, the coefficients ``f^(n)(0)/n!`` and the
  known ``(-1)^k/(2k+1)!`` side by side (equal to the last bit);
* ``taylor_sin.png``: the polynomials of degree 1, 3, 5, 7, 9 against sin on
  [-2 pi, 2 pi]: each hugs sin on a wider interval around 0 and then runs away;
* the error obeys Lagrange's bound ``|sin x - T_n(x)| <= |x|^(n+1) / (n+1)!`` (every
  derivative of sin is at most 1 in size), checked on the whole interval.

Run:  .venv/bin/python demos/taylor_sin.py [--out DIR] [--fast]
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import numpy as np
from _lesson import Checks, parse_args, pyplot, save

from micrograd_ext import Value, grad
from micrograd_ext.core.graph import topological_order

DEGREES = (1, 3, 5, 7, 9)


def derivatives_at(f: Callable[[Value], Value], a: float, order: int) -> tuple[list[float], list[int]]:
    """``[f(a), f'(a), ..., f^(order)(a)]`` by nesting ``grad(create_graph=True)``, and each graph's size."""
    x = Value(a, label="x")
    d = f(x)
    values, sizes = [d.data], [len(topological_order(d))]
    for _ in range(order):
        (d,) = grad(d, [x], create_graph=True, allow_unused=True)  # allow_unused: a polynomial's derivative ends in a constant
        values.append(d.data)
        sizes.append(len(topological_order(d)))
    return values, sizes


def taylor_coefficients(f: Callable[[Value], Value], a: float, degree: int) -> np.ndarray:
    """``c_n = f^(n)(a) / n!`` for ``n = 0 .. degree``."""
    ds, _ = derivatives_at(f, a, degree)
    return np.array([d / math.factorial(n) for n, d in enumerate(ds)])


def known_sin_coefficients(degree: int) -> np.ndarray:
    """sin's Maclaurin coefficients: 0 for even n, (-1)^k/(2k+1)! for n = 2k + 1."""
    return np.array([0.0 if n % 2 == 0 else (-1) ** (n // 2) / math.factorial(n) for n in range(degree + 1)])


def polynomial(coefficients: np.ndarray, x: np.ndarray, a: float = 0.0) -> np.ndarray:
    """``sum_n c_n (x - a)^n`` by Horner's rule."""
    out = np.zeros_like(np.asarray(x, dtype=float))
    for c in coefficients[::-1]:
        out = out * (x - a) + c
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, argv)
    checks = Checks()
    top = max(DEGREES)
    ds, sizes = derivatives_at(lambda x: x.sin(), 0.0, top)
    coef = np.array([d / math.factorial(n) for n, d in enumerate(ds)])
    known = known_sin_coefficients(top)
    print(f"sin around 0: derivatives by nesting grad(create_graph=True) {top} times")
    print(f"  {'n':>2} {'f^(n)(0)':>9} {'f^(n)(0)/n!':>22} {'(-1)^k/(2k+1)!':>22} {'graph nodes':>12}")
    for n in range(top + 1):
        shown = f"{known[n]:22.15e}" if n % 2 else f"{'0':>22}"
        print(f"  {n:>2} {ds[n]:>9.1f} {coef[n]:>22.15e} {shown} {sizes[n]:>12}" + (f"   k = {n // 2}" if n % 2 else ""))
    print("  (-0.0 is -sin(0) in floating point: IEEE 754's negative zero, equal to 0)")
    checks.check("every coefficient equals (-1)^k/(2k+1)! (odd n) or 0 (even n)",
                 np.allclose(coef, known, rtol=1e-15, atol=0.0), f"max |diff| {np.max(np.abs(coef - known)):.1e}")

    n_pts = 201 if args.fast else 1001
    xs = np.linspace(-2 * np.pi, 2 * np.pi, n_pts)
    print("\nthe error of T_n on [-2 pi, 2 pi] against Lagrange's bound |x|^(n+1)/(n+1)!:")
    print(f"  {'n':>2} {'max error':>12} {'at |x| <= 1':>12} {'T_n(pi/2) - 1':>15}")
    curves = {}
    for n in DEGREES:
        T = polynomial(coef[: n + 1], xs)
        curves[n] = T
        err = np.abs(np.sin(xs) - T)
        bound = np.abs(xs) ** (n + 1) / math.factorial(n + 1)
        near = err[np.abs(xs) <= 1].max()
        print(f"  {n:>2} {err.max():>12.3e} {near:>12.3e} {polynomial(coef[: n + 1], np.array(np.pi / 2)) - 1:>15.3e}")
        checks.check(f"T_{n}: |sin x - T_{n}(x)| <= |x|^{n + 1}/{n + 1}! everywhere", bool(np.all(err <= bound + 1e-15)))
    checks.check("T_9(pi/2) = 1 to 1e-5 (Lagrange: (pi/2)^10/10! = 2.5e-5)",
                 abs(polynomial(coef, np.array(np.pi / 2)) - 1) < 1e-5)

    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=100)
        ax.plot(xs, np.sin(xs), color="k", lw=2.5, label="sin x")
        for n in DEGREES:
            ax.plot(xs, curves[n], lw=1.3, label=f"T_{n}")
        ax.set_ylim(-3, 3)
        ax.set_xlim(-2 * np.pi, 2 * np.pi)
        ax.set_xticks([-2 * np.pi, -np.pi, 0, np.pi, 2 * np.pi], ["-2pi", "-pi", "0", "pi", "2pi"])
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title("Taylor polynomials of sin at 0, coefficients f^(n)(0)/n! from nested grad", fontsize=10)
        ax.legend(fontsize=8, loc="upper center", ncol=3)
        fig.tight_layout()
        save(fig, args.out, "taylor_sin.png")
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
