"""The op table: every operation written once, as data, and read by everything else.

An elementwise operation is one :func:`define_op` call: its forward and the local
derivative of its output with respect to each input, as short Python expressions,
plus the formula text the diagrams print::

    #          name      forward      d out / d a      d out / d b     formula text on the edges
    define_op("*",       "a * b",     "b",             "a")
    define_op("tanh",    "tanh(a)",   "1 - out*out",                   formulas=("1 - out^2",))

The names in an expression are the inputs ``a``, ``b``, the output ``out``, the
op's parameters (``k`` of ``a ** k``) and *primitives* (``exp``, ``log``, ``tanh``,
``sin``, ...).  This is the model of PyTorch's ``derivatives.yaml`` (a formula
string per input) and of autodidact's ``defvjp`` table: the rules are data, and one
entry serves every engine, because each expression is compiled once per *backend*,
a namespace that says what the primitives mean:

* ``float``  — Python floats (``math``), for :class:`~micrograd_ext.core.value.Value`;
* ``array``  — numpy arrays, elementwise, for :class:`~micrograd_ext.core.tensor.Tensor`;
* ``value`` and ``tensor`` — graph nodes: each primitive is the op of the same name,
  so a derivative evaluated on nodes is itself a graph, which can be differentiated
  again (``backward(create_graph=True)``, Hessians).

So "where is the derivative of tanh?" has one answer: the line above.  ``Value``
stores the *numbers* the ``float`` backend returns on its edges; ``Tensor``
evaluates the ``array`` backend in its backward pass; neither has a copy.

The n-ary nodes the derivation documents draw (a neuron's weighted sum, one loss
node over all outputs: Bondartsov eq. (1), (5a), (5c), (10a)) are :class:`NaryOp`
entries of the same table: functions of a backend namespace ``P`` instead of
expressions, because their arity varies.  The Tensor engine's structural operations
(matrix product, reductions, indexing, softmax, fused layers) have their own table
of the same shape in :mod:`micrograd_ext.core.tensor_ops`.

A user adds an operation in their own code, without editing the package::

    from micrograd_ext import define_op
    softplus = define_op("softplus", "log(1 + exp(a))", "sigmoid(a)")
    softplus(Value(0.5)), softplus(Tensor([0.5, 1.0]))   # both engines, backward, diagrams

Errors (one place for every op): an input outside an op's domain raises the error
its ``domain`` entry names, with the op, the value and what was expected; a float
result that overflows (``10.0 ** 400``, ``exp(1000)``) becomes ``inf`` as in numpy
and PyTorch, never an ``OverflowError`` (:func:`micrograd_ext.core.graph.detect_anomaly`
reports it), and so does a local derivative whose intermediate underflows.
"""

from __future__ import annotations

import ast
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

__all__ = [
    "DomainError",
    "Op",
    "NaryOp",
    "OpText",
    "OPS",
    "RULES",
    "BACKENDS",
    "define_op",
    "op_of",
    "stable_sigmoid",
    "BCE_EPS",
    "BCE_LOG_FLOOR",
]


class DomainError(ValueError, ArithmeticError):
    """An operation was asked for a value outside its domain (``log(-1)``, ``(-8) ** 0.5``).

    The message names the operation, the offending value and what was expected.
    """


#: PyTorch's ``BCELoss`` clamps each log term at -100 and its backward divides by
#: ``max(a (1 - a), 1e-12)``; the ``bce`` nodes follow it, so a saturated sigmoid gives
#: a large finite loss rather than inf/nan.
BCE_LOG_FLOOR = -100.0
BCE_EPS = 1e-12

#: A parameter without a default (``k`` of ``a ** k``).
REQUIRED = object()


# ---------------------------------------------------------------------------
# Backends: what the primitives mean on floats and on arrays.  (The node backends,
# ``value`` and ``tensor``, are registered by value.py and tensor.py.)
# ---------------------------------------------------------------------------


