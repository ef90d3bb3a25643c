"""The bilinear game V(x, y) = x y: the smallest game on which gradient play fails.

Player x minimises V, player y maximises it; the only equilibrium is (0, 0). Goodfellow's
NIPS 2016 tutorial uses it to show that gradient descent on a game need not
converge. With step size ``lr`` (eta):

* **simultaneous** steps, ``x' = x - eta y`` and ``y' = y + eta x``, multiply the distance
  to the equilibrium by exactly ``sqrt(1 + eta^2)`` at every step: the players spiral out;
* **alternating** steps, where y answers the x just played (``y' = y + eta x'``), keep
  ``x^2 - eta x y + y^2`` constant (:func:`alternating_invariant`): for ``eta < 2`` the players
  circle the equilibrium on an ellipse for ever, never reaching it.

Chapter 8 plays both and checks these facts; :func:`play_bilinear` is the closed form of the
gradients ``dV/dx = y`` and ``dV/dy = x``.
"""

from __future__ import annotations

import numpy as np

from .checks import finite_float, non_negative_int, one_of, positive_float

MODES = ("simultaneous", "alternating")


def bilinear_value(x, y) -> np.ndarray:
    """V(x, y) = x y (elementwise)."""
    return np.asarray(x, dtype=np.float64) * np.asarray(y, dtype=np.float64)


def play_bilinear(x0: float, y0: float, lr: float, steps: int,
                  mode: str = "simultaneous") -> np.ndarray:
    """``steps`` gradient steps of the bilinear game from ``(x0, y0)``, in float64.

    x descends ``dV/dx = y``, y ascends ``dV/dy = x``, both with step size ``lr``.
    ``mode="simultaneous"``: both use the current point; ``mode="alternating"``: x moves
    first and y answers the new x. Returns the ``(steps + 1, 2)`` array of points, the start
    included.
    """
    x, y = finite_float("x0", x0), finite_float("y0", y0)
    lr, steps = positive_float("lr", lr), non_negative_int("steps", steps)
    mode = one_of("mode", mode, MODES)
    path = np.empty((steps + 1, 2))
    path[0] = x, y
    for t in range(1, steps + 1):
        if mode == "simultaneous":
            x, y = x - lr * y, y + lr * x
        else:
            x = x - lr * y
            y = y + lr * x
        path[t] = x, y
    return path


def alternating_invariant(path, lr: float) -> np.ndarray:
    """``x^2 - lr x y + y^2`` at each point of a ``(n, 2)`` path: constant along alternating
    play with step size ``lr`` (it is a quadratic form the alternating step preserves)."""
    lr = positive_float("lr", lr)
    p = np.asarray(path, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2 or len(p) == 0:
        raise ValueError(f"path must have shape (n, 2), got {p.shape}")
    return p[:, 0] ** 2 - lr * p[:, 0] * p[:, 1] + p[:, 1] ** 2
