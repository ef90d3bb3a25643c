"""Open the built HTML book in headless Chromium and report what a reader would see wrong.

Used by ``tests/test_browser.py``; also runnable by hand::

    .venv/bin/python tests/browser_check.py [_build/html]

The book is served from ``127.0.0.1`` by a throwaway HTTP server; every request to any
other host is recorded and blocked, so a page that passes renders with the network off.
Chromium is Debian's (``/usr/bin/chromium``) driven by Playwright for Python; Playwright's
own browser download is never used.

The Korean edition is built into ``ko/`` of the same folder and checked the same way; on every
page with Hangul (all Korean pages, and English pages through their language switch), Chrome's
DevTools protocol tells which fonts drew it: the Hangul must come from the book's own web font,
so it renders on machines without a Hangul font (this one has none).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
# Overridable so that the check can run on a build made elsewhere (``--path-output``).
HTML_DIR = Path(os.environ.get("GANBOOK_HTML", ROOT / "_build" / "html"))
TOC_FILE = Path(os.environ.get("GANBOOK_TOC", ROOT / "_toc.yml"))
SCREENSHOT_DIR = Path(os.environ.get("GANBOOK_SCREENSHOTS", HTML_DIR.parent / "screenshots"))

# Flags for a closed network: without the background-networking ones Chromium keeps trying
# to reach Google's hosts at start-up.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
ALLOWED_HOSTS = {"127.0.0.1"}
# Folders of the build that hold assets, not pages.
NOT_PAGES = {"_static", "_sources", "_images", "_sphinx_design_static", "_panels_static"}
PAGE_TIMEOUT_MS = 30_000
# Translated editions, each built into a folder of the same name (see src/booktools/i18n.py).
EDITIONS = ("ko",)
# The web font the book serves for Hangul (_ext/static/ganbook.css selects it).
HANGUL_FONT = "Nanum Gothic"
HANGUL_PROBE = "한글글꼴확인"


def find_chromium() -> str | None:
    """Path of a Chromium executable (``$CHROMIUM`` first), or None."""
    candidates = [os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"]
    for name in candidates:
        if name and (path := shutil.which(name)):
            return path
    return None


def toc_files(toc: Path = TOC_FILE) -> list[str]:
    """Every document of ``_toc.yml`` in reading order (root first), without extension."""
    from booktools.i18n import toc_pages

    if toc.name != "_toc.yml":
        raise ValueError(f"expected a _toc.yml, got {toc}")
    return toc_pages(toc.parent)


def html_pages(html_dir: Path = HTML_DIR) -> list[str]:
    """Every HTML page of the build, as paths relative to ``html_dir``."""
    pages = []
    for path in sorted(html_dir.rglob("*.html")):
        rel = path.relative_to(html_dir)
        if not NOT_PAGES.intersection(rel.parts):
            pages.append(rel.as_posix())
    return pages


def edition_of(page_path: str) -> str:
    """``ko`` for ``ko/book/x.html``, ``en`` for the English edition's pages."""
    first = page_path.split("/", 1)[0]
    return first if first in EDITIONS else "en"


def redirect_target(page_path: str, html_dir: Path | None = None) -> str | None:
    """Where a ``<meta http-equiv="Refresh">`` page sends the reader, or None."""
    text = ((html_dir or HTML_DIR) / page_path).read_text(errors="replace")[:2000]
    match = re.search(r'http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"', text, re.IGNORECASE)
    return match.group(1) if match else None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


class BookServer:
    """Serve a folder on 127.0.0.1 at a free port, in a daemon thread."""

    def __init__(self, directory: Path):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "BookServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class PageReport:
    page: str
    final_url: str = ""
    problems: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    nav_links: list[str] = field(default_factory=list)
    next_link: str | None = None
    language_links: list[dict] = field(default_factory=list)
    screenshot: Path | None = None


