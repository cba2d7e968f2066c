"""The documents' networks built with the engine, under their release-0.1.0 names (``micrograd_ext.docnets``).

Each document's nets now live in its own module (``value_net``, ``tensor_net``,
``data``); this module keeps the flat names importable, among them the guided tour's
:func:`bondartsov_iris_gradients`.  New code imports from the document modules.
"""

from __future__ import annotations

from typing import Any

from . import bondartsov as _b
from . import cs224n as _c
from . import cs229 as _s
from . import park as _p
from . import rosenberg as _r
from .bondartsov import IrisGradients, iris_data
from .common import datas, grads, t_cross_entropy, v_cross_entropy, v_softmax, values

IRIS_CLASSES = ("setosa", "versicolor", "virginica")

value_softmax = v_softmax
value_cross_entropy = v_cross_entropy
tensor_cross_entropy = t_cross_entropy

bondartsov_weights = _b.weights
bondartsov_value = _b.value_net
bondartsov_tensor = _b.tensor_net
bondartsov_iris_gradients = _b.iris_gradients
cs224n_data, cs224n_value, cs224n_tensor = _c.data, _c.value_net, _c.tensor_net
rosenberg_data, rosenberg_value, rosenberg_tensor = _r.data, _r.value_net, _r.tensor_net
park_data, park_value, park_tensor = _p.data, _p.value_net, _p.tensor_net
cs229_data, cs229_value, cs229_tensor = _s.data, _s.value_net, _s.tensor_net

#: document -> (its Value build, its Tensor build), each taking the document's ``data()``
BUILDS: dict[str, tuple[Any, Any]] = {
    "cs224n": (cs224n_value, cs224n_tensor),
    "rosenberg": (rosenberg_value, rosenberg_tensor),
    "park": (park_value, park_tensor),
    "cs229": (cs229_value, cs229_tensor),
}

__all__ = ["IRIS_CLASSES", "IrisGradients", "iris_data", "values", "grads", "datas", "value_softmax", "value_cross_entropy",
           "tensor_cross_entropy", "bondartsov_weights", "bondartsov_value", "bondartsov_tensor", "bondartsov_iris_gradients",
           "cs224n_data", "cs224n_value", "cs224n_tensor", "rosenberg_data", "rosenberg_value", "rosenberg_tensor",
           "park_data", "park_value", "park_tensor", "cs229_data", "cs229_value", "cs229_tensor", "BUILDS"]
