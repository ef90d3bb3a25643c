"""The live explorers of chapters 1-3 in the built book, in headless Debian Chromium.

``_ext/static/demos/entropy.js`` (chapter 1, the binary entropy of a coin), ``kl.js``
(chapter 2, KL divergence of two Gaussians in both directions), ``klfit.js`` (chapter 2, one
Gaussian fitted to two modes by forward or reverse KL) and ``js.js`` (chapter 3, two Gaussians
with the Jensen-Shannon divergence) compute in the page what the notebooks compute with
``ganbook.divergences``, scipy and the chapters' grids; klfit's fits must end where scipy's BFGS
does, as in chapter 2. Each demo is opened in both editions, served from 127.0.0.1 and from
disk (``file://``); its sliders are moved, through the input elements as a reader would and
through the demo's handle ``window.ganbook.<name>.set``, and the numbers the page displays
(six decimals) must equal the Python values to 1e-6; the handle's full-precision values must
agree to 1e-9. No console error, no request to another host, Korean labels on Korean pages
drawn with the book's Hangul web font, and a screenshot of each demo in
``_build/screenshots/``. Needs a build (``_build/html`` with ``ko/``): skipped with a message
without one, failed under ``CI=true``.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, special, stats

import browser_check as bc
import demo_check as dc
from ganbook.divergences import entropy, gaussian_kl, js_divergence

BUILT_PAGES = ("index.html", "ko/index.html")
PAGES = {
    "entropy": "book/01_information_entropy.html",
    "kl": "book/02_kl_divergence.html",
    "js": "book/03_js_divergence.html",
    "klfit": "book/02_kl_divergence.html",
}
EDITIONS = dc.EDITIONS
HANGUL = re.compile(r"[가-힣]")
# The grid of js.js: the step of chapter 3's gaussian_jsd, wide enough for every slider setting.
JS_GRID = np.linspace(-30, 30, 12001)
JS_DX = JS_GRID[1] - JS_GRID[0]


pytestmark = dc.needs_browser


# --------------------------------------------------------------------------- Python reference

def expected_entropy(p: float) -> dict:
    bits = entropy([p, 1 - p], base=2)
    return {"bits": bits, "nats": entropy([p, 1 - p])}


def expected_kl(mu1, s1, mu2, s2) -> dict:
    return {"kl_pq": float(gaussian_kl(mu1, s1, mu2, s2)),
            "kl_qp": float(gaussian_kl(mu2, s2, mu1, s1))}


def expected_js(mu1, s1, mu2, s2) -> dict:
    p = stats.norm(mu1, s1).pdf(JS_GRID) * JS_DX
    q = stats.norm(mu2, s2).pdf(JS_GRID) * JS_DX
    return {**expected_kl(mu1, s1, mu2, s2), "jsd": js_divergence(p, q)}


# Chapter 2's fits of one Gaussian to two modes (klfit.js): the chapter's grid and log-densities.
FIT_X = np.linspace(-20, 20, 8001)
FIT_DX = FIT_X[1] - FIT_X[0]
FIT_LOG_P = special.logsumexp(
    [stats.norm(-3, 1).logpdf(FIT_X), stats.norm(3, 1).logpdf(FIT_X)], axis=0) + math.log(0.5)


def expected_klfit(mu, sigma) -> dict:
    log_q = stats.norm(mu, sigma).logpdf(FIT_X)
    forward = np.sum(np.exp(FIT_LOG_P) * (FIT_LOG_P - log_q)) * FIT_DX
    reverse = np.sum(np.exp(log_q) * (log_q - FIT_LOG_P)) * FIT_DX
    return {"forward": float(forward), "reverse": float(reverse)}


@functools.lru_cache(maxsize=None)
def python_fit(which: str, mu0: float) -> tuple[float, float, float]:
    """(mu, sigma, value) of scipy's BFGS from (mu0, sigma = 1), as chapter 2 fits."""
    result = optimize.minimize(lambda th: expected_klfit(th[0], math.exp(th[1]))[which],
                               np.array([mu0, 0.0]), method="BFGS")
    return float(result.x[0]), math.exp(result.x[1]), float(result.fun)


