"""One line of inline Markdown as nodes, read by the shared parser (`commonmark.parser()`).

Token → node:

* ``text`` (entities and backslash escapes already resolved by markdown-it's ``text_join``)
  → `Text`, with marker look-alikes, URLs and e-mail addresses that stayed text cut out
  as literal/url/email `Atom`\\ s; ``softbreak`` → a space;
* ``hardbreak`` → `Atom("html", "<br />")`: a hard break written as raw HTML renders the
  same and, unlike trailing spaces or a backslash before a line end, survives in one line;
* ``em``/``strong``/``s`` (GFM strikethrough) → `SpanNode`; beyond `MAX_DEPTH` nested spans
  their tags become raw-HTML atoms (``<em>`` …), which render the same;
* ``code_inline`` → code `Atom` (the source as written);
* ``link_open … link_close`` → link `SpanNode` (href, title, reference form, destination as
  written), or an `Atom` holding the source for links whose text is their URL, links
  nested in link text, empty links and links beyond `MAX_DEPTH`;
* autolinks → `Atom`: ``<https://…>`` (kind link) and ``<a@b.de>`` (email) as written;
  GFM's bare ``https://…``/``www.…`` (url) and ``a@b.de`` (email) with an explicit form
  for places where GFM would no longer read them as that link (`Atom.explicit`);
* ``image`` → image `SpanNode` whose children are the alt text (an `Atom` when it is empty);
* ``html_inline`` → paired tags become ``html`` `SpanNode`\\ s (`_pair_tags`), others `Atom`\\ s;
* ``footnote_ref`` → footnote `Atom` ``[^label]``; any other token (plugins) → an `Atom`
  holding its source.

How a link was written (inline, full, collapsed or shortcut reference) comes from
``token.meta``, recorded by `inline_rules`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterator, Sequence
from html.parser import HTMLParser
from typing import Any

from markdown_it.common.utils import escapeHtml, normalizeReference
from markdown_it.helpers import parseLinkDestination
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token

from translate_pipeline.markup.commonmark import parser
from translate_pipeline.markup.inline_rules import SOURCE
from translate_pipeline.markup.nodes import (
    BLANK,
    Atom,
    Node,
    SpanNode,
    Tag,
    Text,
    code_markdown,
    destination,
    escape,
    nodes_text,
    to_markdown,
)
from translate_pipeline.markup.patterns import EMAIL, MARK, URL, VOID_TAGS

MAX_DEPTH = 20  # nesting of spans in one line (markdown-it's own limit for links)

REF_SCHEME = "tp-ref:"

_SPANS = {"em_open": "em", "strong_open": "strong", "s_open": "s"}
_CLOSES = frozenset({"em_close", "strong_close", "s_close"})


def ref_href(label: str) -> str:
    """The placeholder target of a reference link while checking: its normalised label."""
    return REF_SCHEME + normalizeReference(label)


class _EveryLabel(dict[str, int]):
    """Footnote labels as the footnote rule looks them up: all defined, since a unit never
    holds the definitions (an undefined ``[^x]`` stays as written either way)."""

    def __contains__(self, key: object) -> bool:
        return True

    def __bool__(self) -> bool:
        return True


_FULL_LABEL = r"(?<=\])\[((?:[^\[\]\\]|\\.)+)\]"
_COLLAPSED_LABEL = r"\[((?:[^\[\]\\]|\\.)+)\](?=\[\])"
_WRITTEN_LABELS = re.compile(f"{_FULL_LABEL}|{_COLLAPSED_LABEL}")


def _written_labels(md_line: str) -> set[str]:
    """Labels of ``[Text][label]`` and ``[Text][]``: links when the definitions are unknown."""
    return {label for m in _WRITTEN_LABELS.finditer(md_line) for label in m.groups() if label}


def defined_labels(md_line: str, references: Collection[str] | None) -> Collection[str]:
    """`references` are the link labels the article defines; None means unknown, and then
    full and collapsed references count as defined (the shortcut form ``[Text]`` is more
    often literal brackets)."""
    return _written_labels(md_line) if references is None else references


def environment(md_line: str, references: Collection[str] | None) -> dict[str, Any]:
    """markdown-it's env for one unit: the labels defined (`defined_labels`) with
    placeholder targets, and every footnote label."""
    labels = defined_labels(md_line, references)
    return {
        "references": {
            normalizeReference(label): {"href": ref_href(label), "title": ""}
            for label in labels
            if label.strip()
        },
        "footnotes": {"refs": _EveryLabel(), "list": {}},
    }


def _inline_tokens(md_line: str, env: dict[str, Any]) -> list[Token]:
    tokens = parser().parseInline(md_line, env)
    return list(tokens[0].children or []) if tokens else []


def parse_inline(md_line: str, references: Collection[str] | None = None) -> list[Node]:
    """The nodes of one line of inline Markdown (see the module docstring)."""
    md_line = md_line.strip(BLANK)  # as in a paragraph (a final hard break is none)
    tokens = _inline_tokens(md_line, environment(md_line, references))
    return _Reader(tokens).nodes(0, False, None)


# --- text ---------------------------------------------------------------------------------

_TEXT_ATOM_RE = re.compile(
    f"(?P<mark>{MARK.pattern})|(?P<url>{URL.pattern})|(?P<email>{EMAIL.pattern})", re.IGNORECASE
)
_TRAILING_PUNCT = ".,;:!?'\"»«“”‘’"


def _trim_url(url: str) -> str:
    """A URL found in text, without the punctuation that ends the sentence around it."""
    opened, closed = url.count("("), url.count(")")
    brackets_open, brackets_closed = url.count("["), url.count("]")
    end = len(url)
    while end:
        ch = url[end - 1]
        if ch in _TRAILING_PUNCT:
            pass
        elif ch == ")" and opened < closed:
            closed -= 1
        elif ch == "]" and brackets_open < brackets_closed:
            brackets_closed -= 1
        else:
            break
        end -= 1
    return url[:end]


def textify(text: str) -> list[Node]:
    """Text with what the model must not see cut out: marker look-alikes, URLs, addresses."""
    nodes: list[Node] = []
    pos = 0
    for m in _TEXT_ATOM_RE.finditer(text):
        value = m.group(0)
        if m.group("url"):
            value = _trim_url(value)
            kind, label = "url", f"URL {value}"
        elif m.group("email"):
            kind, label = "email", f"e-mail {value}"
        else:
            kind, label = "literal", f"literal {value!r}"
        if not value:
            continue
        if m.start() > pos:
            nodes.append(Text(text[pos : m.start()]))
        nodes.append(Atom(kind, escape(value), value, label))
        pos = m.start() + len(value)
    if pos < len(text):
        nodes.append(Text(text[pos:]))
    return nodes


# --- tokens to nodes ----------------------------------------------------------------------


class _Reader:
    """Walks a flat inline token list once, building the node tree."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def nodes(self, depth: int, in_link: bool, until: str | None) -> list[Node]:
        """Nodes up to the token type `until` (a span's close), consuming it."""
        items: list[str | Tag | Node] = []
        flattened = 0  # spans opened beyond MAX_DEPTH, written as raw tags
        tokens = self.tokens
        while self.i < len(tokens):
            token = tokens[self.i]
            kind = token.type
            self.i += 1
            if kind == until and flattened == 0:
                break
            if kind in ("text", "text_special"):
                items.append(token.content)
            elif kind == "softbreak":
                items.append(" ")
            elif kind == "hardbreak":  # spaced, so the model sees words apart
                items.extend((" ", Atom("html", "<br />", "", "line break"), " "))
            elif kind == "code_inline":
                code = token.content
                written = token.meta.get(SOURCE) or code_markdown(code)
                items.append(Atom("code", written, code, f"code `{code}`"))
            elif kind in _SPANS:
                if depth + 1 >= MAX_DEPTH:
                    flattened += 1
                    items.append(_raw_html_atom(f"<{token.tag}>"))
                else:
                    close = kind[: -len("_open")] + "_close"
                    children = self.nodes(depth + 1, in_link, close)
                    items.append(SpanNode(_SPANS[kind], tuple(children)))
            elif kind in _CLOSES:
                flattened = max(0, flattened - 1)
                items.append(_raw_html_atom(f"</{token.tag}>"))
            elif kind == "link_open":
                items.append(self.link(token, depth, in_link))
            elif kind == "image":
                items.append(_image(token))
            elif kind == "html_inline":
                items.append(Tag(token.content))
            elif kind == "footnote_ref":
                written = token.meta.get(SOURCE) or f"[^{token.meta.get('label', '')}]"
                items.append(Atom("footnote", written, written, f"footnote reference {written}"))
            else:
                written = token.meta.get(SOURCE) or escape(token.content)
                items.append(Atom(kind, written, "", f"{kind} {written}"))
        return _pair_tags(list(_texts(items)), depth)

    def link(self, token: Token, depth: int, in_link: bool) -> Node:
        meta = token.meta
        written = str(meta.get(SOURCE, ""))
        children = self.nodes(min(depth + 1, MAX_DEPTH), True, "link_close")
        shown = nodes_text(children)
        href = str(token.attrs.get("href", ""))
        if token.info == "auto":
            return _autolink(href, written, shown)
        form = meta.get("form", "inline")
        suffix = str(meta.get("suffix", ""))
        title = token.attrs.get("title")
        if form == "inline":
            raw = _raw_destination(suffix)
            if (
                title is None
                and shown == raw
                and not any(isinstance(c, SpanNode) for c in children)
            ):
                return Atom("link", written, shown, f"link {raw}")
            span = SpanNode(
                "link", tuple(children), href=raw, title=_title(title), destination=suffix
            )
        else:
            span = _reference_span("link", children, meta)
        if in_link or depth + 1 >= MAX_DEPTH or not children:
            markdown = _as_written(meta, span)
            return Atom("link", markdown, shown, f"link {span.href or span.ref}")
        return span


