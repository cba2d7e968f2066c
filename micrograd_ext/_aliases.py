"""The flat module names of release 0.1.0, kept working after the package grew folders.

``import micrograd_ext.viz`` (or ``from micrograd_ext.tensor import Tensor``) loads
the module that now does the job and registers it under the old name too, so both
names are the *same* module object.  The table below is the whole mechanism; new
code imports from the folders (``micrograd_ext.core``, ``.nets``, ``.diagrams``,
``.documents``, ``.commands``).  ``micrograd_ext.engine``, micrograd's module name
for ``Value``, is a real file (``engine.py``), not an alias.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType

#: old name (under ``micrograd_ext.``) -> the module that holds it now
ALIASES: dict[str, str] = {
    "rules": "core.ops",
    "graph": "core.graph",
    "tensor": "core.tensor",
    "gradcheck": "core.gradcheck",
    "jacobian": "core.jacobian",
    "module": "nets.module",
    "nn": "nets.neurons",
    "tensor_nn": "nets.tensor_nn",
    "losses": "nets.losses",
    "optim": "nets.optim",
    "datasets": "nets.datasets",
    "chain": "diagrams.chain",
    "viz": "diagrams",
    "closed_form": "documents.closed_form",
    "docnets": "documents.docnets",
    "verify": "documents.verify",
    "tour": "commands.tour",
    "draw": "commands.draw",
    "train": "commands.train",
    "cli": "commands.cli",
}

_PKG = __name__.rsplit(".", 1)[0]


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        self.spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The target module has run already; importlib just gave it the alias's spec,
        # so give it back its own (its relative imports and repr use it).
        module.__spec__ = self.spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        pkg, _, name = fullname.rpartition(".")
        if pkg != _PKG or name not in ALIASES:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(f"{_PKG}.{ALIASES[name]}"))


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder())
