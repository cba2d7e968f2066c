"""What the five document modules share: the registry of the documents, rows, errata, the comparison.

* :data:`DOCUMENTS`: the five documents with their full citations (author, title, year,
  where to find them) as far as the documents themselves and their publishers state them.
* :class:`Row`: one comparison of reverse-mode autodiff with a document's closed form;
  :class:`Rows` collects them.  :func:`compare` is the pass criterion.
* :class:`Erratum`: a place where a document, read as printed, is wrong (or reads right
  only under a convention); :func:`check_erratum` re-checks it against autodiff.
* Building blocks for the documents' networks, on both engines, built from elementary
  operations so that every derivative a row checks is *derived* by the chain rule and
  never looked up in a fused node whose local derivative is the formula under test:
  :func:`v_sigmoid`, :func:`v_softmax` (``Value``), :func:`t_sigmoid`, :func:`t_softmax`,
  :func:`t_log_softmax` (``Tensor``), and small helpers to move between nested lists of
  ``Value`` and arrays.

Imports go down only (to :mod:`micrograd_ext.nets` and :mod:`micrograd_ext.core`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.tensor import Tensor
from ..core.value import Value

Array = np.ndarray

#: the pass criterion of a row: ``max |autodiff - closed form| <= RTOL * max(1, max |closed form|)``
RTOL = 1e-10
#: the criterion of the rows whose oracle is a central finite difference (a definition of a derivative)
FD_RTOL = 1e-6
#: the engines every row is run on
ENGINES = ("Value", "Tensor")

#: erratum categories
AUTHOR = "author error"
EXTRACTION = "extraction noise"
CONVENTION = "convention"
CATEGORIES = (AUTHOR, EXTRACTION, CONVENTION)


# =============================================================================================
# The documents
# =============================================================================================


@dataclass(frozen=True)
class Document:
    """One of the five derivation documents.

    ``name`` is the label of its rows (``Row.document``); ``key`` its module and its
    ``--doc`` name; ``author``, ``title``, ``year``, ``where`` its citation, as far as
    the document (and, for Park, the journal) states them.
    """

    key: str
    short: str
    name: str
    author: str
    title: str
    year: str
    where: str
    notation: str

    def citation(self) -> str:
        """``Author, "Title" (year). Where.`` in one line."""
        return f"{self.author}, \"{self.title}\" ({self.year}). {self.where}"


BONDARTSOV = Document(
    "bondartsov", "Bondartsov", 'Bondartsov, "Notes on analytic gradient derivation"',
    "Artyom Bondartsov", "Notes on analytic gradient derivation", "2019, dated November 28",
    "A note of 15 numbered equations and 3 figures; it names no publisher, journal or address.",
    "iris net 4 -> 8 -> 3, sigmoid on both layers, the bias as weight column 0 (w(1) is 8 x 5, w(2) 3 x 9), "
    "mean binary cross-entropy summed over the 3 outputs (eq. (1)); per-sample quantities are columns in (8), (14).")
CS224N = Document(
    "cs224n", "CS224n notes", '"Computing Neural Network Gradients" (CS224n-style notes)',
    "no author named", "Computing Neural Network Gradients", "undated",
    "Study notes (sections 1.1-1.2, 2.1-2.7, 3) that follow the Stanford CS224n handout of the same title "
    "(Kevin Clark) and add a section on Jacobians and a derivation of the softmax derivative.",
    "Jacobians are outputs x inputs; dJ/dz of a column z is a row (delta_1 = (y_hat - y)^T); parameter "
    "gradients are reshaped to the parameter's shape; ReLU'(0) = sgn(0) = 0.")
ROSENBERG = Document(
    "rosenberg", "Rosenberg", 'Rosenberg, "Some Neural Network Derivative Calculations"',
    "David S. Rosenberg", "Some Neural Network Derivative Calculations", "undated",
    "Course notes in two sections (1 Affine Transformation, 2 Softmax); the text breaks off at the start of "
    "the minibatch softmax.",
    "y = W x + b (one sample, columns) and Y = X W^T + 1 b^T (minibatch, samples as ROWS); J any scalar "
    "function of y; sigma is the softmax.")
PARK = Document(
    "park", "Park", 'Park, "Gradients in a deep neural network and their Python implementations"',
    "Young Ho Park", "Gradients in a deep neural network and their Python implementations", "2022",
    "Korean Journal of Mathematics 30(1), 131-146 (The Kangwon-Kyungki Mathematical Society), "
    "doi:10.11568/kjm.2022.30.1.131 (open access, CC BY-NC 3.0).",
    "samples as COLUMNS (X is n x N), z[l] = W[l] a[l-1] + b[l], relu'(0) = 1 (eq. (1)), dT = grad_T J for "
    "the cost J = 1/N sum_k L_k (Remark 5.3); Python Code 1-4.")
CS229 = Document(
    "cs229", "CS229", '"2-Layer Neural Net Gradient Derivations for Backpropagation" (CS229)',
    "no author named", "2-Layer Neural Net Gradient Derivations for Backpropagation", "undated",
    "A blog post deriving the gradients of the two-layer network of a Stanford CS229 problem set "
    "(trained there on MNIST).",
    "the transposed convention W[1] in R^{d x h}, W[2] in R^{h x k}, z = W^T x + b (column vectors), sigmoid "
    "hidden layer, softmax + cross-entropy output; gradients shaped like their parameters.")

#: the five documents, in the order of the rows
DOCUMENTS: dict[str, Document] = {d.key: d for d in (BONDARTSOV, CS224N, ROSENBERG, PARK, CS229)}


def document(name_or_key: str) -> Document:
    """The :class:`Document` with this ``key`` (``'park'``) or row label (``Row.document``)."""
    for d in DOCUMENTS.values():
        if name_or_key in (d.key, d.name):
            return d
    raise KeyError(f"document {name_or_key!r} (expected one of {', '.join(DOCUMENTS)})")


# =============================================================================================
# Rows
# =============================================================================================


def compare(got: Any, want: Any, rtol: float = RTOL) -> tuple[tuple[int, ...], float | None, bool]:
    """``(shape, max_abs_diff, passed)`` for autodiff ``got`` against closed form ``want``.

    Passed: the shapes are equal, every entry is finite, and
    ``max |got - want| <= rtol * max(1, max |want|)``.  ``max_abs_diff`` is ``None``
    when the shapes differ.
    """
    g = np.asarray(got, dtype=float)
    w = np.asarray(want, dtype=float)
    if g.shape != w.shape:
        return g.shape, None, False
    if g.size == 0:
        return g.shape, 0.0, True
    if not (np.isfinite(g).all() and np.isfinite(w).all()):
        return g.shape, float("nan"), False
    d = float(np.max(np.abs(g - w)))
    return g.shape, d, d <= rtol * max(1.0, float(np.max(np.abs(w))))


@dataclass(frozen=True)
class Row:
    """One comparison: autodiff (``quantity`` names the engine in brackets) against a document's closed form.

    ``equation`` is the equation as the document numbers it (``(4)``, ``Lemma 3.1``,
    ``Code 2``, ``2.5``) or, where it numbers nothing, the section and the quantity.
    """

    document: str
    equation: str
    quantity: str
    shape: tuple[int, ...]
    max_abs_diff: float | None
    passed: bool
    tolerance: float = RTOL

    kind = "row"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "document": self.document, "equation": self.equation, "quantity": self.quantity,
                "shape": list(self.shape), "max_abs_diff": self.max_abs_diff, "tolerance": self.tolerance,
                "passed": self.passed}


class Rows:
    """Collects the rows of one document: ``add(equation, quantity, engine, autodiff, closed_form)``."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.rows: list[Row] = []

    def add(self, equation: str, quantity: str, engine: str, got: Any, want: Any, rtol: float = RTOL) -> None:
        shape, d, ok = compare(got, want, rtol)
        self.rows.append(Row(self.doc.name, equation, f"{quantity} [{engine}]", shape, d, ok, rtol))


