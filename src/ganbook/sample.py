"""Generate digits from a trained generator: ``python -m ganbook.sample CHECKPOINT -n 10000 --out samples.npy``.

Samples follow the book's convention: float32 arrays in ``[0, 1]`` of shape ``(n, 28, 28)``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .models import Generator, to_images


def load_generator(checkpoint, device: str = "cpu") -> Generator:
    """The generator of a checkpoint written by :func:`ganbook.train.train`, in eval mode."""
    from .train import load_checkpoint

    state = load_checkpoint(checkpoint, map_location=device)
    if state.get("generator_config") is None:
        raise ValueError(f"{checkpoint} holds a custom generator without config(); "
                         "build it yourself and load state['generator']")
    generator = Generator(**state["generator_config"])
    # With weight averaging (ema_decay) the averaged weights are the ones to sample from.
    generator.load_state_dict(state["generator_ema"] if state.get("generator_ema") is not None
                              else state["generator"])
    return generator.to(device).eval()


def latent(n: int, latent_dim: int, seed: int = 0) -> torch.Tensor:
    """``n`` standard-normal latent vectors from a private RNG seeded with ``seed``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    return torch.randn(int(n), latent_dim, generator=torch.Generator().manual_seed(int(seed)))


@torch.no_grad()
def decode(generator: nn.Module, z: torch.Tensor, batch_size: int = 2000) -> np.ndarray:
    """Generator outputs for latent vectors ``z`` as float32 ``(n, 28, 28)`` images in [0, 1]."""
    was_training = generator.training
    generator.eval()
    device = next(generator.parameters()).device
    parts = [to_images(generator(z[i:i + batch_size].to(device))) for i in range(0, len(z), batch_size)]
    generator.train(was_training)
    return np.concatenate(parts)


def generate(generator: nn.Module, n: int, seed: int = 0, batch_size: int = 2000) -> np.ndarray:
    """``n`` samples, float32 ``(n, 28, 28)`` in [0, 1]; the same ``seed`` gives the same samples."""
    latent_dim = getattr(generator, "latent_dim", None)
    if not isinstance(latent_dim, int):
        raise ValueError("the generator must have an int attribute latent_dim")
    return decode(generator, latent(n, latent_dim, seed), batch_size)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ganbook.sample",
                                     description="Write generated digits as float32 (n, 28, 28) in [0, 1] to a .npy file.")
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("-n", type=int, default=10000, help="number of samples (default 10000)")
    parser.add_argument("--out", type=Path, default=Path("samples.npy"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    try:
        samples = generate(load_generator(args.checkpoint, args.device), args.n, seed=args.seed)
    except (ValueError, FileNotFoundError) as err:
        parser.exit(2, f"error: {err}\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, samples)
    print(f"wrote {args.out}: {samples.shape[0]} samples, float32 (n, 28, 28) in [0, 1]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
