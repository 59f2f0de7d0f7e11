"""Python-Markdown, configured once for parsing and rendering, and its inline parse as nodes."""

from __future__ import annotations

import functools
import html
import re
import xml.etree.ElementTree as etree
from collections.abc import Collection, Sequence
from dataclasses import replace
from html.parser import HTMLParser

import markdown
from markdown import inlinepatterns, util

from translate_pipeline.markup.nodes import (
    BLANK,
    Atom,
    Node,
    SpanNode,
    Tag,
    Text,
    attribute_lists,
    code_markdown,
    escape,
    nodes_text,
    to_markdown,
)
from translate_pipeline.markup.patterns import EMAIL, MARK, URL, VOID_TAGS

EXTENSIONS = ("extra", "sane_lists")
EXTENSION_CONFIGS = {"extra": {"tables": {"use_align_attribute": True}}}

_REF_ATTR = "data-tp-ref"
_REF_SUFFIX_ATTR = "data-tp-suffix"
_DEST_ATTR = "data-tp-destination"
_WRITTEN_ATTR = "data-tp-written"
RAW_TAG = "tp-raw"

_STASH_RE = re.compile(re.escape(util.STX) + r"wzxhzdk:(\d+)" + re.escape(util.ETX))
_ESCAPED_RE = re.compile(re.escape(util.STX) + r"(\d+)" + re.escape(util.ETX))
_ENTITY_RE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z0-9]+);")
AUTOLINK = re.compile(r"(?:[Ff]|[Hh][Tt])[Tt][Pp][Ss]?://[^<>]*")
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^<>]*?(/?)>\Z")


def _markdown() -> markdown.Markdown:
    return markdown.Markdown(extensions=list(EXTENSIONS), extension_configs=EXTENSION_CONFIGS)


class FootnoteReference(inlinepatterns.InlineProcessor):
    """Keep ``[^id]`` verbatim: its definition lives elsewhere in the article."""

    def handleMatch(  # noqa: N802 - Python-Markdown API
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element, int, int]:
        raw = self.unescape(m.group(0))
        el = etree.Element(RAW_TAG)
        el.set("md", _source_form(raw))
        el.text = util.AtomicString(_resolve_escapes(raw))  # what an enclosing alt text shows
        return el, m.start(0), m.end(0)


class _Reference(inlinepatterns.ReferenceInlineProcessor):
    """Recognise reference links without knowing the article's definitions.

    Full and collapsed forms are taken as links always; the shortcut form ``[text]`` only for
    ids in ``known`` because in prose it is more often literal brackets.
    """

    image = False

    def __init__(self, pattern: str, md: markdown.Markdown, known: frozenset[str] | None):
        super().__init__(pattern, md)
        self.known = known

    def handleMatch(  # noqa: N802 - Python-Markdown API
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element | None, int | None, int | None]:
        text, index, handled = self.getText(data, m.end(0))
        if not handled:
            return None, None, None
        ref, end, handled = self.evalId(data, index, text)
        if not handled or ref is None:
            return None, None, None
        ref = self.NEWLINE_CLEANUP_RE.sub(" ", ref)
        if self.known is not None and ref not in self.known:
            return None, m.start(0), end
        suffix = data[index:end].strip()
        written = suffix[1:-1] if len(suffix) > 2 else _source(text, self.md)
        if self.image:
            el = etree.Element("img")
            el.set("alt", self.unescape(text))
        else:
            el = etree.Element("a")
            el.text = text
        el.set(_REF_ATTR, " ".join(written.split()))
        el.set(_REF_SUFFIX_ATTR, suffix)
        el.set(_WRITTEN_ATTR, _source(text, self.md))
        return el, m.start(0), end


class _ImageReference(_Reference):
    image = True


class _ShortReference(_Reference):
    def evalId(  # noqa: N802 - Python-Markdown API
        self, data: str, index: int, text: str
    ) -> tuple[str, int, bool]:
        return text.lower(), index, True


class _ShortImageReference(_ShortReference):
    image = True


def _source(text: str, md: markdown.Markdown) -> str:
    """Markdown as written for a stretch of partly processed inline text."""
    stash = md.treeprocessors["inline"].stashed_nodes

    def written(m: re.Match[str]) -> str:
        value = stash.get(m.group(1))
        if isinstance(value, etree.Element):
            return to_markdown([_element(value, md, False)])
        return str(value)

    return _source_form(util.INLINE_PLACEHOLDER_RE.sub(written, text))


