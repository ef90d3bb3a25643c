"""Unit tests of ganbook.toy: samplers, ring coverage, networks, Algorithm 1 steps, densities."""

import copy

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn
from torch.nn import functional as F

from ganbook import toy
from ganbook.loop import DivergedError


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def rng(seed=0):
    return torch.Generator().manual_seed(seed)


def affine(weight, bias):
    """A fixed 1-D 'generator' z -> weight * z + bias."""
    layer = nn.Linear(1, 1)
    with torch.no_grad():
        layer.weight.fill_(weight)
        layer.bias.fill_(bias)
    return layer


def gaussian_data(n, r):
    return toy.sample_gaussian_1d(n, r, 2.0, 0.5)


# ----------------------------------------------------------------------------- samplers
def test_gaussian_density_matches_scipy():
    x = np.linspace(-3, 5, 17)
    expected = stats.norm.pdf(x, 1.0, 0.7)
    np.testing.assert_allclose(toy.gaussian_density(x, 1.0, 0.7), expected, rtol=1e-12)


def test_sample_gaussian_1d_shape_and_moments():
    x = toy.sample_gaussian_1d(50_000, rng(), mean=2.0, std=0.5)
    assert x.shape == (50_000, 1) and x.dtype == torch.float32
    assert abs(x.mean() - 2.0) < 0.01 and abs(x.std() - 0.5) < 0.01


def test_samplers_draw_from_the_given_generator_only():
    # Same seed, same draws; the global random stream is neither used nor advanced.
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    assert torch.equal(toy.sample_ring(50, rng(3)), toy.sample_ring(50, rng(3)))
    assert not torch.equal(toy.sample_ring(50, rng(3)), toy.sample_ring(50, rng(4)))
    assert torch.equal(toy.sample_noise(5, 2, rng(1)), toy.sample_noise(5, 2, rng(1)))
    assert torch.equal(torch.rand(3), expected)


def test_ring_centres_and_samples():
    centres = toy.ring_centres()
    assert centres.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 2.0)
    np.testing.assert_allclose(centres[0], [2.0, 0.0], atol=1e-12)
    x = toy.sample_ring(4000, rng())
    assert x.shape == (4000, 2) and x.dtype == torch.float32
    coverage = toy.ring_coverage(x)
    counts, quality = coverage["counts"], coverage["high_quality"]
    assert (counts > 0).sum() == 8 and coverage["modes_covered"] == 8
    assert quality > 0.98  # 3-sigma disc in 2-D holds 1 - exp(-4.5) = 98.9 %
    assert abs(counts.min() / counts.sum() - 1 / 8) < 0.03


def test_ring_coverage_detects_collapse():
    noise = np.random.default_rng(1).standard_normal((500, 2))
    collapsed = toy.ring_centres()[[3]] + 0.01 * noise
    coverage = toy.ring_coverage(collapsed)
    counts, quality = coverage["counts"], coverage["high_quality"]
    assert (counts > 0).sum() == 1 and counts[3] == 500 and quality == 1.0
    assert coverage["modes_covered"] == 1
    far = np.zeros((10, 2))  # the centre of the ring is far from every mode
    assert toy.ring_coverage(far)["high_quality"] == 0.0


def test_ring_coverage_counts_covered_modes():
    r = np.random.default_rng(7)
    centres = toy.ring_centres(8, 2.0)
    on_three = centres[r.integers(0, 3, 300)] + 0.02 * r.standard_normal((300, 2))
    junk = np.zeros((100, 2))  # the centre of the ring: far from every mode
    out = toy.ring_coverage(np.concatenate([on_three, junk]), std=0.02, min_count=20)
    assert out["modes_covered"] == 3
    assert out["high_quality"] == pytest.approx(300 / 400, abs=0.01)
    assert out["counts"][3:].sum() == 0
    # Tensors are accepted; a mode needs min_count high-quality samples to count as covered.
    assert toy.ring_coverage(torch.tensor(on_three), min_count=200)["modes_covered"] == 0


@pytest.mark.parametrize("kwargs, match", [
    (dict(samples=np.zeros((5, 3))), "2 values per row"),
    (dict(samples=np.zeros(5)), "shape"),
    (dict(samples=np.full((5, 2), np.nan)), "NaN"),
    (dict(samples=np.zeros((5, 2)), std=-1.0), "std"),
    (dict(samples=np.zeros((5, 2)), n_std=0.0), "n_std"),
    (dict(samples=np.zeros((5, 2)), min_count=0), "min_count"),
    (dict(samples=np.zeros((5, 2)), n_modes=0), "n_modes"),
])
def test_ring_coverage_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        toy.ring_coverage(**kwargs)


