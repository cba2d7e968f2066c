"""Test-suite settings: on CI (CI=true) hypothesis runs a fixed, derandomized set of examples so a
run is reproducible; locally it explores new examples each run (failures are saved in .hypothesis/)."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
