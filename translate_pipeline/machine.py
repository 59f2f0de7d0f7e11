"""The machine translation run of a build: model loading, waves, and the journal.

Everything the build's first pass found for the machine is translated in waves of a few
hundred sentences. Each wave is one globally length-sorted backend call, and its results
reach the journal before the next wave starts, so a killed build keeps its finished work.
The model loads on a second thread from the moment the first pass finds work for it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from translate_pipeline import models, translate
from translate_pipeline.backend import Backend, Progress, model_label
from translate_pipeline.config import Options, language_name
from translate_pipeline.engine import Engine, EngineSettings
from translate_pipeline.glossary import Glossary
from translate_pipeline.report import EXIT_NO_MODEL, BuildError, Report

WAVE_SENTENCES = 512
JOURNAL_FILE = ".journal.jsonl"


def journal_key(source: str, signature: Sequence[str]) -> str:
    """The same German under another article's glossary is another translation."""
    return source + "\x1f" + "; ".join(signature)


class Journal:
    """Machine translations finished in this run, appended as they complete, so a
    killed build's work is reused by the next one. Merged into PO files, then removed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        if path.exists():
            # split("\n"), not splitlines(): records hold U+2028 and U+0085 unescaped.
            for line in path.read_text("utf-8", errors="replace").split("\n"):
                try:
                    record = json.loads(line)
                    self.entries[journal_key(record["source"], record.get("glossary", ()))] = record
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue  # a line cut short by a kill

    def add(self, records: Sequence[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
                self.entries[journal_key(record["source"], record["glossary"])] = record
            handle.flush()
            os.fsync(handle.fileno())

    def get(self, source: str, signature: Sequence[str]) -> dict[str, Any] | None:
        return self.entries.get(journal_key(source, signature))

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


BackendFactory = Callable[[], Backend]


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
    """Translate `(unit, glossary)` pairs in waves; each wave is journalled when done."""
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

        units = [unit for unit, _ in wave]
        results = translate.translate_units(
            units,
            [g for _, g in wave],
            lambda sentences: backend.translate(sentences, wave_progress),
        )
        journal.add(
            [
                {
                    "source": unit,
                    "glossary": list(result.glossary),
                    "target": result.target,
                    "model": model,
                    "problems": result.problems,
                }
                for unit, result in zip(units, results)
            ]
        )
        report.translated_units.extend(units)
        done += wave_sentences
        report.sentences += wave_sentences
        wave, wave_sentences = [], 0


def engine_factory(options: Options, download_progress: Progress | None) -> BackendFactory:
    """Loads the pair's Argos package when a build first needs it; installs it from the
    Argos index when it is missing and the index can be reached."""
    pair = options.pair

    def open_engine() -> Backend:
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
