"""A project folder as the tests of whole builds use it: content, site, memory, glossaries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from translate_pipeline.cli import main


@dataclass
class Project:
    root: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def translations(self) -> Path:
        return self.root / "translations" / "de-en"

    @property
    def glossaries(self) -> Path:
        return self.root / "glossaries"

    def write(self, name: str, data: str | bytes) -> Path:
        """An article file below content/ (folders made as needed)."""
        path = self.content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        return path

    def published(self, site: Path | None = None) -> set[str]:
        """Slugs with all three pages (in `site`, default the project's)."""
        site = site or self.site
        if not (site / "de").is_dir():
            return set()
        return {
            p.name
            for p in (site / "de").iterdir()
            if p.is_dir()
            and all(
                (site / lang / p.name / "index.html").is_file() for lang in ("de", "en", "de-en")
            )
        }


@dataclass
class Run:
    """One CLI run: its exit code, what it said on stderr, and its `--json` answer."""

    exit_code: int
    stderr: str
    answer: dict

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error: ")]

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("warning: ")]


def cli(*args: str) -> Run:
    """`translate-pipeline ARGS --json` in this process; a traceback fails the test."""
    result = CliRunner().invoke(main, [*args, "--json"])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    answer = json.loads(result.stdout) if result.stdout.strip() else {}
    return Run(result.exit_code, result.stderr, answer)