# =============================================================================================
# Errata
# =============================================================================================


@dataclass(frozen=True)
class Erratum:
    """A place where a document, read as printed, disagrees with autodiff.

    * ``category``: :data:`AUTHOR` (the author's mistake), :data:`EXTRACTION` (our
      extracted copy of the text is garbled there, not the author's fault) or
      :data:`CONVENTION` (a reading under which the text is consistent; the literal
      reading is not).
    * ``passage``: the passage, quoted from our copy of the text.
    * ``printed`` / ``corrected``: the literal reading and the corrected one (or the
      reading under the convention), in words; ``printed_form`` / ``corrected_form``
      compute them (numpy, from the text; a printed form may raise, e.g. a shape error
      or code that does not run: then ``raises`` names the exception expected).
    * ``autodiff``: per engine, a function returning what the engine computes for the
      same quantity (``quantity`` says what); ``autodiff_corrected``, when given, is
      what the corrected form is compared with instead (when the correction changes the
      quantity itself, e.g. the variable a derivative is taken by).
    """

    document: str
    equation: str
    category: str
    passage: str
    printed: str
    corrected: str
    quantity: str
    printed_form: Callable[[], Any]
    corrected_form: Callable[[], Any]
    autodiff: dict[str, Callable[[], Any]]
    raises: type[BaseException] | tuple[type[BaseException], ...] | None = None
    why: str = ""
    rtol: float = RTOL
    autodiff_corrected: dict[str, Callable[[], Any]] | None = None


