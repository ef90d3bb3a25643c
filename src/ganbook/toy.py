"""Low-dimensional GANs, small enough to watch every quantity while they train.

* data: a 1-D Gaussian (the setting of Figure 1 of Goodfellow et al. 2014) and the 2-D ring
  of 8 Gaussians of Metz et al. (2017) (radius 2, standard deviation 0.02), with
  :func:`ring_coverage`, which counts the modes a set of samples covers;
* noise (uniform or normal) and its deterministic quantiles in one dimension;
* small MLP players (the discriminator returns a *logit*; ``sigmoid`` of it is D(x));
* Algorithm 1 of Goodfellow et al. (2014), split into :func:`discriminator_step` and
  :func:`generator_step` so that each half can be run on its own, and :func:`train`, which
  alternates ``k`` discriminator steps with one generator step on a :class:`ToyGAN` (the
  book's one GAN, :class:`ganbook.gan.GAN`, with its data and noise);
* density helpers for plots: the exact push-forward density of a 1-D generator on a grid, a
  Gaussian KDE, and D(x) on a grid.

Random draws come from a ``torch.Generator`` passed in (a :class:`ToyGAN` owns one), so the
same seed gives bit-identical results on the same machine.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .checks import (as_matrix, finite_float, non_negative_int, one_of, positive_float,
                     positive_int)
from .gan import GAN, discriminator_update, generator_update, trainable
from .loop import Every, Loop, seeded
from .losses import GENERATOR_LOSSES
from .models import mlp
from .remedies import HistoricalAverage

# The ring of Gaussians of Metz et al. (2017).
RING_MODES = 8
RING_RADIUS = 2.0
RING_STD = 0.02

NOISE_KINDS = ("uniform", "normal")


def _generator(rng) -> torch.Generator:
    if not isinstance(rng, torch.Generator):
        raise ValueError("rng must be a torch.Generator (e.g. torch.Generator().manual_seed(0)), "
                         f"got {type(rng).__name__}")
    return rng


# --------------------------------------------------------------------------- data
def gaussian_density(x, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """The density of N(mean, std^2) at the points ``x``."""
    mean, std = finite_float("mean", mean), positive_float("std", std)
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2.0 * math.pi))


def sample_gaussian_1d(n: int, rng: torch.Generator, mean: float = 0.0,
                       std: float = 1.0) -> torch.Tensor:
    """``n`` draws of N(mean, std^2), float32, shape ``(n, 1)``."""
    n = positive_int("n", n)
    mean, std = finite_float("mean", mean), positive_float("std", std)
    return mean + std * torch.randn(n, 1, generator=_generator(rng))


def ring_centres(n_modes: int = RING_MODES, radius: float = RING_RADIUS) -> np.ndarray:
    """The ``(n_modes, 2)`` centres, equally spaced on a circle, starting on the positive x-axis."""
    n_modes, radius = positive_int("n_modes", n_modes), positive_float("radius", radius)
    angles = 2.0 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def sample_ring(n: int, rng: torch.Generator, n_modes: int = RING_MODES,
                radius: float = RING_RADIUS, std: float = RING_STD) -> torch.Tensor:
    """``n`` draws of the ring of Gaussians of Metz et al. (2017), float32, shape ``(n, 2)``:
    ``n_modes`` equally weighted isotropic Gaussians with standard deviation ``std`` centred on
    :func:`ring_centres`."""
    n, std = positive_int("n", n), positive_float("std", std)
    centres = torch.from_numpy(ring_centres(n_modes, radius)).float()
    modes = torch.randint(len(centres), (n,), generator=_generator(rng))
    return centres[modes] + std * torch.randn(n, 2, generator=rng)


def ring_coverage(samples, *, n_modes: int = RING_MODES, radius: float = RING_RADIUS,
                  std: float = RING_STD, n_std: float = 3.0, min_count: int = 20) -> dict:
    """How 2-D ``samples`` cover the ring (the criterion of Srivastava et al. 2017).

    A sample is *high quality* when it lies within ``n_std`` standard deviations of its nearest
    centre; a mode is *covered* when at least ``min_count`` high-quality samples are near it.
    Returns ``{"modes_covered", "high_quality" (fraction), "counts" (per mode)}``.
    """
    s = as_matrix(samples, "samples", unit_range=False, dim=2)
    n_std, min_count = positive_float("n_std", n_std), positive_int("min_count", min_count)
    centres = torch.from_numpy(ring_centres(n_modes, radius))
    nearest = torch.cdist(s, centres).min(dim=1)
    good = nearest.values <= n_std * positive_float("std", std)
    counts = torch.bincount(nearest.indices[good], minlength=len(centres)).numpy()
    return {"modes_covered": int((counts >= min_count).sum()),
            "high_quality": float(good.double().mean()), "counts": counts}


# --------------------------------------------------------------------------- noise
def sample_noise(n: int, dim: int, rng: torch.Generator, kind: str = "uniform",
                 scale: float = 1.0) -> torch.Tensor:
    """``n`` noise vectors z of dimension ``dim`` (float32, shape ``(n, dim)``):
    ``kind="uniform"``, each coordinate uniform on [-scale, scale]; ``kind="normal"``, each
    coordinate N(0, scale^2)."""
    n, dim = positive_int("n", n), positive_int("dim", dim)
    kind, scale = one_of("kind", kind, NOISE_KINDS), positive_float("scale", scale)
    if kind == "uniform":
        return scale * (2.0 * torch.rand(n, dim, generator=_generator(rng)) - 1.0)
    return scale * torch.randn(n, dim, generator=_generator(rng))


def noise_quantiles(m: int, kind: str = "uniform", scale: float = 1.0) -> np.ndarray:
    """``m`` equal-probability quantiles of 1-D noise, float32, shape ``(m, 1)``.

    Point ``i`` is the quantile of level ``(i + 1/2) / m``: each carries probability ``1/m``,
    so pushing them through a generator gives its output distribution without sampling noise.
    """
    m = positive_int("m", m)
    kind, scale = one_of("kind", kind, NOISE_KINDS), positive_float("scale", scale)
    levels = (np.arange(m) + 0.5) / m
    if kind == "uniform":
        z = scale * (2.0 * levels - 1.0)
    else:
        from scipy.special import ndtri

        z = scale * ndtri(levels)
    return z.astype(np.float32)[:, None]


# --------------------------------------------------------------------------- networks
def make_generator(noise_dim: int = 1, data_dim: int = 1, hidden: int = 32, depth: int = 2,
                   activation: str = "elu") -> nn.Sequential:
    """G: R^noise_dim -> R^data_dim, an MLP with ``depth`` hidden layers of ``hidden`` units.

    The default ELU activation is smooth (so the density of G(z) is smooth) and unbounded
    (so G can produce Gaussian tails, which a tanh network cannot).
    """
    hidden, depth = positive_int("hidden", hidden), positive_int("depth", depth)
    return mlp([noise_dim] + [hidden] * depth + [data_dim], activation)


def make_discriminator(data_dim: int = 1, hidden: int = 32, depth: int = 2,
                       activation: str = "leaky_relu") -> nn.Sequential:
    """D: R^data_dim -> R, returning the logit of the probability that x came from the data."""
    hidden, depth = positive_int("hidden", hidden), positive_int("depth", depth)
    return mlp([data_dim] + [hidden] * depth + [1], activation)


# --------------------------------------------------------------------------- Algorithm 1
def warm_start_generator(generator: nn.Module, mean: float, std: float, noise: str = "normal",
                         scale: float = 1.0, steps: int = 300, lr: float = 1e-2,
                         m: int = 512) -> float:
    """Fit a 1-D generator by least squares to the affine map z -> mean + std * z / scale.

    With normal noise this makes G(z) approximately N(mean, std^2): a smooth, known starting
    point for the toy chapters (instead of whatever a random initialisation produces). Uses
    ``m`` noise quantiles, so it is deterministic; returns the final mean squared error.
    """
    mean, std = finite_float("mean", mean), positive_float("std", std)
    steps, m = positive_int("steps", steps), positive_int("m", m)
    lr = positive_float("lr", lr)
    z = torch.from_numpy(noise_quantiles(m, noise, scale))
    target = mean + std * z / scale
    optimizer = torch.optim.Adam(generator.parameters(), lr=lr)
    for _ in range(steps):
        loss = F.mse_loss(generator(z), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return F.mse_loss(generator(z), target).item()


def _batch(name: str, x) -> torch.Tensor:
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D batch (n, dim), got shape {tuple(x.shape)}")
    return x


def discriminator_step(generator: nn.Module, discriminator: nn.Module,
                       optimizer: torch.optim.Optimizer, x_real, z,
                       history: HistoricalAverage | None = None):
    """One update of D: ascend log D(x) + log(1 - D(G(z))) on a batch; G is left
    unchanged. ``history``: D's historical average, whose penalty joins the loss
    (chapter 8). The update itself is :func:`ganbook.gan.discriminator_update`.

    Returns ``(loss, mean D(x), mean D(G(z)))`` before the update, as 0-d tensors.
    """
    x_real, z = _batch("x_real", x_real), _batch("z", z)
    with torch.no_grad():
        x_fake = generator(z)
    # Real and generated samples go through D separately: a discriminator with minibatch
    # discrimination must compare each sample with its own kind only.
    return discriminator_update(discriminator, optimizer, x_real, x_fake, history=history)


def generator_step(generator: nn.Module, discriminator: nn.Module,
                   optimizer: torch.optim.Optimizer, z,
                   generator_loss_kind: str = "non_saturating", x_real=None,
                   history: HistoricalAverage | None = None) -> torch.Tensor:
    """One update of G against a fixed D. ``generator_loss_kind``:
    ``"non_saturating"``, ``"saturating"`` (see :func:`ganbook.losses.generator_loss`) or
    ``"feature_matching"`` (needs a real batch ``x_real`` and
    ``discriminator.features``). Only G's weights receive gradients. ``history``: G's
    historical average, whose penalty joins the loss. The update itself is
    :func:`ganbook.gan.generator_update`. Returns the loss before the update (a 0-d
    tensor)."""
    kind = one_of("generator_loss", generator_loss_kind, GENERATOR_LOSSES)
    z = _batch("z", z)
    real = None if x_real is None else _batch("x_real", x_real)
    return generator_update(discriminator, optimizer, generator(z), trainable(generator),
                            kind=kind, real=real, history=history)


class ToyGAN(GAN):
    """A :class:`ganbook.gan.GAN` with its data and noise: everything one toy run needs.

    ``sample_data(n, rng)`` draws data; ``noise`` (``"uniform"`` or ``"normal"``, times
    ``noise_scale``) of dimension ``noise_dim`` feeds G; minibatches have ``batch_size``
    samples. ``steps``, ``history`` and ``records`` grow as :func:`train` runs.
    ``copy.deepcopy`` of a ToyGAN gives an independent run that continues identically
    (networks, optimiser states and random generator are all copied).
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module,
                 sample_data: Callable[[int, torch.Generator], torch.Tensor], *,
                 noise_dim: int = 1, noise: str = "normal", noise_scale: float = 1.0,
                 batch_size: int = 128, **gan_settings):
        # Real and generated samples go through D in separate passes, as in
        # discriminator_step.
        super().__init__(generator, discriminator, joint_passes=False, **gan_settings)
        self.sample_data, self.noise_dim, self.noise = sample_data, noise_dim, noise
        self.noise_scale, self.batch_size = noise_scale, batch_size
        self.steps = 0  # generator updates done so far
        self.history: dict = {}  # losses and mean D outputs, one per step
        self.records: list = []  # what train(record=...) kept

    def __repr__(self) -> str:
        return (f"ToyGAN(steps={self.steps}, batch_size={self.batch_size}, noise={self.noise!r}, "
                f"noise_dim={self.noise_dim})")

    def real_batch(self) -> torch.Tensor:
        return self.sample_data(self.batch_size, self.rng)

    def noise_batch(self) -> torch.Tensor:
        return sample_noise(self.batch_size, self.noise_dim, self.rng, self.noise,
                            self.noise_scale)

    def generator_density(self, edges, m: int = 200_000) -> np.ndarray:
        """:func:`generator_density_1d` of this run's generator and noise."""
        return generator_density_1d(self.generator, edges, self.noise, self.noise_scale, m)

    def discriminator_on(self, grid) -> np.ndarray:
        """:func:`discriminator_on_grid` of this run's discriminator."""
        return discriminator_on_grid(self.discriminator, grid)


