"""The two image conventions (pixels in [0, 1], model space in [-1, 1]) and their conversions."""

import numpy as np
import pytest
import torch

from ganbook.images import as_pixels, check_samples, from_model, to_model


def test_image_conversions_round_trip():
    images = np.arange(2 * 784, dtype=np.int64).reshape(2, 28, 28) % 256
    x = to_model(images.astype(np.uint8))
    assert x.shape == (2, 784) and x.dtype == torch.float32
    assert x.min() == -1 and x.max() == 1
    back = from_model(x)
    assert back.shape == (2, 28, 28) and back.dtype == np.float32
    np.testing.assert_allclose(back * 255, images, atol=1e-4)
    np.testing.assert_allclose(from_model(to_model(back)), back, atol=1e-6)


def test_shapes_that_hold_28x28_digits_are_the_same_images():
    pixels = np.random.default_rng(0).random((3, 28, 28)).astype(np.float32)
    flat = to_model(pixels)
    torch.testing.assert_close(to_model(pixels.reshape(3, 784)), flat)
    torch.testing.assert_close(to_model(torch.from_numpy(pixels)[:, None]), flat)
    np.testing.assert_array_equal(from_model(flat.reshape(3, 1, 28, 28)), from_model(flat))


def test_from_model_clips_to_pixels():
    out = from_model(torch.tensor([[-3.0, -1.0, 0.0, 1.0, 3.0] + [0.0] * 779]))
    np.testing.assert_array_equal(out.reshape(-1)[:5], [0.0, 0.0, 0.5, 1.0, 1.0])


def test_uint8_input_and_bad_input():
    x = as_pixels(np.full((2, 28, 28), 255, dtype=np.uint8))
    assert x.shape == (2, 784) and x.max() == 1.0
    with pytest.raises(ValueError, match="shape"):
        as_pixels(np.zeros((3, 10)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        as_pixels(np.full((2, 784), 1.5))
    with pytest.raises(ValueError, match="data must"):
        as_pixels(np.zeros((0, 784)), "data")  # the message names the argument


@pytest.mark.parametrize("bad", [np.full((2, 28, 28), 1.5), np.zeros((2, 27, 28)),
                                 np.zeros((0, 784)), np.full((2, 784), np.nan),
                                 np.zeros((2, 784), dtype=bool), np.zeros(784),
                                 np.array(["a"]), np.full((2, 784), None)])
def test_to_model_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        to_model(bad)


@pytest.mark.parametrize("bad", [torch.zeros(2, 10), torch.zeros(0, 784), torch.zeros(784)])
def test_from_model_rejects_bad_shapes(bad):
    with pytest.raises(ValueError, match="784"):
        from_model(bad)


def test_check_samples_returns_the_book_convention():
    digits = np.random.default_rng(1).integers(0, 256, size=(4, 784), dtype=np.uint8)
    out = check_samples(digits)
    assert out.shape == (4, 28, 28) and out.dtype == np.float32
    np.testing.assert_allclose(out.reshape(4, 784) * 255, digits, atol=1e-4)
    with pytest.raises(ValueError, match="samples"):
        check_samples(np.full((2, 28, 28), -0.5))
