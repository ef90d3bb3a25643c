"""Chapter 4's live explorer (``_static/demos/objective.js``) in the built book.

The page ``book/04_gan_objective.html`` of both editions is opened in headless Chromium, served
from 127.0.0.1 and straight from disk (``file://``). The demo must mount without a console
error and without any request to another host; driven through its handle
(``window.ganbook.objective``), its numbers must equal ``ganbook.objective`` evaluated in
Python on the chapter's grid; moving a slider must change the numbers shown; its labels are in
the page's language. A screenshot of the demo goes to ``_build/screenshots/``.

Skipped (with the reason) when the book is not built or Chromium is missing; under ``CI=true``
a missing build fails instead.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import demo_check as dc
from ganbook.objective import optimal_discriminator, virtual_training_criterion

PAGE = "book/04_gan_objective.html"
EDITIONS = dc.EDITIONS
# (mean, std) of p_g: the opening setting, p_g = p_data, a far generator, a narrow one.
SETTINGS = [(2.0, 1.5), (0.0, 1.0), (-4.3, 0.7), (5.0, 0.3), (1.2, 3.0)]
PROBES = [-2.0, 0.0, 1.0, 2.0, 4.0]  # where the handle reports D*

# The chapter's grid: x = np.linspace(-20, 22, 8401).
X = np.linspace(-20, 22, 8401)
DX = X[1] - X[0]
P_DATA = stats.norm(0, 1).pdf(X)


def python_numbers(mu: float, sigma: float) -> dict:
    p_g = stats.norm(mu, sigma).pdf(X)
    c = virtual_training_criterion(P_DATA, p_g, dx=DX)
    d_star = optimal_discriminator(P_DATA, p_g)
    return {"c": c, "jsd": (c + math.log(4)) / 2,
            "dstar": [d_star[np.argmin(np.abs(X - x))] for x in PROBES]}


@pytest.fixture(scope="module")
def browser():
    with dc.launched(*(prefix + PAGE for prefix in EDITIONS.values())) as chromium:
        yield chromium


def open_demo(browser, source: str, prefix: str) -> dc.Opened:
    """Open the page in a fresh context, once the demo's handle is there."""
    return dc.open_page(browser, source, prefix + PAGE,
                        ready="() => window.ganbook && window.ganbook.objective "
                              "&& window.ganbook.objective.state", timeout_ms=15_000)


@pytest.mark.parametrize("source", ["http", "file"])
@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_objective_demo(browser, edition, source):
    opened = open_demo(browser, source, EDITIONS[edition])
    tab = opened.tab
    try:
        demo = tab.locator(".ganbook-demo[data-demo='objective']")
        assert demo.count() == 1 and demo.get_attribute("data-ready") == "1"
        # The opening setting is the chapter's p_g = N(2, 1.5^2).
        opening = tab.evaluate("() => window.ganbook.objective.state()")
        assert (opening["mu"], opening["sigma"]) == (2.0, 1.5)
        for mu, sigma in SETTINGS:
            got = tab.evaluate("([m, s]) => window.ganbook.objective.set(m, s)", [mu, sigma])
            want = python_numbers(mu, sigma)
            assert got["c"] == pytest.approx(want["c"], abs=1e-9), (mu, sigma)
            assert got["jsd"] == pytest.approx(want["jsd"], abs=1e-9), (mu, sigma)
            np.testing.assert_allclose(got["dstar"], want["dstar"], atol=1e-9)
            assert f"{want['c']:.3f}" in got["readout"]
        # p_g = p_data: C(G) = -log 4 and D* = 1/2; far away, C(G) near its ceiling 0.
        same = tab.evaluate("() => window.ganbook.objective.set(0, 1)")
        assert same["c"] == pytest.approx(-math.log(4), abs=1e-9)
        assert same["dstar"] == pytest.approx([0.5] * len(PROBES), abs=1e-12)
        # A reader moving the mean slider changes the numbers shown.
        slider = demo.locator("input[data-name='mu']")
        before = demo.locator(".ganbook-demo__readout").text_content()
        slider.fill("4.5")
        slider.dispatch_event("input")
        after = demo.locator(".ganbook-demo__readout").text_content()
        assert before != after
        assert f"{python_numbers(4.5, 1.0)['c']:.3f}" in after
        # Labels in the page's language.
        controls = demo.locator(".ganbook-demo__controls").text_content()
        assert ("평균" in controls) == (edition == "ko") and ("mean" in controls) == (edition == "en")
        assert "내트" in after if edition == "ko" else "nats" in after
        if source == "http":
            tab.evaluate("() => { window.ganbook.objective.set(2, 1.5); "
                         "document.activeElement.blur(); }")
            dc.screenshot(demo, f"demo_objective_{edition}.png")
        opened.assert_clean(f"{edition} {source}")
    finally:
        opened.close()
