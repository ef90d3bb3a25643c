"""Measuring generative models: Parzen windows, Fréchet distance, class statistics,
memorisation, sharpness.

Every function here is batched and vectorised (``torch.cdist`` + ``torch.logsumexp`` over
chunks; no Python loop over samples) and validates its input, raising ``ValueError`` with a
clear message for wrong shapes, values outside ``[0, 1]`` where pixels are expected, non-finite
values or too few samples.

Conventions: images are float arrays (NumPy or torch) of shape ``(n, 28, 28)`` or already
flattened ``(n, d)``, pixels in ``[0, 1]``.  Results are NumPy ``float64``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .checks import as_matrix, positive_int

__all__ = [
    "parzen_log_likelihood",
    "ParzenResult",
    "parzen_estimate",
    "mean_and_sem",
    "kmeans",
    "class_means",
    "gaussian_stats",
    "frechet_distance",
    "frechet_distance_from_features",
    "kl_to_uniform",
    "prediction_summary",
    "nearest_neighbour_distances",
    "laplacian_variance",
    "gradient_magnitude",
]


# ---------------------------------------------------------------------------- Parzen window


def _sigma_array(sigma) -> np.ndarray:
    sig = np.atleast_1d(np.asarray(sigma, dtype=np.float64))
    if sig.ndim != 1 or sig.size == 0:
        raise ValueError(f"sigma must be a positive number or a 1-D list of them, got {sigma!r}")
    if not np.all(np.isfinite(sig)) or np.any(sig <= 0):
        raise ValueError(f"sigma must be positive and finite, got {sigma!r}")
    return sig


def parzen_log_likelihood(
    samples, x, sigma, *, batch_size: int = 256, unit_range: bool = True
) -> np.ndarray:
    r"""Log-density of each row of ``x`` under a Gaussian Parzen window on ``samples``.

    .. math:: \log \hat p_\sigma(x) = \log \frac{1}{n}\sum_{i=1}^n
              \mathcal N(x;\, s_i,\, \sigma^2 I)

    ``sigma`` may be one bandwidth (returns shape ``(m,)``) or a 1-D grid of them (returns
    ``(len(sigma), m)``); the squared distances are computed once per chunk of ``x`` and reused
    for every bandwidth.  Values are in nats.
    """
    s = as_matrix(samples, "samples", min_rows=1, unit_range=unit_range)
    q = as_matrix(x, "x", min_rows=1, unit_range=unit_range, dim=s.shape[1])
    sig = _sigma_array(sigma)
    batch_size = positive_int("batch_size", batch_size)
    n, d = s.shape
    sig_t = torch.from_numpy(sig)[:, None, None]  # (k, 1, 1)
    # log N normaliser: -d/2 log(2 pi sigma^2), and the 1/n of the mixture.
    const = -0.5 * d * torch.log(2 * torch.pi * sig_t[:, :, 0] ** 2) - np.log(n)  # (k, 1)
    out = []
    for start in range(0, q.shape[0], batch_size):
        chunk = q[start : start + batch_size]
        sq = torch.cdist(chunk, s, compute_mode="use_mm_for_euclid_dist").pow(2)  # (b, n)
        log_k = torch.logsumexp(-sq[None] / (2 * sig_t**2), dim=2)  # (k, b)
        out.append(log_k + const)
    result = torch.cat(out, dim=1).numpy()
    return result[0] if np.ndim(sigma) == 0 else result


def mean_and_sem(values) -> tuple[float, float]:
    """Mean and standard error of the mean (``std(ddof=1) / sqrt(n)``) of a 1-D array."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size < 2:
        raise ValueError(f"need a 1-D array of at least 2 values, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError("values contain NaN or infinite entries")
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size))


@dataclass
class ParzenResult:
    """Outcome of :func:`parzen_estimate`: the chosen bandwidth and the held-out score."""

    sigma: float
    mean: float
    sem: float
    sigmas: np.ndarray = field(repr=False)
    validation_means: np.ndarray = field(repr=False)
    test_values: np.ndarray = field(repr=False)


