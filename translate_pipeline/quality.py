"""Review signals: which machine-translated units an editor should look at first, and why.

Neural MT fails in a few typical ways: it drops a number or a negation, leaves a sentence in
German, loops on a phrase, stops before the end of a long sentence, or loses a name. This
module looks for those failures cheaply (no second model), per *unit* (a paragraph, heading,
list item, table cell, title…), in two stages:

1. :func:`features` reads one unit: its German and English *prose* (plain words, the caller
   strips Markdown, e.g. with ``translate.prose``), plus optionally the model's per-sentence
   length-normalised log-probabilities. Everything that needs only the unit is computed here.
2. :func:`thresholds` looks at the features of the whole build: the lowest-scoring share of
   sentences and the usual English/German length ratio are properties of the build (its
   model, its texts), not constants. Small builds fall back to fixed bounds.

:func:`signals` combines both into :class:`Signal` objects and :func:`risk` ranks units.
All knobs live in :class:`ReviewConfig`. Everything is deterministic, pure (strings and
numbers in, dataclasses out) and linear in the length of the text.

Signals (``Signal.name``) and their rules, severity 3 = high, 1 = low:

``untranslated`` (3, 2)
    The English is (nearly) the German: character-trigram similarity ≥ ``copy_similarity``
    after numbers and identical capitalised words (names) are removed, or
    ``detect.block_language`` calls the English German (3); one sentence of a longer unit
    still German (2); a sentence with two English-only function words (``the``, ``of``) and
    no German one is English without asking. Units with fewer than
    ``untranslated_min_letters`` letters left are not judged (a name or a number alone is
    legitimately identical), unless at least two German function words (``in``, ``dem``)
    were copied too: then the whole text is compared.
``numbers`` (3)
    Every number of the German must appear in the English, compared by value: ``1,5
    Millionen`` = ``1.5 million``; ``30.000`` = ``30,000`` = ``30 000``; ``2,5 %`` = ``2.5
    per cent``; ``5. Juli`` = ``July 5th``; ``dritte`` = ``third``; ``zwei`` = ``two`` = ``2``;
    ``Mrd.`` = ``billion``; ``15 Uhr`` = ``3 p.m.`` = ``15:00``; ranges are two numbers.
    Presence is checked per distinct value, not per occurrence. The reason names the German
    form, and an English number that has no German counterpart when there is one
    ("changed").
``names`` (2, 1)
    Capitalised words the model should copy. German capitalises every noun, so only these
    count: acronyms (``NATO``; a few German acronyms with English equivalents are mapped,
    ``KI`` = ``AI``), words with inner capitals or digits (``YouTube``), and runs of two or
    more capitalised words that do not start with a function word or an adjective-looking
    word (``Mark Rutte``): severity 2, or 1 after an article (``dem Kanzler Scholz``: the first
    word is usually a noun). A single capitalised word that is not preceded by an
    article/determiner (``der Krieg``), is no function word and does not end like a German
    common noun or plural (``-ung``, ``-heit``, ``-en``, ``-er``…) is only a weak candidate
    (``Tom``, ``Boston``, but also ``Geld``): severity 1. Country, city, month and weekday
    names with an English form of their own are looked up (``Frankreich`` = ``France``). A
    name counts as
    present when it, its form without genitive ``-s`` (``Ruttes`` ↔ ``Rutte's``), or a close
    spelling (``Tokio`` ↔ ``Tokyo``, ``Ōsaka`` ↔ ``Osaka``, similarity ≥ ``name_similarity``)
    is in the English. A run is reported only when none of its words is found (``Tom Sinn``
    is a name followed by a noun). Glossary terms passed as ``exempt`` are skipped.
``repetition`` (3)
    A phrase of 2…``repetition_max_n`` words repeated back to back in the English (``the
    government the government``), a single word three times in a row, or a phrase of 2–4
    words with a content word occurring ``repetition_min_count`` or more times while the
    German repeats nothing that often.
``length`` (2)
    The English/German character ratio lies outside this build's range: median ± ``length_k``
    × MAD of the log ratios (MAD scaled to a standard deviation, at least
    ``length_min_spread``); builds with fewer than ``length_min_units`` judged units use
    ``fallback_length_ratio``. Units with fewer than ``length_min_chars`` German characters
    are not judged.
``truncation`` (2, 1)
    The English ends early: the German ends with sentence punctuation and the English with a
    word or comma (2); the German's quotations are balanced and the English's are not (2);
    the English has fewer sentences than the German and is below the length range (2); the
    German asks more questions (``?``) than the English (1).
``negation`` (3, 1)
    German negations (``nicht``, ``kein*``, ``nie``, ``niemals``, ``nichts``, ``niemand*``,
    ``nirgends``, ``nimmer``, ``ohne``, ``weder``; not ``nicht nur`` or ``nicht wahr``) with no
    negation at all in the English (3), or more German negations than English ones (1),
    where German ``un…`` adjectives (``unfehlbar``) count with the explicit ones.
    English negations: ``not``, ``n't``, ``cannot``, ``no``, ``never``, ``nothing``,
    ``nobody``, ``none``, ``nowhere``, ``neither``, ``nor``, ``without``, ``unless``, and
    negative affixes: ``un…`` words (bar ``under``, ``until``, ``unit``…), ``in/im/ir/il…``
    + ``-able``/``-ible`` and a short list (``impossible``, ``incorrect``, ``illegal``…),
    ``non…``, ``-less``; ``dislike`` and a few ``dis…`` words. Affixes count because the
    German ``nicht wiederzuerkennen`` is correctly ``unrecognisable``.
``confidence`` (2, 1)
    A sentence whose score is among the build's lowest ``confidence_percentile`` per cent (1);
    one that is also an outlier of the build's scores (below the median − ``confidence_k`` ×
    MAD, the spread at least ``confidence_min_spread``) or below ``confidence_floor`` (2); a
    margin to the second-best hypothesis below ``min_margin`` (1). Builds with fewer than
    ``confidence_min_scores`` scores use ``confidence_floor`` alone.
``glossary`` (3), ``markup`` (1)
    Problems the pipeline already reports as strings (``Result.problems``): ``glossary
    target … missing`` and everything else (placeholders, markers) respectively.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher

from translate_pipeline.detect import GERMAN_WORDS, block_language
from translate_pipeline.segment import split_sentences

__all__ = [
    "SIGNAL_NAMES",
    "bounds",
    "length_ratio",
    "Features",
    "Mention",
    "ReviewConfig",
    "Signal",
    "Thresholds",
    "english_numbers",
    "features",
    "german_numbers",
    "queued",
    "review",
    "risk",
    "signals",
    "thresholds",
]

HIGH, MEDIUM, LOW = 3, 2, 1

SIGNAL_NAMES = (
    "confidence",
    "untranslated",
    "numbers",
    "names",
    "repetition",
    "length",
    "truncation",
    "negation",
    "glossary",
    "markup",
)


@dataclass(frozen=True)
class Signal:
    """One reason to review a unit. ``german``/``english`` are exact substrings of the unit's
    prose to highlight ('' when there is none)."""

    name: str
    severity: int
    reason: str
    german: str = ""
    english: str = ""


@dataclass(frozen=True)
class ReviewConfig:
    """Every knob of the review signals, with the defaults the evaluation set was run with."""

    # confidence: share of the build's sentences flagged, and absolute bounds
    confidence_percentile: float = 5.0
    confidence_floor: float = -1.0  # length-normalised log-probability
    confidence_min_scores: int = 20  # fewer scores: only confidence_floor applies
    confidence_k: float = 4.0  # outliers: below median - k * MAD of the build's scores
    confidence_min_spread: float = 0.05
    min_margin: float = 0.05  # best minus second-best hypothesis score
    # untranslated
    copy_similarity: float = 0.8  # character-trigram Dice coefficient
    untranslated_min_letters: int = 15
    sentence_min_letters: int = 40  # a single English sentence judged German needs this many
    # names
    name_similarity: float = 0.75
    # repetition
    repetition_max_n: int = 6
    repetition_min_count: int = 3
    # the review queue: units with a signal of at least this severity
    queue_severity: int = 2
    # length
    length_k: float = 4.0
    length_min_spread: float = 0.12  # natural-log units (≈ ±13 %)
    length_min_units: int = 20
    length_min_chars: int = 20
    fallback_length_ratio: tuple[float, float] = (0.5, 2.0)


DEFAULT_CONFIG = ReviewConfig()


# --------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """A number in a text: its value, or an (hour, minute) time, and where it is."""

    text: str
    start: int
    end: int
    value: float | None = None
    time: tuple[int, int] | None = None


_DE_UNITS = {
    "null": 0,
    "eins": 1,
    "ein": 1,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "fünf": 5,
    "sechs": 6,
    "sieben": 7,
    "acht": 8,
    "neun": 9,
    "zehn": 10,
    "elf": 11,
    "zwölf": 12,
    "dreizehn": 13,
    "vierzehn": 14,
    "fünfzehn": 15,
    "sechzehn": 16,
    "siebzehn": 17,
    "achtzehn": 18,
    "neunzehn": 19,
}
_DE_TENS = {
    "zwanzig": 20,
    "dreißig": 30,
    "vierzig": 40,
    "fünfzig": 50,
    "sechzig": 60,
    "siebzig": 70,
    "achtzig": 80,
    "neunzig": 90,
}
_DE_ORDINAL_STEMS = {
    "erst": 1,
    "zweit": 2,
    "dritt": 3,
    "viert": 4,
    "fünft": 5,
    "sechst": 6,
    "siebt": 7,
    "siebent": 7,
    "acht": 8,
    "neunt": 9,
    "zehnt": 10,
    "elft": 11,
    "zwölft": 12,
}
_DE_SCALES = {
    "tausend": 1e3,
    "tsd": 1e3,
    "million": 1e6,
    "millionen": 1e6,
    "mio": 1e6,
    "milliarde": 1e9,
    "milliarden": 1e9,
    "mrd": 1e9,
    "billion": 1e12,
    "billionen": 1e12,
}
# Words before which a German ordinal word stands ("der dritte Band", "zum ersten Mal").
_DE_ORDINAL_CONTEXT = frozenset(
    """
    der die das den dem des am im zum zur vom beim ins ein eine einer einem einen eines sein
    seine seinem seinen seiner seines ihr ihre ihrem ihren ihrer ihres unser unsere unserem
    unseren unserer dessen deren jede jeder jedes jedem jeden diese dieser dieses diesem
    diesen jener jene jenes als mein meine meinem meinen meiner dein deine
    """.split()
)
_DE_ARTICLE_ONE = frozenset("ein eine einer einen einem".split())

_EN_SMALL = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_EN_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_EN_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
    "fortieth": 40,
    "fiftieth": 50,
    "sixtieth": 60,
    "seventieth": 70,
    "eightieth": 80,
    "ninetieth": 90,
    "hundredth": 100,
    "thousandth": 1000,
}
_EN_DECADES = {
    "twenties": 20,
    "thirties": 30,
    "forties": 40,
    "fifties": 50,
    "sixties": 60,
    "seventies": 70,
    "eighties": 80,
    "nineties": 90,
}
_EN_SCALES = {
    "hundred": 100,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
}
_EN_SHORT_SCALES = {"k": 1e3, "m": 1e6, "bn": 1e9}

_SPACE = "[ \u00a0\u202f]"
_DE_TIME = re.compile(r"(?<![\w.,])(\d{1,2})(?:[.:](\d{2}))?" + _SPACE + r"?Uhr\b")
_DE_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:\.\d{3})+(?![\d])|\d{1,3}(?:" + _SPACE + r"\d{3})+(?![\d.,])|\d+)"
    r"(?:,(\d+))?"
    r"(?:" + _SPACE + r"?(Tausend|Tsd\.|Millionen|Million|Mio\.|Milliarden|Milliarde|Mrd\.|"
    r"Billionen|Billion)(?!\w))?"
)
_EN_TIME = re.compile(
    r"(?<![\w.,])(\d{1,2})(?::(\d{2}))?" + _SPACE + r"?(a\.m\.|p\.m\.|am\b|pm\b|o['’]clock)"
    r"|(?<![\w.,:])(\d{1,2}):(\d{2})(?!\d)",
    re.IGNORECASE,
)
_EN_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+(?![\d])|\d{1,3}(?:" + _SPACE + r"\d{3})+(?![\d.,])|\d+)"
    r"(?:\.(\d+))?"
    r"(?:(st|nd|rd|th)\b|(s)\b)?"
    r"(?:(?:" + _SPACE + r"?|-)(thousand|million|billion|trillion)\b|(k|m|bn)\b)?",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _untaken(
    matches: Iterator[re.Match[str]], taken: list[tuple[int, int]]
) -> Iterator[re.Match[str]]:
    """Matches that do not start inside a span already read (a time, say)."""
    return (m for m in matches if not any(s <= m.start() < e for s, e in taken))


def _number(m: re.Match[str], scale: float) -> Mention:
    """A number written with digits: group 1 the whole part, group 2 the fraction."""
    value: float = _plain_int(m.group(1))
    if m.group(2):
        value = float(f"{value}.{m.group(2)}")
    return Mention(m.group(0), m.start(), m.end(), value=value * scale)


def _plain_int(digits: str) -> int:
    return int(re.sub(r"[.,\s\u00a0\u202f]", "", digits))


def _de_word_value(word: str, top: bool = True) -> int | None:
    """Value of a German number word ("dreihundert", "einundzwanzig"); None otherwise."""
    if word in _DE_UNITS:
        return None if top and word == "ein" else _DE_UNITS[word]
    if word in _DE_TENS:
        return _DE_TENS[word]
    for scale, factor in (("tausend", 1000), ("hundert", 100)):
        if scale in word:
            left, _, right = word.partition(scale)
            left_value = _de_word_value(left, top=False) if left else 1
            right_value = _de_word_value(right, top=False) if right else 0
            if left_value is None or right_value is None or left_value >= factor:
                return None
            if left_value == 0:
                return None
            return left_value * factor + right_value
    if "und" in word:
        unit, _, tens = word.partition("und")
        if unit in _DE_UNITS and 1 <= _DE_UNITS[unit] <= 9 and tens in _DE_TENS:
            return _DE_UNITS[unit] + _DE_TENS[tens]
    return None


def _de_ordinal_value(word: str) -> int | None:
    """Value of an inflected German ordinal word ("dritte", "zwanzigsten"); None otherwise."""
    match = re.fullmatch(r"(.+?)(e|en|er|es|em)", word)
    if not match:
        return None
    stem = match.group(1)
    if stem in _DE_ORDINAL_STEMS:
        return _DE_ORDINAL_STEMS[stem]
    if stem.endswith("zehnt") and stem[:-1] in _DE_UNITS:
        return _DE_UNITS[stem[:-1]]
    if stem.endswith("st"):
        value = _de_word_value(stem[:-2])
        if value is not None and value >= 20:
            return value
    return None


def german_numbers(text: str) -> list[Mention]:
    """The numbers of a German text, by value (see the module docstring for the formats)."""
    mentions: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for m in _DE_TIME.finditer(text):
        mentions.append(
            Mention(m.group(0), m.start(), m.end(), time=(int(m.group(1)), int(m.group(2) or 0)))
        )
        taken.append(m.span())
    for m in _untaken(_DE_NUMBER.finditer(text), taken):
        factor = _DE_SCALES[m.group(3).rstrip(".").lower()] if m.group(3) else 1
        mentions.append(_number(m, factor))
    words = list(_WORD.finditer(text))
    for k, m in enumerate(words):
        word = m.group(0).lower()
        prev = words[k - 1].group(0).lower() if k else ""
        nxt = words[k + 1] if k + 1 < len(words) else None
        scale = _DE_SCALES.get(nxt.group(0).lower()) if nxt else None
        if scale and nxt and text[m.end() : nxt.start()].strip(" .\u00a0") == "":
            if word in _DE_ARTICLE_ONE:
                mentions.append(
                    Mention(text[m.start() : nxt.end()], m.start(), nxt.end(), 1 * scale)
                )
                continue
        number: float | None = _de_word_value(word)
        if number is None and word == "dutzend":
            number = 12
        if number is None and prev in _DE_ORDINAL_CONTEXT:
            number = _de_ordinal_value(word)
        if number is None:
            continue
        end = m.end()
        if scale and nxt and text[m.end() : nxt.start()].strip(" .\u00a0") == "":
            number *= scale
            end = nxt.end()
        mentions.append(Mention(text[m.start() : end], m.start(), end, value=float(number)))
    return sorted(mentions, key=lambda x: x.start)


def _en_word_runs(text: str) -> list[Mention]:
    """Numbers written as English words: "three hundred", "fifty-four", "a dozen", "third"."""
    tokens = [(m.group(0).lower(), m.start(), m.end()) for m in re.finditer(r"[A-Za-z]+", text)]
    mentions: list[Mention] = []
    k = 0
    while k < len(tokens):
        word, start, _ = tokens[k]
        if word in _EN_DECADES:
            mentions.append(Mention(tokens[k][0], start, tokens[k][2], _EN_DECADES[word]))
            k += 1
            continue
        is_article = (
            word in ("a", "an")
            and k + 1 < len(tokens)
            and (tokens[k + 1][0] in _EN_SCALES or tokens[k + 1][0] == "dozen")
        )
        if not (is_article or word in _EN_SMALL or word in _EN_TENS or word in _EN_ORDINALS):
            k += 1
            continue
        total, current, end, j, seen = 0.0, 0.0, tokens[k][2], k, False
        while j < len(tokens):
            word, w_start, w_end = tokens[j]
            gap = text[end:w_start] if j > k else ""
            if j > k and gap.strip(" -") and not (gap.strip() == "," and seen and total):
                break
            if word in ("a", "an") and j == k:
                current = 1
            elif word in _EN_SMALL or word in _EN_TENS:
                current += _EN_SMALL.get(word, 0) + _EN_TENS.get(word, 0)
            elif word in _EN_ORDINALS:
                current += _EN_ORDINALS[word]
                seen, end, j = True, w_end, j + 1
                break
            elif word == "dozen" and (seen or current):
                current = max(current, 1) * 12
            elif word in _EN_SCALES and (seen or current):
                if word == "hundred":
                    current = max(current, 1) * 100
                else:
                    total += max(current, 1) * _EN_SCALES[word]
                    current = 0
            elif (
                word == "and"
                and seen
                and j + 1 < len(tokens)
                and (tokens[j + 1][0] in _EN_SMALL or tokens[j + 1][0] in _EN_TENS)
            ):
                pass
            else:
                break
            seen, end, j = True, w_end, j + 1
        if seen:
            mentions.append(Mention(text[start:end], start, end, total + current))
        k = max(j, k + 1)
    return mentions


def english_numbers(text: str) -> list[Mention]:
    """The numbers of an English text, by value: digits (``30,000``, ``1.5``, ``5th``,
    ``90s``), with scale words (``1.5 million``, ``$7.1m``), number words (``fifty-four``,
    ``a hundred``, ``third``, ``nineties``) and times (``3 p.m.``, ``15:00``)."""
    mentions: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for m in _EN_TIME.finditer(text):
        if m.group(1):
            hour, minute = int(m.group(1)), int(m.group(2) or 0)
            if m.group(3).lower().startswith("p") and hour < 12:
                hour += 12
        else:
            hour, minute = int(m.group(4)), int(m.group(5))
        mentions.append(Mention(m.group(0), m.start(), m.end(), time=(hour, minute)))
        taken.append(m.span())
    for m in _untaken(_EN_NUMBER.finditer(text), taken):
        if m.group(5):
            factor = _EN_SCALES[m.group(5).lower()]
        else:
            factor = _EN_SHORT_SCALES[m.group(6).lower()] if m.group(6) else 1
        number = _number(m, factor)
        mentions.append(number)
        if m.group(4) and len(m.group(1)) == 4:  # "1990s" also stands for "the 90s"
            mentions.append(replace(number, value=_plain_int(m.group(1)) % 100))
    mentions.extend(_en_word_runs(text))
    return sorted(mentions, key=lambda x: x.start)


def _key(value: float) -> float:
    return round(value, 6)


def _missing_numbers(german: str, english: str) -> list[tuple[Mention, Mention | None]]:
    """German numbers with no English number of the same value, each with an English number
    that matches no German one (the likely replacement), if any. Values are compared through
    sets, so the cost stays linear in the number of numbers."""
    de = german_numbers(german)
    en = english_numbers(english)
    en_values = {_key(e.value) for e in en if e.value is not None}
    en_times = {(h % 12, m) for e in en if e.time is not None for h, m in [e.time]}
    en_hours = {_key(e.time[0] % 100) for e in en if e.time is not None}

    def found(g: Mention) -> bool:
        if g.time is not None:
            hour, minute = g.time
            return (
                (hour % 12, minute) in en_times
                or minute == 0
                and bool({_key(hour), _key(hour % 12)} & en_values)
            )
        return _key(g.value or 0.0) in en_values or _key(g.value or 0.0) in en_hours

    missing = [g for g in de if not found(g)]
    if not missing:
        return []
    de_values = {_key(g.value) for g in de if g.value is not None}
    de_times = {(h % 12, m) for g in de if g.time is not None for h, m in [g.time]}
    de_hours = {_key(h) for g in de if g.time is not None for h, m in [g.time] if m == 0}
    de_hours |= {_key(h % 12) for g in de if g.time is not None for h, m in [g.time] if m == 0}

    def explained(e: Mention) -> bool:
        if e.time is not None:
            return (e.time[0] % 12, e.time[1]) in de_times or _key(e.time[0] % 100) in de_values
        return _key(e.value or 0.0) in de_values or _key(e.value or 0.0) in de_hours

    spare = [e for e in en if not explained(e)]
    seen: set[object] = set()
    out = []
    for g in missing:
        key = g.time if g.time is not None else _key(g.value or 0.0)
        if key in seen:
            continue
        seen.add(key)
        out.append((g, spare.pop(0) if spare else None))
    return out


# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------

# German words that are capitalised at a sentence start or as a title but are no names.
_DE_FUNCTION = frozenset(
    """
    der die das den dem des ein eine einen einem einer eines kein keine keinen keinem keiner
    keines und oder aber doch denn sondern auch nur noch schon sehr ganz gar so wie als ob
    wenn weil da dass damit obwohl nachdem bevor sobald falls während seit bis um zu zum zur
    im in am an auf aus bei mit nach von vom vor über unter durch für gegen ohne wegen trotz
    ich du er sie es wir ihr man mich dich sich uns euch ihm ihn ihnen mir dir wer was wo wann
    warum weshalb wieso woher wohin welche welcher welches welchen welchem dies diese dieser
    dieses diesen diesem jene jener jenes jenen alle alles allem allen aller jede jeder jedes
    jeden jedem viele vieles vielen einige einigen manche mancher beide beides mein meine
    meinen meinem meiner dein deine deinen deinem deiner sein seine seinen seinem seiner ihre
    ihren ihrem ihrer unser unsere unseren unserem unserer euer eure euren eurem eurer nicht
    nichts nie niemals niemand niemanden niemandem ja nein hier dort jetzt nun dann danach
    daher darum deshalb deswegen dabei dazu darauf darüber dafür dagegen heute gestern morgen
    bereits zudem außerdem ebenso trotzdem dennoch allerdings jedoch zwar somit also vielmehr
    immerhin inzwischen mittlerweile bisher bislang zuletzt zuvor später anschließend seitdem
    schließlich erst zunächst zuerst insgesamt damals laut offenbar tatsächlich vermutlich
    wahrscheinlich natürlich eigentlich gleichzeitig ferner weiterhin ebenfalls besonders
    gerade demnach ansonsten sonst stattdessen letztlich kürzlich wieder erneut hinzu ist sind
    bin bist seid war waren warst wart wäre wären wärest hat habe haben hast habt hatte hatten
    hattest hätte hätten wird werden wirst werdet wurde wurden würde würden kann können kannst
    konnte konnten könnte könnten muss müssen musst musste mussten müsste soll sollen sollst
    sollte sollten will wollen willst wollte wollten darf dürfen durfte dürfte mag mögen möchte
    möchten gibt gab geht ging kommt kam sagt sagte bitte danke ach oh na nimm gib lass hör
    sieh schau komm geh warte wartet warten mach sei seien herr frau herrn liebe lieber
    sehr geehrte geehrter tausend tsd mio million millionen mrd milliarde milliarden billion
    billionen prozent uhr hause weise ende seite hilfe ruhe ab allein weißt träum nimm’s
    nimm's stimmt gut gute
    """.split()
)
# Words after which a capitalised word is a common noun ("der Krieg", "im Jahr").
_DE_DETERMINERS = frozenset(
    """
    der die das den dem des ein eine einen einem einer eines kein keine keinen keinem keiner
    keines im am zum zur vom beim ins ans aufs durchs fürs übers unters dies diese dieser
    dieses diesen diesem jene jener jenes jenen jede jeder jedes jeden jedem alle allen aller
    viele vielen einige einigen manche manchen mein meine meinen meinem meiner meines dein
    deine deinen deinem deiner sein seine seinen seinem seiner seines ihr ihre ihren ihrem
    ihrer ihres unser unsere unseren unserem unserer euer eure euren eurem eurer welche
    welcher welches welchen welchem solche solcher solches solchen dessen deren etwas viel
    wenig mehr weniger beiden zwei drei vier fünf sechs sieben acht neun zehn zwölf
    """.split()
)
_NAME_PARTICLES = frozenset("von van de da di del du dos al bin ibn le la ter ten".split())
_ADJECTIVE = re.compile(
    r".*(?:isch|ig|lich|isch|ern|al|är|iv|ell|bar|sam|haft)(?:e|en|er|es|em)$|.*(?:t|z)en$"
)
# German acronyms and words with an English form of their own.
_KNOWN_EQUIVALENTS = {
    "KI": ("AI",),
    "EZB": ("ECB",),
    "DNS": ("DNA",),
    "UNO": ("UN", "U.N.", "United Nations"),
    "DDR": ("GDR", "East Germany"),
    "BRD": ("FRG", "West Germany", "Germany"),
    "IWF": ("IMF",),
    "OSZE": ("OSCE",),
    "GUS": ("CIS",),
    "USA": ("US", "U.S.", "USA", "United States", "America"),
    "US": ("US", "U.S.", "USA", "United States", "America"),
    "USD": ("$", "dollar", "USD"),
    "EUR": ("€", "euro", "EUR"),
    "Januar": ("January",),
    "Februar": ("February",),
    "März": ("March",),
    "April": ("April",),
    "Mai": ("May",),
    "Juni": ("June",),
    "Juli": ("July",),
    "August": ("August",),
    "September": ("September",),
    "Oktober": ("October",),
    "November": ("November",),
    "Dezember": ("December",),
    "Montag": ("Monday",),
    "Dienstag": ("Tuesday",),
    "Mittwoch": ("Wednesday",),
    "Donnerstag": ("Thursday",),
    "Freitag": ("Friday",),
    "Samstag": ("Saturday",),
    "Sonnabend": ("Saturday",),
    "Sonntag": ("Sunday",),
    "Deutschland": ("Germany",),
    "Frankreich": ("France",),
    "Griechenland": ("Greece",),
    "Österreich": ("Austria",),
    "Schweiz": ("Switzerland",),
    "Russland": ("Russia",),
    "Italien": ("Italy",),
    "Spanien": ("Spain",),
    "Polen": ("Poland",),
    "Türkei": ("Turkey", "Türkiye"),
    "Großbritannien": ("Britain", "United Kingdom", "UK"),
    "Niederlande": ("Netherlands",),
    "Belgien": ("Belgium",),
    "Schweden": ("Sweden",),
    "Norwegen": ("Norway",),
    "Dänemark": ("Denmark",),
    "Ägypten": ("Egypt",),
    "Europa": ("Europe",),
    "Amerika": ("America", "United States", "US", "U.S."),
    "Asien": ("Asia",),
    "Indien": ("India",),
    "Kiew": ("Kyiv", "Kiev"),
    "Moskau": ("Moscow",),
    "Wien": ("Vienna",),
    "München": ("Munich",),
    "Köln": ("Cologne",),
    "Brüssel": ("Brussels",),
    "Warschau": ("Warsaw",),
    "Prag": ("Prague",),
    "Peking": ("Beijing",),
    "Gott": ("God",),
    "Dollar": ("dollar", "$"),
    "Euro": ("euro", "€"),
}
# Endings of German common nouns (and plural or dative forms), which single capitalised words
# must not have to count as weak name candidates; "-ien" stays (Algerien, Australien).
_NOUN_SHAPE = re.compile(
    r".*(?:ung|ungen|heit|heiten|keit|keiten|schaft|schaften|tion|tionen|tät|täten|nis|nisse|"
    r"tum|ismus|ment|chen|lein|ling|linge|ur|ei|enz|anz|[^i]en|er|ern|innen)$"
)
# Words capitalised only because they open a sentence: adverbs and adjectives.
_OPENER_SHAPE = re.compile(r".*(?:weise|lich|ig|isch|lings|mals|wärts)$")
_TOKEN = re.compile(r"[^\W_][\w'’]*(?:-[^\W_][\w'’]*)*\.?")
_ACRONYM = re.compile(r"[A-ZÄÖÜ]{2,}\d*|[A-ZÄÖÜ]+\d+[A-Z]*")
_INNER_CAPITAL = re.compile(r"[^\W\d_]*[a-zäöüß][A-ZÄÖÜ]\w*|[a-z]+[A-Z]\w*|\w*[^\W\d_]\d\w*")
_SENTENCE_END = re.compile(r"[.!?…:;][\"'“”‘’»«)\]]*\s*$")


@functools.lru_cache(maxsize=8192)
def _fold(text: str) -> str:
    """Case- and accent-insensitive form: "Ōsaka" → "osaka"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


