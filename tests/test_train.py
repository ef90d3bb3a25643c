"""The MNIST GAN trainer: Algorithm 1, its settings, exact resume, the NaN guard, the CLI."""

import dataclasses
import time
import types

import numpy as np
import pytest
import torch

from ganbook import checkpoint, loop, precision, schedule
from ganbook import train as T
from ganbook import train_cli as CLI
from ganbook.gan import GAN
from ganbook.result import result_from_checkpoint
from ganbook.loop import DivergedError
from ganbook.models import Discriminator, Generator

pytestmark = pytest.mark.usefixtures("one_thread")


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


def test_history_and_snapshot_shapes(data):
    result = run(data, steps=7, snapshot_every=3, n_snapshot=5)
    assert result.step == 7
    for key in T.HISTORY_KEYS:
        assert result.history[key].shape == (7,)
        assert np.isfinite(result.history[key]).all()
    assert result.snapshot_steps == [0, 3, 6, 7]
    assert all(s.shape == (5, 28, 28) and s.dtype == np.float32 for s in result.snapshots)


def test_seeded_runs_are_identical_and_seeds_matter(data):
    a, b = run(data, seed=1), run(data, seed=1)
    assert_same_weights(a, b)
    np.testing.assert_array_equal(a.history["d_loss"], b.history["d_loss"])
    c = run(data, seed=2)
    assert not torch.equal(a.raw_generator.net[0].weight, c.raw_generator.net[0].weight)


def test_default_models_are_built_after_seeding(data):
    a = T.train(data=data, steps=2, batch_size=8, progress=False, seed=3)
    b = T.train(data=data, steps=2, batch_size=8, progress=False, seed=3)
    assert isinstance(a.generator, Generator) and isinstance(a.discriminator, Discriminator)
    assert a.generator.config() == Generator(**T.DEFAULT_GENERATOR).config()
    assert_same_weights(a, b)


def test_callers_rng_is_left_alone(data):
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    T.train(data=data, steps=2, batch_size=8, progress=False)  # builds and trains with its seed
    assert torch.equal(torch.rand(3), expected)


def test_minibatches_come_from_the_runs_own_generator(data):
    # Drawing from torch's global stream inside the call would make results depend on it.
    torch.manual_seed(1)
    a = run(data, steps=3)
    torch.manual_seed(2)
    b = run(data, steps=3)
    assert_same_weights(a, b)


def test_config_holds_validated_settings():
    config = T.TrainConfig(steps=10, betas=[0.5, 0.9], lr_g=1, seed=np.int64(4))
    assert config.betas == (0.5, 0.9) and config.lr_g == 1.0 and config.seed == 4
    identity = config.identity()
    assert "steps" not in identity and "eval_every" not in identity
    assert identity["lr_schedule"] == "cosine" and identity["augment_shift"] == 2
    with pytest.raises(dataclasses_frozen()):
        config.k = 3


def dataclasses_frozen():
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_settings_from_a_config_and_keywords(data):
    config = T.TrainConfig(steps=3, batch_size=8, k=2)
    torch.manual_seed(123)
    a = T.train(*tiny(), data, config, progress=False)
    b = run(data, steps=3, k=2)
    assert_same_weights(a, b)
    c = T.train(*tiny(), data, config, progress=False, steps=4)  # keywords override the config
    assert c.step == 4 and c.config.k == 2


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
    state = checkpoint.load(tmp_path / checkpoint.LATEST)
    assert {int(s["step"]) for s in state["opt_d"]["state"].values()} == {15}
    assert {int(s["step"]) for s in state["opt_g"]["state"].values()} == {5}


def test_minibatch_discrimination_scores_real_and_fake_separately(data):
    torch.manual_seed(0)
    g, d = Generator(4, (16,)), Discriminator((16, 8), minibatch_kernels=3, kernel_dim=2)
    sizes = []
    original = d.forward
    d.forward = lambda x: sizes.append(len(x)) or original(x)
    run(data, steps=2, generator=g, discriminator=d)
    assert set(sizes) == {8}  # never a batch of real and generated digits together


