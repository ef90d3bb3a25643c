"""Algorithm 1: k steps, the three generator losses, exact resume, NaN guard, argument checks."""

import copy
import warnings

import numpy as np
import pytest
import torch

from ganbook import train as T
from ganbook.models import Discriminator, Generator


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(128, 28, 28), dtype=np.uint8)


def tiny():
    return Generator(4, (16,)), Discriminator((16, 8), dropout=0.2)


def run(data, steps=6, **kwargs):
    kwargs.setdefault("progress", False)
    kwargs.setdefault("batch_size", 8)
    if "generator" not in kwargs:
        kwargs["generator"], kwargs["discriminator"] = None, None
        torch.manual_seed(123)
        kwargs["generator"], kwargs["discriminator"] = tiny()
    return T.train(data=data, steps=steps, **kwargs)


def weights(result):
    return {**{f"g.{k}": v for k, v in result.generator.state_dict().items()},
            **{f"d.{k}": v for k, v in result.discriminator.state_dict().items()}}


def assert_same_weights(a, b):
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.equal(wa[key], wb[key]), key


def test_history_shapes_and_ranges(data):
    result = run(data, steps=7, snapshot_every=3, n_snapshot=5)
    assert result.step == 7
    for key in T.HISTORY_KEYS:
        assert result.history[key].shape == (7,)
        assert np.isfinite(result.history[key]).all()
    assert ((result.history["d_real"] > 0) & (result.history["d_real"] < 1)).all()
    assert ((result.history["d_fake"] > 0) & (result.history["d_fake"] < 1)).all()
    assert result.snapshot_steps == [0, 3, 6, 7]
    assert all(s.shape == (5, 28, 28) and s.dtype == np.float32 for s in result.snapshots)
    assert all(s.min() >= 0 and s.max() <= 1 for s in result.snapshots)


def test_seeded_runs_are_identical_and_seeds_matter(data):
    a, b = run(data, seed=1), run(data, seed=1)
    assert_same_weights(a, b)
    np.testing.assert_array_equal(a.history["d_loss"], b.history["d_loss"])
    c = run(data, seed=2)
    assert not torch.equal(a.generator.net[0].weight, c.generator.net[0].weight)


def test_default_models_are_built_after_seeding(data):
    a = T.train(data=data, steps=2, batch_size=8, progress=False, seed=3)
    b = T.train(data=data, steps=2, batch_size=8, progress=False, seed=3)
    assert isinstance(a.generator, Generator) and isinstance(a.discriminator, Discriminator)
    assert_same_weights(a, b)


def test_callers_rng_is_left_alone(data):
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    T.train(data=data, steps=2, batch_size=8, progress=False)  # builds and trains with its own seed
    assert torch.equal(torch.rand(3), expected)


def count_forward_calls(module):
    """Wrap ``module.forward`` so that the returned list grows by one item per call."""
    calls, original = [], module.forward

    def counting_forward(x):
        calls.append(1)
        return original(x)

    module.forward = counting_forward
    return calls


def test_k_discriminator_steps_per_generator_step(data, tmp_path):
    g, d = tiny()
    calls = count_forward_calls(d)
    result = run(data, steps=5, k=3, generator=g, discriminator=d, checkpoint_dir=tmp_path)
    # Each step: k discriminator forwards (real and fake together) and one for the generator.
    assert len(calls) == 5 * (3 + 1)
    assert result.history["d_loss"].shape == (5,)
    # Adam counted 15 discriminator updates and 5 generator updates.
    state = T.load_checkpoint(tmp_path / T.CHECKPOINT_NAME)
    assert {int(s["step"]) for s in state["opt_d"]["state"].values()} == {15}
    assert {int(s["step"]) for s in state["opt_g"]["state"].values()} == {5}


@pytest.mark.parametrize("k", [1, 3])
def test_one_generator_forward_per_discriminator_step(data, k):
    # The generator step reuses the last discriminator step's generated batch.
    g, d = tiny()
    calls = count_forward_calls(g)
    run(data, steps=4, k=k, generator=g, discriminator=d, ema_decay=None)
    assert len(calls) == 4 * k


