"""Newton's method against gradient descent: the second derivative by differentiating the first.

The lesson.  Gradient descent only knows the slope, ``x <- x - lr f'(x)``, and its
step size ``lr`` is a guess made once for the whole run.  Newton's method also uses
the curvature: it replaces ``f`` near ``x`` by its second-order Taylor polynomial
``f(x) + f'(x) d + f''(x) d^2 / 2`` and jumps to that parabola's minimum,

    x <- x - f'(x) / f''(x),

i.e. a step size ``1 / f''(x)`` chosen afresh at every point.  Here
``f(x) = x^4 - 2 x^2`` (minima at x = -1 and x = 1, a maximum at 0), from
``x0 = 2.0``: by hand ``f'(x) = 4x^3 - 4x`` and ``f''(x) = 12x^2 - 4``, so
``f''(1) = 8`` and ``f'''(1) = 24``.

The engine gets ``f''`` without our help: ``grad(y, [x], create_graph=True)`` returns
``f'(x)`` as a *graph node* built from the op table's derivative expressions
(``d(a**n)/da = n a^(n-1)``...), and ``grad`` of that node is ``f''(x)``.  Nothing is
hand-coded: change ``f`` and Newton's method still works.  What a learner should see:

* Newton's error is squared at each step (quadratic convergence): the digits of
  ``x`` double, ``|x - 1|`` goes 0.45, 0.15, 0.025, 9e-4, 1.2e-6, 2e-12, and
  ``e_{k+1} / e_k^2`` tends to ``f'''(1) / (2 f''(1)) = 1.5``.  It reaches
  ``|x - 1| < 1e-10`` in 6 steps (the check asks for at most 7);
* gradient descent's error is multiplied by about ``|1 - lr f''(1)| = |1 - 8 lr|`` at
  each step (linear convergence): a straight line on the log-scale plot, tens to
  hundreds of steps, and a step size too large (``lr = 0.125`` from 2.0) lands it in
  the other minimum, -1;
* one Newton step needs two reverse passes (the second through a graph that
  ``create_graph=True`` built); for n variables it needs the n x n Hessian, which is
  why large nets are trained with first-order methods (see ``iris_hessian.py``).

DeZero does the same in its steps 29 and 33 (first by the hand-written ``f''``, then
by double backprop); micrograd cannot (its gradients are floats).

Run:  .venv/bin/python demos/newton.py [--out DIR] [--fast]
Writes ``newton_vs_gd.png``: ``|x - 1|`` against the iteration, on a log scale.
"""

from __future__ import annotations

import sys

from _lesson import Checks, parse_args, pyplot, save

from micrograd_ext import Value, grad

X0 = 2.0
TOL = 1e-10
GD_RATES = (0.02, 0.05)


def f(x: Value) -> Value:
    """The function to minimise: ``x^4 - 2 x^2``."""
    return x**4 - 2 * x**2


def derivatives(x0: float) -> tuple[float, float, float]:
    """``(f(x0), f'(x0), f''(x0))`` by reverse mode, the second by differentiating the first."""
    x = Value(x0, label="x")
    y = f(x)
    (d1,) = grad(y, [x], create_graph=True)  # f'(x) as a graph node (a Value)
    (d2,) = grad(d1, [x])  # its derivative, a float: f''(x)
    return y.data, d1.data, d2


def newton(x0: float = X0, tol: float = TOL, max_steps: int = 50) -> list[float]:
    """The iterates ``x0, x1, ...`` of ``x <- x - f'(x) / f''(x)`` until ``|x - 1| < tol``."""
    xs = [x0]
    while abs(xs[-1] - 1.0) >= tol and len(xs) <= max_steps:
        _, d1, d2 = derivatives(xs[-1])
        xs.append(xs[-1] - d1 / d2)
    return xs


