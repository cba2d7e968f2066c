#!/usr/bin/env bash
# The whole test suite: set everything up (first run only), lint, then pytest.
# Extra arguments go to pytest, e.g. `bash test.sh -k tensor`.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
# PyTorch, optional: the tests that compare with it run when a CPU build of it is on this machine
# (a local wheel: nothing large is downloaded); otherwise they are skipped and say so.
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  if .venv/bin/python -m pip download -q --no-deps --no-index "torch==2.13.0" -d "$tmp" >/dev/null 2>&1 \
      && .venv/bin/python -m pip install -q "$tmp"/torch-*.whl >/dev/null 2>&1; then
    echo "test: PyTorch 2.13.0 installed from a local wheel: the comparisons with PyTorch run" >&2
  else
    echo "test: no local PyTorch wheel: the comparisons with PyTorch are skipped" >&2
  fi
  rm -rf "$tmp"
fi
.venv/bin/ruff check micrograd_ext tests demos bench scripts
exec .venv/bin/python -m pytest "$@"
