"""Sampling from checkpoints: library functions and the command line."""

import numpy as np
import pytest
import torch

from ganbook import checkpoint as C
from ganbook import sample as S
from ganbook import train as T
from ganbook.models import Discriminator, Generator


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    data = np.random.default_rng(0).integers(0, 256, size=(64, 28, 28), dtype=np.uint8)
    result = T.train(Generator(4, (16,)), Discriminator((8,)), data, steps=3, batch_size=8,
                     ema_decay=0.9, checkpoint_dir=out, progress=False)
    return out / C.LATEST, result


def test_generate_convention_and_determinism(checkpoint):
    path, result = checkpoint
    g = S.load_generator(path)
    a = S.generate(g, 7, seed=1, batch_size=3)
    assert a.shape == (7, 28, 28) and a.dtype == np.float32
    np.testing.assert_array_equal(a, S.generate(g, 7, seed=1, batch_size=3))
    # Other batch sizes change only the last bits (matrix products are summed in other orders).
    np.testing.assert_allclose(a, S.generate(g, 7, seed=1), atol=1e-6)
    assert not np.allclose(a, S.generate(g, 7, seed=2, batch_size=3))
    # The checkpoint's sampling generator is the weight average, as returned by train().
    np.testing.assert_array_equal(a, S.generate(result.generator, 7, seed=1, batch_size=3))
    with pytest.raises(ValueError, match="n must be"):
        S.generate(g, 0)


def test_command_line_writes_samples(checkpoint, tmp_path):
    path, _ = checkpoint
    out = tmp_path / "samples.npy"
    assert S.main([str(path), "-n", "12", "--out", str(out)]) == 0
    samples = np.load(out)
    assert samples.shape == (12, 28, 28) and samples.dtype == np.float32


def test_missing_and_foreign_checkpoints_give_clear_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as err:
        S.main([str(tmp_path / "nope.pt"), "--out", str(tmp_path / "x.npy")])
    assert err.value.code == 2 and "no checkpoint" in capsys.readouterr().err
    torch.save({"model": torch.zeros(2)}, tmp_path / "foreign.pt")
    with pytest.raises(SystemExit):
        S.main([str(tmp_path / "foreign.pt"), "--out", str(tmp_path / "x.npy")])
    assert "not a ganbook GAN checkpoint" in capsys.readouterr().err
    assert not (tmp_path / "x.npy").exists()


def test_decode_keeps_the_mode_and_generate_needs_latent_dim():
    g = Generator(4, (8,)).train()
    z = S.latent(5, 4, seed=3)
    assert torch.equal(z, S.latent(5, 4, seed=3)) and z.shape == (5, 4)
    images = S.decode(g, z, batch_size=2)
    assert images.shape == (5, 28, 28) and g.training  # back in training mode
    with pytest.raises(ValueError, match="latent_dim"):
        S.generate(torch.nn.Linear(4, 784), 3)


def test_run_folder_gives_its_best_generator_unless_latest(checkpoint, tmp_path):
    path, _ = checkpoint
    run = tmp_path / "run"
    run.mkdir()
    (run / C.LATEST).write_bytes(path.read_bytes())
    latest = S.generate(S.load_generator(path), 4, seed=0)
    # Without best.pt the folder means its latest checkpoint.
    np.testing.assert_array_equal(S.generate(S.load_generator(run), 4, seed=0), latest)
    torch.manual_seed(1)
    other = Generator(4, (16,))
    C.save_best(run / C.BEST, other, {"step": 2})
    best = S.generate(other, 4, seed=0)
    np.testing.assert_array_equal(S.generate(S.load_generator(run), 4, seed=0), best)
    np.testing.assert_array_equal(S.generate(S.load_generator(run, latest=True), 4, seed=0),
                                  latest)
    out = tmp_path / "best.npy"
    assert S.main([str(run), "-n", "4", "--out", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out), best)
    assert S.main([str(run), "--latest", "-n", "4", "--out", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out), latest)


def test_out_must_be_a_file(checkpoint, tmp_path, capsys):
    path, _ = checkpoint
    with pytest.raises(SystemExit) as err:
        S.main([str(path), "-n", "2", "--out", str(tmp_path)])
    assert err.value.code == 2 and "is a folder" in capsys.readouterr().err
