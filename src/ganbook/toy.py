"""Low-dimensional GANs, small enough to watch every quantity while they train.

This module holds the pieces of the toy chapters of the book:

* data samplers: a 1-D Gaussian (the setting of Figure 1 of Goodfellow et al. 2014) and
  the 2-D ring of 8 Gaussians of Metz et al. (2017) (radius 2, standard deviation 0.02),
  with a helper that counts which modes a set of samples covers;
* noise samplers (uniform or normal) and their deterministic quantiles in one dimension;
* small MLP generator and discriminator builders (the discriminator returns a *logit*;
  ``torch.sigmoid`` of it is the probability D(x) that x came from the data);
* Algorithm 1 of Goodfellow et al. (2014), split into :func:`discriminator_step` and
  :func:`generator_step` so that each half can be run on its own, and :func:`train`,
  which alternates ``k`` discriminator steps with one generator step and records
  snapshots;
* density helpers for plots: the exact push-forward density of a 1-D generator on a grid,
  a Gaussian KDE, and D(x) on a grid.

Everything is seeded: the same seed gives bit-identical results on the same machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "RING_MODES",
    "RING_RADIUS",
    "RING_STD",
    "gaussian_density",
    "sample_gaussian_1d",
    "ring_centres",
    "sample_ring",
    "ring_mode_counts",
    "sample_noise",
    "noise_quantiles",
    "mlp",
    "make_generator",
    "make_discriminator",
    "warm_start_generator",
    "discriminator_loss",
    "generator_loss",
    "discriminator_step",
    "generator_step",
    "ToyGAN",
    "make_toy_gan",
    "train",
    "discriminator_on_grid",
    "generator_density_1d",
    "kde_1d",
]

# Defaults of the ring of Gaussians, as in Metz et al. (2017).
RING_MODES = 8
RING_RADIUS = 2.0
RING_STD = 0.02

NOISE_KINDS = ("uniform", "normal")
GENERATOR_LOSSES = ("non_saturating", "saturating")
ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh, "elu": nn.ELU}


# --------------------------------------------------------------------------- validation
def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _non_negative_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _positive_float(name: str, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def _finite_float(name: str, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number, got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


def _generator(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}"
        )
    return rng


def _choice(name: str, value, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


# --------------------------------------------------------------------------- data
def gaussian_density(x, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """The density of N(mean, std^2) at the points ``x``."""
    mean, std = _finite_float("mean", mean), _positive_float("std", std)
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2.0 * math.pi))


def sample_gaussian_1d(n: int, rng: np.random.Generator, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """``n`` draws of N(mean, std^2) as a float32 array of shape ``(n, 1)``."""
    n = _positive_int("n", n)
    mean, std = _finite_float("mean", mean), _positive_float("std", std)
    return _generator(rng).normal(mean, std, size=(n, 1)).astype(np.float32)


def ring_centres(n_modes: int = RING_MODES, radius: float = RING_RADIUS) -> np.ndarray:
    """The ``(n_modes, 2)`` centres, equally spaced on a circle, starting on the positive x-axis."""
    n_modes, radius = _positive_int("n_modes", n_modes), _positive_float("radius", radius)
    angles = 2.0 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def sample_ring(
    n: int,
    rng: np.random.Generator,
    n_modes: int = RING_MODES,
    radius: float = RING_RADIUS,
    std: float = RING_STD,
) -> np.ndarray:
    """``n`` draws of the ring of Gaussians of Metz et al. (2017), float32, shape ``(n, 2)``.

    The mixture has ``n_modes`` equally weighted isotropic Gaussians with standard deviation
    ``std`` centred on :func:`ring_centres`.
    """
    n = _positive_int("n", n)
    std = _positive_float("std", std)
    centres = ring_centres(n_modes, radius)
    rng = _generator(rng)
    modes = rng.integers(0, len(centres), size=n)
    return (centres[modes] + std * rng.standard_normal((n, 2))).astype(np.float32)


def ring_mode_counts(
    samples,
    n_modes: int = RING_MODES,
    radius: float = RING_RADIUS,
    std: float = RING_STD,
    n_std: float = 3.0,
) -> tuple[np.ndarray, float]:
    """How the 2-D ``samples`` cover the ring: ``(counts per mode, high-quality fraction)``.

    A sample is *high quality* if it lies within ``n_std`` standard deviations of its
    nearest centre (the criterion of Metz et al. 2017); ``counts[i]`` is the number of
    high-quality samples near centre ``i``, so ``(counts > 0).sum()`` is the number of
    modes covered.
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) == 0:
        raise ValueError(f"samples must have shape (n, 2) with n >= 1, got {samples.shape}")
    n_std = _positive_float("n_std", n_std)
    std = _positive_float("std", std)
    centres = ring_centres(n_modes, radius)
    distances = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=2)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] <= n_std * std
    counts = np.bincount(nearest[good], minlength=len(centres))
    return counts, float(good.mean())


