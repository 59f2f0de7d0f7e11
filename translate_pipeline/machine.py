"""The machine translation run of a build: model loading, waves, and the journal.

Everything the build's first pass found for the machine is translated in waves of a few
hundred sentences. Each wave's results reach the journal as soon as they are back, so a
killed build keeps its finished work. In this process the waves are backend calls one
after the other, each globally length-sorted; a `backend.Pool` (`ray_executor`) gets every
wave of a model at once and returns them in order as they finish. Either way the driver
forms the waves, skips journalled work and runs `translate.translate_units` on them: the
backend only ever sees sentences. On Ctrl+C the backend stops within the batches it is
running and says which sentences of the wave it finished (`backend.Interrupted`); those
are journalled one by one, and the next run sends the model only the rest. The model
loads on a second thread from the moment the first pass finds work for it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from translate_pipeline import fileio, models, translate
from translate_pipeline.backend import (
    Backend,
    Failed,
    Interrupted,
    Pool,
    Progress,
    Translation,
    model_label,
)
from translate_pipeline.config import Options, Pair, language_name
from translate_pipeline.engine import Engine, EngineSettings
from translate_pipeline.glossary import Glossary
from translate_pipeline.report import EXIT_NO_MODEL, BuildError, Report

WAVE_SENTENCES = 512
JOURNAL_FILE = ".journal.jsonl"
MAX_JOURNAL_BYTES = 1024 * 2**20


def journal_key(source: str, signature: Sequence[str]) -> str:
    """The same German under another article's glossary is another translation."""
    return source + "\x1f" + "; ".join(signature)


