"""Remedies for GAN failures from Salimans et al. (2016), and one loop to compare them fairly.

* :class:`MinibatchDiscrimination`: the layer of Section 3.2 of the paper.  Each sample's
  features ``f(x_i)`` are projected by a tensor ``T`` to ``B`` rows ``M_i`` of length ``C``; for
  every row ``b`` the layer outputs ``o(x_i)_b = sum_{j != i} exp(-||M_{i,b} - M_{j,b}||_1)``, how
  close ``x_i`` is to the *other* samples of its minibatch.  A collapsed generator produces
  minibatches of near-identical samples, which this feature exposes to the discriminator.
* :class:`MLPDiscriminator`: an MLP discriminator (logits, ``features(x)`` for feature matching)
  with an optional minibatch-discrimination layer before its head.
* :func:`feature_matching_loss`: Section 3.1, ``|| mean f(x) - mean f(G(z)) ||^2``.
* :func:`train_gan`: Algorithm 1 of Goodfellow et al. (2014) for any data sampler (the 2-D ring,
  MNIST), with the generator loss ``"non_saturating"``, ``"saturating"`` or
  ``"feature_matching"``.  Real and generated minibatches go through the discriminator in
  *separate* calls, so minibatch discrimination never compares real with fake samples.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "MinibatchDiscrimination",
    "MLPDiscriminator",
    "feature_matching_loss",
    "GANRun",
    "train_gan",
    "tensor_sampler",
]

GENERATOR_LOSSES = ("non_saturating", "saturating", "feature_matching")


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class MinibatchDiscrimination(nn.Module):
    """Minibatch discrimination (Salimans et al. 2016, Section 3.2).

    Input ``(n, in_features)``; output ``(n, in_features + n_kernels)``: the input with the
    ``n_kernels`` closeness features appended.  Needs ``n >= 2``.
    """

    def __init__(self, in_features: int, n_kernels: int = 16, kernel_dim: int = 8):
        super().__init__()
        self.in_features = _positive_int("in_features", in_features)
        self.n_kernels = _positive_int("n_kernels", n_kernels)
        self.kernel_dim = _positive_int("kernel_dim", kernel_dim)
        self.T = nn.Parameter(0.1 * torch.randn(in_features, n_kernels * kernel_dim))

    def closeness(self, f: torch.Tensor) -> torch.Tensor:
        """The ``(n, n_kernels)`` features ``o(x_i)_b`` (self-similarity excluded)."""
        if f.ndim != 2 or f.shape[1] != self.in_features:
            raise ValueError(f"input must have shape (n, {self.in_features}), got {tuple(f.shape)}")
        if f.shape[0] < 2:
            raise ValueError("minibatch discrimination needs a minibatch of at least 2 samples")
        m = (f @ self.T).view(-1, self.n_kernels, self.kernel_dim).transpose(0, 1)  # (B, n, C)
        l1 = torch.cdist(m, m, p=1.0)  # (B, n, n): ||M_{i,b} - M_{j,b}||_1
        return (torch.exp(-l1).sum(2) - 1.0).T  # (n, B); minus exp(0) = 1 of j == i

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return torch.cat([f, self.closeness(f)], dim=1)


class MLPDiscriminator(nn.Module):
    """MLP ``in_dim -> hidden... -> [minibatch discrimination] -> 1``, returning logits ``(n,)``.

    ``features(x)`` is the last hidden layer (before minibatch discrimination): the statistics
    feature matching compares.  ``minibatch_kernels=0`` gives a plain discriminator.
    """

    def __init__(
        self,
        in_dim: int,
        hidden: Sequence[int] = (128, 128),
        *,
        dropout: float = 0.0,
        minibatch_kernels: int = 0,
        kernel_dim: int = 8,
        negative_slope: float = 0.2,
    ):
        super().__init__()
        in_dim = _positive_int("in_dim", in_dim)
        hidden = tuple(_positive_int("each hidden width", h) for h in hidden)
        if not hidden:
            raise ValueError("hidden needs at least one layer")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if isinstance(minibatch_kernels, bool) or minibatch_kernels < 0:
            raise ValueError(f"minibatch_kernels must be >= 0, got {minibatch_kernels!r}")
        self.in_dim = in_dim
        layers: list[nn.Module] = []
        width = in_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(negative_slope)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        self.body = nn.Sequential(*layers)
        self.minibatch = (
            MinibatchDiscrimination(width, int(minibatch_kernels), kernel_dim)
            if minibatch_kernels
            else None
        )
        self.head = nn.Linear(width + int(minibatch_kernels), 1)

    def _flat(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], -1)
        if x.shape[1] != self.in_dim:
            raise ValueError(f"inputs must hold {self.in_dim} values each, got {x.shape[1]}")
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self._flat(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)
        if self.minibatch is not None:
            h = self.minibatch(h)
        return self.head(h).squeeze(1)


def feature_matching_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """``|| mean_x f(x) - mean_z f(G(z)) ||_2^2`` (Salimans et al. 2016, Section 3.1)."""
    if real_features.ndim != 2 or fake_features.ndim != 2 or real_features.shape[1] != fake_features.shape[1]:
        raise ValueError(
            "features must be 2-D with the same width, got "
            f"{tuple(real_features.shape)} and {tuple(fake_features.shape)}"
        )
    return (real_features.mean(0) - fake_features.mean(0)).pow(2).sum()


def tensor_sampler(data: torch.Tensor) -> Callable[[int, torch.Generator], torch.Tensor]:
    """A sampler ``(n, generator) -> n rows of data drawn uniformly with replacement``."""
    if not isinstance(data, torch.Tensor) or data.ndim != 2 or data.shape[0] < 1:
        raise ValueError("data must be a 2-D tensor with at least one row")

    def sample(n: int, gen: torch.Generator) -> torch.Tensor:
        return data[torch.randint(data.shape[0], (n,), generator=gen)]

    return sample


@dataclass
class GANRun:
    """What :func:`train_gan` returns."""

    generator: nn.Module
    discriminator: nn.Module
    history: dict  # "d_loss", "g_loss", "d_real", "d_fake": one float64 entry per step
    snapshot_steps: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)  # generator outputs on a fixed latent batch
    seconds: float = 0.0


def train_gan(
    generator: nn.Module,
    discriminator: nn.Module,
    sample_real: Callable[[int, torch.Generator], torch.Tensor],
    latent_dim: int,
    steps: int,
    *,
    generator_loss: str = "non_saturating",
    batch_size: int = 128,
    lr: float = 2e-4,
    lr_d: float | None = None,
    betas=(0.5, 0.999),
    seed: int = 0,
    snapshot_every: int = 0,
    n_snapshot: int = 500,
    progress=None,
) -> GANRun:
    """Algorithm 1 (k = 1) with Adam for both players; deterministic for a given ``seed``.

    ``sample_real(n, gen)`` returns ``n`` real samples shaped like the generator's output (use
    :func:`tensor_sampler` for a data tensor).  Latent vectors are standard normal.  With
    ``snapshot_every > 0`` the generator's outputs on ``n_snapshot`` fixed latent vectors are
    kept at step 0, every ``snapshot_every`` steps and at the end.  ``progress`` may be a
    tqdm-like object with ``update(n)``.
    """
    if generator_loss not in GENERATOR_LOSSES:
        raise ValueError(f"generator_loss must be one of {GENERATOR_LOSSES}, got {generator_loss!r}")
    latent_dim = _positive_int("latent_dim", latent_dim)
    steps = _positive_int("steps", steps)
    batch_size = _positive_int("batch_size", batch_size)
    if batch_size < 2:
        raise ValueError("batch_size must be at least 2")
    if generator_loss == "feature_matching" and not callable(getattr(discriminator, "features", None)):
        raise ValueError("generator_loss='feature_matching' needs discriminator.features(x)")
    gen = torch.Generator().manual_seed(seed)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=tuple(betas))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr if lr_d is None else lr_d, betas=tuple(betas))
    z_fixed = torch.randn(n_snapshot, latent_dim, generator=torch.Generator().manual_seed(seed + 1))
    history = {key: np.empty(steps) for key in ("d_loss", "g_loss", "d_real", "d_fake")}
    run = GANRun(generator, discriminator, history)

    def snapshot(step: int) -> None:
        with torch.no_grad():
            generator.eval()
            run.snapshots.append(generator(z_fixed).numpy().copy())
            generator.train()
        run.snapshot_steps.append(step)

    generator.train()
    discriminator.train()
    if snapshot_every:
        snapshot(0)
    d_params = list(discriminator.parameters())
    t0 = time.perf_counter()
    for step in range(steps):
        real = sample_real(batch_size, gen)
        z = torch.randn(batch_size, latent_dim, generator=gen)
        with torch.no_grad():
            fake = generator(z)
        real_logits, fake_logits = discriminator(real), discriminator(fake)
        d_loss = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()

        for p in d_params:
            p.requires_grad_(False)
        fake = generator(torch.randn(batch_size, latent_dim, generator=gen))
        if generator_loss == "feature_matching":
            with torch.no_grad():
                real_f = discriminator.features(sample_real(batch_size, gen))
            g_loss = feature_matching_loss(real_f, discriminator.features(fake))
        elif generator_loss == "saturating":
            g_loss = -F.softplus(discriminator(fake)).mean()
        else:
            g_loss = F.softplus(-discriminator(fake)).mean()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        for p in d_params:
            p.requires_grad_(True)

        history["d_loss"][step] = d_loss.item()
        history["g_loss"][step] = g_loss.item()
        history["d_real"][step] = torch.sigmoid(real_logits).mean().item()
        history["d_fake"][step] = torch.sigmoid(fake_logits).mean().item()
        if not (math.isfinite(history["d_loss"][step]) and math.isfinite(history["g_loss"][step])):
            raise FloatingPointError(f"a loss became non-finite at step {step + 1}")
        if snapshot_every and (step + 1) % snapshot_every == 0:
            snapshot(step + 1)
        if progress is not None:
            progress.update(1)
    if snapshot_every and run.snapshot_steps[-1] != steps:
        snapshot(steps)
    run.seconds = time.perf_counter() - t0
    generator.eval()
    discriminator.eval()
    return run