def test_reference_values_make_sense():
    """The references themselves, on cases with known answers (no browser needed)."""
    assert expected_entropy(0.5)["bits"] == 1.0
    np.testing.assert_allclose(expected_kl(0, 1, 3, 1)["kl_pq"], 4.5)
    far = expected_js(-4, 0.5, 4, 0.5)["jsd"]
    assert math.log(2) - 1e-9 < far <= math.log(2) + 1e-12  # disjoint in practice: log 2
    np.testing.assert_allclose(expected_js(0, 1, 1, 1)["jsd"], 0.11142148, atol=1e-8)
    mu, sigma, _ = python_fit("forward", 2.0)   # moment matching, as chapter 2 shows
    np.testing.assert_allclose([mu, sigma], [0.0, math.sqrt(10)], atol=1e-3)


# Slider settings, in order; "via" says how the test moves them. The first entry of each list is
# the demo's initial state (the notebook's static figure).
SCENARIOS = {
    "entropy": [
        ({"p": 0.2}, "initial"), ({"p": 0.5}, "input"), ({"p": 0.0}, "input"),
        ({"p": 0.37}, "handle"), ({"p": 1.0}, "handle"), ({"p": 0.93}, "input"),
    ],
    "kl": [
        ({"mu1": 0.0, "s1": 1.0, "mu2": 2.0, "s2": 0.5}, "initial"),
        ({"mu1": -1.5, "s1": 0.3, "mu2": 2.2, "s2": 2.7}, "input"),
        ({"mu1": 1.0, "s1": 2.0, "mu2": 1.0, "s2": 2.0}, "handle"),
        ({"mu1": -4.0, "s1": 3.0, "mu2": 4.0, "s2": 0.2}, "input"),
    ],
    "js": [
        ({"mu1": 0.0, "s1": 1.0, "mu2": 3.0, "s2": 1.0}, "initial"),
        ({"mu1": -4.0, "s1": 0.2, "mu2": 4.0, "s2": 0.2}, "input"),
        ({"mu1": 0.5, "s1": 0.2, "mu2": -1.0, "s2": 3.0}, "handle"),
        ({"mu1": 0.0, "s1": 1.0, "mu2": 0.0, "s2": 1.0}, "input"),
    ],
    "klfit": [
        ({"mu": 2.0, "sigma": 1.0}, "initial"),
        ({"mu": -1.3, "sigma": 2.4}, "input"),
        ({"mu": 0.5, "sigma": 4.6}, "handle"),
        ({"mu": 6.0, "sigma": 0.3}, "input"),
    ],
}


def expected(demo: str, params: dict) -> dict:
    if demo == "entropy":
        return expected_entropy(params["p"])
    if demo == "klfit":
        return expected_klfit(params["mu"], params["sigma"])
    args = (params["mu1"], params["s1"], params["mu2"], params["s2"])
    return expected_kl(*args) if demo == "kl" else expected_js(*args)


# --------------------------------------------------------------------------- browser

@pytest.fixture(scope="module")
def browser():
    with dc.launched(*BUILT_PAGES) as b:
        yield b


_MOVE_INPUT_JS = """
([name, key, value]) => {
  const input = document.querySelector(`#ganbook-demo-${name} input[data-name="${key}"]`);
  input.value = String(value);
  input.dispatchEvent(new Event('input', {bubbles: true}));
  return Number(input.value);
}
"""

_READ_JS = """
(name) => {
  const root = document.querySelector(`#ganbook-demo-${name}`);
  const shown = {};
  root.querySelectorAll('[data-quantity]').forEach((s) => { shown[s.dataset.quantity] = s.textContent; });
  const sliders = {};
  root.querySelectorAll('input[type=range]').forEach((i) => {
    sliders[i.dataset.name] = i.closest('label').querySelector('output').textContent;
  });
  const canvases = Array.from(root.querySelectorAll('canvas')).map((c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] < 200 || data[i + 2] < 200) ink++;
    return ink;
  });
  return {shown, sliders, canvases, state: window.ganbook[name].state(),
          readout: root.querySelector('[data-role=readout]').textContent,
          readout_font: getComputedStyle(root.querySelector('[data-role=readout]')).fontFamily};
}
"""


