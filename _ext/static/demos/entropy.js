/* Chapter 1: the binary entropy function h(p) of a coin with P(heads) = p.
 * Left: the coin's distribution; right: h(p) in bits with the coin marked. The numbers are
 * computed as ganbook.divergences.entropy([p, 1 - p], base=2) computes them.
 * Handle: window.ganbook.entropy.set(p), .state() -> {p, bits, nats, lang}. */
(function () {
  "use strict";
  var ganbook = window.ganbook;

  /* entropy([p, 1 - p]) in nats: -sum of t log t over the nonzero entries */
  function coinEntropy(p) {
    var sum = 0;
    [p, 1 - p].forEach(function (t) { if (t > 0) sum += t * Math.log(t); });
    return -sum;
  }

  ganbook.register("entropy", function (root, api) {
    var X = api.explorers, t = api.t;
    var L = {
      slider: t({en: "P(heads)", ko: "P(앞면)"}),
      heads: t({en: "heads", ko: "앞면"}), tails: t({en: "tails", ko: "뒷면"}),
      probability: t({en: "probability", ko: "확률"}),
      coin: t({en: "coin with p = ", ko: "p = "}), coinEnd: t({en: "", ko: "인 동전"}),
      xlabel: t({en: "p = P(heads)", ko: "p = P(앞면)"}),
      ylabel: t({en: "entropy (bits)", ko: "엔트로피(비트)"}),
      title: t({en: "binary entropy function", ko: "이진 엔트로피 함수"}),
      bits: t({en: " bits", ko: "비트"}), nats: t({en: " nats", ko: "내트"})
    };
    var controls = api.el("div", root, {"class": "ganbook-demo__controls"});
    var input = api.slider(controls, {
      label: L.slider, min: 0, max: 1, step: 0.01, value: 0.2, name: "p",
      format: function (v) { return v.toFixed(2); },
      oninput: function () { draw(); }
    });
    var figures = api.el("div", root);
    var left = api.el("canvas", figures, {width: 200, height: 260});
    var right = api.el("canvas", figures, {width: 440, height: 260});
    var readout = api.el("div", root, {"class": "ganbook-demo__readout", "data-role": "readout"});
    var shown = X.readoutLine(readout, ["h(", {quantity: "p"}, ") = ", {quantity: "bits"},
                                        L.bits + " = ", {quantity: "nats"}, L.nats]);
    var shownP = shown.p, shownBits = shown.bits, shownNats = shown.nats;

    var grid = X.linspace(0, 1, 401), curve = new Float64Array(grid.length);
    for (var i = 0; i < grid.length; i++) curve[i] = coinEntropy(grid[i]) / Math.LN2;
    var current = {};

    function draw() {
      var p = Number(input.value), nats = coinEntropy(p), bits = nats / Math.LN2;
      current = {p: p, bits: bits, nats: nats, lang: api.lang()};
      // the coin's two outcomes as bars
      var a = api.plot(left, {xlim: [0, 2], ylim: [0, 1], title: " "});
      a.bars([0.2, 0.8], [p], {color: "#1f77b4"});
      a.bars([1.2, 1.8], [1 - p], {color: "#ff7f0e"});
      var y0 = a.toPx(0, 0)[1];
      a.ctx.fillStyle = "#fff";
      a.ctx.fillRect(a.toPx(0, 0)[0] - 8, y0 + 2, left.width, 17);  // x ticks -> outcome names
      a.ctx.fillStyle = "#222";
      a.ctx.font = X.font(11);
      a.ctx.textAlign = "center";
      a.ctx.fillText(L.heads, a.toPx(0.5, 0)[0], y0 + 14);
      a.ctx.fillText(L.tails, a.toPx(1.5, 0)[0], y0 + 14);
      X.labels(a, left, {title: L.coin + p.toFixed(2) + L.coinEnd, ylabel: L.probability});
      // h(p) with the coin marked
      var b = api.plot(right, {xlim: [0, 1], ylim: [0, 1.05], title: " "});
      b.line(grid, curve, {color: "#1f77b4"});
      b.points([p], [bits], {color: "#d62728", radius: 5});
      X.labels(b, right, {title: L.title, xlabel: L.xlabel, ylabel: L.ylabel});
      X.legend(b, right, [
        {label: "h(p)", color: "#1f77b4"},
        {label: "h(" + p.toFixed(2) + ") = " + bits.toFixed(3) + L.bits, color: "#d62728",
         marker: true}
      ]);
      shownP.textContent = p.toFixed(2);
      shownBits.textContent = bits.toFixed(6);
      shownNats.textContent = nats.toFixed(6);
    }
    draw();
    X.afterFonts(Object.keys(L).map(function (k) { return L[k]; }).join(""), draw);
    return {
      set: function (p) { X.move(input, p); return current; },
      state: function () { return current; },
      inputs: {p: input}
    };
  });
})();
