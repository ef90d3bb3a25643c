"""ganbook.flops.count_flops against closed forms: forward, backward and double backward."""

import pytest
import torch
from torch import nn

from ganbook import wgan
from ganbook.flops import count_flops


def test_count_flops_of_a_matrix_product():
    a, b = torch.randn(3, 5), torch.randn(5, 7)
    assert count_flops(lambda: a @ b) == 2 * 3 * 5 * 7


def test_count_flops_passes_arguments_on():
    layer = nn.Linear(10, 20, bias=False)
    assert count_flops(layer, torch.randn(8, 10)) == 2 * 8 * 10 * 20


def test_count_flops_of_a_linear_layer_forward_and_backward():
    layer = nn.Linear(5, 7)
    x = torch.randn(3, 5, requires_grad=True)
    # forward, gradient of the weights and gradient of the input: three products of a size
    assert count_flops(lambda: layer(x).sum().backward()) == 3 * 2 * 3 * 5 * 7
    # without the input's gradient: forward and the weights' gradient only
    x = torch.randn(3, 5)
    assert count_flops(lambda: layer(x).sum().backward()) == 2 * 2 * 3 * 5 * 7


def test_count_flops_counts_the_double_backward_of_the_gradient_penalty():
    critic = nn.Sequential(nn.Linear(10, 20), nn.LeakyReLU(0.2), nn.Linear(20, 1))
    x = torch.randn(8, 10)
    plain = count_flops(lambda: wgan.critic_loss(critic(x), critic(x)).backward())
    with_gp = count_flops(lambda: wgan.gradient_penalty(critic, x, x)[0].backward())
    assert with_gp > plain > 0


def test_count_flops_rejects_non_callables():
    with pytest.raises(ValueError, match="callable"):
        count_flops(42)
