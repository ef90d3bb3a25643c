"""Tests of ganbook.remedies: the minibatch discrimination layer of Salimans et al. (2016).

The discriminator that uses it is tested in test_models.py, the ring GAN that trains with it
in test_toy.py, and feature matching in test_losses.py.
"""

import numpy as np
import pytest
import torch

from ganbook import remedies as R


def test_minibatch_discrimination_matches_definition():
    torch.manual_seed(0)
    layer = R.MinibatchDiscrimination(5, n_kernels=3, kernel_dim=2)
    f = torch.randn(6, 5)
    m = (f @ layer.T).view(6, 3, 2).detach().numpy()
    expected = np.array(
        [[sum(np.exp(-np.abs(m[i, b] - m[j, b]).sum()) for j in range(6) if j != i)
          for b in range(3)] for i in range(6)]
    )
    out = layer(f)
    assert out.shape == (6, 5 + 3)
    torch.testing.assert_close(out[:, :5], f)
    np.testing.assert_allclose(layer.closeness(f).detach().numpy(), expected, rtol=1e-5)


def test_minibatch_discrimination_sees_collapse():
    torch.manual_seed(1)
    layer = R.MinibatchDiscrimination(4, n_kernels=2, kernel_dim=3)
    same = torch.ones(8, 4)  # a collapsed batch: every sample identical
    # 7 neighbours at distance 0
    assert torch.allclose(layer.closeness(same), torch.full((8, 2), 7.0))
    varied = 10 * torch.randn(8, 4)
    assert layer.closeness(varied).max() < 7.0
    with pytest.raises(ValueError, match="at least 2"):
        layer(torch.ones(1, 4))
    with pytest.raises(ValueError, match="shape"):
        layer(torch.ones(3, 5))


def test_minibatch_discrimination_gradients_reach_inputs_and_kernels():
    torch.manual_seed(2)
    layer = R.MinibatchDiscrimination(4, n_kernels=2, kernel_dim=3)
    f = torch.randn(5, 4, requires_grad=True)
    layer(f)[:, 4:].sum().backward()
    assert f.grad.abs().sum() > 0 and layer.T.grad.abs().sum() > 0


@pytest.mark.parametrize("kwargs", [dict(in_features=0), dict(in_features=4, n_kernels=0),
                                    dict(in_features=4, kernel_dim=-1)])
def test_minibatch_discrimination_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        R.MinibatchDiscrimination(**kwargs)


def test_historical_average_penalty_and_running_mean():
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    average = R.HistoricalAverage([w], weight=0.5)
    assert average.penalty().item() == 0.0  # the mean starts at the initial weights
    with torch.no_grad():
        w.copy_(torch.tensor([3.0, 2.0]))
    assert average.penalty().item() == pytest.approx(0.5 * 4.0)
    average.update()  # mean of (1, 2) and (3, 2)
    torch.testing.assert_close(average.means[0], torch.tensor([2.0, 2.0]))
    with torch.no_grad():
        w.copy_(torch.tensor([5.0, 5.0]))
    average.update()  # mean of three values
    torch.testing.assert_close(average.means[0], torch.tensor([3.0, 3.0]))
    (grad,) = torch.autograd.grad(average.penalty(), [w])
    torch.testing.assert_close(grad, 2 * 0.5 * (w.detach() - average.means[0]))
    copy = R.HistoricalAverage([w], 0.5)
    copy.load_state_dict(average.state_dict())
    assert copy.count == 3 and torch.equal(copy.means[0], average.means[0])
    with pytest.raises(ValueError):
        R.HistoricalAverage([w], 0.0)


def test_historical_averaging_changes_training_and_resumes_exactly(tmp_path):
    from ganbook import toy
    from ganbook import train as T

    plain = toy.train(toy.make_ring_gan(seed=0), 5)
    averaged = toy.train(toy.make_ring_gan(seed=0, historical_averaging=1e-2), 5)
    assert not torch.equal(plain.generator[0].weight, averaged.generator[0].weight)
    digits = np.random.default_rng(0).integers(0, 256, size=(64, 28, 28), dtype=np.uint8)
    common = dict(steps=6, batch_size=8, historical_averaging=1e-2, progress=False,
                  lr_schedule="constant",
                  eval_every=None)
    from ganbook.models import Discriminator, Generator

    def models():
        torch.manual_seed(0)
        return Generator(4, (16,)), Discriminator((16, 8))

    whole = T.train(*models(), digits, **common)
    T.train(*models(), digits, **{**common, "steps": 3}, checkpoint_dir=tmp_path)
    resumed = T.train(*models(), digits, **common, checkpoint_dir=tmp_path, resume=True)
    for a, b in zip(whole.raw_generator.parameters(), resumed.raw_generator.parameters()):
        assert torch.equal(a, b)
    without = T.train(*models(), digits, **{**common, "historical_averaging": 0.0})
    assert not torch.equal(next(whole.raw_generator.parameters()),
                           next(without.raw_generator.parameters()))