@pytest.mark.parametrize("k", [1, 3])
def test_one_generator_forward_per_discriminator_step(data, k):
    # The generator step reuses the last discriminator step's generated batch.
    g, d = tiny()
    calls = count_forward_calls(g)
    run(data, steps=4, k=k, generator=g, discriminator=d, ema_decay=None)
    assert len(calls) == 4 * k


def test_weight_average_follows_its_definition(data):
    decay = 0.9
    torch.manual_seed(0)
    g, d = tiny()
    expected = [p.detach().clone() for p in g.parameters()]  # the average starts as a copy

    def follow(step, _sampler):
        t = step - 1
        weight = 1.0 - min(decay, (1.0 + t) / (10.0 + t))
        for e, p in zip(expected, g.parameters()):
            e.lerp_(p.detach(), weight)

    result = run(data, steps=5, generator=g, discriminator=d, ema_decay=decay, callback=follow)
    assert result.generator is not result.raw_generator
    for e, p in zip(expected, result.generator.parameters()):
        assert torch.equal(e, p)
    assert not result.generator.training and not any(
        p.requires_grad for p in result.generator.parameters())


@pytest.fixture
def learning_rates(monkeypatch):
    """The (lr_g, lr_d) that the trainer sets, step by step."""
    rates = []
    original = T.GAN.set_learning_rates

    def spy(self, lr_g, lr_d):
        rates.append((lr_g, lr_d))
        original(self, lr_g, lr_d)

    monkeypatch.setattr(T.GAN, "set_learning_rates", spy)
    return rates


@pytest.fixture
def batch_sizes(monkeypatch):
    """The number of real digits in each discriminator update."""
    sizes = []
    original = GAN.discriminator_step

    def spy(gan, real, fake, smoothing):
        sizes.append(len(real))
        return original(gan, real, fake, smoothing)

    monkeypatch.setattr(GAN, "discriminator_step", spy)
    return sizes


@pytest.fixture
def steady_clock(monkeypatch):
    """The training loop's clock advances 5 ms each time it is read (twice a step), whatever
    the machine and its load: a timed run then makes the same steps everywhere."""
    now = [0.0]

    def perf_counter():
        now[0] += 0.005
        return now[0]

    monkeypatch.setattr(loop, "time", types.SimpleNamespace(perf_counter=perf_counter))


def test_a_grown_batch_is_used_after_the_pace_is_known_and_kept_on_resume(
        data, tmp_path, monkeypatch, batch_sizes, steady_clock):
    monkeypatch.setattr(schedule, "PACE_STEPS", 5)
    timed = dict(steps=None, minutes=0.01, full_rate_steps=2, eval_every=None,
                 checkpoint_dir=tmp_path)
    result = run(data, **timed)  # about 60 steps fit in 0.6 s: the batch grows
    assert result.step > 10 and result.batch_size > 8
    assert batch_sizes[:5] == [8] * 5 and set(batch_sizes[5:]) == {result.batch_size}
    state = checkpoint.load(tmp_path / checkpoint.LATEST)
    assert state["batch_size"] == result.batch_size and state["config"]["grow_batch"]
    batch_sizes.clear()
    resumed = run(data, **{**timed, "minutes": 0.015}, resume=True)
    assert resumed.step > result.step and resumed.batch_size == result.batch_size
    assert set(batch_sizes) == {result.batch_size}  # not decided again from a new pace


def test_a_grown_run_plans_its_length_from_its_new_pace(data, monkeypatch, learning_rates,
                                                        steady_clock):
    timed = T.TrainConfig(steps=None, minutes=20.0)
    # 100 steps at the first size, then 1,000 more in 20 s: 50 steps/s for the 1,170 s left.
    assert schedule.planned_steps(timed, 1100, 30.0, since=(100, 10.0)) == pytest.approx(59600)
    assert schedule.planned_steps(timed, 100 + schedule.PACE_STEPS - 1, 30.0,
                                  since=(100, 10.0)) is None
    monkeypatch.setattr(schedule, "PACE_STEPS", 5)
    settings = dict(steps=None, minutes=0.01, full_rate_steps=2, eval_every=None,
                    lr_schedule="constant", lr_g=1e-3, lr_d=2e-3)
    grown = run(data, **settings)
    assert grown.batch_size > 8 and grown.step > 12
    # Full rates until the new pace is known (5 steps at each size), then scaled down
    # for a run that still plans far more than 2 steps.
    np.testing.assert_allclose(learning_rates[:10], [(1e-3, 2e-3)] * 10)
    assert all(lr_g < 1e-3 / 2 for lr_g, _ in learning_rates[10:])
    learning_rates.clear()
    fixed = run(data, **settings, grow_batch=False)
    assert fixed.batch_size == 8
    np.testing.assert_allclose(learning_rates[:5], [(1e-3, 2e-3)] * 5)
    assert all(lr_g < 1e-3 / 2 for lr_g, _ in learning_rates[5:])


