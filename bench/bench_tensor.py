"""One training step of a two-layer classifier: micrograd_ext Tensor vs the same step by hand in numpy.

Run:  .venv/bin/python bench/bench_tensor.py [--reps N] [--quick]

The step is forward (Linear, ReLU, Linear), softmax cross-entropy averaged over the
samples, backward, and a plain SGD update of the four parameters.  The hand-written
reference uses the closed forms (rows are samples, W is (nout, nin)):

    Z1 = X W1^T + b1,  A1 = relu(Z1),  Z2 = A1 W2^T + b2,  P = softmax(Z2)
    dZ2 = (P - Y) / N, dW2 = dZ2^T A1, db2 = dZ2^T 1, dA1 = dZ2 W2,
    dZ1 = dA1 * [Z1 > 0], dW1 = dZ1^T X, db1 = dZ1^T 1

which is the floor any numpy-based autodiff can reach.  Both run in the same
process, float64, one BLAS thread, interleaved (A, B, A, B, ...), on identical
weights; we report the median of the per-pair time ratios.  The figures are
recorded in docs/bench_tensor.md.
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from micrograd_ext.core.tensor import Tensor, cross_entropy  # noqa: E402
from micrograd_ext.nets.tensor_nn import MLP  # noqa: E402

LR = 0.1
SIZES = [  # (name, nin, hidden, classes, samples)
    ("4-8-3 x 150", 4, 8, 3, 150),
    ("64-128-10 x 1797", 64, 128, 10, 1797),
    ("784-256-10 x 256", 784, 256, 10, 256),
]


def make_problem(nin: int, hidden: int, classes: int, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, nin))
    y = rng.integers(0, classes, n)
    net = MLP(nin, [hidden, classes], seed=seed)  # relu hidden, linear output
    return X, y, net


def sgd_update(params: list) -> None:
    for p in params:
        p.data -= LR * p.grad


ZERO_FIRST = False  # --zero-first: release the gradients at the start of the step instead of the end


def make_tensor_step(X: np.ndarray, y: np.ndarray, net: MLP):
    """The autodiff step: what a user of micrograd_ext writes.

    The gradients are released (``p.grad = None``, what ``zero_grad()`` does) after
    the update, so that, as in the hand-written step, nothing but the weights
    outlives a step.  With ``--zero-first`` they are released at the start of the
    next step instead (PyTorch's usual order); the arithmetic is identical, only
    the allocator sees four gradient arrays live across the step boundary.
    """
    Xt = Tensor(X)  # data: requires_grad=False, gets no gradient
    params = net.parameters()

    def step() -> float:
        if ZERO_FIRST:
            for p in params:
                p.grad = None
        loss = cross_entropy(net(Xt), y)
        loss.backward()
        sgd_update(params)
        if not ZERO_FIRST:
            for p in params:
                p.grad = None
        return loss.item()

    return step


def make_numpy_step(X: np.ndarray, y: np.ndarray, W1, b1, W2, b2):
    """The same step written by hand with the closed-form gradients."""
    n = X.shape[0]
    Y = np.zeros((n, W2.shape[0]))
    Y[np.arange(n), y] = 1.0
    rows = np.arange(n)

    def step() -> float:
        nonlocal W1, b1, W2, b2  # updated in place
        Z1 = X @ W1.T + b1
        A1 = np.maximum(Z1, 0.0)
        Z2 = A1 @ W2.T + b2
        Z2 = Z2 - Z2.max(axis=1, keepdims=True)
        E = np.exp(Z2)
        S = E.sum(axis=1, keepdims=True)
        P = E / S
        loss = float(np.mean(np.log(S[:, 0]) - Z2[rows, y]))
        dZ2 = (P - Y) / n
        dW2 = dZ2.T @ A1
        db2 = dZ2.sum(axis=0)
        dA1 = dZ2 @ W2
        dZ1 = dA1 * (Z1 > 0)
        dW1 = dZ1.T @ X
        db1 = dZ1.sum(axis=0)
        W1 -= LR * dW1
        b1 -= LR * db1
        W2 -= LR * dW2
        b2 -= LR * db2
        return loss

    return step


def make_elementwise_problem(nin: int, hidden: int, classes: int, n: int, seed: int = 0, dtype=np.float64):
    """Data and weights for the step written with elementary ops (weights ``(nin, nout)``: ``X @ W + b``)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, nin))
    y = rng.integers(0, classes, n)
    Y = np.zeros((n, classes))
    Y[np.arange(n), y] = 1.0
    ws = [rng.uniform(-1, 1, (nin, hidden)) / np.sqrt(nin), np.zeros(hidden),
          rng.uniform(-1, 1, (hidden, classes)) / np.sqrt(hidden), np.zeros(classes)]
    return X.astype(dtype), Y.astype(dtype), [w.astype(dtype) for w in ws]


