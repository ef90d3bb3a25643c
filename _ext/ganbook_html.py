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
  built into ``ko/`` next to the English one, see ``src/ganbook/i18n.py``), with a relative
  link so that it works from ``file://`` too. ``ganbook_editions`` lists the other editions,
  each with the path of its root relative to this edition's root.
* Hangul renders on readers' machines without a Hangul font: the book serves Nanum Gothic
  (vendored into ``_vendor/fonts`` by the Makefile) and ``static/ganbook.css`` selects it.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
# The English edition's default: the Korean edition lives in ko/ beside its pages.
DEFAULT_EDITIONS = [{"lang": "ko", "label": "한국어", "root": "ko/",
                     "title": "이 페이지의 한국어판"}]
FONT_CSS = "fonts/nanum-gothic/nanum-gothic.css"

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
    config.templates_path.append(str(HERE / "templates"))
    config.html_static_path.append(str(HERE / "static"))
    options = config.html_theme_options
    options.setdefault("article_header_end",
                       ["ganbook-language-switch.html", "article-header-buttons.html"])


def language_links(pagename: str, editions: list[dict]) -> list[dict]:
    """Relative links from ``pagename`` to the same page in each other edition."""
    up = "../" * pagename.count("/")
    return [{"href": f"{up}{e['root']}{pagename}.html", "lang": e["lang"], "label": e["label"],
             "title": e.get("title", e["label"])} for e in editions]


def _add_language_links(app, pagename, templatename, context, doctree):
    context["ganbook_language_links"] = language_links(pagename, app.config.ganbook_editions)


def setup(app):
    app.add_config_value("ganbook_editions", DEFAULT_EDITIONS, "html")
    app.connect("config-inited", _use_templates_and_styles)
    # Before require.js (myst-nb adds it at priority 500 on pages with widgets).
    app.add_js_file(None, body=_INLINE_JS, priority=300)
    app.add_css_file(FONT_CSS)
    app.add_css_file("ganbook.css")
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    app.connect("html-page-context", _add_language_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
