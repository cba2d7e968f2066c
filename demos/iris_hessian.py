"""The curvature of a real loss: the Hessian of the iris net's cost with respect to one layer's weights.

The lesson.  The gradient says which way is downhill; the Hessian ``H`` (the matrix
of second derivatives) says how the slope itself changes, direction by direction.
Its eigenvectors are the loss surface's principal directions and its eigenvalues
their curvatures: large means a steep, narrow valley, small a flat one, negative a
saddle.  The ratio of the largest to the smallest (the condition number) is what
makes gradient descent slow — one step size must suit every direction at once —
and what Newton's method corrects (``demos/newton.py`` does it in one dimension).

The net is Bondartsov's iris net ("Notes on analytic gradient derivation", 2019):
4 inputs (the raw measurements, as in the paper), 8 sigmoid hidden neurons, 3
sigmoid outputs, the bias as weight column 0 (``w(1)`` is 8 x 5, ``w(2)`` is 3 x 9),
and the cost is eq. (1), the binary cross-entropy summed over the 3 outputs and
averaged over the 150 samples.  It is built from ``Tensor`` ops (the matrix form
``z(2) = w(2) [1; a(1)]``) and trained with ``tensor_nn.MLP`` and ``Adam``.  The
Hessian comes from ``micrograd_ext.hessian``: reverse mode over reverse mode, one
``backward(create_graph=True)`` and then one reverse pass per row.

What a learner should see, at initialisation and after training:

* the output layer (27 weights): ``H`` is symmetric, block diagonal (one 9 x 9 block
  per output neuron: no weight of one output affects another output's cost), and
  equal to the closed form got by differentiating Bondartsov's eq. (8),
  ``grad w(2) = 1/|Sx| (a(2) - y) a(1)^T``, once more:
  ``d^2 C / dw(2)_{k,i} dw(2)_{k,j} = 1/|Sx| sum_x a_k (1 - a_k) [1; a(1)]_i [1; a(1)]_j``.
  So its eigenvalues are >= 0: with the hidden layer fixed the cost is convex in
  ``w(2)`` (a logistic regression per output).  Training drives ``a (1 - a)`` to 0 on
  the samples the net gets right, and the curvature collapses in most directions:
  the condition number grows by orders of magnitude;
* the hidden layer (40 weights): negative eigenvalues — the cost is not convex in
  ``w(1)``; checked against central differences of the gradient;
* the Hessian-vector product ``H v`` by ``micrograd_ext.hvp`` (two reverse passes,
  no matrix) equals the matrix times ``v``: how second-order methods scale to
  millions of weights, where ``H`` (n^2 entries) cannot be formed;
* one Newton step on the output layer against one gradient step.

Pictures (``iris_hessian.png``): the output layer's Hessian as a heat map at both
points, and the eigenvalue spectra of both layers.

Run:  .venv/bin/python demos/iris_hessian.py [--out DIR] [--fast] [--steps N]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
from _lesson import Checks, parse_args, pyplot, save

from micrograd_ext import Tensor, hessian, hvp
from micrograd_ext.nets.datasets import load_iris
from micrograd_ext.nets.optim import Adam
from micrograd_ext.nets.tensor_nn import MLP, bce_loss

#: [1; a(1)] = a(1) E + e0 in rows: the hidden activations with the bias entry 1 in front
_EMBED = np.hstack([np.zeros((8, 1)), np.eye(8)])
_E0 = np.eye(9)[0]


def iris() -> tuple[np.ndarray, np.ndarray]:
    """``X`` (150 x 4, cm, the raw measurements) and one-hot ``Y`` (150 x 3)."""
    X, y = load_iris()[:2]
    return np.asarray(X, dtype=float), np.eye(3)[np.asarray(y)]


def make_net(seed: int = 0) -> MLP:
    return MLP(4, [8, 3], activation="sigmoid", seed=seed)


def cost(net: MLP, X: np.ndarray, Y: np.ndarray) -> Tensor:
    """Bondartsov's eq. (1): BCE summed over the outputs, averaged over the samples (``batchmean``)."""
    return bce_loss(net(Tensor(X)), Y, reduction="batchmean")


