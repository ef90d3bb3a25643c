/* ganbook live demos: the shared core (plain JavaScript, no libraries, works from file://).
 *
 * A demo script registers itself with
 *   ganbook.register("name", function mount(root, api) { ... return handle; });
 * and the core mounts it into every <div class="ganbook-demo" data-demo="name"> of the page
 * when the page has loaded. `handle` (any object: step(), state(), ...) becomes
 * window.ganbook.<name>, so that tests and curious readers can drive the demo from the console.
 *
 * Helpers for demos:
 *   ganbook.lang()              "ko" on Korean pages, else "en"
 *   ganbook.t({en, ko})         the string for the page's language
 *   ganbook.rng(seed)           seeded uniform [0, 1) generator (mulberry32) with .normal()
 *   ganbook.slider(parent, o)   a labelled range input: o = {label, min, max, step, value,
 *                               format, oninput}; returns the <input>
 *   ganbook.button(parent, label, onclick), ganbook.select(parent, o)
 *   ganbook.plot(canvas, o)     axes with ticks, labels and a legend on a <canvas>;
 *                               o = {xlim, ylim, xlabel, ylabel, title}; returns a drawing
 *                               context with .line(xs, ys, style), .bars(...), .points(...),
 *                               .legend([{label, color}]), .toPx(x, y)
 *   ganbook.font(px, node)      a canvas font in the page's font stack (Hangul included)
 *   ganbook.mlp(sizes, act, rng) a small multilayer perceptron with hand-written gradients
 *                               (Float64Array): .forward(X, n), .backward(dOut), .params,
 *                               .grads; ganbook.adam(net, o) its optimiser (see below)
 *   ganbook.trainingSettings, ganbook.guardedRun, ganbook.trainingDemo: what the training
 *                               demos (gan1d.js, ring.js) share: settings, a run that stops
 *                               at divergence, and the page of controls around a trainer
 */
