"""The MLP generator and discriminator, and the image conventions."""

import copy

import numpy as np
import pytest
import torch

from ganbook.models import Discriminator, Generator, from_images, pytorch_gan_sized, to_images


def test_generator_shapes_range_and_config():
    torch.manual_seed(0)
    g = Generator(8, (16, 32))
    out = g(torch.randn(5, 8) * 100)  # large inputs saturate tanh but never leave [-1, 1]
    assert out.shape == (5, 784)
    assert out.min() >= -1 and out.max() <= 1
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


@pytest.mark.parametrize("kwargs", [dict(dropout=1.0), dict(hidden=()), dict(in_dim=0)])
def test_discriminator_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        Discriminator(**kwargs)


def test_image_conversions_round_trip():
    images = np.arange(2 * 784, dtype=np.int64).reshape(2, 28, 28) % 256
    x = from_images(images.astype(np.uint8))
    assert x.shape == (2, 784) and x.dtype == torch.float32
    assert x.min() == -1 and x.max() == 1
    back = to_images(x)
    assert back.shape == (2, 28, 28) and back.dtype == np.float32
    np.testing.assert_allclose(back * 255, images, atol=1e-4)
    np.testing.assert_allclose(to_images(from_images(back)), back, atol=1e-6)


@pytest.mark.parametrize("bad", [np.full((2, 28, 28), 1.5), np.zeros((2, 27, 28)), np.zeros((0, 784)),
                                 np.full((2, 784), np.nan), np.zeros((2, 784), dtype=bool)])
def test_from_images_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        from_images(bad)