_DE_FUNCTION_FOLDED = frozenset(_fold(w) for w in _DE_FUNCTION)


def cache_clear() -> None:
    """Forget the memoized folds (benchmarks time cold runs)."""
    _fold.cache_clear()


def _is_function(word: str) -> bool:
    return word.lower() in _DE_FUNCTION or _fold(word) in _DE_FUNCTION_FOLDED


def _is_capitalised(token: str) -> bool:
    return token[:1].isupper()


def _name_candidates(
    german: str, exempt: Iterable[str]
) -> list[tuple[str, int, tuple[str, ...], frozenset[int]]]:
    """(surface, severity, words, token indices) for the German name candidates; see the
    module docstring."""
    exempt_words = {_fold(w) for term in exempt for w in re.findall(r"\w+", term)}
    tokens = list(_TOKEN.finditer(german))
    words = [m.group(0).rstrip(".") for m in tokens]
    out: list[tuple[str, int, tuple[str, ...], frozenset[int]]] = []

    def gap(k: int) -> str:
        return german[tokens[k - 1].end() : tokens[k].start()] if k else ""

    def sentence_start(k: int) -> bool:
        if k == 0:
            return True
        before = german[: tokens[k].start()].rstrip(" \u00a0„“\"»«‚‘'(–—-")
        previous = tokens[k - 1].group(0)
        return (
            not before
            or bool(_SENTENCE_END.search(before))
            or (previous.endswith(".") and len(previous) > 2)
        )

    def after_number(k: int) -> bool:
        return k > 0 and words[k - 1][:1].isdigit() and gap(k).strip() == ""

    # Acronyms and inner capitals, also as parts of hyphenated compounds ("NATO-Chef").
    for k, word in enumerate(words):
        for part in word.split("-"):
            if _fold(part) in exempt_words or len(part) < 2:
                continue
            if _ACRONYM.fullmatch(part) or _INNER_CAPITAL.fullmatch(part):
                out.append((part, MEDIUM, (part,), frozenset((k,))))
    # Runs of capitalised words ("Mark Rutte", "John F. Kennedy", "Google Brain-Teams").
    run_leads: set[int] = set()
    k = 0
    while k < len(tokens):
        run: list[int] = []
        j = k
        while j < len(tokens):
            word = words[j]
            if run and (
                gap(j) not in (" ", "\u00a0")
                or tokens[j - 1].group(0).endswith(".")
                and len(tokens[j - 1].group(0)) > 2
            ):
                break  # punctuation, a sentence end ("Witz. Erzähl"), an abbreviation ("Mio.")
            head = word.split("-")[0]
            if _is_capitalised(head) and not _is_function(head):
                run.append(j)
                if "-" in word:
                    j += 1
                    break  # a compound ends the run: "Google Brain-Teams"
            elif (
                run
                and word.lower() in _NAME_PARTICLES
                and j + 1 < len(tokens)
                and _is_capitalised(words[j + 1])
            ):
                run.append(j)
            else:
                break
            j += 1
        while run and words[run[-1]].lower() in _NAME_PARTICLES:
            run.pop()
        members = [words[i].split("-")[0] for i in run]
        capitals = [w for w in members if _is_capitalised(w) and len(w) > 1]
        if (
            len(capitals) >= 2
            and not _ADJECTIVE.fullmatch(members[0].lower())
            and not after_number(run[0])
            and not any(_fold(w) in exempt_words for w in capitals)
        ):
            surface = " ".join(members)
            # After an article the first word is usually a noun ("dem Ruderboot Ruder",
            # "der Kanzler Scholz"), so a run there is only a weak candidate.
            determined = run[0] > 0 and words[run[0] - 1].lower() in _DE_DETERMINERS
            out.append((surface, LOW if determined else MEDIUM, tuple(capitals), frozenset(run)))
            run_leads.add(run[0])
        k = max(j, k + 1)
    # Single capitalised words without an article: weak candidates.
    for k, word in enumerate(words):
        if "-" in word or not _is_capitalised(word) or len(word) < 2:
            continue
        if _is_function(word) or _fold(word) in exempt_words:
            continue
        if word in _KNOWN_EQUIVALENTS:
            out.append((word, LOW, (word,), frozenset((k,))))
            continue
        if _NOUN_SHAPE.fullmatch(_fold(word)) and not word.isupper():
            continue
        start = sentence_start(k)
        if start and _OPENER_SHAPE.fullmatch(_fold(word)):
            continue
        if not start:
            prev = words[k - 1].lower()
            relative = k > 1 and "," in gap(k - 1)  # ", das Tom geschrieben hat"
            if prev in _DE_DETERMINERS and not relative and k not in run_leads or after_number(k):
                continue
            before_prev = words[k - 2].lower() if k > 1 else ""
            if (
                prev.islower()
                and not _is_function(prev)
                and re.search(r"(e|en|er|es|em)$", prev)
                and before_prev in _DE_DETERMINERS
            ):
                continue  # "einen kleinen Bruder"
        out.append((word, LOW, (word,), frozenset((k,))))
    return out