def train(net: MLP, X: np.ndarray, Y: np.ndarray, steps: int, lr: float = 0.05) -> list[float]:
    """``steps`` full-batch Adam steps; returns the cost before each step."""
    opt = Adam(net.parameters(), lr=lr)
    history = []
    for _ in range(steps):
        C = cost(net, X, Y)
        opt.zero_grad()
        C.backward()
        opt.step()
        history.append(C.item())
    return history


def bondartsov_weights(net: MLP) -> tuple[np.ndarray, np.ndarray]:
    """``w(1)`` (8 x 5) and ``w(2)`` (3 x 9): each layer's bias as column 0 of its weight matrix."""
    l1, l2 = net.layers
    return (np.hstack([l1.bias.data[:, None], l1.weight.data]), np.hstack([l2.bias.data[:, None], l2.weight.data]))


def output_layer_cost(w1: np.ndarray, X: np.ndarray, Y: np.ndarray):
    """``C(w(2))`` with ``w(1)`` fixed: ``z(2) = [1; a(1)] w(2)^T`` (rows are samples), eq. (1)."""
    A1b = np.hstack([np.ones((len(X), 1)), 1 / (1 + np.exp(-(np.hstack([np.ones((len(X), 1)), X]) @ w1.T)))])
    A1b_t = Tensor(A1b)

    def C(w2: Tensor) -> Tensor:
        return bce_loss((A1b_t @ w2.T).sigmoid(), Y, reduction="batchmean")

    return C, A1b


def hidden_layer_cost(w2: np.ndarray, X: np.ndarray, Y: np.ndarray):
    """``C(w(1))`` with ``w(2)`` fixed: ``z(1) = [1; x] w(1)^T``, ``[1; a(1)] = a(1) E + e0``, ``z(2) = [1; a(1)] w(2)^T``."""
    Xb = Tensor(np.hstack([np.ones((len(X), 1)), X]))
    E, e0, W2 = Tensor(_EMBED), Tensor(_E0), Tensor(w2)

    def C(w1: Tensor) -> Tensor:
        A1b = (Xb @ w1.T).sigmoid() @ E + e0
        return bce_loss((A1b @ W2.T).sigmoid(), Y, reduction="batchmean")

    return C


def closed_form_output_hessian(w2: np.ndarray, A1b: np.ndarray) -> np.ndarray:
    """Eq. (8) differentiated once more: block k is ``1/N A1b^T diag(a_k (1 - a_k)) A1b`` (27 x 27, row-major w(2))."""
    A2 = 1 / (1 + np.exp(-(A1b @ w2.T)))
    S = A2 * (1 - A2)
    n, m = A1b.shape
    H = np.zeros((3 * m, 3 * m))
    for k in range(3):
        H[k * m:(k + 1) * m, k * m:(k + 1) * m] = (A1b * S[:, k:k + 1]).T @ A1b / n
    return H