# Runs in the page once it has loaded: wait for MathJax and the widget manager, then count.
_INSPECT_JS = r"""
async (timeoutMs) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await Promise.race([MathJax.startup.promise, sleep(timeoutMs)]);
  }
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  const rendered = () => Array.from(views).filter((s) => {
    const area = s.previousElementSibling;
    return area && area.classList.contains('widget-subarea') && area.childElementCount > 0;
  }).length;
  for (let i = 0; i < 100 && views.length && rendered() < views.length; i++) await sleep(100);
  const math = (sel) => Array.from(document.querySelectorAll(sel));
  const display = math('div.math');
  const inline = math('span.math');
  const imgs = Array.from(document.querySelectorAll('img'));
  const outputs = Array.from(document.querySelectorAll('.cell_output'));
  const tb = outputs.filter((o) =>
    o.querySelector('.traceback, .output.error') ||
    /Traceback \(most recent call last\)/.test(o.textContent)).length;
  const solutions = Array.from(document.querySelectorAll('div.solution'));
  const shownSolutions = solutions.filter((s) => {
    const body = s.querySelector('#solution-content, section');
    return body && body.getBoundingClientRect().height > 0;   // not collapsed
  }).length;
  return {
    mathjax: !!(window.MathJax && MathJax.startup),
    display_math: display.length,
    display_typeset: display.filter((d) => d.querySelector('mjx-container[display="true"]')).length,
    inline_math: inline.length,
    inline_typeset: inline.filter((d) => d.querySelector('mjx-container')).length,
    math_errors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
    raw_tex_left: display.filter((d) => !d.querySelector('mjx-container') && /\\\[|\$\$/.test(d.textContent)).length,
    images: imgs.length,
    broken_images: imgs.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.getAttribute('src')),
    outputs: outputs.length,
    traceback_outputs: tb,
    widget_views: views.length,
    widgets_rendered: rendered(),
    solutions: solutions.length,
    solutions_shown: shownSolutions,
    nav_links: Array.from(document.querySelectorAll('nav.bd-docs-nav a.reference.internal'))
                    .map((a) => a.href),
    next_link: (document.querySelector('a.right-next') || {}).href || null,
    language_links: Array.from(document.querySelectorAll('a.ganbook-language-switch'))
                         .map((a) => ({href: a.href, lang: a.getAttribute('hreflang')})),
    lang: document.documentElement.lang,
    theme_english: themeEnglish(),
  };
}
"""

# The theme's own words (header, sidebars, footer, search field, tooltips, the copy button, the
# titles of permalinks and solutions): strings with an English word and no Hangul, apart from
# names that stay in English. Checked on translated pages only.
_THEME_JS = r"""
function themeEnglish() {
  const names = /^(ganbook|GAN|GANs|MNIST|PDF|pdf|ipynb|Ctrl|English|Python|Jupyter|Sphinx|KL|JS|JSD|MLP)$/;
  const own = (el) => {  // an element in another language (the language switch) is fine
    const tagged = el.closest('[lang]');
    return !tagged || tagged === document.documentElement;
  };
  const chrome = 'header, .bd-header-article, .bd-sidebar-primary, .bd-sidebar-secondary, ' +
    'footer, .prev-next-area, .search-button-field, .bd-search, #pst-skip-link, ' +
    '.skip-link, #pst-back-to-top, .headerlink, .copybtn, .theme-switch-button, ' +
    'div.solution > .admonition-title, .bd-footer-content, .footer-article-items';
  const found = new Set();
  const englishIn = (text) => {
    if (!text || /[\uac00-\ud7a3]/.test(text)) return false;
    const words = (text.match(/[A-Za-z]{3,}/g) || []).filter((w) => !names.test(w));
    return words.length > 0;
  };
  for (const el of document.querySelectorAll(chrome)) {
    for (const attr of ['title', 'aria-label', 'placeholder', 'data-tooltip', 'alt',
                        'data-bs-title']) {
      const v = el.getAttribute(attr);
      if (own(el) && englishIn(v)) found.add(`${attr}="${v}"`);
    }
    for (const inner of el.querySelectorAll('[title], [aria-label], [placeholder], [data-tooltip]')) {
      if (!own(inner) || inner.closest('.bd-article .reference, .cell_output, .math')) continue;
      for (const attr of ['title', 'aria-label', 'placeholder', 'data-tooltip']) {
        const v = inner.getAttribute(attr);
        if (englishIn(v)) found.add(`${attr}="${v}"`);
      }
    }
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!own(n.parentElement) ||
          n.parentElement.closest('script, style, pre, code, .math, mjx-container')) continue;
      const text = n.textContent.trim();
      if (englishIn(text)) found.add(text);
    }
  }
  return Array.from(found).sort();
}
"""