def _english_has_name(name: str, english: str, folded: str, caps: list[str], cut: float) -> bool:
    variants = [name]
    if len(name) > 3 and name.endswith("s") and not name.isupper():
        variants.append(name[:-1])  # genitive "Ruttes" -> "Rutte('s)"
    for v in list(variants):
        variants.extend(_KNOWN_EQUIVALENTS.get(v, ()))
    for v in variants:
        if not any(ch.isalnum() for ch in v):
            if v in english:
                return True
        elif re.search(rf"(?<!\w){re.escape(_fold(v))}(?!\w)", folded):
            return True
    if name.isupper():
        return False
    target, plain = _fold(variants[-1]), _fold(name)
    return any(_similar(target, c, cut) or _similar(plain, c, cut) for c in caps)


def _similar(a: str, b: str, cut: float) -> bool:
    """`SequenceMatcher.ratio() >= cut`, its cheap upper bounds asked first."""
    matcher = SequenceMatcher(None, a, b)
    return (
        matcher.real_quick_ratio() >= cut
        and matcher.quick_ratio() >= cut
        and (matcher.ratio() >= cut)
    )


def _missing_names(
    german: str, english: str, exempt: Iterable[str], cut: float
) -> list[tuple[str, int]]:
    folded = _fold(english)
    caps = [w for w in re.findall(r"[^\W\d_][\w'’]*", english) if w[:1].isupper()]
    caps = [re.sub(r"['’]s?$", "", w) for w in caps]
    # Each capitalised word and each run of two, folded once for every name compared.
    caps = [_fold(c) for c in (caps + [a + b for a, b in zip(caps, caps[1:])])[:60]]
    missing: list[tuple[str, int]] = []
    seen: set[str] = set()
    covered: set[int] = set()
    for surface, severity, words, indices in _name_candidates(german, exempt):
        if surface in seen or severity == LOW and indices <= covered:
            continue
        if not any(_english_has_name(w, english, folded, caps, cut) for w in words):
            seen.add(surface)
            missing.append((surface, severity))
            if severity > LOW:
                covered |= indices
    return missing


