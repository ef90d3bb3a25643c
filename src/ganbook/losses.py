"""The losses of the GAN game, computed from the discriminator's logits.

With ``D(x) = sigmoid(l)``: ``-log D = softplus(-l)`` and ``-log(1 - D) = softplus(l)``. Both stay
finite however confident the discriminator is, where ``-log(sigmoid(l))`` rounds to infinity.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .checks import one_of

GENERATOR_LOSSES = ("non_saturating", "saturating", "feature_matching")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                       label_smoothing: float = 0.0) -> torch.Tensor:
    """``-[mean log D(x) + mean log(1 - D(G(z)))]``: binary cross-entropy with targets
    1 for real and 0 for generated samples.

    One-sided label smoothing (Salimans et al. 2016) makes the real target
    ``1 - label_smoothing``.
    """
    if label_smoothing == 0.0:  # the usual case: no term multiplied by zero
        loss_real = F.softplus(-real_logits)
    else:
        target = 1.0 - label_smoothing
        loss_real = (target * F.softplus(-real_logits)
                     + label_smoothing * F.softplus(real_logits))
    return loss_real.mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, kind: str = "non_saturating") -> torch.Tensor:
    """The generator's loss on the discriminator's logits at ``G(z)``, to minimise:
    ``"non_saturating"`` ``-mean log D(G(z))`` (the paper's practical choice) or
    ``"saturating"`` ``mean log(1 - D(G(z)))`` (the minimax objective)."""
    one_of("generator loss", kind, GENERATOR_LOSSES[:2])
    if kind == "saturating":
        return -F.softplus(fake_logits).mean()
    return F.softplus(-fake_logits).mean()


def feature_matching_loss(real_features: torch.Tensor,
                          fake_features: torch.Tensor) -> torch.Tensor:
    """``|| mean f(x) - mean f(G(z)) ||^2`` over a minibatch (Salimans et al. 2016, §3.1)."""
    if (real_features.ndim != 2 or fake_features.ndim != 2
            or real_features.shape[1] != fake_features.shape[1]):
        raise ValueError("features must be 2-D with the same width, got "
                         f"{tuple(real_features.shape)} and {tuple(fake_features.shape)}")
    return (real_features.mean(0) - fake_features.mean(0)).pow(2).sum()
