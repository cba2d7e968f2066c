"""Fifty PyTorch idioms of a first week, each in our spelling and in PyTorch's, with the same numbers.

Each idiom is code run twice, on fresh inputs: with micrograd_ext (``mg``, ``Tensor``,
``nn`` = :mod:`micrograd_ext.nets.tensor_nn`, ``F`` = :mod:`micrograd_ext.nets.functional`,
``optim``) and with PyTorch (``torch``, ``torch.nn``, ``torch.nn.functional``, ``torch.optim``,
default dtype float64).  Then each expression of ``check`` (values, gradients, shapes, names)
is evaluated in both and compared: equal shapes, the same kind of dtype (bool, int, float),
numbers within 1e-12 (1e-6 where PyTorch computed in float32, e.g. after ``.float()``).
PyTorch is the oracle; the tests that need it are marked ``torch`` and skipped without it.

The README's "Coming from PyTorch" table is printed from this list by
``scripts/torch_table.py``; a test checks that the README holds exactly that table.
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest


@dataclass(frozen=True)
class Idiom:
    what: str
    ours: str
    torch: str | None = None  # None: the same code
    check: tuple[str, ...] = ()
    rtol: float = 1e-12

    @property
    def torch_code(self) -> str:
        return self.ours if self.torch is None else self.torch


def I(what: str, ours: str, torch: str | None = None, check: tuple[str, ...] = (), rtol: float = 1e-12) -> Idiom:  # noqa: E743
    return Idiom(what, textwrap.dedent(ours).strip(), None if torch is None else textwrap.dedent(torch).strip(), check, rtol)


_NET_CLASS = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))
"""