# --------------------------------------------------------------------------------------
# Negation
# --------------------------------------------------------------------------------------

_DE_NEGATIONS = frozenset(
    """
    nicht kein keine keinen keinem keiner keines keins nie niemals nichts niemand niemanden
    niemandem nirgends nirgendwo nimmer ohne weder
    """.split()
)
_EN_NEGATIONS = frozenset(
    "not no never nothing nobody none nowhere neither nor without cannot unless".split()
)
_EN_UN_EXCEPTIONS = re.compile(
    r"un(?:der|til|it|ion|iv|iq|if|ic|cle|to|less)\w*|uni\w*", re.IGNORECASE
)
_EN_NEGATIVE_AFFIX = re.compile(
    r"un[a-z]{4,}|non-?[a-z]{3,}|(?:in|im|ir|il)[a-z]{2,}(?:able|ible)|[a-z]{3,}less|"
    r"(?:im|il|in|ir)(?:possible|legal|correct|complete|accurate|appropriate|adequate|"
    r"capable|competent|consistent|sufficient|significant|visible|valid|mature|moral|"
    r"perfect|patient|polite|proper|relevant|regular|responsible|rational|secure|"
    r"sensitive|finite|formal|human|effective|efficient|convenient|different|active)\w*|"
    r"dis(?:like|agree|honest|approve|courage|allow|obey|trust)\w*",
    re.IGNORECASE,
)
_EN_NEGATION_EXCEPTIONS = frozenset("unless bless less unlessly nonetheless regardless".split())


