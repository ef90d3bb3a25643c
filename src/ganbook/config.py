"""The settings of an MNIST GAN run (:class:`TrainConfig`), checked when they are made."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .checks import fraction, non_negative_int, one_of, positive_float, positive_int
from .losses import GENERATOR_LOSSES
from .precision import PRECISIONS

LR_SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run, checked when it is made. The defaults are the book's
    default run (chapter 6 explains each choice)."""

    steps: int | None = 6000  # iterations of Algorithm 1 (None: run for `minutes`)
    minutes: float | None = None  # wall-clock limit (as well as, or instead of, steps)
    k: int = 1  # discriminator updates per generator update
    generator_loss: str = "non_saturating"  # or "saturating", "feature_matching"
    lr_g: float = 1.5e-3  # Adam learning rates of the generator and the discriminator
    lr_d: float = 2.5e-4
    betas: tuple = (0.5, 0.999)
    batch_size: int = 128
    label_smoothing: float = 0.0  # one-sided: real targets become 1 - label_smoothing
    augment_shift: int = 2  # D sees every digit shifted by up to this many pixels (DiffAugment)
    historical_averaging: float = 0.0  # weight of the penalty of remedies.HistoricalAverage
    ema_decay: float | None = 0.999  # moving average of G's weights (None: no average)
    lr_schedule: str = "cosine"  # both rates fall to 0 from decay_start on (or "constant")
    decay_start: float = 0.5  # share of the budget at full rates before the cosine fall
    # The rates suit runs of up to this many steps; a longer run scales both down by
    # full_rate_steps / its length (None: never). See ganbook.schedule.length_scale().
    full_rate_steps: int | None = 16000
    # A run limited by minutes alone with time for more than full_rate_steps steps takes
    # larger minibatches instead, in proportion (False: keep batch_size). See
    # ganbook.schedule.grown_batch_size().
    grow_batch: bool = True
    precision: str = "float32"  # or "bfloat16" matrix products
    seed: int = 0
    snapshot_every: int | None = None  # keep samples of a fixed latent batch every so often
    n_snapshot: int = 100
    checkpoint_every: int | None = None
    eval_every: int | None = 1000  # score the generator on held-out digits (ganbook.monitor)
    eval_samples: int = 2000

    def __post_init__(self):
        def set_(name, value):
            object.__setattr__(self, name, value)

        if self.steps is None and self.minutes is None:
            raise ValueError("give steps (a positive int) or minutes (a positive number)")
        if self.steps is not None:
            set_("steps", positive_int("steps", self.steps))
        if self.minutes is not None:
            set_("minutes", positive_float("minutes", self.minutes))
        set_("k", positive_int("k (discriminator steps per generator step)", self.k))
        one_of("generator_loss", self.generator_loss, GENERATOR_LOSSES)
        set_("lr_g", positive_float("lr_g", self.lr_g))
        set_("lr_d", positive_float("lr_d", self.lr_d))
        betas = tuple(self.betas)
        if len(betas) != 2 or not all(0.0 <= float(b) < 1.0 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        set_("betas", (float(betas[0]), float(betas[1])))
        set_("batch_size", positive_int("batch_size", self.batch_size))
        set_("label_smoothing", fraction("label_smoothing", self.label_smoothing))
        set_("augment_shift", non_negative_int("augment_shift", self.augment_shift))
        if self.historical_averaging != 0:
            set_("historical_averaging",
                 positive_float("historical_averaging", self.historical_averaging))
        if self.ema_decay is not None:
            decay = fraction("ema_decay", self.ema_decay)
            if decay == 0.0:
                raise ValueError("ema_decay must be None or a number in (0, 1), got 0")
            set_("ema_decay", decay)
        one_of("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        set_("decay_start", fraction("decay_start", self.decay_start))
        if self.decay_start == 1.0:
            raise ValueError("decay_start must be below 1 (the rates must fall before the end)")
        one_of("precision", self.precision, PRECISIONS)
        if not isinstance(self.grow_batch, bool):
            raise ValueError(f"grow_batch must be True or False, got {self.grow_batch!r}")
        set_("seed", int(self.seed))
        for name in ("snapshot_every", "checkpoint_every", "eval_every", "full_rate_steps"):
            if getattr(self, name) is not None:
                set_(name, positive_int(name, getattr(self, name)))
        set_("n_snapshot", positive_int("n_snapshot", self.n_snapshot))
        set_("eval_samples", positive_int("eval_samples", self.eval_samples))

    def identity(self) -> dict:
        """The settings a checkpoint must share with this run for the run to resume from it
        (the length of the run, and how often it saves and evaluates, may change)."""
        fields = dataclasses.asdict(self)
        for name in ("steps", "minutes", "snapshot_every", "checkpoint_every", "eval_every",
                     "eval_samples"):
            del fields[name]
        fields["betas"] = list(self.betas)
        return fields
