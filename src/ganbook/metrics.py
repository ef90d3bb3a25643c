"""Measuring generated digits.

Sections:

* input validation: :func:`check_samples` (the book's sample convention);
* a digit classifier: :class:`DigitClassifier`, :func:`train_classifier`,
  :func:`load_or_train_classifier` (cached under ``data/``), :func:`classify`;
* class statistics of samples: :func:`class_histogram`, :func:`mean_confidence`.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# ------------------------------------------------------------------- input validation


def check_samples(samples, name: str = "samples") -> np.ndarray:
    """Validate and return ``samples`` as float32 ``(n, 28, 28)`` in [0, 1].

    Accepts arrays or tensors of shape ``(n, 28, 28)`` or ``(n, 784)`` with finite values in
    ``[0, 1]``; anything else raises ``ValueError``.
    """
    if isinstance(samples, torch.Tensor):
        samples = samples.detach().cpu().numpy()
    samples = np.asarray(samples)
    if samples.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be numeric, got dtype {samples.dtype}")
    if samples.ndim == 2 and samples.shape[1] == 784:
        samples = samples.reshape(-1, 28, 28)
    if samples.ndim != 3 or samples.shape[1:] != (28, 28) or samples.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n, 28, 28) or (n, 784) with n > 0, got {samples.shape}")
    samples = samples.astype(np.float32, copy=False)
    if not np.isfinite(samples).all() or samples.min() < 0.0 or samples.max() > 1.0:
        raise ValueError(f"{name} must hold finite values in [0, 1] (got min {samples.min()}, max {samples.max()}); "
                         "convert uint8 images with images / 255")
    return samples


# --------------------------------------------------------------------- digit classifier

CLASSIFIER_MIN_ACCURACY = 0.98
CLASSIFIER_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 2e-3, "seed": 0, "max_shift": 2, "version": 2}


class DigitClassifier(nn.Module):
    """A small LeNet-style CNN (LeCun et al. 1998): two 5x5 convolutions with max pooling and
    two dense layers.  Input ``(n, 1, 28, 28)`` in [0, 1]; output logits ``(n, 10)``."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2),  # 16 x 12 x 12
            nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 4 x 4
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 4 * 4, 128), nn.ReLU(),
                                        nn.Dropout(0.25), nn.Linear(128, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x.reshape(-1, 1, 28, 28)))


def _random_shift(x: torch.Tensor, max_shift: int) -> torch.Tensor:
    """Translate each image by up to ``max_shift`` pixels (zero padding): cheap data augmentation."""
    if max_shift == 0:
        return x
    n = x.shape[0]
    padded = F.pad(x, (max_shift,) * 4)
    dx = torch.randint(0, 2 * max_shift + 1, (n,))
    dy = torch.randint(0, 2 * max_shift + 1, (n,))
    rows = (dy[:, None] + torch.arange(28)[None, :])[:, None, :, None]  # (n, 1, 28, 1)
    cols = (dx[:, None] + torch.arange(28)[None, :])[:, None, None, :]  # (n, 1, 1, 28)
    return padded[torch.arange(n)[:, None, None, None], 0:1, rows, cols].reshape(n, 1, 28, 28)


@torch.no_grad()
def _predict_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    model.eval()
    return torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


CLASSIFIER_THREADS = 2  # see train_classifier


def train_classifier(progress: bool = False, **settings) -> tuple[DigitClassifier, float]:
    """Train :class:`DigitClassifier` on the MNIST-10k train split; return it and its test accuracy."""
    from .data import load_split

    s = {**CLASSIFIER_SETTINGS, **settings}
    (train_x, train_y), (test_x, test_y) = load_split()
    x = torch.from_numpy(train_x).float().div_(255.0)[:, None]
    y = torch.from_numpy(train_y).long()
    # Floating-point sums depend on how work is split between threads, so the cached classifier
    # (and every number computed with it) is reproducible only for a fixed thread count.
    threads = torch.get_num_threads()
    torch.set_num_threads(CLASSIFIER_THREADS)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(s["seed"])
        model = DigitClassifier()
        opt = torch.optim.Adam(model.parameters(), lr=s["lr"])
        n_batches = int(np.ceil(len(x) / s["batch_size"]))
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=s["lr"], total_steps=s["epochs"] * n_batches)
        epochs = range(s["epochs"])
        if progress:
            from tqdm.auto import tqdm

            epochs = tqdm(epochs, desc="training classifier", unit="epoch")
        for _ in epochs:
            model.train()
            order = torch.randperm(len(x))
            for i in range(0, len(x), s["batch_size"]):
                idx = order[i:i + s["batch_size"]]
                loss = F.cross_entropy(model(_random_shift(x[idx], s["max_shift"])), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
    torch.set_num_threads(threads)
    model.eval()
    test = torch.from_numpy(test_x).float().div_(255.0)[:, None]
    accuracy = (_predict_logits(model, test).argmax(1).numpy() == test_y).mean()
    return model, float(accuracy)


def classifier_path() -> Path:
    """Where the cached classifier lives: ``data/classifier/digit_cnn_v<version>.pt``."""
    from .data import data_dir

    return data_dir() / "classifier" / f"digit_cnn_v{CLASSIFIER_SETTINGS['version']}.pt"


_CACHED: dict = {}


def load_or_train_classifier(progress: bool = False) -> DigitClassifier:
    """The book's digit classifier (eval mode), trained once (~30 s on 2 CPU cores) and cached.

    Raises ``RuntimeError`` if its test accuracy is below 98%.
    """
    if "model" in _CACHED:
        return _CACHED["model"]
    path = classifier_path()
    model = DigitClassifier()
    state = None
    if path.exists():
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            if state.get("settings") != CLASSIFIER_SETTINGS:
                state = None
            else:
                model.load_state_dict(state["model"])
        except Exception:  # corrupted or foreign file: retrain
            state = None
    if state is None:
        start = time.perf_counter()
        model, accuracy = train_classifier(progress=progress)
        state = {"model": model.state_dict(), "settings": CLASSIFIER_SETTINGS, "test_accuracy": accuracy,
                 "train_seconds": time.perf_counter() - start}
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(state, path.with_suffix(".partial"))
        path.with_suffix(".partial").replace(path)
    model.test_accuracy = float(state["test_accuracy"])
    if model.test_accuracy < CLASSIFIER_MIN_ACCURACY:
        raise RuntimeError(f"the digit classifier reaches only {model.test_accuracy:.4f} test accuracy "
                           f"(< {CLASSIFIER_MIN_ACCURACY})")
    model.eval()
    _CACHED["model"] = model
    return model


def classify(samples, model: nn.Module | None = None) -> np.ndarray:
    """Class probabilities ``(n, 10)`` (float64) of samples (float in [0, 1], ``(n, 28, 28)`` or ``(n, 784)``)."""
    x = torch.from_numpy(check_samples(samples).copy())[:, None]
    model = load_or_train_classifier() if model is None else model
    return torch.softmax(_predict_logits(model, x), dim=1).double().numpy()


def class_histogram(samples, model: nn.Module | None = None) -> np.ndarray:
    """How many samples the classifier assigns to each digit: int64 counts of shape ``(10,)``."""
    return np.bincount(classify(samples, model).argmax(1), minlength=10).astype(np.int64)


def mean_confidence(samples, model: nn.Module | None = None) -> float:
    """Mean over samples of the classifier's largest class probability (near 1: clear digits)."""
    return float(classify(samples, model).max(1).mean())
