"""The review queue: which machine translations an editor should check first, and why.

`quality` says what may be wrong with one translation, against thresholds taken from the
whole build. This module applies it to a build and hands the result to people:

* `limits`: the build's thresholds, from the numbers of its fresh machine translations
  (sentence scores, length ratios), so even an archive-sized build keeps no more than that;
* `assess`: one fresh translation's signals, kept on its memory entry when they put it in
  the queue (`memory.Entry.review`: one `#. review:` comment per reason in the PO file);
* `items`: an article's queued entries with where to fix them (PO file and line), ranked by
  `rank` for `check --review` and the review page.

An entry leaves the queue when a person edits its English (it is human from then on), or
accepts it with the translator comment `reviewed`; it comes back only with a new machine
translation, that is when its German changes. The signals read German and English (numbers,
names, negations): other language pairs get no queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translate_pipeline import memory, quality, translate
from translate_pipeline.config import Pair
from translate_pipeline.memory import Entry
from translate_pipeline.plan import Planned
from translate_pipeline.quality import DEFAULT_CONFIG, ReviewConfig, Signal, Thresholds

PAIRS = {Pair("de", "en")}


def limits(
    records: Iterable[Mapping[str, Any]], pair: Pair, config: ReviewConfig = DEFAULT_CONFIG
) -> Thresholds | None:
    """The thresholds of a build whose machine translations are `records` (the journal's:
    `source`, `target`, `scores`); None when the pair has no review signals."""
    if pair not in PAIRS:
        return None
    scores: list[float] = []
    ratios: list[float] = []
    for record in records:
        scores.extend(record.get("scores") or ())
        ratio = quality.length_ratio(
            translate.prose(record["source"]), translate.prose(record["target"]), config
        )
        if ratio is not None:
            ratios.append(ratio)
    return quality.bounds(scores, ratios, config)


def _exempt(signature: Iterable[str]) -> list[str]:
    """Both sides of each glossary term (`Kiew → Kyiv`): names the glossary handles."""
    return [side for term in signature for side in term.split(" → ")]


def assess(record: Mapping[str, Any], bounds: Thresholds | None) -> tuple[Signal, ...]:
    """The signals of one machine translation when they put it in the review queue, else ()."""
    if bounds is None:
        return ()
    config = bounds.config
    unit = quality.features(
        translate.prose(record["source"]),
        translate.prose(record["target"]),
        record.get("scores") or (),
        exempt=_exempt(record.get("glossary", ())),
        config=config,
    )
    found = quality.signals(unit, bounds, record.get("problems", ()))
    return tuple(found) if quality.queued(found, config) else ()


@dataclass(frozen=True)
class Item:
    """A queued machine translation and where to fix it."""

    po: str  # the PO file
    line: int  # of its msgid there
    article: str
    article_line: int
    where: str  # "paragraph 3"
    german: str  # the unit's words, as the signals read them
    english: str
    signals: tuple[Signal, ...]

    @property
    def risk(self) -> float:
        return quality.risk(self.signals)

    def text(self) -> str:
        """`file:line: block: reasons`, as `check --review` prints it."""
        reasons = "; ".join(f"{s.name}: {s.reason}" for s in self.signals)
        return (
            f"{self.po}:{self.line}: {self.where} ({self.article}:{self.article_line}): {reasons}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "po": self.po,
            "line": self.line,
            "article": self.article,
            "article_line": self.article_line,
            "where": self.where,
            "risk": round(self.risk, 3),
            "german": self.german,
            "english": self.english,
            "signals": [
                {
                    "name": s.name,
                    "severity": s.severity,
                    "reason": s.reason,
                    "german": s.german,
                    "english": s.english,
                }
                for s in self.signals
            ],
        }


def items(
    article: Path,
    po: Path,
    plans: Sequence[Planned],
    entries: Sequence[Entry],
    lines: Mapping[str, int],
) -> list[Item]:
    """The article's queued entries; `lines` gives each msgid's line in the PO file."""
    found = []
    for plan, entry in zip(plans, entries):
        if entry.origin != memory.MACHINE or not entry.review:
            continue
        found.append(
            Item(
                str(po),
                lines.get(entry.source, 0),
                str(article),
                plan.unit.line,
                plan.unit.where,
                translate.prose(entry.source),
                translate.prose(entry.target),
                entry.review,
            )
        )
    return found


def rank(queue: Iterable[Item]) -> list[Item]:
    """Most likely wrong first; ties in file order."""
    return sorted(queue, key=lambda item: (-item.risk, item.po, item.line))
