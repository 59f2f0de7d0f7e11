"""The node model of one line of inline Markdown, and writing nodes back as Markdown.

Parsing (``parse``) turns a line into nodes; ``protect`` turns nodes into model input;
``restore`` turns the model's output back into nodes, which ``to_markdown`` writes out.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from translate_pipeline.markup.commonmark import parser
from translate_pipeline.markup.inline_rules import SOURCE


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Atom:
    kind: str
    markdown: str
    text: str
    label: str
    # For a bare GFM autolink (`https://…`, `www.…`, `name@example.org`): Markdown that is the
    # same link wherever it lands. `markdown` (the source) is used where GFM still reads it
    # as exactly this link, this otherwise (after a letter, before more text, ...).
    explicit: str = ""


@dataclass(frozen=True)
class SpanNode:
    kind: str
    children: tuple[Node, ...]
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
class Tag:
    raw: str


Node = Text | Atom | SpanNode


def nodes_text(nodes: Sequence[Node]) -> str:
    return "".join(
        nodes_text(node.children) if isinstance(node, SpanNode) else node.text for node in nodes
    )


def merge_texts(nodes: Sequence[Node]) -> list[Node]:
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, Text):
            if not node.text:
                continue
            if out and isinstance(out[-1], Text):
                out[-1] = Text(out[-1].text + node.text)
                continue
        out.append(node)
    return out


BLANK = " \t\r\n"  # Markdown's whitespace; a no-break space is content


def hoist(nodes: Sequence[Node]) -> list[Node]:
    """Move whitespace at the inner edges of spans outside them (alt text: drop it).

    The markers then own the inner edges, which lets ``restore`` drop whatever whitespace the
    model puts there without ever gluing words together.
    """
    out: list[Node] = []
    for node in nodes:
        if not isinstance(node, SpanNode):
            out.append(node)
            continue
        children = hoist(node.children)
        lead = trail = ""
        if children and isinstance(children[0], Text):
            text = children[0].text
            lead = text[: len(text) - len(text.lstrip(BLANK))]
            children[0] = Text(text.lstrip(BLANK))
        if children and isinstance(children[-1], Text):
            text = children[-1].text
            trail = text[len(text.rstrip(BLANK)) :]
            children[-1] = Text(text.rstrip(BLANK))
        children = merge_texts(children)
        if node.kind == "image":
            lead = trail = ""
        out.append(Text(lead))
        if children:
            out.append(replace(node, children=tuple(children)))
        elif node.kind in ("link", "image", "html"):
            empty = replace(node, children=())
            label = f"{node.kind} {node.href or node.ref or node.opening}"
            out.append(Atom(node.kind, to_markdown([empty]), "", label))
        out.append(Text(trail))
    return merge_texts(out)


# --- writing Markdown (CommonMark + GFM, as `commonmark.parser()` reads it) ---

_ENTITY_AHEAD_RE = re.compile(r"#?[0-9A-Za-z]+(?:;|$)")
_PROTOCOL_BEFORE = ("http", "https", "mailto", "xmpp")  # GFM autolinks start at their ":"


def escape(text: str) -> str:
    """Markdown that CommonMark (with GFM) reads back as exactly `text`.

    A backslash before ASCII punctuation is always a plain character in CommonMark, so every
    character that could start inline syntax gets one: emphasis and strikethrough delimiters,
    brackets (links, images, footnotes), backticks, `|` (table cells), `{` (template tags),
    `#` that could close a heading, and the characters at which GFM autolinks start (`:`
    after `http`/`https`/`mailto`/`xmpp`, the `.` of `www.`, `@`). `_` inside a word never
    delimits emphasis and stays bare; `<` and `&` become entities where they could start a
    tag, an autolink or an entity; a no-break space becomes `&nbsp;` (a raw one counts as
    whitespace next to `*`, which a reader cannot see).
    """
    out = []
    last = len(text) - 1
    for i, ch in enumerate(text):
        if ch in "\\`*[]{|~@":
            out.append("\\" + ch)
        elif ch == "_":
            inside_word = 0 < i < last and text[i - 1].isalnum() and text[i + 1].isalnum()
            out.append("_" if inside_word else "\\_")
        elif ch == "<" and not (i < last and text[i + 1].isspace()):
            out.append("&lt;")
        elif ch == "&" and (i == last or _ENTITY_AHEAD_RE.match(text, i + 1)):
            out.append("&amp;")  # (at the end: the next piece might complete an entity)
        elif ch == "\xa0":
            out.append("&nbsp;")
        elif ch == "#" and (i == 0 or text[i - 1].isspace() or text[i - 1] == "#"):
            out.append("\\#")
        elif (ch == ":" and text.endswith(_PROTOCOL_BEFORE, 0, i)) or (
            ch == "." and text.endswith("www", 0, i)
        ):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z0-9]+);")


def unescape(md: str) -> str:
    """Undo `escape` and `escape_line_start`: the plain text a line of Markdown was written
    from (a machine-translated title `\\+++ Liveblog` is `+++ Liveblog`). Formatting is
    left as it is, since a plain-text title's `*` were characters to begin with."""
    return _ESCAPED.sub(lambda m: m.group(1) or html.unescape(m.group(0)), md)