def gradient_descent(x0: float = X0, lr: float = 0.05, tol: float = TOL, max_steps: int = 2000) -> list[float]:
    """The iterates of ``x <- x - lr f'(x)`` until ``|x - 1| < tol`` (or ``max_steps``)."""
    xs = [x0]
    while abs(xs[-1] - 1.0) >= tol and len(xs) <= max_steps:
        x = Value(xs[-1])
        (d1,) = grad(f(x), [x])
        xs.append(xs[-1] - lr * d1)
    return xs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, argv)
    checks = Checks()
    print(f"f(x) = x^4 - 2x^2 from x0 = {X0}; stop when |x - 1| < {TOL:g}")

    print("\nNewton's method, x <- x - f'(x)/f''(x), f'' by nesting grad (f1 = f', f2 = f''):")
    print(f"  {'k':>2} {'x_k':>20} {'|x_k - 1|':>10} {'f1(x_k)':>12} {'f2(x_k)':>12} {'e_k/e_(k-1)^2':>14}")
    xs = newton()
    worst = 0.0
    for k, x in enumerate(xs):
        _, d1, d2 = derivatives(x)
        worst = max(worst, abs(d1 - (4 * x**3 - 4 * x)), abs(d2 - (12 * x**2 - 4)) / 8)
        e, ep = abs(x - 1), abs(xs[k - 1] - 1) if k else 0.0
        rate = f"{e / ep**2:14.4f}" if k and e > 1e-15 else ""
        print(f"  {k:>2} {x:>20.16f} {e:>10.2e} {d1:>12.4e} {d2:>12.6f} {rate}")
    steps = len(xs) - 1
    checks.check(f"Newton reaches 1 to {TOL:g} in at most 7 steps", steps <= 7 and abs(xs[-1] - 1) < TOL,
                 f"{steps} steps")
    checks.check("f' and f'' by nesting grad equal the hand-derived 4x^3 - 4x and 12x^2 - 4", worst < 1e-12,
                 f"worst difference {worst:.1e}")
    e = [abs(x - 1) for x in xs]
    k = max(i for i in range(1, len(e)) if e[i] > 1e-13)  # the last ratio not yet swamped by rounding
    checks.check("quadratic convergence: e_(k+1)/e_k^2 -> f'''(1)/(2 f''(1)) = 24/16 = 1.5",
                 abs(e[k] / e[k - 1] ** 2 - 1.5) < 0.01, f"{e[k] / e[k - 1] ** 2:.4f} at step {k}")

    runs = {"Newton": xs}
    for lr in GD_RATES:
        gd = gradient_descent(lr=lr)
        runs[f"gradient descent, lr = {lr:g}"] = gd
        eg = [abs(x - 1) for x in gd]
        print(f"\ngradient descent, lr = {lr:g}: {len(gd) - 1} steps to |x - 1| < {TOL:g} "
              f"(Newton: {steps}); error ratio at the end {eg[-1] / eg[-2]:.4f}")
        checks.check(f"lr = {lr:g} converges linearly at the rate |1 - lr f''(1)| = {abs(1 - 8 * lr):.2f}",
                     abs(eg[-1] / eg[-2] - abs(1 - 8 * lr)) < 1e-3 and eg[-1] < TOL, f"{eg[-1] / eg[-2]:.4f}")
    jump = gradient_descent(lr=0.125, max_steps=200)
    print(f"\ngradient descent, lr = 0.125 = 1/f''(1): x1 = {jump[1]:g}, then it settles at {jump[-1]:.6f}: "
          "the other minimum (a step size is a global guess; Newton's 1/f''(x) is local)")
    checks.check("lr = 0.125 from 2.0 goes to the other minimum, -1", abs(jump[-1] + 1) < 1e-6)

    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(7, 4.2), dpi=100)
        for (name, it), style in zip(runs.items(), ("o-", ".-", ".-")):
            errs = [max(abs(x - 1), 1e-13) for x in it]
            ax.semilogy(range(len(errs)), errs, style, label=f"{name}: {len(it) - 1} steps", markersize=4)
        ax.axhline(TOL, color="grey", lw=0.8, ls="--")
        ax.text(0.5, TOL * 2, f"|x - 1| = {TOL:g}", color="grey", fontsize=8)
        ax.set_xlabel("iteration k")
        ax.set_ylabel("|x_k - 1|  (log scale)")
        ax.set_title("minimising x^4 - 2x^2 from x0 = 2: Newton (f'' by nested grad) vs gradient descent")
        ax.title.set_fontsize(10)
        ax.set_ylim(1e-13, 10)
        ax.legend(fontsize=8)
        fig.tight_layout()
        save(fig, args.out, "newton_vs_gd.png")
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
