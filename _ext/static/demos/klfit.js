/* Chapter 2: fit one Gaussian q = N(mu, sigma^2) to the two-mode mixture
 * p = N(-3, 1)/2 + N(3, 1)/2 by forward KL(p||q) or reverse KL(q||p). Both divergences are
 * computed as the chapter computes them: on the grid numpy.linspace(-20, 20, 8001), with
 * log-densities (log p by logsumexp), as sum(...) * dx. The fit buttons run gradient descent
 * on (mu, log sigma) from the current q, with central-difference gradients and backtracking,
 * so the reverse fit lands on the mode nearest to where it starts, as scipy's BFGS does.
 * Handle: window.ganbook.klfit.set({mu, sigma}), .fit("forward" | "reverse"), .state(). */
(function () {
  "use strict";
  var ganbook = window.ganbook;
  var LOG_SQRT_2PI = Math.log(Math.sqrt(2 * Math.PI));

  function normalLogPdf(x, mu, s) {   // scipy.stats.norm(mu, s).logpdf(x)
    var z = (x - mu) / s;
    return -z * z / 2.0 - LOG_SQRT_2PI - Math.log(s);
  }

  ganbook.register("klfit", function (root, api) {
    var X = api.explorers, t = api.t;
    var L = X.densityLabels({
      data: t({en: "p: two-mode mixture (data)", ko: "p: 두 모드 혼합(데이터)"}),
      title: t({en: "Fitting one Gaussian to two modes", ko: "두 모드에 가우스 분포 하나 맞추기"}),
      fitForward: t({en: "minimise KL(p‖q)", ko: "KL(p‖q) 최소화"}),
      fitReverse: t({en: "minimise KL(q‖p)", ko: "KL(q‖p) 최소화"})
    });
    var x = X.linspace(-20, 20, 8001), dx = x[1] - x[0], n = x.length;
    var logP = new Float64Array(n), p = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      var a = normalLogPdf(x[i], -3, 1), b = normalLogPdf(x[i], 3, 1), m = Math.max(a, b);
      logP[i] = m + Math.log(Math.exp(a - m) + Math.exp(b - m)) + Math.log(0.5);
      p[i] = Math.exp(logP[i]);
    }

    function divergences(mu, sigma) {
      var forward = 0, reverse = 0;
      for (var i = 0; i < n; i++) {
        var lq = normalLogPdf(x[i], mu, sigma);
        forward += p[i] * (logP[i] - lq);
        reverse += Math.exp(lq) * (lq - logP[i]);
      }
      return {forward: forward * dx, reverse: reverse * dx};
    }

    /* Gradient descent on theta = (mu, log sigma); returns the number of steps taken. */
    function fit(which) {
      function f(th) { return divergences(th[0], Math.exp(th[1]))[which]; }
      var th = [state.mu, Math.log(state.sigma)], value = f(th), h = 1e-5, steps = 0;
      for (; steps < 500; steps++) {
        var g = [0, 1].map(function (k) {
          var up = th.slice(), down = th.slice();
          up[k] += h; down[k] -= h;
          return (f(up) - f(down)) / (2 * h);
        });
        var norm = Math.sqrt(g[0] * g[0] + g[1] * g[1]);
        if (norm < 1e-7) break;
        var rate = 1.0, next, nextValue;
        for (;;) {   // backtracking (Armijo) line search
          next = [th[0] - rate * g[0], th[1] - rate * g[1]];
          nextValue = f(next);
          if (nextValue <= value - 1e-4 * rate * norm * norm || rate < 1e-10) break;
          rate /= 2;
        }
        if (value - nextValue < 1e-15) { th = next; value = nextValue; break; }
        th = next; value = nextValue;
      }
      state.mu = th[0];
      state.sigma = Math.exp(th[1]);
      state.fitted = which;
      state.steps = steps;
      sync();
      draw();
      return current;
    }

    var state = {mu: 2.0, sigma: 1.0, fitted: null, steps: 0};
    var controls = api.el("div", root, {"class": "ganbook-demo__controls"});
    var inputs = {
      mu: api.slider(controls, {label: "\u03bc", min: -6, max: 6, step: 0.1, value: 2.0,
                                name: "mu", format: function (v) { return v.toFixed(1); },
                                oninput: function (v) { state.mu = v; moved(); }}),
      sigma: api.slider(controls, {label: "\u03c3", min: 0.3, max: 5, step: 0.1, value: 1.0,
                                   name: "sigma", format: function (v) { return v.toFixed(1); },
                                   oninput: function (v) { state.sigma = v; moved(); }})
    };
    api.button(controls, L.fitForward, function () { fit("forward"); });
    api.button(controls, L.fitReverse, function () { fit("reverse"); });
    var canvas = api.el("canvas", root, {width: 720, height: 300});
    var readout = api.el("div", root, {"class": "ganbook-demo__readout", "data-role": "readout"});
    var line1 = api.el("div", readout);
    var shown = X.readoutLine(line1, [
      "q = N(", {quantity: "mu"}, ", ", {quantity: "sigma"}, "\u00b2):  KL(p\u2016q) = ",
      {quantity: "forward"}, L.nats + ",  KL(q\u2016p) = ", {quantity: "reverse"}, L.nats]);
    var shownMu = shown.mu, shownSigma = shown.sigma;
    var shownForward = shown.forward, shownReverse = shown.reverse;

    var xs = X.linspace(-9, 9, 721), current = {};

    function moved() { state.fitted = null; state.steps = 0; draw(); }

    function sync() {   // sliders show the fitted values, rounded to their step
      ["mu", "sigma"].forEach(function (k) {
        inputs[k].value = String(state[k]);
        inputs[k].closest("label").querySelector("output").textContent =
          Number(inputs[k].value).toFixed(1);
      });
    }

    function draw() {
      var d = divergences(state.mu, state.sigma);
      current = {mu: state.mu, sigma: state.sigma, forward: d.forward, reverse: d.reverse,
                 fitted: state.fitted, steps: state.steps, lang: api.lang()};
      var dp = new Float64Array(xs.length), dq = new Float64Array(xs.length);
      for (var i = 0; i < xs.length; i++) {
        dp[i] = 0.5 * X.normalPdf(xs[i], -3, 1) + 0.5 * X.normalPdf(xs[i], 3, 1);
        dq[i] = X.normalPdf(xs[i], state.mu, state.sigma);
      }
      var top = Math.max(0.45, 1.1 * X.normalPdf(0, 0, state.sigma));
      var a = api.plot(canvas, {xlim: [-9, 9], ylim: [0, top], title: " "});
      a.line(xs, dp, {color: "#999999", width: 3});
      var color = state.fitted === "forward" ? "#1f77b4" : "#d62728";
      a.line(xs, dq, {color: state.fitted ? color : "#2ca02c"});
      X.labels(a, canvas, {title: L.title, xlabel: L.xlabel, ylabel: L.ylabel});
      X.legend(a, canvas, [
        {label: L.data, color: "#999999"},
        {label: "q = " + X.gaussianName(state.mu, state.sigma) +
                (state.fitted === "forward" ? ", min KL(p‖q)" :
                 state.fitted === "reverse" ? ", min KL(q‖p)" : ""),
         color: state.fitted ? color : "#2ca02c"}
      ], {left: true});
      shownMu.textContent = X.fixed(state.mu, 3);
      shownSigma.textContent = state.sigma.toFixed(3);
      shownForward.textContent = d.forward.toFixed(6);
      shownReverse.textContent = d.reverse.toFixed(6);
    }
    draw();
    X.afterFonts(L.ylabel + L.nats + L.data + L.title + L.fitForward, draw);
    return {
      set: function (values) { X.moveAll(inputs, values); return current; },
      fit: fit,
      divergences: divergences,
      state: function () { return current; },
      inputs: inputs
    };
  });
})();
