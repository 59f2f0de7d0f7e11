"""Does restored Markdown render exactly as the node tree we meant?

Both sides are markdown-it's HTML (`parse.render_inline`, the shared parser), compared as
events of an HTML parser with whitespace in text and attributes collapsed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from html.parser import HTMLParser

from translate_pipeline.markup.commonmark import parser
from translate_pipeline.markup.nodes import Atom, Node, Text, nodes_text
from translate_pipeline.markup.parse import ref_href, render_atom, render_inline

_Event = tuple


class _EventParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[_Event] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("s", tag, _norm_attrs(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.events.append(("e", tag))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("e", tag))

    def handle_data(self, data: str) -> None:
        self.events.append(("d", data))

    def handle_comment(self, data: str) -> None:
        self.events.append(("c", data))


def _norm_attrs(attrs: Sequence[tuple[str, str | None]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, " ".join((v or "").split())) for k, v in attrs))


def _html_events(fragment: str) -> list[_Event]:
    parser = _EventParser()
    parser.feed(fragment)
    parser.close()
    return parser.events


def _normalize(events: Sequence[_Event]) -> list[_Event]:
    out: list[_Event] = []
    for event in events:
        if event[0] == "d":
            data = "".join(event[1].split())
            if not data:
                continue
            if out and out[-1][0] == "d":
                out[-1] = ("d", out[-1][1] + data)
                continue
            event = ("d", data)
        out.append(event)
    return out


def _expected_events(nodes: Sequence[Node], references: frozenset[str]) -> list[_Event]:
    events: list[_Event] = []
    for node in nodes:
        if isinstance(node, Text):
            events.append(("d", node.text))
        elif isinstance(node, Atom):
            # (a bare URL's explicit form renders as the link it is meant to be; alone, the
            # bare form may not be one: "http://" is a link only with something after it)
            written = node.explicit or node.markdown
            events.extend(_html_events(render_atom(written, references)))
        elif node.kind in ("em", "strong", "s"):
            events.append(("s", node.kind, ()))
            events.extend(_expected_events(node.children, references))
            events.append(("e", node.kind))
        elif node.kind == "html":
            events.extend(_html_events(node.opening))
            events.extend(_expected_events(node.children, references))
            events.extend(_html_events(node.closing))
        else:
            target = (
                ref_href(node.ref) if node.ref is not None else parser().normalizeLink(node.href)
            )
            # (markdown-it leaves out an empty title)
            attrs = [("title", node.title)] if node.title else []
            if node.kind == "link":
                events.append(("s", "a", _norm_attrs([("href", target), *attrs])))
                events.extend(_expected_events(node.children, references))
                events.append(("e", "a"))
            else:
                alt = nodes_text(node.children)
                events.append(("s", "img", _norm_attrs([("src", target), ("alt", alt), *attrs])))
                events.append(("e", "img"))
    return events


def renders_as(md_line: str, nodes: Sequence[Node], references: Collection[str]) -> bool:
    """Whether `md_line`, with `references` defined, renders as `nodes` are meant to."""
    actual = _html_events(render_inline(md_line, check=references))
    return _normalize(actual) == _normalize(_expected_events(nodes, frozenset(references)))


def lone_paragraph(md: str) -> bool:
    """Whether `md` on a line of its own is one paragraph holding exactly it, not a heading,
    list item, quote, definition, raw HTML block ... (block syntax the inline check cannot
    see)."""
    tokens = parser().parse(md, {})
    types = [t.type for t in tokens]
    return (
        types == ["paragraph_open", "inline", "paragraph_close"] and tokens[1].content == md.strip()
    )
