"""Algorithm 1 of Goodfellow et al. (2014): minibatch stochastic gradient training of a GAN.

``train(...)`` runs ``steps`` iterations; each iteration takes ``k`` discriminator steps and
one generator step, with Adam (Kingma & Ba 2015) for both players.  The training set lives in
memory as one float tensor (no per-item transforms), all randomness comes from torch's RNG
seeded with ``seed``, and a checkpoint holds everything needed to resume *exactly*: the
weights, both optimisers, the RNG states, the step, the history and the snapshots.

Command line::

    python -m ganbook.train --steps 3000 --out runs/default
    python -m ganbook.train --minutes 2 --out runs/quick --device cuda
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import json
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .models import Discriminator, Generator, from_images, to_images

GENERATOR_LOSSES = ("non_saturating", "saturating", "feature_matching")
PRECISIONS = ("float32", "bfloat16")
HISTORY_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")
CHECKPOINT_FORMAT = "ganbook.gan-checkpoint"
CHECKPOINT_VERSION = 1
CHECKPOINT_NAME = "checkpoint.pt"

# The book's default run (chapter 06 trains it; later chapters reuse it through
# load_or_train_default).  Chosen to pass the quality bar of chapter 06 in well under five
# minutes on two CPU cores; see that chapter for the reasons behind each value.
DEFAULT_GENERATOR = {"latent_dim": 64, "hidden": [256, 512], "out_dim": 784, "negative_slope": 0.2}
DEFAULT_DISCRIMINATOR = {"hidden": [512, 256], "in_dim": 784, "dropout": 0.0, "negative_slope": 0.2}
DEFAULT_TRAINING = {
    "steps": 9000,
    "k": 1,
    "generator_loss": "non_saturating",
    "lr": 1.5e-3,
    "lr_d": 5e-4,
    "betas": (0.5, 0.999),
    "batch_size": 64,
    "label_smoothing": 0.0,
    "ema_decay": 0.999,
    "decay_from": None,
    "precision": "float32",
    "seed": 0,
}


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; the message names the step and the loss."""


@dataclass
class TrainResult:
    """What :func:`train` returns."""

    generator: nn.Module  # the generator to sample from (the weight average when ema_decay is set)
    discriminator: nn.Module
    history: dict  # name -> float64 numpy array, one entry per step (iteration of Algorithm 1)
    snapshot_steps: list = field(default_factory=list)  # steps at which snapshots were taken
    snapshots: list = field(default_factory=list)  # float32 (m, 28, 28) arrays in [0, 1]
    step: int = 0  # steps completed
    seconds: float = 0.0  # wall-clock training time, summed over resumed segments
    config: dict = field(default_factory=dict)
    checkpoint: Path | None = None
    raw_generator: nn.Module | None = None  # the trained weights themselves (same as generator without EMA)

    @property
    def steps_per_second(self) -> float:
        return self.step / self.seconds if self.seconds > 0 else float("nan")


# --------------------------------------------------------------------------- losses


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, label_smoothing: float = 0.0):
    """``-[log D(x) + log(1 - D(G(z)))]`` averaged, from logits (``BCEWithLogits`` with targets 1 / 0).

    With one-sided label smoothing (Salimans et al. 2016) the real target is ``1 - label_smoothing``.
    ``-log sigmoid(l) = softplus(-l)`` and ``-log(1 - sigmoid(l)) = softplus(l)``, computed stably.
    """
    if label_smoothing == 0.0:  # the usual case: no term multiplied by zero
        loss_real = F.softplus(-real_logits)
    else:
        real_target = 1.0 - label_smoothing
        loss_real = real_target * F.softplus(-real_logits) + label_smoothing * F.softplus(real_logits)
    return loss_real.mean() + F.softplus(fake_logits).mean()


