"""``micrograd-ext train``: train a small MLP node by node on two moons (micrograd's demo).

The recipe of micrograd's ``demo.ipynb``: an ``MLP(2, [16, 16, 1])`` (ReLU hidden
layers, linear output), the max-margin loss ``1/N sum relu(1 - y s)`` plus L2
``1e-4 sum p^2`` (:func:`micrograd_ext.losses.max_margin`), full-batch SGD with the
learning rate decaying from 1.0 to 0.1 (``lr = 1 - 0.9 k / steps``).  Every step builds
a fresh graph of scalar ``Value`` nodes for all the points and runs ``backward()`` on it.

It prints the loss and training accuracy every few steps and the final accuracy;
the exit status is 0 (1 if the loss stopped being finite).

The seed fixes the data and the initial weights; the default is 0.  ``demos/moons.py``
runs the same recipe through :func:`train_moons` with micrograd's notebook's seed, 1337
(and draws the decision boundary), so ``micrograd-ext train --seed 1337`` reports the
demo's run; both say which seed they use.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..core.graph import no_grad, topological_order
from ..nets import _checks
from ._run import Parser, fail, run

PROG = "micrograd-ext train"
#: The seed of micrograd's demo notebook (and of ``demos/moons.py``).
MICROGRAD_SEED = 1337

__all__ = ["TrainResult", "train_moons", "main"]


@dataclass
class TrainResult:
    """What a run did: per logged step ``(step, loss, accuracy)``, the final accuracy, the time, the model."""

    steps: int
    samples: int
    history: list[tuple[int, float, float]] = field(default_factory=list)
    final_accuracy: float = 0.0
    final_loss: float = math.nan
    nodes_per_step: int = 0
    seconds: float = 0.0
    model: Any = None


def train_moons(steps: int = 100, samples: int = 100, seed: int = 0, *, noise: float = 0.1,
                hidden: tuple[int, ...] = (16, 16), weighted_sum: bool = True, log_every: int | None = None,
                out: TextIO | None = None) -> TrainResult:
    """Train ``MLP(2, [*hidden, 1])`` on ``make_moons(samples, noise, seed)``; return a :class:`TrainResult`.

    ``seed`` fixes both the data and the initial weights, so two runs give the same
    numbers to the last bit.  ``weighted_sum=True`` makes each neuron's ``z`` one node
    (fast); ``False`` builds micrograd's chain of ``*`` and ``+`` nodes.
    ``out``: where the progress lines go (``None``: nowhere).
    """
    from ..nets.datasets import make_moons
    from ..nets.losses import max_margin
    from ..nets.neurons import MLP
    from ..nets.optim import SGD

    steps = _checks.integer(steps, "steps", "train_moons", minimum=1)
    samples = _checks.integer(samples, "samples", "train_moons", minimum=2)
    seed = _checks.seed(seed, "train_moons")
    hidden = tuple(_checks.integer(h, f"hidden[{k}]", "train_moons", minimum=1) for k, h in enumerate(hidden))
    if log_every is not None:
        log_every = _checks.integer(log_every, "log_every", "train_moons", minimum=1)
    X, y = make_moons(samples, noise=noise, seed=seed, signed=True)
    rows = [[float(a), float(b)] for a, b in X]
    labels = [float(v) for v in y]
    model = MLP(2, [*hidden, 1], seed=seed, weighted_sum=weighted_sum)
    params = model.parameters()
    opt = SGD(params, lr=1.0)
    res = TrainResult(steps=steps, samples=samples, model=model)
    every = log_every or max(1, steps // 10)
    if out is not None:
        print(f"two moons: {samples} points (noise {noise}, seed {seed}); MLP 2-{'-'.join(map(str, hidden))}-1 "
              f"(ReLU, linear output), {len(params)} parameters; max-margin loss + 1e-4 L2, SGD, {steps} steps",
              file=out)
        print(f"  the seed fixes the data and the initial weights: another seed is another run "
              f"(demos/moons.py uses micrograd's seed {MICROGRAD_SEED}; --seed {MICROGRAD_SEED} gives its run)",
              file=out)
    t0 = time.perf_counter()
    for k in range(steps):
        scores = [model(r) for r in rows]
        loss = max_margin(scores, labels, alpha=1e-4, params=params)
        acc = sum((s.data > 0) == (t > 0) for s, t in zip(scores, labels)) / len(labels)
        if k == 0:
            res.nodes_per_step = len(topological_order(loss))
        opt.zero_grad()
        loss.backward()
        opt.lr = 1.0 - 0.9 * k / steps  # micrograd's schedule
        opt.step()
        if k % every == 0 or k == steps - 1:
            res.history.append((k, loss.data, acc))
            if out is not None:
                print(f"  step {k:>4}  loss {loss.data:.6f}  accuracy {100 * acc:5.1f}%", file=out)
        if not math.isfinite(loss.data):
            break
    with no_grad():
        final_scores = [model(r).data for r in rows]
        res.final_loss = max_margin(final_scores, labels, alpha=1e-4, params=params).data
    res.final_accuracy = sum((s > 0) == (t > 0) for s, t in zip(final_scores, labels)) / len(labels)
    res.seconds = time.perf_counter() - t0
    return res


def main(argv: list[str] | None = None) -> int:
    """The ``micrograd-ext train`` command; returns its exit status (errors: one line on stderr)."""
    return run(PROG, lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    ap = Parser(
        prog=PROG,
        description="Train an MLP 2-16-16-1 node by node on two moons (micrograd's demo: max-margin loss "
                    "+ L2, SGD with a decaying learning rate) and print its loss and accuracy.",
    )
    ap.add_argument("--steps", type=int, default=None, help="SGD steps (default 100; 40 with --fast)")
    ap.add_argument("--samples", type=int, default=None, help="number of points (default 100; 40 with --fast)")
    ap.add_argument("--seed", type=int, default=0,
                    help=f"seed of the data and of the initial weights (default 0; demos/moons.py uses {MICROGRAD_SEED})")
    ap.add_argument("--chain", action="store_true",
                    help="build each neuron as micrograd does, a chain of * and + nodes (slower), "
                         "instead of one weighted-sum node")
    ap.add_argument("--quiet", action="store_true", help="print only the final accuracy")
    ap.add_argument("--fast", action="store_true", help="a small run (40 points, 40 steps) for tests")
    args = ap.parse_args(argv)
    steps = args.steps if args.steps is not None else (40 if args.fast else 100)
    samples = args.samples if args.samples is not None else (40 if args.fast else 100)
    if steps < 1:
        fail(PROG, f"--steps {steps} (expected at least 1)")
    if samples < 2:
        fail(PROG, f"--samples {samples} (expected at least 2)")
    if args.seed < 0:
        fail(PROG, f"--seed {args.seed} (expected a non-negative integer)")
    res = train_moons(steps, samples, args.seed, weighted_sum=not args.chain, out=None if args.quiet else sys.stdout)
    if not args.quiet:
        print(f"graph per step: {res.nodes_per_step} nodes; {res.seconds:.2f} s in total")
    print(f"final training accuracy: {100 * res.final_accuracy:.1f}% "
          f"({round(res.final_accuracy * samples)}/{samples}), loss {res.final_loss:.6f}")
    return 0 if math.isfinite(res.final_loss) else 1


if __name__ == "__main__":
    sys.exit(main())
