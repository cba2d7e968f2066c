"""``python -m micrograd_ext`` does what the ``micrograd-ext`` console script does."""

import sys

from .commands.cli import main

if __name__ == "__main__":
    sys.exit(main())
