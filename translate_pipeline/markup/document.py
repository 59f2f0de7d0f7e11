"""An article body parsed once: the rows of the bilingual page, the units to translate, and
the pages in either language rendered from that one parse.

The body is parsed with markdown-it (`commonmark.parser()`) into a token stream. Block
structure lives in the block tokens; what a translation changes lives only in the `inline`
tokens (and in the text runs of raw HTML blocks). A translated page is the same stream with
those replaced, so the source page, the translated page and each row of the bilingual page
cannot disagree about structure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from markdown_it.token import Token

from translate_pipeline.markup import generators
from translate_pipeline.markup.commonmark import CONTAINER, parser
from translate_pipeline.markup.generators import REF_SCHEME, Finding
from translate_pipeline.markup.parse import image_sources

# Units are one line: soft breaks become spaces, hard breaks an explicit <br />.
_HARD_BREAK = re.compile(r"(?: {2,}|\\)\n[ \t]*")
_SOFT_BREAK = re.compile(r"[ \t]*\n[ \t]*")
_HEADING_ATTRS = re.compile(r"\s*\{(#[\w:.-]+(?:\s+[^{}]*)?|[.\w\s=\"'#-]*#[\w:.-]+[^{}]*)\}\s*$")
_SLUG_DROP = re.compile(r"[^\w\- ]")

Resolve = Callable[[str], "str | None"]


def unit_text(content: str) -> str:
    """An inline token's content as one translatable unit."""
    return _SOFT_BREAK.sub(" ", _HARD_BREAK.sub("<br /> ", content)).strip()


@dataclass(frozen=True)
class Block:
    """One row of the bilingual page: a heading, paragraph, list item, quote paragraph,
    table, code block, raw HTML, callout, figure, footnote …

    `parts` are the token ranges the row shows (a list item without its nested lists);
    `units` the translatable inline Markdown in them, in order.
    """

    kind: str
    line: int  # in the file, 1-based
    units: tuple[str, ...]
    parts: tuple[tuple[int, int], ...]
    level: int = 0  # heading level, or list nesting depth (0 = top level)
    ordered: bool = False  # list items
    number: int = 0  # an ordered list item's number

    @property
    def text(self) -> str:
        return " ".join(self.units)


@dataclass
class Document:
    """A parsed body. `findings` are other generators' constructs found in it."""

    tokens: list[Token]
    env: dict[str, Any]
    blocks: list[Block]
    first_line: int = 1
    findings: list[Finding] = field(default_factory=list)

    def units(self) -> Iterator[tuple[Block, str]]:
        for block in self.blocks:
            for unit in block.units:
                yield block, unit

    def images(self) -> list[tuple[int, str]]:
        """(line, src) of every image the body shows, in order."""
        return [
            (block.line, src)
            for block in self.blocks
            for src in image_sources(list(self._tokens(block)))
            if src
        ]

    def plain(self, block: Block) -> str:
        """What a reader sees of a block's text (a heading made the title)."""
        return " ".join(
            _plain(token.children or []) for token in self._tokens(block) if token.type == "inline"
        ).strip()

    def without(self, block: Block) -> Document:
        """The document without `block` (the first heading, when it is the title)."""
        dropped = {i for start, end in block.parts for i in range(start, end)}
        tokens = [t for i, t in enumerate(self.tokens) if i not in dropped]
        return Document(
            tokens, self.env, _rows(tokens, self.first_line), self.first_line, self.findings
        )

    def _tokens(self, block: Block) -> Iterator[Token]:
        for start, end in block.parts:
            yield from self.tokens[start:end]

    def render(
        self,
        translations: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        resolve: Resolve | None = None,
    ) -> tuple[str, list[str]]:
        """The whole body as HTML, and each row rendered alone (a list item without its
        `<li>`, which `render` adds); not yet sanitized. With `translations` (unit →
        translated inline Markdown) in the target language; `labels` name default callout
        titles in the page's language; `resolve` turns `tp-ref:` and `.md` link targets into
        page links. The token stream is prepared once for all rows."""
        tokens = self._prepared(translations, resolve)
        env = self._env(labels)
        renderer, options = parser().renderer, parser().options
        rows = []
        for block in self.blocks:
            selected = [token for start, end in block.parts for token in tokens[start:end]]
            html = renderer.render(selected, options, env)
            if block.kind == "footnote":
                number = int(selected[0].meta["id"]) + 1
                html = (
                    f'<section class="footnotes"><ol class="footnotes-list" start="{number}">'
                    f"{html}</ol></section>"
                )
            rows.append(html)
        return renderer.render(tokens, options, env), rows

    def _env(self, labels: Mapping[str, str] | None) -> dict[str, Any]:
        return {**self.env, "labels": labels or {}}

    def _prepared(
        self, translations: Mapping[str, str] | None, resolve: Resolve | None
    ) -> list[Token]:
        """The token stream with inline content translated and link targets resolved; the
        parsed document itself is never changed."""
        out = []
        for token in self.tokens:
            if token.type == "inline":
                unit = unit_text(token.content)
                translated = translations.get(unit) if translations else None
                children = (
                    self._parse_inline(translated, token.children or [])
                    if translated is not None and translated != unit
                    else [child.copy() for child in token.children or []]
                )
                _resolve_links(children, resolve)
                out.append(token.copy(children=children))
            elif token.type == "html_block" and token.meta.get("runs"):
                out.append(token.copy(content=_render_runs(token, translations, self.env)))
            else:
                out.append(token)
        return out

    def _parse_inline(self, markdown: str, source: Sequence[Token]) -> list[Token]:
        children = inline_children(markdown, {**self.env, "footnotes": _footnote_copy(self.env)})
        _keep_footnote_ids(children, source)
        return children


