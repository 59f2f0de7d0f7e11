"""The state file: what the last build published into the output folder, and from what.

It marks the folder as ours (the files its lines list are everything a build put there)
and keeps a fingerprint per article (source, memory, glossary, code), so the next build
skips every article whose inputs did not change.

It is JSON Lines, one article per line, so an archive's state is never held whole: the
single JSON document it replaces took 2.6 KB of memory per article when loaded, and
passed the 256 MB read limit at about 280,000 articles (after which every build started
from nothing). The first line is the header, ``{"code": ..., "format": 2}``; an article's
line is ``{"article": path, "fingerprint", "files", "summary", "links", "flagged"}``; a
line may list further files of the folder (``{"files": [...]}``, the indexes and feeds).
The folder's files are what all lines list. `Previous` reads the last build's file
through an index of byte offsets; `Writer` writes the new one line by line. A state file
in the older single-document format is still read; the next build replaces it.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from translate_pipeline import fileio

STATE_FILE = ".translate-pipeline-state.json"
FORMAT = 2
MAX_STATE_BYTES = 16 * 2**30  # a million articles take about 1 GB
MAX_LINE_BYTES = 16 * 2**20  # an article's line is a few KB, a line of files 10,000 names
MAX_LEGACY_BYTES = 256 * 2**20  # the older format is read whole
FILES_PER_LINE = 10_000  # a list of files alone (the indexes, an in-place publish's intent)


def _line(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False).encode() + b"\n"


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class Previous:
    """The state the last build left in `out`, read one article at a time. One that is
    missing or unreadable is empty: nothing is reused, and the folder lists no files."""

    def __init__(self, out: Path, articles: bool = True) -> None:
        """`articles=False` reads the header only: enough for `files`, which the ownership
        check needs before a build, without indexing an archive's lines for nothing."""
        self.path = out / STATE_FILE
        self.code: str | None = None
        self.publishing = False  # an in-place publish was cut short (publish.Output)
        self._lines = False  # the file is in this format (else the older one, or none)
        self._offsets: dict[str, int] = {}
        self._slugs: dict[str, str] = {}
        self._legacy: dict[str, Any] | None = None  # the older format, loaded whole
        try:
            self._index(articles)
        except (OSError, ValueError, fileio.Unreadable):
            self.code, self.publishing, self._legacy, self._lines = None, False, None, False
            self._offsets.clear()
            self._slugs.clear()

    def _index(self, articles: bool) -> None:
        chunks = fileio.read_chunks(self.path, MAX_STATE_BYTES)
        numbered = fileio.lines(chunks, MAX_LINE_BYTES)
        try:
            _, first = next(numbered, (0, b""))
            header = _parse(first)
            if header is None or header.get("format") != FORMAT:
                self._load_legacy()
                return
            self._lines = True
            self.code = header.get("code") if isinstance(header.get("code"), str) else None
            self.publishing = header.get("publishing") is True
            for offset, line in numbered if articles else ():
                if not line.startswith(b'{"article": '):
                    continue
                entry = _parse(line)
                if entry is not None and _valid(entry):
                    self._offsets[entry["article"]] = offset
                    self._slugs[entry["article"]] = entry["summary"]["slug"]
        finally:
            numbered.close()
            chunks.close()

    def _load_legacy(self) -> None:
        try:
            whole = json.loads(fileio.read_input(self.path, MAX_LEGACY_BYTES))
        except ValueError:
            return
        if not isinstance(whole, dict):
            return
        self._legacy = whole
        self.code = whole.get("code") if isinstance(whole.get("code"), str) else None
        self.publishing = whole.get("publishing") is True
        articles = whole.get("articles")
        for path, entry in articles.items() if isinstance(articles, dict) else ():
            if isinstance(entry, dict) and _valid({**entry, "article": path}):
                self._slugs[path] = entry["summary"]["slug"]

    def slugs(self) -> dict[str, str]:
        """The slug of every article the last build published, by source path."""
        return self._slugs

    def get(self, article: str) -> dict[str, Any] | None:
        """The article's entry, read from the file; None when the last build has none."""
        if article not in self._slugs:
            return None
        if self._legacy is not None:
            return dict(self._legacy["articles"][article])
        try:
            entry = _parse(_line_at(self.path, self._offsets[article]))
        except OSError:
            return None
        if entry is None or entry.get("article") != article or not _valid(entry):
            return None  # changed since it was indexed
        del entry["article"]
        return entry

    def files(self) -> set[str] | None:
        """Every file the folder's builds put there; None for a state file from before
        states listed files (or none at all)."""
        if self._legacy is not None:
            listed = self._legacy.get("files")
            return {f for f in listed if isinstance(f, str)} if isinstance(listed, list) else None
        if not self._lines:
            return None
        found: set[str] = set()
        try:
            chunks = fileio.read_chunks(self.path, MAX_STATE_BYTES)
            for _, line in fileio.lines(chunks, MAX_LINE_BYTES):
                entry = _parse(line)
                listed = entry.get("files") if entry is not None else None
                if isinstance(listed, list):
                    found.update(f for f in listed if isinstance(f, str))
        except (OSError, ValueError, fileio.Unreadable):
            return None  # gone or changed since it was indexed: as if unreadable then
        return found


