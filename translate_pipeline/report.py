"""What a command saw, how it ends (exit codes), and the one-screen summary of a build."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_NO_MODEL, EXIT_PARTIAL = 0, 1, 2, 3
# A file or folder could not be read or written (disk full, permission denied, read-only
# or immutable files, a lock that cannot be created): the output and the translation memory
# are as they were.
EXIT_ENVIRONMENT = 4
EXIT_INTERRUPTED = 130


class BuildError(Exception):
    """The command stopped before writing anything; `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


LISTED_UNITS = 10_000


@dataclass
class Report:
    """What a build or check saw: the summary and the exit code come from it."""

    articles: int = 0
    reused_articles: int = 0
    units_reused: int = 0
    glossary_hits: int = 0
    glossary_retranslated: int = 0  # machine entries retranslated for a glossary change
    sentences: int = 0
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    flagged: int = 0  # machine translations in the review queue
    queue: list[Any] = field(default_factory=list)  # `review.Item`s, when asked for
    files_written: int = 0
    model: str = ""
    units_translated: int = 0
    translated_units: list[str] = field(default_factory=list)  # the first LISTED_UNITS
    untranslated: dict[str, str] = field(default_factory=dict)  # unit -> why the model failed

    def translated(self, units: Sequence[str]) -> None:
        """Counts units the machine translated; lists the first LISTED_UNITS of them (an
        archive's would not fit in memory, nor be read in a JSON report)."""
        self.units_translated += len(units)
        self.translated_units.extend(units[: max(0, LISTED_UNITS - len(self.translated_units))])

    @property
    def exit_code(self) -> int:
        return EXIT_PARTIAL if self.errors or self.skipped else EXIT_OK


def summary(report: Report, seconds: float) -> str:
    """The one-screen summary printed after a build."""
    lines = [
        f"{report.articles} article(s) published ({report.reused_articles} unchanged), "
        f"{len(report.errors) + len(report.skipped)} skipped",
        f"units: {report.units_translated} translated ({report.sentences} sentences), "
        f"{report.units_reused} reused from the translation memory",
        f"glossary hits: {report.glossary_hits}; files written: {report.files_written}",
    ]
    if report.glossary_retranslated:
        lines.append(f"glossary changes: {report.glossary_retranslated} unit(s) translated again")
    if report.model:
        lines.append(f"model: {report.model}")
    if report.flagged:
        lines.append(
            f"review queue: {report.flagged} machine translation(s) to check first "
            "(`translate-pipeline check --review`)"
        )
    if report.review:
        lines.append(f"needs review ({len(report.review)}):")
        lines.extend(f"  {line}" for line in report.review[:20])
        if len(report.review) > 20:
            lines.append(f"  … and {len(report.review) - 20} more (run `translate-pipeline check`)")
    lines.append(f"done in {seconds:.1f}s")
    return "\n".join(lines)
