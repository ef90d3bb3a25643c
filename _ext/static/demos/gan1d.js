/* ganbook live demo "gan1d": a one-dimensional GAN trained in the page (chapter 5, the
 * paper's Figure 1). Plain JavaScript on the shared core (ganbook-demos.js: rng, mlp, adam,
 * and what the training demos share: settings, the run that stops at divergence, the page).
 *
 * The arithmetic is in ganbook.gan1dTrainer(settings), which needs no DOM, so that
 * tests can run it under node and compare it with its NumPy twin, src/ganbook/numpy_gan.py
 * (same random numbers, initialisation and order of operations). The page's handle is
 * window.ganbook.gan1d: step(n), state(), reset(settings), play(), pause().
 *
 * The model: data N(2, 0.5^2); noise z ~ N(0, 1); G and D are MLPs 1 -> h -> h -> 1 (h = 24
 * by default), G with ELU, D with leaky ReLU; D returns a logit l and D(x) = sigmoid(l).
 * Both are drawn from one seeded rng (G first), which then supplies every minibatch; the
 * minibatch size m and k, the rates and the loss can change between iterations. One iteration of Algorithm 1: k times
 * {m data draws, m noise draws, one Adam step of D on -[mean log D(x) + mean log(1 - D(G(z)))]},
 * then m noise draws and one Adam step of G on the non-saturating loss -mean log D(G(z)) or
 * the minimax loss mean log(1 - D(G(z))). Adam with beta1 = 0.5, beta2 = 0.999.
 */
