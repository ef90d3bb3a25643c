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


def moving_average(values, width: int) -> np.ndarray:
    """Means of ``width`` consecutive values (``len(values) - width + 1`` of them)."""
    values = np.asarray(values, dtype=np.float64)
    width = max(1, min(int(width), len(values)))
    return np.convolve(values, np.ones(width) / width, mode="valid")


def draw_progress(axes, history: dict, evaluations: list) -> None:
    """Three panels of a run's progress on ``axes``: held-out FD (log scale, best marked),
    the discriminator's mean outputs on real and generated digits (moving averages), and the
    share of the rarest digit class among generated digits."""
    ax_fd, ax_d, ax_class = axes
    steps = [e.step for e in evaluations]
    fds = [e.fd for e in evaluations]
    ax_fd.plot(steps, fds, "o-", ms=3, label="held-out FD")
    if evaluations:
        best = min(evaluations, key=lambda e: e.fd)
        ax_fd.plot([best.step], [best.fd], "*", ms=12, color="C3",
                   label=f"best: {best.fd:.2f} at step {best.step:,}")
        ax_fd.set_yscale("log")
    ax_fd.set(xlabel="step", ylabel="Fréchet distance (log scale)",
              title="Held-out FD (lower is better)")
    ax_fd.legend(fontsize=8)
    n = len(history.get("d_real", []))
    if n:
        width = max(1, n // 100)
        x = np.arange(width, n + 1)
        ax_d.plot(x, moving_average(history["d_real"], width), label="mean D(x), real")
        ax_d.plot(x, moving_average(history["d_fake"], width), label="mean D(G(z)), generated")
    ax_d.axhline(0.5, color="gray", ls="--", lw=1, label="equilibrium 1/2")
    ax_d.set(xlabel="step", ylabel="discriminator output", ylim=(0, 1),
             title="Discriminator outputs")
    ax_d.legend(fontsize=8)
    ax_class.plot(steps, [100 * e.smallest_class for e in evaluations], "o-", ms=3,
                  color="C2", label="rarest digit class")
    ax_class.axhline(10, color="gray", ls="--", lw=1, label="fair share, 10%")
    ax_class.set(xlabel="step", ylabel="share of generated digits (%)", ylim=(0, None),
                 title="Rarest class")
    ax_class.legend(fontsize=8)


def save_progress_plot(history: dict, evaluations: list, path) -> Path:
    """Save :func:`draw_progress` as a PNG file (written atomically)."""
    from matplotlib.figure import Figure

    from .files import atomic_write

    fig = Figure(figsize=(13, 3.6), layout="constrained")
    draw_progress(fig.subplots(1, 3), history, evaluations)
    return atomic_write(path, lambda handle: fig.savefig(handle, format="png", dpi=90))
