"""Carry inline Markdown through sentence-level machine translation, and render Markdown safely.

The MT model only ever sees plain text.  ``protect`` turns one line of inline Markdown into
that text plus a side table; ``restore`` rebuilds Markdown from the model's output.

Marker format (one grammar for everything, ids are unique per line and numbered in source order):

* formatting spans (emphasis, strong, link text, image alt text, paired inline HTML tags):
  ``<3> words </3>`` -- the model translates the words and should carry the tags along;
* opaque placeholders (code spans, URLs, autolinks, e-mail addresses, footnote references,
  unpaired inline HTML, attribute lists, literal text that looks like a marker): ``<4/>``.

Why XML-like numeric tags rather than tokens such as ``XURL1X`` or ``[1]`` (reasoning, not
measured against a real model here): Argos/OPUS models are trained on web crawls full of inline
HTML, so short ``<b>``-like tags tend to be copied *and kept around the aligned words*, which is
what spans need; an opaque token is copied but lands wherever the model likes.  The tags contain
only ``<``, ``>``, ``/`` and digits: pieces every SentencePiece vocabulary has, no sentence
punctuation (``.?!``) for the sentence splitter to trip over, and nothing a model translates.
Brackets (``[1]``) would collide with citations and Markdown links.  Spans carry a space inside
the tags (``<3> Präsident </3>``) so the wrapped words tokenize as in running text.  The kind of
a marker is looked up by its id, so a model that turns ``</3>`` into ``<3>`` or ``<3/>`` or adds
spaces (``< 3 >``) does no harm; ``restore`` also accepts ``&lt;3&gt;`` and half-eaten forms
such as ``<3`` or ``3/>``.
"""

from __future__ import annotations

import functools
import html
import re
import xml.etree.ElementTree as etree
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

import markdown
import nh3
from markdown import inlinepatterns, util

# --------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placeholder:
    """Something the model must never see; ``<id/>`` stands for it in ``Protected.text``."""

    kind: str  # code, url, email, link, image, footnote, html, literal or attributes
    markdown: str  # re-inserted verbatim
    text: str  # what a reader sees (used inside image alt text)
    label: str  # human description for problem reports
    sentence: int  # sentence of ``Protected.text`` it sits in: where to re-insert it if lost
    container: int = 0  # id of the span it sits in, 0 for top level


@dataclass(frozen=True)
class Span:
    """A formatting span; ``<id> ... </id>`` wraps its (translatable) content."""

    kind: str  # "em", "strong", "link", "image" or "html"
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


@dataclass(frozen=True)
class Restored:
    """Rebuilt Markdown; ``ok`` is False whenever something had to be repaired."""

    markdown: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    lost: tuple[int, ...] = ()  # marker ids whose formatting was dropped or that were re-inserted


# --------------------------------------------------------------------------------------------
# Markdown configuration shared by parsing and rendering
# --------------------------------------------------------------------------------------------

EXTENSIONS = ("extra", "sane_lists")
EXTENSION_CONFIGS = {"extra": {"tables": {"use_align_attribute": True}}}

_REF_ATTR = "data-tp-ref"
_REF_SUFFIX_ATTR = "data-tp-suffix"
_DEST_ATTR = "data-tp-destination"
_WRITTEN_ATTR = "data-tp-written"
_RAW_TAG = "tp-raw"

_STASH_RE = re.compile(re.escape(util.STX) + r"wzxhzdk:(\d+)" + re.escape(util.ETX))
_ESCAPED_RE = re.compile(re.escape(util.STX) + r"(\d+)" + re.escape(util.ETX))
_ENTITY_RE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z0-9]+);")
_AUTOLINK_RE = re.compile(r"(?:[Ff]|[Hh][Tt])[Tt][Pp][Ss]?://[^<>]*")
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^<>]*?(/?)>\Z")
_VOID_TAGS = frozenset("area base br col embed hr img input link meta source track wbr".split())


def _markdown() -> markdown.Markdown:
    return markdown.Markdown(extensions=list(EXTENSIONS), extension_configs=EXTENSION_CONFIGS)


