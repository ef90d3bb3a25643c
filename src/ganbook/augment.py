"""Random translations of digits, differentiable with respect to the images."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .checks import non_negative_int
from .images import IMAGE_SHAPE


def translate(images: torch.Tensor, max_shift: int, rng: torch.Generator | None = None,
              fill: float = 0.0) -> torch.Tensor:
    """Shift each image by its own random offset of up to ``max_shift`` pixels in each
    direction, filling the uncovered border with ``fill`` (the background).

    ``images``: ``(n, 784)`` or ``(n, 1, 28, 28)``; the result has the same shape. The shift is
    a gather of pixels, so gradients flow back to ``images`` (as differentiable augmentation
    needs, Zhao et al. 2020).
    """
    max_shift = non_negative_int("max_shift", max_shift)
    if max_shift == 0:
        return images
    n, (h, w), r = images.shape[0], IMAGE_SHAPE, max_shift
    padded = F.pad(images.reshape(n, 1, h, w), (r, r, r, r), value=fill).reshape(n, -1)
    dx = torch.randint(0, 2 * r + 1, (n, 1, 1), generator=rng, device=images.device)
    dy = torch.randint(0, 2 * r + 1, (n, 1, 1), generator=rng, device=images.device)
    rows = dy + torch.arange(h, device=images.device).view(1, h, 1)
    cols = dx + torch.arange(w, device=images.device).view(1, 1, w)
    index = (rows * (w + 2 * r) + cols).reshape(n, h * w)
    return padded.gather(1, index).reshape(images.shape)
