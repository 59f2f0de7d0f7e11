"""The translation memory: one gettext PO file per article under `translations/de-en/`.

PO is what translators' tools (Poedit, Weblate, Lokalize, gettext's msg* tools,
spreadsheets via po2csv) open. Each message is a German unit of inline Markdown (a
paragraph, heading, list item, table cell, title or description) and its English.

What the pipeline remembers about an entry (its *bookkeeping*) is one comment line
of `tp.key=value` tokens, values percent-encoded so that they hold no space and no
hyphen:

    #. tp.origin=machine tp.model=translate%2Dde_en%2D1_9%201.9 tp.sha1=249e1a2beb93
    #. machine translation (translate-de_en-1_9 1.9)
    #. glossary: Kiew → Kyiv

No PO tool can change what the tokens say: gettext writes comments as they are,
polib and textwrap wrap only at spaces and after hyphens (never inside a token),
`msgcat` of two files concatenates the lines of both, and the reader collects the
tokens wherever they are among the entry's comments, in any order. A key given two
different values (two files merged whose bookkeeping differs) makes the entry
unverified. Obsolete entries carry the line as a translator comment (`# tp...`),
because polib and translate-toolkit drop extracted comments of obsolete entries.
The other `#.` lines are for people; they are derived from the tokens and never
read for meaning.

- `tp.origin`: `machine`, `human` or `copy` (a block already in English, kept as is);
  an entry without bookkeeping (a spreadsheet round trip, a hand-written entry) is
  `unverified`, never human.
- `tp.model`: the model's name and version; `tp.sha1`: hash of the English the
  machine wrote. When the `msgstr` no longer matches it, a person edited the entry
  and it is human from then on; a copied block whose `msgstr` is no longer its
  `msgid` is human too.
- `tp.glossary`: hash of the glossary signature (the terms applied and their
  settings) the machine translated with; `tp.terms` the terms themselves.
- `tp.lang`: language of a copied block; `tp.notes`: what the machine could not do;
  `tp.review`: why a machine translation should be checked (`quality.Signal`s: name,
  severity, reason, the words to highlight), shown as `#. review: numbers: …` lines; a
  person's edit, or a translator comment `reviewed`, clears it; `tp.via`: for a target
  reached through English, the English the machine translated (when the English memory
  shows other English, the entry is translated again);
  `tp.machine`: for a human entry whose German changed (`#, fuzzy` with `#| msgid`,
  as `msgmerge` marks it), the fresh machine English the pages show until a person
  reviews the entry and clears the flag.

Files written by earlier versions (`#. origin: machine …`, `#. machine-sha1: …`,
`#. glossary: …` lines) are still read.

Everything else in the file is kept: translator comments, other extracted comments,
every flag, the previous msgid, msgctxt, obsolete entries, the header's comments and
fields. A message whose content the caller did not change is written back with the
bytes it had in the file, whichever tool saved it last; a new or changed message is
written exactly as `msgcat` writes it (`pofile.py`). Files are written atomically
(temp file, fsync, rename) and without dates, so a kill never leaves half a file and
the same memory is the same bytes.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from translate_pipeline import fileio, pofile
from translate_pipeline.config import Pair, language_name
from translate_pipeline.quality import Signal

HUMAN, MACHINE, COPY = "human", "machine", "copy"
UNVERIFIED = "unverified"  # no bookkeeping: decided by comparing with the machine
ORIGINS = (HUMAN, MACHINE, COPY)
FUZZY_SIMILARITY = 0.6
REVIEWED = "reviewed"  # a translator comment that accepts a flagged machine translation


class TranslationMemoryError(Exception):
    """A PO file that cannot be parsed: `str()` is `file:line: message`."""


@dataclass(frozen=True)
class Raw:
    """A message's text as it was in the file and the entry it was read as: while
    the entry stays equal to `entry`, `render` writes `text` unchanged."""

    text: str
    message: pofile.Message
    entry: Entry
    legacy: bool = False  # bookkeeping in the format of earlier versions
    line: int = 0  # of the msgid in the file, for people to go to
    stale: bool = False  # `text` shows a review flag that reading it cleared: write anew


@dataclass(frozen=True)
class Entry:
    source: str
    target: str
    origin: str = MACHINE
    model: str = ""
    glossary: tuple[str, ...] = ()  # the glossary terms applied ("Kiew → Kyiv")
    lang: str = ""  # a copied unit's language; '' is the source language
    fuzzy: bool = False
    previous_source: str = ""
    machine_target: str = ""
    references: tuple[str, ...] = ()
    machine_sha1: str = ""
    notes: tuple[str, ...] = ()  # what the machine could not do (formatting dropped ...)
    review: tuple[Signal, ...] = ()  # why a person should check this machine translation
    via: str = ""  # the English a pivoted machine translation was made from
    # Hash of the glossary signature the machine translated with (`glossary_hash`).
    glossary_sha1: str = ""
    comments: tuple[str, ...] = ()  # translator comments (`# ...`), one per line
    extracted: tuple[str, ...] = ()  # extracted comments (`#. ...`) that are not ours
    flags: tuple[str, ...] = ()  # every flag but fuzzy, as written (no-wrap, c-format ...)
    raw: Raw | None = field(default=None, compare=False, repr=False)

    @property
    def is_human(self) -> bool:
        return self.origin == HUMAN

    @property
    def is_unverified(self) -> bool:
        return self.origin == UNVERIFIED

    @property
    def display(self) -> str:
        """The English a page shows: the fresh machine translation while a human
        translation waits for review, otherwise the entry itself."""
        return self.machine_target if self.fuzzy and self.machine_target else self.target

    def glossary_current(self, signature: str | Iterable[str]) -> bool:
        """Whether the entry was translated with this glossary signature."""
        return bool(self.glossary_sha1) and self.glossary_sha1 == glossary_hash(signature)


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def glossary_hash(signature: str | Iterable[str]) -> str:
    """The hash stored for a glossary signature: an opaque string (terms and their
    settings), or a sequence of terms."""
    if not isinstance(signature, str):
        signature = "\n".join(signature)
    return sha1(signature)


def machine_entry(
    source: str,
    target: str,
    model: str,
    glossary: Iterable[str] = (),
    notes: Iterable[str] = (),
    signature: str | None = None,
    review: Iterable[Signal] = (),
    via: str = "",
) -> Entry:
    """A machine translation; `signature` (default: the terms) is what makes it stale;
    `via`: the English it was translated from, for a target reached through English."""
    glossary = tuple(glossary)
    return Entry(
        source,
        target,
        MACHINE,
        model,
        glossary,
        machine_sha1=sha1(target),
        notes=tuple(notes),
        review=tuple(review),
        via=via,
        glossary_sha1=glossary_hash(glossary if signature is None else signature),
    )


def carry_over(old: Entry | None, new: Entry) -> Entry:
    """`new` (a fresh translation of the same German) with what editors wrote on
    `old`: translator comments, extracted comments that are not ours, flags (fuzzy
    is `new`'s), and the PO details the memory does not model (msgctxt ...)."""
    if old is None:
        return new
    return dataclasses.replace(
        new, comments=old.comments, extracted=old.extracted, flags=old.flags, raw=old.raw
    )


class Header(dict):
    """The PO header: its fields (this dict, in file order), its comment lines and
    flags, and, when it was read from a file, what it was, so an unchanged header is
    written back as it was. `Memory.metadata` is one, so code that builds a new
    Memory from an old one's metadata keeps the whole header."""

    def __init__(self, fields: dict[str, str] | None = None) -> None:
        super().__init__(fields or {})
        self.comments: tuple[str, ...] = ()  # translator comments (credits ...)
        self.flags: tuple[str, ...] = ()
        self.trailer = ""  # comments after the last message
        self.message: pofile.Message | None = None  # as read; None: a new file
        self.raw = ""  # its text as read
        self.loaded: tuple = ()

    def _state(self) -> tuple:
        return (tuple(self.items()), self.comments, self.flags)


@dataclass
class Memory:
    """The entries of one article, keyed by German source."""

    entries: dict[str, Entry] = field(default_factory=dict)
    obsolete: list[Entry] = field(default_factory=list)
    # The header (a `Header`): fields a translator's tool set (Last-Translator,
    # PO-Revision-Date ...) are kept as they are.
    metadata: dict[str, str] = field(default_factory=Header)

    def get(self, source: str) -> Entry | None:
        """The entry for `source`; a human one kept as obsolete comes back when its
        German does (a paragraph deleted, then restored). An untranslated entry
        (empty msgstr, as msgmerge adds them) counts as none."""
        found = self.entries.get(source)
        if found is None or not found.target:
            found = next((e for e in self.obsolete if e.source == source and e.target), None)
        return found

    def closest_orphan(self, source: str, used: set[str]) -> Entry | None:
        """The entry no longer in use whose German is most like `source` (as `msgmerge`
        finds fuzzy matches) and that holds an editor's work: a human translation, or a
        machine one an editor marked as needing work."""
        candidates = [
            e
            for e in [*self.entries.values(), *self.obsolete]
            if (e.is_human or (e.origin == MACHINE and e.fuzzy))
            and e.source not in used
            and e.source != source
        ]
        best, best_ratio = None, FUZZY_SIMILARITY
        for entry in candidates:
            matcher = difflib.SequenceMatcher(None, entry.source, source, autojunk=False)
            if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
                continue
            ratio = matcher.ratio()
            if ratio > best_ratio:
                best, best_ratio = entry, ratio
        return best


# --- bookkeeping tokens ------------------------------------------------------------


PREFIX = "tp."
_TOKEN = re.compile(r"tp\.([a-z0-9_]+)=(\S*)")


def _encode(value: str) -> str:
    """Percent-encoding that leaves only letters, digits, `_`, `.` and `~`: no space
    and no hyphen, so no wrapper can split a token."""
    return quote(value, safe="").replace("-", "%2D")


def _encode_list(values: Iterable[str]) -> str:
    return ",".join(_encode(v) for v in values)


def _decode(value: str) -> str:
    return unquote(value, errors="strict")


def _decode_list(value: str) -> tuple[str, ...]:
    return tuple(_decode(v) for v in value.split(","))


_FIELD = "\x1f"


def _encode_signals(signals: Iterable[Signal]) -> str:
    return _encode_list(
        _FIELD.join((s.name, str(s.severity), s.reason, s.german, s.english)) for s in signals
    )


def _decode_signals(value: str) -> tuple[Signal, ...]:
    """Signals of a `tp.review` token; ValueError for one that is not five fields."""
    signals = []
    for item in _decode_list(value):
        name, severity, reason, german, english = item.split(_FIELD)
        signals.append(Signal(name, int(severity), reason, german, english))
    return tuple(signals)


def is_token_line(line: str) -> bool:
    """A comment line that holds only bookkeeping tokens (or part of a wrapped one)."""
    words = line.split()
    return bool(words) and all(_TOKEN.fullmatch(w) for w in words)


def _tokens(lines: Iterable[str]) -> dict[str, set[str]]:
    values: dict[str, set[str]] = {}
    for line in lines:
        for word in line.split():
            key, value = _TOKEN.fullmatch(word).groups()  # type: ignore[union-attr]
            values.setdefault(key, set()).add(value)
    return values


def token_line(entry: Entry) -> str:
    """The entry's bookkeeping, one line (empty for an unverified entry)."""
    if entry.origin not in ORIGINS:
        return ""
    tokens = [("origin", entry.origin)]
    if entry.model:
        tokens.append(("model", _encode(entry.model)))
    if entry.origin == MACHINE:
        tokens.append(("sha1", entry.machine_sha1 or sha1(entry.target)))
    if entry.glossary_sha1:
        tokens.append(("glossary", entry.glossary_sha1))
    if entry.glossary:
        tokens.append(("terms", _encode_list(entry.glossary)))
    if entry.lang:
        tokens.append(("lang", _encode(entry.lang)))
    if entry.notes:
        tokens.append(("notes", _encode_list(entry.notes)))
    if entry.review:
        tokens.append(("review", _encode_signals(entry.review)))
    if entry.via:
        tokens.append(("via", _encode(entry.via)))
    if entry.machine_target:
        tokens.append(("machine", _encode(entry.machine_target)))
    return " ".join(f"{PREFIX}{key}={value}" for key, value in tokens)


_UNPRINTABLE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\\]")
_SHOWN = {"\\": "\\\\", "\n": "\\n", "\r": "\\r"}