# Marks the elements whose Hangul the font check examines: the first element of the article
# with Hangul in its own text, the language switch's label, and (on Korean pages) a probe of
# pure Hangul appended to the article. Waits until the fonts those need have loaded.
_MARK_HANGUL_JS = r"""
async ([probeText, family, probe]) => {
  const hangul = /[ᄀ-ᇿ㄰-㆏가-힣]/g;
  const own = (el) => Array.from(el.childNodes).filter((n) => n.nodeType === 3)
                           .map((n) => n.textContent).join('');
  const marked = [];
  const mark = (el, name) => {
    if (!el || el.hasAttribute('data-ganbook-hangul')) return;
    const count = (own(el).match(hangul) || []).length;
    if (!count) return;
    el.setAttribute('data-ganbook-hangul', name);
    marked.push({name, count, text: own(el).trim().slice(0, 60)});
  };
  const article = document.querySelector('article.bd-article') || document.querySelector('main');
  const walker = article && document.createTreeWalker(article, NodeFilter.SHOW_ELEMENT);
  let first = null;
  while (walker && !first && walker.nextNode()) {
    // Visible text only (a hidden tooltip or theme button draws no glyph).
    if (hangul.test(own(walker.currentNode)) && walker.currentNode.getClientRects().length) {
      first = walker.currentNode;
    }
    hangul.lastIndex = 0;
  }
  mark(first, 'article');
  mark(document.querySelector('.ganbook-language-switch__label'), 'switch');
  if (probe && article) {
    const span = document.createElement('span');
    span.textContent = probeText;
    article.appendChild(span);
    mark(span, 'probe');
  }
  const texts = marked.map((m) => m.text).join('') + probeText;
  await document.fonts.load(`16px "${family}"`, texts).catch(() => null);
  await document.fonts.ready;
  // Without DevTools (pages from disk): the CSS must select the font first for each marked
  // element, and some of its faces must have loaded.
  const unquote = (s) => s.trim().replace(/^["']|["']$/g, '');
  const notFirst = Array.from(document.querySelectorAll('[data-ganbook-hangul]')).filter((el) =>
    unquote(getComputedStyle(el).fontFamily.split(',')[0]) !== family)
    .map((el) => el.getAttribute('data-ganbook-hangul'));
  const loaded = Array.from(document.fonts).filter((f) =>
    unquote(f.family) === family && f.status === 'loaded').length;
  return {marked, not_first: notFirst, loaded_faces: loaded};
}
"""


def _same_family(a: str, b: str) -> bool:
    """Chrome names a web font by its internal name: "NanumGothic" for "Nanum Gothic"."""
    return a.replace(" ", "").lower() == b.replace(" ", "").lower()


