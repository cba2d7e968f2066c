"""Writing files: the one helper every writer of the package goes through.

:meth:`Module.save <micrograd_ext.nets.module.Module.save>`, :func:`micrograd_ext.diagrams.save`,
the tour's figures and loss curve and ``micrograd-ext draw`` all write with
:func:`write_bytes`, after :func:`output_format` has taken the file's format from its
suffix (or refused it).  So every one of them

* refuses a format it cannot write instead of writing, say, SVG bytes into ``foo.jpg``;
* creates the missing folders, and when it cannot (a path component is a file, the
  folder is not writable) raises an :class:`OSError` of the usual kind
  (``NotADirectoryError``, ``PermissionError``, ``IsADirectoryError``) whose message
  names the writer, the path and the reason, in one line;
* writes to a temporary file in the target folder and renames it over the target, so
  a failed write leaves no half-written file and an existing file unchanged.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence

from ._checks import path as _path_arg

__all__ = ["output_format", "ensure_folder", "write_bytes", "resolve"]


def resolve(path: str | os.PathLike, base: str | os.PathLike | None = None) -> str:
    """``path`` made absolute against ``base`` (the current folder when ``None``); an absolute path is kept."""
    p = os.path.expanduser(os.fspath(path))
    if os.path.isabs(p):
        return os.path.normpath(p)
    return os.path.normpath(os.path.join(os.fspath(base) if base is not None else os.getcwd(), p))


def output_format(path: str | os.PathLike, where: str, formats: Sequence[str], *, default: str | None = None,
                  aliases: dict[str, str] | None = None, format: str | None = None) -> tuple[str, str]:
    """``(path, format)``: the format given, else the one of ``path``'s suffix; refuse any other.

    ``formats`` are the formats the writer can produce (``('svg', 'png', 'pdf', 'gv')``);
    ``aliases`` maps other suffixes to them (``{'dot': 'gv'}``); a path without a suffix
    gets ``default`` (and the suffix is added) or is refused when there is none.
    A ``format`` that disagrees with the suffix is refused too (``--out a.png --format svg``).
    """
    text = _path_arg(path, where)
    if os.path.isdir(text):
        raise IsADirectoryError(f"{where}: cannot write {text!r}: it is a folder (expected the path of a file)")
    aliases = aliases or {}
    suffix = os.path.splitext(text)[1].lstrip(".").lower()
    known = ", ".join("." + f for f in [*formats, *aliases])
    if format is not None:
        fmt = aliases.get(str(format).lower(), str(format).lower())
        if fmt not in formats:
            raise ValueError(f"{where}: format {format!r} (expected one of {', '.join(formats)})")
        if suffix and aliases.get(suffix, suffix) != fmt:
            raise ValueError(f"{where}: format {fmt!r} for the file {text!r}, whose suffix says "
                             f"{aliases.get(suffix, suffix)!r} (give a file name ending in .{fmt}, or leave out the format)")
        if not suffix:
            text += "." + fmt
        return text, fmt
    if not suffix:
        if default is None:
            raise ValueError(f"{where}: {text!r} has no suffix (expected a file name ending in one of {known})")
        return text + "." + default, default
    fmt = aliases.get(suffix, suffix)
    if fmt not in formats:
        raise ValueError(f"{where}: cannot write {text!r}: format {suffix!r} is not one this writes "
                         f"(expected a file name ending in one of {known})")
    return text, fmt


def _first_file_on(folder: str) -> str | None:
    """The nearest existing ancestor of ``folder`` (itself included) that is not a folder, if any."""
    p = folder
    while p and not os.path.exists(p):
        parent = os.path.dirname(p)
        if parent == p:
            return None
        p = parent
    return p if p and not os.path.isdir(p) else None


def ensure_folder(folder: str | os.PathLike, where: str) -> str:
    """Create ``folder`` (and its parents) if needed; a one-line :class:`OSError` when it cannot be."""
    text = _path_arg(folder, where, "folder", "a folder")
    if os.path.isdir(text):
        if not os.access(text, os.W_OK | os.X_OK):
            raise PermissionError(f"{where}: cannot write into the folder {text!r} "
                                  "(permission denied; expected a writable folder)")
        return text
    blocker = _first_file_on(text)
    if blocker is not None:
        raise NotADirectoryError(f"{where}: cannot create the folder {text!r}: {blocker!r} is a file, "
                                 "not a folder (expected a path whose folders are folders)")
    try:
        os.makedirs(text, exist_ok=True)
    except PermissionError:
        raise PermissionError(f"{where}: cannot create the folder {text!r} (permission denied; "
                              "expected a writable place)") from None
    except OSError as e:
        raise type(e)(f"{where}: cannot create the folder {text!r} ({e.strerror})") from None
    return text


def write_bytes(path: str | os.PathLike, data: bytes | str, where: str) -> str:
    """Write ``data`` (``str`` as UTF-8) to ``path``, creating its folder; returns the path as given.

    Written to a temporary file beside the target, then renamed over it: on any error
    nothing is left behind and an existing file is unchanged.
    """
    text = _path_arg(path, where)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if os.path.isdir(text):
        raise IsADirectoryError(f"{where}: cannot write {text!r}: it is a folder "
                                "(expected the path of a file)")
    folder = os.path.dirname(text) or "."
    ensure_folder(folder, where)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    except OSError as e:
        raise type(e)(f"{where}: cannot write {text!r} ({e.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, text)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise type(e)(f"{where}: cannot write {text!r} ({e.strerror})") from None
    return text


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
