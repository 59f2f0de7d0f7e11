"""Rebuild Markdown around the model's words, repairing whatever markers it lost.

Every step costs O(n log n) or less in the length of the model's output, whatever it holds:
markers are found in one pass, spans are checked against the ones already accepted with
interval trees (`_Accepted`), and sentence ends, span contents and image/link extents are
looked up by bisection.
"""

from __future__ import annotations

import bisect
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
    to_markdown,
)
from translate_pipeline.markup.parse import MAX_DEPTH
from translate_pipeline.markup.patterns import FULL_MARK_GROUP, MARK, SENTENCE_END, mark_id
from translate_pipeline.markup.protect import Marker, Placeholder, Protected, Span
from translate_pipeline.markup.selfcheck import lone_paragraph, renders_as


@dataclass(frozen=True)
class Restored:
    """Rebuilt Markdown; ``ok`` is False whenever something had to be repaired."""

    markdown: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    lost: tuple[int, ...] = ()  # marker ids whose formatting was dropped or that were re-inserted


_PRIORITY = {"link": 0, "image": 0, "html": 1, "em": 2, "strong": 2, "s": 2}


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


class _Sentences:
    """Sentence ends of the model's output, found once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ends = list(SENTENCE_END.finditer(text))
        self.starts = [m.start() for m in self.ends]

    def end_of(self, sentence: int) -> int:
        if sentence < len(self.ends):
            return self.starts[sentence]
        if self.ends and not self.text[self.ends[-1].end() :].strip():
            return self.starts[-1]
        return len(self.text.rstrip())

    def of(self, offset: int) -> int:
        return bisect.bisect_left(self.starts, offset)


class _Content:
    """Whether the text between two markers holds anything: words or a placeholder."""

    def __init__(self, text: str, marks: Sequence[_Mark], markers: Sequence[Marker]) -> None:
        self.starts = [m.start for m in marks]
        self.placeholders = [0]
        for m in marks:
            is_placeholder = isinstance(markers[m.ident - 1], Placeholder)
            self.placeholders.append(self.placeholders[-1] + is_placeholder)
        hidden = bytearray(len(text) + 1)  # characters inside markers
        for m in marks:
            hidden[m.start : m.end] = b"\x01" * (m.end - m.start)
        self.words = [0]
        for ch, inside in zip(text, hidden):
            self.words.append(self.words[-1] + (not inside and ch not in BLANK))

    def between(self, opening: _Mark, closing: _Mark) -> bool:
        first = bisect.bisect_left(self.starts, opening.end)
        last = bisect.bisect_left(self.starts, closing.start)
        if self.placeholders[last] - self.placeholders[first]:
            return True
        return self.words[closing.start] - self.words[opening.end] > 0


def _all_fit(candidates: dict[int, tuple[_Mark, _Mark]], kinds: dict[int, str]) -> bool:
    """Whether all pairs together nest properly, no link in a link, nothing in alt text,
    at most `MAX_DEPTH` deep."""
    ends = sorted(
        (mark.start, index, ident)
        for ident, pair in candidates.items()
        for index, mark in enumerate(pair)
    )
    stack: list[int] = []
    links = 0
    for _, index, ident in ends:
        kind = kinds[ident]
        if index == 0:
            if stack and kinds[stack[-1]] == "image":
                return False
            if kind == "link":
                if links:
                    return False
                links += 1
            if len(stack) >= MAX_DEPTH:
                return False
            stack.append(ident)
        elif not stack or stack.pop() != ident:
            return False
        elif kind == "link":
            links -= 1
    return True


class _MinTree:
    """Range add and range minimum over positions 0..size-1."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.low = [0] * (4 * self.size)
        self.add = [0] * (4 * self.size)

    def update(self, lo: int, hi: int, value: int, node: int = 1, a: int = 0, b: int = -1) -> None:
        b = self.size if b < 0 else b
        if hi <= a or b <= lo:
            return
        if lo <= a and b <= hi:
            self.low[node] += value
            self.add[node] += value
            return
        mid = (a + b) // 2
        self.update(lo, hi, value, 2 * node, a, mid)
        self.update(lo, hi, value, 2 * node + 1, mid, b)
        self.low[node] = min(self.low[2 * node], self.low[2 * node + 1]) + self.add[node]

    def minimum(self, lo: int, hi: int, node: int = 1, a: int = 0, b: int = -1) -> float:
        b = self.size if b < 0 else b
        if hi <= a or b <= lo:
            return float("inf")
        if lo <= a and b <= hi:
            return self.low[node]
        mid = (a + b) // 2
        below = min(
            self.minimum(lo, hi, 2 * node, a, mid), self.minimum(lo, hi, 2 * node + 1, mid, b)
        )
        return below + self.add[node]


