"""Tests of ganbook.vae: the ELBO terms against closed forms, training, sampling, bad input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats

from ganbook import vae as V

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py



def test_kl_matches_monte_carlo_and_scipy():
    mu = torch.tensor([[0.5, -1.0]], dtype=torch.float64)
    log_var = torch.tensor([[np.log(0.25), np.log(2.0)]], dtype=torch.float64)
    kl = V.gaussian_kl_to_standard(mu, log_var).item()
    # Monte Carlo: E_q[log q(z) - log p(z)] with many samples.
    q = stats.multivariate_normal(mu[0].numpy(), np.diag(np.exp(log_var[0].numpy())))
    z = q.rvs(size=400_000, random_state=0)
    mc = np.mean(q.logpdf(z) - stats.multivariate_normal(np.zeros(2), np.eye(2)).logpdf(z))
    assert kl == pytest.approx(mc, abs=5e-3)
    assert V.gaussian_kl_to_standard(torch.zeros(3, 4), torch.zeros(3, 4)).abs().max() == 0


def test_negative_elbo_terms():
    torch.manual_seed(0)
    x = torch.rand(5, 784)
    logits = torch.randn(5, 784)
    mu, log_var = torch.randn(5, 3), torch.randn(5, 3)
    loss, rec, kl = V.negative_elbo(logits, x, mu, log_var)
    expected_rec = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="sum") / 5
    torch.testing.assert_close(rec, expected_rec, rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(loss, rec + kl)


def test_training_lowers_loss_and_is_deterministic():
    rng = np.random.default_rng(0)
    data = (rng.random((64, 28, 28)) < 0.2).astype(np.float32)
    a = V.train_vae(data, 60, latent_dim=4, hidden=(32,), batch_size=16, seed=3)
    b = V.train_vae(data, 60, latent_dim=4, hidden=(32,), batch_size=16, seed=3)
    np.testing.assert_array_equal(a.history["loss"], b.history["loss"])
    assert a.history["loss"][-10:].mean() < a.history["loss"][:10].mean()
    s1, s2 = V.sample_vae(a.model, 7, seed=1), V.sample_vae(b.model, 7, seed=1)
    np.testing.assert_array_equal(s1, s2)
    assert s1.shape == (7, 28, 28) and s1.dtype == np.float32


def test_uint8_data_trains_like_the_same_pixels_in_0_1():
    digits = np.random.default_rng(1).integers(0, 256, size=(16, 28, 28), dtype=np.uint8)
    a = V.train_vae(digits, 3, latent_dim=2, hidden=(8,), batch_size=4)
    b = V.train_vae(digits / 255.0, 3, latent_dim=2, hidden=(8,), batch_size=4)
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=1e-6)
    assert len(a.history["loss"]) == len(a.history["kl"]) == 3 and a.seconds > 0


def test_training_leaves_the_global_random_stream_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    V.train_vae(np.zeros((8, 784)), 2, latent_dim=2, hidden=(8,), batch_size=4)
    assert torch.equal(torch.rand(3), expected)


def test_progress_bar_does_not_change_the_run():
    data = np.random.default_rng(2).random((16, 784))
    a = V.train_vae(data, 3, latent_dim=2, hidden=(8,), batch_size=4, progress=True)
    b = V.train_vae(data, 3, latent_dim=2, hidden=(8,), batch_size=4)
    np.testing.assert_array_equal(a.history["loss"], b.history["loss"])


def test_bad_input():
    with pytest.raises(ValueError, match="data"):
        V.train_vae(np.full((4, 784), 1.5), 5)
    with pytest.raises(ValueError, match="shape"):
        V.train_vae(np.zeros((3, 10)), 5)
    with pytest.raises(ValueError, match="steps"):
        V.train_vae(np.zeros((4, 784)), 0)
    with pytest.raises(ValueError, match="batch_size"):
        V.train_vae(np.zeros((4, 784)), 5, batch_size=0)
    with pytest.raises(ValueError, match="latent_dim"):
        V.VAE(latent_dim=0)
    model = V.VAE(latent_dim=3, hidden=(8,))
    with pytest.raises(ValueError, match="z must have shape"):
        model.decode(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="n must be"):
        V.sample_vae(model, 0)