@dataclass(frozen=True)
class ErratumCheck:
    """The result of re-checking an :class:`Erratum` against autodiff on each engine."""

    erratum: Erratum
    printed_result: str
    printed_refuted: bool
    corrected_max_abs_diff: float | None
    corrected_agrees: bool
    shape: tuple[int, ...]

    kind = "erratum"

    @property
    def passed(self) -> bool:
        """The printed form is refuted (disagrees, or raises the expected error) and the corrected form agrees."""
        return self.printed_refuted and self.corrected_agrees

    def as_dict(self) -> dict[str, Any]:
        e = self.erratum
        return {"kind": self.kind, "document": e.document, "equation": e.equation, "category": e.category,
                "quantity": f"{e.quantity} [{', '.join(e.autodiff)}]", "passage": e.passage, "printed": e.printed,
                "corrected": e.corrected, "printed_result": self.printed_result, "shape": list(self.shape),
                "max_abs_diff": self.corrected_max_abs_diff, "tolerance": e.rtol, "passed": self.passed}


def check_erratum(e: Erratum) -> ErratumCheck:
    """Evaluate the printed and the corrected form of ``e`` and compare both with autodiff on every engine."""
    want = e.corrected_form()
    refuted, diffs, agrees, results = True, [], True, []
    shape: tuple[int, ...] = ()
    for engine, fn in e.autodiff.items():
        got = fn()
        got_c = e.autodiff_corrected[engine]() if e.autodiff_corrected else got
        shape, d, ok = compare(got_c, want, e.rtol)
        agrees &= ok
        diffs.append(d)
        try:
            printed = e.printed_form()
        except Exception as exc:  # noqa: BLE001 - any failure of the printed form is reported, then judged
            expected = e.raises is not None and isinstance(exc, e.raises)
            results.append(f"cannot be evaluated: {type(exc).__name__}: {str(exc).splitlines()[0][:90]}")
            refuted &= expected
            if not expected:
                results[-1] += " (UNEXPECTED)"
            continue
        if e.raises is not None:
            refuted = False
            results.append(f"evaluates (expected {getattr(e.raises, '__name__', e.raises)})")
            continue
        pshape, pd, pok = compare(got, printed, e.rtol)
        refuted &= not pok
        if pok:
            results.append("AGREES with autodiff (it should not)")
        elif pd is None:
            results.append(f"disagrees (shape {tuple(np.shape(printed))} vs {pshape})")
        else:
            results.append(f"disagrees (max |diff| {pd:.2e})")
    d = None if any(x is None for x in diffs) else max(diffs)
    result = results[0] if len(set(results)) == 1 else "; ".join(f"{k}: {r}" for k, r in zip(e.autodiff, results))
    return ErratumCheck(e, result, refuted, d, agrees, shape)


# =============================================================================================
# Building blocks
# =============================================================================================