def stable_sigmoid(x: float) -> float:
    """``1 / (1 + e^-x)`` without overflow: sigmoid(-1000) = 0.0, sigmoid(1000) = 1.0."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _array_sigmoid(x: np.ndarray) -> np.ndarray:
    # 1 / (1 + e^-x) is exact in IEEE arithmetic also where e^-x overflows (x < -709): it is
    # inf, and 1 / inf = 0; only numpy's warning is silenced.  Tiny outputs stay exact
    # (sigmoid(-40) = 4.2e-18, where 0.5 + 0.5 tanh(x/2) would give 0).
    with np.errstate(over="ignore"):
        t = np.exp(-x)
    t += 1.0
    return np.reciprocal(t, out=t)


def _float_step(a: float, at_zero: float = 0.0) -> float:
    """The derivative of relu: 1 for a > 0, ``at_zero`` at 0, else 0 (also for nan)."""
    return 1.0 if a > 0 else (at_zero if a == 0 else 0.0)


def _array_step(a: np.ndarray, at_zero: float = 0.0) -> np.ndarray:
    # A boolean mask is the derivative 1/0 (g * mask is a float array) and costs one
    # pass instead of four; only an unusual relu'(0) needs the float form.
    if at_zero == 0.0:
        return a > 0
    if at_zero == 1.0:
        return a >= 0
    return np.where(a > 0, 1.0, np.where(a == 0, at_zero, 0.0)).astype(a.dtype if a.dtype.kind == "f" else np.float64)


def _float_sign(a: float) -> float:
    return 1.0 if a > 0 else (-1.0 if a < 0 else 0.0)


def _not_integer(k: float) -> bool:
    return not float(k).is_integer()


_FLOAT_PRIMITIVES: dict[str, Any] = {
    "exp": math.exp,
    "log": math.log,
    "tanh": math.tanh,
    "sigmoid": stable_sigmoid,
    "sin": math.sin,
    "cos": math.cos,
    "sqrt": math.sqrt,
    "abs": abs,
    "step": _float_step,
    "sign": _float_sign,
    "relu": lambda a: 0.0 if a <= 0 else a,  # nan stays nan
    "any": bool,
    "not_integer": _not_integer,
    "pi": math.pi,
}

_ARRAY_PRIMITIVES: dict[str, Any] = {
    "exp": np.exp,
    "log": np.log,
    "tanh": np.tanh,
    "sigmoid": _array_sigmoid,
    "sin": np.sin,
    "cos": np.cos,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "step": _array_step,
    "sign": np.sign,
    "relu": lambda a: np.maximum(a, 0.0),
    "any": np.any,
    "not_integer": _not_integer,
    "pi": math.pi,
}

#: backend name -> the namespace its expressions are compiled in.  ``float`` and
#: ``array`` are here; ``value`` and ``tensor`` (graph nodes) are added by the engines.
BACKENDS: dict[str, dict[str, Any]] = {
    "float": {"__builtins__": {}, **_FLOAT_PRIMITIVES},
    "array": {"__builtins__": {}, **_ARRAY_PRIMITIVES},
}


def register_backend(name: str, namespace: dict[str, Any]) -> None:
    """Add (or extend) a backend; an engine registers its node functions this way."""
    BACKENDS.setdefault(name, {"__builtins__": {}}).update(namespace)
    for op in OPS.values():
        if hasattr(op, "_compiled"):
            op._compiled.pop(name, None)
            if name == "array":
                op._each_array = None


def namespace(backend: str) -> SimpleNamespace:
    """A backend as an object (``P.exp(x)``), for the rules written as functions (:class:`NaryOp`)."""
    return SimpleNamespace(**{k: v for k, v in BACKENDS[backend].items() if k != "__builtins__"})


def _compile(source: str, where: str, backend: str, mode: str = "eval") -> Callable:
    try:
        if mode == "exec":
            scope: dict[str, Any] = {}
            exec(source, BACKENDS[backend], scope)  # noqa: S102 - the op table's own expressions
            return scope["fused"]
        return eval(source, BACKENDS[backend])  # noqa: S307 - the op table's own expressions
    except SyntaxError as e:
        raise SyntaxError(f"{where}: {e.msg} in {source!r}") from None


#: Primitives of the ``float`` backend that the fused functions write out in place of a call
#: (``relu(a)`` becomes ``(a if a > 0 else 0.0 * a)``): the same meaning, without a function call
#: per node in the scalar engine's forward pass.  ``{0}``, ``{1}`` are the call's arguments.
FLOAT_INLINE: dict[str, str] = {
    "relu": "(0.0 if {0} <= 0 else {0})",
    "step": "(1.0 if {0} > 0 else ({1} if {0} == 0 else 0.0))",
}


class _Inline(ast.NodeTransformer):
    """Replace calls of :data:`FLOAT_INLINE` primitives by their expressions (arguments must be names or constants)."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in FLOAT_INLINE and \
                all(isinstance(a, (ast.Name, ast.Constant)) for a in node.args):
            args = [ast.unparse(a) for a in node.args]
            if node.func.id == "step" and len(args) == 1:
                args.append("0.0")
            return ast.parse(FLOAT_INLINE[node.func.id].format(*args), mode="eval").body
        return node


def _inline(source: str) -> str:
    return ast.unparse(_Inline().visit(ast.parse(source, mode="eval")))


# ---------------------------------------------------------------------------
# The entries
# ---------------------------------------------------------------------------


def _may_warn(source: str) -> bool:
    """Whether an expression can make numpy warn (overflow, division by zero, invalid): it uses ``/``,
    ``**`` or a primitive other than the ones that never do (tanh, sigmoid, sin, cos, abs, step, sign, relu)."""
    tree = ast.parse(source, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Pow, ast.FloorDiv, ast.Mod)):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id not in ("tanh", "sigmoid", "sin", "cos", "abs", "step", "sign", "relu", "in_range"):
            return True
    return False


class OpText(str):
    """What a node's ``_op`` holds: the op's name as micrograd spells it (``'+'``, ``'**2'``, ``'ReLU'``),
    as a ``str`` (so micrograd's drawing code works), carrying the op and its parameters.

    ``node._op.op`` is the :class:`Op`, ``node._op.params`` the parameters it was applied with.
    """

    op: Any
    params: dict[str, Any]

    def __new__(cls, text: str, op: Any, params: dict[str, Any]) -> OpText:
        s = super().__new__(cls, text)
        s.op = op
        s.params = params
        return s

    def __reduce__(self) -> tuple:  # pickles as the plain string
        return (str, (str(self),))


def op_of(op_text: Any) -> Any:
    """The :class:`Op` behind a node's ``_op`` (``None`` for a leaf or an op the table does not know)."""
    return getattr(op_text, "op", None)


#: name -> entry: every operation of ``Value`` and the elementwise ones of ``Tensor``.
OPS: dict[str, Any] = {}
#: The 0.1.0 name of :data:`OPS`.
RULES = OPS


