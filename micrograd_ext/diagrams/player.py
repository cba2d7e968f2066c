"""The backward pass as one self-contained HTML page: play, pause, step, scrub, click a node for its chain rule.

:func:`backward_html` records ``root``'s backward pass (:func:`.backward.backward_steps`)
and writes a single HTML file that needs nothing else: the drawing (an inline SVG
on the fixed layout of :mod:`.layout`), the recorded numbers (a JSON block), the
style sheet and the script are all inside it.  No CDN, no font, no image, no
``fetch``; a Content-Security-Policy of ``default-src 'none'`` makes the browser
refuse anything external anyway.  It opens from ``file://`` offline.

What the page offers:

* play / pause, step, step back, first / last, a scrubber, the speed; the arrow
  keys (``→`` step, ``←`` back), space (play/pause), Home / End;
* per frame a caption with the chain rule of the step (``∂L/∂u += ∂L/∂v × ∂v/∂u
  = (-2) × 1 = -2``), gradients not known yet drawn ``?``, ``+=`` sums filling up,
  the active edge labelled ``upstream × local = contribution``;
* a click on a node (or Enter on it) opens its panel: the engine's sum (one term per
  edge out of the node, the terms already in marked) and every chain-rule path from
  the root (Bondartsov 2019, eqs. (4) and (9)): each path's local derivatives, their
  product, the sum of the products, checked against ``.grad``;
* hovering an edge shows its local derivative (formula and number) and what it
  carried;
* with JavaScript off the page shows the final state (every gradient) and the
  table of steps.

Scripting (for tests, and for teachers who script a lesson) — ``window.backprop``:

``frames``
    the frames, each ``{kind, caption, step}`` (``kind``: ``'start'``, ``'seed'``,
    ``'step'``, ``'done'``; ``step``: the step's index or ``-1``);
``goto(k)``, ``step()``, ``back()``, ``first()``, ``last()``, ``play()``, ``pause()``
    move the player (``goto`` clamps ``k`` to the frames; each returns the frame shown);
``frame``
    the frame shown (a number);
``grads()``
    node name -> the gradient shown in this frame, as a number (the exact float,
    not the rounded text), or ``null`` where the page shows ``?``; a node's name is
    its label, else its id ``n7`` (a label used twice gets `` (n7)`` added);
``select(name)``
    opens a node's panel, as a click does; ``steps`` and ``nodes`` are the recorded data.

In Jupyter the same player is the display of the object :func:`backward_steps`
returns (:func:`player_fragment`); where the notebook does not run scripts (an
untrusted notebook, a static viewer) the final state shows.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import math
import os
from importlib import resources
from typing import Any

import numpy as np

from ..core.graph import op_name
from . import chain
from .backward import (
    LINE_HEIGHT,
    BackwardPass,
    FrameState,
    _sgn,
    backward_steps,
)
from .dot import DEFAULT_MAX_NODES, GraphTooLargeError, _fmt, have_dot
from .dot import op_name as op_display
from .layout import Layout, _n

__all__ = ["backward_html", "player_html", "player_fragment", "PATHS_LISTED"]

#: A node's panel lists its chain-rule paths up to this many (it counts them beyond).
PATHS_LISTED = 48

_STATUS = {"unknown": 0, "partial": 1, "final": 2}
_EDGE = {"pending": 0, "active": 1, "done": 2, "zero": 3}
_counter = itertools.count()


def _asset(name: str) -> str:
    return resources.files("micrograd_ext.diagrams").joinpath("assets", name).read_text(encoding="utf-8")


def backward_html(root: Any, path: str | None = None, *, layout: str = "auto", title: str | None = None,
                  max_nodes: int | None = DEFAULT_MAX_NODES) -> str:
    """Record ``root``'s backward pass and return the player as one self-contained HTML page.

    ``path``: also write it there (UTF-8).  ``layout``: ``'dot'`` (Graphviz), ``'layered'``
    (our own, no program needed) or ``'auto'`` (``dot`` when installed; the page says
    which).  Refuses graphs of more than ``max_nodes`` nodes
    (:class:`~micrograd_ext.diagrams.dot.GraphTooLargeError`).  See the module's
    documentation for the page and its ``window.backprop`` interface.
    """
    rec = backward_steps(root)
    return player_html(rec, path, layout=layout, title=title, max_nodes=max_nodes)


def player_html(rec: BackwardPass, path: str | None = None, *, layout: str = "auto", title: str | None = None,
                max_nodes: int | None = DEFAULT_MAX_NODES) -> str:
    """The page for an already recorded pass (``rec.html(...)``)."""
    uid = "bp-page"
    body = _player_markup(rec, uid, layout=layout, title=title, max_nodes=max_nodes, heading="h1")
    page = (_asset("player.html")
            .replace("__TITLE__", html.escape(title or f"Backward pass of {rec.symbol(rec.root)}"))
            .replace("__CSS__", _asset("player.css"))
            .replace("__PLAYER__", body)
            .replace("__ID__", uid)
            .replace("__JS__", _asset("player.js")))
    if path is not None:
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
    return page


def player_fragment(rec: BackwardPass, *, layout: str = "auto", title: str | None = None,
                    max_nodes: int | None = DEFAULT_MAX_NODES) -> str:
    """The player as an HTML fragment for Jupyter (its own style sheet and script; keys work once it has focus).

    Its id comes from its content and a counter, so a notebook's outputs are the same
    in every fresh run.
    """
    try:
        data = _player_data(rec, rec.layout(layout), max_nodes)
    except GraphTooLargeError as e:
        return f"<pre>{html.escape(str(e))}</pre>"
    digest = hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:10]
    uid = f"bp-{digest}-{next(_counter)}"
    body = _player_markup(rec, uid, layout=layout, title=title, max_nodes=max_nodes, heading="div", data=data)
    return (f"<style>{_asset('player.css')}</style>\n{body}\n<script>{_asset('player.js')}\n"
            f"window.backprop = BackpropPlayer.init(document.getElementById({json.dumps(uid)}), "
            f"{{keys: 'element'}});</script>")


# ---------------------------------------------------------------------------
# Data for the script
# ---------------------------------------------------------------------------


def _jnum(x: Any) -> Any:
    """A float for JSON: exact (``repr`` round-trips), non-finite values as strings (``'NaN'``, ``'Infinity'``)."""
    if x is None:
        return None
    if isinstance(x, np.ndarray) or (hasattr(x, "shape") and not isinstance(x, float)):
        arr = np.asarray(x, dtype=float)
        if arr.size == 1:
            return _jnum(float(arr.reshape(-1)[0]))
        if arr.size <= 16:
            return [_jnum(float(v)) for v in arr.reshape(-1)] if arr.ndim == 1 else [_jnum(r) for r in arr]
        return {"shape": list(arr.shape), "norm": _jnum(float(np.linalg.norm(arr)))}
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def _paths_data(rec: BackwardPass, node: Any) -> dict[str, Any]:
    """The chain-rule paths from the root to ``node`` as the panel shows them (Value graphs)."""
    R = rec.symbol(rec.root)
    me = rec.symbol(node)
    if rec.tensor:
        return {"note": "On a Tensor graph each edge is a vector-Jacobian product, not a number: the gradient is the "
                        "sum of the terms above (one per edge out of the node), not a sum of scalar path products."}
    n = chain.count_paths(rec.root, node)
    out: dict[str, Any] = {"count": n, "lhs": f"∂{R}/∂{me}"}
    if n > PATHS_LISTED:
        out["note"] = (f"{n} paths lead from {R} to {me}: too many to list here; their products add up to the "
                       f"gradient (chain.count_paths counts them, chain.paths(root, node, limit=None) lists them).")
        return out
    ps = chain.paths(rec.root, node, limit=None)
    rows = []
    for p in ps:
        syms = [rec.symbol(m) for m in p.nodes]
        partials = [f"∂{syms[k]}/∂{syms[k + 1]}" for k in range(len(p.edges))]
        rows.append({
            "route": " → ".join(syms),
            "partials": " × ".join(partials) if partials else "1",
            "factors": " × ".join(_sgn(f) for f in p.factors) if p.factors else "1",
            "product": _jnum(p.product),
            "productText": _fmt(p.product, 6),
        })
    grad = float(rec.grad(node))
    total = ps.total
    diff = abs(total - grad)
    ok = diff <= 1e-12 * max(1.0, abs(grad))
    out.update(rows=rows, sum=_jnum(total), sumText=_fmt(total, 10), grad=_jnum(grad), gradText=_fmt(grad, 10),
               ok=ok, diffText=f"{diff:.1e}")
    return out


def _panel_data(rec: BackwardPass, i: int) -> dict[str, Any]:
    node = rec.nodes[i]
    R, me = rec.symbol(rec.root), rec.symbol(node)
    terms = []
    for si in rec.terms[i]:
        s = rec[si]
        c = rec.symbol(s.node)
        if rec.tensor or s.local is None:
            text = f"from {c}: vjp of ∂{R}/∂{c} [{s.formula or 'vjp'}] = {rec.number(s.contribution)}"
        else:
            text = f"from {c}: ∂{R}/∂{c} × ∂{c}/∂{me} = {_sgn(s.upstream)} × {_sgn(s.local)} = {_fmt(s.contribution)}"
        terms.append({"step": si, "text": text})
    silent = []
    for ei, e in enumerate(rec.edges):
        if e.parent is node and ei not in rec.edge_step:
            silent.append(f"from {rec.symbol(e.node)}: nothing (∂{R}/∂{rec.symbol(e.node)} = 0, so the engine skips "
                          f"its edges)")
    prior = rec.start[node]
    out: dict[str, Any] = {
        "lhs": f"∂{R}/∂{me}",
        "grad": _jnum(rec.grad(node)),
        "gradText": rec.number(rec.grad(node), 10 if not rec.tensor else 4),
        "terms": terms,
        "silent": silent,
        "root": node is rec.root,
        "paths": _paths_data(rec, node),
    }
    if node is not rec.root and not rec._is_zero(prior):
        out["prior"] = f"{rec.number(prior)} (its .grad before this pass: leaves accumulate)"
    return out


def _player_data(rec: BackwardPass, lay: Layout, max_nodes: int | None) -> dict[str, Any]:
    if max_nodes is not None and len(rec.nodes) > max_nodes:
        raise GraphTooLargeError(
            f"backward_html: the graph has {len(rec.nodes)} nodes, more than max_nodes={max_nodes} (the page would be "
            f"unreadable). Build the graph on fewer samples, or pass max_nodes={len(rec.nodes)} to draw it anyway.")
    states = rec.frame_states()
    nodes = []
    for i, node in enumerate(rec.nodes):
        partial, final = rec.grad_texts(i)
        vals = [None] + [_jnum(rec[si].grad_after) for si in rec.terms[i]]
        nodes.append({"id": rec.ids[node], "key": rec.keys[i], "texts": partial, "final": final, "vals": vals,
                      "fin": _jnum(rec.grad(node)), "terms": rec.terms[i], "panel": _panel_data(rec, i)})
    edges = []
    for ei, e in enumerate(rec.edges):
        c, p = rec.symbol(e.node), rec.symbol(e.parent)
        n_in = len([x for x in rec.edges if x.node is e.node])
        where = f"input {e.index + 1} of {n_in} of {c} ({op_display(op_name(e.node))})"
        edges.append({"from": rec.index[e.parent], "to": rec.index[e.node], "step": rec.edge_step.get(ei, -1),
                      "head": f"∂{c}/∂{p}: {where}", "local": rec.local_text(ei)})
    steps = []
    for si, s in enumerate(rec):
        steps.append({"edge": rec.step_edge[si], "node": rec.index[s.node], "parent": rec.index[s.parent],
                      "index": s.index,
                      "up": _jnum(s.upstream), "local": _jnum(s.local) if s.local is not None else None,
                      "contrib": _jnum(s.contribution), "after": _jnum(s.grad_after),
                      "label": rec.product_text(si)})
    frames = []
    prev: FrameState | None = None
    for st in states:
        dn = [[i, _STATUS[st.status[i]], st.counts[i]] for i in range(len(rec.nodes))
              if prev is None or st.status[i] != prev.status[i] or st.counts[i] != prev.counts[i]]
        de = [[ei, _EDGE[st.edge_status[ei]]] for ei in range(len(rec.edges))
              if prev is None or st.edge_status[ei] != prev.edge_status[ei]]
        si = st.step.number if st.step is not None else -1
        frames.append({"kind": st.kind, "caption": st.caption, "step": si, "n": dn, "e": de})
        prev = st
    labels = {f"e{ei}": (r.label[0], r.label[1]) for ei, r in
              ((int(k[1:]), v) for k, v in lay.edges.items())}
    return {
        "version": 1,
        "root": rec.keys[rec.index[rec.root]],
        "tensor": rec.tensor,
        "layout": lay.engine,
        "nodes": nodes,
        "edges": edges,
        "steps": steps,
        "frames": frames,
        "labelPos": [[round(labels[f"e{ei}"][0], 2), round(labels[f"e{ei}"][1], 2)] for ei in range(len(rec.edges))],
    }


def _script_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


# ---------------------------------------------------------------------------
# Markup: the static page (the final state), which the script then animates
# ---------------------------------------------------------------------------


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def _svg(rec: BackwardPass, lay: Layout, st: FrameState) -> str:
    """The drawing in frame ``st`` (the page ships the last frame: what shows with JavaScript off)."""
    small = rec.local_labels
    W, H = math.ceil(lay.width), math.ceil(lay.height)
    out = [f'<svg class="bp-svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" '
           f'aria-label="{_e("computation graph of " + rec.symbol(rec.root))}">']
    out.append('<g class="bp-edges">')
    for ei, e in enumerate(rec.edges):
        r = lay.edges[f"e{ei}"]
        cls = f"bp-edge bp-{st.edge_status[ei]}"
        d = r.svg_path()
        tip = f"∂{rec.symbol(e.node)}/∂{rec.symbol(e.parent)} = {rec.local_text(ei)}"
        out.append(f'<g class="{cls}" data-e="{ei}"><title>{_e(tip)}</title><path class="bp-hit" d="{d}"/>'
                   f'<path class="bp-line" d="{d}"/><polygon class="bp-arrow" points="{r.arrow()}"/>')
        if small:
            out.append(f'<text class="bp-local" x="{_n(r.label[0])}" y="{_n(r.label[1] + 3.5)}">'
                       f'{_e(rec.local_text(ei))}</text>')
        out.append("</g>")
    out.append("</g>")
    out.append('<g class="bp-nodes">')
    for i, node in enumerate(rec.nodes):
        b = lay.nodes[rec.ids[node]]
        partial, final = rec.grad_texts(i)
        s = st.status[i]
        gtext = final if s == "final" else ("grad ?" if s == "unknown" else partial[st.counts[i]])
        x0, y0 = b.x - b.w / 2, b.y - b.h / 2
        top = y0 + (b.h - 3 * LINE_HEIGHT) / 2
        ys = [top + LINE_HEIGHT * (k + 0.78) for k in range(3)]
        key = rec.keys[i]
        out.append(
            f'<g class="bp-node bp-{s}" data-i="{i}" data-key="{_e(key)}" tabindex="0" role="button" '
            f'aria-label="{_e(key + ": show its chain rule")}">'
            f'<title>{_e(key)}: click for its chain-rule paths</title>'
            f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(b.w)}" height="{_n(b.h)}" rx="6"/>'
            f'<text class="bp-t" x="{_n(b.x)}" y="{_n(ys[0])}">{_e(rec.title(i))}</text>'
            f'<text class="bp-d" x="{_n(b.x)}" y="{_n(ys[1])}">{_e(rec.data_text(i))}</text>'
            f'<text class="bp-g" x="{_n(b.x)}" y="{_n(ys[2])}">{_e(gtext)}</text></g>')
    out.append("</g>")
    out.append('<g class="bp-label" visibility="hidden"><rect rx="3"/><text></text></g>')
    out.append("</svg>")
    return "".join(out)


def _steps_table(rec: BackwardPass) -> str:
    states = rec.frame_states()
    rows = []
    for si, s in enumerate(rec):
        rows.append(f'<tr data-s="{si}"><td>{si + 1}</td><td>{_e(rec.symbol(s.node))} → {_e(rec.symbol(s.parent))}'
                    f'</td><td>{_e(rec.product_text(si))}</td><td>{_e(rec.number(s.grad_after))}</td>'
                    f'<td><button type="button" data-frame="{si + 2}" hidden>show</button></td></tr>')
    R = rec.symbol(rec.root)
    return (f'<details class="bp-steps"><summary>The {len(rec)} steps (frame {2} to {len(states) - 2}), in the '
            f'order the engine takes them</summary><table><thead><tr><th>step</th><th>gradient flows</th>'
            f'<th>upstream × local = contribution</th><th>parent.grad after</th><th></th></tr></thead><tbody>'
            f'<tr><td>seed</td><td>{_e(R)}</td><td>∂{_e(R)}/∂{_e(R)}</td><td>{_e(rec.number(rec.seed))}</td><td></td>'
            f'</tr>{"".join(rows)}</tbody></table></details>')


_HELP = """<details class="bp-help"><summary>Keys, and scripting this page</summary>
<p><kbd>→</kbd> step, <kbd>←</kbd> back, <kbd>space</kbd> play / pause, <kbd>Home</kbd> / <kbd>End</kbd>
first / last frame. Click a node (or focus it and press <kbd>Enter</kbd>) for its chain rule; hover an edge for its
local derivative.</p>
<p>From the browser's console or a lesson script: <code>backprop.frames</code> (each <code>{kind, caption, step}</code>),
<code>backprop.goto(k)</code>, <code>backprop.step()</code>, <code>backprop.back()</code>, <code>backprop.play()</code>,
<code>backprop.pause()</code>, <code>backprop.frame</code> (the frame shown), <code>backprop.grads()</code> (node name
&rarr; the gradient shown, <code>null</code> where the page shows <code>?</code>), <code>backprop.select(name)</code>
(open a node's panel).</p></details>"""


def _player_markup(rec: BackwardPass, uid: str, *, layout: str, title: str | None, max_nodes: int | None,
                   heading: str, data: dict[str, Any] | None = None) -> str:
    lay = rec.layout(layout)
    if data is None:
        data = _player_data(rec, lay, max_nodes)
    states = rec.frame_states()
    last = states[-1]
    R = rec.symbol(rec.root)
    head = title or f"Backward pass of {R}"
    how = ("laid out by Graphviz dot" if lay.engine == "dot" else
           "laid out by micrograd_ext's own layered drawing" + ("" if have_dot() else
                                                               " (Graphviz's dot is not installed)"))
    sub = (f"{len(rec.nodes)} nodes, {len(rec.edges)} edges, {len(rec)} steps, {len(states)} frames; {how}. "
           f"Recorded from the engine's own backward pass.")
    controls = (
        '<div class="bp-controls" hidden>'
        '<button type="button" class="bp-first" title="first frame (Home)" aria-label="first frame">«</button>'
        '<button type="button" class="bp-back" title="step back (←)" aria-label="step back">‹ back</button>'
        '<button type="button" class="bp-play" title="play / pause (space)" aria-label="play">▶ play</button>'
        '<button type="button" class="bp-step" title="step (→)" aria-label="step">step ›</button>'
        '<button type="button" class="bp-last" title="last frame (End)" aria-label="last frame">»</button>'
        f'<input type="range" class="bp-scrub" min="0" max="{len(states) - 1}" value="{len(states) - 1}" '
        'aria-label="frame">'
        f'<span class="bp-count">frame {len(states) - 1} of {len(states) - 1}</span>'
        '<label class="bp-speed-l">speed <select class="bp-speed" aria-label="speed">'
        '<option value="2000">0.5×</option><option value="1000" selected>1×</option>'
        '<option value="500">2×</option><option value="200">5×</option></select></label>'
        '<label class="bp-zoom-l">zoom <select class="bp-zoom" aria-label="zoom">'
        '<option value="fit" selected>fit width</option><option value="0.5">50%</option>'
        '<option value="0.75">75%</option><option value="1">100%</option><option value="1.5">150%</option>'
        '</select></label>'
        '</div>')
    return (
        f'<div class="bp-player" id="{uid}" tabindex="-1">'
        f'<{heading} class="bp-title">{_e(head)}</{heading}><p class="bp-sub">{_e(sub)}</p>'
        '<noscript><p class="bp-note">JavaScript is off: this is the final state of the backward pass (every '
        'gradient); the table of steps below lists each step. The player needs JavaScript.</p></noscript>'
        f'{controls}'
        f'<p class="bp-caption" aria-live="polite">{_e(last.caption)}</p>'
        '<p class="bp-legend"><span class="bp-k bp-k-unknown">?</span> not known yet '
        '<span class="bp-k bp-k-partial">+=</span> sum filling up <span class="bp-k bp-k-final">✓</span> final '
        '<span class="bp-k bp-k-active">→</span> this step</p>'
        f'<div class="bp-main"><div class="bp-canvas">{_svg(rec, lay, last)}</div>'
        '<aside class="bp-panel" hidden aria-live="polite"></aside></div>'
        '<div class="bp-tip" hidden></div>'
        f'{_steps_table(rec)}{_HELP}'
        f'<script type="application/json" class="bp-data">{_script_json(data)}</script>'
        '</div>')

