"""The bridge to PyTorch: weights in PyTorch's names and layouts, files both sides read, and :func:`compare`.

Weights.  The matrix :class:`~micrograd_ext.nets.tensor_nn.Sequential` and
:class:`~micrograd_ext.nets.tensor_nn.MLP` have ``torch.nn.Sequential``'s state dict: keys
``0.weight`` (shape ``(out, in)``), ``0.bias``, ``2.weight``, ... (the position of each
``Linear`` among the modules).  So, with PyTorch installed::

    torch_net.load_state_dict(to_torch(net.state_dict()))     # ours -> PyTorch
    net.load_state_dict(torch_net.state_dict())               # PyTorch -> ours

and without it, through a file that needs nothing but numpy to write or read::

    save_state(net, "net.safetensors")      # or "net.npz"
    # in PyTorch:  safetensors.torch.load_file("net.safetensors")  or  np.load("net.npz")
    net.load_state_dict(load_state("net.safetensors"))

micrograd's scalar :class:`~micrograd_ext.nn.MLP` keeps its own names
(``layers.0.neurons.3.w.2``); :func:`torch_state_dict` and :func:`load_torch_state_dict`
move its weights in PyTorch's form (neuron ``i``'s weights are row ``i`` of the layer's matrix).

Files.  ``.npz`` is numpy's zip of ``.npy`` arrays (read with ``allow_pickle=False``).
``.safetensors`` is the format of Hugging Face's ``safetensors`` library, written and read
here by :func:`save_safetensors`/:func:`load_safetensors` in pure numpy: an 8-byte
little-endian header length, a JSON header ``{name: {"dtype", "shape", "data_offsets"}}``
(``__metadata__``: strings), then the raw little-endian bytes of each array, in C order.

:func:`compare` runs one function through both engines and prints its value, gradients and
Hessian-vector products side by side.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import struct
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..core.autodiff import grad as _grad
from ..core.tensor import Tensor
from .module import _MAGIC, Module, StateDictError, untorch

__all__ = [
    "torch_state_dict",
    "load_torch_state_dict",
    "save_state",
    "load_state",
    "save_safetensors",
    "load_safetensors",
    "to_torch",
    "to_torch_module",
    "from_torch_module",
    "compare",
    "CompareResult",
]

# ---------------------------------------------------------------------------
# State dicts in PyTorch's form
# ---------------------------------------------------------------------------


def _is_scalar_mlp(model: Any) -> bool:
    from .neurons import MLP as ScalarMLP

    return isinstance(model, ScalarMLP)


def torch_state_dict(model: Module) -> dict[str, np.ndarray]:
    """The weights under ``torch.nn.Sequential``'s keys and layouts, as float64 arrays.

    The matrix ``Sequential``/``MLP`` (and any module made of them): their own
    ``state_dict()``.  micrograd's scalar ``MLP``: the state of its matrix form
    (:meth:`~micrograd_ext.nets.tensor_nn.MLP.from_scalar`), ``weight[i, j] = neurons[i].w[j]``.
    """
    if _is_scalar_mlp(model):
        from .tensor_nn import MLP

        return MLP.from_scalar(model).state_dict()
    if not isinstance(model, Module):
        raise TypeError(f"torch_state_dict: expected a Module, got {type(model).__name__}")
    return model.state_dict()


def load_torch_state_dict(model: Module, state: Mapping[str, Any]) -> None:
    """Load weights in PyTorch's form (a ``torch.nn.Sequential`` state dict, or arrays under its keys).

    For micrograd's scalar ``MLP`` the state is checked against its matrix form first, so a
    state that does not fit changes nothing.
    """
    if _is_scalar_mlp(model):
        from .tensor_nn import MLP

        matrix = MLP.from_scalar(model)
        matrix.load_state_dict(state)  # raises before anything is changed
        for layer, slayer in zip(matrix.layers, model.layers):
            for i, n in enumerate(slayer.neurons):
                for j, w in enumerate(n.w):
                    w.data = float(layer.weight.data[i, j])
                if layer.bias is not None:
                    n.b.data = float(layer.bias.data[i])
        return
    if not isinstance(model, Module):
        raise TypeError(f"load_torch_state_dict: expected a Module, got {type(model).__name__}")
    model.load_state_dict(state)


# ---------------------------------------------------------------------------
# Files: .npz and .safetensors, numpy only
# ---------------------------------------------------------------------------

#: safetensors dtype code <-> numpy dtype (little-endian); BF16 is read (as float32), not written
_ST_DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"), "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"), "U32": np.dtype("<u4"), "U16": np.dtype("<u2"), "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_ST_CODES = {(dt.kind, dt.itemsize): code for code, dt in _ST_DTYPES.items()}
_ST_MAX_HEADER = 100_000_000  # the reference implementation's limit


def _atomic_write(path: str | os.PathLike, write: Callable[[Any], None]) -> None:
    """Write to a temporary file beside ``path`` and rename it: a failed save leaves ``path`` as it was."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _arrays(state: Mapping[str, Any], where: str) -> dict[str, np.ndarray]:
    if not isinstance(state, Mapping):
        raise TypeError(f"{where}: expected a dict of name -> array, got {type(state).__name__}")
    out = {}
    for k, v in state.items():
        if not isinstance(k, str) or not k:
            raise TypeError(f"{where}: key {k!r} (expected non-empty strings)")
        arr = np.asarray(untorch(v))
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{where}: {k!r} holds {arr.dtype} data (expected numbers)")
        out[k] = arr
    return out


