"""How every model in this book is trained: one loop, and the conventions all trainers share.

A trainer -- the MNIST GAN (:mod:`ganbook.train`), the toy GANs (:mod:`ganbook.toy`), the VAE
(:mod:`ganbook.vae`) -- writes one function that performs one training iteration and returns
the numbers to record, a dict of 0-d tensors. :class:`Loop` does everything around it:

* counts steps, and stops after ``steps`` of them or ``minutes`` of wall-clock time;
* shows a progress bar (tqdm) with the latest losses;
* appends every returned number to ``history``, one entry per step;
* stops with :class:`DivergedError`, naming the step, when a loss becomes NaN, infinite or
  absurdly large (training has diverged);
* calls the :class:`Every` actions (snapshots, evaluations, checkpoints) every so many steps.

Conventions shared by every trainer:

* **seeding**: one ``seed`` makes a run reproducible. Models are built, and dropout draws its
  masks, inside :func:`seeded`, which forks torch's global random generator so that the
  caller's stream is left as it was. Minibatches and noise come from a private
  ``torch.Generator`` that the run owns (:func:`random_generator`).
* **devices**: ``device`` ("cpu", "cuda", ...) is checked by :func:`resolve_device`.
* **freezing the other player**: each update asks autograd for its own player's weights only,
  ``loss.backward(inputs=weights)``; the other player's weights receive no gradient.
* **names**: ``steps``, ``k``, ``batch_size``, ``lr_g``, ``lr_d``, ``generator_loss``, ``seed``,
  ``device``, ``progress``.
* **errors**: ``ValueError`` for bad arguments, :class:`DivergedError` for a run whose losses
  diverge.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import torch

from .checks import non_negative_int, positive_float, positive_int

POSTFIX_EVERY = 50  # steps between updates of the numbers shown on the progress bar
# No loss of this book's models comes near this (a VAE starts near 550 nats, GAN losses stay
# within tens of nats): a loss beyond it means the weights have blown up.
DIVERGED_LOSS = 1e6


class DivergedError(FloatingPointError):
    """A loss became NaN, infinite or absurdly large; the message names the step and suggests
    a remedy."""


@contextlib.contextmanager
def seeded(seed: int, device: torch.device | str = "cpu"):
    """Run the block with torch's global random generators (CPU and CUDA) seeded with
    ``seed``; the caller's generators are restored afterwards. ``device`` is accepted for
    symmetry with :func:`random_generator`."""
    # manual_seed reseeds every CUDA device too: fork them all, whatever the run's device.
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield


def random_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A private random generator on ``device``, seeded with ``seed``: a run's minibatches and
    noise come from it, so they never touch (or depend on) anybody else's stream."""
    return torch.Generator(device=torch.device(device)).manual_seed(int(seed))


@contextlib.contextmanager
def threads(count: int | None):
    """Run the block with ``count`` torch threads (``None``: leave the setting alone).

    Sums of floating-point numbers depend on how the work is split between threads, so a run
    is reproducible bit for bit only with a fixed thread count."""
    if count is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(positive_int("threads", count))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def resolve_device(device) -> torch.device:
    """``device`` as a :class:`torch.device`, checked to exist on this machine."""
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must name a torch device such as 'cpu' or 'cuda', "
                         f"got {device!r}") from err
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was requested but torch.cuda.is_available() "
                         "is False")
    return resolved


def update_player(optimizer: torch.optim.Optimizer, loss: torch.Tensor, weights: list,
                  history=None) -> None:
    """One update of one player: gradients of ``loss`` for its own ``weights`` only (the
    other player is left as it is), then ``optimizer.step()``. ``history``: the player's
    :class:`ganbook.remedies.HistoricalAverage`, whose penalty joins the loss."""
    penalty = 0.0 if history is None else history.penalty()
    optimizer.zero_grad(set_to_none=True)
    (loss + penalty).backward(inputs=weights)
    optimizer.step()
    if history is not None:
        history.update()


@dataclass
class Every:
    """Call ``action(step)`` after every ``interval``-th step; ``interval=None`` never does."""

    interval: int | None
    action: Callable[[int], None]

    def __post_init__(self):
        if self.interval is not None:
            self.interval = positive_int("interval", self.interval)


class Loop:
    """Step counting, time limit, progress bar, history and the non-finite check of a run.

    ``steps`` and ``minutes`` (either, or both) bound the run; ``start`` and ``seconds`` are the
    steps done and seconds spent by earlier segments of a resumed run, and ``history`` their
    records (name -> list of floats). ``losses`` names the records that must stay finite and
    below :data:`DIVERGED_LOSS`.
    """

    def __init__(self, steps: int | None = None, minutes: float | None = None, *,
                 start: int = 0, seconds: float = 0.0, history: dict | None = None,
                 losses: Sequence[str] = ("d_loss", "g_loss"), progress: bool = True,
                 desc: str = "training"):
        if steps is None and minutes is None:
            raise ValueError("give steps (a positive int) or minutes (a positive number)")
        self.steps = None if steps is None else positive_int("steps", steps)
        self.minutes = None if minutes is None else positive_float("minutes", minutes)
        self.step = non_negative_int("start", start)
        self.history = {key: list(values) for key, values in (history or {}).items()}
        self.losses = tuple(losses)
        self.progress = bool(progress)
        self.desc = desc
        self.shown: dict[str, str] = {}  # extra numbers for the progress bar (see show())
        self._seconds_before = float(seconds)
        if not self._seconds_before >= 0:
            raise ValueError(f"seconds must be a non-negative number, got {seconds!r}")
        self._started: float | None = None

    @property
    def seconds(self) -> float:
        """Wall-clock seconds of training so far, over all segments of a resumed run."""
        running = 0.0 if self._started is None else time.perf_counter() - self._started
        return self._seconds_before + running

    def show(self, **values: str) -> None:
        """Keep ``values`` on the progress bar next to the losses (e.g. an evaluation score)."""
        self.shown.update(values)

    def _finished(self) -> bool:
        if self.steps is not None and self.step >= self.steps:
            return True
        return self.minutes is not None and self.seconds >= 60.0 * self.minutes

    def run(self, train_step: Callable[[], dict], every: Iterable[Every] = ()) -> Loop:
        """Call ``train_step()`` until the run is finished; returns ``self``."""
        every = [action for action in every if action.interval is not None]
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=self.steps, initial=self.step, desc=self.desc, unit="step")
        self._started = time.perf_counter()
        try:
            while not self._finished():
                numbers = train_step()
                # One transfer of all the numbers to Python per step (one sync on a GPU).
                values = torch.stack([v.detach().float() for v in numbers.values()]).tolist()
                self.step += 1
                for key, value in zip(numbers, values):
                    self.history.setdefault(key, []).append(value)
                self._check_losses(dict(zip(numbers, values)))
                for action in every:
                    if self.step % action.interval == 0:
                        action.action(self.step)
                if bar is not None:
                    bar.update(1)
                    if self.step % POSTFIX_EVERY == 0:
                        losses = {k: f"{self.history[k][-1]:.3f}" for k in self.losses
                                  if k in self.history}
                        bar.set_postfix({**losses, **self.shown}, refresh=False)
        finally:
            self._seconds_before = self.seconds
            self._started = None
            if bar is not None:
                bar.close()
        return self

    def _check_losses(self, values: dict) -> None:
        for name in self.losses:
            value = values.get(name, 0.0)
            if not math.isfinite(value) or abs(value) > DIVERGED_LOSS:
                raise DivergedError(
                    f"training diverged at step {self.step}: {name} became {value:.3g}; "
                    "try a smaller learning rate")
