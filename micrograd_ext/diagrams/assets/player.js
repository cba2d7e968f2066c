/* The backward-pass player of micrograd_ext (micrograd_ext/diagrams/player.py).
 * It shows numbers the engine recorded; it computes no gradient itself.
 * BackpropPlayer.init(rootElement, {keys: "document" | "element"}) returns the API
 * that the page stores as window.backprop: frames, goto(k), step(), back(), first(),
 * last(), play(), pause(), frame, grads(), select(name), nodes, steps. */
(function () {
  "use strict";
  if (window.BackpropPlayer) { return; }
  var NODE_CLASS = ["bp-unknown", "bp-partial", "bp-final"];
  var EDGE_CLASS = ["bp-pending", "bp-active", "bp-done", "bp-zero"];

  function num(v) {  // non-finite floats travel as strings
    if (typeof v === "string") { return Number(v); }
    if (Array.isArray(v)) { return v.map(num); }
    return v;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function setClass(e, all, one) {
    for (var i = 0; i < all.length; i++) { e.classList.toggle(all[i], all[i] === one); }
  }

  function init(root, opts) {
    opts = opts || {};
    var data = JSON.parse(root.querySelector("script.bp-data").textContent);
    var N = data.nodes.length, E = data.edges.length, F = data.frames.length;
    // the state of every frame, from the frames' changes
    var nodeSt = [], nodeCnt = [], edgeSt = [];
    var ns = [], nc = [], es = [], i, f;
    for (i = 0; i < N; i++) { ns.push(0); nc.push(0); }
    for (i = 0; i < E; i++) { es.push(0); }
    for (f = 0; f < F; f++) {
      var fr = data.frames[f];
      fr.n.forEach(function (c) { ns[c[0]] = c[1]; nc[c[0]] = c[2]; });
      fr.e.forEach(function (c) { es[c[0]] = c[1]; });
      nodeSt.push(ns.slice()); nodeCnt.push(nc.slice()); edgeSt.push(es.slice());
    }
    var svg = root.querySelector("svg.bp-svg");
    var nodeEls = [], edgeEls = [], gradEls = [];
    root.querySelectorAll(".bp-node").forEach(function (g) {
      nodeEls[+g.getAttribute("data-i")] = g;
    });
    root.querySelectorAll(".bp-edge").forEach(function (g) { edgeEls[+g.getAttribute("data-e")] = g; });
    for (i = 0; i < N; i++) { gradEls[i] = nodeEls[i].querySelector(".bp-g"); }
    var label = svg.querySelector(".bp-label");
    var labelText = label.querySelector("text"), labelRect = label.querySelector("rect");
    var caption = root.querySelector(".bp-caption");
    var controls = root.querySelector(".bp-controls");
    var scrub = root.querySelector(".bp-scrub");
    var count = root.querySelector(".bp-count");
    var playBtn = root.querySelector(".bp-play");
    var speed = root.querySelector(".bp-speed");
    var panel = root.querySelector(".bp-panel");
    var tip = root.querySelector(".bp-tip");
    var rows = root.querySelectorAll(".bp-steps tr[data-s]");
    var current = F - 1, timer = null, selected = -1;

    function gradShown(k, n) {
      var s = nodeSt[k][n];
      if (s === 0) { return null; }
      if (s === 2) { return num(data.nodes[n].fin); }
      return num(data.nodes[n].vals[nodeCnt[k][n]]);
    }
    function gradText(k, n) {
      var s = nodeSt[k][n], nd = data.nodes[n];
      if (s === 0) { return "grad ?"; }
      if (s === 2) { return nd.final; }
      return nd.texts[Math.min(nodeCnt[k][n], nd.texts.length - 1)];
    }

    function render(k, follow) {
      current = k;
      var fr = data.frames[k];
      var st = fr.step >= 0 ? data.steps[fr.step] : null;
      for (var n = 0; n < N; n++) {
        setClass(nodeEls[n], NODE_CLASS, NODE_CLASS[nodeSt[k][n]]);
        nodeEls[n].classList.toggle("bp-sender", !!st && st.node === n);
        nodeEls[n].classList.toggle("bp-receiver", !!st && st.parent === n);
        gradEls[n].textContent = gradText(k, n);
      }
      for (var e = 0; e < E; e++) { setClass(edgeEls[e], EDGE_CLASS, EDGE_CLASS[edgeSt[k][e]]); }
      if (st) {
        var p = data.labelPos[st.edge];
        labelText.textContent = st.label;
        labelText.setAttribute("x", p[0]);
        labelText.setAttribute("y", p[1] + 4);
        label.setAttribute("visibility", "visible");
        var w = labelText.getComputedTextLength ? labelText.getComputedTextLength() : st.label.length * 7;
        labelRect.setAttribute("x", p[0] - w / 2 - 4);
        labelRect.setAttribute("y", p[1] - 9);
        labelRect.setAttribute("width", w + 8);
        labelRect.setAttribute("height", 18);
        edgeEls[st.edge].parentNode.appendChild(edgeEls[st.edge]);  // the active edge on top of the others
      } else {
        label.setAttribute("visibility", "hidden");
      }
      caption.textContent = fr.caption;
      scrub.value = k;
      count.textContent = "frame " + k + " of " + (F - 1);
      rows.forEach(function (r) { r.classList.toggle("bp-current", +r.getAttribute("data-s") === fr.step); });
      if (selected >= 0) { showPanel(selected); }
      if ((follow || timer !== null) && st && opts.follow !== false) {
        var a = edgeEls[st.edge];
        if (a.scrollIntoView) { a.scrollIntoView({block: "nearest", inline: "nearest"}); }
      }
      return k;
    }
    function goto(k, follow) {
      k = Math.max(0, Math.min(F - 1, Math.round(Number(k) || 0)));
      return render(k, follow);
    }
    function step(follow) { return goto(current + 1, follow); }
    function back(follow) { return goto(current - 1, follow); }
    function pause() {
      if (timer !== null) { clearInterval(timer); timer = null; }
      playBtn.textContent = "▶ play";
      playBtn.setAttribute("aria-label", "play");
      return current;
    }
    function play() {
      if (timer !== null) { return current; }
      if (current >= F - 1) { goto(0); }
      playBtn.textContent = "⏸ pause";
      playBtn.setAttribute("aria-label", "pause");
      timer = setInterval(function () {
        if (current >= F - 1) { pause(); } else { step(); }
      }, Number(speed.value) || 1000);
      return current;
    }

    // -- the node panel: the engine's sum and the chain-rule paths ---------------------------
    function showPanel(n) {
      selected = n;
      nodeEls.forEach(function (g, j) { g.classList.toggle("bp-selected", j === n); });
      var nd = data.nodes[n], pd = nd.panel, k = current;
      var doneStep = data.frames[k].step;  // steps up to this one are in (-1: none yet, or all at the end)
      var kind = data.frames[k].kind;
      panel.textContent = "";
      var wasHidden = panel.hidden;
      panel.hidden = false;
      if (wasHidden) { applyZoom(); }
      var close = el("button", "bp-close", "×");
      close.type = "button";
      close.setAttribute("aria-label", "close");
      close.addEventListener("click", function () { hidePanel(); });
      panel.appendChild(close);
      panel.appendChild(el("h3", null, pd.lhs + " = " + pd.gradText));
      panel.setAttribute("data-key", nd.key);
      panel.setAttribute("data-grad", String(num(pd.grad)));
      var shown = gradShown(k, n);
      panel.appendChild(el("p", null, "In this frame the page shows " +
        (shown === null ? "?" : gradText(k, n).replace(/^grad /, "")) + "."));
      if (pd.root) {
        panel.appendChild(el("p", null, "The root: its gradient is the seed, " + pd.gradText + "."));
      } else {
        panel.appendChild(el("h4", null, "The engine's sum: one term per edge out of " + nd.key));
        var ul = el("ul", "bp-terms");
        if (pd.prior) { ul.appendChild(el("li", "bp-in", "before: " + pd.prior)); }
        pd.terms.forEach(function (t) {
          var arrived = kind === "done" || (doneStep >= 0 && t.step <= doneStep);
          var li = el("li", arrived ? "bp-in" : "bp-wait", t.text + (arrived ? "" : "   (not yet)"));
          ul.appendChild(li);
        });
        pd.silent.forEach(function (t) { ul.appendChild(el("li", "bp-in", t)); });
        panel.appendChild(ul);
        panel.appendChild(el("p", null, "with every term in: " + pd.gradText + " = " + nd.key + ".grad"));
      }
      var P = pd.paths;
      panel.appendChild(el("h4", null, "The chain-rule paths from " + data.root + " (a sum of products)"));
      if (P.rows) {
        var ol = el("ol", "bp-paths");
        P.rows.forEach(function (r) {
          var li = el("li", "bp-path");
          li.setAttribute("data-product", String(num(r.product)));
          li.appendChild(el("span", "bp-route", r.route));
          li.appendChild(document.createElement("br"));
          li.appendChild(document.createTextNode(r.partials + " = " + r.factors + " = " + r.productText));
          ol.appendChild(li);
        });
        panel.appendChild(ol);
        var sum = el("p", "bp-paths-sum");
        sum.setAttribute("data-sum", String(num(P.sum)));
        sum.setAttribute("data-grad", String(num(P.grad)));
        sum.appendChild(document.createTextNode("sum of the " + P.rows.length + " product" +
          (P.rows.length === 1 ? "" : "s") + " = " + P.sumText + "; " + nd.key + ".grad from backward() = " +
          P.gradText + " "));
        sum.appendChild(el("span", P.ok ? "bp-ok" : "bp-bad", P.ok ? "✓ equal" : "✗ different"));
        sum.appendChild(document.createTextNode(" (|difference| " + P.diffText + ")"));
        panel.appendChild(sum);
      }
      if (P.note) { panel.appendChild(el("p", "bp-note-small", P.note)); }
      highlightPaths(n);
    }
    function highlightPaths(n) {
      // the edges on some path from the root to n: those between nodes that reach n and are reached from the root
      var reach = [];
      for (var j = 0; j < N; j++) { reach.push(j === n); }
      var changed = true;
      while (changed) {
        changed = false;
        for (var e = 0; e < E; e++) {
          var d = data.edges[e];
          if (reach[d.from] && !reach[d.to]) { reach[d.to] = true; changed = true; }
        }
      }
      for (var e2 = 0; e2 < E; e2++) {
        var d2 = data.edges[e2];
        edgeEls[e2].classList.toggle("bp-path", n >= 0 && reach[d2.from] && reach[d2.to]);
      }
    }
    function hidePanel() {
      selected = -1;
      panel.hidden = true;
      applyZoom();
      nodeEls.forEach(function (g) { g.classList.remove("bp-selected"); });
      highlightPaths(-1);
    }
    function select(name) {
      for (var j = 0; j < N; j++) {
        if (data.nodes[j].key === name) { showPanel(j); return true; }
      }
      return false;
    }

    // -- edge tooltips -----------------------------------------------------------------------
    function edgeTip(e) {
      var d = data.edges[e], s = edgeSt[current][e];
      var lines = [d.head, "local derivative: " + d.local];
      if (d.step >= 0) {
        var st = data.steps[d.step];
        if (s === 0) { lines.push("step " + (d.step + 1) + ", not yet carried"); }
        else { lines.push("step " + (d.step + 1) + (s === 1 ? " (this one)" : "") + ": " + st.label); }
      } else if (s === 3) {
        lines.push("carries nothing: the gradient above it is 0");
      } else {
        lines.push("no step yet");
      }
      return lines.join("\n");
    }
    edgeEls.forEach(function (g, e) {
      var t = g.querySelector("title");
      if (t) { g.setAttribute("data-title", t.textContent); t.parentNode.removeChild(t); }
      g.addEventListener("mouseenter", function () { tip.textContent = edgeTip(e); tip.hidden = false; });
      g.addEventListener("mousemove", function (ev) {
        tip.style.left = (ev.clientX + 14) + "px";
        tip.style.top = (ev.clientY + 12) + "px";
      });
      g.addEventListener("mouseleave", function () { tip.hidden = true; });
    });
    nodeEls.forEach(function (g, n) {
      g.addEventListener("click", function () { root.focus({preventScroll: true}); showPanel(n); });
      g.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter") { ev.preventDefault(); showPanel(n); }
      });
    });

    // -- controls ----------------------------------------------------------------------------
    root.querySelector(".bp-first").addEventListener("click", function () { pause(); goto(0); });
    root.querySelector(".bp-back").addEventListener("click", function () { pause(); back(true); });
    root.querySelector(".bp-step").addEventListener("click", function () { pause(); step(true); });
    root.querySelector(".bp-last").addEventListener("click", function () { pause(); goto(F - 1); });
    playBtn.addEventListener("click", function () { if (timer === null) { play(); } else { pause(); } });
    scrub.addEventListener("input", function () { pause(); goto(scrub.value); });
    var zoom = root.querySelector(".bp-zoom");
    var W0 = +svg.getAttribute("width"), H0 = +svg.getAttribute("height");
    function applyZoom() {
      var z = zoom.value, box = root.querySelector(".bp-canvas");
      var s = z === "fit" ? Math.min(1.5, (box.clientWidth - 4) / W0) : Number(z);
      if (!(s > 0)) { s = 1; }
      svg.setAttribute("width", Math.round(W0 * s));
      svg.setAttribute("height", Math.round(H0 * s));
    }
    zoom.addEventListener("change", applyZoom);
    window.addEventListener("resize", applyZoom);
    applyZoom();
    speed.addEventListener("change", function () { if (timer !== null) { pause(); play(); } });
    root.querySelectorAll(".bp-steps button[data-frame]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { pause(); goto(+b.getAttribute("data-frame")); });
    });
    function onKey(ev) {
      var t = ev.target && ev.target.tagName;
      if (t === "INPUT" && ev.target.type !== "range") { return; }
      if (t === "SELECT" || t === "TEXTAREA") { return; }
      if (ev.key === "ArrowRight") { pause(); step(true); }
      else if (ev.key === "ArrowLeft") { pause(); back(true); }
      else if (ev.key === " " || ev.key === "Spacebar") { if (timer === null) { play(); } else { pause(); } }
      else if (ev.key === "Home") { pause(); goto(0); }
      else if (ev.key === "End") { pause(); goto(F - 1); }
      else if (ev.key === "Escape") { hidePanel(); return; }
      else { return; }
      ev.preventDefault();
    }
    (opts.keys === "document" ? document : root).addEventListener("keydown", onKey);
    controls.hidden = false;

    var api = {
      frames: data.frames.map(function (fr) { return {kind: fr.kind, caption: fr.caption, step: fr.step}; }),
      nodes: data.nodes.map(function (nd) { return nd.key; }),
      steps: data.steps,
      goto: function (k) { return goto(k); },
      step: function () { return step(); },
      back: function () { return back(); },
      play: play, pause: pause,
      first: function () { return goto(0); },
      last: function () { return goto(F - 1); },
      select: select,
      grads: function () {
        var out = {};
        for (var n = 0; n < N; n++) { out[data.nodes[n].key] = gradShown(current, n); }
        return out;
      }
    };
    Object.defineProperty(api, "frame", {get: function () { return current; }, enumerable: true});
    Object.defineProperty(api, "playing", {get: function () { return timer !== null; }, enumerable: true});
    goto(0);  // with JavaScript the lesson starts before the first step; without it, the page shows the end
    root.setAttribute("data-ready", "1");
    if (window.performance && performance.now) { api.readyMs = performance.now(); }
    return api;
  }

  window.BackpropPlayer = {init: init};
})();
