"""The GAN value function, the optimal discriminator and the virtual training criterion C(G).

Goodfellow et al. (2014) define the two-player game

    V(D, G) = E_{x ~ p_data}[log D(x)] + E_{z ~ p_z}[log(1 - D(G(z)))]
            = E_{x ~ p_data}[log D(x)] + E_{x ~ p_g}[log(1 - D(x))].

This module evaluates V in two settings:

* **densities** (:func:`value_function`): ``p_data`` and ``p_g`` are probabilities of a discrete
  distribution (``dx=1``) or density values on an evenly spaced grid of step ``dx``; the
  expectations become sums ``sum(p * f) * dx``.  The weights must be normalised:
  ``sum(p) * dx`` must equal 1 within ``1e-6`` (nothing is renormalised silently);
* **samples** (:func:`value_function_samples`): the discriminator outputs ``D(x)`` on a batch of
  real samples and ``D(G(z))`` on a batch of generated ones; the expectations become means.

Natural logarithms throughout (nats), like the paper: the minimum of C(G) is ``-log 4``.
"""

from __future__ import annotations

import math

import numpy as np

from .divergences import nonnegative_vector

__all__ = [
    "optimal_discriminator",
    "value_function",
    "value_function_samples",
    "virtual_training_criterion",
]

#: Largest allowed deviation of ``sum(p) * dx`` from 1.
SUM_TOLERANCE = 1e-6


def _as_pair(p_data, p_g) -> tuple[np.ndarray, np.ndarray]:
    a = nonnegative_vector(p_data, "p_data", "densities")
    b = nonnegative_vector(p_g, "p_g", "densities")
    if a.shape != b.shape:
        raise ValueError(f"p_data and p_g must have the same shape, got {a.shape} and {b.shape}")
    return a, b


def _check_dx(dx) -> float:
    try:
        step = float(dx)
    except (TypeError, ValueError):
        raise ValueError(f"dx must be a positive number, got {dx!r}") from None
    if not math.isfinite(step) or step <= 0:
        raise ValueError(f"dx must be a positive finite number, got {dx!r}")
    return step


def _check_normalised(p: np.ndarray, dx: float, name: str) -> None:
    total = float(p.sum()) * dx
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ValueError(
            f"{name} must be normalised: sum({name}) * dx must be 1 (within {SUM_TOLERANCE:g}) "
            f"but is {total:.9g}; widen the grid or normalise explicitly"
        )


def _as_probabilities(d, name: str) -> np.ndarray:
    arr = np.asarray(d, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    if np.any((arr < 0) | (arr > 1)):
        raise ValueError(f"{name} must lie in [0, 1] (discriminator outputs are probabilities)")
    return arr


def optimal_discriminator(p_data, p_g) -> np.ndarray:
    """The optimal discriminator ``D*(x) = p_data(x) / (p_data(x) + p_g(x))``.

    ``p_data`` and ``p_g`` are non-negative density (or probability) values at the same
    points; they need not be normalised, since the formula is pointwise. Where both are
    0, every value of D is equally good (the point does not enter V); 1/2 is returned
    there.
    """
    a, b = _as_pair(p_data, p_g)
    total = a + b
    out = np.full_like(a, 0.5)
    np.divide(a, total, out=out, where=total > 0)
    return out


def _expect_log(weights: np.ndarray, values: np.ndarray) -> float:
    """``sum(weights * log(values))`` with ``0 * log 0 = 0`` and ``-inf`` if ``log 0`` has weight."""
    nz = weights > 0
    if np.any(values[nz] == 0):
        return -math.inf
    return float(np.sum(weights[nz] * np.log(values[nz])))


def value_function(d, p_data, p_g, dx=1.0) -> float:
    """``V(D, G) = sum(p_data * log D + p_g * log(1 - D)) * dx`` for densities on a grid.

    ``d``: discriminator outputs in [0, 1] at the grid points; ``p_data``, ``p_g``: normalised
    probabilities (``dx=1``) or density values on an evenly spaced grid with step ``dx``.
    Returns ``-inf`` if D is 0 where ``p_data > 0`` or 1 where ``p_g > 0``.
    """
    step = _check_dx(dx)
    a, b = _as_pair(p_data, p_g)
    d_arr = _as_probabilities(d, "d")
    if d_arr.shape != a.shape:
        raise ValueError(f"d must have the same shape as p_data and p_g, got {d_arr.shape} and {a.shape}")
    _check_normalised(a, step, "p_data")
    _check_normalised(b, step, "p_g")
    return (_expect_log(a, d_arr) + _expect_log(b, 1.0 - d_arr)) * step


def value_function_samples(d_real, d_fake) -> float:
    """Monte-Carlo estimate of V: ``mean(log d_real) + mean(log(1 - d_fake))``.

    ``d_real``: outputs D(x) on real samples; ``d_fake``: outputs D(G(z)) on generated samples
    (the two batches may have different sizes).  Values must lie in [0, 1].
    """
    real = _as_probabilities(d_real, "d_real")
    fake = _as_probabilities(d_fake, "d_fake")
    with np.errstate(divide="ignore"):
        return float(np.mean(np.log(real)) + np.mean(np.log1p(-fake)))


def virtual_training_criterion(p_data, p_g, dx=1.0) -> float:
    """``C(G) = max_D V(D, G) = V(D*, G)``, the criterion the generator minimises.

    Equal to ``-log 4 + 2 * JSD(p_data || p_g)``; its global minimum ``-log 4`` is reached
    exactly at ``p_g = p_data``.  Inputs as in :func:`value_function`.  Computed as
    ``V(D*, G)`` in a form that stays finite where one density underflows to tiny values.
    """
    step = _check_dx(dx)
    a, b = _as_pair(p_data, p_g)
    _check_normalised(a, step, "p_data")
    _check_normalised(b, step, "p_g")
    # V(D*, G) written with logarithms of ratios, log D* = log(a / (a + b)) and
    # log(1 - D*) = log(b / (a + b)), so that 1 - D* never rounds to 0 where p_g is tiny.
    total = a + b
    value = 0.0
    for w in (a, b):
        nz = w > 0  # there total >= w > 0
        value += float(np.sum(w[nz] * (np.log(w[nz]) - np.log(total[nz]))))
    return value * step
