"""``micrograd-ext draw --what backward``: the backward pass step by step, as a page, a GIF or numbered frames.

Examples::

    micrograd-ext draw --what backward --expression            # backward.html: L = (x*y + x)*y
    micrograd-ext draw --what backward                         # the iris net on one row (Figure 3's graph)
    micrograd-ext draw --what backward --format gif --expression --out pass.gif
    micrograd-ext draw --what backward --format svg --sizes 2,3,1 --out frames   # frames/frame_000.svg ...

``--format html`` (the default) writes the self-contained player of
:func:`micrograd_ext.viz.backward_html` (it needs no Graphviz: without ``dot`` it uses
its own layout and says so); ``gif`` an animated GIF (Graphviz and Pillow); ``svg`` /
``png`` one numbered file per frame into the folder ``--out`` (default
``backward_frames``), ``gv`` their DOT source.  The graph is the README's expression
(``--expression``) or the net of ``micrograd-ext draw`` (the iris net 4-8-3 on
``--samples`` rows, or ``--sizes``).
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["run", "expression"]

FORMATS = ("html", "gif", "svg", "png", "gv")


def expression() -> Any:
    """The README's worked example: ``L = (x*y + x)*y`` at ``x = 3``, ``y = -2``."""
    from ..core.value import Value

    x = Value(3.0, label="x")
    y = Value(-2.0, label="y")
    u = x * y
    u.label = "u"
    v = u + x
    v.label = "v"
    L = v * y
    L.label = "L"
    return L


def _fail(msg: str, code: int = 1) -> int:
    print(f"micrograd-ext draw: {msg}", file=sys.stderr)
    return code


def run(args: Any, build_net: Any) -> int:
    """Carry out ``draw --what backward`` for the parsed ``args`` (``build_net`` makes the net's graph)."""
    from .. import diagrams as viz

    fmt = (args.format or "").lower()
    if not fmt:
        ext = os.path.splitext(args.out)[1].lstrip(".").lower() if args.out else ""
        fmt = ext if ext in FORMATS else "html"
    if fmt not in FORMATS:
        return _fail(f"--what backward --format {fmt} (expected one of {', '.join(FORMATS)}: a page, a GIF, "
                     f"or numbered frames)", 2)
    if getattr(args, "expression", False):
        root, name = expression(), "L = (x*y + x)*y"
    else:
        sizes = args.sizes_list
        _, root = build_net(sizes, args.samples, args.seed)
        name = ("iris net 4-8-3" if sizes is None else "net " + "-".join(map(str, sizes))) + \
               f", {args.samples} sample(s)"
    rec = viz.backward_steps(root)
    states = rec.frame_states()
    print(f"backward pass of {name}: {len(rec)} steps, {len(rec.nodes)} nodes, {len(states)} frames")
    limit = {} if args.max_nodes is None else {"max_nodes": args.max_nodes}
    try:
        if fmt == "html":
            out = args.out or "backward.html"
            rec.html(out, title=f"Backward pass of {name}", **limit)
            if not viz.have_dot():
                print("Graphviz's 'dot' is not installed: the page uses micrograd_ext's own layout")
            print(f"wrote {out}  (open it in a browser: it needs no server and no network)")
            return 0
        if fmt == "gif":
            out = args.out or "backward.gif"
            rec.gif(out)
            print(f"wrote {out}")
            return 0
        folder = args.out or "backward_frames"
        if folder.lower().endswith("." + fmt):
            folder = folder[: -len(fmt) - 1]
        try:
            paths = rec.save_frames(folder, format=fmt)
        except viz.DotNotFoundError as e:
            paths = rec.save_frames(folder, format="gv")
            _fail(str(e))
            print(f"wrote the DOT source of the {len(paths)} frames instead: {paths[0]} ... {paths[-1]} (render one "
                  f"later with: neato -n2 -T{fmt} {paths[0]} -o frame.{fmt})")
            return 1
        print(f"wrote {len(paths)} frames: {paths[0]} ... {paths[-1]}")
        return 0
    except viz.DotNotFoundError as e:
        return _fail(f"{e} (--format html needs no Graphviz)")
    except ImportError as e:
        return _fail(str(e))
    except (viz.GraphTooLargeError, ValueError, OSError) as e:
        return _fail(str(e))