def _one_line(text: str) -> str:
    """Text for a comment line: what could end a line for some tool (newlines, other
    control characters, U+2028) shown as an escape."""
    return _UNPRINTABLE.sub(lambda m: _SHOWN.get(m[0]) or f"\\u{ord(m[0]):04x}", text)


def info_lines(
    origin: str,
    model: str = "",
    terms: Iterable[str] = (),
    notes: Iterable[str] = (),
    machine: str = "",
    lang: str = "",
    review: Iterable[Signal] = (),
    via: str = "",
) -> list[str]:
    """The comments for people that go with the tokens; never read for meaning."""
    lines = []
    if origin == MACHINE:
        lines.append(
            f"machine translation ({_one_line(model)})" if model else "machine translation"
        )
    elif origin == COPY:
        lines.append(f"copied unchanged (language: {_one_line(lang)})")
    terms = tuple(terms)
    if terms:
        lines.append("glossary: " + "; ".join(_one_line(t) for t in terms))
    lines += [f"note: {_one_line(n)}" for n in notes]
    lines += [f"review: {s.name}: {_one_line(s.reason)}" for s in review]
    if via:
        lines.append(f"translated from the English: {_one_line(via)}")
    if machine:
        lines.append(f"machine translation of the changed German, shown until review: "
                     f"{_one_line(machine)}")  # fmt: skip
    return lines