class Op:
    """One elementwise operation: forward, one local derivative per input, formula text.

    Built by :func:`define_op`.  ``forward`` and ``derivatives`` are expressions (see the
    module docstring); ``formulas`` is the text each edge shows (by default the
    derivative expression with ``**`` written ``^``), or a function of the parameters
    returning it (``k*a^(k-1)`` with ``k`` filled in).  ``domain`` lists
    ``(exception, condition, message)``: the op raises ``exception`` where ``condition``
    (an expression) holds, with ``message`` formatted with the inputs and parameters.

    Calling the op applies it: ``OPS['tanh'](x)`` for a ``Value``, a ``Tensor`` or a number.
    """

    kind = "elementwise"

    def __init__(
        self,
        name: str,
        forward: str,
        derivatives: Sequence[str],
        *,
        formulas: Sequence[str] | Callable[..., Sequence[str]] | None = None,
        params: dict[str, Any] | None = None,
        domain: Sequence[tuple[type[Exception], str, str]] = (),
        doc: str = "",
        text: Callable[..., str] | None = None,
        check: Callable[..., dict[str, Any]] | None = None,
    ) -> None:
        self.name = name
        self.forward_src = forward
        self.derivative_src = tuple(derivatives)
        self.arity = len(self.derivative_src)
        if self.arity not in (1, 2):
            raise ValueError(f"define_op({name!r}): {self.arity} derivatives; an elementwise op has 1 or 2 inputs "
                             "(one derivative expression per input)")
        self.inputs = ("a", "b")[: self.arity]
        self.params = dict(params or {})
        self._formulas = formulas
        self.domain = tuple(domain)
        self.doc = doc or forward
        self._text = text
        self._check = check
        self._compiled: dict[str, tuple[Callable, Callable, Callable | None]] = {}
        self._each_array: tuple[Callable, ...] | None = None
        #: Whether numpy may warn evaluating the forward / the local derivatives on arrays (overflow in
        #: exp or **, log of 0, 0 / 0): only then is the evaluation wrapped in np.errstate (a few us).
        self.forward_warns = _may_warn(forward)
        self.local_warns = any(_may_warn(d) for d in self.derivative_src)
        self._texts: dict[tuple, OpText] = {}
        self.plain = OpText(name, self, {}) if not self.params else None

    # -- parameters ---------------------------------------------------------------

    def bind(self, **params: Any) -> OpText:
        """The ``_op`` text of a node made with these parameters (cached per value)."""
        if not self.params:
            if params:
                raise TypeError(f"'{self.name}': takes no parameters, got {sorted(params)}")
            return self.plain  # type: ignore[return-value]
        try:  # the common case: the same parameters as last time (relu'(0) = 0, x ** 2)
            return self._texts[tuple(params.items())]
        except (KeyError, TypeError):
            pass
        full = self.check_params(params)
        key = tuple(full.values())
        try:
            return self._texts[key]
        except (KeyError, TypeError):
            pass
        text = OpText(self._text(**full) if self._text else self.name, self, full)
        try:
            if len(self._texts) < 256:
                self._texts[key] = text
                self._texts[tuple(params.items())] = text  # the spelling it was asked with, checked once
        except TypeError:
            pass
        return text

    def check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """The parameters with defaults filled in, validated; a TypeError/ValueError names the op."""
        unknown = set(params) - set(self.params)
        if unknown:
            raise TypeError(f"'{self.name}': unknown parameter(s) {sorted(unknown)} (expected {sorted(self.params)})")
        full = {}
        for p, default in self.params.items():
            if p in params:
                full[p] = params[p]
            elif default is REQUIRED:
                raise TypeError(f"'{self.name}': missing the parameter {p!r}")
            else:
                full[p] = default
        if self._check is not None:
            full = self._check(**full)
        return full

    # -- compiled forms -------------------------------------------------------------

    def compiled(self, backend: str) -> tuple[Callable, Callable, Callable | None]:
        """``(forward, local, domain_check)`` compiled for a backend.

        ``forward(*inputs, *params)``, ``local(*inputs, *params, out)`` (a tuple, one per
        input) and ``domain_check(*inputs, *params)`` (raises; ``None`` if the op has no domain).
        """
        try:
            return self._compiled[backend]
        except KeyError:
            pass
        args = ", ".join(self.inputs + tuple(self.params))
        fwd = _compile(f"lambda {args}: {self.forward_src}", f"'{self.name}' forward", backend)
        body = ", ".join(f"({d})" for d in self.derivative_src) + ","
        loc = _compile(f"lambda {args}, out: ({body})", f"'{self.name}' derivative", backend)
        chk = None
        if self.domain:
            conds = [(exc, _compile(f"lambda {args}: {cond}", f"'{self.name}' domain", backend), msg)
                     for exc, cond, msg in self.domain]
            is_float = backend == "float"
            names = self.inputs + tuple(self.params)

            def chk(*values: Any, _conds: Any = conds) -> None:
                for exc, cond, msg in _conds:
                    bad = cond(*values)
                    if (bad if is_float else np.any(bad)):
                        fields = dict(zip(names, values))
                        if not is_float:  # name the first offending element of each array input
                            mask = np.broadcast_to(bad, np.broadcast(*[np.asarray(v) for v in values[: self.arity]]).shape)
                            for n, v in zip(self.inputs, values):
                                fields[n] = np.broadcast_to(v, mask.shape)[mask].flat[0]
                        raise exc(f"'{self.name}': " + msg.format(**{k: _short(v) for k, v in fields.items()}))

        self._compiled[backend] = (fwd, loc, chk)
        return self._compiled[backend]

    def each_local(self, backend: str = "array") -> tuple[Callable, ...]:
        """One compiled function per input, ``local_k(*inputs, *params, out)``: the Tensor engine
        computes the local derivative of an input only when that input needs a gradient."""
        if backend == "array" and self._each_array is not None:
            return self._each_array
        key = "each:" + backend
        fs = self._compiled.get(key)
        if fs is None:
            args = ", ".join(self.inputs + tuple(self.params))
            fs = tuple(_compile(f"lambda {args}, out: ({d})", f"'{self.name}' derivative", backend)
                       for d in self.derivative_src)
            self._compiled[key] = fs
            if backend == "array":
                self._each_array = fs
        return fs

    def fused(self) -> Callable:
        """The forward and the local derivatives on floats in ONE function: ``fused(*inputs, *params)``
        returns ``(out, d_a)`` or ``(out, d_a, d_b)``.  The scalar engine's hot path: one call per node
        instead of two, with :data:`FLOAT_INLINE` primitives written out.  Overflow raises as in
        :meth:`compiled` (the caller redoes it with IEEE semantics, :func:`ieee`)."""
        f = self._compiled.get("fused")
        if f is None:
            args = ", ".join(self.inputs + tuple(self.params))
            locals_ = ", ".join(_inline(d) for d in self.derivative_src)
            src = f"def fused({args}):\n    out = {_inline(self.forward_src)}\n    return out, {locals_}\n"
            f = _compile(src, f"'{self.name}' fused", "float", mode="exec")
            self._compiled["fused"] = f
        return f

    # -- text -------------------------------------------------------------------------

    def formulas(self, params: dict[str, Any] | None = None) -> tuple[str, ...]:
        """The formula text of each input's edge (with the parameters filled in where the op says how)."""
        f = self._formulas
        if f is None:
            return tuple(d.replace("**", "^") for d in self.derivative_src)
        if callable(f):
            return tuple(f(**(params or {k: v for k, v in self.params.items() if v is not REQUIRED})))
        return tuple(f)

    def formula(self, k: int, arity: int | None = None, params: dict[str, Any] | None = None) -> str:
        """The text of ``d out / d input_k``."""
        return self.formulas(params)[k]

    def names(self, k: int, node: Any, parents: Sequence[Any]) -> dict[str, Any]:
        """Which node each symbol of edge ``k``'s formula stands for (``a``, ``b``, ``out``)."""
        out = {"out": node}
        out.update(zip(self.inputs, parents))
        return out

    # -- applying ---------------------------------------------------------------------

    def __call__(self, *inputs: Any, **params: Any) -> Any:
        """Apply the op: to ``Value``s, ``Tensor``s (the engines' own node), or plain numbers/arrays."""
        if len(inputs) != self.arity:
            raise TypeError(f"'{self.name}': takes {self.arity} input(s), got {len(inputs)}")
        for x in inputs:
            apply = getattr(type(x), "_apply_op", None)
            if apply is not None:
                return apply(self, inputs, params)
        if any(isinstance(x, np.ndarray) for x in inputs):
            full = self.check_params(params)
            fwd, _, chk = self.compiled("array")
            arrays = [np.asarray(x, dtype=np.float64) for x in inputs]
            if chk is not None:
                chk(*arrays, *full.values())
            with np.errstate(all="ignore"):
                return fwd(*arrays, *full.values())
        full = self.check_params(params)
        return float_forward(self, [_real(x, self.name) for x in inputs], full)

    def __repr__(self) -> str:
        return f"<op {self.name!r}: {self.doc}>"


