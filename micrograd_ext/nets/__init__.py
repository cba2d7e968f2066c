"""Networks built on the engine: modules, neurons and layers, losses, optimizers, data sets.

* :mod:`.module` — :class:`~micrograd_ext.nets.module.Module` (parameters, state dicts, save/load);
* :mod:`.neurons` — micrograd's ``Neuron``, ``Layer``, ``MLP`` built node by node from ``Value``
  (also importable as ``micrograd_ext.nn``);
* :mod:`.tensor_nn` — the same nets as matrices of ``Tensor`` (``Linear``, ``Sequential``, ``MLP``);
* :mod:`.losses` — the one home of the losses (MSE, binary and softmax cross-entropy, max-margin) for
  ``Value`` and ``Tensor``, with one ``reduction`` parser;
* :mod:`.optim` — SGD and Adam (hyper-parameters checked whenever they are set);
* :mod:`.datasets` — iris (shipped) and the tour's split of it, two moons, XOR;
* :mod:`.labels` — the one format of the labels ``w(l)[i,j]``, ``z(l)[i]``, ``a(l)[i]``, ``b(l)[i]``, ``x[j]``;
* :mod:`.files` — the one writer of files (formats from the suffix, one-line errors, no half-written file).

Imports go down only, to :mod:`micrograd_ext.core`.
"""
