"""Results must not drift silently: the book's training configurations against recorded runs.

``tests/reference_results.json`` holds, for each configuration below, the history of a short
run and a SHA-256 digest and the norms of every weight tensor. On a machine like the one that
recorded them (same CPU model, torch version and CPU capability) the test demands the same
results bit for bit. Elsewhere matrix products round differently in the last bit and training
amplifies the difference, so the runs are short and the test demands agreement to a relative
1e-2 (measured here with other matrix kernels, ``MKL_CBWR=AVX2`` and ``COMPATIBLE``: up to
3e-3 after 20 steps of the label-smoothing and the ring runs; 60 steps of the ring run with
minibatch discrimination already differ by 20%).

A change that alters results on purpose re-records the file, and says so in its commit::

    .venv/bin/python tests/test_reference_results.py --record

History of the file: the MNIST and VAE configurations were first checked bit for bit against
the code before the training core was shared (commit 6353324); the shared conventions then
changed their random streams (minibatches and noise from a private generator, the classifier
and the VAE on fused Adam), and the toy and ring GANs moved from NumPy draws and non-fused Adam
to the same conventions, so all were recorded again.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ganbook import toy, train, vae
from ganbook.models import Discriminator, Generator

REFERENCE = Path(__file__).with_name("reference_results.json")
RTOL_ELSEWHERE = 1e-2


def _training_digits():
    from ganbook.data import load_split

    (train_x, _), _ = load_split()
    return train_x


def _mnist(steps, **settings):
    result = train.train(data=_training_digits(), steps=steps, progress=False, **settings)
    return result.history, {"generator": result.raw_generator,
                            "discriminator": result.discriminator, "average": result.generator}


def _mnist_minibatch():
    torch.manual_seed(0)
    g, d = Generator(**train.DEFAULT_GENERATOR), Discriminator(minibatch_kernels=8)
    result = train.train(g, d, _training_digits(), steps=5, progress=False)
    return result.history, {"generator": result.raw_generator, "discriminator": d}


def _toy_1d():
    gan = toy.make_toy_gan(lambda n, rng: toy.sample_gaussian_1d(n, rng, mean=2.0, std=0.5),
                           lr_g=5e-4, lr_d=2e-3, batch_size=128, seed=0)
    toy.warm_start_generator(gan.generator, mean=1.0, std=0.4, steps=300)
    toy.train(gan, 40, k=3)
    return gan.history, {"generator": gan.generator, "discriminator": gan.discriminator}


def _ring(**settings):
    loss = settings.pop("generator_loss", "non_saturating")
    gan = toy.train(toy.make_ring_gan(seed=0, **settings), 20, generator_loss=loss)
    return gan.history, {"generator": gan.generator, "discriminator": gan.discriminator}


def _vae():
    run = vae.train_vae(_training_digits(), 60, latent_dim=16, hidden=(400,), batch_size=64)
    return run.history, {"model": run.model}


CONFIGS = {
    "mnist_default": lambda: _mnist(30),
    "mnist_k2": lambda: _mnist(20, k=2),
    "mnist_feature_matching": lambda: _mnist(20, generator_loss="feature_matching"),
    "mnist_label_smoothing": lambda: _mnist(20, label_smoothing=0.1),
    "mnist_minibatch_discrimination": _mnist_minibatch,
    "toy_1d": _toy_1d,
    "ring_minibatch_discrimination": lambda: _ring(minibatch_kernels=5),
    "ring_feature_matching": lambda: _ring(generator_loss="feature_matching"),
    "vae": _vae,
}


def machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "torch": torch.__version__,
            "capability": torch.backends.cpu.get_cpu_capability()}


def describe(history: dict, modules: dict) -> dict:
    """The record of one run: history, and a digest and norm of every weight tensor."""
    weights = {}
    for name, module in modules.items():
        for key, value in module.state_dict().items():
            array = value.detach().cpu().contiguous().numpy()
            weights[f"{name}.{key}"] = {"sha256": hashlib.sha256(array.tobytes()).hexdigest(),
                                        "norm": float(np.linalg.norm(array.astype(np.float64)))}
    return {"history": {k: np.asarray(v, dtype=np.float64).tolist() for k, v in history.items()},
            "weights": weights}


def record() -> dict:
    with torch.random.fork_rng(), _one_thread():
        return {"machine": machine(),
                "configs": {name: describe(*run()) for name, run in CONFIGS.items()}}


class _one_thread:
    def __enter__(self):
        self.before = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc):
        torch.set_num_threads(self.before)


@pytest.fixture(scope="module")
def reference():
    return json.loads(REFERENCE.read_text())


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_configuration_reproduces_its_reference(reference, name):
    expected = reference["configs"][name]
    with torch.random.fork_rng(), _one_thread():
        got = describe(*CONFIGS[name]())
    assert got["weights"].keys() == expected["weights"].keys()
    assert got["history"].keys() == expected["history"].keys()
    if reference["machine"] == machine():
        for key, value in got["history"].items():
            assert value == expected["history"][key], f"{name}: history {key} changed"
        for key, value in got["weights"].items():
            assert value["sha256"] == expected["weights"][key]["sha256"], f"{name}: {key} changed"
    else:
        for key, value in got["history"].items():
            np.testing.assert_allclose(value, expected["history"][key], rtol=RTOL_ELSEWHERE,
                                       err_msg=f"{name}: history {key}")
        for key, value in got["weights"].items():
            np.testing.assert_allclose(value["norm"], expected["weights"][key]["norm"],
                                       rtol=RTOL_ELSEWHERE, err_msg=f"{name}: {key}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        raise SystemExit("usage: python tests/test_reference_results.py --record")
    REFERENCE.write_text(json.dumps(record(), indent=1) + "\n")
    print(f"recorded {len(CONFIGS)} configurations in {REFERENCE}")