def test_bfloat16_precision_trains_float32_weights(data, tmp_path):
    # PyTorch keeps the products of the tiny test models in float32; these are large enough.
    def larger(steps, precision="bfloat16", **kwargs):
        torch.manual_seed(0)
        return run(data, steps=steps, precision=precision, batch_size=32,
                   generator=Generator(32, (64,)), discriminator=Discriminator((64, 32)), **kwargs)

    a, b = larger(5), larger(5)
    assert_same_weights(a, b)  # still deterministic
    assert all(np.isfinite(a.history[key]).all() for key in T.HISTORY_KEYS)
    assert all(v.dtype == torch.float32 for v in weights(a).values())
    if T.cpu_has_fast_bfloat16():  # elsewhere bfloat16 falls back to plain float32
        assert not torch.equal(a.discriminator.head.weight, larger(5, "float32").discriminator.head.weight)
    # Resume is exact in bfloat16 too.
    whole = larger(6)
    larger(3, checkpoint_every=3, checkpoint_dir=tmp_path)
    resumed = larger(6, checkpoint_dir=tmp_path, resume=True)
    assert_same_weights(whole, resumed)


def test_bfloat16_matmul_mode_is_set_during_training_and_restored(data):
    seen = []
    before = torch.backends.mkldnn.matmul.fp32_precision
    run(data, steps=2, precision="bfloat16", callback=lambda step, g: seen.append(torch.backends.mkldnn.matmul.fp32_precision))
    assert seen == ["bf16", "bf16"] and torch.backends.mkldnn.matmul.fp32_precision == before
    run(data, steps=1, callback=lambda step, g: seen.append(torch.backends.mkldnn.matmul.fp32_precision))
    assert seen[-1] == before  # float32 leaves it alone

    def fail(step, g):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):  # an interrupted run restores it too
        run(data, steps=3, precision="bfloat16", callback=fail)
    assert torch.backends.mkldnn.matmul.fp32_precision == before


def test_bfloat16_cpu_matmuls_round_inputs_to_bfloat16():
    a, b = torch.randn(32, 64, dtype=torch.float64), torch.randn(64, 16, dtype=torch.float64)
    with T.bfloat16_cpu_matmuls():
        got = a.float() @ b.float()
    exact = a @ b
    rounded = a.to(torch.bfloat16).double() @ b.to(torch.bfloat16).double()
    if T.cpu_has_fast_bfloat16():
        # bfloat16 inputs with float32 accumulation: close to the product of the rounded inputs
        np.testing.assert_allclose(got.double(), rounded, rtol=0, atol=1e-4)
        assert (got.double() - exact).abs().max() > 1e-3
    else:
        np.testing.assert_allclose(got.double(), exact, rtol=0, atol=1e-4)