def make_elementwise_tensor_step(X: np.ndarray, Y: np.ndarray, ws: list, dtype=np.float64):
    """The step as a user writes it with elementary Tensor operations (issue: no fused nodes):
    ``Tensor(X) @ W + b``, ``.sigmoid()``, ``.log_softmax(1)``, ``-(Y * logp).sum() / n``, SGD."""
    W1, b1, W2, b2 = params = [Tensor(w, requires_grad=True, dtype=dtype) for w in ws]
    n = X.shape[0]

    def step() -> float:
        A1 = (Tensor(X, dtype=dtype) @ W1 + b1).sigmoid()
        logp = (A1 @ W2 + b2).log_softmax(1)
        loss = -(Y * logp).sum() / n
        loss.backward()
        sgd_update(params)
        for p in params:
            p.grad = None
        return loss.item()

    return step, params


def make_elementwise_numpy_step(X: np.ndarray, Y: np.ndarray, ws: list):
    """The same step by hand: sigmoid hidden layer, log-softmax, the closed-form gradients."""
    W1, b1, W2, b2 = [w.copy() for w in ws]
    n = X.shape[0]

    def step() -> float:
        A1 = 1.0 / (1.0 + np.exp(-(X @ W1 + b1)))
        Z2 = A1 @ W2 + b2
        Z2 = Z2 - Z2.max(axis=1, keepdims=True)
        logp = Z2 - np.log(np.exp(Z2).sum(axis=1, keepdims=True))
        loss = float(-(Y * logp).sum() / n)
        dZ2 = (np.exp(logp) - Y) / n
        dW2 = A1.T @ dZ2
        db2 = dZ2.sum(axis=0)
        dZ1 = (dZ2 @ W2.T) * A1 * (1.0 - A1)
        dW1 = X.T @ dZ1
        db1 = dZ1.sum(axis=0)
        for w, g in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
            w -= LR * g
        return loss

    return step, [W1, b1, W2, b2]


def check_same(nin: int, hidden: int, classes: int, n: int) -> float:
    """Both steps from the same weights give the same loss and the same updated weights."""
    X, y, net = make_problem(nin, hidden, classes, n, seed=1)
    ws = [p.data.copy() for p in net.parameters()]  # W1, b1, W2, b2
    t_step, h_step = make_tensor_step(X, y, net), make_numpy_step(X, y, *ws)
    diffs = []
    for _ in range(3):
        diffs.append(abs(t_step() - h_step()))
    diffs += [float(np.max(np.abs(p.data - w))) for p, w in zip(net.parameters(), ws)]
    return max(diffs)


def time_pair(step_a, step_b, reps: int, inner: int) -> list[tuple[float, float]]:
    """Interleaved timings (a, b), (b, a), (a, b), ... of ``inner`` steps each.

    The order alternates so that neither side always runs right after the other
    (allocator and cache state carry over from one to the next).  Returns the
    per-repetition pairs (time of a, time of b) for ``inner`` steps.
    """
    clock = time.perf_counter

    def run(step) -> float:
        t0 = clock()
        for _ in range(inner):
            step()
        return clock() - t0

    pairs = []
    for r in range(reps + 1):
        if r % 2:
            tb = run(step_b)
            ta = run(step_a)
        else:
            ta = run(step_a)
            tb = run(step_b)
        if r:  # the first pair is a warm-up
            pairs.append((ta, tb))
    return pairs


KEEP_ENV = {"MALLOC_MMAP_THRESHOLD_": "1000000000", "MALLOC_TRIM_THRESHOLD_": "2000000000"}


def run_table(reps: int) -> float:
    print(f"{'size':<20} {'hand numpy':>12} {'Tensor':>12} {'ratio':>7}   {'max |diff|':>10}")
    worst = 0.0
    for name, nin, hidden, classes, n in SIZES:
        diff = check_same(nin, hidden, classes, n)
        X, y, net = make_problem(nin, hidden, classes, n)
        ws = [p.data.copy() for p in net.parameters()]
        t_step, h_step = make_tensor_step(X, y, net), make_numpy_step(X, y, *ws)
        # inner loop long enough for ~20 ms per timing, and at least 3 steps
        t0 = time.perf_counter()
        h_step()
        once = max(time.perf_counter() - t0, 1e-6)
        inner = max(3, int(0.02 / once))
        pairs = time_pair(t_step, h_step, reps, inner)
        ratio = statistics.median(a / b for a, b in pairs)
        ta = statistics.median(a for a, _ in pairs) / inner
        tb = statistics.median(b for _, b in pairs) / inner
        worst = max(worst, ratio)
        print(f"{name:<20} {tb * 1e6:>10.1f}us {ta * 1e6:>10.1f}us {ratio:>6.2f}x   {diff:>10.1e}")
    print(f"worst ratio {worst:.2f}x (target <= 1.30x)")
    return worst