class _FootnoteReference(inlinepatterns.InlineProcessor):
    """Keep ``[^id]`` verbatim: its definition lives elsewhere in the article."""

    def handleMatch(  # noqa: N802 - Python-Markdown API
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element, int, int]:
        raw = self.unescape(m.group(0))
        el = etree.Element(_RAW_TAG)
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
            return _render([_element(value, md, False)])
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
_FOOTNOTE_RE = r"(?<!!)\[\^([^\]\[]+)\](?!\()"


def _protect_markdown(references: Collection[str]) -> markdown.Markdown:
    md = _markdown()
    known = frozenset(" ".join(r.split()).lower() for r in references)
    patterns = md.inlinePatterns
    patterns.register(_FootnoteReference(_FOOTNOTE_RE, md), "footnote", 175)
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


# --------------------------------------------------------------------------------------------
# Internal node tree
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    text: str


@dataclass(frozen=True)
class _Atom:
    kind: str
    markdown: str
    text: str
    label: str


@dataclass(frozen=True)
class _Span:
    kind: str
    children: tuple[_Node, ...]
    href: str = ""
    title: str | None = None
    ref: str | None = None
    ref_suffix: str = ""
    written: str = ""
    destination: str = ""
    untranslated: bool = True  # content still as in the source (decides the reference form)
    opening: str = ""
    closing: str = ""
    glued_before: bool = False
    glued_after: bool = False


@dataclass(frozen=True)
class _Tag:
    raw: str


_Node = _Text | _Atom | _Span

# Marker grammar.  Full forms first; the others are what a model leaves of a marker.
_MARK_RE = re.compile(
    r"(?:<|&lt;)\s?(?P<s1>/?)\s?(?P<n1>\d{1,4})\s?/?\s?(?:>|&gt;)"
    r"|(?:<|&lt;)\s?(?P<s2>/?)\s?(?P<n2>\d{1,4})(?:\s?/)?(?=\s|$)"
    r"|(?<![\w<])(?P<s3>/)\s?(?P<n3>\d{1,4})\s?(?:>|&gt;)"
    r"|(?<![\w</])(?P<n4>\d{1,4})\s?/\s?(?:>|&gt;)"
)
_FULL_MARK_GROUP = "n1"

_URL_RE = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>]+", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TEXT_ATOM_RE = re.compile(
    f"(?P<mark>{_MARK_RE.pattern})|(?P<url>{_URL_RE.pattern})|(?P<email>{_EMAIL_RE.pattern})",
    re.IGNORECASE,
)
_BRACES_RE = re.compile(r"\{[^}\n]*\}")
_TRAILING_PUNCT = ".,;:!?'\"»«“”‘’"

_SENTENCE_END_RE = re.compile(
    r"[.!?…]+(?=(?:[\"'”“»«)\]]|\s?(?:<|&lt;)\s?/\s?\d{1,4}\s?(?:>|&gt;))*(?:\s|$))"
)


def _mark_id(m: re.Match[str]) -> tuple[int, bool]:
    """Id and whether the marker looks like a closing one."""
    for n, s in (("n1", "s1"), ("n2", "s2"), ("n3", "s3"), ("n4", None)):
        if m.group(n) is not None:
            return int(m.group(n)), bool(s and m.group(s))
    raise AssertionError("marker regex matched without an id")


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


def _textify_plain(text: str) -> list[_Node]:
    nodes: list[_Node] = []
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
            nodes.append(_Text(text[pos : m.start()]))
        nodes.append(_Atom(kind, _escape(value), value, label))
        pos = m.start() + len(value)
    if pos < len(text):
        nodes.append(_Text(text[pos:]))
    return nodes


def _split_stash(text: str, md: markdown.Markdown) -> list[str | _Tag]:
    """Replace Python-Markdown's raw-HTML placeholders: entities become text, tags stay tags."""
    out: list[str | _Tag] = []
    pos = 0
    for m in _STASH_RE.finditer(text):
        out.append(text[pos : m.start()])
        raw = str(md.htmlStash.rawHtmlBlocks[int(m.group(1))])
        out.append(html.unescape(raw) if _ENTITY_RE.fullmatch(raw) else _Tag(raw))
        pos = m.end()
    out.append(text[pos:])
    return out