def _texts(items: Sequence[str | Tag | Node]) -> Iterator[Tag | Node]:
    pending: list[str] = []
    for item in items:
        if isinstance(item, str):
            pending.append(item)
            continue
        if pending:
            yield from textify("".join(pending))
            pending = []
        yield item
    if pending:
        yield from textify("".join(pending))


def _title(title: str | float | None) -> str | None:
    return None if title is None else str(title)


def _raw_destination(suffix: str) -> str:
    """The destination of ``(dest "title")`` as markdown-it reads it, before normalising."""
    pos = 1
    while pos < len(suffix) and suffix[pos] in " \t\n":
        pos += 1
    found = parseLinkDestination(suffix, pos, len(suffix))
    return found.str if found.ok else ""


def _as_written(meta: dict[Any, Any], span: SpanNode) -> str:
    """A link or image as in the source, unless its form relied on what followed it."""
    written = str(meta.get(SOURCE, ""))
    if not written or (span.ref is not None and span.ref_suffix != meta.get("suffix")):
        return to_markdown([span])
    return written


def _reference_span(kind: str, children: Sequence[Node], meta: dict[Any, Any]) -> SpanNode:
    ref, suffix, form = str(meta.get("ref", "")), str(meta.get("suffix", "")), meta.get("form")
    if form == "collapsed":
        suffix = "[]"
    elif form == "full" and not suffix.startswith("["):
        suffix = f"[{ref}]"  # `[a](x[ref]`, which relies on what follows: as `[a][ref]`
    return SpanNode(
        kind, tuple(children), ref=ref, ref_suffix=suffix, written=str(meta.get("label", ""))
    )