def inline_children(markdown: str, env: dict[str, Any]) -> list[Token]:
    """A line of inline Markdown as an inline token's children, as a full parse makes them
    (escaped characters joined into their text, as markdown-it's `text_join` does)."""
    children: list[Token] = []
    parser().inline.parse(markdown, parser(), env, children)
    joined: list[Token] = []
    for child in children:
        if child.type == "text_special":
            child = child.copy(type="text")
        if child.type == "text" and joined and joined[-1].type == "text":
            joined[-1] = joined[-1].copy(content=joined[-1].content + child.content)
        else:
            joined.append(child)
    return joined


def _footnote_copy(env: Mapping[str, Any]) -> dict[str, Any]:
    notes = env.get("footnotes", {})
    copied: dict[str, Any] = {**notes}
    if "list" in notes:
        copied["list"] = {k: {**v} for k, v in notes["list"].items()}
    return copied


def _keep_footnote_ids(children: list[Token], source: Sequence[Token]) -> None:
    """A translated sentence refers to the same footnotes as its source: same ids, so the
    footnote list and its back links are the source's."""
    by_label: dict[str, list[dict[str, Any]]] = {}
    for token in source:
        if token.type == "footnote_ref":
            by_label.setdefault(token.meta["label"], []).append(token.meta)
    for token in children:
        if token.type == "footnote_ref":
            metas = by_label.get(token.meta["label"])
            if metas:
                token.meta = metas.pop(0) if len(metas) > 1 else metas[0]


def _resolve_links(children: list[Token], resolve: Resolve | None) -> None:
    """`tp-ref:` targets (Hugo `ref`, Jekyll `link`) and links to other articles' Markdown
    files point at the published page; an unknown one keeps its text, unlinked."""
    depth = 0
    for token in children:
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if href.startswith(REF_SCHEME) or _is_markdown_file(href):
                target = resolve(href) if resolve else None
                if target is None and href.startswith(REF_SCHEME):
                    token.tag, token.attrs = "span", {}
                    depth += 1
                elif target is not None:
                    token.attrSet("href", target)
        elif token.type == "link_close" and depth:
            token.tag = "span"
            depth -= 1


def _is_markdown_file(href: str) -> bool:
    path = href.split("#", 1)[0].split("?", 1)[0]
    return bool(path) and "://" not in path and path.lower().endswith((".md", ".mdx", ".markdown"))


# --- parsing ----------------------------------------------------------------------------------


def parse_document(body: str, first_line: int = 1, *, mdx: bool = False) -> Document:
    """Parse an article body. `first_line` is the body's line in the file."""
    text, target_findings = generators.resolve_targets(body)
    env: dict[str, Any] = {"mdx": mdx}
    tokens = parser().parse(text, env)
    tokens = _normalize_callouts(tokens)
    _heading_ids(tokens, env)
    _match_anchors(tokens)
    _html_runs(tokens)
    blocks = _rows(tokens, first_line)
    found = target_findings + generators.findings(env) + _inline_findings(tokens)
    findings = sorted(
        (Finding(f.line + first_line, f.construct, f.action) for f in found),
        key=lambda f: f.line,
    )
    env.pop("findings", None)
    env.pop("_closings", None)
    return Document(tokens, env, blocks, first_line, findings)


