"""Translated editions of the book, generated at build time from the English sources.

Why this way: Sphinx's own translation route (gettext catalogues) cannot translate notebooks
read by MyST-NB, because the translated notebook is re-parsed and fails as JSON (MyST-NB issue
#587); and a second set of executed notebooks would have to be kept in step with the English
ones by hand. So the English notebooks stay the one source of code and results, and a
translation is a plain Markdown file per page, ``i18n/<lang>/<page>.md``, that gives the
translated text of each English *passage*:

* in a notebook, a passage is one markdown cell, keyed by the cell's id;
* in a Markdown page, a passage is one block: text between blank lines, where a fenced code
  block or directive (```` ``` ````, ``~~~``, ``:::``) or a ``$$`` block counts as one piece
  even if it contains blank lines; blocks are numbered from 0;
* the book's title, author and the captions of ``_toc.yml`` form the pseudo-page ``_book``.

Passages without human text (a ``{solution-end}`` fence, a code block, the bibliography
directive) need no translation and are copied as they are. Each translation is preceded by a
marker that records the SHA-256 (first 12 hex digits) of the English text it translates::

    <!-- cell 5453327f sha256:1a2b3c4d5e6f -->
    ## 정의

A translation is used only while that hash still matches an English passage, so a changed
English passage shows in English until its translation is updated, and ``status`` (and
``tests/test_translations.py``) reports it. ``generate`` writes a source tree for the
translated edition: the English notebooks with their markdown cells replaced (code cells,
outputs, metadata and tags untouched), the Markdown pages, figures, bibliography, a ``_toc.yml``
with translated captions and a ``_config.yml`` with the edition's language and title.

Command line (from the repository root)::

    python -m booktools.i18n status [PAGE ...]     # what is missing, stale or left over, per page
    python -m booktools.i18n new PAGE               # skeleton with the English text to translate
    python -m booktools.i18n diff PAGE              # how the English of stale passages changed
    python -m booktools.i18n accept PAGE KEY ...    # mark updated translations as current
    python -m booktools.i18n generate --out DIR     # the translated edition's source tree
    python -m booktools.i18n embed-font SVG FONT    # Hangul glyphs into a translated SVG figure
"""

from __future__ import annotations

import argparse
import copy
import difflib
import hashlib
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LANG = "ko"
BOOK_PAGE = "_book"  # pseudo-page: title, author and the captions of _toc.yml
MARKER_RE = re.compile(r"^<!-- (cell|block|toc) (\S+) sha256:([0-9a-f]{12}) -->[ \t]*$", re.M)
FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,}|:{3,})(.*)$")
HANGUL_RE = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")

# What the machinery itself writes into an edition, per language.
EDITIONS = {
    "ko": {
        "name": "한국어",
        "not_translated": "이 장은 아직 한국어로 옮기지 않아 영어 원문을 그대로 싣는다. "
                          "코드와 실행 결과는 영어판과 같다.",
        "partly_translated": "이 장에는 영어 원문이 바뀐 뒤 아직 번역을 고치지 않은 문단이 "
                             "있어서, 그런 문단은 영어 원문으로 싣는다.",
    },
    "en": {"name": "English"},
}


# --------------------------------------------------------------------------- passages


@dataclass(frozen=True)
class Passage:
    """One piece of English text that a translation replaces as a whole."""

    kind: str       # "cell", "block" or "toc"
    key: str        # cell id, block number, or name of the toc entry
    position: int   # cell index / block number / entry number, for humans
    text: str

    @property
    def digest(self) -> str:
        return digest(self.text)

    @property
    def first_line(self) -> str:
        return first_line(self.text)


def normalise(text: str) -> str:
    """Text as hashed and compared: no trailing spaces, no blank lines around it."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def digest(text: str) -> str:
    """First 12 hex digits of the SHA-256 of the normalised text: short, still unique."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:12]


def first_line(text: str, width: int = 72) -> str:
    """The first line a reader would read (skipping fences and options), shortened."""
    lines = [s.strip() for s in normalise(text).split("\n") if s.strip()]
    line = next((s for s in lines if needs_translation(s)), lines[0] if lines else "")
    return line if len(line) <= width else line[: width - 1] + "…"


_NO_TEXT_PATTERNS = [
    re.compile(r"\$\$.*?\$\$(?:\s*\([\w:.-]+\))?", re.S),  # display math and its label
    re.compile(r"\$[^$\n]+\$"),                      # inline math
    re.compile(r"\{[\w:.-]+\}`[^`]*`"),              # roles: {cite}`x`, {eq}`y`
    re.compile(r"`[^`\n]*`"),                        # inline code
    re.compile(r"<!--.*?-->", re.S),                 # comments
    re.compile(r"^\s*\([\w:.-]+\)=\s*$", re.M),      # labels
    re.compile(r"^\s*:[\w-]+:.*$", re.M),            # directive options
    re.compile(r"https?://\S+"),
]


def needs_translation(text: str) -> bool:
    """Whether a passage holds words a reader reads (not only markup, code, math or labels)."""
    text = _strip_code_fences(text)
    for pattern in _NO_TEXT_PATTERNS:
        text = pattern.sub(" ", text)
    return re.search(r"[^\W\d_]{2,}", text) is not None


