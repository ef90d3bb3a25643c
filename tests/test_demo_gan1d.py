"""The live 1-D GAN of chapter 5 (``_static/demos/gan1d.js``) in the built book, in headless
Chromium: both editions, served from 127.0.0.1 and opened from disk. The demo mounts with no
console error and no request to another host, its labels follow the page's language, good
settings bring D(x) to about 1/2 where the data live, and learning rates far too high make it
report divergence instead of drawing NaNs. A screenshot of the demo goes to
``_build/screenshots/``. Needs the built book (``make book``): skipped without it, failed
without it under CI."""

from __future__ import annotations

import math

import pytest

import training_demo_check as tdc

PAGE = "book/05_gan_1d.html"
DEMO = "gan1d"
SKIP_REASON = tdc.why_not_runnable()
pytestmark = pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")
LABEL = {"": "learning rate", "ko/": "학습률"}
browser, tabs = tdc.page_fixtures(PAGE, DEMO)


@tdc.everywhere
def test_demo_mounts_cleanly(tabs, edition, mode):
    tab = tabs[edition, mode]
    state = tdc.mounted_state(tab, DEMO, LABEL[edition])
    assert state["step"] == 0 and not state["diverged"]
    assert tab.js(f"document.querySelectorAll('[data-demo={DEMO}] canvas').length") == 3


def _finite(values) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


@pytest.mark.parametrize("where", [("", "http"), ("ko/", "file")])
def test_good_settings_bring_d_to_one_half_on_the_data(browser, tabs, where):
    tab = tabs[where]
    # Smaller networks and minibatches than the defaults (which the NumPy twin checks in
    # tests/test_numpy_gan.py and chapter 5): the same behaviour, four times cheaper.
    start = tab.js(f"window.ganbook.{DEMO}.reset({{hidden: 16, batch: 32}})")
    state = tab.js(f"window.ganbook.{DEMO}.step(400)")
    assert state["step"] == 400 and not state["diverged"]
    on_data = [d for d, s in zip(state["d_grid"], state["data_support"]) if s]
    assert len(on_data) > 30 and _finite(on_data)
    assert max(abs(d - 0.5) for d in on_data) < 0.1, on_data
    assert state["js"] < start["js"] / 5
    assert _finite(state["p_g"]) and _finite([state["loss_d"], state["loss_g"]])
    assert "400" in tab.js(f"document.querySelector('[data-demo={DEMO}] "
                           ".ganbook-demo__readout').textContent")
    edition = where[0].rstrip("/") or "en"
    browser.screenshot(tab, DEMO, f"demo_{DEMO}_{edition}.png")
    assert not tab.console_errors, tab.console_errors


@pytest.mark.parametrize("where", [("", "file"), ("ko/", "http")])
def test_a_far_too_high_learning_rate_is_reported_as_divergence(tabs, where):
    tab = tabs[where]
    tab.js(f"window.ganbook.{DEMO}.reset({{lr_d: 10, lr_g: 10}})")
    state = tab.js(f"window.ganbook.{DEMO}.step(100)")
    assert state["diverged"] is True and state["step"] < 100
    assert state["message"], state
    shown = tab.js(f"document.querySelector('[data-demo={DEMO}] "
                   ".ganbook-demo__warning').textContent")
    assert shown == state["message"]
    assert ("diverged" in shown) if where[0] == "" else ("발산" in shown)
    # what is drawn is the last healthy state: numbers, not NaN
    assert _finite(state["d_grid"]) and _finite(state["p_g"]) and math.isfinite(state["js"])
    # it stays stopped, and a reset with good settings trains again
    assert tab.js(f"window.ganbook.{DEMO}.step(10)")["step"] == state["step"]
    again = tab.js(f"window.ganbook.{DEMO}.reset({{}})")
    assert not again["diverged"] and again["message"] == ""
    assert not tab.console_errors, tab.console_errors
