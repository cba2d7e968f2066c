"""Gradient checking: ``backward()`` against central finite differences.

For a function ``f`` of scalar inputs ``x_1 .. x_n`` (``Value`` leaves),
:func:`gradcheck` computes the gradient twice:

* analytic: ``f(...).backward()``, then ``x_i.grad`` — what the chain rule and the
  rule table give;
* numeric: the central difference ``(f(x_i + eps) - f(x_i - eps)) / (2 eps)``, whose
  error is ``O(eps^2)`` for a smooth ``f`` (plus rounding, about ``1e-16 |f| / eps``),

and reports, per input, both numbers and their relative error
``|analytic - numeric| / max(1, |analytic|, |numeric|)`` (an absolute error for
gradients smaller than 1, where finite differences cannot do better), and the
worst of them.  A kink (relu at 0) within ``eps`` of an input makes the numeric
derivative meaningless there; move the point.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .graph import no_grad
from .value import Value

__all__ = ["gradcheck", "gradgradcheck", "GradcheckReport", "GradcheckRow", "relative_error"]


def relative_error(analytic: float, numeric: float) -> float:
    """``|a - n| / max(1, |a|, |n|)``; ``inf`` if either is not finite (unless both are the same inf)."""
    if analytic == numeric:
        return 0.0
    if not (math.isfinite(analytic) and math.isfinite(numeric)):
        return math.inf
    return abs(analytic - numeric) / max(1.0, abs(analytic), abs(numeric))


@dataclass(frozen=True)
class GradcheckRow:
    """One input: its position, label, value, the two derivatives and their relative error."""

    index: int
    label: str
    value: float
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool


@dataclass
class GradcheckReport:
    """What :func:`gradcheck` found: ``.ok``, ``.max_rel_error``, ``.worst`` and ``.rows``."""

    rows: list[GradcheckRow]
    eps: float
    tol: float
    output: float
    name: str = "gradcheck"
    max_rel_error: float = field(init=False)
    worst: GradcheckRow | None = field(init=False)

    def __post_init__(self) -> None:
        self.worst = max(self.rows, key=lambda r: (math.isnan(r.rel_error), r.rel_error), default=None)
        self.max_rel_error = self.worst.rel_error if self.worst is not None else 0.0
        if math.isnan(self.max_rel_error):
            self.max_rel_error = math.inf

    @property
    def ok(self) -> bool:
        """Every input's relative error is at most ``tol``."""
        return all(r.ok for r in self.rows)

    @property
    def failures(self) -> list[GradcheckRow]:
        return [r for r in self.rows if not r.ok]

    def __bool__(self) -> bool:
        return self.ok

    def table(self) -> str:
        """The rows as a plain-text table."""
        lines = [f"{'#':>3}  {'input':<14} {'value':>12} {'backward()':>14} {'finite diff.':>14} {'rel. error':>10}  "]
        for r in self.rows:
            name = (r.label or f"x{r.index}")[:14]
            lines.append(f"{r.index:>3}  {name:<14} {r.value:>12.6g} {r.analytic:>14.8g} {r.numeric:>14.8g} "
                         f"{r.rel_error:>10.2e}  {'ok' if r.ok else 'FAIL'}")
        return "\n".join(lines)

    def __str__(self) -> str:
        what = "inputs" if self.name == "gradcheck" else "second derivatives"
        head = (f"{self.name}: {'PASS' if self.ok else 'FAIL'}: worst relative error {self.max_rel_error:.3e} "
                f"(tolerance {self.tol:g}, eps {self.eps:g}, {len(self.rows)} {what}"
                + (f", {len(self.failures)} failing" if not self.ok else "") + ")")
        return head + "\n" + self.table()


def _takes_no_args(f: Callable[..., Any]) -> bool:
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return False
    return not any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
                   for p in sig.parameters.values())


