"""Held-out evaluation while a GAN trains, and warnings when training goes wrong.

Every ``eval_every`` steps :class:`HeldOutMonitor` scores the generator the run samples from
on the test split of MNIST-10k with the book's digit classifier (chapter 7):

* the Fréchet distance (FD) between classifier features of ``n_samples`` generated digits and
  of the 2,000 test digits (lower is better);
* the class histogram of the generated digits (does every digit appear?);
* the classifier's mean confidence (are the digits clear?).

It also asks the discriminator how real it finds training digits and held-out digits: a
discriminator that memorises its training digits rates them higher than real digits it has
never seen.

It keeps the best evaluation by FD, and warns, naming the step, when a digit class becomes
rare, when the FD rises well above its best, when the discriminator's outputs on real and
generated digits drift apart, or when it rates training digits well above held-out ones: the
signs of a discriminator that memorises its training digits and of a generator that collapses
onto what still fools it.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from .checks import positive_int
from .evaluation import frechet_distance, gaussian_stats
from .models import latent

RARE_CLASS = 0.02  # a fair share is 0.10: below this a digit class is being dropped
FD_RISE = 1.5  # FD this many times its best: the generator got worse
D_GAP = 0.35  # mean D(real) - D(generated) over the last interval: D tells them apart too well
MEMORISATION_GAP = 0.1  # mean D(training digit) - D(held-out digit): D memorises


class TrainingWarning(UserWarning):
    """Training is going wrong in a way the run can survive (it keeps the best generator)."""


@dataclass
class Evaluation:
    """One held-out evaluation of the generator."""

    step: int
    fd: float  # Fréchet distance of classifier features to the test digits
    confidence: float  # mean largest class probability
    class_fractions: list  # share of each digit 0-9 among the generated samples
    d_real: float  # mean D(x) and D(G(z)) over the steps since the previous evaluation
    d_fake: float
    d_train: float = float("nan")  # mean D on training digits and on held-out digits (eval mode)
    d_held_out: float = float("nan")

    @property
    def smallest_class(self) -> float:
        return float(min(self.class_fractions))

    def summary(self) -> str:
        return (f"FD {self.fd:.2f}, confidence {self.confidence:.3f}, "
                f"smallest class {100 * self.smallest_class:.1f}%")

    def as_dict(self) -> dict:
        return asdict(self)


class HeldOutMonitor:
    """Scores a generator on held-out digits; keeps the best evaluation; warns.

    ``test_digits``: the held-out digits and ``train_digits`` the training digits (defaults:
    the MNIST-10k split); ``n_samples`` generated digits per evaluation, from a fixed latent
    batch seeded with ``seed`` (the same latents every time, so evaluations differ only through
    the generator); the discriminator is shown ``n_samples`` training digits (a fixed random
    subset) and the held-out digits.
    """

    def __init__(self, latent_dim: int, n_samples: int = 2000, seed: int = 0,
                 test_digits=None, train_digits=None, classifier=None, device="cpu"):
        from . import classifier as clf
        from .images import to_model

        if test_digits is None or train_digits is None:
            from .data import load_split

            (train_split, _), (test_split, _) = load_split()
            test_digits = test_split if test_digits is None else test_digits
            train_digits = train_split if train_digits is None else train_digits
        self.model = clf.load_or_train_classifier() if classifier is None else classifier
        self.test_stats = gaussian_stats(clf.features(test_digits, self.model))
        n_samples = positive_int("n_samples", n_samples)
        # The latents of ganbook.sample.generate(generator, n_samples, seed): a chapter can
        # reproduce an evaluation exactly.
        self.z = latent(n_samples, latent_dim, seed).to(device)
        train_digits = to_model(train_digits)
        rng = torch.Generator().manual_seed(seed + 1)
        probe = torch.randperm(len(train_digits), generator=rng)[:n_samples]
        self.train_probe = train_digits[probe].to(device)
        self.held_out_probe = to_model(test_digits).to(device)
        self.evaluations: list[Evaluation] = []
        self.best: Evaluation | None = None
        self.warned: set[str] = set()
        self.seconds = 0.0  # time spent evaluating, to compare with the training time

    @torch.no_grad()
    def score(self, generator: nn.Module) -> dict:
        """The classifier's view of ``generator``'s samples: ``fd`` to the held-out digits,
        mean ``confidence`` and ``class_fractions`` (share of each digit 0-9)."""
        from . import classifier as clf
        from .images import from_model

        was_training = generator.training
        generator.eval()
        samples = from_model(generator(self.z))
        generator.train(was_training)
        features, probabilities = clf.features_and_probabilities(samples, self.model)
        counts = np.bincount(probabilities.argmax(1), minlength=10)
        return {"fd": float(frechet_distance(*gaussian_stats(features), *self.test_stats)),
                "confidence": float(probabilities.max(1).mean()),
                "class_fractions": (counts / counts.sum()).tolist()}

    @torch.no_grad()
    def evaluate(self, generator: nn.Module, step: int, d_real: float, d_fake: float,
                 discriminator: nn.Module | None = None) -> Evaluation:
        """Score ``generator`` (and ``discriminator`` on training and held-out digits) now;
        returns the :class:`Evaluation` (also kept and checked)."""
        start = time.perf_counter()
        scores = self.score(generator)
        d_train = d_held_out = float("nan")
        if discriminator is not None:
            d_train, d_held_out = (self._mean_output(discriminator, x)
                                   for x in (self.train_probe, self.held_out_probe))
        evaluation = Evaluation(step=int(step), **scores, d_real=float(d_real),
                                d_fake=float(d_fake), d_train=d_train, d_held_out=d_held_out)
        self.seconds += time.perf_counter() - start
        self.add(evaluation)
        return evaluation

    @staticmethod
    def _mean_output(discriminator: nn.Module, digits: torch.Tensor) -> float:
        was_training = discriminator.training
        discriminator.eval()  # no dropout: the discriminator's own judgement
        mean = float(torch.sigmoid(discriminator(digits).float()).mean())
        discriminator.train(was_training)
        return mean

    def add(self, evaluation: Evaluation) -> bool:
        """Keep ``evaluation``, warn if it shows trouble; True when it is the best so far."""
        self.evaluations.append(evaluation)
        for kind, message in problems(evaluation, self.best, self.evaluations[:-1]):
            if kind not in self.warned:  # each kind of trouble is reported once per run
                self.warned.add(kind)
                # Attributed to "ganbook.monitor" rather than to a line of the training loop.
                warnings.warn_explicit(message, TrainingWarning, "ganbook.monitor", 0)
        if self.best is None or evaluation.fd < self.best.fd:
            self.best = evaluation
            return True
        return False

    def restore(self, evaluations: list[dict], best: dict | None, warned,
                seconds: float = 0.0) -> None:
        """Continue a resumed run with the evaluations and warnings of its checkpoint."""
        self.evaluations = [Evaluation(**e) for e in evaluations]
        self.best = None if best is None else Evaluation(**best)
        self.warned = set(warned)
        self.seconds = float(seconds)


def problems(evaluation: Evaluation, best: Evaluation | None,
             earlier: list[Evaluation] = ()) -> list[tuple[str, str]]:
    """What looks wrong in ``evaluation`` (compared with the ``best`` one and the ``earlier``
    ones), as ``(kind, message)`` pairs. A class counts as vanishing when it is rare now but
    was not at an earlier evaluation: early in training every generator draws some classes
    rarely, and that is no alarm."""
    found = []
    step = evaluation.step
    fractions = evaluation.class_fractions
    seen = {digit for e in earlier for digit, share in enumerate(e.class_fractions)
            if share >= RARE_CLASS}
    rare = [digit for digit, share in enumerate(fractions) if share < RARE_CLASS and digit in seen]
    if rare:
        shares = ", ".join(f"{d} ({100 * fractions[d]:.1f}%)" for d in rare)
        what = f"digit class {shares} has" if len(rare) == 1 else f"digit classes {shares} have"
        found.append(("rare class", f"step {step}: {what} become rare among the generated "
                      "digits (a fair share is 10%): the generator is dropping modes"))
    if best is not None and evaluation.fd > FD_RISE * best.fd:
        found.append(("fd rise", f"step {step}: the held-out FD is {evaluation.fd:.1f}, "
                      f"{evaluation.fd / best.fd:.1f} times its best ({best.fd:.1f} at step "
                      f"{best.step}): the generator is getting worse; the best one is kept"))
    gap = evaluation.d_real - evaluation.d_fake
    if gap > D_GAP:
        found.append(("d gap", f"step {step}: the discriminator's mean output is "
                      f"{evaluation.d_real:.2f} on real and {evaluation.d_fake:.2f} on "
                      "generated digits: it tells them apart too easily, and the generator's "
                      "gradients weaken"))
    if evaluation.d_train - evaluation.d_held_out > MEMORISATION_GAP:  # False for NaN
        found.append(("memorising", f"step {step}: the discriminator rates its training digits "
                      f"{evaluation.d_train:.2f} and held-out real digits "
                      f"{evaluation.d_held_out:.2f}: it memorises its training digits"))
    return found
