"""``Module``: the base of every layer and network, for ``Value`` and ``Tensor`` alike.

A module's parameters are found by walking its attributes, as in PyTorch: a
``Value`` attribute, a ``Tensor`` with ``requires_grad``, a sub-``Module``, or a
list/tuple of any of these.  Names are dotted paths (``layers.0.neurons.3.w.2``),
in attribute-definition order, so two identical models list their parameters in
the same order.
"""

from __future__ import annotations

import io
import numbers
import os
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ..core.tensor import Tensor
from ..core.value import Value
from . import _checks, files

__all__ = ["Module", "StateDictError", "state_value"]

_MAGIC = "__micrograd_ext_state__"


class StateDictError(ValueError):
    """A state dict or file does not fit the model; the message lists every difference."""


def _is_param(x: Any) -> bool:
    return isinstance(x, Value) or (isinstance(x, Tensor) and bool(x.requires_grad))


def _show(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def state_value(value: Any, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """The one check and conversion of a state value, for every loader: a float64 array, or :class:`StateDictError`.

    Accepted: a real number (``int``, ``float``, numpy integer or float scalar), a
    numpy array of a real integer or float dtype, or a (nested) list/tuple of real
    numbers, whose conversion to float64 is exact (an int beyond 2**53 or a
    ``longdouble`` that float64 would round is refused, so is an int too large for a
    float).  Refused, each with a message naming ``name``: ``None``, strings (also
    ``"0.5"``), bools, complex numbers, ``Value``/``Tensor`` nodes (pass ``.data``),
    arrays of strings, bools, complex numbers or objects.  ``nan`` and ``inf`` are
    real float64 values and load as they are.  With ``shape``, the array must have it.
    """
    where = f"{name}:"
    if isinstance(value, (Value, Tensor)):
        raise StateDictError(f"{where} a {type(value).__name__} node (expected its numbers: pass .data)")
    if isinstance(value, np.ndarray):
        arr = value
    elif isinstance(value, np.generic) or isinstance(value, numbers.Number) or value is None or isinstance(value, (str, bytes)):
        arr = np.array(value, dtype=object) if not isinstance(value, np.generic) else np.asarray(value)
    elif isinstance(value, (list, tuple)):
        try:
            arr = np.array(value, dtype=object)
        except ValueError:
            raise StateDictError(f"{where} a ragged nested list (expected an array of shape {shape})") from None
    else:
        raise StateDictError(f"{where} {type(value).__name__} {_show(value)} (expected a number or an array of numbers)")
    kind = arr.dtype.kind
    if kind == "O":
        for v in arr.reshape(-1):
            if isinstance(v, (list, tuple, np.ndarray)):
                raise StateDictError(f"{where} a ragged nested list (rows of different lengths; expected an "
                                     f"array of shape {shape})")
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.floating, np.integer)):
                what = "None" if v is None else f"{type(v).__name__} {_show(v)}"
                if arr.ndim == 0:
                    raise StateDictError(f"{where} {what} (expected a real number or an array of real numbers)")
                raise StateDictError(f"{where} the list holds {what} (expected real numbers only)")
        try:
            out = np.array(arr.tolist(), dtype=np.float64)
        except OverflowError:
            raise StateDictError(f"{where} holds an integer too large for a float64") from None
        exact = np.array(arr.tolist(), dtype=object) == out.astype(object) if out.size else np.ones(0, bool)
        bad = ~np.asarray(exact, dtype=bool) & ~np.isnan(out)
    elif kind in "iuf":
        with np.errstate(over="ignore", invalid="ignore"):
            out = arr.astype(np.float64)
            back = out.astype(arr.dtype)
        bad = (back != arr) & ~np.isnan(out) if kind == "f" else (back != arr) | ~np.isfinite(out)
    else:
        names = {"b": "bools", "c": "complex numbers", "U": "strings", "S": "bytes", "M": "dates", "m": "time spans",
                 "V": "raw records"}
        raise StateDictError(f"{where} an array of {names.get(kind, arr.dtype)} (dtype {arr.dtype}; expected real numbers)")
    if np.any(bad):
        first = (arr.reshape(-1)[np.flatnonzero(np.asarray(bad).reshape(-1))[0]])
        raise StateDictError(f"{where} the value {_show(first)} ({arr.dtype}) has no exact float64 (expected values "
                             "that float64 holds exactly, as Module.save writes them)")
    if shape is not None and out.shape != tuple(shape):
        raise StateDictError(f"{where} shape {out.shape} in the state, {tuple(shape)} in the model")
    return out