def generator_loss_from_logits(fake_logits: torch.Tensor, kind: str) -> torch.Tensor:
    """Non-saturating ``-log D(G(z))`` or saturating ``log(1 - D(G(z)))`` (the minimax value)."""
    if kind == "non_saturating":
        return F.softplus(-fake_logits).mean()
    if kind == "saturating":
        return -F.softplus(fake_logits).mean()
    raise ValueError(f"generator_loss_from_logits handles 'non_saturating' or 'saturating', got {kind!r}")


# --------------------------------------------------------------------------- helpers


def cpu_has_fast_bfloat16() -> bool:
    """Whether oneDNN, which runs PyTorch's bfloat16 matrix products on the CPU, has bfloat16
    instructions (AVX512-BF16 or AMX) to use here."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without oneDNN
        return False


@contextlib.contextmanager
def bfloat16_cpu_matmuls(enabled: bool = True):
    """Within the block, float32 matrix products on the CPU round their inputs to bfloat16 and
    accumulate in float32 (oneDNN's bf16 math mode, like TF32 on GPUs); everything else stays
    float32.  The process-wide setting is restored on exit.  Where oneDNN has no bfloat16
    instructions, the products stay plain float32."""
    if not enabled:
        yield
        return
    previous = torch.backends.mkldnn.matmul.fp32_precision
    torch.backends.mkldnn.matmul.fp32_precision = "bf16"
    try:
        yield
    finally:
        torch.backends.mkldnn.matmul.fp32_precision = previous


def adam_update(optimizer: torch.optim.Adam, params, grads) -> None:
    """One step of ``optimizer`` (a :class:`torch.optim.Adam`) for ``params`` with ``grads``
    (``None`` entries are skipped, as ``step()`` skips parameters without ``.grad``).

    ``optimizer.step()`` spends about 0.1 ms per call in Python (grouping tensors by device and
    dtype, checking options): a few percent of a training step here.  When the optimiser is
    fused, has one parameter group of plain options and already holds state for every
    parameter, this calls the same fused kernel directly -- same arithmetic, bit for bit (the
    tests compare it with ``step()``).  Otherwise it hands the gradients to ``step()``."""
    pairs = [(p, g) for p, g in zip(params, grads, strict=True) if g is not None]
    if not pairs:
        return
    group = optimizer.param_groups[0]
    state = optimizer.state
    direct = (len(optimizer.param_groups) == 1 and group.get("fused") and not group["amsgrad"]
              and not group["maximize"] and not group["capturable"] and not group["differentiable"]
              and not group.get("decoupled_weight_decay", False)
              and isinstance(group["lr"], float) and all(isinstance(b, float) for b in group["betas"])
              and all(p in state for p, _ in pairs)
              and len({(p.device, p.dtype) for p, _ in pairs}) == 1)
    if not direct:
        for p, g in pairs:
            p.grad = g
        optimizer.step()
        for p, _ in pairs:
            p.grad = None
        return
    params = [p for p, _ in pairs]
    steps = [state[p]["step"] for p in params]
    torch._foreach_add_(steps, 1)
    torch._fused_adam_(params, [g for _, g in pairs], [state[p]["exp_avg"] for p in params],
                       [state[p]["exp_avg_sq"] for p in params], [], steps, amsgrad=False,
                       lr=group["lr"], beta1=group["betas"][0], beta2=group["betas"][1],
                       weight_decay=group["weight_decay"], eps=group["eps"], maximize=False)


def _cpu(obj):
    """Recursively move tensors to the CPU (checkpoints are device independent)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {key: _cpu(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_cpu(value) for value in obj)
    return obj


def _model_config(module: nn.Module):
    config = getattr(module, "config", None)
    return config() if callable(config) else None


def _prepare_data(data) -> torch.Tensor:
    if data is None:
        from .data import load_split

        (train_x, _), _ = load_split()
        data = train_x
    return from_images(data)


def config_hash(config: dict) -> str:
    """Short stable hash of a JSON-able configuration (names the cached run folder)."""
    text = json.dumps(config, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _validate(steps, minutes, k, generator_loss, lr, lr_d, betas, batch_size, label_smoothing, ema_decay, decay_from,
              precision, checkpoint_every, snapshot_every, n_snapshot, device):
    if steps is None and minutes is None:
        raise ValueError("give steps (a positive int) or minutes (a positive number)")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1):
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if minutes is not None and not (isinstance(minutes, (int, float)) and minutes > 0 and math.isfinite(minutes)):
        raise ValueError(f"minutes must be a positive number, got {minutes!r}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k (discriminator steps per generator step) must be a positive int, got {k!r}")
    if generator_loss not in GENERATOR_LOSSES:
        raise ValueError(f"generator_loss must be one of {GENERATOR_LOSSES}, got {generator_loss!r}")
    for name, value in (("lr", lr), ("lr_d", lr)) if lr_d is None else (("lr", lr), ("lr_d", lr_d)):
        if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    if len(tuple(betas)) != 2 or not all(0.0 <= b < 1.0 for b in betas):
        raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}")
    if decay_from is not None and not (isinstance(decay_from, (int, float)) and 0.0 <= decay_from < 1.0):
        raise ValueError(f"decay_from must be None or a fraction in [0, 1), got {decay_from!r}")
    if decay_from is not None and steps is None:
        raise ValueError("decay_from needs steps (the schedule ends at the last step)")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if ema_decay is not None and not (isinstance(ema_decay, (int, float)) and 0.0 < ema_decay < 1.0):
        raise ValueError(f"ema_decay must be None or a number in (0, 1), got {ema_decay!r}")
    for name, value in (("checkpoint_every", checkpoint_every), ("snapshot_every", snapshot_every)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1):
            raise ValueError(f"{name} must be None or a positive int, got {value!r}")
    if isinstance(n_snapshot, bool) or not isinstance(n_snapshot, (int, np.integer)) or n_snapshot < 1:
        raise ValueError(f"n_snapshot must be a positive int, got {n_snapshot!r}")
    try:
        torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must name a torch device such as 'cpu' or 'cuda', got {device!r}") from err


def save_checkpoint(path, state: dict) -> Path:
    """Write ``state`` atomically (a crash never leaves a half-written checkpoint)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    torch.save(_cpu(state), partial)
    partial.replace(path)
    return path


def load_checkpoint(path, map_location="cpu") -> dict:
    """Load a checkpoint written by :func:`train` (``weights_only=True``); clear errors otherwise."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:
        raise ValueError(f"{path} is not a ganbook GAN checkpoint (torch.load failed: {err})") from err
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a ganbook GAN checkpoint (no '{CHECKPOINT_FORMAT}' marker)")
    if state.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{path} has checkpoint version {state.get('version')}, expected {CHECKPOINT_VERSION}")
    return state


# ----------------------------------------------------------------------------- train


def train(
    generator: nn.Module | None = None,
    discriminator: nn.Module | None = None,
    data=None,
    steps: int | None = DEFAULT_TRAINING["steps"],
    *,
    minutes: float | None = None,
    k: int = DEFAULT_TRAINING["k"],
    generator_loss: str = DEFAULT_TRAINING["generator_loss"],
    lr: float = DEFAULT_TRAINING["lr"],
    lr_d: float | None = DEFAULT_TRAINING["lr_d"],
    betas=DEFAULT_TRAINING["betas"],
    batch_size: int = DEFAULT_TRAINING["batch_size"],
    label_smoothing: float = DEFAULT_TRAINING["label_smoothing"],
    ema_decay: float | None = DEFAULT_TRAINING["ema_decay"],
    decay_from: float | None = DEFAULT_TRAINING["decay_from"],
    precision: str = DEFAULT_TRAINING["precision"],
    seed: int = 0,
    device: str = "cpu",
    checkpoint_every: int | None = None,
    checkpoint_dir=None,
    resume: bool | str | Path = False,
    snapshot_every: int | None = None,
    n_snapshot: int = 100,
    progress: bool = True,
    callback: Callable[[int, nn.Module], None] | None = None,
) -> TrainResult:
    """Train a GAN with Algorithm 1 of Goodfellow et al. (2014).

    generator, discriminator: modules (the defaults are built, after seeding, when None).  The
        discriminator returns logits; ``generator_loss="feature_matching"`` also needs its
        ``features(x)`` method.  A generator must expose ``latent_dim``.
    data: training images, uint8 or float in [0, 1], shape (n, 28, 28) or (n, 784); default
        the MNIST-10k train split.
    steps: iterations of Algorithm 1 (k discriminator steps + one generator step each);
        ``minutes`` instead (or as well) stops at a wall-clock limit.
    generator_loss: ``"non_saturating"`` (``-log D(G(z))``, the paper's practical choice),
        ``"saturating"`` (``log(1 - D(G(z)))``, the minimax objective) or
        ``"feature_matching"`` (``||mean f(x) - mean f(G(z))||^2``, Salimans et al. 2016).
    lr, lr_d, betas: Adam settings of the generator (``lr``) and the discriminator (``lr_d``;
        None means the same as ``lr``).
    label_smoothing: one-sided: real targets become ``1 - label_smoothing``.
    ema_decay: keep an exponential moving average of the generator's weights (decay per step,
        warmed up as ``min(ema_decay, (1 + t) / (10 + t))``) and return it as ``generator``;
        the trained weights themselves are ``raw_generator``.
    decay_from: if set (a fraction in [0, 1)), both learning rates stay constant for that
        fraction of ``steps`` and then fall linearly to zero at the last step.
    precision: ``"float32"`` (the default, and the reference for every figure of the book) or
        ``"bfloat16"``: matrix products take bfloat16 inputs and accumulate in float32 -- on the
        CPU through :func:`bfloat16_cpu_matmuls` for the whole run (weights, activations,
        optimiser states and losses stay float32), on CUDA under ``torch.autocast``.  Faster on
        CPUs with AVX512-BF16 or AMX (see the README's benchmark); on a CPU without bfloat16
        instructions it is plain float32, and a warning says so.
    checkpoint_every, checkpoint_dir: save ``checkpoint_dir/checkpoint.pt`` every so many steps
        and at the end.  ``resume=True`` continues from that file when it exists (a path
        resumes from that file); the result is bit-identical to an uninterrupted run.
    snapshot_every, n_snapshot: keep ``n_snapshot`` samples from a fixed latent batch at step 0,
        every ``snapshot_every`` steps and at the end.
    callback: called as ``callback(step, sampling_generator)`` after every step.
    A NaN or infinite loss raises :class:`NonFiniteLossError` naming the step and the loss.
    """
    _validate(steps, minutes, k, generator_loss, lr, lr_d, betas, batch_size, label_smoothing, ema_decay, decay_from,
              precision, checkpoint_every, snapshot_every, n_snapshot, device)
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was requested but torch.cuda.is_available() is False")
    if checkpoint_every is not None and checkpoint_dir is None:
        raise ValueError("checkpoint_every needs a checkpoint_dir")
    if precision == "bfloat16" and device.type == "cpu" and not cpu_has_fast_bfloat16():
        warnings.warn("this CPU has no bfloat16 instructions that PyTorch can use: precision='bfloat16' "
                      "trains in plain float32 here, no faster", RuntimeWarning, stacklevel=2)
    lr_d = lr if lr_d is None else lr_d
    betas = (float(betas[0]), float(betas[1]))

    def autocast():  # bfloat16 on CUDA; the CPU uses bfloat16_cpu_matmuls around the whole loop
        return torch.autocast(device.type, dtype=torch.bfloat16,
                              enabled=precision == "bfloat16" and device.type == "cuda")

    x_train = _prepare_data(data).to(device)
    n_train = x_train.shape[0]

    config = {
        "k": int(k), "generator_loss": generator_loss, "lr": float(lr), "lr_d": float(lr_d),
        "betas": list(betas), "batch_size": int(batch_size), "label_smoothing": float(label_smoothing),
        "ema_decay": None if ema_decay is None else float(ema_decay),
        # The schedule depends on the total number of steps, which then joins the configuration.
        "decay_from": None if decay_from is None else float(decay_from),
        "schedule_steps": None if decay_from is None else int(steps),
        "precision": precision,
        "seed": int(seed), "n_snapshot": int(n_snapshot),
    }

    resume_path = None
    if resume:
        resume_path = Path(resume) if not isinstance(resume, bool) else (
            Path(checkpoint_dir) / CHECKPOINT_NAME if checkpoint_dir is not None else None)
        if resume_path is None:
            raise ValueError("resume=True needs a checkpoint_dir")
        if not resume_path.exists():
            if not isinstance(resume, bool):
                raise FileNotFoundError(f"no checkpoint to resume from at {resume_path}")
            resume_path = None  # resume=True with no checkpoint yet: start from scratch

    cuda_devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda_devices):  # leave the caller's RNG untouched
        torch.manual_seed(seed)
        if generator is None:
            generator = Generator(**DEFAULT_GENERATOR)
        if discriminator is None:
            discriminator = Discriminator(**DEFAULT_DISCRIMINATOR)
        latent_dim = getattr(generator, "latent_dim", None)
        if not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError("the generator must have an int attribute latent_dim (size of z)")
        if generator_loss == "feature_matching" and not callable(getattr(discriminator, "features", None)):
            raise ValueError("generator_loss='feature_matching' needs discriminator.features(x)")
        generator.to(device).train()
        discriminator.to(device).train()
        ema = copy.deepcopy(generator).eval().requires_grad_(False) if ema_decay is not None else None
        fused = device.type in ("cpu", "cuda")
        opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=betas, fused=fused)
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas, fused=fused)
        # The fixed latent batch for snapshots comes from its own generator: it never touches
        # the training RNG stream.
        z_fixed = torch.randn(n_snapshot, latent_dim, generator=torch.Generator().manual_seed(seed + 1)).to(device)

        history = {key: [] for key in HISTORY_KEYS}
        snapshot_steps: list[int] = []
        snapshots: list[np.ndarray] = []
        start_step, seconds_before = 0, 0.0
        if resume_path is not None:
            state = load_checkpoint(resume_path, map_location=device)
            if state["config"] != config:
                raise ValueError(f"{resume_path} was written with another configuration:\n"
                                 f"  checkpoint {state['config']}\n  this call  {config}")
            try:
                generator.load_state_dict(state["generator"])
                discriminator.load_state_dict(state["discriminator"])
            except RuntimeError as err:
                raise ValueError(f"{resume_path} holds other architectures than the given models: {err}") from err
            if ema is not None:
                ema.load_state_dict(state["generator_ema"])
            opt_g.load_state_dict(state["opt_g"])
            opt_d.load_state_dict(state["opt_d"])
            torch.set_rng_state(state["rng"]["cpu"].cpu())
            if device.type == "cuda" and state["rng"].get("cuda") is not None:
                torch.cuda.set_rng_state(state["rng"]["cuda"].cpu(), device)
            start_step = int(state["step"])
            seconds_before = float(state["seconds"])
            history = {key: state["history"][key].tolist() for key in HISTORY_KEYS}
            snapshot_steps = state["snapshot_steps"].tolist()
            snapshots = [s.numpy() for s in state["snapshots"]]

        def take_snapshot(step: int):
            if snapshot_every is None or (snapshot_steps and snapshot_steps[-1] == step):
                return
            sampler = ema if ema is not None else generator
            was_training = sampler.training
            sampler.eval()
            with torch.no_grad():
                snapshots.append(to_images(sampler(z_fixed)))
            sampler.train(was_training)
            snapshot_steps.append(step)

        def make_state(step: int, seconds: float) -> dict:
            return {
                "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "step": step,
                "seconds": seconds, "config": config,
                "generator_config": _model_config(generator),
                "discriminator_config": _model_config(discriminator),
                "generator": generator.state_dict(), "discriminator": discriminator.state_dict(),
                "generator_ema": ema.state_dict() if ema is not None else None,
                "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
                "rng": {"cpu": torch.get_rng_state(),
                        "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None},
                "history": {key: torch.tensor(history[key], dtype=torch.float64) for key in HISTORY_KEYS},
                "snapshot_steps": torch.tensor(snapshot_steps, dtype=torch.int64),
                "snapshots": [torch.from_numpy(s) for s in snapshots],
            }

        # Gradients come from torch.autograd.grad for exactly these (not through .grad), so
        # autograd computes no gradient that would be thrown away, and frozen weights stay frozen.
        d_params = [p for p in discriminator.parameters() if p.requires_grad]
        g_params = [p for p in generator.parameters() if p.requires_grad]
        ema_params = list(ema.parameters()) if ema is not None else []
        ema_sources = list(generator.parameters()) if ema is not None else []
        # Real and generated digits are written into one buffer: one batch of 2m for the
        # discriminator, without allocating and concatenating two halves every step.
        real_and_fake = torch.empty(2 * batch_size, x_train.shape[1], device=device)
        total = steps if steps is not None else None
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, initial=start_step, desc="training GAN", unit="step", leave=True)
        checkpoint_path = Path(checkpoint_dir) / CHECKPOINT_NAME if checkpoint_dir is not None else None
        if start_step == 0:
            take_snapshot(0)  # a resumed run has its earlier snapshots already
        t0 = time.perf_counter()
        step = start_step
        with contextlib.ExitStack() as cleanup:
            cleanup.enter_context(bfloat16_cpu_matmuls(precision == "bfloat16" and device.type == "cpu"))
            if bar is not None:
                cleanup.callback(bar.close)
            while steps is None or step < steps:
                if minutes is not None and seconds_before + time.perf_counter() - t0 >= 60.0 * minutes:
                    break
                if decay_from is not None:
                    scale = min(1.0, (steps - step) / (steps * (1.0 - decay_from)))
                    for group in opt_d.param_groups:
                        group["lr"] = lr_d * scale
                    for group in opt_g.param_groups:
                        group["lr"] = lr * scale
                # ---- k discriminator steps: ascend log D(x) + log(1 - D(G(z)))
                d_loss_sum = d_real_sum = d_fake_sum = 0.0
                for i in range(k):
                    idx = torch.randint(n_train, (batch_size,), device=device)
                    z = torch.randn(batch_size, latent_dim, device=device)
                    # The last discriminator step's generated batch is kept, with its graph, for
                    # the generator step (as most implementations do): one generator forward
                    # pass per step instead of two.
                    with torch.set_grad_enabled(i == k - 1), autocast():
                        fake = generator(z)
                    # Real and fake in one forward pass: one pair of big matrix products instead
                    # of two small ones (no batch-dependent layers, so the result is the same).
                    torch.index_select(x_train, 0, idx, out=real_and_fake[:batch_size])
                    real_and_fake[batch_size:].copy_(fake.detach())
                    with autocast():
                        logits = discriminator(real_and_fake).float()
                    real_logits, fake_logits = logits[:batch_size], logits[batch_size:]
                    d_loss = discriminator_loss(real_logits, fake_logits, label_smoothing)
                    adam_update(opt_d, d_params, torch.autograd.grad(d_loss, d_params, allow_unused=True))
                    with torch.no_grad():
                        d_loss_sum += d_loss.detach()
                        d_real_sum += torch.sigmoid(real_logits).mean()
                        d_fake_sum += torch.sigmoid(fake_logits).mean()
                # ---- one generator step: gradients for G's weights only (none for D's)
                with autocast():
                    if generator_loss == "feature_matching":
                        with torch.no_grad():
                            real_mean = discriminator.features(x_train[idx]).float().mean(0)
                        g_loss = (discriminator.features(fake).float().mean(0) - real_mean).pow(2).sum()
                    else:
                        g_loss = generator_loss_from_logits(discriminator(fake).float(), generator_loss)
                adam_update(opt_g, g_params, torch.autograd.grad(g_loss, g_params, allow_unused=True))
                if ema is not None:
                    with torch.no_grad():
                        torch._foreach_lerp_(ema_params, ema_sources, 1.0 - min(ema_decay, (1.0 + step) / (10.0 + step)))

                values = torch.stack([d_loss_sum / k, g_loss.detach(), d_real_sum / k, d_fake_sum / k]).tolist()
                step += 1
                for key, value in zip(HISTORY_KEYS, values):
                    history[key].append(value)
                if not (math.isfinite(values[0]) and math.isfinite(values[1])):
                    name, value = ("discriminator", values[0]) if not math.isfinite(values[0]) else ("generator", values[1])
                    raise NonFiniteLossError(
                        f"the {name} loss became {value} at step {step}; training stopped "
                        f"(try a smaller learning rate)")
                if snapshot_every is not None and step % snapshot_every == 0:
                    take_snapshot(step)
                if checkpoint_every is not None and step % checkpoint_every == 0:
                    save_checkpoint(checkpoint_path, make_state(step, seconds_before + time.perf_counter() - t0))
                if bar is not None:
                    bar.update(1)
                    if step % 50 == 0:
                        bar.set_postfix(d_loss=f"{values[0]:.3f}", g_loss=f"{values[1]:.3f}", refresh=False)
                if callback is not None:
                    callback(step, ema if ema is not None else generator)
        seconds = seconds_before + time.perf_counter() - t0
        take_snapshot(step)
        if checkpoint_path is not None:
            save_checkpoint(checkpoint_path, make_state(step, seconds))

    generator.eval()
    discriminator.eval()
    return TrainResult(
        generator=ema if ema is not None else generator,
        raw_generator=generator,
        discriminator=discriminator,
        history={key: np.asarray(history[key], dtype=np.float64) for key in HISTORY_KEYS},
        snapshot_steps=list(snapshot_steps),
        snapshots=list(snapshots),
        step=step,
        seconds=seconds,
        config=config,
        checkpoint=checkpoint_path,
    )


