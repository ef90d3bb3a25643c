"""Held-out evaluation while training: the scores, the best evaluation, the warnings."""

import warnings

import numpy as np
import pytest
import torch

from ganbook import monitor as M
from ganbook.classifier import DigitClassifier
from ganbook.models import Generator


def evaluation(step, fd, fractions=None, d_real=0.55, d_fake=0.45):
    fractions = [0.1] * 10 if fractions is None else fractions
    return M.Evaluation(step=step, fd=fd, confidence=0.9, class_fractions=fractions,
                        d_real=d_real, d_fake=d_fake)


def caught(monitor, item):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        is_best = monitor.add(item)
    return is_best, [str(w.message) for w in seen if issubclass(w.category, M.TrainingWarning)]


@pytest.fixture
def bare_monitor():
    """A monitor without classifier work: only add() is used."""
    monitor = M.HeldOutMonitor.__new__(M.HeldOutMonitor)
    monitor.evaluations, monitor.best, monitor.warned, monitor.seconds = [], None, set(), 0.0
    return monitor


def test_best_is_the_lowest_fd(bare_monitor):
    assert caught(bare_monitor, evaluation(1000, 30.0)) == (True, [])
    assert caught(bare_monitor, evaluation(2000, 20.0)) == (True, [])
    assert caught(bare_monitor, evaluation(3000, 25.0)) == (False, [])
    assert bare_monitor.best.step == 2000 and len(bare_monitor.evaluations) == 3


def test_a_vanishing_class_is_reported_once_with_its_step(bare_monitor):
    fractions = [0.11] * 9 + [0.01]
    assert caught(bare_monitor, evaluation(1000, 30.0, fractions))[1] == []  # never seen yet
    caught(bare_monitor, evaluation(2000, 20.0))  # now every class is there
    _, messages = caught(bare_monitor, evaluation(4000, 10.0, fractions))
    assert len(messages) == 1 and "step 4000" in messages[0] and "9 (1.0%)" in messages[0]
    assert caught(bare_monitor, evaluation(5000, 9.0, fractions))[1] == []  # once per run
    assert M.problems(evaluation(1, 1.0, [0.1] * 9 + [0.021]), None, [evaluation(0, 1.0)]) == []


def test_a_rising_fd_is_reported(bare_monitor):
    caught(bare_monitor, evaluation(1000, 10.0))
    assert caught(bare_monitor, evaluation(2000, 14.9))[1] == []  # below 1.5 times the best
    _, messages = caught(bare_monitor, evaluation(3000, 16.0))
    assert len(messages) == 1 and "step 3000" in messages[0] and "10.0 at step 1000" in messages[0]


def test_a_discriminator_that_tells_real_from_fake_is_reported(bare_monitor):
    assert caught(bare_monitor, evaluation(1000, 10.0, d_real=0.66, d_fake=0.34))[1] == []
    _, messages = caught(bare_monitor, evaluation(2000, 9.0, d_real=0.7, d_fake=0.3))
    assert len(messages) == 1 and "step 2000" in messages[0] and "gradients" in messages[0]


def test_restore_continues_a_run(bare_monitor):
    first, second = evaluation(1000, 10.0), evaluation(2000, 12.0)
    bare_monitor.restore([first.as_dict(), second.as_dict()], first.as_dict(), ["d gap"])
    assert bare_monitor.evaluations == [first, second] and bare_monitor.best == first
    assert caught(bare_monitor, evaluation(3000, 9.0, d_real=0.9, d_fake=0.1))[1] == []


def test_evaluate_scores_a_generator_against_held_out_digits():
    torch.manual_seed(0)
    held_out = np.random.default_rng(0).integers(0, 256, size=(100, 28, 28), dtype=np.uint8)
    monitor = M.HeldOutMonitor(8, n_samples=50, test_digits=held_out,
                               classifier=DigitClassifier().eval())
    generator = Generator(8, (16,)).train()
    first = monitor.evaluate(generator, 10, 0.6, 0.4)
    again = monitor.evaluate(generator, 20, 0.6, 0.4)
    assert generator.training  # left as it was
    assert first.fd == again.fd > 0  # the same latent batch every time
    assert np.isclose(sum(first.class_fractions), 1.0) and 0.1 <= first.confidence <= 1.0
    assert monitor.seconds > 0 and [e.step for e in monitor.evaluations] == [10, 20]
    with torch.no_grad():
        generator.net[-2].bias += 1.0  # a different generator scores differently
    assert monitor.evaluate(generator, 30, 0.6, 0.4).fd != first.fd


def test_a_discriminator_that_prefers_its_training_digits_is_reported(bare_monitor):
    ok = evaluation(1000, 10.0)
    ok.d_train, ok.d_held_out = 0.70, 0.61
    assert caught(bare_monitor, ok)[1] == []
    memorised = evaluation(2000, 9.0)
    memorised.d_train, memorised.d_held_out = 0.75, 0.60
    _, messages = caught(bare_monitor, memorised)
    assert len(messages) == 1 and "step 2000" in messages[0] and "memorises" in messages[0]


def test_evaluate_asks_the_discriminator_about_training_and_held_out_digits():
    from ganbook.models import Discriminator

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    held_out = rng.integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    train = np.zeros((30, 28, 28), dtype=np.uint8)  # all black: easy to tell apart
    monitor = M.HeldOutMonitor(8, n_samples=20, test_digits=held_out, train_digits=train,
                               classifier=DigitClassifier().eval())
    d = Discriminator((16,), dropout=0.5).train()
    with torch.no_grad():
        d.body[0].weight.zero_()
        d.body[0].bias.fill_(1.0)
        d.head.weight.fill_(1.0)  # constant output: sigmoid(16 + bias)
    e = monitor.evaluate(Generator(8, (16,)), 5, 0.6, 0.4, d)
    assert e.d_train == pytest.approx(e.d_held_out) and 0 < e.d_train < 1
    assert d.training  # left as it was
    with torch.no_grad():
        d.body[0].weight.fill_(-0.01)  # now brighter digits lower the logit
    e = monitor.evaluate(Generator(8, (16,)), 6, 0.6, 0.4, d)
    assert e.d_train > e.d_held_out  # black training digits score higher
    assert np.isnan(monitor.evaluate(Generator(8, (16,)), 7, 0.6, 0.4).d_train)


def test_evaluations_use_the_latents_of_generate():
    from ganbook.sample import generate
    from ganbook.images import from_model

    held_out = np.random.default_rng(0).integers(0, 256, size=(30, 28, 28), dtype=np.uint8)
    monitor = M.HeldOutMonitor(8, n_samples=12, seed=4, test_digits=held_out,
                               train_digits=held_out, classifier=DigitClassifier().eval())
    generator = Generator(8, (16,)).eval()
    with torch.no_grad():
        np.testing.assert_array_equal(from_model(generator(monitor.z)),
                                      generate(generator, 12, seed=4))