def _segment(raw: str, md: markdown.Markdown) -> list[str | _Tag | _Node]:
    """Cut attribute lists out first, before escapes and entities turn into braces."""
    out: list[str | _Tag | _Node] = []
    pos = 0
    for m in _BRACES_RE.finditer(raw):
        out.extend(_split_stash(raw[pos : m.start()], md))
        braces = _STASH_RE.sub(
            lambda s: str(md.htmlStash.rawHtmlBlocks[int(s.group(1))]), m.group(0)
        )
        written, shown = _source_form(braces), html.unescape(_resolve_escapes(braces))
        out.append(_Atom("attributes", written, shown, f"attribute list {written}"))
        pos = m.end()
    out.extend(_split_stash(raw[pos:], md))
    return out


def _walk(el: etree.Element, md: markdown.Markdown, in_link: bool) -> list[_Node]:
    tokens: list[str | _Tag | _Node] = []
    if el.text:
        tokens.extend(_segment(el.text, md))
    for child in el:
        tokens.append(_element(child, md, in_link))
        if child.tail:
            tokens.extend(_segment(child.tail, md))
    merged: list[_Tag | _Node] = []
    pending = ""
    for tok in tokens:
        if isinstance(tok, str):
            pending += tok
            continue
        merged.extend(_textify_plain(_resolve_escapes(pending)))
        pending = ""
        merged.append(tok)
    merged.extend(_textify_plain(_resolve_escapes(pending)))
    return _pair_tags(merged)


def _pair_tags(tokens: list[_Tag | _Node]) -> list[_Node]:
    """Turn ``<sup>…</sup>``-style raw HTML pairs into spans so the words inside get translated."""
    out: list[_Tag | _Node] = []
    stack: list[tuple[str, int]] = []
    for tok in tokens:
        m = _TAG_RE.match(tok.raw) if isinstance(tok, _Tag) else None
        if m is None:
            out.append(tok if not isinstance(tok, _Tag) else _raw_html_atom(tok.raw))
            continue
        name = m.group(2).lower()
        if m.group(1):
            if stack and stack[-1][0] == name:
                _, start = stack.pop()
                opening = out[start]
                assert isinstance(opening, _Tag)
                children = tuple(_untag(out[start + 1 :]))
                out[start:] = [_Span("html", children, opening=opening.raw, closing=tok.raw)]
            else:
                out.append(_raw_html_atom(tok.raw))
        elif m.group(3) or name in _VOID_TAGS:
            out.append(_raw_html_atom(tok.raw))
        else:
            stack.append((name, len(out)))
            out.append(tok)
    return _untag(out)


def _untag(tokens: Sequence[_Tag | _Node]) -> list[_Node]:
    return [_raw_html_atom(t.raw) if isinstance(t, _Tag) else t for t in tokens]


def _raw_html_atom(raw: str) -> _Atom:
    return _Atom("html", raw, "", f"HTML {raw}")


def _element(el: etree.Element, md: markdown.Markdown, in_link: bool) -> _Node:
    tag = el.tag
    if tag in ("em", "strong"):
        return _Span(tag, tuple(_walk(el, md, in_link)))
    if tag == "code":
        code = html.unescape(el.text or "")
        return _Atom("code", _code_markdown(code), code, f"code `{code}`")
    if tag == _RAW_TAG:
        raw = el.get("md", "")
        return _Atom("footnote", raw, el.text or "", f"footnote reference {raw}")
    if tag == "a":
        return _link(el, md, in_link)
    if tag == "img":
        return _image(el, md)
    if tag == "br":
        return _Atom("html", "<br />", "", "line break")
    raw = etree.tostring(el, encoding="unicode")
    return _Atom("html", raw, "".join(el.itertext()), f"HTML <{tag}>")


def _attribute_text(value: str, md: markdown.Markdown) -> str:
    value = _stash_text(value, md)
    value = _STASH_RE.sub(lambda m: str(md.htmlStash.rawHtmlBlocks[int(m.group(1))]), value)
    return html.unescape(_resolve_escapes(value))


def _decode_entity(m: re.Match[str]) -> str:
    """Like html.unescape, but keeps control characters (Python-Markdown's escape markers)."""
    ref = m.group(0)
    return chr(int(ref[2:-1])) if ref[1] == "#" else html.unescape(ref)


