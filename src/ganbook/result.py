"""What an MNIST GAN run keeps and returns: :class:`TrainResult`, the snapshots of a fixed
latent batch (:class:`Snapshots`), the per-step history as CSV (:func:`write_history`), and a
result rebuilt from a checkpoint (:func:`result_from_checkpoint`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import checkpoint
from .config import TrainConfig
from .images import from_model
from .monitor import Evaluation

HISTORY_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")


@dataclass
class TrainResult:
    """What :func:`train` returns."""

    generator: nn.Module  # the generator to sample from: the weight average when kept
    discriminator: nn.Module
    history: dict  # name -> float64 array, one entry per step
    snapshot_steps: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)  # float32 (n_snapshot, 28, 28) in [0, 1]
    step: int = 0  # steps completed
    seconds: float = 0.0  # wall-clock training time, over all segments of a resumed run
    config: TrainConfig | None = None
    checkpoint: Path | None = None
    raw_generator: nn.Module | None = None  # the trained weights (= generator without average)
    evaluations: list = field(default_factory=list)  # ganbook.monitor.Evaluation, in order
    best: Evaluation | None = None  # the evaluation with the lowest held-out FD
    best_checkpoint: Path | None = None  # best.pt: the generator of that evaluation
    evaluation_seconds: float = 0.0  # time the held-out evaluations took, all segments
    batch_size: int = 0  # the minibatch size at the end (larger than config's when grown)

    @property
    def steps_per_second(self) -> float:
        return self.step / self.seconds if self.seconds > 0 else float("nan")


class Snapshots:
    """Samples of a fixed latent batch, kept at chosen steps to watch training progress."""

    def __init__(self, sampler: nn.Module, z_fixed: torch.Tensor, every: int | None):
        self.sampler, self.z_fixed, self.every = sampler, z_fixed, every
        self.steps: list[int] = []
        self.images: list[np.ndarray] = []

    @torch.no_grad()
    def take(self, step: int) -> None:
        if self.every is None or (self.steps and self.steps[-1] == step):
            return
        was_training = self.sampler.training
        self.sampler.eval()
        self.images.append(from_model(self.sampler(self.z_fixed)))
        self.sampler.train(was_training)
        self.steps.append(step)

    def state_dict(self) -> dict:
        return {"snapshot_steps": torch.tensor(self.steps, dtype=torch.int64),
                "snapshots": [torch.from_numpy(s) for s in self.images]}

    def load_state_dict(self, state: dict) -> None:
        self.steps = state["snapshot_steps"].tolist()
        self.images = [s.numpy() for s in state["snapshots"]]


def fixed_latent(config: TrainConfig, latent_dim: int) -> torch.Tensor:
    """The snapshots' latent batch, from its own generator: it never touches the run's stream."""
    rng = torch.Generator().manual_seed(config.seed + 1)
    return torch.randn(config.n_snapshot, latent_dim, generator=rng)


def result_from_checkpoint(path, device="cpu") -> TrainResult:
    """A :class:`TrainResult` (book models) rebuilt from a checkpoint."""
    state = checkpoint.load(path, map_location=device)
    generator, discriminator, sampler = checkpoint.load_models(state, device)
    return TrainResult(
        generator=sampler, raw_generator=generator, discriminator=discriminator,
        history={key: values.numpy() for key, values in state["history"].items()},
        snapshot_steps=state["snapshot_steps"].tolist(),
        snapshots=[s.numpy() for s in state["snapshots"]], step=int(state["step"]),
        seconds=float(state["seconds"]), config=state["config"], checkpoint=Path(path),
        evaluations=[Evaluation(**e) for e in state["evaluations"]],
        best=None if state["best"] is None else Evaluation(**state["best"]),
        best_checkpoint=best if (best := Path(path).with_name(checkpoint.BEST)).exists() else None)


def write_history(result: TrainResult, path: Path) -> None:
    """The per-step history as CSV, with the held-out evaluations in the rows of their steps."""
    evaluations = {e.step: e for e in result.evaluations}
    with open(path, "w") as handle:
        handle.write("step," + ",".join(HISTORY_KEYS) + ",fd,confidence,smallest_class\n")
        for i in range(result.step):
            values = ",".join(f"{result.history[key][i]:.6g}" for key in HISTORY_KEYS)
            e = evaluations.get(i + 1)
            scores = "" if e is None else f"{e.fd:.6g},{e.confidence:.6g},{e.smallest_class:.6g}"
            handle.write(f"{i + 1},{values},{scores or ',,'}\n")
