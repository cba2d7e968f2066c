#!/usr/bin/env bash
# The main job: set everything up (first run only), then run the guided tour.
# Extra arguments go to `micrograd-ext`, e.g. `bash run.sh --out /tmp/out`.
# It runs in the caller's folder: relative paths (--out relout, draw --load ...) and the
# default output folder ./micrograd_ext_out/ are taken from where it was started.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")" && pwd)"
bash "$ROOT/scripts/setup.sh"
exec "$ROOT/.venv/bin/micrograd-ext" "$@"
