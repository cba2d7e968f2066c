"""``micrograd-ext verify``: every derivative of the five documents reproduced by autodiff, and every erratum re-checked.

Each document module (:mod:`.bondartsov`, :mod:`.cs224n`, :mod:`.rosenberg`, :mod:`.park`,
:mod:`.cs229`) builds its networks in its own notation with ``Value`` and again with
``Tensor``, runs them backward and compares each derivative the document states with
the document's closed form, equation by equation: its ``rows()``.  Its ``errata()``
are the places where the text as printed is wrong (or right only under a convention);
:func:`errata` re-checks each one: the printed form disagrees with autodiff (or cannot be
evaluated: a shape error, code that does not run) and the corrected form agrees.

Row pass criterion (float64): equal shapes, finite entries, and
``max |autodiff - closed form| <= tolerance * max(1, max |closed form|)`` with tolerance
``1e-10`` (``1e-6`` for the few rows whose oracle is a central finite difference: the
definitions of a Jacobian or a gradient matrix).

``--json`` prints one list: the rows (``"kind": "row"``, with the keys ``document``,
``equation``, ``quantity``, ``shape``, ``max_abs_diff``, ``tolerance``, ``passed``) and
then the errata (``"kind": "erratum"``, with also ``category``, ``passage``,
``printed``, ``corrected``, ``printed_result``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from types import ModuleType

from . import bondartsov, cs224n, cs229, park, rosenberg
from .common import (
    CATEGORIES,
    DOCUMENTS,
    ENGINES,
    FD_RTOL,
    RTOL,
    Document,
    Erratum,
    ErratumCheck,
    Row,
    check_erratum,
    compare,
    document,
)

__all__ = ["RTOL", "FD_RTOL", "ENGINES", "Row", "Erratum", "ErratumCheck", "compare", "check_erratum", "MODULES",
           "SECTIONS", "ERRATA", "all_rows", "errata", "format_table", "format_errata", "errata_summary", "DOCUMENTS",
           "Document", "document"]

#: document key -> its module
MODULES: dict[str, ModuleType] = {"bondartsov": bondartsov, "cs224n": cs224n, "rosenberg": rosenberg, "park": park,
                                  "cs229": cs229}
#: (document key, its rows function), in the order of the documents
SECTIONS: tuple[tuple[str, Callable[[], list[Row]]], ...] = tuple((k, m.rows) for k, m in MODULES.items())
#: (document key, its errata function)
ERRATA: tuple[tuple[str, Callable[[], list[Erratum]]], ...] = tuple((k, m.errata) for k, m in MODULES.items())


def all_rows(docs: Sequence[str] | None = None) -> list[Row]:
    """Every row of the documents ``docs`` (keys; all five by default), in order."""
    out: list[Row] = []
    for key, fn in SECTIONS:
        if docs is None or key in docs:
            out += fn()
    return out


def errata(docs: Sequence[str] | None = None) -> list[ErratumCheck]:
    """Every erratum of the documents ``docs`` (all five by default), re-checked against autodiff now."""
    out: list[ErratumCheck] = []
    for key, fn in ERRATA:
        if docs is None or key in docs:
            out += [check_erratum(e) for e in fn()]
    return out


def format_table(rows: Sequence[Row]) -> str:
    """The rows as a plain-text table, grouped by document (columns as wide as that document needs)."""
    lines: list[str] = []
    groups: dict[str, list[Row]] = {}
    for r in rows:
        groups.setdefault(r.document, []).append(r)
    for doc, rs in groups.items():
        wq = max(len(r.quantity) for r in rs)
        we = max(max(len(r.equation) for r in rs), len("equation"))
        lines += ["", doc, "-" * len(doc),
                  f"{'equation':<{we}}  {'quantity':<{wq}}  {'shape':<10}  {'max |diff|':>10}  {'tol':>5}  result"]
        for r in rs:
            shape = "x".join(str(s) for s in r.shape) or "scalar"
            diff = "n/a" if r.max_abs_diff is None else f"{r.max_abs_diff:.2e}"
            lines.append(f"{r.equation:<{we}}  {r.quantity:<{wq}}  {shape:<10}  {diff:>10}  {r.tolerance:>5.0e}  "
                         f"{'pass' if r.passed else 'FAIL'}")
    return "\n".join(lines).lstrip("\n")


def format_errata(items: Sequence[ErratumCheck]) -> str:
    """The errata re-checked, one block each: where, category, printed and corrected forms and what autodiff says."""
    lines = ["Errata (docs/errata.md), re-checked against autodiff now on both engines:"]
    for c in items:
        e = c.erratum
        short = document(e.document).short
        corrected = "agrees" if c.corrected_agrees else "DISAGREES"
        lines.append(f"  {'ok  ' if c.passed else 'FAIL'} {short} {e.equation} [{e.category}]")
        lines.append(f"       printed:   {e.printed} -> {c.printed_result}")
        diff = "" if c.corrected_max_abs_diff is None else f", max |diff| {c.corrected_max_abs_diff:.1e}"
        lines.append(f"       corrected: {e.corrected} -> {corrected}{diff}")
    return "\n".join(lines)


def errata_summary(items: Sequence[ErratumCheck]) -> str:
    """``31 of 31 errata re-checked (author error 19, extraction noise 7, convention 5)``."""
    n = Counter(c.erratum.category for c in items)
    parts = ", ".join(f"{cat} {n[cat]}" for cat in CATEGORIES if n[cat])
    return f"{sum(c.passed for c in items)} of {len(items)} errata confirmed ({parts})"
