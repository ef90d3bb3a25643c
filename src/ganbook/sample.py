"""Generate digits from a trained generator.

Command line: ``python -m ganbook.sample CHECKPOINT -n 10000 --out samples.npy``.

Samples follow the book's convention: float32 arrays in ``[0, 1]`` of shape ``(n, 28, 28)``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import checkpoint
from .images import from_model
from .models import Generator, latent


def load_generator(path, device: str = "cpu", latest: bool = False) -> Generator:
    """The generator to sample from, in eval mode. ``path`` is a checkpoint file, or a run's
    folder: then its best generator (``best.pt``) when it has one and ``latest`` is False,
    else its latest checkpoint (``checkpoint.pt``)."""
    path = Path(path)
    if path.is_dir():
        best = path / checkpoint.BEST
        path = best if best.exists() and not latest else path / checkpoint.LATEST
    return checkpoint.load_sampler(path, device)


@torch.no_grad()
def decode(generator: nn.Module, z: torch.Tensor, batch_size: int = 2000) -> np.ndarray:
    """Generator outputs for latent vectors ``z`` as float32 ``(n, 28, 28)`` images in [0, 1]."""
    was_training = generator.training
    generator.eval()
    device = next(generator.parameters()).device
    parts = [from_model(generator(z[i:i + batch_size].to(device))) for i in range(0, len(z), batch_size)]
    generator.train(was_training)
    return np.concatenate(parts)


def generate(generator: nn.Module, n: int, seed: int = 0, batch_size: int = 2000) -> np.ndarray:
    """``n`` samples, float32 ``(n, 28, 28)`` in [0, 1]; the same ``seed`` gives the same samples."""
    latent_dim = getattr(generator, "latent_dim", None)
    if not isinstance(latent_dim, int):
        raise ValueError("the generator must have an int attribute latent_dim")
    return decode(generator, latent(n, latent_dim, seed), batch_size)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ganbook.sample",
        description="Write generated digits as float32 (n, 28, 28) in [0, 1] to a .npy file.")
    parser.add_argument("run", type=Path,
                        help="a run's folder (its best generator) or a checkpoint file")
    parser.add_argument("--latest", action="store_true",
                        help="use the run's latest checkpoint instead of its best generator")
    parser.add_argument("-n", type=int, default=10000, help="number of samples (default 10000)")
    parser.add_argument("--out", type=Path, default=Path("samples.npy"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    try:
        if args.out.is_dir():
            raise ValueError(f"--out {args.out} is a folder; give a file name such as "
                             "samples.npy")
        generator = load_generator(args.run, args.device, latest=args.latest)
        samples = generate(generator, args.n, seed=args.seed)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        np.save(args.out, samples)
    except (ValueError, OSError) as err:
        parser.exit(2, f"error: {err}\n")
    print(f"wrote {args.out}: {samples.shape[0]} samples, float32 (n, 28, 28) in [0, 1]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
