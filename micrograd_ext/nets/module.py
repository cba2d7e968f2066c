"""``Module``: the base of every layer and network, for ``Value`` and ``Tensor`` alike.

A module's parameters are found by walking its attributes, as in PyTorch: a
``Value`` attribute, a ``Tensor`` with ``requires_grad``, a sub-``Module``, or a
list/tuple of any of these.  Names are dotted paths (``layers.0.neurons.3.w.2``),
in attribute-definition order, so two identical models list their parameters in
the same order.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["Module", "StateDictError"]

_MAGIC = "__micrograd_ext_state__"


class StateDictError(ValueError):
    """A state dict or file does not fit the model; the message lists every difference."""


def _is_param(x: Any) -> bool:
    from ..core.value import Value

    if isinstance(x, Value):
        return True
    try:
        from ..core.tensor import Tensor
    except ImportError:  # pragma: no cover
        return False
    return isinstance(x, Tensor) and bool(getattr(x, "requires_grad", False))


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

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Copy ``state`` into the parameters; on any mismatch raise and change nothing.

        The error lists every missing name, unexpected name and shape difference.
        """
        params = dict(self.named_parameters())
        problems = []
        missing = [k for k in params if k not in state]
        unexpected = [k for k in state if k not in params]
        if missing:
            problems.append("missing: " + ", ".join(missing))
        if unexpected:
            problems.append("unexpected: " + ", ".join(unexpected))
        arrays = {}
        for k, p in params.items():
            if k not in state:
                continue
            try:
                arr = np.asarray(state[k], dtype=np.float64)
            except (TypeError, ValueError):
                problems.append(f"{k}: not numeric ({type(state[k]).__name__})")
                continue
            want = np.shape(p.data)
            if arr.shape != want:
                problems.append(f"{k}: shape {arr.shape} in the state, {want} in the model")
            arrays[k] = arr
        if problems:
            raise StateDictError(
                f"load_state_dict: the state does not fit {type(self).__name__} "
                f"({len(problems)} problem(s)); the model is unchanged:\n  " + "\n  ".join(problems)
            )
        for k, p in params.items():
            arr = arrays[k]
            p.data = float(arr) if arr.ndim == 0 and isinstance(p.data, float) else arr.copy()

    def save(self, path: str | os.PathLike) -> None:
        """Write the state dict to a ``.npz`` file (exact: float64, bit for bit)."""
        state = self.state_dict()
        np.savez(path, **{_MAGIC: np.array(type(self).__name__)}, **state)

    def load(self, path: str | os.PathLike) -> None:
        """Read a file written by :meth:`save`; a foreign file raises :class:`StateDictError`."""
        try:
            with np.load(path, allow_pickle=False) as f:
                if _MAGIC not in f.files:
                    raise StateDictError(
                        f"load: {os.fspath(path)!r} is a .npz file but not a micrograd_ext state "
                        f"(no {_MAGIC!r} entry; expected a file written by Module.save)"
                    )
                state = {k: f[k] for k in f.files if k != _MAGIC}
        except StateDictError:
            raise
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
            raise StateDictError(
                f"load: cannot read {os.fspath(path)!r} as a micrograd_ext state file ({type(e).__name__}: {e}); "
                "expected a .npz file written by Module.save"
            ) from None
        self.load_state_dict(state)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
