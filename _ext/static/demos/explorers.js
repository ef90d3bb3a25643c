/* Shared helpers of the divergence explorers of chapters 1-3 (entropy.js, kl.js, js.js).
 *
 * Loaded before each of them with `:data: explorers.js`. Provides ganbook.explorers:
 * the Gaussian density and KL divergence computed as scipy/ganbook.divergences compute them,
 * canvas text in the page's font (Hangul on Korean pages comes from the book's web font, as
 * the core's plot labels, drawn in plain sans-serif, would not), and small DOM helpers.
 */
(function () {
  "use strict";
  var ganbook = window.ganbook = window.ganbook || {};
  if (ganbook.explorers) return;
  var SQRT_2PI = Math.sqrt(2 * Math.PI);
  var FAMILY = '"Nanum Gothic", sans-serif';  // Nanum Gothic covers Hangul only (CSS)

  function font(size) { return size + "px " + FAMILY; }

  /* scipy.stats.norm(mu, s).pdf(x): exp(-z^2 / 2) / sqrt(2 pi) / s with z = (x - mu) / s */
  function normalPdf(x, mu, s) {
    var z = (x - mu) / s;
    return Math.exp(-z * z / 2.0) / SQRT_2PI / s;
  }

  /* ganbook.divergences.gaussian_kl in nats:
   * KL(N(m1, a^2) || N(m2, b^2)) = log(b / a) + (a^2 + (m1 - m2)^2) / (2 b^2) - 1/2 */
  function gaussianKl(m1, a, m2, b) {
    return Math.log(b / a) + (a * a + (m1 - m2) * (m1 - m2)) / (2 * b * b) - 0.5;
  }

  /* numpy.linspace(start, stop, n): i * step + start, the last point exactly stop */
  function linspace(start, stop, n) {
    var out = new Float64Array(n), step = (stop - start) / (n - 1);
    for (var i = 0; i < n; i++) out[i] = i * step + start;
    out[n - 1] = stop;
    return out;
  }

  /* Title and axis labels in the page's font, on a plot made by ganbook.plot with
   * title " " (which reserves the space above the axes). */
  function labels(plot, canvas, o) {
    var ctx = plot.ctx, W = canvas.width, H = canvas.height;
    var left = 52, right = 12, top = 24, bottom = 40;
    ctx.save();
    ctx.fillStyle = "#222";
    ctx.textAlign = "center";
    ctx.font = font(12);
    if (o.title) ctx.fillText(o.title, left + (W - left - right) / 2, 15);
    if (o.xlabel) ctx.fillText(o.xlabel, left + (W - left - right) / 2, H - 6);
    if (o.ylabel) {
      ctx.translate(12, top + (H - top - bottom) / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(o.ylabel, 0, 0);
    }
    ctx.restore();
  }

  /* A legend in the top right (or top left with o.left) corner of the axes. */
  function legend(plot, canvas, items, o) {
    o = o || {};
    var ctx = plot.ctx, W = canvas.width;
    ctx.save();
    ctx.font = font(11);
    ctx.textAlign = "left";
    var width = 0;
    items.forEach(function (it) { width = Math.max(width, ctx.measureText(it.label).width); });
    var x = o.left ? 52 + 10 : W - 12 - 8 - width - 22, y = 24 + 14;
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.fillRect(x - 4, y - 12, width + 30, items.length * 15 + 4);
    items.forEach(function (it, i) {
      ctx.fillStyle = it.color;
      if (it.marker) {
        ctx.beginPath();
        ctx.arc(x + 7, y + i * 15 - 4, 3.5, 0, 2 * Math.PI);
        ctx.fill();
      } else {
        ctx.fillRect(x, y + i * 15 - 6, 14, 3);
      }
      ctx.fillStyle = "#222";
      ctx.fillText(it.label, x + 20, y + i * 15);
    });
    ctx.restore();
  }

  /* Redraw once the web font can draw `text` (Korean pages); never throws. */
  function afterFonts(text, redraw) {
    if (ganbook.lang() !== "ko" || !document.fonts || !document.fonts.load) return;
    document.fonts.load(font(12), text).then(redraw, function () {});
  }

  /* The read-out is monospace (ganbook.css); Hangul in it comes from the web font first. */
  function readoutFont(node) {
    var box = node.closest ? node.closest(".ganbook-demo__readout") : null;
    if (box) box.style.fontFamily = '"Nanum Gothic", var(--pst-font-family-monospace), monospace';
  }

  /* A line of the read-out: label, then numbers in <span data-quantity="..."> elements. */
  function quantity(parent, name) {
    readoutFont(parent);
    return ganbook.el("span", parent, {"data-quantity": name});
  }

  /* The labels of the Gaussian explorers (x, density, nats) in the page's language, with the
   * demo's own labels (an object: key -> text) added. */
  function densityLabels(own) {
    var L = {xlabel: "x", ylabel: ganbook.t({en: "density", ko: "밀도"}),
             nats: ganbook.t({en: " nats", ko: "내트"})};
    Object.keys(own).forEach(function (k) { L[k] = own[k]; });
    return L;
  }

  /* A read-out line from pieces, in order: a string is a <span> of text, {quantity: name} a
   * quantity's <span>; returns name -> that span. */
  function readoutLine(parent, pieces) {
    var shown = {};
    pieces.forEach(function (piece) {
      if (typeof piece === "string") ganbook.el("span", parent, null, piece);
      else shown[piece.quantity] = quantity(parent, piece.quantity);
    });
    return shown;
  }

  /* Set a slider made by ganbook.slider as a reader would: value, then an input event. */
  function move(input, value) {
    input.value = String(value);
    input.dispatchEvent(new Event("input", {bubbles: true}));
    return Number(input.value);
  }


  /* The four sliders of a pair of Gaussians p = N(mu1, s1^2), q = N(mu2, s2^2), with the
   * ranges of the notebooks' explorers; returns {mu1, s1, mu2, s2} -> <input>. */
  function pairSliders(parent, values, onchange) {
    var inputs = {};
    [["mu1", "\u03bc\u2081", -4, 4], ["s1", "\u03c3\u2081", 0.2, 3],
     ["mu2", "\u03bc\u2082", -4, 4], ["s2", "\u03c3\u2082", 0.2, 3]].forEach(function (d) {
      inputs[d[0]] = ganbook.slider(parent, {
        label: d[1], min: d[2], max: d[3], step: 0.1, value: values[d[0]], name: d[0],
        format: function (v) { return v.toFixed(1); }, oninput: onchange
      });
    });
    return inputs;
  }

  /* The layout shared by kl.js and js.js: the four sliders of a pair of Gaussians (values:
   * their initial settings), a 720x300 canvas and a read-out whose first line shows
   * KL(p||q) and KL(q||p) (units: nats, the page's word). Returns {inputs, canvas, line2,
   * shownPq, shownQp}; the caller writes its own second line into line2. */
  function pairLayout(root, values, onchange, nats) {
    var el = ganbook.el;
    var controls = el("div", root, {"class": "ganbook-demo__controls"});
    var inputs = pairSliders(controls, values, onchange);
    var canvas = el("canvas", root, {width: 720, height: 300});
    var readout = el("div", root, {"class": "ganbook-demo__readout", "data-role": "readout"});
    var line1 = el("div", readout), line2 = el("div", readout);
    var shown = readoutLine(line1, ["KL(p\u2016q) = ", {quantity: "kl_pq"},
                                    nats + ",  KL(q\u2016p) = ", {quantity: "kl_qp"}, nats]);
    return {inputs: inputs, canvas: canvas, line2: line2, shownPq: shown.kl_pq,
            shownQp: shown.kl_qp};
  }

  function readParams(inputs) {
    return {mu1: Number(inputs.mu1.value), s1: Number(inputs.s1.value),
            mu2: Number(inputs.mu2.value), s2: Number(inputs.s2.value)};
  }

  /* Move several sliders (an object name -> value), each as a reader would. */
  function moveAll(inputs, values) {
    Object.keys(values).forEach(function (k) {
      if (!inputs[k]) throw new Error("no slider " + k);
      move(inputs[k], values[k]);
    });
  }

  /* v.toFixed(digits) without the sign of a value that rounds to zero ("-0.000" -> "0.000") */
  function fixed(v, digits) {
    var text = v.toFixed(digits);
    return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
  }

  /* "N(0.0, 1.0²)" */
  function gaussianName(mu, s) { return "N(" + fixed(mu, 1) + ", " + fixed(s, 1) + "\u00b2)"; }

  ganbook.explorers = {
    font: font, normalPdf: normalPdf, gaussianKl: gaussianKl, linspace: linspace,
    labels: labels, legend: legend, afterFonts: afterFonts, quantity: quantity,
    readoutLine: readoutLine, move: move,
    pairSliders: pairSliders, pairLayout: pairLayout, densityLabels: densityLabels, fixed: fixed, readParams: readParams,
    moveAll: moveAll,
    gaussianName: gaussianName
  };
})();
