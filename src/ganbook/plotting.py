"""Figure helpers shared by the chapters: image grids of digits, progress plots, and
animations as self-contained HTML."""

from __future__ import annotations

import logging
import re
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
    """Three panels of a run's progress on ``axes``: held-out FD (log scale, best marked);
    the discriminator's mean outputs on real and generated digits (moving averages) and, at
    each evaluation, on training and on held-out digits; the share of the rarest digit class
    among generated digits."""
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
    if evaluations and not np.isnan(evaluations[0].d_train):
        ax_d.plot(steps, [e.d_train for e in evaluations], "^", ms=4, color="C0",
                  label="D on training digits")
        ax_d.plot(steps, [e.d_held_out for e in evaluations], "v", ms=4, color="C4",
                  label="D on held-out digits")
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


class _Collect(logging.Handler):
    """Keeps the messages logged while it is attached."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


# The stylesheet link at the top of matplotlib's JavaScript player (HTMLWriter's template).
_REMOTE_STYLESHEET = re.compile(r"<link\b[^>]*\bhref=[\"']https?://[^>]*>", re.IGNORECASE)


def animation_html(anim, default_mode: str = "once", embed_limit_mb: float = 5.0,
                   fps: float | None = None) -> str:
    """A matplotlib animation as a self-contained HTML player with every frame embedded.

    This is what :meth:`matplotlib.animation.Animation.to_jshtml` makes (frames inlined as
    base64 PNGs, played by a few lines of JavaScript), with one change: matplotlib's template
    links the Font Awesome stylesheet, for the player's button icons, from a CDN. The book
    must load nothing from another host (it is read offline, and ``tests/test_browser.py``
    fails on any such request), so that link is removed; the icons then come from the Font
    Awesome that the page itself provides (Jupyter Book's theme bundles it).

    ``default_mode`` is what the player does after the last frame (``"once"``, ``"loop"`` or
    ``"reflect"``); ``fps`` defaults to the animation's own frame interval. matplotlib
    silently drops the frames that would take the embedded data past ``embed_limit_mb``
    megabytes; here that is an error (``ValueError``) instead, as is any ``http(s)://``
    address left in the HTML. Unlike ``to_jshtml``, nothing is cached on ``anim``.
    """
    import tempfile

    from matplotlib import animation as mpl_animation

    if not isinstance(anim, mpl_animation.Animation):
        raise ValueError(f"anim must be a matplotlib Animation, got {type(anim).__name__}")
    if not embed_limit_mb > 0:
        raise ValueError(f"embed_limit_mb must be a positive number, got {embed_limit_mb!r}")
    if fps is None:  # as to_jshtml does: the interval between frames, in milliseconds
        fps = 1000.0 / getattr(anim, "_interval", 200)
    writer = mpl_animation.HTMLWriter(fps=fps, embed_frames=True, default_mode=default_mode,
                                      embed_limit=embed_limit_mb)
    # matplotlib reports dropped frames only as a logged warning: listen for it.
    collect = _Collect()
    logger = logging.getLogger(mpl_animation.__name__)
    level = logger.level
    logger.addHandler(collect)
    if not logger.isEnabledFor(logging.WARNING):
        logger.setLevel(logging.WARNING)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "animation.html")
            anim.save(str(path), writer=writer)
            html = path.read_text()
    finally:
        logger.removeHandler(collect)
        logger.setLevel(level)
    if any("exceeding the limit" in message for message in collect.messages):
        raise ValueError(f"the animation's frames take more than {embed_limit_mb} MB and "
                         "some would be dropped: raise embed_limit_mb, or use fewer, "
                         "smaller frames")
    html = _REMOTE_STYLESHEET.sub("", html)
    remote = re.search(r"https?://\S+", html)
    if remote:
        raise ValueError(f"the animation's HTML still refers to another host: {remote.group()}")
    return html
