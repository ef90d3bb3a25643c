"""Compact run records: what a chapter needs from a long run, without its weights."""

import numpy as np
import pytest
import torch

from ganbook import checkpoint, records
from ganbook import train as T
from ganbook.models import Discriminator, Generator

pytestmark = pytest.mark.usefixtures("one_thread")


def test_block_means():
    np.testing.assert_allclose(records.block_means(np.arange(7.0), 3), [1.0, 4.0])


def test_record_of_a_run_round_trips(tmp_path):
    from test_train import small_monitor

    digits = np.random.default_rng(0).integers(0, 256, size=(64, 28, 28), dtype=np.uint8)
    torch.manual_seed(0)
    result = T.train(Generator(4, (16,)), Discriminator((16, 8)), digits, steps=12,
                     batch_size=8, eval_every=4, monitor=small_monitor(), progress=False,
                     checkpoint_dir=tmp_path / "run")
    scorer = small_monitor(n_samples=100)
    path = records.record_run(tmp_path / "run", tmp_path / "record.npz", block=5, n_samples=9,
                              scorer=scorer)
    record = records.load_record(path)
    scored = record["scored"]  # the best generator again, on the scorer's 100 samples
    assert scored["samples"] == 100 and not scorer.evaluations  # scored, not kept
    again = scorer.score(checkpoint.load_sampler(tmp_path / "run" / checkpoint.BEST))
    assert scored == {"samples": 100, **again}
    assert len(scored["class_fractions"]) == 10
    assert sum(scored["class_fractions"]) == pytest.approx(1.0)
    assert record["step"] == 12 and record["block"] == 5
    np.testing.assert_allclose(record["history"]["d_loss"],
                               result.history["d_loss"][:10].reshape(2, 5).mean(1))
    assert record["evaluations"] == result.evaluations and record["best"] == result.best
    assert record["samples_final"].shape == (9, 28, 28)
    assert record["samples_final"].dtype == np.uint8
    assert record["config"] == result.config.identity()
    assert path.stat().st_size < 50_000
    with pytest.raises(FileNotFoundError):
        records.record_run(tmp_path / "nothing", tmp_path / "x.npz")
