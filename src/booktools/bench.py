"""Training throughput: ``python -m booktools.bench`` (``make bench``).

Measures, in one run on this machine, images per second (real images consumed per second) of

1. the book's trainer (:func:`ganbook.train.train`) on the PyTorch-GAN-sized MLP at batch 64, in
   the variants of :data:`TRAINER_VARIANTS`: its defaults (a weight average of the generator and
   shifted digits for the discriminator, neither of which the tutorial loop has); without the
   shifts; without either, i.e. the same work per step as the tutorial loop; and with bfloat16
   matrix products (oneDNN's bf16 math mode, where the CPU has bfloat16 instructions);
2. a reference loop in the style of popular tutorials: a ``torchvision`` ``DataLoader`` with
   ``ToTensor``/``Normalize`` per-item transforms of PIL images, Sigmoid + ``BCELoss``, default
   Adam, the same widths and batch 64;
3. the machine's fp32 matrix-multiplication throughput, against which the GAN step's achieved
   GFLOP/s (counted with ``torch.utils.flop_counter``) is reported.

All loops run for the same number of steps, interleaved ``repeats`` times; the best repeat of
each is reported (the least disturbed by other processes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

from ganbook.flops import count_flops
from ganbook.models import Discriminator, Generator, pytorch_gan_sized

BATCH = 64


# ------------------------------------------------------------------ the reference loop


class _TutorialMNIST(torch.utils.data.Dataset):
    """What ``torchvision.datasets.MNIST.__getitem__`` does: uint8 array -> PIL image -> transform."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform):
        self.images = torch.from_numpy(images)
        self.labels = torch.from_numpy(labels.astype(np.int64))
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        from PIL import Image

        image = Image.fromarray(self.images[index].numpy(), mode="L")
        return self.transform(image), int(self.labels[index])


def reference_loop(images: np.ndarray, labels: np.ndarray, steps: int, seed: int = 0) -> float:
    """Tutorial-style GAN loop (PyTorch-GAN's ``gan.py`` pattern, same widths); returns seconds
    for ``steps`` steps after a few warm-up steps."""
    from torchvision import transforms

    torch.manual_seed(seed)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5], [0.5])])
    loader = torch.utils.data.DataLoader(_TutorialMNIST(images, labels, transform), batch_size=BATCH,
                                         shuffle=True, drop_last=True)
    generator, discriminator = pytorch_gan_sized()
    discriminator = nn.Sequential(discriminator.body, discriminator.head, nn.Sigmoid())
    adversarial_loss = nn.BCELoss()
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    warmup, done, start = 5, 0, None
    while done < steps + warmup:
        for imgs, _ in loader:
            if done == warmup:
                start = time.perf_counter()
            if done == steps + warmup:
                break
            valid = torch.ones(imgs.size(0), 1)
            fake = torch.zeros(imgs.size(0), 1)
            real_imgs = imgs.view(imgs.size(0), -1)
            # Generator step
            opt_g.zero_grad()
            z = torch.randn(imgs.shape[0], generator.latent_dim)
            gen_imgs = generator(z)
            g_loss = adversarial_loss(discriminator(gen_imgs), valid)
            g_loss.backward()
            opt_g.step()
            # Discriminator step
            opt_d.zero_grad()
            real_loss = adversarial_loss(discriminator(real_imgs), valid)
            fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
            d_loss = (real_loss + fake_loss) / 2
            d_loss.backward()
            opt_d.step()
            done += 1
    return time.perf_counter() - start


# ------------------------------------------------------------------------ our trainer


# name -> settings of the book's trainer, measured against the tutorial loop.
TRAINER_VARIANTS = {
    "defaults": {},
    "no shifts": {"augment_shift": 0},
    "same work as the tutorial": {"augment_shift": 0, "ema_decay": None},
    "bfloat16": {"precision": "bfloat16"},
}


def trainer_loop(train_x: np.ndarray, steps: int, seed: int = 0, **settings) -> float:
    """:func:`ganbook.train.train` on the PyTorch-GAN-sized MLP with ``settings``; seconds for
    ``steps`` steps after a few warm-up steps."""
    import warnings

    from ganbook.train import train

    warmup = 5
    stamps = {}

    def clock(step, _generator):
        if step in (warmup, warmup + steps):
            stamps[step] = time.perf_counter()

    torch.manual_seed(seed)
    generator, discriminator = pytorch_gan_sized()
    with warnings.catch_warnings():  # bfloat16 on a CPU without it: measured all the same
        warnings.simplefilter("ignore", RuntimeWarning)
        train(generator, discriminator, train_x, steps=steps + warmup, batch_size=BATCH,
              seed=seed, eval_every=None, progress=False, callback=clock, **settings)
    return stamps[warmup + steps] - stamps[warmup]


def trainer_step_flops(train_x: np.ndarray) -> int:
    """Floating-point operations of one step of our trainer (PyTorch-GAN size, batch 64)."""
    from ganbook.train import train

    generator, discriminator = pytorch_gan_sized()
    return count_flops(lambda: train(generator, discriminator, train_x, steps=1, batch_size=BATCH,
                                     eval_every=None, progress=False))


def matmul_gflops(n: int = 1024, seconds: float = 2.0) -> float:
    """Best fp32 GEMM throughput (GFLOP/s) of ``n x n`` products over a few timed bursts."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    c = a @ b  # warm-up
    best = 0.0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        for _ in range(5):
            torch.mm(a, b, out=c)
        best = max(best, 5 * 2 * n ** 3 / (time.perf_counter() - start) / 1e9)
    return best


def run(steps: int = 200, repeats: int = 3) -> dict:
    from ganbook.data import load_split

    (train_x, train_y), _ = load_split()
    seconds = {name: [] for name in ("tutorial loop", *TRAINER_VARIANTS)}
    for _ in range(repeats):
        seconds["tutorial loop"].append(reference_loop(train_x, train_y, steps))
        for name, settings in TRAINER_VARIANTS.items():
            seconds[name].append(trainer_loop(train_x, steps, **settings))
    best = {name: min(times) for name, times in seconds.items()}
    flops = trainer_step_flops(train_x)
    peak = matmul_gflops()
    achieved = flops * steps / best["defaults"] / 1e9
    return {
        "threads": torch.get_num_threads(), "steps": steps,
        "images_per_second": {name: steps * BATCH / t for name, t in best.items()},
        "speedup": {name: best["tutorial loop"] / t for name, t in best.items()},
        "step_gflop": flops / 1e9, "achieved_gflops": achieved, "matmul_gflops": peak,
        "fraction_of_peak": achieved / peak,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m booktools.bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="timed steps per loop and repeat")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.repeats < 1:
        parser.error("--steps and --repeats must be positive")
    r = run(args.steps, args.repeats)
    print(f"PyTorch-GAN-sized MLP (G 100-128-256-512-1024-784, D 784-512-256-1), batch {BATCH}, "
          f"{r['threads']} torch threads, best of {args.repeats} x {r['steps']} steps")
    print(f"{'loop':<48}{'images/s':>10}{'speed-up':>10}")
    for name, rate in r["images_per_second"].items():
        label = name if name == "tutorial loop" else f"ganbook.train.train, {name}"
        print(f"{label:<48}{rate:>10.0f}{r['speedup'][name]:>9.2f}x")
    print(f"GAN step: {r['step_gflop']:.3f} GFLOP; achieved {r['achieved_gflops']:.1f} GFLOP/s = "
          f"{100 * r['fraction_of_peak']:.0f}% of fp32 matmul peak {r['matmul_gflops']:.1f} GFLOP/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
