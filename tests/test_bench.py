"""The benchmark's FLOP accounting (closed forms) and a smoke run of its command line."""

import numpy as np
import pytest

from booktools import bench


def test_trainer_step_flops_match_the_closed_form():
    g = [(100, 128), (128, 256), (256, 512), (512, 1024), (1024, 784)]
    d = [(784, 512), (512, 256), (256, 1)]
    macs = lambda layers: sum(a * b for a, b in layers)
    m = bench.BATCH
    # discriminator step: G forward (m rows); D forward, weight gradients on 2m rows, input
    # gradients of D's upper layers (the data need none)
    d_step = m * macs(g) + 2 * m * macs(d) * 2 + 2 * m * macs(d[1:])
    # generator step (reusing the generated batch): D forward and input gradients on m rows,
    # G weight gradients and input gradients of G's upper layers (z needs none)
    g_step = m * macs(d) * 2 + m * macs(g) + m * macs(g[1:])
    data = np.random.default_rng(0).integers(0, 256, size=(256, 28, 28), dtype=np.uint8)
    assert bench.trainer_step_flops(data) == 2 * (d_step + g_step)


def test_command_line_smoke(capsys, monkeypatch):
    data = np.random.default_rng(0).integers(0, 256, size=(256, 28, 28), dtype=np.uint8)
    labels = np.arange(256) % 10
    monkeypatch.setattr("ganbook.data.load_split", lambda: ((data, labels), (data, labels)))
    monkeypatch.setattr(bench, "matmul_gflops", lambda: 100.0)
    assert bench.main(["--steps", "2", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for name in ("tutorial loop", *bench.TRAINER_VARIANTS, "GFLOP/s"):
        assert name in out
    assert out.count("ganbook.train.train, ") == len(bench.TRAINER_VARIANTS)
    with pytest.raises(SystemExit):
        bench.main(["--steps", "0"])


def test_variants_are_valid_trainer_settings():
    from ganbook.train import TrainConfig

    for settings in bench.TRAINER_VARIANTS.values():
        TrainConfig(**settings)  # raises on a misspelt or invalid setting
    assert bench.TRAINER_VARIANTS["same work as the tutorial"] == {"augment_shift": 0,
                                                                  "ema_decay": None}
