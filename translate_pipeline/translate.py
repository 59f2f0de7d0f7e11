"""German units of inline Markdown in, English units out, for a whole run at once.

Per unit: inline formatting and code/URLs are protected (`markup`), glossary
terms are replaced by their English targets before translation (`glossary`),
the text is split into sentences (`segment`), and every sentence of the run goes
to the engine in one globally length-sorted pass. Afterwards each unit is
verified: a glossary target the model lost is recovered by translating the
sentence in pieces around the term, which puts the target back verbatim. What
still cannot be verified is reported, never published with a placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from translate_pipeline import markup
from translate_pipeline.backend import Translation
from translate_pipeline.glossary import Glossary, Match, missing_targets
from translate_pipeline.segment import split_sentences

Translate = Callable[[Sequence[str]], list[Translation]]

_HAS_LETTER = re.compile(r"[^\W\d_]")
_MARKER = re.compile(r"</?\d+/?>")


@dataclass
class Result:
    """The English of one unit and what the pipeline noticed on the way."""

    target: str
    glossary: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list)
    scores: tuple[float, ...] = ()  # the model's, per sentence (`backend.Translation.score`)


@dataclass
class _Prepared:
    protected: markup.Protected
    matches: list[Match]
    text: str  # protected text with glossary targets injected
    sentences: list[str]
    titles: list[str]  # link and image titles, translated on their own


def prose(unit: str) -> str:
    """The unit's words as the model will see them, without markers, code or URLs: what
    language detection reads (rendering the Markdown to get them costs ten times more)."""
    return " ".join(_MARKER.sub(" ", markup.protect(unit).text).split())


def needs_model(unit: str) -> bool:
    """Units without letters (numbers, code, bare URLs) are copied as they are."""
    return bool(_HAS_LETTER.search(prose(unit)))


def glossary_signature(matches: Sequence[Match]) -> tuple[str, ...]:
    """What the glossary puts into a unit's translation: each term with the English it
    emits there (`Putin → Putin's` for a genitive), so a change of any setting that changes
    the English (target, plural, genitive, case, variants) changes exactly the signatures of
    the units it affects."""
    return tuple(sorted({f"{m.term.source} → {m.target}" for m in matches}))


def glossary_terms(matches: Sequence[Match]) -> tuple[str, ...]:
    """The glossary entries applied to a unit, as editors read them in the memory."""
    return tuple(sorted({f"{m.term.source} → {m.term.target}" for m in matches}))


def glossary_matches(unit: str, glossary: Glossary) -> list[Match]:
    """Hits in the text the model will see, so code and URLs never match."""
    return glossary.find(markup.protect(unit).text)


def prepare(unit: str, glossary: Glossary) -> _Prepared:
    protected = markup.protect(unit)
    matches = glossary.find(protected.text)
    text = _inject(protected.text, matches)
    titles = [_inject(title, glossary.find(title)) for title in protected.titles]
    return _Prepared(protected, matches, text, split_sentences(text), titles)


def model_input(units: Sequence[str], glossary: Glossary | Sequence[Glossary]) -> list[str]:
    """What `translate_units` sends the model first for these units, in order: an executor
    that runs many waves at once (`machine.translate_waves`) translates these ahead."""
    return _model_input(_prepare_all(units, glossary))


def _prepare_all(units: Sequence[str], glossary: Glossary | Sequence[Glossary]) -> list[_Prepared]:
    glossaries = [glossary] * len(units) if isinstance(glossary, Glossary) else glossary
    return [prepare(unit, g) for unit, g in zip(units, glossaries)]


def _model_input(prepared: Sequence[_Prepared]) -> list[str]:
    return [s for p in prepared for s in [*p.sentences, *p.titles]]


def _inject(text: str, matches: Sequence[Match]) -> str:
    out: list[str] = []
    last = 0
    for match in matches:
        out.extend((text[last : match.start], match.target))
        last = match.end
    out.append(text[last:])
    return "".join(out)


def translate_units(
    units: Sequence[str], glossary: Glossary | Sequence[Glossary], translate: Translate
) -> list[Result]:
    """English for every unit; all sentences go to `translate` in one call, and the
    recovery pass (if any) in a second one. `glossary` may be one per unit, as
    articles can override the global glossary."""
    prepared = _prepare_all(units, glossary)
    english = iter(translate(_model_input(prepared)))
    per_unit: list[list[str]] = []
    scores: list[list[float | None]] = []
    titles: list[list[str]] = []
    for p in prepared:
        done = [next(english) for _ in p.sentences]
        per_unit.append([t.text for t in done])
        scores.append([t.score for t in done])
        titles.append([next(english).text for _ in p.titles])

    # Verify glossary targets sentence by sentence; collect the pieces of every
    # sentence that lost one, and translate them all in one more call.
    repairs: list[tuple[int, int, list[tuple[bool, str]]]] = []
    for u, p in enumerate(prepared):
        for s, (german, out) in enumerate(zip(p.sentences, per_unit[u])):
            targets = {m.target for m in p.matches if m.target in german}
            if any(_count(out, t) < _count(german, t) for t in targets):
                repairs.append((u, s, split_at_targets(german, targets)))
    if repairs:
        pieces = [
            text.strip()
            for _, _, parts in repairs
            for is_term, text in parts
            if not _kept(is_term, text)
        ]
        translated = iter(translate(pieces))
        for u, s, parts in repairs:
            english_parts = []
            for is_term, text in parts:
                if _kept(is_term, text):
                    english_parts.append(text)
                    continue
                piece = next(translated)
                english_parts.append(_respace(text, piece.text))
                score = scores[u][s]
                if piece.score is not None and score is not None:
                    scores[u][s] = min(score, piece.score)
            per_unit[u][s] = " ".join("".join(english_parts).split())

    results = []
    for p, sentences, unit_titles, unit_scores in zip(prepared, per_unit, titles, scores):
        restored = markup.restore(" ".join(sentences), p.protected, unit_titles)
        problems = list(restored.problems)
        lost = missing_targets(restored.markdown, p.matches)
        problems.extend(f"glossary target {m.target!r} (for {m.source!r}) missing" for m in lost)
        known = tuple(s for s in unit_scores if s is not None)
        results.append(Result(restored.markdown, glossary_signature(p.matches), problems, known))
    return results


def split_at_targets(sentence: str, targets: set[str]) -> list[tuple[bool, str]]:
    """The sentence as (is_term, text) pieces, so the German around each injected
    target can be translated on its own and the target kept verbatim. Targets match
    as whole words, as `_count` counts them; the pieces keep their whitespace and
    join back to the sentence, so "„Kyiv“" and "Kyiv-Reise" stay glued."""
    alternatives = "|".join(re.escape(t) for t in sorted(targets, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    parts: list[tuple[bool, str]] = []
    last = 0
    for found in pattern.finditer(sentence):
        if found.start() > last:
            parts.append((False, sentence[last : found.start()]))
        parts.append((True, found.group(0)))
        last = found.end()
    if last < len(sentence):
        parts.append((False, sentence[last:]))
    return parts


def _count(text: str, term: str) -> int:
    return len(re.findall(rf"(?<!\w){re.escape(term)}(?!\w)", text))


def _kept(is_term: bool, text: str) -> bool:
    """Targets and bare whitespace between them are not translated."""
    return is_term or not text.strip()


def _respace(german: str, english: str) -> str:
    """`english` with the whitespace that surrounded its `german` piece in the sentence."""
    lead = german[: len(german) - len(german.lstrip())]
    trail = german[len(german.rstrip()) :]
    return lead + english.strip() + trail