(function () {
  "use strict";
  var ganbook = window.ganbook = window.ganbook || {};
  var registry = ganbook._registry = ganbook._registry || {};

  ganbook.lang = function () {
    var lang = (document.documentElement.lang || "en").toLowerCase();
    return lang.indexOf("ko") === 0 ? "ko" : "en";
  };
  ganbook.t = function (strings) {
    return strings[ganbook.lang()] !== undefined ? strings[ganbook.lang()] : strings.en;
  };

  /* mulberry32: 32-bit state, uniform draws k / 2^32. The NumPy twins in src/ganbook use the
   * same recurrence, so a seed gives the same draws in the page and in Python. */
  ganbook.rng = function (seed) {
    var state = seed >>> 0;
    function uniform() {
      state = (state + 0x6D2B79F5) >>> 0;
      var t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }
    uniform.normal = function () {  // Box-Muller, one draw per two uniforms
      var u1 = 1 - uniform(), u2 = uniform();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    };
    uniform.state = function () { return state; };
    return uniform;
  };

  function el(tag, parent, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  ganbook.el = el;

  ganbook.slider = function (parent, o) {
    var row = el("label", parent, {"class": "ganbook-demo__control"});
    el("span", row, {"class": "ganbook-demo__label"}, o.label);
    var input = el("input", row, {type: "range", min: o.min, max: o.max, step: o.step});
    input.value = o.value;
    var shown = el("output", row, {"class": "ganbook-demo__value"});
    var format = o.format || function (v) { return String(v); };
    function update() { shown.textContent = format(Number(input.value)); }
    input.addEventListener("input", function () {
      update();
      if (o.oninput) o.oninput(Number(input.value));
    });
    update();
    if (o.name) input.dataset.name = o.name;
    return input;
  };

  ganbook.button = function (parent, label, onclick) {
    var b = el("button", parent, {type: "button", "class": "ganbook-demo__button"}, label);
    b.addEventListener("click", onclick);
    return b;
  };

  ganbook.select = function (parent, o) {
    var row = el("label", parent, {"class": "ganbook-demo__control"});
    el("span", row, {"class": "ganbook-demo__label"}, o.label);
    var s = el("select", row);
    o.options.forEach(function (opt) {
      var option = el("option", s, {value: opt.value}, opt.label);
      if (opt.value === o.value) option.selected = true;
    });
    s.addEventListener("change", function () { if (o.onchange) o.onchange(s.value); });
    if (o.name) s.dataset.name = o.name;
    return s;
  };

  function ticks(lo, hi, n) {
    var span = hi - lo, step = Math.pow(10, Math.floor(Math.log10(span / n)));
    [1, 2, 5, 10].some(function (m) {
      if (span / (step * m) <= n) { step *= m; return true; }
      return false;
    });
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) {
      out.push(Math.abs(v) < 1e-12 * span ? 0 : v);
    }
    return out;
  }

  /* The page's font stack for canvas text, so that Hangul is drawn with the book's web
   * font (canvas text does not inherit CSS). */
  ganbook.font = function (px, node) {
    var family = "";
    try { family = window.getComputedStyle(node || document.body).fontFamily; } catch (e) {}
    return px + "px " + (family || "sans-serif");
  };

  ganbook.plot = function (canvas, o) {
    var ctx = canvas.getContext("2d");
    var W = canvas.width, H = canvas.height;
    var m = {left: 52, right: 12, top: o.title ? 24 : 10, bottom: 40};
    var xlim = o.xlim, ylim = o.ylim;
    function toPx(x, y) {
      return [m.left + (x - xlim[0]) / (xlim[1] - xlim[0]) * (W - m.left - m.right),
              H - m.bottom - (y - ylim[0]) / (ylim[1] - ylim[0]) * (H - m.top - m.bottom)];
    }
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, W, H);
    ctx.strokeStyle = "#444";
    ctx.lineWidth = 1;
    ctx.strokeRect(m.left, m.top, W - m.left - m.right, H - m.top - m.bottom);
    ctx.fillStyle = "#222";
    ctx.font = ganbook.font(11, canvas);
    ctx.textAlign = "center";
    ticks(xlim[0], xlim[1], 6).forEach(function (v) {
      var p = toPx(v, ylim[0]);
      ctx.fillText(+v.toPrecision(6) + "", p[0], p[1] + 14);
    });
    ctx.textAlign = "right";
    ticks(ylim[0], ylim[1], 5).forEach(function (v) {
      var p = toPx(xlim[0], v);
      ctx.fillText(+v.toPrecision(6) + "", p[0] - 4, p[1] + 4);
    });
    ctx.textAlign = "center";
    ctx.font = ganbook.font(12, canvas);
    if (o.xlabel) ctx.fillText(o.xlabel, m.left + (W - m.left - m.right) / 2, H - 6);
    if (o.title) ctx.fillText(o.title, m.left + (W - m.left - m.right) / 2, 15);
    if (o.ylabel) {
      ctx.save();
      ctx.translate(12, m.top + (H - m.top - m.bottom) / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(o.ylabel, 0, 0);
      ctx.restore();
    }
    function clip(draw) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(m.left, m.top, W - m.left - m.right, H - m.top - m.bottom);
      ctx.clip();
      draw();
      ctx.restore();
    }
    return {
      ctx: ctx, toPx: toPx,
      line: function (xs, ys, style) {
        style = style || {};
        clip(function () {
          ctx.strokeStyle = style.color || "#1f77b4";
          ctx.lineWidth = style.width || 2;
          ctx.setLineDash(style.dash || []);
          ctx.beginPath();
          for (var i = 0; i < xs.length; i++) {
            var p = toPx(xs[i], ys[i]);
            if (i === 0) ctx.moveTo(p[0], p[1]); else ctx.lineTo(p[0], p[1]);
          }
          ctx.stroke();
          ctx.setLineDash([]);
        });
      },
      bars: function (edges, heights, style) {
        style = style || {};
        clip(function () {
          ctx.fillStyle = style.color || "rgba(31,119,180,0.4)";
          for (var i = 0; i < heights.length; i++) {
            var a = toPx(edges[i], 0), b = toPx(edges[i + 1], heights[i]);
            ctx.fillRect(a[0], b[1], b[0] - a[0], a[1] - b[1]);
          }
        });
      },
      points: function (xs, ys, style) {
        style = style || {};
        clip(function () {
          ctx.fillStyle = style.color || "#d62728";
          var r = style.radius || 2;
          for (var i = 0; i < xs.length; i++) {
            var p = toPx(xs[i], ys[i]);
            ctx.beginPath();
            ctx.arc(p[0], p[1], r, 0, 2 * Math.PI);
            ctx.fill();
          }
        });
      },
      legend: function (items) {
        ctx.font = ganbook.font(11, canvas);
        ctx.textAlign = "left";
        var x = W - m.right - 8, y = m.top + 14, width = 0;
        items.forEach(function (it) { width = Math.max(width, ctx.measureText(it.label).width); });
        x -= width + 22;
        ctx.fillStyle = "rgba(255,255,255,0.85)";
        ctx.fillRect(x - 4, y - 12, width + 30, items.length * 15 + 4);
        items.forEach(function (it, i) {
          ctx.fillStyle = it.color;
          ctx.fillRect(x, y + i * 15 - 6, 14, 3);
          ctx.fillStyle = "#222";
          ctx.fillText(it.label, x + 20, y + i * 15);
        });
      }
    };
  };

  /* A multilayer perceptron with hand-written gradients, for the training demos (gan1d,
   * ring). sizes = [in, hidden..., out]; act = "tanh" | "lrelu" | "elu" on the hidden layers,
   * linear output. All weights and biases live in one Float64Array `params` (layer by layer:
   * W row-major with W[i * out + j] from input i to unit j, then b), gradients in `grads`.
   * Initialisation, layer by layer: W then b ~ N(0, 1 / fan_in) from rng.normal() (random
   * biases spread the units' kinks over the input range instead of all at 0). The NumPy
   * twin (src/ganbook/numpy_gan.py) follows the same layout, order and arithmetic.
   *   forward(X, n): X holds n rows of `in` numbers; returns n rows of `out` (kept for backward)
   *   backward(dOut): adds dLoss/dparams to grads (call zeroGrad() first) and returns
   *                   dLoss/dX of the last forward. */
  var ACTIVATIONS = {
    tanh: [function (a) { return Math.tanh(a); },
           function (a, h) { return 1 - h * h; }],
    lrelu: [function (a) { return a > 0 ? a : 0.01 * a; },
            function (a) { return a > 0 ? 1 : 0.01; }],
    elu: [function (a) { return a > 0 ? a : Math.expm1(a); },
          function (a, h) { return a > 0 ? 1 : h + 1; }]
  };
  ganbook.mlp = function (sizes, act, rng) {
    if (!ACTIVATIONS[act]) throw new Error("ganbook.mlp: unknown activation " + act);
    var f = ACTIVATIONS[act][0], df = ACTIVATIONS[act][1];
    var L = sizes.length - 1, offW = [], offB = [], total = 0, l, i;
    for (l = 0; l < L; l++) {
      offW.push(total); total += sizes[l] * sizes[l + 1];
      offB.push(total); total += sizes[l + 1];
    }
    var params = new Float64Array(total), grads = new Float64Array(total);
    for (l = 0; l < L; l++) {
      var scale = Math.sqrt(1 / sizes[l]);
      for (i = 0; i < (sizes[l] + 1) * sizes[l + 1]; i++) params[offW[l] + i] = scale * rng.normal();
    }
    var pre = [], post = [], n = 0;   // per layer: pre-activations and outputs of the last forward
    function forward(X, rows) {
      n = rows;
      post = [X]; pre = [null];
      var x = X;
      for (var l = 0; l < L; l++) {
        var nin = sizes[l], nout = sizes[l + 1], W = offW[l], B = offB[l];
        var a = new Float64Array(n * nout), h = l < L - 1 ? new Float64Array(n * nout) : a;
        for (var s = 0; s < n; s++) {
          for (var j = 0; j < nout; j++) {
            var acc = 0;
            for (var i = 0; i < nin; i++) acc += x[s * nin + i] * params[W + i * nout + j];
            a[s * nout + j] = acc + params[B + j];
            if (l < L - 1) h[s * nout + j] = f(a[s * nout + j]);
          }
        }
        pre.push(a); post.push(h); x = h;
      }
      return x;
    }
    function backward(dOut) {
      var g = dOut;
      for (var l = L - 1; l >= 0; l--) {
        var nin = sizes[l], nout = sizes[l + 1], W = offW[l], B = offB[l];
        var da = g, s, i, j;
        if (l < L - 1) {   // through the activation of this hidden layer
          da = new Float64Array(n * nout);
          for (i = 0; i < n * nout; i++) da[i] = g[i] * df(pre[l + 1][i], post[l + 1][i]);
        }
        var x = post[l], dx = new Float64Array(n * nin);
        for (s = 0; s < n; s++) {
          for (j = 0; j < nout; j++) {
            var d = da[s * nout + j];
            grads[B + j] += d;
            for (i = 0; i < nin; i++) {
              grads[W + i * nout + j] += x[s * nin + i] * d;
              dx[s * nin + i] += params[W + i * nout + j] * d;
            }
          }
        }
        g = dx;
      }
      return g;
    }
    return {
      sizes: sizes.slice(), act: act, params: params, grads: grads,
      forward: forward, backward: backward,
      zeroGrad: function () { grads.fill(0); }
    };
  };

  /* Adam (Kingma & Ba 2015) on a net's params with its grads; o = {beta1, beta2, eps}.
   * step(lr): m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g g; bias corrections with running
   * products b1^t, b2^t; p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps). */
  ganbook.adam = function (net, o) {
    o = o || {};
    var b1 = o.beta1 !== undefined ? o.beta1 : 0.9, b2 = o.beta2 !== undefined ? o.beta2 : 0.999;
    var eps = o.eps !== undefined ? o.eps : 1e-8;
    var p = net.params, g = net.grads;
    var m = new Float64Array(p.length), v = new Float64Array(p.length), b1t = 1, b2t = 1;
    return {
      m: m, v: v,
      step: function (lr) {
        b1t *= b1; b2t *= b2;
        for (var i = 0; i < p.length; i++) {
          m[i] = b1 * m[i] + (1 - b1) * g[i];
          v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
          p[i] -= lr * (m[i] / (1 - b1t)) / (Math.sqrt(v[i] / (1 - b2t)) + eps);
        }
      },
      copyFrom: function (other) {   // for restoring a saved state
        m.set(other.m); v.set(other.v); b1t = other.powers()[0]; b2t = other.powers()[1];
      },
      powers: function () { return [b1t, b2t]; }
    };
  };

  /* Numerically stable pieces of the GAN losses on logits l:
   * softplus(l) = -log(1 - sigmoid(l)), softplus(-l) = -log sigmoid(l). */
  ganbook.softplus = function (l) { return Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l))); };
  ganbook.sigmoid = function (l) {
    if (l >= 0) return 1 / (1 + Math.exp(-l));
    var e = Math.exp(l);
    return e / (1 + e);
  };

  /* ---- training demos (gan1d.js, ring.js): settings, a guarded run, the page around it. */
  ganbook.toArray = function (a) { return Array.prototype.slice.call(a); };

  function allFinite(a, limit) {
    for (var i = 0; i < a.length; i++) {
      if (!(Math.abs(a[i]) < limit)) return false;   // false for NaN and infinities too
    }
    return true;
  }

  /* A trainer's settings: ``defaults`` overridden by ``options``; the rates lr_d and lr_g
   * must be positive, k and batch are rounded to integers. */
  ganbook.trainingSettings = function (name, defaults, options) {
    var s = {};
    Object.keys(defaults).forEach(function (key) {
      s[key] = options && options[key] !== undefined ? options[key] : defaults[key];
    });
    ["lr_d", "lr_g"].forEach(function (key) {
      if (!(s[key] > 0 && isFinite(s[key]))) throw new Error(name + ": " + key + " must be > 0");
    });
    s.k = Math.round(s.k); s.batch = Math.round(s.batch);
    return s;
  };

  /* Gives the trainer t = {G, D, step, loss_d, loss_g, history, ...} its run(n): n calls of
   * iteration() (which advances t.step), stopping at the first after which a weight reaches
   * PARAM_LIMIT in size or a loss is not finite. That iteration is undone (the last healthy
   * weights are kept on screen) and t.diverged and t.message say what happened, instead of
   * drawing NaN. At the start and every RECORD_EVERY iterations, [t.step, metric()] joins
   * t.history. Weights start below about 3 and stay below about 15 in runs that train. */
  var PARAM_LIMIT = 100, RECORD_EVERY = 25;
  ganbook.guardedRun = function (t, iteration, metric) {
    var saved = {G: new Float64Array(t.G.params), D: new Float64Array(t.D.params)};
    function healthy() {
      return allFinite(t.G.params, PARAM_LIMIT) && allFinite(t.D.params, PARAM_LIMIT) &&
             isFinite(t.loss_d) && isFinite(t.loss_g);
    }
    t.run = function (n) {
      for (var j = 0; j < n && !t.diverged; j++) {
        iteration();
        if (!healthy()) {
          t.G.params.set(saved.G); t.D.params.set(saved.D);
          t.step -= 1;
          t.diverged = true;
          t.message = "diverged at iteration " + (t.step + 1) + ": a weight reached " +
            PARAM_LIMIT + " in size or a loss was not finite";
          break;
        }
        saved.G.set(t.G.params); saved.D.set(t.D.params);
        if (t.step % RECORD_EVERY === 0) t.history.push([t.step, metric()]);
      }
      return t;
    };
    t.history.push([0, metric()]);
    return t;
  };

  /* The page of a training demo: its title, the learning rates (log sliders) and k, the
   * demo's own controls, step/play/reset buttons, the demo's canvases, a readout and a
   * divergence warning. Returns the handle: step(n), state(), reset(settings), play(),
   * pause(). o: title, defaults, trainer(settings), kMax; controls(parent, ui) adds inputs
   * to ui.inputs (ui.set(key, value) changes a setting of the running trainer, ui.reset()
   * starts afresh); layout(root) adds the canvases; draw(tr) draws and returns {m, text}
   * (what it measured, the readout); state(tr, m) the demo's numbers (m: the last drawn, or
   * null); sync(settings, inputs) shows its own inputs' values after a reset. */
  ganbook.trainingDemo = function (root, o) {
    var T = ganbook.t;
    var L = {
      lr_d: T({en: "D learning rate", ko: "D 학습률"}),
      lr_g: T({en: "G learning rate", ko: "G 학습률"}),
      k: T({en: "k (D steps per G step)", ko: "k (G 한 번에 D 스텝 수)"}),
      step: T({en: "step ×10", ko: "10 스텝"}),
      play: T({en: "play", ko: "재생"}),
      pause: T({en: "pause", ko: "일시정지"}),
      reset: T({en: "reset", ko: "초기화"}),
      diverged: T({en: "Training diverged: the weights or losses blew up, so the last " +
                       "finite state is shown. Lower the learning rates and reset.",
                   ko: "학습이 발산했습니다: 가중치나 손실이 폭주해 마지막 유한한 상태를 " +
                       "보여 줍니다. 학습률을 낮추고 초기화하세요."})
    };
    root.innerHTML = "";
    el("p", root, {"class": "ganbook-demo__title"}, o.title).style.fontWeight = "bold";
    var controls = el("div", root, {"class": "ganbook-demo__controls"});
    var settings = {}, inputs = {}, playing = false, last = null, handle;
    Object.keys(o.defaults).forEach(function (key) { settings[key] = o.defaults[key]; });
    var tr = o.trainer(settings);
    var ui = {inputs: inputs, settings: settings,
              set: function (key, v) { settings[key] = tr.settings[key] = v; },
              reset: function () { return handle.reset(); }};

    ["lr_d", "lr_g"].forEach(function (key) {
      inputs[key] = ganbook.slider(controls, {
        label: L[key], min: -4, max: 1, step: 0.1, value: Math.log10(settings[key]), name: key,
        format: function (v) { return Math.pow(10, v).toExponential(1); },
        oninput: function (v) { ui.set(key, Math.pow(10, v)); }
      });
    });
    inputs.k = ganbook.slider(controls, {
      label: L.k, min: 1, max: o.kMax, step: 1, value: settings.k, name: "k",
      oninput: function (v) { ui.set("k", v); }
    });
    o.controls(controls, ui);
    var buttons = el("div", root, {"class": "ganbook-demo__controls"});
    ganbook.button(buttons, L.step, function () { handle.step(10); });
    var playButton = ganbook.button(buttons, L.play, function () {
      if (playing) handle.pause(); else handle.play();
    });
    ganbook.button(buttons, L.reset, function () { handle.reset(); });
    o.layout(root);
    var readout = el("p", root, {"class": "ganbook-demo__readout", "aria-live": "polite"});
    readout.style.fontFamily = "inherit";   // the monospace font has no Hangul
    var warning = el("p", root, {"class": "ganbook-demo__warning", role: "status"});
    warning.style.color = "#b00020";

    function draw() {
      var shown = o.draw(tr);
      last = shown.m;
      readout.textContent = shown.text;
      warning.textContent = tr.diverged ? L.diverged + " (" + tr.message + ")" : "";
    }

    function frame() {
      if (!playing) return;
      tr.run(5);
      draw();
      if (tr.diverged) { handle.pause(); return; }
      window.requestAnimationFrame(frame);
    }

    handle = {
      step: function (n) {
        tr.run(n === undefined ? 1 : n);
        draw();
        return handle.state();
      },
      state: function () {
        var out = o.state(tr, last);
        out.step = tr.step;
        out.settings = JSON.parse(JSON.stringify(tr.settings));
        out.loss_d = tr.loss_d; out.loss_g = tr.loss_g;
        out.d_real = tr.d_real; out.d_fake = tr.d_fake;
        out.diverged = tr.diverged;
        out.message = tr.diverged ? warning.textContent : "";
        out.playing = playing;
        return out;
      },
      /* reset(): a fresh run with the controls' settings; reset(o): with the defaults
       * overridden by o. */
      reset: function (options) {
        handle.pause();
        var base = options ? o.defaults : JSON.parse(JSON.stringify(settings));
        options = options || {};
        Object.keys(o.defaults).forEach(function (key) {
          settings[key] = options[key] !== undefined ? options[key] : base[key];
        });
        tr = o.trainer(settings);
        // Show the new values without firing the sliders (their grid would round them).
        ["lr_d", "lr_g"].forEach(function (key) {
          inputs[key].value = Math.log10(settings[key]);
          inputs[key].nextSibling.textContent = settings[key].toExponential(1);
        });
        inputs.k.value = settings.k;
        inputs.k.nextSibling.textContent = String(settings.k);
        o.sync(settings, inputs);
        last = null;
        draw();
        return handle.state();
      },
      play: function () {
        if (playing || tr.diverged) return;
        playing = true;
        playButton.textContent = L.pause;
        window.requestAnimationFrame(frame);
      },
      pause: function () {
        playing = false;
        playButton.textContent = L.play;
      }
    };
    draw();
    // Canvas text needs the web font loaded (Hangul): draw again once the page's fonts are in.
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(function () { draw(); });
    return handle;
  };

  ganbook.register = function (name, mount) {
    registry[name] = mount;
  };

  function mountAll() {
    var nodes = document.querySelectorAll(".ganbook-demo[data-demo]");
    Array.prototype.forEach.call(nodes, function (root) {
      var name = root.dataset.demo;
      if (root.dataset.mounted) return;
      var mount = registry[name];
      if (!mount) {
        root.textContent = "demo " + name + " is missing its script";
        throw new Error("ganbook: no demo registered as " + name);
      }
      root.dataset.mounted = "1";
      var handle = mount(root, ganbook);
      ganbook[name] = handle || {};
      root.dataset.ready = "1";
    });
  }
  ganbook.mountAll = mountAll;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mountAll);
  } else {
    setTimeout(mountAll, 0);
  }
})();
