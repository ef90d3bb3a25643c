"""Unit tests of ``booktools.i18n``: passages, hashes, status, generated sources, fonts.

They build small books in a temporary folder (a notebook, a Markdown page, ``_toc.yml`` and
``_config.yml``), so they do not depend on the state of the real translations; the real ones
are checked by ``tests/test_translations.py``.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

from booktools import i18n

ROOT = i18n.ROOT
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))

PAGE_MD = """# A page

First paragraph, with $x^2$ and {cite}`goodfellow2014`.

```{note}
A note with a blank line

inside its body.
```

```bash
make book   # code is not translated
```

```{solution-end}
```
"""


def _notebook(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for i, (kind, source) in enumerate(cells):
        new_cell = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        cell = new_cell(source)
        cell.id = f"cell{i}"
        if kind == "code":
            cell.outputs = [nbformat.v4.new_output("stream", text=f"out {i}\n")]
            cell.execution_count = i
            cell.metadata["tags"] = ["nbval-ignore-output"]
        nb.cells.append(cell)
    return nb


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A two-page book: ``book/intro.md`` and ``book/ch.ipynb``."""
    (tmp_path / "book" / "figures").mkdir(parents=True)
    (tmp_path / "book" / "figures" / "f.svg").write_text("<svg/>")
    (tmp_path / "book" / "intro.md").write_text(PAGE_MD)
    nb = _notebook([("md", "# Chapter\n\nText about $p(x)$."), ("code", "x = 1"),
                    ("md", "More text with {eq}`e1`."), ("md", "```{solution-end}\n```")])
    nbformat.write(nb, tmp_path / "book" / "ch.ipynb")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: Part one\n"
        "    chapters:\n      - file: book/ch\n")
    (tmp_path / "_config.yml").write_text(
        "title: Book\nauthor: Someone\nbibtex_bibfiles: []\n"
        "sphinx:\n  local_extensions:\n    ganbook_html: _ext\n"
        "  config:\n    html_static_path: [_vendor]\n")
    return tmp_path


def _translate_all(root: Path, text_for=lambda p: p.text + "\n\n번역") -> None:
    """Write a translation of every passage of every page of ``root``."""
    for page in i18n.all_pages(root):
        i18n.new_translation(root, "ko", page)
        path = i18n.translation_path(root, "ko", page)
        header, entries = i18n.parse_translations(path.read_text())
        for entry in entries:
            passage = next(p for p in i18n.page_passages(root, page) if p.digest == entry.digest)
            entry.text = text_for(passage)
        path.write_text(i18n.format_translations(header, entries))


def _statuses(root: Path, page: str) -> list[tuple[str, str]]:
    return [(p.status, p.key) for p in i18n.page_status(root, "ko", page).problems]


# --------------------------------------------------------------------------- splitting


@pytest.mark.parametrize("name", ["intro", "further_reading",
                                  "glossary"])
def test_markdown_pages_split_and_join_back_exactly(name):
    text = (ROOT / "book" / f"{name}.md").read_text()
    assert i18n.replace_blocks(text, {}) == text
    assert len(i18n.split_blocks(text)) > 3


def test_blocks_keep_fenced_directives_whole():
    blocks = i18n.split_blocks(PAGE_MD)
    assert blocks[0] == "# A page"
    assert blocks[2].startswith("```{note}") and blocks[2].endswith("```")
    assert "inside its body." in blocks[2]
    assert len(blocks) == 5


def test_math_blocks_with_blank_lines_stay_whole():
    text = "Before.\n\n$$\na\n\nb\n$$ (lab)\n\nAfter."
    assert i18n.split_blocks(text) == ["Before.", "$$\na\n\nb\n$$ (lab)", "After."]


def test_only_passages_with_words_need_translation():
    assert i18n.needs_translation("## Exercises")
    assert i18n.needs_translation("```{solution-start} ex1\n:class: dropdown\n```\nWe sum it.")
    assert not i18n.needs_translation("```{solution-end}\n```")
    assert not i18n.needs_translation("```bash\nmake book   # build\n```")
    assert not i18n.needs_translation("```{bibliography}\n:all:\n```")
    assert not i18n.needs_translation("$$\nH(p) = -\\sum p \\log p\n$$ (ent-def)")


def test_hash_ignores_trailing_spaces_and_surrounding_blank_lines():
    assert i18n.digest("\nA line  \nB\n\n") == i18n.digest("A line\nB")
    assert i18n.digest("A line\nB") != i18n.digest("A line\nC")
    assert re.fullmatch(r"[0-9a-f]{12}", i18n.digest("x"))