def _autolink(href: str, written: str, shown: str) -> Atom:
    email = href.lower().startswith(("mailto:", "xmpp:"))
    if written.startswith("<"):  # <https://…>, <a@b.de>: the same anywhere
        kind = "email" if email else "link"
        return Atom(kind, written, shown, f"{'e-mail' if email else 'link'} {shown}")
    explicit = f"[{escape(shown)}]{destination(href, None)}"
    if email:
        return Atom("email", written, shown, f"e-mail {shown}", explicit)
    return Atom("url", written, shown, f"URL {shown}", explicit)


def _renderer() -> RendererHTML:
    renderer = parser().renderer
    assert isinstance(renderer, RendererHTML)
    return renderer


def _image(token: Token) -> Node:
    alt = _renderer().renderInlineAsText(token.children or [], parser().options, {})
    alt = alt.replace("\n", " ")
    meta = token.meta
    title = token.attrs.get("title")
    children = tuple(textify(alt))
    if meta.get("form", "inline") == "inline":
        suffix = str(meta.get("suffix", ""))
        span = SpanNode(
            "image",
            children,
            href=_raw_destination(suffix),
            title=_title(title),
            destination=suffix,
        )
    else:
        span = _reference_span("image", children, meta)
    if not alt.strip(BLANK):
        markdown = _as_written(meta, span)
        return Atom("image", markdown, "", f"image {span.href or span.ref}")
    return span