def test_noise_samplers_and_quantiles():
    u = toy.sample_noise(10_000, 3, rng(), "uniform", scale=2.0)
    assert u.shape == (10_000, 3) and u.min() >= -2.0 and u.max() <= 2.0
    n = toy.sample_noise(20_000, 1, rng(), "normal", scale=3.0)
    assert abs(n.std() - 3.0) < 0.05
    q = toy.noise_quantiles(4, "uniform", 1.0)[:, 0]
    np.testing.assert_allclose(q, [-0.75, -0.25, 0.25, 0.75])
    levels = (np.arange(7) + 0.5) / 7
    np.testing.assert_allclose(toy.noise_quantiles(7, "normal", 2.0)[:, 0],
                               2.0 * stats.norm.ppf(levels), rtol=1e-6)


@pytest.mark.parametrize(
    "call",
    [
        lambda: toy.sample_gaussian_1d(0, rng()),
        lambda: toy.sample_gaussian_1d(5, rng(), std=-1.0),
        lambda: toy.sample_gaussian_1d(5, rng(), mean=float("nan")),
        lambda: toy.sample_gaussian_1d(5, 0),
        lambda: toy.sample_gaussian_1d(5, np.random.default_rng(0)),
        lambda: toy.sample_gaussian_1d(2.5, rng()),
        lambda: toy.sample_ring(5, rng(), std=0.0),
        lambda: toy.sample_ring(5, rng(), n_modes=0),
        lambda: toy.sample_ring(5, None),
        lambda: toy.ring_coverage(np.zeros((4, 3))),
        lambda: toy.sample_noise(5, 1, rng(), kind="cauchy"),
        lambda: toy.sample_noise(5, 0, rng()),
        lambda: toy.sample_noise(5, 1, None),
        lambda: toy.noise_quantiles(5, "normal", scale=0.0),
        lambda: toy.mlp([3]),
        lambda: toy.mlp([1, 4, 1], activation="swish"),
        lambda: toy.make_generator(hidden=0),
        lambda: toy.make_toy_gan(gaussian_data, batch_size=0),
        lambda: toy.make_toy_gan(gaussian_data, lr_d=-1.0),
        lambda: toy.make_toy_gan(gaussian_data, noise="cauchy"),
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
    gan = toy.make_toy_gan(gaussian_data, seed=0)
    with pytest.raises(ValueError):
        toy.train(gan, 5, k=0)
    with pytest.raises(ValueError):
        toy.train(gan, -1)
    with pytest.raises(ValueError, match="generator_loss"):
        toy.train(gan, 5, generator_loss="hinge")
    with pytest.raises(ValueError):
        toy.train(gan, 5, record_every=2)  # no record function
    with pytest.raises(ValueError, match="features"):  # an nn.Sequential D has no features()
        toy.train(gan, 5, generator_loss="feature_matching")
    assert gan.steps == 0 and gan.history == {} and gan.records == []
    with pytest.raises(ValueError):
        toy.discriminator_step(gan.generator, gan.discriminator, gan.opt_d, torch.zeros(8),
                               gan.noise_batch())
    with pytest.raises(ValueError):
        toy.generator_step(gan.generator, gan.discriminator, gan.opt_g, gan.noise_batch(),
                           generator_loss_kind="minimax")
    ring = toy.make_ring_gan()
    with pytest.raises(ValueError, match="x_real"):
        toy.generator_step(ring.generator, ring.discriminator, ring.opt_g, ring.noise_batch(),
                           "feature_matching")


# ----------------------------------------------------------------------------- the steps
def test_each_step_updates_only_its_player():
    gan = toy.make_toy_gan(gaussian_data, seed=3)
    g0 = copy.deepcopy(gan.generator.state_dict())
    d0 = copy.deepcopy(gan.discriminator.state_dict())
    toy.discriminator_step(gan.generator, gan.discriminator, gan.opt_d, gan.real_batch(),
                           gan.noise_batch())
    assert all(torch.equal(g0[k], v) for k, v in gan.generator.state_dict().items())
    assert not all(torch.equal(d0[k], v) for k, v in gan.discriminator.state_dict().items())
    d1 = copy.deepcopy(gan.discriminator.state_dict())
    d_grads = [p.grad.clone() for p in gan.discriminator.parameters()]
    toy.generator_step(gan.generator, gan.discriminator, gan.opt_g, gan.noise_batch())
    assert all(torch.equal(d1[k], v) for k, v in gan.discriminator.state_dict().items())
    assert not all(torch.equal(g0[k], v) for k, v in gan.generator.state_dict().items())
    assert all(p.requires_grad for p in gan.discriminator.parameters())
    # G's step gave D's weights no gradient: their gradients are still those of D's step.
    assert all(torch.equal(g, p.grad) for g, p in zip(d_grads, gan.discriminator.parameters()))


def test_discriminator_step_returns_loss_and_mean_outputs():
    # A constant logit l gives D = sigmoid(l) everywhere and loss softplus(-l) + softplus(l).
    gan = toy.make_toy_gan(gaussian_data, seed=0)
    head = gan.discriminator[-1]
    with torch.no_grad():
        head.weight.zero_()
        head.bias.fill_(0.7)
    loss, d_real, d_fake = toy.discriminator_step(gan.generator, gan.discriminator, gan.opt_d,
                                                  gan.real_batch(), gan.noise_batch())
    l0 = torch.tensor(0.7)
    torch.testing.assert_close(loss, F.softplus(-l0) + F.softplus(l0))
    torch.testing.assert_close(d_real, torch.sigmoid(l0))
    torch.testing.assert_close(d_fake, torch.sigmoid(l0))
    assert loss.ndim == d_real.ndim == d_fake.ndim == 0


# ----------------------------------------------------------------------------- training
def _record(gan):
    return gan.discriminator_on(np.linspace(-1, 4, 11))


def test_training_is_deterministic_given_the_seed():
    runs = []
    for seed in (7, 7, 8):
        gan = toy.make_toy_gan(gaussian_data, seed=seed, batch_size=32)
        toy.train(gan, 12, k=2, record_every=4, record=_record)
        runs.append(gan)
    a, b, c = runs
    assert len(a.records) == 4 and a.steps == 12  # steps 0, 4, 8, 12
    for x, y in zip(a.records, b.records):
        np.testing.assert_array_equal(x, y)
    assert a.history == b.history
    for (k, v), w in zip(a.generator.state_dict().items(), b.generator.state_dict().values()):
        assert torch.equal(v, w), k
    assert not np.array_equal(a.records[-1], c.records[-1])


def test_training_leaves_the_global_random_stream_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    toy.train(toy.make_toy_gan(gaussian_data, seed=1, batch_size=16), 3)
    assert torch.equal(torch.rand(3), expected)


def test_train_history_has_one_entry_per_step():
    gan = toy.make_toy_gan(gaussian_data, seed=2, batch_size=16)
    toy.train(gan, 5, k=2)
    toy.train(gan, 3)
    assert gan.steps == 8
    assert set(gan.history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(len(values) == 8 for values in gan.history.values())
    assert all(0 < v < 1 for v in gan.history["d_real"] + gan.history["d_fake"])
    assert np.isfinite(gan.history["d_loss"] + gan.history["g_loss"]).all()
    assert gan.records == []
    toy.train(gan, 0)
    assert gan.steps == 8 and len(gan.history["d_loss"]) == 8


def test_diverging_run_stops_with_history_matching_steps():
    calls = []

    def data(n, r):  # the third real batch (step 3) is NaN
        calls.append(n)
        x = gaussian_data(n, r)
        return x.fill_(float("nan")) if len(calls) == 3 else x

    gan = toy.make_toy_gan(data, seed=0, batch_size=8)
    with pytest.raises(DivergedError, match="step 3: d_loss"):
        toy.train(gan, 10)
    assert gan.steps == 3 and all(len(v) == 3 for v in gan.history.values())


def test_deepcopy_continues_identically_and_prefix_is_stable():
    long = toy.make_toy_gan(gaussian_data, seed=1, batch_size=32)
    toy.train(long, 6, record_every=2, record=_record)
    branch = copy.deepcopy(long)
    toy.train(long, 6, record_every=2, record=_record)
    toy.train(branch, 6, record_every=2, record=_record)
    assert len(long.records) == len(branch.records) == 7  # steps 0, 2, ..., 12
    for x, y in zip(long.records, branch.records):
        np.testing.assert_array_equal(x, y)
    assert long.history == branch.history
    short = toy.make_toy_gan(gaussian_data, seed=1, batch_size=32)
    toy.train(short, 6, record_every=2, record=_record)
    for x, y in zip(short.records, long.records):
        np.testing.assert_array_equal(x, y)
    assert all(v == long.history[k][:6] for k, v in short.history.items())


def test_discriminator_converges_towards_optimal_discriminator():
    # p_data = N(1, 1) and a fixed generator G(z) = z with z ~ N(0, 1), so p_g = N(0, 1) and
    # D*(x) = p_data / (p_data + p_g) = sigmoid(log p_data - log p_g) = sigmoid(x - 1/2).
    gan = toy.make_toy_gan(lambda n, r: toy.sample_gaussian_1d(n, r, 1.0, 1.0), seed=0,
                           batch_size=256)
    gan.generator = affine(1.0, 0.0)
    grid = np.linspace(-1.5, 2.5, 41)
    d_star = 1.0 / (1.0 + np.exp(-(grid - 0.5)))
    error_before = np.abs(gan.discriminator_on(grid) - d_star).max()
    for _ in range(400):
        toy.discriminator_step(gan.generator, gan.discriminator, gan.opt_d, gan.real_batch(),
                               gan.noise_batch())
    error_after = np.abs(gan.discriminator_on(grid) - d_star).max()
    assert error_after < 0.08 < error_before


def test_generator_moves_towards_the_data():
    gan = toy.make_toy_gan(gaussian_data, seed=0)
    toy.warm_start_generator(gan.generator, 0.0, 0.5)
    mean_before = gan.generator(gan.noise_batch()).mean().item()
    toy.train(gan, 150, k=3)
    mean_after = gan.generator(gan.noise_batch()).mean().item()
    assert abs(mean_before) < 0.2 and abs(mean_after - 2.0) < 0.5


# ----------------------------------------------------------------------------- the ring GAN
def _ring_samples(gan):
    with torch.no_grad():
        return gan.generator(toy.sample_noise(8, 16, rng(5), "normal"))


@pytest.mark.parametrize("generator_loss, kernels", [("non_saturating", 0),
                                                     ("feature_matching", 0),
                                                     ("non_saturating", 3)])
def test_ring_gan_trains_and_is_deterministic(generator_loss, kernels):
    runs = []
    for seed in (0, 0, 1):
        gan = toy.make_ring_gan(seed=seed, minibatch_kernels=kernels, batch_size=16)
        toy.train(gan, 30, generator_loss=generator_loss, record_every=10, record=_ring_samples)
        runs.append(gan)
    a, b, c = runs
    assert a.discriminator.compares_samples == (kernels > 0)
    assert a.history == b.history
    for x, y in zip(a.records, b.records):
        assert torch.equal(x, y)
    assert a.history["g_loss"] != c.history["g_loss"]
    assert len(a.records) == 4 and a.records[-1].shape == (8, 2)  # steps 0, 10, 20, 30
    assert len(a.history["d_loss"]) == 30 and np.isfinite(a.history["d_loss"]).all()
    assert all(0 < v < 1 for v in a.history["d_real"])


def test_feature_matching_pulls_the_ring_generator_onto_the_circle():
    gan = toy.make_ring_gan(seed=1, batch_size=64)
    z = toy.sample_noise(512, 16, rng(1), "normal")
    radius = lambda: gan.generator(z).detach().norm(dim=1).mean().item()  # noqa: E731
    before = radius()
    toy.train(gan, 100, generator_loss="feature_matching")
    assert before < 0.5 and abs(radius() - toy.RING_RADIUS) < 0.3


def test_minibatch_kernels_see_a_collapsed_batch():
    # Identical generated samples make D's minibatch features large; spread samples do not.
    gan = toy.make_ring_gan(seed=0, minibatch_kernels=4)
    collapsed = torch.zeros(16, 2)
    spread = toy.sample_ring(16, rng())
    layer = gan.discriminator.minibatch
    with torch.no_grad():
        close_collapsed = layer.closeness(gan.discriminator.features(collapsed))
        close_spread = layer.closeness(gan.discriminator.features(spread))
    torch.testing.assert_close(close_collapsed, torch.full((16, 4), 15.0))
    assert close_spread.max() < 14.0


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
    samples = np.random.default_rng(4).normal(0.0, 1.0, 5000)
    grid = np.linspace(-6, 6, 1201)
    kde = toy.kde_1d(samples, grid)
    assert abs(np.trapezoid(kde, grid) - 1.0) < 1e-3
    assert np.abs(kde - stats.norm.pdf(grid)).max() < 0.03
    ref = stats.gaussian_kde(samples, bw_method=0.3)
    np.testing.assert_allclose(toy.kde_1d(samples, grid, bandwidth=0.3 * samples.std(ddof=1)),
                               ref(grid), rtol=1e-6, atol=1e-12)


def test_discriminator_on_grid_is_sigmoid_of_the_logits():
    torch.manual_seed(0)
    d, grid = toy.make_discriminator(), np.linspace(-10, 10, 50)
    values = toy.discriminator_on_grid(d, grid)
    with torch.no_grad():
        logits = d(torch.tensor(grid, dtype=torch.float32)[:, None])[:, 0].double()
    assert values.shape == (50,)
    np.testing.assert_allclose(values, 1 / (1 + np.exp(-logits.numpy())), rtol=1e-6)