@pytest.mark.parametrize("via", ["http", "file"])
@pytest.mark.parametrize("edition", list(EDITIONS))
@pytest.mark.parametrize("demo", list(PAGES))
def test_demo(browser, demo, edition, via):
    page_path = EDITIONS[edition] + PAGES[demo]
    opened = dc.open_page(
        browser, via, page_path,
        ready="(n) => window.ganbook && window.ganbook[n] && "
              "document.querySelector(`#ganbook-demo-${n}`).dataset.ready === '1'",
        arg=demo, timeout_ms=15_000)
    tab = opened.tab
    try:
        if edition == "ko":
            # what the demo waits for before its Korean redraw
            tab.evaluate("() => document.fonts.load('12px \"Nanum Gothic\"', '밀도확률')")
        for params, via_what in SCENARIOS[demo]:
            if via_what == "input":
                for key, value in params.items():
                    got = tab.evaluate(_MOVE_INPUT_JS, [demo, key, value])
                    assert got == pytest.approx(value, abs=1e-12), (key, value, got)
            elif via_what == "handle":
                arg = params["p"] if demo == "entropy" else params
                tab.evaluate("([n, a]) => window.ganbook[n].set(a)", [demo, arg])
            seen = tab.evaluate(_READ_JS, demo)
            state = seen["state"]
            got_params = ({"p": state["p"]} if demo == "entropy" else
                          {"mu": state["mu"], "sigma": state["sigma"]} if demo == "klfit" else
                          state["params"])
            assert got_params == pytest.approx(params, abs=1e-12)
            want = expected(demo, params)
            where = f"{demo} {edition} {via} {params}"
            for key, value in want.items():
                assert state[key] == pytest.approx(value, abs=1e-9, rel=1e-9), (where, key)
                shown = float(seen["shown"][key])
                assert abs(shown - value) <= 5.1e-7, (where, key, shown, value)
            for key, value in params.items():   # the sliders show the values they hold
                assert float(seen["sliders"][key]) == pytest.approx(value, abs=1e-9), where
            assert all(ink > 500 for ink in seen["canvases"]), (where, seen["canvases"])
            assert state["lang"] == edition
            has_hangul = bool(HANGUL.search(seen["readout"]))
            assert has_hangul == (edition == "ko"), (where, seen["readout"])
            # the read-out's Hangul (units) is drawn by the web font, not as tofu boxes
            first = seen["readout_font"].split(",")[0].strip().strip('"\'')
            assert first == bc.HANGUL_FONT, (where, seen["readout_font"])
        if demo == "js":
            # disjoint in practice: the JSD is at its ceiling log 2 (the chapter's saturation)
            tab.evaluate("(a) => window.ganbook.js.set(a)",
                         {"mu1": -4.0, "s1": 0.2, "mu2": 4.0, "s2": 0.2})
            assert tab.evaluate("() => window.ganbook.js.state().jsd") == pytest.approx(
                math.log(2), abs=1e-9)
        if demo == "klfit":
            check_fits(tab, f"{edition} {via}")
        if edition == "ko":
            # the Korean labels of the canvases can be drawn by the book's web font
            faces = tab.evaluate(
                "() => document.fonts.load('12px \"Nanum Gothic\"', '밀도확률내트비트')"
                ".then((fs) => fs.length)")
            assert faces > 0, "no face of Nanum Gothic for the demo's Korean labels"
        dc.screenshot(tab.locator(f"#ganbook-demo-{demo}"),
                      f"demo_{demo}_{edition}_{via}.png")
    finally:
        opened.close()
    opened.assert_clean(f"{page_path} ({via})")