class _Counts:
    """Point updates, prefix sums (a Fenwick tree)."""

    def __init__(self, size: int) -> None:
        self.tree = [0] * (size + 1)

    def add(self, index: int, value: int) -> None:
        index += 1
        while index < len(self.tree):
            self.tree[index] += value
            index += index & -index

    def upto(self, index: int) -> int:
        """Sum over positions 0..index-1."""
        total = 0
        while index > 0:
            total += self.tree[index]
            index -= index & -index
        return total


class _Accepted:
    """Accepted marker pairs: a family of intervals that never cross, with the nestings
    Markdown cannot express (anything in image alt text, links in links) kept out."""

    def __init__(self, positions: Sequence[int]) -> None:
        self.index = {p: i for i, p in enumerate(sorted(positions))}
        size = len(self.index)
        self.depth = _MinTree(size)  # accepted pairs around each position
        self.negated = _MinTree(size)  # the same, negated: its minimum is the deepest point
        self.opens = _Counts(size)
        self.within = {kind: _Counts(size) for kind in ("image", "link")}  # +1 open, -1 close
        self.kind_opens = {kind: _Counts(size) for kind in ("image", "link")}

    def fits(self, kind: str, opening: int, closing: int) -> bool:
        a, b = self.index[opening], self.index[closing]
        depth = self.depth.minimum(a, a + 1)
        if self.depth.minimum(b, b + 1) != depth or self.depth.minimum(a, b + 1) < depth:
            return False  # crosses an accepted pair
        if depth >= MAX_DEPTH or self.deepest(a, b) >= MAX_DEPTH:
            return False  # (the model nested spans the source had side by side)
        if self.within["image"].upto(a + 1) > 0:
            return False  # inside alt text
        if kind == "image" and self.opens.upto(b) - self.opens.upto(a + 1) > 0:
            return False
        if kind == "link":
            links = self.kind_opens["link"]
            if self.within["link"].upto(a + 1) > 0 or links.upto(b) - links.upto(a + 1) > 0:
                return False
        return True

    def deepest(self, a: int, b: int) -> float:
        return -self.negated.minimum(a, b + 1)

    def accept(self, kind: str, opening: int, closing: int) -> None:
        a, b = self.index[opening], self.index[closing]
        self.depth.update(a, b, 1)
        self.negated.update(a, b, -1)
        self.opens.add(a, 1)
        if kind in self.within:
            self.within[kind].add(a, 1)
            self.within[kind].add(b, -1)
            self.kind_opens[kind].add(a, 1)


class _Extents:
    """Accepted images and links: each kind never nests in itself, so a sorted list of
    (opening end, closing start, closing end) finds the one around an offset."""

    def __init__(self, pairs: dict[int, tuple[_Mark, _Mark]], owner: dict[int, str]) -> None:
        self.kinds: dict[str, list[tuple[int, int, int, int]]] = {"image": [], "link": []}
        for ident, (o, c) in pairs.items():
            if owner[ident] in self.kinds:
                self.kinds[owner[ident]].append((o.end, c.start, c.end, ident))
        for extents in self.kinds.values():
            extents.sort()
        self.keys = {kind: [e[0] for e in extents] for kind, extents in self.kinds.items()}

    def around(self, kind: str, offset: int) -> tuple[int, int] | None:
        """(ident, closing end) of the accepted `kind` span whose content holds `offset`."""
        i = bisect.bisect_right(self.keys[kind], offset) - 1
        if i >= 0:
            start, end, after, ident = self.kinds[kind][i]
            if start <= offset <= end:
                return ident, after
        return None


_SOURCE_MARK = re.compile(r"<(/?)(\d+)>")