def make_toy_gan(sample_data: Callable[[int, torch.Generator], torch.Tensor],
                 generator: nn.Module | None = None, discriminator: nn.Module | None = None, *,
                 data_dim: int = 1, noise_dim: int = 1, noise: str = "normal",
                 noise_scale: float = 1.0, hidden: int = 32, depth: int = 2,
                 lr_g: float = 5e-4, lr_d: float = 2e-3, betas=(0.5, 0.999),
                 batch_size: int = 128, historical_averaging: float = 0.0,
                 seed: int = 0) -> ToyGAN:
    """A seeded :class:`ToyGAN` with Adam optimisers (``betas``, two learning rates).

    ``sample_data(n, rng)`` returns a float32 tensor ``(n, data_dim)``, e.g.
    ``lambda n, rng: sample_gaussian_1d(n, rng, mean=2, std=0.5)``. Players not given are
    MLPs (:func:`make_generator`, :func:`make_discriminator`) with ``hidden`` units in each of
    ``depth`` layers, built with the run's seed. ``historical_averaging > 0`` adds that
    remedy (:class:`ganbook.remedies.HistoricalAverage`) with this weight to both players.
    """
    if not callable(sample_data):
        raise ValueError("sample_data must be a function (n, rng) -> tensor of shape (n, data_dim)")
    one_of("noise", noise, NOISE_KINDS)
    noise_scale = positive_float("noise_scale", noise_scale)
    lr_g, lr_d = positive_float("lr_g", lr_g), positive_float("lr_d", lr_d)
    batch_size, seed = positive_int("batch_size", batch_size), non_negative_int("seed", seed)
    with seeded(seed):
        if generator is None:
            generator = make_generator(noise_dim, data_dim, hidden, depth)
        if discriminator is None:
            discriminator = make_discriminator(data_dim, hidden, depth)
    return ToyGAN(generator, discriminator, sample_data, noise_dim=noise_dim, noise=noise,
                  noise_scale=noise_scale, batch_size=batch_size, lr_g=lr_g, lr_d=lr_d,
                  betas=betas, seed=seed, historical_averaging=historical_averaging)