class Journal:
    """Machine translations finished in this run, appended as they complete, so a
    killed build's work is reused by the next one. Merged into PO files, then removed.

    Two kinds of record: a unit's translation (written when its wave is done), and a single
    sentence's (written when Ctrl+C stops a wave: the sentences finished by then, which
    the next run does not send to the model again). A unit's record stays on disk: this
    process keeps only where it is (an archive's translations would not fit in memory),
    under a digest of its key, and reads it back when pass 2 settles the unit."""

    def __init__(self, path: Path, report: Report | None = None) -> None:
        self.path = path
        self._offsets: dict[bytes, int] = {}  # digest of a unit's key -> its record's offset
        self._kept: dict[bytes, dict[str, Any]] = {}  # records of a journal not on disk
        self._reader: BinaryIO | None = None
        self._unfinished = False
        self.sentences: dict[tuple[str, str], Translation] = {}  # (sentence, model) -> it
        self.usable = True
        try:
            for offset, line in fileio.lines(fileio.read_chunks(path, MAX_JOURNAL_BYTES)):
                self._index(line, offset)
                # A last line without its newline was cut short by a kill: the next record
                # must not be appended to it.
                self._unfinished = not line.endswith(b"\n")
        except FileNotFoundError:
            return
        except (fileio.Unreadable, OSError) as exc:
            self.usable = False  # never appended to or removed: it is not ours to touch
            self._offsets.clear()
            self.sentences.clear()
            reason = exc if isinstance(exc, fileio.Unreadable) else f"{path}: {exc.strerror}"
            if report is not None:
                report.warnings.append(
                    f"{reason}; the journal is not used, so work an interruption cuts short "
                    "is not kept"
                )
            return

    def _index(self, line: bytes, offset: int) -> None:
        try:
            record = json.loads(line)
            if "sentence" in record:
                self._add_sentence(record)
            else:
                self._offsets[_digest(record["source"], record.get("glossary", ()))] = offset
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
            pass  # a line cut short by a kill

    def add(self, records: Sequence[dict[str, Any]]) -> None:
        lines = [
            json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"
            for record in records
        ]
        offsets: list[int | None] = [None] * len(records)
        if self.usable and records:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                with open(self.path, "ab") as handle:
                    offset = handle.seek(0, os.SEEK_END)
                    if self._unfinished:
                        offset += handle.write(b"\n")
                        self._unfinished = False
                    for index, line in enumerate(lines):
                        handle.write(line)
                        offsets[index] = offset
                        offset += len(line)
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(self.path)) from None
        for record, at in zip(records, offsets):
            if "sentence" in record:
                self._add_sentence(record)
            elif at is None:
                self._kept[_digest(record["source"], record["glossary"])] = record
            else:
                self._offsets[_digest(record["source"], record["glossary"])] = at

    def _add_sentence(self, record: dict[str, Any]) -> None:
        translation = Translation(str(record["target"]), record.get("score"))
        self.sentences[(record["sentence"], record["model"])] = translation

    def has(self, source: str, signature: Sequence[str]) -> bool:
        digest = _digest(source, signature)
        return digest in self._offsets or digest in self._kept

    def get(self, source: str, signature: Sequence[str]) -> dict[str, Any] | None:
        digest = _digest(source, signature)
        offset = self._offsets.get(digest)
        if offset is None:
            return self._kept.get(digest)
        record = self._read(offset)
        if record["source"] != source or list(record.get("glossary", ())) != list(signature):
            return None  # another key with the same digest: never seen, but never trusted
        return record

    def records(self) -> Iterator[dict[str, Any]]:
        """Every unit's record (the last one written for a key), in the order first seen."""
        for offset in self._offsets.values():
            yield self._read(offset)
        yield from self._kept.values()

    def _read(self, offset: int) -> dict[str, Any]:
        if self._reader is None:
            self._reader = open(self.path, "rb")  # noqa: SIM115 (closed by `remove`)
        self._reader.seek(offset)
        record: dict[str, Any] = json.loads(self._reader.readline())
        return record

    def remove(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self.usable:
            self.path.unlink(missing_ok=True)


def _digest(source: str, signature: Sequence[str]) -> bytes:
    """16 bytes for a journal key, whatever the unit's length."""
    return hashlib.blake2b(journal_key(source, signature).encode("utf-8"), digest_size=16).digest()


BackendFactory = Callable[[], Backend]
Backends = Callable[[Pair], Backend]
"""Opens the backend that translates a language pair (a build may need several models)."""


class ModelLoader:
    """Loads the model on a second thread from the moment pass 1 finds the first unit
    for it, while pass 1 goes on reading articles: a large model then costs no wait."""

    def __init__(self, factory: BackendFactory | None) -> None:
        self.factory = factory
        self.future: Future[Backend] | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model-load")

    def __enter__(self) -> ModelLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.executor.shutdown(wait=False)
        future = self.future
        if future is not None and future.done() and future.exception() is None:
            backend = future.result()
            if isinstance(backend, Pool):
                backend.close()

    def start(self) -> None:
        if self.future is None and self.factory is not None:
            self.future = self.executor.submit(self.factory)

    def result(self) -> Backend:
        """The backend; its loading errors are raised here."""
        self.start()
        if self.future is None:
            raise BuildError("no translation backend", EXIT_NO_MODEL)
        return self.future.result()


@dataclass
class _Wave:
    """A wave of units, what its model input is, and the translations known for it
    (journalled by an earlier run, or returned for this one), by sentence."""

    units: list[str]
    glossaries: list[Glossary]
    sentences: int  # as the report counts them: sentences of the units, without titles
    todo: list[str]  # the model input not journalled yet: what the backend translates
    known: dict[str, Translation]

    def lookup(self, sentences: Sequence[str]) -> list[Translation]:
        """`translate_units`' translate call, answered from what is known; `_Missing`
        lists what is not (the pieces of a sentence that lost a glossary target)."""
        missing = [s for s in sentences if s not in self.known]
        if missing:
            raise _Missing(missing)
        return [self.known[s] for s in sentences]


class _Missing(Exception):
    def __init__(self, sentences: list[str]) -> None:
        super().__init__()
        self.sentences = sentences


class Pending:
    """Units waiting for the model, each once, in the order pass 1 found them. They are
    spooled to an unnamed temporary file (in TMPDIR), not kept in memory: an archive's
    units would not fit. What stays is a 16-byte digest per unit, for deduplication, and
    the glossaries the units use."""

    def __init__(self) -> None:
        self._seen: set[bytes] = set()
        self._glossaries: dict[int, int] = {}  # id(glossary) -> its index in `_kept`
        self._kept: list[Glossary] = []
        self._spool: BinaryIO | None = None
        self.sentences = 0  # of the model input, before journalled sentences are taken out

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, unit: str, signature: Sequence[str], glossary: Glossary) -> None:
        digest = _digest(unit, signature)
        if digest in self._seen:
            return
        self._seen.add(digest)
        index = self._glossaries.setdefault(id(glossary), len(self._kept))
        if index == len(self._kept):
            self._kept.append(glossary)
        prepared = translate.prepare(unit, glossary)
        counted = len(prepared.sentences)
        self.sentences += counted + len(prepared.titles)
        if self._spool is None:
            self._spool = tempfile.TemporaryFile(prefix="translate-pipeline-pending-")
        self._spool.seek(0, os.SEEK_END)
        self._spool.write(json.dumps([unit, index, counted], ensure_ascii=False).encode() + b"\n")

    def __iter__(self) -> Iterator[tuple[str, Glossary, int]]:
        """(unit, glossary, its sentences as the report counts them), in order. Several
        iterations may run at once (a `Pool` reads the waves ahead)."""
        for _, line in fileio.lines(self._chunks()):
            unit, index, counted = json.loads(line)
            yield unit, self._kept[index], counted

    def _chunks(self) -> Iterator[bytes]:
        """The spool a MiB at a time, from a position of this iteration's own."""
        position = 0
        while self._spool is not None:
            self._spool.seek(position)
            chunk = self._spool.read(1 << 20)
            if not chunk:
                return
            position += len(chunk)
            yield chunk

    def close(self) -> None:
        """Once translated: the spool is removed."""
        if self._spool is not None:
            self._spool.close()
            self._spool = None
        self._seen.clear()
        self._glossaries.clear()
        self._kept.clear()


