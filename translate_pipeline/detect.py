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

import re
from functools import lru_cache
from pathlib import Path

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

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

_CODE = re.compile(r"`+[^`]*`+")
_URL = re.compile(r"\b(?:https?://|ftp://|www\.)\S+|<[a-z][a-z0-9+.-]*:[^>\s]*>", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^)]*\)")  # keep link text / alt text, drop the target
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def _factory() -> DetectorFactory:
    """Load the 55 language profiles once; this takes about half a second."""
    factory = DetectorFactory()
    profiles = sorted(Path(PROFILES_DIRECTORY).iterdir())
    factory.load_json_profile([p.read_text(encoding="utf-8") for p in profiles])
    factory.set_seed(0)
    return factory


def _strip_markup(text: str) -> str:
    """Drop what is not language evidence: code, URLs, e-mail addresses, HTML tags.

    Besides removing misleading n-grams this keeps them out of the letter count that decides
    whether a block is short. Markdown punctuation needs no removal: langdetect ignores it.
    """
    text = _CODE.sub(" ", text)
    text = _LINK.sub(r" \1 ", text)
    text = _URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)
    return _HTML_TAG.sub(" ", text)


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
    lang, _ = _detect_clean("\n".join(_strip_markup(t) for t in texts))
    return lang


def block_language(text: str, article_lang: str) -> str:
    """Language of one block, biased towards ``article_lang`` when the evidence is thin."""
    clean = _strip_markup(text)
    letters = _letters(clean)
    if not letters:
        return article_lang
    lang, prob = _detect_clean(clean)
    if lang in (article_lang, UNDETERMINED):
        return article_lang
    if letters >= SHORT_BLOCK_LETTERS:
        return lang if prob >= LONG_MIN_PROB else article_lang
    if letters < SHORT_MIN_LETTERS or prob < SHORT_MIN_PROB:
        return article_lang
    return lang if _function_word_support(clean, lang, article_lang) else article_lang


def _function_word_support(text: str, lang: str, article_lang: str) -> bool:
    """True if ``text`` has more function words of ``lang`` than of ``article_lang``."""
    words = [w.lower() for w in _WORD.findall(text)]
    own = _FUNCTION_WORDS.get(lang, frozenset())
    other = _FUNCTION_WORDS.get(article_lang, frozenset())
    return sum(w in own for w in words) > sum(w in other for w in words)