def make_ring_gan(seed: int = 0, minibatch_kernels: int = 0, lr: float = 1e-3,
                  batch_size: int = 128, historical_averaging: float = 0.0) -> ToyGAN:
    """The ring GAN of chapter 8: G an MLP 16 -> 128 -> 128 -> 2 with ReLUs and normal noise,
    D an MLP 2 -> 128 -> 128 -> 1 with leaky ReLUs (and minibatch discrimination with
    ``minibatch_kernels`` kernels of dimension 3), Adam with ``lr`` for both players, and
    historical averaging when its weight is given."""
    from .models import Discriminator

    with seeded(seed):
        generator = mlp([16, 128, 128, 2], "relu")
        discriminator = Discriminator((128, 128), in_dim=2, minibatch_kernels=minibatch_kernels,
                                      kernel_dim=3)
    return make_toy_gan(sample_ring, generator, discriminator, data_dim=2, noise_dim=16,
                        lr_g=lr, lr_d=lr, batch_size=batch_size,
                        historical_averaging=historical_averaging, seed=seed)


def train(gan: ToyGAN, steps: int, k: int = 1, generator_loss: str = "non_saturating",
          record_every: int = 0, record: Callable[[ToyGAN], object] | None = None,
          progress: bool = False) -> ToyGAN:
    """Run ``steps`` iterations of Algorithm 1 of Goodfellow et al. (2014) on ``gan`` in place.

    Each iteration makes ``k`` discriminator steps (each on a fresh data batch and noise
    batch), then one generator step on fresh noise (and, for feature matching, a fresh data
    batch). ``gan.history`` gets the losses and the mean outputs of D on real and generated
    samples (averaged over the k D steps). If ``record_every > 0``, ``record(gan)`` is appended
    to ``gan.records`` whenever ``gan.steps`` is a multiple of ``record_every`` (including step
    0 if nothing was recorded yet). Returns ``gan``.
    """
    steps, k = non_negative_int("steps", steps), positive_int("k", k)
    one_of("generator_loss", generator_loss, GENERATOR_LOSSES)
    record_every = non_negative_int("record_every", record_every)
    if record_every and record is None:
        raise ValueError("record_every > 0 needs a record function")
    if generator_loss == "feature_matching" and not callable(
            getattr(gan.discriminator, "features", None)):
        raise ValueError("generator_loss='feature_matching' needs discriminator.features(x)")
    if record_every and not gan.records and gan.steps % record_every == 0:
        gan.records.append(record(gan))
    if steps == 0:
        return gan
    gan.generator.train()
    gan.discriminator.train()

    def step() -> dict:
        d_numbers = 0.0
        for _ in range(k):
            real, z = gan.real_batch(), gan.noise_batch()
            with torch.no_grad():
                fake = gan.generator(z)
            d_numbers = d_numbers + torch.stack(gan.discriminator_step(real, fake))
        z = gan.noise_batch()
        real = gan.real_batch() if generator_loss == "feature_matching" else None
        g_loss = gan.generator_step(gan.generator(z), real, generator_loss)
        gan.steps += 1
        d_loss, d_real, d_fake = d_numbers / k
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake}

    def keep_record(_step: int) -> None:
        gan.records.append(record(gan))

    run = Loop(gan.steps + steps, start=gan.steps, history=gan.history, progress=progress,
               desc="training toy GAN")
    try:
        run.run(step, every=[Every(record_every or None, keep_record)])
    finally:  # also after an error: one history entry per step in gan.steps
        gan.history = run.history
        gan.generator.eval()
        gan.discriminator.eval()
    return gan


