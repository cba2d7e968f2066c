"""``micrograd-ext verify``: every gradient formula of the five documents, reproduced by autodiff.

Prints the table of :func:`micrograd_ext.documents.verify.all_rows` (or JSON) and
then re-checks each erratum; the exit status is 1 if any row fails.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence

from ..documents import verify as rows_of
from ..documents.verify import RTOL, Row, errata, format_errata, format_table
from ._run import Parser, run

PROG = "micrograd-ext verify"


def main(argv: Sequence[str] | None = None) -> int:
    """``micrograd-ext verify [--json] [--doc NAME]``: print the table (or JSON); exit 1 if any row fails.

    A closed pipe (``micrograd-ext verify | head``) ends quietly (status 141), errors in one line.
    """
    return run(PROG, lambda: _main(argv))


def _main(argv: Sequence[str] | None) -> int:
    p = Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--json", action="store_true", help="print the rows as a JSON list of objects")
    p.add_argument("--doc", choices=[name for name, _ in rows_of.SECTIONS], action="append",
                   help="only this document (repeatable); default: all five")
    args = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    t0 = time.perf_counter()
    rows: list[Row] = []
    for name, fn in rows_of.SECTIONS:
        if args.doc is None or name in args.doc:
            rows += fn()
    elapsed = time.perf_counter() - t0
    failed = [r for r in rows if not r.passed]
    if args.json:
        print("[\n" + ",\n".join(" " + json.dumps(r.as_dict()) for r in rows) + "\n]")
    else:
        print(format_table(rows))
        print()
        print(f"{len(rows) - len(failed)} of {len(rows)} rows pass "
              f"(float64; |autodiff - closed form| <= {RTOL:g} * max(1, max |closed form|)) in {elapsed:.2f} s")
        if args.doc is None:
            print()
            print(format_errata(errata()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