def _stash_text(text: str, md: markdown.Markdown) -> str:
    """Reader-visible text for placeholders Python-Markdown leaves in attributes (nested alt)."""
    stash = md.treeprocessors["inline"].stashed_nodes

    def shown(m: re.Match[str]) -> str:
        value = stash.get(m.group(1))
        if isinstance(value, etree.Element):
            return _stash_text("".join(value.itertext()), md)
        return str(value)

    return util.INLINE_PLACEHOLDER_RE.sub(shown, text)


class _RawHtml(inlinepatterns.HtmlInlineProcessor):
    """Stash inline HTML as written: Markdown inside a tag (``<a title="`x`">``) stays source."""

    def handleMatch(  # noqa: N802 - Python-Markdown API
        self, m: re.Match[str], data: str
    ) -> tuple[str, int, int]:
        return self.md.htmlStash.store(_source(m.group(1), self.md)), m.start(0), m.end(0)


class _Link(inlinepatterns.LinkInlineProcessor):
    """Remember the destination as written, so URLs come out byte for byte unchanged."""

    def handleMatch(  # noqa: N802 - Python-Markdown API
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element | None, int | None, int | None]:
        el, start, end = super().handleMatch(m, data)
        if el is not None and end is not None:
            _, index, _ = self.getText(data, m.end(0))
            if data[end - 1 : end] == ")":  # not when closed by the end of the line
                el.set(_DEST_ATTR, _source(data[index:end], self.md))
        return el, start, end


class _Image(_Link, inlinepatterns.ImageInlineProcessor):
    pass


# Not "![^x](…)" or "[^x](…)": undefined, those are an image or a link.
FOOTNOTE_REFERENCE = r"(?<!!)\[\^([^\]\[]+)\](?!\()"


def _protect_markdown(references: Collection[str]) -> markdown.Markdown:
    md = _markdown()
    known = frozenset(" ".join(r.split()).lower() for r in references)
    patterns = md.inlinePatterns
    patterns.register(FootnoteReference(FOOTNOTE_REFERENCE, md), "footnote", 175)
    patterns.register(_Reference(inlinepatterns.REFERENCE_RE, md, None), "reference", 170)
    patterns.register(_Link(inlinepatterns.LINK_RE, md), "link", 160)
    patterns.register(_Image(inlinepatterns.IMAGE_LINK_RE, md), "image_link", 150)
    patterns.register(_RawHtml(inlinepatterns.HTML_RE, md), "html", 90)
    patterns.register(
        _ImageReference(inlinepatterns.IMAGE_REFERENCE_RE, md, None), "image_reference", 140
    )
    patterns.register(
        _ShortReference(inlinepatterns.REFERENCE_RE, md, known), "short_reference", 130
    )
    patterns.register(
        _ShortImageReference(inlinepatterns.IMAGE_REFERENCE_RE, md, known), "short_image_ref", 125
    )
    return md


def _inline_tree(md: markdown.Markdown, line: str) -> etree.Element:
    """Run only the inline stage, so the line is parsed exactly as a paragraph's text would be."""
    root = etree.Element("div")
    p = etree.SubElement(root, "p")
    p.text = line
    md.treeprocessors["inline"].run(root)
    return p


_TEXT_ATOM_RE = re.compile(
    f"(?P<mark>{MARK.pattern})|(?P<url>{URL.pattern})|(?P<email>{EMAIL.pattern})",
    re.IGNORECASE,
)
_BRACES_RE = re.compile(r"\{[^}\n]*\}")
_TRAILING_PUNCT = ".,;:!?'\"»«“”‘’"


def _resolve_escapes(text: str) -> str:
    return _ESCAPED_RE.sub(lambda m: chr(int(m.group(1))), text.replace(util.AMP_SUBSTITUTE, "&"))


def _source_form(text: str) -> str:
    """Markdown that reproduces ``text`` as written: escaped characters get their backslash."""
    return _ESCAPED_RE.sub(lambda m: "\\" + chr(int(m.group(1))), text)


def _trim_url(url: str) -> str:
    while url and (
        url[-1] in _TRAILING_PUNCT
        or (url[-1] == ")" and url.count("(") < url.count(")"))
        or (url[-1] == "]" and url.count("[") < url.count("]"))
    ):
        url = url[:-1]
    return url


