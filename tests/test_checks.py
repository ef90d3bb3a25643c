"""The argument checks of ganbook.checks: what they accept, convert and reject."""

import math

import numpy as np
import pytest
import torch

from ganbook import checks


def test_integers_are_converted_to_plain_int():
    value = checks.positive_int("steps", np.int64(3))
    assert value == 3 and type(value) is int
    assert checks.non_negative_int("seed", 0) == 0
    assert type(checks.non_negative_int("seed", np.int32(5))) is int


@pytest.mark.parametrize("value", [0, -1, 2.0, 2.5, True, "3", None])
def test_positive_int_rejects(value):
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        checks.positive_int("steps", value)


@pytest.mark.parametrize("value", [-1, 1.0, False, None])
def test_non_negative_int_rejects(value):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        checks.non_negative_int("seed", value)


def test_numbers_are_converted_to_float():
    assert checks.finite_float("mean", np.float32(0.5)) == 0.5
    assert type(checks.finite_float("mean", 2)) is float
    assert checks.finite_float("mean", torch.tensor(-1.5)) == -1.5
    assert checks.positive_float("lr", 1e-3) == 1e-3
    assert checks.fraction("dropout", 0) == 0.0 and checks.fraction("dropout", 0.999) == 0.999


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "x", None, True, [1.0]])
def test_finite_float_rejects(value):
    with pytest.raises(ValueError, match="mean must be a finite number"):
        checks.finite_float("mean", value)


@pytest.mark.parametrize("check, value, match", [
    (checks.positive_float, 0.0, "lr must be a positive number"),
    (checks.positive_float, -1e-3, "lr must be a positive number"),
    (checks.positive_float, math.inf, "lr must be a finite number"),
    (checks.fraction, 1.0, r"lr must be in \[0, 1\)"),
    (checks.fraction, -0.1, r"lr must be in \[0, 1\)"),
    (checks.fraction, math.nan, "lr must be a finite number"),
])
def test_float_checks_reject(check, value, match):
    with pytest.raises(ValueError, match=match):
        check("lr", value)


def test_one_of():
    assert checks.one_of("kind", "normal", ("uniform", "normal")) == "normal"
    with pytest.raises(ValueError, match="kind must be one of 'uniform', 'normal', got 'cauchy'"):
        checks.one_of("kind", "cauchy", ("uniform", "normal"))


def test_widths():
    assert checks.widths("hidden", [8, np.int64(4)]) == (8, 4)
    assert checks.widths("hidden", (3,)) == (3,)
    with pytest.raises(ValueError, match="at least one width"):
        checks.widths("hidden", ())
    with pytest.raises(ValueError, match="sequence of positive widths"):
        checks.widths("hidden", 8)
    with pytest.raises(ValueError, match="each width of hidden"):
        checks.widths("hidden", (8, 0))


def test_as_matrix_flattens_and_converts():
    x = checks.as_matrix(np.full((2, 3, 4), 0.5, dtype=np.float32))
    assert x.shape == (2, 12) and x.dtype == torch.float64
    t = checks.as_matrix(torch.tensor([[-2.0, 3.0]]), unit_range=False, dim=2)
    assert t.dtype == torch.float64 and t.tolist() == [[-2.0, 3.0]]


@pytest.mark.parametrize("x, kwargs, match", [
    (np.zeros(4), {}, r"x must have shape \(n, d\)"),
    (np.zeros((2, 0)), {}, "zero features"),
    (np.zeros((2, 3)), dict(dim=4), "4 values per row"),
    (np.zeros((1, 3)), dict(min_rows=2), "at least 2 rows"),
    (np.full((2, 3), np.inf), dict(unit_range=False), "NaN or infinite"),
    (np.full((2, 3), 1.5), {}, r"\[0, 1\]"),
    (np.array([["a", "b"]]), {}, "numeric array"),
])
def test_as_matrix_rejects(x, kwargs, match):
    with pytest.raises(ValueError, match=match):
        checks.as_matrix(x, **kwargs)


def test_as_matrix_names_the_argument():
    with pytest.raises(ValueError, match="samples must have shape"):
        checks.as_matrix(np.zeros(3), "samples")
