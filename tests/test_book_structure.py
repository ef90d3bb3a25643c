"""Fast checks of the book's sources (no build, no browser).

* ``_toc.yml`` lists only files that exist, and every chapter file in ``book/`` is listed.
* Every notebook ends with a "## Exercises" section of 2-4 sphinx-exercise exercises, each
  with a solution that is hidden (dropdown) and runnable (code cells, checked by nbval).
* Every ipywidgets explorer cell is ignored by nbval and has a static figure next to it
  (an image output within two cells before or after it).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

import browser_check as bc

ROOT = bc.ROOT
BOOK = ROOT / "book"
TOC = bc.toc_files(ROOT / "_toc.yml")
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
IGNORE_TAG = "nbval-ignore-output"
# An interactive explorer: interact/interactive or a widget class built by hand.
WIDGET_RE = re.compile(r"\binteract(?:ive|_manual)?\s*\(|@interact\b|\bwidgets\.[A-Z]\w*\(")
EXERCISE_RE = re.compile(r"(?:```|:::)\{exercise(?:-start)?\}[^\n]*\n(?::[^\n]*\n)*?:label:\s*(\S+)")
SOLUTION_RE = re.compile(r"(?:```|:::)\{solution(-start)?\}\s*(\S+)[^\n]*\n((?::[^\n]*\n)*)")


def _source_file(name: str) -> Path | None:
    for suffix in (".ipynb", ".md"):
        if (path := ROOT / f"{name}{suffix}").exists():
            return path
    return None


def test_toc_lists_existing_files():
    missing = [name for name in TOC if _source_file(name) is None]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_no_orphan_chapters():
    listed = {(ROOT / name).resolve() for name in TOC}
    chapters = sorted(BOOK.glob("*.ipynb")) + sorted(BOOK.glob("*.md"))
    orphans = [p.name for p in chapters if p.with_suffix("").resolve() not in listed]
    assert not orphans, f"chapters in book/ missing from _toc.yml: {orphans}"


def _cells(path: Path):
    return nbformat.read(path, as_version=4).cells


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_chapter_ends_with_exercises(path):
    cells = _cells(path)
    heads = [i for i, c in enumerate(cells) if c.cell_type == "markdown"
             and re.search(r"^## Exercises\s*$", c.source, re.MULTILINE)]
    assert heads, f"{path.name}: no '## Exercises' section"
    start = heads[-1]
    later_h2 = [i for i, c in enumerate(cells[start + 1:], start + 1) if c.cell_type == "markdown"
                and re.search(r"^#{1,2} ", c.source, re.MULTILINE)]
    assert not later_h2, f"{path.name}: '## Exercises' is not the last section"
    section = cells[start:]
    text = "\n".join(c.source for c in section if c.cell_type == "markdown")
    labels = EXERCISE_RE.findall(text)
    assert 2 <= len(labels) <= 4, f"{path.name}: {len(labels)} exercises, expected 2-4"
    solutions = {m.group(2): m for m in SOLUTION_RE.finditer(text)}
    for label in labels:
        assert label in solutions, f"{path.name}: exercise {label} has no solution"
        options = solutions[label].group(3)
        assert re.search(r":class:\s*[^\n]*\bdropdown\b", options), (
            f"{path.name}: solution of {label} is not hidden (add ':class: dropdown')")
    # Each gated solution holds runnable code: at least one code cell before its end.
    for i, cell in enumerate(section):
        m = cell.cell_type == "markdown" and re.search(r"```\{solution-start\}\s*(\S+)", cell.source)
        if not m:
            continue
        code = []
        for later in section[i + 1:]:
            if later.cell_type == "markdown" and "{solution-end}" in later.source:
                break
            if later.cell_type == "code":
                code.append(later)
        assert code, f"{path.name}: solution of {m.group(1)} has no code cell"
        assert any(re.search(r"\bassert\b|np\.testing\.|torch\.testing\.", c.source) for c in code), (
            f"{path.name}: solution of {m.group(1)} checks nothing (end it with an assert)")


def _has_image(cell) -> bool:
    return cell.cell_type == "code" and any(
        "image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {})
        for out in cell.get("outputs", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_widgets_are_ignored_and_have_static_figures(path):
    cells = _cells(path)
    for i, cell in enumerate(cells):
        if cell.cell_type != "code" or not WIDGET_RE.search(cell.source):
            continue
        ignored = IGNORE_TAG in cell.metadata.get("tags", []) or re.search(
            r"^\s*#\s*NBVAL_IGNORE_OUTPUT", cell.source, re.MULTILINE)
        assert ignored, f"{path.name} cell {i}: widget cell without the '{IGNORE_TAG}' tag"
        # The static counterpart the rendered book shows: a figure within 2 cells of it.
        near = cells[max(0, i - 2):i] + cells[i + 1:i + 3]
        assert any(_has_image(c) for c in near), (
            f"{path.name} cell {i}: no static figure (image output) within 2 cells of this widget")
