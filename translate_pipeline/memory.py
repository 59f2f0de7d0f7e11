"""The translation memory: one gettext PO file per article under `translations/de-en/`.

PO is what translators' tools (Poedit, Weblate, Lokalize) open, and gettext's own
conventions carry everything the pipeline needs to remember:

- `msgid` is a German unit of inline Markdown (a whole paragraph, heading, list
  item, table cell, title or description), `msgstr` its English;
- an extracted comment `origin:` says who wrote it (`machine <package> <version>`,
  `human`, or `copy` for a block that was already English);
- `machine-sha1:` is the hash of the English the machine wrote: when the `msgstr`
  no longer matches it, a person edited the entry, and it is human from then on;
- `glossary:` lists the glossary entries applied, so a changed entry retranslates
  exactly the blocks that contain it;
- `#, fuzzy` with `#| msgid` (the previous German) marks a human translation whose
  German changed, as `msgmerge` does; `machine:` then holds the fresh machine
  translation the pages show until a person reviews the entry and clears the flag.

Files are written atomically (temp file, fsync, rename) and without dates, so a
kill never leaves half a file and the same memory is the same bytes.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import polib

from translate_pipeline import fileio
from translate_pipeline.config import Pair, language_name

HUMAN, MACHINE, COPY = "human", "machine", "copy"
FUZZY_SIMILARITY = 0.6


class TranslationMemoryError(Exception):
    """A PO file that cannot be parsed: `str()` is `file:line: message`."""


@dataclass(frozen=True)
class Entry:
    source: str
    target: str
    origin: str = MACHINE
    model: str = ""
    glossary: tuple[str, ...] = ()
    lang: str = ""  # a copied unit's language; '' is the source language
    fuzzy: bool = False
    previous_source: str = ""
    machine_target: str = ""
    references: tuple[str, ...] = ()
    machine_sha1: str = ""
    notes: tuple[str, ...] = ()  # what the machine could not do (formatting dropped ...)

    @property
    def is_human(self) -> bool:
        return self.origin == HUMAN

    @property
    def display(self) -> str:
        """The English a page shows: the fresh machine translation while a human
        translation waits for review, otherwise the entry itself."""
        return self.machine_target if self.fuzzy and self.machine_target else self.target


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def machine_entry(
    source: str, target: str, model: str, glossary: Iterable[str] = (), notes: Iterable[str] = ()
) -> Entry:
    return Entry(
        source,
        target,
        MACHINE,
        model,
        tuple(glossary),
        machine_sha1=sha1(target),
        notes=tuple(notes),
    )


@dataclass
class Memory:
    """The entries of one article, keyed by German source."""

    entries: dict[str, Entry] = field(default_factory=dict)
    obsolete: list[Entry] = field(default_factory=list)
    # Header fields a translator's tool set (Last-Translator, PO-Revision-Date ...)
    # are kept as they are.
    metadata: dict[str, str] = field(default_factory=dict)

    def get(self, source: str) -> Entry | None:
        """The entry for `source`; a human one kept as obsolete comes back when its
        German does (a paragraph deleted, then restored)."""
        found = self.entries.get(source)
        if found is None:
            found = next((e for e in self.obsolete if e.source == source), None)
        return found

    def closest_human(self, source: str, used: set[str]) -> Entry | None:
        """The human entry no longer in use whose German is most like `source`,
        as `msgmerge` finds fuzzy matches."""
        candidates = [
            e
            for e in [*self.entries.values(), *self.obsolete]
            if e.is_human and e.source not in used and e.source != source
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


# --- reading -----------------------------------------------------------------


_FIELDS = ("origin", "machine-sha1", "glossary", "lang", "machine", "notes")


def _comment_fields(comment: str) -> dict[str, str]:
    """Our `key: value` comments; polib wraps long ones, so a line that starts with
    no known key continues the previous value."""
    fields: dict[str, str] = {}
    key = None
    for line in comment.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() in _FIELDS:
            key = name.strip()
            fields[key] = value.strip()
        elif key is not None:
            fields[key] = f"{fields[key]} {line.strip()}".strip()
    return fields


def _entry_from_po(po_entry: polib.POEntry) -> Entry:
    fields = _comment_fields(po_entry.comment or "")
    origin_field = fields.get("origin", HUMAN)
    origin, _, model = origin_field.partition(" ")
    origin = origin if origin in (HUMAN, MACHINE, COPY) else HUMAN
    stored_sha = fields.get("machine-sha1", "")
    if origin == MACHINE and stored_sha != sha1(po_entry.msgstr):
        origin = HUMAN  # a person changed what the machine wrote
    glossary = tuple(g.strip() for g in fields.get("glossary", "").split(";") if g.strip())
    return Entry(
        source=po_entry.msgid,
        target=po_entry.msgstr,
        origin=origin,
        model=model.strip(),
        glossary=glossary,
        lang=fields.get("lang", ""),
        fuzzy="fuzzy" in po_entry.flags,
        previous_source=po_entry.previous_msgid or "",
        machine_target=fields.get("machine", "").replace("\\n", "\n"),
        references=tuple(f"{f}:{n}" if n else f for f, n in po_entry.occurrences),
        machine_sha1=stored_sha if origin == MACHINE else "",
        notes=tuple(n.strip() for n in fields.get("notes", "").split(" | ") if n.strip())
        if origin == MACHINE
        else (),
    )


_PO_LINE = re.compile(r'(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"')


def _check_syntax(path: Path, data: bytes) -> None:
    """polib quietly repairs some mistakes (an unclosed quote costs the string its last
    character, an unquoted msgstr becomes empty) and the build would write the repair
    back over a translator's work: every line is checked before polib reads the file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TranslationMemoryError(
            f"{path}:{line}: translation memory does not parse: not valid UTF-8 "
            f"(byte 0x{data[exc.start]:02x})"
        ) from None
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, 1):  # polib's lines: not str.splitlines' (U+2028 ...)
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