def _short(v: Any) -> str:
    return f"{v!r:.40}" if not isinstance(v, (float, np.floating)) else repr(float(v))


def _real(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"'{where}': expected a real number, got {type(x).__name__}: {x!r:.60}")
    return float(x)


def float_forward(op: Op, ins: Sequence[float], params: dict[str, Any]) -> float:
    """An op's forward on floats, with its domain check and the overflow rule (``inf``, never an error)."""
    fwd, _, chk = op.compiled("float")
    pv = params.values()
    if chk is not None:
        chk(*ins, *pv)
    try:
        return fwd(*ins, *pv)
    except (OverflowError, ZeroDivisionError, ValueError):  # math raises where IEEE gives inf or nan
        return ieee(op, "forward", ins, params)


def ieee(op: Op, which: str, ins: Sequence[float], params: dict[str, Any], out: float | None = None) -> Any:
    """Redo a float computation that raised (``OverflowError``, ``ZeroDivisionError``, or math's
    ``ValueError`` for ``cos(inf)``) with IEEE semantics (numpy float64): overflow gives ``inf``, an
    underflowed divisor gives ``inf``, ``cos(inf)`` gives ``nan``.

    This is the one place where every op's forward and local derivative meet overflow.
    """
    fwd, loc, _ = op.compiled("array")
    xs = [np.float64(v) for v in ins]
    with np.errstate(all="ignore"):
        if which == "forward":
            return float(fwd(*xs, *params.values()))
        return tuple(float(d) for d in loc(*xs, *params.values(), np.float64(out)))


def float_local(op: Op, ins: Sequence[float], params: dict[str, Any], out: float) -> tuple[float, ...]:
    """An op's local derivatives on floats (overflow and underflow give IEEE results, never an error)."""
    _, loc, _ = op.compiled("float")
    try:
        return loc(*ins, *params.values(), out)
    except (OverflowError, ZeroDivisionError, ValueError):  # math raises where IEEE gives inf or nan
        return ieee(op, "local", ins, params, out)


_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Call, ast.Name, ast.Constant,
            ast.Load, ast.operator, ast.unaryop, ast.cmpop, ast.BoolOp, ast.boolop)


def check_expression(op: str, source: str, inputs: Sequence[str], params: Sequence[str], *, derivative: bool) -> None:
    """Refuse an op expression that could turn a graph node into a number.

    Allowed: arithmetic, calls of primitives by name, the inputs ``a``, ``b``, ``out``,
    the parameters and constants; conditions (``x if k != 0 else y``) may test
    parameters only.  No attributes (``a.data``), no indexing, no other names: so a
    derivative evaluated on graph nodes is a graph, by construction.
    """
    what = "derivative" if derivative else "forward"
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as e:
        raise SyntaxError(f"'{op}' {what}: {e.msg} in {source!r}") from None
    values = set(inputs) | ({"out"} if derivative else set())
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ValueError(f"'{op}' {what} {source!r}: {type(node).__name__} is not allowed (use arithmetic, "
                             "primitives by name, the inputs, the parameters and constants)")
        if isinstance(node, ast.Call) and (not isinstance(node.func, ast.Name) or node.keywords):
            raise ValueError(f"'{op}' {what} {source!r}: call primitives by name with positional arguments")
        if derivative and isinstance(node, (ast.Compare, ast.BoolOp)):
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            if used & values:
                raise ValueError(f"'{op}' derivative {source!r}: a condition on {sorted(used & values)} would be "
                                 "a number, not a graph node (use a primitive such as step(a, ...))")
        if isinstance(node, ast.IfExp) and derivative:
            used = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
            if used & values:
                raise ValueError(f"'{op}' derivative {source!r}: the condition may test parameters only")


