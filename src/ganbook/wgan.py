"""Wasserstein GANs: the critic, weight clipping and the gradient penalty.

A Wasserstein GAN (Arjovsky, Chintala & Bottou 2017) replaces the discriminator's
probability by a *critic* ``f`` with real-valued scores. By the Kantorovich-Rubinstein
duality, the earth mover's distance is

    W1(p, q) = sup over 1-Lipschitz f of  E_p f(x) - E_q f(x),

so a critic trained to maximise ``mean f(real) - mean f(fake)`` while it stays (close to)
1-Lipschitz estimates W1, and the generator descends that estimate. Two ways to keep the
critic Lipschitz:

* **weight clipping** (Arjovsky et al. 2017): every weight clamped to ``[-c, c]`` after each
  update, :func:`clip_weights`;
* the **gradient penalty** (Gulrajani et al. 2017): ``lambda * (||grad_x f(x_hat)|| - 1)^2``
  averaged over random interpolates ``x_hat`` between real and generated samples,
  :func:`gradient_penalty`.

The steps (:func:`critic_step`, :func:`generator_step`) work on any players: the 1-D toy of
:mod:`ganbook.toy` and the MNIST MLPs of :mod:`ganbook.models`. :func:`train_mnist` is a small
WGAN-GP trainer for MNIST-10k, scored with :class:`ganbook.monitor.HeldOutMonitor`; its
command line writes a record that :func:`ganbook.records.load_record` reads::

    python -m ganbook.wgan --out book/records/wgan_gp_seed0.npz

Also here: the earth mover's distance between two discrete distributions on the line as a
transport linear program (:func:`w1_primal`) and as the dual linear program over 1-Lipschitz
functions (:func:`w1_dual`), and the matrix-product FLOPs of a WGAN-GP round and of a
vanilla step (:func:`equal_compute_steps`, counted by :func:`ganbook.flops.count_flops`).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .checks import non_negative_int, positive_float, positive_int
from .flops import count_flops


# --------------------------------------------------------------------------- losses
def _scores(name: str, scores) -> torch.Tensor:
    if not isinstance(scores, torch.Tensor) or scores.numel() == 0:
        raise ValueError(f"{name} must be a non-empty tensor of critic scores")
    return scores.reshape(-1)


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """The critic's loss, to minimise: ``mean f(fake) - mean f(real)`` (minus the estimate of
    W1 that :func:`wasserstein_estimate` returns)."""
    return _scores("fake_scores", fake_scores).mean() - _scores("real_scores", real_scores).mean()


def wasserstein_estimate(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """``mean f(real) - mean f(fake)``: the critic's estimate of W1 (a lower bound of it when
    ``f`` is 1-Lipschitz)."""
    return -critic_loss(real_scores, fake_scores)


def generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """The generator's loss, to minimise: ``-mean f(G(z))`` (it raises the critic's scores of
    its samples, which lowers the W1 estimate; ``mean f(real)`` does not depend on G)."""
    return -_scores("fake_scores", fake_scores).mean()


# --------------------------------------------------------------------------- Lipschitz
def interpolates(real: torch.Tensor, fake: torch.Tensor, rng: torch.Generator | None = None,
                 eps: torch.Tensor | None = None) -> torch.Tensor:
    """``eps * real + (1 - eps) * fake`` with one ``eps ~ U[0, 1]`` per sample (drawn from
    ``rng``), or the ``eps`` given (shape ``(n,)``)."""
    if real.shape != fake.shape or real.ndim < 2 or real.shape[0] == 0:
        raise ValueError("real and fake must be batches of the same shape (n, ...), got "
                         f"{tuple(real.shape)} and {tuple(fake.shape)}")
    n = real.shape[0]
    if eps is None:
        eps = torch.rand(n, generator=rng, device=real.device)
    eps = torch.as_tensor(eps, dtype=real.dtype, device=real.device)
    if eps.shape != (n,):
        raise ValueError(f"eps must have shape ({n},), got {tuple(eps.shape)}")
    eps = eps.reshape(n, *([1] * (real.ndim - 1)))
    return eps * real + (1.0 - eps) * fake


def input_gradient_norms(critic: nn.Module, x: torch.Tensor,
                         create_graph: bool = False) -> torch.Tensor:
    """``||grad_x f(x)||`` for each sample of the batch ``x`` (shape ``(n,)``)."""
    # The gradient is taken at a view of the leaf, not at the leaf itself: torch's FLOP
    # counter (count_flops) cannot follow torch.autograd.grad to a leaf tensor.
    x = x.detach().requires_grad_(True).view_as(x)
    scores = critic(x).reshape(-1)
    grad, = torch.autograd.grad(scores.sum(), x, create_graph=create_graph)
    return grad.reshape(grad.shape[0], -1).norm(dim=1)


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                     weight: float = 10.0, rng: torch.Generator | None = None,
                     eps: torch.Tensor | None = None,
                     one_sided: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """The penalty of Gulrajani et al. (2017): ``weight * mean (||grad f(x_hat)|| - 1)^2``
    over the interpolates ``x_hat`` of :func:`interpolates`; ``one_sided=True`` penalises
    only norms above 1, ``weight * mean max(0, ||grad f(x_hat)|| - 1)^2`` (Petzka et al.
    2018). Returns ``(penalty, norms)``; the penalty keeps its graph, so its gradient
    reaches the critic's weights."""
    weight = positive_float("weight", weight)
    x_hat = interpolates(real.detach(), fake.detach(), rng, eps)
    norms = input_gradient_norms(critic, x_hat, create_graph=True)
    excess = norms - 1.0
    if one_sided:
        excess = excess.clamp(min=0.0)
    return weight * excess.pow(2).mean(), norms.detach()