# German "un…" adjectives are negations too ("unfehlbar" = "infallible"), bar these.
_DE_UN_EXCEPTIONS = re.compile(
    r"un(?:d|s|ser\w*|ter\w*|ten|gefähr\w*|bedingt\w*|gemein\w*|heimlich\w*|mittelbar\w*|"
    r"zählig\w*|ge(?:heuer|duld\w*|mein\w*))"
)


def _german_negative_affixes(german: str) -> list[str]:
    return [
        m.group(0)
        for m in _WORD.finditer(german)
        if m.group(0).startswith("un")
        and len(m.group(0)) >= 7
        and not _DE_UN_EXCEPTIONS.fullmatch(m.group(0))
    ]


def _german_negations(german: str) -> list[re.Match[str]]:
    words = list(_WORD.finditer(german))
    out = []
    for k, m in enumerate(words):
        word = m.group(0).lower()
        if word not in _DE_NEGATIONS:
            continue
        nxt = words[k + 1].group(0).lower() if k + 1 < len(words) else ""
        if word == "nicht" and nxt in ("nur", "wahr"):
            continue
        out.append(m)
    return out


def _english_negations(english: str) -> int:
    count = 0
    for m in _WORD.finditer(english):
        word = m.group(0).lower().replace("’", "'")
        base, _, suffix = word.partition("'")
        if base in _EN_NEGATIONS or suffix == "t" and base.endswith("n"):
            count += 1
        elif base == "one" and english[max(0, m.start() - 3) : m.start()].lower() == "no ":
            continue
        elif (
            base not in _EN_NEGATION_EXCEPTIONS
            and not _EN_UN_EXCEPTIONS.fullmatch(base)
            and _EN_NEGATIVE_AFFIX.fullmatch(base)
        ):
            count += 1
    return count