def code_markdown(code: str) -> str:
    """A code span showing `code`. CommonMark strips one space from each end when both ends
    have one, so such code gets one more; code cannot be empty (`` ` ` `` shows a space)."""
    if not code:
        return "` `"
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * (longest + 1)
    pad = (
        code.startswith("`")
        or code.endswith("`")
        or (code.startswith(" ") and code.endswith(" ") and bool(code.strip(" ")))
    )
    space = " " if pad else ""
    return f"{fence}{space}{code}{space}{fence}"


def _escape_with(text: str, special: str) -> str:
    return "".join("\\" + ch if ch in special else ch for ch in text)


def escape_title(title: str) -> str:
    """A link title in double quotes; backslash escapes and entities work inside it."""
    return re.sub(r"&(?=#?[0-9A-Za-z]+;)", r"\\&", _escape_with(title, '\\"'))


def destination(href: str, title: str | None) -> str:
    """``(href "title")``: bare when `href` has no space or control character and its
    parentheses need no angle brackets, else ``<href>``; backslashes escape the rest."""
    plain = href and not re.search(r"[\x00-\x20\x7f]", href) and not href.startswith("<")
    if plain:
        dest = _escape_with(href, "\\()")
    else:
        dest = "<" + _escape_with(href, "\\<>") + ">"
    dest = re.sub(r"&(?=#?[0-9A-Za-z]+;)", r"\\&", dest)
    if title is not None:
        dest += f' "{escape_title(title)}"'
    return f"({dest})"


def _unescaped_bang(out: list[str]) -> bool:
    """Whether the Markdown written so far ends in a "!" that is not escaped."""
    if not out or not out[-1].endswith("!"):
        return False
    text = out[-1][:-1]
    backslashes = len(text) - len(text.rstrip("\\"))
    return backslashes % 2 == 0


def _edge_char(node: Node | None, last: bool) -> str | None:
    """Neighbouring character of a span; other spans and atoms count as word characters."""
    if node is None:
        return None
    if isinstance(node, Text):
        return node.text[-1:] if last else node.text[:1]
    return "a"


_SPACE_OR_TAG = re.compile(r"[ \t\r\n<]")
_OPAQUE = "x"  # stands for Markdown a bare URL might run into: a letter, never trimmed off
_FOLLOWING_LIMIT = 200


def _following(nodes: Sequence[Node], index: int, after: str) -> str:
    """The Markdown behind ``nodes[index]`` up to the next space or tag: as far as a GFM
    autolink could reach. Anything but text counts as a letter (the URL would run on)."""
    seen = ""
    for node in nodes[index + 1 :]:
        if not isinstance(node, Text):
            return seen + _OPAQUE
        written = escape(re.sub(r"[ \t\r\n]+", " ", node.text))
        m = _SPACE_OR_TAG.search(written)
        if m is not None:
            return seen + written[: m.start()]
        seen += written
        if len(seen) > _FOLLOWING_LIMIT:
            return seen + _OPAQUE
    return seen + after


@functools.lru_cache(maxsize=1024)
def bare_autolink_holds(before: str, markdown: str, after: str) -> bool:
    """Whether GFM reads `markdown` between `before` and `after` as exactly the autolink it
    is on its own (it does not after a letter, and it swallows letters behind it)."""
    tokens = parser().parseInline(before + markdown + after, {})
    links = [t for t in (tokens[0].children or []) if t.type == "link_open" and t.info == "auto"]
    return len(links) == 1 and links[0].meta.get(SOURCE) == markdown


