"""The generator and discriminator of the MNIST GAN: multilayer perceptrons, as in Goodfellow et
al. (2014).

* :class:`Generator` maps latent vectors ``z`` of shape ``(n, latent_dim)`` to flat images
  ``(n, 784)`` in ``[-1, 1]`` (tanh output);
* :class:`Discriminator` maps images (``(n, 784)``, ``(n, 28, 28)`` or ``(n, 1, 28, 28)``) to
  **logits** ``(n,)``: ``sigmoid(logit)`` is its probability that the image is real;
* :func:`mlp` builds the layers of both, and of every other network of the book (the toy
  players, the VAE); :func:`latent` draws the generator's inputs.

The book's default models are these constructors' defaults (:data:`DEFAULT_GENERATOR`,
:data:`DEFAULT_DISCRIMINATOR`).

:mod:`ganbook.images` converts between these tensors and the pixels readers see.
"""

from __future__ import annotations

import inspect
from typing import Callable, Sequence

import torch
from torch import nn

from .checks import fraction, non_negative_int, one_of, positive_int, widths
from .images import IMAGE_SIZE
from .remedies import MinibatchDiscrimination

ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh, "elu": nn.ELU}


def mlp(sizes: Sequence[int], activation: str | Callable[[], nn.Module] = "leaky_relu", *,
        activate_last: bool = False, dropout: float = 0.0) -> nn.Sequential:
    """Linear layers of widths ``sizes`` with ``activation`` (a name in :data:`ACTIVATIONS`, or
    a function that makes the module) after each hidden layer, then ``Dropout(dropout)`` when
    ``dropout > 0``; the last layer is linear unless ``activate_last``."""
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width, got {list(sizes)}")
    sizes = [positive_int("each layer width", s) for s in sizes]
    if not callable(activation):
        activation = ACTIVATIONS[one_of("activation", activation, tuple(ACTIVATIONS))]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if activate_last or i < len(sizes) - 2:
            layers.append(activation())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def latent(n: int, latent_dim: int, seed: int = 0) -> torch.Tensor:
    """``n`` standard-normal latent vectors from a private generator seeded with ``seed``."""
    n = positive_int("n", n)
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(int(seed)))


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
        # In place: the activation overwrites the linear layer's output, which the backward
        # pass does not need (one allocation fewer per layer).
        layers = mlp([self.latent_dim, *self.hidden, self.out_dim],
                     lambda: nn.LeakyReLU(negative_slope, inplace=True))
        self.net = nn.Sequential(*layers, nn.Tanh())

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
        self.body = mlp([self.in_dim, *self.hidden],
                        lambda: nn.LeakyReLU(negative_slope, inplace=True),
                        activate_last=True, dropout=self.dropout)
        width = self.hidden[-1]
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


def _defaults(model: type) -> dict:
    """A model's constructor defaults, as JSON-able values (sequences as lists)."""
    return {name: list(p.default) if isinstance(p.default, tuple) else p.default
            for name, p in inspect.signature(model).parameters.items()}


# The book's default models (chapter 6 trains them; later chapters reuse the run).
DEFAULT_GENERATOR = _defaults(Generator)
DEFAULT_DISCRIMINATOR = _defaults(Discriminator)
