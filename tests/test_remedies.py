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
