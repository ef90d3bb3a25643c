"""Tests of ganbook.evaluation against brute-force and closed-form computations."""

import numpy as np
import pytest
import torch
from scipy import stats

from ganbook import evaluation as ev

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py



def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------------------- Parzen


def test_parzen_matches_scipy_brute_force():
    r = rng(1)
    samples, x = r.random((7, 3)), r.random((5, 3))
    sigma = 0.3
    expected = [
        np.log(np.mean([stats.multivariate_normal(s, sigma**2 * np.eye(3)).pdf(q) for s in samples]))
        for q in x
    ]
    got = ev.parzen_log_likelihood(samples, x, sigma, batch_size=2)  # several chunks
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_parzen_grid_equals_single_sigmas_and_images_flatten():
    r = rng(2)
    samples, x = r.random((20, 4, 4)), r.random((9, 4, 4))
    grid = ev.parzen_log_likelihood(samples, x, [0.1, 0.5])
    assert grid.shape == (2, 9)
    for row, s in zip(grid, [0.1, 0.5]):
        single = ev.parzen_log_likelihood(samples.reshape(20, 16), x.reshape(9, 16), s)
        np.testing.assert_allclose(row, single, rtol=1e-12)


def test_parzen_is_stable_for_tiny_sigma():
    # Far-away points would underflow a naive exp(); logsumexp keeps them finite.
    samples = np.zeros((3, 784))
    x = np.ones((2, 784))
    got = ev.parzen_log_likelihood(samples, x, 0.01)
    # All samples coincide, so the mixture is one Gaussian: log N(1; 0, 0.01^2 I) in closed form.
    expected = -784 / (2 * 0.01**2) - 392 * np.log(2 * np.pi * 0.01**2)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_parzen_estimate_picks_validation_best_sigma():
    r = rng(3)
    centres = r.random((2, 5)) * 0.5 + 0.25
    make = lambda n: np.clip(centres[r.integers(0, 2, n)] + 0.05 * r.standard_normal((n, 5)), 0, 1)
    result = ev.parzen_estimate(make(300), make(100), make(100), sigmas=[0.005, 0.05, 0.5])
    assert result.sigma == 0.05
    assert result.validation_means.argmax() == 1
    mean, sem = ev.mean_and_sem(result.test_values)
    assert (result.mean, result.sem) == (mean, sem)
    assert result.sem > 0


def test_mean_and_sem():
    v = np.array([1.0, 2.0, 3.0, 4.0])
    mean, sem = ev.mean_and_sem(v)
    assert mean == 2.5
    np.testing.assert_allclose(sem, stats.sem(v))


@pytest.mark.parametrize(
    "samples, x, sigma, match",
    [
        (np.zeros((3, 4)), np.zeros((2, 5)), 0.1, "4 values per row"),
        (np.zeros(4), np.zeros((2, 4)), 0.1, "shape"),
        (np.full((3, 4), 1.5), np.zeros((2, 4)), 0.1, r"\[0, 1\]"),
        (np.zeros((3, 4)), -np.ones((2, 4)), 0.1, r"\[0, 1\]"),
        (np.zeros((3, 4)), np.zeros((2, 4)), 0.0, "positive"),
        (np.zeros((3, 4)), np.zeros((2, 4)), [[0.1]], "1-D"),
        (np.zeros((0, 4)), np.zeros((2, 4)), 0.1, "at least 1"),
        (np.full((3, 4), np.nan), np.zeros((2, 4)), 0.1, "NaN"),
    ],
)
def test_parzen_bad_input(samples, x, sigma, match):
    with pytest.raises(ValueError, match=match):
        ev.parzen_log_likelihood(samples, x, sigma)


def test_parzen_estimate_too_few():
    with pytest.raises(ValueError, match="at least 2"):
        ev.parzen_estimate(np.zeros((5, 4)), np.zeros((1, 4)), np.zeros((4, 4)))
    with pytest.raises(ValueError, match="at least 10"):
        ev.parzen_estimate(np.zeros((5, 4)), np.zeros((3, 4)), np.zeros((4, 4)), min_samples=10)
    with pytest.raises(ValueError, match="at least 2"):
        ev.mean_and_sem([1.0])


# ------------------------------------------------------------------------------ baselines


def test_class_means_and_kmeans():
    x = np.array([[0.0, 0.0], [0.2, 0.0], [1.0, 1.0], [0.8, 1.0]])
    y = np.array([3, 3, 7, 7])
    np.testing.assert_allclose(ev.class_means(x, y), [[0.1, 0.0], [0.9, 1.0]])
    centres = ev.kmeans(x, 2, seed=0)
    np.testing.assert_allclose(sorted(centres.tolist()), [[0.1, 0.0], [0.9, 1.0]])
    with pytest.raises(ValueError, match="exceeds"):
        ev.kmeans(x, 5)
    with pytest.raises(ValueError, match="labels must have shape"):
        ev.class_means(x, y[:3])


# ------------------------------------------------------------------------------- Fréchet


def test_frechet_closed_form_diagonal_gaussians():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    var1, var2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    # For commuting (here diagonal) covariances: |mu1-mu2|^2 + sum (sqrt(a) - sqrt(b))^2.
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    got = ev.frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2))
    np.testing.assert_allclose(got, expected, rtol=1e-10)  # = 5 + 1 + 1 + 4 = 11
    assert expected == 11.0


