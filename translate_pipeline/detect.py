"""Language detection for articles and their blocks, built on langdetect.

langdetect is stochastic: every detection samples n-grams with a ``random.Random`` seeded from
the factory's ``seed`` (``None`` = fresh entropy, so results vary run to run). We therefore own a
private ``DetectorFactory`` whose instance seed is 0. Each call creates a new ``Detector``, which
re-seeds its generator at the start of detection, so a result depends only on the text, not on
call order or on other code touching ``langdetect.DetectorFactory.seed``. Profiles are loaded in
sorted file order because the profile index order feeds float summation and tie-breaking, and
``os.listdir`` order differs between file systems.

Short blocks (headings, list items, captions) are where langdetect is least reliable: it reports
probability 1.0 for "Champions League: Bayern gegen Real" as English or "Analyse" as Tagalog.
Such a block keeps the article's language unless detection is confident, the block is not tiny,
and its function words (und/der/… vs. the/and/…) side with the detected language.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

from translate_pipeline.markup import patterns

__all__ = ["UNDETERMINED", "article_language", "block_language", "detect_language"]

UNDETERMINED = "und"  # ISO 639-2 code for "undetermined"

# Blocks with fewer letters than this count as short.
SHORT_BLOCK_LETTERS = 40
# A short block needs at least this many letters, this probability and function-word support
# to leave the article's language.
SHORT_MIN_LETTERS = 15
SHORT_MIN_PROB = 0.99
# A long block leaves the article's language only when detection is this sure.
LONG_MIN_PROB = 0.90

# Unambiguous function words (no "in", "an", "was", "will", "die", "am", "also", "so").
_FUNCTION_WORDS = {
    "de": frozenset(
        """
        und der den dem des das ein eine einen einem einer eines ist sind nicht mit für auf zu
        von sich auch es er sie wir ich ihr im zum zur vom bei nach aus über um wie wird werden
        gegen oder aber noch nur schon mehr dass wenn kein keine hier dort jetzt sein seine
        ihre habe haben hatte wurde wurden soll sollen kann können muss müssen durch unter
        zwischen diese dieser dieses sowie bereits
        """.split()
    ),
    "en": frozenset(
        """
        the and of to is are were be been being have has had would not for with this that these
        those it its on at by from we you they he she our your their my what which who how why
        there here can could should do does did than then very all about into out up if or but
        just because after before while
        """.split()
    ),
}

# German words that other languages do not use as words of their own (so not "der", "er":
# Danish; "es": Catalan; "die": Afrikaans; "war", "am", "man": English). Enough of them and
# no English function words make a text German without asking langdetect (`_clearly_german`);
# tests/test_detect.py holds them against 24 other languages.
_TELLING = frozenset(
    """
    ab aber auch auf aus bei bereits bis dabei damit das dass dem den denn des diese diesem
    dieser dieses doch dort durch ein eine einem einen einer eines für gegen habe haben hat
    hatte heute hier ich ihr ihre im ist jetzt kann kein keine können mehr mit muss müssen
    nach nicht noch nun nur oder schon sei sein seine seit sich sie sind soll sollen sowie um
    und uns unter vom von vor waren wenn werden wie wir wird wurde wurden zu zum zur zwischen
    über
    """.split()
)
_GERMAN_WORDS = _TELLING | _FUNCTION_WORDS["de"]
GERMAN_WORDS = _GERMAN_WORDS  # for quality: words that are evidence of German
# How much evidence `_clearly` wants: this many telling words (and as many different ones),
# and function words making up this share of all words.
CLEAR_MIN_TELLING = 2
CLEAR_MIN_SHARE = 0.15

_NOT_LANGUAGE = patterns.union(
    patterns.CODE_SPAN,
    patterns.AUTOLINK,
    patterns.EMAIL_AUTOLINK,
    patterns.URL,
    patterns.EMAIL,
    patterns.HTML_TAG,
)
_WORD = re.compile(r"[^\W\d_]+")


class _ProbabilityTable(dict):
    """langdetect's table of n-gram → probability per language, each row built when first
    asked for: building all 90,000 rows up front (``load_json_profile``) takes a quarter of
    a second, and a build reads a few thousand. Rows are computed exactly as langdetect's
    ``add_profile`` computes them (tests/test_detect.py compares the two)."""

    def __init__(self, profiles: list[dict]) -> None:
        super().__init__()
        self._profiles = [(profile["freq"], profile["n_words"]) for profile in profiles]
        self._known = frozenset().union(*(freq for freq, _ in self._profiles))

    def __contains__(self, ngram: object) -> bool:
        return ngram in self._known

    def __missing__(self, ngram: str) -> list[float]:
        if ngram not in self._known:
            raise KeyError(ngram)
        row = [0.0] * len(self._profiles)
        if 1 <= len(ngram) <= 3:
            for index, (freq, n_words) in enumerate(self._profiles):
                if ngram in freq:
                    row[index] = 1.0 * freq[ngram] / n_words[len(ngram) - 1]
        self[ngram] = row
        return row


@lru_cache(maxsize=1)
def _factory() -> DetectorFactory:
    """langdetect's 55 profiles, its table built lazily (`_ProbabilityTable`)."""
    factory = DetectorFactory()
    profiles = [json.loads(p.read_bytes()) for p in sorted(Path(PROFILES_DIRECTORY).iterdir())]
    factory.langlist = [profile["name"] for profile in profiles]
    factory.word_lang_prob_map = _ProbabilityTable(profiles)
    factory.set_seed(0)
    return factory


