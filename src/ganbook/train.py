"""Train the MNIST GAN with Algorithm 1 of Goodfellow et al. (2014).

Each step makes ``k`` discriminator updates and one generator update, both with Adam
(:class:`ganbook.gan.GAN`). Beyond the plain algorithm, the trainer adds a few named, optional
pieces: label smoothing, the saturating or feature-matching generator losses, a moving average
of the generator's weights (the generator to sample from), a learning-rate schedule and larger
minibatches for long timed runs (:mod:`ganbook.schedule`), shifted digits for the
discriminator, held-out evaluation (:mod:`ganbook.monitor`), bfloat16 matrix products,
snapshots and checkpoints from which a run resumes exactly. The loop around the step (progress
bar, history, time limit, NaN check) is :mod:`ganbook.loop`, shared by every trainer of the
book. The settings are :class:`ganbook.config.TrainConfig`; what a run returns is
:class:`ganbook.result.TrainResult`.

Command line (:mod:`ganbook.train_cli`)::

    python -m ganbook.train --steps 6000 --out runs/default
    python -m ganbook.train --minutes 2 --out runs/quick --device cuda
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import checkpoint
from .config import TrainConfig
from .gan import GAN
from .images import to_model
from .loop import Every, Loop, resolve_device, seeded
from .models import DEFAULT_DISCRIMINATOR, DEFAULT_GENERATOR, Discriminator, Generator
from .monitor import HeldOutMonitor
from .plotting import save_progress_plot
from .precision import cpu_has_bfloat16, run_precision
from .result import HISTORY_KEYS, Snapshots, TrainResult, fixed_latent
from .schedule import Pace

__all__ = ["train", "TrainConfig", "TrainResult", "HISTORY_KEYS", "DEFAULT_GENERATOR",
           "DEFAULT_DISCRIMINATOR", "default_run_dir", "train_default", "load_or_train_default"]

PROGRESS_PLOT = "progress.png"  # FD and D's outputs against steps, beside the checkpoint
PLOT_EVERY = 10  # redraw it every so many evaluations (and at the end)


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
    digits = to_model(default_training_digits() if data is None else data).to(device)
    with seeded(config.seed, device):  # the caller's random stream is left alone
        gan = mnist_gan(generator, discriminator, config, device)
        run = MnistRun(gan, digits, config, checkpoint_dir, monitor, callback)
        run.start(resume, progress)
        run.train()
    return run.result()


def mnist_gan(generator, discriminator, config: TrainConfig, device: torch.device) -> GAN:
    """The :class:`GAN` of a run: the book's default models when none are given (built here,
    inside the run's seeded block), with the run's optimisers and remedies."""
    generator = Generator(**DEFAULT_GENERATOR) if generator is None else generator
    discriminator = (Discriminator(**DEFAULT_DISCRIMINATOR) if discriminator is None
                     else discriminator)
    latent_dim = getattr(generator, "latent_dim", None)
    if not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError("the generator must have an int attribute latent_dim (size of z)")
    if (config.generator_loss == "feature_matching"
            and not callable(getattr(discriminator, "features", None))):
        raise ValueError("generator_loss='feature_matching' needs discriminator.features(x)")
    return GAN(generator, discriminator, lr_g=config.lr_g, lr_d=config.lr_d,
               betas=config.betas, seed=config.seed, device=device, ema_decay=config.ema_decay,
               historical_averaging=config.historical_averaging,
               augment_shift=config.augment_shift, precision=config.precision)


def default_training_digits() -> np.ndarray:
    """The MNIST-10k train split (8,000 uint8 digits)."""
    from .data import load_split

    (train_x, _), _ = load_split()
    return train_x


class MnistRun:
    """One training run of :func:`train`: the GAN, its digits, schedule, snapshots, held-out
    evaluations and files, and the step of Algorithm 1 that the :class:`Loop` repeats."""

    def __init__(self, gan: GAN, digits: torch.Tensor, config: TrainConfig, folder,
                 monitor: HeldOutMonitor | None, callback=None):
        self.gan, self.digits, self.config, self.callback = gan, digits, config, callback
        self.latent_dim = gan.generator.latent_dim
        self.z_fixed = fixed_latent(config, self.latent_dim).to(gan.device)
        self.path = None if folder is None else Path(folder) / checkpoint.LATEST
        self.best_path = None if folder is None else Path(folder) / checkpoint.BEST
        evaluates = config.eval_every is not None and (config.steps is None
                                                       or config.steps >= config.eval_every)
        if monitor is None and evaluates:
            monitor = HeldOutMonitor(self.latent_dim, config.eval_samples, config.seed,
                                     device=gan.device)
        self.monitor = monitor
        self.pace = Pace(config)
        self.loop: Loop | None = None
        self.snapshots = Snapshots(gan.sampler, self.z_fixed, config.snapshot_every)

    def start(self, resume: bool, progress: bool) -> None:
        """Set up the loop: from the checkpoint when resuming and one exists, else afresh."""
        saved = None
        if resume and self.path.exists():
            saved = checkpoint.load(self.path, map_location=self.gan.device)
            if saved["config"] != self.config.identity():
                raise ValueError(f"the checkpoint was written with other settings:\n"
                                 f"  checkpoint {saved['config']}\n"
                                 f"  this run   {self.config.identity()}")
        history = ({key: [] for key in HISTORY_KEYS} if saved is None else
                   {key: values.tolist() for key, values in saved["history"].items()})
        self.loop = Loop(self.config.steps, self.config.minutes, progress=progress,
                         desc="training GAN", history=history,
                         start=0 if saved is None else int(saved["step"]),
                         seconds=0.0 if saved is None else float(saved["seconds"]))
        if saved is not None:
            self.gan.load_state_dict(saved)
            self.pace.load_state_dict(saved)
            self.snapshots.load_state_dict(saved)
            if self.monitor is not None:
                self.monitor.restore(saved["evaluations"], saved["best"], saved["warned"],
                                     saved.get("evaluation_seconds", 0.0))
        if self.loop.step == 0:
            self.snapshots.take(0)  # a resumed run has its earlier snapshots already

    def step(self) -> dict:
        """One iteration of Algorithm 1: ``k`` updates of D, then one of G."""
        gan, config = self.gan, self.config
        scale = self.pace.rate_scale(self.loop.step, self.loop.seconds)
        gan.set_learning_rates(config.lr_g * scale, config.lr_d * scale)
        n = self.pace.batch_size
        d_numbers = 0.0
        for i in range(config.k):
            real = self.digits[torch.randint(self.digits.shape[0], (n,), generator=gan.rng,
                                             device=gan.device)]
            z = torch.randn(n, self.latent_dim, generator=gan.rng, device=gan.device)
            # The last D update's generated batch, with its graph, serves the G update:
            # one generator forward pass per step instead of two.
            with torch.set_grad_enabled(i == config.k - 1), gan.autocast():
                fake = gan.generator(z)
            d_numbers = d_numbers + torch.stack(
                gan.discriminator_step(real, fake.detach(), config.label_smoothing))
        g_loss = gan.generator_step(fake, real, config.generator_loss)
        if self.callback is not None:
            self.callback(self.loop.step + 1, gan.sampler)
        d_loss, d_real, d_fake = d_numbers / config.k  # means over the k D updates
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake}

    def train(self) -> None:
        """Run the loop to its end, then evaluate and save the final state."""
        config, monitor = self.config, self.monitor
        every = [Every(config.snapshot_every, self.snapshots.take),
                 Every(config.eval_every if monitor else None, self.evaluate),
                 Every(config.checkpoint_every, self.save)]
        with run_precision(config.precision, self.gan.device):
            self.loop.run(self.step, every=every)
        self.snapshots.take(self.loop.step)
        evaluated = monitor.evaluations[-1].step if monitor and monitor.evaluations else 0
        if monitor is not None and self.loop.step > evaluated:
            self.evaluate(self.loop.step)  # the last generator too: often the best
        self.save()
        if self.path is not None and monitor is not None and monitor.evaluations:
            save_progress_plot(self.loop.history, monitor.evaluations,
                               self.path.parent / PROGRESS_PLOT)

    def evaluate(self, step: int) -> None:
        """Score the generator on held-out digits; keep it as ``best.pt`` when the best."""
        monitor, history = self.monitor, self.loop.history
        recent = slice(-self.config.eval_every, None)  # the steps since the last evaluation
        d_real, d_fake = (float(np.mean(history[k][recent])) for k in HISTORY_KEYS[2:])
        evaluation = monitor.evaluate(self.gan.sampler, step, d_real, d_fake,
                                      self.gan.discriminator)
        if monitor.best is evaluation and self.best_path is not None:
            checkpoint.save_best(self.best_path, self.gan.sampler, evaluation.as_dict())
        self.loop.show(fd=f"{evaluation.fd:.2f}",
                       best=f"{monitor.best.fd:.2f}@{monitor.best.step}")
        if self.path is not None and step % (PLOT_EVERY * self.config.eval_every) == 0:
            save_progress_plot(history, monitor.evaluations, self.path.parent / PROGRESS_PLOT)

    def save(self, _step: int | None = None) -> None:
        if self.path is not None:
            checkpoint.save(self.path, self.state())

    def state(self) -> dict:
        """What a checkpoint holds (see :mod:`ganbook.checkpoint`)."""
        gan, monitor, loop = self.gan, self.monitor, self.loop
        return {
            "config": self.config.identity(), "step": loop.step, "seconds": loop.seconds,
            **self.pace.state_dict(), **gan.state_dict(), **self.snapshots.state_dict(),
            "generator_config": checkpoint.model_config(gan.generator),
            "discriminator_config": checkpoint.model_config(gan.discriminator),
            "history": {k: torch.tensor(v, dtype=torch.float64) for k, v in loop.history.items()},
            "evaluations": [] if monitor is None else [e.as_dict() for e in monitor.evaluations],
            "best": None if monitor is None or monitor.best is None else monitor.best.as_dict(),
            "warned": [] if monitor is None else sorted(monitor.warned),
            "evaluation_seconds": 0.0 if monitor is None else monitor.seconds,
        }

    def result(self) -> TrainResult:
        gan, monitor, loop = self.gan, self.monitor, self.loop
        gan.generator.eval()
        gan.discriminator.eval()
        best = None if monitor is None else monitor.best
        return TrainResult(
            generator=gan.sampler, raw_generator=gan.generator, discriminator=gan.discriminator,
            history={k: np.asarray(v, dtype=np.float64) for k, v in loop.history.items()},
            snapshot_steps=list(self.snapshots.steps), snapshots=list(self.snapshots.images),
            step=loop.step, seconds=loop.seconds, config=self.config, checkpoint=self.path,
            batch_size=self.pace.batch_size,
            evaluations=[] if monitor is None else list(monitor.evaluations), best=best,
            evaluation_seconds=0.0 if monitor is None else monitor.seconds,
            best_checkpoint=self.best_path if best is not None else None)


# The book's default run (kept here for the chapters that import it from this module).
from .default_run import default_run_dir, load_or_train_default, train_default  # noqa: E402

if __name__ == "__main__":
    from .train_cli import main

    raise SystemExit(main())