def save_safetensors(state: Mapping[str, Any], path: str | os.PathLike, metadata: Mapping[str, str] | None = None) -> None:
    """Write name -> array as a ``.safetensors`` file (numpy only; torch's ``safetensors.torch.load_file`` reads it).

    Arrays keep their dtype (float64 weights stay float64); ``metadata`` is a dict of strings.
    """
    arrays = _arrays(state, "save_safetensors")
    if any(k == "__metadata__" for k in arrays):
        raise ValueError("save_safetensors: '__metadata__' is reserved by the format (expected another name)")
    header: dict[str, Any] = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("save_safetensors: metadata must map strings to strings (the format's rule)")
        header["__metadata__"] = dict(metadata)
    blobs = []
    offset = 0
    for name in sorted(arrays):
        a = arrays[name]
        code = _ST_CODES.get((a.dtype.kind, a.dtype.itemsize))
        if code is None:
            raise TypeError(f"save_safetensors: {name!r} has dtype {a.dtype} (expected one of {sorted(_ST_DTYPES)})")
        raw = np.ascontiguousarray(a, dtype=_ST_DTYPES[code]).tobytes()
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the header is padded to 8 bytes, so the data is aligned

    def write(f: Any) -> None:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)

    _atomic_write(path, write)


def load_safetensors(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a ``.safetensors`` file into name -> numpy array (numpy only; BF16 arrives as float32).

    The file is checked as the reference reader checks it (header length, JSON, dtypes,
    shapes against byte counts, offsets covering the data without holes or overlaps); a bad
    file raises :class:`~micrograd_ext.nets.module.StateDictError` naming what is wrong.
    """
    where = f"load_safetensors: {os.fspath(path)!r}"
    try:
        blob = Path(path).read_bytes()
    except OSError as e:
        raise StateDictError(f"{where}: cannot read the file ({e.strerror or e})") from None
    if len(blob) < 8:
        raise StateDictError(f"{where}: {len(blob)} bytes (expected at least the 8-byte header length)")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > min(_ST_MAX_HEADER, len(blob) - 8):
        raise StateDictError(f"{where}: header length {n} for a file of {len(blob)} bytes (not a safetensors file?)")
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise StateDictError(f"{where}: the header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise StateDictError(f"{where}: the header is a {type(header).__name__} (expected a JSON object)")
    header.pop("__metadata__", None)
    data = memoryview(blob)[8 + n:]
    spans = []
    out: dict[str, np.ndarray] = {}
    for name, info in header.items():
        try:
            code, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        except (TypeError, KeyError, ValueError):
            raise StateDictError(f"{where}: entry {name!r} is {info!r:.80} (expected dtype, shape, data_offsets)") from None
        if not (isinstance(shape, list) and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)):
            raise StateDictError(f"{where}: {name!r} has shape {shape!r} (expected a list of non-negative ints)")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (begin, end)) or not 0 <= begin <= end <= len(data):
            raise StateDictError(f"{where}: {name!r} has data_offsets {[begin, end]} for {len(data)} bytes of data")
        if code == "BF16":
            dt, itemsize = None, 2
        elif code in _ST_DTYPES:
            dt = _ST_DTYPES[code]
            itemsize = dt.itemsize
        else:
            raise StateDictError(f"{where}: {name!r} has dtype {code!r} (expected one of {sorted(_ST_DTYPES) + ['BF16']})")
        count = math.prod(shape)
        if end - begin != count * itemsize:
            raise StateDictError(f"{where}: {name!r} of shape {tuple(shape)} and dtype {code} needs {count * itemsize} "
                                 f"bytes, its offsets give {end - begin}")
        raw = data[begin:end]
        if dt is None:  # bfloat16: the high half of a float32
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=dt)
        out[name] = arr.reshape(shape).astype(arr.dtype.newbyteorder("="), copy=True)
        spans.append((begin, end, name))
    pos = 0
    for begin, end, name in sorted(spans):
        if begin != pos:
            what = "overlaps the previous one" if begin < pos else f"leaves a hole at bytes {pos}..{begin}"
            raise StateDictError(f"{where}: the data of {name!r} {what} (expected the arrays back to back)")
        pos = end
    if pos != len(data):
        raise StateDictError(f"{where}: {len(data) - pos} bytes after the last array (expected none)")
    return out


def _format(path: str | os.PathLike, fmt: str | None, where: str) -> str:
    fmt = fmt or Path(path).suffix.lstrip(".").lower()
    if fmt not in ("npz", "safetensors"):
        raise ValueError(f"{where}: format {fmt!r} of {os.fspath(path)!r} (expected a .npz or .safetensors file, "
                         "or format='npz' / 'safetensors')")
    return fmt


def save_state(model_or_state: Module | Mapping[str, Any], path: str | os.PathLike, format: str | None = None) -> None:  # noqa: A002
    """Write weights in PyTorch's names to ``path`` (``.npz`` or ``.safetensors``, by the suffix or ``format``).

    A model is saved as :func:`torch_state_dict` gives it; a dict as it is.  The file holds
    nothing else (no pickle, no marker), so PyTorch code reads it with ``np.load`` or
    ``safetensors.torch.load_file`` and passes it to ``load_state_dict``.
    """
    fmt = _format(path, format, "save_state")
    state = torch_state_dict(model_or_state) if isinstance(model_or_state, Module) else model_or_state
    arrays = _arrays(state, "save_state")
    if fmt == "safetensors":
        save_safetensors(arrays, path)
    else:
        _atomic_write(path, lambda f: np.savez(f, **arrays))


def load_state(path: str | os.PathLike, format: str | None = None) -> dict[str, np.ndarray]:  # noqa: A002
    """Read a ``.npz`` (without pickle) or ``.safetensors`` file into name -> array, for ``load_state_dict``.

    Also reads :meth:`Module.save`'s files (its marker entry is dropped).
    """
    fmt = _format(path, format, "load_state")
    if fmt == "safetensors":
        return load_safetensors(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            if not hasattr(f, "files"):
                raise ValueError("a single .npy array, not a .npz archive")
            return {k: f[k] for k in f.files if k != _MAGIC}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise StateDictError(f"load_state: cannot read {os.fspath(path)!r} as a .npz file ({type(e).__name__}: {e})") from None


# ---------------------------------------------------------------------------
# With PyTorch installed (optional): tensors and modules
# ---------------------------------------------------------------------------


def _torch(where: str) -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(f"{where} needs PyTorch (pip install 'micrograd_ext[torch]'); without it, save_state() "
                          "writes a .safetensors or .npz file that PyTorch code reads") from None
    return torch


def to_torch(state: Mapping[str, Any]) -> dict[str, Any]:
    """name -> array as name -> ``torch.Tensor`` (float64 kept), for ``torch_module.load_state_dict``."""
    torch = _torch("to_torch")
    return {k: torch.from_numpy(np.array(v, copy=True)) for k, v in _arrays(state, "to_torch").items()}


_ACT_TORCH = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}


def to_torch_module(model: Module) -> Any:
    """A float64 ``torch.nn.Sequential`` with the same layers and weights (matrix ``Sequential``/``MLP``,
    or micrograd's scalar ``MLP``)."""
    torch = _torch("to_torch_module")
    from .tensor_nn import MLP, Identity, Linear, ReLU, Sequential, Sigmoid, Tanh

    net = MLP.from_scalar(model) if _is_scalar_mlp(model) else model
    mods: list[Any] = []
    if isinstance(net, MLP):
        for layer, act in zip(net.layers, net.activations):
            mods.append(torch.nn.Linear(layer.nin, layer.nout, bias=layer.bias is not None, dtype=torch.float64))
            if act != "linear":
                if act == "relu" and net.relu_grad_at_zero != 0:
                    raise ValueError(f"to_torch_module: relu'(0) = {net.relu_grad_at_zero} (PyTorch's ReLU has 0)")
                mods.append(getattr(torch.nn, _ACT_TORCH[act])())
    elif isinstance(net, Sequential):
        for k, m in enumerate(net.layers):
            if isinstance(m, Linear):
                mods.append(torch.nn.Linear(m.nin, m.nout, bias=m.bias is not None, dtype=torch.float64))
            elif isinstance(m, ReLU) and m.grad_at_zero == 0:
                mods.append(torch.nn.ReLU())
            elif isinstance(m, (Tanh, Sigmoid, Identity)):
                mods.append(getattr(torch.nn, type(m).__name__)())
            else:
                raise TypeError(f"to_torch_module: module {k} is {m!r} (expected Linear, ReLU, Tanh, Sigmoid, Identity)")
    else:
        raise TypeError(f"to_torch_module: expected a Sequential or an MLP, got {type(model).__name__}")
    tnet = torch.nn.Sequential(*mods)
    tnet.load_state_dict(to_torch(net.state_dict()))
    return tnet


def from_torch_module(torch_module: Any) -> Module:
    """Our matrix ``Sequential`` with the layers and weights of a ``torch.nn.Sequential`` of
    ``Linear``, ``ReLU``, ``Tanh``, ``Sigmoid``, ``Identity`` (weights converted to float64)."""
    from .tensor_nn import Identity, Linear, ReLU, Sequential, Sigmoid, Tanh

    ours: list[Module] = []
    for k, m in enumerate(torch_module):
        kind = type(m).__name__
        if kind == "Linear":
            ours.append(Linear(m.in_features, m.out_features, bias=m.bias is not None, seed=0))
        elif kind in ("ReLU", "Tanh", "Sigmoid", "Identity"):
            ours.append({"ReLU": ReLU, "Tanh": Tanh, "Sigmoid": Sigmoid, "Identity": Identity}[kind]())
        else:
            raise TypeError(f"from_torch_module: module {k} is {kind} (expected Linear, ReLU, Tanh, Sigmoid, Identity)")
    net = Sequential(*ours)
    net.load_state_dict(torch_module.state_dict())
    return net


# ---------------------------------------------------------------------------
# compare: one function, both engines
# ---------------------------------------------------------------------------

#: the names ``fn``'s ``lib`` argument has in both engines
_LIB_NAMES = ("cat", "stack", "zeros", "ones", "full", "eye", "arange", "zeros_like", "ones_like", "no_grad")


def _lib_ours() -> SimpleNamespace:
    from .. import core
    from ..core import tensor as T
    from . import functional

    ns = {n: getattr(T, n) for n in _LIB_NAMES if hasattr(T, n)}
    ns["no_grad"] = core.graph.no_grad
    return SimpleNamespace(F=functional, **ns)


def _lib_torch(torch: Any) -> SimpleNamespace:
    return SimpleNamespace(F=torch.nn.functional, **{n: getattr(torch, n) for n in _LIB_NAMES})


@dataclass
class CompareRow:
    quantity: str
    shape: tuple
    ours: np.ndarray
    theirs: np.ndarray

    @property
    def max_diff(self) -> float:
        if self.ours.shape != self.theirs.shape:
            return math.inf
        return float(np.max(np.abs(self.ours - self.theirs))) if self.ours.size else 0.0


@dataclass
class CompareResult:
    """What :func:`compare` measured: one row per quantity, ``max_diff`` over all, ``ok`` within ``tol``."""

    rows: list[CompareRow] = field(default_factory=list)
    tol: float = 1e-10

    @property
    def max_diff(self) -> float:
        return max((r.max_diff for r in self.rows), default=0.0)

    @property
    def ok(self) -> bool:
        return all(r.max_diff <= self.tol * max(1.0, float(np.max(np.abs(r.theirs))) if r.theirs.size else 1.0)
                   for r in self.rows)

    def __str__(self) -> str:
        def show(a: np.ndarray) -> str:
            flat = a.ravel()
            body = ", ".join(f"{v:.6g}" for v in flat[:4]) + (", ..." if flat.size > 4 else "")
            return f"[{body}]" if a.ndim else body

        head = ("quantity", "shape", "micrograd_ext", "torch", "max |diff|")
        lines = [(r.quantity, str(r.shape), show(r.ours), show(r.theirs), f"{r.max_diff:.2e}") for r in self.rows]
        widths = [max(len(x[i]) for x in [head, *lines]) for i in range(5)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        out = [fmt.format(*head), fmt.format(*("-" * w for w in widths))] + [fmt.format(*ln) for ln in lines]
        out.append(f"max |diff| {self.max_diff:.2e}: {'same numbers' if self.ok else 'DIFFERENT'} (tolerance {self.tol:g}, relative)")
        return "\n".join(out)


def _weights(shape: tuple) -> np.ndarray:
    """Fixed weights that turn a non-scalar output into a number (the same in both engines)."""
    n = int(np.prod(shape)) if shape else 1
    return (0.5 + 0.5 * np.cos(np.arange(n))).reshape(shape)


def compare(fn: Callable[..., Any], *inputs: Any, second: bool = True, tol: float = 1e-10,
            verbose: bool = True) -> CompareResult:
    """Run ``fn`` through micrograd_ext and through PyTorch (float64) and compare the numbers.

    ``inputs`` are arrays (or numbers, lists, Tensors); each becomes a leaf that requires grad
    in each engine.  ``fn`` should use what both engines spell alike (operators, methods such as
    ``.tanh()``, ``.sum(dim=1)``, ``.softmax(dim=-1)``); if it has a parameter ``lib``, it is given
    a namespace with ``cat, stack, zeros, ones, ..., F`` of the engine running it.

    Compared: the output; the gradient of ``s = sum(w * output)`` (fixed weights ``w``; ``s`` is the
    output itself for a single number) with respect to each input; and with ``second=True`` the
    Hessian-vector product ``d/dx <grad s, v>`` for a fixed ``v``, by
    :func:`micrograd_ext.grad` with ``create_graph=True`` and ``torch.autograd.grad`` alike.
    Prints the table (``verbose``) and returns a :class:`CompareResult`.
    """
    torch = _torch("compare")
    arrays = [np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64) for x in inputs]
    if not arrays:
        raise ValueError("compare: no inputs (expected the arrays fn takes)")
    takes_lib = "lib" in inspect.signature(fn).parameters

    def run(make: Callable[[np.ndarray], Any], lib: Any) -> Any:
        xs = [make(a) for a in arrays]
        out = fn(*xs, lib=lib) if takes_lib else fn(*xs)
        return xs, out

    # micrograd_ext
    xs, out = run(lambda a: Tensor(a.copy(), requires_grad=True), _lib_ours())
    if not isinstance(out, Tensor):
        raise TypeError(f"compare: fn returned a {type(out).__name__} with micrograd_ext Tensors (expected a Tensor)")
    w = _weights(out.shape)
    s = out if out.data.size == 1 else (out * Tensor(w)).sum()
    gs = _grad(s, xs, create_graph=second, allow_unused=True)
    ours = [out.data.copy()] + [np.array(g.data if isinstance(g, Tensor) else g) for g in gs]
    vs = [np.sin(np.arange(a.size) + 1.0).reshape(a.shape) for a in arrays]
    if second:
        dot = None
        for g, v in zip(gs, vs):
            term = (g * Tensor(v)).sum()
            dot = term if dot is None else dot + term
        hv = _grad(dot, xs, allow_unused=True) if dot is not None and dot.requires_grad else [np.zeros(a.shape) for a in arrays]
        ours += [np.array(h) for h in hv]

    # PyTorch
    txs, tout = run(lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True), _lib_torch(torch))
    ts = tout if tout.numel() == 1 else (tout * torch.tensor(w)).sum()
    if ts.requires_grad:
        tgs = torch.autograd.grad(ts, txs, create_graph=second, allow_unused=True)
        tgs = [torch.zeros_like(x) if g is None else g for x, g in zip(txs, tgs)]
    else:  # an output that does not depend on the inputs differentiably (indices, masks)
        tgs = [torch.zeros_like(x) for x in txs]
    theirs = [tout.detach().numpy().copy()] + [g.detach().numpy().copy() for g in tgs]
    if second:
        tdot = sum((g * torch.tensor(v)).sum() for g, v in zip(tgs, vs))
        if tdot.requires_grad:
            thv = torch.autograd.grad(tdot, txs, allow_unused=True)
            thv = [torch.zeros_like(x) if h is None else h for x, h in zip(txs, thv)]
        else:
            thv = [torch.zeros_like(x) for x in txs]
        theirs += [h.detach().numpy() for h in thv]

    n = len(arrays)
    names = ["value"] + [f"d s/d x{k}" for k in range(n)] + ([f"(H v) x{k}" for k in range(n)] if second else [])
    result = CompareResult(tol=tol)
    for name, a, b in zip(names, ours, theirs):
        result.rows.append(CompareRow(name, tuple(np.shape(a)), np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)))
    if verbose:
        print(result)
    return result
