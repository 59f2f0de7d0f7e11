"""German sentence splitting for the MT stage.

The model translates sentence by sentence, so a wrong split ("am 3. | Oktober") produces a
broken translation and a missed split only produces a longer input. Rules therefore err towards
*not* splitting when a boundary is ambiguous.

Convention (the gold set ``tests/data/segmentation_de.jsonl`` follows it):

* A boundary is whitespace after ``.``, ``!``, ``?`` or an ellipsis, optionally followed by
  closing quotes/brackets/emphasis markers, where the next token (after any opening
  quotes/brackets/emphasis markers) starts with an upper-case letter, a digit, a camel-case brand
  (``iPhone``) or a non-letter symbol such as a placeholder token. A lower-case or punctuation
  continuation (``, fragte er``, ``– „Nein …“``) is never a boundary.
* Quotations are split at their internal sentence ends: ``Er sagte: „Wir kommen. Morgen.“`` gives
  ``Er sagte: „Wir kommen.`` and ``Morgen.“``; quote marks stay attached to the sentence they
  touch. A quote is not split off when the sentence continues after it
  (``„Kommt ihr?“, fragte er.`` and ``„Warum?“ fragte sie.`` are one sentence each). Splitting
  inside quotes keeps MT inputs short and keeps an unclosed quote from swallowing a paragraph.
* ``!`` and ``?`` always end a sentence before a qualifying next token.
* ``.`` does not end a sentence after: a known abbreviation (``z. B.``, ``Dr.``, ``bzw.``,
  street names like ``Hauptstr.``, ...); a lower-case single letter; a number that is an
  ordinal (followed by a month or an ordinal-taking noun, preceded by an article/preposition
  like ``am``/``im``/``der``, or the first token of the block as in numbered headings); part of
  a spaced date (``15. 3. 2025``).
* Enumeration closers (``usw.``, ``etc.``, ``u. v. m.``, nominal ``o. Ä.``) end a sentence
  before any capitalised word; mid-sentence they precede a lower-case verb (``etc. werden``).
* Abbreviations that can also close a sentence (``u. a.``, ``Mio.``, ``Jh.``, ``v. Chr.``,
  ``e. V.``, adjectival ``o. ä.``), single capital letters (initials vs. ``Michael S.``), Roman
  numerals (``Karl III.``) and ellipses end a sentence only if the next word is a typical
  sentence opener (article, pronoun, conjunction, adverb, preposition: ``Die``, ``Er``,
  ``Dann``, ...). A closing quote right after an ellipsis ends the sentence.
* The span markers of ``markup.protect`` are transparent: ``</3>`` counts as a closer and ``<3>``
  as an opener (``am 15. <3> März </3>`` stays whole; ``„<1> Wir kommen. </1>“ Dann`` splits
  after the quote), while a placeholder ``<4/>`` is an ordinary token. A span holding several
  sentences (a bold lead paragraph) is split inside; the markers are built to survive that.
* Nothing inside inline code or a Markdown link/image is ever split. URLs and e-mail addresses
  need no protection: they contain no whitespace, and a period after one ends the sentence.
* A run of only non-breaking spaces (``z.\\u00a0B.``) is never a boundary.

Whitespace runs inside sentences are collapsed to one space, so
``" ".join(split_sentences(t)) == " ".join(t.split())``.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from translate_pipeline.markup import patterns

__all__ = ["split_sentences"]

_OPENERS = "\"'„“‚‘»«([*_`"
_CLOSERS = "\"'“”‘’»«)]*_"
_QUOTE_CLOSERS = frozenset("\"'“”‘’»«")
_STRIP = _OPENERS + _CLOSERS + ".,;:!?…"
_NO_BREAK_SPACES = frozenset("\u00a0\u202f\u2007\u2060")
# A next token starting with one of these continues the sentence.
_CONTINUATION = frozenset(",;:.!?…)]}-–—/%&+=")

# The look-behind anchors matches at the start of a punctuation run (linear on "....").
_CANDIDATE = re.compile(r"(?<![.!?…])([.!?…]+)((?:[\"'“”‘’»«)\]*_]|\s*</\d+>)*)(\s+)")
_NEXT_TOKEN = re.compile(r"(?:[\"'„“‚‘»«(\[*_`]|<\d+>\s*)*(\S*)")
_SPAN_TAG = re.compile(r"</?\d+>")
_BACKTICKS = re.compile(r"`+")
_NUMBER = re.compile(r"\d+(?:\.\d{3})*")
_SHORT_NUMBER = re.compile(r"\d{1,4}\.?")
_DAY_OR_MONTH = re.compile(r"\d{1,2}\.")
_ROMAN = re.compile(r"(?=[MDCLXVI]{2})M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_LETTER_DOT = re.compile(r"[^\W\d_]\.")
_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}")

# Single-token abbreviations that never end a sentence (looked up as written and with the
# first letter lower-cased, for sentence-initial "Vgl.").
_ABBR_NEVER = frozenset(
    """
    Dr Prof Nr Nrn bzw ca St Hr Hrn Fr Frl vgl Abs Art Az Bd Bde Kap Abb Tab Anm Ziff Hbf Tel Fa
    geb gest verh verw ehem allg ugs bspw insb sog gem lt vs ggf evtl inkl exkl zzgl abzgl bzgl
    ggü mind max mtl jährl zit zul vorm nachm Bsp Jg Jahrg Slg Univ Inst Verl Ztg Ausg Bl Pkt Rn
    Rdnr Pos Mo Di Mi Do Sa So Jan Feb Mär Mrz Apr Jun Jul Aug Sep Sept Okt Nov Dez Dipl Ing Mag
    Dres med rer nat phil jur oec pol theol habil em Gen Lt Kpt Pfr Präs Vors Stv stv Abg Reg Bez
    Lkr Gde Nachf
    """.split()
)
# Single-token abbreviations that may also close a sentence.
_ABBR_MAYBE = frozenset(
    "Mio Mrd Mill Tsd Std Min Sek Jh Jhd Jhdt Chr Inc Co Corp Ltd Jr Sr Hrsg Aufl ff".split()
)
# Enumeration closers: mid-sentence they precede a lower-case verb ("etc. werden"), so before a
# capitalised word they end the sentence. Case matters: "o. Ä." is nominal ("oder Ähnliches"),
# while adjectival "o. ä." precedes a noun ("o. ä. Staaten").
_ENUM_END = frozenset("usw usf etc u.v.m u.a.m u.dgl o.Ä u.Ä".split())
# Multi-part abbreviations that never end a sentence, lower-cased, written without spaces. Other
# multi-part ones ("u. a.", "e. V.", "v. Chr.", "U.S.") are treated as possibly final.
_MULTI_NEVER = frozenset(
    "z.b d.h v.a i.d.r z.t u.u m.e o.g i.a i.v z.hd z.zt s.a u.e h.c dipl.-ing dipl.-kfm "
    "dipl.-kffr dr.-ing".split()
)

_MONTHS = frozenset(
    "Januar Jänner Februar Feber März April Mai Juni Juli August September Oktober November "
    "Dezember Jan Feb Mär Mrz Apr Jun Jul Aug Sep Sept Okt Nov Dez".split()
)
# Nouns that typically follow an ordinal ("im 19. Jahrhundert", "in der 90. Minute").
_ORDINAL_NOUN = re.compile(
    r"(?:Jahrhundert|Jahrtausend|Jahrestag|Geburtstag|Todestag|Hochzeitstag|Jubiläum|Mal|"
    r"Platz|Rang|Stock|Stockwerk|Etage|Obergeschoss|Runde|Spieltag|Minute|Spielminute|Liga|"
    r"Bundesliga|Klasse|Lesung|Quartal|Halbjahr|Hälfte|Amtszeit|Wahlperiode|"
    r"Legislaturperiode|Sitzung|Sitzungswoche|Kapitel|Auflage|Ausgabe|Jahrgang|Staffel|Folge|"
    r"Episode|Etappe|Welle|Sanktionspaket|Paket|Gipfel|Parteitag|Kongress|Sinfonie|Symphonie|"
    r"Armee|Division|Brigade|Bezirk|Weltkrieg|Kreuzzug|Senat|Strafsenat|Zivilsenat|Kammer|"
    r"Tag|Woche|Monat|Jahr|Advent|Tranche|Teil|Abschnitt|Durchgang|Wahlgang|Satz|Spiel|"
    r"Generation|Stufe|Phase|Änderung|Novelle|Fassung|Zusatzartikel|Reihe|Stelle|Anlauf|"
    r"Versuch|Person|Jh|Jhd|Jhdt|FC|FSV|FFC)(?:s|es|e|en|n)?"
)
# Words before a number that make it an ordinal ("am 3.", "der 2.", "seinem 80.").
_ORDINAL_TRIGGERS = frozenset(
    """
    am im vom zum beim ins dem den der des die das ein eine einem einen einer eines sein seine
    seinem seinen seiner seines ihr ihre ihrem ihren ihrer ihres unser unsere unserem unseren
    unserer dessen deren jede jeder jedes jedem jeden diese dieser dieses diesem diesen als
    """.split()
)
# Capitalised function words that typically open a German sentence; used to decide the
# ambiguous cases (an abbreviation or ellipsis followed by a noun usually continues).
_STARTERS = frozenset(
    """
    Der Die Das Den Dem Des Ein Eine Einen Einem Einer Eines Kein Keine Er Sie Es Wir Ich Ihr
    Man Du Dies Diese Dieser Dieses Diesen Jene Jener Sein Seine Ihre Unser Unsere Mein Meine
    Alle Alles Viele Einige Manche Niemand Jeder Jede Jedes Beide Beides Wer Was Wo Wie Wann
    Warum Weshalb Wieso Welche Welcher Welches Woher Wohin Und Aber Doch Denn Oder Sondern Auch
    Dann Danach Daher Darum Deshalb Deswegen Dabei Damit Dazu Darauf Darüber Dafür Dagegen Dort
    Hier Heute Gestern Morgen Jetzt Nun Noch Schon Bereits Zudem Außerdem Ebenso Trotzdem
    Dennoch Allerdings Jedoch Zwar Nur So Somit Also Vielmehr Immerhin Inzwischen Mittlerweile
    Bisher Bislang Zuletzt Zuvor Später Anschließend Seitdem Schließlich Erst Zunächst Zuerst
    Insgesamt Damals Laut Nach Vor Bei Mit Von Aus Zu Zum Zur Im In Am An Auf Für Gegen Ohne Um
    Unter Über Seit Während Wegen Trotz Als Wenn Ob Weil Da Obwohl Nachdem Bevor Sobald Falls Ja
    Nein Offenbar Tatsächlich Vermutlich Wahrscheinlich Natürlich Eigentlich Gleichzeitig
    Unterdessen Derweil Ferner Weiterhin Ebenfalls Besonders Gerade Demnach Ansonsten Sonst
    Stattdessen Letztlich Kürzlich Jüngst Wieder Erneut Hinzu
    """.split()
)


def split_sentences(text: str) -> list[str]:
    """Split one Markdown block into sentences (see module docstring for the convention)."""
    protected = _protected_spans(text) if "`" in text or "](" in text else []
    protected_starts = [s for s, _ in protected]
    sentences: list[str] = []
    start = 0
    for m in _CANDIDATE.finditer(text):
        if not _has_breaking_space(m.group(3)):
            continue
        if protected:
            k = bisect_right(protected_starts, m.start()) - 1
            if k >= 0 and m.start() < protected[k][1]:
                continue
        following = _NEXT_TOKEN.match(text, m.end())
        nxt = following.group(1) if following else ""
        if not _can_start_sentence(nxt) or not _is_boundary(text, m, nxt):
            continue
        piece = " ".join(text[start : m.start(3)].split())
        if piece:
            sentences.append(piece)
        start = m.end(3)
    rest = " ".join(text[start:].split())
    if rest:
        sentences.append(rest)
    return sentences


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """Sorted, disjoint spans of inline code and Markdown links, which must stay whole."""
    # Code spans per CommonMark: a backtick run closes at the next run of the same length.
    # Pairing runs via a next-same-length index keeps this linear on unbalanced input.
    runs = [m.span() for m in _BACKTICKS.finditer(text)]
    next_same: list[int | None] = [None] * len(runs)
    last: dict[int, int] = {}
    for k in range(len(runs) - 1, -1, -1):
        length = runs[k][1] - runs[k][0]
        next_same[k] = last.get(length)
        last[length] = k
    spans: list[tuple[int, int]] = []
    k = 0
    while k < len(runs):
        j = next_same[k]
        if j is None:
            k += 1
        else:
            spans.append((runs[k][0], runs[j][1]))
            k = j + 1
    spans.extend(m.span() for m in patterns.INLINE_LINK.finditer(text))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _has_breaking_space(ws: str) -> bool:
    return any(ch not in _NO_BREAK_SPACES for ch in ws)


def _can_start_sentence(token: str) -> bool:
    if not token or token.startswith("</"):  # a span's closing tag belongs to the sentence before
        return False
    first = token[0]
    if first.isupper() or first.isdigit():
        return True
    if first.isalpha():
        # Lower-case start continues the sentence, except camel-case brands like "iPhone".
        return len(token) > 1 and token[1].isupper()
    return first not in _CONTINUATION


def _starts_sentence(token: str) -> bool:
    return token.rstrip(_STRIP) in _STARTERS


def _is_boundary(text: str, m: re.Match[str], nxt: str) -> bool:
    punct, closers = m.group(1), m.group(2)
    if "!" in punct or "?" in punct:
        return True
    quote_closed = not _QUOTE_CLOSERS.isdisjoint(closers)
    if punct != ".":  # ellipsis: "…", "..." and the like
        return quote_closed or _starts_sentence(nxt)
    if quote_closed or ")" in closers:
        return True
    return _period_ends_sentence(text, m.start(), nxt)


def _period_ends_sentence(text: str, pos: int, nxt: str) -> bool:
    window_start = max(0, pos - 64)
    before = text[window_start:pos]
    if not before or before[-1].isspace():
        return True
    words = [w for w in before.split() if not _SPAN_TAG.fullmatch(w)]
    if not words:
        return True
    word = words[-1].strip(_STRIP)
    if not word:
        return True
    if "/" in word or "@" in word:  # URL, path or e-mail address
        return True
    next_word = nxt.rstrip(_STRIP)

    if _NUMBER.fullmatch(word):
        is_first = window_start == 0 and len(words) == 1
        return not is_first and _number_ends_sentence(word, words, nxt)

    prefix = []
    for tok in reversed(words[-4:-1]):
        tok = tok.lstrip(_OPENERS)
        if not _LETTER_DOT.fullmatch(tok):
            break
        prefix.append(tok)
    key = "".join(reversed(prefix)) + word
    if key in _ENUM_END or key.lower() in _ENUM_END:
        return True
    if prefix or "." in word:
        key = key.lower()
        if key in _MULTI_NEVER:
            return False
        if not prefix and _DOMAIN.fullmatch(word):
            return True
        return _starts_sentence(next_word)

    if len(word) == 1 and word.isalpha():
        return word.isupper() and _starts_sentence(next_word)
    decapitalised = word[0].lower() + word[1:]
    if word in _ABBR_NEVER or decapitalised in _ABBR_NEVER or word.endswith("str"):
        return False
    if word in _ABBR_MAYBE or decapitalised in _ABBR_MAYBE or _ROMAN.fullmatch(word):
        return _starts_sentence(next_word)
    return True


def _number_ends_sentence(number: str, words: list[str], nxt: str) -> bool:
    next_word = nxt.rstrip(_STRIP)
    if next_word in _MONTHS or _ORDINAL_NOUN.fullmatch(next_word):
        return False
    prev = words[-2] if len(words) > 1 else ""
    if prev.strip(_STRIP).lower() in _ORDINAL_TRIGGERS:
        return False
    # Spaced dates: "15. 3. 2025".
    if len(number) <= 2 and _SHORT_NUMBER.fullmatch(nxt):
        return not (_DAY_OR_MONTH.fullmatch(prev) or _DAY_OR_MONTH.fullmatch(nxt))
    return True