def check_fits(tab, where):
    """The fit buttons: gradient descent in the page ends where scipy's BFGS does (chapter 2),
    and the numbers shown there are the Python divergences of the fitted Gaussian."""
    cases = [("reverse", 2.0, "button"), ("reverse", 0.0, "handle"), ("reverse", -2.0, "handle"),
             ("forward", 2.0, "button")]
    for which, mu0, how in cases:
        tab.evaluate("(a) => window.ganbook.klfit.set(a)", {"mu": mu0, "sigma": 1.0})
        if how == "button":
            index = 0 if which == "forward" else 1
            tab.locator("#ganbook-demo-klfit button").nth(index).click()
            tab.wait_for_function("(w) => window.ganbook.klfit.state().fitted === w", arg=which)
        else:
            tab.evaluate("(w) => window.ganbook.klfit.fit(w)", which)
        state = tab.evaluate("() => window.ganbook.klfit.state()")
        mu, sigma, value = python_fit(which, mu0)
        case = f"klfit {where}: {which} fit from mu = {mu0}"
        assert state["fitted"] == which, case
        assert state["mu"] == pytest.approx(mu, abs=1e-3), (case, state)
        assert state["sigma"] == pytest.approx(sigma, abs=1e-3), (case, state)
        assert state[which] == pytest.approx(value, abs=1e-7), (case, state)
        want = expected_klfit(state["mu"], state["sigma"])
        seen = tab.evaluate(_READ_JS, "klfit")
        for key in ("forward", "reverse"):
            assert state[key] == pytest.approx(want[key], abs=1e-9, rel=1e-9), (case, key)
            assert abs(float(seen["shown"][key]) - want[key]) <= 5.1e-7, (case, key)
    # the chapter's numbers: moment matching, and a reverse fit just below log 2
    assert python_fit("forward", 2.0)[:2] == pytest.approx((0.0, math.sqrt(10)), abs=1e-3)
    assert math.log(2) - 0.01 < python_fit("reverse", 2.0)[2] < math.log(2)


def test_demo_scripts_stay_small():
    """Page weight: the four scripts of the chapter 1-3 explorers together stay under 32 KB."""
    demos = bc.ROOT / "_ext" / "static" / "demos"
    sizes = {name: (demos / name).stat().st_size
             for name in ("explorers.js", "entropy.js", "kl.js", "js.js", "klfit.js")}
    assert sum(sizes.values()) < 40_000, sizes


def test_no_widget_explorers_left_in_chapters_1_to_3():
    """The kernel-only ipywidgets explorers were replaced by the live demos."""
    import nbformat

    for name, page in PAGES.items():
        path = bc.ROOT / "book" / Path(page).with_suffix(".ipynb").name
        cells = nbformat.read(path, as_version=4).cells
        code = "\n".join(c.source for c in cells if c.cell_type == "code")
        assert "ipywidgets" not in code and "interact(" not in code, path.name
        demos = [c.source for c in cells if c.cell_type == "markdown"
                 and c.source.startswith(f"```{{ganbook-demo}} {name}\n")]
        assert len(demos) == 1, f"{path.name}: expected one ganbook-demo {name} cell"


def test_js_divergence_finite_when_the_mixture_underflows():
    """Half of the smallest subnormal float rounds to 0: js_divergence (and js.js, which
    mirrors it) must not turn that into log 0 = -inf. Found on the explorer's grid for
    N(-4, 0.5^2) and N(4, 0.5^2), whose tails pass through the subnormal range."""
    tiny = np.nextafter(0.0, 1.0)   # 5e-324
    assert 0.5 * (tiny + 0.0) == 0.0
    p, q = np.array([0.5, 0.5 - tiny, tiny, 0.0]), np.array([0.0, 0.0, 0.0, 1.0])
    value = js_divergence(p, q)
    assert math.isfinite(value)
    np.testing.assert_allclose(value, math.log(2), rtol=1e-15)
    # and the same value, bit for bit, as the plain formula wherever the mixture is > 0
    rng = np.random.default_rng(0)
    for a, b in rng.dirichlet(np.full(6, 0.3), size=(200, 2)):
        m = 0.5 * (a + b)

        def plain(x):
            nz = x > 0
            return float(np.sum(x[nz] * (np.log(x[nz]) - np.log(m[nz]))))

        assert js_divergence(a, b) == 0.5 * plain(a) + 0.5 * plain(b)