def define_op(
    name: str,
    forward: str,
    *derivatives: str,
    formulas: Sequence[str] | Callable[..., Sequence[str]] | None = None,
    params: dict[str, Any] | None = None,
    domain: Sequence[tuple[type[Exception], str, str]] = (),
    doc: str = "",
    primitive: dict[str, Callable] | None = None,
    method: bool | str = False,
    text: Callable[..., str] | None = None,
    check: Callable[..., dict[str, Any]] | None = None,
    replace: bool = False,
) -> Op:
    """Add an elementwise operation to the table, for ``Value`` and ``Tensor`` at once; returns it.

    ``forward`` and each of ``derivatives`` (one per input: ``d out / d a``, then
    ``d out / d b``) are Python expressions in the inputs ``a``, ``b``, the output
    ``out``, the ``params`` and the primitives (``exp log tanh sigmoid sin cos sqrt
    abs step sign relu pi`` and every op defined so far, by name).  ``primitive``
    gives a new primitive's meaning per backend, ``{'float': math.erf, 'array':
    scipy.special.erf}``, registered under ``name``.  ``method=True`` (or a method
    name) also adds it as a method of ``Value`` and ``Tensor`` (``x.sin()``).

    For derivatives of derivatives every function a derivative uses must itself be
    an op (``sin`` uses ``cos``, ``cos`` uses ``sin``): on graph nodes each primitive
    name means the op of that name.

    Example (a user op, no package edit)::

        softplus = define_op("softplus", "log(1 + exp(a))", "sigmoid(a)")
        y = softplus(Value(0.5)); y.backward()
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"define_op: name {name!r} (expected a non-empty string)")
    if name in OPS and not replace:
        raise ValueError(f"define_op: an op named {name!r} exists already (pass replace=True to redefine it)")
    for d in (forward, *derivatives):
        if not isinstance(d, str):
            raise TypeError(f"define_op({name!r}): expressions must be strings, got {type(d).__name__}: {d!r:.60}")
    inputs = ("a", "b")[: len(derivatives)]
    pnames = tuple(params or {})
    check_expression(name, forward, inputs, pnames, derivative=False)
    for d in derivatives:
        check_expression(name, d, inputs, pnames, derivative=True)
    if primitive:
        for backend, fn in primitive.items():
            if backend not in ("float", "array"):
                raise ValueError(f"define_op({name!r}): primitive for backend {backend!r} (expected 'float' or 'array')")
            BACKENDS[backend][name] = fn
    op = Op(name, forward, derivatives, formulas=formulas, params=params, domain=domain, doc=doc, text=text, check=check)
    op.method = method
    for backend in ("float", "array"):  # fail now, not at the first use
        op.compiled(backend)
    op.fused()
    OPS[name] = op
    for hook in _ON_DEFINE:
        hook(op, method)
    return op


#: Called with (op, method) after each define_op: the engines add node primitives and methods.
_ON_DEFINE: list[Callable[[Op, bool | str], None]] = []


def install_method(cls: type, op: Op, method: bool | str) -> None:
    """``x.name()`` on an engine's node class for an op defined with ``method=True`` (or a method name).

    A method the class defines itself is never replaced; one installed from the table is (``replace=True``).
    """
    if not method or not isinstance(op, Op):
        return
    name = method if isinstance(method, str) else op.name
    if name in cls.__dict__ and not getattr(cls.__dict__[name], "_from_op_table", False):
        return

    def apply(self: Any, **params: Any) -> Any:
        return OPS[op.name](self, **params)

    apply.__name__ = name
    apply.__doc__ = f"{op.doc} (the op {op.name!r} of the op table)"
    apply._from_op_table = True  # type: ignore[attr-defined]
    setattr(cls, name, apply)


def node_function(op: Op, apply_op: Callable[[Any, Sequence[Any], dict[str, Any]], Any]) -> Callable[..., Any]:
    """What the name of ``op`` means in a node backend: the op applied to graph nodes, its parameters
    given positionally after the inputs, as in the op table's expressions (``step(a, grad_at_zero)``)."""
    arity, names = op.arity, tuple(op.params)

    def apply(*args: Any) -> Any:
        return apply_op(op, args[:arity], dict(zip(names, args[arity:])))

    apply.__name__ = op.name
    return apply


# ---------------------------------------------------------------------------
# The elementwise table
# ---------------------------------------------------------------------------


def _pow_check(k: Any) -> dict[str, Any]:
    if isinstance(k, bool) or not isinstance(k, numbers.Real):
        raise TypeError(f"'**': exponent {k!r} of type {type(k).__name__} (expected a real number, or a Value)")
    if not math.isfinite(k):
        raise ValueError(f"'**': exponent {k!r} (expected a finite number)")
    return {"k": k}


def _relu_check(grad_at_zero: Any) -> dict[str, Any]:
    if isinstance(grad_at_zero, bool) or not isinstance(grad_at_zero, numbers.Real) or not math.isfinite(grad_at_zero):
        raise TypeError(f"relu: grad_at_zero={grad_at_zero!r} (expected a finite number: 0 as in PyTorch, 1 as in Park (2022))")
    return {"grad_at_zero": float(grad_at_zero)}


def _fmt_k(k: float) -> str:
    return f"{k:g}"


