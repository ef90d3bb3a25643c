"""Small Sphinx extension that keeps the HTML book clean and working offline.

* ipywidgets' HTML manager loads its icon fonts from a folder next to its own AMD module; a
  ``require`` configuration points that folder at ``_static/html-manager`` (the vendored copy)
  instead of ``<page folder>/@jupyter-widgets/...``, which does not exist.
* ipywidgets typesets math with the MathJax 2 API (``MathJax.Hub.Queue``); the book uses
  MathJax 3, so a two-line shim routes those calls to ``MathJax.typesetPromise``.
* Sphinx 7.4 includes an inline script added after the builder started (sphinx-thebe's
  configuration) twice, which makes the browser report "Identifier 'THEBE_JS_URL' has already
  been declared" on every page; duplicates are dropped when each page is written.
* Every page links to the same page in the book's other edition(s) (the Korean edition is
  built into ``ko/`` next to the English one, see ``src/booktools/i18n.py``), with a relative
  link so that it works from ``file://`` too. ``ganbook_editions`` lists the other editions,
  each with the path of its root relative to this edition's root.
* Hangul renders on readers' machines without a Hangul font: the book serves Nanum Gothic
  (vendored into ``_vendor/fonts`` by the Makefile) and ``static/ganbook.css`` selects it.
* The theme's own words in the edition's language: ``locale/<lang>/LC_MESSAGES/<domain>.po``
  (domains ``sphinx``, ``booktheme``, ``exercise``) are compiled in memory with Babel when the
  build starts and put in front of Sphinx's and the themes' catalogues, so that no ``.mo``
  file is committed; templates whose strings the themes do not translate are overridden in
  ``templates/``, the copy button gets its words from ``COPYBUTTON``, and a solution's title
  follows the language's word order (``SOLUTION_TITLE``: "연습 4.1 해답").
* Search in Korean: ``ganbook_search.SearchKorean`` strips particles (은/는/이/가/을/를 ...)
  from indexed and searched words alike, so 생성자 finds 생성자는 and 생성자를.
"""

from __future__ import annotations

import gettext
import io
import json
from pathlib import Path

from docutils import nodes

HERE = Path(__file__).resolve().parent
# The English edition's default: the Korean edition lives in ko/ beside its pages.
DEFAULT_EDITIONS = [{"lang": "ko", "label": "한국어", "root": "ko/",
                     "title": "이 페이지의 한국어판"}]
FONT_CSS = "fonts/nanum-gothic/nanum-gothic.css"
LOCALE_DIR = HERE / "locale"
# sphinx-copybutton's tooltips for languages its own table lacks.
COPYBUTTON = {"ko": {"copy": "복사", "copy_to_clipboard": "클립보드에 복사",
                     "copy_success": "복사했다!", "copy_failure": "복사하지 못했다",
                     "toggle": "숨긴 내용 펼치기/접기"}}
# The title of a solution, "{exercise}" standing for the linked "Exercise 4.1" (sphinx-exercise
# writes "Solution to" before it, which reads backwards in Korean).
SOLUTION_TITLE = {"ko": "{exercise} 해답"}

