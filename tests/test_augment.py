"""ganbook.augment.translate: random shifts of digits, with gradients."""

import pytest
import torch

from ganbook.augment import translate


def rng(seed=0):
    return torch.Generator().manual_seed(seed)


def square(n):
    """n images (n, 1, 28, 28) holding an 8x8 square well away from the border."""
    x = torch.zeros(n, 1, 28, 28)
    x[:, 0, 10:18, 10:18] = 1.0
    return x


def offset(original, shifted, r):
    """The (dy, dx) with |dy|, |dx| <= r that maps original onto shifted, else None."""
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if torch.equal(torch.roll(original, (dy, dx), dims=(-2, -1)), shifted):
                return dy, dx
    return None


def test_random_shift_moves_digits_without_loss():
    x = square(3)
    shifted = translate(x, 2, rng())
    assert shifted.shape == x.shape
    torch.testing.assert_close(shifted.sum((1, 2, 3)), x.sum((1, 2, 3)))
    assert translate(x, 0) is x


def test_every_offset_up_to_max_shift_occurs():
    x = square(300)
    shifted = translate(x.reshape(300, 784), 1, rng()).reshape(x.shape)  # flat input too
    offsets = {offset(a, b, 1) for a, b in zip(x, shifted)}
    assert offsets == {(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}


def test_uncovered_border_gets_the_fill_value():
    x = torch.ones(50, 784)
    shifted = translate(x, 2, rng(), fill=-1.0).reshape(50, 28, 28)
    assert set(shifted.unique().tolist()) == {-1.0, 1.0}
    for image in shifted:  # a shift by (dy, dx) uncovers |dy| rows and |dx| columns
        dy = int((image[:, 14] == -1).sum())
        dx = int((image[14, :] == -1).sum())
        assert int((image == 1).sum()) == (28 - dy) * (28 - dx)


def test_same_generator_state_same_shifts():
    x = square(20)
    assert torch.equal(translate(x, 2, rng(1)), translate(x, 2, rng(1)))
    assert not torch.equal(translate(x, 2, rng(1)), translate(x, 2, rng(2)))


def test_gradients_flow_back_to_the_images():
    x = (torch.rand(4, 784, generator=rng(3)) + 0.5).requires_grad_(True)  # never the fill 0
    out = translate(x, 3, rng())
    out.sum().backward()
    # Each output pixel is one input pixel or the fill: input pixels get gradient 1 or 0.
    assert set(x.grad.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(x.grad.sum(1), (out != 0).sum(1).float())


@pytest.mark.parametrize("max_shift", [-1, 1.5, True])
def test_bad_max_shift(max_shift):
    with pytest.raises(ValueError, match="max_shift"):
        translate(square(2), max_shift)
