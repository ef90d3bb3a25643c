"""The scaffolding shared by the browser tests of the live demos (``tests/test_demo_*.py``).

Each demo test opens a page of the built book (``browser_check.HTML_DIR``) in headless Debian
Chromium, in both editions and over both transports (served from 127.0.0.1 and straight from
disk), and checks that the demo mounts with no console error and no request to another host.
What is common to all of them lives here:

- ``IN_CI``, ``SKIP_REASON`` (why Playwright and Chromium cannot run here, or None),
  ``needs_browser`` (a ``skipif`` mark for ``pytestmark``), ``EDITIONS`` (edition -> path
  prefix: ``{"en": "", "ko": "ko/"}``) and ``TRANSPORTS`` (``("http", "file")``);
- ``launched(*pages)``: a context manager for a module-scoped fixture, yielding a Chromium
  browser with ``browser.server_url`` (the book served on 127.0.0.1); it skips when Chromium
  cannot run, and when a page is not built (failing instead under CI);
- ``open_page(browser, transport, path, ready=..., arg=..., timeout_ms=...)``: the page in a
  fresh context, requests to other hosts recorded and blocked, console errors and uncaught
  exceptions recorded, after waiting for the JS expression ``ready``; returns an ``Opened``
  (``tab``, ``errors``, ``foreign``, ``close()``, ``assert_clean(where)``);
- ``screenshot(locator, name)``: ``name`` under ``browser_check.SCREENSHOT_DIR``, checked
  non-empty.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

import browser_check as bc

IN_CI = bool(os.environ.get("CI"))  # as tests/test_browser.py decides it
EDITIONS = {"en": "", **{edition: f"{edition}/" for edition in bc.EDITIONS}}
TRANSPORTS = ("http", "file")


def why_not_runnable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python package playwright is missing: .venv/bin/pip install -r requirements.txt"
    if bc.find_chromium() is None:
        return "Chromium is not installed (Debian: apt-get install chromium); demo test skipped"
    return None


SKIP_REASON = why_not_runnable()
needs_browser = pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")


def _skip_or_fail(message: str) -> None:
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def launched(*pages: str) -> Iterator[Any]:
    """Chromium with ``.server_url``, once every page (paths under HTML_DIR) is built."""
    if SKIP_REASON is not None:
        pytest.skip(SKIP_REASON)  # as tests/test_browser.py: no Chromium, no browser test
    missing = [page for page in pages if not (bc.HTML_DIR / page).exists()]
    if missing:
        _skip_or_fail(f"{bc.HTML_DIR} lacks {', '.join(missing)}: build both editions of "
                      "the book (README, `make book`) first")
    from playwright.sync_api import sync_playwright

    with bc.BookServer(bc.HTML_DIR) as server, sync_playwright() as p:
        browser = bc.launch(p, bc.find_chromium())
        browser.server_url = server.url
        try:
            yield browser
        finally:
            browser.close()


def base_url(browser, transport: str) -> str:
    """Where the book's root is: the local server ("http") or the folder on disk ("file")."""
    if transport == "http":
        return browser.server_url
    if transport == "file":
        return bc.HTML_DIR.resolve().as_uri() + "/"
    raise ValueError(f"transport must be one of {TRANSPORTS}, not {transport!r}")


@dataclass
class Opened:
    """A page open in its own browser context, with what it did that it should not."""

    tab: Any
    errors: list[str] = field(default_factory=list)   # console errors, uncaught exceptions
    foreign: list[str] = field(default_factory=list)  # requests to other hosts (blocked)

    def close(self) -> None:
        self.tab.context.close()

    def assert_clean(self, where: str = "") -> None:
        where = f" on {where}" if where else ""
        assert not self.errors, f"console errors{where}: {self.errors}"
        assert not self.foreign, f"requests to other hosts{where}: {self.foreign}"


def open_page(browser, transport: str, path: str, ready: str | None = None, arg: Any = None,
              timeout_ms: int = bc.PAGE_TIMEOUT_MS) -> Opened:
    """``path`` (under the book's root, e.g. ``ko/book/x.html``) in a fresh 1280x900 context.

    Waits for the page's load event, then until the JS function ``ready`` (called with
    ``arg``) returns a truthy value. The context is closed again if opening fails;
    otherwise the caller closes it (``Opened.close``)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = Opened(context.new_page())
    tab = opened.tab
    tab.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: opened.errors.append(f"uncaught: {e}"))

    def route(r):
        parts = urlsplit(r.request.url)
        if parts.hostname in bc.ALLOWED_HOSTS or parts.scheme in ("file", "data", "blob"):
            r.continue_()
        else:
            opened.foreign.append(r.request.url)
            r.abort("blockedbyclient")

    tab.route("**/*", route)
    try:
        tab.goto(base_url(browser, transport) + path, wait_until="load")
        if ready is not None:
            tab.wait_for_function(ready, arg=arg, timeout=timeout_ms)
    except BaseException:
        context.close()
        raise
    return opened


def screenshot(locator, name: str) -> Path:
    """The element's screenshot as ``SCREENSHOT_DIR/name``; returns its path."""
    out = bc.SCREENSHOT_DIR / name
    out.parent.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(out))
    assert out.stat().st_size > 0, out
    return out
