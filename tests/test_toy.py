"""Unit tests of ganbook.toy: samplers, networks, Algorithm 1 steps, density helpers."""

import copy

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

from ganbook import toy


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def rng(seed=0):
    return np.random.default_rng(seed)


def affine(weight, bias):
    """A fixed 1-D 'generator' z -> weight * z + bias."""
    layer = nn.Linear(1, 1)
    with torch.no_grad():
        layer.weight.fill_(weight)
        layer.bias.fill_(bias)
    return layer


# ----------------------------------------------------------------------------- samplers
def test_gaussian_density_matches_scipy():
    x = np.linspace(-3, 5, 17)
    np.testing.assert_allclose(toy.gaussian_density(x, 1.0, 0.7), stats.norm.pdf(x, 1.0, 0.7), rtol=1e-12)


def test_sample_gaussian_1d_shape_and_moments():
    x = toy.sample_gaussian_1d(50_000, rng(), mean=2.0, std=0.5)
    assert x.shape == (50_000, 1) and x.dtype == np.float32
    assert abs(x.mean() - 2.0) < 0.01 and abs(x.std() - 0.5) < 0.01


def test_ring_centres_and_samples():
    centres = toy.ring_centres()
    assert centres.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 2.0)
    np.testing.assert_allclose(centres[0], [2.0, 0.0], atol=1e-12)
    x = toy.sample_ring(4000, rng())
    assert x.shape == (4000, 2) and x.dtype == np.float32
    counts, quality = toy.ring_mode_counts(x)
    assert (counts > 0).sum() == 8
    assert quality > 0.98  # 3-sigma disc in 2-D holds 1 - exp(-4.5) = 98.9 %
    assert abs(counts.min() / counts.sum() - 1 / 8) < 0.03


def test_ring_mode_counts_detects_collapse():
    collapsed = toy.ring_centres()[[3]] + 0.01 * rng(1).standard_normal((500, 2))
    counts, quality = toy.ring_mode_counts(collapsed)
    assert (counts > 0).sum() == 1 and counts[3] == 500 and quality == 1.0
    far = np.zeros((10, 2))  # the centre of the ring is far from every mode
    assert toy.ring_mode_counts(far)[1] == 0.0


def test_noise_samplers_and_quantiles():
    u = toy.sample_noise(10_000, 3, rng(), "uniform", scale=2.0)
    assert u.shape == (10_000, 3) and u.min() >= -2.0 and u.max() <= 2.0
    n = toy.sample_noise(20_000, 1, rng(), "normal", scale=3.0)
    assert abs(n.std() - 3.0) < 0.05
    q = toy.noise_quantiles(4, "uniform", 1.0)[:, 0]
    np.testing.assert_allclose(q, [-0.75, -0.25, 0.25, 0.75])
    levels = (np.arange(7) + 0.5) / 7
    np.testing.assert_allclose(toy.noise_quantiles(7, "normal", 2.0)[:, 0], 2.0 * stats.norm.ppf(levels), rtol=1e-6)


@pytest.mark.parametrize(
    "call",
    [
        lambda: toy.sample_gaussian_1d(0, rng()),
        lambda: toy.sample_gaussian_1d(5, rng(), std=-1.0),
        lambda: toy.sample_gaussian_1d(5, rng(), mean=float("nan")),
        lambda: toy.sample_gaussian_1d(5, 0),
        lambda: toy.sample_gaussian_1d(2.5, rng()),
        lambda: toy.sample_ring(5, rng(), std=0.0),
        lambda: toy.sample_ring(5, rng(), n_modes=0),
        lambda: toy.ring_mode_counts(np.zeros((4, 3))),
        lambda: toy.sample_noise(5, 1, rng(), kind="cauchy"),
        lambda: toy.sample_noise(5, 0, rng()),
        lambda: toy.noise_quantiles(5, "normal", scale=0.0),
        lambda: toy.mlp([3]),
        lambda: toy.mlp([1, 4, 1], activation="swish"),
        lambda: toy.make_generator(hidden=0),
        lambda: toy.generator_loss(torch.zeros(3), loss="wasserstein"),
        lambda: toy.make_toy_gan(lambda n, r: toy.sample_gaussian_1d(n, r), batch_size=0),
        lambda: toy.make_toy_gan(lambda n, r: toy.sample_gaussian_1d(n, r), lr_d=-1.0),
        lambda: toy.make_toy_gan("not a function"),
        lambda: toy.generator_density_1d(nn.Linear(1, 1), [0.0, 2.0, 1.0]),
        lambda: toy.generator_density_1d(nn.Linear(1, 2), [0.0, 1.0]),
        lambda: toy.discriminator_on_grid(nn.Linear(1, 1), np.zeros((2, 2))),
        lambda: toy.kde_1d([1.0], [0.0]),
        lambda: toy.kde_1d([1.0, 2.0], [0.0], bandwidth=-1.0),
        lambda: toy.warm_start_generator(nn.Linear(1, 1), 0.0, std=0.0),
    ],
)
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_train_and_steps_reject_bad_arguments():
    gan = toy.make_toy_gan(lambda n, r: toy.sample_gaussian_1d(n, r), seed=0)
    with pytest.raises(ValueError):
        toy.train(gan, 5, k=0)
    with pytest.raises(ValueError):
        toy.train(gan, -1)
    with pytest.raises(ValueError):
        toy.train(gan, 5, loss="hinge")
    with pytest.raises(ValueError):
        toy.train(gan, 5, record_every=2)  # no record function
    with pytest.raises(ValueError):
        toy.discriminator_step(gan.generator, gan.discriminator, gan.opt_d, torch.zeros(8), gan.noise_batch())
    with pytest.raises(ValueError):
        toy.generator_step(gan.generator, gan.discriminator, gan.opt_g, gan.noise_batch(), loss="minimax")


