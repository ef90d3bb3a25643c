"""The generator's data file for chapter 6's latent explorer (ganbook.web_export)."""

import copy
import json

import numpy as np
import pytest
import torch
from torch import nn

from ganbook import web_export as we
from ganbook.models import Generator

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def small():
    torch.manual_seed(0)
    return Generator(8, (16, 32))


def test_data_file_round_trip_gives_float16_weights(small, tmp_path):
    spec = we.export_spec(small, source="test", n_directions=3)
    path = tmp_path / "g.js"
    path.write_text(we.to_js(spec), encoding="ascii")
    back = we.read_js(path)
    assert back == spec
    layers = [m for m in small.net if isinstance(m, nn.Linear)]
    for (w, b), layer in zip(we.weights(back), layers):
        expected = layer.weight.detach().numpy().astype(np.float16).astype(np.float64)
        np.testing.assert_array_equal(w, expected)
        np.testing.assert_array_equal(b, layer.bias.detach().numpy().astype(np.float64))
    assert np.shape(back["directions"]) == (3, 8)


def test_forward_is_the_model_on_the_stored_weights(small):
    """With weights that float16 holds exactly, forward() is the PyTorch model to rounding."""
    exact = copy.deepcopy(small)
    with torch.no_grad():
        for p in exact.parameters():
            p.copy_(p.half().float())
    spec = we.export_spec(exact)
    z = np.random.default_rng(1).standard_normal((50, 8))
    np.testing.assert_allclose(we.forward(spec, z), we.model_pixels(exact, z), atol=1e-6)
    # and the float16 rounding of a real model moves pixels by far less than the tolerance
    assert 0 < we.max_pixel_error(we.export_spec(small), small, n=200) < we.TOLERANCE / 4


def test_forward_follows_the_architecture(small):
    """LeakyReLU with the model's slope, tanh, then pixels (x + 1) / 2: a hand computation."""
    spec = we.export_spec(small)
    z = np.random.default_rng(2).standard_normal((3, 8))
    h = z
    for i, (w, b) in enumerate(we.weights(spec)):
        h = h @ w.T + b
        if i < 2:
            h = np.maximum(h, 0) + 0.2 * np.minimum(h, 0)
    np.testing.assert_allclose(we.forward(spec, z), (np.tanh(h) + 1) / 2, atol=1e-12)


def test_directions_are_orthonormal_and_fixed():
    d = we.latent_directions(64)
    np.testing.assert_allclose(d @ d.T, np.eye(we.N_DIRECTIONS), atol=1e-6)
    np.testing.assert_array_equal(d, we.latent_directions(64))
    assert not np.allclose(d, we.latent_directions(64, seed=we.DIRECTION_SEED + 1))


def test_inputs_are_validated(small, tmp_path):
    with pytest.raises(ValueError, match="Generator"):
        we.export_spec(nn.Linear(3, 4))
    with pytest.raises(ValueError, match="cannot exceed"):
        we.latent_directions(3, 4)
    spec = we.export_spec(small)
    with pytest.raises(ValueError, match="shape"):
        we.forward(spec, np.zeros((2, 7)))
    with pytest.raises(ValueError, match="format"):
        we.forward({**spec, "format": 99}, np.zeros((1, 8)))
    (tmp_path / "x.js").write_text("var x = 1;")
    with pytest.raises(ValueError, match="not a latent-generator"):
        we.read_js(tmp_path / "x.js")


def test_check_file_rejects_another_generator(small, tmp_path):
    path = tmp_path / "g.js"
    path.write_text(we.to_js(we.export_spec(small)), encoding="ascii")
    assert we.check_file(path, small) < we.TOLERANCE
    torch.manual_seed(5)
    with pytest.raises(ValueError, match="regenerate"):
        we.check_file(path, Generator(8, (16, 32)))
    with pytest.raises(ValueError, match="architecture"):
        we.check_file(path, Generator(8, (16, 16)))


def test_committed_data_file_is_small_and_well_formed():
    """The committed file: the default architecture, float16 (about 1.5 MB of the book's
    5 MB budget for demos). Chapter 6 checks that it matches the default run's generator."""
    from ganbook.train import DEFAULT_GENERATOR

    spec = we.read_js(we.DEFAULT_OUT)
    assert we.DEFAULT_OUT.stat().st_size < 2_000_000
    g = Generator(**DEFAULT_GENERATOR)
    assert [(layer["in"], layer["out"]) for layer in spec["layers"]] == [
        (m.in_features, m.out_features) for m in g.net if isinstance(m, nn.Linear)]
    assert spec["negative_slope"] == g.negative_slope and spec["latent_dim"] == g.latent_dim
    pixels = we.forward(spec, np.random.default_rng(0).standard_normal((20, g.latent_dim)))
    # a trained generator: mostly paper, some ink
    assert 0.05 < pixels.mean() < 0.3 and (pixels > 0.9).mean() > 0.03


def test_command_line_writes_and_checks(tmp_path, monkeypatch, small, capsys):
    monkeypatch.setattr("ganbook.train.load_or_train_default", lambda *a, **k: small)
    monkeypatch.setattr(we, "default_source", lambda: "test run")
    out = tmp_path / "demo" / "g.js"
    fixtures = tmp_path / "f.json"
    assert we.main(["--out", str(out), "--fixtures", str(fixtures)]) == 0
    assert we.read_js(out)["source"] == "test run"
    data = json.loads(fixtures.read_text())
    np.testing.assert_allclose(data["model_pixels"], we.model_pixels(small, data["z"]),
                               atol=1e-6)
    assert we.main(["--out", str(out), "--check"]) == 0
    assert "matches" in capsys.readouterr().out


def test_committed_fixtures_belong_to_the_committed_data_file():
    spec = we.read_js(we.DEFAULT_OUT)
    data = json.loads(we.DEFAULT_FIXTURES.read_text())
    assert data["source"] == spec["source"] and len(data["z"]) == we.N_FIXTURES
    error = np.abs(we.forward(spec, data["z"]) - np.array(data["model_pixels"])).max()
    assert error < we.TOLERANCE