#  name        forward          d out / d a                            d out / d b
define_op("+", "a + b", "1.0", "1.0", formulas=("1", "1"), doc="a + b")
define_op("-", "a - b", "1.0", "-1.0", formulas=("1", "-1"), doc="a - b")
define_op("*", "a * b", "b", "a", doc="a * b")
define_op("/", "a / b", "1 / b", "-out / b", formulas=("1/b", "-a/b^2"), doc="a / b",
          domain=[(ZeroDivisionError, "b == 0", "division by zero: {a} / {b} (expected a nonzero divisor)")])
define_op("neg", "-a", "-1.0", formulas=("-1",), doc="-a")
define_op("**", "a ** k", "k * a ** (k - 1) if k != 0 else 0 * a",
          params={"k": REQUIRED}, check=_pow_check, text=lambda k: f"**{k}",
          formulas=lambda k: (f"{_fmt_k(k)}*a^{_fmt_k(k - 1)}",) if isinstance(k, numbers.Real) else ("k*a^(k-1)",),
          doc="a ** k (k a constant number)",
          domain=[(ZeroDivisionError, "(a == 0) & (k < 0)", "{a} ** {k} is a division by zero (expected a nonzero base for a negative exponent)"),
                  (DomainError, "(a < 0) & not_integer(k)", "{a} ** {k} is not a real number (expected a non-negative base for a non-integer exponent)")])
define_op("pow", "a ** b", "b * a ** (b - 1)", "out * log(a)", formulas=("b*a^(b-1)", "out*ln(a)"), doc="a ** b (the exponent a node too)",
          domain=[(DomainError, "a <= 0", "base {a} with a Value exponent (expected a positive base, since d/db a^b = a^b ln a)")])
define_op("exp", "exp(a)", "out", doc="e^a (overflows to inf, which detect_anomaly() reports)")
define_op("log", "log(a)", "1 / a", formulas=("1/a",), doc="ln a",
          domain=[(DomainError, "a <= 0", "log({a}) is undefined (expected a positive number)")])
define_op("tanh", "tanh(a)", "1 - out * out", formulas=("1 - out^2",), doc="tanh a")
define_op("sigmoid", "sigmoid(a)", "out * (1 - out)", formulas=("out*(1 - out)",),
          doc="1/(1 + e^-a) (derivative: Bondartsov eq. (5b))")
define_op("step", "step(a, at_zero)", "0 * a", params={"at_zero": 0.0}, formulas=("0",),
          text=lambda at_zero: "step", doc="1 if a > 0, at_zero if a = 0, else 0 (relu's derivative; its own is 0)")
define_op("ReLU", "relu(a)", "step(a, grad_at_zero)", params={"grad_at_zero": 0.0}, check=_relu_check,
          text=lambda grad_at_zero: "ReLU", formulas=("1 if a > 0 else 0",),
          doc="max(0, a); relu'(0) = grad_at_zero (0 as in PyTorch; Park (2022) uses 1)")
define_op("sin", "sin(a)", "cos(a)", doc="sin a", method=True)
define_op("cos", "cos(a)", "-sin(a)", doc="cos a", method=True)


# -- PyTorch's elementwise habits: abs, sign, clamp (and its derivative, in_range) ----------------


def _clamp_check(min: Any = None, max: Any = None) -> dict[str, Any]:  # noqa: A002 - torch's names
    """``clamp(min=..., max=...)``: numbers or None (no bound), at least one given, as ``torch.clamp``."""
    if min is None and max is None:
        raise TypeError("'clamp': at least one of min and max must be given (expected clamp(min=...), clamp(max=...) "
                        "or clamp(min, max))")
    out = {}
    for name, v, none in (("min", min, -math.inf), ("max", max, math.inf)):
        if v is None:
            out[name] = none
        elif isinstance(v, bool) or not isinstance(v, numbers.Real) or math.isnan(v):
            raise TypeError(f"'clamp': {name}={v!r} of type {type(v).__name__} (expected a number or None)")
        else:
            out[name] = float(v)
    return out


def _bounds_text(min: float, max: float) -> str:  # noqa: A002
    if min is None and max is None:
        return "min <= a <= max"
    lo = "" if min is None or min == -math.inf else f"{float(min)!r} <= "
    hi = "" if max is None or max == math.inf else f" <= {float(max)!r}"
    return f"{lo}a{hi}"


def _float_clamp(a: float, lo: float, hi: float) -> float:
    return a if a != a else min(max(a, lo), hi)  # nan stays nan (as torch.clamp)


