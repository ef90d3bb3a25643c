"""Figures with translated labels, single-sourced from the notebooks' own plotting cells.

A notebook draws its figures once, in English. When ``make execute`` runs it
(``python -m booktools.execute``), the kernel loads this module as an IPython extension
(``--ext=booktools.figure_labels``, with ``GANBOOK_FIGURE_PAGE`` naming the page): every
matplotlib figure the notebook displays is drawn a second time with each text (titles, axis
labels, tick labels, legend entries, annotations, suptitles) looked up in the page's label
table ``i18n/<lang>/figures/<page>.json`` (plus ``common.json`` for the strings of
``ganbook.plotting``), and with Hangul drawn in Nanum Gothic. That PNG is stored in the
output's metadata (``image/png`` → ``ganbook-i18n`` → ``ko``; nbval ignores metadata), with
the texts that had no entry, and ``python -m booktools.i18n generate`` swaps it in for the
Korean edition.

A label table is one JSON object, English text → translated text. A key may contain ``{}``
placeholders, which match any text and are filled in order into the ``{}`` of the value (or
``{0}``, ``{1}`` ... to reorder), for labels formatted with numbers: ``"step {}": "{} 단계"``.
Texts without words (numbers, math, symbols such as ``p_data`` or ``KL(p||q)``) need no entry
(``is_neutral``).

The font: matplotlib cannot read the WOFF2 slices the HTML book uses, so
``booktools.i18n.vendor_font`` also converts the package's Korean WOFF file (zlib, readable by
fontTools, which matplotlib already requires) to TrueType in ``_vendor/fonts/nanum-gothic/ttf``;
where that folder predates this, ``font_files`` converts it on first use from the npm package
(``npm pack``, the registry the Makefile already uses).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
METADATA_KEY = "ganbook-i18n"
PAGE_ENV = "GANBOOK_FIGURE_PAGE"
LANG_ENV = "GANBOOK_FIGURE_LANGS"
COMMON = "common"
FONT_PACKAGE = "@fontsource/nanum-gothic@5.3.0"
FONT_FAMILY = "NanumGothic"
# weight → (WOFF file in the npm package, TrueType file written from it)
FONT_FILES = {400: ("nanum-gothic-korean-400-normal.woff", "NanumGothic-Regular.ttf"),
              700: ("nanum-gothic-korean-700-normal.woff", "NanumGothic-Bold.ttf")}
HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
# Words that are mathematics, not language.
MATH_WORDS = {"log", "exp", "max", "min", "sup", "inf", "argmax", "argmin", "sin", "cos", "std",
              "var", "softmax", "tanh", "relu", "sigmoid"}


def table_path(page: str, lang: str = "ko", root: Path = ROOT) -> Path:
    return root / "i18n" / lang / "figures" / f"{Path(page).stem}.json"


def read_table(path: Path) -> dict[str, str]:
    """One label table: a JSON object of strings (empty if the file does not exist)."""
    if not path.exists():
        return {}
    table = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(table, dict):
        raise ValueError(f"{path}: a label table is a JSON object, not {type(table).__name__}")
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{path}: the translation of {key!r} must be a non-empty string")
        if _placeholders(key) != _placeholders(value, reorder=True):
            raise ValueError(f"{path}: {key!r} and {value!r} have different placeholders")
    return table


def _placeholders(text: str, reorder: bool = False) -> int:
    found = re.findall(r"\{(\d*)\}", text)
    if reorder and found and all(found):
        return len(set(found))
    return len(found)


def load_table(page: str, lang: str = "ko", root: Path = ROOT) -> dict[str, str]:
    """The label table of ``page``: ``common.json`` overridden by ``<page>.json``."""
    table = read_table(table_path(COMMON, lang, root))
    table.update(read_table(table_path(page, lang, root)))
    return table


def is_neutral(text: str) -> bool:
    """True for text that reads the same in every language (numbers, math, symbols)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, not {type(text).__name__}")
    plain = re.sub(r"\$[^$]*\$", " ", text)
    for word in re.findall(r"[A-Za-z][A-Za-z_'-]*", plain):
        if "_" in word or word.lower() in MATH_WORDS:
            continue
        if len(word) >= 3 and not word.isupper():
            return False
        if len(word) == 2 and word.islower() and word not in {"dx", "dy", "vs"}:
            return False
    return True