# --------------------------------------------------------------------------------------
# Repetition
# --------------------------------------------------------------------------------------

_EN_STOP = frozenset(
    """
    the a an of to in on at by for with and or but is are was were be been it its this that
    these those he she they we you i his her their our your my me him them us as from not so
    than then there here do does did has have had will would can could should which who what
    """.split()
)
_DE_STOP = _DE_FUNCTION


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0).lower(), m.start(), m.end()) for m in re.finditer(r"\w+(?:['’]\w+)?", text)]


def _max_repeat(words: list[str], stop: frozenset[str], n: int) -> tuple[tuple[str, ...], int]:
    counts = Counter(
        tuple(words[i : i + n])
        for i in range(len(words) - n + 1)
        if any(w not in stop and not w.isdigit() for w in words[i : i + n])
    )
    if not counts:
        return (), 0
    gram, count = max(counts.items(), key=lambda item: (item[1], item[0]))
    return gram, count


def _repetition(german: str, english: str, max_n: int, min_count: int) -> tuple[str, int] | None:
    """The worst repeated phrase of the English that the German does not explain, with its
    count, as (exact English span, count)."""
    tokens = _tokens(english)
    words = [t[0] for t in tokens]
    best: tuple[int, int, int, int] | None = None  # (count, n, start index, end index)
    for n in range(1, max_n + 1):
        i = 0
        while i + 2 * n <= len(words):
            reps = 1
            while words[i + reps * n : i + (reps + 1) * n] == words[i : i + n]:
                reps += 1
            needed = 3 if n == 1 else 2
            content = any(w not in _EN_STOP for w in words[i : i + n]) or n >= 3
            if (
                reps >= needed
                and content
                and (best is None or (reps * n, -n) > (best[0] * best[1], -best[1]))
            ):
                best = (reps, n, i, i + reps * n)
            i += max(1, (reps - 1) * n) if reps > 1 else 1
    if best is None:
        german_words = [t[0] for t in _tokens(german)]
        for n in range(4, 1, -1):
            gram, count = _max_repeat(words, _EN_STOP, n)
            if count >= min_count:
                _, de_count = _max_repeat(german_words, _DE_STOP, n)
                if count >= de_count + 2:
                    first = next(
                        i for i in range(len(words) - n + 1) if tuple(words[i : i + n]) == gram
                    )
                    span = english[tokens[first][1] : tokens[first + n - 1][2]]
                    return span, count
        return None
    reps, n, i, j = best
    return english[tokens[i][1] : tokens[j - 1][2]], reps


# --------------------------------------------------------------------------------------
# Truncation, untranslated, length
# --------------------------------------------------------------------------------------

_CLOSERS = " \u00a0\t\n\"'“”‘’»«)]}*_"
_EN_SENTENCE = re.compile(r"[.!?…]+[\"'“”‘’»«)\]]*(?=\s+[\"'“‘(\[]*[A-Z0-9]|\s*$)")


def _letters(text: str) -> int:
    return sum(map(str.isalpha, text))


def _trigram_dice(a: str, b: str) -> float:
    grams_a = Counter(a[i : i + 3] for i in range(len(a) - 2))
    grams_b = Counter(b[i : i + 3] for i in range(len(b) - 2))
    total = sum(grams_a.values()) + sum(grams_b.values())
    return 2 * sum((grams_a & grams_b).values()) / total if total else 0.0


def _copy_similarity(german: str, english: str, min_letters: int) -> float:
    """Similarity of the two texts without numbers and without capitalised words they share
    (names are legitimately identical); 0 when too little is left to judge. A text whose
    shared words are all capitalised is still judged as a whole when it keeps at least two
    German function words ("Waren in dem Ruderboot Ruder?" copied)."""
    shared = {w for w in re.findall(r"\w+", german) if w[:1].isupper()} & set(
        re.findall(r"\w+", english)
    )

    def norm(text: str, drop: set[str]) -> str:
        words = [w for w in re.findall(r"[^\W\d_]+", text) if w not in drop]
        return " ".join(_fold(w) for w in words)

    a, b = norm(german, shared), norm(english, shared)
    if _letters(a) >= min_letters and _letters(b) >= min_letters:
        return _trigram_dice(a, b)
    english_words = set(re.findall(r"\w+", english))
    kept = [w for w in re.findall(r"[^\W\d_]+", german) if w.islower() and w in _DE_FUNCTION]
    if len(kept) >= 2 and all(w in english_words for w in kept):
        a, b = norm(german, set()), norm(english, set())
        if _letters(a) >= min_letters:
            return _trigram_dice(a, b)
    return 0.0


