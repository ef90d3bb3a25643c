"""Remedies for GAN failures from Salimans et al. (2016).

* :class:`MinibatchDiscrimination` (Section 3.2): a layer that lets the discriminator compare
  each sample with the rest of its minibatch. :class:`ganbook.models.Discriminator` inserts it
  before its output with ``minibatch_kernels > 0``.
* Feature matching (Section 3.1) is a generator loss: :func:`ganbook.losses.feature_matching_loss`,
  selected with ``generator_loss="feature_matching"``.
"""

from __future__ import annotations

import torch
from torch import nn

from .checks import positive_int


class MinibatchDiscrimination(nn.Module):
    """Minibatch discrimination (Salimans et al. 2016, Section 3.2).

    Each sample's features ``f(x_i)`` are projected by a learned tensor ``T`` to ``B`` rows
    ``M_{i,b}`` of length ``C``; for every row ``b`` the layer appends
    ``o(x_i)_b = sum_{j != i} exp(-||M_{i,b} - M_{j,b}||_1)``, how close ``x_i`` is to the
    *other* samples of its minibatch. A collapsed generator produces minibatches of
    near-identical samples, which this feature exposes to the discriminator.

    Input ``(n, in_features)``; output ``(n, in_features + n_kernels)``. Needs ``n >= 2``.
    """

    def __init__(self, in_features: int, n_kernels: int = 16, kernel_dim: int = 8):
        super().__init__()
        self.in_features = positive_int("in_features", in_features)
        self.n_kernels = positive_int("n_kernels", n_kernels)
        self.kernel_dim = positive_int("kernel_dim", kernel_dim)
        self.T = nn.Parameter(0.1 * torch.randn(in_features, n_kernels * kernel_dim))

    def closeness(self, f: torch.Tensor) -> torch.Tensor:
        """The ``(n, n_kernels)`` features ``o(x_i)_b`` (self-similarity excluded)."""
        if f.ndim != 2 or f.shape[1] != self.in_features:
            raise ValueError(f"input must have shape (n, {self.in_features}), "
                             f"got {tuple(f.shape)}")
        if f.shape[0] < 2:
            raise ValueError("minibatch discrimination needs a minibatch of at least 2 samples")
        m = (f @ self.T).view(-1, self.n_kernels, self.kernel_dim).transpose(0, 1)  # (B, n, C)
        l1 = torch.cdist(m, m, p=1.0)  # (B, n, n): ||M_{i,b} - M_{j,b}||_1
        return (torch.exp(-l1).sum(2) - 1.0).T  # (n, B); minus exp(0) = 1 of j == i

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return torch.cat([f, self.closeness(f)], dim=1)