def _strip_code_fences(text: str, keep_directives: bool = False) -> str:
    """Drop code blocks (fences without a ``{directive}``) and the fence lines themselves.

    With ``keep_directives`` the opening line of a directive (```` ```{figure} x ````) stays.
    """
    kept, fence = [], None
    for line in text.split("\n"):
        match = FENCE_RE.match(line)
        if fence is None and match:
            info = match.group(2).strip()
            fence = (match.group(1)[0], len(match.group(1)), info.startswith("{"))
            if keep_directives and fence[2]:
                kept.append(line)
            continue
        if fence and match and match.group(1)[0] == fence[0] and len(match.group(1)) >= fence[1] \
                and not match.group(2).strip():
            fence = None
            continue
        if fence is None or fence[2]:
            kept.append(line)
    return "\n".join(kept)


def block_spans(text: str) -> list[tuple[int, int]]:
    """(first line, line after the last) of each block of a Markdown page.

    Blocks are separated by blank lines, except inside fences and ``$$`` math, so a directive
    with blank lines in its body stays one block.
    """
    spans, start, fence, math = [], None, None, False
    for i, line in enumerate(text.split("\n")):
        if fence is None and not math and not line.strip():
            if start is not None:
                spans.append((start, i))
                start = None
            continue
        start = i if start is None else start
        fence, math = _fence_state(line, fence, math)
    if start is not None:
        spans.append((start, len(text.split("\n"))))
    return spans


def _fence_state(line: str, fence, math: bool):
    """The (open fence, inside $$ math) state after ``line``."""
    match = FENCE_RE.match(line)
    if fence is None and not math and match:
        return (match.group(1)[0], len(match.group(1))), False
    if fence is not None:
        closes = match and match.group(1)[0] == fence[0] and len(match.group(1)) >= fence[1] \
            and not match.group(2).strip()
        return (None if closes else fence), False
    stripped = line.strip()
    if stripped.startswith("$$") or (math and stripped.endswith("$$")):
        return None, (not math) if stripped.count("$$") == 1 else math
    return None, math


_MARKUP_PATTERNS = [
    re.compile(r"\$\$.*?\$\$(?:\s*\([\w:.-]+\))?", re.S),          # display math (+ label)
    re.compile(r"(?<!\$)\$(?!\$)[^$\n]+?\$"),                       # inline math
    re.compile(r"\{[\w:.-]+\}`[^`]*`"),                               # roles
    re.compile(r"(?<![`{}\w])`[^`\n]+`"),                             # inline code
    re.compile(r"^\s*\([\w:.-]+\)=\s*$", re.M),                     # labels
    re.compile(r"^\s*:(?:label|name):.*$", re.M),                     # directive names/labels
    re.compile(r"^\s*(?:`{3,}|~{3,}|:{3,})\{[\w-]+\}(?: +[\w:.-]+(?=\s*$))?", re.M),
    re.compile(r"\]\([^)\s]+\)"),                                    # link targets
]


def markup(text: str) -> set[str]:
    """What a translation must keep exactly: math, roles, code, labels, directives, links.

    A set, since a translation may reorder them or mention one twice; role names of
    citations are normalised (``{cite:t}`` and ``{cite:p}`` are both ``{cite}``), and a
    directive's argument is left out unless it is a label, so that a figure's file may differ
    (the Korean edition uses ``*.ko.svg``).
    """
    text = _strip_code_fences(text, keep_directives=True)
    found = []
    for pattern in _MARKUP_PATTERNS:
        for match in pattern.findall(text):
            found.append(re.sub(r"^\{cite(?::\w+)?\}", "{cite}", match.strip()))
        text = pattern.sub(" ", text)
    return set(found)


def split_blocks(text: str) -> list[str]:
    lines = text.split("\n")
    return ["\n".join(lines[a:b]) for a, b in block_spans(text)]


def replace_blocks(text: str, replacements: dict[int, str]) -> str:
    """The page with block ``i`` replaced by ``replacements[i]``; the blank lines stay."""
    lines, out, previous = text.split("\n"), [], 0
    for i, (a, b) in enumerate(block_spans(text)):
        out += lines[previous:a]
        out.append(replacements[i] if i in replacements else "\n".join(lines[a:b]))
        previous = b
    return "\n".join(out + lines[previous:])


# --------------------------------------------------------------------------- pages


