"""A tiny GPT trained node by node on first names, and the chain-rule paths inside it.

The model is the one of Karpathy's microgpt (2025), a GPT-2 in miniature, on
characters: token and position embeddings, RMSNorm, one layer of multi-head causal
self-attention with a residual, an MLP (ReLU) with a residual, a linear head and
softmax cross-entropy on the next character.  Every number in it is a scalar
``Value``: one name is one training step, a graph of tens of thousands of nodes
(``+ - * / ** exp log relu`` and Python's ``sum``), and ``loss.backward()`` is the
chain rule on it, one multiply-add per edge.  The names are the 3,520 first names
given to at least 100 US babies in 2017 (the Social Security Administration's
public-domain data; ``micrograd_ext/data/names.txt``, source in ``SOURCE.txt``).

After training it samples a few new names, then looks at one attention weight, the
query weight ``wq(1)[0,0]``: ``dloss/dw`` is a sum over every path from the loss
back to ``w`` of the product of the local derivatives along it (Bondartsov 2019,
eqs. (4) and (9)).  It counts the paths (:func:`~micrograd_ext.diagrams.chain.count_paths`,
far too many to list), finds the few with the largest ``|product|`` without listing
the others (:func:`~micrograd_ext.diagrams.chain.top_paths`, a k-best-paths dynamic
programme) and draws them (``draw_paths(loss, w, paths=top)``), checking
``w.grad`` against central differences of the loss.

The model is written once, with plain scalar operations, for any ``Value`` class
(:class:`GPT` takes it as its first argument): ``bench/bench_gpt.py`` runs this very
model with micrograd_ext's ``Value`` and with a minimal microgpt-design engine.

Run:  .venv/bin/python demos/gpt_names.py [--fast] [--out DIR] [--steps N] [--seed S]
"""

from __future__ import annotations

import math
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import micrograd_ext

NAMES_PATH = os.path.join(os.path.dirname(os.path.abspath(micrograd_ext.__file__)), "data", "names.txt")
CHARS = "abcdefghijklmnopqrstuvwxyz"
BOS = len(CHARS)  # token 26 begins and ends every name
VOCAB = len(CHARS) + 1


def load_names(path: str = NAMES_PATH) -> list[str]:
    """The shipped names (lower case a-z), one per line, most frequent first."""
    with open(path, encoding="ascii") as f:
        names = [line.strip() for line in f if line.strip()]
    bad = [n for n in names if not set(n) <= set(CHARS)]
    if bad:
        raise ValueError(f"load_names: {path}: {len(bad)} names with characters other than a-z, e.g. {bad[0]!r}")
    return names


def encode(name: str) -> list[int]:
    """``'emma'`` -> ``[26, 4, 12, 12, 0, 26]``: BOS, the letters, BOS (the model learns where a name ends)."""
    return [BOS, *(CHARS.index(c) for c in name), BOS]


# ---------------------------------------------------------------------------
# The model: plain scalar operations only, for any Value class
# ---------------------------------------------------------------------------


def linear(x: Sequence[Any], w: Sequence[Sequence[Any]]) -> list[Any]:
    """``W x``: one ``sum`` of products per row of ``w`` (no bias, as in microgpt)."""
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]