def result_from_checkpoint(path, device: str = "cpu") -> TrainResult:
    """Rebuild a :class:`TrainResult` (default-architecture models) from a checkpoint."""
    state = load_checkpoint(path, map_location=device)
    if state["generator_config"] is None or state["discriminator_config"] is None:
        raise ValueError(f"{path} was written for custom modules; load its state dicts yourself")
    generator = Generator(**state["generator_config"])
    discriminator = Discriminator(**state["discriminator_config"])
    generator.load_state_dict(state["generator"])
    discriminator.load_state_dict(state["discriminator"])
    sampler = generator
    if state.get("generator_ema") is not None:
        sampler = Generator(**state["generator_config"])
        sampler.load_state_dict(state["generator_ema"])
    return TrainResult(
        generator=sampler.to(device).eval(),
        raw_generator=generator.to(device).eval(),
        discriminator=discriminator.to(device).eval(),
        history={key: state["history"][key].numpy() for key in HISTORY_KEYS},
        snapshot_steps=state["snapshot_steps"].tolist(),
        snapshots=[s.numpy() for s in state["snapshots"]],
        step=int(state["step"]),
        seconds=float(state["seconds"]),
        config=state["config"],
        checkpoint=Path(path),
    )


# ------------------------------------------------------------- the book's default run


