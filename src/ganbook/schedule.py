"""How a run's learning rates and minibatch size follow its budget: pure functions of the
settings, the steps done and the seconds spent (no clock, no randomness), and :class:`Pace`,
which applies them step by step.

* Both rates keep their full values for the first ``decay_start`` of the budget, then fall
  along half a cosine to zero at its end (:func:`learning_rate_scale`, :func:`budget_used`).
* The rates suit runs of up to ``full_rate_steps`` steps; a longer run scales both down by
  ``full_rate_steps`` over its length (:func:`length_scale`).
* A run limited by minutes alone cannot know its length in advance: after ``PACE_STEPS``
  steps it estimates it from its pace (:func:`planned_steps`), and when that gives time for
  more than ``full_rate_steps`` steps it takes larger minibatches instead, in proportion
  (:func:`grown_batch_size`). The same command therefore trains a different model on a
  faster machine: more time buys less noisy gradients, not more passes over the data.
"""

from __future__ import annotations

import math

PACE_STEPS = 100  # a run limited by minutes estimates its length from its pace after this


def learning_rate_scale(schedule: str, used: float, decay_start: float = 0.0) -> float:
    """The factor of both learning rates when the fraction ``used`` of the budget is used:
    1 for ``"constant"``; for ``"cosine"``, 1 until ``decay_start``, then half a cosine from 1
    down to 0 at the end of the budget."""
    if schedule == "constant" or used <= decay_start:
        return 1.0
    return 0.5 * (1.0 + math.cos(math.pi * (used - decay_start) / (1.0 - decay_start)))


def budget_used(config, step: int, seconds: float) -> float:
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


def planned_steps(config, step: int, seconds: float,
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


def length_scale(config, step: int, seconds: float, since: tuple = (0, 0.0)) -> float:
    """The factor of both learning rates for the length of the run: 1 for runs of up to
    ``full_rate_steps`` steps, ``full_rate_steps / planned_steps`` for longer ones. A longer run
    then covers about the same distance as one of ``full_rate_steps`` steps, in smaller, less
    noisy steps; at full rates it would travel further, and on 8,000 training digits that means
    a discriminator that memorises them (chapter 8)."""
    planned = planned_steps(config, step, seconds, since)
    if config.full_rate_steps is None or planned is None:
        return 1.0
    return min(1.0, config.full_rate_steps / planned)


def grown_batch_size(config, step: int, seconds: float) -> int:
    """The minibatch size for the rest of a run, decided after ``PACE_STEPS`` steps: for a
    run limited by ``minutes`` alone whose pace gives it time for more than
    ``full_rate_steps`` steps, ``batch_size`` times that surplus (rounded up); otherwise
    ``batch_size``. Larger minibatches are often faster per digit, so the run may still plan
    more than ``full_rate_steps`` steps; :func:`length_scale` then takes care of the rest,
    from the new pace."""
    planned = planned_steps(config, step, seconds)
    if (not config.grow_batch or config.steps is not None or config.full_rate_steps is None
            or planned is None or planned <= config.full_rate_steps):
        return config.batch_size
    return math.ceil(config.batch_size * planned / config.full_rate_steps)


class Pace:
    """A run's minibatch size and the factor of its learning rates, step by step.

    ``config`` is a :class:`ganbook.config.TrainConfig` (or anything with its fields)."""

    def __init__(self, config):
        self.config = config
        self.batch_size = config.batch_size  # until grown_batch_size() decides otherwise
        self.since = (0, 0.0)  # the step and second at which batch_size was set

    def rate_scale(self, step: int, seconds: float) -> float:
        """Before step ``step + 1``: settle the minibatch size (once, at ``PACE_STEPS``) and
        return the factor of both learning rates."""
        config = self.config
        if step == PACE_STEPS and self.batch_size == config.batch_size:
            batch_size = grown_batch_size(config, step, seconds)
            if batch_size != self.batch_size:
                self.batch_size, self.since = batch_size, (step, seconds)
        used = budget_used(config, step, seconds)
        return length_scale(config, step, seconds, self.since) * learning_rate_scale(
            config.lr_schedule, used, config.decay_start)

    def state_dict(self) -> dict:
        return {"batch_size": self.batch_size, "paced_from": list(self.since)}

    def load_state_dict(self, state: dict) -> None:
        self.batch_size = int(state.get("batch_size", self.config.batch_size))
        step, seconds = state.get("paced_from", (0, 0.0))
        self.since = (int(step), float(seconds))
