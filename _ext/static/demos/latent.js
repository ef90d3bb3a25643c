/* Latent explorer of chapter 6: the book's trained MNIST generator, run in the page.
 *
 * Data: latent-generator.js (written by `python -m ganbook.web_export`) sets
 * window.ganbook.data.latentGenerator: the generator's linear layers (float16 weights and
 * float32 biases, little-endian, base64) and a few orthonormal latent directions.
 *
 * The forward pass is the PyTorch model's (src/ganbook/models.py, Generator):
 *   h = z; for each hidden layer h = LeakyReLU_slope(W h + b); x = tanh(W h + b),
 * and the pixels are (x + 1) / 2 clipped to [0, 1] (ganbook.images.from_model). Arithmetic is
 * in float64, as ganbook.web_export.forward does, so the page and Python agree to rounding.
 *
 * The latent vector shown is
 *   z = (1 - alpha) z_A + alpha z_B + sum_i a_i u_i
 * with z_A, z_B standard-normal draws (ganbook.rng, seeds shown), u_i the stored directions and
 * a_i, alpha the sliders. Handle (window.ganbook.latent):
 *   render(z)       -> 784 pixels in [0, 1] (row-major 28 x 28) for a latent vector z
 *   latent(seed)    -> the standard-normal latent vector the explorer draws for a seed
 *   set({seedA, seedB, alpha, offsets}) -> state() after moving the controls and redrawing
 *   state()         -> {seedA, seedB, alpha, offsets, z, pixels, gridSeed, latentDim, ...}
 *   grid(seed)      -> draws the 10 x 10 grid of 100 samples for a seed; returns their z
 */
