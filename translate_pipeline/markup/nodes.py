"""The node model of one line of inline Markdown, and writing nodes back as Markdown.

Parsing (``parse``) turns a line into nodes; ``protect`` turns nodes into model input;
``restore`` turns the model's output back into nodes, which ``to_markdown`` writes out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Atom:
    kind: str
    markdown: str
    text: str
    label: str


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


def code_markdown(code: str) -> str:
    if not code:
        return "` `"  # Python-Markdown strips the space, leaving an empty code element
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{fence}{pad}{code}{pad}{fence}"


def nodes_text(nodes: Sequence[Node]) -> str:
    return "".join(
        nodes_text(node.children) if isinstance(node, SpanNode) else node.text for node in nodes
    )


def _is_element(node: Node) -> bool:
    """Whether attr_list can attach a directly following ``{...}`` to it."""
    if isinstance(node, SpanNode):
        return node.kind != "html"
    if not isinstance(node, Atom):
        return False
    return node.kind in ("code", "link", "image", "footnote") or (
        node.kind == "email" and node.markdown.startswith("<")
    )


def _attribute_place(nodes: Sequence[Node], index: int, top: bool) -> bool:
    after_element = index > 0 and _is_element(nodes[index - 1])
    return after_element or (top and index == len(nodes) - 1)


def attribute_lists(nodes: Sequence[Node], top: bool) -> list[Node]:
    """Braces right after an element or closing a heading are attribute lists, invisible and
    droppable; any others are text a reader sees, so they become literals."""
    out: list[Node] = []
    for i, node in enumerate(nodes):
        if isinstance(node, SpanNode):
            node = replace(node, children=tuple(attribute_lists(node.children, False)))
        elif isinstance(node, Atom) and node.kind == "attributes":
            if not _attribute_place(nodes, i, top):
                node = Atom("literal", escape(node.text), node.text, f"literal {node.text!r}")
        out.append(node)
    return out


def misplaced_attributes(nodes: Sequence[Node], top: bool, problems: list[str]) -> list[Node]:
    """Drop attribute lists the model moved away from their element: they would show as text."""
    out: list[Node] = []
    for i, node in enumerate(nodes):
        if isinstance(node, SpanNode):
            children = misplaced_attributes(node.children, False, problems)
            node = replace(node, children=tuple(children))
        elif isinstance(node, Atom) and node.kind == "attributes":
            if not _attribute_place(nodes, i, top):
                problems.append(f"{node.label} no longer follows its element; dropped")
                continue
        out.append(node)
    return merge_texts(out)


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


# --- writing Markdown ---

_ENTITY_AHEAD_RE = re.compile(r"#?[0-9A-Za-z]+;")


def escape(text: str) -> str:
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


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z0-9]+);")


def unescape(md: str) -> str:
    """Undo `escape` and `escape_line_start`: the plain text a line of Markdown was written
    from (a machine-translated title `\\+++ Liveblog` is `+++ Liveblog`). Formatting is
    left as it is, since a plain-text title's `*` were characters to begin with."""
    return _ESCAPED.sub(lambda m: m.group(1) or html.unescape(m.group(0)), md)


def escape_title(title: str) -> str:
    out = title.replace("\\", "\\\\").replace("`", "\\`")
    return re.sub(r"&(?=#?[0-9A-Za-z]+;)", "&amp;", out)


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def destination(href: str, title: str | None) -> str:
    dest = href.replace("\\", "\\\\").replace("`", "\\`")
    angle = not dest or bool(re.search(r"[\s\"'<>]", dest)) or not _balanced(dest)
    if angle and "<" not in dest and ">" not in dest:
        dest = f"<{dest}>"
    if title is not None:
        quote = "'" if angle and '"' in title and "'" not in title else '"'
        dest += f" {quote}{escape_title(title)}{quote}"
    return f"({dest})"


def _join(out: str, piece: str) -> str:
    if out.endswith(" ") and piece.startswith(" "):
        piece = piece[1:]
    if piece.startswith("[") and out.endswith("!") and not out.endswith("\\!"):
        out = out[:-1] + "\\!"  # "!" + "[x](y)" would become an image
    return out + piece


def _edge_char(node: Node | None, last: bool) -> str | None:
    """Neighbouring character of a span; other spans and atoms count as word characters."""
    if node is None:
        return None
    if isinstance(node, Text):
        return node.text[-1:] if last else node.text[:1]
    return "a"


def to_markdown(nodes: Sequence[Node], html_emphasis: bool = False, in_alt: bool = False) -> str:
    out = ""
    for i, node in enumerate(nodes):
        if isinstance(node, SpanNode):
            before = _edge_char(nodes[i - 1] if i else None, last=True)
            after = _edge_char(nodes[i + 1] if i + 1 < len(nodes) else None, last=False)
            piece = _render_span(node, html_emphasis, before, after)
        elif isinstance(node, Text):
            piece = escape(re.sub(r"[ \t\r\n]+", " ", node.text))
        else:
            piece = escape(node.text) if in_alt else node.markdown
        out = _join(out, piece)
    return out


def _keeps_space(glued: bool, neighbour: str | None) -> bool:
    """Whitespace just inside a marker is ours; it moves outside only to keep two words apart."""
    return not glued and (neighbour is None or neighbour.isspace() or neighbour.isalnum())


def _render_span(node: SpanNode, html_emphasis: bool, before: str | None, after: str | None) -> str:
    inner = to_markdown(node.children, html_emphasis, node.kind == "image")
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
            target = node.destination or destination(node.href, node.title)
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


def escape_line_start(md: str) -> str:
    """A unit may open a paragraph, so block syntax at its start must stay text."""
    if md[:1] in ("#", ">", "+", "-"):
        return "\\" + md
    m = re.match(r"\d+(?=[.)](?:\s|$))", md)
    if m:
        return md[: m.end()] + "\\" + md[m.end() :]
    return md