def _squash(text: str) -> str:
    return "".join(text.split())


def _drop_runs(lines: list[str], expected: Iterable[str]) -> list[str]:
    """`lines` without the runs of lines that are one of `expected`, maybe wrapped by
    some tool (at spaces or after hyphens): compared without whitespace."""
    remaining = list(lines)
    for text in sorted(expected, key=lambda t: -len(_squash(t))):  # "note: 1" before "note:"
        target = _squash(text)
        start = 0
        while target and start < len(remaining):
            joined = _squash(remaining[start])
            end = start
            while joined != target and target.startswith(joined) and end + 1 < len(remaining):
                end += 1
                joined += _squash(remaining[end])
            if joined == target and _squash(remaining[start]):
                del remaining[start : end + 1]
            else:
                start += 1
    return remaining


# --- reading -----------------------------------------------------------------------


_LEGACY_FIELDS = ("origin", "machine-sha1", "glossary", "lang", "notes", "machine")


def _legacy_fields(lines: list[str]) -> dict[str, str]:
    """The `key: value` comments of earlier versions, which polib wrapped (at spaces
    and after hyphens): a line continues the previous value unless it starts with a
    key that comes later in the order they were written; a line that ended after a
    hyphen inside a word joins the next without a space."""
    fields: dict[str, str] = {}
    key = None
    previous = ""
    for line in lines:
        name, sep, value = line.partition(":")
        name = name.strip()
        later = key is None or (
            name in _LEGACY_FIELDS
            and name not in fields
            and _LEGACY_FIELDS.index(name) > _LEGACY_FIELDS.index(key)
        )
        if sep and name in _LEGACY_FIELDS and later:
            key = name
            fields[key] = value.strip()
        elif key is not None:
            glue = "" if re.search(r"\w-\Z", previous) else " "
            fields[key] = f"{fields[key]}{glue}{line.strip()}".strip()
        previous = line.rstrip()
    return fields


