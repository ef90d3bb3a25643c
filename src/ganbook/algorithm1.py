"""Algorithm 1 of Goodfellow et al. (2014) as a plain loop: the whole algorithm on one screen.

:func:`ganbook.train.train` runs the same algorithm with named additions (a weight average,
held-out evaluation, checkpoints, ...); with those turned off it ends with the same weights,
bit for bit (``tests/test_algorithm1.py``).
"""

import torch
import torch.nn.functional as F


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