def _inline_findings(tokens: Sequence[Token]) -> list[Finding]:
    found = []
    for token in tokens:
        for child in token.children or ():
            action = child.meta.get("action") if child.type == "generator_inline" else ""
            if action and token.map:
                found.append(Finding(token.map[0], child.meta["construct"], action))
    return found


_CONTAINER_PARAMS = re.compile(r"^\s*\{?\s*([\w-]+)\s*\}?\s*(?:\[(.*)\])?\s*(.*?)\s*$")
_TRANSPARENT_CONTAINERS = {"code-group", "tabs", "tab", "steps", "columns", "column", "grid"}


def _normalize_callouts(tokens: list[Token]) -> list[Token]:
    """Admonitions (`!!! note`), `:::` containers and GitHub alerts become one kind of
    callout: `callout_open` (meta kind), an optional title, content, `callout_close`;
    collapsible ones (`??? note`, `::: details`) become `<details>`; transparent ones
    (`::: code-group`) only their content. Titles the parsers made up (English "Note") are
    dropped: pages name the kind in their own language."""
    out: list[Token] = []
    closers: list[str] = []  # per open container: the token that closes it, or ""
    drop_title = dropping = False
    for token in tokens:
        kind = token.type
        if kind in ("admonition_open", f"{CONTAINER}_open", "alert_open"):
            name, title, explicit, collapsible = _callout_params(token)
            drop_title = kind == "alert_open" or collapsible or not explicit
            if name in _TRANSPARENT_CONTAINERS:
                closers.append("")
            elif collapsible:
                out += [
                    Token("details_open", "details", 1, map=token.map),
                    Token("summary_open", "summary", 1),
                    _inline_token(title or name.capitalize(), token.map),
                    Token("summary_close", "summary", -1),
                ]
                closers.append("details_close")
            else:
                opened = Token("callout_open", "aside", 1, map=token.map)
                opened.meta = {"kind": generators.callout_kind(name)}
                out.append(opened)
                if explicit and kind == f"{CONTAINER}_open":
                    out += [
                        Token("callout_title_open", "p", 1),
                        _inline_token(title, token.map),
                        Token("callout_title_close", "p", -1),
                    ]
                closers.append("callout_close")
        elif kind in ("admonition_title_open", "alert_title_open"):
            dropping = drop_title
            if not dropping:
                out.append(Token("callout_title_open", "p", 1))
        elif kind in ("admonition_title_close", "alert_title_close"):
            if not dropping:
                out.append(Token("callout_title_close", "p", -1))
            dropping = False
        elif dropping:
            continue
        elif kind in ("admonition_close", f"{CONTAINER}_close", "alert_close"):
            closer = closers.pop() if closers else ""
            if closer:
                out.append(Token(closer, "aside" if closer == "callout_close" else "details", -1))
        else:
            out.append(token)
    return out


def _callout_params(token: Token) -> tuple[str, str, bool, bool]:
    """(name, title, whether the title was written, whether it folds) of a callout opener."""
    if token.type == "admonition_open":
        title = token.content
        return token.meta.get("tag", "note"), title, '"' in token.info, token.markup[0] == "?"
    if token.type == "alert_open":
        return str(token.meta.get("kind", "note")).lower(), "", False, False
    match = _CONTAINER_PARAMS.match(token.info)
    name = match.group(1).lower() if match else "note"
    title = (match.group(2) or match.group(3)) if match else ""
    return name, title, bool(title), name == "details"


def _inline_token(content: str, line_map: list[int] | None) -> Token:
    children = inline_children(content, {})
    return Token("inline", "", 0, content=content, map=line_map, children=children)


