"""The book's digit classifier, and what it says about samples.

* :class:`DigitClassifier`, a small LeNet-style CNN, trained once on the MNIST-10k train split
  (:func:`train_classifier`) and cached under ``data/`` (:func:`load_or_train_classifier`);
* :func:`classify` (class probabilities), :func:`class_histogram`, :func:`mean_confidence`,
  and :func:`features`: its penultimate layer, the feature space of the Fréchet distance.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .augment import translate
from .files import atomic_write, exclusive
from .images import check_samples
from .loop import Loop, random_generator, seeded, threads

# --------------------------------------------------------------------- digit classifier

CLASSIFIER_MIN_ACCURACY = 0.98
CLASSIFIER_SETTINGS = {"epochs": 8, "batch_size": 64, "lr": 2e-3, "seed": 0, "max_shift": 2,
                       "version": 3}


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

    def penultimate(self, x: torch.Tensor) -> torch.Tensor:
        """The 128 activations that feed the last layer (the features of the Fréchet distance)."""
        return self.classifier[:-1](self.features(x.reshape(-1, 1, 28, 28)))


@torch.no_grad()
def _predict_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    model.eval()
    return torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


CLASSIFIER_THREADS = 2  # fixed: the thread count changes floating-point sums


def train_classifier(progress: bool = False, **settings) -> tuple[DigitClassifier, float]:
    """Train :class:`DigitClassifier` on the MNIST-10k train split (Adam, one-cycle learning
    rate, digits shifted by up to ``max_shift`` pixels); return it and its test accuracy."""
    from .data import load_split

    s = {**CLASSIFIER_SETTINGS, **settings}
    (train_x, train_y), (test_x, test_y) = load_split()
    x = torch.from_numpy(train_x).float().div_(255.0)[:, None]
    y = torch.from_numpy(train_y).long()
    batches_per_epoch = int(np.ceil(len(x) / s["batch_size"]))
    steps = s["epochs"] * batches_per_epoch
    # A fixed thread count keeps the cached classifier, and every number computed with it,
    # reproducible.
    with threads(CLASSIFIER_THREADS), seeded(s["seed"]):
        model = DigitClassifier().train()
        rng = random_generator(s["seed"])
        opt = torch.optim.Adam(model.parameters(), lr=s["lr"], fused=True)
        schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=s["lr"], total_steps=steps)
        order: list[torch.Tensor] = []

        def step() -> dict:
            if not order:  # a new epoch: a new random order of the training digits
                order.extend(torch.randperm(len(x), generator=rng).split(s["batch_size"]))
            idx = order.pop(0)
            images = translate(x[idx], s["max_shift"], rng)
            loss = F.cross_entropy(model(images), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            schedule.step()
            return {"loss": loss.detach()}

        Loop(steps, losses=("loss",), progress=progress, desc="training classifier").run(step)
    model.eval()
    test = torch.from_numpy(test_x).float().div_(255.0)[:, None]
    accuracy = (_predict_logits(model, test).argmax(1).numpy() == test_y).mean()
    return model, float(accuracy)


def classifier_path() -> Path:
    """Where the cached classifier lives: ``data/classifier/digit_cnn_v<version>.pt``."""
    from .data import data_dir

    return data_dir() / "classifier" / f"digit_cnn_v{CLASSIFIER_SETTINGS['version']}.pt"


_CACHED: dict = {}


def _load_or_train(path: Path, progress: bool) -> tuple[DigitClassifier, dict]:
    """The classifier and its saved state from ``path``, or trained and saved there."""
    model = DigitClassifier()
    if path.exists():
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            if state.get("settings") == CLASSIFIER_SETTINGS:
                model.load_state_dict(state["model"])
                return model, state
        except Exception:  # corrupted or foreign file: retrain
            pass
    start = time.perf_counter()
    model, accuracy = train_classifier(progress=progress)
    state = {"model": model.state_dict(), "settings": CLASSIFIER_SETTINGS,
             "test_accuracy": accuracy, "train_seconds": time.perf_counter() - start}
    atomic_write(path, lambda handle: torch.save(state, handle))
    return model, state


def load_or_train_classifier(progress: bool = False) -> DigitClassifier:
    """The book's digit classifier (eval mode), trained once (~30 s on 2 CPU cores) and cached.

    Raises ``RuntimeError`` if its test accuracy is below 98%.
    """
    if "model" in _CACHED:
        return _CACHED["model"]
    path = classifier_path()
    with exclusive(path.with_suffix(".lock")):  # one process trains, the others wait
        model, state = _load_or_train(path, progress)
    model.test_accuracy = float(state["test_accuracy"])
    if model.test_accuracy < CLASSIFIER_MIN_ACCURACY:
        raise RuntimeError(f"the digit classifier reaches only {model.test_accuracy:.4f} test "
                           f"accuracy (< {CLASSIFIER_MIN_ACCURACY})")
    model.eval()
    _CACHED["model"] = model
    return model


def classify(samples, model: nn.Module | None = None) -> np.ndarray:
    """Class probabilities ``(n, 10)`` (float64) of samples (pixels, ``(n, 28, 28)`` or
    ``(n, 784)``)."""
    x = torch.from_numpy(check_samples(samples).copy())[:, None]
    model = load_or_train_classifier() if model is None else model
    return torch.softmax(_predict_logits(model, x), dim=1).double().numpy()


def features(samples, model: DigitClassifier | None = None) -> np.ndarray:
    """The classifier's penultimate-layer activations for samples (pixels): float64
    ``(n, 128)``. They play the role of the Inception features of the FID (Heusel et al. 2017)."""
    return features_and_probabilities(samples, model)[0]


@torch.no_grad()
def features_and_probabilities(samples, model: DigitClassifier | None = None,
                               batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """:func:`features` and :func:`classify` of the same samples, in one pass."""
    x = torch.from_numpy(check_samples(samples).copy())
    model = load_or_train_classifier() if model is None else model
    was_training = model.training
    model.eval()
    hidden = torch.cat([model.penultimate(x[i:i + batch_size])
                        for i in range(0, len(x), batch_size)])
    probabilities = torch.softmax(model.classifier[-1](hidden), dim=1)
    model.train(was_training)
    return hidden.double().numpy(), probabilities.double().numpy()


def class_histogram(samples, model: nn.Module | None = None) -> np.ndarray:
    """How many samples the classifier assigns to each digit: int64 counts of shape ``(10,)``."""
    return np.bincount(classify(samples, model).argmax(1), minlength=10).astype(np.int64)


def mean_confidence(samples, model: nn.Module | None = None) -> float:
    """Mean over samples of the classifier's largest class probability (near 1: clear digits)."""
    return float(classify(samples, model).max(1).mean())
