"""The built book as a reader gets it, in a real browser (headless Debian Chromium).

``make test`` builds the book into ``_build/html`` first and installs Chromium where it can.
Every page is served from 127.0.0.1 and opened in Chromium; any request to another host is
blocked and fails the test, so a book that passes reads fully with the network off. Per page:
no console errors, every equation typeset by MathJax, every image loaded, no traceback in a
cell output, saved widgets rendered, solutions hidden; a screenshot goes to
``_build/screenshots/``. Run alone with ``.venv/bin/python -m pytest tests/test_browser.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import browser_check as bc

IN_CI = bool(os.environ.get("CI"))


def _why_not_runnable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python package playwright is missing: .venv/bin/pip install -r requirements.txt"
    if bc.find_chromium() is None:
        return ("Chromium is not installed and could not be installed here (needs root and "
                "apt-get: `apt-get install chromium`; `make test` does it when it can); "
                "browser test skipped")
    return None


SKIP_REASON = _why_not_runnable()
pytestmark = pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")
TOC = bc.toc_files()
BUILT = (bc.HTML_DIR / "index.html").exists()
PAGES = bc.html_pages() if BUILT else [f"{name}.html" for name in TOC]


def _page_of(url: str) -> str:
    """``book/01_x.html`` for any URL of the local server (anchor and query dropped)."""
    return urlsplit(url).path.lstrip("/")


@pytest.fixture(scope="module")
def reports() -> dict[str, bc.PageReport]:
    if not BUILT:
        message = f"{bc.HTML_DIR} has no build: run `make book` (or `make test`) first"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return bc.check_book()


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_cleanly(reports, page):
    report = reports[page]
    assert not report.problems, f"{page}:\n  " + "\n  ".join(report.problems)
    assert report.screenshot is not None and report.screenshot.stat().st_size > 0


def test_no_request_leaves_localhost(reports):
    """The offline test: every script, style, font and image comes from the book itself."""
    foreign = {page: r.foreign_requests for page, r in reports.items() if r.foreign_requests}
    assert not foreign, f"pages that load from other hosts: {foreign}"


def test_pages_render_from_disk():
    """Opened straight from disk (file://, no server, no network), every page still renders."""
    if not BUILT:
        pytest.skip(f"{bc.HTML_DIR} has no build")
    reports = bc.check_book(screenshot_dir=None, pages=PAGES, from_disk=True)
    bad = {page: r.problems for page, r in reports.items() if r.problems}
    assert not bad, f"pages broken when opened from disk: {bad}"


def test_every_toc_document_is_built():
    missing = [name for name in TOC if f"{name}.html" not in PAGES]
    assert not missing, f"listed in _toc.yml but not built: {missing}"


def test_index_leads_to_the_root_page(reports):
    assert _page_of(reports["index.html"].final_url) == f"{TOC[0]}.html"


def test_navigation_reaches_every_chapter(reports):
    root = reports[f"{TOC[0]}.html"]
    sidebar = {_page_of(url) for url in root.nav_links}
    missing = [name for name in TOC[1:] if f"{name}.html" not in sidebar]
    assert not missing, f"chapters missing from the navigation sidebar: {missing}"
    # Following "Next" from the root page visits every document in _toc.yml order.
    visited, page = [], f"{TOC[0]}.html"
    while page is not None and page not in visited and len(visited) <= len(TOC):
        visited.append(page)
        link = reports[page].next_link if page in reports else None
        page = _page_of(link) if link else None
    assert visited == [f"{name}.html" for name in TOC]


def test_math_was_checked(reports):
    """Guard against a vacuous pass: the book has display equations and they were counted."""
    total = sum(r.stats.get("display_math", 0) for r in reports.values())
    typeset = sum(r.stats.get("display_typeset", 0) for r in reports.values())
    assert total > 0 and typeset == total


def test_checker_catches_broken_pages(tmp_path):
    """The checker itself: a page with every fault we look for must be reported on each."""
    (tmp_path / "bad.html").write_text("""<!DOCTYPE html><html><head>
<script src="https://cdn.example.org/lib.js"></script></head><body>
<div class="math notranslate nohighlight">\\[x^2\\]</div>
<img src="missing.png">
<div class="cell_output"><pre>Traceback (most recent call last):\n  ValueError: boom</pre></div>
<script>console.error("broken");</script>
</body></html>""")
    report = bc.check_book(tmp_path, None, pages=["bad.html"])["bad.html"]
    text = "\n".join(report.problems)
    assert report.foreign_requests == ["https://cdn.example.org/lib.js"]
    for expected in ("console errors", "requests to other hosts", "MathJax did not start",
                     "0 of 1 display equations", "images not loaded", "traceback"):
        assert expected in text, f"{expected!r} not reported in:\n{text}"
