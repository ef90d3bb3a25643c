/* ganbook live demo "ring": a GAN on the ring of eight Gaussians (Metz et al. 2017), trained
 * in the page (chapter 8), to watch mode hopping and collapse. Plain JavaScript on the shared
 * core (ganbook-demos.js: rng, mlp, adam, the training demos' run and page), like gan1d.js.
 *
 * Data: eight isotropic Gaussians of standard deviation 0.02 on a circle of radius 2, equally
 * weighted (as ganbook.toy.sample_ring). Noise z ~ N(0, I_2). G: MLP 2 -> 24 -> 24 -> 2 with
 * tanh; D: MLP (2 [+1]) -> 24 -> 24 -> 1 with tanh, returning a logit. Iterations as in
 * gan1d.js (k steps of D, one of G, non-saturating loss, Adam with beta1 = 0.5).
 *
 * The remedy: "minibatch features" appends to D's input the minibatch standard deviation
 * s = mean over the two coordinates of the standard deviation over the batch (Karras et al.
 * 2018, a cheap relative of Salimans et al.'s minibatch discrimination): a collapsed
 * generator's batches have a small s, which D can learn to reject; G's gradient flows through
 * s too. Mode coverage: of 1000 fixed noise vectors, a sample is of high quality within
 * 3 standard deviations of its nearest centre, and a mode is covered when it holds at least
 * 20 of them (ganbook.toy.ring_coverage).
 *
 * window.ganbook.ring: step(n), state(), reset(settings), play(), pause().
 */