# --------------------------------------------------------------------------- densities
def discriminator_on_grid(discriminator: nn.Module, grid) -> np.ndarray:
    """D(x) = sigmoid(logit) at the 1-D points ``grid`` (float64 array, same length)."""
    grid = np.asarray(grid, dtype=np.float32)
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError(f"grid must be a non-empty 1-D array, got shape {grid.shape}")
    with torch.no_grad():
        logits = discriminator(torch.from_numpy(grid)[:, None])[:, 0]
    return torch.sigmoid(logits).double().numpy()


def generator_density_1d(
    generator: nn.Module, edges, kind: str = "uniform", scale: float = 1.0, m: int = 200_000
) -> np.ndarray:
    """The density of G(z) on the bins with boundaries ``edges``, without sampling noise.

    ``m`` equal-probability noise quantiles (:func:`noise_quantiles`) are pushed through G
    and histogrammed: bin ``j`` gets (mass of G(z) in the bin) / (bin width), exact up to a
    mass of 1/m per quantile point. Mass falling outside the edges is dropped, so the
    result integrates to the fraction of G(z) inside ``[edges[0], edges[-1]]``.
    """
    edges = np.asarray(edges, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be a strictly increasing 1-D array with at least 2 entries")
    z = torch.from_numpy(noise_quantiles(m, kind, scale))
    with torch.no_grad():
        x = generator(z)
    if x.shape[1] != 1:
        raise ValueError(f"generator_density_1d needs a generator with 1-D output, got {x.shape[1]}")
    counts, _ = np.histogram(x[:, 0].double().numpy(), bins=edges)
    return counts / (m * np.diff(edges))


def kde_1d(samples, grid, bandwidth: float | None = None) -> np.ndarray:
    """Gaussian kernel density estimate of 1-D ``samples`` at ``grid``.

    The default bandwidth is Silverman's rule, 0.9 min(std, IQR/1.34) n^(-1/5).
    """
    samples = np.asarray(samples, dtype=np.float64).ravel()
    grid = np.asarray(grid, dtype=np.float64)
    if samples.size < 2:
        raise ValueError("kde_1d needs at least 2 samples")
    if bandwidth is None:
        iqr = np.subtract(*np.percentile(samples, [75, 25]))
        spread = min(samples.std(ddof=1), iqr / 1.34) or samples.std(ddof=1)
        if spread <= 0:
            raise ValueError("kde_1d: the samples are all equal; pass a bandwidth")
        bandwidth = 0.9 * spread * samples.size ** (-0.2)
    bandwidth = positive_float("bandwidth", bandwidth)
    u = (grid[..., None] - samples) / bandwidth
    return np.exp(-0.5 * u**2).sum(axis=-1) / (samples.size * bandwidth * math.sqrt(2.0 * math.pi))