def toc_pages(root: Path = ROOT) -> list[str]:
    """Every document of ``_toc.yml``, root first, without suffix (``book/01_x``)."""
    import yaml

    data = yaml.safe_load((root / "_toc.yml").read_text())
    pages = [data["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            for key in ("chapters", "sections", "parts"):
                walk(entry.get(key))

    walk(data.get("parts"))
    walk(data.get("chapters"))
    return pages


def all_pages(root: Path = ROOT) -> list[str]:
    """The pages a translation covers: the ``_book`` strings, then every document."""
    return [BOOK_PAGE] + toc_pages(root)


def source_path(root: Path, page: str) -> Path:
    if page == BOOK_PAGE:
        return root / "_toc.yml"
    for suffix in (".ipynb", ".md"):
        if (path := root / f"{page}{suffix}").exists():
            return path
    raise FileNotFoundError(f"no source for page {page!r} (.ipynb or .md)")


def translation_path(root: Path, lang: str, page: str) -> Path:
    """``book/01_x`` -> ``i18n/ko/01_x.md``; ``_book`` -> ``i18n/ko/_book.md``."""
    name = page.removeprefix("book/")
    return root / "i18n" / lang / f"{name}.md"


def normalise_page(page: str) -> str:
    """Accept ``book/01_x``, ``book/01_x.ipynb`` or ``01_x`` for a page name."""
    page = re.sub(r"\.(ipynb|md)$", "", page.strip())
    if page != BOOK_PAGE and not page.startswith("book/"):
        page = f"book/{page}"
    return page


def notebook_passages(notebook: dict) -> list[Passage]:
    passages = []
    for i, cell in enumerate(notebook["cells"]):
        text = _source(cell)
        if cell["cell_type"] == "markdown" and needs_translation(text):
            passages.append(Passage("cell", cell.get("id") or str(i), i, normalise(text)))
    return passages


def markdown_passages(text: str) -> list[Passage]:
    return [Passage("block", str(i), i, normalise(block))
            for i, block in enumerate(split_blocks(text)) if needs_translation(block)]


def book_strings(root: Path) -> list[tuple[str, str]]:
    """(key, English text) of the title, author and every part caption of ``_toc.yml``."""
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text())
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    strings = [("title", str(config.get("title", ""))), ("author", str(config.get("author", "")))]
    for i, part in enumerate(toc.get("parts") or []):
        if part.get("caption"):
            strings.append((f"caption-{i}", part["caption"]))
    return strings


def book_passages(root: Path) -> list[Passage]:
    return [Passage("toc", key, i, text) for i, (key, text) in enumerate(book_strings(root))
            if text]


def page_passages(root: Path, page: str, source: str | None = None) -> list[Passage]:
    """The English passages of a page that need a translation, in page order.

    ``source`` replaces the file's current text (an older version, for ``diff``).
    """
    if page == BOOK_PAGE:
        return book_passages(root)
    path = source_path(root, page)
    text = path.read_text(encoding="utf-8") if source is None else source
    if path.suffix == ".ipynb":
        return notebook_passages(json.loads(text))
    return markdown_passages(text)


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


# --------------------------------------------------------------------------- translation files


@dataclass
class Entry:
    """One translated passage of a translation file."""

    kind: str
    key: str
    digest: str
    text: str
    line: int = 0  # line of the marker, for messages

    def marker(self) -> str:
        return f"<!-- {self.kind} {self.key} sha256:{self.digest} -->"


def parse_translations(text: str) -> tuple[str, list[Entry]]:
    """(header before the first marker, entries) of a translation file."""
    matches = list(MARKER_RE.finditer(text))
    header = text[: matches[0].start()] if matches else text
    entries = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = normalise(text[match.end():end])
        line = text.count("\n", 0, match.start()) + 1
        entries.append(Entry(match.group(1), match.group(2), match.group(3), body, line))
    return header, entries


def read_translations(path: Path) -> list[Entry]:
    if not path.exists():
        return []
    return parse_translations(path.read_text(encoding="utf-8"))[1]


def format_translations(header: str, entries: list[Entry]) -> str:
    parts = [header.rstrip("\n") + "\n\n"] if header.strip() else []
    parts += [f"{entry.marker()}\n{entry.text}\n\n" for entry in entries]
    return "".join(parts).rstrip("\n") + "\n"


def file_header(page: str, lang: str) -> str:
    return (f"<!-- Translation ({lang}) of {page}. Each marker names the English passage\n"
            f"     (cell id, block number or toc entry) and the SHA-256 of the English text\n"
            f"     translated below it; see i18n/README.md. Keep math, labels, roles and\n"
            f"     directives as they are. -->\n")


# --------------------------------------------------------------------------- status


@dataclass
class Problem:
    """A passage whose translation is missing, out of date, left over or not done."""

    page: str
    status: str          # "missing", "stale", "untranslated", "markup", "misplaced", "orphan"
    kind: str
    key: str
    position: int | None
    first_line: str

    def describe(self) -> str:
        where = f"{self.kind} {self.key}"
        if self.kind == "cell" and self.position is not None:
            where += f" (#{self.position})"
        return f"{self.status:12} {where:24} {self.first_line}"


@dataclass
class PageStatus:
    page: str
    total: int
    translated: int
    exists: bool
    problems: list[Problem] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.exists and not self.problems


def match_entries(passages: list[Passage], entries: list[Entry]):
    """Pair each English passage with its translation: (found, stale, orphans).

    ``found`` maps a passage's digest to the entry translating exactly that text. An entry whose
    hash matches no English passage is *stale* if it has the key of an untranslated passage
    (that English text changed), else an *orphan*.
    """
    digests = {p.digest for p in passages}
    found = {e.digest: e for e in entries if e.digest in digests}
    waiting = {(p.kind, p.key): p for p in passages if p.digest not in found}
    stale, orphans = {}, []
    for entry in entries:
        if entry.digest in digests:
            continue
        passage = waiting.get((entry.kind, entry.key))
        if passage is not None and passage.digest not in stale:
            stale[passage.digest] = entry
        else:
            orphans.append(entry)
    return found, stale, orphans


def page_status(root: Path, lang: str, page: str) -> PageStatus:
    path = translation_path(root, lang, page)
    passages = page_passages(root, page)
    entries = read_translations(path)
    found, stale, orphans = match_entries(passages, entries)
    status = PageStatus(page, len(passages), 0, path.exists())
    for p in passages:
        entry = found.get(p.digest)
        if entry is not None and normalise(entry.text) != p.text:
            status.translated += 1
            if (diff := markup_difference(p.text, entry.text)):
                status.problems.append(Problem(page, "markup", p.kind, p.key, p.position, diff))
            if entry.key != p.key:
                status.problems.append(Problem(
                    page, "misplaced", p.kind, p.key, p.position,
                    f"marker says {entry.kind} {entry.key}: run `renumber {page}`"))
            continue
        kind = "untranslated" if entry else "stale" if p.digest in stale else "missing"
        status.problems.append(Problem(page, kind, p.kind, p.key, p.position, p.first_line))
    for entry in orphans:
        status.problems.append(Problem(page, "orphan", entry.kind, entry.key, None,
                                       f"line {entry.line}: {first_line(entry.text)}"))
    return status


def markup_difference(english: str, translation: str) -> str:
    """'' if the translation keeps the English markup, else what it lost and added."""
    a, b = markup(english), markup(translation)
    if a == b:
        return ""
    return f"lost {sorted(a - b)}, added {sorted(b - a)}"


def pending_pages(root: Path, lang: str) -> list[str]:
    """Pages listed in ``i18n/<lang>/pending.txt``: not to be translated yet (a to-do list)."""
    path = root / "i18n" / lang / "pending.txt"
    if not path.exists():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [normalise_page(line) for line in lines if line]


def book_status(root: Path = ROOT, lang: str = DEFAULT_LANG,
                pages: list[str] | None = None) -> list[PageStatus]:
    return [page_status(root, lang, page) for page in (pages or all_pages(root))]


def format_status(statuses: list[PageStatus], pending: list[str], verbose: bool = False) -> str:
    """A report grouped per page, usable as a to-do list."""
    lines = []
    for s in statuses:
        if s.complete:
            lines.append(f"ok       {s.page}: {s.translated} of {s.total} passages translated")
            continue
        label = "pending " if s.page in pending else "TODO    "
        if not s.exists:
            lines.append(f"{label} {s.page}: not translated yet, {s.total} passages "
                         f"(start with: python -m booktools.i18n new {s.page})")
            if not verbose:
                continue
        else:
            counts = _counts(s.problems)
            lines.append(f"{label} {s.page}: {s.translated} of {s.total} translated; {counts}")
        lines += [f"           {p.describe()}" for p in s.problems]
    return "\n".join(lines)


def _counts(problems: list[Problem]) -> str:
    order = ["missing", "stale", "untranslated", "markup", "misplaced", "orphan"]
    names = [p.status for p in problems]
    return ", ".join(f"{names.count(n)} {n}" for n in order if n in names)


# --------------------------------------------------------------------------- skeletons


def new_translation(root: Path, lang: str, page: str) -> tuple[Path, int]:
    """Write (or complete) a page's translation file; returns its path and passages added.

    Missing passages get the English text as a placeholder, which ``status`` reports as
    "untranslated" until it is replaced. Existing translations, stale ones included, are kept
    in the English order; entries that match nothing are kept at the end.
    """
    path = translation_path(root, lang, page)
    passages = page_passages(root, page)
    header, entries = (parse_translations(path.read_text(encoding="utf-8"))
                       if path.exists() else (file_header(page, lang), []))
    found, stale, orphans = match_entries(passages, entries)
    merged, added = [], 0
    for p in passages:
        entry = found.get(p.digest) or stale.get(p.digest)
        if entry is None:
            entry, added = Entry(p.kind, p.key, p.digest, p.text), added + 1
        entry.key = p.key
        merged.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(format_translations(header, merged + orphans), encoding="utf-8")
    return path, added


def renumber(root: Path, lang: str, page: str) -> list[str]:
    """Give every translation whose hash matches an English passage that passage's key.

    Block numbers of Markdown pages shift when a block is inserted or deleted above them; the
    translations are matched by hash, so the markers can be re-keyed, and entries are put in
    the English order (unmatched ones keep their place at the end). Returns the changed keys
    as ``old→new``; ``new`` and ``accept`` do this too.
    """
    path = translation_path(root, lang, page)
    if not path.exists():
        return []
    header, entries = parse_translations(path.read_text(encoding="utf-8"))
    passages = page_passages(root, page)
    found, stale, orphans = match_entries(passages, entries)
    changed, ordered = [], []
    for p in passages:
        entry = found.get(p.digest) or stale.get(p.digest)
        if entry is None:
            continue
        if entry.key != p.key:
            changed.append(f"{entry.key}→{p.key}")
            entry.key = p.key
        ordered.append(entry)
    text = format_translations(header, ordered + orphans)
    if text != path.read_text(encoding="utf-8"):
        path.write_text(text, encoding="utf-8")
    return changed


def accept(root: Path, lang: str, page: str, keys: list[str]) -> list[str]:
    """Record that the translations of ``keys`` now match the current English text."""
    path = translation_path(root, lang, page)
    header, entries = parse_translations(path.read_text(encoding="utf-8"))
    current = {p.key: p for p in page_passages(root, page)}
    done = []
    for entry in entries:
        if entry.key in keys and entry.key in current:
            entry.digest = current[entry.key].digest
            done.append(entry.key)
    path.write_text(format_translations(header, entries), encoding="utf-8")
    renumber(root, lang, page)
    return done


def old_english(root: Path, page: str, wanted: str, max_commits: int = 200) -> str | None:
    """The English text whose hash is ``wanted``, searched in the git history of the page."""
    rel = source_path(root, page).relative_to(root).as_posix()
    try:
        revs = _git(root, "log", f"-n{max_commits}", "--format=%H", "--", rel).split()
        for rev in revs:
            for p in page_passages(root, page, _git(root, "show", f"{rev}:{rel}")):
                if p.digest == wanted:
                    return p.text
    except (OSError, subprocess.CalledProcessError):
        return None
    return None


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True).stdout


