"""Tests of ganbook.remedies: minibatch discrimination, feature matching, the training loop."""

import numpy as np
import pytest
import torch

from ganbook import remedies as R

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py



def test_minibatch_discrimination_matches_definition():
    torch.manual_seed(0)
    layer = R.MinibatchDiscrimination(5, n_kernels=3, kernel_dim=2)
    f = torch.randn(6, 5)
    m = (f @ layer.T).view(6, 3, 2).detach().numpy()
    expected = np.array(
        [[sum(np.exp(-np.abs(m[i, b] - m[j, b]).sum()) for j in range(6) if j != i) for b in range(3)]
         for i in range(6)]
    )
    out = layer(f)
    assert out.shape == (6, 5 + 3)
    torch.testing.assert_close(out[:, :5], f)
    np.testing.assert_allclose(layer.closeness(f).detach().numpy(), expected, rtol=1e-5)


def test_minibatch_discrimination_sees_collapse():
    torch.manual_seed(1)
    layer = R.MinibatchDiscrimination(4, n_kernels=2, kernel_dim=3)
    same = torch.ones(8, 4)  # a collapsed batch: every sample identical
    assert torch.allclose(layer.closeness(same), torch.full((8, 2), 7.0))  # 7 neighbours at distance 0
    varied = 10 * torch.randn(8, 4)
    assert layer.closeness(varied).max() < 7.0
    with pytest.raises(ValueError, match="at least 2"):
        layer(torch.ones(1, 4))
    with pytest.raises(ValueError, match="shape"):
        layer(torch.ones(3, 5))


def test_discriminator_shapes_and_features():
    d = R.MLPDiscriminator(784, (32, 16), minibatch_kernels=4, kernel_dim=3)
    x = torch.rand(5, 28, 28)
    assert d(x).shape == (5,)
    assert d.features(x).shape == (5, 16)
    with pytest.raises(ValueError, match="784 values"):
        d(torch.rand(5, 10))
    with pytest.raises(ValueError):
        R.MLPDiscriminator(2, ())
    with pytest.raises(ValueError, match="minibatch_kernels"):
        R.MLPDiscriminator(2, (4,), minibatch_kernels=-1)


def test_feature_matching_loss():
    real = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    fake = torch.tensor([[0.0, 0.0], [0.0, 2.0]])
    # means (2, 3) and (0, 1): squared distance 4 + 4
    assert R.feature_matching_loss(real, fake).item() == pytest.approx(8.0)
    with pytest.raises(ValueError, match="same width"):
        R.feature_matching_loss(real, torch.zeros(2, 3))


@pytest.mark.parametrize("loss, kernels", [("non_saturating", 0), ("feature_matching", 0), ("non_saturating", 3)])
def test_train_gan_runs_and_is_deterministic(loss, kernels):
    def make():
        torch.manual_seed(0)
        g = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
        d = R.MLPDiscriminator(2, (16,), minibatch_kernels=kernels, kernel_dim=2)
        return g, d

    data = torch.randn(100, 2)
    runs = [R.train_gan(*make(), R.tensor_sampler(data), 4, 30, generator_loss=loss, batch_size=16,
                        snapshot_every=10, n_snapshot=8) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].history["g_loss"], runs[1].history["g_loss"])
    assert runs[0].snapshot_steps == [0, 10, 20, 30]
    assert runs[0].snapshots[-1].shape == (8, 2)
    assert np.isfinite(runs[0].history["d_loss"]).all()
    assert ((runs[0].history["d_real"] > 0) & (runs[0].history["d_real"] < 1)).all()


def test_train_gan_bad_input():
    g = torch.nn.Linear(4, 2)
    d = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Flatten(0))
    sampler = R.tensor_sampler(torch.randn(10, 2))
    with pytest.raises(ValueError, match="generator_loss"):
        R.train_gan(g, d, sampler, 4, 5, generator_loss="wasserstein")
    with pytest.raises(ValueError, match="features"):
        R.train_gan(g, d, sampler, 4, 5, generator_loss="feature_matching")
    with pytest.raises(ValueError, match="steps"):
        R.train_gan(g, d, sampler, 4, 0)
    with pytest.raises(ValueError, match="batch_size"):
        R.train_gan(g, d, sampler, 4, 5, batch_size=1)
    with pytest.raises(ValueError, match="2-D tensor"):
        R.tensor_sampler(np.zeros((3, 2)))
