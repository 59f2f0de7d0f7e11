"""One site build, measured; run by `run.py` in a fresh process per build.

A process of its own gives each build a cold start like a user's `translate-pipeline
build` and its own peak RSS. Prints one JSON object.

Usage: python benchmarks/build_once.py ROOT  (ROOT holds content/, glossaries/;
site/ and translations/ are written there; ARGOS_PACKAGES_DIR picks the model)
       python benchmarks/build_once.py --model  (the RSS the model alone adds)
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from translate_pipeline import (
    analysis,
    assemble,
    build,
    config,
    detect,
    models,
    render,
    review,
    translate,
)
from translate_pipeline.backend import Progress, Translation
from translate_pipeline.config import Pair
from translate_pipeline.engine import Engine, EngineSettings
from translate_pipeline.glossary import Glossary

# The stages issue 7 names, by the functions that do them. Wrapped, not changed: the
# build runs the same code, plus a few microseconds per call for the clock.
STAGES = {
    "detection": [(detect, "article_language"), (detect, "block_language")],
    "segmentation": [(translate, "split_sentences")],
    "glossary matching": [
        (Glossary, "find"),
        (translate, "missing_targets"),
        (analysis, "missing_targets"),
    ],
    "rendering": [
        (assemble, "article_page"),
        (render, "render_article"),
        (render, "_render"),  # every page's template, indexes' included
        (render, "_xml"),  # feeds and sitemaps
    ],
}

# The review signals (issue 15): the build's thresholds and each fresh translation's
# signals, timed whole with everything they call. No overlap with STAGES: `quality` calls
# language detection and sentence splitting through its own imports, which are not wrapped.
REVIEW = [(review, "limits"), (review, "assess")]


def rss_mb(field: str) -> float:
    """`VmRSS` (resident memory now) or `VmHWM` (its peak) from /proc/self/status. Not
    `ru_maxrss`: on Linux a child inherits its parent's peak across fork and exec, and the
    benchmark's parent holds several models."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} in /proc/self/status")


class TimedEngine(Engine):
    """The real engine, with the wall time spent inside `translate` added up, so the
    rest of the build (parsing, detection, memories, rendering, writing) can be told apart."""

    translate_seconds = 0.0

    def translate(
        self, sentences: Sequence[str], progress: Progress | None = None
    ) -> list[Translation]:
        start = time.perf_counter()
        try:
            return super().translate(sentences, progress)
        finally:
            self.translate_seconds += time.perf_counter() - start


class StageClock:
    """Wall time per stage; a stage called inside another counts for itself only."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.running: list[list] = []  # [stage, since] for each stage entered, innermost last

    def install(self) -> None:
        for stage, functions in STAGES.items():
            for owner, name in functions:
                setattr(owner, name, self.timed(stage, getattr(owner, name)))

    def timed(self, stage: str, function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            self._switch()
            self.running.append([stage, time.perf_counter()])
            try:
                return function(*args, **kwargs)
            finally:
                self._switch()
                self.running.pop()

        return wrapper

    def _switch(self) -> None:
        """Book the innermost running stage's time so far; it resumes from now."""
        if self.running:
            now = time.perf_counter()
            self.seconds[self.running[-1][0]] += now - self.running[-1][1]
            self.running[-1][1] = now


class WholeClock:
    """Wall time spent inside some functions, everything they call included."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def install(self, functions: list[tuple[object, str]]) -> None:
        for owner, name in functions:
            setattr(owner, name, self.timed(getattr(owner, name)))

    def timed(self, function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1

        return wrapper


def main(root: Path, targets: tuple[str, ...] = ("en",)) -> None:
    options = config.Options(
        content=root / "content",
        out=root / "site",
        translations=root / "translations" / "de-en",
        glossaries=root / "glossaries",
        targets=targets,
    )
    engines: list[TimedEngine] = []

    def open_engine(pair: Pair) -> Engine:
        """Like machine.engine_factory, minus the download fallback."""
        engines.append(TimedEngine(_package(pair), EngineSettings()))
        return engines[-1]

    clock = StageClock()
    clock.install()
    review_clock = WholeClock()
    review_clock.install(REVIEW)
    start = time.perf_counter()
    report = build.build(options, open_engine)
    seconds = time.perf_counter() - start
    result = {
        "seconds": seconds,
        "translate_seconds": sum(engine.translate_seconds for engine in engines),
        "stage_seconds": dict(clock.seconds),
        "review_seconds": review_clock.seconds,
        "review_calls": review_clock.calls,
        "flagged": report.flagged,
        "articles": report.articles,
        "reused_articles": report.reused_articles,
        "sentences": report.sentences,
        "problems": report.errors + report.skipped,
        "peak_rss_mb": rss_mb("VmHWM"),
    }
    print(json.dumps(result))


def _package(pair: Pair | None = None) -> models.Package:
    pair = pair or Pair()
    package = models.find_package(pair.source, pair.target)
    if package is None:
        raise SystemExit(f"no {pair.source}→{pair.target} package in ARGOS_PACKAGES_DIR")
    return package


def model_rss() -> None:
    """What loading the model adds to a process's RSS, measured alone: during a build the
    model loads on a second thread while pass 1 goes on, so the build cannot tell."""
    package = _package()
    before = rss_mb("VmRSS")
    engine = Engine(package, EngineSettings())
    print(json.dumps({"model_rss_mb": rss_mb("VmRSS") - before, "device": engine.device}))


if __name__ == "__main__":
    if sys.argv[1] == "--model":
        model_rss()
    else:
        main(Path(sys.argv[1]), tuple(sys.argv[2].split(",")) if len(sys.argv) > 2 else ("en",))
