"""The five derivation documents, made executable: their closed forms, their networks, their rows and errata.

The documents are listed in ``docs/documents.md``; each formula's docstring cites the
document and equation it comes from.  ``micrograd-ext verify`` prints the rows.
Imports go down only, to :mod:`micrograd_ext.nets` and :mod:`micrograd_ext.core`.
"""
