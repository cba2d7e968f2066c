"""The engine: the op tables, the two node types, the graph driver and its modes.

* :mod:`.ops` — the op table: every operation's forward, local derivatives and formula text;
* :mod:`.graph` — topological order (iterative), the backward driver, ``no_grad``,
  ``detect_anomaly``, and :func:`~micrograd_ext.core.graph.edges`, the one reader of a node's edges;
* :mod:`.value` — :class:`~micrograd_ext.core.value.Value`, the scalar node (micrograd's);
* :mod:`.tensor` — :class:`~micrograd_ext.core.tensor.Tensor`, the same graph over numpy arrays;
* :mod:`.gradcheck`, :mod:`.jacobian` — finite-difference checks and full Jacobians.

Nothing here imports from the layers above (``nets``, ``diagrams``, ``documents``, ``commands``).
"""