def _is_legacy(lines: list[str]) -> bool:
    return any(re.match(r"origin: (human|machine|copy)\b", line) for line in lines)


def _entry_from_message(message: pofile.Message, text: str, line: int = 0) -> Entry:
    extracted = list(message.extracted)
    candidates = [c for c in (*extracted, *message.comments) if is_token_line(c)]
    if candidates:
        # The comments for people first: a wrapped one could hold a line that looks
        # like a token (a machine translation that says "tp.origin=human").
        extracted = _drop_runs(extracted, _all_info_lines(_tokens(candidates)))
    token_lines = [c for c in (*extracted, *message.comments) if is_token_line(c)]
    comments = tuple(c for c in message.comments if not is_token_line(c))
    reviewed = any(c.strip().lower() == REVIEWED for c in comments)
    extracted = [c for c in extracted if not is_token_line(c)]
    base = {
        "source": message.msgid,
        "target": message.msgstr,
        "fuzzy": message.fuzzy,
        "previous_source": message.previous_msgid or "",
        "references": message.references,
        "comments": comments,
        "flags": tuple(f for f in message.flags if f != "fuzzy"),
    }
    legacy = False
    fields: dict[str, object] = {}
    if token_lines:
        fields = _token_fields(_tokens(token_lines), message)
        if _is_legacy(extracted):
            extracted = []  # left over from an earlier version's bookkeeping
    elif _is_legacy(extracted):
        fields = _legacy_entry_fields(_legacy_fields(extracted), message)
        extracted, legacy = [], True
    else:
        fields = {"origin": UNVERIFIED}
    if not message.msgstr:
        fields = {"origin": UNVERIFIED}  # untranslated: no bookkeeping vouches for it
    if reviewed:  # an editor accepted the flagged translation as it is
        fields["review"] = ()
        base["comments"] = tuple(c for c in comments if c.strip().lower() != REVIEWED)
    entry = Entry(**{**base, **fields, "extracted": tuple(extracted)})  # type: ignore[arg-type]
    # An editor edited or accepted a flagged translation: the text still has the review
    # lines (and the `reviewed` comment), so the entry must not be written back as read.
    flagged = bool(token_lines) and "review" in _tokens(token_lines)
    stale = reviewed or (flagged and not entry.review)
    return dataclasses.replace(entry, raw=Raw(text, message, entry, legacy, line, stale))


