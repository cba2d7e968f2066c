"""The Tensor training step of bench_tensor.py, this version against an earlier commit, in one process.

Run:  .venv/bin/python bench/bench_ab.py REV [--sizes small medium large] [--pairs 41]

``REV`` (a commit, a branch) is extracted with ``git archive`` into a temporary folder under
the package name ``mg_old``, so both versions are imported side by side; the two steps
(forward, cross-entropy, backward, ``p.data -= lr * p.grad``, ``p.grad = None``, exactly as
bench_tensor.py's Tensor step) alternate (A B, B A, ...), and the figure is the median of the
per-pair time ratios, which cancels most of the drift of a shared machine.  One BLAS thread.
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import importlib  # noqa: E402
import io  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tarfile  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"small": (4, 8, 3, 150), "medium": (64, 128, 10, 1797), "large": (784, 256, 10, 256)}
REPS = {"small": 200, "medium": 4, "large": 4}
LR = 0.1


def load_old(rev: str, where: Path) -> tuple:
    blob = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "micrograd_ext"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(where, filter="data")
    (where / "micrograd_ext").rename(where / "mg_old")
    sys.path.insert(0, str(where))
    if (where / "mg_old" / "core" / "tensor.py").exists():
        return importlib.import_module("mg_old.core.tensor"), importlib.import_module("mg_old.nets.tensor_nn")
    # 0.1.0 and the commits before the layout change: flat modules
    return importlib.import_module("mg_old.tensor"), importlib.import_module("mg_old.tensor_nn")


def make_step(T, N, size: tuple):
    nin, hidden, classes, n = size
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((n, nin)), rng.integers(0, classes, n)
    net = N.MLP(nin, [hidden, classes], seed=0)
    Xt, params = T.Tensor(X), net.parameters()

    def step() -> None:
        T.cross_entropy(net(Xt), y).backward()
        for p in params:
            p.data -= LR * p.grad
            p.grad = None

    return step


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rev", help="the earlier commit to compare with")
    ap.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["small", "medium", "large"])
    ap.add_argument("--pairs", type=int, default=41)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            OT, ON = load_old(args.rev, Path(tmp))
        except subprocess.CalledProcessError as e:
            print(f"bench_ab: cannot extract {args.rev!r}: {e.stderr.decode().strip()}", file=sys.stderr)
            return 2
        from micrograd_ext.core import tensor as NT
        from micrograd_ext.nets import tensor_nn as NN

        print(f"old = {args.rev}, new = this work tree; median of {args.pairs} interleaved pairs")
        for name in args.sizes:
            old, new = make_step(OT, ON, SIZES[name]), make_step(NT, NN, SIZES[name])
            reps = REPS[name]
            for _ in range(3):
                for _ in range(reps):
                    old()
                    new()
            t_old, t_new, ratios = [], [], []
            for k in range(args.pairs):
                times = {}
                for f in ((old, new) if k % 2 == 0 else (new, old)):
                    t0 = time.perf_counter()
                    for _ in range(reps):
                        f()
                    times[f] = (time.perf_counter() - t0) / reps * 1e6
                t_old.append(times[old])
                t_new.append(times[new])
                ratios.append(times[new] / times[old])
            print(f"{name:7s} old {statistics.median(t_old):9.1f} us   new {statistics.median(t_new):9.1f} us   "
                  f"new/old {statistics.median(ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
