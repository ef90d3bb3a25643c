"""Small Sphinx extension that keeps the HTML book clean and working offline.

* ipywidgets' HTML manager loads its icon fonts from a folder next to its own AMD module; a
  ``require`` configuration points that folder at ``_static/html-manager`` (the vendored copy)
  instead of ``<page folder>/@jupyter-widgets/...``, which does not exist.
* ipywidgets typesets math with the MathJax 2 API (``MathJax.Hub.Queue``); the book uses
  MathJax 3, so a two-line shim routes those calls to ``MathJax.typesetPromise``.
* Sphinx 7.4 includes an inline script added after the builder started (sphinx-thebe's
  configuration) twice, which makes the browser report "Identifier 'THEBE_JS_URL' has already
  been declared" on every page; duplicates are dropped when each page is written.
"""

from __future__ import annotations

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


def setup(app):
    # Before require.js (myst-nb adds it at priority 500 on pages with widgets).
    app.add_js_file(None, body=_INLINE_JS, priority=300)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
