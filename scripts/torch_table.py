"""Print the README's "Coming from PyTorch" table from the idioms the tests check.

    .venv/bin/python scripts/torch_table.py            # print the markdown table
    .venv/bin/python scripts/torch_table.py --write    # put it into README.md, between its markers
    .venv/bin/python scripts/torch_table.py --check    # run every idiom in both engines (needs torch)

The list of idioms is ``IDIOMS`` in ``tests/nets/test_torch_idioms.py``, the same list the
test compares with PyTorch, so the table shows exactly the code that is tested.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "nets"))

import test_torch_idioms as idioms  # noqa: E402


def check() -> int:
    try:
        import torch
    except ImportError:
        print("torch_table: --check needs PyTorch (pip install -e '.[torch]')", file=sys.stderr)
        return 2
    torch.set_default_dtype(torch.float64)
    failed = 0
    for k, idiom in enumerate(idioms.IDIOMS, 1):
        theirs = idioms.run(idiom, "torch")
        ours = idioms.run(idiom, "ours")
        bad = next((b for e, a, t in zip(idiom.check, ours, theirs)
                    if (b := idioms.same(idioms.plain(a), idioms.plain(t), e, idiom.rtol))), None)
        failed += bad is not None
        print(f"{k:2d}. {'same numbers' if bad is None else 'DIFFERENT: ' + bad.splitlines()[0]}  {idiom.what}")
    print(f"{len(idioms.IDIOMS) - failed} of {len(idioms.IDIOMS)} idioms give PyTorch's numbers (float64)")
    return 1 if failed else 0


def write(readme: Path) -> int:
    text = readme.read_text()
    if idioms.START not in text or idioms.END not in text:
        print(f"torch_table: {readme} has no {idioms.START} ... {idioms.END} markers", file=sys.stderr)
        return 2
    head, rest = text.split(idioms.START, 1)
    _, tail = rest.split(idioms.END, 1)
    readme.write_text(f"{head}{idioms.START}\n{idioms.markdown_table()}\n{idioms.END}{tail}")
    print(f"torch_table: wrote {len(idioms.IDIOMS)} rows into {readme}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="replace the table in README.md")
    ap.add_argument("--check", action="store_true", help="run every idiom with both engines and compare (needs torch)")
    args = ap.parse_args(argv)
    if args.check:
        return check()
    if args.write:
        return write(ROOT / "README.md")
    print(idioms.markdown_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