def rmsnorm(x: Sequence[Any]) -> list[Any]:
    """``x / sqrt(mean(x^2) + 1e-5)`` (Zhang & Sennrich 2019, without the gain)."""
    ms = sum(xi * xi for xi in x) / len(x)
    scale = (ms + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def softmax(logits: Sequence[Any]) -> list[Any]:
    """``exp(z_i - m) / sum_j exp(z_j - m)``; the shift ``m = max z`` is a number (it cancels, and keeps exp finite)."""
    m = max(z.data for z in logits)
    exps = [(z - m).exp() for z in logits]
    total = sum(exps)
    return [e / total for e in exps]


Note = Callable[[str, Sequence[Any]], None]


class GPT:
    """A microgpt-style GPT over characters, every weight a scalar ``V`` (any Value class with
    ``+ - * / ** exp log relu`` and ``.data``/``.grad``).

    ``n_layer`` blocks of (RMSNorm, ``n_head``-head causal self-attention, residual,
    RMSNorm, MLP ``n_embd -> 4 n_embd -> n_embd`` with ReLU, residual), after token +
    position embeddings and an RMSNorm; a linear head gives the next character's logits.
    Weights are drawn from N(0, ``std``^2) with ``random.Random(seed)``, so two engines get
    the same numbers.  Positions are processed one after another with a cache of keys and
    values, as microgpt does: position ``t`` attends to positions ``0..t``.
    """

    def __init__(self, V: type, n_embd: int = 16, n_head: int = 4, n_layer: int = 1, block: int = 16,
                 seed: int = 0, std: float = 0.08) -> None:
        if n_embd % n_head:
            raise ValueError(f"GPT: n_embd = {n_embd} is not a multiple of n_head = {n_head}")
        self.V, self.n_embd, self.n_head, self.n_layer, self.block = V, n_embd, n_head, n_layer, block
        rng = random.Random(seed)

        def matrix(rows: int, cols: int) -> list[list[Any]]:
            return [[V(rng.gauss(0.0, std)) for _ in range(cols)] for _ in range(rows)]

        self.wte = matrix(VOCAB, n_embd)
        self.wpe = matrix(block, n_embd)
        self.layers = [{"wq": matrix(n_embd, n_embd), "wk": matrix(n_embd, n_embd), "wv": matrix(n_embd, n_embd),
                        "wo": matrix(n_embd, n_embd), "fc1": matrix(4 * n_embd, n_embd),
                        "fc2": matrix(n_embd, 4 * n_embd)} for _ in range(n_layer)]
        self.head = matrix(VOCAB, n_embd)

    def matrices(self) -> list[tuple[str, list[list[Any]]]]:
        """``(name, matrix)`` for every weight matrix, in a fixed order (layer ``l`` as ``wq(l)``...)."""
        out = [("wte", self.wte), ("wpe", self.wpe)]
        for li, layer in enumerate(self.layers, 1):
            out += [(f"{name}({li})", m) for name, m in layer.items()]
        return out + [("head", self.head)]

    def parameters(self) -> list[Any]:
        return [p for _, m in self.matrices() for row in m for p in row]

    def logits(self, token: int, pos: int, keys: list[list[Any]], values: list[list[Any]],
               note: Note | None = None) -> list[Any]:
        """The next-token logits at position ``pos``; appends this position's keys and values to the caches."""
        hd = self.n_embd // self.n_head
        x = [t + p for t, p in zip(self.wte[token], self.wpe[pos])]
        x = rmsnorm(x)
        for li, layer in enumerate(self.layers):
            residual = x
            x = rmsnorm(x)
            q, k, v = linear(x, layer["wq"]), linear(x, layer["wk"]), linear(x, layer["wv"])
            keys[li].append(k)
            values[li].append(v)
            heads: list[Any] = []
            for h in range(self.n_head):
                s = slice(h * hd, (h + 1) * hd)
                qh = q[s]
                scores = [sum(a * b for a, b in zip(qh, kt[s])) / hd**0.5 for kt in keys[li]]
                att = softmax(scores)
                if note is not None:
                    note(f"att({li + 1})[h{h},{pos},", att)
                heads += [sum(att[t] * values[li][t][j] for t in range(len(att))) for j in range(s.start, s.stop)]
            x = [a + b for a, b in zip(linear(heads, layer["wo"]), residual)]
            residual = x
            hidden = [z.relu() for z in linear(rmsnorm(x), layer["fc1"])]
            x = [a + b for a, b in zip(linear(hidden, layer["fc2"]), residual)]
            if note is not None:
                note(f"q({li + 1})[{pos},", q)
                note(f"x({li + 1})[{pos},", x)
        return linear(x, self.head)

    def loss(self, tokens: Sequence[int], note: Note | None = None) -> Any:
        """Mean cross-entropy of predicting ``tokens[t + 1]`` from ``tokens[: t + 1]`` (at most ``block`` positions)."""
        n = min(self.block, len(tokens) - 1)
        keys: list[list[Any]] = [[] for _ in self.layers]
        values: list[list[Any]] = [[] for _ in self.layers]
        losses = []
        for pos in range(n):
            probs = softmax(self.logits(tokens[pos], pos, keys, values, note))
            losses.append(-probs[tokens[pos + 1]].log())
        return (1 / n) * sum(losses)

    def sample(self, rng: random.Random, temperature: float = 0.5) -> str:
        """One new name: start from BOS and draw each next character from ``softmax(logits / temperature)``."""
        keys: list[list[Any]] = [[] for _ in self.layers]
        values: list[list[Any]] = [[] for _ in self.layers]
        token, out = BOS, []
        for pos in range(self.block):
            logits = self.logits(token, pos, keys, values)
            z = [v.data / temperature for v in logits]
            m = max(z)
            token = rng.choices(range(VOCAB), weights=[math.exp(zi - m) for zi in z])[0]
            if token == BOS:
                break
            out.append(CHARS[token])
        return "".join(out)


# ---------------------------------------------------------------------------
# The demo
# ---------------------------------------------------------------------------


def label(model: GPT) -> None:
    """Name every weight for the diagrams: ``wte[e,3]``, ``wq(1)[0,0]``, ``head[a,5]``, ..."""
    for name, m in model.matrices():
        for i, row in enumerate(m):
            r = (CHARS + ".")[i] if name in ("wte", "head") else str(i)
            for j, p in enumerate(row):
                p.label = f"{name}[{r},{j}]"


def name_nodes(prefix: str, nodes: Sequence[Any]) -> None:
    """The ``note`` hook of :meth:`GPT.logits`: labels attention weights, queries and block outputs."""
    for i, v in enumerate(nodes):
        if not v.label:
            v.label = f"{prefix}{i}]"


def central_difference(model: GPT, tokens: list[int], w: Any, h: float = 1e-5) -> float:
    """``(loss(w + h) - loss(w - h)) / 2h`` with no graph recorded: an oracle independent of backward()."""
    from micrograd_ext.core.graph import no_grad

    w0 = w.data
    with no_grad():
        w.data = w0 + h
        up = model.loss(tokens).data
        w.data = w0 - h
        down = model.loss(tokens).data
    w.data = w0
    return (up - down) / (2 * h)


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _lesson import Checks, parse_args

    from micrograd_ext.core.graph import no_grad, topological_order
    from micrograd_ext.diagrams import DotNotFoundError, draw_paths, save
    from micrograd_ext.diagrams.chain import count_paths, count_text, top_paths
    from micrograd_ext.engine import Value
    from micrograd_ext.nets.optim import Adam

    def extra(ap: Any) -> None:
        ap.add_argument("--steps", type=int, default=None, help="training steps, one name each (default 600; 60 with --fast)")
        ap.add_argument("--seed", type=int, default=42, help="seed of the weights, the name order and the samples")

    args = parse_args(__doc__, argv, extra)
    if args.fast:
        cfg, steps, lr = {"n_embd": 8, "n_head": 2, "n_layer": 1}, 60, 0.05
    else:
        cfg, steps, lr = {"n_embd": 16, "n_head": 4, "n_layer": 1}, 600, 0.01
    if args.steps is not None:
        steps = args.steps
    if steps < 1:
        print(f"gpt_names: --steps {steps} (expected at least 1)", file=sys.stderr)
        return 2
    checks = Checks()
    names = load_names()
    rng = random.Random(args.seed)
    order = names[:]
    rng.shuffle(order)
    model = GPT(Value, seed=args.seed, **cfg)
    label(model)
    params = model.parameters()
    print(f"tiny GPT on {len(names):,} first names (US SSA 2017, micrograd_ext/data/names.txt): vocabulary {VOCAB} "
          f"(a-z and '.'), {cfg['n_layer']} layer, {cfg['n_head']} heads, {cfg['n_embd']} dimensions, "
          f"{len(params):,} weights, each a scalar Value")
    opt = Adam(params, lr=lr, betas=(0.85, 0.99))
    window = max(1, steps // 6)
    losses: list[float] = []
    nodes_seen = 0
    t0 = time.perf_counter()
    print(f"\ntraining: {steps} steps of one name each, Adam (lr {lr}, decaying linearly to 0); mean loss per "
          f"{window} steps (ln {VOCAB} = {math.log(VOCAB):.3f} is a uniform guess):")
    for step in range(steps):
        tokens = encode(order[step % len(order)])
        loss = model.loss(tokens)
        if step == 0:
            nodes_seen = len(topological_order(loss))
        opt.zero_grad()
        loss.backward()
        opt.lr = lr * (1 - step / steps)
        opt.step()
        losses.append(loss.data)
        if (step + 1) % window == 0 or step + 1 == steps:
            recent = losses[-window:]
            print(f"  step {step + 1:4d}: loss {sum(recent) / len(recent):.3f}")
    took = time.perf_counter() - t0
    print(f"  ({took:.1f} s, {took / steps * 1e3:.0f} ms a step; the first name's graph had {nodes_seen:,} nodes)")
    first = sum(losses[:window]) / window
    last = sum(losses[-window:]) / window
    checks.check("the loss goes down", last < first, f"{first:.3f} -> {last:.3f}")

    print("\nsampled names (temperature 0.5):")
    sampler = random.Random(args.seed + 1)
    with no_grad():
        samples = [model.sample(sampler) for _ in range(10 if not args.fast else 6)]
    print("  " + ", ".join(s or "(empty)" for s in samples))
    known = set(names)
    print(f"  ({sum(s in known for s in samples)} of them are in the training list)")

    # -- the chain-rule paths from the loss to one attention weight ------------------------------------
    name = order[0]
    tokens = encode(name)
    loss = model.loss(tokens, note=name_nodes)
    loss.label = "loss"
    opt.zero_grad()
    loss.backward()
    w = model.layers[0]["wq"][0][0]
    n_nodes = len(topological_order(loss))
    t1 = time.perf_counter()
    n = count_paths(loss, w)
    t2 = time.perf_counter()
    k = 3
    top = top_paths(loss, w, k=k)
    t3 = time.perf_counter()
    print(f"\nthe loss on {name!r} ({len(tokens) - 1} predictions) is a graph of {n_nodes:,} nodes; "
          f"one attention weight, the query weight {w.label}:")
    print(f"  dloss/d{w.label} = {w.grad:.10g} is a sum over {count_text(n)} chain-rule paths "
          f"(count_paths: {1e3 * (t2 - t1):.0f} ms)")
    print(f"  the {k} with the largest |product| (top_paths, without listing the others: {1e3 * (t3 - t2):.0f} ms):")
    for i, p in enumerate(top, 1):
        via = " <- ".join(v.label for v in p.nodes if v.label and v is not loss and v is not w)
        print(f"    path {i}: {len(p)} edges, product {p.product:+.6g}; through {via}")
    print(f"  together {top.total:+.6g} of the {w.grad:+.6g}: the rest is spread over the other paths")
    fd = central_difference(model, tokens, w)
    checks.check(f"{w.label}.grad from backward() agrees with central differences of the loss",
                 abs(fd - w.grad) <= 1e-6 * max(1.0, abs(w.grad)), f"{w.grad:.10g} vs {fd:.10g}")
    checks.check("top_paths found as many paths as it was asked for, largest |product| first, each of them a path "
                 "to the weight", len(top) == min(k, n) and all(p.nodes[0] is loss and p.nodes[-1] is w for p in top)
                 and all(abs(a.product) >= abs(b.product) for a, b in zip(top, top[1:])))
    checks.check("count_paths and top_paths count the same paths", top.count == n)
    diagram = draw_paths(loss, w, paths=top, edge_labels=False, legend=True)
    os.makedirs(args.out, exist_ok=True)
    base = os.path.join(args.out, "gpt_top_paths")
    try:
        print(f"picture: {save(diagram, base + '.svg')}")
    except DotNotFoundError:
        print(f"Graphviz 'dot' is missing: wrote the DOT source {save(diagram, base + '.gv')} instead of SVG")
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