# render.Summary's fields and their types
_SUMMARY_FIELDS = {
    "slug": str, "author": str, "date": str, "titles": dict, "descriptions": dict, "minutes": dict,
}  # fmt: skip


def _line_at(path: Path, offset: int) -> bytes:
    """The line from `offset`, read without blocking (the file is in a folder anyone can
    write to: a FIFO put there is not read) and never longer than MAX_LINE_BYTES."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        parts: list[bytes] = []
        read = 0
        while read < MAX_LINE_BYTES and (chunk := os.pread(fd, 1 << 16, offset + read)):
            end = chunk.find(b"\n")
            if end >= 0:
                parts.append(chunk[: end + 1])
                break
            parts.append(chunk)
            read += len(chunk)
        return b"".join(parts)
    finally:
        os.close(fd)


def _valid(entry: dict[str, Any]) -> bool:
    """The fields a build relies on, with their types (the file is in a folder anyone
    can edit; an entry that fails is not reused, so its article is built again)."""
    summary = entry.get("summary")
    return (
        isinstance(entry.get("article"), str)
        and isinstance(entry.get("fingerprint"), str)
        and isinstance(entry.get("files"), list)
        and all(isinstance(f, str) for f in entry["files"])
        and isinstance(entry.get("links", {}), dict)
        and isinstance(summary, dict)
        and summary.keys() == _SUMMARY_FIELDS.keys()
        and all(isinstance(summary[key], kind) for key, kind in _SUMMARY_FIELDS.items())
    )


class Writer:
    """The new state file, written line by line to a temporary file as the build settles
    each article; `finish` adds the folder's other files and returns its path."""

    def __init__(self, code: str) -> None:
        # Unnamed: a killed build leaves nothing behind.
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close)
        self._file.write(_line({"code": code, "format": FORMAT}))
        self._starts = array("q")  # where each article's line starts
        self._end = 0  # where the last one ends

    def add(self, article: str, entry: dict[str, Any]) -> None:
        self._starts.append(self._file.tell())
        self._file.write(_line({"article": article, **entry}))
        self._end = self._file.tell()

    def __len__(self) -> int:
        """The number of articles added."""
        return len(self._starts)

    def entry(self, index: int) -> dict[str, Any]:
        """The `index`th article added, read back from the file: a build does not keep
        an archive's entries in memory."""
        self._file.flush()
        start = self._starts[index]
        end = self._starts[index + 1] if index + 1 < len(self._starts) else self._end
        return json.loads(os.pread(self._file.fileno(), end - start, start))

    def finish(self, files: Iterable[str]) -> IO[bytes]:
        """The whole state file (open until `close`), with `files` listed last."""
        for line in listing(files):
            self._file.write(line)
        self._file.flush()
        return self._file

    def close(self) -> None:
        self._file.close()


def listing(files: Iterable[str]) -> Iterator[bytes]:
    """Lines that list `files` in order, FILES_PER_LINE to a line."""
    ordered = sorted(files)
    for start in range(0, len(ordered), FILES_PER_LINE):
        yield _line({"files": ordered[start : start + FILES_PER_LINE]})


def intent(files: Sequence[str]) -> bytes:
    """The state file an in-place publish writes first: it lists every file that may be
    in the folder until the publish ends, and no fingerprints, so a publish cut short is
    redone in full and the folder stays recognisably ours."""
    return _line({"format": FORMAT, "publishing": True}) + b"".join(listing(files))