_INLINE_JS = """\
var require = {paths: {"@jupyter-widgets/html-manager/dist":
  (document.documentElement.dataset.content_root || "./") + "_static/html-manager"}};
document.addEventListener("DOMContentLoaded", function () {
  var mj = window.MathJax;
  if (mj && !mj.Hub && mj.typesetPromise) {
    mj.Hub = {Queue: function (job) {
      mj.startup.promise.then(function () { return mj.typesetPromise([job[2]]); });
    }};
  }
});"""


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        key = (getattr(js, "filename", js) or "", tuple(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def _use_templates_and_styles(app, config):
    """Our templates and stylesheet, and the switch before the theme's header buttons."""
    # First, so that the overrides of theme components win over the themes' own.
    config.templates_path.insert(0, str(HERE / "templates"))
    config.html_static_path.append(str(HERE / "static"))
    options = config.html_theme_options
    options.setdefault("article_header_end",
                       ["ganbook-language-switch.html", "article-header-buttons.html"])


def compile_catalogue(po_path: Path) -> gettext.GNUTranslations:
    """A ``.po`` file compiled in memory (with Babel, which Sphinx requires)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def edition_catalogues(language: str | None) -> dict[str, gettext.GNUTranslations]:
    """The book's own catalogues for ``language``, by gettext domain."""
    folder = LOCALE_DIR / (language or "en") / "LC_MESSAGES"
    return {po.stem: compile_catalogue(po) for po in sorted(folder.glob("*.po"))}


def _install_catalogues(app, config):
    """Put the book's catalogues in front of Sphinx's and the themes' (before the builder
    is created, so that the templates get the combined ``sphinx`` catalogue)."""
    from sphinx import locale

    for domain, ours in edition_catalogues(config.language).items():
        key = ("general", domain)
        theirs = locale.translators.get(key)
        if theirs is not None and type(theirs) is not gettext.NullTranslations:
            ours.add_fallback(theirs)
        locale.translators[key] = ours
        if domain == "sphinx":
            app.translator = ours
            for name in ("togglebutton_hint", "togglebutton_hint_hide"):
                if hasattr(config, name):
                    setattr(config, name, ours.gettext(getattr(config, name)))
            # A theme option, not a template string (Jupyter Book sets it in English).
            options = config.html_theme_options
            english = options.get("search_bar_text", "Search this book...")
            options["search_bar_text"] = ours.gettext(english)


def _copybutton_words(app):
    words = COPYBUTTON.get(app.config.language or "en")
    if words is None:
        return
    # copybutton.js keeps its words in top-level bindings that a later classic script sees;
    # this runs before the page's DOMContentLoaded, when the buttons are made.
    app.add_js_file(None, priority=900, body=(
        "if (typeof messages === 'object' && typeof locale === 'string') {"
        f"messages[{json.dumps(app.config.language)}] = {json.dumps(words, ensure_ascii=False)};"
        f"locale = {json.dumps(app.config.language)};}}"
        # The icon's title was written when copybutton.js ran, and sphinx-togglebutton's
        # label is not translatable: both are set once the page's buttons exist.
        "var ganbookWords = function () {"
        "document.querySelectorAll('.copybtn svg title').forEach(function (t) {"
        f"t.textContent = {json.dumps(words['copy_to_clipboard'], ensure_ascii=False)}; }});"
        "document.querySelectorAll('[aria-label=\"Toggle hidden content\"]').forEach("
        "function (b) { b.setAttribute('aria-label', "
        f"{json.dumps(words['toggle'], ensure_ascii=False)}); }});"
        "};"
        "document.addEventListener('DOMContentLoaded', function () {"
        " setTimeout(ganbookWords, 0); });"
        "window.addEventListener('load', ganbookWords);"))


def _solution_titles(app, doctree, docname):
    """"Solution to Exercise 4.1" → "Exercise 4.1 solution" where the language says so."""
    pattern = SOLUTION_TITLE.get(app.config.language or "en")
    if pattern is None:
        return
    from sphinx_exercise.nodes import solution_node

    before, _, after = pattern.partition("{exercise}")
    for node in doctree.findall(solution_node):
        title = node.children[0] if node.children else None
        if not isinstance(title, nodes.title):
            continue
        refs = [child for child in title.children if isinstance(child, nodes.reference)]
        if len(refs) != 1:
            continue
        ref = refs[0]
        for child in list(ref.children):
            if isinstance(child, nodes.Text) and child.startswith(" "):
                ref.replace(child, nodes.Text(child.lstrip()))
                break
        title.children = []
        if before:
            title += nodes.Text(before)
        title += ref
        if after:
            title += nodes.Text(after)


def language_links(pagename: str, editions: list[dict]) -> list[dict]:
    """Relative links from ``pagename`` to the same page in each other edition."""
    up = "../" * pagename.count("/")
    return [{"href": f"{up}{e['root']}{pagename}.html", "lang": e["lang"], "label": e["label"],
             "title": e.get("title", e["label"])} for e in editions]


def _add_language_links(app, pagename, templatename, context, doctree):
    context["ganbook_language_links"] = language_links(pagename, app.config.ganbook_editions)


def setup(app):
    from ganbook_search import SearchKorean

    app.add_config_value("ganbook_editions", DEFAULT_EDITIONS, "html")
    app.add_search_language(SearchKorean)
    app.connect("config-inited", _use_templates_and_styles)
    app.connect("config-inited", _install_catalogues)
    app.connect("doctree-resolved", _solution_titles)
    # Before require.js (myst-nb adds it at priority 500 on pages with widgets).
    app.add_js_file(None, body=_INLINE_JS, priority=300)
    app.add_css_file(FONT_CSS)
    app.add_css_file("ganbook.css")
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    app.connect("html-page-context", _add_language_links)
    app.connect("builder-inited", _copybutton_words)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
