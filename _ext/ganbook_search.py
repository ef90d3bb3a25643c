"""Korean full-text search for the book's Korean edition (registered by ``ganbook_html``).

Korean attaches particles to words (생성자는, 생성자를, 기울기의), and Sphinx indexes every
word as written, so a search for 생성자 missed pages that only say 생성자는. ``SearchKorean``
reduces a Hangul word to its stem by stripping trailing particles, the same way in Python
(when the index is built) and in JavaScript (when a reader searches; ``JS_STEMMER``), so a
word is found with or without its particle. Stripping repeats until no particle is left
(결과를 → 결과 → 결), on both sides, so that a noun ending in a particle-like syllable (결과,
가능도) still meets its own inflected forms. Words without Hangul go through Sphinx's English
stemmer (Porter), as in the English edition. The index is a plain ``searchindex.js``, so the
search works from ``file://`` too.
"""

from __future__ import annotations

import json
import re

from sphinx.search.en import SearchEnglish

# Longest first. Case and other particles, the copula and a few common endings after nouns.
PARTICLES = sorted({
    "은", "는", "이", "가", "을", "를", "의", "에", "로", "와", "과", "도", "만", "랑",
    "으로", "에서", "에게", "까지", "부터", "보다", "처럼", "마다", "만큼", "이나", "이며",
    "이고", "이다", "이라", "라는", "라고", "로서", "로써", "에는", "에도", "에서는", "에서도",
    "으로는", "으로도", "으로서", "으로써", "와의", "과의", "와는", "과는", "에의", "이란",
    "란", "이든", "든", "이자", "조차", "뿐", "께", "한테", "이에요", "입니다", "인", "일",
    "에서의", "로의", "으로의", "까지의", "부터의", "이라는", "이라고", "이므로", "이지만",
}, key=lambda p: (-len(p), p))
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def strip_particles(word: str) -> str:
    """``word`` without its trailing particles; at least one character is kept."""
    if not isinstance(word, str):
        raise TypeError(f"word must be a string, not {type(word).__name__}")
    changed = True
    while changed:
        changed = False
        for particle in PARTICLES:
            if word.endswith(particle) and len(word) > len(particle):
                word = word[: -len(particle)]
                changed = True
                break
    return word


JS_STEMMER = """
var GanbookEnglishStemmer = Stemmer;
var GanbookParticles = %(particles)s;
Stemmer = function () {
  var english = new GanbookEnglishStemmer();
  var hangul = /[\\uac00-\\ud7a3]/;
  this.stemWord = function (word) {
    if (!hangul.test(word)) { return english.stemWord(word); }
    var changed = true;
    while (changed) {
      changed = false;
      for (var i = 0; i < GanbookParticles.length; i++) {
        var p = GanbookParticles[i];
        var n = word.length - p.length;
        if (n > 0 && word.slice(n) === p) {
          word = word.slice(0, n);
          changed = true;
          break;
        }
      }
    }
    return hangul.test(word) ? word : english.stemWord(word);
  };
};
""" % {"particles": json.dumps(PARTICLES, ensure_ascii=False)}


class SearchKorean(SearchEnglish):
    """Sphinx's English search with Hangul particles stripped from every word."""

    lang = "ko"
    language_name = "Korean"
    js_stemmer_code = SearchEnglish.js_stemmer_code + JS_STEMMER

    def stem(self, word: str) -> str:
        word = word.lower()
        if HANGUL.search(word):
            word = strip_particles(word)
            if HANGUL.search(word):
                return word
        return super().stem(word)
