"""Algorithm 1 as a plain loop (a twin of the one chapter 6 writes out) and the package
trainer with its additions off are the same algorithm, bit for bit."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganbook import train as T
from ganbook.images import to_model
from ganbook.models import Discriminator, Generator

pytestmark = pytest.mark.usefixtures("one_thread")

ADDITIONS_OFF = dict(ema_decay=None, eval_every=None, augment_shift=0, lr_schedule="constant")


def algorithm_1(generator, discriminator, real_digits, steps, *, k=1, batch_size=128,
                lr_g=1.5e-3, lr_d=2.5e-4, betas=(0.5, 0.999), seed=0):
    """Train ``generator`` and ``discriminator`` (which returns logits) on
    ``real_digits``, a float tensor ``(n, 784)`` in [-1, 1], for ``steps`` iterations of
    Algorithm 1."""
    rng = torch.Generator().manual_seed(seed)  # minibatches and noise
    d_params, g_params = list(discriminator.parameters()), list(generator.parameters())
    opt_g = torch.optim.Adam(g_params, lr=lr_g, betas=betas, fused=True)
    opt_d = torch.optim.Adam(d_params, lr=lr_d, betas=betas, fused=True)
    for step in range(steps):
        for _ in range(k):  # k steps of D: ascend log D(x) + log(1 - D(G(z)))
            idx = torch.randint(len(real_digits), (batch_size,), generator=rng)
            z = torch.randn(batch_size, generator.latent_dim, generator=rng)
            fake = generator(z)
            logits = discriminator(torch.cat([real_digits[idx], fake.detach()]))
            real_logits, fake_logits = logits[:batch_size], logits[batch_size:]
            # -log D(x) = softplus(-logit), -log(1 - D(G(z))) = softplus(logit)
            d_loss = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
            opt_d.zero_grad()
            d_loss.backward(inputs=d_params)  # gradients for D's weights only
            opt_d.step()
        # One step of G on the last noise batch: descend -log D(G(z)) (non-saturating).
        g_loss = F.softplus(-discriminator(fake)).mean()
        opt_g.zero_grad()
        g_loss.backward(inputs=g_params)  # gradients for G's weights only
        opt_g.step()
    return generator, discriminator


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