# ----------------------------------------------------------------------------- losses
def test_losses_match_their_formulas():
    logits_real = torch.tensor([[2.0], [-1.0], [0.3]])
    logits_fake = torch.tensor([[-3.0], [0.5]])
    d_real, d_fake = torch.sigmoid(logits_real), torch.sigmoid(logits_fake)
    expected = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
    torch.testing.assert_close(toy.discriminator_loss(logits_real, logits_fake), expected)
    torch.testing.assert_close(toy.generator_loss(logits_fake, "saturating"), torch.log(1 - d_fake).mean())
    torch.testing.assert_close(toy.generator_loss(logits_fake, "non_saturating"), -torch.log(d_fake).mean())


def test_losses_are_finite_for_extreme_logits():
    big = torch.tensor([[200.0], [-200.0]])
    assert torch.isfinite(toy.discriminator_loss(big, big))
    assert torch.isfinite(toy.generator_loss(big, "saturating"))
    assert torch.isfinite(toy.generator_loss(big, "non_saturating"))


def test_each_step_updates_only_its_player():
    gan = toy.make_toy_gan(lambda n, r: toy.sample_gaussian_1d(n, r, 2.0, 0.5), seed=3)
    g0 = copy.deepcopy(gan.generator.state_dict())
    d0 = copy.deepcopy(gan.discriminator.state_dict())
    toy.discriminator_step(gan.generator, gan.discriminator, gan.opt_d, gan.real_batch(), gan.noise_batch())
    assert all(torch.equal(g0[k], v) for k, v in gan.generator.state_dict().items())
    assert not all(torch.equal(d0[k], v) for k, v in gan.discriminator.state_dict().items())
    d1 = copy.deepcopy(gan.discriminator.state_dict())
    toy.generator_step(gan.generator, gan.discriminator, gan.opt_g, gan.noise_batch())
    assert all(torch.equal(d1[k], v) for k, v in gan.discriminator.state_dict().items())
    assert not all(torch.equal(g0[k], v) for k, v in gan.generator.state_dict().items())
    assert all(p.requires_grad for p in gan.discriminator.parameters())


# ----------------------------------------------------------------------------- training
def _record(gan):
    return gan.discriminator_on(np.linspace(-1, 4, 11))


def test_training_is_deterministic_given_the_seed():
    data = lambda n, r: toy.sample_gaussian_1d(n, r, 2.0, 0.5)  # noqa: E731
    runs = []
    for seed in (7, 7, 8):
        gan = toy.make_toy_gan(data, seed=seed, batch_size=32)
        toy.train(gan, 12, k=2, record_every=4, record=_record)
        runs.append(gan)
    a, b, c = runs
    assert len(a.history) == 4 and a.steps == 12  # steps 0, 4, 8, 12
    for x, y in zip(a.history, b.history):
        np.testing.assert_array_equal(x, y)
    for (k, v), w in zip(a.generator.state_dict().items(), b.generator.state_dict().values()):
        assert torch.equal(v, w), k
    assert not np.array_equal(a.history[-1], c.history[-1])