def translate(text: str, table: dict[str, str]) -> str | None:
    """``text`` through ``table`` (exact entries first, then ``{}`` templates), or None."""
    if text in table:
        return table[text]
    for key, value in table.items():
        if "{}" not in key:
            continue
        pattern = "^" + "(.+?)".join(re.escape(part) for part in key.split("{}")) + "$"
        match = re.match(pattern, text, flags=re.DOTALL)
        if match:
            return value.format(*match.groups())
    return None


def font_files(root: Path = ROOT) -> list[Path]:
    """The TrueType Nanum Gothic files, converted from the npm package when missing.

    ``GANBOOK_FONT_DIR`` names another folder for them (tests, scratch runs).
    """
    default = root / "_vendor" / "fonts" / "nanum-gothic" / "ttf"
    folder = Path(os.environ.get("GANBOOK_FONT_DIR") or default)
    paths = [folder / ttf for _, ttf in FONT_FILES.values()]
    if all(p.exists() for p in paths):
        return paths
    if shutil.which("npm") is None:
        raise RuntimeError(f"no Hangul font for matplotlib in {folder} and no npm to fetch "
                           f"{FONT_PACKAGE} (run `make setup`)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", FONT_PACKAGE], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        tgz = next(Path(tmp).glob("*.tgz"))
        subprocess.run(["tar", "xzf", tgz.name], cwd=tmp, check=True)
        write_truetype(Path(tmp) / "package", folder)
    return paths


def write_truetype(package: Path, dest: Path) -> list[Path]:
    """Convert the Fontsource package's Korean WOFF files to TrueType files in ``dest``."""
    from fontTools.ttLib import TTFont

    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for woff, ttf in FONT_FILES.values():
        font = TTFont(package / "files" / woff)
        font.flavor = None
        font.save(dest / ttf)
        written.append(dest / ttf)
    return written


_registered: set[Path] = set()


def _register_fonts(root: Path = ROOT) -> None:
    from matplotlib import font_manager

    for path in font_files(root):
        if path not in _registered:
            font_manager.fontManager.addfont(str(path))
            _registered.add(path)


# Math in a text with Hangul: mathtext's own fonts have no Hangul, so such a text becomes one
# mathtext string whose words are \mathrm in Nanum Gothic (the "custom" math font set).
MATH_RC = {"mathtext.rm": FONT_FAMILY, "mathtext.it": "DejaVu Sans:italic",
           "mathtext.bf": "DejaVu Sans:bold", "mathtext.sf": "DejaVu Sans",
           "mathtext.tt": "DejaVu Sans Mono", "mathtext.cal": "DejaVu Sans",
           "mathtext.fallback": "stixsans"}


def _as_mathtext(text: str) -> str:
    parts = text.split("$")
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(part)
        elif part:
            escaped = re.sub(r"([%#&{}_^\\])", r"\\\1", part).replace(" ", r"\ ")
            out.append(r"\mathrm{" + escaped + "}")
    return "$" + "".join(out) + "$"


class _Lookup:
    """Translates texts and remembers those that needed an entry and had none."""

    def __init__(self, table: dict[str, str]):
        self.table, self.missing = table, []

    def __call__(self, text: str) -> str:
        if not text or not text.strip():
            return text
        found = translate(text, self.table)
        if found is None:
            if not is_neutral(text) and text not in self.missing:
                self.missing.append(text)
            return text
        return found


