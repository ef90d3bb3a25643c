/* Chapter 4's explorer: the optimal discriminator D* and the criterion C(G), live.
 *
 * p_data = N(0, 1) and p_g = N(mu, sigma^2) on the chapter's grid, x = linspace(-20, 22, 8401)
 * (step 0.005). At every grid point D*(x) = p_data / (p_data + p_g) (1/2 where both are 0), and
 * C(G) = sum over the grid of [p_data log(p_data / (p_data + p_g)) + p_g log(p_g / (p_data + p_g))] dx,
 * terms of zero weight left out: the formulas of ganbook.objective.optimal_discriminator and
 * virtual_training_criterion. JSD = (C(G) + log 4) / 2, in nats.
 *
 * Handle (window.ganbook.objective): set(mu, sigma) recomputes and redraws and returns
 * state(); state() gives {mu, sigma, c, jsd, xs, dstar} with D* at the points xs
 * (-2, 0, 1, 2, 4 and the crossing points' neighbourhood are for tests).
 */
(function () {
  "use strict";
  var ganbook = window.ganbook;
  var LO = -20, HI = 22, N = 8401, STEP = (HI - LO) / (N - 1);
  var XLIM = [-8, 10];
  var PROBES = [-2, 0, 1, 2, 4];
  var FONT = "'Nanum Gothic', sans-serif";  // the book's web font draws Hangul on the canvas
  var COLORS = {data: "#1f77b4", gen: "#ff7f0e", dstar: "#222", half: "#aaa"};

  function gridX(i) { return i === N - 1 ? HI : LO + i * STEP; }

  function normalPdf(x, mu, sigma) {
    var y = (x - mu) / sigma;
    return Math.exp(-0.5 * y * y) / Math.sqrt(2 * Math.PI) / sigma;
  }

  /* Everything the figure and the numbers need, for one generator. */
  function compute(mu, sigma) {
    if (!(sigma > 0) || !isFinite(mu)) throw new Error("objective: need a finite mean and std > 0");
    var a = new Float64Array(N), b = new Float64Array(N), d = new Float64Array(N);
    var c = 0;
    for (var i = 0; i < N; i++) {
      var x = gridX(i);
      a[i] = normalPdf(x, 0, 1);
      b[i] = normalPdf(x, mu, sigma);
      var total = a[i] + b[i];
      d[i] = total > 0 ? a[i] / total : 0.5;
      if (a[i] > 0) c += a[i] * (Math.log(a[i]) - Math.log(total));
      if (b[i] > 0) c += b[i] * (Math.log(b[i]) - Math.log(total));
    }
    c *= STEP;
    return {mu: mu, sigma: sigma, a: a, b: b, d: d, c: c, jsd: (c + Math.log(4)) / 2};
  }

  function dstarAt(result, x) {  // the grid value nearest to x
    var i = Math.round((x - LO) / STEP);
    return result.d[Math.max(0, Math.min(N - 1, i))];
  }

  function label(ctx, text, x, y, opts) {
    opts = opts || {};
    ctx.save();
    ctx.font = (opts.size || 12) + "px " + FONT;
    ctx.fillStyle = opts.color || "#222";
    ctx.textAlign = opts.align || "center";
    ctx.translate(x, y);
    if (opts.rotate) ctx.rotate(opts.rotate);
    ctx.fillText(text, 0, 0);
    ctx.restore();
  }

  function legend(ctx, W, top, items) {
    ctx.save();
    ctx.font = "11px " + FONT;
    var width = 0;
    items.forEach(function (it) { width = Math.max(width, ctx.measureText(it.label).width); });
    var x = W - 12 - 8 - width - 22, y = top + 14;
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.fillRect(x - 4, y - 12, width + 30, items.length * 15 + 4);
    items.forEach(function (it, i) {
      ctx.strokeStyle = it.color;
      ctx.lineWidth = 2;
      ctx.setLineDash(it.dash || []);
      ctx.beginPath();
      ctx.moveTo(x, y + i * 15 - 4);
      ctx.lineTo(x + 14, y + i * 15 - 4);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#222";
      ctx.textAlign = "left";
      ctx.fillText(it.label, x + 20, y + i * 15);
    });
    ctx.restore();
  }

  function axisLabels(canvas, xlabel, ylabel, title) {
    var ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
    var left = 52, right = 12, top = 24, bottom = 40;
    label(ctx, xlabel, left + (W - left - right) / 2, H - 6);
    label(ctx, ylabel, 12, top + (H - top - bottom) / 2, {rotate: -Math.PI / 2});
    label(ctx, title, left + (W - left - right) / 2, 15);
  }

  ganbook.register("objective", function (root) {
    var t = ganbook.t, el = ganbook.el;
    var controls = el("div", root, {"class": "ganbook-demo__controls"});
    var mu = 2.0, sigma = 1.5, result = null;
    var muInput = ganbook.slider(controls, {
      label: t({en: "mean of p_g", ko: "p_g의 평균"}), min: -5, max: 5, step: 0.1, value: mu,
      name: "mu", format: function (v) { return v.toFixed(1); },
      oninput: function (v) { mu = v; update(); }
    });
    var sigmaInput = ganbook.slider(controls, {
      label: t({en: "std of p_g", ko: "p_g의 표준편차"}), min: 0.3, max: 3, step: 0.1,
      value: sigma, name: "sigma", format: function (v) { return v.toFixed(1); },
      oninput: function (v) { sigma = v; update(); }
    });
    var readout = el("div", root, {"class": "ganbook-demo__readout", "aria-live": "polite"});
    // Hangul ("내트") from the book's web font; its unicode-range leaves digits to monospace.
    readout.style.fontFamily = "'Nanum Gothic', var(--pst-font-family-monospace), monospace";
    var top = el("canvas", root, {width: 680, height: 230, "data-name": "densities"});
    var bottom = el("canvas", root, {width: 680, height: 200, "data-name": "dstar"});
    var nats = t({en: "nats", ko: "내트"});

    function draw() {
      var xs = [], pa = [], pb = [], pd = [], peak = 0;
      for (var i = 0; i < N; i += 4) {  // every 4th grid point (0.02 apart) is enough to draw
        var x = gridX(i);
        if (x < XLIM[0] - 0.1 || x > XLIM[1] + 0.1) continue;
        xs.push(x); pa.push(result.a[i]); pb.push(result.b[i]); pd.push(result.d[i]);
        peak = Math.max(peak, result.a[i], result.b[i]);
      }
      var p = ganbook.plot(top, {xlim: XLIM, ylim: [0, Math.max(0.45, 1.1 * peak)], title: " "});
      p.line(xs, pa, {color: COLORS.data});
      p.line(xs, pb, {color: COLORS.gen});
      var gLabel = "p_g = N(" + result.mu.toFixed(1) + ", " + result.sigma.toFixed(1) + "²)";
      legend(p.ctx, top.width, 24, [
        {label: "p_data = N(0, 1)", color: COLORS.data}, {label: gLabel, color: COLORS.gen}]);
      axisLabels(top, "x", t({en: "density", ko: "밀도"}),
                 t({en: "Data and generator densities", ko: "데이터와 생성자의 밀도"}));

      var q = ganbook.plot(bottom, {xlim: XLIM, ylim: [-0.02, 1.02], title: " "});
      q.line([XLIM[0], XLIM[1]], [0.5, 0.5], {color: COLORS.half, width: 1});
      q.line(xs, pd, {color: COLORS.dstar, dash: [6, 4]});
      legend(q.ctx, bottom.width, 24, [
        {label: t({en: "D*(x), optimal discriminator", ko: "D*(x), 최적 판별자"}),
         color: COLORS.dstar, dash: [6, 4]},
        {label: "1/2", color: COLORS.half}]);
      axisLabels(bottom, "x", "D*(x)", t({
        en: "C(G) = " + result.c.toFixed(3) + " " + nats + ",  JSD = " + result.jsd.toFixed(3) +
            " " + nats,
        ko: "C(G) = " + result.c.toFixed(3) + " " + nats + ",  JSD = " + result.jsd.toFixed(3) +
            " " + nats}));
    }

    function update() {
      result = compute(mu, sigma);
      readout.textContent = "C(G) = " + result.c.toFixed(3) + " " + nats + ", JSD = " +
        result.jsd.toFixed(3) + " " + nats + " (" + t({en: "minimum", ko: "최솟값"}) +
        " -log 4 = " + (-Math.log(4)).toFixed(3) + ")";
      readout.dataset.c = String(result.c);
      readout.dataset.jsd = String(result.jsd);
      draw();
    }

    function state() {
      return {mu: result.mu, sigma: result.sigma, c: result.c, jsd: result.jsd, xs: PROBES,
              dstar: PROBES.map(function (x) { return dstarAt(result, x); }),
              readout: readout.textContent};
    }

    update();
    // Redraw once the web font is ready, so that the canvas labels use it (Hangul included).
    if (document.fonts && document.fonts.load) {
      document.fonts.load("12px 'Nanum Gothic'", "밀도").then(draw, function () {});
    }
    return {
      set: function (m, s) {
        muInput.value = Number(m);
        sigmaInput.value = Number(s);
        muInput.dispatchEvent(new Event("input"));  // updates the sliders' shown values
        sigmaInput.dispatchEvent(new Event("input"));
        mu = Number(m);  // exactly the values asked for, even between slider steps
        sigma = Number(s);
        update();
        return state();
      },
      state: state,
      compute: function (m, s) {
        var r = compute(Number(m), Number(s));
        return {c: r.c, jsd: r.jsd};
      }
    };
  });
})();