@torch.no_grad()
def clip_weights(module: nn.Module, c: float) -> None:
    """Clamp every parameter of ``module`` to ``[-c, c]`` in place (Arjovsky et al. 2017)."""
    c = positive_float("c", c)
    for p in module.parameters():
        p.clamp_(-c, c)


# --------------------------------------------------------------------------- steps
def critic_step(generator: nn.Module, critic: nn.Module, optimizer: torch.optim.Optimizer,
                real: torch.Tensor, z: torch.Tensor, *, gp_weight: float | None = 10.0,
                clip: float | None = None, rng: torch.Generator | None = None,
                one_sided: bool = False) -> dict:
    """One update of the critic on a real batch and the generator's samples of ``z``:
    descend ``critic_loss`` plus the gradient penalty (``gp_weight``; None: none;
    ``one_sided``: see :func:`gradient_penalty`), then clip
    the weights to ``[-clip, clip]`` (None: no clipping). The generator is not changed.
    Returns 0-d tensors measured before the update: ``loss`` (with the penalty), ``w``
    (:func:`wasserstein_estimate`), ``penalty`` and ``grad_norm`` (mean ``||grad f||`` at
    the interpolates; NaN without a penalty)."""
    if gp_weight is None and clip is None:
        raise ValueError("give gp_weight or clip: an unconstrained critic is not Lipschitz")
    with torch.no_grad():
        fake = generator(z)
    real_scores, fake_scores = critic(real), critic(fake)
    loss = critic_loss(real_scores, fake_scores)
    penalty = torch.zeros(())
    norm = torch.tensor(float("nan"))
    if gp_weight is not None:
        penalty, norms = gradient_penalty(critic, real, fake, gp_weight, rng,
                                          one_sided=one_sided)
        norm = norms.mean()
    optimizer.zero_grad(set_to_none=True)
    (loss + penalty).backward(inputs=[p for p in critic.parameters() if p.requires_grad])
    optimizer.step()
    if clip is not None:
        clip_weights(critic, clip)
    return {"loss": (loss + penalty).detach(), "w": -loss.detach(),
            "penalty": penalty.detach(), "grad_norm": norm}


def generator_step(generator: nn.Module, critic: nn.Module, optimizer: torch.optim.Optimizer,
                   z: torch.Tensor) -> torch.Tensor:
    """One update of the generator against the current critic (only G's weights change);
    returns :func:`generator_loss` before the update."""
    loss = generator_loss(critic(generator(z)))
    optimizer.zero_grad(set_to_none=True)
    loss.backward(inputs=[p for p in generator.parameters() if p.requires_grad])
    optimizer.step()
    return loss.detach()


# --------------------------------------------------------------------------- duality
def _line_problem(x, p, q):
    x = np.asarray(x, dtype=np.float64)
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or p.shape != x.shape or q.shape != x.shape:
        raise ValueError("x, p and q must be 1-D arrays of the same length (at least 2)")
    if not np.all(np.isfinite(x)) or len(np.unique(x)) != len(x):
        raise ValueError("x must hold distinct finite points")
    for name, v in (("p", p), ("q", q)):
        if np.any(v < 0) or not math.isclose(v.sum(), 1.0, abs_tol=1e-9):
            raise ValueError(f"{name} must be non-negative and sum to 1")
    return x, p, q