def textify(text: str) -> list[Node]:
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


def _split_stash(text: str, md: markdown.Markdown) -> list[str | Tag]:
    """Replace Python-Markdown's raw-HTML placeholders: entities become text, tags stay tags."""
    out: list[str | Tag] = []
    pos = 0
    for m in _STASH_RE.finditer(text):
        out.append(text[pos : m.start()])
        raw = str(md.htmlStash.rawHtmlBlocks[int(m.group(1))])
        out.append(html.unescape(raw) if _ENTITY_RE.fullmatch(raw) else Tag(raw))
        pos = m.end()
    out.append(text[pos:])
    return out


def _segment(raw: str, md: markdown.Markdown) -> list[str | Tag | Node]:
    """Cut attribute lists out first, before escapes and entities turn into braces."""
    out: list[str | Tag | Node] = []
    pos = 0
    for m in _BRACES_RE.finditer(raw):
        out.extend(_split_stash(raw[pos : m.start()], md))
        braces = _STASH_RE.sub(
            lambda s: str(md.htmlStash.rawHtmlBlocks[int(s.group(1))]), m.group(0)
        )
        written, shown = _source_form(braces), html.unescape(_resolve_escapes(braces))
        out.append(Atom("attributes", written, shown, f"attribute list {written}"))
        pos = m.end()
    out.extend(_split_stash(raw[pos:], md))
    return out


def _walk(el: etree.Element, md: markdown.Markdown, in_link: bool) -> list[Node]:
    tokens: list[str | Tag | Node] = []
    if el.text:
        tokens.extend(_segment(el.text, md))
    for child in el:
        tokens.append(_element(child, md, in_link))
        if child.tail:
            tokens.extend(_segment(child.tail, md))
    merged: list[Tag | Node] = []
    pending = ""
    for tok in tokens:
        if isinstance(tok, str):
            pending += tok
            continue
        merged.extend(textify(_resolve_escapes(pending)))
        pending = ""
        merged.append(tok)
    merged.extend(textify(_resolve_escapes(pending)))
    return _pair_tags(merged)


def _pair_tags(tokens: list[Tag | Node]) -> list[Node]:
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
        elif m.group(3) or name in VOID_TAGS:
            out.append(_raw_html_atom(tok.raw))
        else:
            stack.append((name, len(out)))
            out.append(tok)
    return _untag(out)


def _untag(tokens: Sequence[Tag | Node]) -> list[Node]:
    return [_raw_html_atom(t.raw) if isinstance(t, Tag) else t for t in tokens]


def _raw_html_atom(raw: str) -> Atom:
    return Atom("html", raw, "", f"HTML {raw}")


def _element(el: etree.Element, md: markdown.Markdown, in_link: bool) -> Node:
    tag = el.tag
    if tag in ("em", "strong"):
        return SpanNode(tag, tuple(_walk(el, md, in_link)))
    if tag == "code":
        code = html.unescape(el.text or "")
        return Atom("code", code_markdown(code), code, f"code `{code}`")
    if tag == RAW_TAG:
        raw = el.get("md", "")
        return Atom("footnote", raw, el.text or "", f"footnote reference {raw}")
    if tag == "a":
        return _link(el, md, in_link)
    if tag == "img":
        return _image(el, md)
    if tag == "br":
        return Atom("html", "<br />", "", "line break")
    raw = etree.tostring(el, encoding="unicode")
    return Atom("html", raw, "".join(el.itertext()), f"HTML <{tag}>")


def _attribute_text(value: str, md: markdown.Markdown) -> str:
    value = _stash_text(value, md)
    value = _STASH_RE.sub(lambda m: str(md.htmlStash.rawHtmlBlocks[int(m.group(1))]), value)
    return html.unescape(_resolve_escapes(value))


def _decode_entity(m: re.Match[str]) -> str:
    """Like html.unescape, but keeps control characters (Python-Markdown's escape markers)."""
    ref = m.group(0)
    return chr(int(ref[2:-1])) if ref[1] == "#" else html.unescape(ref)


