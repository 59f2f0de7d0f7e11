"""One analysis path for `build`, `check`, `inspect` and `glossary test`.

Loading the glossaries, deciding the language of an article and of each unit, and planning
what each unit needs happen here and nowhere else, so the commands cannot disagree about
what the pipeline sees.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from translate_pipeline import detect, fileio, plan, translate
from translate_pipeline.articles import Article, ArticleError, article_units
from translate_pipeline.backend import Backend
from translate_pipeline.config import Pair
from translate_pipeline.glossary import (
    MAX_GLOSSARY_BYTES,
    Glossary,
    GlossaryError,
    glossary_files,
    load_glossary_reporting,
    missing_targets,
)
from translate_pipeline.memory import Memory
from translate_pipeline.report import BuildError, Report
from translate_pipeline.segment import split_sentences


def load_glossaries(
    path: Path, report: Report, pair: Pair | None = None, others: Collection[str] = ()
) -> tuple[Glossary, bytes]:
    """The glossary in `path` (a folder or one file) for `pair` (`others`: the build's other
    languages, whose columns entries may have) and its bytes, which are part of every
    article's fingerprint. A missing folder is a warning; a file that does not load stops
    the command (BuildError), since a silently ignored entry would publish wrong names."""
    if not path.exists():
        report.warnings.append(
            f"{path}: no glossary folder here; building without a glossary "
            "(run from the project folder or pass --glossaries)"
        )
        return Glossary(()), b""
    skipped: list[str] = []
    try:
        glossary, warnings = load_glossary_reporting(path, pair, skipped, others)
    except GlossaryError as exc:
        raise BuildError(f"{exc} (fix the glossary; nothing was built)") from None
    report.skipped.extend(skipped)
    report.warnings.extend(str(w).replace(": warning: ", ": ", 1) for w in warnings)
    files = glossary_files([path])
    return glossary, b"".join(fileio.read_input(p, MAX_GLOSSARY_BYTES) for p in files)


def article_glossary(
    glossary: Glossary, article: Article, pair: Pair | None = None, others: Collection[str] = ()
) -> Glossary:
    """The global glossary with the article's front-matter `glossary:` applied; a mistake
    there is the article's problem (ArticleError), not the whole build's."""
    overrides = article.meta.get("glossary")
    if not overrides:
        return glossary
    try:
        return glossary.with_overrides(overrides, pair=pair, others=others)
    except GlossaryError as exc:
        first = exc.problems[0]
        raise ArticleError(
            article.path,
            f"front matter 'glossary': {first.message} (not built)",
            article.meta_lines.get("glossary"),
        ) from None


def article_language(article: Article, mem: Memory, pair: Pair) -> str:
    """The front matter's (or file name's) language, unless the body plainly is in
    another one (an English article marked `lang: de` would be "translated" from German);
    an article fully in the memory is known to be in the source language; otherwise
    langdetect decides on the body."""
    units = article_units(article)
    if units and all(mem.get(u.text) for u in units):
        return article.lang or pair.source
    if article.lang:
        if article.lang != pair.source:
            return article.lang
        body = " ".join(translate.prose(u.text) for u in units)
        detected, probability = detect.detect_language(body)
        clearly_other = detected not in (pair.source, detect.UNDETERMINED)
        if clearly_other and probability >= MARKED_OVERRULED and len(body) >= 200:
            return detected
        return article.lang
    return detect.article_language([translate.prose(u.text) for u in units])


# How sure langdetect must be to overrule a language the front matter states.
MARKED_OVERRULED = 0.99


@dataclass
class Analyser:
    """Plans units against the glossary of a run; unit languages are detected once per run."""

    glossary: Glossary
    pair: Pair
    languages: dict[str, str] = field(default_factory=dict)

    def unit_language(self, text: str) -> str:
        if text not in self.languages:
            if not translate.needs_model(text):
                self.languages[text] = plan.COPY_LANGUAGE
            else:
                prose = translate.prose(text)
                self.languages[text] = detect.block_language(prose, self.pair.source)
        return self.languages[text]

    def plan(
        self,
        article: Article,
        mem: Memory,
        glossary: Glossary,
        english: Mapping[str, str] | None = None,
    ) -> list[plan.Planned]:
        """The article's units against `mem`; `english` for a target reached through
        English (`plan.plan_units`), with `glossary` then an English→target one."""

        def glossary_of(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
            matches = translate.glossary_matches(text, glossary)
            return translate.glossary_signature(matches), translate.glossary_terms(matches)

        return plan.plan_units(
            article_units(article),
            mem,
            self.pair.source,
            glossary_of,
            self.unit_language,
            english,
        )


def glossary_problems(glossary: Glossary) -> Callable[[str, str], list[str]]:
    """`missing_targets(german, english)` for `plan.problems`, against one glossary."""

    def missing(german: str, english: str) -> list[str]:
        matches = translate.glossary_matches(german, glossary)
        return [
            f"glossary target '{m.target}' for '{m.source}' missing"
            for m in missing_targets(english, matches)
        ]

    return missing


def inspect_article(
    article: Article, mem: Memory, glossary: Glossary, pair: Pair
) -> dict[str, Any]:
    """What the build sees in one article: its language and, per unit, the language the
    build decides, what it will do (translate, copy, reuse the memory), the sentences
    and the glossary hits."""
    glossary = article_glossary(glossary, article)
    analyser = Analyser(glossary, pair)
    lang = article_language(article, mem, pair)
    blocks = {number: block for number, block in enumerate(article.blocks, 1)}
    units = []
    for planned in analyser.plan(article, mem, glossary):
        unit = planned.unit
        kind, _, number = unit.where.partition(" ")
        if planned.entry is not None:
            action = "memory" if not planned.needs_machine else "translate"
        else:
            action = "translate" if planned.needs_machine else "copy"
        matches = translate.glossary_matches(unit.text, glossary)
        units.append(
            {
                "kind": _KINDS.get(kind, "paragraph"),
                "markdown_kind": blocks[int(number)].kind if number else kind,
                "where": unit.where,
                "line": unit.line,
                "lang": planned.lang,
                "action": action,
                "text": unit.text,
                "sentences": split_sentences(unit.text),
                "glossary": [{"source": m.source, "target": m.target} for m in matches],
            }
        )
    return {
        "file": str(article.path),
        "lang": lang,
        "title": article.title,
        "slug": article.slug,
        "author": article.author,
        "date": article.date,
        "description": article.description,
        "blocks": units,
    }


_KINDS = {
    "title": "title",
    "description": "description",
    "heading": "heading",
    "list_item": "list_item",
    "quote": "quote",
    "table": "table",
}


def inspect_text(data: dict[str, Any]) -> str:
    """A short human-readable form of `inspect_article`'s result."""
    lines = [f"{data['file']}: {data['title']!r} lang={data['lang']} slug={data['slug']}"]
    for block in data["blocks"]:
        lines.append(
            f"[{block['where']}] {block['kind']} (line {block['line']}, {block['lang']}, "
            f"{block['action']})"
        )
        lines.extend(f"    | {sentence}" for sentence in block["sentences"])
        lines.extend(f"    glossary: {g['source']} → {g['target']}" for g in block["glossary"])
    return "\n".join(lines)


def glossary_trial(text: str, glossary: Glossary, backend: Backend | BuildError) -> str:
    """What `glossary test` shows: each match with its file:line, then the English the
    pipeline makes (or why there is none: `backend` is the error that kept it from loading)."""
    matches = translate.glossary_matches(text, glossary)
    lines = [f"{len(matches)} glossary match(es):"]
    lines.extend(f"  {m.source!r} → {m.target!r}  ({m.term.location})" for m in matches)
    if isinstance(backend, BuildError):
        lines.append(f"English: not available ({str(backend).splitlines()[0]})")
        return "\n".join(lines)
    result = translate.translate_units([text], glossary, backend.translate)[0]
    lines.append(f"English: {result.target}")
    lines.extend(f"  problem: {p}" for p in result.problems)
    return "\n".join(lines)