def _link(el: etree.Element, md: markdown.Markdown, in_link: bool) -> _Node:
    ref = el.get(_REF_ATTR)
    raw_href = el.get("href", "")
    if util.AMP_SUBSTITUTE in raw_href:  # automail: Python-Markdown obfuscates the address
        encoded = "".join(el.itertext()).replace(util.AMP_SUBSTITUTE, "&")
        address = _resolve_escapes(re.sub(r"&#?\w+;", _decode_entity, encoded))
        return _Atom("email", f"<{address}>", address, f"e-mail {address}")
    href = _resolve_escapes(raw_href)
    title = el.get("title")
    children = tuple(_walk(el, md, True))
    span = _Span(
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
        markdown_text = f"<{href}>" if _AUTOLINK_RE.fullmatch(href) else _render([span])
        return _Atom("link", markdown_text, html.unescape(href), f"link {href}")
    if in_link or not children:
        return _Atom("link", _render([span]), _plain_text(children), f"link {href or ref}")
    return span


def _image(el: etree.Element, md: markdown.Markdown) -> _Node:
    alt = _attribute_text(el.get("alt", ""), md)
    title = el.get("title")
    span = _Span(
        "image",
        tuple(_textify_plain(alt)),
        href=_resolve_escapes(el.get("src", "")),
        title=None if title is None else _attribute_text(title, md),
        ref=el.get(_REF_ATTR),
        ref_suffix=el.get(_REF_SUFFIX_ATTR, ""),
        written=el.get(_WRITTEN_ATTR, ""),
        destination=el.get(_DEST_ATTR, ""),
    )
    if not alt.strip(_BLANK):
        return _Atom(
            "image", _render([replace(span, children=())]), "", f"image {span.href or span.ref}"
        )
    return span


def _code_markdown(code: str) -> str:
    if not code:
        return "` `"  # Python-Markdown strips the space, leaving an empty code element
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{fence}{pad}{code}{pad}{fence}"


def _plain_text(nodes: Sequence[_Node]) -> str:
    return "".join(
        _plain_text(node.children) if isinstance(node, _Span) else node.text for node in nodes
    )


@functools.lru_cache(maxsize=16)
def _shared_protect_markdown(references: frozenset[str]) -> markdown.Markdown:
    """Building a Markdown instance costs far more than parsing one line with it."""
    return _protect_markdown(references)


@functools.lru_cache(maxsize=1)
def _shared_markdown() -> markdown.Markdown:
    return _markdown()


def _parse(md_line: str, references: Collection[str] = ()) -> list[_Node]:
    md = _shared_protect_markdown(frozenset(references))
    md.reset()
    return _attribute_lists(_walk(_inline_tree(md, md_line.replace("\n", " ")), md, False), True)


def _is_element(node: _Node) -> bool:
    """Whether attr_list can attach a directly following ``{...}`` to it."""
    if isinstance(node, _Span):
        return node.kind != "html"
    if not isinstance(node, _Atom):
        return False
    return node.kind in ("code", "link", "image", "footnote") or (
        node.kind == "email" and node.markdown.startswith("<")
    )


def _attribute_place(nodes: Sequence[_Node], index: int, top: bool) -> bool:
    after_element = index > 0 and _is_element(nodes[index - 1])
    return after_element or (top and index == len(nodes) - 1)


def _attribute_lists(nodes: Sequence[_Node], top: bool) -> list[_Node]:
    """Braces right after an element or closing a heading are attribute lists, invisible and
    droppable; any others are text a reader sees, so they become literals."""
    out: list[_Node] = []
    for i, node in enumerate(nodes):
        if isinstance(node, _Span):
            node = replace(node, children=tuple(_attribute_lists(node.children, False)))
        elif isinstance(node, _Atom) and node.kind == "attributes":
            if not _attribute_place(nodes, i, top):
                node = _Atom("literal", _escape(node.text), node.text, f"literal {node.text!r}")
        out.append(node)
    return out


def _misplaced_attributes(nodes: Sequence[_Node], top: bool, problems: list[str]) -> list[_Node]:
    """Drop attribute lists the model moved away from their element: they would show as text."""
    out: list[_Node] = []
    for i, node in enumerate(nodes):
        if isinstance(node, _Span):
            children = _misplaced_attributes(node.children, False, problems)
            node = replace(node, children=tuple(children))
        elif isinstance(node, _Atom) and node.kind == "attributes":
            if not _attribute_place(nodes, i, top):
                problems.append(f"{node.label} no longer follows its element; dropped")
                continue
        out.append(node)
    return _merge_texts(out)


def _merge_texts(nodes: Sequence[_Node]) -> list[_Node]:
    out: list[_Node] = []
    for node in nodes:
        if isinstance(node, _Text):
            if not node.text:
                continue
            if out and isinstance(out[-1], _Text):
                out[-1] = _Text(out[-1].text + node.text)
                continue
        out.append(node)
    return out


_BLANK = " \t\r\n"  # Markdown's whitespace; a no-break space is content


def _hoist(nodes: Sequence[_Node]) -> list[_Node]:
    """Move whitespace at the inner edges of spans outside them (alt text: drop it).

    The markers then own the inner edges, which lets ``restore`` drop whatever whitespace the
    model puts there without ever gluing words together.
    """
    out: list[_Node] = []
    for node in nodes:
        if not isinstance(node, _Span):
            out.append(node)
            continue
        children = _hoist(node.children)
        lead = trail = ""
        if children and isinstance(children[0], _Text):
            text = children[0].text
            lead = text[: len(text) - len(text.lstrip(_BLANK))]
            children[0] = _Text(text.lstrip(_BLANK))
        if children and isinstance(children[-1], _Text):
            text = children[-1].text
            trail = text[len(text.rstrip(_BLANK)) :]
            children[-1] = _Text(text.rstrip(_BLANK))
        children = _merge_texts(children)
        if node.kind == "image":
            lead = trail = ""
        out.append(_Text(lead))
        if children:
            out.append(replace(node, children=tuple(children)))
        elif node.kind in ("link", "image", "html"):
            empty = replace(node, children=())
            label = f"{node.kind} {node.href or node.ref or node.opening}"
            out.append(_Atom(node.kind, _render([empty]), "", label))
        out.append(_Text(trail))
    return _merge_texts(out)


# --------------------------------------------------------------------------------------------
# protect
# --------------------------------------------------------------------------------------------


def _ends_with_space(node: _Node) -> bool:
    return isinstance(node, _Text) and node.text[-1:].isspace()


def _starts_with_space(node: _Node) -> bool:
    return isinstance(node, _Text) and node.text[:1].isspace()


def _fallback(span: _Span) -> str:
    if span.kind == "image":
        return _render([span])
    if span.kind != "link":
        return ""
    if span.ref is not None:
        return f"[{_escape(span.ref)}][{span.ref}]"
    if _AUTOLINK_RE.fullmatch(span.href):
        return f"<{span.href}>"
    return (
        f"[{_escape(html.unescape(span.href))}]{span.destination or _destination(span.href, None)}"
    )


def _span_label(span: _Span) -> str:
    words = " ".join(_plain_text(span.children).split())
    if len(words) > 40:
        words = words[:37] + "..."
    target = span.href or span.ref or span.opening
    return f"{span.kind} {words!r}" + (f" -> {target}" if target else "")


def protect(md: str, references: Collection[str] = ()) -> Protected:
    """Hide everything but translatable words behind markers the model copies.

    ``md`` is one line of inline Markdown.  ``references`` are the link reference ids defined in
    the article; only with them can a shortcut reference ``[Text]`` survive translation.
    Planning, glossary matching and translation all need a unit's protected form: it is
    parsed once and shared (``Protected`` is immutable).
    """
    return _protect(md, frozenset(references))


@functools.lru_cache(maxsize=4096)
def _protect(md: str, references: frozenset[str]) -> Protected:
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

    def emit(nodes: Sequence[_Node], container: int) -> None:
        for i, node in enumerate(nodes):
            if isinstance(node, _Text):
                put(node.text)
            elif isinstance(node, _Atom):
                ident = new_marker(
                    {
                        "type": Placeholder,
                        "kind": node.kind,
                        "markdown": node.markdown,
                        "text": node.text,
                        "label": node.label,
                        "container": container,
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

    emit(_hoist(_parse(md, references)), 0)
    text = "".join(parts)
    ends = [m.start() for m in _SENTENCE_END_RE.finditer(text)]
    built: list[Marker] = []
    for fields, offset in zip(markers, offsets):
        kind = fields.pop("type")
        sentence = sum(1 for end in ends if end < offset)
        built.append(kind(sentence=sentence, **fields))  # type: ignore[operator]
    return Protected(text=text, markers=tuple(built), titles=tuple(titles))


# --------------------------------------------------------------------------------------------
# Markdown rendering of a node tree
# --------------------------------------------------------------------------------------------

_ENTITY_AHEAD_RE = re.compile(r"#?[0-9A-Za-z]+;")


def _escape(text: str) -> str:
    """Backslash/entity-escape what Python-Markdown would read as inline syntax."""
    out = []
    last = len(text) - 1
    for i, ch in enumerate(text):
        if ch in "\\`*[]{|":
            out.append("\\" + ch)
        elif ch == "_":
            inside_word = 0 < i < last and text[i - 1].isalnum() and text[i + 1].isalnum()
            out.append("_" if inside_word else "\\_")
        elif ch == "<" and not (i < last and text[i + 1].isspace()):
            out.append("&lt;")
        elif ch == "&" and _ENTITY_AHEAD_RE.match(text, i + 1):
            out.append("&amp;")
        elif ch == "\xa0":
            out.append("&nbsp;")  # a raw one counts as whitespace next to "*" delimiters
        else:
            out.append(ch)
    return "".join(out)


def _escape_title(title: str) -> str:
    out = title.replace("\\", "\\\\").replace("`", "\\`")
    return re.sub(r"&(?=#?[0-9A-Za-z]+;)", "&amp;", out)


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _destination(href: str, title: str | None) -> str:
    dest = href.replace("\\", "\\\\").replace("`", "\\`")
    angle = not dest or bool(re.search(r"[\s\"'<>]", dest)) or not _balanced(dest)
    if angle and "<" not in dest and ">" not in dest:
        dest = f"<{dest}>"
    if title is not None:
        quote = "'" if angle and '"' in title and "'" not in title else '"'
        dest += f" {quote}{_escape_title(title)}{quote}"
    return f"({dest})"


def _join(out: str, piece: str) -> str:
    if out.endswith(" ") and piece.startswith(" "):
        piece = piece[1:]
    if piece.startswith("[") and out.endswith("!") and not out.endswith("\\!"):
        out = out[:-1] + "\\!"  # "!" + "[x](y)" would become an image
    return out + piece


def _edge_char(node: _Node | None, last: bool) -> str | None:
    """Neighbouring character of a span; other spans and atoms count as word characters."""
    if node is None:
        return None
    if isinstance(node, _Text):
        return node.text[-1:] if last else node.text[:1]
    return "a"


def _render(nodes: Sequence[_Node], html_emphasis: bool = False, in_alt: bool = False) -> str:
    out = ""
    for i, node in enumerate(nodes):
        if isinstance(node, _Span):
            before = _edge_char(nodes[i - 1] if i else None, last=True)
            after = _edge_char(nodes[i + 1] if i + 1 < len(nodes) else None, last=False)
            piece = _render_span(node, html_emphasis, before, after)
        elif isinstance(node, _Text):
            piece = _escape(re.sub(r"[ \t\r\n]+", " ", node.text))
        else:
            piece = _escape(node.text) if in_alt else node.markdown
        out = _join(out, piece)
    return out


def _keeps_space(glued: bool, neighbour: str | None) -> bool:
    """Whitespace just inside a marker is ours; it moves outside only to keep two words apart."""
    return not glued and (neighbour is None or neighbour.isspace() or neighbour.isalnum())


def _render_span(node: _Span, html_emphasis: bool, before: str | None, after: str | None) -> str:
    inner = _render(node.children, html_emphasis, node.kind == "image")
    core = inner.strip(" ")
    lead = " " if inner.startswith(" ") and _keeps_space(node.glued_before, before) else ""
    trail = " " if inner.endswith(" ") and _keeps_space(node.glued_after, after) else ""
    if node.kind in ("em", "strong"):
        if html_emphasis:
            wrapped = f"<{node.kind}>{core}</{node.kind}>"
        else:
            stars = "*" if node.kind == "em" else "**"
            wrapped = f"{stars}{core}{stars}"
    elif node.kind in ("link", "image"):
        bang = "!" if node.kind == "image" else ""
        if node.ref is None:
            target = node.destination or _destination(node.href, node.title)
        elif node.untranslated:
            # as written: "[Wort][]" / "[Wort]" need the exact words as id, and an undefined
            # reference shows its source text
            core, target = node.written, node.ref_suffix
        else:
            target = f"[{node.ref}]"
        wrapped = f"{bang}[{core}]{target}"
    else:
        wrapped = f"{node.opening}{core}{node.closing}"
    return lead + wrapped + trail


def _escape_line_start(md: str) -> str:
    """A unit may open a paragraph, so block syntax at its start must stay text."""
    if md[:1] in ("#", ">", "+", "-"):
        return "\\" + md
    m = re.match(r"\d+(?=[.)](?:\s|$))", md)
    if m:
        return md[: m.end()] + "\\" + md[m.end() :]
    return md


# --------------------------------------------------------------------------------------------
# restore
# --------------------------------------------------------------------------------------------

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
    for m in _MARK_RE.finditer(text):
        ident, closing = _mark_id(m)
        if 1 <= ident <= count:
            marks.append(_Mark(m.start(), m.end(), ident, closing))
        elif m.group(_FULL_MARK_GROUP) is not None:
            stray.append((m.start(), m.end()))
    return marks, stray


def _sentence_end(text: str, sentence: int) -> int:
    ends = list(_SENTENCE_END_RE.finditer(text))
    if sentence < len(ends):
        return ends[sentence].start()
    if ends and not text[ends[-1].end() :].strip():
        return ends[-1].start()
    return len(text.rstrip())


def _sentence_of(text: str, offset: int) -> int:
    return sum(1 for m in _SENTENCE_END_RE.finditer(text) if m.start() < offset)


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
    tree = _misplaced_attributes(tree, True, problems)
    references = {m.ref for m in markers if isinstance(m, Span) and m.ref is not None}
    result = _escape_line_start(_render(tree))
    if not _renders_as(result, tree, references):
        result = _escape_line_start(_render(tree, html_emphasis=True))
        if not _renders_as(result, tree, references):
            problems.append("restored Markdown does not render exactly as intended")
    return Restored(
        markdown=result.strip(_BLANK), ok=not problems, problems=problems, lost=tuple(lost)
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
    return bool("".join(pieces).strip(_BLANK))


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
) -> list[_Node]:
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

    stack: list[list[_Node]] = [[]]
    open_ids: list[int] = []
    open_marks: list[_Mark] = []
    pos = 0
    for start, _rank, end, action, ident in events:
        if start > pos:
            stack[-1].append(_Text(text[pos:start]))
        pos = max(pos, end)
        if action == "open":
            stack.append([])
            open_ids.append(ident)
            open_marks.append(accepted[ident][0])
        elif action == "close":
            children = _merge_texts(stack.pop())
            assert open_ids.pop() == ident
            span = _span(markers, ident)
            node = _span_node(span, children, title_values, original_titles)
            source = re.search(f"<{ident}> (.*) </{ident}>", protected_text)
            translated = text[open_marks.pop().end : start]
            same = source is not None and source.group(1).split() == translated.split()
            stack[-1].append(replace(node, untranslated=same))
        elif action == "atom":
            stack[-1].append(_atom_node(_placeholder(markers, ident)))
        elif action == "drop" and text[end : end + 1] in ("", *".,;:!?…)"):
            siblings = stack[-1]
            if siblings and isinstance(siblings[-1], _Text):  # no "word ." left behind
                siblings[-1] = _Text(siblings[-1].text.rstrip(" "))
        elif action == "insert":
            item = markers[ident - 1]
            node: _Node
            if isinstance(item, Placeholder):
                node = _atom_node(item)
            else:
                node = _Atom(item.kind, item.fallback, "", item.label)
            gap = " " if text[start : start + 1].isalnum() else ""
            stack[-1].extend([_Text(" "), node, _Text(gap)])
    if pos < len(text):
        stack[-1].append(_Text(text[pos:]))
    assert len(stack) == 1
    return _merge_texts(stack[0])


def _atom_node(item: Placeholder) -> _Atom:
    return _Atom(item.kind, item.markdown, item.text, item.label)


def _span_node(
    span: Span, children: Sequence[_Node], titles: Sequence[str], original: Sequence[str]
) -> _Span:
    retitled = span.title is not None and titles[span.title] != original[span.title]
    return _Span(
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


# --------------------------------------------------------------------------------------------
# Self-check: does the restored Markdown render as the tree we meant?
# --------------------------------------------------------------------------------------------

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


def _expected_events(nodes: Sequence[_Node]) -> list[_Event]:
    events: list[_Event] = []
    for node in nodes:
        if isinstance(node, _Text):
            events.append(("d", node.text))
        elif isinstance(node, _Atom):
            events.extend(_html_events(_render_inline_raw(node.markdown, check=())))
        elif node.kind in ("em", "strong"):
            events.append(("s", node.kind, ()))
            events.extend(_expected_events(node.children))
            events.append(("e", node.kind))
        elif node.kind == "html":
            events.extend(_html_events(node.opening))
            events.extend(_expected_events(node.children))
            events.extend(_html_events(node.closing))
        else:
            target = html.unescape(_ref_href(node.ref) if node.ref is not None else node.href)
            attrs = [("title", node.title)] if node.title is not None else []
            if node.kind == "link":
                events.append(("s", "a", _norm_attrs([("href", target), *attrs])))
                events.extend(_expected_events(node.children))
                events.append(("e", "a"))
            else:
                alt = _plain_text(node.children)
                events.append(("s", "img", _norm_attrs([("src", target), ("alt", alt), *attrs])))
                events.append(("e", "img"))
    return events


def _ref_href(ref: str) -> str:
    return "tp-ref:" + ref.lower()


def _renders_as(md_line: str, nodes: Sequence[_Node], references: Collection[str]) -> bool:
    actual = _html_events(_render_inline_raw(md_line, check=references))
    return _normalize(actual) == _normalize(_expected_events(nodes))


# --------------------------------------------------------------------------------------------
# HTML output
# --------------------------------------------------------------------------------------------

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "*": {"lang"},
    "a": {"href", "title", "class"},
    "abbr": {"title"},
    "code": {"class"},
    "div": {"class"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "li": {"id"},
    "sup": {"id"},
    "td": {"align"},
    "th": {"align"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}
_URL_SCHEMES = {"http", "https", "mailto"}
_ALLOWED_CLASS_RE = re.compile(r"footnote|footnote-ref|footnote-backref|language-[\w+-]+")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Only the classes Markdown itself emits: footnotes and fenced-code languages."""
    if attribute != "class":
        return value
    kept = [c for c in value.split() if _ALLOWED_CLASS_RE.fullmatch(c)]
    return " ".join(kept) or None


def _sanitize(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def to_html(markdown_text: str) -> str:
    """Render a whole article; sanitized because articles may carry arbitrary inline HTML."""
    return _sanitize(_shared_markdown().reset().convert(markdown_text))


@functools.lru_cache(maxsize=1)
def _checking_markdown() -> markdown.Markdown:
    """The self-check's instance: footnote references stay raw."""
    md = _markdown()
    md.inlinePatterns.register(_FootnoteReference(_FOOTNOTE_RE, md), "footnote", 175)
    return md


def _render_inline_raw(md_line: str, check: Collection[str] | None = None) -> str:
    """Render as paragraph text.  With ``check`` (reference ids to treat as defined) only the
    inline stage runs and footnote references stay raw: the self-check compares inline syntax,
    not attribute lists or abbreviations that act across neighbours."""
    md = (_shared_markdown() if check is None else _checking_markdown()).reset()
    processors = list(md.treeprocessors)
    if check is not None:
        for ref in check:
            md.references[ref.lower()] = (_ref_href(ref), None)
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


def inline_html(md_line: str) -> str:
    """Render one unit as it would appear inside a paragraph, without the ``<p>`` around it."""
    return _sanitize(_render_inline_raw(md_line))


class _TextCollector(HTMLParser):
    _SKIP = {"code", "pre", "script", "style"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: does it hide its text?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        hide = tag in self._SKIP or "footnote-ref" in classes or "footnote-backref" in classes
        if tag not in _VOID_TAGS:
            self.stack.append(hide)
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.stack and tag not in _VOID_TAGS:
            self.stack.pop()
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not any(self.stack):
            self.parts.append(data)


def html_prose(html: str) -> str:
    """Prose only (no code, URLs or e-mail addresses), so reading times are not skewed by
    material that is not text."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    text = _EMAIL_RE.sub(" ", _URL_RE.sub(" ", "".join(collector.parts)))
    return re.sub(r" (?=[.,;:!?])", "", " ".join(text.split()))
