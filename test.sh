#!/usr/bin/env bash
# The whole test suite: set everything up (first run only), lint, then pytest.
# Extra arguments go to pytest, e.g. `bash test.sh -k tensor`.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
.venv/bin/ruff check micrograd_ext tests demos bench
exec .venv/bin/python -m pytest "$@"
