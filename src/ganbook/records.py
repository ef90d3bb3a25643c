"""Compact records of finished training runs, small enough to ship with the book.

A run of many minutes is too long to repeat every time a chapter executes; its record keeps
what the chapter shows (no weights): the settings, the per-step history averaged over blocks
of steps, the held-out evaluations, the best generator's scores on 10,000 samples, and
samples of the final and of the best generator.

    python -m ganbook.records runs/x book/records/x.npz   # from a run folder of ganbook.train
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np

from . import checkpoint
from .checks import positive_int
from .files import atomic_write
from .monitor import Evaluation


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def block_means(values, block: int) -> np.ndarray:
    """Means of consecutive blocks of ``block`` values (a last, partial block is dropped)."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values) // block * block
    return values[:n].reshape(-1, block).mean(axis=1)


SCORED_SAMPLES = 10_000  # as many samples as chapter 7 scores a generator with


def save_record(path, meta: dict, final, best, history: dict, block: int,
                n_samples: int = 36, seed: int = 0, scorer=None) -> Path:
    """Write a record to ``path`` (.npz): ``meta`` (settings, steps, seconds, evaluations,
    ``best``: what :func:`load_record` reads) with ``block``, ``cpu`` and ``scored`` added,
    ``history`` (name -> one value per step) as means over blocks of ``block`` steps, and
    samples of the ``final`` and of the ``best`` generator (as uint8 digits) of ``n_samples``
    latent vectors drawn with ``seed``. ``scored``: the best generator scored by ``scorer``
    (see :func:`record_run`)."""
    import torch

    from .images import from_model
    from .monitor import HeldOutMonitor
    from .models import latent

    block = positive_int("block", block)
    z = latent(positive_int("n_samples", n_samples), final.latent_dim, seed)
    with torch.no_grad():
        images = {name: np.round(255 * from_model(g(z))).astype(np.uint8)
                  for name, g in (("final", final), ("best", best))}
    meta = {**meta, "block": block, "cpu": _cpu()}
    if scorer is None:
        scorer = HeldOutMonitor(best.latent_dim, SCORED_SAMPLES, seed)
    meta["scored"] = {"samples": len(scorer.z), **scorer.score(best)}
    arrays = {f"history_{key}": block_means(values, block) for key, values in history.items()}

    def write(handle):
        np.savez_compressed(handle, meta=json.dumps(meta), samples_final=images["final"],
                            samples_best=images["best"], **arrays)

    return atomic_write(path, write)


def record_run(run_dir, path, block: int = 100, n_samples: int = 36, seed: int = 0,
               scorer=None) -> Path:
    """Write the record of the run in ``run_dir`` (``checkpoint.pt`` and ``best.pt`` of
    :mod:`ganbook.train`) to ``path`` (.npz). The best generator is also scored as chapter 7
    scores one, on ``SCORED_SAMPLES`` samples (the run's own evaluations use fewer, and their
    class histogram is noisier), by ``scorer``: a :class:`ganbook.monitor.HeldOutMonitor`,
    by default that of the MNIST-10k test split with that many samples."""
    run_dir = Path(run_dir)
    state = checkpoint.load(run_dir / checkpoint.LATEST)
    final = checkpoint.load_sampler(run_dir / checkpoint.LATEST)
    best_path = run_dir / checkpoint.BEST
    best = checkpoint.load_sampler(best_path) if best_path.exists() else final
    meta = {"config": state["config"], "step": int(state["step"]),
            "batch_size": int(state.get("batch_size", state["config"]["batch_size"])),
            "seconds": float(state["seconds"]), "evaluations": state["evaluations"],
            "best": state["best"]}
    history = {key: values.numpy() for key, values in state["history"].items()}
    return save_record(path, meta, final, best, history, block, n_samples, seed, scorer)


def load_record(path) -> dict:
    """A record written by :func:`record_run`: ``config``, ``step``, ``batch_size`` (the
    minibatch size at the end, see :func:`ganbook.schedule.grown_batch_size`), ``seconds``,
    ``block``, ``cpu``, ``history`` (name -> block means, one per ``block`` steps),
    ``evaluations`` and ``best`` (:class:`ganbook.monitor.Evaluation`), ``scored`` (the best
    generator on more samples: ``samples``, ``fd``, ``confidence``, ``class_fractions``; None
    in records written before it was added), ``samples_final`` and ``samples_best`` (uint8
    digits)."""
    with np.load(path, allow_pickle=False) as archive:
        record = json.loads(str(archive["meta"]))
        record.setdefault("batch_size", record["config"]["batch_size"])
        record.setdefault("scored", None)
        record["history"] = {key[len("history_"):]: archive[key] for key in archive.files
                             if key.startswith("history_")}
        record["samples_final"] = archive["samples_final"]
        record["samples_best"] = archive["samples_best"]
    record["evaluations"] = [Evaluation(**e) for e in record["evaluations"]]
    record["best"] = None if record["best"] is None else Evaluation(**record["best"])
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ganbook.records",
                                     description="Write the compact record of a training run.")
    parser.add_argument("run", type=Path, help="a run folder written by python -m ganbook.train")
    parser.add_argument("out", type=Path, help="the record to write (.npz)")
    parser.add_argument("--block", type=int, default=100, help="steps per history entry")
    args = parser.parse_args(argv)
    try:
        record_run(args.run, args.out, block=args.block)
    except (ValueError, OSError) as err:
        parser.exit(2, f"error: {err}\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
