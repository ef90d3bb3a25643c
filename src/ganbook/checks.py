"""Argument checks shared by the package.

Each check takes the argument's name and value, returns the value converted to its plain
Python type, or raises :class:`ValueError` with a message that names the argument.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch


def positive_int(name: str, value) -> int:
    """``value`` as an ``int`` >= 1 (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def non_negative_int(name: str, value) -> int:
    """``value`` as an ``int`` >= 0 (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def finite_float(name: str, value) -> float:
    """``value`` as a finite ``float``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number, got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


def positive_float(name: str, value) -> float:
    """``value`` as a finite ``float`` > 0."""
    number = finite_float(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return number


def fraction(name: str, value) -> float:
    """``value`` as a ``float`` in ``[0, 1)``."""
    number = finite_float(name, value)
    if not 0.0 <= number < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return number


def one_of(name: str, value, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def widths(name: str, values) -> tuple[int, ...]:
    """A non-empty sequence of positive layer widths, as a tuple of ints."""
    try:
        items = tuple(values)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of positive widths, got {values!r}") from None
    if not items:
        raise ValueError(f"{name} must hold at least one width, got {values!r}")
    return tuple(positive_int(f"each width of {name}", w) for w in items)


def as_matrix(x, name: str = "x", *, min_rows: int = 1, unit_range: bool = True,
              dim: int | None = None) -> torch.Tensor:
    """``x`` (NumPy array or tensor, shape ``(n, d)`` or ``(n, h, w)``) as a float64 tensor
    ``(n, d)``, after checking its shape and that it is finite; with ``unit_range`` every
    value must lie in ``[0, 1]``; ``dim`` fixes ``d``."""
    if isinstance(x, torch.Tensor):
        t = x.detach().to("cpu", torch.float64)
    else:
        try:
            t = torch.from_numpy(np.asarray(x, dtype=np.float64))
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name} must be a numeric array, got {type(x).__name__}") from err
    if t.ndim not in (2, 3):
        raise ValueError(f"{name} must have shape (n, d) or (n, height, width), "
                         f"got shape {tuple(t.shape)}")
    t = t.reshape(t.shape[0], int(np.prod(t.shape[1:])))
    if t.shape[1] == 0:
        raise ValueError(f"{name} has zero features per row (shape {tuple(t.shape)})")
    if dim is not None and t.shape[1] != dim:
        raise ValueError(f"{name} must have {dim} values per row, got {t.shape[1]}")
    if t.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} rows, got {t.shape[0]}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if unit_range and t.numel() and (t.min() < 0 or t.max() > 1):
        raise ValueError(f"{name} must hold pixel values in [0, 1], got values in "
                         f"[{t.min().item():.4g}, {t.max().item():.4g}]")
    return t
