"""Argument checks shared by every public function of :mod:`micrograd_ext.nets` (and the layers above).

Each check returns the value converted (an ``int``, a ``float``, a ``str`` path) or
raises one error whose message names the function (``where``), the argument, the
value it got and what was expected: ``MLP: seed = 'x' (expected an int or None)``.
A ``bool`` is never taken for a number (``True`` is an ``int`` to Python, not to us).

Type errors (a string where a number belongs) raise :class:`TypeError`; a number of
the right type out of its range raises :class:`ValueError`, as Python and numpy do.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["integer", "seed", "real", "flag", "choice", "path"]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_int(value: Any) -> bool:
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def integer(value: Any, name: str, where: str, *, minimum: int | None = None) -> int:
    """``int(value)`` for an integer (Python or numpy, not bool) ``>= minimum``."""
    want = "an integer" + (f" >= {minimum}" if minimum is not None else "")
    if not _is_int(value):
        raise TypeError(f"{where}: {name} = {_show(value)} of type {type(value).__name__} (expected {want})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{where}: {name} = {value!r} (expected {want})")
    return value


def seed(value: Any, where: str, name: str = "seed") -> int | None:
    """A seed: ``None`` or a non-negative integer (what ``random.Random`` and ``numpy.random.default_rng`` share)."""
    if value is None:
        return None
    if not _is_int(value):
        raise TypeError(f"{where}: {name} = {_show(value)} of type {type(value).__name__} "
                        "(expected a non-negative int or None)")
    if value < 0:
        raise ValueError(f"{where}: {name} = {int(value)!r} (expected a non-negative int or None)")
    return int(value)


def real(value: Any, name: str, where: str, *, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False, finite: bool = True) -> float:
    """``float(value)`` for a real number (not bool, not a string, not complex) in the given range.

    ``finite=True`` refuses ``nan`` and ``+-inf``; ``low``/``high`` bound it (inclusive
    unless ``low_open``/``high_open``).
    """
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    want = ("a finite number" if finite else "a number") + (" " + " and ".join(parts) if parts else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{where}: {name} = {_show(value)} of type {type(value).__name__} (expected {want})")
    try:
        v = float(value)
    except OverflowError:  # an int beyond float64
        raise ValueError(f"{where}: {name} = {_show(value)} is too large for a float64 (expected {want})") from None
    ok = not (finite and not math.isfinite(v)) and not math.isnan(v)
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v < high if high_open else v <= high
    if not ok:
        raise ValueError(f"{where}: {name} = {value!r} (expected {want})")
    return v


def flag(value: Any, name: str, where: str) -> bool:
    """A switch: ``True``/``False`` (numpy's too; ``0``/``1`` as ints are accepted, as micrograd passes them)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if _is_int(value) and value in (0, 1):
        return bool(value)
    raise TypeError(f"{where}: {name} = {_show(value)} of type {type(value).__name__} (expected True or False)")


def choice(value: Any, name: str, where: str, options: Sequence[str]) -> str:
    """One of ``options`` (strings)."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{where}: {name} = {_show(value)} (expected one of {', '.join(map(repr, options))})")
    return value


def path(value: Any, where: str, name: str = "path", what: str = "a file") -> str:
    """``os.fspath(value)`` for a ``str`` or ``os.PathLike`` (not bytes, not None, not empty)."""
    if isinstance(value, (str, os.PathLike)):
        text = os.fspath(value)
        if isinstance(text, str) and text.strip():
            return text
    raise TypeError(f"{where}: {name} = {_show(value)} of type {type(value).__name__} "
                    f"(expected the path of {what}, a non-empty str or os.PathLike)")
