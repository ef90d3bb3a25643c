"""A small variational autoencoder (Kingma & Welling 2014) for MNIST, to compare with the GAN.

Encoder ``q(z|x) = N(mu(x), diag sigma^2(x))``, prior ``p(z) = N(0, I)``, decoder
``p(x|z) = prod_pixels Bernoulli(sigmoid(logits(z)))`` on pixels in ``[0, 1]``. Training
minimises the negative evidence lower bound (ELBO), averaged over the minibatch:

    -ELBO(x) = BCE(logits(z), x) summed over pixels + KL(q(z|x) || N(0, I)),  z ~ q(z|x).

Samples are the decoder's *means* ``sigmoid(logits(z))`` for ``z ~ N(0, I)`` (float32
``(n, 28, 28)`` in ``[0, 1]``), the usual way VAE samples are shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .checks import positive_float, positive_int, widths
from .images import IMAGE_SIZE, as_pixels
from .loop import Loop, random_generator, seeded
from .models import mlp

__all__ = ["VAE", "gaussian_kl_to_standard", "negative_elbo", "VAERun", "train_vae", "sample_vae"]


class VAE(nn.Module):
    """MLP VAE ``784 -> hidden -> (mu, log var) in R^latent_dim -> hidden -> 784 logits``."""

    def __init__(self, latent_dim: int = 16, hidden: Sequence[int] = (400,)):
        super().__init__()
        self.latent_dim = positive_int("latent_dim", latent_dim)
        self.hidden = widths("hidden", hidden)
        self.encoder = mlp((IMAGE_SIZE, *self.hidden), "relu", activate_last=True)
        self.to_stats = nn.Linear(self.hidden[-1], 2 * self.latent_dim)
        self.decoder = nn.Sequential(mlp((self.latent_dim, *self.hidden[::-1]), "relu",
                                         activate_last=True),
                                     nn.Linear(self.hidden[0], IMAGE_SIZE))

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
        eps = torch.randn(mu.shape, generator=generator, device=mu.device)
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


def train_vae(data, steps: int, *, latent_dim: int = 16, hidden: Sequence[int] = (400,),
              batch_size: int = 64, lr: float = 1e-3, seed: int = 0,
              progress: bool = False) -> VAERun:
    """Train a :class:`VAE` with Adam for ``steps`` minibatches of ``data`` (digits as
    :func:`ganbook.images.as_pixels` accepts them); deterministic for a given ``seed``."""
    x = as_pixels(data, "data")
    steps, batch_size = positive_int("steps", steps), positive_int("batch_size", batch_size)
    lr = positive_float("lr", lr)
    with seeded(seed):
        model = VAE(latent_dim, hidden)
    rng = random_generator(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    model.train()

    def step() -> dict:
        batch = x[torch.randint(x.shape[0], (batch_size,), generator=rng)]
        logits, mu, log_var = model(batch, rng)
        loss, rec, kl = negative_elbo(logits, batch, mu, log_var)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return {"loss": loss.detach(), "reconstruction": rec.detach(), "kl": kl.detach()}

    run = Loop(steps, losses=("loss",), progress=progress, desc="training VAE").run(step)
    model.eval()
    history = {key: np.asarray(values) for key, values in run.history.items()}
    return VAERun(model, history, run.seconds)


@torch.no_grad()
def sample_vae(model: VAE, n: int, seed: int = 0) -> np.ndarray:
    """``n`` samples (decoder means for ``z ~ N(0, I)``), float32 ``(n, 28, 28)`` in [0, 1]."""
    z = torch.randn(positive_int("n", n), model.latent_dim,
                    generator=torch.Generator().manual_seed(seed))
    return torch.sigmoid(model.decode(z)).reshape(-1, 28, 28).numpy().astype(np.float32)
