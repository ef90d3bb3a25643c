"""The GAN of Algorithm 1 (Goodfellow et al. 2014): two players, and one update of each.

:func:`discriminator_update` and :func:`generator_update` are the two halves of Algorithm 1 on
given batches. :class:`GAN` holds everything a run of it changes: the generator and the
discriminator, their Adam optimisers, the random generator of the run's minibatches and noise,
optionally a moving average of the generator's weights (the generator to sample from) and the
historical averages of both players (chapter 8). It saves and restores all of that
(:meth:`GAN.state_dict`), and makes one discriminator step and one generator step. The toy
trainer (:mod:`ganbook.toy`) and the MNIST trainer (:mod:`ganbook.train`) both train a
:class:`GAN`; they differ only in where data and noise come from.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from .augment import translate
from .loop import random_generator, update_player
from .losses import discriminator_loss, feature_matching_loss, generator_loss
from .precision import forward_precision
from .remedies import HistoricalAverage


def trainable(module: nn.Module) -> list:
    """The weights of ``module`` that training changes (frozen ones stay frozen)."""
    return [p for p in module.parameters() if p.requires_grad]


def discriminator_update(discriminator: nn.Module, optimizer: torch.optim.Optimizer,
                         real: torch.Tensor, fake: torch.Tensor, *, weights=None,
                         history: HistoricalAverage | None = None,
                         label_smoothing: float = 0.0, joint: bool = False,
                         autocast=contextlib.nullcontext) -> tuple[torch.Tensor, ...]:
    """One update of D: ascend log D(x) + log(1 - D(G(z))) on a batch of real samples
    and one of generated samples (without their graph); G is left unchanged.
    ``history``: D's historical average, whose penalty joins the loss. Returns
    ``(loss, mean D(x), mean D(G(z)))`` before the update, as 0-d tensors."""
    with autocast():
        if joint:  # one pass over both halves: one pair of big matrix products, not two
            logits = discriminator(torch.cat([real, fake])).float()
            real_logits, fake_logits = logits.split(real.shape[0])
        else:  # a discriminator that compares samples must see each kind on its own
            real_logits, fake_logits = discriminator(real), discriminator(fake)
    loss = discriminator_loss(real_logits.float(), fake_logits.float(), label_smoothing)
    if weights is None:
        weights = trainable(discriminator)
    update_player(optimizer, loss, weights, history)
    with torch.no_grad():
        d_real, d_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
        return loss.detach(), d_real.mean(), d_fake.mean()


def generator_update(discriminator: nn.Module, optimizer: torch.optim.Optimizer,
                     fake: torch.Tensor, weights: list, *, kind: str = "non_saturating",
                     real: torch.Tensor | None = None,
                     history: HistoricalAverage | None = None,
                     autocast=contextlib.nullcontext) -> torch.Tensor:
    """One update of G against a fixed D: ``fake`` is G's batch with its graph,
    ``weights`` G's weights (the only ones that receive gradients). ``kind``:
    ``"non_saturating"``, ``"saturating"`` (:func:`ganbook.losses.generator_loss`) or
    ``"feature_matching"`` (needs a real batch ``real`` and ``discriminator.features``).
    ``history``: G's historical average. Returns the loss before the update (a 0-d
    tensor)."""
    with autocast():
        if kind == "feature_matching":
            if real is None:
                raise ValueError("feature matching needs a real batch x_real")
            with torch.no_grad():
                real_features = discriminator.features(real).float()
            fake_features = discriminator.features(fake).float()
            loss = feature_matching_loss(real_features, fake_features)
        else:
            loss = generator_loss(discriminator(fake).float(), kind)
    update_player(optimizer, loss, weights, history)
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


class GAN:
    """Two players, their Adam optimisers (learning rates ``lr_g``, ``lr_d``), the run's random
    generator (seeded with ``seed``) and the optional remedies: a moving average of G's
    weights with ``ema_decay``, historical averaging with weight ``historical_averaging``,
    digits shifted by up to ``augment_shift`` pixels before D sees them, bfloat16 forward
    passes on a GPU (``precision``). ``joint_passes``: real and generated samples go through
    D in one pass, unless D compares the samples of a batch (minibatch discrimination)."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *, lr_g: float,
                 lr_d: float, betas=(0.5, 0.999), seed: int = 0, device="cpu",
                 ema_decay: float | None = None, historical_averaging: float = 0.0,
                 augment_shift: int = 0, precision: str = "float32", joint_passes: bool = True):
        self.device = torch.device(device)
        self.generator = generator.to(self.device).train()
        self.discriminator = discriminator.to(self.device).train()
        self.joint_passes = joint_passes and not getattr(discriminator, "compares_samples", False)
        self.augment_shift, self.precision = augment_shift, precision
        self.g_weights, self.d_weights = trainable(generator), trainable(discriminator)
        fused = self.device.type in ("cpu", "cuda")  # one kernel for the whole update
        self.opt_g = torch.optim.Adam(self.g_weights, lr=lr_g, betas=betas, fused=fused)
        self.opt_d = torch.optim.Adam(self.d_weights, lr=lr_d, betas=betas, fused=fused)
        self.average = None
        if ema_decay is not None:
            self.average = AveragedModel(generator, multi_avg_fn=average_weight(ema_decay))
            self.average.requires_grad_(False).eval().to(self.device)
            self.average.update_parameters(generator)  # starts as a copy
        self.rng = random_generator(seed, self.device)  # minibatches, noise, augmentation
        weight = historical_averaging
        self.g_history = HistoricalAverage(self.g_weights, weight) if weight else None
        self.d_history = HistoricalAverage(self.d_weights, weight) if weight else None

    @property
    def sampler(self) -> nn.Module:
        """The generator to sample from: the weight average when there is one."""
        return self.generator if self.average is None else self.average.module

    def augment(self, digits: torch.Tensor) -> torch.Tensor:
        """Differentiable augmentation (Zhao et al. 2020): each digit shifted by its own random
        offset of up to ``augment_shift`` pixels, the border filled with the background (-1).
        A discriminator that sees shifted digits cannot memorise the training digits' exact
        pixels; gradients flow through the shift back to the generator."""
        return translate(digits, self.augment_shift, self.rng, fill=-1.0)

    def autocast(self):
        return forward_precision(self.precision, self.device)

    def set_learning_rates(self, lr_g: float, lr_d: float) -> None:
        for group in self.opt_g.param_groups:
            group["lr"] = lr_g
        for group in self.opt_d.param_groups:
            group["lr"] = lr_d

    def discriminator_step(self, real: torch.Tensor, fake: torch.Tensor,
                           label_smoothing: float = 0.0) -> tuple[torch.Tensor, ...]:
        """One update of D (see :func:`discriminator_update`) on augmented batches."""
        real, fake = self.augment(real), self.augment(fake)
        return discriminator_update(
            self.discriminator, self.opt_d, real, fake, weights=self.d_weights,
            history=self.d_history, label_smoothing=label_smoothing, joint=self.joint_passes,
            autocast=self.autocast)

    def generator_step(self, fake: torch.Tensor, real: torch.Tensor | None = None,
                       kind: str = "non_saturating") -> torch.Tensor:
        """One update of G (see :func:`generator_update`), then of its weight average."""
        fake = self.augment(fake)  # D only ever sees augmented digits, real or generated
        real = self.augment(real) if kind == "feature_matching" else None
        loss = generator_update(self.discriminator, self.opt_g, fake, self.g_weights, kind=kind,
                                real=real, history=self.g_history, autocast=self.autocast)
        if self.average is not None:
            self.average.update_parameters(self.generator)
        return loss

    def state_dict(self) -> dict:
        """Weights, weight average, optimiser states, historical averages and random
        generators: everything needed to continue exactly."""
        cuda = self.device.type == "cuda"
        return {
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "generator_average": None if self.average is None else self.sampler.state_dict(),
            "average_count": 0 if self.average is None else int(self.average.n_averaged),
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "historical_averages": None if self.g_history is None else {
                "g": self.g_history.state_dict(), "d": self.d_history.state_dict()},
            "rng": {"draws": self.rng.get_state(), "cpu": torch.get_rng_state(),
                    "cuda": torch.cuda.get_rng_state(self.device) if cuda else None},
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from :meth:`state_dict` exactly where it was taken."""
        try:
            self.generator.load_state_dict(state["generator"])
            self.discriminator.load_state_dict(state["discriminator"])
        except RuntimeError as err:
            raise ValueError(f"the checkpoint holds other architectures: {err}") from err
        if self.average is not None:
            self.sampler.load_state_dict(state["generator_average"])
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