def hangul_font_problems(tab, context, korean: bool, use_cdp: bool = True
                         ) -> tuple[list[str], int]:
    """What is wrong with the fonts that draw the page's Hangul; (problems, elements checked).

    For each marked element Chrome reports the platform fonts used for its own text and how
    many glyphs each drew: the book's web font must have drawn at least as many glyphs as the
    element has Hangul characters (on this machine nothing else has Hangul glyphs, so a
    missing web font would show as tofu boxes drawn by another font). Without ``use_cdp``
    (pages opened from disk, where DevTools' CSS agent cannot read a ``file:`` page and logs a
    console error) the page itself tells that its stylesheet puts the font first for those
    elements and that faces of the font loaded.
    """
    result = tab.evaluate(_MARK_HANGUL_JS, [HANGUL_PROBE, HANGUL_FONT, korean])
    problems = []
    if result["not_first"]:
        problems.append(f"the font stack does not start with {HANGUL_FONT!r} for the Hangul of "
                        f"the {', '.join(result['not_first'])}")
    if result["marked"] and not result["loaded_faces"]:
        problems.append(f"no face of the web font {HANGUL_FONT!r} loaded")
    if not result["marked"]:
        return problems + (["Korean page without Hangul text"] if korean else []), 0
    if not use_cdp:
        return problems, len(result["marked"])
    cdp = context.new_cdp_session(tab)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        for item in result["marked"]:
            selector = f'[data-ganbook-hangul="{item["name"]}"]'
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
            if not node:
                problems.append(f"the {item['name']} ({item['text']!r}) left the page before "
                                "its fonts could be checked")
                continue
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            drawn = sum(f["glyphCount"] for f in fonts if f["isCustomFont"] and _same_family(
                f["familyName"], HANGUL_FONT))
            if drawn < item["count"]:
                used = [(f["familyName"], f["isCustomFont"], f["glyphCount"]) for f in fonts]
                problems.append(f"Hangul of the {item['name']} ({item['text']!r}) not drawn by "
                                f"the web font {HANGUL_FONT!r}: fonts used {used}")
    finally:
        cdp.detach()
    return problems, len(result["marked"])


def check_page(context, base_url: str, page_path: str, screenshot_dir: Path | None,
               html_dir: Path = HTML_DIR, full_page: bool = False) -> PageReport:
    """Load one page in a fresh tab of ``context`` and collect everything wrong with it."""
    report = PageReport(page_path)
    console_errors: list[str] = []
    failed: list[str] = []
    tab = context.new_page()
    tab.set_default_timeout(PAGE_TIMEOUT_MS)
    tab.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: console_errors.append(f"uncaught: {e}"))

    def route(r):
        url = r.request.url
        parts = urlsplit(url)
        if parts.hostname in ALLOWED_HOSTS or parts.scheme in ("file", "data", "blob"):
            r.continue_()
        else:
            report.foreign_requests.append(url)
            r.abort("blockedbyclient")

    tab.route("**/*", route)
    tab.on("response", lambda resp: failed.append(f"{resp.status} {resp.url}") if resp.status >= 400 else None)
    tab.on("requestfailed", lambda req: None if urlsplit(req.url).hostname not in ALLOWED_HOSTS
           else failed.append(f"failed {req.url}: {req.failure}"))
    try:
        url = urljoin(base_url, page_path)
        target = redirect_target(page_path, html_dir)
        tab.goto(url, wait_until="load")
        if target:
            # A redirect page (index.html): check the page it lands on.
            tab.wait_for_url(urljoin(url, target), wait_until="load")
        tab.add_script_tag(content=_THEME_JS)
        stats = tab.evaluate(_INSPECT_JS, PAGE_TIMEOUT_MS // 2)
        report.final_url = tab.url
    except Exception as error:  # noqa: BLE001 - reported as a problem of the page
        report.problems.append(f"page did not load: {error}")
        tab.close()
        return report
    report.nav_links = stats.pop("nav_links")
    report.next_link = stats.pop("next_link")
    report.language_links = stats.pop("language_links")
    report.stats = stats
    p = report.problems
    if console_errors:
        p.append(f"console errors: {console_errors}")
    if failed:
        p.append(f"failed requests: {failed}")
    if report.foreign_requests:
        p.append(f"requests to other hosts (blocked): {report.foreign_requests}")
    if stats["display_math"] or stats["inline_math"]:
        if not stats["mathjax"]:
            p.append("page has math but MathJax did not start")
        if stats["display_typeset"] != stats["display_math"]:
            p.append(f"only {stats['display_typeset']} of {stats['display_math']} display equations typeset")
        if stats["inline_typeset"] != stats["inline_math"]:
            p.append(f"only {stats['inline_typeset']} of {stats['inline_math']} inline formulas typeset")
    if stats["math_errors"]:
        p.append(f"{stats['math_errors']} MathJax errors (bad TeX)")
    if stats["broken_images"]:
        p.append(f"images not loaded: {stats['broken_images']}")
    if stats["traceback_outputs"]:
        p.append(f"{stats['traceback_outputs']} cell outputs show a traceback or error")
    if stats["widgets_rendered"] != stats["widget_views"]:
        p.append(f"only {stats['widgets_rendered']} of {stats['widget_views']} saved widgets rendered")
    theme_english = stats.pop("theme_english", [])
    if stats["lang"] and not stats["lang"].startswith("en") and theme_english:
        p.append(f"theme strings in English on a {stats['lang']} page: {theme_english}")
    if stats["solutions_shown"]:
        p.append(f"{stats['solutions_shown']} of {stats['solutions']} solutions are not hidden")
    if screenshot_dir is not None:
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", page_path.removesuffix(".html")) + ".png"
        report.screenshot = screenshot_dir / name
        tab.screenshot(path=str(report.screenshot), full_page=full_page)
    # After the screenshot: the check appends a probe to the article.
    korean = stats["lang"].startswith("ko")
    font_problems, checked = hangul_font_problems(tab, context, korean,
                                                  use_cdp=not base_url.startswith("file:"))
    p.extend(font_problems)
    stats["hangul_checked"] = checked
    if console_errors and not any(problem.startswith("console errors") for problem in p):
        p.append(f"console errors (while loading fonts): {console_errors}")
    tab.close()
    return report


def launch(playwright, chromium: str):
    return playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)