def _array_clamp(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.minimum(np.maximum(a, lo), hi)


def _float_in_range(a: float, lo: float, hi: float) -> float:
    return 1.0 if lo <= a <= hi else 0.0


def _array_in_range(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return ((a >= lo) & (a <= hi)).astype(a.dtype if a.dtype.kind == "f" else np.float64)


#  |a|: PyTorch's abs backward is grad * sgn(a), so abs'(0) = 0.
define_op("sign", "sign(a)", "0 * a", formulas=("0",), method=True,
          doc="-1, 0 or 1 by the sign of a (its derivative is 0, as torch.sign's)")
define_op("abs", "abs(a)", "sign(a)", formulas=("sign(a)",), method=True,
          doc="|a|; d|a|/da = sign(a), 0 at a = 0 (PyTorch's abs backward: grad * sgn(a))")
define_op("in_range", "in_range(a, min, max)", "0 * a", params={"min": None, "max": None}, check=_clamp_check,
          primitive={"float": _float_in_range, "array": _array_in_range},
          text=lambda min, max: "in_range", formulas=("0",),
          doc="1 where min <= a <= max, else 0 (clamp's derivative; its own is 0)")
define_op("clamp", "clamp(a, min, max)", "in_range(a, min, max)", params={"min": None, "max": None},
          check=_clamp_check, primitive={"float": _float_clamp, "array": _array_clamp}, method=True,
          text=lambda min, max: "clamp",
          formulas=lambda min, max: (f"1 if {_bounds_text(min, max)} else 0",),
          doc="min(max(a, min), max) (torch.clamp); the derivative is 1 where min <= a <= max, bounds included "
              "(PyTorch's clamp backward), else 0")


# ---------------------------------------------------------------------------
# N-ary nodes: the documents' one-node formulas (Value only).
# ---------------------------------------------------------------------------


class NaryOp:
    """One node over any number of inputs: a neuron's weighted sum, a loss over all outputs.

    ``forward(P, xs, **params)`` and ``local(P, xs, out, **params)`` are functions of a
    backend namespace ``P`` (``P.exp``, ``P.log``, ``P.fsum`` ...): on floats for the
    forward pass and the numbers on the edges, on ``Value`` nodes for derivatives of
    derivatives.  ``formula(k, n)`` is the text of edge ``k`` of ``n``; ``names(k, node,
    parents)`` says which node each of its symbols stands for.
    """

    kind = "nary"
    arity = None

    def __init__(self, name: str, forward: Callable, local: Callable, formula: Callable[[int, int], str], *,
                 doc: str = "", params: dict[str, Any] | None = None, check: Callable[..., dict[str, Any]] | None = None,
                 names: Callable[[int, Any, Sequence[Any]], dict[str, Any]] | None = None,
                 domain: Callable[..., None] | None = None, min_inputs: int = 1) -> None:
        self.name = name
        self.forward = forward
        self.local = local
        self._formula = formula
        self.doc = doc
        self.params = dict(params or {})
        self._check = check
        self._names = names
        self.domain = domain
        self.min_inputs = min_inputs
        self.plain = OpText(name, self, {})

    def check_params(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        unknown = set(params) - set(self.params)
        if unknown:
            raise TypeError(f"Value.nary({self.name!r}): unknown parameter(s) {sorted(unknown)} (expected {sorted(self.params) or 'none'})")
        missing = [p for p, d in self.params.items() if d is REQUIRED and p not in params]
        if missing:
            raise TypeError(f"Value.nary({self.name!r}): missing the parameter(s) {missing} (expected {sorted(self.params)})")
        full = {p: params.get(p, d) for p, d in self.params.items()}
        return self._check(n, **full) if self._check else full

    def bind(self, **params: Any) -> OpText:
        return self.plain if not params else OpText(self.name, self, params)

    def formula(self, k: int, arity: int | None = None, params: dict[str, Any] | None = None) -> str:
        return self._formula(k, arity if arity is not None else k + 1)

    def formulas(self, params: dict[str, Any] | None = None, arity: int = 0) -> tuple[str, ...]:
        return tuple(self.formula(k, arity) for k in range(arity))

    def names(self, k: int, node: Any, parents: Sequence[Any]) -> dict[str, Any]:
        return self._names(k, node, parents) if self._names else {}

    def __repr__(self) -> str:
        return f"<n-ary op {self.name!r}: {self.doc}>"


def _fsum(P: Any, xs: Iterable[Any]) -> Any:
    return P.fsum(list(xs))


def _sum_forward(P: Any, xs: Sequence[Any]) -> Any:
    return P.fsum(xs)


def _sum_local(P: Any, xs: Sequence[Any], out: Any) -> list[Any]:
    return [P.one] * len(xs)


def _wsum_roles(bias: bool, n: int) -> Callable[[int], tuple[str, int]]:
    """Edge k of a weighted sum: ``('bias', k)``, ``('weight', partner)`` or ``('input', partner)``.

    Parents are ordered ``(w0, w1, x1, w2, x2, ...)`` (``w0`` only with a bias): this
    function is the one place that decodes that order.
    """
    start = 1 if bias else 0

    def role(k: int) -> tuple[str, int]:
        if bias and k == 0:
            return "bias", 0
        if (k - start) % 2 == 0:
            return "weight", k + 1
        return "input", k - 1

    return role


def _wsum_forward(bias: bool) -> Callable:
    start = 1 if bias else 0

    def forward(P: Any, xs: Sequence[Any]) -> Any:
        """z = w0 + sum_j w_j x_j; inputs ordered (w0, w1, x1, w2, x2, ...)."""
        terms = [xs[j] * xs[j + 1] for j in range(start, len(xs), 2)]
        if bias:
            terms.insert(0, xs[0])
        return P.accumulate(terms)

    return forward


def _wsum_local(bias: bool) -> Callable:
    def local(P: Any, xs: Sequence[Any], out: Any) -> list[Any]:
        role = _wsum_roles(bias, len(xs))
        # d z / d w0 = 1; d z / d w_j = x_j (Bondartsov eq. (5c)); d z / d x_j = w_j (eq. (10a))
        return [P.one if role(k)[0] == "bias" else xs[role(k)[1]] for k in range(len(xs))]

    return local


def _wsum_formula(bias: bool) -> Callable[[int, int], str]:
    def formula(k: int, n: int) -> str:
        kind, _ = _wsum_roles(bias, n)(k)
        return {"bias": "1", "weight": "x_j", "input": "w_j"}[kind]

    return formula


def _wsum_names(bias: bool) -> Callable:
    def names(k: int, node: Any, parents: Sequence[Any]) -> dict[str, Any]:
        kind, partner = _wsum_roles(bias, len(parents))(k)
        return {} if kind == "bias" else {"x_j": parents[partner], "w_j": parents[partner]}

    return names


def _check_targets(op: str, n: int, targets: Any, scale: Any) -> tuple[list[float], float]:
    if isinstance(targets, (str, bytes)) or not hasattr(targets, "__len__"):
        raise TypeError(f"Value.nary({op!r}): targets {targets!r:.40} (expected a sequence of {n} numbers)")
    if len(targets) != n:
        raise ValueError(f"Value.nary({op!r}): {len(targets)} targets for {n} inputs (expected one target per input)")
    ys = [_real(y, f"Value.nary({op!r}) target") for y in targets]
    return ys, _real(scale, f"Value.nary({op!r}) scale")


def _bce_check(n: int, targets: Any, scale: Any = 1.0) -> dict[str, Any]:
    ys, s = _check_targets("bce", n, targets, scale)
    bad = [y for y in ys if not 0.0 <= y <= 1.0]
    if bad:
        raise ValueError(f"Value.nary('bce'): target {bad[0]!r} (expected targets in [0, 1])")
    return {"targets": ys, "scale": s}


def _mse_check(n: int, targets: Any, scale: Any = 1.0) -> dict[str, Any]:
    ys, s = _check_targets("mse", n, targets, scale)
    return {"targets": ys, "scale": s}


def _xent_check(n: int, target: Any, scale: Any = 1.0) -> dict[str, Any]:
    if isinstance(target, bool) or not isinstance(target, numbers.Integral):
        raise TypeError(f"Value.nary('xent'): target {target!r} of type {type(target).__name__} (expected a class index, an int)")
    if not 0 <= int(target) < n:
        raise IndexError(f"'xent': class index {int(target)} (expected 0 <= target < {n})")
    return {"target": int(target), "scale": _real(scale, "Value.nary('xent') scale")}


def _bce_domain(a: Sequence[float], *, targets: Sequence[float], scale: float) -> None:
    for ak in a:
        if not 0.0 <= ak <= 1.0:
            raise DomainError(f"'bce': prediction {ak!r} (expected a probability in [0, 1], e.g. a sigmoid output)")


def _bce_forward(P: Any, a: Sequence[Any], *, targets: Sequence[float], scale: float) -> Any:
    """C = -scale * sum_k [y_k ln a_k + (1 - y_k) ln(1 - a_k)]   (Bondartsov eq. (1))."""
    return -scale * P.fsum([P.bce_term(ak, yk) for ak, yk in zip(a, targets)])


def _bce_local(P: Any, a: Sequence[Any], out: Any, *, targets: Sequence[float], scale: float) -> list[Any]:
    """dC/da_k = scale * (a_k - y_k) / (a_k (1 - a_k))   (Bondartsov eq. (5a))."""
    return [scale * (ak - yk) / P.clamp_below(ak * (1.0 - ak), BCE_EPS) for ak, yk in zip(a, targets)]


def _mse_forward(P: Any, a: Sequence[Any], *, targets: Sequence[float], scale: float) -> Any:
    return scale * P.fsum([(ak - yk) * (ak - yk) for ak, yk in zip(a, targets)])


def _mse_local(P: Any, a: Sequence[Any], out: Any, *, targets: Sequence[float], scale: float) -> list[Any]:
    return [(2.0 * scale) * (ak - yk) for ak, yk in zip(a, targets)]


def _xent_forward(P: Any, z: Sequence[Any], *, target: int, scale: float) -> Any:
    """scale * (logsumexp(z) - z[target]) = -scale * log softmax(z)[target]."""
    m = P.max_value(z)
    return scale * (m + P.log(P.fsum([P.exp(zk - m) for zk in z])) - z[target])


def _xent_local(P: Any, z: Sequence[Any], out: Any, *, target: int, scale: float) -> list[Any]:
    """d/dz_k = scale * (softmax(z)_k - [k == target])   (CS224n notes, identity 2.6: y_hat - y)."""
    m = P.max_value(z)
    e = [P.exp(zk - m) for zk in z]
    s = P.fsum(e)
    return [scale * (ek / s - (1.0 if k == target else 0.0)) for k, ek in enumerate(e)]


def _add_nary(op: NaryOp) -> NaryOp:
    OPS[op.name] = op
    return op


_add_nary(NaryOp("sum", _sum_forward, _sum_local, lambda k, n: "1", doc="a_1 + a_2 + ... + a_n"))
for _bias, _name in ((True, "wsum"), (False, "wsum0")):
    _add_nary(NaryOp(_name, _wsum_forward(_bias), _wsum_local(_bias), _wsum_formula(_bias), names=_wsum_names(_bias),
                     doc="w_0 + sum_j w_j x_j (Bondartsov (5c), (10a))" if _bias else "sum_j w_j x_j (no bias)"))
_add_nary(NaryOp("bce", _bce_forward, _bce_local, lambda k, n: "(a-y)/(a(1-a))/N",
                 params={"targets": REQUIRED, "scale": 1.0}, check=_bce_check, domain=_bce_domain,
                 doc="-1/N sum [y ln a + (1-y) ln(1-a)] (Bondartsov (1), (5a))"))
_add_nary(NaryOp("mse", _mse_forward, _mse_local, lambda k, n: "2(a-y)/N",
                 params={"targets": REQUIRED, "scale": 1.0}, check=_mse_check, doc="1/N sum (a - y)^2"))
_add_nary(NaryOp("xent", _xent_forward, _xent_local, lambda k, n: "softmax(z)_k - y_k",
                 params={"target": REQUIRED, "scale": 1.0}, check=_xent_check,
                 doc="-log softmax(z)_y (CS224n 2.6)"))


def _float_bce_term(a: float, y: float) -> float:
    la = math.log(a) if a > 0 else -math.inf
    l1a = math.log(1.0 - a) if a < 1 else -math.inf
    return y * max(la, BCE_LOG_FLOOR) + (1.0 - y) * max(l1a, BCE_LOG_FLOOR)


def _float_accumulate(terms: Sequence[float]) -> float:
    z = 0.0 if not terms else terms[0]
    for t in terms[1:]:
        z += t
    return z


BACKENDS["float"].update({
    "fsum": lambda xs: math.fsum(xs) if len(xs) > 8 else sum(xs, 0.0),
    "accumulate": _float_accumulate,
    "one": 1.0,
    "bce_term": _float_bce_term,
    "clamp_below": max,
    "max_value": max,
})
