"""The NumPy twin of the in-page 1-D GAN (src/ganbook/numpy_gan.py) against the page's
JavaScript (_ext/static/demos/gan1d.js, run under node through tests/js/run_trainer.js) and
against finite differences and torch autograd."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from ganbook import numpy_gan
from ganbook.numpy_gan import GAN1D, MLP, Adam, Mulberry32

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "tests" / "js" / "run_trainer.js"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed: the page's "
                                "JavaScript cannot be run outside a browser here")


def run_js(tmp_path, demo: str, settings: dict, steps: int, every: int) -> list[dict]:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"demo": demo, "settings": settings, "steps": steps,
                                  "every": every}))
    out = subprocess.run([NODE, str(RUNNER), str(config)], capture_output=True, text=True,
                         check=True, timeout=300)
    return json.loads(out.stdout)


def js_eval(tmp_path, expression: str):
    """Evaluate ``expression`` with the page's core loaded (ganbook in scope)."""
    script = tmp_path / "eval.js"
    script.write_text(
        "const fs = require('fs'), vm = require('vm');\n"
        "globalThis.window = globalThis;\n"
        "globalThis.document = {readyState: 'loading', addEventListener() {},"
        " documentElement: {lang: 'en'}};\n"
        f"vm.runInThisContext(fs.readFileSync({json.dumps(str(ROOT / '_ext/static/demos/ganbook-demos.js'))}, 'utf8'));\n"  # noqa: E501
        f"process.stdout.write(JSON.stringify({expression}));\n")
    out = subprocess.run([NODE, str(script)], capture_output=True, text=True, check=True,
                         timeout=60)
    return json.loads(out.stdout)


# --------------------------------------------------------------------------- the PRNG
@needs_node
def test_mulberry32_gives_the_pages_numbers_bit_for_bit(tmp_path):
    expr = ("(() => { const r = ganbook.rng(12345), u = [], n = [];"
            " for (let i = 0; i < 50; i++) u.push(r()); for (let i = 0; i < 50; i++)"
            " n.push(r.normal()); return {u, n, state: r.state()}; })()")
    page = js_eval(tmp_path, expr)
    rng = Mulberry32(12345)
    assert [rng.uniform() for _ in range(50)] == page["u"]  # exact: integer arithmetic
    normals = [rng.normal() for _ in range(50)]
    np.testing.assert_allclose(normals, page["n"], rtol=0, atol=1e-14)  # libm vs V8
    assert rng.state == page["state"]


def test_mulberry32_is_uniform_and_its_normals_standard():
    rng = Mulberry32(7)
    u = np.array([rng.uniform() for _ in range(20_000)])
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005
    z = rng.normals(20_000)
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    assert Mulberry32(7).uniform() == Mulberry32(7).uniform() != Mulberry32(8).uniform()


def test_mulberry32_rejects_a_non_integer_seed():
    with pytest.raises(ValueError, match="seed"):
        Mulberry32(1.5)


# --------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("act", ["tanh", "lrelu", "elu"])
def test_mlp_gradients_match_finite_differences(act):
    net = MLP([2, 5, 4, 3], act, Mulberry32(3))
    x = np.random.default_rng(0).normal(size=(6, 2))
    weights = np.random.default_rng(1).normal(size=(6, 3))

    def loss(params=None, inputs=x):
        if params is not None:
            net.params[:] = params
        return float((net.forward(inputs) * weights).sum())

    p0 = net.params.copy()
    net.zero_grad()
    loss()
    dx = net.backward(weights)
    grads = net.grads.copy()
    h = 1e-6
    for i in range(len(p0)):
        step = np.zeros_like(p0)
        step[i] = h
        numeric = (loss(p0 + step) - loss(p0 - step)) / (2 * h)
        assert abs(numeric - grads[i]) < 1e-6 * max(1.0, abs(numeric)), (act, i)
    net.params[:] = p0
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        numeric = (loss(inputs=x + step) - loss(inputs=x - step)) / (2 * h)
        assert abs(numeric - dx[i]) < 1e-6 * max(1.0, abs(numeric)), (act, i)


