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

import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    the next run does not send to the model again)."""

    def __init__(self, path: Path, report: Report | None = None) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        self.sentences: dict[tuple[str, str], Translation] = {}  # (sentence, model) -> it
        self.usable = True
        try:
            data = fileio.read_input(path, MAX_JOURNAL_BYTES)
        except FileNotFoundError:
            return
        except (fileio.Unreadable, OSError) as exc:
            self.usable = False  # never appended to or removed: it is not ours to touch
            reason = exc if isinstance(exc, fileio.Unreadable) else f"{path}: {exc.strerror}"
            if report is not None:
                report.warnings.append(
                    f"{reason}; the journal is not used, so work an interruption cuts short "
                    "is not kept"
                )
            return
        # split("\n"), not splitlines(): records hold U+2028 and U+0085 unescaped.
        for line in data.decode("utf-8", errors="replace").split("\n"):
            try:
                record = json.loads(line)
                if "sentence" in record:
                    self._add_sentence(record)
                else:
                    key = journal_key(record["source"], record.get("glossary", ()))
                    self.entries[key] = record
            except (json.JSONDecodeError, KeyError, TypeError):
                continue  # a line cut short by a kill

    def add(self, records: Sequence[dict[str, Any]]) -> None:
        if self.usable and records:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                with open(self.path, "a", encoding="utf-8") as handle:
                    for record in records:
                        line = json.dumps(record, ensure_ascii=False, sort_keys=True)
                        handle.write(line + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(self.path)) from None
        for record in records:
            if "sentence" in record:
                self._add_sentence(record)
            else:
                self.entries[journal_key(record["source"], record["glossary"])] = record

    def _add_sentence(self, record: dict[str, Any]) -> None:
        translation = Translation(str(record["target"]), record.get("score"))
        self.sentences[(record["sentence"], record["model"])] = translation

    def get(self, source: str, signature: Sequence[str]) -> dict[str, Any] | None:
        return self.entries.get(journal_key(source, signature))

    def remove(self) -> None:
        if self.usable:
            self.path.unlink(missing_ok=True)


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


def translate_waves(
    pending: Sequence[tuple[str, Glossary]],
    backend: Backend,
    journal: Journal,
    report: Report,
    progress: Progress | None,
) -> None:
    """Translate `(unit, glossary)` pairs in waves; each wave is journalled as soon as its
    translations are back. Every wave's model input goes to the backend as one stream
    (`_stream`: wave by wave here, all at once on a `Pool`). A wave whose units need a
    second call (the pieces around a lost glossary target) has its sentences journalled,
    and waits for the end of the stream: its pieces go in a second one. A wave a `Pool`
    failed is not journalled; its units are noted in `report.untranslated` (pass 2 reports
    them by `file:line`, and the next build translates them again). On Ctrl+C the
    sentences the backend finished are journalled before it propagates, and a sentence
    journalled so by an earlier run is not translated again."""
    model = model_label(backend)
    waves = [
        _plan_wave(units, glossaries, count, journal, model)
        for units, glossaries, count in _cut(pending)
    ]
    waiting: list[tuple[_Wave, list[str]]] = []
    for wave, translations in zip(
        waves, _stream(backend, [w.todo for w in waves], journal, progress)
    ):
        if isinstance(translations, Failed):
            report.untranslated.update(dict.fromkeys(wave.units, translations.reason))
            continue
        wave.known.update(zip(wave.todo, translations))
        report.translated_units.extend(wave.units)
        report.sentences += wave.sentences
        try:
            _journal_wave(wave, journal, model)
        except _Missing as lost:
            journal.add([_sentence_record(s, wave.known[s], model) for s in wave.todo])
            waiting.append((wave, lost.sentences))
    pieces = [missing for _, missing in waiting]
    for (wave, missing), translations in zip(waiting, _stream(backend, pieces, journal, progress)):
        if isinstance(translations, Failed):
            report.untranslated.update(dict.fromkeys(wave.units, translations.reason))
            continue
        wave.known.update(zip(missing, translations))
        _journal_wave(wave, journal, model)


def _cut(
    pending: Sequence[tuple[str, Glossary]],
) -> Iterator[tuple[list[str], list[Glossary], int]]:
    """Units in waves of about WAVE_SENTENCES sentences, in order."""
    units: list[str] = []
    glossaries: list[Glossary] = []
    count = 0
    for index, (unit, glossary) in enumerate(pending):
        units.append(unit)
        glossaries.append(glossary)
        count += len(translate.prepare(unit, glossary).sentences)
        if count >= WAVE_SENTENCES or index + 1 == len(pending):
            yield units, glossaries, count
            units, glossaries, count = [], [], 0


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
    batches: Sequence[Sequence[str]],
    journal: Journal,
    progress: Progress | None,
) -> Iterator[list[Translation] | Failed]:
    """Each batch's translations, in order: a `Pool` gets them all at once (and may fail
    a batch: its units are reported, the rest is published); this process's backend one
    batch after the other (its errors stop the build)."""
    if isinstance(backend, Pool):
        yield from backend.translate_batches(batches, progress)
        return
    total = sum(len(batch) for batch in batches)
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
