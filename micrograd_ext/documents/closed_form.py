"""The closed forms of the five documents under their release-0.1.0 names (``micrograd_ext.closed_form``).

Each document's closed forms now live in its own module, with its nets, its verify rows
and its errata (:mod:`.bondartsov`, :mod:`.cs224n`, :mod:`.rosenberg`, :mod:`.park`,
:mod:`.cs229`); this module keeps the flat names (``bondartsov_grad_w1``,
``cs224n_section3``, ``park_code4``, ...) importable.  New code imports from the
document modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import bondartsov as _b
from . import cs224n as _c
from . import cs229 as _s
from . import park as _p
from . import rosenberg as _r
from .common import DOCUMENTS as _DOCS
from .common import sigmoid, softmax

BONDARTSOV = _b.DOC.name
CS224N = _c.DOC.name
ROSENBERG = _r.DOC.name
PARK = _p.DOC.name
CS229 = _s.DOC.name
DOCUMENTS = tuple(d.name for d in _DOCS.values())

# Bondartsov (2019)
bondartsov_forward = _b.forward
bondartsov_cost_eq1 = _b.cost_eq1
bondartsov_dC_da2_eq5a = _b.dC_da2_eq5a
bondartsov_dC_da2_eq5a_middle_line = _b.dC_da2_eq5a_middle_line
bondartsov_dC_da2_eq5a_as_printed = _b.dC_da2_eq5a_as_printed
bondartsov_da_dz_eq5b = _b.da_dz_eq5b
bondartsov_dz2_dw2_eq5c = _b.dz2_dw2_eq5c
bondartsov_grad_w2_eq6 = _b.grad_w2_eq6
bondartsov_grad_w2_eq7 = _b.grad_w2_eq7
bondartsov_grad_w2_eq8 = _b.grad_w2_eq8
bondartsov_dz2_da1_eq10a = _b.dz2_da1_eq10a
bondartsov_dz1_dw1_eq10b = _b.dz1_dw1_eq10b
bondartsov_grad_w1_eq11 = _b.grad_w1_eq11
bondartsov_f2_eq12a = _b.f2_eq12a
bondartsov_g1_eq12b = _b.g1_eq12b
bondartsov_grad_w1_eq13 = _b.grad_w1_eq13
bondartsov_grad_w1_eq14 = _b.grad_w1_eq14
bondartsov_f2_eq15 = _b.f2_eq15
bondartsov_f2_eq15_as_printed = _b.f2_eq15_as_printed
bondartsov_grad_w1 = _b.grad_w1
bondartsov_grad_w2 = _b.grad_w2

# "Computing Neural Network Gradients" (CS224n-style notes)
cs224n_dz_dx_2_1 = _c.dz_dx_2_1
cs224n_dz_dx_2_2 = _c.dz_dx_2_2
cs224n_dz_dx_2_3 = _c.dz_dx_2_3
cs224n_dz_dx_2_4 = _c.dz_dx_2_4
cs224n_dJ_dW_2_5 = _c.dJ_dW_2_5
cs224n_dJ_dWij_2_5_sum = _c.dJ_dWij_2_5_sum
cs224n_dJ_dW_2_6 = _c.dJ_dW_2_6
cs224n_dJ_dtheta_2_7 = _c.dJ_dtheta_2_7
cs224n_softmax_jacobian_2_7 = _c.softmax_jacobian_2_7
cs224n_section3 = _c.section3

# Rosenberg
rosenberg_affine_one_sample = _r.affine_one_sample
rosenberg_affine_minibatch = _r.affine_minibatch
rosenberg_dY_dW_minibatch = _r.dY_dW_minibatch
rosenberg_dY_db_minibatch = _r.dY_db_minibatch
rosenberg_dY_dX_minibatch = _r.dY_dX_minibatch
rosenberg_softmax_jacobian = _r.softmax_jacobian
rosenberg_softmax_backward = _r.softmax_backward

# Park (2022)
park_d_relu = _p.d_relu
park_d_sigmoid = _p.d_sigmoid
park_theorem_4_1 = _p.theorem_4_1
park_theorem_5_1 = _p.theorem_5_1
park_theorem_5_4 = _p.theorem_5_4
park_theorem_6_1 = _p.theorem_6_1
park_softmax_jacobian_eq39 = _p.softmax_jacobian_eq39
park_dL_dz_6_3_middle_line = _p.dL_dz_6_3_middle_line
park_dL_dz_6_3_middle_line_as_printed = _p.dL_dz_6_3_middle_line_as_printed
park_eq34_35_as_printed = _p.eq34_35_as_printed
park_code_text = _p.code_text
park_code1_namespace = _p.code1_namespace
park_code3 = _p.code3
PARK_CODE_FIXES = _p.CODE_FIXES


def park_dZ_output_eq21(A_L: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """dZ[L] = Delta[L] / N with Delta = A[L] - Y (Theorem 6.1 for each column).  Park eq. (21) with (30)/(36)."""
    return _p.eq21(np.asarray(A_L, dtype=float) - np.asarray(Y, dtype=float))


def park_code4(X: Any, Y: Any, W: list, b: list, corrected: bool | Sequence[int] = True,
               code1_corrected: bool | Sequence[int] | None = None) -> tuple[list, list]:
    """Park's Python Code 4 executed (with its fixes), ``(dW, db)`` by layer.  Park, Python Code 4 (see :func:`.park.code4`)."""
    out = _p.code4(X, Y, W, b, fixes=corrected, code1_fixes=code1_corrected)
    return out["dW"], out["db"]


# CS229 post
cs229_forward = _s.forward
cs229_gradients = _s.gradients
cs229_dz2_da1 = _s.dz2_da1
cs229_dz2_da1_as_printed = _s.dz2_da1_as_printed

__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations", "Any", "Sequence", "np")] + ["sigmoid", "softmax"]