def test_frechet_closed_form_rotated_and_zero_for_equal():
    r = rng(4)
    q, _ = np.linalg.qr(r.standard_normal((4, 4)))
    a, b = np.array([1.0, 2.0, 3.0, 0.5]), np.array([2.0, 2.0, 1.0, 1.0])
    cov1, cov2 = q @ np.diag(a) @ q.T, q @ np.diag(b) @ q.T  # same eigenbasis: still commuting
    mu = r.standard_normal(4)
    expected = np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    np.testing.assert_allclose(ev.frechet_distance(mu, cov1, mu, cov2), expected, rtol=1e-8)
    assert ev.frechet_distance(mu, cov1, mu, cov1) == pytest.approx(0.0, abs=1e-9)
    # 1-D: the 2-Wasserstein distance between N(m1, s1^2) and N(m2, s2^2).
    assert ev.frechet_distance([0.0], [[4.0]], [3.0], [[1.0]]) == pytest.approx(9 + 1)


def test_frechet_from_features_converges_to_closed_form():
    r = rng(5)
    f1 = r.normal([0.0, 0.0], [1.0, 2.0], size=(200_000, 2))
    f2 = r.normal([1.0, 0.0], [1.0, 1.0], size=(200_000, 2))
    got = ev.frechet_distance_from_features(f1, f2)
    assert got == pytest.approx(1 + 0 + 1, abs=0.03)


def test_frechet_bad_input():
    with pytest.raises(ValueError, match="covariances"):
        ev.frechet_distance(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="means"):
        ev.frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(2))
    with pytest.raises(ValueError, match="at least 2"):
        ev.frechet_distance_from_features(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="3 values per row"):
        ev.frechet_distance_from_features(np.zeros((4, 3)), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="NaN"):
        ev.frechet_distance([np.nan], [[1.0]], [0.0], [[1.0]])


# ------------------------------------------------------------------- classifier summaries


def test_kl_to_uniform():
    assert ev.kl_to_uniform([5, 5, 5, 5]) == pytest.approx(0.0)
    assert ev.kl_to_uniform([0, 9, 0]) == pytest.approx(np.log(3))
    p = np.array([0.5, 0.25, 0.25])
    assert ev.kl_to_uniform(p) == pytest.approx(stats.entropy(p, np.full(3, 1 / 3)))
    for bad in ([1], [[1, 2]], [-1, 2], [0, 0], [np.inf, 1]):
        with pytest.raises(ValueError):
            ev.kl_to_uniform(bad)


def test_prediction_summary():
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])
    out = ev.prediction_summary(probs)
    np.testing.assert_array_equal(out["histogram"], [2, 1, 0])
    assert out["mean_confidence"] == pytest.approx((0.9 + 0.7 + 0.6) / 3)
    assert out["kl_to_uniform"] == pytest.approx(stats.entropy([2, 1, 0], [1, 1, 1]))
    with pytest.raises(ValueError, match="sum to 1"):
        ev.prediction_summary(np.array([[0.5, 0.1]]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ev.prediction_summary(np.array([[1.5, -0.5]]))


# -------------------------------------------------------------------------- memorisation


def test_nearest_neighbour_distances_brute_force():
    r = rng(6)
    q, ref = r.random((13, 6)), r.random((29, 6))
    d, i = ev.nearest_neighbour_distances(q, ref, batch_size=4)
    full = np.linalg.norm(q[:, None] - ref[None], axis=2)
    np.testing.assert_allclose(d, full.min(1), rtol=1e-6)
    np.testing.assert_array_equal(i, full.argmin(1))
    with pytest.raises(ValueError, match="6 values per row"):
        ev.nearest_neighbour_distances(q[:, :5], ref)


# ------------------------------------------------------------------------------ sharpness


def test_sharpness_blur_lowers_scores():
    x = np.zeros((1, 9, 9))
    x[0, 2:7, 4] = 1.0  # a sharp vertical stroke
    blurred = x.copy()
    blurred[0, :, 1:-1] = (x[0, :, :-2] + x[0, :, 1:-1] + x[0, :, 2:]) / 3
    assert ev.laplacian_variance(blurred)[0] < ev.laplacian_variance(x)[0]
    assert ev.gradient_magnitude(blurred)[0] < ev.gradient_magnitude(x)[0] + 1e-12
    flat = np.full((2, 5, 5), 0.3)
    np.testing.assert_allclose(ev.laplacian_variance(flat), 0, atol=1e-15)
    np.testing.assert_allclose(ev.gradient_magnitude(flat), 0, atol=1e-15)
    # A linear ramp: gradient magnitude is exactly the slope, Laplacian zero.
    ramp = np.tile(np.linspace(0, 1, 11), (11, 1))[None]
    np.testing.assert_allclose(ev.gradient_magnitude(ramp), 0.1)
    np.testing.assert_allclose(ev.laplacian_variance(ramp), 0, atol=1e-15)
    with pytest.raises(ValueError, match="height, width"):
        ev.laplacian_variance(np.zeros((3, 784)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ev.gradient_magnitude(np.full((1, 5, 5), 2.0))


def test_tensors_and_arrays_give_the_same_results():
    r = rng(8)
    q, ref = r.random((5, 6)), r.random((7, 6))
    d_np, i_np = ev.nearest_neighbour_distances(q, ref)
    d_t, i_t = ev.nearest_neighbour_distances(torch.from_numpy(q).float(), torch.from_numpy(ref))
    np.testing.assert_allclose(d_t, d_np, rtol=1e-6)
    np.testing.assert_array_equal(i_t, i_np)
    assert ev.kmeans(torch.from_numpy(ref), 2).shape == (2, 6)
