"""Derivatives of derivatives, and forward mode: :func:`grad`, :func:`hessian`, :func:`hvp`, :func:`jvp`.

Reverse mode, one level deeper.  ``backward()`` multiplies numbers: each edge stores
its local derivative as a float (or, for a Tensor, evaluates it on arrays).  With
``create_graph=True`` the same local derivatives — the same entries of the op tables
— are evaluated on the graph's *nodes* instead, so every gradient is itself a node of
a new graph, built from the same ops, that can be differentiated again::

    x = Value(3.0)
    y = x ** 3
    (dy,) = grad(y, [x], create_graph=True)    # dy = 3 x^2, a Value: 27
    (d2y,) = grad(dy, [x])                     # 6 x: 18.0

This is DeZero's ``backward(create_graph=True)`` and PyTorch's ``torch.autograd.grad``:
:func:`grad` returns the gradients and touches no ``.grad`` at all, so nested
derivatives never accumulate into each other (the trap of calling ``backward()``
twice without clearing).

Forward mode (:func:`jvp`) pushes a *tangent* through the recorded graph from the
inputs to the output, in creation order, through the same local derivatives:
``t(node) = sum_k local_k * t(input_k)`` (dual numbers).  One forward-mode pass gives
one column of the Jacobian (``J v``), one reverse pass one row (``u^T J``): for one
loss and many weights, reverse mode wins.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .graph import creation_number, enable_grad, parents
from .tensor import Tensor, node_vjp, node_vjp_graph
from .value import Value, graph_locals

__all__ = ["grad", "hessian", "hvp", "jvp", "vjp_pass"]


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def _intermediates(roots: Sequence[Any]) -> list[Any]:
    """Every node with inputs that the roots depend on, newest first (each after all its consumers)."""
    seen: dict[int, Any] = {}
    stack = [r for r in roots if parents(r)]
    for r in stack:
        seen[id(r)] = r
    while stack:
        for p in parents(stack.pop()):
            if parents(p) and id(p) not in seen:
                seen[id(p)] = p
                stack.append(p)
    return sorted(seen.values(), key=lambda n: -creation_number(n))


def _add(a: Any, b: Any) -> Any:
    return b if a is None else a + b


def vjp_pass(roots: Sequence[Any], seeds: Sequence[Any], create_graph: bool = False) -> tuple[dict[int, Any], dict[int, Any]]:
    """``d (sum_i seed_i . root_i) / d node`` for every node the roots depend on, keyed by ``id(node)``.

    Numbers (floats, arrays) with ``create_graph=False``, using the local derivatives the
    forward pass stored; graph nodes with ``create_graph=True``, built by evaluating the
    op tables' derivative expressions on the nodes.  No node's ``.grad`` is read or written.
    Returns ``(gradients, nodes)``, both keyed by ``id(node)``.
    """
    g: dict[int, Any] = {}
    seen: dict[int, Any] = {}
    for r, s in zip(roots, seeds):
        g[id(r)] = _add(g.get(id(r)), s)
        seen[id(r)] = r
    for node in _intermediates(roots):
        gn = g.get(id(node))
        if gn is None:
            continue
        ps = parents(node)
        if isinstance(node, Value):
            if create_graph:
                contribs = [_mul(local, gn) for local in graph_locals(node)]
            else:
                if not gn:
                    continue
                contribs = [local * gn for local in node.local_grads]
        elif create_graph:
            contribs = node_vjp_graph(node, gn)
        else:
            contribs = node_vjp(node, gn)
        for p, c in zip(ps, contribs):
            if c is not None:
                g[id(p)] = _add(g.get(id(p)), c)
                seen[id(p)] = p
    return g, seen


def _value_grads(outs: list[Value], seeds: list[float], ins: list[Value]) -> dict[int, float]:
    """:func:`grad` of Values, numbers only, through the engine's fast pass (:func:`~micrograd_ext.core.value.backprop`).

    The pass writes ``.grad``, so every node it can touch is saved first and put back after:
    to the caller nothing has changed.  Each output gets its own pass (an intermediate's
    gradient is set, not added, by a pass), and the inputs' gradients are summed over them.
    """
    from .value import backprop

    nodes: dict[int, Value] = {}
    stack = list(outs)
    for v in stack:
        nodes[id(v)] = v
    while stack:
        for p in parents(stack.pop()):
            if id(p) not in nodes:
                nodes[id(p)] = p
                stack.append(p)
    saved = [(v, v.grad) for v in nodes.values()]
    wanted = {id(x) for x in ins if id(x) in nodes}
    total: dict[int, float] = {}
    try:
        for out, seed in zip(outs, seeds):
            for v, _ in saved:
                v.grad = 0.0
            backprop(out, seed)
            for x in ins:
                if id(x) in wanted:
                    total[id(x)] = total.get(id(x), 0.0) + x.grad
    finally:
        for v, g in saved:
            v.grad = g
    return total


def _mul(local: Any, g: Any) -> Any:
    """``local * g`` without a node for the constant factors 1 and -1 (``+``, ``-``), nor for the
    default seed 1 (so a derivative graph has no ``1 * local`` nodes)."""
    if isinstance(local, float):
        if local == 1.0:
            return g
        if local == -1.0:
            return -g
    if isinstance(g, float) and g == 1.0:
        return local
    return g * local


def _as_list(x: Any) -> tuple[list[Any], bool]:
    if isinstance(x, (Value, Tensor)):
        return [x], True
    try:
        xs = list(x)
    except TypeError:
        raise TypeError(f"grad: expected a Value, a Tensor or a list of them, got {type(x).__name__}") from None
    for k, v in enumerate(xs):
        if not isinstance(v, (Value, Tensor)):
            raise TypeError(f"grad: item {k} is a {type(v).__name__} (expected a Value or a Tensor)")
    return xs, False


def _seed(out: Any, g: Any, create_graph: bool) -> Any:
    if isinstance(out, Value):
        if g is None:
            return 1.0  # a number even with create_graph: nothing depends on the seed
        if isinstance(g, Value):
            return g if create_graph else g.data
        return Value(float(g)) if create_graph else float(g)
    if g is None:
        if out.data.size != 1:
            raise ValueError(f"grad: output of shape {out.data.shape} is not a single number; pass grad_outputs "
                             f"(one array of shape {out.data.shape} per output)")
        g = np.ones(out.data.shape)
    if isinstance(g, Tensor):
        return g if create_graph else g.data
    arr = np.array(g, dtype=np.float64)
    if arr.shape != out.data.shape:
        if arr.size == out.data.size == 1:
            arr = arr.reshape(out.data.shape)
        else:
            raise ValueError(f"grad: grad_outputs of shape {arr.shape} for an output of shape {out.data.shape}")
    return Tensor(arr) if create_graph else arr


def _zero(x: Any, create_graph: bool) -> Any:
    if isinstance(x, Value):
        return Value(0.0) if create_graph else 0.0
    z = np.zeros(x.data.shape)
    return Tensor(z) if create_graph else z


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, create_graph: bool = False,
         allow_unused: bool = False) -> list[Any]:
    """The gradients of ``outputs`` with respect to ``inputs``, as ``torch.autograd.grad``.

    ``outputs``: a ``Value``/``Tensor`` or a list (their gradients are summed, each
    weighted by its ``grad_outputs`` entry, 1 by default for single numbers).
    ``inputs``: a node or a list of nodes (leaves or intermediates).  Returns a list
    with one gradient per input: floats and numpy arrays, or, with
    ``create_graph=True``, graph nodes (``Value``/``Tensor``) that can be
    differentiated again.  No ``.grad`` is read or written.

    An input the outputs do not depend on is an error, unless ``allow_unused=True``:
    then its gradient is zero (PyTorch returns ``None`` there).
    """
    outs, _ = _as_list(outputs)
    ins, _ = _as_list(inputs)
    if grad_outputs is None:
        gos: list[Any] = [None] * len(outs)
    elif isinstance(grad_outputs, (list, tuple)) and len(outs) > 1:
        gos = list(grad_outputs)
    else:
        gos = [grad_outputs] if len(outs) == 1 else list(grad_outputs)
    if len(gos) != len(outs):
        raise ValueError(f"grad: {len(gos)} grad_outputs for {len(outs)} outputs (expected one each)")
    seeds = [_seed(o, g, create_graph) for o, g in zip(outs, gos)]
    if not create_graph and all(isinstance(v, Value) for v in outs + ins):
        g = _value_grads(outs, seeds, ins)
    else:
        with enable_grad():  # create_graph asks for a graph: record it even inside no_grad()
            g, _ = vjp_pass(outs, seeds, create_graph)
    result = []
    for k, x in enumerate(ins):
        gx = g.get(id(x))
        if gx is None:
            if not allow_unused:
                name = f" {x.label!r}" if getattr(x, "label", "") else ""
                raise ValueError(f"grad: input {k}{name} does not influence the outputs (it is not in their graph); "
                                 "pass allow_unused=True to get a zero gradient for it")
            gx = _zero(x, create_graph)
        elif not create_graph and isinstance(x, Tensor) and isinstance(gx, np.ndarray):
            gx = np.array(gx, dtype=x.data.dtype if x.data.dtype.kind == "f" else np.float64)  # never a view
        elif create_graph and isinstance(x, Value) and not isinstance(gx, Value):
            gx = Value(float(gx))
        elif create_graph and isinstance(x, Tensor) and not isinstance(gx, Tensor):
            gx = Tensor(gx)
        result.append(gx)
    return result


# ---------------------------------------------------------------------------
# Hessians and Hessian-vector products
# ---------------------------------------------------------------------------


def _call(f: Callable[..., Any], xs: list[Any]) -> Any:
    from .gradcheck import _takes_no_args

    out = f() if _takes_no_args(f) else f(*xs)
    if isinstance(out, Value) or (isinstance(out, Tensor) and out.data.size == 1):
        return out
    raise TypeError(f"f returned a {type(out).__name__} (expected a scalar Value or a one-element Tensor)")


def _leaves(inputs: Any, where: str) -> tuple[list[Any], bool]:
    xs, single = _as_list(inputs)
    for k, x in enumerate(xs):
        if parents(x):
            raise ValueError(f"{where}: input {k} is the result of an operation (expected leaves: Value(...) or "
                             "Tensor(..., requires_grad=True))")
        if isinstance(x, Tensor) and not x.requires_grad:
            raise ValueError(f"{where}: Tensor input {k} has requires_grad=False (expected requires_grad=True)")
    return xs, single


def _flat(gs: Sequence[Any]) -> np.ndarray:
    parts = [np.ravel(np.asarray(g.data if isinstance(g, (Value, Tensor)) else g, dtype=np.float64)) for g in gs]
    return np.concatenate(parts) if parts else np.zeros(0)


def _sizes(xs: Sequence[Any]) -> list[int]:
    return [1 if isinstance(x, Value) else x.data.size for x in xs]


def hessian(f: Callable[..., Any], inputs: Any) -> np.ndarray:
    """The matrix of second derivatives of the scalar ``f(*inputs)``, by reverse over reverse.

    ``inputs``: a list of ``Value``s (an ``n x n`` array), or one ``Tensor`` of shape
    ``S`` (an array of shape ``S + S``), or a list of Tensors/Values (an ``N x N``
    array over all their elements, in order).  Each row is the gradient of one
    component of ``grad(f, create_graph=True)``.  Returns a numpy array.
    """
    xs, single = _leaves(inputs, "hessian")
    with enable_grad():  # as torch.autograd.functional: the graphs are recorded even inside no_grad()
        return _hessian(f, xs, single)


def _hessian(f: Callable[..., Any], xs: list[Any], single: bool) -> np.ndarray:
    y = _call(f, xs)
    gs = grad(y, xs, create_graph=True, allow_unused=True)
    sizes = _sizes(xs)
    n = sum(sizes)
    H = np.zeros((n, n))
    row = 0
    for g in gs:
        comps = [g] if isinstance(g, Value) else [g.reshape(-1)[i] for i in range(g.data.size)]
        for c in comps:  # c may be an input itself (d(a*b)/da is the node b): grad() handles that
            H[row] = _flat(grad(c, xs, allow_unused=True))
            row += 1
    if single and isinstance(xs[0], Tensor):
        shape = xs[0].data.shape
        return H.reshape(shape + shape)
    return H


def hvp(f: Callable[..., Any], inputs: Any, v: Any) -> Any:
    """The Hessian-vector product ``H v`` of the scalar ``f(*inputs)``, without forming ``H``.

    ``grad(<grad f, v>)``: two reverse passes, whatever the number of inputs.  ``v`` has
    the inputs' shapes (a list of numbers for a list of Values, an array for a Tensor,
    a list of arrays for several Tensors).  Returns the same shapes: a numpy array for
    one Tensor, else a list of floats / arrays.
    """
    xs, single = _leaves(inputs, "hvp")
    vs = _split_like(xs, v, "hvp")
    with enable_grad():
        return _hvp(f, xs, vs, single)


def _hvp(f: Callable[..., Any], xs: list[Any], vs: list[Any], single: bool) -> Any:
    y = _call(f, xs)
    gs = grad(y, xs, create_graph=True, allow_unused=True)
    dot: Any = None
    for g, vk in zip(gs, vs):
        term = (g * vk) if isinstance(g, Value) else (g * vk).sum()
        dot = term if dot is None else dot + term
    out = grad(dot, xs, allow_unused=True)
    if single and isinstance(xs[0], Tensor):
        return out[0]
    return out


def _split_like(xs: Sequence[Any], v: Any, where: str) -> list[Any]:
    if len(xs) == 1 and isinstance(xs[0], Tensor):
        if isinstance(v, (list, tuple)) and len(v) == 1 and np.ndim(v[0]) == xs[0].data.ndim:
            v = v[0]
        arr = np.asarray(v, dtype=np.float64)
        if arr.shape != xs[0].data.shape:
            raise ValueError(f"{where}: v of shape {arr.shape} for an input of shape {xs[0].data.shape} (expected the same)")
        return [arr]
    vs = list(v) if not isinstance(v, np.ndarray) else list(v.reshape(-1)) if all(isinstance(x, Value) for x in xs) else list(v)
    if len(vs) != len(xs):
        raise ValueError(f"{where}: v has {len(vs)} entries for {len(xs)} inputs (expected one per input)")
    out = []
    for x, vk in zip(xs, vs):
        if isinstance(x, Value):
            if isinstance(vk, bool) or not isinstance(vk, (int, float, np.floating)):
                raise TypeError(f"{where}: v entry {vk!r:.30} for a Value input (expected a number)")
            out.append(float(vk))
        else:
            arr = np.asarray(vk, dtype=np.float64)
            if arr.shape != x.data.shape:
                raise ValueError(f"{where}: v entry of shape {arr.shape} for an input of shape {x.data.shape}")
            out.append(arr)
    return out


# ---------------------------------------------------------------------------
# Forward mode
# ---------------------------------------------------------------------------


def jvp(f: Callable[..., Any], inputs: Any, v: Any) -> tuple[Any, Any]:
    """Forward mode: ``(f(inputs), J v)``, the directional derivative of ``f`` along ``v``.

    ``f`` is run once to record its graph; then a tangent is pushed from the inputs
    (tangent ``v``) through every node in creation order — each node's tangent is the
    sum over its edges of the local derivative times its input's tangent (for a Tensor
    op, the op's JVP rule) — to the output.  ``f`` may return a Value, a Tensor, or a
    list of Values; the result has the same shape (floats / numpy arrays).
    """
    from .tensor_ops import ARRAY_P

    xs, _ = _leaves(inputs, "jvp")
    vs = _split_like(xs, v, "jvp")
    with enable_grad():  # the forward pass is recorded even inside no_grad()
        out = f(*xs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    for k, o in enumerate(outs):
        if not isinstance(o, (Value, Tensor)):
            raise TypeError(f"jvp: f returned a {type(o).__name__} at position {k} (expected Values or Tensors)")
    tangent: dict[int, Any] = {id(x): t for x, t in zip(xs, vs)}
    for node in reversed(_intermediates(outs)):  # oldest first: every input before the nodes that use it
        ps = parents(node)
        ts = [tangent.get(id(p)) for p in ps]
        if all(t is None for t in ts):
            continue
        if isinstance(node, Value):
            tangent[id(node)] = math.fsum(local * t for local, t in zip(node.local_grads, ts) if t is not None)
            continue
        op = node._op.op
        if getattr(op, "kind", "") == "structural":
            tangent[id(node)] = np.asarray(op.jvp(ARRAY_P, [p.data for p in ps], node.data, ts, node._ctx))
        else:
            from .tensor import elementwise_locals

            total = None
            for local, t in zip(elementwise_locals(node), ts):
                if t is not None:
                    term = np.broadcast_to(local * t, node.data.shape)
                    total = term if total is None else total + term
            tangent[id(node)] = total
    res = []
    for o in outs:
        t = tangent.get(id(o))
        if t is None:
            t = 0.0 if isinstance(o, Value) else np.zeros(o.data.shape)
        res.append((o.data if isinstance(o, Value) else o.data, np.array(t) if isinstance(o, Tensor) else float(t)))
    if isinstance(out, (list, tuple)):
        return [r[0] for r in res], [r[1] for r in res]
    return res[0]
