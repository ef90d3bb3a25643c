"""The rules of a run's learning rates and minibatch size (ganbook.schedule): pure functions
of the settings, the steps done and the seconds spent."""

import dataclasses

import numpy as np
import pytest

from ganbook import schedule as S
from ganbook.config import TrainConfig


def test_cosine_schedule_falls_from_one_to_zero():
    scales = [S.learning_rate_scale("cosine", used) for used in (0, 0.25, 0.5, 0.75, 1)]
    np.testing.assert_allclose(scales, [1, (1 + np.cos(np.pi / 4)) / 2, 0.5,
                                        (1 + np.cos(3 * np.pi / 4)) / 2, 0], atol=1e-12)
    assert S.learning_rate_scale("constant", 0.75) == 1.0


def test_cosine_schedule_holds_full_rates_until_decay_start():
    held = [S.learning_rate_scale("cosine", used, 0.6) for used in (0, 0.3, 0.6)]
    assert held == [1.0, 1.0, 1.0]
    # After 0.6 the same half cosine, squeezed into the remaining 0.4 of the budget.
    for used in (0.7, 0.8, 0.9, 1.0):
        assert S.learning_rate_scale("cosine", used, 0.6) == pytest.approx(
            S.learning_rate_scale("cosine", (used - 0.6) / 0.4), abs=1e-12)


def test_planned_steps_from_the_step_limit_or_the_pace():
    assert S.planned_steps(TrainConfig(steps=8000), 5, 1.0) == 8000
    timed = TrainConfig(steps=None, minutes=20.0)
    assert S.planned_steps(timed, S.PACE_STEPS - 1, 1.0) is None  # pace not known yet
    assert S.planned_steps(timed, 1000, 20.0) == pytest.approx(60000)  # 50 steps/s
    both = TrainConfig(steps=30000, minutes=20.0)
    assert S.planned_steps(both, 1000, 20.0) == 30000
    assert S.planned_steps(both, 1000, 100.0) == pytest.approx(12000)


def test_longer_runs_scale_their_rates_by_full_rate_steps_over_their_length():
    assert S.length_scale(TrainConfig(steps=8000, full_rate_steps=16000), 0, 0.0) == 1.0
    assert S.length_scale(TrainConfig(steps=64000, full_rate_steps=16000), 0, 0.0) == 0.25
    assert S.length_scale(TrainConfig(steps=64000, full_rate_steps=None), 0, 0.0) == 1.0
    timed = TrainConfig(steps=None, minutes=20.0, full_rate_steps=16000)
    assert S.length_scale(timed, 10, 0.1) == 1.0  # before the pace is known
    assert S.length_scale(timed, 1000, 20.0) == pytest.approx(16000 / 60000)


def test_a_long_timed_run_grows_its_minibatch_instead_of_its_length():
    timed = TrainConfig(steps=None, minutes=20.0, batch_size=128, full_rate_steps=16000)
    assert S.grown_batch_size(timed, S.PACE_STEPS - 1, 1.0) == 128  # pace not known yet
    assert S.grown_batch_size(timed, 1000, 20.0) == 480  # 60,000 steps' time: 128 * 60 / 16
    assert S.grown_batch_size(timed, 1000, 20.0001) == 480  # rounded up
    assert S.grown_batch_size(timed, 1000, 100.0) == 128  # 12,000 steps fit at full rates
    for other in (dict(grow_batch=False), dict(full_rate_steps=None), dict(steps=60000)):
        config = dataclasses.replace(timed, **other)
        assert S.grown_batch_size(config, 1000, 20.0) == 128, other


def test_budget_used_follows_steps_or_the_clock():
    assert S.budget_used(TrainConfig(steps=8), 2, 100.0) == 0.25
    assert S.budget_used(TrainConfig(steps=None, minutes=2.0), 2, 30.0) == 0.25
    both = TrainConfig(steps=8, minutes=2.0)
    assert S.budget_used(both, 2, 60.0) == 0.5 and S.budget_used(both, 6, 60.0) == 0.75
    assert S.budget_used(TrainConfig(steps=None, minutes=1.0), 10, 61.0) == 1.0


def test_pace_grows_the_batch_once_at_pace_steps_and_follows_the_new_pace():
    timed = TrainConfig(steps=None, minutes=20.0, batch_size=128, full_rate_steps=16000,
                        lr_schedule="constant")
    pace = S.Pace(timed)
    assert pace.rate_scale(S.PACE_STEPS - 1, 1.0) == 1.0 and pace.batch_size == 128
    # 100 steps in 2 s: 50 steps/s for 1,198 s more gives 60,000 steps: 3.75 times 16,000.
    assert pace.rate_scale(S.PACE_STEPS, 2.0) == 1.0  # the new pace is not known yet
    assert pace.batch_size == 480 and pace.since == (S.PACE_STEPS, 2.0)
    # At the new size 1,000 steps take 50 s: 20 steps/s plans 1,100 + 20 * 1,148 steps.
    expected = 16000 / (1100 + 20 * (1200 - 52.0))
    assert pace.rate_scale(S.PACE_STEPS + 1000, 52.0) == pytest.approx(expected)
    pace.rate_scale(S.PACE_STEPS, 1.0)  # decided once only
    assert pace.batch_size == 480
    again = S.Pace(timed)
    again.load_state_dict(pace.state_dict())
    assert (again.batch_size, again.since) == (480, (S.PACE_STEPS, 2.0))


def test_pace_of_a_run_bounded_by_steps_keeps_its_batch():
    pace = S.Pace(TrainConfig(steps=64000, batch_size=128, full_rate_steps=16000,
                              lr_schedule="cosine", decay_start=0.5))
    assert pace.rate_scale(S.PACE_STEPS, 1.0) == 0.25 and pace.batch_size == 128
    assert pace.rate_scale(48000, 1.0) == pytest.approx(0.25 * 0.5)
