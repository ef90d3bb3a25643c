"""The digit classifier and the class statistics of samples."""

import numpy as np
import pytest
import torch

from ganbook import metrics as M
from ganbook.data import load_split


@pytest.fixture(scope="module")
def split():
    return load_split()


@pytest.fixture(scope="module")
def classifier():
    return M.load_or_train_classifier()  # trained once (about 30 s), then cached under data/


def test_classifier_accuracy_on_test_split(classifier, split):
    _, (test_x, test_y) = split
    assert classifier.test_accuracy >= M.CLASSIFIER_MIN_ACCURACY
    probs = M.classify(test_x / 255.0)
    assert probs.shape == (2000, 10)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-6)
    accuracy = (probs.argmax(1) == test_y).mean()
    assert accuracy >= 0.98
    assert accuracy == pytest.approx(classifier.test_accuracy)


def test_histogram_and_confidence(classifier, split):
    _, (test_x, test_y) = split
    images = test_x / 255.0
    hist = M.class_histogram(images)
    assert hist.dtype == np.int64 and hist.shape == (10,) and hist.sum() == 2000
    # Real digits: every class is there in about its true proportion.
    np.testing.assert_allclose(hist, np.bincount(test_y, minlength=10), atol=15)
    assert M.mean_confidence(images) > 0.95
    # Flat (n, 784) input gives the same answer.
    np.testing.assert_array_equal(M.class_histogram(images.reshape(-1, 784)), hist)


def test_one_repeated_digit_is_one_class(classifier, split):
    _, (test_x, test_y) = split
    sevens = np.repeat(test_x[test_y == 7][:1] / 255.0, 50, axis=0)
    hist = M.class_histogram(sevens)
    assert hist[7] == 50 and hist.sum() == 50


def test_random_shift_moves_digits_without_loss():
    x = torch.zeros(3, 1, 28, 28)
    x[:, 0, 10:18, 10:18] = 1.0
    shifted = M._random_shift(x, 2)
    assert shifted.shape == x.shape
    torch.testing.assert_close(shifted.sum((1, 2, 3)), x.sum((1, 2, 3)))
    assert torch.equal(M._random_shift(x, 0), x)


@pytest.mark.parametrize("bad", [np.zeros((3, 28)), np.zeros((0, 28, 28)), np.full((2, 28, 28), 255.0),
                                 np.full((2, 784), -0.1), np.full((2, 28, 28), np.nan), np.array(["a"])])
def test_bad_samples_raise(bad):
    with pytest.raises(ValueError):
        M.classify(bad)
    with pytest.raises(ValueError):
        M.class_histogram(bad)