def stale_diffs(root: Path, lang: str, page: str) -> str:
    """For each stale passage: how its English changed (from git) and its current translation."""
    passages = page_passages(root, page)
    _, stale, _ = match_entries(passages, read_translations(translation_path(root, lang, page)))
    out = []
    for p in passages:
        if (entry := stale.get(p.digest)) is None:
            continue
        old = old_english(root, page, entry.digest)
        out.append(f"=== {page} {p.kind} {p.key} (translation at line {entry.line})")
        if old is None:
            out.append("(the English text it translated is not in the git history)")
            out += ["--- English now:", p.text]
        else:
            out += difflib.unified_diff(old.split("\n"), p.text.split("\n"),
                                        "English translated", "English now", lineterm="")
        out += ["--- translation:", entry.text, ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- generation


@dataclass
class Generated:
    """What ``generate`` wrote for one page: how many passages it could translate."""

    page: str
    total: int
    translated: int


def translate_notebook(notebook: dict, entries: list[Entry], lang: str) -> tuple[dict, int, int]:
    """A copy of ``notebook`` with translated markdown cells; (notebook, translated, total).

    Only the ``source`` of markdown cells changes, and the figures: a PNG output that carries
    a ``lang`` rendering of its figure (``booktools.figure_labels``, made by ``make execute``)
    shows that one. Code cells, other outputs, metadata and ids are copied as they are.
    """
    result = copy.deepcopy(notebook)
    translate_figures(result, lang)
    passages = notebook_passages(notebook)
    found, _, _ = match_entries(passages, entries)
    for p in passages:
        if (entry := found.get(p.digest)) is not None:
            result["cells"][p.position]["source"] = entry.text
    translated = sum(p.digest in found for p in passages)
    first = next((c for c in result["cells"] if c["cell_type"] == "markdown"), None)
    note = _banner(lang, translated, len(passages))
    if first is not None and note:
        first["source"] = _insert_banner(_source(first), note)
    return result, translated, len(passages)


def translate_figures(notebook: dict, lang: str) -> int:
    """Swap in the ``lang`` renderings of figures (in place); returns how many were swapped.

    Outputs saved in widget state (figures drawn by ``interact``) count too. The renderings of
    every language are dropped from the outputs' metadata, which the built page does not need.
    """
    from booktools import figure_labels

    swapped = 0
    for output in figure_labels.notebook_outputs(notebook):
        png = figure_labels.translated_png(output, lang)
        if png is not None and "image/png" in output.get("data", {}):
            output["data"]["image/png"] = png
            swapped += 1
        meta = (output.get("metadata") or {}).get("image/png")
        if isinstance(meta, dict):
            meta.pop(figure_labels.METADATA_KEY, None)
    return swapped


def translate_markdown(text: str, entries: list[Entry], lang: str) -> tuple[str, int, int]:
    """The page with each translated block replaced; (text, translated, total)."""
    passages = markdown_passages(text)
    found, _, _ = match_entries(passages, entries)
    replacements = {p.position: found[p.digest].text for p in passages if p.digest in found}
    translated = sum(p.digest in found for p in passages)
    result = replace_blocks(text, replacements)
    note = _banner(lang, translated, len(passages))
    return (_insert_banner(result, note) if note else result), translated, len(passages)


def _banner(lang: str, translated: int, total: int) -> str | None:
    """A note for pages shown wholly or partly in English in a translated edition."""
    strings = EDITIONS.get(lang, {})
    if translated == total or "not_translated" not in strings:
        return None
    text = strings["not_translated" if translated == 0 else "partly_translated"]
    return f"```{{note}}\n{text}\n```"


def _insert_banner(text: str, note: str) -> str:
    """Put ``note`` after the page's first ``# `` heading (or first, if it has none)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join(lines[: i + 1] + ["", note, ""] + lines[i + 1:])
    return f"{note}\n\n{text}"


def translated_strings(root: Path, lang: str) -> dict[str, str]:
    """key -> translated text of the ``_book`` strings (the English where not translated)."""
    entries = read_translations(translation_path(root, lang, BOOK_PAGE))
    passages = book_passages(root)
    found, _, _ = match_entries(passages, entries)
    strings = dict(book_strings(root))
    for p in passages:
        if p.digest in found:
            strings[p.key] = found[p.digest].text
    return strings


def edition_config(root: Path, lang: str, strings: dict[str, str]) -> dict:
    """The English ``_config.yml`` for a translated edition built from another folder."""
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text())
    config["title"], config["author"] = strings["title"], strings["author"]
    sphinx = config.setdefault("sphinx", {})
    sphinx["local_extensions"] = {name: str((root / path).resolve())
                                  for name, path in (sphinx.get("local_extensions") or {}).items()}
    settings = sphinx.setdefault("config", {})
    settings["language"] = lang
    settings["html_static_path"] = [str((root / p).resolve())
                                    for p in settings.get("html_static_path", [])]
    # The language switch of _ext/ganbook_html.py: this edition lives in <root>/<lang>/.
    settings["ganbook_editions"] = [{"lang": "en", "label": EDITIONS["en"]["name"],
                                     "root": "../", "title": "This page in English"}]
    return config


def edition_toc(root: Path, strings: dict[str, str]) -> dict:
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    for i, part in enumerate(toc.get("parts") or []):
        if f"caption-{i}" in strings:
            part["caption"] = strings[f"caption-{i}"]
    return toc


def generate(root: Path = ROOT, lang: str = DEFAULT_LANG,
             out: Path | None = None) -> list[Generated]:
    """Write the source tree of the ``lang`` edition into ``out``; returns what it translated.

    Files are rewritten only when their content changes, so that Sphinx can reuse its
    environment between builds.
    """
    import yaml

    out = out or root / "_build" / lang / "src"
    out.mkdir(parents=True, exist_ok=True)
    strings = translated_strings(root, lang)
    dump = lambda data: yaml.safe_dump(data, allow_unicode=True, sort_keys=False)  # noqa: E731
    _write(out / "_config.yml", dump(edition_config(root, lang, strings)))
    _write(out / "_toc.yml", dump(edition_toc(root, strings)))
    for bib in _bibfiles(root):
        _write(out / bib, (root / bib).read_text(encoding="utf-8"))
    _copy_tree(root / "book" / "figures", out / "book" / "figures")
    report = [Generated(BOOK_PAGE, len(book_passages(root)),
                        sum(strings[k] != v for k, v in book_strings(root)))]
    for page in toc_pages(root):
        report.append(_generate_page(root, lang, page, out))
    return report


def _generate_page(root: Path, lang: str, page: str, out: Path) -> Generated:
    path = source_path(root, page)
    entries = read_translations(translation_path(root, lang, page))
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        notebook, done, total = translate_notebook(json.loads(text), entries, lang)
        text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    else:
        text, done, total = translate_markdown(text, entries, lang)
    _write(out / path.relative_to(root), text)
    return Generated(page, total, done)


def _bibfiles(root: Path) -> list[str]:
    import yaml

    return list(yaml.safe_load((root / "_config.yml").read_text()).get("bibtex_bibfiles") or [])


def _write(path: Path, text: str) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _copy_tree(source: Path, target: Path) -> None:
    for path in sorted(source.rglob("*")):
        if path.is_file():
            dest = target / path.relative_to(source)
            if not dest.exists() or dest.read_bytes() != path.read_bytes():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)


# --------------------------------------------------------------------------- fonts


# What the web font draws: Hangul (jamo, compatibility jamo, syllables), CJK punctuation and
# Hanja. Latin stays with the theme's fonts, so the font can come first in the font stack:
# a later place does not work, because Linux's DejaVu Sans draws Hangul as loose jamo.
FONT_RANGES = [(0x1100, 0x11FF), (0x3000, 0x303F), (0x3130, 0x318F), (0x3200, 0x32FF),
               (0x4E00, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF),
               (0xFFA0, 0xFFDC)]


def vendor_font(package: Path, dest: Path, weights=(400, 700)) -> int:
    """Copy a Fontsource package's WOFF2 slices into ``dest`` with one stylesheet (and its
    Korean faces as TrueType into ``dest/ttf``, for matplotlib).

    The stylesheet keeps the ``unicode-range`` slices, so a browser downloads only the slices
    whose characters a page uses, each range cut down to ``FONT_RANGES``; slices left empty
    are dropped, and so are the WOFF fallbacks (every browser that runs MathJax 3 reads
    WOFF2). Returns the number of font files copied.
    """
    (dest / "files").mkdir(parents=True, exist_ok=True)
    out, copied = [], 0
    for weight in weights:
        css = (package / f"{weight}.css").read_text()
        for face in re.findall(r"/\*[^*]*\*/\s*@font-face\s*\{[^}]*\}", css):
            if (face := _font_face_for_ranges(face)) is None:
                continue
            for name in re.findall(r"url\(\./files/([^)]+\.woff2)\)", face):
                shutil.copy2(package / "files" / name, dest / "files" / name)
                copied += 1
            out.append(face)
    license_text = (package / "LICENSE").read_text() if (package / "LICENSE").exists() else ""
    (dest / "LICENSE").write_text(license_text)
    (dest / "nanum-gothic.css").write_text("\n".join(out) + "\n")
    # matplotlib reads TrueType, not WOFF2: the Korean figures (booktools.figure_labels) use
    # the package's Korean WOFF files converted by fontTools.
    from booktools import figure_labels

    if all((package / "files" / woff).exists() for woff, _ in figure_labels.FONT_FILES.values()):
        figure_labels.write_truetype(package, dest / "ttf")
    return copied


def _font_face_for_ranges(face: str) -> str | None:
    """The ``@font-face`` rule cut down to ``FONT_RANGES`` and WOFF2, or None if nothing is left."""
    match = re.search(r"unicode-range:\s*([^;]+);", face)
    if match is None:
        return None
    kept = []
    for item in match.group(1).split(","):
        low, _, high = item.strip()[2:].partition("-")
        a, b = int(low, 16), int(high or low, 16)
        kept += [(max(a, lo), min(b, hi)) for lo, hi in FONT_RANGES if max(a, lo) <= min(b, hi)]
    if not kept:
        return None
    ranges = ",".join(f"U+{a:x}" if a == b else f"U+{a:x}-{b:x}" for a, b in kept)
    face = face.replace(match.group(0), f"unicode-range: {ranges};")
    return re.sub(r",\s*url\([^)]*\.woff\)\s*format\('woff'\)", "", face)


SVG_FONT_FAMILY = "ganbook Hangul"
_SVG_STYLE_RE = re.compile(r'\s*<style id="ganbook-hangul-font">.*?</style>', re.S)


# A translated figure names its English source and that file's hash (first 12 hex digits).
FIGURE_SOURCE_RE = re.compile(r"<!-- ganbook-source: (\S+) sha256:([0-9a-f]{12}) -->")


def figure_source(svg_text: str) -> tuple[str, str] | None:
    """(English source file name, recorded hash) of a translated SVG, or None."""
    match = FIGURE_SOURCE_RE.search(svg_text)
    return (match.group(1), match.group(2)) if match else None


def translated_figures(root: Path, lang: str) -> list[Path]:
    return sorted((root / "book" / "figures").glob(f"*.{lang}.svg"))


def figure_problems(root: Path, lang: str) -> list[str]:
    """Translated figures whose English source is unknown, missing or changed since."""
    problems = []
    for svg in translated_figures(root, lang):
        source = figure_source(svg.read_text(encoding="utf-8"))
        english = svg.with_name(svg.name.replace(f".{lang}.svg", ".svg"))
        if source is None:
            problems.append(f"{svg.name}: records no English source: run "
                            f"`accept-figure {svg.relative_to(root)}`")
        elif source[0] != english.name or not english.exists():
            problems.append(f"{svg.name}: its source {source[0]} is not {english.name}")
        elif digest(english.read_text(encoding="utf-8")) != source[1]:
            problems.append(f"{svg.name}: {english.name} changed since it was translated: "
                            f"update the labels, then `accept-figure {svg.relative_to(root)}`")
    return problems


def accept_figure(svg: Path) -> str:
    """Record the hash of a translated SVG's English source in it; returns the hash."""
    name = svg.name
    lang_suffix = re.match(r"^(.*)\.([a-z]{2,3})\.svg$", name)
    if lang_suffix is None:
        raise ValueError(f"{svg}: a translated figure is named NAME.LANG.svg")
    english = svg.with_name(lang_suffix.group(1) + ".svg")
    if not english.exists():
        raise FileNotFoundError(f"{english}: the English source of {svg.name} does not exist")
    value = digest(english.read_text(encoding="utf-8"))
    text = svg.read_text(encoding="utf-8")
    marker = f"<!-- ganbook-source: {english.name} sha256:{value} -->"
    if FIGURE_SOURCE_RE.search(text):
        text = FIGURE_SOURCE_RE.sub(marker, text, count=1)
    else:
        end = text.index(">", text.index("<svg")) + 1
        text = text[:end] + "\n" + marker + text[end:]
    svg.write_text(text, encoding="utf-8")
    return value