def _heading_ids(tokens: list[Token], env: dict[str, Any]) -> None:
    """Ids as GitHub and Hugo make them (`Über uns` → `über-uns`, repeats get `-1`, `-2`),
    or as written (`## Titel {#titel}`). Both languages keep the source's ids, so in-page
    links (`[Einleitung](#einleitung)`) work on every page."""
    used: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or index + 1 >= len(tokens):
            continue
        inline = tokens[index + 1]
        explicit = None
        attrs = _HEADING_ATTRS.search(inline.content)
        if attrs:
            found = re.search(r"#([\w:.-]+)", attrs.group(1))
            explicit = found.group(1) if found else None
            inline.content = inline.content[: attrs.start()]
            inline.children = inline_children(inline.content, env)
        base = explicit or slug(_plain(inline.children or [])) or "abschnitt"
        identifier = base
        if base in used and not explicit:
            used[base] += 1
            identifier = f"{base}-{used[base]}"
        used.setdefault(base, 0)
        token.attrSet("id", identifier)


def _match_anchors(tokens: list[Token]) -> None:
    """An in-page link written for another generator's ids (`#Einleitung`, `#uber-uns`,
    `#kubectl-mit-curl-auf-Windows-installieren`) points at the heading it means."""
    ids = {str(t.attrGet("id")) for t in tokens if t.type == "heading_open" and t.attrGet("id")}
    loose = {_loose(identifier): identifier for identifier in sorted(ids)}
    for token in tokens:
        for child in token.children or ():
            href = str(child.attrGet("href") or "") if child.type == "link_open" else ""
            if href.startswith("#") and href[1:] not in ids:
                found = loose.get(_loose(href[1:]))
                if found is not None:
                    child.attrSet("href", "#" + found)


def _loose(identifier: str) -> str:
    """An id compared the way generators differ: case, accents, punctuation."""
    text = unicodedata.normalize("NFKD", unquote(identifier)).encode("ascii", "ignore")
    return re.sub(r"[^a-z0-9]", "", text.decode().lower())


def slug(text: str) -> str:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    return _SLUG_DROP.sub("", text.strip().lower()).replace(" ", "-")


def _plain(children: Sequence[Token]) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "image":
            parts.append(_plain(child.children or []))
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


# --- raw HTML: the text in it is translated like Markdown ---------------------------------------

_HTML_PIECE = re.compile(r"<!--.*?-->|<![^>]*>|<\?.*?\?>|</?([A-Za-z][\w-]*)\b[^>]*>", re.S)
_BLOCK_TAGS = frozenset(
    """address article aside blockquote body br caption center col colgroup dd details dialog
    dir div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hgroup
    hr html iframe legend li link main menu meta nav noframes noscript ol optgroup option p
    param picture section source summary table tbody td tfoot th thead title tr track ul
    video audio""".split()
)
_OPAQUE_TAGS = frozenset("script style pre code textarea svg math template kbd samp var".split())
_LETTER = re.compile(r"[^\W\d_]")