# English function words that are no German words: a sentence with two of them and no
# word only German uses (`detect.GERMAN_WORDS`) is English without asking langdetect.
_EN_ONLY = frozenset(
    "the of and to is are were with this that these those from has have would which for on it "
    "he she they we not be been being by at but or its their his him them than who what when "
    "where why how there had could should into over out about said more can our you your my "
    "just only some such very many most other does did do".split()
)


def _plainly_english(text: str) -> bool:
    words = [w.lower() for w in _WORD.findall(text)]
    return sum(w in _EN_ONLY for w in words) >= 2 and not any(w in GERMAN_WORDS for w in words)


def _english_sentences(english: str) -> list[str]:
    out, start = [], 0
    for m in _EN_SENTENCE.finditer(english):
        piece = english[start : m.end()].strip()
        if piece:
            out.append(piece)
        start = m.end()
    rest = english[start:].strip()
    if rest:
        out.append(rest)
    return out


def _quotes_balanced(text: str, german: bool) -> bool:
    if german:
        return sum(text.count(q) for q in '„“”»«"') % 2 == 0
    return text.count('"') % 2 == 0 and text.count("“") == text.count("”")


def _truncation(german: str, english: str) -> list[tuple[str, int, str]]:
    out: list[tuple[str, int, str]] = []
    de_end = german.rstrip(_CLOSERS)
    en_end = english.rstrip(_CLOSERS)
    if de_end[-1:] in (".", "!", "?", "…") and en_end and en_end[-1] not in ".!?…:;":
        tail = " ".join(en_end.split()[-4:])
        out.append((f"English ends mid-sentence: '…{tail}'", MEDIUM, tail))
    if _quotes_balanced(german, True) and not _quotes_balanced(english, False):
        out.append(("quotation not closed in the English", MEDIUM, ""))
    if german.count("?") > english.count("?"):
        out.append(
            (
                f"German asks {german.count('?')} question(s), English {english.count('?')}",
                LOW,
                "",
            )
        )
    return out


# --------------------------------------------------------------------------------------
# Stage 1: per unit
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Features:
    """What one unit says about itself (stage 1); see :func:`features`."""

    german: str
    english: str
    log_ratio: float | None  # log(English chars / German chars); None when too short
    sentences_de: int
    sentences_en: int
    scores: tuple[float, ...] = ()
    margins: tuple[float, ...] = ()
    similarity: float = 0.0
    german_english: bool = False  # the whole English was detected as German
    german_sentence: str = ""  # an English sentence detected as German
    missing_numbers: tuple[tuple[str, str], ...] = ()  # (German form, spare English number)
    missing_names: tuple[tuple[str, int], ...] = ()  # (name, severity)
    repetition: tuple[str, int] | None = None  # (English span, count)
    negations_de: tuple[str, ...] = ()  # explicit: nicht, kein, nie…
    negative_affixes_de: tuple[str, ...] = ()  # un… adjectives
    negations_en: int = 0  # explicit and affixes
    truncation: tuple[tuple[str, int, str], ...] = ()  # (reason, severity, English span)


def _chars(text: str) -> int:
    return len(text) - sum(map(str.isspace, text))


def length_ratio(german: str, english: str, config: ReviewConfig = DEFAULT_CONFIG) -> float | None:
    """log(English characters / German characters), None for a unit too short to judge."""
    de_chars, en_chars = _chars(german), _chars(english)
    if de_chars < config.length_min_chars:
        return None
    return math.log((en_chars + 1) / (de_chars + 1))


def features(
    german: str,
    english: str,
    scores: Sequence[float] = (),
    *,
    margins: Sequence[float] = (),
    exempt: Iterable[str] = (),
    config: ReviewConfig = DEFAULT_CONFIG,
) -> Features:
    """Stage 1 for one unit: ``german`` and ``english`` are plain prose (no Markdown);
    ``scores`` are the model's length-normalised log-probabilities, one per sentence (may be
    empty); ``margins`` the score differences to a second hypothesis, if known; ``exempt``
    glossary terms (German and English), which the names check skips."""
    german = " ".join(german.split())
    english = " ".join(english.split())
    exempt = tuple(exempt)
    log_ratio = length_ratio(german, english, config)
    similarity = _copy_similarity(german, english, config.untranslated_min_letters)
    whole_german = False
    german_sentence = ""
    sentences = _english_sentences(english)
    # Language detection, most of the signals' cost, only when a sentence may be German
    # and the English is no copy of the German (which says "untranslated" already).
    unsure = [s for s in sentences if not _plainly_english(s)]
    letters = _letters(english)
    if (
        letters >= config.untranslated_min_letters
        and unsure
        and similarity < config.copy_similarity
    ):
        # Mostly plainly English sentences: the whole cannot be German, only one of the rest.
        if 2 * sum(_letters(s) for s in unsure) > letters:
            whole_german = block_language(english, "en") == "de"
        if not whole_german and len(sentences) > 1:
            german_sentence = next(
                (
                    s
                    for s in unsure
                    if _letters(s) >= config.sentence_min_letters
                    and block_language(s, "en") == "de"
                ),
                "",
            )
    missing_numbers = tuple(
        (g.text, e.text if e else "") for g, e in _missing_numbers(german, english)
    )
    return Features(
        german=german,
        english=english,
        log_ratio=log_ratio,
        sentences_de=len(split_sentences(german)) if german else 0,
        sentences_en=len(sentences),
        scores=tuple(scores),
        margins=tuple(margins),
        similarity=similarity,
        german_english=whole_german,
        german_sentence=german_sentence,
        missing_numbers=missing_numbers,
        missing_names=tuple(_missing_names(german, english, exempt, config.name_similarity)),
        repetition=_repetition(
            german, english, config.repetition_max_n, config.repetition_min_count
        ),
        negations_de=tuple(m.group(0) for m in _german_negations(german)),
        negative_affixes_de=tuple(_german_negative_affixes(german)),
        negations_en=_english_negations(english),
        truncation=tuple(_truncation(german, english)),
    )


# --------------------------------------------------------------------------------------
# Stage 2: the build
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """Bounds taken from the whole build (stage 2); see :func:`thresholds`."""

    confidence_cutoff: float
    length_low: float  # log ratio
    length_high: float
    from_build: bool  # False: the build was too small, fallbacks apply
    config: ReviewConfig = field(default=DEFAULT_CONFIG, compare=False)
    confidence_outlier: float = -math.inf  # scores below it are unusual for this build
    confidence_median: float = math.inf  # a score at the median is never among the lowest


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def thresholds(build: Sequence[Features], config: ReviewConfig = DEFAULT_CONFIG) -> Thresholds:
    """The build's own bounds: the score below which a sentence is among the lowest
    ``confidence_percentile`` per cent, and the range of usual length ratios (median ± k·MAD
    of the log ratios)."""
    return bounds(
        [s for f in build for s in f.scores],
        [f.log_ratio for f in build if f.log_ratio is not None],
        config,
    )


