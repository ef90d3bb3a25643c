"""Tests of ganbook.wgan: losses, the gradient penalty, clipping, the duality LPs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

from ganbook import wgan


def linear_critic(slope, dim: int = 1) -> nn.Linear:
    critic = nn.Linear(dim, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.as_tensor(slope, dtype=torch.float32).reshape(1, dim))
        critic.bias.fill_(0.7)
    return critic


def test_loss_signs():
    real, fake = torch.tensor([3.0, 5.0]), torch.tensor([1.0, -1.0])
    # The critic scores real samples higher: its loss is negative, the estimate positive.
    assert wgan.critic_loss(real, fake).item() == pytest.approx(0.0 - 4.0)
    assert wgan.wasserstein_estimate(real, fake).item() == pytest.approx(4.0)
    # The generator lowers its loss by raising the critic's scores of its samples.
    fake = torch.tensor([1.0, -1.0], requires_grad=True)
    wgan.generator_loss(fake).backward()
    assert torch.all(fake.grad < 0)
    # A critic step descends its loss: d loss / d f(real) < 0, d loss / d f(fake) > 0.
    real = torch.tensor([3.0, 5.0], requires_grad=True)
    fake = torch.tensor([1.0, -1.0], requires_grad=True)
    wgan.critic_loss(real, fake).backward()
    assert torch.all(real.grad < 0) and torch.all(fake.grad > 0)


def test_losses_reject_empty_scores():
    with pytest.raises(ValueError):
        wgan.critic_loss(torch.tensor([]), torch.tensor([1.0]))
    with pytest.raises(ValueError):
        wgan.generator_loss([1.0])


@pytest.mark.parametrize("slope", [0.0, 0.5, 1.0, -2.0, 3.0])
def test_gradient_penalty_of_a_linear_critic(slope):
    critic = linear_critic([slope])
    real, fake = torch.randn(64, 1), torch.randn(64, 1) + 4.0
    penalty, norms = wgan.gradient_penalty(critic, real, fake, weight=10.0,
                                           rng=torch.Generator().manual_seed(0))
    torch.testing.assert_close(norms, torch.full((64,), abs(slope)))
    assert penalty.item() == pytest.approx(10.0 * (abs(slope) - 1.0) ** 2, abs=1e-5)


def test_gradient_penalty_in_several_dimensions_and_its_gradient():
    slope = torch.tensor([3.0, 4.0])  # norm 5
    critic = linear_critic(slope, dim=2)
    penalty, _ = wgan.gradient_penalty(critic, torch.randn(8, 2), torch.randn(8, 2), weight=2.0)
    assert penalty.item() == pytest.approx(2.0 * 16.0)
    penalty.backward()  # d/dw 2 (|w| - 1)^2 = 4 (|w| - 1) w / |w|
    torch.testing.assert_close(critic.weight.grad[0], 4.0 * 4.0 * slope / 5.0)
    assert critic.bias.grad is None or critic.bias.grad.abs().item() < 1e-7


def test_gradient_penalty_of_a_nonlinear_critic_matches_finite_differences():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1)).double()
    real, fake = torch.randn(32, 1, dtype=torch.float64), torch.randn(32, 1, dtype=torch.float64)
    eps = torch.rand(32, dtype=torch.float64)
    penalty, norms = wgan.gradient_penalty(critic, real, fake, weight=10.0, eps=eps)
    x_hat = eps[:, None] * real + (1 - eps[:, None]) * fake
    h = 1e-6
    with torch.no_grad():
        numeric = ((critic(x_hat + h) - critic(x_hat - h)) / (2 * h)).abs()[:, 0]
    torch.testing.assert_close(norms, numeric, rtol=1e-6, atol=1e-8)
    assert penalty.item() == pytest.approx(10.0 * ((numeric - 1) ** 2).mean().item(), rel=1e-6)


def test_interpolates_lie_between_real_and_fake():
    real, fake = torch.zeros(1000, 3), torch.ones(1000, 3)
    x = wgan.interpolates(real, fake, torch.Generator().manual_seed(0))
    eps = 1.0 - x[:, 0]  # x = eps * 0 + (1 - eps) * 1
    assert torch.all(x == x[:, :1])  # one eps per sample, shared by its coordinates
    assert 0.0 <= eps.min() and eps.max() <= 1.0
    assert stats.kstest(eps.numpy(), "uniform").pvalue > 0.001
    with pytest.raises(ValueError):
        wgan.interpolates(real, torch.ones(999, 3))
    with pytest.raises(ValueError):
        wgan.interpolates(real, fake, eps=torch.zeros(3))


def test_clip_weights_bounds_every_parameter_and_keeps_small_ones():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    with torch.no_grad():
        for p in critic.parameters():
            p.mul_(100.0)
    before = critic[0].weight.detach().clone()
    wgan.clip_weights(critic, 0.05)
    for p in critic.parameters():
        assert p.abs().max().item() == pytest.approx(0.05)
    moved = critic[0].weight.detach() != before
    assert moved.any() and torch.equal(moved, (before.abs() > 0.05))  # only those beyond c
    with pytest.raises(ValueError):
        wgan.clip_weights(critic, 0.0)


def test_clipped_critic_is_lipschitz_with_the_bound_of_its_weights():
    # |f(x) - f(y)| <= c^2 * (width) * |x - y| for a 1 -> width -> 1 ReLU critic clipped at c.
    torch.manual_seed(1)
    width, c = 32, 0.01
    critic = nn.Sequential(nn.Linear(1, width), nn.ReLU(), nn.Linear(width, 1))
    wgan.clip_weights(critic, c)
    norms = wgan.input_gradient_norms(critic, torch.linspace(-5, 5, 201)[:, None])
    assert norms.max().item() <= c * c * width + 1e-9


def test_critic_step_clips_and_reports():
    torch.manual_seed(0)
    generator = nn.Linear(1, 1)
    critic = nn.Sequential(nn.Linear(1, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    optimizer = torch.optim.SGD(critic.parameters(), lr=0.1)
    g_before = [p.detach().clone() for p in generator.parameters()]
    numbers = wgan.critic_step(generator, critic, optimizer, torch.randn(16, 1) + 3,
                               torch.randn(16, 1), gp_weight=None, clip=0.01)
    assert all(p.abs().max() <= 0.01 for p in critic.parameters())
    assert all(torch.equal(a, b) for a, b in zip(g_before, generator.parameters()))
    assert numbers["penalty"].item() == 0.0 and math.isnan(numbers["grad_norm"].item())
    with pytest.raises(ValueError):
        wgan.critic_step(generator, critic, optimizer, torch.randn(4, 1), torch.randn(4, 1),
                         gp_weight=None, clip=None)


@pytest.mark.parametrize("start", [0.1, -0.1])
def test_linear_critic_with_penalty_settles_where_theory_says(start):
    # Data N(2, 1), "generator" N(-1, 1): W1 = 3. For a linear critic f(x) = s x + b the
    # loss is -s W + lambda (|s| - 1)^2: its minimum is at s = 1 + W / (2 lambda), and for
    # W < 2 lambda a spurious local one at s = -(1 - W / (2 lambda)).
    rng = torch.Generator().manual_seed(0)
    generator = linear_critic([1.0])
    with torch.no_grad():
        generator.bias.fill_(-1.0)
    critic = linear_critic([start])
    optimizer = torch.optim.Adam(critic.parameters(), lr=1e-2)
    for _ in range(600):
        wgan.critic_step(generator, critic, optimizer, 2.0 + torch.randn(512, 1, generator=rng),
                         torch.randn(512, 1, generator=rng), gp_weight=10.0, rng=rng)
    expected = 1.0 + 3.0 / 20.0 if start > 0 else -(1.0 - 3.0 / 20.0)
    assert critic.weight.item() == pytest.approx(expected, abs=0.03)


def test_mlp_critic_learns_the_distance_between_two_gaussians():
    rng = torch.Generator().manual_seed(0)
    generator = linear_critic([1.0])
    with torch.no_grad():
        generator.bias.fill_(-1.0)
    torch.manual_seed(3)
    critic = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    with torch.no_grad():  # start from an increasing critic (see the test above)
        critic[2].weight.copy_(critic[2].weight.sign() * critic[0].weight[:, 0].sign() * 0.2)
    optimizer = torch.optim.Adam(critic.parameters(), lr=1e-2, betas=(0.5, 0.9))
    for _ in range(300):
        numbers = wgan.critic_step(generator, critic, optimizer,
                                   2.0 + torch.randn(256, 1, generator=rng),
                                   torch.randn(256, 1, generator=rng), rng=rng)
    with torch.no_grad():
        x = 2.0 + torch.randn(20000, 1, generator=rng)
        y = generator(torch.randn(20000, 1, generator=rng))
        estimate = wgan.wasserstein_estimate(critic(x), critic(y)).item()
    assert 3.0 < estimate < 3.0 * (1 + 3.0 / 20.0) + 0.1
    assert numbers["grad_norm"].item() == pytest.approx(1.0, abs=0.2)


def test_generator_step_moves_only_the_generator_towards_higher_scores():
    generator, critic = nn.Linear(1, 1), linear_critic([1.0])
    c_before = [p.detach().clone() for p in critic.parameters()]
    bias = generator.bias.item()
    optimizer = torch.optim.SGD(generator.parameters(), lr=0.1)
    wgan.generator_step(generator, critic, optimizer, torch.randn(16, 1))
    assert generator.bias.item() == pytest.approx(bias + 0.1)  # d(-mean f)/d bias = -1
    assert all(torch.equal(a, b) for a, b in zip(c_before, critic.parameters()))


def test_primal_and_dual_agree_with_the_closed_form_on_the_line():
    rng = np.random.default_rng(0)
    x = np.array([0.0, 0.5, 1.5, 3.0, 4.0])
    p, q = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
    primal, plan = wgan.w1_primal(x, p, q)
    dual, f = wgan.w1_dual(x, p, q)
    closed = np.sum(np.abs(np.cumsum(p - q))[:-1] * np.diff(x))  # int |F_p - F_q|
    assert primal == pytest.approx(closed, abs=1e-9)
    assert dual == pytest.approx(closed, abs=1e-9)
    assert primal == pytest.approx(stats.wasserstein_distance(x, x, p, q), abs=1e-9)
    np.testing.assert_allclose(plan.sum(1), p, atol=1e-9)
    np.testing.assert_allclose(plan.sum(0), q, atol=1e-9)
    assert np.all(np.abs(np.diff(f)) <= np.diff(x) + 1e-9)  # 1-Lipschitz


def test_point_masses():
    x = np.array([0.0, 2.5])
    assert wgan.w1_primal(x, [1.0, 0.0], [0.0, 1.0])[0] == pytest.approx(2.5)
    assert wgan.w1_dual(x, [1.0, 0.0], [0.0, 1.0])[0] == pytest.approx(2.5)
    assert wgan.w1_dual(x, [0.5, 0.5], [0.5, 0.5])[0] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("bad", [
    dict(x=[0.0, 0.0], p=[0.5, 0.5], q=[0.5, 0.5]),
    dict(x=[0.0, 1.0], p=[0.7, 0.7], q=[0.5, 0.5]),
    dict(x=[0.0, 1.0], p=[1.5, -0.5], q=[0.5, 0.5]),
    dict(x=[0.0, 1.0, 2.0], p=[0.5, 0.5], q=[0.5, 0.5]),
])
def test_duality_inputs_are_checked(bad):
    with pytest.raises(ValueError):
        wgan.w1_primal(**bad)
    with pytest.raises(ValueError):
        wgan.w1_dual(**bad)


def test_config_checks():
    with pytest.raises(ValueError):
        wgan.WGANConfig(n_critic=0)
    with pytest.raises(ValueError):
        wgan.WGANConfig(ema_decay=1.0)
    assert wgan.WGANConfig(betas=[0, 0.9]).betas == (0.0, 0.9)