def test_deepcopy_continues_identically_and_prefix_is_stable():
    data = lambda n, r: toy.sample_gaussian_1d(n, r, 2.0, 0.5)  # noqa: E731
    long = toy.make_toy_gan(data, seed=1, batch_size=32)
    toy.train(long, 6, record_every=2, record=_record)
    branch = copy.deepcopy(long)
    toy.train(long, 6, record_every=2, record=_record)
    toy.train(branch, 6, record_every=2, record=_record)
    for x, y in zip(long.history, branch.history):
        np.testing.assert_array_equal(x, y)
    short = toy.make_toy_gan(data, seed=1, batch_size=32)
    toy.train(short, 6, record_every=2, record=_record)
    for x, y in zip(short.history, long.history):
        np.testing.assert_array_equal(x, y)


def test_discriminator_converges_towards_optimal_discriminator():
    # p_data = N(1, 1) and a fixed generator G(z) = z with z ~ N(0, 1), so p_g = N(0, 1) and
    # D*(x) = p_data / (p_data + p_g) = sigmoid(log p_data - log p_g) = sigmoid(x - 1/2).
    gan = toy.make_toy_gan(lambda n, r: toy.sample_gaussian_1d(n, r, 1.0, 1.0), seed=0, batch_size=256)
    gan.generator = affine(1.0, 0.0)
    grid = np.linspace(-1.5, 2.5, 41)
    d_star = 1.0 / (1.0 + np.exp(-(grid - 0.5)))
    error_before = np.abs(gan.discriminator_on(grid) - d_star).max()
    for _ in range(400):
        toy.discriminator_step(gan.generator, gan.discriminator, gan.opt_d, gan.real_batch(), gan.noise_batch())
    error_after = np.abs(gan.discriminator_on(grid) - d_star).max()
    assert error_after < 0.08 < error_before


def test_generator_moves_towards_the_data():
    gan = toy.make_toy_gan(lambda n, r: toy.sample_gaussian_1d(n, r, 2.0, 0.5), seed=0)
    toy.warm_start_generator(gan.generator, 0.0, 0.5)
    mean_before = gan.generator(gan.noise_batch()).mean().item()
    toy.train(gan, 150, k=3)
    mean_after = gan.generator(gan.noise_batch()).mean().item()
    assert abs(mean_before) < 0.2 and abs(mean_after - 2.0) < 0.5


# ----------------------------------------------------------------------------- densities
def test_generator_density_of_an_affine_generator_is_gaussian():
    edges = np.linspace(-5, 7, 121)
    centres = 0.5 * (edges[1:] + edges[:-1])
    density = toy.generator_density_1d(affine(2.0, 1.0), edges, "normal", 1.0, m=400_000)
    exact = np.diff(stats.norm.cdf(edges, 1.0, 2.0)) / np.diff(edges)
    np.testing.assert_allclose(density, exact, atol=2e-4)
    assert abs(np.interp(1.0, centres, density) - stats.norm.pdf(0, 0, 2.0)) < 2e-3
    uniform = toy.generator_density_1d(affine(1.0, 0.0), np.linspace(-2, 2, 9), "uniform", 1.0)
    np.testing.assert_allclose(uniform, [0, 0, 0.5, 0.5, 0.5, 0.5, 0, 0])


def test_warm_start_generator_fits_the_affine_map():
    torch.manual_seed(0)
    generator = toy.make_generator()
    mse = toy.warm_start_generator(generator, 1.0, 0.4)
    assert mse < 1e-3
    edges = np.linspace(-1, 3, 81)
    centres = 0.5 * (edges[1:] + edges[:-1])
    density = toy.generator_density_1d(generator, edges, "normal")
    mean = (density * centres).sum() / density.sum()
    std = np.sqrt((density * (centres - mean) ** 2).sum() / density.sum())
    assert abs(mean - 1.0) < 0.02 and abs(std - 0.4) < 0.02


def test_kde_1d_integrates_to_one_and_approximates_the_density():
    samples = rng(4).normal(0.0, 1.0, 5000)
    grid = np.linspace(-6, 6, 1201)
    kde = toy.kde_1d(samples, grid)
    assert abs(np.trapezoid(kde, grid) - 1.0) < 1e-3
    assert np.abs(kde - stats.norm.pdf(grid)).max() < 0.03
    ref = stats.gaussian_kde(samples, bw_method=0.3)
    np.testing.assert_allclose(toy.kde_1d(samples, grid, bandwidth=0.3 * samples.std(ddof=1)), ref(grid), rtol=1e-6, atol=1e-12)


def test_discriminator_on_grid_is_a_probability():
    torch.manual_seed(0)
    values = toy.discriminator_on_grid(toy.make_discriminator(), np.linspace(-10, 10, 50))
    assert values.shape == (50,) and np.all((values > 0) & (values < 1))
