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
    ctx.font = "11px sans-serif";
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
    ctx.font = "12px sans-serif";
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
        ctx.font = "11px sans-serif";
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