# --- inline HTML --------------------------------------------------------------------------

_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^<>]*?(/?)>\Z")


def _pair_tags(tokens: list[Tag | Node], depth: int) -> list[Node]:
    """Turn ``<sup>…</sup>``-style raw HTML pairs into spans so the words inside get translated."""
    out: list[Tag | Node] = []
    stack: list[tuple[str, int]] = []
    for tok in tokens:
        if not isinstance(tok, Tag):
            out.append(tok)
            continue
        m = _TAG_RE.match(tok.raw)
        if m is None:
            out.append(_raw_html_atom(tok.raw))
            continue
        name = m.group(2).lower()
        if m.group(1):
            if stack and stack[-1][0] == name:
                _, start = stack.pop()
                opening = out[start]
                assert isinstance(opening, Tag)
                children = tuple(_untag(out[start + 1 :]))
                out[start:] = [SpanNode("html", children, opening=opening.raw, closing=tok.raw)]
            else:
                out.append(_raw_html_atom(tok.raw))
        elif m.group(3) or name in VOID_TAGS or depth + len(stack) + 1 >= MAX_DEPTH:
            out.append(_raw_html_atom(tok.raw))
        else:
            stack.append((name, len(out)))
            out.append(tok)
    return _untag(out)


def _untag(tokens: Sequence[Tag | Node]) -> list[Node]:
    return [_raw_html_atom(t.raw) if isinstance(t, Tag) else t for t in tokens]


def _raw_html_atom(raw: str) -> Atom:
    return Atom("html", raw, "", f"HTML {raw}")


# --- rendering ----------------------------------------------------------------------------


def render_inline(md_line: str, check: Collection[str] | None = None) -> str:
    """Render as paragraph text. With `check` (the reference labels to treat as defined)
    every footnote reference counts as defined and renders as a stand-in element, so the
    self-check compares inline syntax, not footnote numbering."""
    md = parser()
    md_line = md_line.strip(BLANK)
    if check is None:
        return md.renderInline(md_line).strip(BLANK)
    env = environment(md_line, check)
    tokens = [_footnote_stand_in(t) for t in _inline_tokens(md_line, env)]
    return _renderer().renderInline(tokens, md.options, env).strip(BLANK)


@functools.lru_cache(maxsize=4096)
def render_atom(markdown: str, check: frozenset[str]) -> str:
    """`render_inline` for an atom on its own: the self-check renders the same ones often."""
    return render_inline(markdown, check)


def _footnote_stand_in(token: Token) -> Token:
    if token.type != "footnote_ref":
        return token
    label = escapeHtml(str(token.meta.get("label", "")))
    return Token("html_inline", "", 0, content=f'<sup data-footnote="{label}"></sup>')


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and (src := dict(attrs).get("src")):
            self.images.append(src)


def _html_images(raw: str) -> list[str]:
    collector = _Collector()
    collector.feed(raw)
    collector.close()
    return collector.images


def image_sources(tokens: Sequence[Token]) -> Iterator[str]:
    """The `src` of every image among parsed tokens, as written (references resolved), in
    order, raw ``<img>`` tags included: the file an editor named, not its URL encoding."""
    for token in tokens:
        if token.type == "image":
            meta = token.meta
            if meta.get("form", "inline") == "inline" and meta.get("suffix"):
                yield _raw_destination(str(meta["suffix"]))
            else:
                yield parser().normalizeLinkText(str(token.attrs.get("src", "")))
        elif token.type in ("html_inline", "html_block") and "<img" in token.content.lower():
            yield from _html_images(token.content)
        if token.children:
            yield from image_sources(token.children)
