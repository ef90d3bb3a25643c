/* Chapter 2: two Gaussians p = N(mu1, s1^2) and q = N(mu2, s2^2) and the KL divergence in both
 * directions, by the closed form of ganbook.divergences.gaussian_kl (nats).
 * Handle: window.ganbook.kl.set({mu1, s1, mu2, s2}) (any subset), .state(). */
(function () {
  "use strict";
  var ganbook = window.ganbook;

  ganbook.register("kl", function (root, api) {
    var X = api.explorers, t = api.t;
    var L = X.densityLabels({
      note: t({en: "asymmetry KL(p‖q) − KL(q‖p) = ", ko: "비대칭 KL(p‖q) − KL(q‖p) = "})
    });
    var layout = X.pairLayout(root, {mu1: 0.0, s1: 1.0, mu2: 2.0, s2: 0.5},
                              function () { draw(); }, L.nats);
    var inputs = layout.inputs, canvas = layout.canvas, line2 = layout.line2;
    var shownPq = layout.shownPq, shownQp = layout.shownQp;
    var shownDiff = X.readoutLine(line2, [L.note, {quantity: "difference"}, L.nats])
      .difference;

    var xs = X.linspace(-8, 8, 801), current = {};

    function draw() {
      var v = X.readParams(inputs);
      var pq = X.gaussianKl(v.mu1, v.s1, v.mu2, v.s2), qp = X.gaussianKl(v.mu2, v.s2, v.mu1, v.s1);
      current = {params: v, kl_pq: pq, kl_qp: qp, lang: api.lang()};
      var dp = new Float64Array(xs.length), dq = new Float64Array(xs.length);
      for (var i = 0; i < xs.length; i++) {
        dp[i] = X.normalPdf(xs[i], v.mu1, v.s1);
        dq[i] = X.normalPdf(xs[i], v.mu2, v.s2);
      }
      var top = 1.1 * Math.max(X.normalPdf(v.mu1, v.mu1, v.s1), X.normalPdf(v.mu2, v.mu2, v.s2));
      var a = api.plot(canvas, {xlim: [-8, 8], ylim: [0, top], title: " "});
      a.line(xs, dp, {color: "#1f77b4"});
      a.line(xs, dq, {color: "#ff7f0e"});
      X.labels(a, canvas, {
        title: "KL(p‖q) = " + pq.toFixed(3) + L.nats + ",  KL(q‖p) = " + qp.toFixed(3) + L.nats,
        xlabel: L.xlabel, ylabel: L.ylabel
      });
      X.legend(a, canvas, [
        {label: "p = " + X.gaussianName(v.mu1, v.s1), color: "#1f77b4"},
        {label: "q = " + X.gaussianName(v.mu2, v.s2), color: "#ff7f0e"}
      ]);
      shownPq.textContent = pq.toFixed(6);
      shownQp.textContent = qp.toFixed(6);
      shownDiff.textContent = (pq - qp).toFixed(6);
    }
    draw();
    X.afterFonts(L.ylabel + L.nats + L.note, draw);
    return {
      set: function (values) { X.moveAll(inputs, values); return current; },
      state: function () { return current; },
      inputs: inputs
    };
  });
})();