def to_markdown(
    nodes: Sequence[Node],
    html_emphasis: bool = False,
    in_alt: bool = False,
    before: str = "",
    after: str = "",
    in_link: bool = False,
) -> str:
    """Markdown for `nodes`; `before`/`after` is the Markdown around them (a span's
    delimiters), which decides whether a bare URL still links on its own. (In link text
    nothing links, and an explicit link would end the outer one: URLs stay bare there.)"""
    out: list[str] = []
    content = False  # anything but spaces written yet
    for i, node in enumerate(nodes):
        if isinstance(node, SpanNode):
            left = _edge_char(nodes[i - 1] if i else None, last=True)
            right = _edge_char(nodes[i + 1] if i + 1 < len(nodes) else None, last=False)
            piece = _render_span(node, html_emphasis, left, right, in_link)
        elif isinstance(node, Text):
            piece = escape(re.sub(r"[ \t\r\n]+", " ", node.text))
        elif in_alt:
            piece = escape(node.text)
        elif node.explicit and not in_link:
            # (spaces at the start of a span's content go outside its delimiter)
            previous = out[-1][-1:] if content else before[-1:]
            bare = bare_autolink_holds(previous, node.markdown, _following(nodes, i, after))
            piece = node.markdown if bare else node.explicit
        else:
            piece = node.markdown
        if not piece:
            continue
        if out and out[-1].endswith(" ") and piece.startswith(" "):
            piece = piece[1:]
        if piece.startswith("[") and _unescaped_bang(out):
            out[-1] = out[-1][:-1] + "\\!"  # "!" + "[x](y)" would become an image
        if piece.startswith("(") and out and out[-1].endswith("]"):
            piece = "\\" + piece  # "[^1]" or "[ref]" + "(x)" would become a link
        if piece:
            out.append(piece)
            content = content or bool(piece.strip(" "))
    return "".join(out)


def _keeps_space(glued: bool, neighbour: str | None) -> bool:
    """Whitespace just inside a marker is ours; it moves outside only to keep two words apart."""
    return not glued and (neighbour is None or neighbour in BLANK or neighbour.isalnum())


_DELIMITERS = {"em": "*", "strong": "**", "s": "~~"}


def _render_span(
    node: SpanNode, html_emphasis: bool, before: str | None, after: str | None, in_link: bool
) -> str:
    if node.kind in _DELIMITERS:
        opening = f"<{node.kind}>" if html_emphasis else _DELIMITERS[node.kind]
        closing = f"</{node.kind}>" if html_emphasis else _DELIMITERS[node.kind]
    elif node.kind in ("link", "image"):
        opening, closing = "[", "]"
    else:
        opening, closing = node.opening, node.closing
    inner = to_markdown(
        node.children,
        html_emphasis,
        node.kind == "image",
        opening,
        closing,
        in_link or node.kind == "link",
    )
    core = inner.strip(" ")
    lead = " " if inner.startswith(" ") and _keeps_space(node.glued_before, before) else ""
    trail = " " if inner.endswith(" ") and _keeps_space(node.glued_after, after) else ""
    if node.kind in ("link", "image"):
        bang = "!" if node.kind == "image" else ""
        if node.ref is None:
            target = node.destination or destination(node.href, node.title)
        elif node.untranslated:
            # as written: "[Wort][]" / "[Wort]" need the exact words as label, and an
            # undefined reference shows its source text
            core, target = node.written, node.ref_suffix
        else:
            target = f"[{node.ref}]"
        wrapped = f"{bang}[{core}]{target}"
    else:
        wrapped = f"{opening}{core}{closing}"
    return lead + wrapped + trail


_ORDERED_MARKER = re.compile(r"\d{1,9}(?=[.)](?:[ \t]|$))")
_BLOCK_START = re.compile(
    r"#{1,6}(?:[ \t]|$)"  # ATX heading
    r"|>"  # block quote
    r"|[-+](?:[ \t]|$)"  # bullet list item
    r"|(?:-[ \t]*){3,}$|=+[ \t]*$"  # thematic break, setext underline
    r"|!!!|\?\?\?|:::"  # admonition, container
    r"|:(?:[ \t]|$)"  # definition
)
_LABEL_COLON = re.compile(r"\[(?:[^\[\]\\]|\\.)*\](?=:)")  # "[^1]:", "[x]:": definitions


def escape_line_start(md: str) -> str:
    """A unit may open a paragraph, so block syntax at its start must stay text: ATX
    headings, block quotes, list markers, thematic breaks and setext underlines, admonitions
    (`!!!`, `???`), containers (`:::`), definition-list `:`, and a footnote or link reference
    definition (a `[^1]` or `[label]` link followed by `:` gets the colon as `&#58;`). Only
    what would start a block is escaped (`-1 °C` is not a list item, `a@b.de` stays a link)."""
    if _BLOCK_START.match(md):
        return "\\" + md
    m = _ORDERED_MARKER.match(md)
    if m:
        return md[: m.end()] + "\\" + md[m.end() :]
    m = _LABEL_COLON.match(md)
    if m:
        return md[: m.end()] + "&#58;" + md[m.end() + 1 :]
    return md
