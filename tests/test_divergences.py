"""Unit tests of ganbook.divergences: against scipy, closed forms, properties and bad input."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.spatial.distance import jensenshannon

from ganbook.divergences import (
    cross_entropy,
    entropy,
    gaussian_entropy,
    gaussian_kl,
    information_content,
    js_divergence,
    kl_divergence,
)

LOG2 = math.log(2.0)
# Results are not clamped into their range (see the module docstring): bounds are checked with
# this rounding tolerance, far below any error a wrong formula would make.
ROUNDING = 1e-12


def _normalise(weights):
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def distributions(n):
    return st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n).filter(lambda w: sum(w) > 1e-3).map(_normalise)


positive_distributions = lambda n: st.lists(st.floats(1e-3, 1.0), min_size=n, max_size=n).map(_normalise)  # noqa: E731
pairs = st.integers(1, 8).flatmap(lambda n: st.tuples(distributions(n), distributions(n)))
triples = st.integers(1, 6).flatmap(lambda n: st.tuples(distributions(n), distributions(n), distributions(n)))


# --- against scipy and closed forms ------------------------------------------------------

def test_information_content_known_values():
    assert information_content(0.5, base=2) == pytest.approx(1.0)
    assert information_content(1 / 8, base=2) == pytest.approx(3.0)
    assert information_content(1.0) == 0.0
    assert information_content(0.0) == math.inf
    np.testing.assert_allclose(information_content([0.5, 0.25]), [math.log(2), math.log(4)])


def test_entropy_matches_scipy():
    rng = np.random.default_rng(0)
    for _ in range(50):
        p = rng.dirichlet(np.ones(rng.integers(1, 10)))
        assert entropy(p) == pytest.approx(stats.entropy(p), abs=1e-12)
        assert entropy(p, base=2) == pytest.approx(stats.entropy(p, base=2), abs=1e-12)


def test_entropy_fair_coin_and_uniform():
    assert entropy([0.5, 0.5], base=2) == pytest.approx(1.0)
    for n in (1, 2, 7, 100):
        assert entropy(np.full(n, 1 / n)) == pytest.approx(math.log(n), abs=1e-12)
    assert entropy([0.0, 1.0, 0.0]) == 0.0


def test_cross_entropy_matches_scipy_decomposition():
    rng = np.random.default_rng(1)
    for _ in range(50):
        p, q = rng.dirichlet(np.ones(5), size=2)
        expected = stats.entropy(p) + stats.entropy(p, q)  # H(p) + KL(p||q)
        assert cross_entropy(p, q) == pytest.approx(expected, abs=1e-12)
    assert cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert cross_entropy([0.0, 1.0], [0.0, 1.0]) == 0.0


def test_kl_matches_scipy_including_inf():
    rng = np.random.default_rng(2)
    for _ in range(50):
        p, q = rng.dirichlet(np.ones(6), size=2)
        assert kl_divergence(p, q) == pytest.approx(stats.entropy(p, q), abs=1e-12)
        assert kl_divergence(p, q, base=2) == pytest.approx(stats.entropy(p, q, base=2), abs=1e-12)
    p, q = [0.5, 0.5], [1.0, 0.0]
    assert kl_divergence(p, q) == math.inf == stats.entropy(p, q)
    assert kl_divergence(q, p) == pytest.approx(stats.entropy(q, p))


def test_kl_is_asymmetric():
    p, q = [0.5, 0.5], [0.9, 0.1]
    assert abs(kl_divergence(p, q) - kl_divergence(q, p)) > 0.1


def test_js_matches_scipy_jensenshannon():
    rng = np.random.default_rng(3)
    for _ in range(50):
        p, q = rng.dirichlet(np.full(4, 0.5), size=2)
        assert js_divergence(p, q) == pytest.approx(jensenshannon(p, q) ** 2, abs=1e-12)
        assert js_divergence(p, q, base=2) == pytest.approx(jensenshannon(p, q, base=2) ** 2, abs=1e-12)


def test_js_disjoint_supports_is_log2():
    assert js_divergence([0.5, 0.5, 0, 0], [0, 0, 0.3, 0.7]) == pytest.approx(LOG2)
    assert js_divergence([1, 0], [0, 1], base=2) == pytest.approx(1.0)
    assert js_divergence([0.5, 0.5, 0], [0, 0.5, 0.5]) < LOG2 - 0.1


@pytest.mark.parametrize("sigma", [0.05, 0.3, 1.0, 4.0])
def test_gaussian_entropy_matches_integration_and_scipy(sigma):
    dist = stats.norm(1.0, sigma)
    numeric, _ = integrate.quad(lambda x: -dist.pdf(x) * dist.logpdf(x), -12 * sigma + 1, 12 * sigma + 1)
    assert gaussian_entropy(sigma) == pytest.approx(numeric, abs=1e-8)
    assert gaussian_entropy(sigma) == pytest.approx(dist.entropy(), abs=1e-12)
    assert gaussian_entropy(sigma, base=2) == pytest.approx(dist.entropy() / LOG2, abs=1e-12)


@pytest.mark.parametrize("mu1,s1,mu2,s2", [(0, 1, 0, 1), (0, 1, 1, 1), (-1, 0.5, 2, 2.0), (3, 2, 0, 0.7)])
def test_gaussian_kl_matches_integration(mu1, s1, mu2, s2):
    p, q = stats.norm(mu1, s1), stats.norm(mu2, s2)
    numeric, _ = integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), mu1 - 15 * s1, mu1 + 15 * s1)
    assert gaussian_kl(mu1, s1, mu2, s2) == pytest.approx(numeric, abs=1e-8)
    assert gaussian_kl(mu1, s1, mu2, s2, base=2) == pytest.approx(numeric / LOG2, abs=1e-8)


def test_gaussian_closed_forms_vectorise():
    np.testing.assert_allclose(gaussian_entropy([1.0, 2.0]), [stats.norm(0, 1).entropy(), stats.norm(0, 2).entropy()])
    np.testing.assert_allclose(gaussian_kl(np.array([0.0, 2.0]), 1, 0, 1), [0.0, 2.0])


# --- properties (hypothesis) -----------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(pairs)
def test_kl_and_cross_entropy_gibbs(pq):
    p, q = pq
    kl = kl_divergence(p, q)
    assert kl == pytest.approx(stats.entropy(p, q), abs=1e-12)  # independent implementation
    assert kl >= -ROUNDING
    assert cross_entropy(p, q) >= entropy(p) - ROUNDING


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 8).flatmap(distributions))
def test_identity_of_indiscernibles(p):
    assert kl_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
    assert js_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
    assert cross_entropy(p, p) == pytest.approx(entropy(p), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 8).flatmap(distributions))
def test_entropy_bounds(p):
    assert -1e-12 <= entropy(p) <= math.log(len(p)) + 1e-12


@settings(max_examples=60, deadline=None)
@given(pairs)
def test_js_symmetric_and_bounded(pq):
    p, q = pq
    assert js_divergence(p, q) == pytest.approx(js_divergence(q, p), abs=1e-12)
    assert js_divergence(p, q) == pytest.approx(jensenshannon(p, q) ** 2, abs=1e-12)
    assert -ROUNDING <= js_divergence(p, q) <= LOG2 + ROUNDING
    assert -ROUNDING <= js_divergence(p, q, base=2) <= 1.0 + ROUNDING


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 8).flatmap(lambda n: st.tuples(positive_distributions(n), positive_distributions(n))))
def test_kl_zero_only_for_equal_distributions(pq):
    p, q = pq
    if np.max(np.abs(p - q)) > 1e-3:
        assert kl_divergence(p, q) > 0
        assert js_divergence(p, q) > 0


@settings(max_examples=60, deadline=None)
@given(triples)
def test_sqrt_js_triangle_inequality(pqr):
    p, q, r = pqr

    def d(a, b):
        jsd = js_divergence(a, b)
        assert jsd >= -ROUNDING
        return math.sqrt(max(jsd, 0.0))  # a rounding residue below 0 has no square root

    assert d(p, r) <= d(p, q) + d(q, r) + 1e-9


# --- no clamping: the computed value comes back, rounding included ---------------------

def _nearly_equal_pairs(rng, count):
    for _ in range(count):
        p = rng.dirichlet(np.ones(rng.integers(2, 8)))
        q = p * (1 + 1e-9 * rng.standard_normal(p.size))
        yield p, q / q.sum()


def test_kl_returns_the_computed_sum_even_below_zero():
    """For q = p up to 1e-9, the exact KL is ~1e-18 and rounding decides the sign of the sum;
    the function must return the sum as computed (a clamp at 0 would hide a sign error)."""
    rng = np.random.default_rng(4)
    values = []
    for p, q in _nearly_equal_pairs(rng, 500):
        kl = kl_divergence(p, q)
        assert kl == float(np.sum(p * (np.log(p) - np.log(q))))
        assert abs(kl) < 1e-14
        values.append(kl)
    assert min(values) < 0, "no rounding below zero seen: the check above tested nothing"
    assert kl_divergence([0.3, 0.7], [0.3, 0.7]) == 0.0


def test_js_returns_the_computed_value_even_outside_its_bounds():
    rng = np.random.default_rng(5)
    above, below = [], []
    for _ in range(500):  # disjoint supports: JSD = log 2 up to rounding
        n, m = rng.integers(1, 6, size=2)
        p = np.concatenate([rng.dirichlet(np.ones(n)), np.zeros(m)])
        q = np.concatenate([np.zeros(n), rng.dirichlet(np.ones(m))])
        jsd = js_divergence(p, q)
        assert abs(jsd - LOG2) < 1e-14
        above.append(jsd - LOG2)
    for p, q in _nearly_equal_pairs(rng, 500):  # nearly equal: JSD = 0 up to rounding
        jsd = js_divergence(p, q)
        assert abs(jsd) < 1e-14
        below.append(jsd)
    assert max(above) > 0 and min(below) < 0, "rounding never left [0, log 2]: nothing tested"


# --- bad input: one test per case ----------------------------------------------------

@pytest.mark.parametrize("func", [entropy, lambda p: kl_divergence(p, [0.5, 0.5]), lambda p: cross_entropy(p, [0.5, 0.5]), lambda p: js_divergence(p, [0.5, 0.5])])
def test_negative_entries_raise(func):
    with pytest.raises(ValueError, match="negative"):
        func([1.5, -0.5])


@pytest.mark.parametrize("bad", [[np.nan, 1.0], [np.inf, 0.0]])
@pytest.mark.parametrize("func", [entropy, lambda p: kl_divergence([0.5, 0.5], p), lambda p: cross_entropy([0.5, 0.5], p), lambda p: js_divergence([0.5, 0.5], p)])
def test_nan_or_inf_raise(func, bad):
    with pytest.raises(ValueError, match="NaN or inf"):
        func(bad)


@pytest.mark.parametrize("func", [kl_divergence, cross_entropy, js_divergence])
def test_shape_mismatch_raises(func):
    with pytest.raises(ValueError, match="same shape"):
        func([0.5, 0.5], [0.2, 0.3, 0.5])


@pytest.mark.parametrize("func", [entropy, lambda p: kl_divergence(p, [0.5, 0.5]), lambda p: cross_entropy([0.5, 0.5], p), lambda p: js_divergence([0.5, 0.5], p)])
def test_not_summing_to_one_raises(func):
    with pytest.raises(ValueError, match="sum to 1"):
        func([0.5, 0.6])


def test_sum_tolerance_is_1e_6():
    entropy([0.5, 0.5 + 5e-7])  # within tolerance: accepted
    with pytest.raises(ValueError, match="sum to 1"):
        entropy([0.5, 0.5 + 5e-6])


@pytest.mark.parametrize("bad", [[], [[0.5, 0.5]], 1.0])
def test_wrong_dimension_raises(bad):
    with pytest.raises(ValueError, match="1-D"):
        entropy(bad)


@pytest.mark.parametrize("base", [0, -2, 1, np.nan, np.inf, "two"])
def test_bad_base_raises(base):
    with pytest.raises(ValueError, match="base"):
        entropy([0.5, 0.5], base=base)


@pytest.mark.parametrize("prob,match", [(-0.1, r"\[0, 1\]"), (1.5, r"\[0, 1\]"), (np.nan, "NaN or inf")])
def test_information_content_bad_input(prob, match):
    with pytest.raises(ValueError, match=match):
        information_content(prob)


@pytest.mark.parametrize("sigma", [0.0, -1.0, np.nan, np.inf])
def test_gaussian_entropy_bad_sigma(sigma):
    with pytest.raises(ValueError, match="sigma"):
        gaussian_entropy(sigma)


@pytest.mark.parametrize("args,match", [((0, 0, 0, 1), "s1"), ((0, 1, 0, -1), "s2"), ((np.nan, 1, 0, 1), "mu1"), ((0, 1, np.inf, 1), "mu2")])
def test_gaussian_kl_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        gaussian_kl(*args)
