"""One site build, measured; run by `run.py` in a fresh process per build.

A process of its own gives each build a cold start like a user's `translate-pipeline
build` and its own peak RSS. Prints one JSON object.

Usage: python benchmarks/build_once.py ROOT  (ROOT holds content/, glossaries/;
site/ and translations/ are written there; ARGOS_PACKAGES_DIR picks the model)
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from translate_pipeline import models, site
from translate_pipeline.engine import Engine, EngineSettings, Progress


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

    def translate(self, sentences: Sequence[str], progress: Progress | None = None) -> list[str]:
        start = time.perf_counter()
        try:
            return super().translate(sentences, progress)
        finally:
            self.translate_seconds += time.perf_counter() - start


def main(root: Path) -> None:
    options = site.Options(
        content=root / "content",
        out=root / "site",
        translations=root / "translations" / "de-en",
        glossaries=root / "glossaries",
    )
    engines: list[TimedEngine] = []
    rss_around_load: list[float] = []

    def open_engine() -> Engine:
        """Like site.engine_factory, minus the download fallback; notes what loading costs."""
        package = models.find_package("de", "en")
        if package is None:
            raise SystemExit("no de→en package in ARGOS_PACKAGES_DIR")
        rss_around_load.append(rss_mb("VmRSS"))
        engines.append(TimedEngine(package, EngineSettings()))
        rss_around_load.append(rss_mb("VmRSS"))
        return engines[0]

    start = time.perf_counter()
    report = site.build(options, open_engine)
    seconds = time.perf_counter() - start
    model_mb = rss_around_load[1] - rss_around_load[0] if rss_around_load else 0.0
    result = {
        "seconds": seconds,
        "translate_seconds": engines[0].translate_seconds if engines else 0.0,
        "articles": report.articles,
        "reused_articles": report.reused_articles,
        "sentences": report.sentences,
        "problems": report.errors + report.skipped,
        "peak_rss_mb": rss_mb("VmHWM"),
        "model_rss_mb": model_mb,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
