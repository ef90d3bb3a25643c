"""Entropy, cross-entropy, KL and Jensen–Shannon divergences, and Gaussian closed forms.

Conventions used throughout the book
------------------------------------
* Discrete distributions are 1-D array-likes of probabilities: finite, non-negative and
  summing to 1 within ``1e-6``.  Nothing is renormalised silently: a vector that does not sum
  to 1 is a bug in the caller, so it raises :class:`ValueError` with a message naming the
  problem.
* Every function takes ``base=None`` (natural logarithm, results in **nats**) or a positive
  ``base`` different from 1 (``base=2`` gives **bits**).
* ``0 * log 0 = 0`` (an outcome of probability zero contributes nothing), and
  ``p * log(p / 0) = +inf`` for ``p > 0``: :func:`kl_divergence` and :func:`cross_entropy`
  return ``inf`` when ``q`` is 0 where ``p`` is positive, like :func:`scipy.stats.entropy`
  and :func:`scipy.special.rel_entr`.
* Results are returned as computed, never clamped into their mathematical range, so
  rounding can put them a few multiples of ``1e-16`` outside it: ``kl_divergence([0.3, 0.7],
  [0.3 + 1e-12, 0.7 - 1e-12])`` is about ``-3e-17`` (the exact value is about ``+2e-24``), and
  ``js_divergence([0.1, 0.9, 0, 0], [0, 0, 0.6, 0.4])`` exceeds ``log 2`` by about ``1e-16``.
  Checks of the bounds (Gibbs' inequality, ``0 <= JSD <= log 2``) therefore allow an explicit
  rounding tolerance, and a wrong formula cannot hide behind a clamp.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "information_content",
    "entropy",
    "cross_entropy",
    "kl_divergence",
    "js_divergence",
    "gaussian_entropy",
    "gaussian_kl",
]

#: Largest allowed deviation of ``sum(p)`` from 1.
SUM_TOLERANCE = 1e-6


def _log_base(base) -> float:
    """The natural log of ``base`` (1.0 for ``base=None``), after validating it."""
    if base is None:
        return 1.0
    try:
        b = float(base)
    except (TypeError, ValueError):
        raise ValueError(f"base must be None or a positive number other than 1, got {base!r}") from None
    if not math.isfinite(b) or b <= 0 or b == 1:
        raise ValueError(f"base must be None or a positive number other than 1, got {base!r}")
    return math.log(b)


def nonnegative_vector(p, name: str, kind: str = "probabilities") -> np.ndarray:
    """``p`` as a float array after checking it is 1-D, non-empty, finite and >= 0 (``kind``
    names the entries in error messages: probabilities, densities, ...)."""
    arr = np.asarray(p, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of {kind}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    if np.any(arr < 0):
        raise ValueError(f"{name} has negative entries (min {arr.min():.3g}); {kind} must be >= 0")
    return arr


def _as_distribution(p, name: str) -> np.ndarray:
    """Validate a discrete probability distribution and return it as a float array."""
    arr = nonnegative_vector(p, name)
    total = float(arr.sum())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ValueError(
            f"{name} must sum to 1 (within {SUM_TOLERANCE:g}) but sums to {total:.9g}; "
            "normalise it explicitly before calling"
        )
    return arr


def _as_pair(p, q) -> tuple[np.ndarray, np.ndarray]:
    p_arr = _as_distribution(p, "p")
    q_arr = _as_distribution(q, "q")
    if p_arr.shape != q_arr.shape:
        raise ValueError(f"p and q must have the same shape, got {p_arr.shape} and {q_arr.shape}")
    return p_arr, q_arr


def information_content(prob, base=None):
    """Self-information ``-log p`` of an outcome of probability ``prob`` (in nats, or in ``base``).

    ``prob`` is a number or array in ``[0, 1]``; an impossible outcome (``prob == 0``) carries
    infinite information.
    """
    scale = _log_base(base)
    arr = np.asarray(prob, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError("prob contains NaN or inf")
    if np.any((arr < 0) | (arr > 1)):
        raise ValueError("prob must lie in [0, 1]")
    with np.errstate(divide="ignore"):
        out = -np.log(arr) / scale
    return out[()] if out.ndim == 0 else out


def entropy(p, base=None) -> float:
    """Shannon entropy ``H(p) = -sum_i p_i log p_i`` of a discrete distribution."""
    scale = _log_base(base)
    p = _as_distribution(p, "p")
    nz = p > 0
    return float(-np.sum(p[nz] * np.log(p[nz])) / scale)


def cross_entropy(p, q, base=None) -> float:
    """Cross-entropy ``H(p, q) = -sum_i p_i log q_i``; ``inf`` if some ``q_i = 0 < p_i``."""
    scale = _log_base(base)
    p, q = _as_pair(p, q)
    nz = p > 0
    if np.any(q[nz] == 0):
        return math.inf
    return float(-np.sum(p[nz] * np.log(q[nz])) / scale)


def kl_divergence(p, q, base=None) -> float:
    """Kullback–Leibler divergence ``KL(p || q) = sum_i p_i log(p_i / q_i)``.

    Returns ``inf`` where some ``q_i = 0 < p_i`` (the convention of :func:`scipy.stats.entropy`).
    Not symmetric: ``kl_divergence(p, q) != kl_divergence(q, p)`` in general.
    """
    scale = _log_base(base)
    p, q = _as_pair(p, q)
    nz = p > 0
    if np.any(q[nz] == 0):
        return math.inf
    # Not clamped at 0: Gibbs' inequality (KL >= 0) holds for the exact value; rounding may
    # leave the computed sum a few multiples of 1e-16 below 0 (see the module docstring).
    return float(np.sum(p[nz] * (np.log(p[nz]) - np.log(q[nz]))) / scale)


def js_divergence(p, q, base=None) -> float:
    """Jensen–Shannon divergence ``JSD(p || q) = KL(p || m)/2 + KL(q || m)/2`` with ``m = (p + q)/2``.

    Symmetric, always finite, and between 0 and ``log 2`` (1 bit with ``base=2``); it equals
    ``scipy.spatial.distance.jensenshannon(p, q, base) ** 2``.  The computed value is returned
    as it is, not clipped to that interval, so rounding can put it about 1e-16 outside it.
    """
    scale = _log_base(base)
    p, q = _as_pair(p, q)
    m = 0.5 * (p + q)

    def _kl_to_m(a: np.ndarray) -> float:
        # Where a > 0, m >= a/2 > 0 in exact arithmetic; in floating point, half of the
        # smallest subnormal number rounds to 0. Such an entry's term, at most a * log 2, is
        # itself below the smallest positive float, so it is left out rather than made inf.
        nz = (a > 0) & (m > 0)
        return float(np.sum(a[nz] * (np.log(a[nz]) - np.log(m[nz]))))

    return (0.5 * _kl_to_m(p) + 0.5 * _kl_to_m(q)) / scale


def _check_sigma(sigma, name: str) -> np.ndarray:
    arr = np.asarray(sigma, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0 (a standard deviation), got {sigma!r}")
    return arr


def _check_mu(mu, name: str) -> np.ndarray:
    arr = np.asarray(mu, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def gaussian_entropy(sigma, base=None):
    """Differential entropy of ``N(mu, sigma^2)``: ``0.5 * log(2 pi e sigma^2)`` (any ``mu``).

    Unlike discrete entropy it can be negative (for ``sigma < 1/sqrt(2 pi e)``).
    """
    scale = _log_base(base)
    s = _check_sigma(sigma, "sigma")
    out = 0.5 * np.log(2 * np.pi * np.e * s**2) / scale
    return out[()] if out.ndim == 0 else out


def gaussian_kl(mu1, s1, mu2, s2, base=None):
    """``KL(N(mu1, s1^2) || N(mu2, s2^2)) = log(s2/s1) + (s1^2 + (mu1 - mu2)^2) / (2 s2^2) - 1/2``."""
    scale = _log_base(base)
    m1, m2 = _check_mu(mu1, "mu1"), _check_mu(mu2, "mu2")
    a, b = _check_sigma(s1, "s1"), _check_sigma(s2, "s2")
    out = (np.log(b / a) + (a**2 + (m1 - m2) ** 2) / (2 * b**2) - 0.5) / scale
    return out[()] if out.ndim == 0 else out