def w1_primal(x, p, q) -> tuple[float, np.ndarray]:
    """W1 between ``p`` and ``q`` (probabilities on the points ``x``) as optimal transport:
    the cheapest plan ``gamma`` (``gamma[i, j]`` mass moved from ``x[i]`` to ``x[j]``, rows
    summing to ``p``, columns to ``q``) at cost ``|x_i - x_j|`` per unit of mass, solved with
    ``scipy.optimize.linprog``. Returns ``(cost, gamma)``."""
    from scipy.optimize import linprog

    x, p, q = _line_problem(x, p, q)
    n = len(x)
    cost = np.abs(x[:, None] - x[None, :]).ravel()
    rows = np.kron(np.eye(n), np.ones(n))  # sum_j gamma[i, j] = p[i]
    cols = np.kron(np.ones(n), np.eye(n))  # sum_i gamma[i, j] = q[j]
    result = linprog(cost, A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([p, q]),
                     bounds=(0, None), method="highs")
    if not result.success:
        raise RuntimeError(f"linprog failed: {result.message}")
    return float(result.fun), result.x.reshape(n, n)


def w1_dual(x, p, q) -> tuple[float, np.ndarray]:
    """W1 as the Kantorovich-Rubinstein dual: the largest ``sum_i f_i (p_i - q_i)`` over
    values ``f_i = f(x_i)`` of a 1-Lipschitz function (``f_i - f_j <= |x_i - x_j|`` for all
    pairs), with ``f(x_0) = 0`` (adding a constant changes nothing). Returns ``(value, f)``."""
    from scipy.optimize import linprog

    x, p, q = _line_problem(x, p, q)
    n = len(x)
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    a_ub = np.zeros((len(pairs), n))
    for row, (i, j) in enumerate(pairs):
        a_ub[row, i], a_ub[row, j] = 1.0, -1.0
    b_ub = np.array([abs(x[i] - x[j]) for i, j in pairs])
    bounds = [(0, 0)] + [(None, None)] * (n - 1)
    result = linprog(-(p - q), A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if not result.success:
        raise RuntimeError(f"linprog failed: {result.message}")
    return float(-result.fun), result.x


# --------------------------------------------------------------------------- MNIST
@dataclass(frozen=True)
class WGANConfig:
    """A WGAN-GP run on MNIST-10k. The defaults are Algorithm 1 of Gulrajani et al. (2017)
    (``n_critic`` 5, ``gp_weight`` 10, Adam with rate 1e-4 and betas (0, 0.9)), with the
    book's minibatch of 128 and a moving average of the generator's weights as the default
    vanilla run keeps one (``ema_decay``; None: none)."""

    steps: int = 1000  # generator updates (each after n_critic critic updates)
    n_critic: int = 5
    gp_weight: float = 10.0
    lr: float = 1e-4
    betas: tuple = (0.0, 0.9)
    batch_size: int = 128
    ema_decay: float | None = 0.999
    seed: int = 0
    eval_every: int = 100  # generator steps between held-out evaluations
    eval_samples: int = 2000

    def __post_init__(self):
        positive_int("steps", self.steps)
        positive_int("n_critic", self.n_critic)
        positive_float("gp_weight", self.gp_weight)
        positive_float("lr", self.lr)
        positive_int("batch_size", self.batch_size)
        non_negative_int("seed", self.seed)
        positive_int("eval_every", self.eval_every)
        positive_int("eval_samples", self.eval_samples)
        if self.ema_decay is not None and not 0.0 < self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in (0, 1) or None, got {self.ema_decay!r}")
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))


def mnist_players(seed: int = 0):
    """The book's default MNIST MLPs, built after seeding: the generator
    (:class:`ganbook.models.Generator`) and the discriminator's network
    (:class:`ganbook.models.Discriminator`), used as the critic: its logit is the score."""
    from .loop import seeded
    from .models import Discriminator, Generator

    with seeded(seed):
        return Generator(), Discriminator()


