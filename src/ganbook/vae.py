"""A small variational autoencoder (Kingma & Welling 2014) for MNIST, to compare with the GAN.

Encoder ``q(z|x) = N(mu(x), diag sigma^2(x))``, prior ``p(z) = N(0, I)``, decoder
``p(x|z) = prod_pixels Bernoulli(sigmoid(logits(z)))`` on pixels in ``[0, 1]``.  Training
minimises the negative evidence lower bound (ELBO), averaged over the minibatch:

    -ELBO(x) = BCE(logits(z), x) summed over pixels + KL(q(z|x) || N(0, I)),  z ~ q(z|x).

Samples are the decoder's *means* ``sigmoid(logits(z))`` for ``z ~ N(0, I)`` (float32
``(n, 28, 28)`` in ``[0, 1]``), the usual way VAE samples are shown.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["VAE", "gaussian_kl_to_standard", "negative_elbo", "VAERun", "train_vae", "sample_vae", "as_pixels"]

IMAGE_SIZE = 28 * 28


def as_pixels(images) -> torch.Tensor:
    """Images (uint8 0..255 or float in [0, 1]; ``(n, 28, 28)`` or ``(n, 784)``) as float32 ``(n, 784)``."""
    x = images if isinstance(images, torch.Tensor) else torch.from_numpy(np.asarray(images))
    if x.ndim not in (2, 3) or x.shape[0] == 0 or x[0].numel() != IMAGE_SIZE:
        raise ValueError(f"images must have shape (n, 28, 28) or (n, 784) with n > 0, got {tuple(x.shape)}")
    if x.dtype == torch.uint8:
        x = x.float() / 255.0
    elif x.is_floating_point():
        x = x.float()
        if not torch.isfinite(x).all() or x.min() < 0 or x.max() > 1:
            raise ValueError("float images must be finite with values in [0, 1]")
    else:
        raise ValueError(f"images must be uint8 or floating point, got {x.dtype}")
    return x.reshape(x.shape[0], IMAGE_SIZE)


class VAE(nn.Module):
    """MLP VAE ``784 -> hidden -> (mu, log var) in R^latent_dim -> hidden -> 784 logits``."""

    def __init__(self, latent_dim: int = 16, hidden: Sequence[int] = (400,)):
        super().__init__()
        if isinstance(latent_dim, bool) or int(latent_dim) != latent_dim or latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive integer, got {latent_dim!r}")
        hidden = tuple(int(h) for h in hidden)
        if not hidden or any(h < 1 for h in hidden):
            raise ValueError(f"hidden must be a non-empty sequence of positive widths, got {hidden}")
        self.latent_dim = int(latent_dim)
        self.hidden = hidden

        def mlp(widths):
            layers: list[nn.Module] = []
            for a, b in zip(widths[:-1], widths[1:]):
                layers += [nn.Linear(a, b), nn.ReLU()]
            return nn.Sequential(*layers)

        self.encoder = mlp((IMAGE_SIZE, *hidden))
        self.to_stats = nn.Linear(hidden[-1], 2 * self.latent_dim)
        self.decoder = nn.Sequential(mlp((self.latent_dim, *hidden[::-1])), nn.Linear(hidden[0], IMAGE_SIZE))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, log_var)`` of q(z|x), each ``(n, latent_dim)``; ``x`` is ``(n, 784)`` in [0, 1]."""
        mu, log_var = self.to_stats(self.encoder(x)).chunk(2, dim=1)
        return mu, log_var

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits ``(n, 784)`` of p(x|z)."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (n, {self.latent_dim}), got {tuple(z.shape)}")
        return self.decoder(z)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """``(logits, mu, log_var)`` with ``z = mu + sigma * eps`` (reparameterisation trick)."""
        mu, log_var = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator)
        z = mu + torch.exp(0.5 * log_var) * eps
        return self.decode(z), mu, log_var


def gaussian_kl_to_standard(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL( N(mu, diag exp(log_var)) || N(0, I) ) per row, in nats (closed form)."""
    return 0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var).sum(1)


def negative_elbo(logits, x, mu, log_var) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mean over the batch of ``(-ELBO, reconstruction BCE, KL)``, in nats per image."""
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    kl = gaussian_kl_to_standard(mu, log_var)
    return (rec + kl).mean(), rec.mean(), kl.mean()


@dataclass
class VAERun:
    """What :func:`train_vae` returns: the model (eval mode) and one loss entry per step."""

    model: VAE
    history: dict = field(default_factory=dict)  # "loss", "reconstruction", "kl"
    seconds: float = 0.0


def train_vae(
    data,
    steps: int,
    *,
    latent_dim: int = 16,
    hidden: Sequence[int] = (400,),
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    progress=None,
) -> VAERun:
    """Train a :class:`VAE` with Adam for ``steps`` minibatches; deterministic for a ``seed``."""
    x = as_pixels(data)
    for name, value in (("steps", steps), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = VAE(latent_dim, hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = {key: np.empty(steps) for key in ("loss", "reconstruction", "kl")}
    model.train()
    t0 = time.perf_counter()
    for step in range(steps):
        batch = x[torch.randint(x.shape[0], (batch_size,), generator=gen)]
        logits, mu, log_var = model(batch, gen)
        loss, rec, kl = negative_elbo(logits, batch, mu, log_var)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        history["loss"][step], history["reconstruction"][step], history["kl"][step] = (
            loss.item(), rec.item(), kl.item())
        if progress is not None:
            progress.update(1)
    model.eval()
    return VAERun(model, history, time.perf_counter() - t0)


@torch.no_grad()
def sample_vae(model: VAE, n: int, seed: int = 0) -> np.ndarray:
    """``n`` samples (decoder means for ``z ~ N(0, I)``), float32 ``(n, 28, 28)`` in [0, 1]."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    z = torch.randn(int(n), model.latent_dim, generator=torch.Generator().manual_seed(seed))
    return torch.sigmoid(model.decode(z)).reshape(-1, 28, 28).numpy().astype(np.float32)
