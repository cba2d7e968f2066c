"""What every command shares: its argument parser and the boundary between the command and the shell.

A command never ends in a traceback.  :func:`run` calls the command's body and turns

* an error (a bad path, option or file; anything the library refuses) into ONE line
  on stderr, ``micrograd-ext draw: save: cannot write 'afile/x.svg': ...``, and exit
  status 1 (set ``MICROGRAD_EXT_DEBUG=1`` to get the traceback instead);
* a closed pipe (``micrograd-ext verify | head``) into a quiet exit with status 141,
  as a shell tool killed by ``SIGPIPE`` ends (nothing more is written to the pipe);
* Ctrl-C into ``interrupted`` and status 130.

:class:`Parser` is ``argparse.ArgumentParser`` whose usage errors are one line too
(``micrograd-ext draw: --samples: invalid int value: 'x' (see --help)``, status 2).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import NoReturn

__all__ = ["Parser", "run", "fail"]

#: Errors that are the user's input, not the program's fault: shown without their type.
_EXPECTED = (OSError, ValueError, TypeError, IndexError, ArithmeticError)


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def fail(prog: str, message: str, status: int = 2) -> NoReturn:
    """Stop the command with one line on stderr and ``status`` (2: options that do not fit together)."""
    print(f"{prog}: {_one_line(message)}", file=sys.stderr)
    raise SystemExit(status)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (a test's capture): nothing to flush
        pass


def run(prog: str, body: Callable[[], int | None]) -> int:
    """Run ``body`` as the command ``prog``; return its exit status (never raise, except ``SystemExit``)."""
    try:
        status = int(body() or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
        return status
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except SystemExit as e:  # argparse (--help, usage errors), fail(), or SystemExit("message")
        if e.code is None or isinstance(e.code, int):
            return int(e.code or 0)
        print(_one_line(str(e.code)), file=sys.stderr)
        return 1
    except Exception as e:
        if os.environ.get("MICROGRAD_EXT_DEBUG"):
            raise
        if isinstance(e, _EXPECTED) or type(e).__module__.startswith("micrograd_ext"):
            print(f"{prog}: {_one_line(str(e)) or type(e).__name__}", file=sys.stderr)
        else:
            print(f"{prog}: internal error, {type(e).__name__}: {_one_line(str(e))} "
                  "(set MICROGRAD_EXT_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1