def _translating_formatter(inner, lookup):
    from matplotlib import ticker

    class Translating(ticker.Formatter):
        def __call__(self, x, pos=None):
            return lookup(inner(x, pos))

        def format_ticks(self, values):
            return [lookup(text) for text in inner.format_ticks(values)]

        def set_axis(self, axis):
            self.axis = axis
            inner.set_axis(axis)

        def set_locs(self, locs):
            inner.set_locs(locs)

        def get_offset(self):
            return inner.get_offset()

        def format_data(self, value):
            return inner.format_data(value)

        def format_data_short(self, value):
            return inner.format_data_short(value)

    return Translating()


@contextmanager
def translated(fig, table: dict[str, str]):
    """Inside: ``fig`` with its texts translated through ``table`` (restored on exit).

    Yields the list of texts that need an entry and have none (filled when the figure is
    drawn).
    """
    import matplotlib
    from matplotlib.text import Text

    _register_fonts()
    lookup = _Lookup(table)
    texts, axes = [], []
    try:
        with matplotlib.rc_context(MATH_RC):
            for text in fig.findobj(lambda a: isinstance(a, Text)):
                original = text.get_text()
                new = lookup(original)
                texts.append((text, original, text.get_fontfamily(),
                              text.get_math_fontfamily()))
                if new != original:
                    if HANGUL.search(new) and "$" in new:
                        new = _as_mathtext(new)
                        text.set_math_fontfamily("custom")
                    text.set_text(new)
                if HANGUL.search(new):
                    text.set_fontfamily(list(text.get_fontfamily()) + [FONT_FAMILY])
            for ax in fig.get_axes():
                for axis in (ax.xaxis, ax.yaxis):
                    saved = (axis.get_major_formatter(), axis.get_minor_formatter(),
                             axis.isDefault_majfmt, axis.isDefault_minfmt)
                    axes.append((axis, saved))
                    axis.set_major_formatter(_translating_formatter(saved[0], lookup))
                    axis.set_minor_formatter(_translating_formatter(saved[1], lookup))
                    for label in axis.get_ticklabels(which="both"):
                        label.set_fontfamily(list(label.get_fontfamily()) + [FONT_FAMILY])
            yield lookup.missing
    finally:
        for axis, (major, minor, default_major, default_minor) in axes:
            axis.set_major_formatter(major)
            axis.set_minor_formatter(minor)
            axis.isDefault_majfmt, axis.isDefault_minfmt = default_major, default_minor
        for text, original, family, math_family in texts:
            text.set_text(original)
            text.set_fontfamily(family)
            text.set_math_fontfamily(math_family)


def render(fig, table: dict[str, str], **savefig) -> tuple[bytes, list[str]]:
    """``fig`` drawn as PNG with its texts translated; returns (PNG bytes, untranslated)."""
    import matplotlib

    options = {"format": "png", "bbox_inches": "tight",
               "dpi": matplotlib.rcParams["figure.dpi"]}
    options.update(savefig)
    buffer = io.BytesIO()
    with translated(fig, table) as missing:
        with matplotlib.rc_context(MATH_RC):
            fig.savefig(buffer, **options)
        missing = list(missing)
    return buffer.getvalue(), missing


def notebook_outputs(notebook: dict):
    """Every output of a notebook: its code cells' and those kept in saved widget state
    (the figures of ``interact`` cells, which the static book shows from there)."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            yield from cell.get("outputs", [])
    widgets = (notebook.get("metadata") or {}).get("widgets") or {}
    for models in widgets.values():
        for model in (models.get("state") or {}).values():
            yield from (model.get("state") or {}).get("outputs") or []


def translated_png(output: dict, lang: str) -> str | None:
    """The base64 PNG stored for ``lang`` in a notebook output's metadata, if any."""
    entry = (((output.get("metadata") or {}).get("image/png") or {})
             .get(METADATA_KEY) or {}).get(lang) or {}
    return entry.get("png")


def missing_texts(output: dict, lang: str) -> list[str] | None:
    """The untranslated texts recorded for ``lang`` (None if the output has no record)."""
    entry = (((output.get("metadata") or {}).get("image/png") or {})
             .get(METADATA_KEY) or {}).get(lang)
    return None if entry is None else list(entry.get("missing", []))