def _span_sources(protected_text: str) -> dict[int, str]:
    """Each span's words in the protected text (between ``<n> `` and `` </n>``)."""
    opened: dict[int, int] = {}
    sources: dict[int, str] = {}
    for m in _SOURCE_MARK.finditer(protected_text):
        ident = int(m.group(2))
        if not m.group(1):
            opened[ident] = m.end() + 1
        elif ident in opened:
            sources[ident] = protected_text[opened[ident] : m.start() - 1]
    return sources


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
    sentences = _Sentences(text)
    content = _Content(text, sorted(marks, key=lambda m: m.start), markers)

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
            else:
                offset = sentences.end_of(item.sentence)
                inserts.append((offset, ident))
                lost.append(ident)
                problems.append(
                    f"placeholder {ident} ({item.label}) missing; "
                    f"re-inserted at end of sentence {sentences.of(offset) + 1}"
                )
        elif len(occurrences) == 2 and content.between(occurrences[0], occurrences[1]):
            candidates[ident] = (occurrences[0], occurrences[1])
        elif len(occurrences) == 2:
            broken[ident] = "no words left between its markers"
        else:
            broken[ident] = f"{len(occurrences)} of its 2 markers found"

    kinds = {ident: item.kind for ident, item in enumerate(markers, 1)}
    if _all_fit(candidates, kinds):  # the usual case, decided in one pass
        accepted = dict(candidates)
    else:
        accepted = {}
        family = _Accepted([m.start for pair in candidates.values() for m in pair])
        for ident in sorted(candidates, key=lambda i: (_PRIORITY.get(kinds[i], 2), i)):
            pair = candidates[ident]
            if family.fits(kinds[ident], pair[0].start, pair[1].start):
                family.accept(kinds[ident], pair[0].start, pair[1].start)
                accepted[ident] = pair
            else:
                broken[ident] = "markers cross or nest illegally"

    for ident in sorted(broken):
        span = _span(markers, ident)
        lost.append(ident)
        message = f"span {ident} ({span.label}): {broken[ident]}; formatting dropped"
        if span.fallback:
            inserts.append((_fallback_offset(sentences, span, by_id.get(ident, [])), ident))
            message += "; target re-inserted"
        problems.append(message)

    # Anything placed inside an image would end up in its alt text: move it behind the image.
    extents = _Extents(accepted, kinds)
    for ident, mark in list(atoms.items()):
        image = extents.around("image", mark.start)
        if image is None or image[0] == _placeholder(markers, ident).container:
            continue
        del atoms[ident]
        inserts.append((mark.start, ident))
    inserts = [(_out_of(extents, offset, kinds[ident]), ident) for offset, ident in inserts]

    tree = _build_tree(
        text,
        markers,
        title_values,
        protected.titles,
        _span_sources(protected.text),
        marks,
        stray,
        atoms,
        accepted,
        inserts,
    )
    references = set(protected.references)
    references.update(m.ref for m in markers if isinstance(m, Span) and m.ref is not None)
    result = escape_line_start(to_markdown(tree).strip(BLANK))
    if not renders_as(result, tree, references):
        result = escape_line_start(to_markdown(tree, html_emphasis=True).strip(BLANK))
        if not renders_as(result, tree, references):
            problems.append("restored Markdown does not render exactly as intended")
    if result and protected.paragraph and not lone_paragraph(result):
        problems.append("restored Markdown opens a block (no longer reads as a paragraph)")
    return Restored(markdown=result, ok=not problems, problems=problems, lost=tuple(lost))


def _span(markers: Sequence[Marker], ident: int) -> Span:
    item = markers[ident - 1]
    assert isinstance(item, Span)
    return item


def _placeholder(markers: Sequence[Marker], ident: int) -> Placeholder:
    item = markers[ident - 1]
    assert isinstance(item, Placeholder)
    return item


def _fallback_offset(sentences: _Sentences, span: Span, occurrences: Sequence[_Mark]) -> int:
    """Where the URL of a broken link goes: at its surviving closing marker, else sentence end."""
    closing = [mark for mark in occurrences if mark.closing]
    if closing or len(occurrences) == 2:
        return (closing or list(occurrences))[-1].end
    if occurrences:
        return sentences.end_of(sentences.of(occurrences[0].start))
    return sentences.end_of(span.sentence)


def _out_of(extents: _Extents, offset: int, kind: str) -> int:
    """Move an insertion point out of image alt text, and a link or image out of link text."""
    is_link = kind in ("link", "image")
    while True:
        image = extents.around("image", offset)
        link = extents.around("link", offset) if is_link else None
        if image is not None:
            offset = image[1]
        elif link is not None:
            offset = link[1]
        else:
            return offset


def _build_tree(
    text: str,
    markers: Sequence[Marker],
    title_values: Sequence[str],
    original_titles: Sequence[str],
    sources: dict[int, str],
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
            source = sources.get(ident)
            translated = text[open_marks.pop().end : start]
            same = source is not None and source.split() == translated.split()
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
    return Atom(item.kind, item.markdown, item.text, item.label, item.explicit)


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
