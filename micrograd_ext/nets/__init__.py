"""Networks built on the engine: modules, neurons and layers, losses, optimizers, data sets.

* :mod:`.module` — :class:`~micrograd_ext.nets.module.Module` (parameters, state dicts, save/load);
* :mod:`.neurons` — micrograd's ``Neuron``, ``Layer``, ``MLP`` built node by node from ``Value``
  (also importable as ``micrograd_ext.nn``);
* :mod:`.tensor_nn` — the same nets as matrices of ``Tensor`` (``Linear``, ``Sequential``, ``MLP``);
* :mod:`.losses` — MSE, binary and softmax cross-entropy, max-margin, for ``Value`` and ``Tensor``;
* :mod:`.optim` — SGD and Adam;
* :mod:`.datasets` — iris (shipped), two moons, XOR.

Imports go down only, to :mod:`micrograd_ext.core`.
"""