def _all_info_lines(values: dict[str, set[str]]) -> list[str]:
    """Every comment for people any of the token values would have written."""

    def decoded(key: str, decode=_decode) -> list:
        result = []
        for value in values.get(key, ()):
            try:
                result.append(decode(value))
            except ValueError:  # UnicodeDecodeError, or review signals that are not
                pass
        return result

    lines = []
    for origin in values.get("origin", ()):
        for model in decoded("model") or [""]:
            lines += info_lines(origin, model)
        for lang in decoded("lang") or [""]:
            lines += info_lines(origin, lang=lang)
    for terms in decoded("terms", _decode_list):
        lines += info_lines("", terms=terms)
    for notes in decoded("notes", _decode_list):
        lines += info_lines("", notes=notes)
    for machine in decoded("machine"):
        lines += info_lines("", machine=machine)
    for review in decoded("review", _decode_signals):
        lines += info_lines("", review=review)
    for via in decoded("via"):
        lines += info_lines("", via=via)
    return list(dict.fromkeys(lines))


def _token_fields(values: dict[str, set[str]], message: pofile.Message) -> dict[str, object]:
    if any(len(v) > 1 for v in values.values()):
        return {"origin": UNVERIFIED}  # two sets of bookkeeping that disagree
    one = {key: next(iter(v)) for key, v in values.items()}
    origin = one.get("origin", "")
    try:
        model = _decode(one.get("model", ""))
        terms = _decode_list(one["terms"]) if "terms" in one else ()
        notes = _decode_list(one["notes"]) if "notes" in one else ()
        lang = _decode(one.get("lang", ""))
        machine = _decode(one.get("machine", ""))
        via = _decode(one.get("via", ""))
    except UnicodeDecodeError:
        return {"origin": UNVERIFIED}
    try:
        review = _decode_signals(one["review"]) if "review" in one else ()
    except ValueError:
        review = ()  # signals garbled by hand: they only ever advise, so they go
    stored_sha = one.get("sha1", "")
    if origin not in ORIGINS or (origin == MACHINE and not stored_sha):
        return {"origin": UNVERIFIED}
    if origin == MACHINE and stored_sha != sha1(message.msgstr):
        origin = HUMAN  # a person changed what the machine wrote
    elif origin == COPY and message.msgstr != message.msgid:
        origin = HUMAN  # a person translated a block that was copied
    return {
        "origin": origin,
        "model": model,
        "glossary": terms,
        "lang": lang,
        "machine_target": machine,
        "machine_sha1": stored_sha if origin == MACHINE else "",
        "notes": notes if origin == MACHINE else (),
        "review": review if origin == MACHINE else (),
        "via": via if origin == MACHINE else "",
        "glossary_sha1": one.get("glossary", ""),
    }