def wgan_gp_round(generator, critic, opt_g, opt_c, x_train, config: WGANConfig,
                  rng: torch.Generator) -> dict:
    """One generator step after ``n_critic`` critic steps, each on a fresh minibatch of
    ``x_train`` and fresh noise. Returns the means over the critic steps and G's loss."""
    numbers = []
    for _ in range(config.n_critic):
        real = x_train[torch.randint(len(x_train), (config.batch_size,), generator=rng)]
        z = torch.randn(config.batch_size, generator.latent_dim, generator=rng)
        numbers.append(critic_step(generator, critic, opt_c, real, z,
                                   gp_weight=config.gp_weight, rng=rng))
    z = torch.randn(config.batch_size, generator.latent_dim, generator=rng)
    g_loss = generator_step(generator, critic, opt_g, z)
    means = {key: torch.stack([n[key] for n in numbers]).mean() for key in numbers[0]}
    return {"critic_loss": means["loss"], "g_loss": g_loss, "w": means["w"],
            "penalty": means["penalty"], "grad_norm": means["grad_norm"]}


def train_mnist(config: WGANConfig | None = None, progress: bool = False, monitor=None,
                **settings) -> dict:
    """Train a WGAN-GP on the MNIST-10k train split. Returns ``generator`` (the one to sample
    from: the weight average when kept), ``raw_generator``, ``critic``, ``history`` (name ->
    one float per generator step: ``critic_loss``, ``g_loss``, ``w``, ``penalty``,
    ``grad_norm``), ``evaluations`` and ``best`` (held-out scores every ``eval_every`` steps
    and at the end, :class:`ganbook.monitor.HeldOutMonitor`), ``best_state`` (the weights of
    the best generator by FD), ``seconds`` and ``config``."""
    import copy

    from torch.optim.swa_utils import AveragedModel

    from .data import load_split
    from .gan import average_weight
    from .images import to_model
    from .loop import Every, Loop, random_generator, seeded
    from .monitor import HeldOutMonitor

    config = WGANConfig(**settings) if config is None else config
    (train_x, _), _ = load_split()
    x_train = to_model(train_x)
    generator, critic = mnist_players(config.seed)
    with seeded(config.seed):
        opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr, betas=config.betas)
        opt_c = torch.optim.Adam(critic.parameters(), lr=config.lr, betas=config.betas)
        average = None  # the generator's weight average, as ganbook.gan.GAN keeps one
        if config.ema_decay is not None:
            average = AveragedModel(generator, multi_avg_fn=average_weight(config.ema_decay))
            average.requires_grad_(False).eval().update_parameters(generator)  # a copy
        sampler = generator if average is None else average.module
        if monitor is None:
            monitor = HeldOutMonitor(generator.latent_dim, config.eval_samples, config.seed)
        rng = random_generator(config.seed)
        run = Loop(config.steps, progress=progress, desc="training WGAN-GP",
                   losses=("critic_loss", "g_loss"))
        best_state = {}

        def step() -> dict:
            numbers = wgan_gp_round(generator, critic, opt_g, opt_c, x_train, config, rng)
            if average is not None:
                average.update_parameters(generator)
            return numbers

        def evaluate(at: int) -> None:
            nan = float("nan")  # a critic's scores are not probabilities: no D(x) to report
            evaluation = monitor.evaluate(sampler, at, nan, nan)
            if monitor.best is evaluation:
                best_state["weights"] = copy.deepcopy(sampler.state_dict())
            run.show(fd=f"{evaluation.fd:.2f}")

        start = time.perf_counter()
        run.run(step, every=[Every(config.eval_every, evaluate)])
        if not monitor.evaluations or monitor.evaluations[-1].step != run.step:
            evaluate(run.step)
        seconds = time.perf_counter() - start
    generator.eval()
    critic.eval()
    return {"generator": sampler, "raw_generator": generator, "critic": critic,
            "history": {k: np.asarray(v) for k, v in run.history.items()},
            "evaluations": list(monitor.evaluations), "best": monitor.best,
            "best_state": best_state["weights"], "seconds": seconds, "config": config}


def vanilla_step_flops() -> int:
    """Matrix-product FLOPs of one step of the book's default vanilla run (one discriminator
    update and one generator update on minibatches of 128, :func:`ganbook.train.train`)."""
    from .loop import threads
    from .train import train

    with threads(1):
        return count_flops(train, steps=1, eval_every=None, progress=False)


def wgan_gp_round_flops(config: WGANConfig | None = None) -> int:
    """Matrix-product FLOPs of one :func:`wgan_gp_round` (``n_critic`` critic updates with
    the gradient penalty, then one generator update) with the MNIST players."""
    from .loop import threads

    config = WGANConfig() if config is None else config
    generator, critic = mnist_players(config.seed)
    x = torch.zeros(config.batch_size, generator.out_dim)
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr, betas=config.betas)
    opt_c = torch.optim.Adam(critic.parameters(), lr=config.lr, betas=config.betas)
    with threads(1):
        return count_flops(wgan_gp_round, generator, critic, opt_g, opt_c, x, config,
                            torch.Generator().manual_seed(0))