def test_markup_is_math_roles_code_labels_and_directives():
    text = ("```{figure} figures/a.svg\n:name: fig-a\n```\nSee $x^2$ and {cite:t}`k` or "
            "`code`, {eq}`e`.\n\n$$\ny\n$$ (lab)")
    assert i18n.markup(text) == {"```{figure}", ":name: fig-a", "$x^2$", "{cite}`k`",
                                 "`code`", "{eq}`e`", "$$\ny\n$$ (lab)"}
    # A translation may use another file for a figure, and cite:p for cite:t.
    assert i18n.markup(text.replace("a.svg", "a.ko.svg").replace("cite:t", "cite:p")) == \
        i18n.markup(text)


# --------------------------------------------------------------------------- status


def test_translation_files_parse_and_format_round_trip(book):
    _translate_all(book)
    path = i18n.translation_path(book, "ko", "book/ch")
    header, entries = i18n.parse_translations(path.read_text())
    assert [e.key for e in entries] == ["cell0", "cell2"]
    assert i18n.format_translations(header, entries) == path.read_text()


def test_complete_translation_has_no_problems(book):
    _translate_all(book)
    for page in i18n.all_pages(book):
        status = i18n.page_status(book, "ko", page)
        assert status.complete and status.translated == status.total > 0, status


def test_changed_english_cell_is_reported_stale(book):
    _translate_all(book)
    nb = nbformat.read(book / "book" / "ch.ipynb", as_version=4)
    nb.cells[2].source = "More text, changed, with {eq}`e1`."
    nbformat.write(nb, book / "book" / "ch.ipynb")
    problems = i18n.page_status(book, "ko", "book/ch").problems
    assert [(p.status, p.key, p.position) for p in problems] == [("stale", "cell2", 2)]
    assert problems[0].first_line == "More text, changed, with {eq}`e1`."
    report = i18n.format_status([i18n.page_status(book, "ko", "book/ch")], [])
    assert "book/ch" in report and "stale" in report and "cell2 (#2)" in report


def test_new_english_passage_is_missing_and_removed_one_orphaned(book):
    _translate_all(book)
    text = PAGE_MD.replace("First paragraph", "A new paragraph.\n\nFirst paragraph")
    text = text.replace("```bash\nmake book   # code is not translated\n```\n\n", "")
    (book / "book" / "intro.md").write_text(text)
    # the blocks after the new one moved: their markers are re-keyed by hash
    assert _statuses(book, "book/intro") == [("missing", "1"), ("misplaced", "2"),
                                             ("misplaced", "3")]
    assert i18n.renumber(book, "ko", "book/intro") == ["1→2", "2→3"]
    assert _statuses(book, "book/intro") == [("missing", "1")]
    (book / "book" / "intro.md").write_text(PAGE_MD.replace("# A page\n", "# Another page\n"))
    statuses = _statuses(book, "book/intro")
    assert ("stale", "0") in statuses and not any(s == "orphan" for s, _ in statuses)
    (book / "book" / "intro.md").write_text(PAGE_MD.replace("# A page\n\n", ""))
    assert ("orphan", "0") in _statuses(book, "book/intro")


def test_renumber_fixes_repeated_and_shifted_block_keys(book):
    _translate_all(book)
    path = i18n.translation_path(book, "ko", "book/intro")
    header, entries = i18n.parse_translations(path.read_text())
    for entry in entries:
        entry.key = "0"  # every marker says block 0
    path.write_text(i18n.format_translations(header, entries[::-1]))
    assert {s for s, _ in _statuses(book, "book/intro")} == {"misplaced"}
    i18n.renumber(book, "ko", "book/intro")
    assert i18n.page_status(book, "ko", "book/intro").complete
    keys = [e.key for e in i18n.read_translations(path)]
    assert keys == [p.key for p in i18n.page_passages(book, "book/intro")]


def test_translated_figure_records_its_english_source(book):
    figures = book / "book" / "figures"
    (figures / "f.ko.svg").write_text('<svg lang="ko"><text>그림</text></svg>')
    assert "records no English source" in i18n.figure_problems(book, "ko")[0]
    i18n.accept_figure(figures / "f.ko.svg")
    assert i18n.figure_problems(book, "ko") == []
    assert i18n.figure_source((figures / "f.ko.svg").read_text()) == (
        "f.svg", i18n.digest("<svg/>"))
    (figures / "f.svg").write_text("<svg><text>changed</text></svg>")
    assert "changed since it was translated" in i18n.figure_problems(book, "ko")[0]
    i18n.accept_figure(figures / "f.ko.svg")
    assert i18n.figure_problems(book, "ko") == []
    with pytest.raises(ValueError):
        i18n.accept_figure(figures / "f.svg")


