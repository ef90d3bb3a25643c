/* Chapter 3: two Gaussians with KL(p||q), KL(q||p) (closed form) and JSD(p||q), the JSD computed
 * as the chapter's gaussian_jsd does: the densities on an even grid times its step form two
 * discrete distributions, whose JSD is ganbook.divergences.js_divergence. The grid is
 * numpy.linspace(-30, 30, 12001) (step 0.005, as the chapter's), wide enough that every
 * Gaussian the sliders allow (|mu| <= 4, sigma <= 3) has all but 1e-17 of its mass on it.
 * Handle: window.ganbook.js.set({mu1, s1, mu2, s2}) (any subset), .state(). */
(function () {
  "use strict";
  var ganbook = window.ganbook;

  ganbook.register("js", function (root, api) {
    var X = api.explorers, t = api.t;
    var L = X.densityLabels({
      mixture: t({en: "m = (p + q)/2, the mixture", ko: "m = (p + q)/2, 혼합"}),
      ofLog2: t({en: " of log 2", ko: " (log 2 대비)"})
    });
    var layout = X.pairLayout(root, {mu1: 0.0, s1: 1.0, mu2: 3.0, s2: 1.0},
                              function () { draw(); }, L.nats);
    var inputs = layout.inputs, canvas = layout.canvas, line2 = layout.line2;
    var shownPq = layout.shownPq, shownQp = layout.shownQp;
    var shown = X.readoutLine(line2, ["JSD(p‖q) = ", {quantity: "jsd"}, L.nats + " = ",
                                      {quantity: "percent_of_log2"}, "%" + L.ofLog2]);
    var shownJsd = shown.jsd, shownPercent = shown.percent_of_log2;

    var grid = X.linspace(-30, 30, 12001), dx = grid[1] - grid[0];
    var xs = X.linspace(-8, 8, 801), current = {};

    function gridJsd(v) {
      var n = grid.length, p = new Float64Array(n), q = new Float64Array(n), i;
      for (i = 0; i < n; i++) {
        p[i] = X.normalPdf(grid[i], v.mu1, v.s1) * dx;
        q[i] = X.normalPdf(grid[i], v.mu2, v.s2) * dx;
      }
      // KL(p || m), KL(q || m): the terms where the first and m are > 0 (m underflows to 0
      // only beside the smallest subnormal numbers, whose terms are below any float)
      var toP = 0, toQ = 0;
      for (i = 0; i < n; i++) {
        var m = 0.5 * (p[i] + q[i]);
        if (m > 0 && p[i] > 0) toP += p[i] * (Math.log(p[i]) - Math.log(m));
        if (m > 0 && q[i] > 0) toQ += q[i] * (Math.log(q[i]) - Math.log(m));
      }
      return 0.5 * toP + 0.5 * toQ;
    }

    function draw() {
      var v = X.readParams(inputs);
      var pq = X.gaussianKl(v.mu1, v.s1, v.mu2, v.s2), qp = X.gaussianKl(v.mu2, v.s2, v.mu1, v.s1);
      var jsd = gridJsd(v);
      current = {params: v, kl_pq: pq, kl_qp: qp, jsd: jsd, lang: api.lang()};
      var dp = new Float64Array(xs.length), dq = new Float64Array(xs.length);
      var dm = new Float64Array(xs.length);
      for (var i = 0; i < xs.length; i++) {
        dp[i] = X.normalPdf(xs[i], v.mu1, v.s1);
        dq[i] = X.normalPdf(xs[i], v.mu2, v.s2);
        dm[i] = 0.5 * (dp[i] + dq[i]);
      }
      var top = 1.1 * Math.max(X.normalPdf(v.mu1, v.mu1, v.s1), X.normalPdf(v.mu2, v.mu2, v.s2));
      var a = api.plot(canvas, {xlim: [-8, 8], ylim: [0, top], title: " "});
      a.line(xs, dm, {color: "#7f7f7f", width: 1.5, dash: [5, 4]});
      a.line(xs, dp, {color: "#1f77b4"});
      a.line(xs, dq, {color: "#ff7f0e"});
      X.labels(a, canvas, {
        title: "KL(p‖q) = " + pq.toFixed(3) + ", KL(q‖p) = " + qp.toFixed(3) + ", JSD = " +
               jsd.toFixed(3) + L.nats,
        xlabel: L.xlabel, ylabel: L.ylabel
      });
      X.legend(a, canvas, [
        {label: "p = " + X.gaussianName(v.mu1, v.s1), color: "#1f77b4"},
        {label: "q = " + X.gaussianName(v.mu2, v.s2), color: "#ff7f0e"},
        {label: L.mixture, color: "#7f7f7f"}
      ]);
      shownPq.textContent = pq.toFixed(6);
      shownQp.textContent = qp.toFixed(6);
      shownJsd.textContent = jsd.toFixed(6);
      shownPercent.textContent = (100 * jsd / Math.LN2).toFixed(1);
    }
    draw();
    X.afterFonts(L.ylabel + L.nats + L.mixture + L.ofLog2, draw);
    return {
      set: function (values) { X.moveAll(inputs, values); return current; },
      state: function () { return current; },
      inputs: inputs
    };
  });
})();