def test_a_long_run_trains_at_the_scaled_rates(data, learning_rates):
    run(data, steps=8, full_rate_steps=2, lr_schedule="constant", lr_g=1e-3, lr_d=2e-3)
    np.testing.assert_allclose(learning_rates, [(2.5e-4, 5e-4)] * 8)


def test_cosine_schedule_sets_the_learning_rates(data, learning_rates):
    run(data, steps=4, lr_schedule="cosine", decay_start=0.25, lr_g=1e-3, lr_d=2e-3)
    expected = [(1e-3 * schedule.learning_rate_scale("cosine", i / 4, 0.25),
                 2e-3 * schedule.learning_rate_scale("cosine", i / 4, 0.25)) for i in range(4)]
    assert expected[1] == (1e-3, 2e-3) and expected[2][0] < 1e-3  # held, then falling
    np.testing.assert_allclose(learning_rates, expected)


def test_a_timed_run_follows_the_clock_down_to_a_small_rate(data, learning_rates,
                                                            steady_clock):
    result = run(data, steps=None, minutes=0.02, lr_g=1e-3, eval_every=None)
    rates = [lr_g for lr_g, _ in learning_rates]
    assert result.step > 100 and rates[0] == pytest.approx(1e-3)
    assert all(a >= b for a, b in zip(rates, rates[1:]))  # never rising
    assert rates[len(rates) // 3] == pytest.approx(1e-3)  # full rates for the first half
    assert rates[-1] < 1e-3 * 0.01  # the last step is taken close to the deadline


def test_bfloat16_precision_trains_float32_weights(data, tmp_path):
    # PyTorch keeps the products of the tiny test models in float32; these are large enough.
    def larger(steps, precision="bfloat16", **kwargs):
        torch.manual_seed(0)
        # A constant rate: a run that is cut after 3 of 6 steps is then continued exactly.
        return run(data, steps=steps, precision=precision, batch_size=32, lr_schedule="constant",
                   generator=Generator(32, (64,)), discriminator=Discriminator((64, 32)),
                   **kwargs)

    with pytest.warns(RuntimeWarning) if not T.cpu_has_bfloat16() else _no_warning():
        a, b = larger(5), larger(5)
    assert_same_weights(a, b)  # still deterministic
    assert all(np.isfinite(a.history[key]).all() for key in T.HISTORY_KEYS)
    assert all(v.dtype == torch.float32 for v in weights(a).values())
    whole = larger(6)  # resume is exact in bfloat16 too
    larger(3, checkpoint_every=3, checkpoint_dir=tmp_path)
    resumed = larger(6, checkpoint_dir=tmp_path, resume=True)
    assert_same_weights(whole, resumed)


class _no_warning:
    def __enter__(self):
        import warnings

        self.catcher = warnings.catch_warnings()
        self.catcher.__enter__()
        warnings.simplefilter("error", RuntimeWarning)

    def __exit__(self, *exc):
        self.catcher.__exit__(*exc)


def test_bfloat16_matmul_mode_is_set_during_training_and_restored(data):
    seen = []
    before = torch.backends.mkldnn.matmul.fp32_precision
    record = lambda step, g: seen.append(torch.backends.mkldnn.matmul.fp32_precision)  # noqa
    with pytest.warns(RuntimeWarning) if not T.cpu_has_bfloat16() else _no_warning():
        run(data, steps=2, precision="bfloat16", callback=record)
    assert seen == ["bf16", "bf16"] and torch.backends.mkldnn.matmul.fp32_precision == before
    run(data, steps=1, callback=record)
    assert seen[-1] == before  # float32 leaves it alone

    def fail(step, g):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # an interrupted run restores it too
        run(data, steps=3, precision="bfloat16", callback=fail)
    assert torch.backends.mkldnn.matmul.fp32_precision == before


def test_bfloat16_cpu_matmuls_are_as_accurate_as_bfloat16_inputs():
    # What holds on every CPU: with bfloat16 instructions oneDNN rounds the inputs to bfloat16
    # (8 significant bits, unit roundoff u = 2^-8) and sums the products in its own order and
    # blocking, perhaps rounding partial sums; without them the product stays float32. Either
    # way each entry is within a few u of |a| @ |b| of the exact product.
    rng = torch.Generator().manual_seed(0)
    a = torch.randn(32, 64, dtype=torch.float64, generator=rng)
    b = torch.randn(64, 16, dtype=torch.float64, generator=rng)
    exact, scale = a @ b, a.abs() @ b.abs()
    before = torch.backends.mkldnn.matmul.fp32_precision
    with precision.bfloat16_cpu_matmuls():
        assert torch.backends.mkldnn.matmul.fp32_precision == "bf16"
        got = (a.float() @ b.float()).double()
    assert ((got - exact).abs() <= 4 * 2.0**-8 * scale).all()
    assert torch.backends.mkldnn.matmul.fp32_precision == before
    outside = (a.float() @ b.float()).double()  # float32 again: 24 significant bits
    assert ((outside - exact).abs() <= 64 * 2.0**-24 * scale).all()
    with pytest.raises(KeyboardInterrupt), precision.bfloat16_cpu_matmuls():
        raise KeyboardInterrupt
    assert torch.backends.mkldnn.matmul.fp32_precision == before


def test_bfloat16_on_a_cpu_without_it_warns(data, monkeypatch):
    monkeypatch.setattr(T, "cpu_has_bfloat16", lambda: False)
    with pytest.warns(RuntimeWarning, match="bfloat16"):
        run(data, steps=1, precision="bfloat16")
    monkeypatch.setattr(T, "cpu_has_bfloat16", lambda: True)
    with _no_warning():
        run(data, steps=1, precision="bfloat16")


@pytest.mark.parametrize("loss", ["non_saturating", "saturating", "feature_matching"])
def test_every_generator_loss_trains(data, loss):
    result = run(data, steps=4, generator_loss=loss)
    assert np.isfinite(result.history["g_loss"]).all()


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


@pytest.mark.parametrize("k", [1, 2])
def test_generator_update_computes_no_discriminator_gradients(data, k):
    # Autograd fires a parameter's hook each time it computes that parameter's gradient.
    g, d = tiny()
    d_grads, g_grads = [], []
    for p in d.parameters():
        p.register_hook(lambda grad: d_grads.append(1))
    for p in g.parameters():
        p.register_hook(lambda grad: g_grads.append(1))
    run(data, steps=3, k=k, generator=g, discriminator=d)
    assert len(d_grads) == 3 * k * len(list(d.parameters()))  # the D updates only
    assert len(g_grads) == 3 * len(list(g.parameters()))  # one G update per step


def test_custom_discriminator_without_config(data):
    class MinibatchStdD(torch.nn.Module):  # a custom module: no config(), batch-dependent
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
        result = run(data, steps=3, generator=Generator(4, (16,)),
                     discriminator=MinibatchStdD(), generator_loss=loss)
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
        run(data, steps=12, checkpoint_every=5, checkpoint_dir=tmp_path, callback=stop_at_7,
            **common)
    state = checkpoint.load(tmp_path / checkpoint.LATEST)
    assert state["step"] == 5  # the last checkpoint before the interruption
    resumed = run(data, steps=12, checkpoint_dir=tmp_path, resume=True, **common)
    assert resumed.step == 12
    assert_same_weights(full, resumed)
    for a, b in zip(full.raw_generator.parameters(), resumed.raw_generator.parameters()):
        assert torch.equal(a, b)
    for key in T.HISTORY_KEYS:
        np.testing.assert_array_equal(full.history[key], resumed.history[key])
    assert full.snapshot_steps == resumed.snapshot_steps
    for a, b in zip(full.snapshots, resumed.snapshots):
        np.testing.assert_array_equal(a, b)
    # The final checkpoint holds the finished run and loads with weights_only=True.
    final = torch.load(tmp_path / checkpoint.LATEST, weights_only=True)
    assert final["step"] == 12


def test_resume_with_other_settings_is_refused(data, tmp_path):
    run(data, steps=2, checkpoint_dir=tmp_path, checkpoint_every=1)
    with pytest.raises(ValueError, match="other settings"):
        run(data, steps=4, checkpoint_dir=tmp_path, resume=True, lr_g=5e-4)
    resumed = run(data, steps=4, checkpoint_dir=tmp_path, resume=True)  # longer is fine
    assert resumed.step == 4


def test_checkpoint_rebuilds_the_models(data, tmp_path):
    result = T.train(data=data, steps=3, batch_size=8, progress=False, checkpoint_dir=tmp_path)
    again = result_from_checkpoint(tmp_path / checkpoint.LATEST)
    assert again.step == 3 and again.history["d_loss"].shape == (3,)
    for a, b in zip(result.generator.parameters(), again.generator.parameters()):
        assert torch.equal(a, b)
    assert not torch.equal(next(again.generator.parameters()),
                           next(again.raw_generator.parameters()))  # the average is sampled


def test_nan_loss_stops_with_step_and_name(data):
    class NaNAfter(Discriminator):
        calls = 0

        def forward(self, x):
            NaNAfter.calls += 1
            out = super().forward(x)
            return out * float("nan") if NaNAfter.calls > 6 else out

    # 2 forwards per step (D update, G update): the 7th forward is in step 4.
    with pytest.raises(DivergedError, match=r"diverged at step 4: d_loss became nan.*smaller"):
        run(data, steps=10, generator=Generator(4, (16,)), discriminator=NaNAfter((8,)))


@pytest.mark.parametrize("kwargs, match", [
    (dict(steps=0), "steps"), (dict(steps=None), "steps"), (dict(steps=2.5), "steps"),
    (dict(k=0), "k "), (dict(generator_loss="wasserstein"), "generator_loss"),
    (dict(lr_g=-1.0), "lr_g"), (dict(lr_d=0.0), "lr_d"), (dict(betas=(0.5, 1.0)), "betas"),
    (dict(batch_size=0), "batch_size"), (dict(label_smoothing=1.0), "label_smoothing"),
    (dict(ema_decay=1.0), "ema_decay"), (dict(ema_decay=0.0), "ema_decay"),
    (dict(precision="float16"), "precision"), (dict(checkpoint_every=5), "checkpoint_dir"),
    (dict(device="tpu9"), "device"), (dict(minutes=-1), "minutes"),
    (dict(lr_schedule="linear"), "lr_schedule"), (dict(decay_start=1.0), "decay_start"),
    (dict(decay_start=-0.1), "decay_start"), (dict(full_rate_steps=0), "full_rate_steps"),
    (dict(grow_batch="yes"), "grow_batch"),
    (dict(data=np.zeros((4, 10))), "shape"), (dict(resume=True), "checkpoint_dir"),
    (dict(n_snapshot=0), "n_snapshot"), (dict(snapshot_every=0), "snapshot_every"),
])
def test_bad_arguments_give_clear_errors(data, kwargs, match):
    kwargs = {"data": data, "steps": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        T.train(progress=False, **kwargs)


def test_unknown_setting_is_a_type_error(data):
    with pytest.raises(TypeError, match="lr"):
        T.train(data=data, steps=1, progress=False, lr=1e-3)  # the name is lr_g


def test_feature_matching_needs_features(data):
    class NoFeatures(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(784, 1)

        def forward(self, x):
            return self.lin(x.reshape(len(x), -1)).squeeze(1)

    with pytest.raises(ValueError, match="features"):
        run(data, generator=Generator(4, (16,)), discriminator=NoFeatures(),
            generator_loss="feature_matching")


def test_minutes_limit_stops_training(data):
    started = []  # when each step's generator update ended (the callback's time)
    result = run(data, steps=None, minutes=0.02, eval_every=None,
                 callback=lambda step, g: started.append(time.perf_counter()))
    assert result.step == len(started) >= 1
    assert result.history["d_loss"].shape == (result.step,)
    assert result.seconds >= 1.2  # never stops early
    # ... and starts no step after the deadline: the last one began within 1.2 s of the first.
    assert len(started) < 2 or started[-2] - started[0] < 1.2


def test_foreign_checkpoint_is_refused(tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a ganbook GAN checkpoint"):
        checkpoint.load(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a ganbook GAN checkpoint"):
        checkpoint.load(tmp_path / "junk.pt")
    with pytest.raises(FileNotFoundError):
        checkpoint.load(tmp_path / "missing.pt")


def test_command_line(tmp_path, capsys):
    assert CLI.main(["--steps", "3", "--out", str(tmp_path), "--no-progress",
                   "--batch-size", "8"]) == 0
    assert (tmp_path / "checkpoint.pt").exists() and (tmp_path / "samples.png").exists()
    lines = (tmp_path / "history.csv").read_text().splitlines()
    assert lines[0] == "step,d_loss,g_loss,d_real,d_fake,fd,confidence,smallest_class"
    assert len(lines) == 4 and lines[1].endswith(",,")
    with pytest.raises(SystemExit):
        CLI.main(["--steps", "3", "--minutes", "1", "--out", str(tmp_path)])
    other = tmp_path / "bf16"
    assert CLI.main(["--steps", "2", "--out", str(other), "--no-progress", "--batch-size", "8",
                   "--precision", "bfloat16", "--lr-g", "1e-3", "--lr-d", "2e-4",
                   "--fixed-batch"]) == 0
    config = checkpoint.load(other / checkpoint.LATEST)["config"]
    assert (config["precision"], config["lr_g"], config["lr_d"]) == ("bfloat16", 1e-3, 2e-4)
    assert not config["grow_batch"]
    assert checkpoint.load(tmp_path / checkpoint.LATEST)["config"]["grow_batch"]
    with pytest.raises(SystemExit):
        CLI.main(["--steps", "2", "--out", str(other), "--precision", "float16"])


def test_the_command_line_trains_with_the_python_defaults(tmp_path, monkeypatch):
    seen = {}

    def train_spy(**kwargs):
        seen.update(kwargs)
        raise ValueError("stopped by the test")

    monkeypatch.setattr(CLI, "train", train_spy)
    with pytest.raises(SystemExit):
        CLI.main(["--minutes", "5", "--out", str(tmp_path / "run")])
    names = {f.name for f in dataclasses.fields(T.TrainConfig)}
    cli = dataclasses.asdict(T.TrainConfig(**{k: v for k, v in seen.items() if k in names}))
    python = dataclasses.asdict(T.TrainConfig(steps=None, minutes=5))
    assert cli.pop("checkpoint_every") == 500 and python.pop("checkpoint_every") is None
    assert cli == python and seen["discriminator"] is None  # the default models too


def test_command_line_remedies(tmp_path, capsys):
    """Minibatch discrimination and historical averaging from the command line (chapter 8)."""
    assert CLI.main(["--steps", "2", "--out", str(tmp_path), "--no-progress", "--batch-size", "8",
                   "--minibatch-kernels", "3", "--kernel-dim", "2",
                   "--historical-averaging", "1e-3", "--eval-every", "1000"]) == 0
    state = checkpoint.load(tmp_path / checkpoint.LATEST)
    assert state["discriminator_config"]["minibatch_kernels"] == 3
    assert state["discriminator_config"]["kernel_dim"] == 2
    assert state["config"]["historical_averaging"] == 1e-3
    capsys.readouterr()
    with pytest.raises(SystemExit):
        CLI.main(["--steps", "2", "--out", str(tmp_path / "bad"), "--minibatch-kernels", "-1"])
    err = capsys.readouterr().err
    assert "minibatch_kernels" in err and "Traceback" not in err


# ------------------------------------------------------------ held-out evaluation


def small_monitor(latent_dim=4, n_samples=64):
    """A HeldOutMonitor with a (random) small classifier and random held-out digits: fast."""
    from ganbook.classifier import DigitClassifier
    from ganbook.monitor import HeldOutMonitor

    torch.manual_seed(0)
    held_out = np.random.default_rng(1).integers(0, 256, size=(80, 28, 28), dtype=np.uint8)
    return HeldOutMonitor(latent_dim, n_samples, test_digits=held_out,
                          classifier=DigitClassifier().eval())


def test_evaluations_keep_the_best_generator(data, tmp_path):
    from ganbook import sample

    samplers = {}
    keep = lambda step, s: samplers.__setitem__(step, copy_state(s))  # noqa: E731
    result = run(data, steps=9, eval_every=2, monitor=small_monitor(), checkpoint_dir=tmp_path,
                 callback=keep)
    assert [e.step for e in result.evaluations] == [2, 4, 6, 8, 9]  # and the last step
    best = min(result.evaluations, key=lambda e: e.fd)
    assert result.best == best and result.best_checkpoint == tmp_path / checkpoint.BEST
    assert all(len(e.class_fractions) == 10 and 0 <= e.confidence <= 1
               for e in result.evaluations)
    saved = checkpoint.load(tmp_path / checkpoint.BEST)
    assert saved["kind"] == "best" and saved["step"] == best.step
    for key, value in sample.load_generator(tmp_path).state_dict().items():
        assert torch.equal(value, samplers[best.step][key]), key  # the best step's weights
    latest = sample.load_generator(tmp_path, latest=True)
    for a, b in zip(latest.parameters(), result.generator.parameters()):
        assert torch.equal(a, b)
    assert (tmp_path / T.PROGRESS_PLOT).stat().st_size > 10_000


def copy_state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_evaluation_leaves_training_unchanged(data):
    a = run(data, steps=6, eval_every=2, monitor=small_monitor())
    b = run(data, steps=6, eval_every=None)
    assert_same_weights(a, b)
    assert len(a.evaluations) == 3 and b.evaluations == [] and b.best is None


def test_resume_keeps_the_evaluations_and_the_best(data, tmp_path):
    full = run(data, steps=8, eval_every=2, monitor=small_monitor(),
               checkpoint_dir=tmp_path / "full")

    def stop_at_7(step, _sampler):
        if step == 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(data, steps=8, eval_every=2, monitor=small_monitor(), checkpoint_every=5,
            checkpoint_dir=tmp_path / "cut", callback=stop_at_7)
    saved = checkpoint.load(tmp_path / "cut" / checkpoint.LATEST)["evaluation_seconds"]
    resumed = run(data, steps=8, eval_every=2, monitor=small_monitor(),
                  checkpoint_dir=tmp_path / "cut", resume=True)
    assert resumed.evaluations == full.evaluations and resumed.best == full.best
    # the evaluations' time counts all segments, like the training time it is compared with
    assert saved > 0 and resumed.evaluation_seconds > saved
    a = checkpoint.load(tmp_path / "full" / checkpoint.BEST)
    b = checkpoint.load(tmp_path / "cut" / checkpoint.BEST)
    assert a["step"] == b["step"]
    for key in a["generator"]:
        assert torch.equal(a["generator"][key], b["generator"][key])


def test_evaluation_is_off_for_runs_shorter_than_its_interval(data, monkeypatch):
    import ganbook.train

    def fail(*args, **kwargs):
        raise AssertionError("no monitor should be built")

    monkeypatch.setattr(ganbook.train, "HeldOutMonitor", fail)
    assert run(data, steps=5, eval_every=10).evaluations == []


def test_command_line_rejects_a_file_as_out(tmp_path, capsys):
    target = tmp_path / "a_file"
    target.write_text("x")
    with pytest.raises(SystemExit) as stop:
        CLI.main(["--steps", "2", "--out", str(target), "--no-progress"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: --out {target} is a file; give a folder for the run's files"]


def test_command_line_stops_a_diverging_run(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        CLI.main(["--steps", "50", "--out", str(tmp_path), "--no-progress", "--batch-size", "8",
                "--lr-g", "1e6", "--lr-d", "1e6"])
    assert stop.value.code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "diverged at step" in line and "smaller learning rate" in line and "lr_g=1e+06" in line
    assert not (tmp_path / "samples.png").exists()
