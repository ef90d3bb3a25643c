"""The plain loop of chapter 6 and the package trainer are the same algorithm."""

import copy

import numpy as np
import pytest
import torch

from ganbook import train as T
from ganbook.algorithm1 import algorithm_1
from ganbook.images import to_model
from ganbook.models import Discriminator, Generator

pytestmark = pytest.mark.usefixtures("one_thread")

ADDITIONS_OFF = dict(ema_decay=None, eval_every=None, augment_shift=0, lr_schedule="constant")


@pytest.mark.parametrize("k", [1, 2])
def test_trainer_with_additions_off_gives_the_plain_loops_weights(k):
    digits = np.random.default_rng(0).integers(0, 256, size=(64, 28, 28), dtype=np.uint8)
    torch.manual_seed(0)
    g, d = Generator(8, (32,)), Discriminator((32, 16))
    g_plain, d_plain = algorithm_1(copy.deepcopy(g), copy.deepcopy(d), to_model(digits), 7, k=k,
                                   batch_size=16, lr_g=1e-3, lr_d=2e-3, seed=3)
    result = T.train(copy.deepcopy(g), copy.deepcopy(d), digits, steps=7, k=k, batch_size=16,
                     lr_g=1e-3, lr_d=2e-3, seed=3, progress=False, **ADDITIONS_OFF)
    for a, b in zip((*g_plain.parameters(), *d_plain.parameters()),
                    (*result.generator.parameters(), *result.discriminator.parameters())):
        assert torch.equal(a, b)
    # The weight average is an addition: with it, the generator to sample from differs.
    averaged = T.train(copy.deepcopy(g), copy.deepcopy(d), digits, steps=7, k=k, batch_size=16,
                       lr_g=1e-3, lr_d=2e-3, seed=3, progress=False,
                       **{**ADDITIONS_OFF, "ema_decay": 0.999})
    assert not torch.equal(averaged.generator.net[0].weight, g_plain.net[0].weight)


def test_plain_loop_defaults_are_the_book_defaults():
    import inspect

    defaults = T.TrainConfig()
    params = inspect.signature(algorithm_1).parameters
    for name in ("k", "batch_size", "lr_g", "lr_d", "betas", "seed"):
        assert params[name].default == getattr(defaults, name), name
