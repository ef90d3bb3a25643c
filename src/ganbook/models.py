"""The generator and discriminator of the MNIST GAN: multilayer perceptrons, as in Goodfellow et
al. (2014).

* :class:`Generator` maps latent vectors ``z`` of shape ``(n, latent_dim)`` to flat images
  ``(n, 784)`` in ``[-1, 1]`` (tanh output);
* :class:`Discriminator` maps images (``(n, 784)``, ``(n, 28, 28)`` or ``(n, 1, 28, 28)``) to
  **logits** ``(n,)``: ``sigmoid(logit)`` is its probability that the image is real.

:mod:`ganbook.images` converts between these tensors and the pixels readers see.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .checks import fraction, non_negative_int, positive_int, widths
from .images import IMAGE_SIZE
from .remedies import MinibatchDiscrimination


class Generator(nn.Module):
    """MLP ``latent_dim -> hidden[0] -> ... -> 784`` with LeakyReLU units and a tanh output.

    ``Generator(100, (128, 256, 512, 1024))`` has the widths of PyTorch-GAN's MLP generator
    (without its batch normalisation).
    """

    def __init__(self, latent_dim: int = 64, hidden: Sequence[int] = (256, 512),
                 out_dim: int = IMAGE_SIZE, negative_slope: float = 0.2):
        super().__init__()
        self.latent_dim = positive_int("latent_dim", latent_dim)
        self.hidden = widths("hidden", hidden)
        self.out_dim = positive_int("out_dim", out_dim)
        self.negative_slope = fraction("negative_slope", negative_slope)
        layers: list[nn.Module] = []
        width = self.latent_dim
        for h in self.hidden:
            # In place: the activation overwrites the linear layer's output, which the backward
            # pass does not need (one allocation fewer per layer).
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
        return {"latent_dim": self.latent_dim, "hidden": list(self.hidden),
                "out_dim": self.out_dim, "negative_slope": self.negative_slope}


class Discriminator(nn.Module):
    """MLP ``in_dim -> hidden[0] -> ... -> 1`` with LeakyReLU units, optional dropout after each
    hidden layer and optional minibatch discrimination before the output; returns logits ``(n,)``.

    :meth:`features` is the last hidden layer (the statistics feature matching compares).
    ``Discriminator((512, 256))`` has the widths of PyTorch-GAN's MLP discriminator.
    With ``minibatch_kernels > 0`` (Salimans et al. 2016) each sample's output depends on the
    other samples of its minibatch: real and generated digits must then be scored separately
    (``compares_samples`` is True).
    """

    def __init__(self, hidden: Sequence[int] = (512, 256), in_dim: int = IMAGE_SIZE,
                 dropout: float = 0.0, negative_slope: float = 0.2,
                 minibatch_kernels: int = 0, kernel_dim: int = 8):
        super().__init__()
        self.hidden = widths("hidden", hidden)
        self.in_dim = positive_int("in_dim", in_dim)
        self.dropout = fraction("dropout", dropout)
        self.negative_slope = fraction("negative_slope", negative_slope)
        self.minibatch_kernels = non_negative_int("minibatch_kernels", minibatch_kernels)
        self.kernel_dim = positive_int("kernel_dim", kernel_dim)
        layers: list[nn.Module] = []
        width = self.in_dim
        for h in self.hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(negative_slope, inplace=True)]
            if self.dropout > 0:
                layers.append(nn.Dropout(self.dropout))
            width = h
        self.body = nn.Sequential(*layers)
        self.minibatch = (MinibatchDiscrimination(width, self.minibatch_kernels, self.kernel_dim)
                          if self.minibatch_kernels else None)
        self.head = nn.Linear(width + self.minibatch_kernels, 1)

    @property
    def compares_samples(self) -> bool:
        """Whether a sample's logit depends on the rest of its minibatch."""
        return self.minibatch is not None

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Activations of the last hidden layer, shape ``(n, hidden[-1])``."""
        x = x.reshape(x.shape[0], -1)
        if x.shape[1] != self.in_dim:
            raise ValueError(f"inputs must hold {self.in_dim} values each, got {x.shape[1]}")
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)
        if self.minibatch is not None:
            h = self.minibatch(h)
        return self.head(h).squeeze(1)

    def config(self) -> dict:
        """The constructor arguments: ``Discriminator(**d.config())`` builds the same one."""
        return {"hidden": list(self.hidden), "in_dim": self.in_dim, "dropout": self.dropout,
                "negative_slope": self.negative_slope,
                "minibatch_kernels": self.minibatch_kernels, "kernel_dim": self.kernel_dim}


def pytorch_gan_sized() -> tuple[Generator, Discriminator]:
    """The widths of the popular PyTorch-GAN MLP: G 100-128-256-512-1024-784, D 784-512-256-1."""
    return Generator(100, (128, 256, 512, 1024)), Discriminator((512, 256))
