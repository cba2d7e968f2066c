#!/usr/bin/env bash
# Idempotent set-up used by run.sh and test.sh: a virtual environment in .venv,
# the package (editable) with its test extras, the Graphviz `dot` program, and
# Debian's Chromium for the browser tests of the backward-pass player.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PY --version 2>&1)" >&2
  "$PY" -m venv .venv
fi
STAMP=.venv/.micrograd_ext_installed
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  echo "setup: installing micrograd_ext and its dependencies into .venv" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,plot,bench]'
  touch "$STAMP"
fi

# System programs: Graphviz (dot) for the diagrams, Chromium for the browser tests.
# Playwright (a Python test dependency) drives the system Chromium; it downloads no browser.
have_chromium() { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }
# Liberation Sans (Helvetica's metrics) is the font the diagrams and the notebooks' stored pictures are drawn with.
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
have_chromium || missing+=(chromium)
if command -v apt-get >/dev/null 2>&1 && [ ! -e /usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf ]; then
  missing+=(fonts-liberation2)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: missing ${missing[*]}; trying to install" >&2
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" fonts-liberation2 fonts-dejavu-core >/dev/null) || true
  elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" fonts-liberation2 fonts-dejavu-core >/dev/null) || true
  elif command -v brew >/dev/null 2>&1; then
    for m in "${missing[@]}"; do
      case "$m" in graphviz) brew install graphviz || true ;; chromium) brew install --cask chromium || true ;; *) ;; esac
    done
  fi
  if ! command -v dot >/dev/null 2>&1; then
    echo "setup: WARNING: could not install Graphviz 'dot'. Everything runs, diagrams are written as" >&2
    echo "       DOT source (.gv) instead of SVG/PNG, and the tests that render images are skipped." >&2
    echo "       Install it with your package manager (apt-get install graphviz / brew install graphviz)." >&2
  fi
  if ! have_chromium; then
    echo "setup: WARNING: could not install Chromium: the browser tests of the backward-pass player are" >&2
    echo "       skipped. Install it with your package manager (apt-get install chromium)." >&2
  fi
fi