def check_book(html_dir: Path = HTML_DIR, screenshot_dir: Path | None = SCREENSHOT_DIR,
               pages: list[str] | None = None, from_disk: bool = False,
               full_page: bool = False) -> dict[str, PageReport]:
    """Check every page of the build (or ``pages``); returns one report per page.

    Screenshots show the first screen of each page, or with ``full_page`` the whole page
    (several times slower on long chapters; the command line takes them whole).

    Pages are served from 127.0.0.1, or with ``from_disk`` opened as ``file://`` URLs, the
    way a reader opens the book offline by double-clicking ``_build/html/index.html``.
    """
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("Chromium not found (Debian: apt-get install chromium)")
    pages = html_pages(html_dir) if pages is None else pages
    with BookServer(html_dir) as server, sync_playwright() as p:
        base_url = html_dir.resolve().as_uri() + "/" if from_disk else server.url
        browser = launch(p, chromium)
        reports = {}
        try:
            for page in pages:
                # A fresh context per page: empty storage, as on a reader's first visit.
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                try:
                    reports[page] = check_page(context, base_url, page, screenshot_dir, html_dir,
                                               full_page)
                finally:
                    context.close()
        finally:
            browser.close()
        return reports


def main(argv: list[str] | None = None) -> int:
    import sys
    import time

    args = sys.argv[1:] if argv is None else argv
    html_dir = Path(args[0]) if args else HTML_DIR
    start = time.perf_counter()
    reports = check_book(html_dir, html_dir.parent / "screenshots", full_page=True)
    bad = 0
    for page, report in reports.items():
        status = "ok" if not report.problems else "FAIL"
        bad += bool(report.problems)
        print(f"{status:4} {page}  {report.stats}")
        for problem in report.problems:
            print(f"     - {problem}")
    print(f"{len(reports)} pages, {bad} with problems, {time.perf_counter() - start:.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