def test_bfloat16_on_a_cpu_without_it_warns(data, monkeypatch):
    monkeypatch.setattr(T, "cpu_has_fast_bfloat16", lambda: False)
    with pytest.warns(RuntimeWarning, match="bfloat16"):
        run(data, steps=1, precision="bfloat16")
    monkeypatch.setattr(T, "cpu_has_fast_bfloat16", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(data, steps=1, precision="bfloat16")


@pytest.mark.parametrize("loss", T.GENERATOR_LOSSES)
def test_every_generator_loss_trains(data, loss):
    result = run(data, steps=4, generator_loss=loss)
    assert np.isfinite(result.history["g_loss"]).all()
    if loss == "saturating":
        assert (result.history["g_loss"] <= 0).all()  # log(1 - D) <= 0
    else:
        assert (result.history["g_loss"] >= 0).all()


def test_loss_formulas_match_bce():
    logits_r, logits_f = torch.randn(10), torch.randn(10)
    bce = torch.nn.functional.binary_cross_entropy
    expected = bce(torch.sigmoid(logits_r), torch.ones(10)) + bce(torch.sigmoid(logits_f), torch.zeros(10))
    torch.testing.assert_close(T.discriminator_loss(logits_r, logits_f), expected)
    smoothed = bce(torch.sigmoid(logits_r), torch.full((10,), 0.9)) + bce(torch.sigmoid(logits_f), torch.zeros(10))
    torch.testing.assert_close(T.discriminator_loss(logits_r, logits_f, 0.1), smoothed)
    torch.testing.assert_close(T.generator_loss_from_logits(logits_f, "non_saturating"),
                               -torch.log(torch.sigmoid(logits_f)).mean())
    torch.testing.assert_close(T.generator_loss_from_logits(logits_f, "saturating"),
                               torch.log(1 - torch.sigmoid(logits_f)).mean())


def test_loss_without_smoothing_equals_the_smoothing_formula_at_zero():
    # The label_smoothing == 0 shortcut drops a term multiplied by zero: same value, same gradient.
    real, fake = torch.randn(64, requires_grad=True), torch.randn(64)
    shortcut = T.discriminator_loss(real, fake)
    formula = (1.0 * torch.nn.functional.softplus(-real) + 0.0 * torch.nn.functional.softplus(real)).mean() \
        + torch.nn.functional.softplus(fake).mean()
    assert torch.equal(shortcut, formula)
    assert torch.equal(torch.autograd.grad(shortcut, real)[0], torch.autograd.grad(formula, real)[0])


@pytest.mark.parametrize("fused", [True, False])
def test_adam_update_matches_optimizer_step_bit_for_bit(fused):
    torch.manual_seed(0)
    model_a = torch.nn.Sequential(torch.nn.Linear(30, 20), torch.nn.Tanh(), torch.nn.Linear(20, 1))
    model_c = copy.deepcopy(model_a)
    opt_a = torch.optim.Adam(model_a.parameters(), lr=1e-2, betas=(0.5, 0.999), fused=fused)
    opt_c = torch.optim.Adam(model_c.parameters(), lr=1e-2, betas=(0.5, 0.999), fused=fused)
    for step in range(6):
        x = torch.randn(16, 30)
        for group in (*opt_a.param_groups, *opt_c.param_groups):
            group["lr"] = 1e-2 / (1 + step)  # a learning-rate schedule changes the group
        params = list(model_a.parameters())
        T.adam_update(opt_a, params, torch.autograd.grad(model_a(x).square().mean(), params))
        opt_c.zero_grad()
        model_c(x).square().mean().backward()
        opt_c.step()
        for pa, pc in zip(model_a.parameters(), model_c.parameters()):
            assert torch.equal(pa, pc)
            assert pa.grad is None  # gradients never linger in .grad
    assert all(torch.equal(opt_a.state_dict()["state"][i]["exp_avg_sq"], opt_c.state_dict()["state"][i]["exp_avg_sq"])
               for i in range(4))
    assert {int(s["step"]) for s in opt_a.state.values()} == {6}
    # A None gradient skips its parameter, as step() does for a parameter without .grad.
    before = [p.detach().clone() for p in model_a.parameters()]
    T.adam_update(opt_a, list(model_a.parameters()), [None, None, None, torch.ones(1)])
    assert all(torch.equal(b, p) for b, p in zip(before[:3], list(model_a.parameters())[:3]))
    assert not torch.equal(before[3], list(model_a.parameters())[3])
    with pytest.raises(ValueError):  # one gradient per parameter
        T.adam_update(opt_a, list(model_a.parameters()), [None])


def test_frozen_and_unused_discriminator_weights_stay_untouched(data):
    torch.manual_seed(0)
    g, d = Generator(4, (16,)), Discriminator((16, 8))
    d.body[0].requires_grad_(False)  # a frozen first layer
    d.unused = torch.nn.Linear(3, 3)  # a parameter the forward pass never uses
    frozen, unused = d.body[0].weight.detach().clone(), d.unused.weight.detach().clone()
    head = d.head.weight.detach().clone()
    result = run(data, steps=4, generator=g, discriminator=d)
    assert torch.equal(result.discriminator.body[0].weight, frozen)
    assert not result.discriminator.body[0].weight.requires_grad  # still frozen after training
    assert torch.equal(result.discriminator.unused.weight, unused)
    assert not torch.equal(result.discriminator.head.weight, head)  # the rest trains


def test_custom_discriminator_without_config(data):
    class MinibatchStdD(torch.nn.Module):  # a custom module: no config(), batch-dependent output
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(torch.nn.Linear(784, 16), torch.nn.LeakyReLU(0.2))
            self.head = torch.nn.Linear(17, 1)

        def features(self, x):
            return self.body(x.reshape(len(x), -1))

        def forward(self, x):
            h = self.features(x)
            return self.head(torch.cat([h, h.std(0).mean().expand(len(h), 1)], 1)).squeeze(1)

    for loss in ("non_saturating", "feature_matching"):
        result = run(data, steps=3, generator=Generator(4, (16,)), discriminator=MinibatchStdD(), generator_loss=loss)
        assert result.history["g_loss"].shape == (3,)


@pytest.mark.parametrize("ema", [None, 0.9])
def test_exact_resume_after_interruption(data, tmp_path, ema):
    common = dict(k=2, seed=5, snapshot_every=4, n_snapshot=3, ema_decay=ema)
    full = run(data, steps=12, **common)

    class Interrupt(Exception):
        pass

    def stop_at_7(step, _generator):
        if step == 7:
            raise Interrupt

    with pytest.raises(Interrupt):
        run(data, steps=12, checkpoint_every=5, checkpoint_dir=tmp_path, callback=stop_at_7, **common)
    state = T.load_checkpoint(tmp_path / T.CHECKPOINT_NAME)
    assert state["step"] == 5  # the last checkpoint before the interruption
    resumed = run(data, steps=12, checkpoint_dir=tmp_path, resume=True, **common)
    assert resumed.step == 12
    assert_same_weights(full, resumed)
    if ema is not None:
        for a, b in zip(full.raw_generator.parameters(), resumed.raw_generator.parameters()):
            assert torch.equal(a, b)
    for key in T.HISTORY_KEYS:
        np.testing.assert_array_equal(full.history[key], resumed.history[key])
    assert full.snapshot_steps == resumed.snapshot_steps
    for a, b in zip(full.snapshots, resumed.snapshots):
        np.testing.assert_array_equal(a, b)
    # The final checkpoint holds the finished run and loads with weights_only=True.
    final = torch.load(tmp_path / T.CHECKPOINT_NAME, weights_only=True)
    assert final["step"] == 12


def test_resume_with_other_configuration_is_refused(data, tmp_path):
    run(data, steps=2, checkpoint_dir=tmp_path, checkpoint_every=1)
    with pytest.raises(ValueError, match="another configuration"):
        run(data, steps=4, checkpoint_dir=tmp_path, resume=True, lr=5e-4)
    with pytest.raises(FileNotFoundError):
        run(data, steps=4, resume=tmp_path / "missing.pt")


def test_nan_loss_stops_with_step_and_name(data):
    class NaNAfter(Discriminator):
        calls = 0

        def forward(self, x):
            NaNAfter.calls += 1
            out = super().forward(x)
            return out * float("nan") if NaNAfter.calls > 6 else out

    with pytest.raises(T.NonFiniteLossError, match=r"discriminator loss became nan at step 4"):
        run(data, steps=10, generator=Generator(4, (16,)), discriminator=NaNAfter((8,)))


@pytest.mark.parametrize("kwargs, match", [
    (dict(steps=0), "steps"), (dict(steps=None), "steps"), (dict(steps=2.5), "steps"),
    (dict(k=0), "k "), (dict(generator_loss="wasserstein"), "generator_loss"),
    (dict(lr=-1.0), "lr"), (dict(lr_d=0.0), "lr_d"), (dict(betas=(0.5, 1.0)), "betas"),
    (dict(batch_size=0), "batch_size"), (dict(label_smoothing=1.0), "label_smoothing"),
    (dict(ema_decay=1.0), "ema_decay"), (dict(precision="float16"), "precision"), (dict(checkpoint_every=5), "checkpoint_dir"),
    (dict(device="tpu9"), "device"), (dict(minutes=-1), "minutes"),
    (dict(data=np.zeros((4, 10))), "shape"), (dict(resume=True), "checkpoint_dir"),
])
def test_bad_arguments_give_clear_errors(data, kwargs, match):
    kwargs = {"data": data, "steps": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        T.train(progress=False, **kwargs)


def test_feature_matching_needs_features(data):
    class NoFeatures(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(784, 1)

        def forward(self, x):
            return self.lin(x.reshape(len(x), -1)).squeeze(1)

    with pytest.raises(ValueError, match="features"):
        run(data, generator=Generator(4, (16,)), discriminator=NoFeatures(), generator_loss="feature_matching")


def test_minutes_limit_stops_training(data):
    result = T.train(data=data, steps=None, minutes=0.02, batch_size=8, progress=False)
    assert result.step >= 1 and result.history["d_loss"].shape == (result.step,)


def test_foreign_checkpoint_is_refused(tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a ganbook GAN checkpoint"):
        T.load_checkpoint(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a ganbook GAN checkpoint"):
        T.load_checkpoint(tmp_path / "junk.pt")


def test_command_line(tmp_path, capsys):
    assert T.main(["--steps", "3", "--out", str(tmp_path), "--no-progress", "--batch-size", "8"]) == 0
    assert (tmp_path / "checkpoint.pt").exists() and (tmp_path / "samples.png").exists()
    lines = (tmp_path / "history.csv").read_text().splitlines()
    assert lines[0] == "step,d_loss,g_loss,d_real,d_fake" and len(lines) == 4
    with pytest.raises(SystemExit):
        T.main(["--steps", "3", "--minutes", "1", "--out", str(tmp_path)])
    other = tmp_path / "bf16"
    assert T.main(["--steps", "2", "--out", str(other), "--no-progress", "--batch-size", "8",
                   "--precision", "bfloat16", "--lr", "1e-3", "--lr-d", "2e-4"]) == 0
    config = T.load_checkpoint(other / T.CHECKPOINT_NAME)["config"]
    assert (config["precision"], config["lr"], config["lr_d"]) == ("bfloat16", 1e-3, 2e-4)
    with pytest.raises(SystemExit):
        T.main(["--steps", "2", "--out", str(other), "--precision", "float16"])