def test_skeleton_placeholders_are_untranslated(book):
    i18n.new_translation(book, "ko", "book/ch")
    assert {s for s, _ in _statuses(book, "book/ch")} == {"untranslated"}


def test_translation_that_changes_math_is_reported(book):
    _translate_all(book, lambda p: p.text.replace("$p(x)$", "$q(x)$") + " 번역")
    assert ("markup", "cell0") in _statuses(book, "book/ch")


def test_untranslated_page_lists_every_passage(book):
    status = i18n.page_status(book, "ko", "book/ch")
    assert not status.exists and [p.status for p in status.problems] == ["missing"] * 2
    report = i18n.format_status([status], ["book/ch"])
    assert report.startswith("pending") and "not translated yet, 2 passages" in report


def test_new_keeps_translations_and_adds_missing_passages_in_order(book):
    _translate_all(book)
    nb = nbformat.read(book / "book" / "ch.ipynb", as_version=4)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("Inserted text.", id="inserted"))
    nbformat.write(nb, book / "book" / "ch.ipynb")
    _, added = i18n.new_translation(book, "ko", "book/ch")
    entries = i18n.read_translations(i18n.translation_path(book, "ko", "book/ch"))
    assert added == 1 and [e.key for e in entries] == ["cell0", "inserted", "cell2"]
    assert entries[0].text.endswith("번역") and entries[1].text == "Inserted text."


def test_accept_marks_an_updated_translation_current(book):
    _translate_all(book)
    nb = nbformat.read(book / "book" / "ch.ipynb", as_version=4)
    nb.cells[2].source = "Changed {eq}`e1`."
    nbformat.write(nb, book / "book" / "ch.ipynb")
    assert i18n.accept(book, "ko", "book/ch", ["cell2"]) == ["cell2"]
    assert i18n.page_status(book, "ko", "book/ch").complete


def test_diff_shows_how_the_english_changed_since_the_translation(book):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    _translate_all(book)
    git = ["git", "-C", str(book), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "one"], check=True)
    nb = nbformat.read(book / "book" / "ch.ipynb", as_version=4)
    nb.cells[2].source = "More text, reworded, with {eq}`e1`."
    nbformat.write(nb, book / "book" / "ch.ipynb")
    diff = i18n.stale_diffs(book, "ko", "book/ch")
    assert "-More text with {eq}`e1`." in diff and "+More text, reworded" in diff
    assert "More text with {eq}`e1`.\n\n번역" in diff


# --------------------------------------------------------------------------- generation


def test_generated_notebook_changes_only_markdown_text(book):
    _translate_all(book)
    out = book / "_build" / "ko" / "src"
    i18n.generate(book, "ko", out)
    english = json.loads((book / "book" / "ch.ipynb").read_text())
    korean = json.loads((out / "book" / "ch.ipynb").read_text())
    assert korean["metadata"] == english["metadata"]
    assert len(korean["cells"]) == len(english["cells"])
    for en, ko in zip(english["cells"], korean["cells"]):
        if en["cell_type"] == "code" or "solution-end" in "".join(en["source"]):
            assert ko == en
        else:
            assert {k: v for k, v in ko.items() if k != "source"} == \
                   {k: v for k, v in en.items() if k != "source"}
            assert "".join(ko["source"]).endswith("\n\n번역")


def test_untranslated_pages_are_generated_in_english_with_a_note(book):
    out = book / "out"
    report = i18n.generate(book, "ko", out)
    assert all(g.translated == 0 for g in report)
    text = (out / "book" / "intro.md").read_text()
    assert text.startswith("# A page\n\n```{note}\n")
    assert i18n.EDITIONS["ko"]["not_translated"] in text
    assert PAGE_MD.split("\n", 1)[1] in text
    _translate_all(book)
    i18n.generate(book, "ko", out)
    assert i18n.EDITIONS["ko"]["not_translated"] not in (out / "book" / "intro.md").read_text()