def parzen_estimate(
    samples, validation, test, sigmas=None, *, batch_size: int = 256, min_samples: int = 2
) -> ParzenResult:
    """The protocol of Goodfellow et al. (2014), Table 1.

    Fit a Gaussian Parzen window on ``samples``, pick the bandwidth of ``sigmas`` that gives
    the highest mean log-likelihood on ``validation``, and report the mean log-likelihood and
    its standard error on ``test`` (which must be disjoint from ``validation``).
    """
    s = as_matrix(samples, "samples", min_rows=min_samples)
    v = as_matrix(validation, "validation", min_rows=2, dim=s.shape[1])
    t = as_matrix(test, "test", min_rows=2, dim=s.shape[1])
    sig = _sigma_array(np.logspace(-1.3, -0.3, 11) if sigmas is None else sigmas)
    val_means = parzen_log_likelihood(s, v, sig, batch_size=batch_size).mean(axis=1)
    best = float(sig[int(np.argmax(val_means))])
    test_values = parzen_log_likelihood(s, t, best, batch_size=batch_size)
    mean, sem = mean_and_sem(test_values)
    return ParzenResult(best, mean, sem, sig, val_means, test_values)


# ------------------------------------------------------------------- baselines for the table


def class_means(images, labels) -> np.ndarray:
    """The mean image of each class, shape ``(n_classes, d)``, classes in sorted order."""
    x = as_matrix(images, "images")
    y = np.asarray(labels)
    if y.shape != (x.shape[0],):
        raise ValueError(f"labels must have shape ({x.shape[0]},), got {y.shape}")
    classes = np.unique(y)
    onehot = torch.from_numpy((y[:, None] == classes[None, :]).astype(np.float64))
    return ((onehot.T @ x) / onehot.sum(0)[:, None]).numpy()


def kmeans(x, k: int, *, iterations: int = 20, seed: int = 0, batch_size: int = 2048) -> np.ndarray:
    """Lloyd's k-means: centres start at ``k`` distinct random rows of ``x`` (seeded); a cluster
    that becomes empty keeps its previous centre.  Returns the ``(k, d)`` centroids."""
    data = as_matrix(x, "x", unit_range=False).float()  # float32: twice as fast, precise enough
    k = positive_int("k", k)
    iterations = positive_int("iterations", iterations)
    if k > data.shape[0]:
        raise ValueError(f"k={k} exceeds the number of rows ({data.shape[0]})")
    gen = torch.Generator().manual_seed(seed)
    centres = data[torch.randperm(data.shape[0], generator=gen)[:k]].clone()
    for _ in range(iterations):
        assign = torch.cat(
            [
                torch.cdist(data[i : i + batch_size], centres).argmin(dim=1)
                for i in range(0, data.shape[0], batch_size)
            ]
        )
        sums = torch.zeros_like(centres).index_add_(0, assign, data)
        counts = torch.bincount(assign, minlength=k).to(data.dtype)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, None]
    return centres.double().numpy()


# --------------------------------------------------------------------- Fréchet distance


def gaussian_stats(features, min_rows: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Mean vector and (unbiased) covariance matrix of the rows of ``features``."""
    f = as_matrix(features, "features", min_rows=min_rows, unit_range=False).numpy()
    return f.mean(axis=0), np.atleast_2d(np.cov(f, rowvar=False))


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((matrix + matrix.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    r"""Squared Fréchet (2-Wasserstein) distance between two Gaussians.

    .. math:: \lVert\mu_1-\mu_2\rVert^2 + \operatorname{tr}\bigl(\Sigma_1+\Sigma_2
              - 2(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2})^{1/2}\bigr)

    Computed with symmetric eigendecompositions, so it is real and stable even for singular
    covariances.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, float)), np.atleast_1d(np.asarray(mu2, float))
    cov1, cov2 = np.atleast_2d(np.asarray(cov1, float)), np.atleast_2d(np.asarray(cov2, float))
    d = mu1.shape[0]
    if mu1.ndim != 1 or mu2.shape != (d,):
        raise ValueError(f"means must be 1-D of equal length, got {mu1.shape} and {mu2.shape}")
    if cov1.shape != (d, d) or cov2.shape != (d, d):
        raise ValueError(
            f"covariances must have shape ({d}, {d}), got {cov1.shape} and {cov2.shape}"
        )
    for name, a in (("mu1", mu1), ("mu2", mu2), ("cov1", cov1), ("cov2", cov2)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or infinite values")
    s1 = _sqrt_psd(cov1)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(s1 @ cov2 @ s1), 0, None)).sum()
    value = np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2 * cross
    return float(max(value, 0.0))