def svg_hangul(svg_text: str) -> set[str]:
    """The Hangul characters of an SVG's visible text (not its title, description or style)."""
    visible = re.sub(r"<style.*?</style>|<title.*?</title>|<desc.*?</desc>|<!--.*?-->", "",
                     svg_text, flags=re.S)
    return set(HANGUL_RE.findall(visible))


def embed_font(svg_text: str, font_path: Path) -> str:
    """The SVG with the Hangul glyphs it shows embedded as a WOFF font in a ``<style>``.

    Why: a figure is shown as an image, and an SVG image cannot use the page's web fonts or
    load files, so without its own glyphs its Hangul needs a font on the reader's machine.
    The SVG's text must name ``SVG_FONT_FAMILY`` first in its ``font-family``.
    """
    import base64
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(font_path)
    options = subset.Options()
    options.flavor, options.hinting, options.name_IDs = "woff", False, [0, 1, 2]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in svg_hangul(svg_text)))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.flavor = "woff"
    font.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    style = (f'\n  <style id="ganbook-hangul-font">@font-face {{ font-family: "{SVG_FONT_FAMILY}"; '
             f'src: url(data:font/woff;base64,{data}) format("woff"); }}</style>')
    svg_text = _SVG_STYLE_RE.sub("", svg_text)
    return re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + style, svg_text, count=1)


