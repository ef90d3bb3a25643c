"""Live demos in the static book: plain JavaScript, no kernel, no network.

A page mounts a demo with the ``ganbook-demo`` directive::

    ```{ganbook-demo} gan1d
    ```

which writes ``<div class="ganbook-demo" data-demo="gan1d"></div>`` and adds, to that page
only, the classic scripts ``_static/demos/ganbook-demos.js`` (the shared core: registry,
seeded random numbers, canvas plots, controls, labels in the page's language) and
``_static/demos/gan1d.js``. A demo that needs data names its ``.js`` data files with
``:data: a.js b.js``; they load before the demo's script. Everything is served from the book's
own ``_static/`` with classic ``<script>`` tags, so the demos work from ``file://`` too (no
``fetch()``, no ES modules, no CDN).
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive, directives

HERE = Path(__file__).resolve().parent
DEMO_DIR = HERE / "static" / "demos"
CORE = "demos/ganbook-demos.js"


class demo_node(nodes.General, nodes.Element):
    """A placeholder <div> that the demo's script fills in."""


def _visit_demo_html(self, node):
    name = node["demo"]
    self.body.append(f'<div class="ganbook-demo" id="ganbook-demo-{name}" '
                     f'data-demo="{name}"></div>\n')
    raise nodes.SkipNode


def _skip(self, node):
    raise nodes.SkipNode


class DemoDirective(Directive):
    required_arguments = 1
    has_content = False
    option_spec = {"data": directives.unchanged}

    def run(self):
        name = self.arguments[0]
        if not (DEMO_DIR / f"{name}.js").exists():
            raise self.error(f"ganbook-demo: no script _ext/static/demos/{name}.js for demo "
                             f"{name!r}")
        data = (self.options.get("data") or "").split()
        for file in data:
            if not (DEMO_DIR / file).exists():
                raise self.error(f"ganbook-demo {name}: no data file _ext/static/demos/{file}")
        node = demo_node(demo=name, data=data)
        return [node]


def _add_demo_scripts(app, pagename, templatename, context, doctree):
    if doctree is None:
        return
    found = list(doctree.findall(demo_node))
    if not found:
        return
    scripts = [CORE]
    for node in found:
        scripts += [f"demos/{file}" for file in node["data"]]
        scripts.append(f"demos/{node['demo']}.js")
    seen = set()
    for script in scripts:
        if script not in seen:
            seen.add(script)
            # Added in html-page-context: this page only, after the theme's scripts.
            app.add_js_file(script, priority=800)


def setup(app):
    app.add_node(demo_node, html=(_visit_demo_html, None), latex=(_skip, None),
                 text=(_skip, None), man=(_skip, None), texinfo=(_skip, None))
    app.add_directive("ganbook-demo", DemoDirective)
    app.connect("html-page-context", _add_demo_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
