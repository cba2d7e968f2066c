"""The commands: ``micrograd-ext tour | verify | draw | train``.

Each command module exposes ``main(argv) -> int``; it parses options, calls the
library and prints.  The library computes; the commands print.
"""
