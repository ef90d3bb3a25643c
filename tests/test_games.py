"""Unit tests of ganbook.games: the bilinear game V(x, y) = x y."""

import numpy as np
import pytest
import torch

from ganbook import games


def test_simultaneous_radius_grows_by_sqrt_1_plus_lr_squared():
    path = games.play_bilinear(1.0, 0.5, 0.1, 50)
    radius = np.hypot(path[:, 0], path[:, 1])
    np.testing.assert_allclose(radius[1:] / radius[:-1], np.sqrt(1.01), rtol=1e-12)


def test_alternating_keeps_invariant_and_stays_bounded():
    path = games.play_bilinear(1.0, 0.0, 0.3, 2000, mode="alternating")
    q = games.alternating_invariant(path, 0.3)
    np.testing.assert_allclose(q, q[0], rtol=1e-10)
    radius = np.hypot(path[:, 0], path[:, 1])
    assert radius.max() < 1.5 and radius.min() > 0.5
    # The invariant is not that of simultaneous play (it grows there).
    sim = games.play_bilinear(1.0, 0.0, 0.3, 20)
    assert games.alternating_invariant(sim, 0.3)[-1] > 2 * q[0]


@pytest.mark.parametrize("mode", games.MODES)
def test_matches_autograd_with_sgd(mode):
    """The closed form equals gradient steps of torch's SGD on V = x y."""
    x = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(-0.4, dtype=torch.float64, requires_grad=True)
    opt_x = torch.optim.SGD([x], lr=0.2)
    opt_y = torch.optim.SGD([y], lr=0.2, maximize=True)
    points = [(x.item(), y.item())]
    for _ in range(10):
        if mode == "simultaneous":
            opt_x.zero_grad(), opt_y.zero_grad()
            (x * y).backward()
            opt_x.step(), opt_y.step()
        else:
            opt_x.zero_grad()
            (x * y.detach()).backward()
            opt_x.step()
            opt_y.zero_grad()
            (x.detach() * y).backward()
            opt_y.step()
        points.append((x.item(), y.item()))
    np.testing.assert_allclose(games.play_bilinear(0.7, -0.4, 0.2, 10, mode), points,
                               rtol=1e-12)


def test_value_and_validation():
    np.testing.assert_allclose(games.bilinear_value([1.0, 2.0], [3.0, -1.0]), [3.0, -2.0])
    assert games.play_bilinear(1.0, 2.0, 0.1, 0).tolist() == [[1.0, 2.0]]
    with pytest.raises(ValueError, match="mode"):
        games.play_bilinear(1.0, 0.0, 0.1, 5, mode="sequential")
    with pytest.raises(ValueError, match="lr"):
        games.play_bilinear(1.0, 0.0, 0.0, 5)
    with pytest.raises(ValueError, match="steps"):
        games.play_bilinear(1.0, 0.0, 0.1, -1)
    with pytest.raises(ValueError, match="x0"):
        games.play_bilinear(float("nan"), 0.0, 0.1, 1)
    with pytest.raises(ValueError, match="shape"):
        games.alternating_invariant(np.zeros((3, 3)), 0.1)
