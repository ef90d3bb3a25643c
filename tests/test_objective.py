"""Unit tests of ganbook.objective: optimal discriminator, value function and C(G)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats
from scipy.spatial.distance import jensenshannon

from ganbook.divergences import js_divergence, kl_divergence
from ganbook.objective import (
    optimal_discriminator,
    value_function,
    value_function_samples,
    virtual_training_criterion,
)

LOG4 = math.log(4.0)
X = np.linspace(-20, 20, 8001)
DX = X[1] - X[0]


def _normalise(weights):
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


distributions = lambda n: st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n).filter(lambda w: sum(w) > 1e-3).map(_normalise)  # noqa: E731
pairs = st.integers(1, 8).flatmap(lambda n: st.tuples(distributions(n), distributions(n)))


def test_optimal_discriminator_pointwise_maximiser():
    """D*(x) maximises a log y + b log(1 - y) for each x (numerical maximisation)."""
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.01, 3, size=(2, 10))
    d_star = optimal_discriminator(a, b)
    for ai, bi, di in zip(a, b, d_star):
        res = optimize.minimize_scalar(lambda y: -(ai * np.log(y) + bi * np.log1p(-y)), bounds=(1e-9, 1 - 1e-9), method="bounded", options={"xatol": 1e-10})
        assert res.x == pytest.approx(di, abs=1e-6)


def test_optimal_discriminator_edge_cases():
    np.testing.assert_allclose(optimal_discriminator([1.0, 0.0, 0.0, 2.0], [0.0, 1.0, 0.0, 2.0]), [1.0, 0.0, 0.5, 0.5])


def test_optimal_discriminator_boundary_cases_on_the_closed_interval():
    """Where only one density is positive, a log y + b log(1 - y) has no maximiser inside (0, 1);
    on [0, 1] (log 0 = -inf, 0 log 0 = 0) the maximiser is the end point a / (a + b)."""
    p_data, p_g = [0.5, 0.5, 0.0], [0.0, 0.5, 0.5]
    d_star = optimal_discriminator(p_data, p_g)
    np.testing.assert_allclose(d_star, [1.0, 0.5, 0.0])
    best = value_function(d_star, p_data, p_g)
    grid = np.linspace(0, 1, 21)
    for d1 in grid:
        for d3 in grid:
            v = value_function([d1, 0.5, d3], p_data, p_g)
            assert v <= best
            if (d1, d3) != (1.0, 0.0):
                assert v < best  # the end points are the unique maximisers
    # inside (0, 1) the value keeps rising towards the end point: no interior maximum
    inner = [value_function([d1, 0.5, 0.0], p_data, p_g) for d1 in grid[1:-1]]
    assert np.all(np.diff(inner) > 0) and max(inner) < best


def test_value_function_at_dstar_beats_perturbations():
    p_data, p_g = stats.norm(0, 1).pdf(X), stats.norm(2, 1.5).pdf(X)
    d_star = optimal_discriminator(p_data, p_g)
    best = value_function(d_star, p_data, p_g, dx=DX)
    rng = np.random.default_rng(1)
    for _ in range(20):
        d = np.clip(d_star + rng.normal(0, 0.05, size=X.shape), 1e-6, 1 - 1e-6)
        assert value_function(d, p_data, p_g, dx=DX) < best


def test_value_function_discrete_by_hand():
    p_data, p_g, d = [0.25, 0.75], [0.5, 0.5], [0.2, 0.6]
    expected = 0.25 * math.log(0.2) + 0.75 * math.log(0.6) + 0.5 * math.log(0.8) + 0.5 * math.log(0.4)
    assert value_function(d, p_data, p_g) == pytest.approx(expected)
    assert value_function([0.0, 0.5], [0.5, 0.5], [0.5, 0.5]) == -math.inf
    assert value_function([1.0, 0.0], [0.0, 1.0], [1.0, 0.0]) == -math.inf
    assert value_function([0.0, 1.0], [0.0, 1.0], [1.0, 0.0]) == 0.0  # a perfect discriminator
    assert value_function([0.0, 0.5], [0.0, 1.0], [0.5, 0.5]) == pytest.approx(1.0 * math.log(0.5) + 0.5 * math.log(1.0) + 0.5 * math.log(0.5))  # 0 log 0 = 0


def test_value_function_samples_is_monte_carlo_of_density_version():
    rng = np.random.default_rng(2)
    real, fake = rng.normal(0, 1, 200_000), rng.normal(2, 1.5, 200_000)
    d = lambda x: optimal_discriminator(stats.norm(0, 1).pdf(x), stats.norm(2, 1.5).pdf(x))  # noqa: E731
    exact = value_function(d(X), stats.norm(0, 1).pdf(X), stats.norm(2, 1.5).pdf(X), dx=DX)
    assert value_function_samples(d(real), d(fake)) == pytest.approx(exact, abs=5e-3)
    assert value_function_samples([0.5], [0.5]) == pytest.approx(-LOG4)
    assert value_function_samples([0.0], [0.5]) == -math.inf


@pytest.mark.parametrize("mu,sigma", [(0.0, 1.0), (0.5, 1.0), (2.0, 0.5), (-3.0, 2.0), (8.0, 1.0)])
def test_criterion_equals_minus_log4_plus_2jsd_gaussians(mu, sigma):
    p_data, p_g = stats.norm(0, 1).pdf(X), stats.norm(mu, sigma).pdf(X)
    jsd = jensenshannon(p_data * DX, p_g * DX) ** 2
    assert virtual_training_criterion(p_data, p_g, dx=DX) == pytest.approx(-LOG4 + 2 * jsd, abs=1e-9)


def test_criterion_minimum_at_pg_equal_pdata():
    p = stats.norm(0, 1).pdf(X)
    d_star = optimal_discriminator(p, p)
    assert value_function(d_star, p, p, dx=DX) == pytest.approx(-LOG4, abs=1e-12)
    assert virtual_training_criterion(p, p, dx=DX) == pytest.approx(-LOG4, abs=1e-12)
    np.testing.assert_allclose(optimal_discriminator(p, p), 0.5)


@settings(max_examples=60, deadline=None)
@given(pairs)
def test_criterion_bounds_and_jsd_identity(pq):
    p, q = pq
    c = virtual_training_criterion(p, q)
    assert -LOG4 - 1e-12 <= c <= 1e-12
    assert c == pytest.approx(-LOG4 + 2 * jensenshannon(p, q) ** 2, abs=1e-9)


positive_pairs = st.integers(1, 8).flatmap(
    lambda n: st.tuples(*(st.lists(st.floats(1e-3, 1.0), min_size=n, max_size=n).map(_normalise)
                          for _ in range(2))))


@settings(max_examples=60, deadline=None)
@given(positive_pairs)
def test_non_saturating_loss_against_dstar(pq):
    """E_{p_g}[-log D*] = KL(p_g || p_data) - 2 JSD(p_data || p_g) + log 4 + E_{p_data}[log D*]
    (the identity behind Arjovsky & Bottou's analysis of the non-saturating generator loss)."""
    p_data, p_g = pq
    d_star = optimal_discriminator(p_data, p_g)
    lhs = float(np.sum(p_g * -np.log(d_star)))
    rhs = (kl_divergence(p_g, p_data) - 2 * js_divergence(p_data, p_g) + LOG4
           + float(np.sum(p_data * np.log(d_star))))
    assert lhs == pytest.approx(rhs, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(pairs)
def test_optimal_discriminator_is_symmetric(pq):
    p, q = pq
    d = optimal_discriminator(p, q)
    np.testing.assert_allclose(d + optimal_discriminator(q, p), 1.0)


# --- bad input ------------------------------------------------------------------------

def test_negative_density_raises():
    with pytest.raises(ValueError, match="p_data has negative"):
        optimal_discriminator([-0.1, 1.1], [0.5, 0.5])
    with pytest.raises(ValueError, match="p_g has negative"):
        virtual_training_criterion([0.5, 0.5], [-0.1, 1.1])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_density_raises(bad):
    with pytest.raises(ValueError, match="NaN or inf"):
        optimal_discriminator([bad, 1.0], [0.5, 0.5])
    with pytest.raises(ValueError, match="NaN or inf"):
        value_function([0.5, 0.5], [0.5, 0.5], [bad, 1.0])


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="same shape"):
        optimal_discriminator([0.5, 0.5], [1.0])
    with pytest.raises(ValueError, match="same shape"):
        value_function([0.5, 0.5, 0.5], [0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="same shape"):
        virtual_training_criterion([0.5, 0.5], [0.2, 0.3, 0.5])


def test_not_normalised_raises():
    with pytest.raises(ValueError, match="normalised"):
        value_function([0.5, 0.5], [0.5, 0.6], [0.5, 0.5])
    with pytest.raises(ValueError, match="normalised"):
        virtual_training_criterion(stats.norm(0, 1).pdf(X), stats.norm(0, 1).pdf(X), dx=2 * DX)


@pytest.mark.parametrize("dx", [0, -0.1, np.nan, np.inf, "a"])
def test_bad_dx_raises(dx):
    with pytest.raises(ValueError, match="dx"):
        value_function([0.5, 0.5], [0.5, 0.5], [0.5, 0.5], dx=dx)


@pytest.mark.parametrize("d,match", [([1.2, 0.5], r"\[0, 1\]"), ([-0.1, 0.5], r"\[0, 1\]"), ([np.nan, 0.5], "NaN or inf")])
def test_bad_discriminator_output_raises(d, match):
    with pytest.raises(ValueError, match=match):
        value_function(d, [0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match=match):
        value_function_samples(d, [0.5])
    with pytest.raises(ValueError, match=match):
        value_function_samples([0.5], d)


def test_wrong_dimension_raises():
    with pytest.raises(ValueError, match="1-D"):
        optimal_discriminator([[0.5, 0.5]], [[0.5, 0.5]])
    with pytest.raises(ValueError, match="1-D"):
        value_function_samples([], [0.5])
