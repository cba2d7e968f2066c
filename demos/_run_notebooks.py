"""Run the lesson notebooks of this folder and store their outputs: ``.venv/bin/python demos/_run_notebooks.py``.

Each notebook runs in a fresh kernel, in a temporary folder (the files a lesson writes land
there, not here), without timing metadata, so that its outputs are exactly what any fresh run
gives; ``tests/commands/test_notebooks.py`` runs them again and compares.  Needs the test
extras (``nbclient``, ``ipykernel``) and Graphviz's ``dot`` (the lessons show its pictures).

``--check`` runs them without writing and exits 1 if a stored output differs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTEBOOKS = sorted(HERE.glob("lesson*.ipynb"))


def execute(path: Path, cwd: str | None = None, timeout: int = 300):
    """The notebook at ``path`` run top to bottom in a fresh ``python3`` kernel (cwd: a temporary folder)."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        # the kernel talks to us over local sockets in the temporary folder (no TCP port)
        km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(tmp, "kernel"))
        try:
            # coalesce_streams: one output per run of prints, however the kernel happened to flush them
            NotebookClient(nb, km=km, timeout=timeout, record_timing=False, coalesce_streams=True,
                           resources={"metadata": {"path": cwd or tmp}}).execute()
        finally:
            if km.has_kernel:
                km.shutdown_kernel(now=True)
    return nb


def outputs(nb) -> list[tuple[int | None, list]]:
    """What a comparison looks at: each code cell's execution count and outputs."""
    return [(c.get("execution_count"), c.get("outputs", [])) for c in nb.cells if c.cell_type == "code"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the stored outputs, write nothing")
    args = ap.parse_args(argv)
    import nbformat

    bad = 0
    for path in NOTEBOOKS:
        nb = execute(path)
        if args.check:
            same = outputs(nb) == outputs(nbformat.read(path, as_version=4))
            bad += not same
            print(f"{path.name}: {'same outputs' if same else 'OUTPUTS DIFFER'}")
        else:
            nbformat.write(nb, path)
            print(f"ran {path.name}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