def fd_hessian(C, w: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central differences of the gradient (plain ``backward()``, numbers only): an independent oracle."""
    def gradient(a: np.ndarray) -> np.ndarray:
        t = Tensor(a, requires_grad=True)
        C(t).backward()
        return t.grad.ravel().copy()

    flat = w.ravel()
    cols = []
    for j in range(flat.size):
        e = np.zeros_like(flat)
        e[j] = eps
        cols.append((gradient((flat + e).reshape(w.shape)) - gradient((flat - e).reshape(w.shape))) / (2 * eps))
    return np.array(cols).T


@dataclass
class Curvature:
    """The Hessian of one layer at one point, and what the lesson checks about it."""

    name: str
    H: np.ndarray
    eigenvalues: np.ndarray
    asymmetry: float
    reconstruction: float  # max |V diag(l) V^T - H|
    hvp_error: float  # max |hvp(v) - H v|
    oracle_error: float  # against the closed form (output layer) or finite differences (hidden layer)
    oracle: str


def curvature(name: str, C, w: np.ndarray, oracle: np.ndarray, oracle_name: str, seed: int = 0) -> Curvature:
    n = w.size
    H = hessian(C, Tensor(w.copy(), requires_grad=True)).reshape(n, n)
    lam, V = np.linalg.eigh((H + H.T) / 2)
    v = np.random.default_rng(seed).normal(size=w.shape)
    Hv = np.asarray(hvp(C, Tensor(w.copy(), requires_grad=True), v)).ravel()
    scale = max(np.abs(H).max(), 1e-300)
    return Curvature(
        name=name,
        H=H,
        eigenvalues=np.linalg.eigvalsh(H),
        asymmetry=float(np.abs(H - H.T).max()),
        reconstruction=float(np.abs(V @ np.diag(lam) @ V.T - H).max() / scale),
        hvp_error=float(np.abs(Hv - H @ v.ravel()).max() / max(np.abs(H @ v.ravel()).max(), 1e-300)),
        oracle_error=float(np.abs(H - oracle).max() / scale),
        oracle=oracle_name,
    )


def analyse(net: MLP, X: np.ndarray, Y: np.ndarray, seed: int = 0) -> dict[str, Curvature]:
    """Both layers' Hessians at the net's current weights."""
    w1, w2 = bondartsov_weights(net)
    C2, A1b = output_layer_cost(w1, X, Y)
    out = {"output": curvature("w(2), 3 x 9", C2, w2, closed_form_output_hessian(w2, A1b),
                               "the closed form (eq. (8) differentiated)", seed)}
    C1 = hidden_layer_cost(w2, X, Y)
    out["hidden"] = curvature("w(1), 8 x 5", C1, w1, fd_hessian(C1, w1), "central differences of the gradient", seed)
    return out


def newton_vs_gradient_step(net: MLP, X: np.ndarray, Y: np.ndarray, H: np.ndarray) -> tuple[float, float, float]:
    """The cost now, after one (damped) Newton step on ``w(2)``, and after the best of a few gradient steps."""
    w1, w2 = bondartsov_weights(net)
    C2, _ = output_layer_cost(w1, X, Y)
    t = Tensor(w2.copy(), requires_grad=True)
    c0 = C2(t)
    c0.backward()
    g = t.grad.ravel()
    damping = 1e-8 * np.trace(H)
    step = np.linalg.solve(H + damping * np.eye(H.shape[0]), g)
    newton = C2(Tensor(w2 - step.reshape(w2.shape))).item()
    gd = min(C2(Tensor(w2 - lr * g.reshape(w2.shape))).item() for lr in (0.1, 1.0, 10.0))
    return c0.item(), newton, gd


def report(c: Curvature, checks: Checks, where: str, convex: bool) -> None:
    lam = c.eigenvalues
    pos = lam[lam > 0]
    cond = lam.max() / pos.min() if pos.size else float("inf")
    print(f"  {c.name}: {c.H.shape[0]} x {c.H.shape[1]}; eigenvalues from {lam.min():+.3e} to {lam.max():+.3e}, "
          f"{int((lam < 0).sum())} negative; lambda_max / smallest positive = {cond:.2e}")
    tol = 1e-12
    checks.check(f"{where}, {c.name}: symmetric", c.asymmetry <= tol * max(1.0, np.abs(c.H).max()),
                 f"max |H - H^T| = {c.asymmetry:.1e}")
    checks.check(f"{where}, {c.name}: V diag(eigenvalues) V^T gives H back, trace = sum of eigenvalues",
                 c.reconstruction < 1e-12 and abs(np.trace(c.H) - lam.sum()) < 1e-12 * max(1.0, np.abs(lam).sum()),
                 f"relative error {c.reconstruction:.1e}")
    checks.check(f"{where}, {c.name}: hvp(v) equals H v", c.hvp_error < 1e-12, f"relative error {c.hvp_error:.1e}")
    tol_oracle = 1e-12 if "closed" in c.oracle else 1e-6
    checks.check(f"{where}, {c.name}: equals {c.oracle}", c.oracle_error < tol_oracle,
                 f"relative error {c.oracle_error:.1e}")
    if convex:
        checks.check(f"{where}, {c.name}: no negative curvature (convex in this layer)",
                     lam.min() >= -1e-12 * lam.max(), f"smallest eigenvalue {lam.min():.2e}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, argv, extra=lambda ap: (ap.add_argument("--steps", type=int, default=None,
                                                                       help="Adam steps (default 400, 80 with --fast)"),
                                                      ap.add_argument("--seed", type=int, default=0)))
    steps = args.steps if args.steps is not None else (80 if args.fast else 400)
    checks = Checks()
    X, Y = iris()
    net = make_net(args.seed)
    results = {}
    print("Bondartsov's iris net 4-8-3 (sigmoid, eq. (1) BCE over 150 samples), Hessians by reverse over reverse")
    for where in ("initialisation", "trained"):
        if where == "trained":
            hist = train(net, X, Y, steps)
            acc = float((net(Tensor(X)).data.argmax(1) == Y.argmax(1)).mean())
            print(f"\nafter {steps} Adam steps (lr 0.05): cost {hist[0]:.4f} -> {cost(net, X, Y).item():.4f}, "
                  f"training accuracy {100 * acc:.1f}%")
        else:
            print(f"\nat initialisation (seed {args.seed}): cost {cost(net, X, Y).item():.4f}")
        res = analyse(net, X, Y, args.seed)
        results[where] = res
        w1, w2 = bondartsov_weights(net)
        C2, _ = output_layer_cost(w1, X, Y)
        checks.check(f"{where}: the layer-by-layer cost is the net's cost (same function)",
                     abs(C2(Tensor(w2)).item() - cost(net, X, Y).item()) < 1e-13)
        report(res["output"], checks, where, convex=True)
        blocks = res["output"].H.reshape(3, 9, 3, 9)
        off = max(np.abs(blocks[i, :, j, :]).max() for i in range(3) for j in range(3) if i != j)
        checks.check(f"{where}, w(2): block diagonal (outputs do not share curvature)", off == 0.0,
                     f"largest off-block entry {off:.1e}")
        report(res["hidden"], checks, where, convex=False)
        c0, cn, cg = newton_vs_gradient_step(net, X, Y, res["output"].H)
        print(f"  one step on w(2) from cost {c0:.6f}: Newton {cn:.6f}, best gradient step (lr 0.1, 1, 10) {cg:.6f}")
        checks.check(f"{where}: a Newton step on w(2) lowers the cost more than a gradient step", cn < cg)
    ci, ct = results["initialisation"]["output"].eigenvalues, results["trained"]["output"].eigenvalues
    print(f"\noutput layer: lambda_max / lambda_min = {ci.max() / ci.min():.2e} at initialisation, "
          f"{ct.max() / ct.min():.2e} after training (a (1 - a) -> 0 on confident samples: flat directions)")
    checks.check("the hidden layer's Hessian has negative eigenvalues somewhere (not convex)",
                 min(results[w]["hidden"].eigenvalues.min() for w in results) < 0)

    plt = pyplot()
    if plt is not None:
        from matplotlib.colors import LogNorm

        fig, axes = plt.subplots(2, 2, figsize=(10, 8.5), dpi=100)
        cmap = plt.get_cmap("magma_r").copy()
        cmap.set_bad("white")  # exact zeros: the entries linking two different outputs
        for ax, where in zip(axes[0], results):
            H = results[where]["output"].H  # every entry is >= 0 here: sums of a (1 - a) h_i h_j
            im = ax.imshow(np.ma.masked_equal(H, 0.0), cmap=cmap, norm=LogNorm(vmin=H[H > 0].min(), vmax=H.max()))
            ax.set_title(f"Hessian of C w.r.t. w(2) (27 x 27), {where}\n(white: exactly 0)", fontsize=9)
            ticks = [k * 9 + 4 for k in range(3)]
            ax.set_xticks(ticks, [f"output {k + 1}" for k in range(3)], fontsize=8)
            ax.set_yticks(ticks, [f"output {k + 1}" for k in range(3)], fontsize=8)
            fig.colorbar(im, ax=ax, shrink=0.8)
        for ax, layer in zip(axes[1], ("output", "hidden")):
            for where, mark, color in zip(results, ("o", "s"), ("tab:blue", "tab:orange")):
                lam = np.sort(results[where][layer].eigenvalues)[::-1]
                k = np.arange(1, lam.size + 1)
                ax.semilogy(k[lam > 0], lam[lam > 0], mark, ms=4, color=color, label=f"{where}: positive")
                if (lam < 0).any():
                    ax.semilogy(k[lam < 0], -lam[lam < 0], mark, ms=5, mfc="none", color=color,
                                label=f"{where}: |negative| (hollow)")
            ax.set_title(f"eigenvalues of the Hessian w.r.t. {results['trained'][layer].name}", fontsize=9)
            ax.set_xlabel("index (largest first)")
            ax.set_ylabel("|eigenvalue| (log scale)")
            ax.legend(fontsize=7)
        fig.suptitle("iris net 4-8-3, eq. (1): curvature at initialisation and after training", fontsize=11)
        fig.tight_layout()
        save(fig, args.out, "iris_hessian.png")
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