def translate_waves(
    pending: Pending,
    backend: Backend,
    journal: Journal,
    report: Report,
    progress: Progress | None,
) -> None:
    """Translate the pending units in waves; each wave is journalled as soon as its
    translations are back. Every wave's model input goes to the backend as one stream
    (`_stream`: wave by wave here; a `Pool` reads all of it ahead, and the waves are
    formed again, one at a time, as their translations come back). A wave whose units need
    a second call (the pieces around a lost glossary target) has its sentences journalled,
    and waits for the end of the stream: its pieces go in a second one. A wave a `Pool`
    failed is not journalled; its units are noted in `report.untranslated` (pass 2 reports
    them by `file:line`, and the next build translates them again). On Ctrl+C the
    sentences the backend finished are journalled before it propagates, and a sentence
    journalled so by an earlier run is not translated again. Neither the units nor their
    translations are held beyond a wave: they are on disk (`Pending`, `Journal`)."""
    model = model_label(backend)

    def waves() -> Iterator[_Wave]:
        for units, glossaries, count in _cut(pending):
            yield _plan_wave(units, glossaries, count, journal, model)

    if isinstance(backend, Pool):
        planned, ahead = waves(), waves()
    else:
        planned, ahead = itertools.tee(waves())  # in step: tee holds one wave at most
    batches = (wave.todo for wave in ahead)
    waiting: list[tuple[_Wave, list[str]]] = []
    stream = _stream(backend, batches, pending.sentences, journal, progress)
    for wave, translations in zip(planned, stream):
        if isinstance(translations, Failed):
            report.untranslated.update(dict.fromkeys(wave.units, translations.reason))
            continue
        wave.known.update(zip(wave.todo, translations))
        report.translated(wave.units)
        report.sentences += wave.sentences
        try:
            _journal_wave(wave, journal, model)
        except _Missing as lost:
            journal.add([_sentence_record(s, wave.known[s], model) for s in wave.todo])
            waiting.append((wave, lost.sentences))
    pieces = [missing for _, missing in waiting]
    total = sum(len(p) for p in pieces)
    stream = _stream(backend, pieces, total, journal, progress)
    for (wave, missing), translations in zip(waiting, stream):
        if isinstance(translations, Failed):
            report.untranslated.update(dict.fromkeys(wave.units, translations.reason))
            continue
        wave.known.update(zip(missing, translations))
        _journal_wave(wave, journal, model)


