"""``Module``: the base of every layer and network, for ``Value`` and ``Tensor`` alike.

A module's parameters are found by walking its attributes, as in PyTorch: a
``Value`` attribute, a ``Tensor`` with ``requires_grad``, a sub-``Module``, or a
list/tuple of any of these.  Names are dotted paths (``layers.0.neurons.3.w.2``),
in attribute-definition order, so two identical models list their parameters in
the same order.  A module may name its children itself (:meth:`Module._members`):
the matrix ``Sequential`` and ``MLP`` name them as ``torch.nn.Sequential`` does
(``0.weight``, ``2.bias``), so their state dicts are PyTorch's.

Like ``torch.nn.Module``: calling a module runs its :meth:`~Module.forward`,
:meth:`~Module.train`/:meth:`~Module.eval` set ``training`` on it and every submodule,
:meth:`~Module.named_modules` lists them.  (micrograd's scalar ``Neuron``/``Layer``/``MLP``
define ``__call__`` themselves, as in micrograd.)
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["Module", "StateDictError", "translate_state", "untorch"]

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


def _attributes(obj: Module) -> Iterator[tuple[str, Any]]:
    """A module's public attributes, in definition order: the members walked by default."""
    for k, v in vars(obj).items():
        if not k.startswith("_"):
            yield k, v


def _walk(obj: Any, prefix: str, legacy: bool = False) -> Iterator[tuple[str, Any]]:
    """``(dotted name, parameter)`` under ``obj``; ``legacy=True``: the 0.1.0 names (attributes only)."""
    if _is_param(obj):
        yield prefix, obj
    elif isinstance(obj, Module):
        for k, v in (_attributes(obj) if legacy else obj._members()):
            yield from _walk(v, f"{prefix}.{k}" if prefix else k, legacy)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _walk(v, f"{prefix}.{i}" if prefix else str(i), legacy)


def _walk_modules(obj: Any, prefix: str) -> Iterator[tuple[str, Module]]:
    """``(dotted name, module)`` of the modules under ``obj`` (itself first), by the same walk as the parameters."""
    if isinstance(obj, Module):
        yield prefix, obj
        for k, v in obj._members():
            yield from _walk_modules(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _walk_modules(v, f"{prefix}.{i}" if prefix else str(i))


class Module:
    """Base class: ``parameters()``, ``named_parameters()``, ``zero_grad()``, state dicts.

    As ``torch.nn.Module``: ``model(x)`` calls ``model.forward(x)``; parameters and
    submodules are registered by assigning them to attributes; ``train()``/``eval()``
    set ``training``; ``named_modules()``, ``modules()``, ``children()``.
    """

    #: ``train()`` / ``eval()`` mode, as ``torch.nn.Module.training`` (no layer here behaves differently yet)
    training: bool = True

    def _members(self) -> Iterator[tuple[str, Any]]:
        """The named members that hold parameters and submodules (the public attributes; a subclass may name them)."""
        return _attributes(self)

    # -- torch.nn.Module habits ------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``model(x)`` runs ``model.forward(x)``, as in PyTorch."""
        return self.forward(*args, **kwargs)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A class that defines ``forward`` (and no ``__call__`` of its own) is called straight
        through it: ``cls.__call__ = cls.forward``, one Python frame less per layer and step
        (a forward assigned to an instance, rather than defined in a class, is not what a call runs)."""
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__ and "__call__" not in cls.__dict__:
            cls.__call__ = cls.__dict__["forward"]

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: no forward() (define forward(self, x) in the subclass; "
                                  "calling the module calls it, as torch.nn.Module)")

    def train(self, mode: bool = True) -> Module:
        """Set ``training = mode`` on this module and every submodule; returns the module (PyTorch)."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode={mode!r} (expected True or False)")
        for _, m in self.named_modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """``train(False)``."""
        return self.train(False)

    def named_modules(self) -> list[tuple[str, Module]]:
        """``('', self)`` then every submodule with its dotted name, each once (PyTorch's order and names)."""
        seen: set[int] = set()
        out = []
        for name, m in _walk_modules(self, ""):
            if id(m) not in seen:
                seen.add(id(m))
                out.append((name, m))
        return out

    def modules(self) -> list[Module]:
        return [m for _, m in self.named_modules()]

    def named_children(self) -> list[tuple[str, Module]]:
        """The direct submodules (a list of modules in an attribute gives ``name.0``, ``name.1``, ...)."""
        out: list[tuple[str, Module]] = []
        for k, v in self._members():
            if isinstance(v, Module):
                out.append((k, v))
            elif isinstance(v, (list, tuple)):
                out += [(f"{k}.{i}", m) for i, m in enumerate(v) if isinstance(m, Module)]
        return out

    def children(self) -> list[Module]:
        return [m for _, m in self.named_children()]

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

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's ``.grad`` to zero (``0.0`` for a Value, ``None`` for a Tensor, as PyTorch;
        ``set_to_none=False``: a Tensor's gradient array is zeroed in place)."""
        for p in self.parameters():
            if isinstance(p.data, float):
                p.grad = 0.0
            elif set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = np.zeros_like(p.data)

    # -- state ---------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Name -> a float64 array copy of the parameter's data (a 0-d array for a Value)."""
        return {name: np.array(p.data, dtype=np.float64, copy=True) for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Copy ``state`` into the parameters; on any mismatch raise and change nothing.

        The error lists every missing name, unexpected name and shape difference.
        Keys may be the names of release 0.1.0 (``layers.0.weight`` of a matrix
        ``Sequential``) and values PyTorch tensors: see :func:`translate_state`.
        """
        state = translate_state(self, state)
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


def translate_state(model: Module, state: Any) -> Any:
    """A state dict as :meth:`Module.load_state_dict` reads it: release 0.1.0's names translated to
    the current ones, and PyTorch tensors turned into numpy arrays (without importing torch).

    The names of 0.1.0 are the attribute paths (``layers.0.weight``); a module that names its
    members itself (the matrix ``Sequential``/``MLP``: ``0.weight``, as ``torch.nn.Sequential``)
    maps each old name to the parameter it denoted.  Anything that is not a mapping is returned
    as it is, for the validation to refuse.
    """
    if not hasattr(state, "items") or not hasattr(state, "keys"):
        return state
    current = {name for name, _ in model.named_parameters()}
    by_id = {id(p): name for name, p in model.named_parameters()}
    legacy = {old: by_id[id(p)] for old, p in _walk(model, "", legacy=True) if id(p) in by_id}
    out: dict[str, Any] = {}
    for k, v in state.items():
        key = k if k in current or not isinstance(k, str) else legacy.get(k, k)
        if key in out:
            raise StateDictError(f"load_state_dict: {k!r} (the 0.1.0 name of {key!r}) and {key!r} are both in the "
                                 "state (expected one of them); the model is unchanged")
        out[key] = untorch(v)
    return out


def untorch(v: Any) -> Any:
    """A ``torch.Tensor`` as a numpy array (without importing torch); anything else as it is."""
    if hasattr(v, "detach") and hasattr(v, "cpu") and hasattr(v, "numpy") and not isinstance(v, np.ndarray):
        return v.detach().cpu().numpy()
    return v
