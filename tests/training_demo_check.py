"""Open a chapter with a live training demo (gan1d, ring) in headless Chromium and hand the
tests a tab whose demo has mounted. Shared by tests/test_demo_gan1d.py and test_demo_ring.py.

Each page is opened in both editions (English, and Korean under ``ko/``), served from
127.0.0.1 and straight from disk (``file://``). Console errors and requests to any other host
are recorded; other hosts are blocked, as in tests/browser_check.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import pytest

import browser_check as bc

IN_CI = bool(os.environ.get("CI"))  # as tests/test_browser.py
EDITIONS = ("",) + tuple(f"{edition}/" for edition in bc.EDITIONS)
MODES = ("http", "file")
# a test run on every edition, served and from disk: @tdc.everywhere
everywhere = pytest.mark.parametrize(("edition", "mode"),
                                     [(e, m) for e in EDITIONS for m in MODES])


def why_not_runnable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python package playwright is missing: .venv/bin/pip install -r requirements.txt"
    if bc.find_chromium() is None:
        return "Chromium is not installed (Debian: apt-get install chromium)"
    return None


def require_build(page: str) -> None:
    """Skip (fail under CI) when the built book, or this page of it, is missing."""
    if not (bc.HTML_DIR / page).exists():
        message = (f"{bc.HTML_DIR / page} is not built: build the book (`make book`) "
                   "before the demo tests")
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class DemoTab:
    tab: object
    url: str
    console_errors: list = field(default_factory=list)
    foreign_requests: list = field(default_factory=list)

    def js(self, expression: str, arg=None):
        return self.tab.evaluate(expression, arg)


class DemoBrowser:
    """One Chromium and one local server for a test module; ``open(page, edition, mode)``."""

    def __init__(self):
        from playwright.sync_api import sync_playwright

        self._server = bc.BookServer(bc.HTML_DIR).__enter__()
        self._playwright = sync_playwright().start()
        self.browser = bc.launch(self._playwright, bc.find_chromium())
        self._contexts = []

    def open(self, page: str, demo: str, edition: str, mode: str) -> DemoTab:
        base = bc.HTML_DIR.resolve().as_uri() + "/" if mode == "file" else self._server.url
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self._contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(bc.PAGE_TIMEOUT_MS)
        result = DemoTab(tab, urljoin(base, edition + page))
        tab.on("console", lambda m: result.console_errors.append(m.text)
               if m.type == "error" else None)
        tab.on("pageerror", lambda e: result.console_errors.append(f"uncaught: {e}"))

        def route(r):
            parts = urlsplit(r.request.url)
            if parts.hostname in bc.ALLOWED_HOSTS or parts.scheme in ("file", "data", "blob"):
                r.continue_()
            else:
                result.foreign_requests.append(r.request.url)
                r.abort("blockedbyclient")

        tab.route("**/*", route)
        tab.goto(result.url, wait_until="load")
        tab.wait_for_function(
            "name => window.ganbook && window.ganbook[name] && document.querySelector("
            "'.ganbook-demo[data-demo=\"' + name + '\"]').dataset.ready === '1'", arg=demo)
        return result

    def screenshot(self, tab: DemoTab, demo: str, name: str) -> None:
        bc.SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        root = tab.tab.locator(f'.ganbook-demo[data-demo="{demo}"]')
        root.scroll_into_view_if_needed()
        root.screenshot(path=str(bc.SCREENSHOT_DIR / name))

    def close(self) -> None:
        for context in self._contexts:
            context.close()
        self.browser.close()
        self._playwright.stop()
        self._server.__exit__(None, None, None)


def page_fixtures(page: str, demo: str):
    """The module-scoped fixtures of a demo's test module, used as
    ``browser, tabs = tdc.page_fixtures(PAGE, DEMO)``: ``browser``, one Chromium and server
    (skipped, or failed under CI, where a built edition of ``page`` is missing), and
    ``tabs``, (edition, mode) -> a :class:`DemoTab` of ``page`` with ``demo`` mounted."""

    @pytest.fixture(scope="module")
    def browser():
        for edition in EDITIONS:
            require_build(edition + page)
        b = DemoBrowser()
        yield b
        b.close()

    @pytest.fixture(scope="module")
    def tabs(browser):
        for edition in EDITIONS:
            html = (bc.HTML_DIR / edition / page).read_text(encoding="utf-8")
            if f'data-demo="{demo}"' not in html:
                pytest.fail(f"{edition}{page} does not mount the {demo} demo: the chapter "
                            f"needs a markdown cell holding only ```{{ganbook-demo}} {demo}```")
        return {(edition, mode): browser.open(page, demo, edition, mode)
                for edition in EDITIONS for mode in MODES}

    return browser, tabs


def mounted_state(tab: DemoTab, demo: str, label: str) -> dict:
    """The state of a freshly mounted demo, after checking that its text shows ``label`` (in
    the page's language) and that the page logged no error and asked no other host."""
    state = tab.js(f"window.ganbook.{demo}.state()")
    text = tab.js(f"document.querySelector('[data-demo={demo}]').innerText")
    assert label in text, text[:300]
    assert not tab.console_errors, tab.console_errors
    assert not tab.foreign_requests, tab.foreign_requests
    return state