def _cut(pending: Pending) -> Iterator[tuple[list[str], list[Glossary], int]]:
    """Units in waves of about WAVE_SENTENCES sentences, in order."""
    units: list[str] = []
    glossaries: list[Glossary] = []
    count = 0
    for unit, glossary, counted in pending:
        units.append(unit)
        glossaries.append(glossary)
        count += counted
        if count >= WAVE_SENTENCES:
            yield units, glossaries, count
            units, glossaries, count = [], [], 0
    if units:
        yield units, glossaries, count


def _plan_wave(
    units: list[str], glossaries: list[Glossary], count: int, journal: Journal, model: str
) -> _Wave:
    known: dict[str, Translation] = {}
    todo: list[str] = []
    for sentence in translate.model_input(units, glossaries):
        journalled = journal.sentences.get((sentence, model))
        if journalled is None:
            todo.append(sentence)
        else:
            known[sentence] = journalled
    return _Wave(units, glossaries, count, todo, known)


def _journal_wave(wave: _Wave, journal: Journal, model: str) -> None:
    results = translate.translate_units(wave.units, wave.glossaries, wave.lookup)
    journal.add(
        [
            {
                "source": unit,
                "glossary": list(result.glossary),
                "target": result.target,
                "model": model,
                "problems": result.problems,
                "scores": list(result.scores),
            }
            for unit, result in zip(wave.units, results)
        ]
    )


def _sentence_record(sentence: str, translation: Translation, model: str) -> dict[str, Any]:
    return {
        "sentence": sentence,
        "target": translation.text,
        "score": translation.score,
        "model": model,
    }


def _stream(
    backend: Backend,
    batches: Iterable[Sequence[str]],
    total: int,
    journal: Journal,
    progress: Progress | None,
) -> Iterator[list[Translation] | Failed]:
    """Each batch's translations, in order: a `Pool` gets them all at once (and may fail
    a batch: its units are reported, the rest is published); this process's backend one
    batch after the other (its errors stop the build), with `total` sentences for the
    progress line (at most: sentences an interrupted run journalled are not sent)."""
    if isinstance(backend, Pool):
        yield from backend.translate_batches(batches, progress)
        return
    done = 0
    for batch in batches:
        if not batch:
            yield []
            continue

        def batch_progress(finished: int, _total: int, base: int = done) -> None:
            if progress:
                progress(min(total, base + finished), total)

        try:
            translations = backend.translate(batch, batch_progress)
        except Interrupted as stopped:
            model = model_label(backend)
            journal.add(
                [_sentence_record(batch[i], t, model) for i, t in sorted(stopped.finished.items())]
            )
            raise
        done += len(batch)
        yield translations


def find_model(pair: Pair, download_progress: Progress | None) -> models.Package:
    """The installed Argos package of a pair; installed from the Argos index when it is
    missing and the index can be reached; otherwise BuildError saying how to install it."""
    package = models.find_package(pair.source, pair.target)
    if package is not None:
        return package
    try:
        return models.install_from_index(pair.source, pair.target, download_progress)
    except models.ModelError as exc:
        raise BuildError(
            f"no {language_name(pair.source)}→{language_name(pair.target)} "
            f"({pair.source}→{pair.target}) translation package is installed in "
            f"{models.packages_dir()}, and it could not be downloaded ({exc}).\n"
            "Install one with either:\n"
            f"  translate-pipeline models install {pair.source} {pair.target}"
            "            (Argos package index)\n"
            "  translate-pipeline models install FILE.argosmodel  (offline, from a file)\n"
            "Nothing was written.",
            EXIT_NO_MODEL,
        ) from None


def engine_factory(options: Options, download_progress: Progress | None) -> Backends:
    """Loads a pair's Argos package in this process when a build first needs it."""

    def open_engine(pair: Pair) -> Backend:
        package = find_model(pair, download_progress)
        try:
            return Engine(package, EngineSettings(device=options.device, threads=options.threads))
        except models.ModelError as exc:
            raise BuildError(f"{exc} (nothing was written)", EXIT_NO_MODEL) from None

    return open_engine


def executor_factory(options: Options, download_progress: Progress | None) -> Backends:
    """The backends of `options.executor`: this process (`engine_factory`), or a pool of
    Ray actors (`ray_executor`, imported only then: Ray is an optional extra)."""
    if options.executor == "ray":
        from translate_pipeline import ray_executor

        return ray_executor.backends(options, download_progress)
    return engine_factory(options, download_progress)
