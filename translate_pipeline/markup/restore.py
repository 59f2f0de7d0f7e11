"""Rebuild Markdown around the model's words, repairing whatever markers it lost."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from translate_pipeline.markup.nodes import (
    BLANK,
    Atom,
    Node,
    SpanNode,
    Text,
    escape_line_start,
    merge_texts,
    misplaced_attributes,
    to_markdown,
)
from translate_pipeline.markup.patterns import FULL_MARK_GROUP, MARK, SENTENCE_END, mark_id
from translate_pipeline.markup.protect import Marker, Placeholder, Protected, Span
from translate_pipeline.markup.selfcheck import renders_as


@dataclass(frozen=True)
class Restored:
    """Rebuilt Markdown; ``ok`` is False whenever something had to be repaired."""

    markdown: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    lost: tuple[int, ...] = ()  # marker ids whose formatting was dropped or that were re-inserted


_PRIORITY = {"link": 0, "image": 0, "html": 1, "em": 2, "strong": 2}


@dataclass(frozen=True)
class _Mark:
    start: int
    end: int
    ident: int
    closing: bool


def _find_marks(text: str, count: int) -> tuple[list[_Mark], list[tuple[int, int]]]:
    """Markers with ids we issued, and spans of stray full markers to delete."""
    marks: list[_Mark] = []
    stray: list[tuple[int, int]] = []
    for m in MARK.finditer(text):
        ident, closing = mark_id(m)
        if 1 <= ident <= count:
            marks.append(_Mark(m.start(), m.end(), ident, closing))
        elif m.group(FULL_MARK_GROUP) is not None:
            stray.append((m.start(), m.end()))
    return marks, stray


def _sentence_end(text: str, sentence: int) -> int:
    ends = list(SENTENCE_END.finditer(text))
    if sentence < len(ends):
        return ends[sentence].start()
    if ends and not text[ends[-1].end() :].strip():
        return ends[-1].start()
    return len(text.rstrip())


def _sentence_of(text: str, offset: int) -> int:
    return sum(1 for m in SENTENCE_END.finditer(text) if m.start() < offset)


def _conflicts(
    kind: str, pair: tuple[_Mark, _Mark], other_kind: str, other: tuple[_Mark, _Mark]
) -> bool:
    """Crossing pairs, and nestings Markdown cannot express (links in links, anything in alt)."""
    (o1, c1), (o2, c2) = pair, other
    if o1.start < o2.start < c1.start < c2.start or o2.start < o1.start < c2.start < c1.start:
        return True
    if o2.start < o1.start and c1.start < c2.start:  # pair inside other
        inner, outer = kind, other_kind
    elif o1.start < o2.start and c2.start < c1.start:  # other inside pair
        inner, outer = other_kind, kind
    else:
        return False
    return outer == "image" or inner == outer == "link"


def restore(
    translated_text: str, protected: Protected, titles: Sequence[str] | None = None
) -> Restored:
    """Rebuild Markdown around the model's words, repairing whatever markers it lost.

    Words are never dropped and code/URLs never lost: a broken span loses only its formatting
    (a link's URL is re-inserted next to the words), a lost placeholder is put back at the end
    of its sentence.  ``titles`` are translations of ``protected.titles`` (else kept).
    """
    text = translated_text
    if titles is not None and len(titles) != len(protected.titles):
        raise ValueError("titles must match protected.titles one to one")
    title_values = tuple(titles) if titles is not None else protected.titles
    problems: list[str] = []
    lost: list[int] = []
    markers = protected.markers
    marks, stray = _find_marks(text, len(markers))
    for start, end in stray:
        problems.append(f"stray marker {text[start:end]!r} removed")

    by_id: dict[int, list[_Mark]] = {}
    for mark in marks:
        by_id.setdefault(mark.ident, []).append(mark)

    atoms: dict[int, _Mark] = {}
    inserts: list[tuple[int, int]] = []  # (offset, marker id): placeholder or span fallback
    candidates: dict[int, tuple[_Mark, _Mark]] = {}
    broken: dict[int, str] = {}
    for ident, item in enumerate(markers, 1):
        occurrences = by_id.get(ident, [])
        if isinstance(item, Placeholder):
            if occurrences:
                atoms[ident] = occurrences[0]
                if len(occurrences) > 1:
                    problems.append(f"placeholder {ident} ({item.label}) repeated; copies removed")
            elif item.kind == "attributes":  # styling only; re-inserted elsewhere it shows as text
                lost.append(ident)
                problems.append(f"placeholder {ident} ({item.label}) missing; dropped")
            else:
                offset = _sentence_end(text, item.sentence)
                inserts.append((offset, ident))
                lost.append(ident)
                problems.append(
                    f"placeholder {ident} ({item.label}) missing; "
                    f"re-inserted at end of sentence {_sentence_of(text, offset) + 1}"
                )
        elif len(occurrences) == 2 and _has_content(text, occurrences, marks, markers):
            candidates[ident] = (occurrences[0], occurrences[1])
        elif len(occurrences) == 2:
            broken[ident] = "no words left between its markers"
        else:
            broken[ident] = f"{len(occurrences)} of its 2 markers found"

    accepted: dict[int, tuple[_Mark, _Mark]] = {}
    for ident in sorted(candidates, key=lambda i: (_PRIORITY[_span(markers, i).kind], i)):
        kind = _span(markers, ident).kind
        pair = candidates[ident]
        if any(
            _conflicts(kind, pair, _span(markers, other).kind, accepted[other])
            for other in accepted
        ):
            broken[ident] = "markers cross or nest illegally"
        else:
            accepted[ident] = pair

    for ident in sorted(broken):
        span = _span(markers, ident)
        lost.append(ident)
        message = f"span {ident} ({span.label}): {broken[ident]}; formatting dropped"
        if span.fallback:
            inserts.append((_fallback_offset(text, span, by_id.get(ident, [])), ident))
            message += "; target re-inserted"
        problems.append(message)

    # Anything placed inside an image would end up in its alt text: move it behind the image.
    for ident, mark in list(atoms.items()):
        if not _inside_image(mark.start, markers, accepted, _placeholder(markers, ident).container):
            continue
        del atoms[ident]
        inserts.append((mark.start, ident))
    inserts = [
        (_out_of_images(offset, ident, markers, accepted), ident) for offset, ident in inserts
    ]

    tree = _build_tree(
        text,
        markers,
        title_values,
        protected.titles,
        protected.text,
        marks,
        stray,
        atoms,
        accepted,
        inserts,
    )
    tree = misplaced_attributes(tree, True, problems)
    references = {m.ref for m in markers if isinstance(m, Span) and m.ref is not None}
    result = escape_line_start(to_markdown(tree))
    if not renders_as(result, tree, references):
        result = escape_line_start(to_markdown(tree, html_emphasis=True))
        if not renders_as(result, tree, references):
            problems.append("restored Markdown does not render exactly as intended")
    return Restored(
        markdown=result.strip(BLANK), ok=not problems, problems=problems, lost=tuple(lost)
    )


def _span(markers: Sequence[Marker], ident: int) -> Span:
    item = markers[ident - 1]
    assert isinstance(item, Span)
    return item


def _placeholder(markers: Sequence[Marker], ident: int) -> Placeholder:
    item = markers[ident - 1]
    assert isinstance(item, Placeholder)
    return item


def _has_content(
    text: str, pair: Sequence[_Mark], marks: Sequence[_Mark], markers: Sequence[Marker]
) -> bool:
    start, end = pair[0].end, pair[1].start
    inner = [m for m in marks if start <= m.start and m.end <= end]
    if any(isinstance(markers[m.ident - 1], Placeholder) for m in inner):
        return True
    pieces, pos = [], start
    for m in inner:
        pieces.append(text[pos : m.start])
        pos = m.end
    pieces.append(text[pos:end])
    return bool("".join(pieces).strip(BLANK))


def _fallback_offset(text: str, span: Span, occurrences: Sequence[_Mark]) -> int:
    """Where the URL of a broken link goes: at its surviving closing marker, else sentence end."""
    closing = [mark for mark in occurrences if mark.closing]
    if closing or len(occurrences) == 2:
        return (closing or list(occurrences))[-1].end
    if occurrences:
        return _sentence_end(text, _sentence_of(text, occurrences[0].start))
    return _sentence_end(text, span.sentence)


def _inside_image(
    offset: int, markers: Sequence[Marker], accepted: dict[int, tuple[_Mark, _Mark]], own: int
) -> bool:
    return any(
        _span(markers, i).kind == "image" and i != own and o.end <= offset <= c.start
        for i, (o, c) in accepted.items()
    )


def _out_of_images(
    offset: int, ident: int, markers: Sequence[Marker], accepted: dict[int, tuple[_Mark, _Mark]]
) -> int:
    item = markers[ident - 1]
    is_link = isinstance(item, Span) and item.kind in ("link", "image")
    moved = True
    while moved:
        moved = False
        for i, (o, c) in accepted.items():
            kind = _span(markers, i).kind
            if o.end <= offset <= c.start and (kind == "image" or (is_link and kind == "link")):
                offset, moved = c.end, True
    return offset


def _build_tree(
    text: str,
    markers: Sequence[Marker],
    title_values: Sequence[str],
    original_titles: Sequence[str],
    protected_text: str,
    marks: Sequence[_Mark],
    stray: Sequence[tuple[int, int]],
    atoms: dict[int, _Mark],
    accepted: dict[int, tuple[_Mark, _Mark]],
    inserts: Sequence[tuple[int, int]],
) -> list[Node]:
    # (start, rank, end, action, ident); rank orders events sharing an offset.
    events: list[tuple[int, int, int, str, int]] = []
    used: set[tuple[int, int]] = set()
    for ident, (o, c) in accepted.items():
        events.append((o.start, 4, o.end, "open", ident))
        events.append((c.start, 1, c.end, "close", ident))
        used.update({(o.start, o.end), (c.start, c.end)})
    for ident, mark in atoms.items():
        events.append((mark.start, 3, mark.end, "atom", ident))
        used.add((mark.start, mark.end))
    for mark in marks:
        if (mark.start, mark.end) not in used:
            events.append((mark.start, 2, mark.end, "drop", 0))
    for start, end in stray:
        events.append((start, 2, end, "drop", 0))
    for offset, ident in inserts:
        events.append((offset, 0, offset, "insert", ident))
    events.sort()

    stack: list[list[Node]] = [[]]
    open_ids: list[int] = []
    open_marks: list[_Mark] = []
    pos = 0
    for start, _rank, end, action, ident in events:
        if start > pos:
            stack[-1].append(Text(text[pos:start]))
        pos = max(pos, end)
        if action == "open":
            stack.append([])
            open_ids.append(ident)
            open_marks.append(accepted[ident][0])
        elif action == "close":
            children = merge_texts(stack.pop())
            assert open_ids.pop() == ident
            span = _span(markers, ident)
            span_node = _span_node(span, children, title_values, original_titles)
            source = re.search(f"<{ident}> (.*) </{ident}>", protected_text)
            translated = text[open_marks.pop().end : start]
            same = source is not None and source.group(1).split() == translated.split()
            stack[-1].append(replace(span_node, untranslated=same))
        elif action == "atom":
            stack[-1].append(_atom_node(_placeholder(markers, ident)))
        elif action == "drop" and text[end : end + 1] in ("", *".,;:!?…)"):
            siblings = stack[-1]
            if siblings and isinstance(siblings[-1], Text):  # no "word ." left behind
                siblings[-1] = Text(siblings[-1].text.rstrip(" "))
        elif action == "insert":
            item = markers[ident - 1]
            node: Node
            if isinstance(item, Placeholder):
                node = _atom_node(item)
            else:
                node = Atom(item.kind, item.fallback, "", item.label)
            gap = " " if text[start : start + 1].isalnum() else ""
            stack[-1].extend([Text(" "), node, Text(gap)])
    if pos < len(text):
        stack[-1].append(Text(text[pos:]))
    assert len(stack) == 1
    return merge_texts(stack[0])


def _atom_node(item: Placeholder) -> Atom:
    return Atom(item.kind, item.markdown, item.text, item.label)


def _span_node(
    span: Span, children: Sequence[Node], titles: Sequence[str], original: Sequence[str]
) -> SpanNode:
    retitled = span.title is not None and titles[span.title] != original[span.title]
    return SpanNode(
        span.kind,
        tuple(children),
        href=span.href,
        title=None if span.title is None else titles[span.title],
        ref=span.ref,
        ref_suffix=span.ref_suffix,
        written=span.written,
        destination="" if retitled else span.destination,
        opening=span.opening,
        closing=span.closing,
        glued_before=span.glued_before,
        glued_after=span.glued_after,
    )
