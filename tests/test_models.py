"""The MLP generator and discriminator (the image conventions are in test_images.py)."""

import copy

import pytest
import torch

from ganbook.models import Discriminator, Generator, pytorch_gan_sized


def test_generator_shapes_range_and_config():
    torch.manual_seed(0)
    g = Generator(8, (16, 32))
    out = g(torch.randn(5, 8))
    assert out.shape == (5, 784)
    clone = Generator(**g.config())
    assert [p.shape for p in clone.parameters()] == [p.shape for p in g.parameters()]
    with pytest.raises(ValueError, match=r"z must have shape \(n, 8\)"):
        g(torch.randn(5, 9))


def test_discriminator_returns_logits_and_features():
    torch.manual_seed(0)
    d = Discriminator((32, 16), dropout=0.3).eval()
    x = torch.rand(4, 28, 28) * 2 - 1
    logits = d(x)
    assert logits.shape == (4,)
    assert d.features(x).shape == (4, 16)
    # Flat, (n, 28, 28) and (n, 1, 28, 28) inputs are the same images.
    torch.testing.assert_close(d(x.reshape(4, 784)), logits)
    torch.testing.assert_close(d(x[:, None]), logits)
    # The head is one linear layer on the features.
    torch.testing.assert_close(d.head(d.features(x)).squeeze(1), logits)
    with pytest.raises(ValueError, match="784"):
        d(torch.rand(4, 100))


def test_dropout_only_in_training_mode():
    torch.manual_seed(0)
    d = Discriminator((32,), dropout=0.5)
    x = torch.rand(64, 784)
    d.train()
    assert not torch.equal(d(x), d(x))  # two dropout masks
    d.eval()
    assert torch.equal(d(x), d(x))


@pytest.mark.parametrize("slope", [0.2, 0.0])
def test_in_place_activations_give_the_same_values_and_gradients(slope):
    # The models' LeakyReLUs work in place; a copy with ordinary ones must agree bit for bit.
    torch.manual_seed(0)
    for model, x in ((Generator(8, (16, 32), negative_slope=slope), torch.randn(5, 8)),
                     (Discriminator((32, 16), negative_slope=slope), torch.rand(5, 784) * 2 - 1)):
        plain = copy.deepcopy(model)
        for module in plain.modules():
            if isinstance(module, torch.nn.LeakyReLU):
                assert module.inplace
                module.inplace = False
        outputs = []
        for m in (model, plain):
            xi = x.clone().requires_grad_(True)
            out = m(xi)
            grads = torch.autograd.grad(out.square().sum(), [xi, *m.parameters()])
            outputs.append((out, grads))
        assert torch.equal(outputs[0][0], outputs[1][0])
        assert all(torch.equal(a, b) for a, b in zip(outputs[0][1], outputs[1][1]))


def test_pytorch_gan_sizes():
    g, d = pytorch_gan_sized()
    widths_g = [m.out_features for m in g.modules() if isinstance(m, torch.nn.Linear)]
    widths_d = [m.out_features for m in d.modules() if isinstance(m, torch.nn.Linear)]
    assert g.latent_dim == 100 and widths_g == [128, 256, 512, 1024, 784]
    assert widths_d == [512, 256, 1]
    n_params = sum(p.numel() for p in g.parameters()) + sum(p.numel() for p in d.parameters())
    assert n_params == 1_506_448 + 533_505


@pytest.mark.parametrize("kwargs", [dict(latent_dim=0), dict(hidden=()), dict(hidden=(8, -1)),
                                    dict(negative_slope=1.5)])
def test_generator_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        Generator(**kwargs)


@pytest.mark.parametrize("kwargs", [dict(dropout=1.0), dict(hidden=()), dict(in_dim=0),
                                    dict(minibatch_kernels=-1),
                                    dict(minibatch_kernels=2, kernel_dim=0)])
def test_discriminator_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        Discriminator(**kwargs)


def test_discriminator_with_minibatch_kernels_shapes_and_features():
    torch.manual_seed(0)
    d = Discriminator((32, 16), minibatch_kernels=4, kernel_dim=3)
    x = torch.rand(5, 28, 28)
    assert d.compares_samples and not Discriminator((8,)).compares_samples
    assert d(x).shape == (5,)
    assert d.features(x).shape == (5, 16)
    assert d.head.in_features == 16 + 4
    with pytest.raises(ValueError, match="784 values"):
        d(torch.rand(5, 10))
    with pytest.raises(ValueError, match="minibatch_kernels"):
        Discriminator((4,), in_dim=2, minibatch_kernels=-1)
    toy_d = Discriminator((4,), in_dim=2, minibatch_kernels=2, kernel_dim=3)
    assert toy_d(torch.rand(3, 2)).shape == (3,)


def test_minibatch_kernels_make_a_logit_depend_on_the_batch():
    torch.manual_seed(0)
    x = torch.rand(6, 784)
    plain = Discriminator((16,))
    assert torch.allclose(plain(x)[:3], plain(x[:3]))
    d = Discriminator((16,), minibatch_kernels=4, kernel_dim=3)
    assert not torch.allclose(d(x)[:3], d(x[:3]))
    # The logit is the head on the features and the minibatch closeness.
    torch.testing.assert_close(d.head(d.minibatch(d.features(x))).squeeze(1), d(x))


def test_config_rebuilds_the_same_discriminator():
    d = Discriminator((16, 8), in_dim=2, dropout=0.1, negative_slope=0.1,
                      minibatch_kernels=3, kernel_dim=2)
    clone = Discriminator(**d.config())
    assert clone.config() == d.config()
    assert [p.shape for p in clone.parameters()] == [p.shape for p in d.parameters()]
    clone.load_state_dict(d.state_dict())  # same parameter names too
