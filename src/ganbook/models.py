"""Multilayer-perceptron generator and discriminator for MNIST, in the spirit of Goodfellow et al. (2014).

Conventions used everywhere in the book:

* a generator maps latent vectors ``z`` of shape ``(n, latent_dim)`` to flat images of shape
  ``(n, 784)`` with values in ``[-1, 1]`` (``tanh`` output);
* a discriminator maps images (``(n, 784)``, ``(n, 28, 28)`` or ``(n, 1, 28, 28)``, values in
  ``[-1, 1]``) to **logits** of shape ``(n,)``; ``sigmoid(logit)`` is the probability "real";
* samples handed to readers and metrics are float32 arrays in ``[0, 1]`` of shape ``(n, 28, 28)``;
  :func:`to_images` and :func:`from_images` are the only places that convert between the two.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

IMAGE_SIZE = 28 * 28


def _check_widths(name: str, widths: Sequence[int]) -> tuple[int, ...]:
    widths = tuple(int(w) for w in widths)
    if len(widths) == 0 or any(w < 1 for w in widths):
        raise ValueError(f"{name} must be a non-empty sequence of positive widths, got {widths}")
    return widths


class Generator(nn.Module):
    """MLP ``latent_dim -> hidden[0] -> ... -> 784`` with LeakyReLU and a tanh output.

    ``Generator(100, (128, 256, 512, 1024))`` is the PyTorch-GAN-sized generator (without its
    batch normalisation).
    """

    def __init__(
        self,
        latent_dim: int = 64,
        hidden: Sequence[int] = (256, 512),
        out_dim: int = IMAGE_SIZE,
        negative_slope: float = 0.2,
    ):
        super().__init__()
        if int(latent_dim) < 1 or int(out_dim) < 1:
            raise ValueError(f"latent_dim and out_dim must be positive, got {latent_dim}, {out_dim}")
        if not 0.0 <= negative_slope < 1.0:
            raise ValueError(f"negative_slope must be in [0, 1), got {negative_slope}")
        hidden = _check_widths("hidden", hidden)
        self.latent_dim = int(latent_dim)
        self.hidden = hidden
        self.out_dim = int(out_dim)
        self.negative_slope = float(negative_slope)
        layers: list[nn.Module] = []
        width = self.latent_dim
        # In-place activations overwrite the linear layer's output, which backward does not
        # need: one allocation and one pass over memory fewer per layer.
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(negative_slope, inplace=True)]
            width = h
        layers += [nn.Linear(width, self.out_dim), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (n, {self.latent_dim}), got {tuple(z.shape)}")
        return self.net(z)

    def config(self) -> dict:
        """The constructor arguments: ``Generator(**g.config())`` builds the same architecture."""
        return {
            "latent_dim": self.latent_dim,
            "hidden": list(self.hidden),
            "out_dim": self.out_dim,
            "negative_slope": self.negative_slope,
        }


class Discriminator(nn.Module):
    """MLP ``784 -> hidden[0] -> ... -> 1`` with LeakyReLU and optional dropout; returns logits ``(n,)``.

    :meth:`features` returns the last hidden layer's activations (used by feature matching,
    Salimans et al. 2016).  ``Discriminator((512, 256), dropout=0.0)`` is the PyTorch-GAN-sized
    discriminator.
    """

    def __init__(
        self,
        hidden: Sequence[int] = (512, 256),
        in_dim: int = IMAGE_SIZE,
        dropout: float = 0.0,
        negative_slope: float = 0.2,
    ):
        super().__init__()
        if int(in_dim) < 1:
            raise ValueError(f"in_dim must be positive, got {in_dim}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if not 0.0 <= negative_slope < 1.0:
            raise ValueError(f"negative_slope must be in [0, 1), got {negative_slope}")
        hidden = _check_widths("hidden", hidden)
        self.in_dim = int(in_dim)
        self.hidden = hidden
        self.dropout = float(dropout)
        self.negative_slope = float(negative_slope)
        layers: list[nn.Module] = []
        width = self.in_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(negative_slope, inplace=True)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, 1)

    def _flat(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], -1)
        if x.shape[1] != self.in_dim:
            raise ValueError(f"inputs must hold {self.in_dim} values each, got {x.shape[1]}")
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Activations of the last hidden layer, shape ``(n, hidden[-1])``."""
        return self.body(self._flat(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(self._flat(x))).squeeze(1)

    def config(self) -> dict:
        """The constructor arguments: ``Discriminator(**d.config())`` builds the same architecture."""
        return {
            "hidden": list(self.hidden),
            "in_dim": self.in_dim,
            "dropout": self.dropout,
            "negative_slope": self.negative_slope,
        }


def pytorch_gan_sized() -> tuple[Generator, Discriminator]:
    """The widths of the popular PyTorch-GAN MLP: G 100-128-256-512-1024-784, D 784-512-256-1."""
    return Generator(100, (128, 256, 512, 1024)), Discriminator((512, 256), dropout=0.0)


# ------------------------------------------------------------------ image conventions


def from_images(images) -> torch.Tensor:
    """Images (uint8 in 0..255, or floats in [0, 1]; shape ``(n, 28, 28)`` or ``(n, 784)``) to
    the models' input: float32 tensor ``(n, 784)`` in ``[-1, 1]``."""
    x = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    if x.ndim not in (2, 3) or x.shape[0] == 0 or x[0].numel() != IMAGE_SIZE:
        raise ValueError(f"images must have shape (n, 28, 28) or (n, 784) with n > 0, got {tuple(x.shape)}")
    if x.dtype == torch.uint8:
        x = x.to(torch.float32) / 255.0
    elif x.is_floating_point():
        x = x.to(torch.float32)
        if not torch.isfinite(x).all() or x.min() < 0 or x.max() > 1:
            raise ValueError("float images must be finite and in [0, 1]")
    else:
        raise ValueError(f"images must be uint8 or floating point, got {x.dtype}")
    return (x.reshape(x.shape[0], IMAGE_SIZE) * 2.0 - 1.0).contiguous()


def to_images(outputs: torch.Tensor) -> np.ndarray:
    """Generator outputs in ``[-1, 1]`` to the book's sample convention: float32 ``(n, 28, 28)`` in [0, 1]."""
    x = outputs.detach().to("cpu", torch.float32)
    if x.ndim not in (2, 3, 4) or x.shape[0] == 0 or x[0].numel() != IMAGE_SIZE:
        raise ValueError(f"outputs must hold 784 values per sample, got shape {tuple(x.shape)}")
    x = ((x.reshape(-1, 28, 28) + 1.0) / 2.0).clamp_(0.0, 1.0)
    return x.numpy().astype(np.float32, copy=False)