def embedded_font_chars(svg_text: str) -> set[str]:
    """The characters that the font embedded by ``embed_font`` has glyphs for."""
    import base64
    import io

    from fontTools.ttLib import TTFont

    match = re.search(r"base64,([A-Za-z0-9+/=]+)", svg_text)
    if match is None:
        return set()
    font = TTFont(io.BytesIO(base64.b64decode(match.group(1))))
    return {chr(code) for code in font.getBestCmap()}


# --------------------------------------------------------------------------- command line


def _cmd_status(args) -> int:
    pages = [normalise_page(p) for p in args.pages] or None
    statuses = book_status(args.root, args.lang, pages)
    pending = pending_pages(args.root, args.lang)
    print(format_status(statuses, pending, verbose=args.verbose))
    todo = [s for s in statuses if not s.complete and s.page not in pending]
    print(f"\n{len(statuses) - len(todo)} of {len(statuses)} pages up to date"
          + (f" or pending ({len(pending)} pending)" if pending else ""))
    return 1 if todo else 0


def _cmd_new(args) -> int:
    path, added = new_translation(args.root, args.lang, normalise_page(args.page))
    print(f"{path.relative_to(args.root)}: {added} passages to translate added")
    return 0


def _cmd_diff(args) -> int:
    print(stale_diffs(args.root, args.lang, normalise_page(args.page)) or "no stale passages")
    return 0


