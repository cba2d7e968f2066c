"""The package's layers: old module names still import, and imports only go down the layers."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import micrograd_ext
from micrograd_ext import _aliases

PKG = Path(micrograd_ext.__file__).parent
#: commands -> documents and diagrams -> nets -> core
LAYER = {"core": 0, "nets": 1, "diagrams": 2, "documents": 2, "commands": 3}


@pytest.mark.parametrize("old", sorted(_aliases.ALIASES))
def test_release_0_1_names_import_as_the_same_module(old: str) -> None:
    mod = importlib.import_module(f"micrograd_ext.{old}")
    target = importlib.import_module(f"micrograd_ext.{_aliases.ALIASES[old]}")
    assert mod is target
    assert getattr(micrograd_ext, old) is target
    assert mod.__spec__.name == target.__name__  # the alias does not rename the module


def test_micrograd_import_line_works() -> None:
    from micrograd_ext.engine import Value
    from micrograd_ext.nn import MLP, Layer, Neuron

    assert Value(2.0).data == 2.0 and MLP and Layer and Neuron


def _imports(path: Path) -> list[tuple[int, str]]:
    """(level, module) of every `from ... import` in a file; `from .. import x` gives (2, 'x').

    An absolute import of the package (``from micrograd_ext.closed_form import f``) counts as
    ``from ..<folder>...``, its old name resolved to the module it is now (``documents.closed_form``).
    """
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.split(".")[0] == "micrograd_ext":
                rest = node.module.split(".")[1:]
                if rest and rest[0] in _aliases.ALIASES:
                    rest = _aliases.ALIASES[rest[0]].split(".") + rest[1:]
                out.append((2, ".".join(rest)))
            elif node.module:
                out.append((node.level, node.module))
            else:
                out += [(node.level, a.name) for a in node.names]
    return out


@pytest.mark.parametrize("folder", sorted(LAYER))
def test_imports_only_go_down_the_layers(folder: str) -> None:
    for f in sorted((PKG / folder).glob("*.py")):
        for level, module in _imports(f):
            if level == 2:  # from ..other.x import ...
                other = module.split(".")[0] if module else ""
                if other in LAYER:
                    assert LAYER[other] < LAYER[folder] or other == folder, f"{f.name} imports {other} (layer {folder})"
                else:  # from the top package: only its version
                    assert other == "__version__", (f.name, module)
            assert level <= 2, f"{f.name}: relative import of level {level}"