def _link(el: etree.Element, md: markdown.Markdown, in_link: bool) -> Node:
    ref = el.get(_REF_ATTR)
    raw_href = el.get("href", "")
    if util.AMP_SUBSTITUTE in raw_href:  # automail: Python-Markdown obfuscates the address
        encoded = "".join(el.itertext()).replace(util.AMP_SUBSTITUTE, "&")
        address = _resolve_escapes(re.sub(r"&#?\w+;", _decode_entity, encoded))
        return Atom("email", f"<{address}>", address, f"e-mail {address}")
    href = _resolve_escapes(raw_href)
    title = el.get("title")
    children = tuple(_walk(el, md, True))
    span = SpanNode(
        "link",
        children,
        href=href,
        title=None if title is None else _attribute_text(title, md),
        ref=ref,
        ref_suffix=el.get(_REF_SUFFIX_ATTR, ""),
        written=el.get(_WRITTEN_ATTR, ""),
        destination=el.get(_DEST_ATTR, ""),
    )
    shown = "".join(el.itertext())
    if (
        ref is None
        and len(el) == 0
        and title is None
        and shown == raw_href
        and not span.destination
    ):
        markdown_text = f"<{href}>" if AUTOLINK.fullmatch(href) else to_markdown([span])
        return Atom("link", markdown_text, html.unescape(href), f"link {href}")
    if in_link or not children:
        return Atom("link", to_markdown([span]), nodes_text(children), f"link {href or ref}")
    return span


def _image(el: etree.Element, md: markdown.Markdown) -> Node:
    alt = _attribute_text(el.get("alt", ""), md)
    title = el.get("title")
    span = SpanNode(
        "image",
        tuple(textify(alt)),
        href=_resolve_escapes(el.get("src", "")),
        title=None if title is None else _attribute_text(title, md),
        ref=el.get(_REF_ATTR),
        ref_suffix=el.get(_REF_SUFFIX_ATTR, ""),
        written=el.get(_WRITTEN_ATTR, ""),
        destination=el.get(_DEST_ATTR, ""),
    )
    if not alt.strip(BLANK):
        return Atom(
            "image", to_markdown([replace(span, children=())]), "", f"image {span.href or span.ref}"
        )
    return span


@functools.lru_cache(maxsize=16)
def _shared_protect_markdown(references: frozenset[str]) -> markdown.Markdown:
    """Building a Markdown instance costs far more than parsing one line with it."""
    return _protect_markdown(references)


@functools.lru_cache(maxsize=1)
def shared_markdown() -> markdown.Markdown:
    return _markdown()


def parse_inline(md_line: str, references: Collection[str] = ()) -> list[Node]:
    md = _shared_protect_markdown(frozenset(references))
    md.reset()
    return attribute_lists(_walk(_inline_tree(md, md_line.replace("\n", " ")), md, False), True)


def to_html(markdown_text: str) -> str:
    """Render a whole article; sanitized because articles may carry arbitrary inline HTML."""
    return shared_markdown().reset().convert(markdown_text)


def ref_href(ref: str) -> str:
    return "tp-ref:" + ref.lower()


@functools.lru_cache(maxsize=1)
def checking_markdown() -> markdown.Markdown:
    """The self-check's instance: footnote references stay raw."""
    md = _markdown()
    md.inlinePatterns.register(FootnoteReference(FOOTNOTE_REFERENCE, md), "footnote", 175)
    return md


def render_inline(md_line: str, check: Collection[str] | None = None) -> str:
    """Render as paragraph text.  With ``check`` (reference ids to treat as defined) only the
    inline stage runs and footnote references stay raw: the self-check compares inline syntax,
    not attribute lists or abbreviations that act across neighbours."""
    md = (shared_markdown() if check is None else checking_markdown()).reset()
    processors = list(md.treeprocessors)
    if check is not None:
        for ref in check:
            md.references[ref.lower()] = (ref_href(ref), None)
        processors = [md.treeprocessors["inline"], md.treeprocessors["unescape"]]
    root = etree.Element("div")
    p = etree.SubElement(root, "p")
    p.text = md_line
    for processor in processors:
        new_root = processor.run(root)
        if new_root is not None:
            root = new_root
    out = md.serializer(p).strip()
    out = out[len("<p>") : -len("</p>")] if out.startswith("<p>") else ""
    for processor in md.postprocessors:
        out = processor.run(out)
    return out.strip()


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and (src := dict(attrs).get("src")):
            self.images.append(src)


def _collect(html_text: str) -> _Collector:
    collector = _Collector()
    collector.feed(html_text)
    collector.close()
    return collector


def images(markdown_text: str) -> list[str]:
    """The `src` of every image a Markdown document shows, references resolved, in order."""
    return _collect(to_html(markdown_text)).images