def _legacy_entry_fields(fields: dict[str, str], message: pofile.Message) -> dict[str, object]:
    origin, _, model = fields.get("origin", "").partition(" ")
    stored_sha = fields.get("machine-sha1", "")
    if origin == MACHINE and stored_sha != sha1(message.msgstr):
        origin = HUMAN
    glossary = tuple(g.strip() for g in fields.get("glossary", "").split(";") if g.strip())
    notes = tuple(n.strip() for n in fields.get("notes", "").split(" | ") if n.strip())
    return {
        "origin": origin,
        "model": model.strip(),
        "glossary": glossary,
        "lang": fields.get("lang", ""),
        "machine_target": fields.get("machine", "").replace("\\n", "\n"),
        "machine_sha1": stored_sha if origin == MACHINE else "",
        "notes": notes if origin == MACHINE else (),
        "glossary_sha1": glossary_hash(glossary) if origin == MACHINE else "",
    }


def _key(entry: Entry, references: bool = True) -> tuple:
    values = []
    for f in dataclasses.fields(entry):
        if f.compare and (references or f.name != "references"):
            values.append(getattr(entry, f.name))
    return tuple(values)


_PO_LINE = re.compile(r'(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"')


def _check_syntax(path: Path, data: bytes) -> str:
    """Every line is checked before the file is parsed, so a file that is only
    nearly PO (an unclosed quote, an unquoted msgstr) is reported with its line and
    never "repaired" over a translator's work. Returns the text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TranslationMemoryError(
            f"{path}:{line}: translation memory does not parse: not valid UTF-8 "
            f"(byte 0x{data[exc.start]:02x})"
        ) from None
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, 1):  # PO's lines: not str.splitlines' (U+2028 ...)
        body = raw.strip()
        if body.startswith(("#~", "#|")):  # obsolete or previous entries: same syntax
            body = body[2:].lstrip("|").strip()
        elif body.startswith("#"):
            continue
        if body and not _PO_LINE.fullmatch(body):
            raise TranslationMemoryError(
                f"{path}:{number}: translation memory does not parse: expected a keyword "
                f"and a quoted string, found {body[:40]!r}"
            )
    return text


def _header_fields(msgstr: str) -> dict[str, str]:
    fields = {}
    for line in msgstr.split("\n"):
        name, sep, value = line.partition(":")
        if sep and name.strip():
            fields[name.strip()] = value.strip()
    return fields


_MESSAGE_START = re.compile(r"(#~ ?)?msg(ctxt|id)\b")


def parse(text: str) -> Memory:
    """The memory in a PO file's text; PoSyntaxError if it does not parse."""
    po = pofile.parse(text)
    memory = Memory()
    header = Header()
    header.trailer = po.trailer
    blocks = po.blocks
    if blocks and blocks[0].message.is_header:
        header.message = blocks[0].message
        header.update(_header_fields(header.message.msgstr))
        header.comments = header.message.comments
        header.flags = header.message.flags
        header.raw = blocks[0].text
        header.loaded = header._state()
        blocks = blocks[1:]
    memory.metadata = header
    for block in blocks:
        if not block.message.msgid:
            continue
        lines = block.text.split("\n")
        before = next((i for i, t in enumerate(lines) if _MESSAGE_START.match(t)), 0)
        entry = _entry_from_message(block.message, block.text, block.line + before)
        if block.message.obsolete:
            memory.obsolete.append(entry)
        else:
            memory.entries[block.message.msgid] = entry
    if any(e.raw.legacy for e in memory.entries.values() if e.raw is not None):
        # Earlier versions kept only human entries as obsolete ones, and polib wrote
        # them without their comments: in such a file, obsolete entries are human.
        memory.obsolete = [_legacy_obsolete(e) for e in memory.obsolete]
    return memory


