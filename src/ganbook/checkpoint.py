"""Checkpoints of MNIST GAN runs: everything needed to sample from a run or to resume it exactly.

A checkpoint is a dict saved with ``torch.save`` and loadable with ``weights_only=True``:

* ``format``, ``version``: what this is;
* ``config``: the run's settings that must match for it to be resumed;
* ``generator_config``, ``discriminator_config``: the models' constructor arguments;
* ``generator``, ``discriminator``, ``generator_average``: state dicts (the last one is None
  without a weight average), ``average_count``: updates of that average;
* ``opt_g``, ``opt_d``: the optimisers' states; ``rng``: the random generators' states;
* ``step``, ``seconds``, ``history``, ``snapshot_steps``, ``snapshots``: the run so far;
* ``evaluations``, ``best``, ``warned``, ``evaluation_seconds``: its held-out evaluations
  (:mod:`ganbook.monitor`) and the time they took.

``best.pt`` holds only the generator to sample from at the run's best evaluation, with that
evaluation (``kind`` "best" instead of "run").
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .files import atomic_write
from .models import Discriminator, Generator

FORMAT = "ganbook.gan-checkpoint"
VERSION = 2
LATEST = "checkpoint.pt"  # the file a run writes (and resumes from) in its folder
BEST = "best.pt"  # the generator with the best held-out evaluation so far, beside it


def _to_cpu(obj):
    """Tensors anywhere in ``obj`` moved to the CPU: checkpoints do not depend on the device."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {key: _to_cpu(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_cpu(value) for value in obj)
    return obj


def save(path, state: dict, kind: str = "run") -> Path:
    """Write ``state`` (plus format, version and kind) to ``path`` atomically."""
    state = _to_cpu({"format": FORMAT, "version": VERSION, "kind": kind, **state})
    return atomic_write(path, lambda handle: torch.save(state, handle))


def load(path, map_location="cpu") -> dict:
    """A checkpoint written by :func:`save`; clear errors for anything else."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:
        raise ValueError(f"{path} is not a ganbook GAN checkpoint "
                         f"(torch.load failed: {err})") from err
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a ganbook GAN checkpoint (no '{FORMAT}' marker)")
    if state.get("version") != VERSION:
        raise ValueError(f"{path} has checkpoint version {state.get('version')}, "
                         f"expected {VERSION}: train it again with this version of ganbook")
    return state


def model_config(module: nn.Module) -> dict | None:
    """The constructor arguments of a book model (``module.config()``), None for others."""
    config = getattr(module, "config", None)
    return config() if callable(config) else None


def save_best(path, generator: nn.Module, evaluation: dict) -> Path:
    """Write ``best.pt``: the weights of ``generator`` (the one to sample from) and the
    evaluation that made it the best."""
    return save(path, {"generator_config": model_config(generator),
                       "generator": generator.state_dict(), "step": evaluation["step"],
                       "evaluation": evaluation}, kind="best")


def load_sampler(path, device="cpu") -> Generator:
    """The generator to sample from in ``best.pt`` or in a run's checkpoint (its weight
    average when it kept one), in eval mode."""
    state = load(path, map_location=device)
    if state["kind"] != "best":
        return load_models(state, device)[2]
    if state["generator_config"] is None:
        raise ValueError(f"{path} holds a custom generator without config(): build it "
                         "yourself and load state['generator']")
    generator = Generator(**state["generator_config"])
    generator.load_state_dict(state["generator"])
    return generator.to(device).eval()


def load_models(state: dict, device="cpu") -> tuple[Generator, Discriminator, Generator]:
    """``(generator, discriminator, sampler)`` rebuilt from a checkpoint's state, in eval mode.

    ``sampler`` is the generator to draw samples from: the weight average when the run kept
    one, else the generator itself.
    """
    if state["kind"] != "run":
        raise ValueError("this checkpoint holds only a generator (best.pt): use load_sampler")
    if state["generator_config"] is None or state["discriminator_config"] is None:
        raise ValueError("this checkpoint holds custom modules without config(): build them "
                         "yourself and load state['generator'] and state['discriminator']")
    generator = Generator(**state["generator_config"])
    discriminator = Discriminator(**state["discriminator_config"])
    generator.load_state_dict(state["generator"])
    discriminator.load_state_dict(state["discriminator"])
    sampler = generator
    if state.get("generator_average") is not None:
        sampler = Generator(**state["generator_config"])
        sampler.load_state_dict(state["generator_average"])
    return tuple(m.to(device).eval() for m in (generator, discriminator, sampler))