IDIOMS: list[Idiom] = [
    # -- making tensors and looking at them ------------------------------------------------------
    I("a tensor that records gradients",
      "a = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)",
      "a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)",
      ("a", "a.requires_grad", "a.is_leaf", "a.grad is None")),
    I("zeros, ones, full, eye, zeros_like, ones_like",
      "z = mg.zeros(2, 3) + mg.ones((2, 3)) + mg.full((2, 3), 7.0) + mg.eye(2, 3)\nzl = mg.zeros_like(x) + 2 * mg.ones_like(x)",
      "z = torch.zeros(2, 3) + torch.ones((2, 3)) + torch.full((2, 3), 7.0) + torch.eye(2, 3)\nzl = torch.zeros_like(x) + 2 * torch.ones_like(x)",
      ("z", "zl")),
    I("arange of ints is int64; linspace",
      "r = mg.arange(6).reshape(2, 3)\ns = mg.arange(0, 1, 0.25) + mg.linspace(0, 1, 4)",
      "r = torch.arange(6).reshape(2, 3)\ns = torch.arange(0, 1, 0.25) + torch.linspace(0, 1, 4)",
      ("r", "s")),
    I("shape, size(), size(d), dim(), ndim, numel()", "s = (x.shape, x.size(), x.size(1), x.size(-1))\nn = (x.dim(), x.ndim, x.numel())",
      check=("s", "n")),
    I("tolist(), item()", "rows = x.tolist()\ntotal = x.sum().item()", check=("rows", "total")),
    I("detach().numpy()", "a = x.detach().numpy()\nb = x.detach().cpu().numpy()", check=("a", "b")),
    I("clone() is part of the graph", "c = x.clone()\n(c * c).sum().backward()", check=("c", "x.grad")),
    I("requires_grad_() on a leaf", "u = d.clone().requires_grad_()\n(u ** 2).sum().backward()",
      check=("u.grad", "u.is_leaf", "u.requires_grad")),
    # -- elementwise -----------------------------------------------------------------------------------
    I("arithmetic with broadcasting", "y = x * 2 + b - 1 / (1 + x * x)\ny.sum().backward()",
      check=("y", "x.grad", "b.grad")),
    I("matrix product x @ w.T", "y = x @ w.T\ny.sum().backward()", check=("y", "x.grad", "w.grad")),
    I("pow and **", "y = x.pow(3) + x ** 2\ny.sum().backward()", check=("y", "x.grad")),
    I("exp, log", "y = (x.exp() + 1).log()\ny.sum().backward()", check=("y", "x.grad")),
    I("sin, cos, sqrt", "y = x.sin() * x.cos() + (x * x + 1).sqrt()\ny.sum().backward()", check=("y", "x.grad")),
    I("abs, sign (abs'(0) = 0)", "y = x.abs() + abs(x) + x.sign() * x\ny.sum().backward()",
      check=("y", "x.grad", "x.sign()")),
    I("clamp(min=), clamp(lo, hi), clamp(max=)", "y = x.clamp(min=0.0) + x.clamp(-1.0, 1.0) + x.clamp(max=0.5)\ny.sum().backward()",
      check=("y", "x.grad")),
    I("relu, sigmoid, tanh: methods and F. (relu'(0) = 0)", "y = x.relu() + x.sigmoid() + x.tanh() + F.relu(x) * F.sigmoid(x) + F.tanh(x)\ny.sum().backward()",
      check=("y", "x.grad")),
    # -- masks and indexing --------------------------------------------------------------------------------
    I("comparisons are masks", "m = x > 0\nk = (x >= 0) & (x <= 1)\nn = (x > 0).sum()",
      check=("m", "k", "n", "~m", "x == 0", "x != 0")),
    I("a mask as numbers: (x > 0).float()", "y = (x * (x > 0).float()).sum()\ny.backward()", check=("y", "x.grad")),
    I("boolean indexing x[x > 0]", "y = x[x > 0]\ny.sum().backward()", check=("y", "x.grad")),
    I("indexing and slicing", "y = x[0] + x[:, 1].sum() + x[-1, ::2].sum()\ny.sum().backward()", check=("y", "x.grad")),
    # -- reductions ---------------------------------------------------------------------------------------
    I("sum() of everything", "s = x.sum()\ns.backward()", check=("s", "x.grad")),
    I("sum(dim=, keepdim=)", "s = x.sum(dim=1, keepdim=True)\n(s * s).sum().backward()", check=("s", "x.grad")),
    I("mean(dim=)", "m = x.mean(dim=0)\n(m ** 2).sum().backward()", check=("m", "x.grad")),
    I("max() of everything: ties share the gradient", "m = q.max()\nm.backward()", check=("m", "q.grad")),
    I("max(dim) gives (values, indices); the gradient goes to the index",
      "v, i = q.max(dim=1)\nv.sum().backward()", check=("v", "i", "q.grad")),
    I("min(dim, keepdim=True).values / .indices", "r = q.min(0, keepdim=True)\n(r.values ** 2).sum().backward()",
      check=("r.values", "r.indices", "q.grad")),
    I("amax(dim): ties share the gradient", "a = q.amax(dim=1)\na.sum().backward()", check=("a", "q.grad")),
    I("argmax(), argmax(dim)", "i = x.argmax(dim=1)\nj = x.argmax()", check=("i", "j")),
    I("softmax(dim=), log_softmax(dim=), F.softmax, F.log_softmax",
      "p = logits.softmax(dim=1) + F.softmax(logits, dim=1)\nlp = logits.log_softmax(dim=-1) + F.log_softmax(logits, dim=1)\n(p[:, 0] + lp[:, 1] ** 2).sum().backward()",
      check=("p", "lp", "logits.grad")),
    # -- shapes -------------------------------------------------------------------------------------------------
    I("view", "v = x.view(3, 2)\n(v @ v.T).sum().backward()", check=("v", "x.grad")),
    I("reshape(-1), flatten()", "f = x.reshape(-1) + x.flatten()\n(f * f).sum().backward()", check=("f", "x.grad")),
    I("unsqueeze, squeeze", "u = x.unsqueeze(0)\ns = u.squeeze(0)\nshapes = (u.shape, s.shape, x.unsqueeze(-1).shape, u.squeeze().shape)\n(s * s).sum().backward()",
      check=("shapes", "s", "x.grad")),
    I("permute, transpose(0, 1), t(), .T", "y = x.permute(1, 0) + x.transpose(0, 1) + x.t() + x.T\n(y * y).sum().backward()",
      check=("y", "x.grad")),
    I("cat", "c = mg.cat([x, x * 2], dim=0)\n(c * c).sum().backward()", "c = torch.cat([x, x * 2], dim=0)\n(c * c).sum().backward()",
      check=("c", "x.grad")),
    I("stack", "s = mg.stack([x, x.exp()], dim=1)\n(s * s).sum().backward()", "s = torch.stack([x, x.exp()], dim=1)\n(s * s).sum().backward()",
      check=("s", "x.grad")),
    # -- autograd -----------------------------------------------------------------------------------------------
    I("backward(), .grad, grad.zero_()", "(x * x).sum().backward()\ng = x.grad.clone()\nx.grad.zero_()",
      check=("g", "x.grad", "x.grad.data", "x.grad.numpy()")),
    I("manual SGD: with no_grad(): w -= lr * w.grad",
      """
      for _ in range(3):
          loss = ((x @ w.T) ** 2).mean()
          loss.backward()
          with mg.no_grad():
              w -= 0.1 * w.grad
          w.grad.zero_()
      """,
      """
      for _ in range(3):
          loss = ((x @ w.T) ** 2).mean()
          loss.backward()
          with torch.no_grad():
              w -= 0.1 * w.grad
          w.grad.zero_()
      """, check=("loss", "w")),
    I("w.data -= lr * w.grad.data", "(w * w).sum().backward()\nw.data -= 0.1 * w.grad.data", check=("w",)),
    I("retain_grad() of an intermediate", "h = x * 2\nh.retain_grad()\n(h ** 2).sum().backward()", check=("h.grad", "x.grad")),
    I("no_grad() records nothing", "with mg.no_grad():\n    y = x * 2", "with torch.no_grad():\n    y = x * 2",
      check=("y", "y.requires_grad")),
    I("second derivative: grad(..., create_graph=True)",
      "(g,) = mg.grad((x ** 3).sum(), x, create_graph=True)\ng.sum().backward()",
      "(g,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)\ng.sum().backward()",
      check=("g", "x.grad")),
    # -- nn, losses, optimizers ---------------------------------------------------------------------------------------
    I("nn.Linear(3, 4): weight (out, in)", "lin = nn.Linear(3, 4)\nlin.load_state_dict(LIN)\ny = lin(x)\ny.sum().backward()",
      check=("y", "lin.weight.shape", "lin.weight.grad", "lin.bias.grad")),
    I("nn.Sequential and its state_dict keys",
      "net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))\nnet.load_state_dict(SD)\nout = net(x)\nkeys = list(net.state_dict())",
      check=("out", "keys")),
    I("class Net(nn.Module) with forward(); net(x)",
      _NET_CLASS + "\nnet = Net()\nnet.load_state_dict(SD_NET)\nout = net(x)\nout.sum().backward()\nnames = [n for n, _ in net.named_parameters()]",
      check=("out", "names", "net.fc1.weight.grad")),
    I("train(), eval(), named_modules()",
      "net = nn.Sequential(nn.Linear(3, 4), nn.ReLU())\nnet.eval()\nflags = [m.training for m in net.modules()]\nnames = [n for n, _ in net.named_modules()]",
      check=("flags", "names")),
    I("F.cross_entropy, nn.CrossEntropyLoss, F.nll_loss",
      "loss = F.cross_entropy(logits, y) + nn.CrossEntropyLoss(reduction='sum')(logits, y) + F.nll_loss(F.log_softmax(logits, dim=1), y)\nloss.backward()",
      check=("loss", "logits.grad")),
    I("nn.MSELoss, nn.BCELoss, F.mse_loss, F.binary_cross_entropy",
      "loss = nn.MSELoss()(p, t) + F.mse_loss(p, t, reduction='sum') + nn.BCELoss()(p, t) + F.binary_cross_entropy(p, t)\nloss.backward()",
      check=("loss", "p.grad")),
    I("accuracy: (logits.argmax(dim=1) == y).float().mean()", "acc = (logits.argmax(dim=1) == y).float().mean()", check=("acc",)),
    I("optim.SGD(momentum=0.9): zero_grad, backward, step",
      """
      net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
      net.load_state_dict(SD)
      opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
      for _ in range(3):
          opt.zero_grad()
          loss = F.cross_entropy(net(x), y2)
          loss.backward()
          opt.step()
      """, check=("loss", "net[0].weight", "net[2].bias")),
    I("optim.Adam",
      """
      net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
      net.load_state_dict(SD)
      opt = optim.Adam(net.parameters(), lr=0.01)
      for _ in range(3):
          opt.zero_grad()
          loss = F.mse_loss(net(x), p[:, :2])
          loss.backward()
          opt.step()
      """, check=("loss", "net[0].weight", "net[2].weight"),
      # Adam divides by sqrt(v) + eps, and one entry of dW is 3.9e-9 here, about eps: its last-bit
      # rounding (the engines sum in different orders) is amplified ~1/eps; measured 3.6e-12 with
      # eps = 1e-8, 3.1e-14 with eps = 1e-4, 1.1e-16 with eps = 0.1
      rtol=1e-9),
]

