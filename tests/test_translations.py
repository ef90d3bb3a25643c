"""The Korean edition's translations (``i18n/ko/``) are complete and up to date.

For every page of ``_toc.yml`` (and the ``_book`` strings: title, author, part captions) the
test fails, listing page, passage id and the first line of the English, when an English
passage changed or was added without its translation being updated ("stale", "missing"),
when a translation is still the English placeholder ("untranslated"), when it lost or
changed math, labels, roles, code or directives ("markup"), and when a translation no longer
matches any English passage ("orphan"). ``python -m booktools.i18n status`` prints the same
report; ``i18n/README.md`` says how to fix each case.

Pages listed in ``i18n/ko/pending.txt`` are not translated yet on purpose: they are reported
as expected failures (``xfail``) with their to-do list, and must have no translation file.
"""

from __future__ import annotations

import re

import pytest

from booktools import i18n

ROOT = i18n.ROOT
LANG = "ko"
PAGES = i18n.all_pages(ROOT)
PENDING = i18n.pending_pages(ROOT, LANG)


def _report(status: i18n.PageStatus) -> str:
    return i18n.format_status([status], PENDING, verbose=True)


@pytest.mark.parametrize("page", PAGES)
def test_translation_is_complete_and_up_to_date(page):
    status = i18n.page_status(ROOT, LANG, page)
    if page in PENDING:
        assert not status.exists, (
            f"{page} has a translation file but is listed in i18n/{LANG}/pending.txt: "
            "remove it from the list")
        pytest.xfail(f"pending (not to be translated yet):\n{_report(status)}")
    assert status.exists, (f"{page} has no translation: run `python -m booktools.i18n new {page}` "
                           f"(or list it in i18n/{LANG}/pending.txt)")
    assert status.complete, "translation out of date (see i18n/README.md):\n" + _report(status)


def test_pending_pages_are_pages_of_the_book():
    unknown = [page for page in PENDING if page not in PAGES]
    assert not unknown, f"i18n/{LANG}/pending.txt lists pages that _toc.yml does not: {unknown}"


def test_every_translation_file_belongs_to_a_page():
    files = {p.relative_to(ROOT / "i18n" / LANG).with_suffix("").as_posix()
             for p in (ROOT / "i18n" / LANG).rglob("*.md") if p.name != "README.md"}
    pages = {i18n.translation_path(ROOT, LANG, page).relative_to(ROOT / "i18n" / LANG)
             .with_suffix("").as_posix() for page in PAGES}
    assert not files - pages, f"translation files of no page: {sorted(files - pages)}"


def test_translated_pages_are_korean():
    """A guard against files that are complete but English (e.g. markers moved by hand)."""
    for page in PAGES:
        entries = i18n.read_translations(i18n.translation_path(ROOT, LANG, page))
        if entries:
            hangul = sum(bool(i18n.HANGUL_RE.search(e.text)) for e in entries)
            assert hangul >= 0.9 * len(entries), (
                f"{page}: only {hangul} of {len(entries)} translations in Korean")


def test_korean_figure_exists_and_is_used():
    text = (ROOT / "i18n" / LANG / "04_gan_objective.md").read_text()
    assert "figures/gan_schematic.ko.svg" in text
    english = re.findall(r"figures/([\w.-]+\.svg)", "".join(
        (ROOT / "book").joinpath(p).read_text() for p in ["04_gan_objective.ipynb"]))
    for name in english:
        assert (ROOT / "book" / "figures" / name.replace(".svg", f".{LANG}.svg")).exists()


def test_korean_figure_embeds_every_hangul_glyph_it_shows():
    """An SVG shown as an image cannot use the page's fonts: its glyphs must be inside it."""
    for svg in sorted((ROOT / "book" / "figures").glob(f"*.{LANG}.svg")):
        text = svg.read_text(encoding="utf-8")
        shown = i18n.svg_hangul(text)
        assert shown, f"{svg.name} shows no Hangul"
        missing = shown - i18n.embedded_font_chars(text)
        assert not missing, (f"{svg.name}: no embedded glyph for {sorted(missing)}: run "
                             f"`python -m booktools.i18n embed-font {svg.relative_to(ROOT)} FONT`")
        assert re.search(rf"font-family=\"'{i18n.SVG_FONT_FAMILY}'", text), (
            f"{svg.name}: its text must name '{i18n.SVG_FONT_FAMILY}' first in font-family")


def test_korean_figures_are_translations_of_the_current_english():
    """A ``.ko.svg`` records its English source's hash (``accept-figure``)."""
    assert i18n.translated_figures(ROOT, LANG)
    assert i18n.figure_problems(ROOT, LANG) == []


def test_glossary_index_lists_every_korean_term_in_gana_order():
    """The glossary ends with its Korean terms in 가나다 order, each with its English."""
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    heads = re.findall(r"^\*\*(.+?)\*\* — (.+)$", text, flags=re.MULTILINE)
    expected = []
    for english, korean in heads:
        main, _, alias = korean.partition(" (")
        terms = [t.strip() for t in main.split(",")] + ([alias.rstrip(")")] if alias else [])
        expected += [(term, english) for term in terms]
    index = re.findall(r"^\* (.+?) — (.+)$", text.split("가나다 order", 1)[1], flags=re.MULTILINE)
    assert index == sorted(expected)
    for term in ("기울기", "가능도", "우도", "참가자", "실행", "단계", "처방", "평형", "다층 퍼셉트론",
                 "과적합", "확신도", "가상 플레이", "레이블 평활화", "다이버전스"):
        assert (term in dict(index)), term
    korean = (ROOT / "i18n" / LANG / "glossary.md").read_text(encoding="utf-8")
    assert "젠슨-섀넌" in korean and "## 가나다 색인" in korean