def load(path: Path) -> Memory:
    """The memory in `path`; an empty one when the file does not exist yet."""
    if not path.exists():
        return Memory()
    try:
        _check_syntax(path, path.read_bytes())
        po = polib.pofile(str(path), encoding="utf-8")
    except (OSError, ValueError) as exc:
        message = str(exc)
        where = str(path)
        if found := re.search(r"\s*\(line (\d+)\)(?::\s*)?", message):
            where = f"{path}:{found.group(1)}"
            message = message[found.end() :] or "syntax error"
        raise TranslationMemoryError(
            f"{where}: translation memory does not parse: {message}"
        ) from None
    memory = Memory(metadata=dict(po.metadata))
    for po_entry in po:
        if po_entry.obsolete:
            memory.obsolete.append(_entry_from_po(po_entry))
        elif po_entry.msgid:
            memory.entries[po_entry.msgid] = _entry_from_po(po_entry)
    return memory


# --- writing -----------------------------------------------------------------


def _po_entry(entry: Entry, obsolete: bool = False) -> polib.POEntry:
    origin = f"{entry.origin} {entry.model}".strip()
    comments = [f"origin: {origin}"]
    if entry.origin == MACHINE:
        comments.append(f"machine-sha1: {entry.machine_sha1 or sha1(entry.target)}")
    if entry.glossary:
        comments.append("glossary: " + "; ".join(entry.glossary))
    if entry.lang:
        comments.append(f"lang: {entry.lang}")
    if entry.notes:
        comments.append("notes: " + " | ".join(entry.notes))
    if entry.fuzzy and entry.machine_target:
        comments.append("machine: " + entry.machine_target.replace("\n", "\\n"))
    occurrences = [
        tuple(ref.rsplit(":", 1)) if ":" in ref else (ref, "") for ref in entry.references
    ]
    return polib.POEntry(
        msgid=entry.source,
        msgstr=entry.target,
        comment="\n".join(comments),
        occurrences=occurrences,
        flags=["fuzzy"] if entry.fuzzy else [],
        previous_msgid=entry.previous_source or None,
        obsolete=obsolete,
    )


def render(memory: Memory, source: str, pair: Pair | None = None) -> bytes:
    """The PO file's bytes: header without dates, entries in article order."""
    pair = pair or Pair()
    po = polib.POFile(wrapwidth=78, encoding="utf-8")
    language = language_name(pair.target)
    po.header = (
        f"{language} translation of {source}.\n"
        "Maintained by translate-pipeline; edit with Poedit or Weblate."
    )
    po.metadata = {
        "Project-Id-Version": "translate-pipeline",
        "Last-Translator": "translate-pipeline (machine translation)",
        "Language-Team": language,
        "Language": pair.target,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
        "X-Source-Language": pair.source,
        "X-Generator": "translate-pipeline",
        **memory.metadata,
    }
    for entry in memory.entries.values():
        po.append(_po_entry(entry))
    for entry in memory.obsolete:
        po.append(_po_entry(replace(entry, references=()), obsolete=True))
    return str(po).encode("utf-8")


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
