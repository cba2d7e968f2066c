"""The five derivation documents, made executable: one module per document.

Each of :mod:`.bondartsov`, :mod:`.cs224n`, :mod:`.rosenberg`, :mod:`.park` and
:mod:`.cs229` holds that document's closed forms (numpy, one function per equation, in
the document's notation), its networks built with ``Value`` and with ``Tensor`` in that
notation, its ``verify`` rows (``rows()``) and its errata (``errata()``).
:mod:`.common` holds what they share: the registry of the documents with their citations
(:data:`~.common.DOCUMENTS`), the row and erratum types, the tolerance and the
comparison.  :mod:`.verify` gathers the rows and errata for ``micrograd-ext verify``;
:mod:`.closed_form` and :mod:`.docnets` keep the names of release 0.1.0.
Imports go down only, to :mod:`micrograd_ext.nets` and :mod:`micrograd_ext.core`.
"""
