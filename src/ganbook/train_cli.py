"""The command line of the MNIST trainer: ``python -m ganbook.train --steps N --out DIR`` (or
``--minutes M``); ``--help`` lists every option. It writes into ``--out``: checkpoint.pt (to
resume), best.pt (the generator with the best held-out FD), samples.png, progress.png and
history.csv."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import checkpoint
from .config import LR_SCHEDULES, TrainConfig
from .loop import DivergedError, seeded, threads
from .losses import GENERATOR_LOSSES
from .models import DEFAULT_DISCRIMINATOR, Discriminator
from .precision import PRECISIONS
from .result import TrainResult, write_history
from .train import PROGRESS_PLOT, train

CHECKPOINT_EVERY = 500


def parser() -> argparse.ArgumentParser:
    """The options: the run's length and files, then :class:`TrainConfig`'s settings."""
    p = argparse.ArgumentParser(
        prog="python -m ganbook.train",
        description="Train the book's MNIST GAN (Algorithm 1). Writes into --out: "
                    "checkpoint.pt (to resume), best.pt (the generator with the best held-out "
                    "FD), samples.png, progress.png and history.csv.")
    length = p.add_mutually_exclusive_group(required=True)
    length.add_argument("--steps", type=int, help="iterations of Algorithm 1")
    length.add_argument("--minutes", type=float, help="train for this many minutes")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads (default: torch's choice, one per core)")
    p.add_argument("--resume", action="store_true",
                   help="continue from OUT/checkpoint.pt if present")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--checkpoint-every", type=int, default=CHECKPOINT_EVERY)
    p.add_argument("--eval-every", type=int, default=TrainConfig.eval_every,
                   help="steps between held-out evaluations (FD, classes, confidence)")
    _add_algorithm_options(p, TrainConfig())
    return p


def _add_algorithm_options(p: argparse.ArgumentParser, defaults: TrainConfig) -> None:
    p.add_argument("--k", type=int, default=defaults.k,
                   help="discriminator steps per generator step")
    p.add_argument("--loss", choices=GENERATOR_LOSSES, default=defaults.generator_loss)
    p.add_argument("--batch-size", type=int, default=defaults.batch_size)
    p.add_argument("--lr-g", "--lr", type=float, default=defaults.lr_g,
                   help="generator learning rate")
    p.add_argument("--lr-d", type=float, default=defaults.lr_d,
                   help="discriminator learning rate")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--augment-shift", type=int, default=defaults.augment_shift,
                   help="shift D's inputs by up to this many pixels (0: no augmentation)")
    p.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=defaults.lr_schedule)
    p.add_argument("--full-rate-steps", type=int, default=defaults.full_rate_steps,
                   help="the learning rates suit runs of up to this many steps: a run given "
                        "--minutes with time for more takes larger minibatches, and a longer "
                        "run scales both rates down by this number over its length "
                        "(0: neither)")
    p.add_argument("--fixed-batch", action="store_true",
                   help="keep --batch-size for the whole run, even when --minutes give time "
                        "for more than --full-rate-steps steps")
    p.add_argument("--decay-start", type=float, default=defaults.decay_start,
                   help="share of the budget at full learning rates before the cosine fall "
                        "(0: fall from the start)")
    p.add_argument("--ema-decay", type=float, default=defaults.ema_decay,
                   help="decay of the generator's weight average")
    p.add_argument("--historical-averaging", type=float, default=defaults.historical_averaging,
                   help="weight of the historical-averaging penalty (0: none)")
    p.add_argument("--minibatch-kernels", type=int, default=0,
                   help="minibatch discrimination in D with this many kernels (0: none)")
    p.add_argument("--kernel-dim", type=int, default=DEFAULT_DISCRIMINATOR["kernel_dim"],
                   help="dimension of each minibatch-discrimination kernel")
    p.add_argument("--precision", choices=PRECISIONS, default=defaults.precision,
                   help="bfloat16: matrix products with bfloat16 inputs (faster on CPUs with "
                        "AVX512-BF16 or AMX)")


def run(args: argparse.Namespace) -> TrainResult:
    """Train as ``args`` say (the book's models; D with minibatch discrimination if asked)."""
    if args.out.exists() and not args.out.is_dir():
        raise ValueError(f"--out {args.out} is a file; give a folder for the run's files")
    with threads(args.threads):
        discriminator = None
        if args.minibatch_kernels:
            with seeded(args.seed):
                discriminator = Discriminator(**{
                    **DEFAULT_DISCRIMINATOR, "minibatch_kernels": args.minibatch_kernels,
                    "kernel_dim": args.kernel_dim})
        return train(discriminator=discriminator, steps=args.steps, minutes=args.minutes,
                     k=args.k, generator_loss=args.loss, lr_g=args.lr_g, lr_d=args.lr_d,
                     batch_size=args.batch_size, seed=args.seed,
                     augment_shift=args.augment_shift, lr_schedule=args.lr_schedule,
                     decay_start=args.decay_start, ema_decay=args.ema_decay,
                     full_rate_steps=args.full_rate_steps or None,
                     grow_batch=not args.fixed_batch,
                     historical_averaging=args.historical_averaging,
                     precision=args.precision, eval_every=args.eval_every,
                     checkpoint_every=args.checkpoint_every, device=args.device,
                     checkpoint_dir=args.out, resume=args.resume,
                     progress=not args.no_progress)


def report(result: TrainResult, out: Path, seed: int) -> None:
    """Write samples.png and history.csv beside the checkpoint and summarise the run."""
    from .plotting import save_image_grid
    from .sample import generate

    save_image_grid(generate(result.generator, 100, seed=seed), out / "samples.png",
                    title=f"{result.step} steps")
    write_history(result, out / "history.csv")
    print(f"trained {result.step} steps of {result.batch_size} digits in "
          f"{result.seconds:.1f} s ({result.steps_per_second:.1f} steps/s); wrote "
          f"{out / checkpoint.LATEST}, {out / 'samples.png'}, {out / PROGRESS_PLOT}, "
          f"{out / 'history.csv'}")
    if result.best is not None:
        share = 100 * result.evaluation_seconds / result.seconds
        print(f"held-out evaluations: {len(result.evaluations)}, "
              f"{result.evaluation_seconds:.1f} s ({share:.1f}% of the training time)")
        print(f"best generator: step {result.best.step}, {result.best.summary()} "
              f"({result.best_checkpoint})")


def main(argv=None) -> int:
    p = parser()
    args = p.parse_args(argv)
    try:
        result = run(args)
    except DivergedError as err:
        p.exit(2, f"error: {err} (here lr_g={args.lr_g:g}, lr_d={args.lr_d:g})\n")
    except (ValueError, OSError) as err:
        p.exit(2, f"error: {err}\n")
    report(result, args.out, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
