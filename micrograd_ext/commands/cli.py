"""The ``micrograd-ext`` command (also ``python -m micrograd_ext``).

Each sub-command lives in its own module, which exposes ``main(argv) -> int``;
modules are imported only when their command runs.  Every ``main`` ends in an exit
status, never a traceback (:mod:`micrograd_ext.commands._run`).
"""

from __future__ import annotations

import importlib
import sys

from ._run import run

#: command -> (module, one-line help).  The first is the default.
COMMANDS: dict[str, tuple[str, str]] = {
    "tour": ("micrograd_ext.commands.tour", "guided tour: train the iris net node by node, check it against the paper, draw its figures"),
    "train": ("micrograd_ext.commands.train", "train a small MLP node by node on two moons and print loss and accuracy"),
    "verify": ("micrograd_ext.commands.verify", "reproduce every gradient formula of the five documents by autodiff (--json)"),
    "digits": ("micrograd_ext.commands.digits", "train the CS229 two-layer net on real handwritten digits with Tensor, gradients checked"),
    "draw": ("micrograd_ext.commands.draw", "render a network's graph, its figure, or the chain-rule paths to one weight"),
}


def _usage(cmds: dict[str, tuple[str, str]]) -> str:
    lines = ["usage: micrograd-ext [COMMAND] [options]", "", "commands:"]
    for name, (_, text) in cmds.items():
        lines.append(f"  {name:<8} {text}")
    lines += ["", f"With no command, runs '{next(iter(cmds))}'. 'micrograd-ext COMMAND --help' for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``micrograd-ext [COMMAND] [options]``; returns the exit status."""
    return run("micrograd-ext", lambda: _main(list(sys.argv[1:] if argv is None else argv)))


def _main(argv: list[str]) -> int:
    cmds = COMMANDS
    if argv and argv[0] in ("-h", "--help", "help"):
        print(_usage(cmds))
        return 0
    if argv and argv[0] in ("--version", "-V"):
        from .. import __version__

        print(f"micrograd-ext {__version__}")
        return 0
    if argv and not argv[0].startswith("-"):
        name, rest = argv[0], argv[1:]
        if name not in COMMANDS:
            print(f"micrograd-ext: unknown command {name!r} (expected one of {', '.join(cmds)})", file=sys.stderr)
            return 2
    else:
        name, rest = next(iter(cmds)), argv
    module = importlib.import_module(cmds[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
