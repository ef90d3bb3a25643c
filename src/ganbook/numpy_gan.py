"""NumPy twins of the book's in-page training demos (``_ext/static/demos/``).

The live demos train small GANs in the reader's browser with hand-written gradients
(``ganbook-demos.js``: :func:`ganbook.mlp`, :func:`ganbook.adam`; ``gan1d.js``). This module
repeats their arithmetic in float64 NumPy with the same random numbers (:class:`Mulberry32`,
the core's ``ganbook.rng``: mulberry32 uniforms, Box-Muller normals), the same initialisation
and the same order of operations, so that a seed gives the same training run in the page and
in Python, up to rounding (the tests require 1e-9 over 200 iterations). The demos are thereby
tested against finite differences and against code that can be read next to the chapter.

* :class:`Mulberry32`: the seeded generator;
* :class:`MLP`: a multilayer perceptron whose parameters are one flat vector in the demos'
  layout, with ``forward`` and ``backward``;
* :class:`Adam`: the demos' optimiser;
* :class:`GAN1D`: the trainer of the chapter-5 demo ``gan1d``.
"""

from __future__ import annotations

import math

import numpy as np

from .checks import one_of, positive_float, positive_int

__all__ = ["Adam", "GAN1D", "MLP", "Mulberry32", "normal_quantile", "js_bits"]

_MASK = 0xFFFFFFFF


def _imul(a: int, b: int) -> int:
    """JavaScript's ``Math.imul`` on unsigned 32-bit representations."""
    return (a * b) & _MASK


class Mulberry32:
    """The core's ``ganbook.rng(seed)``: mulberry32 uniforms ``k / 2**32`` and Box-Muller
    normals (two uniforms per normal, none cached)."""

    def __init__(self, seed: int):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        self.state = int(seed) & _MASK

    def uniform(self) -> float:
        self.state = (self.state + 0x6D2B79F5) & _MASK
        t = self.state
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & _MASK
        return ((t ^ (t >> 14)) & _MASK) / 4294967296

    def normal(self) -> float:
        u1 = 1 - self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)

    def normals(self, n: int, shift: float = 0.0, scale: float = 1.0) -> np.ndarray:
        """``n`` draws ``shift + scale * normal()``, in order."""
        return np.array([shift + scale * self.normal() for _ in range(n)], dtype=float)


_ACTIVATIONS = {
    "tanh": (np.tanh, lambda a, h: 1 - h * h),
    "lrelu": (lambda a: np.where(a > 0, a, 0.01 * a), lambda a, h: np.where(a > 0, 1.0, 0.01)),
    "elu": (lambda a: np.where(a > 0, a, np.expm1(np.minimum(a, 0))),
            lambda a, h: np.where(a > 0, 1.0, h + 1)),
}


class MLP:
    """``ganbook.mlp(sizes, act, rng)``: ``sizes = [in, hidden..., out]``, activation ``act``
    on the hidden layers, linear output. ``params`` is one float64 vector holding, layer by
    layer, ``W`` (``(fan_in, fan_out)``, row-major) and then ``b``, both drawn as
    ``N(0, 1 / fan_in)`` from ``rng.normal()`` in that order."""

    def __init__(self, sizes, act: str, rng: Mulberry32):
        self.sizes = [positive_int("layer size", s) for s in sizes]
        if len(self.sizes) < 2:
            raise ValueError(f"sizes needs an input and an output size, got {sizes!r}")
        self.act = one_of("act", act, tuple(_ACTIVATIONS))
        self._f, self._df = _ACTIVATIONS[self.act]
        self._slices = []
        total = 0
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            w = slice(total, total + fan_in * fan_out)
            total += fan_in * fan_out
            b = slice(total, total + fan_out)
            total += fan_out
            self._slices.append((w, b, fan_in, fan_out))
        self.params = np.zeros(total)
        self.grads = np.zeros(total)
        for w, b, fan_in, fan_out in self._slices:
            scale = math.sqrt(1 / fan_in)
            self.params[w.start:b.stop] = [scale * rng.normal()
                                           for _ in range((fan_in + 1) * fan_out)]
        self._cache = None

    def layer(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Views ``(W, b)`` of layer ``i`` into ``params``."""
        w, b, fan_in, fan_out = self._slices[i]
        return self.params[w].reshape(fan_in, fan_out), self.params[b]

    def forward(self, x) -> np.ndarray:
        """Outputs for the rows of ``x`` (shape ``(n, in)``); kept for :meth:`backward`."""
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"x must have shape (n, {self.sizes[0]}), got {x.shape}")
        pre, post = [None], [x]
        for i in range(len(self._slices)):
            W, b = self.layer(i)
            a = x @ W + b
            x = self._f(a) if i < len(self._slices) - 1 else a
            pre.append(a)
            post.append(x)
        self._cache = (pre, post)
        return x

    def backward(self, d_out) -> np.ndarray:
        """Adds dLoss/dparams to ``grads`` given ``d_out`` = dLoss/doutputs of the last
        forward, and returns dLoss/dx."""
        if self._cache is None:
            raise RuntimeError("backward needs a forward first")
        pre, post = self._cache
        g = np.asarray(d_out, dtype=float)
        if g.shape != post[-1].shape:
            raise ValueError(f"d_out must have shape {post[-1].shape}, got {g.shape}")
        for i in reversed(range(len(self._slices))):
            w, b, fan_in, fan_out = self._slices[i]
            if i < len(self._slices) - 1:
                g = g * self._df(pre[i + 1], post[i + 1])
            self.grads[w] += (post[i].T @ g).ravel()
            self.grads[b] += g.sum(axis=0)
            g = g @ self.layer(i)[0].T
        return g

    def zero_grad(self) -> None:
        self.grads[:] = 0.0


class Adam:
    """``ganbook.adam(net, {beta1, beta2, eps})``: ``m = b1 m + (1 - b1) g``,
    ``v = b2 v + (1 - b2) g g``, bias corrections with running products ``b1^t``, ``b2^t``,
    ``p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)``."""

    def __init__(self, net: MLP, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.net, self.beta1, self.beta2, self.eps = net, beta1, beta2, eps
        self.m = np.zeros_like(net.params)
        self.v = np.zeros_like(net.params)
        self.b1t = self.b2t = 1.0

    def step(self, lr: float) -> None:
        b1, b2, g = self.beta1, self.beta2, self.net.grads
        self.b1t *= b1
        self.b2t *= b2
        self.m[:] = b1 * self.m + (1 - b1) * g
        self.v[:] = b2 * self.v + (1 - b2) * g * g
        self.net.params -= (lr * (self.m / (1 - self.b1t))
                            / (np.sqrt(self.v / (1 - self.b2t)) + self.eps))


def softplus(x):
    """``log(1 + exp(x))`` written as ``max(x, 0) + log1p(exp(-|x|))``, as in the core."""
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def sigmoid(x):
    """The core's stable logistic function."""
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


# Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9).
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
      1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
      6.680131188771972e+01, -1.328068155288572e+01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
      3.754408661907416e+00)


def normal_quantile(p: float) -> float:
    """Inverse of the standard normal CDF at ``p`` in (0, 1), as ``gan1d.js`` computes it."""
    if not 0 < p < 1:
        raise ValueError(f"p must lie in (0, 1), got {p!r}")
    C, D = _C, _D
    if p < 0.02425 or p > 1 - 0.02425:
        q = math.sqrt(-2 * math.log(p if p < 0.02425 else 1 - p))
        value = ((((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
                 / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1))
        return value if p < 0.02425 else -value
    q = p - 0.5
    r = q * q
    A, B = _A, _B
    return ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1))


def js_bits(p, q) -> float:
    """Jensen-Shannon divergence in bits between probability vectors, summed as the demo
    sums it."""
    out = 0.0
    for a, b in zip(np.asarray(p, dtype=float), np.asarray(q, dtype=float)):
        mix = 0.5 * (a + b)
        if a > 0:
            out += 0.5 * a * math.log(a / mix)
        if b > 0:
            out += 0.5 * b * math.log(b / mix)
    return out / math.log(2)


class GAN1D:
    """The chapter-5 demo ``gan1d`` in NumPy (see ``_ext/static/demos/gan1d.js``).

    Data ``N(2, 0.5^2)``; noise ``z ~ N(0, 1)``; G an MLP 1 -> h -> h -> 1 with ELU, D an MLP
    1 -> h -> h -> 1 with leaky ReLU returning a logit. Both are drawn from one
    :class:`Mulberry32` (G first), which then supplies every minibatch. One iteration of
    Algorithm 1: ``k`` times {``m`` data draws, ``m`` noise draws, one Adam step of D on
    ``mean softplus(-l_real) + mean softplus(l_fake)``}, then ``m`` noise draws and one Adam
    step of G on ``mean softplus(-l)`` (non-saturating) or ``-mean softplus(l)`` (minimax).
    Adam with ``beta1 = 0.5``. A run whose weights reach :attr:`PARAM_LIMIT` in size, or
    whose losses are not finite, stops as *diverged* and keeps its last healthy weights.
    """

    DEFAULTS = {"seed": 1, "lr_d": 0.005, "lr_g": 0.0005, "k": 3, "batch": 64,
                "loss": "nonsaturating", "hidden": 24}
    MU, SIGMA = 2.0, 0.5
    XLIM = (-1.0, 5.0)
    N_BINS, N_GRID, N_QUANTILES, RECORD_EVERY = 60, 121, 1000, 25
    PARAM_LIMIT = 100.0

    def __init__(self, **settings):
        unknown = set(settings) - set(self.DEFAULTS)
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; known: {sorted(self.DEFAULTS)}")
        s = {**self.DEFAULTS, **settings}
        s["loss"] = one_of("loss", s["loss"], ("nonsaturating", "minimax"))
        s["lr_d"], s["lr_g"] = positive_float("lr_d", s["lr_d"]), positive_float("lr_g", s["lr_g"])
        s["k"], s["batch"] = positive_int("k", s["k"]), positive_int("batch", s["batch"])
        s["hidden"] = positive_int("hidden", s["hidden"])
        self.settings = s
        self.rng = Mulberry32(s["seed"])
        h = s["hidden"]
        self.G = MLP([1, h, h, 1], "elu", self.rng)
        self.D = MLP([1, h, h, 1], "lrelu", self.rng)
        self.opt_g, self.opt_d = Adam(self.G, beta1=0.5), Adam(self.D, beta1=0.5)
        self.step = 0
        self.diverged = False
        self.loss_d = self.loss_g = self.d_real = self.d_fake = math.nan
        lo, hi = self.XLIM
        self.width = (hi - lo) / self.N_BINS
        self.centres = lo + (np.arange(self.N_BINS) + 0.5) * self.width
        self.x_grid = lo + np.arange(self.N_GRID) * (hi - lo) / (self.N_GRID - 1)
        self.z_quantiles = np.array([normal_quantile((i + 0.5) / self.N_QUANTILES)
                                     for i in range(self.N_QUANTILES)])
        u = (self.centres - self.MU) / self.SIGMA
        density = np.exp(-0.5 * u * u) / (self.SIGMA * math.sqrt(2 * math.pi)) * self.width
        self.p_data = np.zeros(self.N_BINS + 2)  # with an empty overflow bin at each end
        total = 0.0
        for value in density:  # summed in order, as the demo sums
            total += value
        self.p_data[1:-1] = density / total
        self._saved = (self.G.params.copy(), self.D.params.copy())
        self.history = [(0, self.measure()["js"])]

    def _iteration(self) -> None:
        s, m = self.settings, self.settings["batch"]
        for _ in range(s["k"]):
            x_real = self.rng.normals(m, self.MU, self.SIGMA)[:, None]
            z = self.rng.normals(m)[:, None]
            x_fake = self.G.forward(z).copy()
            self.D.zero_grad()
            logits = self.D.forward(x_real)
            loss_real = softplus(-logits).sum()
            self.d_real = sigmoid(logits).sum() / m
            self.D.backward(-sigmoid(-logits) / m)
            logits = self.D.forward(x_fake)
            loss_fake = softplus(logits).sum()
            self.d_fake = sigmoid(logits).sum() / m
            self.D.backward(sigmoid(logits) / m)
            self.loss_d = loss_real / m + loss_fake / m
            self.opt_d.step(s["lr_d"])
        z = self.rng.normals(m)[:, None]
        logits = self.D.forward(self.G.forward(z))
        if s["loss"] == "nonsaturating":
            self.loss_g = softplus(-logits).sum() / m
            d_logits = -sigmoid(-logits) / m
        else:
            self.loss_g = -softplus(logits).sum() / m
            d_logits = -sigmoid(logits) / m
        dx = self.D.backward(d_logits)  # D's gradients are zeroed before its next step
        self.G.zero_grad()
        self.G.backward(dx)
        self.opt_g.step(s["lr_g"])
        self.step += 1

    def _healthy(self) -> bool:
        return bool(np.all(np.abs(self.G.params) < self.PARAM_LIMIT)
                    and np.all(np.abs(self.D.params) < self.PARAM_LIMIT)
                    and math.isfinite(self.loss_d) and math.isfinite(self.loss_g))

    def run(self, n: int) -> GAN1D:
        """``n`` iterations of Algorithm 1 (fewer if the run diverges)."""
        for _ in range(positive_int("n", n)):
            if self.diverged:
                break
            self._iteration()
            if not self._healthy():
                self.G.params[:], self.D.params[:] = self._saved
                self.step -= 1
                self.diverged = True
                break
            self._saved = (self.G.params.copy(), self.D.params.copy())
            if self.step % self.RECORD_EVERY == 0:
                self.history.append((self.step, self.measure()["js"]))
        return self

    def measure(self) -> dict:
        """D on ``x_grid``, p_g on the bins (the equal-probability noise quantiles pushed
        through G; ``mass_g`` has an overflow bin at each end) and JS(p_data || p_g) in bits."""
        d_grid = sigmoid(self.D.forward(self.x_grid[:, None]))[:, 0]
        x = self.G.forward(self.z_quantiles[:, None])[:, 0]
        bins = np.floor((x - self.XLIM[0]) / self.width)
        index = np.where(bins < 0, 0, np.where(bins >= self.N_BINS, self.N_BINS + 1, bins + 1))
        mass = np.zeros(self.N_BINS + 2)
        for i in index.astype(int):  # in order, as the demo adds them
            mass[i] += 1 / self.N_QUANTILES
        return {"d_grid": d_grid, "p_g": mass[1:-1] / self.width, "mass_g": mass,
                "js": js_bits(self.p_data, mass), "samples": x}

    def dump(self) -> dict:
        """The numbers the demo's ``gan1dTrainer.dump`` reports."""
        m = self.measure()
        return {"step": self.step, "g": self.G.params.copy(), "d": self.D.params.copy(),
                "loss_d": self.loss_d, "loss_g": self.loss_g, "d_real": self.d_real,
                "d_fake": self.d_fake, "js": m["js"], "d_grid": m["d_grid"],
                "mass_g": m["mass_g"], "diverged": self.diverged,
                "history": [list(h) for h in self.history]}