def frechet_distance_from_features(features1, features2, min_rows: int = 2) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature vectors (FID recipe)."""
    f1 = as_matrix(features1, "features1", min_rows=min_rows, unit_range=False)
    f2 = as_matrix(features2, "features2", min_rows=min_rows, unit_range=False, dim=f1.shape[1])
    return frechet_distance(*gaussian_stats(f1), *gaussian_stats(f2))


# ----------------------------------------------------------------- classifier-based scores


def kl_to_uniform(histogram) -> float:
    """KL(p || uniform) in nats for a histogram (counts or probabilities) over K classes.

    Equals ``log K - H(p)``: 0 when every class is equally frequent, ``log K`` when all mass
    sits on one class.
    """
    h = np.asarray(histogram, dtype=np.float64)
    if h.ndim != 1 or h.size < 2:
        raise ValueError(f"histogram must be 1-D with at least 2 classes, got shape {h.shape}")
    if not np.all(np.isfinite(h)) or np.any(h < 0) or h.sum() <= 0:
        raise ValueError("histogram must hold non-negative finite counts with a positive sum")
    p = h / h.sum()
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] * h.size)))


def prediction_summary(probabilities, min_rows: int = 1) -> dict:
    """Class histogram (argmax counts), its KL to uniform and the mean top-class confidence.

    ``probabilities`` has shape ``(n, K)`` with rows summing to 1 (a classifier's softmax).
    """
    p = as_matrix(probabilities, "probabilities", min_rows=min_rows)
    if p.shape[1] < 2:
        raise ValueError("probabilities need at least 2 classes")
    if not torch.allclose(p.sum(1), torch.ones(p.shape[0], dtype=p.dtype), atol=1e-4):
        raise ValueError("each row of probabilities must sum to 1")
    counts = np.bincount(p.argmax(1).numpy(), minlength=p.shape[1])
    return {
        "histogram": counts,
        "kl_to_uniform": kl_to_uniform(counts),
        "mean_confidence": float(p.max(1).values.mean()),
    }


# ------------------------------------------------------------------------- memorisation


def nearest_neighbour_distances(
    queries, reference, *, batch_size: int = 512, unit_range: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distance from each query row to its nearest row of ``reference``, and its index."""
    r = as_matrix(reference, "reference", unit_range=unit_range)
    q = as_matrix(queries, "queries", unit_range=unit_range, dim=r.shape[1])
    batch_size = positive_int("batch_size", batch_size)
    dists, idx = [], []
    for start in range(0, q.shape[0], batch_size):
        best = torch.cdist(q[start : start + batch_size], r).min(dim=1)
        dists.append(best.values)
        idx.append(best.indices)
    return torch.cat(dists).numpy(), torch.cat(idx).numpy()


# ----------------------------------------------------------------------------- sharpness


def _images(x, name: str) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        shape = tuple(x.shape)
    else:
        shape = np.shape(x)
    if len(shape) != 3 or shape[1] < 3 or shape[2] < 3:
        raise ValueError(f"{name} must have shape (n, height, width) with sides >= 3, got {shape}")
    flat = as_matrix(x, name)
    return flat.reshape(shape)


def laplacian_variance(images) -> np.ndarray:
    """Per-image variance of the 4-neighbour discrete Laplacian (interior pixels): a blur score.

    Sharp edges give large second differences, so blurrier images score lower.
    """
    x = _images(images, "images")
    lap = (
        x[:, :-2, 1:-1] + x[:, 2:, 1:-1] + x[:, 1:-1, :-2] + x[:, 1:-1, 2:] - 4 * x[:, 1:-1, 1:-1]
    )
    return lap.reshape(lap.shape[0], -1).var(dim=1).numpy()


def gradient_magnitude(images) -> np.ndarray:
    """Per-image mean magnitude of the central-difference gradient (interior pixels)."""
    x = _images(images, "images")
    gy = (x[:, 2:, 1:-1] - x[:, :-2, 1:-1]) / 2
    gx = (x[:, 1:-1, 2:] - x[:, 1:-1, :-2]) / 2
    return torch.sqrt(gx**2 + gy**2).reshape(x.shape[0], -1).mean(dim=1).numpy()