def run_elementwise_table(reps: int) -> None:
    """The step written with elementary ops, against its closed form; then float32 against float64."""
    print("\nelementary ops (Tensor(X) @ W + b, sigmoid, log_softmax, -(Y * logp).sum() / n), vs the closed form")
    print(f"{'size':<20} {'hand numpy':>12} {'Tensor':>12} {'ratio':>7}   {'max |diff|':>10}")
    for name, nin, hidden, classes, n in SIZES:
        X, Y, ws = make_elementwise_problem(nin, hidden, classes, n)
        (t_step, tp), (h_step, hp) = make_elementwise_tensor_step(X, Y, ws), make_elementwise_numpy_step(X, Y, ws)
        diff = max(abs(t_step() - h_step()) for _ in range(3))
        diff = max(diff, *(float(np.max(np.abs(a.data - b))) for a, b in zip(tp, hp)))
        t0 = time.perf_counter()
        h_step()
        inner = max(3, int(0.02 / max(time.perf_counter() - t0, 1e-6)))
        pairs = time_pair(t_step, h_step, reps, inner)
        ratio = statistics.median(a / b for a, b in pairs)
        ta = statistics.median(a for a, _ in pairs) / inner
        tb = statistics.median(b for _, b in pairs) / inner
        print(f"{name:<20} {tb * 1e6:>10.1f}us {ta * 1e6:>10.1f}us {ratio:>6.2f}x   {diff:>10.1e}")
    print("\nfloat32 against float64, the same Tensor steps (time of float32 / time of float64)")
    print(f"{'size':<20} {'elementary ops':>15} {'fused nodes':>12}")
    for name, nin, hidden, classes, n in SIZES:
        X, Y, ws = make_elementwise_problem(nin, hidden, classes, n)
        s64, _ = make_elementwise_tensor_step(X, Y, ws, np.float64)
        X32, Y32, ws32 = make_elementwise_problem(nin, hidden, classes, n, dtype=np.float32)
        s32, _ = make_elementwise_tensor_step(X32, Y32, ws32, np.float32)
        Xf, yf, net64 = make_problem(nin, hidden, classes, n)
        net32 = MLP(nin, [hidden, classes], seed=0, dtype=np.float32)
        f64 = make_tensor_step(Xf, yf, net64)
        f32 = make_tensor_step(Xf.astype(np.float32), yf, net32)
        t0 = time.perf_counter()
        s64()
        inner = max(3, int(0.02 / max(time.perf_counter() - t0, 1e-6)))
        r_el = statistics.median(a / b for a, b in time_pair(s32, s64, reps, inner))
        r_fu = statistics.median(a / b for a, b in time_pair(f32, f64, reps, inner))
        print(f"{name:<20} {r_el:>14.2f}x {r_fu:>11.2f}x")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=21, help="interleaved repetitions per size (default 21)")
    ap.add_argument("--quick", action="store_true", help="few repetitions (a smoke run)")
    ap.add_argument("--only", choices=["default", "keep"], help="run one allocator setting only")
    ap.add_argument("--zero-first", action="store_true", help="release gradients at the start of each step")
    args = ap.parse_args(argv)
    global ZERO_FIRST
    ZERO_FIRST = args.zero_first
    reps = 3 if args.quick else args.reps
    keep = all(os.environ.get(k) == v for k, v in KEEP_ENV.items())
    print(f"python {platform.python_version()}, numpy {np.__version__}, float64, one BLAS thread, "
          f"{reps} interleaved repetitions (median of per-repetition ratios), gradients released "
          f"{'at the start' if ZERO_FIRST else 'at the end'} of each step")
    if args.only != "keep" or keep:
        print("\nallocator: " + ("glibc told to keep freed memory (" + ", ".join(f"{k}={v}" for k, v in KEEP_ENV.items()) + ")"
                                 if keep else "glibc defaults"))
        run_table(reps)
        if not keep:
            run_elementwise_table(reps)
    if not keep and args.only is None:
        # The same measurement in a fresh process whose allocator keeps freed memory
        # instead of returning it to the OS: large arrays then do not page-fault
        # again on every step (expensive on this VM), which isolates the arithmetic.
        sys.stdout.flush()
        cmd = [sys.executable, os.path.abspath(__file__), "--reps", str(reps), "--only", "keep"]
        cmd += ["--zero-first"] if ZERO_FIRST else []
        return subprocess.call(cmd, env={**os.environ, **KEEP_ENV})
    return 0


if __name__ == "__main__":
    sys.exit(main())