(function () {
  "use strict";
  var SIDE = 28, PIXELS = SIDE * SIDE;

  function bytes(b64) {
    var s = atob(b64), out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  function half(h) {  // IEEE 754 binary16 -> number
    var sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
    if (exp === 0) return sign * frac * Math.pow(2, -24);
    if (exp === 31) return frac ? NaN : sign * Infinity;
    return sign * (1 + frac / 1024) * Math.pow(2, exp - 15);
  }

  function decodeLayers(spec) {
    var table = new Float64Array(65536);
    for (var h = 0; h < 65536; h++) table[h] = half(h);
    return spec.layers.map(function (layer) {
      var wb = bytes(layer.weight), bb = bytes(layer.bias);
      if (wb.length !== 2 * layer["in"] * layer.out || bb.length !== 4 * layer.out) {
        throw new Error("latent: layer data does not match its shape");
      }
      var wv = new DataView(wb.buffer), bv = new DataView(bb.buffer);
      var w = new Float64Array(layer["in"] * layer.out), b = new Float64Array(layer.out);
      for (var i = 0; i < w.length; i++) w[i] = table[wv.getUint16(2 * i, true)];
      for (var j = 0; j < b.length; j++) b[j] = bv.getFloat32(4 * j, true);
      return {n_in: layer["in"], n_out: layer.out, w: w, b: b};
    });
  }

  function makeGenerator(spec) {
    var layers = decodeLayers(spec), slope = spec.negative_slope;
    return function (z) {
      if (z.length !== spec.latent_dim) {
        throw new Error("latent: z must have " + spec.latent_dim + " values, got " + z.length);
      }
      var h = Float64Array.from(z);
      layers.forEach(function (layer, k) {
        var out = new Float64Array(layer.n_out), w = layer.w, n = layer.n_in;
        for (var o = 0; o < layer.n_out; o++) {
          var s = 0, row = o * n;
          for (var i = 0; i < n; i++) s += w[row + i] * h[i];
          s += layer.b[o];
          out[o] = k < layers.length - 1 ? (s > 0 ? s : slope * s) : s;
        }
        h = out;
      });
      var pixels = new Float64Array(PIXELS);
      for (var p = 0; p < PIXELS; p++) {
        pixels[p] = Math.min(1, Math.max(0, (Math.tanh(h[p]) + 1) / 2));
      }
      return pixels;
    };
  }

  function drawDigit(ctx, pixels, x0, y0, scale) {
    // Ink is dark on white paper, as in the book's figures.
    var image = ctx.createImageData(SIDE, SIDE);
    for (var p = 0; p < PIXELS; p++) {
      var v = Math.round(255 * (1 - pixels[p]));
      image.data[4 * p] = image.data[4 * p + 1] = image.data[4 * p + 2] = v;
      image.data[4 * p + 3] = 255;
    }
    var tmp = document.createElement("canvas");
    tmp.width = tmp.height = SIDE;
    tmp.getContext("2d").putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tmp, x0, y0, SIDE * scale, SIDE * scale);
  }

  ganbook.register("latent", function (root, api) {
    var t = api.t, el = api.el;
    var spec = (window.ganbook.data || {}).latentGenerator;
    if (!spec) {
      root.textContent = t({en: "latent explorer: the generator's data file is missing",
                            ko: "잠재 공간 탐색기: 생성자 데이터 파일이 없다"});
      throw new Error("latent: window.ganbook.data.latentGenerator is missing");
    }
    var generate = makeGenerator(spec);
    var dim = spec.latent_dim, directions = spec.directions;
    var st = {seedA: 1, seedB: 2, alpha: 0,
              offsets: directions.map(function () { return 0; }), gridSeed: null};

    function latent(seed) {
      var rng = api.rng(seed), z = new Array(dim);
      for (var i = 0; i < dim; i++) z[i] = rng.normal();
      return z;
    }
    function zAt(alpha) {
      var a = latent(st.seedA), b = latent(st.seedB), z = new Array(dim);
      for (var i = 0; i < dim; i++) {
        var v = (1 - alpha) * a[i] + alpha * b[i];
        for (var k = 0; k < directions.length; k++) v += st.offsets[k] * directions[k][i];
        z[i] = v;
      }
      return z;
    }

    root.classList.add("ganbook-latent");
    el("p", root, {"class": "ganbook-demo__caption"}, t({
      en: "The generator of this chapter's default run, running in your browser: " +
          "z = (1 − α) z_A + α z_B + a₁u₁ + … + a₄u₄, where z_A and z_B are random latent " +
          "vectors and u₁ … u₄ fixed orthonormal directions of the 64-dimensional latent space.",
      ko: "이 장의 기본 실행에서 학습한 생성자가 브라우저에서 돌아간다: " +
          "z = (1 − α) z_A + α z_B + a₁u₁ + … + a₄u₄. z_A와 z_B는 무작위 잠재 벡터이고 " +
          "u₁ … u₄는 64차원 잠재 공간의 고정된 정규직교 방향이다."}));
    var top = el("div", root, {style: "display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start"});
    var main = el("canvas", top, {width: 196, height: 196, "data-name": "digit",
                                  "aria-label": t({en: "generated digit", ko: "생성된 숫자"}),
                                  style: "border:1px solid #999;image-rendering:pixelated"});
    var controls = el("div", top, {"class": "ganbook-demo__controls",
                                    style: "flex-direction:column;align-items:flex-start"});
    var sliders = directions.map(function (_, k) {
      return api.slider(controls, {
        label: t({en: "direction " + (k + 1), ko: "방향 " + (k + 1)}) + " a" + (k + 1),
        min: -3, max: 3, step: 0.1, value: 0, name: "a" + (k + 1),
        format: function (v) { return v.toFixed(1); },
        oninput: function (v) { st.offsets[k] = v; draw(); }
      });
    });
    var alphaSlider = api.slider(controls, {
      label: t({en: "interpolation A → B, α", ko: "A → B 보간, α"}),
      min: 0, max: 1, step: 0.05, value: 0, name: "alpha",
      format: function (v) { return v.toFixed(2); },
      oninput: function (v) { st.alpha = v; draw(); }
    });
    var buttons = el("div", controls);
    api.button(buttons, t({en: "new digit A", ko: "새 숫자 A"}), function () {
      st.seedA = Math.max(st.seedA, st.seedB) + 1; draw();
    });
    api.button(buttons, t({en: "new digit B", ko: "새 숫자 B"}), function () {
      st.seedB = Math.max(st.seedA, st.seedB) + 1; draw();
    });
    api.button(buttons, t({en: "reset directions", ko: "방향 초기화"}), function () {
      st.offsets = st.offsets.map(function () { return 0; });
      sliders.forEach(function (s) { s.value = 0; s.dispatchEvent(new Event("input")); });
      draw();
    });
    api.button(buttons, t({en: "draw a 10 × 10 grid", ko: "10 × 10 격자 그리기"}), function () {
      grid(st.gridSeed === null ? 1000 : st.gridSeed + 1);
    });
    var info = el("div", controls, {"class": "ganbook-demo__label"});

    el("div", root, {"class": "ganbook-demo__label", style: "margin-top:8px"},
       t({en: "The line from A (left) to B (right), α = 0, 1/9, …, 1; the frame nearest " +
              "to the slider's α is outlined.",
          ko: "A(왼쪽)에서 B(오른쪽)까지의 직선, α = 0, 1/9, …, 1. 슬라이더의 α에 가장 " +
              "가까운 칸에 테두리를 그렸다."}));
    var strip = el("canvas", root, {width: 10 * 58, height: 58, "data-name": "line",
                                    style: "max-width:100%"});
    var gridBox = el("div", root, {style: "display:none;margin-top:8px"});
    var gridLabel = el("div", gridBox, {"class": "ganbook-demo__label"});
    var gridCanvas = el("canvas", gridBox, {width: 280, height: 280, "data-name": "grid",
                                            style: "border:1px solid #999"});

    var current = null;
    function draw() {
      var z = zAt(st.alpha);
      current = {z: z, pixels: generate(z)};
      var ctx = main.getContext("2d");
      drawDigit(ctx, current.pixels, 0, 0, 7);
      var sctx = strip.getContext("2d");
      sctx.fillStyle = "#fff";
      sctx.fillRect(0, 0, strip.width, strip.height);
      var nearest = Math.round(st.alpha * 9);
      for (var j = 0; j < 10; j++) {
        drawDigit(sctx, generate(zAt(j / 9)), j * 58 + 1, 1, 2);
        if (j === nearest) {
          sctx.strokeStyle = "#d62728";
          sctx.lineWidth = 2;
          sctx.strokeRect(j * 58 + 1, 1, 56, 56);
        }
      }
      info.textContent = t({en: "seeds: A = " + st.seedA + ", B = " + st.seedB +
                                "; |z| = " + norm(z).toFixed(2),
                            ko: "시드: A = " + st.seedA + ", B = " + st.seedB +
                                "; |z| = " + norm(z).toFixed(2)});
    }
    function norm(z) {
      return Math.sqrt(z.reduce(function (s, v) { return s + v * v; }, 0));
    }

    function grid(seed) {
      st.gridSeed = seed;
      var rng = api.rng(seed), ctx = gridCanvas.getContext("2d"), zs = [];
      for (var n = 0; n < 100; n++) {
        var z = new Array(dim);
        for (var i = 0; i < dim; i++) z[i] = rng.normal();
        zs.push(z);
        drawDigit(ctx, generate(z), (n % 10) * 28, Math.floor(n / 10) * 28, 1);
      }
      gridLabel.textContent = t({en: "100 samples G(z), z ~ N(0, I), seed " + seed,
                                 ko: "표본 100개 G(z), z ~ N(0, I), 시드 " + seed});
      gridBox.style.display = "";
      return zs;
    }

    function show(input, v, digits) {  // move a slider without snapping the state to its step
      input.value = v;
      if (input.nextSibling) input.nextSibling.textContent = Number(v).toFixed(digits);
    }

    draw();
    return {
      render: function (z) { return Array.from(generate(z)); },
      latent: latent,
      grid: grid,
      set: function (o) {
        o = o || {};
        if (o.seedA !== undefined) st.seedA = o.seedA;
        if (o.seedB !== undefined) st.seedB = o.seedB;
        if (o.alpha !== undefined) {
          st.alpha = o.alpha;
          show(alphaSlider, o.alpha, 2);
        }
        if (o.offsets) {
          o.offsets.forEach(function (v, k) {
            st.offsets[k] = v;
            show(sliders[k], v, 1);
          });
        }
        draw();
        return this.state();
      },
      state: function () {
        return {seedA: st.seedA, seedB: st.seedB, alpha: st.alpha,
                offsets: st.offsets.slice(), gridSeed: st.gridSeed, latentDim: dim,
                directions: directions.length, z: current.z.slice(),
                pixels: Array.from(current.pixels), source: spec.source};
      }
    };
  });
})();