# --------------------------------------------------------------------------- noise
def sample_noise(
    n: int, dim: int, rng: np.random.Generator, kind: str = "uniform", scale: float = 1.0
) -> np.ndarray:
    """``n`` noise vectors z of dimension ``dim`` (float32, shape ``(n, dim)``).

    ``kind="uniform"``: each coordinate uniform on [-scale, scale];
    ``kind="normal"``: each coordinate N(0, scale^2).
    """
    n, dim = _positive_int("n", n), _positive_int("dim", dim)
    kind, scale = _choice("kind", kind, NOISE_KINDS), _positive_float("scale", scale)
    rng = _generator(rng)
    if kind == "uniform":
        z = rng.uniform(-scale, scale, size=(n, dim))
    else:
        z = scale * rng.standard_normal((n, dim))
    return z.astype(np.float32)


def noise_quantiles(m: int, kind: str = "uniform", scale: float = 1.0) -> np.ndarray:
    """``m`` equal-probability quantiles of 1-D noise, float32, shape ``(m, 1)``.

    Point ``i`` is the quantile of level ``(i + 1/2) / m``: each carries probability ``1/m``,
    so pushing them through a generator gives its output distribution without sampling noise.
    """
    m = _positive_int("m", m)
    kind, scale = _choice("kind", kind, NOISE_KINDS), _positive_float("scale", scale)
    levels = (np.arange(m) + 0.5) / m
    if kind == "uniform":
        z = scale * (2.0 * levels - 1.0)
    else:
        from scipy.special import ndtri

        z = scale * ndtri(levels)
    return z.astype(np.float32)[:, None]


# --------------------------------------------------------------------------- networks
def mlp(sizes: Sequence[int], activation: str = "leaky_relu") -> nn.Sequential:
    """A fully connected network with layer widths ``sizes`` and a linear last layer."""
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width, got {list(sizes)}")
    sizes = [_positive_int("each layer width", s) for s in sizes]
    act = ACTIVATIONS[_choice("activation", activation, tuple(ACTIVATIONS))]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


def make_generator(
    noise_dim: int = 1, data_dim: int = 1, hidden: int = 32, depth: int = 2, activation: str = "elu"
) -> nn.Sequential:
    """G: R^noise_dim -> R^data_dim, an MLP with ``depth`` hidden layers of ``hidden`` units.

    The default ELU activation is smooth (so the density of G(z) is smooth) and unbounded
    (so G can produce Gaussian tails, which a tanh network cannot).
    """
    noise_dim, data_dim = _positive_int("noise_dim", noise_dim), _positive_int("data_dim", data_dim)
    hidden, depth = _positive_int("hidden", hidden), _positive_int("depth", depth)
    return mlp([noise_dim] + [hidden] * depth + [data_dim], activation)


def make_discriminator(
    data_dim: int = 1, hidden: int = 32, depth: int = 2, activation: str = "leaky_relu"
) -> nn.Sequential:
    """D: R^data_dim -> R, returning the logit of the probability that x came from the data."""
    data_dim = _positive_int("data_dim", data_dim)
    hidden, depth = _positive_int("hidden", hidden), _positive_int("depth", depth)
    return mlp([data_dim] + [hidden] * depth + [1], activation)


