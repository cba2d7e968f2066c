"""``micrograd-ext verify``: every derivative of the five documents reproduced by autodiff, every erratum re-checked.

Prints the table of :func:`micrograd_ext.documents.verify.all_rows` and the errata of
:func:`micrograd_ext.documents.verify.errata` (or both as one JSON list); the exit status
is 1 if any row or erratum fails.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence

from ..documents import verify as rows_of
from ..documents.verify import FD_RTOL, RTOL, errata, errata_summary, format_errata, format_table
from ._run import Parser, run

PROG = "micrograd-ext verify"


def main(argv: Sequence[str] | None = None) -> int:
    """``micrograd-ext verify [--json] [--doc NAME]``: print the rows and the errata; exit 1 if any fails.

    A closed pipe (``micrograd-ext verify | head``) ends quietly (status 141), errors in one line.
    """
    return run(PROG, lambda: _main(argv))


def _main(argv: Sequence[str] | None) -> int:
    p = Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--json", action="store_true", help="print the rows and the errata as one JSON list of objects")
    p.add_argument("--doc", choices=[name for name, _ in rows_of.SECTIONS], action="append",
                   help="only this document (repeatable); default: all five")
    args = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    t0 = time.perf_counter()
    rows = [r for name, fn in rows_of.SECTIONS if args.doc is None or name in args.doc for r in fn()]
    checks = errata(args.doc)
    elapsed = time.perf_counter() - t0
    failed = [r for r in rows if not r.passed] + [c for c in checks if not c.passed]
    if args.json:
        print("[\n" + ",\n".join(" " + json.dumps(x.as_dict()) for x in [*rows, *checks]) + "\n]")
    else:
        print(format_table(rows))
        print()
        print(f"{sum(r.passed for r in rows)} of {len(rows)} rows pass (float64; |autodiff - closed form| <= "
              f"{RTOL:g} * max(1, max |closed form|), {FD_RTOL:g} for the central-difference rows)")
        print()
        print(format_errata(checks))
        print()
        print(f"{errata_summary(checks)}; rows and errata in {elapsed:.2f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
