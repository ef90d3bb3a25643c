"""Chapter 6's latent explorer in the built book, in a real browser (headless Chromium).

The page runs the trained generator itself (``_static/demos/latent.js`` with the weights of
``latent-generator.js``, written by ``python -m ganbook.web_export``). Over 127.0.0.1 and from
``file://``, in both editions: the demo mounts with no console error and no request to another
host, its pixels for fixed latent vectors match the Python computation on the same float16
weights (to rounding) and the float32 PyTorch model (``tests/latent_fixtures.json``) within
``ganbook.web_export.TOLERANCE``, and its controls do what they say. A screenshot of the demo
per edition and transport goes to ``_build/screenshots/``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import demo_check as dc
from ganbook import web_export as we

PAGE = "book/06_mnist_gan.html"
EDITIONS = {edition: prefix + PAGE for edition, prefix in dc.EDITIONS.items()}


@pytest.fixture(scope="module")
def browser():
    with dc.launched(*EDITIONS.values()) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def spec():
    return we.read_js(we.DEFAULT_OUT)


@pytest.fixture(scope="module")
def fixtures():
    return json.loads(we.DEFAULT_FIXTURES.read_text())


def _open(browser, edition: str, transport: str) -> dc.Opened:
    """The chapter in a fresh context, once the demo's handle is there."""
    return dc.open_page(browser, transport, EDITIONS[edition],
                        ready="() => !!(window.ganbook && window.ganbook.latent"
                              " && window.ganbook.latent.render)")


@pytest.mark.parametrize("transport", ["http", "file"])
@pytest.mark.parametrize("edition", ["en", "ko"])
def test_latent_explorer_matches_python(browser, spec, fixtures, edition, transport):
    opened = _open(browser, edition, transport)
    tab = opened.tab
    try:
        z = np.array(fixtures["z"])
        js = np.array(tab.evaluate("zs => zs.map(z => window.ganbook.latent.render(z))",
                                   z.tolist()))
        assert js.shape == (len(z), 784)
        # The same float16 weights, float64 arithmetic: the page is Python to rounding,
        np.testing.assert_allclose(js, we.forward(spec, z), rtol=0, atol=1e-9)
        # and within the measured tolerance of the float32 PyTorch model.
        error = np.abs(js - np.array(fixtures["model_pixels"])).max()
        assert error <= we.TOLERANCE, f"{255 * error:.2f} / 255"

        # The controls: z = (1 - alpha) z_A + alpha z_B + sum_i a_i u_i, drawn on the page.
        offsets = [1.0, -0.5, 0.0, 2.2]
        state = tab.evaluate("o => window.ganbook.latent.set(o)",
                             {"seedA": 3, "seedB": 8, "alpha": 0.37, "offsets": offsets})
        z_a = np.array(tab.evaluate("s => window.ganbook.latent.latent(s)", 3))
        z_b = np.array(tab.evaluate("s => window.ganbook.latent.latent(s)", 8))
        expected = 0.63 * z_a + 0.37 * z_b + np.array(offsets) @ np.array(spec["directions"])
        np.testing.assert_allclose(state["z"], expected, atol=1e-12)
        np.testing.assert_allclose(state["pixels"], we.forward(spec, [expected])[0],
                                   atol=1e-9)
        assert state["alpha"] == 0.37 and state["offsets"] == offsets
        assert abs(z_a.mean()) < 0.5 and 0.6 < z_a.std() < 1.4  # standard-normal draws
        # The digit on the canvas is the state's pixels (ink dark on white, 7x scale).
        ink = tab.evaluate("""() => {
            const c = document.querySelector('.ganbook-demo[data-demo=latent] canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const out = [];
            for (let p = 0; p < 784; p++) {
                const x = (p % 28) * 7 + 3, y = Math.floor(p / 28) * 7 + 3;
                out.push(1 - d[4 * (y * c.width + x)] / 255);
            }
            return out;
        }""")
        np.testing.assert_allclose(ink, state["pixels"], atol=1 / 255 + 1e-9)

        zs = tab.evaluate("s => window.ganbook.latent.grid(s)", 5)
        assert len(zs) == 100 and tab.evaluate("window.ganbook.latent.state().gridSeed") == 5
        grid_pixels = we.forward(spec, zs)
        assert 0.05 < grid_pixels.mean() < 0.3  # digits: mostly paper, some ink

        text = tab.inner_text(".ganbook-demo[data-demo=latent]")
        word = {"en": "interpolation", "ko": "보간"}[edition]
        assert word in text, text[:300]
        if edition == "ko":
            assert "direction" not in text and "new digit" not in text
        dc.screenshot(tab.locator(".ganbook-demo[data-demo=latent]"),
                      f"demo_latent_{edition}_{transport}.png")
        opened.assert_clean(f"{edition} {transport}")
    finally:
        opened.close()