def _cmd_accept(args) -> int:
    done = accept(args.root, args.lang, normalise_page(args.page), args.keys)
    print(f"marked as current: {', '.join(done) or 'nothing'}")
    return 0 if len(done) == len(set(args.keys)) else 1


def _cmd_renumber(args) -> int:
    pages = [normalise_page(p) for p in args.pages] or all_pages(args.root)
    for page in pages:
        changed = renumber(args.root, args.lang, page)
        if changed:
            print(f"{page}: {', '.join(changed)}")
    return 0


def _cmd_accept_figure(args) -> int:
    value = accept_figure(args.svg)
    print(f"{args.svg}: English source hash {value} recorded")
    return 0


def _cmd_generate(args) -> int:
    report = generate(args.root, args.lang, args.out)
    done = sum(g.translated for g in report)
    total = sum(g.total for g in report)
    untranslated = [g.page for g in report if g.translated < g.total]
    print(f"{args.lang} edition source written: {done} of {total} passages translated"
          + (f"; shown in English: {', '.join(untranslated)}" if untranslated else ""))
    return 0


def _cmd_embed_font(args) -> int:
    text = embed_font(args.svg.read_text(encoding="utf-8"), args.font)
    args.svg.write_text(text, encoding="utf-8")
    print(f"{args.svg}: {len(svg_hangul(text))} Hangul glyphs embedded")
    return 0


