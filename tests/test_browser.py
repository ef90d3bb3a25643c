"""The built book as a reader gets it, in a real browser (headless Debian Chromium).

``make test`` builds the book into ``_build/html`` first and installs Chromium where it can.
Every page is served from 127.0.0.1 and opened in Chromium; any request to another host is
blocked and fails the test, so a book that passes reads fully with the network off. Per page:
no console errors, every equation typeset by MathJax, every image loaded, no traceback in a
cell output, saved widgets rendered, solutions hidden; a screenshot goes to
``_build/screenshots/``. Run alone with ``.venv/bin/python -m pytest tests/test_browser.py``.

The Korean edition, built into ``_build/html/ko/``, is checked page by page the same way, and
also: its Hangul is drawn by the book's own web font (this machine has no Hangul font, so
anything else would show as broken glyphs), every page declares its language, and the language
switch of every page opens the same page in the other edition, whose switch leads back.
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
# Each edition's pages live under its prefix: "" for English, "ko/" for Korean.
PREFIXES = [""] + [f"{edition}/" for edition in bc.EDITIONS]
PAGES = bc.html_pages() if BUILT else [f"{p}{name}.html" for p in PREFIXES for name in TOC]


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


# Opened from disk, what changes is the same for every page (file:// URLs, no server), so
# each edition is checked there on a page of each kind: the redirecting index, a text page,
# and a chapter with math, figures, an animation and saved widgets. Every page is checked
# over HTTP above.
FROM_DISK = [f"{prefix}{name}" for prefix in PREFIXES
             for name in ("index.html", "book/further_reading.html", "book/05_gan_1d.html")]


def test_pages_render_from_disk():
    """Opened straight from disk (file://, no server, no network), the book still renders."""
    if not BUILT:
        pytest.skip(f"{bc.HTML_DIR} has no build")
    assert set(FROM_DISK) <= set(PAGES), sorted(set(FROM_DISK) - set(PAGES))
    reports = bc.check_book(screenshot_dir=None, pages=FROM_DISK, from_disk=True)
    bad = {page: r.problems for page, r in reports.items() if r.problems}
    assert not bad, f"pages broken when opened from disk: {bad}"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_toc_document_is_built(prefix):
    missing = [name for name in TOC if f"{prefix}{name}.html" not in PAGES]
    edition = prefix or "the English book"
    assert not missing, f"listed in _toc.yml but not built in {edition}: {missing}"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_index_leads_to_the_root_page(reports, prefix):
    assert _page_of(reports[f"{prefix}index.html"].final_url) == f"{prefix}{TOC[0]}.html"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_navigation_reaches_every_chapter(reports, prefix):
    root = reports[f"{prefix}{TOC[0]}.html"]
    sidebar = {_page_of(url) for url in root.nav_links}
    missing = [name for name in TOC[1:] if f"{prefix}{name}.html" not in sidebar]
    assert not missing, f"chapters missing from the navigation sidebar: {missing}"
    # Following "Next" from the root page visits every document in _toc.yml order.
    visited, page = [], f"{prefix}{TOC[0]}.html"
    while page is not None and page not in visited and len(visited) <= len(TOC):
        visited.append(page)
        link = reports[page].next_link if page in reports else None
        page = _page_of(link) if link else None
    assert visited == [f"{prefix}{name}.html" for name in TOC]


def test_pages_declare_their_language(reports):
    wrong = {page: r.stats.get("lang") for page, r in reports.items()
             if not r.problems and not str(r.stats.get("lang", "")).startswith(bc.edition_of(page))}
    assert not wrong, f"pages whose <html lang> is not their edition's: {wrong}"


def test_language_switch_opens_the_same_page_in_the_other_edition(reports):
    """Every page links to its counterpart, and the counterpart's switch links back."""
    bad = []
    for page, report in reports.items():
        if bc.redirect_target(page):
            continue  # index.html only redirects
        links = report.language_links
        expected = {"en": "ko"}.get(bc.edition_of(page), "en")
        if [link["lang"] for link in links] != [expected]:
            bad.append(f"{page}: switch links {links}, expected one to {expected!r}")
            continue
        target = _page_of(links[0]["href"])
        counterpart = page.removeprefix("ko/") if expected == "en" else f"ko/{page}"
        links_back = reports.get(target, bc.PageReport("")).language_links
        back = [_page_of(link["href"]) for link in links_back]
        if target != counterpart or target not in reports or back != [page]:
            bad.append(f"{page} -> {target} (expected {counterpart}), which links back to {back}")
    assert not bad, "language switch broken:\n  " + "\n  ".join(bad)


def test_hangul_font_was_checked(reports):
    """Guard against a vacuous pass: every Korean page, and English pages' switch, were checked."""
    korean = [page for page in reports if bc.edition_of(page) == "ko"]
    unchecked = [page for page in korean if not reports[page].stats.get("hangul_checked")]
    assert korean and not unchecked, f"Korean pages whose Hangul font was not checked: {unchecked}"
    english = [p for p in reports if bc.edition_of(p) == "en" and not bc.redirect_target(p)]
    assert all(reports[p].stats.get("hangul_checked") for p in english)


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


def test_checker_catches_hangul_without_the_web_font(tmp_path):
    """A Korean page whose stylesheet does not select the book's font fails the font check."""
    (tmp_path / "ko.html").write_text('<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8">'
                                      '</head><body><article class="bd-article"><h1>한국어 제목</h1>'
                                      '</article></body></html>')
    report = bc.check_book(tmp_path, None, pages=["ko.html"])["ko.html"]
    text = "\n".join(report.problems)
    assert "not drawn by the web font" in text and "does not start with" in text, text
    assert "no face of the web font" in text, text


def _search(tab, base_url: str, query: str) -> list[str]:
    """The pages the Korean edition's search page lists for ``query``."""
    from urllib.parse import quote

    tab.goto(f"{base_url}ko/search.html?q={quote(query)}", wait_until="load")
    tab.wait_for_function(
        "() => { const s = document.querySelector('#search-results p.search-summary');"
        " return s && s.textContent.trim().length > 0; }", timeout=bc.PAGE_TIMEOUT_MS)
    hrefs = tab.eval_on_selector_all("#search-results ul.search li a",
                                     "els => els.map((a) => a.getAttribute('href'))")
    return sorted({urlsplit(h).path.rsplit("/", 1)[-1] for h in hrefs if h})


def test_korean_search_finds_words_with_or_without_particles():
    """생성자 finds the pages that say 생성자는 or 생성자를; 기울기 those with 기울기를.

    Served from 127.0.0.1 and opened from disk (``file://``), as a reader offline would.
    """
    if not (bc.HTML_DIR / "ko" / "search.html").exists():
        pytest.skip("the Korean edition is not built")
    from playwright.sync_api import sync_playwright

    with bc.BookServer(bc.HTML_DIR) as server, sync_playwright() as p:
        browser = bc.launch(p, bc.find_chromium())
        try:
            tab = browser.new_page()
            for base in (server.url, bc.HTML_DIR.resolve().as_uri() + "/"):
                for word, inflected in (("생성자", "생성자를"), ("기울기", "기울기를")):
                    bare, with_particle = _search(tab, base, word), _search(tab, base, inflected)
                    assert "04_gan_objective.html" in bare, (base, word, bare)
                    assert bare == with_particle, (base, word, bare, with_particle)
        finally:
            browser.close()
