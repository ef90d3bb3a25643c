"""Train the MNIST GAN with Algorithm 1 of Goodfellow et al. (2014).

Each step makes ``k`` discriminator updates and one generator update, both with Adam. Beyond
the plain algorithm, the trainer adds a few named, optional pieces: label smoothing, the
saturating or feature-matching generator losses, a moving average of the generator's weights
(the generator to sample from), a learning-rate schedule (full rates for the first half of the
run, then half a cosine down to zero; smaller rates for runs longer than ``full_rate_steps``),
larger minibatches for runs given time for more than ``full_rate_steps`` steps, shifted digits
for the discriminator, held-out evaluation, bfloat16 matrix products, snapshots and checkpoints
from which a run resumes exactly. The loop around the step (progress bar, history,
time limit, NaN check) is :mod:`ganbook.loop`, shared by every trainer of the book.

Command line::

    python -m ganbook.train --steps 6000 --out runs/default
    python -m ganbook.train --minutes 2 --out runs/quick --device cuda
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from . import checkpoint
from .augment import translate
from .checks import fraction, non_negative_int, one_of, positive_float, positive_int
from .files import exclusive
from .images import from_model, to_model
from .loop import (DivergedError, Every, Loop, random_generator, resolve_device, seeded, threads,
                   update_player)
from .losses import GENERATOR_LOSSES, discriminator_loss, feature_matching_loss, generator_loss
from .models import Discriminator, Generator
from .remedies import HistoricalAverage
from .monitor import Evaluation, HeldOutMonitor
from .plotting import save_progress_plot

PRECISIONS = ("float32", "bfloat16")
LR_SCHEDULES = ("constant", "cosine")
PROGRESS_PLOT = "progress.png"  # FD and D's outputs against steps, beside the checkpoint
PLOT_EVERY = 10  # redraw it every so many evaluations (and at the end)
HISTORY_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")
# The book's default models (chapter 6 trains them; later chapters reuse the run).
DEFAULT_GENERATOR = {"latent_dim": 64, "hidden": [256, 512], "out_dim": 784,
                     "negative_slope": 0.2}
DEFAULT_DISCRIMINATOR = {"hidden": [512, 256], "in_dim": 784, "dropout": 0.0,
                         "negative_slope": 0.2, "minibatch_kernels": 0, "kernel_dim": 8}


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
    # full_rate_steps / its length (None: never). See length_scale().
    full_rate_steps: int | None = 16000
    # A run limited by minutes alone with time for more than full_rate_steps steps takes
    # larger minibatches instead, in proportion (False: keep batch_size). See
    # grown_batch_size().
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


# ------------------------------------------------------------------------- one step


def discriminator_step(gan: GAN, real: torch.Tensor, fake: torch.Tensor,
                       label_smoothing: float) -> tuple[torch.Tensor, ...]:
    """One Adam update of D on a minibatch; returns ``(loss, mean D(x), mean D(G(z)))``."""
    real, fake = gan.augment(real), gan.augment(fake)
    with gan.precision():
        if gan.separate_passes:
            real_logits, fake_logits = gan.discriminator(real), gan.discriminator(fake)
        else:  # one pass over both halves: one pair of big matrix products instead of two
            logits = gan.discriminator(torch.cat([real, fake])).float()
            real_logits, fake_logits = logits.split(real.shape[0])
    loss = discriminator_loss(real_logits.float(), fake_logits.float(), label_smoothing)
    update_player(gan.opt_d, loss, gan.d_weights, gan.d_history)  # D's weights only
    with torch.no_grad():
        return loss.detach(), torch.sigmoid(real_logits).mean(), torch.sigmoid(fake_logits).mean()


def generator_step(gan: GAN, fake: torch.Tensor, real: torch.Tensor, kind: str) -> torch.Tensor:
    """One Adam update of G against the current D; returns the loss."""
    fake = gan.augment(fake)  # D only ever sees augmented digits, real or generated
    with gan.precision():
        if kind == "feature_matching":
            with torch.no_grad():
                real_features = gan.discriminator.features(gan.augment(real)).float()
            loss = feature_matching_loss(real_features, gan.discriminator.features(fake).float())
        else:
            loss = generator_loss(gan.discriminator(fake).float(), kind)
    update_player(gan.opt_g, loss, gan.g_weights, gan.g_history)  # G's weights, none of D's
    return loss.detach()


def average_weight(decay: float):
    """The update of the generator's weight average, for :class:`AveragedModel`: an
    exponential moving average whose decay warms up as ``min(decay, (1 + t) / (10 + t))``
    over the first steps, so that early weights are forgotten quickly."""

    @torch.no_grad()
    def update(average: list, current: list, count: torch.Tensor) -> None:
        t = int(count) - 1  # the average's first update is the copy made when it is created
        weight = 1.0 - min(decay, (1.0 + t) / (10.0 + t))
        for a, c in zip(average, current):
            a.lerp_(c, weight)

    return update


def budget_used(config: TrainConfig, step: int, seconds: float) -> float:
    """The fraction of the run's budget used after ``step`` steps and ``seconds`` of training:
    ``step / steps``, ``seconds / (60 * minutes)``, or the larger of the two when both bound the
    run. A run limited by time cannot know in advance how many steps it will make, so its
    schedule follows the clock."""
    used = []
    if config.steps is not None:
        used.append(step / config.steps)
    if config.minutes is not None:
        used.append(seconds / (60.0 * config.minutes))
    return min(1.0, max(used))


PACE_STEPS = 100  # a run limited by minutes estimates its length from its pace after this


def planned_steps(config: TrainConfig, step: int, seconds: float,
                  since: tuple = (0, 0.0)) -> float | None:
    """How many steps the run will make: ``steps``, or for a run limited by ``minutes`` the
    steps done plus its pace since ``since`` (the step and second at which its minibatch size
    was set) over the time left; None while fewer than ``PACE_STEPS`` steps are done since
    then and the run has no step limit. The smaller of the two when both bound the run."""
    planned = [] if config.steps is None else [float(config.steps)]
    since_step, since_seconds = since
    if (config.minutes is not None and step - since_step >= PACE_STEPS
            and seconds > since_seconds):
        pace = (step - since_step) / (seconds - since_seconds)
        planned.append(step + pace * (60.0 * config.minutes - seconds))
    return min(planned) if planned else None


def length_scale(config: TrainConfig, step: int, seconds: float,
                 since: tuple = (0, 0.0)) -> float:
    """The factor of both learning rates for the length of the run: 1 for runs of up to
    ``full_rate_steps`` steps, ``full_rate_steps / planned_steps`` for longer ones. A longer run
    then covers about the same distance as one of ``full_rate_steps`` steps, in smaller, less
    noisy steps; at full rates it would travel further, and on 8,000 training digits that means
    a discriminator that memorises them (chapter 8)."""
    planned = planned_steps(config, step, seconds, since)
    if config.full_rate_steps is None or planned is None:
        return 1.0
    return min(1.0, config.full_rate_steps / planned)


def grown_batch_size(config: TrainConfig, step: int, seconds: float) -> int:
    """The minibatch size for the rest of a run, decided after ``PACE_STEPS`` steps: for a
    run limited by ``minutes`` alone whose pace gives it time for more than
    ``full_rate_steps`` steps, ``batch_size`` times that surplus (rounded up); otherwise
    ``batch_size``. More time then buys gradients with less noise rather than more passes of
    a discriminator that memorises the 8,000 training digits (chapter 8). Larger minibatches
    are often faster per digit, so the run may still plan more than ``full_rate_steps``
    steps; :func:`length_scale` then takes care of the rest, from the new pace."""
    planned = planned_steps(config, step, seconds)
    if (not config.grow_batch or config.steps is not None or config.full_rate_steps is None
            or planned is None or planned <= config.full_rate_steps):
        return config.batch_size
    return math.ceil(config.batch_size * planned / config.full_rate_steps)


def learning_rate_scale(schedule: str, used: float, decay_start: float = 0.0) -> float:
    """The factor of both learning rates when the fraction ``used`` of the budget is used:
    1 for ``"constant"``; for ``"cosine"``, 1 until ``decay_start``, then half a cosine from 1
    down to 0 at the end of the budget."""
    if schedule == "constant" or used <= decay_start:
        return 1.0
    return 0.5 * (1.0 + math.cos(math.pi * (used - decay_start) / (1.0 - decay_start)))


# ----------------------------------------------------------------------------- train


def train(generator: nn.Module | None = None, discriminator: nn.Module | None = None,
          data=None, config: TrainConfig | None = None, *, device="cpu", checkpoint_dir=None,
          resume: bool = False, progress: bool = True, callback=None,
          monitor: HeldOutMonitor | None = None, **settings) -> TrainResult:
    """Train a GAN on MNIST digits with Algorithm 1; returns a :class:`TrainResult`.

    ``generator``, ``discriminator``: modules (built with the book's defaults, after seeding,
    when None); ``data``: training digits as :func:`ganbook.images.as_pixels` accepts them
    (default: the MNIST-10k train split). Settings come from ``config`` and/or keyword
    arguments (``train(steps=500, k=2)``), see :class:`TrainConfig`. ``checkpoint_dir``:
    where ``checkpoint.pt`` is written every ``checkpoint_every`` steps and at the end;
    ``resume=True`` continues from it, bit for bit as if never interrupted.
    Every ``eval_every`` steps the generator is scored on held-out digits (``monitor``, by
    default a :class:`ganbook.monitor.HeldOutMonitor` of the MNIST-10k test split); the best
    one by FD is saved as ``best.pt`` beside the checkpoint.
    ``callback(step, sampling_generator)`` is called after every step.
    """
    config = TrainConfig(**settings) if config is None else dataclasses.replace(config, **settings)
    device = resolve_device(device)
    if config.checkpoint_every is not None and checkpoint_dir is None:
        raise ValueError("checkpoint_every needs a checkpoint_dir")
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs a checkpoint_dir")
    if config.precision == "bfloat16" and device.type == "cpu" and not cpu_has_bfloat16():
        warnings.warn("this CPU has no bfloat16 instructions: precision='bfloat16' trains in "
                      "plain float32 here, no faster", RuntimeWarning, stacklevel=2)
    path = None if checkpoint_dir is None else Path(checkpoint_dir) / checkpoint.LATEST
    best_path = None if checkpoint_dir is None else Path(checkpoint_dir) / checkpoint.BEST
    x_train = to_model(default_training_digits() if data is None else data).to(device)

    with seeded(config.seed, device):  # the caller's random stream is left alone
        gan = GAN(generator, discriminator, config, device)
        z_fixed = fixed_latent(config, gan.latent_dim).to(device)
        run = Loop(config.steps, config.minutes, progress=progress, desc="training GAN",
                   history={key: [] for key in HISTORY_KEYS})
        snapshots = Snapshots(gan.sampler, z_fixed, config.snapshot_every)
        evaluates = config.eval_every is not None and (config.steps is None
                                                       or config.steps >= config.eval_every)
        if monitor is None and evaluates:
            monitor = HeldOutMonitor(gan.latent_dim, config.eval_samples, config.seed,
                                     device=device)
        if resume and path.exists():
            gan.resume(checkpoint.load(path, map_location=device), run, snapshots, monitor)
        if run.step == 0:
            snapshots.take(0)  # a resumed run has its earlier snapshots already

        def step() -> dict:
            if run.step == PACE_STEPS and gan.batch_size == config.batch_size:
                batch_size = grown_batch_size(config, run.step, run.seconds)
                if batch_size != gan.batch_size:
                    gan.batch_size, gan.paced_from = batch_size, (run.step, run.seconds)
            scale = length_scale(config, run.step, run.seconds, gan.paced_from) * (
                learning_rate_scale(config.lr_schedule,
                                    budget_used(config, run.step, run.seconds),
                                    config.decay_start))
            gan.set_learning_rates(config.lr_g * scale, config.lr_d * scale)
            d_numbers = 0.0
            for i in range(config.k):
                real = x_train[torch.randint(x_train.shape[0], (gan.batch_size,),
                                             generator=gan.rng, device=device)]
                z = torch.randn(gan.batch_size, gan.latent_dim, generator=gan.rng,
                                device=device)
                # The last D update's generated batch, with its graph, serves the G update:
                # one generator forward pass per step instead of two.
                with torch.set_grad_enabled(i == config.k - 1), gan.precision():
                    fake = gan.generator(z)
                d_numbers = d_numbers + torch.stack(
                    discriminator_step(gan, real, fake.detach(), config.label_smoothing))
            g_loss = generator_step(gan, fake, real, config.generator_loss)
            if gan.average is not None:
                gan.average.update_parameters(gan.generator)
            if callback is not None:
                callback(run.step + 1, gan.sampler)
            d_loss, d_real, d_fake = d_numbers / config.k  # means over the k D updates
            return {"d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake}

        def evaluate(step: int):
            recent = slice(-config.eval_every, None)  # the steps since the last evaluation
            d_real, d_fake = (float(np.mean(run.history[k][recent])) for k in HISTORY_KEYS[2:])
            evaluation = monitor.evaluate(gan.sampler, step, d_real, d_fake, gan.discriminator)
            if monitor.best is evaluation and best_path is not None:
                checkpoint.save_best(best_path, gan.sampler, evaluation.as_dict())
            run.show(fd=f"{evaluation.fd:.2f}", best=f"{monitor.best.fd:.2f}@{monitor.best.step}")
            if path is not None and step % (PLOT_EVERY * config.eval_every) == 0:
                save_progress_plot(run.history, monitor.evaluations, path.parent / PROGRESS_PLOT)

        def save(_step=None):
            if path is not None:
                checkpoint.save(path, gan.state(run, snapshots, monitor))

        with gan.matmul_precision():
            run.run(step, every=[Every(config.snapshot_every, snapshots.take),
                                 Every(config.eval_every if monitor else None, evaluate),
                                 Every(config.checkpoint_every, save)])
        snapshots.take(run.step)
        evaluated = monitor.evaluations[-1].step if monitor and monitor.evaluations else 0
        if monitor is not None and run.step > evaluated:
            evaluate(run.step)  # the last generator too: with a falling rate, often the best
        save()
        if path is not None and monitor is not None and monitor.evaluations:
            save_progress_plot(run.history, monitor.evaluations, path.parent / PROGRESS_PLOT)
    return gan.result(run, snapshots, path, monitor, best_path)


# ------------------------------------------------------------------- the run's state


class GAN:
    """The two players of a run, their optimisers and the generator's weight average."""

    def __init__(self, generator, discriminator, config: TrainConfig, device: torch.device):
        self.config, self.device = config, device
        # Built here, inside the run's seeded block, when not given.
        self.generator = Generator(**DEFAULT_GENERATOR) if generator is None else generator
        self.discriminator = (Discriminator(**DEFAULT_DISCRIMINATOR) if discriminator is None
                              else discriminator)
        self.latent_dim = getattr(self.generator, "latent_dim", None)
        if not isinstance(self.latent_dim, int) or self.latent_dim < 1:
            raise ValueError("the generator must have an int attribute latent_dim (size of z)")
        if (config.generator_loss == "feature_matching"
                and not callable(getattr(self.discriminator, "features", None))):
            raise ValueError("generator_loss='feature_matching' needs discriminator.features(x)")
        # Minibatch discrimination compares a sample with the rest of its batch: real and
        # generated digits must then go through D in separate passes.
        self.separate_passes = bool(getattr(self.discriminator, "compares_samples", False))
        self.generator.to(device).train()
        self.discriminator.to(device).train()
        # Frozen weights (requires_grad=False) stay frozen: only these are trained.
        self.g_weights = [p for p in self.generator.parameters() if p.requires_grad]
        self.d_weights = [p for p in self.discriminator.parameters() if p.requires_grad]
        fused = device.type in ("cpu", "cuda")  # one kernel for the whole update
        self.opt_g = torch.optim.Adam(self.g_weights, lr=config.lr_g, betas=config.betas,
                                      fused=fused)
        self.opt_d = torch.optim.Adam(self.d_weights, lr=config.lr_d, betas=config.betas,
                                      fused=fused)
        self.average = None
        if config.ema_decay is not None:
            self.average = AveragedModel(self.generator,
                                         multi_avg_fn=average_weight(config.ema_decay))
            self.average.requires_grad_(False).eval().to(device)
            self.average.update_parameters(self.generator)  # starts as a copy
        self.sampler = self.generator if self.average is None else self.average.module
        self.rng = random_generator(config.seed, device)  # minibatches, noise, augmentation
        self.batch_size = config.batch_size  # until grown_batch_size() decides otherwise
        self.paced_from = (0, 0.0)  # the step and second at which batch_size was set
        # Historical averaging (a remedy of chapter 8): both players, when its weight is set.
        weight = config.historical_averaging
        self.g_history = HistoricalAverage(self.g_weights, weight) if weight else None
        self.d_history = HistoricalAverage(self.d_weights, weight) if weight else None

    def augment(self, digits: torch.Tensor) -> torch.Tensor:
        """Differentiable augmentation (Zhao et al. 2020): each digit shifted by its own random
        offset of up to ``augment_shift`` pixels, the border filled with the background (-1).
        A discriminator that sees shifted digits cannot memorise the training digits' exact
        pixels; gradients flow through the shift back to the generator."""
        return translate(digits, self.config.augment_shift, self.rng, fill=-1.0)

    def set_learning_rates(self, lr_g: float, lr_d: float) -> None:
        for group in self.opt_g.param_groups:
            group["lr"] = lr_g
        for group in self.opt_d.param_groups:
            group["lr"] = lr_d

    def precision(self):
        """bfloat16 forward passes on CUDA (autocast); elsewhere nothing."""
        enabled = self.config.precision == "bfloat16" and self.device.type == "cuda"
        return torch.autocast("cuda", torch.bfloat16) if enabled else contextlib.nullcontext()

    def matmul_precision(self):
        """bfloat16 matrix products on the CPU for the whole run; elsewhere nothing."""
        enabled = self.config.precision == "bfloat16" and self.device.type == "cpu"
        return bfloat16_cpu_matmuls() if enabled else contextlib.nullcontext()

    def state(self, run: Loop, snapshots: Snapshots, monitor: HeldOutMonitor | None) -> dict:
        """What a checkpoint holds (see :mod:`ganbook.checkpoint`)."""
        cuda = self.device.type == "cuda"
        return {
            "config": self.config.identity(), "step": run.step, "seconds": run.seconds,
            "batch_size": self.batch_size, "paced_from": list(self.paced_from),
            "generator_config": checkpoint.model_config(self.generator),
            "discriminator_config": checkpoint.model_config(self.discriminator),
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "generator_average": (None if self.average is None
                                  else self.average.module.state_dict()),
            "average_count": 0 if self.average is None else int(self.average.n_averaged),
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "historical_averages": None if self.g_history is None else {
                "g": self.g_history.state_dict(), "d": self.d_history.state_dict()},
            "rng": {"draws": self.rng.get_state(), "cpu": torch.get_rng_state(),
                    "cuda": torch.cuda.get_rng_state(self.device) if cuda else None},
            "history": {k: torch.tensor(v, dtype=torch.float64) for k, v in run.history.items()},
            "snapshot_steps": torch.tensor(snapshots.steps, dtype=torch.int64),
            "snapshots": [torch.from_numpy(s) for s in snapshots.images],
            "evaluations": [] if monitor is None else [e.as_dict() for e in monitor.evaluations],
            "best": None if monitor is None or monitor.best is None else monitor.best.as_dict(),
            "warned": [] if monitor is None else sorted(monitor.warned),
            "evaluation_seconds": 0.0 if monitor is None else monitor.seconds,
        }

    def resume(self, state: dict, run: Loop, snapshots: Snapshots,
               monitor: HeldOutMonitor | None) -> None:
        """Continue from a checkpoint's ``state`` exactly where it stopped."""
        if state["config"] != self.config.identity():
            raise ValueError(f"the checkpoint was written with other settings:\n"
                             f"  checkpoint {state['config']}\n"
                             f"  this run   {self.config.identity()}")
        try:
            self.generator.load_state_dict(state["generator"])
            self.discriminator.load_state_dict(state["discriminator"])
        except RuntimeError as err:
            raise ValueError(f"the checkpoint holds other architectures: {err}") from err
        if self.average is not None:
            self.average.module.load_state_dict(state["generator_average"])
            self.average.n_averaged.fill_(state["average_count"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        if self.g_history is not None:
            self.g_history.load_state_dict(state["historical_averages"]["g"])
            self.d_history.load_state_dict(state["historical_averages"]["d"])
        self.rng.set_state(state["rng"]["draws"].cpu())
        torch.set_rng_state(state["rng"]["cpu"].cpu())  # dropout masks
        if self.device.type == "cuda" and state["rng"]["cuda"] is not None:
            torch.cuda.set_rng_state(state["rng"]["cuda"].cpu(), self.device)
        run.step, run._seconds_before = int(state["step"]), float(state["seconds"])
        self.batch_size = int(state.get("batch_size", self.config.batch_size))
        step, seconds = state.get("paced_from", (0, 0.0))
        self.paced_from = (int(step), float(seconds))
        run.history = {key: values.tolist() for key, values in state["history"].items()}
        snapshots.steps = state["snapshot_steps"].tolist()
        snapshots.images = [s.numpy() for s in state["snapshots"]]
        if monitor is not None:
            monitor.restore(state["evaluations"], state["best"], state["warned"],
                            state.get("evaluation_seconds", 0.0))

    def result(self, run: Loop, snapshots: Snapshots, path: Path | None,
               monitor: HeldOutMonitor | None, best_path: Path | None) -> TrainResult:
        self.generator.eval()
        self.discriminator.eval()
        best = None if monitor is None else monitor.best
        return TrainResult(
            generator=self.sampler, raw_generator=self.generator,
            discriminator=self.discriminator,
            history={k: np.asarray(v, dtype=np.float64) for k, v in run.history.items()},
            snapshot_steps=list(snapshots.steps), snapshots=list(snapshots.images),
            step=run.step, seconds=run.seconds, config=self.config, checkpoint=path,
            batch_size=self.batch_size,
            evaluations=[] if monitor is None else list(monitor.evaluations), best=best,
            evaluation_seconds=0.0 if monitor is None else monitor.seconds,
            best_checkpoint=best_path if best is not None and best_path is not None else None)


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


def fixed_latent(config: TrainConfig, latent_dim: int) -> torch.Tensor:
    """The snapshots' latent batch, from its own generator: it never touches the run's stream."""
    rng = torch.Generator().manual_seed(config.seed + 1)
    return torch.randn(config.n_snapshot, latent_dim, generator=rng)


def default_training_digits() -> np.ndarray:
    """The MNIST-10k train split (8,000 uint8 digits)."""
    from .data import load_split

    (train_x, _), _ = load_split()
    return train_x


def cpu_has_bfloat16() -> bool:
    """Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX), as Linux reports them
    in ``/proc/cpuinfo`` (False where that file does not exist)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", flags) is not None


@contextlib.contextmanager
def bfloat16_cpu_matmuls():
    """Within the block, float32 matrix products on the CPU round their inputs to bfloat16 and
    accumulate in float32 (oneDNN's bf16 math mode, like TF32 on GPUs); everything else stays
    float32. The process-wide setting is restored on exit. On a CPU without bfloat16
    instructions the products stay plain float32."""
    previous = torch.backends.mkldnn.matmul.fp32_precision
    torch.backends.mkldnn.matmul.fp32_precision = "bf16"
    try:
        yield
    finally:
        torch.backends.mkldnn.matmul.fp32_precision = previous


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


# ------------------------------------------------------------- the book's default run


DEFAULT_SNAPSHOT_EVERY = 250
DEFAULT_THREADS = 2  # fixed, so that whoever trains the default run gets the same weights


def default_config() -> dict:
    """Everything that defines the book's default run (models and training)."""
    training = TrainConfig(snapshot_every=DEFAULT_SNAPSHOT_EVERY, checkpoint_every=500)
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


def train_default(progress: bool = True, resume: bool = False, device="cpu") -> TrainResult:
    """Train the book's default GAN (or resume it) and save it in :func:`default_run_dir`.

    It runs on a fixed number of CPU threads, because the thread count changes floating-point
    sums: whoever trains it (chapter 6, or a later chapter that finds no cache) gets the same
    weights. A lock keeps two processes from training it at once."""
    with exclusive(default_run_dir() / "run.lock"):
        return _train_default(progress, resume, device)


def _train_default(progress: bool, resume: bool, device) -> TrainResult:
    with threads(DEFAULT_THREADS):
        return train(device=device, checkpoint_dir=default_run_dir(), resume=resume,
                     progress=progress, snapshot_every=DEFAULT_SNAPSHOT_EVERY,
                     checkpoint_every=500)


def load_or_train_default(progress: bool = False, return_result: bool = False):
    """The default generator (eval mode): loaded from :func:`default_run_dir` when a finished
    run is there, else trained (deterministically, so it is the same either way)."""
    path = default_run_dir() / checkpoint.LATEST
    result = None
    with exclusive(default_run_dir() / "run.lock"):  # wait while another process trains it
        if path.exists():
            try:
                result = result_from_checkpoint(path)
            except ValueError:
                result = None
            if result is not None and result.step != TrainConfig().steps:
                result = None
        if result is None:
            result = _train_default(progress, path.exists(), "cpu")
    return result if return_result else result.generator


# ------------------------------------------------------------------------- command line


def main(argv=None) -> int:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(
        prog="python -m ganbook.train",
        description="Train the book's MNIST GAN (Algorithm 1). Writes into --out: "
                    "checkpoint.pt (to resume), best.pt (the generator with the best held-out "
                    "FD), samples.png, progress.png and history.csv.")
    length = parser.add_mutually_exclusive_group(required=True)
    length.add_argument("--steps", type=int, help="iterations of Algorithm 1")
    length.add_argument("--minutes", type=float, help="train for this many minutes")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    parser.add_argument("--k", type=int, default=defaults.k,
                        help="discriminator steps per generator step")
    parser.add_argument("--loss", choices=GENERATOR_LOSSES, default=defaults.generator_loss)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr-g", "--lr", type=float, default=defaults.lr_g,
                        help="generator learning rate")
    parser.add_argument("--lr-d", type=float, default=defaults.lr_d,
                        help="discriminator learning rate")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--augment-shift", type=int, default=defaults.augment_shift,
                        help="shift D's inputs by up to this many pixels (0: no augmentation)")
    parser.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=defaults.lr_schedule)
    parser.add_argument("--full-rate-steps", type=int, default=defaults.full_rate_steps,
                        help="the learning rates suit runs of up to this many steps: a run "
                             "given --minutes with time for more takes larger minibatches, "
                             "and a longer run scales both rates down by this number over "
                             "its length (0: neither)")
    parser.add_argument("--fixed-batch", action="store_true",
                        help="keep --batch-size for the whole run, even when --minutes give "
                             "time for more than --full-rate-steps steps")
    parser.add_argument("--decay-start", type=float, default=defaults.decay_start,
                        help="share of the budget at full learning rates before the cosine "
                             "fall (0: fall from the start)")
    parser.add_argument("--ema-decay", type=float, default=defaults.ema_decay,
                        help="decay of the generator's weight average")
    parser.add_argument("--historical-averaging", type=float,
                        default=defaults.historical_averaging,
                        help="weight of the historical-averaging penalty (0: none)")
    parser.add_argument("--minibatch-kernels", type=int, default=0,
                        help="minibatch discrimination in D with this many kernels (0: none)")
    parser.add_argument("--kernel-dim", type=int, default=DEFAULT_DISCRIMINATOR["kernel_dim"],
                        help="dimension of each minibatch-discrimination kernel")
    parser.add_argument("--precision", choices=PRECISIONS, default=defaults.precision,
                        help="bfloat16: matrix products with bfloat16 inputs (faster on CPUs "
                             "with AVX512-BF16 or AMX)")
    parser.add_argument("--eval-every", type=int, default=defaults.eval_every,
                        help="steps between held-out evaluations (FD, classes, confidence)")
    parser.add_argument("--checkpoint-every", type=int, default=500)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's choice, one per core)")
    parser.add_argument("--resume", action="store_true",
                        help="continue from OUT/checkpoint.pt if present")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    out = Path(args.out)
    try:
        if out.exists() and not out.is_dir():
            raise ValueError(f"--out {out} is a file; give a folder for the run's files")
        with threads(args.threads):
            discriminator = None
            if args.minibatch_kernels:
                with seeded(args.seed):
                    discriminator = Discriminator(**{
                        **DEFAULT_DISCRIMINATOR, "minibatch_kernels": args.minibatch_kernels,
                        "kernel_dim": args.kernel_dim})
            result = train(discriminator=discriminator, steps=args.steps,
                           minutes=args.minutes, k=args.k, generator_loss=args.loss,
                           lr_g=args.lr_g, lr_d=args.lr_d,
                           batch_size=args.batch_size, seed=args.seed,
                           augment_shift=args.augment_shift, lr_schedule=args.lr_schedule,
                           decay_start=args.decay_start, ema_decay=args.ema_decay,
                           full_rate_steps=args.full_rate_steps or None,
                           grow_batch=not args.fixed_batch,
                           historical_averaging=args.historical_averaging,
                           precision=args.precision, eval_every=args.eval_every,
                           checkpoint_every=args.checkpoint_every, device=args.device,
                           checkpoint_dir=out, resume=args.resume,
                           progress=not args.no_progress)
    except DivergedError as err:
        parser.exit(2, f"error: {err} (here lr_g={args.lr_g:g}, lr_d={args.lr_d:g})\n")
    except (ValueError, OSError) as err:
        parser.exit(2, f"error: {err}\n")
    from .plotting import save_image_grid
    from .sample import generate

    save_image_grid(generate(result.generator, 100, seed=args.seed), out / "samples.png",
                    title=f"{result.step} steps")
    write_history(result, out / "history.csv")
    print(f"trained {result.step} steps of {result.batch_size} digits in "
          f"{result.seconds:.1f} s ({result.steps_per_second:.1f} steps/s); wrote "
          f"{out / checkpoint.LATEST}, {out / 'samples.png'}, {out / PROGRESS_PLOT}, "
          f"{out / 'history.csv'}")
    if result.best is not None:
        share = 100 * result.evaluation_seconds / result.seconds
        print(f"held-out evaluations: {len(result.evaluations)}, "
              f"{result.evaluation_seconds:.1f} s ({share:.1f}% of the training time)")
        print(f"best generator: step {result.best.step}, {result.best.summary()} "
              f"({result.best_checkpoint})")
    return 0


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


if __name__ == "__main__":
    raise SystemExit(main())