(function () {
  "use strict";
  var ganbook = window.ganbook;

  var DEFAULTS = {seed: 1, lr_d: 0.005, lr_g: 0.0005, k: 3, batch: 64,
                  loss: "nonsaturating", hidden: 24};
  var MU = 2, SIGMA = 0.5;
  var XLIM = [-1, 5], N_BINS = 60, N_GRID = 121, N_QUANTILES = 1000;

  /* Inverse of the standard normal CDF (P. J. Acklam's rational approximation, relative
   * error below 1.2e-9), for the equal-probability quantiles of the noise. */
  var A = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
           1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
  var B = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
           6.680131188771972e+01, -1.328068155288572e+01];
  var C = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
           -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
  var Dc = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
            3.754408661907416e+00];
  function normalQuantile(p) {
    var q, r;
    if (p < 0.02425) {
      q = Math.sqrt(-2 * Math.log(p));
      return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
             ((((Dc[0] * q + Dc[1]) * q + Dc[2]) * q + Dc[3]) * q + 1);
    }
    if (p > 1 - 0.02425) {
      q = Math.sqrt(-2 * Math.log(1 - p));
      return -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
              ((((Dc[0] * q + Dc[1]) * q + Dc[2]) * q + Dc[3]) * q + 1);
    }
    q = p - 0.5; r = q * q;
    return (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q /
           (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
  }

  // Fixed measurement grids.
  var EDGES = new Float64Array(N_BINS + 1), CENTRES = new Float64Array(N_BINS);
  var X_GRID = new Float64Array(N_GRID), Z_Q = new Float64Array(N_QUANTILES);
  var WIDTH = (XLIM[1] - XLIM[0]) / N_BINS, i;
  for (i = 0; i <= N_BINS; i++) EDGES[i] = XLIM[0] + i * WIDTH;
  for (i = 0; i < N_BINS; i++) CENTRES[i] = XLIM[0] + (i + 0.5) * WIDTH;
  for (i = 0; i < N_GRID; i++) X_GRID[i] = XLIM[0] + i * (XLIM[1] - XLIM[0]) / (N_GRID - 1);
  for (i = 0; i < N_QUANTILES; i++) Z_Q[i] = normalQuantile((i + 0.5) / N_QUANTILES);
  // p_data as bin probabilities (density at the centre times the width, normalised) and two
  // empty overflow bins, below and above the plotted range.
  var P_DATA = new Float64Array(N_BINS + 2), total = 0;
  for (i = 0; i < N_BINS; i++) {
    var u = (CENTRES[i] - MU) / SIGMA;
    P_DATA[i + 1] = Math.exp(-0.5 * u * u) / (SIGMA * Math.sqrt(2 * Math.PI)) * WIDTH;
    total += P_DATA[i + 1];
  }
  for (i = 1; i <= N_BINS; i++) P_DATA[i] /= total;

  /* Jensen-Shannon divergence in bits between two probability vectors. */
  function jsBits(p, q) {
    var out = 0;
    for (var i = 0; i < p.length; i++) {
      var mix = 0.5 * (p[i] + q[i]);
      if (p[i] > 0) out += 0.5 * p[i] * Math.log(p[i] / mix);
      if (q[i] > 0) out += 0.5 * q[i] * Math.log(q[i] / mix);
    }
    return out / Math.LN2;
  }

  function trainer(options) {
    var s = ganbook.trainingSettings("gan1d", DEFAULTS, options);
    if (s.loss !== "nonsaturating" && s.loss !== "minimax") {
      throw new Error("gan1d: loss must be nonsaturating or minimax, got " + s.loss);
    }
    if (!(s.k >= 1) || !(s.batch >= 1)) throw new Error("gan1d: k and batch must be >= 1");

    var rng = ganbook.rng(s.seed);
    var G = ganbook.mlp([1, s.hidden, s.hidden, 1], "elu", rng);
    var D = ganbook.mlp([1, s.hidden, s.hidden, 1], "lrelu", rng);
    var optG = ganbook.adam(G, {beta1: 0.5}), optD = ganbook.adam(D, {beta1: 0.5});
    var t = {settings: s, G: G, D: D, step: 0, diverged: false, message: "",
             loss_d: NaN, loss_g: NaN, d_real: NaN, d_fake: NaN, history: []};

    function normals(m, shift, scale) {
      var out = new Float64Array(m);
      for (var i = 0; i < m; i++) out[i] = shift + scale * rng.normal();
      return out;
    }

    function iteration() {
      var m = s.batch, i, l, lossD = 0, lossG = 0, dReal = 0, dFake = 0;
      for (var rep = 0; rep < s.k; rep++) {
        var xr = normals(m, MU, SIGMA), z = normals(m, 0, 1);
        var xf = new Float64Array(G.forward(z, m));
        D.zeroGrad();
        l = D.forward(xr, m);
        var gr = new Float64Array(m);
        lossD = 0; dReal = 0;
        for (i = 0; i < m; i++) {
          lossD += ganbook.softplus(-l[i]);
          dReal += ganbook.sigmoid(l[i]);
          gr[i] = -ganbook.sigmoid(-l[i]) / m;
        }
        D.backward(gr);
        l = D.forward(xf, m);
        var gf = new Float64Array(m), lossFake = 0;
        dFake = 0;
        for (i = 0; i < m; i++) {
          lossFake += ganbook.softplus(l[i]);
          dFake += ganbook.sigmoid(l[i]);
          gf[i] = ganbook.sigmoid(l[i]) / m;
        }
        D.backward(gf);
        lossD = lossD / m + lossFake / m;
        optD.step(s.lr_d);
      }
      var zg = normals(m, 0, 1);
      var x = G.forward(zg, m);
      l = D.forward(x, m);
      var gl = new Float64Array(m);
      for (i = 0; i < m; i++) {
        if (s.loss === "nonsaturating") {
          lossG += ganbook.softplus(-l[i]);
          gl[i] = -ganbook.sigmoid(-l[i]) / m;
        } else {
          lossG -= ganbook.softplus(l[i]);
          gl[i] = -ganbook.sigmoid(l[i]) / m;
        }
      }
      var dx = D.backward(gl);   // D's grads are zeroed before its next step
      G.zeroGrad();
      G.backward(dx);
      optG.step(s.lr_g);
      t.step += 1;
      t.loss_d = lossD; t.loss_g = lossG / m; t.d_real = dReal / m; t.d_fake = dFake / m;
    }

    /* The measurements: D on X_GRID, p_g on the bins (the N_QUANTILES equal-probability
     * noise quantiles pushed through G, each of mass 1 / N_QUANTILES, plus overflow bins)
     * and JS(p_data || p_g) in bits on those bins. */
    t.measure = function () {
      var dGrid = new Float64Array(N_GRID), l = D.forward(X_GRID, N_GRID), i;
      for (i = 0; i < N_GRID; i++) dGrid[i] = ganbook.sigmoid(l[i]);
      var x = G.forward(Z_Q, N_QUANTILES), mass = new Float64Array(N_BINS + 2);
      for (i = 0; i < N_QUANTILES; i++) {
        var b = Math.floor((x[i] - XLIM[0]) / WIDTH);
        b = b < 0 ? 0 : (b >= N_BINS ? N_BINS + 1 : b + 1);
        mass[b] += 1 / N_QUANTILES;
      }
      var density = new Float64Array(N_BINS);
      for (i = 0; i < N_BINS; i++) density[i] = mass[i + 1] / WIDTH;
      return {d_grid: dGrid, p_g: density, mass_g: mass, js: jsBits(P_DATA, mass),
              samples: new Float64Array(x)};
    };

    return ganbook.guardedRun(t, iteration, function () { return t.measure().js; });
  }

  var toArray = ganbook.toArray;

  /* Everything a test compares, as plain numbers (JSON keeps doubles exactly). */
  function dump(t) {
    var m = t.measure();
    return {step: t.step, g: toArray(t.G.params), d: toArray(t.D.params), loss_d: t.loss_d,
            loss_g: t.loss_g, d_real: t.d_real, d_fake: t.d_fake, js: m.js,
            d_grid: toArray(m.d_grid), mass_g: toArray(m.mass_g), diverged: t.diverged,
            history: t.history.map(function (h) { return h.slice(); })};
  }

  ganbook.gan1dTrainer = trainer;
  ganbook.gan1dTrainer.dump = dump;
  ganbook.gan1dTrainer.DEFAULTS = DEFAULTS;
  ganbook.gan1dTrainer.grid = {edges: EDGES, centres: CENTRES, x: X_GRID, z: Z_Q,
                               p_data: P_DATA, normalQuantile: normalQuantile, jsBits: jsBits};

  if (!ganbook.register || typeof document === "undefined" || !document.createElement) return;

  ganbook.register("gan1d", function (root) {
    var T = ganbook.t, el = ganbook.el;
    var L = {
      title: T({en: "A 1-D GAN, trained in your browser",
                ko: "브라우저에서 학습하는 1차원 GAN"}),
      batch: T({en: "batch size m", ko: "배치 크기 m"}),
      loss: T({en: "G loss", ko: "G 손실"}),
      nonsat: T({en: "non-saturating −log D(G(z))", ko: "비포화 −log D(G(z))"}),
      minimax: T({en: "minimax log(1 − D(G(z)))", ko: "미니맥스 log(1 − D(G(z)))"}),
      x: T({en: "x", ko: "x"}),
      density: T({en: "density / probability", ko: "밀도 / 확률"}),
      pdata: T({en: "p_data", ko: "p_data (데이터)"}),
      pg: T({en: "p_g (histogram of G(z))", ko: "p_g (G(z)의 히스토그램)"}),
      dx: T({en: "D(x)", ko: "D(x)"}),
      map: T({en: "the generator as a map: z (below) → x = G(z) (above)",
              ko: "생성자의 사상: z (아래) → x = G(z) (위)"}),
      jsTitle: T({en: "JS divergence between p_data and p_g", ko: "p_data와 p_g의 JS 발산"}),
      iter: T({en: "iteration", ko: "반복"}),
      bits: T({en: "JSD (bits)", ko: "JSD (비트)"})
    };
    var main, strip, jsCanvas;

    function controls(parent, ui) {
      ui.inputs.batch = ganbook.slider(parent, {
        label: L.batch, min: 8, max: 256, step: 8, value: ui.settings.batch, name: "batch",
        oninput: function (v) { ui.set("batch", v); }
      });
      ui.inputs.loss = ganbook.select(parent, {
        label: L.loss, value: ui.settings.loss, name: "loss",
        options: [{value: "nonsaturating", label: L.nonsat},
                  {value: "minimax", label: L.minimax}],
        onchange: function (v) { ui.set("loss", v); }
      });
    }

    function layout(parent) {
      main = el("canvas", parent, {width: 640, height: 300});
      strip = el("canvas", parent, {width: 640, height: 90});
      jsCanvas = el("canvas", parent, {width: 640, height: 170});
    }

    function draw(tr) {
      var m = tr.measure();
      var p = ganbook.plot(main, {xlim: XLIM, ylim: [0, 1.6], xlabel: L.x, ylabel: L.density});
      p.bars(EDGES, m.p_g, {color: "rgba(44,160,44,0.45)"});
      var pd = [];
      for (var i = 0; i < N_BINS; i++) pd.push(P_DATA[i + 1] / WIDTH);
      p.line(CENTRES, pd, {color: "#000", dash: [3, 3], width: 2});
      p.line(X_GRID, m.d_grid, {color: "#1f77b4", dash: [7, 4], width: 2});
      p.line([XLIM[0], XLIM[1]], [0.5, 0.5], {color: "#999", width: 1, dash: [2, 4]});
      p.legend([{label: L.pdata, color: "#000"}, {label: L.pg, color: "rgb(44,160,44)"},
                {label: L.dx, color: "#1f77b4"}]);
      drawStrip(m.samples);
      var hx = tr.history.map(function (h) { return h[0]; });
      var hy = tr.history.map(function (h) { return h[1]; });
      var top = Math.max(0.05, Math.max.apply(null, hy) * 1.1);
      var q = ganbook.plot(jsCanvas, {xlim: [0, Math.max(100, tr.step)], ylim: [0, top],
                                      xlabel: L.iter, ylabel: L.bits, title: L.jsTitle});
      q.line(hx, hy, {color: "#9467bd", width: 1.5});
      function fmt(v) { return isFinite(v) ? v.toFixed(3) : "–"; }   // no step yet: no loss
      return {m: m, text: T({en: "iteration ", ko: "반복 "}) + tr.step +
        "   D loss " + fmt(tr.loss_d) + "   G loss " + fmt(tr.loss_g) +
        "   mean D(x) " + fmt(tr.d_real) + "   mean D(G(z)) " + fmt(tr.d_fake) +
        "   JSD " + m.js.toFixed(4) + T({en: " bits", ko: " 비트"})};
    }

    function drawStrip(samples) {
      var ctx = strip.getContext("2d"), W = strip.width, H = strip.height;
      var left = 52, right = 12, yTop = 22, yBottom = H - 22;
      function px(v, lo, hi) { return left + (v - lo) / (hi - lo) * (W - left - right); }
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
      ctx.strokeStyle = "#555"; ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(left, yTop); ctx.lineTo(W - right, yTop);
      ctx.moveTo(left, yBottom); ctx.lineTo(W - right, yBottom);
      ctx.stroke();
      ctx.fillStyle = "#222"; ctx.font = ganbook.font(11, strip); ctx.textAlign = "left";
      ctx.fillText(L.map, left, 12);
      ctx.textAlign = "right";
      ctx.fillText("x", left - 6, yTop + 4);
      ctx.fillText("z", left - 6, yBottom + 4);
      ctx.textAlign = "center";
      [-3, 0, 3].forEach(function (v) { ctx.fillText(String(v), px(v, -3, 3), H - 6); });
      ctx.strokeStyle = "rgba(80,80,80,0.7)";
      for (var j = 0; j < 15; j++) {   // 15 equal-probability levels of the noise
        var idx = Math.floor((j + 0.5) / 15 * N_QUANTILES);
        var xz = Z_Q[idx], xx = samples[idx];
        var a = px(Math.max(-3, Math.min(3, xz)), -3, 3);
        var b = px(Math.max(XLIM[0], Math.min(XLIM[1], xx)), XLIM[0], XLIM[1]);
        ctx.beginPath(); ctx.moveTo(a, yBottom); ctx.lineTo(b, yTop); ctx.stroke();
        ctx.beginPath(); ctx.arc(b, yTop, 2.5, 0, 2 * Math.PI); ctx.fill();
      }
    }

    function state(tr, last) {
      var m = last || tr.measure();
      var support = [];
      for (var i = 0; i < N_GRID; i++) support.push(Math.abs(X_GRID[i] - MU) <= 2 * SIGMA);
      return {x_grid: toArray(X_GRID), d_grid: toArray(m.d_grid), data_support: support,
              edges: toArray(EDGES), p_g: toArray(m.p_g), js: m.js,
              js_history: tr.history.map(function (h) { return h.slice(); })};
    }

    function sync(settings, inputs) {
      inputs.batch.value = settings.batch;
      inputs.batch.nextSibling.textContent = String(settings.batch);
      inputs.loss.value = settings.loss;
    }

    return ganbook.trainingDemo(root, {
      title: L.title, defaults: DEFAULTS, trainer: trainer, kMax: 10, controls: controls,
      layout: layout, draw: draw, state: state, sync: sync});
  });
})();
