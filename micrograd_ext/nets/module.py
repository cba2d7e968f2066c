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

__all__ = ["Module", "StateDictError", "state_value", "translate_state", "untorch"]

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
        state = translate_state(self, state)  # 0.1.0 names and PyTorch tensors (see translate_state)
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
    if type(v).__module__.split(".")[0] == "torch" and hasattr(v, "detach") and hasattr(v, "numpy"):
        return v.detach().cpu().numpy()
    return v  # our own Tensor is not converted: a node in a state dict is refused by the validation
