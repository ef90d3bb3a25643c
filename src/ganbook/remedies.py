"""Remedies for GAN failures from Salimans et al. (2016).

* :class:`MinibatchDiscrimination` (Section 3.2): a layer that lets the discriminator compare
  each sample with the rest of its minibatch. :class:`ganbook.models.Discriminator` inserts it
  before its output with ``minibatch_kernels > 0``.
* :class:`HistoricalAverage` (Section 3.3): a penalty that pulls a player's weights towards
  the average of their past values (``historical_averaging=`` of both trainers).
* Feature matching (Section 3.1) is a generator loss: :func:`ganbook.losses.feature_matching_loss`,
  selected with ``generator_loss="feature_matching"``.
"""

from __future__ import annotations

import torch
from torch import nn

from .checks import positive_float, positive_int


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
            raise ValueError("minibatch discrimination needs at least 2 samples")
        m = (f @ self.T).view(-1, self.n_kernels, self.kernel_dim)
        m = m.transpose(0, 1)  # (B, n, C): kernel b's rows M_{i,b} of all samples
        l1 = torch.cdist(m, m, p=1.0)  # (B, n, n): ||M_{i,b} - M_{j,b}||_1
        return (torch.exp(-l1).sum(2) - 1.0).T  # (n, B); minus exp(0) = 1 of j == i

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return torch.cat([f, self.closeness(f)], dim=1)


class HistoricalAverage:
    """Historical averaging (Salimans et al. 2016, Section 3.3) for one player.

    :meth:`penalty` is ``weight * ||theta - mean_theta||^2``, where ``mean_theta`` is the average
    of the weights ``theta`` over all steps so far; added to the player's loss it damps the
    oscillations of a game that circles around its equilibrium. Call :meth:`update` after every
    update of the weights.
    """

    def __init__(self, params, weight: float):
        self.params = [p for p in params if p.requires_grad]
        self.weight = positive_float("historical averaging weight", weight)
        self.means = [p.detach().clone() for p in self.params]
        self.count = 1  # the means start as the initial weights

    def penalty(self) -> torch.Tensor:
        return self.weight * sum((p - m).pow(2).sum() for p, m in zip(self.params, self.means))

    @torch.no_grad()
    def update(self) -> None:
        self.count += 1
        for p, m in zip(self.params, self.means):
            m.lerp_(p, 1.0 / self.count)  # running mean of all values so far

    def state_dict(self) -> dict:
        return {"means": [m.clone() for m in self.means], "count": self.count}

    def load_state_dict(self, state: dict) -> None:
        for m, saved in zip(self.means, state["means"]):
            m.copy_(saved)
        self.count = int(state["count"])