def _legacy_obsolete(entry: Entry) -> Entry:
    if entry.raw is None or entry.origin != UNVERIFIED or not entry.target:
        return entry
    message = entry.raw.message
    if any(is_token_line(c) for c in (*message.comments, *message.extracted)):
        return entry  # bookkeeping that says nothing sure (two that disagree ...)
    human = dataclasses.replace(entry, origin=HUMAN)
    return dataclasses.replace(human, raw=dataclasses.replace(entry.raw, entry=human, legacy=True))


def load(path: Path) -> Memory:
    """The memory in `path`; an empty one when the file does not exist yet."""
    if not path.exists():
        return Memory()
    try:
        text = _check_syntax(path, path.read_bytes())
        return parse(text)
    except pofile.PoSyntaxError as exc:
        raise TranslationMemoryError(
            f"{path}:{exc.line}: translation memory does not parse: {exc.message}"
        ) from None
    except OSError as exc:
        raise TranslationMemoryError(f"{path}: translation memory does not parse: {exc}") from None


# --- writing -----------------------------------------------------------------------


def _message(entry: Entry, obsolete: bool) -> pofile.Message:
    base = entry.raw.message if entry.raw is not None else None
    line = token_line(entry)
    comments = list(entry.comments)
    extracted = list(entry.extracted)
    if line and obsolete:
        comments.append(line)
    elif line:
        ours = info_lines(
            entry.origin,
            entry.model,
            entry.glossary,
            entry.notes,
            entry.machine_target,
            entry.lang,
            entry.review,
            entry.via,
        )
        extracted = [line, *ours, *extracted]
    same_previous = base is not None and (base.previous_msgid or "") == entry.previous_source
    plural = base is not None and base.msgid_plural is not None
    return pofile.Message(
        msgid=entry.source,
        msgstr=entry.target,
        msgctxt=base.msgctxt if base is not None else None,
        msgid_plural=base.msgid_plural if plural else None,  # type: ignore[union-attr]
        msgstr_plural=(entry.target, *base.msgstr_plural[1:]) if plural else (),  # type: ignore[union-attr]
        comments=tuple(comments),
        extracted=tuple(extracted),
        references=() if obsolete else entry.references,
        flags=(("fuzzy",) if entry.fuzzy else ()) + entry.flags,
        previous_msgctxt=base.previous_msgctxt if same_previous else None,  # type: ignore[union-attr]
        previous_msgid=entry.previous_source or None,
        previous_msgid_plural=base.previous_msgid_plural if same_previous else None,  # type: ignore[union-attr]
        obsolete=obsolete,
    )


def _unchanged(entry: Entry, obsolete: bool, upgrade: bool) -> bool:
    raw = entry.raw
    if raw is None or raw.stale or raw.message.obsolete != obsolete or (upgrade and raw.legacy):
        return False
    # Obsolete entries are written without references: losing them is no change.
    return _key(entry, not obsolete) == _key(raw.entry, not obsolete)