def _walk(obj: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if _is_param(obj):
        yield prefix, obj
    elif isinstance(obj, Module):
        for k, v in vars(obj).items():
            if k.startswith("_"):
                continue
            yield from _walk(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _walk(v, f"{prefix}.{i}" if prefix else str(i))


class Module:
    """Base class: ``parameters()``, ``named_parameters()``, ``zero_grad()``, state dicts."""

    def named_parameters(self) -> list[tuple[str, Any]]:
        """``(name, parameter)`` pairs; a parameter reached twice is listed once."""
        seen: set[int] = set()
        out = []
        for name, p in _walk(self, ""):
            if id(p) not in seen:
                seen.add(id(p))
                out.append((name, p))
        return out

    def parameters(self) -> list[Any]:
        """All trainable ``Value``/``Tensor`` parameters, in a fixed order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to zero (``0.0`` for a Value, ``None`` for a Tensor, as PyTorch)."""
        for p in self.parameters():
            p.grad = 0.0 if isinstance(p.data, float) else None

    # -- state ---------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Name -> a float64 array copy of the parameter's data (a 0-d array for a Value)."""
        return {name: np.array(p.data, dtype=np.float64, copy=True) for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy ``state`` into the parameters; on any problem raise and change nothing.

        ``state`` maps each name of :meth:`named_parameters` to a number or an array of
        the parameter's shape (what :meth:`state_dict` returns).  Every value goes
        through :func:`state_value`, which refuses anything that is not exactly a real
        number (``None``, strings, bools, complex numbers, ``Value``/``Tensor`` nodes,
        arrays of such).  The error (:class:`StateDictError`) lists every missing name,
        unexpected name, refused value and shape difference.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping of parameter names to arrays (what state_dict() "
                            f"returns, or a loaded .npz), got {type(state).__name__}: {_show(state)}")
        params = dict(self.named_parameters())
        problems = []
        missing = [k for k in params if k not in state]
        unexpected = [str(k) for k in state if k not in params]
        if missing:
            problems.append("missing: " + ", ".join(missing))
        if unexpected:
            problems.append("unexpected: " + ", ".join(unexpected))
        arrays = {}
        for k, p in params.items():
            if k not in state:
                continue
            try:
                arrays[k] = state_value(state[k], k, np.shape(p.data))
            except StateDictError as e:
                problems.append(str(e))
        if problems:
            raise StateDictError(
                f"load_state_dict: the state does not fit {type(self).__name__} "
                f"({len(problems)} problem(s)); the model is unchanged:\n  " + "\n  ".join(problems)
            )
        for k, p in params.items():
            arr = arrays[k]
            p.data = float(arr) if arr.ndim == 0 and isinstance(p.data, float) else arr.copy()

    def save(self, path: str | os.PathLike) -> str:
        """Write the state dict to a ``.npz`` file (exact: float64, bit for bit); returns the path written.

        A path without a suffix gets ``.npz`` (as ``numpy.savez`` does, and :meth:`load`
        finds it again); another suffix is refused.  The file is written through
        :func:`micrograd_ext.nets.files.write_bytes` (folders created, nothing left
        behind on failure).
        """
        target, _ = files.output_format(path, "save", ("npz",), default="npz")
        buf = io.BytesIO()
        np.savez(buf, **{_MAGIC: np.array(type(self).__name__)}, **self.state_dict())
        return files.write_bytes(target, buf.getvalue(), "save")

    def load(self, path: str | os.PathLike) -> None:
        """Read a file written by :meth:`save`; on any problem raise and change nothing.

        ``path`` may leave out the ``.npz`` that :meth:`save` added.  The archive is read
        with ``allow_pickle=False``: a file holding pickled objects is refused, never
        unpickled.  A missing file raises :class:`FileNotFoundError`; anything else that
        is not a state written by :meth:`save` (another ``.npz``, a ``.npy``, a pickle, a
        text file), :class:`StateDictError`; a state that does not fit the model, the
        errors of :meth:`load_state_dict`.
        """
        text = _checks.path(path, "load", what="a .npz file written by Module.save")
        if not os.path.exists(text) and os.path.splitext(text)[1] == "" and os.path.exists(text + ".npz"):
            text += ".npz"
        if not os.path.exists(text):
            raise FileNotFoundError(f"load: no file {text!r} (expected a .npz file written by Module.save)")
        if os.path.isdir(text):
            raise IsADirectoryError(f"load: {text!r} is a folder (expected a .npz file written by Module.save)")
        try:
            with open(text, "rb") as f:
                head = f.read(6)
            loaded = np.load(text, allow_pickle=False)
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
            raise StateDictError(
                f"load: cannot read {text!r} as a micrograd_ext state file ({type(e).__name__}: {e}); "
                "expected a .npz file written by Module.save"
            ) from None
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            kind = "a .npy file (one array)" if head.startswith(b"\x93NUMPY") else f"a {type(loaded).__name__}"
            raise StateDictError(f"load: {text!r} is {kind}, not a micrograd_ext state "
                                 "(expected a .npz file written by Module.save)")
        with loaded as f:
            if _MAGIC not in f.files:
                raise StateDictError(
                    f"load: {text!r} is a .npz file but not a micrograd_ext state "
                    f"(no {_MAGIC!r} entry; expected a file written by Module.save)"
                )
            state = {}
            for k in f.files:
                if k == _MAGIC:
                    continue
                try:
                    state[k] = f[k]
                except ValueError as e:  # an object array: reading it would unpickle it
                    raise StateDictError(f"load: {text!r} entry {k!r} holds pickled Python objects, which are "
                                         f"never loaded ({e}); expected float64 arrays written by Module.save") from None
        self.load_state_dict(state)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
