"""The digit classifier, its features and the class statistics of samples."""

import numpy as np
import pytest
import torch

from ganbook import classifier as C
from ganbook.data import load_split


@pytest.fixture(scope="module")
def split():
    return load_split()


@pytest.fixture(scope="module")
def classifier():
    return C.load_or_train_classifier()  # trained once (about 40 s), then cached under data/


def test_classifier_accuracy_on_test_split(classifier, split):
    _, (test_x, test_y) = split
    assert classifier.test_accuracy >= C.CLASSIFIER_MIN_ACCURACY
    assert not classifier.training
    probs = C.classify(test_x / 255.0)
    assert probs.shape == (2000, 10) and probs.dtype == np.float64
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-6)
    accuracy = (probs.argmax(1) == test_y).mean()
    assert accuracy >= 0.98
    assert accuracy == pytest.approx(classifier.test_accuracy)
    # uint8 digits are the same pixels
    np.testing.assert_allclose(C.classify(test_x[:50]), probs[:50], atol=1e-6)


def test_cached_classifier_is_reused(classifier):
    assert C.load_or_train_classifier() is classifier
    assert C.classifier_path().exists()


def test_histogram_and_confidence(classifier, split):
    _, (test_x, test_y) = split
    images = test_x / 255.0
    hist = C.class_histogram(images)
    assert hist.dtype == np.int64 and hist.shape == (10,) and hist.sum() == 2000
    # Real digits: every class is there in about its true proportion.
    np.testing.assert_allclose(hist, np.bincount(test_y, minlength=10), atol=15)
    assert C.mean_confidence(images) > 0.95
    # Flat (n, 784) input gives the same answer.
    np.testing.assert_array_equal(C.class_histogram(images.reshape(-1, 784)), hist)


def test_one_repeated_digit_is_one_class(classifier, split):
    _, (test_x, test_y) = split
    sevens = np.repeat(test_x[test_y == 7][:1] / 255.0, 50, axis=0)
    hist = C.class_histogram(sevens)
    assert hist[7] == 50 and hist.sum() == 50


def test_features_are_the_penultimate_layer(classifier, split):
    _, (test_x, _) = split
    images = (test_x[:30] / 255.0).astype(np.float32)
    feats = C.features(images)
    assert feats.shape == (30, 128) and feats.dtype == np.float64
    with torch.no_grad():
        expected = classifier.penultimate(torch.from_numpy(images)).double().numpy()
    np.testing.assert_allclose(feats, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(C.features(images.reshape(30, 784)), feats)


def test_features_and_probabilities_agree_with_classify(classifier, split):
    _, (test_x, _) = split
    images = test_x[:40] / 255.0
    feats, probs = C.features_and_probabilities(images, batch_size=7)  # several batches
    np.testing.assert_allclose(feats, C.features(images), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probs, C.classify(images), atol=1e-6)


def test_features_use_eval_mode_and_restore_the_mode(classifier, split):
    _, (test_x, _) = split
    images = test_x[:20] / 255.0
    expected = C.features(images, classifier)
    classifier.train()  # dropout on: features must still be the deterministic eval ones
    try:
        np.testing.assert_array_equal(C.features(images, classifier), expected)
        assert classifier.training
    finally:
        classifier.eval()


@pytest.mark.parametrize("bad", [np.zeros((3, 28)), np.zeros((0, 28, 28)),
                                 np.full((2, 28, 28), 255.0), np.full((2, 784), -0.1),
                                 np.full((2, 28, 28), np.nan), np.array(["a"])])
def test_bad_samples_raise(bad):
    with pytest.raises(ValueError):
        C.classify(bad)
    with pytest.raises(ValueError):
        C.class_histogram(bad)
    with pytest.raises(ValueError):
        C.features(bad)