(function () {
  "use strict";
  var ganbook = window.ganbook;

  var DEFAULTS = {seed: 1, lr_d: 0.005, lr_g: 0.005, k: 1, batch: 64, minibatch: false,
                  hidden: 24};
  var MODES = 8, RADIUS = 2, STD = 0.02, N_STD = 3, MIN_COUNT = 20, N_FIXED = 1000;
  var LIM = 3, HEAT = 48, EPS = 1e-8;
  var CENTRES = [];
  for (var c = 0; c < MODES; c++) {
    CENTRES.push([RADIUS * Math.cos(2 * Math.PI * c / MODES),
                  RADIUS * Math.sin(2 * Math.PI * c / MODES)]);
  }

  /* The minibatch feature of n rows of 2-D points: s and ds/dx (n x 2). */
  function batchStd(x, n) {
    var s = 0, grad = new Float64Array(2 * n);
    for (var d = 0; d < 2; d++) {
      var mean = 0, v = 0, i;
      for (i = 0; i < n; i++) mean += x[2 * i + d];
      mean /= n;
      for (i = 0; i < n; i++) v += (x[2 * i + d] - mean) * (x[2 * i + d] - mean);
      var sd = Math.sqrt(v / n + EPS);
      s += sd / 2;
      for (i = 0; i < n; i++) grad[2 * i + d] = (x[2 * i + d] - mean) / (2 * n * sd);
    }
    return {s: s, grad: grad};
  }

  function trainer(options) {
    var s = ganbook.trainingSettings("ring", DEFAULTS, options);
    s.minibatch = !!s.minibatch;
    if (!(s.k >= 1) || !(s.batch >= 2)) throw new Error("ring: k >= 1 and batch >= 2");

    var rng = ganbook.rng(s.seed), inD = s.minibatch ? 3 : 2;
    var G = ganbook.mlp([2, s.hidden, s.hidden, 2], "tanh", rng);
    var D = ganbook.mlp([inD, s.hidden, s.hidden, 1], "tanh", rng);
    var optG = ganbook.adam(G, {beta1: 0.5}), optD = ganbook.adam(D, {beta1: 0.5});
    var fixed = new Float64Array(2 * N_FIXED);   // the noise behind the drawn samples
    for (var i = 0; i < 2 * N_FIXED; i++) fixed[i] = rng.normal();
    var t = {settings: s, G: G, D: D, step: 0, diverged: false, message: "",
             loss_d: NaN, loss_g: NaN, d_real: NaN, d_fake: NaN, s_real: NaN, history: []};

    function dataBatch(m) {
      var out = new Float64Array(2 * m);
      for (var i = 0; i < m; i++) {
        var mode = Math.floor(rng() * MODES);
        out[2 * i] = CENTRES[mode][0] + STD * rng.normal();
        out[2 * i + 1] = CENTRES[mode][1] + STD * rng.normal();
      }
      return out;
    }
    function noise(m) {
      var out = new Float64Array(2 * m);
      for (var i = 0; i < 2 * m; i++) out[i] = rng.normal();
      return out;
    }
    /* D's input for a batch: the points, with the batch's s appended when the remedy is on. */
    function dInput(x, m) {
      if (!s.minibatch) return {input: x, feature: null};
      var f = batchStd(x, m), input = new Float64Array(3 * m);
      for (var i = 0; i < m; i++) {
        input[3 * i] = x[2 * i]; input[3 * i + 1] = x[2 * i + 1]; input[3 * i + 2] = f.s;
      }
      return {input: input, feature: f};
    }
    /* dLoss/dx for the points from dLoss/d(D's input). */
    function pointGrad(dIn, f, m) {
      if (!f) return dIn;
      var out = new Float64Array(2 * m), ds = 0, i;
      for (i = 0; i < m; i++) ds += dIn[3 * i + 2];
      for (i = 0; i < m; i++) {
        out[2 * i] = dIn[3 * i] + ds * f.grad[2 * i];
        out[2 * i + 1] = dIn[3 * i + 1] + ds * f.grad[2 * i + 1];
      }
      return out;
    }

    function iteration() {
      var m = s.batch, i, l, a;
      for (var rep = 0; rep < s.k; rep++) {
        var xr = dInput(dataBatch(m), m);
        var xf = dInput(new Float64Array(G.forward(noise(m), m)), m);
        t.s_real = xr.feature ? xr.feature.s : NaN;
        D.zeroGrad();
        var loss = 0, dr = 0, df = 0, g = new Float64Array(m);
        l = D.forward(xr.input, m);
        for (i = 0; i < m; i++) {
          a = l[i];
          loss += ganbook.softplus(-a) / m; dr += ganbook.sigmoid(a) / m;
          g[i] = -ganbook.sigmoid(-a) / m;
        }
        D.backward(g);
        l = D.forward(xf.input, m);
        g = new Float64Array(m);
        for (i = 0; i < m; i++) {
          a = l[i];
          loss += ganbook.softplus(a) / m; df += ganbook.sigmoid(a) / m;
          g[i] = ganbook.sigmoid(a) / m;
        }
        D.backward(g);
        optD.step(s.lr_d);
        t.loss_d = loss; t.d_real = dr; t.d_fake = df;
      }
      var x = new Float64Array(G.forward(noise(m), m)), inp = dInput(x, m);
      l = D.forward(inp.input, m);
      var gl = new Float64Array(m), lossG = 0;
      for (i = 0; i < m; i++) {
        lossG += ganbook.softplus(-l[i]) / m;
        gl[i] = -ganbook.sigmoid(-l[i]) / m;
      }
      var dx = pointGrad(D.backward(gl), inp.feature, m);
      G.zeroGrad();   // G's cache still holds this step's forward pass
      G.backward(dx);
      optG.step(s.lr_g);
      t.loss_g = lossG;
      t.step += 1;
    }

    /* Samples of the fixed noise, coverage, and D on a HEAT x HEAT grid over [-LIM, LIM]^2. */
    t.measure = function (withHeat) {
      var x = new Float64Array(G.forward(fixed, N_FIXED)), counts = [], good = 0, i, c;
      for (c = 0; c < MODES; c++) counts.push(0);
      for (i = 0; i < N_FIXED; i++) {
        var best = Infinity, arg = 0;
        for (c = 0; c < MODES; c++) {
          var dx = x[2 * i] - CENTRES[c][0], dy = x[2 * i + 1] - CENTRES[c][1];
          var dist = Math.sqrt(dx * dx + dy * dy);
          if (dist < best) { best = dist; arg = c; }
        }
        if (best <= N_STD * STD) { counts[arg] += 1; good += 1; }
      }
      var covered = counts.filter(function (n) { return n >= MIN_COUNT; }).length;
      var out = {samples: x, counts: counts, modes_covered: covered,
                 high_quality: good / N_FIXED};
      if (withHeat) {
        var grid = new Float64Array(HEAT * HEAT * inD), sFeature = isFinite(t.s_real) ?
          t.s_real : batchStd(x, N_FIXED).s;
        for (var r = 0; r < HEAT; r++) {
          for (var q = 0; q < HEAT; q++) {
            var k = r * HEAT + q;
            grid[inD * k] = -LIM + (q + 0.5) * 2 * LIM / HEAT;
            grid[inD * k + 1] = LIM - (r + 0.5) * 2 * LIM / HEAT;
            if (inD === 3) grid[inD * k + 2] = sFeature;
          }
        }
        var l = D.forward(grid, HEAT * HEAT), heat = new Float64Array(HEAT * HEAT);
        for (i = 0; i < HEAT * HEAT; i++) heat[i] = ganbook.sigmoid(l[i]);
        out.heat = heat;
      }
      return out;
    };

    return ganbook.guardedRun(t, iteration, function () {
      return t.measure(false).modes_covered;
    });
  }

  function dump(t) {
    var m = t.measure(false);
    return {step: t.step, modes_covered: m.modes_covered, counts: m.counts,
            high_quality: m.high_quality, loss_d: t.loss_d, loss_g: t.loss_g,
            d_real: t.d_real, d_fake: t.d_fake, diverged: t.diverged,
            history: t.history.map(function (h) { return h.slice(); })};
  }
  ganbook.ringTrainer = trainer;
  ganbook.ringTrainer.dump = dump;
  ganbook.ringTrainer.DEFAULTS = DEFAULTS;
  ganbook.ringTrainer.centres = CENTRES;

  if (!ganbook.register || typeof document === "undefined" || !document.createElement) return;

  /* D in [0, 1] to a colour: blue below 1/2, white at 1/2, red above. */
  function colour(v) {
    var a = Math.min(1, Math.abs(v - 0.5) * 2);
    return v < 0.5 ? [255 - 180 * a, 255 - 120 * a, 255] : [255, 255 - 170 * a, 255 - 180 * a];
  }

  ganbook.register("ring", function (root) {
    var T = ganbook.t, el = ganbook.el;
    var L = {
      title: T({en: "A GAN on a ring of eight Gaussians, trained in your browser",
                ko: "브라우저에서 학습하는 8개 가우시안 고리 GAN"}),
      remedy: T({en: "minibatch features", ko: "미니배치 특징"}),
      off: T({en: "off", ko: "끄기"}),
      on: T({en: "on (batch standard deviation)", ko: "켜기 (배치 표준편차)"}),
      heat: T({en: "D(x): blue < 1/2 < red; data modes (circles), G(z) (green)",
               ko: "D(x): 파랑 < 1/2 < 빨강; 데이터 모드(원), G(z)(초록)"}),
      x1: T({en: "x₁", ko: "x₁"}), x2: T({en: "x₂", ko: "x₂"}),
      covTitle: T({en: "modes covered (of 8)", ko: "덮은 모드 수 (8개 중)"}),
      iter: T({en: "iteration", ko: "반복"}),
      modes: T({en: "modes", ko: "모드"})
    };
    var main, cov, off = el("canvas", null, {width: HEAT, height: HEAT});

    function controls(parent, ui) {
      ui.inputs.minibatch = ganbook.select(parent, {
        label: L.remedy, value: ui.settings.minibatch ? "on" : "off", name: "minibatch",
        options: [{value: "off", label: L.off}, {value: "on", label: L.on}],
        // D's input changes size: the remedy starts a fresh run
        onchange: function (v) { ui.settings.minibatch = v === "on"; ui.reset(); }
      });
    }

    function layout(parent) {
      var row = el("div", parent);
      row.style.display = "flex"; row.style.flexWrap = "wrap"; row.style.gap = "0.5em";
      main = el("canvas", row, {width: 400, height: 400});
      cov = el("canvas", row, {width: 320, height: 220});
    }

    function draw(tr) {
      var m = tr.measure(true);
      var p = ganbook.plot(main, {xlim: [-LIM, LIM], ylim: [-LIM, LIM], xlabel: L.x1,
                                  ylabel: L.x2, title: L.heat});
      var octx = off.getContext("2d"), img = octx.createImageData(HEAT, HEAT);
      for (var i = 0; i < HEAT * HEAT; i++) {
        var rgb = colour(m.heat[i]);
        img.data[4 * i] = rgb[0]; img.data[4 * i + 1] = rgb[1]; img.data[4 * i + 2] = rgb[2];
        img.data[4 * i + 3] = 255;
      }
      octx.putImageData(img, 0, 0);
      var a = p.toPx(-LIM, LIM), b = p.toPx(LIM, -LIM);
      p.ctx.drawImage(off, a[0], a[1], b[0] - a[0], b[1] - a[1]);
      p.ctx.strokeStyle = "#444";
      p.ctx.strokeRect(a[0], a[1], b[0] - a[0], b[1] - a[1]);
      var xs = [], ys = [];
      for (i = 0; i < N_FIXED; i += 2) { xs.push(m.samples[2 * i]); ys.push(m.samples[2 * i + 1]); }
      p.points(xs, ys, {color: "rgba(0,140,0,0.75)", radius: 1.6});
      CENTRES.forEach(function (c) {
        var q = p.toPx(c[0], c[1]);
        p.ctx.beginPath(); p.ctx.arc(q[0], q[1], 6, 0, 2 * Math.PI);
        p.ctx.strokeStyle = "#000"; p.ctx.lineWidth = 1.5; p.ctx.stroke();
      });
      var hx = tr.history.map(function (h) { return h[0]; });
      var hy = tr.history.map(function (h) { return h[1]; });
      var q = ganbook.plot(cov, {xlim: [0, Math.max(100, tr.step)], ylim: [0, 8.5],
                                 xlabel: L.iter, ylabel: L.modes, title: L.covTitle});
      q.line(hx, hy, {color: "#2ca02c", width: 1.5});
      return {m: m, text: T({en: "iteration ", ko: "반복 "}) + tr.step + "   " +
        T({en: "modes covered ", ko: "덮은 모드 "}) + m.modes_covered + "/8   " +
        T({en: "samples within 3σ of a mode ", ko: "모드의 3σ 안 표본 "}) +
        (100 * m.high_quality).toFixed(0) + "%   D loss " +
        (isFinite(tr.loss_d) ? tr.loss_d.toFixed(3) : "–") + "   G loss " +
        (isFinite(tr.loss_g) ? tr.loss_g.toFixed(3) : "–")};
    }

    function state(tr, last) {
      var m = last || tr.measure(false);
      return {modes_covered: m.modes_covered, counts: m.counts.slice(),
              high_quality: m.high_quality, n_modes: MODES,
              coverage_history: tr.history.map(function (h) { return h.slice(); }),
              heat_range: m.heat ? [Math.min.apply(null, m.heat), Math.max.apply(null, m.heat)]
                : null};
    }

    function sync(settings, inputs) {
      inputs.minibatch.value = settings.minibatch ? "on" : "off";
    }

    return ganbook.trainingDemo(root, {
      title: L.title, defaults: DEFAULTS, trainer: trainer, kMax: 5, controls: controls,
      layout: layout, draw: draw, state: state, sync: sync});
  });
}());
