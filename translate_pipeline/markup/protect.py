"""Hide everything but translatable words behind markers the model copies."""

from __future__ import annotations

import bisect
import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from translate_pipeline.markup.nodes import (
    BLANK,
    Atom,
    Node,
    SpanNode,
    Text,
    destination,
    escape,
    hoist,
    nodes_text,
    to_markdown,
)
from translate_pipeline.markup.parse import defined_labels, parse_inline
from translate_pipeline.markup.patterns import AUTOLINK, SENTENCE_END
from translate_pipeline.markup.selfcheck import lone_paragraph


@dataclass(frozen=True)
class Placeholder:
    """Something the model must never see; ``<id/>`` stands for it in ``Protected.text``."""

    kind: str  # code, url, email, link, image, footnote, html, literal (or a plugin's token)
    markdown: str  # re-inserted verbatim
    text: str  # what a reader sees (used inside image alt text)
    label: str  # human description for problem reports
    sentence: int  # sentence of ``Protected.text`` it sits in: where to re-insert it if lost
    container: int = 0  # id of the span it sits in, 0 for top level
    explicit: str = ""  # a bare URL's Markdown for places where GFM would not link it


@dataclass(frozen=True)
class Span:
    """A formatting span; ``<id> ... </id>`` wraps its (translatable) content."""

    kind: str  # "em", "strong", "s" (strikethrough), "link", "image" or "html"
    label: str
    sentence: int
    href: str = ""  # link target / image source, exactly as parsed (entities kept)
    title: int | None = None  # index into ``Protected.titles``
    ref: str | None = None  # reference id of ``[text][ref]`` links, as written
    ref_suffix: str = ""  # the source's "[ref]", "[]" or "" (shortcut form)
    written: str = ""  # a reference link's bracketed text as in the source
    destination: str = ""  # the source's "(url "title")", reused while the title is unchanged
    opening: str = ""  # raw tags of an "html" span
    closing: str = ""
    glued_before: bool = False  # no whitespace before the span in the source (intra-word)
    glued_after: bool = False
    fallback: str = ""  # Markdown that keeps the URL/image if the span's markers are lost


Marker = Placeholder | Span


@dataclass(frozen=True)
class Protected:
    """Model input plus what ``restore`` needs; marker id ``n`` is ``markers[n - 1]``."""

    text: str
    markers: tuple[Marker, ...]
    titles: tuple[str, ...] = ()  # link/image titles, to be translated as separate units
    paragraph: bool = False  # the source on a line of its own is one paragraph (see restore)
    references: tuple[str, ...] = ()  # the reference labels the source was read with


def _ends_with_space(node: Node) -> bool:  # (a no-break space is content)
    return isinstance(node, Text) and bool(node.text) and node.text[-1] in BLANK


def _starts_with_space(node: Node) -> bool:
    return isinstance(node, Text) and bool(node.text) and node.text[0] in BLANK


def _fallback(span: SpanNode) -> str:
    if span.kind == "image":
        return to_markdown([span])
    if span.kind != "link":
        return ""
    if span.ref is not None:
        return f"[{escape(span.ref)}][{span.ref}]"
    if AUTOLINK.fullmatch(f"<{span.href}>"):
        return f"<{span.href}>"
    return f"[{escape(span.href)}]{span.destination or destination(span.href, None)}"


def _span_label(span: SpanNode) -> str:
    words = " ".join(nodes_text(span.children).split())
    if len(words) > 40:
        words = words[:37] + "..."
    target = span.href or span.ref or span.opening
    return f"{span.kind} {words!r}" + (f" -> {target}" if target else "")


def protect(md: str, references: Collection[str] | None = None) -> Protected:
    """Hide everything but translatable words behind markers the model copies.

    ``md`` is one line of inline Markdown (soft line breaks may be spaces or newlines).
    ``references`` are the link reference labels the article defines, as markdown-it reads
    them (``[Text][label]``, ``[Text][]``, ``[Text]`` are links only for defined labels).
    None means unknown: full and collapsed references then count as defined, shortcuts as
    text. Footnote references ``[^x]`` are always kept as they are. Planning, glossary
    matching and translation all need a unit's protected form: it is parsed once and shared
    (``Protected`` is immutable).
    """
    return _protect(md, None if references is None else frozenset(references))


@functools.lru_cache(maxsize=4096)
def _protect(md: str, references: frozenset[str] | None) -> Protected:
    parts: list[str] = []
    length = 0
    offsets: list[int] = []
    markers: list[dict[str, object]] = []
    titles: list[str] = []

    def put(text: str) -> None:
        nonlocal length
        parts.append(text)
        length += len(text)

    def new_marker(fields: dict[str, object]) -> int:
        markers.append(fields)
        offsets.append(length)
        return len(markers)

    def emit(nodes: Sequence[Node], container: int) -> None:
        for i, node in enumerate(nodes):
            if isinstance(node, Text):
                put(node.text)
            elif isinstance(node, Atom):
                ident = new_marker(
                    {
                        "type": Placeholder,
                        "kind": node.kind,
                        "markdown": node.markdown,
                        "text": node.text,
                        "label": node.label,
                        "container": container,
                        "explicit": node.explicit,
                    }
                )
                put(f"<{ident}/>")
            else:
                title_index = None
                if node.title is not None:
                    titles.append(node.title)
                    title_index = len(titles) - 1
                ident = new_marker(
                    {
                        "type": Span,
                        "kind": node.kind,
                        "label": _span_label(node),
                        "href": node.href,
                        "title": title_index,
                        "ref": node.ref,
                        "ref_suffix": node.ref_suffix,
                        "written": node.written,
                        "destination": node.destination,
                        "opening": node.opening,
                        "closing": node.closing,
                        "glued_before": i > 0 and not _ends_with_space(nodes[i - 1]),
                        "glued_after": i + 1 < len(nodes) and not _starts_with_space(nodes[i + 1]),
                        "fallback": _fallback(node),
                    }
                )
                put(f"<{ident}> ")
                emit(node.children, ident)
                put(f" </{ident}>")

    emit(hoist(parse_inline(md, references)), 0)
    text = "".join(parts)
    ends = [m.start() for m in SENTENCE_END.finditer(text)]
    built: list[Marker] = []
    for fields, offset in zip(markers, offsets):
        kind = fields.pop("type")
        sentence = bisect.bisect_left(ends, offset)  # sentence ends before the marker
        built.append(kind(sentence=sentence, **fields))  # type: ignore[operator]
    return Protected(
        text=text,
        markers=tuple(built),
        titles=tuple(titles),
        paragraph=lone_paragraph(md),
        references=tuple(sorted(defined_labels(md, references))),
    )