def bounds(
    scores: Iterable[float], ratios: Iterable[float], config: ReviewConfig = DEFAULT_CONFIG
) -> Thresholds:
    """`thresholds` from the numbers alone (every sentence score, every unit's
    `length_ratio`), so a large build need not keep its units' features."""
    scores = sorted(scores)
    ratios = list(ratios)
    outlier, median = -math.inf, math.inf
    if len(scores) >= config.confidence_min_scores:
        rank = max(0, math.ceil(config.confidence_percentile / 100 * len(scores)) - 1)
        cutoff = scores[rank]
        outlier = _robust_low(scores, config.confidence_k, config.confidence_min_spread)
        median = _median(scores)
    else:
        cutoff = config.confidence_floor
    if len(ratios) >= config.length_min_units:
        low = _robust_low(ratios, config.length_k, config.length_min_spread)
        high = 2 * _median(ratios) - low
        from_build = True
    else:
        low, high = (math.log(r) for r in config.fallback_length_ratio)
        from_build = False
    return Thresholds(cutoff, low, high, from_build, config, outlier, median)


def _robust_low(values: Sequence[float], k: float, min_spread: float) -> float:
    """median − k × MAD (scaled to a standard deviation, at least `min_spread`): the low end
    of what is usual, which a few extreme values do not move."""
    median = _median(values)
    mad = 1.4826 * _median([abs(v - median) for v in values])
    return median - k * max(mad, min_spread)


def _ratio_text(log_ratio: float) -> str:
    return f"{math.exp(log_ratio):.2f}×"


def signals(unit: Features, limits: Thresholds, extra_problems: Iterable[str] = ()) -> list[Signal]:
    """Stage 2 for one unit: its signals, highest severity first. ``extra_problems`` are the
    pipeline's own problem strings for the unit (``Result.problems``)."""
    config = limits.config
    out: list[Signal] = []
    # untranslated
    if unit.similarity >= config.copy_similarity:
        out.append(
            Signal(
                "untranslated",
                HIGH,
                f"English is a copy of the German (similarity {unit.similarity:.2f})",
                english=unit.english,
            )
        )
    elif unit.german_english:
        out.append(Signal("untranslated", HIGH, "still German", english=unit.english))
    elif unit.german_sentence:
        out.append(
            Signal(
                "untranslated",
                MEDIUM,
                f"sentence still German: '{_clip(unit.german_sentence)}'",
                english=unit.german_sentence,
            )
        )
    # numbers
    for german, spare in unit.missing_numbers:
        reason = f"number {german} missing"
        if spare:
            reason = f"number {german} not in English (English has {spare})"
        out.append(Signal("numbers", HIGH, reason, german=german, english=spare))
    # names
    for name, severity in unit.missing_names:
        out.append(Signal("names", severity, f"name {name} missing", german=name))
    # repetition
    if unit.repetition:
        phrase, count = unit.repetition
        out.append(
            Signal(
                "repetition",
                HIGH,
                f"phrase '{_repeated_unit(phrase, count)}' repeated {count} times",
                english=phrase,
            )
        )
    # negation
    if unit.negations_de and unit.negations_en == 0:
        words = ", ".join(dict.fromkeys(w.lower() for w in unit.negations_de))
        out.append(
            Signal(
                "negation",
                HIGH,
                f"negation '{words}' has no counterpart in the English",
                german=unit.negations_de[0],
            )
        )
    elif unit.negations_de and (
        len(unit.negations_de) + len(unit.negative_affixes_de) > unit.negations_en
    ):
        german_words = [w.lower() for w in unit.negations_de + unit.negative_affixes_de]
        out.append(
            Signal(
                "negation",
                LOW,
                f"German has {len(german_words)} negations ({', '.join(german_words)}), "
                f"English {unit.negations_en}",
                german=unit.negations_de[0],
            )
        )
    # length and truncation
    ratio = unit.log_ratio
    if ratio is not None and (ratio < limits.length_low or ratio > limits.length_high):
        bounds = f"{_ratio_text(limits.length_low)}–{_ratio_text(limits.length_high)}"
        out.append(
            Signal(
                "length",
                MEDIUM,
                f"English is {_ratio_text(ratio)} the German's length (usual: {bounds})",
            )
        )
        if ratio < limits.length_low and unit.sentences_en < unit.sentences_de:
            out.append(
                Signal(
                    "truncation",
                    MEDIUM,
                    f"English has {unit.sentences_en} sentence(s), German "
                    f"{unit.sentences_de}, and is short",
                )
            )
    for reason, severity, span in unit.truncation:
        out.append(Signal("truncation", severity, reason, english=span))
    # confidence
    if unit.scores:
        worst = min(range(len(unit.scores)), key=lambda i: unit.scores[i])
        score = unit.scores[worst]
        lowest = score <= limits.confidence_cutoff and score < limits.confidence_median
        if lowest or score <= config.confidence_floor:
            unusual = score < limits.confidence_outlier or score <= config.confidence_floor
            severity = MEDIUM if unusual else LOW
            out.append(
                Signal(
                    "confidence",
                    severity,
                    f"model unsure of sentence {worst + 1} (score {score:.2f}; "
                    f"build's lowest {config.confidence_percentile:g}%: ≤ "
                    f"{limits.confidence_cutoff:.2f})",
                )
            )
    if unit.margins and min(unit.margins) < config.min_margin:
        worst = min(range(len(unit.margins)), key=lambda i: unit.margins[i])
        out.append(
            Signal(
                "confidence",
                LOW,
                f"sentence {worst + 1}: second-best translation nearly as likely "
                f"(margin {unit.margins[worst]:.2f})",
            )
        )
    # problems the pipeline reported itself
    for problem in extra_problems:
        if problem.startswith("glossary"):
            out.append(Signal("glossary", HIGH, problem))
        else:
            out.append(Signal("markup", LOW, problem))
    return sorted(out, key=lambda s: -s.severity)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _repeated_unit(span: str, count: int) -> str:
    """The phrase that repeats in ``span`` ("the government the government" → "the
    government")."""
    words = span.split()
    if count > 1 and len(words) % count == 0:
        n = len(words) // count
        lowered = [w.lower() for w in words]
        if all(lowered[i : i + n] == lowered[:n] for i in range(0, len(words), n)):
            return " ".join(words[:n])
    return span


_WEIGHTS = {HIGH: 0.6, MEDIUM: 0.3, LOW: 0.1}


def risk(unit_signals: Iterable[Signal]) -> float:
    """Rank score in [0, 1): signals combine like independent chances of an error, weighted
    0.6 (high), 0.3 (medium), 0.1 (low)."""
    keep = 1.0
    for signal in unit_signals:
        keep *= 1.0 - _WEIGHTS.get(signal.severity, 0.1)
    return 1.0 - keep


def review(
    build: Sequence[Features],
    config: ReviewConfig = DEFAULT_CONFIG,
    problems: Sequence[Sequence[str]] | None = None,
) -> list[list[Signal]]:
    """Both stages for a whole build: the signals of each unit, in order."""
    limits = thresholds(build, config)
    return [signals(unit, limits, problems[k] if problems else ()) for k, unit in enumerate(build)]


def queued(unit_signals: Sequence[Signal], config: ReviewConfig = DEFAULT_CONFIG) -> bool:
    """Whether the unit goes into the review queue: weak signals alone (one low score, one
    capitalised word that may be a noun) only ever add to a stronger reason."""
    return any(s.severity >= config.queue_severity for s in unit_signals)
