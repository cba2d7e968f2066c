#!/usr/bin/env bash
# The main job: set everything up (first run only), then run the guided tour.
# Extra arguments go to `micrograd-ext`, e.g. `bash run.sh --out /tmp/out`.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/micrograd-ext "$@"