# -- figure texts in plotting code, for the check that every one has an entry ------------------

PLOT_CALLS = {"set_title", "title", "suptitle", "set_xlabel", "xlabel", "set_ylabel", "ylabel",
              "text", "annotate", "legend", "set_xticklabels", "set_yticklabels", "xticks",
              "yticks", "figtext", "set_label", "set_text", "bar", "barh"}
PLOT_KEYWORDS = {"label", "title", "xlabel", "ylabel", "labels", "tick_label"}


def _literal_texts(node) -> list[str]:
    """The strings an expression can evaluate to, formatted parts written as ``{}``."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal_texts(node.left) or ["{}"], _literal_texts(node.right) or ["{}"]
        joined = [a + b for a in left for b in right]
        return [] if all(set(t) <= {"{", "}"} for t in joined) else joined
    if isinstance(node, ast.IfExp):
        return _literal_texts(node.body) + _literal_texts(node.orelse)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [t for element in node.elts for t in _literal_texts(element)]
    return []


def texts_in_code(source: str) -> list[str]:
    """The word-bearing literal figure texts of plotting calls in ``source`` (Python code).

    A static complement to the texts ``make execute`` records as untranslated: it sees the
    strings written in calls such as ``ax.set_title("...")`` or ``plot(..., label=f"...")``.
    """
    import ast

    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else \
            getattr(node.func, "id", "")
        if name in PLOT_CALLS:
            args = node.args if name in {"legend", "set_xticklabels", "set_yticklabels",
                                         "xticks", "yticks", "annotate", "text", "figtext",
                                         "bar", "barh"} else node.args[:1]
            for arg in args:
                found += _literal_texts(arg)
        for keyword in node.keywords:
            if keyword.arg in PLOT_KEYWORDS:
                found += _literal_texts(keyword.value)
    return sorted({t for t in found if not is_neutral(t.replace("{}", "0"))})


def untranslated_in_code(source: str, table: dict[str, str]) -> list[str]:
    """The figure texts of ``source`` that ``table`` does not translate."""
    return [t for t in texts_in_code(source)
            if translate(t, table) is None and translate(t.replace("{}", "0"), table) is None]


# -- the IPython extension ------------------------------------------------------------------

def _add_translations(ip, tables: dict[str, dict[str, str]]) -> None:
    """Make the shell's PNG formatter add each language's rendering of a figure."""
    formatter = ip.display_formatter.formatters["image/png"]
    if getattr(formatter, "_ganbook_figure_labels", False):
        return
    english = type(formatter)

    def __call__(self, obj):
        result = english.__call__(self, obj)
        from matplotlib.figure import Figure

        if result is None or not isinstance(obj, Figure):
            return result
        data, metadata = result if isinstance(result, tuple) else (result, {})
        metadata = dict(metadata or {})
        record = {}
        for lang, table in tables.items():
            png, missing = render(obj, table)
            record[lang] = {"png": base64.b64encode(png).decode("ascii"), "missing": missing}
        metadata[METADATA_KEY] = record
        return data, metadata

    # The class, not a registered function: the inline backend registers its own function
    # for figures when pyplot is imported, and again when its settings change.
    formatter.__class__ = type("TranslatingPNGFormatter", (english,),
                               {"__call__": __call__, "_ganbook_figure_labels": True})


def load_ipython_extension(ip) -> None:
    """Render every displayed figure once more per language (see the module docstring)."""
    page = os.environ.get(PAGE_ENV)
    if not page:
        raise RuntimeError(f"set {PAGE_ENV} to the notebook's page (e.g. 01_information_entropy)")
    langs = os.environ.get(LANG_ENV, "ko").split(",")
    tables = {lang: load_table(page, lang) for lang in langs if lang}
    _register_fonts()
    _add_translations(ip, tables)


def kernel_arguments() -> list[str]:
    """The kernel's command-line arguments that load this extension."""
    return ["--ext=booktools.figure_labels"]