# -- the inputs, the same numbers in both engines -------------------------------------------------------------

X = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.5]])
Q = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]])  # ties
W = np.cos(np.arange(12.0)).reshape(4, 3)
B = np.array([0.5, -1.0, 2.0])
D = np.array([0.3, -0.7, 1.1])
LOGITS = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-1.0, 3.0, 0.0], [1.5, 1.5, -2.0]])
Y = np.array([0, 2, 1, 1])
Y2 = np.array([1, 0])
P = np.array([[0.2, 0.7, 0.9], [0.5, 0.1, 0.6]])
T = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
_rng = np.random.default_rng(13)
SD = {"0.weight": _rng.normal(size=(4, 3)), "0.bias": _rng.normal(size=4),
      "2.weight": _rng.normal(size=(2, 4)), "2.bias": _rng.normal(size=2)}
LIN = {"weight": SD["0.weight"], "bias": SD["0.bias"]}
SD_NET = {"fc1." + k[2:]: v for k, v in SD.items() if k.startswith("0.")} | {"fc2." + k[2:]: v for k, v in SD.items() if k.startswith("2.")}


def ours_namespace() -> dict[str, Any]:
    import micrograd_ext as mg
    from micrograd_ext import Tensor
    from micrograd_ext.nets import functional as F
    from micrograd_ext.nets import optim
    from micrograd_ext.nets import tensor_nn as nn

    def T_(a: np.ndarray, grad: bool = True) -> Tensor:
        return Tensor(a.copy(), requires_grad=grad)

    return {"mg": mg, "Tensor": Tensor, "nn": nn, "F": F, "optim": optim,
            "x": T_(X), "q": T_(Q), "w": T_(W), "b": T_(B), "d": T_(D, False), "logits": T_(LOGITS),
            "y": Tensor(Y).long(), "y2": Tensor(Y2).long(), "p": T_(P), "t": T_(T, False),
            "SD": {k: v.copy() for k, v in SD.items()}, "LIN": {k: v.copy() for k, v in LIN.items()},
            "SD_NET": {k: v.copy() for k, v in SD_NET.items()}}


