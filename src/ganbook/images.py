"""The book's two image conventions, and the only place that converts between them.

* **pixels**: grey levels in ``[0, 1]``. Samples handed to readers, metrics and plots are float32
  NumPy arrays of shape ``(n, 28, 28)``; uint8 digits (0..255) are accepted wherever pixels are.
* **model space**: float32 tensors of shape ``(n, 784)`` in ``[-1, 1]``, the range of the
  generator's tanh output and of the discriminator's input.
"""

from __future__ import annotations

import numpy as np
import torch

IMAGE_SHAPE = (28, 28)
IMAGE_SIZE = 28 * 28


def as_pixels(images, name: str = "images") -> torch.Tensor:
    """Digits as a float32 tensor ``(n, 784)`` in ``[0, 1]``.

    ``images``: NumPy array or tensor of shape ``(n, 28, 28)``, ``(n, 1, 28, 28)`` or ``(n, 784)``,
    either uint8 (0..255, divided by 255) or floating point with finite values in ``[0, 1]``.
    """
    if isinstance(images, torch.Tensor):
        x = images.detach().cpu()
    else:
        try:
            x = torch.from_numpy(np.asarray(images))
        except (TypeError, ValueError) as err:  # strings, objects, ragged lists
            raise ValueError(f"{name} must be a numeric array, got {err}") from None
    if x.ndim not in (2, 3, 4) or x.shape[0] == 0 or x[0].numel() != IMAGE_SIZE:
        raise ValueError(f"{name} must have shape (n, 28, 28) or (n, 784) with n > 0, "
                         f"got {tuple(x.shape)}")
    if x.dtype == torch.uint8:
        x = x.to(torch.float32) / 255.0
    elif x.is_floating_point():
        x = x.to(torch.float32)
        if not torch.isfinite(x).all() or x.min() < 0 or x.max() > 1:
            raise ValueError(f"{name} must hold finite values in [0, 1] (got min {x.min():.4g}, "
                             f"max {x.max():.4g}); uint8 digits are accepted as they are")
    else:
        raise ValueError(f"{name} must be uint8 or floating point, got {x.dtype}")
    return x.reshape(x.shape[0], IMAGE_SIZE)


def to_model(images, name: str = "images") -> torch.Tensor:
    """Digits (pixels, as :func:`as_pixels` accepts them) as the models' input: float32
    ``(n, 784)`` in ``[-1, 1]``."""
    return (as_pixels(images, name) * 2.0 - 1.0).contiguous()


def from_model(outputs: torch.Tensor) -> np.ndarray:
    """Generator outputs in ``[-1, 1]`` as pixels: float32 NumPy ``(n, 28, 28)`` in ``[0, 1]``
    (values outside the range are clipped)."""
    x = outputs.detach().to("cpu", torch.float32)
    if x.ndim not in (2, 3, 4) or x.shape[0] == 0 or x[0].numel() != IMAGE_SIZE:
        raise ValueError(f"outputs must hold 784 values per sample, got shape {tuple(x.shape)}")
    x = ((x.reshape(-1, *IMAGE_SHAPE) + 1.0) / 2.0).clamp_(0.0, 1.0)
    return x.numpy().astype(np.float32, copy=False)


def check_samples(samples, name: str = "samples") -> np.ndarray:
    """Samples in the book's convention: float32 NumPy ``(n, 28, 28)`` in ``[0, 1]``."""
    return as_pixels(samples, name).reshape(-1, *IMAGE_SHAPE).numpy()
