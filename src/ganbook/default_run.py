"""The book's default run: chapter 6 trains it once, later chapters load it from its cache
``data/runs/<hash of its settings>/`` (trained on the spot where the cache is missing)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import checkpoint
from .config import TrainConfig
from .files import exclusive
from .loop import threads
from .models import DEFAULT_DISCRIMINATOR, DEFAULT_GENERATOR

DEFAULT_SNAPSHOT_EVERY = 250
DEFAULT_CHECKPOINT_EVERY = 500
DEFAULT_THREADS = 2  # fixed, so that whoever trains the default run gets the same weights


def default_config() -> dict:
    """Everything that defines the book's default run (models and training)."""
    training = TrainConfig(snapshot_every=DEFAULT_SNAPSHOT_EVERY,
                           checkpoint_every=DEFAULT_CHECKPOINT_EVERY)
    return {"generator": dict(DEFAULT_GENERATOR), "discriminator": dict(DEFAULT_DISCRIMINATOR),
            "training": {**training.identity(), "steps": training.steps},
            "snapshot_every": DEFAULT_SNAPSHOT_EVERY, "threads": DEFAULT_THREADS}


def config_hash(config: dict) -> str:
    """Short stable hash of a JSON-able configuration (names the cached run's folder)."""
    text = json.dumps(config, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def default_run_dir() -> Path:
    """``data/runs/<hash of default_config()>``: where the default run's checkpoint lives."""
    from .data import data_dir

    return data_dir() / "runs" / config_hash(default_config())


def _locked():
    """Held while a process trains or reads the default run: another one waits."""
    return exclusive(default_run_dir() / "run.lock")


def _train(progress: bool, resume: bool, device):
    from .train import train

    with threads(DEFAULT_THREADS):
        return train(device=device, checkpoint_dir=default_run_dir(), resume=resume,
                     progress=progress, snapshot_every=DEFAULT_SNAPSHOT_EVERY,
                     checkpoint_every=DEFAULT_CHECKPOINT_EVERY)


def train_default(progress: bool = True, resume: bool = False, device="cpu"):
    """Train the book's default GAN (or resume it) and save it in :func:`default_run_dir`;
    returns its :class:`ganbook.result.TrainResult`.

    It runs on a fixed number of CPU threads, because the thread count changes floating-point
    sums: whoever trains it (chapter 6, or a later chapter that finds no cache) gets the same
    weights."""
    with _locked():
        return _train(progress, resume, device)


def _finished_run(path: Path):
    """The default run's result from its checkpoint, or None when it is missing, unreadable
    or unfinished."""
    from .result import result_from_checkpoint

    if not path.exists():
        return None
    try:
        result = result_from_checkpoint(path)
    except ValueError:
        return None
    return result if result.step == TrainConfig().steps else None


def load_or_train_default(progress: bool = False, return_result: bool = False):
    """The default generator (eval mode): loaded from :func:`default_run_dir` when a finished
    run is there, else trained (deterministically, so it is the same either way); with
    ``return_result``, the whole :class:`ganbook.result.TrainResult`."""
    path = default_run_dir() / checkpoint.LATEST
    with _locked():  # wait while another process trains it
        result = _finished_run(path)
        if result is None:
            result = _train(progress, path.exists(), "cpu")
    return result if return_result else result.generator