def test_generated_config_and_toc(book):
    _translate_all(book, lambda p: {"title": "책", "author": "저자", "caption-0": "1부"}.get(
        p.key, p.text + "\n\n번역"))
    out = book / "out"
    i18n.generate(book, "ko", out)
    config = yaml.safe_load((out / "_config.yml").read_text())
    toc = yaml.safe_load((out / "_toc.yml").read_text())
    assert config["title"] == "책" and config["author"] == "저자"
    assert config["sphinx"]["config"]["language"] == "ko"
    assert config["sphinx"]["local_extensions"]["ganbook_html"] == str(book / "_ext")
    assert config["sphinx"]["config"]["html_static_path"] == [str(book / "_vendor")]
    assert config["sphinx"]["config"]["ganbook_editions"][0]["root"] == "../"
    assert toc["parts"][0]["caption"] == "1부"
    assert toc["parts"][0]["chapters"] == [{"file": "book/ch"}]
    assert (out / "book" / "figures" / "f.svg").exists()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_real_notebooks_keep_code_outputs_and_math(path, tmp_path):
    """The book's own notebooks with their current translations (translated or not)."""
    page = f"book/{path.stem}"
    english = json.loads(path.read_text())
    entries = i18n.read_translations(i18n.translation_path(ROOT, "ko", page))
    korean, _, _ = i18n.translate_notebook(english, entries, "ko")
    assert korean["metadata"] == english["metadata"]
    assert [c["cell_type"] for c in korean["cells"]] == [c["cell_type"] for c in english["cells"]]
    # Code cells keep their outputs, except that figures show their Korean rendering.
    with_korean_figures = copy.deepcopy(english)
    i18n.translate_figures(with_korean_figures, "ko")
    for en, ko in zip(with_korean_figures["cells"], korean["cells"]):
        if en["cell_type"] == "code":
            assert ko == en
        else:
            en_text, ko_text = "".join(en["source"]), "".join(ko["source"])
            assert ko.get("metadata") == en.get("metadata") and ko.get("id") == en.get("id")
            en_math = {m for m in i18n.markup(en_text) if m.startswith("$")}
            ko_math = {m for m in i18n.markup(ko_text) if m.startswith("$")}
            assert ko_math == en_math, f"{page} cell {en.get('id')}: math changed"


# --------------------------------------------------------------------------- fonts, switch


def test_font_faces_keep_only_hangul_and_cjk_ranges():
    latin = "/* x */\n@font-face {\n  src: url(./files/a.woff2) format('woff2');\n" \
            "  unicode-range: U+0000-00FF;\n}"
    assert i18n._font_face_for_ranges(latin) is None
    mixed = latin.replace("U+0000-00FF", "U+0041-005a,U+ac00-ac10,U+d7a0-d7b5").replace(
        "format('woff2');", "format('woff2'), url(./files/a.woff) format('woff');")
    face = i18n._font_face_for_ranges(mixed)
    assert "unicode-range: U+ac00-ac10,U+d7a0-d7b5;" in face and ".woff)" not in face


def _tiny_font(path: Path, chars: str) -> Path:
    """A TrueType font with a square glyph for each of ``chars``."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    names = [".notdef"] + [f"g{ord(c):x}" for c in chars]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(c): f"g{ord(c):x}" for c in chars})
    pen = TTGlyphPen(None)
    for x, y in [(100, 0), (900, 0), (900, 800), (100, 800)]:
        (pen.moveTo if x == 100 and y == 0 else pen.lineTo)((x, y))
    pen.closePath()
    builder.setupGlyf({name: pen.glyph() for name in names})
    builder.setupHorizontalMetrics({name: (1000, 100) for name in names})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Tiny", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    builder.save(path)
    return path


def test_embed_font_puts_the_svg_hangul_glyphs_into_the_svg(tmp_path):
    font = _tiny_font(tmp_path / "tiny.ttf", "가나다")
    svg = ('<svg xmlns="http://www.w3.org/2000/svg"><title>제목</title>'
           '<text font-family="\'ganbook Hangul\', sans-serif">가나 a</text></svg>')
    assert i18n.svg_hangul(svg) == {"가", "나"}
    assert i18n.embedded_font_chars(svg) == set()
    embedded = i18n.embed_font(svg, font)
    assert i18n.embedded_font_chars(embedded) == {"가", "나"}
    again = i18n.embed_font(embedded.replace("가나", "가다"), font)
    assert again.count("<style") == 1 and i18n.embedded_font_chars(again) == {"가", "다"}


def _ganbook_html():
    spec = importlib.util.spec_from_file_location("ganbook_html", ROOT / "_ext" / "ganbook_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_language_links_are_relative_to_the_page():
    module = _ganbook_html()
    english = module.language_links("book/01_x", module.DEFAULT_EDITIONS)
    assert english[0]["href"] == "../ko/book/01_x.html" and english[0]["lang"] == "ko"
    assert module.language_links("genindex", module.DEFAULT_EDITIONS)[0]["href"] == \
        "ko/genindex.html"
    korean = module.language_links("book/01_x", [{"lang": "en", "label": "English",
                                                   "root": "../"}])
    assert korean[0]["href"] == "../../book/01_x.html"


def test_command_line_status_exit_code(book, capsys):
    assert i18n.main(["status", "--root", str(book)]) == 1
    assert "TODO" in capsys.readouterr().out
    _translate_all(book)
    assert i18n.main(["status", "--root", str(book)]) == 0