DEFAULT_SNAPSHOT_EVERY = 250


def default_config() -> dict:
    """Everything that defines the book's default run (models and training)."""
    return {"generator": dict(DEFAULT_GENERATOR), "discriminator": dict(DEFAULT_DISCRIMINATOR),
            "training": {**DEFAULT_TRAINING, "betas": list(DEFAULT_TRAINING["betas"])},
            "snapshot_every": DEFAULT_SNAPSHOT_EVERY}


def default_run_dir() -> Path:
    """``data/runs/<hash of default_config()>``: where the default run's checkpoint lives."""
    from .data import data_dir

    return data_dir() / "runs" / config_hash(default_config())


def train_default(progress: bool = True, resume: bool = False, device: str = "cpu") -> TrainResult:
    """Train the book's default GAN from scratch (or resume it) and save it in :func:`default_run_dir`.

    It always runs on one CPU thread: fastest for these small matrices on two cores, and the
    thread count changes floating-point sums, so pinning it keeps the cached run identical
    whoever trains it (chapter 6, or a later chapter that finds no cache)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train(
            None, None, None, **DEFAULT_TRAINING, device=device, checkpoint_every=500,
            checkpoint_dir=default_run_dir(), resume=resume, snapshot_every=DEFAULT_SNAPSHOT_EVERY,
            progress=progress,
        )
    finally:
        torch.set_num_threads(threads)


def load_or_train_default(progress: bool = False, return_result: bool = False):
    """The default generator (eval mode): loaded from :func:`default_run_dir` when a finished run of
    the same configuration is there, else trained (deterministically, so identical either way)."""
    path = default_run_dir() / CHECKPOINT_NAME
    result = None
    if path.exists():
        try:
            result = result_from_checkpoint(path)
        except ValueError:
            result = None
        if result is not None and result.step != DEFAULT_TRAINING["steps"]:
            result = None
    if result is None:
        result = train_default(progress=progress, resume=path.exists())
    return result if return_result else result.generator


# ------------------------------------------------------------------------- command line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ganbook.train",
        description="Train the book's default MNIST GAN (Algorithm 1) and write checkpoint, sample grid and history.")
    length = parser.add_mutually_exclusive_group(required=True)
    length.add_argument("--steps", type=int, help="iterations of Algorithm 1")
    length.add_argument("--minutes", type=float, help="train for this many minutes of wall-clock time")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default cpu)")
    parser.add_argument("--k", type=int, default=DEFAULT_TRAINING["k"], help="discriminator steps per generator step")
    parser.add_argument("--loss", choices=GENERATOR_LOSSES, default=DEFAULT_TRAINING["generator_loss"])
    parser.add_argument("--batch-size", type=int, default=DEFAULT_TRAINING["batch_size"])
    parser.add_argument("--lr", type=float, default=DEFAULT_TRAINING["lr"], help="generator learning rate")
    parser.add_argument("--lr-d", type=float, default=DEFAULT_TRAINING["lr_d"], help="discriminator learning rate")
    parser.add_argument("--seed", type=int, default=DEFAULT_TRAINING["seed"])
    parser.add_argument("--precision", choices=PRECISIONS, default=DEFAULT_TRAINING["precision"],
                        help="bfloat16: matrix products with bfloat16 inputs (faster on CPUs with AVX512-BF16/AMX)")
    parser.add_argument("--checkpoint-every", type=int, default=500)
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt if present")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        settings = {**DEFAULT_TRAINING, "steps": args.steps, "k": args.k, "generator_loss": args.loss,
                    "lr": args.lr, "lr_d": args.lr_d, "batch_size": args.batch_size, "seed": args.seed,
                    "precision": args.precision}
        if args.minutes is not None:
            settings["decay_from"] = None  # a learning-rate schedule needs a known number of steps
        result = train(
            **settings, minutes=args.minutes, device=args.device,
            checkpoint_every=args.checkpoint_every, checkpoint_dir=args.out, resume=args.resume,
            progress=not args.no_progress,
        )
    except (ValueError, FileNotFoundError, NonFiniteLossError) as err:
        parser.exit(2, f"error: {err}\n")
    from .plotting import save_image_grid
    from .sample import generate

    out = Path(args.out)
    save_image_grid(generate(result.generator, 100, seed=args.seed), out / "samples.png",
                    title=f"{result.step} steps")
    with open(out / "history.csv", "w") as handle:
        handle.write("step," + ",".join(HISTORY_KEYS) + "\n")
        for i in range(result.step):
            handle.write(f"{i + 1}," + ",".join(f"{result.history[key][i]:.6g}" for key in HISTORY_KEYS) + "\n")
    print(f"trained {result.step} steps in {result.seconds:.1f} s ({result.steps_per_second:.1f} steps/s); "
          f"wrote {out / CHECKPOINT_NAME}, {out / 'samples.png'}, {out / 'history.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