def torch_namespace() -> dict[str, Any]:
    import torch
    import torch.nn.functional as F
    from torch import nn, optim

    def T_(a: np.ndarray, grad: bool = True) -> Any:
        return torch.tensor(a, dtype=torch.float64, requires_grad=grad)

    def sd(state: dict) -> dict:
        return {k: torch.tensor(v) for k, v in state.items()}

    return {"torch": torch, "nn": nn, "F": F, "optim": optim,
            "x": T_(X), "q": T_(Q), "w": T_(W), "b": T_(B), "d": T_(D, False), "logits": T_(LOGITS),
            "y": torch.tensor(Y), "y2": torch.tensor(Y2), "p": T_(P), "t": T_(T, False),
            "SD": sd(SD), "LIN": sd(LIN), "SD_NET": sd(SD_NET)}


def run(idiom: Idiom, engine: str) -> list[Any]:
    """Run the idiom's code with one engine; the values of its checks."""
    ns = ours_namespace() if engine == "ours" else torch_namespace()
    exec(idiom.ours if engine == "ours" else idiom.torch_code, ns)  # noqa: S102 - the idiom table's own code
    return [eval(expr, ns) for expr in idiom.check]  # noqa: S307


def plain(v: Any) -> Any:
    """A value as numpy arrays, lists and Python scalars (torch tensors without importing torch here)."""
    if hasattr(v, "detach") and hasattr(v, "numpy") and not isinstance(v, np.ndarray):
        if type(v).__module__.startswith("torch"):
            return np.array(v.detach().numpy())
        return np.array(v.data)  # our Tensor
    if isinstance(v, np.ndarray):
        return np.array(v)
    if isinstance(v, (list, tuple)):
        return [plain(e) for e in v]
    return v