def html_runs(html: str) -> list[tuple[int, int]]:
    """The stretches of text (with inline tags) between block-level tags of a raw HTML
    block: what a reader reads, each translatable on its own."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    opaque: list[str] = []
    position = 0

    def close(end: int) -> None:
        nonlocal start
        if start is not None and _LETTER.search(_HTML_PIECE.sub(" ", html[start:end])):
            runs.append(_trimmed(html, start, end))
        start = None

    for piece in _HTML_PIECE.finditer(html):
        text_before = html[position : piece.start()]
        if text_before.strip() and not opaque and start is None:
            start = position
        name = (piece.group(1) or "").lower()
        closing = piece.group(0).startswith("</")
        if opaque:
            if closing and name == opaque[-1]:
                opaque.pop()
        elif name in _OPAQUE_TAGS and not closing and not piece.group(0).endswith("/>"):
            close(piece.start())
            opaque.append(name)
        elif not name or name in _BLOCK_TAGS:
            close(piece.start())
        elif start is None:
            start = piece.start()
        position = piece.end()
    if html[position:].strip() and not opaque and start is None:
        start = position
    close(len(html))
    return runs


def _trimmed(html: str, start: int, end: int) -> tuple[int, int]:
    while start < end and html[start].isspace():
        start += 1
    while end > start and html[end - 1].isspace():
        end -= 1
    return start, end


def _html_runs(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type == "html_block":
            runs = html_runs(token.content)
            if runs:
                token.meta = {**token.meta, "runs": runs}


def _render_runs(token: Token, translations: Mapping[str, str] | None, env: dict[str, Any]) -> str:
    """A raw HTML block with each text run rendered as the inline Markdown it is read as
    (translated, when there are translations), so both languages show it alike and
    `markdown="1"` blocks get the Markdown their authors meant."""
    html = token.content
    out, position = [], 0
    for start, end in token.meta["runs"]:
        out.append(html[position:start])
        unit = unit_text(html[start:end])
        text = translations.get(unit, unit) if translations else unit
        out.append(parser().renderInline(text, {**env, "footnotes": {}}).strip())
        position = end
    out.append(html[position:])
    return "".join(out)


# --- rows ----------------------------------------------------------------------------------------

_SINGLE = {
    "paragraph_open": "paragraph",
    "heading_open": "heading",
    "table_open": "table",
    "callout_open": "callout",
    "details_open": "details",
    "figure_open": "figure",
    "dl_open": "definition",
    "blockquote_open": "quote",
}
_LEAF = {"fence": "code", "code_block": "code", "html_block": "html", "hr": "rule"}


def _close(tokens: Sequence[Token], start: int) -> int:
    """Index after the token that closes the one opened at `start`."""
    depth = 0
    for index in range(start, len(tokens)):
        depth += tokens[index].nesting
        if depth == 0:
            return index + 1
    return len(tokens)


def _units(tokens: Sequence[Token], parts: Sequence[tuple[int, int]]) -> tuple[str, ...]:
    units = []
    for start, end in parts:
        for token in tokens[start:end]:
            if token.type == "inline":
                text = unit_text(token.content)
                if text:
                    units.append(text)
            elif token.type == "html_block":
                for run_start, run_end in token.meta.get("runs", ()):
                    units.append(unit_text(token.content[run_start:run_end]))
    return tuple(units)


def _line(token: Token, first_line: int) -> int:
    return first_line + (token.map[0] if token.map else 0)


def _rows(tokens: list[Token], first_line: int) -> list[Block]:
    rows: list[Block] = []

    def add(kind: str, opener: Token, parts: list[tuple[int, int]], **extra: Any) -> None:
        rows.append(
            Block(kind, _line(opener, first_line), _units(tokens, parts), tuple(parts), **extra)
        )

    def walk_list(start: int, end: int, depth: int) -> None:
        opener = tokens[start]
        ordered = opener.type == "ordered_list_open"
        number = int(opener.attrGet("start") or 1) if ordered else 0
        index = start + 1
        while index < end - 1:
            item_end = _close(tokens, index)
            parts: list[tuple[int, int]] = []
            nested: list[tuple[int, int]] = []
            cursor = index + 1
            inner = cursor
            while inner < item_end - 1:
                after = _close(tokens, inner) if tokens[inner].nesting == 1 else inner + 1
                if tokens[inner].type in ("bullet_list_open", "ordered_list_open"):
                    if cursor < inner:
                        parts.append((cursor, inner))
                    nested.append((inner, after))
                    cursor = after
                inner = after
            if cursor < item_end - 1:
                parts.append((cursor, item_end - 1))
            add("list_item", tokens[index], parts, level=depth, ordered=ordered, number=number)
            for nested_start, nested_end in nested:
                walk_list(nested_start, nested_end, depth + 1)
            number += 1
            index = item_end

    index = 0
    while index < len(tokens):
        token = tokens[index]
        kind = token.type
        end = _close(tokens, index) if token.nesting == 1 else index + 1
        if kind in ("bullet_list_open", "ordered_list_open"):
            walk_list(index, end, 0)
        elif kind == "blockquote_open" and _only_paragraphs(tokens, index + 1, end - 1):
            inner = index + 1
            while inner < end - 1:
                paragraph_end = _close(tokens, inner)
                add("quote", tokens[inner], [(inner, paragraph_end)])
                inner = paragraph_end
        elif kind == "footnote_block_open":
            inner = index + 1
            while inner < end - 1:
                note_end = _close(tokens, inner)
                add("footnote", tokens[min(inner + 1, note_end - 1)], [(inner, note_end)])
                inner = note_end
        elif kind in _SINGLE:
            level = int(token.tag[1]) if kind == "heading_open" else 0
            add(_SINGLE[kind], token, [(index, end)], level=level)
        elif kind in _LEAF:
            add(_LEAF[kind], token, [(index, end)])
        elif kind != "generator_block" and token.nesting != -1:
            add("html", token, [(index, end)])  # a plugin's block: shown as it renders
        index = end
    return rows


def _only_paragraphs(tokens: Sequence[Token], start: int, end: int) -> bool:
    index = start
    while index < end:
        if tokens[index].type != "paragraph_open":
            return False
        index = _close(tokens, index)
    return start < end
