"""Figure helpers shared by the chapters: image grids of digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def image_grid(images, nrow: int | None = None, pad: int = 2, pad_value: float = 1.0) -> np.ndarray:
    """Tile images ``(n, h, w)`` (values in [0, 1]) into one 2-D array, ``nrow`` images per row.

    Missing cells of the last row are filled with ``pad_value``.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 2 and images.shape[1] == 784:
        images = images.reshape(-1, 28, 28)
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(f"images must have shape (n, h, w) with n > 0, got {images.shape}")
    n, h, w = images.shape
    nrow = int(np.ceil(np.sqrt(n))) if nrow is None else int(nrow)
    if nrow < 1 or pad < 0:
        raise ValueError(f"nrow must be positive and pad non-negative, got {nrow}, {pad}")
    ncol_rows = int(np.ceil(n / nrow))
    grid = np.full((ncol_rows * (h + pad) + pad, nrow * (w + pad) + pad), pad_value, dtype=np.float32)
    for i, image in enumerate(images):
        r, c = divmod(i, nrow)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        grid[top:top + h, left:left + w] = image
    return grid


def show_grid(ax, images, nrow: int | None = None, title: str | None = None):
    """Draw :func:`image_grid` of ``images`` on a matplotlib axis (black digits on white)."""
    ax.imshow(1.0 - image_grid(images, nrow, pad_value=0.0), cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def save_image_grid(images, path, nrow: int | None = None, title: str | None = None) -> Path:
    """Save a grid of images as a PNG file."""
    from matplotlib.figure import Figure  # no pyplot: leaves the caller's backend alone

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(5, 5))
    show_grid(fig.subplots(), images, nrow, title)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    return path
