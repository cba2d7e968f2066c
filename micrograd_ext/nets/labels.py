"""The labels of a network's nodes, in the derivation documents' notation: one declared format.

Bondartsov (2019), Figure 1 and eqs. (1)-(15), names every quantity of a layered net by
a letter, its layer in parentheses and its position in brackets, all 1-based:

=================  ======================================================  =====================
label              meaning                                                 made by
=================  ======================================================  =====================
``w(l)[i,j]``      weight of layer ``l``, neuron ``i``, input ``j``         :func:`weight`
``w(l)[i,0]``      the bias of neuron ``i`` as the paper's weight column 0  :func:`bias`
``b(l)[i]``        the same bias, written as a separate vector              ``bias(..., style='b')``
``z(l)[i]``        weighted sum of neuron ``i`` of layer ``l``              :func:`z`
``a(l)[i]``        its activation ``f(z(l)[i])``                            :func:`a`
``x[j]``           input ``j`` (layer 0, no parentheses)                    :func:`x`
=================  ======================================================  =====================

The grammar is ``NAME(LAYER)[I,J,...]`` with the layer and the brackets optional,
so other symbols of the documents (``f(2)``, ``g(1)[3]``) parse too.  This module is
the only place that writes or reads the format: the networks of :mod:`.neurons`
label their nodes with these functions, the diagrams find layers and parameters with
:func:`parse`, :func:`layer_of` and :func:`is_parameter`, and
``micrograd-ext draw --wrt 'w(1)[3,2]'`` reads its argument with :func:`parse`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["Label", "weight", "bias", "z", "a", "x", "parse", "layer_of", "is_parameter", "PARAMETER_NAMES"]

#: The names whose labels are trainable parameters (weights and biases).
PARAMETER_NAMES: tuple[str, ...] = ("w", "b")

_LABEL_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*?)(?:\((\d+)\))?(?:\[(\d+(?:,\s*\d+)*)\])?$")


class Label(NamedTuple):
    """A parsed label: ``parse('w(1)[3,2]') == Label('w', 1, (3, 2))``; ``layer`` is ``None`` for ``x[j]``."""

    name: str
    layer: int | None
    index: tuple[int, ...]

    def __str__(self) -> str:
        text = self.name
        if self.layer is not None:
            text += f"({self.layer})"
        if self.index:
            text += "[" + ",".join(str(k) for k in self.index) + "]"
        return text

    @property
    def is_parameter(self) -> bool:
        """Whether this is a weight ``w(l)[i,j]`` or a bias ``b(l)[i]`` (``w(l)[i,0]`` included)."""
        return self.name in PARAMETER_NAMES and self.layer is not None


def _positive(k: object, what: str, where: str, minimum: int = 1) -> int:
    if isinstance(k, bool) or not hasattr(k, "__index__"):
        raise TypeError(f"{where}: {what} = {k!r} (expected an integer >= {minimum})")
    k = int(k)  # type: ignore[call-overload]
    if k < minimum:
        raise ValueError(f"{where}: {what} = {k!r} (expected an integer >= {minimum}; labels count from 1)")
    return k


def weight(layer: int, i: int, j: int) -> str:
    """``w(layer)[i,j]``: weight ``j`` (1-based, 0 is the bias) of neuron ``i`` of ``layer``."""
    return (f"w({_positive(layer, 'layer', 'labels.weight')})"
            f"[{_positive(i, 'i', 'labels.weight')},{_positive(j, 'j', 'labels.weight', 0)}]")


def bias(layer: int, i: int, style: str = "w0") -> str:
    """The bias of neuron ``i`` of ``layer``: ``w(l)[i,0]`` (``style='w0'``, the paper's column 0) or ``b(l)[i]``."""
    if style == "w0":
        return weight(layer, i, 0)
    if style == "b":
        return f"b({_positive(layer, 'layer', 'labels.bias')})[{_positive(i, 'i', 'labels.bias')}]"
    raise ValueError(f"labels.bias: style {style!r} (expected 'w0' for w(l)[i,0] or 'b' for b(l)[i])")


def z(layer: int, i: int) -> str:
    """``z(layer)[i]``: the weighted sum of neuron ``i``."""
    return f"z({_positive(layer, 'layer', 'labels.z')})[{_positive(i, 'i', 'labels.z')}]"


def a(layer: int, i: int) -> str:
    """``a(layer)[i]``: the activation of neuron ``i``."""
    return f"a({_positive(layer, 'layer', 'labels.a')})[{_positive(i, 'i', 'labels.a')}]"


def x(j: int) -> str:
    """``x[j]``: input ``j`` of the network."""
    return f"x[{_positive(j, 'j', 'labels.x')}]"


def parse(label: object) -> Label | None:
    """The parts of a label in the grammar ``NAME(LAYER)[I,J,...]``, or ``None`` if it is not one.

    ``parse('w(1)[3,2]') == Label('w', 1, (3, 2))``, ``parse('x[4]') == Label('x', None, (4,))``,
    ``parse('C') == Label('C', None, ())``; ``parse('')``, ``parse('x + y')`` and non-strings give ``None``.
    """
    if not isinstance(label, str):
        return None
    m = _LABEL_RE.match(label.strip())
    if m is None:
        return None
    name, layer, index = m.groups()
    idx = tuple(int(k) for k in index.split(",")) if index else ()
    return Label(name, int(layer) if layer is not None else None, idx)


def layer_of(label: object) -> int | None:
    """The layer of a layered label (``z(2)[1]`` -> 2, ``w(1)[3,2]`` -> 1); ``None`` otherwise (``x[1]``, ``C``)."""
    p = parse(label)
    return p.layer if p is not None else None


def is_parameter(label: object) -> bool:
    """Whether a label names a weight or a bias (``w(l)[i,j]``, ``b(l)[i]``)."""
    p = parse(label)
    return p is not None and p.is_parameter
