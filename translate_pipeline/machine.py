"""The machine translation run of a build: model loading, waves, and the journal.

Everything the build's first pass found for the machine is translated in waves of a few
hundred sentences. Each wave is one globally length-sorted backend call, and its results
reach the journal before the next wave starts, so a killed build keeps its finished work.
On Ctrl+C the backend stops within the batches it is running and says which sentences of
the wave it finished (`backend.Interrupted`); those are journalled one by one, and the next
run sends the model only the rest. The model loads on a second thread from the moment the
first pass finds work for it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from translate_pipeline import fileio, models, translate
from translate_pipeline.backend import Backend, Interrupted, Progress, Translation, model_label
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

    def start(self) -> None:
        if self.future is None and self.factory is not None:
            self.future = self.executor.submit(self.factory)

    def result(self) -> Backend:
        """The backend; its loading errors are raised here."""
        self.start()
        if self.future is None:
            raise BuildError("no translation backend", EXIT_NO_MODEL)
        return self.future.result()


def translate_waves(
    pending: Sequence[tuple[str, Glossary]],
    backend: Backend,
    journal: Journal,
    report: Report,
    progress: Progress | None,
) -> None:
    """Translate `(unit, glossary)` pairs in waves; each wave is journalled when done. On
    Ctrl+C the sentences the backend finished are journalled before it propagates, and a
    sentence journalled so by an earlier run is not translated again."""
    model = model_label(backend)
    sentence_counts = [len(translate.prepare(u, g).sentences) for u, g in pending]
    total = sum(sentence_counts)
    done = 0
    wave: list[tuple[str, Glossary]] = []
    wave_sentences = 0
    for index, (item, count) in enumerate(zip(pending, sentence_counts)):
        wave.append(item)
        wave_sentences += count
        if wave_sentences < WAVE_SENTENCES and index + 1 < len(pending):
            continue
        base = done

        def wave_progress(finished: int, _total: int, base: int = base) -> None:
            if progress:
                progress(min(total, base + finished), total)

        def translate_sentences(
            sentences: Sequence[str], wave_progress: Progress = wave_progress
        ) -> list[Translation]:
            known = [journal.sentences.get((s, model)) for s in sentences]
            todo = [s for s, k in zip(sentences, known) if k is None]
            try:
                fresh = iter(backend.translate(todo, wave_progress) if todo else [])
            except Interrupted as stopped:
                journal.add(
                    [
                        {"sentence": todo[i], "target": t.text, "score": t.score, "model": model}
                        for i, t in sorted(stopped.finished.items())
                    ]
                )
                raise
            return [k if k is not None else next(fresh) for k in known]

        units = [unit for unit, _ in wave]
        results = translate.translate_units(units, [g for _, g in wave], translate_sentences)
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
                for unit, result in zip(units, results)
            ]
        )
        report.translated_units.extend(units)
        done += wave_sentences
        report.sentences += wave_sentences
        wave, wave_sentences = [], 0


def engine_factory(options: Options, download_progress: Progress | None) -> Backends:
    """Loads a pair's Argos package when a build first needs it; installs it from the
    Argos index when it is missing and the index can be reached."""

    def open_engine(pair: Pair) -> Backend:
        package = models.find_package(pair.source, pair.target)
        if package is None:
            try:
                package = models.install_from_index(pair.source, pair.target, download_progress)
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
        try:
            return Engine(package, EngineSettings(device=options.device, threads=options.threads))
        except models.ModelError as exc:
            raise BuildError(f"{exc} (nothing was written)", EXIT_NO_MODEL) from None

    return open_engine