# --------------------------------------------------------------------------- Algorithm 1
def warm_start_generator(
    generator: nn.Module,
    mean: float,
    std: float,
    noise: str = "normal",
    scale: float = 1.0,
    steps: int = 300,
    lr: float = 1e-2,
    m: int = 512,
) -> float:
    """Fit a 1-D generator by least squares to the affine map z -> mean + std * z / scale.

    With normal noise this makes G(z) approximately N(mean, std^2): a smooth, known starting
    point for the toy chapters (instead of whatever a random initialisation produces). Uses
    ``m`` noise quantiles, so it is deterministic; returns the final mean squared error.
    """
    mean, std = _finite_float("mean", mean), _positive_float("std", std)
    steps, m = _positive_int("steps", steps), _positive_int("m", m)
    lr = _positive_float("lr", lr)
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


def discriminator_loss(logits_real: torch.Tensor, logits_fake: torch.Tensor) -> torch.Tensor:
    """-[mean log D(x) + mean log(1 - D(G(z)))], computed stably from logits.

    With D = sigmoid(l): -log D = softplus(-l) and -log(1 - D) = softplus(l).
    """
    return F.softplus(-logits_real).mean() + F.softplus(logits_fake).mean()


def generator_loss(logits_fake: torch.Tensor, loss: str = "non_saturating") -> torch.Tensor:
    """The generator's loss on D's logits at G(z).

    ``"saturating"``: mean log(1 - D(G(z))), the minimax objective of the paper (to minimise);
    ``"non_saturating"``: -mean log D(G(z)), the variant the paper recommends in practice.
    """
    _choice("loss", loss, GENERATOR_LOSSES)
    if loss == "saturating":
        return -F.softplus(logits_fake).mean()
    return F.softplus(-logits_fake).mean()


def _as_tensor(name: str, x) -> torch.Tensor:
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D batch (n, dim), got shape {tuple(x.shape)}")
    return x


def discriminator_step(
    generator: nn.Module, discriminator: nn.Module, optimizer: torch.optim.Optimizer, x_real, z
) -> float:
    """One update of D: ascend log D(x) + log(1 - D(G(z))) on a batch; G is left unchanged.

    Returns the discriminator loss before the update (a float).
    """
    x_real, z = _as_tensor("x_real", x_real), _as_tensor("z", z)
    with torch.no_grad():
        x_fake = generator(z)
    loss = discriminator_loss(discriminator(x_real), discriminator(x_fake))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item()


def generator_step(
    generator: nn.Module,
    discriminator: nn.Module,
    optimizer: torch.optim.Optimizer,
    z,
    loss: str = "non_saturating",
) -> float:
    """One update of G against a fixed D; ``loss`` as in :func:`generator_loss`.

    Only ``optimizer`` (G's) steps; D's parameters receive no gradient. Returns the loss
    before the update.
    """
    _choice("loss", loss, GENERATOR_LOSSES)
    z = _as_tensor("z", z)
    for p in discriminator.parameters():
        p.requires_grad_(False)
    try:
        value = generator_loss(discriminator(generator(z)), loss)
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        optimizer.step()
    finally:
        for p in discriminator.parameters():
            p.requires_grad_(True)
    return value.item()


@dataclass
class ToyGAN:
    """Everything one training run needs: the two players, their optimisers, data and noise.

    ``copy.deepcopy`` of a ToyGAN gives an independent run that continues identically
    (networks, optimiser state and random generator are all copied).
    """

    generator: nn.Module
    discriminator: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    sample_data: Callable[[int, np.random.Generator], np.ndarray]
    rng: np.random.Generator
    noise_dim: int = 1
    noise: str = "normal"
    noise_scale: float = 1.0
    batch_size: int = 128
    steps: int = 0  # generator updates done so far
    history: list = field(default_factory=list)

    def real_batch(self) -> torch.Tensor:
        return torch.from_numpy(self.sample_data(self.batch_size, self.rng))

    def noise_batch(self) -> torch.Tensor:
        return torch.from_numpy(
            sample_noise(self.batch_size, self.noise_dim, self.rng, self.noise, self.noise_scale)
        )

    def generator_density(self, edges, m: int = 200_000) -> np.ndarray:
        """:func:`generator_density_1d` of this run's generator and noise."""
        return generator_density_1d(self.generator, edges, self.noise, self.noise_scale, m)

    def discriminator_on(self, grid) -> np.ndarray:
        """:func:`discriminator_on_grid` of this run's discriminator."""
        return discriminator_on_grid(self.discriminator, grid)