def _cmd_vendor_font(args) -> int:
    count = vendor_font(args.package, args.dest)
    print(f"{count} font files copied to {args.dest}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m booktools.i18n",
                                     description=__doc__.split("\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", default=DEFAULT_LANG, help="edition (default: %(default)s)")
    common.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name, run, help_text):
        p = sub.add_parser(name, help=help_text, parents=[common])
        p.set_defaults(run=run)
        return p

    p = command("status", _cmd_status, "missing, stale and left-over translations, per page")
    p.add_argument("pages", nargs="*")
    p.add_argument("-v", "--verbose", action="store_true", help="list pending pages' passages too")
    command("new", _cmd_new, "write or complete a page's translation file").add_argument("page")
    command("diff", _cmd_diff, "how the English of a page's stale passages changed"
            ).add_argument("page")
    p = command("accept", _cmd_accept, "mark updated translations of PAGE as current")
    p.add_argument("page")
    p.add_argument("keys", nargs="+", help="cell ids / block numbers / toc keys")
    p = command("renumber", _cmd_renumber, "re-key translations to their passages' current "
                "block numbers (matched by hash)")
    p.add_argument("pages", nargs="*")
    p = command("accept-figure", _cmd_accept_figure,
                "record the English source's hash in a translated SVG figure")
    p.add_argument("svg", type=Path)
    p = command("generate", _cmd_generate, "write the translated edition's source tree")
    p.add_argument("--out", type=Path, default=None)
    p = command("embed-font", _cmd_embed_font, "embed the Hangul glyphs an SVG figure shows")
    p.add_argument("svg", type=Path)
    p.add_argument("font", type=Path, help="a TTF/OTF/WOFF font with Hangul (not WOFF2)")
    p = command("vendor-font", _cmd_vendor_font, "copy a Fontsource package's WOFF2 slices")
    p.add_argument("package", type=Path)
    p.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