def sigmoid(z: Any) -> Array:
    """``1 / (1 + e^-z)`` elementwise in numpy, without overflow (the closed forms' sigma)."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(z: Any, axis: int = 0) -> Array:
    """``exp(z_i) / sum_k exp(z_k)`` along ``axis`` in numpy (a column by default, as Park and CS224n write it)."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def values(a: Any, name: str = "") -> Any:
    """A nested list of ``Value`` leaves with the entries of a 1-D or 2-D array, labelled ``name[i,j]`` (1-based)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        return [Value(float(v), label=f"{name}[{i + 1}]") for i, v in enumerate(a)]
    return [[Value(float(v), label=f"{name}[{i + 1},{j + 1}]") for j, v in enumerate(row)] for i, row in enumerate(a)]


def grads(nodes: Any) -> Array:
    """The ``.grad`` of a (nested) list of ``Value`` as an array of the same shape."""
    return np.array([grads(n) for n in nodes]) if isinstance(nodes, (list, tuple)) else np.array(nodes.grad)


def datas(nodes: Any) -> Array:
    """The ``.data`` of a (nested) list of ``Value`` as an array."""
    return np.array([datas(n) for n in nodes]) if isinstance(nodes, (list, tuple)) else np.array(nodes.data)


def flat(grid: Any) -> list[Value]:
    """A 2-D nested list row after row (a 1-D list as it is)."""
    return [v for row in grid for v in row] if isinstance(grid[0], (list, tuple)) else list(grid)


def leaf(a: Any, label: str = "") -> Tensor:
    """A float64 ``Tensor`` leaf that requires a gradient."""
    return Tensor(np.array(a, dtype=float), requires_grad=True, label=label)


def v_affine(weights: Sequence[Value], inputs: Sequence[Any], bias: Value | None = None) -> Value:
    """``b + sum_j w_j x_j`` from ``*`` and ``sum`` nodes (not the fused weighted-sum node whose local
    derivatives are the documents' ``dz/dw_j = x_j``, ``dz/dx_j = w_j`` themselves)."""
    if len(weights) != len(inputs):
        raise ValueError(f"v_affine: {len(weights)} weights but {len(inputs)} inputs (expected the same number)")
    terms = [w * x for w, x in zip(weights, inputs)]
    return Value.sum(([bias] if bias is not None else []) + terms)


def v_sigmoid(z: Value) -> Value:
    """``1 / (1 + e^-z)`` from ``-``, ``exp``, ``+``, ``/`` nodes: its derivative comes from the chain rule."""
    return 1.0 / (1.0 + (-z).exp())


def v_softmax(zs: Sequence[Value]) -> list[Value]:
    """softmax from elementary nodes: ``exp(z_i - m) / sum_k exp(z_k - m)`` (``m = max z``, a constant shift)."""
    m = max(z.data for z in zs)
    es = [(z - m).exp() for z in zs]
    s = Value.sum(es)
    return [e / s for e in es]


def v_cross_entropy(probs: Sequence[Value], y: Sequence[float]) -> Value:
    """``-sum_i y_i log p_i`` from elementary nodes (every term, also those with ``y_i = 0``)."""
    return -Value.sum([p.log() * float(yi) for p, yi in zip(probs, y)])


def t_sigmoid(Z: Tensor) -> Tensor:
    """``1 / (1 + e^-Z)`` from elementary Tensor operations (as Park's Python Code 1 writes it)."""
    return 1.0 / (1.0 + (-Z).exp())


def t_softmax(Z: Tensor, axis: int = 0) -> Tensor:
    """softmax along ``axis`` from ``-``, ``exp``, ``sum``, ``/`` (the max is subtracted as a constant)."""
    E = (Z - Tensor(Z.data.max(axis=axis, keepdims=True))).exp()
    return E / E.sum(axis=axis, keepdims=True)


def t_log_softmax(Z: Tensor, axis: int = 0) -> Tensor:
    """``Z - m - log sum exp(Z - m)`` along ``axis`` from elementary operations (``m`` the constant max)."""
    S = Z - Tensor(Z.data.max(axis=axis, keepdims=True))
    return S - S.exp().sum(axis=axis, keepdims=True).log()


def t_cross_entropy(P: Tensor, Y: Any) -> Tensor:
    """``-sum Y * log P`` over every entry, from elementary operations."""
    return -(P.log() * Tensor(np.asarray(Y, dtype=float))).sum()


def strict_add(A: Any, B: Any) -> Array:
    """Matrix addition as linear algebra defines it: the shapes must be equal (numpy would broadcast)."""
    A, B = np.asarray(A, dtype=float), np.asarray(B, dtype=float)
    if A.shape != B.shape:
        raise ValueError(f"matrix sum of shapes {A.shape} and {B.shape} (a sum needs equal shapes)")
    return A + B


def strict_matmul(A: Any, B: Any) -> Array:
    """The matrix product, with the error a reader expects when the inner sizes differ."""
    A, B = np.asarray(A, dtype=float), np.asarray(B, dtype=float)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
        raise ValueError(f"matrix product of shapes {A.shape} and {B.shape} (the inner sizes must be equal)")
    return A @ B


def central_difference(f: Callable[[Array], float], x: Any, h: float = 1e-5) -> Array:
    """``[f(x + h e_i) - f(x - h e_i)] / 2h`` for every entry ``i`` of ``x``: the definition of the partial derivatives."""
    x = np.array(x, dtype=float)
    out = np.zeros(x.shape + np.shape(f(x)))
    for idx in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        out[idx] = (np.asarray(f(xp)) - np.asarray(f(xm))) / (2 * h)
    return out


def labels_of(Y: Any, samples: str = "rows") -> list[int]:
    """The class index of each one-hot sample of ``Y``: ``samples='rows'`` (N x k) or ``'columns'`` (k x N)."""
    return [int(k) for k in np.argmax(np.asarray(Y), axis=1 if samples == "rows" else 0)]
