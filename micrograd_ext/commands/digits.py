"""``micrograd-ext digits``: the CS229 two-layer net trained on real handwritten digits, its gradients checked as it trains.

The network of "2-Layer Neural Net Gradient Derivations for Backpropagation" (the
two-layer net of a Stanford CS229 problem set: sigmoid hidden layer, softmax output,
cross-entropy, ``W[1]`` d x h and ``W[2]`` h x k), built with ``Tensor`` and trained with
Adam on the UCI optical recognition of handwritten digits shipped in the package (1,797
images of 8 x 8 pixels; 360 held out).  At every logged step autodiff's gradients are
compared with the post's closed forms; the exit status is 1 if one disagrees.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..documents.cs229 import DOC, GradCheck, train_digits

__all__ = ["main", "TARGET"]

#: the held-out accuracy the run is expected to reach (a hint is printed below it)
TARGET = 0.95


def main(argv: Sequence[str] | None = None) -> int:
    """``micrograd-ext digits [--hidden H] [--epochs E] [--batch B] [--lr LR] [--seed S] [--fast]``."""
    p = argparse.ArgumentParser(prog="micrograd-ext digits", description=__doc__.split("\n\n")[0])
    p.add_argument("--hidden", type=int, default=64, help="hidden units h (default 64)")
    p.add_argument("--epochs", type=int, default=None, help="epochs (default 20, 12 with --fast)")
    p.add_argument("--batch", type=int, default=32, help="minibatch size B (default 32)")
    p.add_argument("--lr", type=float, default=0.01, help="Adam's learning rate (default 0.01)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split, the initialisation and the shuffling (default 0)")
    p.add_argument("--fast", action="store_true", help="12 epochs instead of 20")
    args = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    epochs = args.epochs if args.epochs is not None else (12 if args.fast else 20)
    if args.hidden < 1 or epochs < 1 or args.batch < 1 or not args.lr > 0:
        print(f"micrograd-ext digits: --hidden {args.hidden}, --epochs {epochs}, --batch {args.batch}, --lr {args.lr:g} "
              "(expected positive sizes and a positive learning rate)", file=sys.stderr)
        return 2
    print(f'"{DOC.title}" (a post on the two-layer net of a Stanford CS229 problem set): z[1] = W[1]^T x + b[1], '
          "a[1] = sigmoid(z[1]), z[2] = W[2]^T a[1] + b[2], y_hat = softmax(z[2]), J = cross-entropy")
    print("data: UCI optical recognition of handwritten digits, 1,797 8 x 8 images (micrograd_ext/data/SOURCE.txt)")
    print(f"net: 64 -> {args.hidden} sigmoid -> 10 softmax, Tensor; Adam lr {args.lr:g}, minibatches of {args.batch}, "
          f"{epochs} epochs; gradients vs the post's closed forms at every logged step (tolerance 1e-10, relative)")

    def log(c: GradCheck) -> None:
        worst = max(c.max_rel_diff.values())
        print(f"  step {c.step:5d}  epoch {c.epoch + 1:3d}  loss {c.loss:.4f}  "
              f"max |autodiff - closed| / max(1, |closed|) = {worst:.1e} over dW1, db1, dW2, db2  {'pass' if c.passed else 'FAIL'}")

    try:
        run = train_digits(hidden=args.hidden, epochs=epochs, batch_size=args.batch, lr=args.lr, seed=args.seed, on_log=log)
    except ValueError as e:
        print(f"micrograd-ext digits: {e}", file=sys.stderr)
        return 2
    print(f"training accuracy {run.train_accuracy:.1%} ({run.n_train} images), held-out accuracy {run.test_accuracy:.1%} "
          f"({run.n_test} images), {run.steps} steps in {run.seconds:.2f} s")
    if run.test_accuracy < TARGET:
        print(f"(held-out accuracy below {TARGET:.0%}: train longer, e.g. --epochs {max(2 * epochs, 20)})")
    ok = run.gradients_agree
    print(f"gradients: {len(run.checks)} logged steps, {'all agree with the closed forms' if ok else 'SOME DISAGREE: FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