def equal_compute_steps(vanilla_steps: int, config: WGANConfig | None = None) -> int:
    """The generator steps of a WGAN-GP run (``config``) whose matrix products cost what
    ``vanilla_steps`` steps of the default vanilla run cost (rounded to the nearest)."""
    vanilla_steps = positive_int("vanilla_steps", vanilla_steps)
    return round(vanilla_steps * vanilla_step_flops() / wgan_gp_round_flops(config))


def write_record(result: dict, path, block: int = 10, n_samples: int = 36,
                 seed: int = 0, command: str = "") -> Path:
    """The record of a :func:`train_mnist` run in the format of :mod:`ganbook.records` (so
    :func:`ganbook.records.load_record` reads it): ``history`` as means over blocks of
    ``block`` generator steps, the held-out evaluations, the best generator scored on
    :data:`ganbook.records.SCORED_SAMPLES` samples, samples of the final and of the best
    generator; ``config`` also names the ``command`` that made it. The final generator is
    scored on as many samples too (``scored_final`` in the record's metadata, read with
    :func:`load_meta`)."""
    import copy

    from .monitor import HeldOutMonitor
    from .records import SCORED_SAMPLES, save_record

    final = result["generator"].eval()
    best = copy.deepcopy(final)
    best.load_state_dict(result["best_state"])
    config = result["config"]
    meta = {"config": {**asdict(config), "trainer": "ganbook.wgan", "command": command},
            "step": len(result["history"]["g_loss"]), "batch_size": config.batch_size,
            "seconds": float(result["seconds"]), "threads": torch.get_num_threads(),
            "evaluations": [e.as_dict() for e in result["evaluations"]],
            "best": result["best"].as_dict()}
    scorer = HeldOutMonitor(best.latent_dim, SCORED_SAMPLES, seed)
    meta["scored_final"] = {"samples": len(scorer.z), **scorer.score(final)}
    return save_record(path, meta, final, best, result["history"], block, n_samples, seed,
                       scorer)


def load_meta(path) -> dict:
    """The metadata of a record written by :func:`write_record` (as stored, evaluations as
    dicts), including ``scored_final``, which :func:`ganbook.records.load_record` leaves out."""
    with np.load(path, allow_pickle=False) as archive:
        return json.loads(str(archive["meta"]))


def main(argv=None) -> int:
    import shlex
    import sys

    defaults = WGANConfig()
    parser = argparse.ArgumentParser(
        prog="python -m ganbook.wgan",
        description="Train a WGAN-GP on MNIST-10k and write its record (.npz).")
    parser.add_argument("--out", required=True, type=Path, help="the record to write")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, default=defaults.steps, help="generator steps")
    length.add_argument("--vanilla-steps", type=int,
                        help="instead of --steps: as many generator steps as cost the matrix "
                             "products of this many steps of the default vanilla run")
    parser.add_argument("--n-critic", type=int, default=defaults.n_critic)
    parser.add_argument("--gp-weight", type=float, default=defaults.gp_weight)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--betas", type=float, nargs=2, default=defaults.betas)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--ema-decay", type=float, default=defaults.ema_decay)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--eval-every", type=int, default=defaults.eval_every)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        config = WGANConfig(steps=args.steps, n_critic=args.n_critic,
                            gp_weight=args.gp_weight, lr=args.lr, betas=tuple(args.betas),
                            batch_size=args.batch_size, ema_decay=args.ema_decay,
                            seed=args.seed, eval_every=args.eval_every)
    except ValueError as err:
        parser.exit(2, f"error: {err}\n")
    if args.vanilla_steps is not None:
        steps = equal_compute_steps(args.vanilla_steps, config)
        config = WGANConfig(**{**asdict(config), "steps": steps})
        print(f"{args.vanilla_steps} vanilla steps cost as much as {steps} WGAN-GP steps")
    torch.set_num_threads(positive_int("threads", args.threads))
    result = train_mnist(config, progress=args.progress)
    command = "python -m ganbook.wgan " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    write_record(result, args.out, command=command)
    best = result["best"]
    print(f"wrote {args.out}: {len(result['history']['g_loss'])} generator steps in "
          f"{result['seconds']:.0f} s; best at step {best.step}: {best.summary()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
