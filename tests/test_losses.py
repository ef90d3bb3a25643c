"""The GAN losses of ganbook.losses against their textbook formulas."""

import pytest
import torch

from ganbook import losses


def test_losses_match_their_formulas():
    logits_real = torch.tensor([[2.0], [-1.0], [0.3]])
    logits_fake = torch.tensor([[-3.0], [0.5]])
    d_real, d_fake = torch.sigmoid(logits_real), torch.sigmoid(logits_fake)
    expected = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
    torch.testing.assert_close(losses.discriminator_loss(logits_real, logits_fake), expected)
    torch.testing.assert_close(losses.generator_loss(logits_fake, "saturating"),
                               torch.log(1 - d_fake).mean())
    torch.testing.assert_close(losses.generator_loss(logits_fake, "non_saturating"),
                               -torch.log(d_fake).mean())
    torch.testing.assert_close(losses.generator_loss(logits_fake), -torch.log(d_fake).mean())


def test_label_smoothing_is_cross_entropy_with_a_soft_real_target():
    logits_real, logits_fake = torch.tensor([2.0, -1.0, 0.3]), torch.tensor([-3.0, 0.5])
    d_real, d_fake = torch.sigmoid(logits_real), torch.sigmoid(logits_fake)
    t = 0.9  # label_smoothing=0.1
    real_term = -(t * torch.log(d_real) + (1 - t) * torch.log(1 - d_real)).mean()
    expected = real_term - torch.log(1 - d_fake).mean()
    got = losses.discriminator_loss(logits_real, logits_fake, label_smoothing=0.1)
    torch.testing.assert_close(got, expected)


def test_losses_are_finite_for_extreme_logits():
    big = torch.tensor([[200.0], [-200.0]])
    assert torch.isfinite(losses.discriminator_loss(big, big))
    assert torch.isfinite(losses.discriminator_loss(big, big, label_smoothing=0.1))
    assert torch.isfinite(losses.generator_loss(big, "saturating"))
    assert torch.isfinite(losses.generator_loss(big, "non_saturating"))


@pytest.mark.parametrize("kind", ["wasserstein", "feature_matching", None])
def test_generator_loss_rejects_other_kinds(kind):
    # feature matching needs features, not logits: it has its own function
    with pytest.raises(ValueError, match="generator loss"):
        losses.generator_loss(torch.zeros(3), kind)


def test_feature_matching_loss():
    real = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    fake = torch.tensor([[0.0, 0.0], [0.0, 2.0]])
    # means (2, 3) and (0, 1): squared distance 4 + 4
    assert losses.feature_matching_loss(real, fake).item() == pytest.approx(8.0)
    # only the means matter: a batch with the same mean costs nothing
    assert losses.feature_matching_loss(real, torch.tensor([[2.0, 3.0]])).item() == 0.0
    with pytest.raises(ValueError, match="same width"):
        losses.feature_matching_loss(real, torch.zeros(2, 3))
    with pytest.raises(ValueError, match="2-D"):
        losses.feature_matching_loss(real[0], fake[0])


def test_feature_matching_gradient_reaches_the_generated_features_only():
    rng = torch.Generator().manual_seed(0)
    real = torch.randn(4, 3, generator=rng, requires_grad=True)
    fake = torch.randn(5, 3, generator=rng, requires_grad=True)
    losses.feature_matching_loss(real.detach(), fake).backward()
    expected = 2 * (fake.mean(0) - real.mean(0)).detach() / 5
    torch.testing.assert_close(fake.grad, expected.expand(5, 3))
    assert real.grad is None