def _torch_mlp(net: MLP, x: np.ndarray) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The same network in torch (float64), for autograd."""
    acts = {"tanh": torch.tanh, "elu": torch.nn.functional.elu,
            "lrelu": lambda a: torch.nn.functional.leaky_relu(a, 0.01)}
    tensors, h = [], torch.from_numpy(x)
    for i in range(len(net.sizes) - 1):
        W, b = (torch.tensor(v, requires_grad=True) for v in net.layer(i))
        tensors += [W, b]
        h = h @ W + b
        if i < len(net.sizes) - 2:
            h = acts[net.act](h)
    return h, tensors


@pytest.mark.parametrize("loss", ["nonsaturating", "minimax"])
def test_gan_losses_backpropagate_as_torch_autograd_does(loss):
    """The twin's D step and G step gradients (through D into G) equal autograd's."""
    gan = GAN1D(loss=loss, hidden=6, batch=8)
    rng = np.random.default_rng(5)
    x_real, z = rng.normal(2, 0.5, size=(8, 1)), rng.normal(size=(8, 1))
    m = len(z)
    sp, sig = numpy_gan.softplus, numpy_gan.sigmoid
    # D's loss: mean softplus(-l_real) + mean softplus(l_fake), G fixed
    x_fake = gan.G.forward(z).copy()
    gan.D.zero_grad()
    gan.D.backward(-sig(-gan.D.forward(x_real)) / m)
    gan.D.backward(sig(gan.D.forward(x_fake)) / m)
    l_real, d_tensors = _torch_mlp(gan.D, x_real)
    d_loss = torch.nn.functional.softplus(-l_real).mean()
    l_fake, _ = _torch_mlp(gan.D, x_fake)
    # the same tensors for both batches: rebuild the fake branch on d_tensors
    h = torch.from_numpy(x_fake)
    for i in range(0, len(d_tensors), 2):
        h = h @ d_tensors[i] + d_tensors[i + 1]
        if i < len(d_tensors) - 2:
            h = torch.nn.functional.leaky_relu(h, 0.01)
    d_loss = d_loss + torch.nn.functional.softplus(h).mean()
    d_loss.backward()
    want = torch.cat([t.grad.ravel() for t in d_tensors]).numpy()
    np.testing.assert_allclose(gan.D.grads, want, rtol=1e-10, atol=1e-12)
    # G's loss through D
    logits = gan.D.forward(gan.G.forward(z))
    d_logits = -sig(-logits) / m if loss == "nonsaturating" else -sig(logits) / m
    dx = gan.D.backward(d_logits)
    gan.G.zero_grad()
    gan.G.backward(dx)
    out, g_tensors = _torch_mlp(gan.G, z)
    h = out
    for i in range(0, len(d_tensors), 2):
        h = h @ d_tensors[i].detach() + d_tensors[i + 1].detach()
        if i < len(d_tensors) - 2:
            h = torch.nn.functional.leaky_relu(h, 0.01)
    sp_t = torch.nn.functional.softplus
    g_loss = sp_t(-h).mean() if loss == "nonsaturating" else -sp_t(h).mean()
    g_loss.backward()
    want = torch.cat([t.grad.ravel() for t in g_tensors]).numpy()
    np.testing.assert_allclose(gan.G.grads, want, rtol=1e-10, atol=1e-12)
    assert math.isclose(float(sp(-logits).mean() if loss == "nonsaturating"
                              else -sp(logits).mean()), g_loss.item(), rel_tol=1e-12)


def test_adam_matches_torch():
    net = MLP([1, 3, 1], "tanh", Mulberry32(2))
    p = torch.tensor(net.params.copy(), requires_grad=True)
    ours, theirs = Adam(net, beta1=0.5), torch.optim.Adam([p], lr=0.01, betas=(0.5, 0.999))
    rng = np.random.default_rng(0)
    for _ in range(5):
        g = rng.normal(size=net.params.shape)
        net.grads[:] = g
        ours.step(0.01)
        p.grad = torch.from_numpy(g.copy())
        theirs.step()
    np.testing.assert_allclose(net.params, p.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_normal_quantile_matches_scipy():
    from scipy.special import ndtri

    levels = np.concatenate([[1e-6, 0.001, 0.02, 0.0243, 0.0244], np.linspace(0.03, 0.97, 50),
                             [0.98, 0.999, 1 - 1e-6]])
    ours = np.array([numpy_gan.normal_quantile(p) for p in levels])
    np.testing.assert_allclose(ours, ndtri(levels), rtol=2e-9, atol=1e-12)
    with pytest.raises(ValueError):
        numpy_gan.normal_quantile(1.0)


def test_js_bits_of_disjoint_and_equal_distributions():
    assert numpy_gan.js_bits([0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]) == pytest.approx(1.0)
    assert numpy_gan.js_bits([0.2, 0.8], [0.2, 0.8]) == pytest.approx(0.0, abs=1e-15)


# --------------------------------------------------------------------------- the twin
@needs_node
@pytest.mark.parametrize("settings", [
    {},
    {"loss": "minimax", "k": 1, "batch": 16, "seed": 7, "lr_d": 0.01, "lr_g": 0.003},
])
def test_twin_agrees_with_the_page_over_200_iterations(tmp_path, settings):
    page = run_js(tmp_path, "gan1d", settings, steps=200, every=100)
    twin = GAN1D(**settings)
    ours = [twin.dump()]
    for _ in range(2):
        ours.append(twin.run(100).dump())
    assert [p["step"] for p in page] == [o["step"] for o in ours] == [0, 100, 200]
    for p, o in zip(page, ours):
        for key in ("g", "d", "d_grid", "mass_g"):
            np.testing.assert_allclose(o[key], p[key], rtol=0, atol=1e-9, err_msg=key)
        for key in ("loss_d", "loss_g", "d_real", "d_fake", "js"):
            if p[key] is None:  # NaN before the first iteration (JSON null)
                assert math.isnan(o[key])
            else:
                assert abs(o[key] - p[key]) < 1e-9, key
        np.testing.assert_allclose(o["history"], p["history"], rtol=0, atol=1e-9)
        assert o["diverged"] is p["diverged"] is False
    # the runs did something: the weights moved, and with the defaults JS fell
    assert np.abs(ours[-1]["g"] - ours[0]["g"]).max() > 0.01
    if not settings:
        assert ours[-1]["js"] < 0.5 * ours[0]["js"]


@needs_node
def test_twin_and_page_report_the_same_divergence(tmp_path):
    settings = {"lr_d": 10.0, "lr_g": 10.0}
    page = run_js(tmp_path, "gan1d", settings, steps=100, every=100)[-1]
    twin = GAN1D(**settings).run(100)
    assert page["diverged"] is True and twin.diverged is True
    assert page["step"] == twin.step < 100
    # the kept weights are the last healthy ones: finite and below the limit
    for params in (twin.G.params, twin.D.params, np.array(page["g"]), np.array(page["d"])):
        assert np.all(np.abs(params) < GAN1D.PARAM_LIMIT)
    np.testing.assert_allclose(twin.G.params, page["g"], rtol=0, atol=1e-9)


def test_good_settings_approach_the_equilibrium():
    gan = GAN1D().run(600)
    m = gan.measure()
    on_data = np.abs(gan.x_grid - GAN1D.MU) <= 2 * GAN1D.SIGMA
    assert not gan.diverged
    assert m["js"] < 0.05
    assert np.all(np.abs(m["d_grid"][on_data] - 0.5) < 0.1)


def test_settings_are_validated():
    with pytest.raises(ValueError, match="loss"):
        GAN1D(loss="wasserstein")
    with pytest.raises(ValueError, match="lr_d"):
        GAN1D(lr_d=0)
    with pytest.raises(ValueError, match="unknown"):
        GAN1D(learning_rate=0.1)
    with pytest.raises(ValueError, match="shape"):
        MLP([1, 2, 1], "tanh", Mulberry32(0)).forward(np.zeros((3, 2)))