def format_entry(entry: Entry, obsolete: bool = False, upgrade: bool = False) -> str:
    """The entry's text in a PO file: as it was read if the entry did not change,
    otherwise as gettext writes it."""
    if _unchanged(entry, obsolete, upgrade):
        return entry.raw.text  # type: ignore[union-attr]
    return pofile.format_message(_message(entry, obsolete))


DEFAULT_FIELDS = {
    "Project-Id-Version": "translate-pipeline",
    # msgfmt -c requires the field; the pipeline writes no dates (the same memory is
    # the same bytes), Poedit and Weblate write the real date when a person saves.
    "PO-Revision-Date": "1970-01-01 00:00+0000",
    "Last-Translator": "translate-pipeline (machine translation)",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=2; plural=(n != 1);",
    "X-Generator": "translate-pipeline",
}


def _defaults(pair: Pair) -> dict[str, str]:
    """The header fields of a new file; the language fields come from the pair."""
    fields = dict(DEFAULT_FIELDS)
    at = list(fields).index("MIME-Version")
    items = list(fields.items())
    items[at:at] = [("Language-Team", language_name(pair.target)), ("Language", pair.target)]
    items.insert(len(items) - 1, ("X-Source-Language", pair.source))
    return dict(items)


# gettext's template values (msginit, xgettext): they say nothing, and msgfmt -c
# warns about them, so the pipeline's own values replace them.
_PLACEHOLDERS = (
    "PACKAGE VERSION",
    "YEAR-MO-DA HO:MI+ZONE",
    "FULL NAME <EMAIL@ADDRESS>",
    "LANGUAGE <LL@li.org>",
    "text/plain; charset=CHARSET",
    "ENCODING",
)


def _header_text(metadata: dict[str, str], source: str, pair: Pair) -> str:
    header = metadata if isinstance(metadata, Header) else None
    defaults = _defaults(pair)
    if header is None or header.message is None:  # a new file
        fields = {**defaults, **metadata}
        message = pofile.Message(
            msgid="",
            comments=(
                f"{language_name(pair.target)} translation of {source}.",
                "Maintained by translate-pipeline; edit with Poedit or Weblate.",
            ),
        )
    else:
        fields = {
            name: defaults[name] if name in defaults and value.startswith(_PLACEHOLDERS) else value
            for name, value in header.items()
        }
        for name, value in defaults.items():
            fields.setdefault(name, value)
        if header._state() == header.loaded and fields == dict(header):
            if tuple(fields) == tuple(header):
                return header.raw
        message = dataclasses.replace(header.message, comments=header.comments, flags=header.flags)
    msgstr = "".join(f"{name}: {value}\n" for name, value in fields.items())
    return pofile.format_message(dataclasses.replace(message, msgstr=msgstr))


def render(memory: Memory, source: str, pair: Pair | None = None, upgrade: bool = False) -> bytes:
    """The PO file's bytes: header, entries in article order, obsolete entries.
    Unchanged messages keep their bytes; `upgrade` rewrites those still in the
    bookkeeping format of earlier versions."""
    blocks = [_header_text(memory.metadata, source, pair or Pair())]
    blocks += [format_entry(e, upgrade=upgrade) for e in memory.entries.values()]
    blocks += [format_entry(e, obsolete=True, upgrade=upgrade) for e in memory.obsolete]
    trailer = memory.metadata.trailer if isinstance(memory.metadata, Header) else ""
    return pofile.join_blocks(blocks, trailer).encode("utf-8")


def write_atomic(path: Path, data: bytes) -> bool:
    """Write `data` unless the file already holds it; temp file, fsync, rename, so a
    kill leaves either the old or the new file. Returns whether it wrote."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, fileio.new_mode(path))  # mkstemp makes 0600; keep the file's own mode
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