def gradcheck(f: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6, tol: float = 1e-6) -> GradcheckReport:
    """Compare ``backward()`` with central finite differences for ``f`` at ``inputs``.

    ``f`` is called as ``f(*inputs)``, or as ``f()`` if it takes no arguments (e.g.
    a closure over a model, with ``inputs=model.parameters()``); it must return a
    scalar :class:`Value` (or a one-element ``Tensor``) and build its graph afresh from
    the inputs' current ``.data`` on every call.  ``inputs`` are leaves: ``Value``s,
    or ``Tensor``s with ``requires_grad=True`` (each of their elements is one row,
    labelled ``W[i,j]``).

    Returns a :class:`GradcheckReport`: ``.ok`` (every relative error at most
    ``tol``), ``.max_rel_error``, ``.worst``, ``.rows`` (one :class:`GradcheckRow`
    per input element); ``print(report)`` shows the table.  The inputs' ``data`` and
    ``grad`` are left as they were.
    """
    from .tensor import Tensor

    ins = list(inputs)
    for k, x in enumerate(ins):
        if not isinstance(x, (Value, Tensor)):
            raise TypeError(f"gradcheck: input {k} is a {type(x).__name__} (expected a Value or a Tensor)")
        if x._prev:
            raise ValueError(f"gradcheck: input {k} {x.label!r} is the result of '{x._op}' (expected a leaf, "
                             "one made with Value(...) or Tensor(..., requires_grad=True), since its .data is perturbed)")
        if isinstance(x, Tensor) and not x.requires_grad:
            raise ValueError(f"gradcheck: Tensor input {k} {x.label!r} has requires_grad=False (expected a parameter)")
    if not (isinstance(eps, (int, float)) and eps > 0 and math.isfinite(eps)):
        raise ValueError(f"gradcheck: eps = {eps!r} (expected a small positive number, e.g. 1e-6)")
    if not (isinstance(tol, (int, float)) and tol >= 0):
        raise ValueError(f"gradcheck: tol = {tol!r} (expected a number >= 0)")
    call = f if _takes_no_args(f) else (lambda: f(*ins))

    def output() -> Any:
        out = call()
        if isinstance(out, Value) or (isinstance(out, Tensor) and out.data.size == 1):
            return out
        raise TypeError(f"gradcheck: f returned a {type(out).__name__} (expected a scalar Value or a one-element Tensor)")

    def evaluate() -> float:
        return _scalar(output())

    # one slot per scalar: (row label, read data, write data, read the analytic gradient)
    slots: list[tuple[str, Callable[[], float], Callable[[float], None], Callable[[], float]]] = []
    for k, x in enumerate(ins):
        name = x.label or f"x{k}"
        if isinstance(x, Value):
            slots.append((x.label, lambda x=x: x.data, lambda v, x=x: setattr(x, "data", v),
                          lambda x=x: x.grad))
            continue
        for idx in np.ndindex(*x.data.shape):
            slots.append((f"{name}[{','.join(map(str, idx))}]" if idx else name,
                          lambda x=x, idx=idx: float(x.data[idx]),
                          lambda v, x=x, idx=idx: x.data.__setitem__(idx, v),
                          lambda x=x, idx=idx: 0.0 if x.grad is None else float(np.asarray(x.grad)[idx])))
    saved = _save(ins)
    try:
        for x in ins:
            x.grad = None if isinstance(x, Tensor) else 0.0
        out = output()
        out.backward()
        out_value = _scalar(out)
        analytic = [read_grad() for _, _, _, read_grad in slots]  # a Value passed twice: its whole gradient twice
        numeric = []
        with no_grad():
            for _, read, write, _ in slots:
                d0 = read()
                xp, xm = d0 + eps, d0 - eps  # divide by xp - xm: the step really taken after rounding
                write(xp)
                fp = evaluate()
                write(xm)
                fm = evaluate()
                write(d0)
                numeric.append((fp - fm) / (xp - xm))
    finally:
        _restore(ins, saved)
    rows = []
    for k, ((label, read, _, _), a, n) in enumerate(zip(slots, analytic, numeric)):
        rel = relative_error(a, n)
        rows.append(GradcheckRow(k, label, read(), a, n, abs(a - n), rel, rel <= tol))
    return GradcheckReport(rows, float(eps), float(tol), out_value)


def _scalar(out: Any) -> float:
    data = out.data
    return float(data.reshape(())) if hasattr(data, "reshape") else float(data)


def gradgradcheck(f: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-5, tol: float = 1e-5) -> GradcheckReport:
    """Second order: the Hessian by reverse over reverse against finite differences of the gradient.

    Each row is one entry ``d^2 f / d x_i d x_j``: ``analytic`` from
    :func:`micrograd_ext.hessian` (``backward(create_graph=True)``: the op tables'
    derivative expressions evaluated on graph nodes), ``numeric`` the central
    difference of the *first* derivative (a plain ``backward()``, numbers only) as
    ``x_j`` moves.  Inputs as for :func:`gradcheck`; they are left as they were.
    """
    from .autodiff import hessian
    from .tensor import Tensor

    ins = list(inputs)
    rows_of = gradcheck(f, ins, eps=eps, tol=tol)  # validates the inputs, checks first order too
    names = [r.label or f"x{r.index}" for r in rows_of.rows]
    H = np.asarray(hessian(f, ins)).reshape(len(names), len(names))
    call = f if _takes_no_args(f) else (lambda: f(*ins))

    def gradient() -> np.ndarray:
        for x in ins:
            x.grad = None if isinstance(x, Tensor) else 0.0
        call().backward()
        return np.concatenate([np.ravel(np.asarray(0.0 if x.grad is None else x.grad, dtype=np.float64)) for x in ins])

    flat: list[tuple[Any, Any]] = []  # (input, index or None)
    for x in ins:
        if isinstance(x, Tensor):
            flat += [(x, idx) for idx in np.ndindex(*x.data.shape)]
        else:
            flat.append((x, None))
    saved = _save(ins)
    numeric = np.zeros_like(H)
    try:
        for j, (x, idx) in enumerate(flat):
            d0 = float(x.data[idx]) if idx is not None else x.data
            cols = []
            for v in (d0 + eps, d0 - eps):
                if idx is not None:
                    x.data[idx] = v
                else:
                    x.data = v
                cols.append(gradient())
            if idx is not None:
                x.data[idx] = d0
            else:
                x.data = d0
            numeric[:, j] = (cols[0] - cols[1]) / (2 * eps)
    finally:
        _restore(ins, saved)
    rows = []
    k = 0
    for i in range(len(names)):
        for j in range(len(names)):
            a, n = float(H[i, j]), float(numeric[i, j])
            rel = relative_error(a, n)
            rows.append(GradcheckRow(k, f"d2/d{names[i]} d{names[j]}", 0.0, a, n, abs(a - n), rel, rel <= tol))
            k += 1
    return GradcheckReport(rows, float(eps), float(tol), rows_of.output, name="gradgradcheck")


def _save(ins: Sequence[Any]) -> list[tuple[Any, Any]]:
    """The inputs' data and grad, to be put back by :func:`_restore` (the checks perturb them)."""
    return [(x.data.copy() if isinstance(x.data, np.ndarray) else x.data, x.grad) for x in ins]


def _restore(ins: Sequence[Any], saved: list[tuple[Any, Any]]) -> None:
    for x, (d0, g0) in zip(ins, saved):
        if isinstance(x.data, np.ndarray):
            x.data[...] = d0
        else:
            x.data = d0
        x.grad = g0