def _strip_markup(text: str) -> str:
    """Drop what is not language evidence: code, URLs, e-mail addresses, HTML tags.

    Besides removing misleading n-grams this keeps them out of the letter count that decides
    whether a block is short. Markdown punctuation needs no removal: langdetect ignores it.
    """
    text = patterns.INLINE_LINK.sub(r" \1 ", text)  # keep link and alt text, drop the target
    return _NOT_LANGUAGE.sub(" ", text)


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _detect_clean(text: str) -> tuple[str, float]:
    if not _letters(text):
        return UNDETERMINED, 0.0
    detector = _factory().create()
    detector.append(text)
    try:
        best = detector.get_probabilities()
    except LangDetectException:  # no usable n-grams, e.g. only all-caps acronyms
        return UNDETERMINED, 0.0
    if not best:
        return UNDETERMINED, 0.0
    return best[0].lang, best[0].prob


def detect_language(text: str) -> tuple[str, float]:
    """Most likely language of ``text`` and its probability; ``("und", 0.0)`` without letters."""
    return _detect_clean(_strip_markup(text))


def article_language(texts: list[str]) -> str:
    """Language of a whole article body, so that blocks can be judged against it."""
    clean = "\n".join(_strip_markup(t) for t in texts)
    if _clearly_german(_words(clean), max_english=0.2):
        return "de"
    lang, _ = _detect_clean(clean)
    return lang


def block_language(text: str, article_lang: str) -> str:
    """Language of one block, biased towards ``article_lang`` when the evidence is thin."""
    clean = _strip_markup(text)
    letters = _letters(clean)
    if letters < SHORT_MIN_LETTERS:
        return article_lang
    words = _words(clean)
    if letters < SHORT_BLOCK_LETTERS and not any(
        _function_word_support(words, lang, article_lang) for lang in _FUNCTION_WORDS
    ):
        return article_lang  # what the rules below would conclude whatever langdetect says
    if article_lang == "de" and _clearly_german(words, max_english=0.0):
        return article_lang
    lang, prob = _detect_clean(clean)
    if lang in (article_lang, UNDETERMINED):
        return article_lang
    if letters >= SHORT_BLOCK_LETTERS:
        return lang if prob >= LONG_MIN_PROB else article_lang
    if prob < SHORT_MIN_PROB:
        return article_lang
    return lang if _function_word_support(words, lang, article_lang) else article_lang


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _function_word_support(words: list[str], lang: str, article_lang: str) -> bool:
    """True if ``words`` has more function words of ``lang`` than of ``article_lang``."""
    own = _FUNCTION_WORDS.get(lang, frozenset())
    other = _FUNCTION_WORDS.get(article_lang, frozenset())
    return sum(w in own for w in words) > sum(w in other for w in words)


def _clearly_german(words: list[str], max_english: float) -> bool:
    """German beyond doubt, so langdetect (about a millisecond a block, half a second to
    load) is not asked: several telling German function words, function words making up a
    German share of the text, and English function words at most ``max_english`` times as
    many as German ones. Checked against langdetect in tests/test_detect.py."""
    telling = [w for w in words if w in _TELLING]
    german = sum(w in _GERMAN_WORDS for w in words)
    english = sum(w in _FUNCTION_WORDS["en"] for w in words)
    return (
        len(telling) >= CLEAR_MIN_TELLING
        and len(set(telling)) >= CLEAR_MIN_TELLING
        and german >= CLEAR_MIN_SHARE * len(words)
        and english <= max_english * german
    )