def make_toy_gan(
    sample_data: Callable[[int, np.random.Generator], np.ndarray],
    data_dim: int = 1,
    noise_dim: int = 1,
    noise: str = "normal",
    noise_scale: float = 1.0,
    hidden: int = 32,
    depth: int = 2,
    lr_g: float = 5e-4,
    lr_d: float = 2e-3,
    betas: tuple[float, float] = (0.5, 0.999),
    batch_size: int = 128,
    seed: int = 0,
) -> ToyGAN:
    """Build a seeded :class:`ToyGAN` with MLP players and Adam optimisers.

    The defaults (two-time-scale learning rates, Adam with beta1 = 0.5) are those the toy
    chapters use; the fused CPU Adam is used because it is several times faster on tiny nets.

    ``sample_data(n, rng)`` must return a float32 array of shape ``(n, data_dim)``, e.g.
    ``lambda n, rng: sample_gaussian_1d(n, rng, mean=2, std=0.5)``.
    """
    if not callable(sample_data):
        raise ValueError("sample_data must be a function (n, rng) -> array of shape (n, data_dim)")
    _choice("noise", noise, NOISE_KINDS)
    noise_scale = _positive_float("noise_scale", noise_scale)
    lr_g, lr_d = _positive_float("lr_g", lr_g), _positive_float("lr_d", lr_d)
    batch_size = _positive_int("batch_size", batch_size)
    seed = _non_negative_int("seed", seed)
    torch.manual_seed(seed)
    generator = make_generator(noise_dim, data_dim, hidden, depth)
    discriminator = make_discriminator(data_dim, hidden, depth)
    return ToyGAN(
        generator=generator,
        discriminator=discriminator,
        opt_g=torch.optim.Adam(generator.parameters(), lr=lr_g, betas=betas, fused=True),
        opt_d=torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas, fused=True),
        sample_data=sample_data,
        rng=np.random.default_rng(seed),
        noise_dim=noise_dim,
        noise=noise,
        noise_scale=noise_scale,
        batch_size=batch_size,
    )


def train(
    gan: ToyGAN,
    steps: int,
    k: int = 1,
    loss: str = "non_saturating",
    record_every: int = 0,
    record: Callable[[ToyGAN], object] | None = None,
    progress=None,
) -> ToyGAN:
    """Run ``steps`` iterations of Algorithm 1 of Goodfellow et al. (2014) on ``gan`` in place.

    Each iteration makes ``k`` discriminator steps (each on a fresh data batch and noise
    batch), then one generator step on a fresh noise batch. If ``record_every > 0``,
    ``record(gan)`` is appended to ``gan.history`` whenever ``gan.steps`` is a multiple of
    ``record_every`` (including step 0 if nothing was recorded yet). ``progress`` may be a
    tqdm-like object with an ``update(n)`` method. Returns ``gan``.
    """
    steps = _non_negative_int("steps", steps)
    k = _positive_int("k", k)
    _choice("loss", loss, GENERATOR_LOSSES)
    record_every = _non_negative_int("record_every", record_every)
    if record_every and record is None:
        raise ValueError("record_every > 0 needs a record function")
    if record_every and not gan.history and gan.steps % record_every == 0:
        gan.history.append(record(gan))
    for _ in range(steps):
        for _ in range(k):
            discriminator_step(gan.generator, gan.discriminator, gan.opt_d, gan.real_batch(), gan.noise_batch())
        generator_step(gan.generator, gan.discriminator, gan.opt_g, gan.noise_batch(), loss)
        gan.steps += 1
        if record_every and gan.steps % record_every == 0:
            gan.history.append(record(gan))
        if progress is not None:
            progress.update(1)
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
    bandwidth = _positive_float("bandwidth", bandwidth)
    u = (grid[..., None] - samples) / bandwidth
    return np.exp(-0.5 * u**2).sum(axis=-1) / (samples.size * bandwidth * math.sqrt(2.0 * math.pi))