def same(a: Any, b: Any, where: str = "", rtol: float = 1e-12) -> str | None:
    """None if ``a`` (ours) and ``b`` (torch) agree, else what differs."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return f"{where}: shape {a.shape} vs {b.shape}"
        kind = {"b": "bool", "i": "int", "u": "int", "f": "float"}
        if kind.get(a.dtype.kind) != kind.get(b.dtype.kind):
            return f"{where}: dtype {a.dtype} vs {b.dtype}"
        single = a.dtype == np.float32 or b.dtype == np.float32
        rtol, atol = (1e-6, 1e-7) if single else (rtol, rtol * 1e-2)
        if not np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True):
            return f"{where}: max |diff| {np.max(np.abs(a.astype(float) - b.astype(float))):.3g}\n ours  {a}\n torch {b}"
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items vs {len(b)}"
        for k, (x, y) in enumerate(zip(a, b)):
            bad = same(x, y, f"{where}[{k}]", rtol)
            if bad:
                return bad
        return None
    if isinstance(a, float) or isinstance(b, float):
        return None if math.isclose(a, b, rel_tol=rtol, abs_tol=rtol * 1e-2) else f"{where}: {a!r} vs {b!r}"
    return None if (type(a) is type(b) or {type(a), type(b)} <= {int, bool}) and a == b else f"{where}: {a!r} vs {b!r}"


# -- the README table ------------------------------------------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- torch-idioms:start -->", "<!-- torch-idioms:end -->"


def _cell(code: str) -> str:
    lines = [html.escape(ln).replace("|", "&#124;") for ln in code.splitlines() if ln.strip()]
    lines = [re.sub(r"^( +)", lambda m: "&nbsp;" * len(m.group(1)), ln) for ln in lines]
    return "<code>" + "<br>".join(lines) + "</code>"


def markdown_table() -> str:
    """The README's table: one row per idiom, our code and PyTorch's (``same`` where they are one text)."""
    rows = ["| # | idiom | micrograd_ext | PyTorch |", "| ---: | --- | --- | --- |"]
    for k, idiom in enumerate(IDIOMS, 1):
        theirs = "the same" if idiom.torch is None else _cell(idiom.torch)
        rows.append(f"| {k} | {html.escape(idiom.what)} | {_cell(idiom.ours)} | {theirs} |")
    return "\n".join(rows)


# -- tests ------------------------------------------------------------------------------------------------------------


def test_fifty_distinct_idioms_each_checking_something() -> None:
    assert len(IDIOMS) == 50
    assert len({i.what for i in IDIOMS}) == 50
    assert all(i.check for i in IDIOMS)


def test_readme_holds_the_generated_table() -> None:
    text = README.read_text()
    assert START in text and END in text, "README: the 'Coming from PyTorch' table markers are missing"
    body = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert body == markdown_table(), "README table is stale: run .venv/bin/python scripts/torch_table.py --write"


@pytest.mark.parametrize("idiom", IDIOMS, ids=lambda i: i.what)
def test_our_spelling_runs(idiom: Idiom) -> None:
    """Without PyTorch: each idiom runs as typed and its checks evaluate (the numbers are checked against torch below)."""
    values = run(idiom, "ours")
    assert len(values) == len(idiom.check)


@pytest.mark.torch
@pytest.mark.parametrize("idiom", IDIOMS, ids=lambda i: i.what)
def test_idiom_gives_torch_numbers(idiom: Idiom) -> None:
    torch = pytest.importorskip("torch")
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        theirs = run(idiom, "torch")
    finally:
        torch.set_default_dtype(old)
    ours = run(idiom, "ours")
    for expr, a, b in zip(idiom.check, ours, theirs):
        bad = same(plain(a), plain(b), expr, idiom.rtol)
        assert bad is None, f"{idiom.what}: {bad}"
