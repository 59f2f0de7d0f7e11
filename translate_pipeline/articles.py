"""Reading articles: files in `content/` become `Article`s made of `Block`s.

The body is split at Markdown *source* level, not from rendered HTML, so every
block keeps its inline Markdown (emphasis, links, code) for translation and the
English Markdown is rebuilt from the same skeleton: both languages have the same
structure by construction. Blocks are regenerated in a canonical form (nested
list items indented by four spaces, as Python-Markdown needs), which is why a
block stores its pieces rather than the raw source lines.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ARTICLE_SUFFIXES = (".md", ".markdown", ".txt")
MAX_ARTICLE_BYTES = 20 * 1024 * 1024


class ArticleError(Exception):
    """Input that cannot be read; `str()` is the one-line report `file:line: message`."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path, self.message, self.line = str(path), message, line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Block:
    """One row of the bilingual page: a heading, paragraph, list item, quote, table ...

    `units` are the translatable pieces of inline Markdown (a table has one per
    cell); `literals` are the Markdown around them, one more than `units`.
    """

    kind: str
    literals: tuple[str, ...]
    units: tuple[str, ...]
    line: int
    level: int = 0
    group: int = 0

    def markdown(self, units: tuple[str, ...] | list[str] | None = None) -> str:
        """The block's Markdown with `units` (default: its own German ones) filled in."""
        units = self.units if units is None else units
        parts = [self.literals[0]]
        for unit, literal in zip(units, self.literals[1:]):
            parts.extend((unit, literal))
        return "".join(parts)

    @property
    def text(self) -> str:
        return " ".join(self.units)


@dataclass
class Article:
    """A German article as read from `content/` (front matter plus blocks)."""

    path: Path
    slug: str
    title: str
    author: str = ""
    date: str = ""
    description: str = ""
    lang: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Unit:
    """A translatable piece of an article, with where it is for reports."""

    text: str
    where: str  # "title", "description", or "<kind> <n>"
    line: int


def article_units(article: Article) -> list[Unit]:
    units = [Unit(article.title, "title", 1)]
    if article.description:
        units.append(Unit(article.description, "description", 1))
    for number, block in enumerate(article.blocks, 1):
        for text in block.units:
            if text.strip():
                units.append(Unit(text, f"{block.kind} {number}", block.line))
    return units


# --- slugs -------------------------------------------------------------------

_TRANSLIT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)


def slugify(text: str, max_length: int = 80) -> str:
    """URL-safe slug: German umlauts transliterated, anything else reduced to a-z0-9-."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    text = text.encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[:max_length].rstrip("-") or "article"


# --- files -------------------------------------------------------------------


def find_articles(root: Path) -> list[Path]:
    """Article files below `root`, recursively, in a stable order; hidden files skipped."""
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in ARTICLE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def read_text(path: Path, data: bytes | None = None) -> str:
    """Strict UTF-8 (BOM allowed, CRLF normalised): never silently replace bad bytes."""
    data = path.read_bytes() if data is None else data
    if not data.strip():
        raise ArticleError(path, "file is empty")
    if len(data) > MAX_ARTICLE_BYTES:
        raise ArticleError(path, f"file is larger than {MAX_ARTICLE_BYTES // 2**20} MB")
    if (nul := data.find(b"\x00")) >= 0:  # the whole file, not only its start
        line = data[:nul].count(b"\n") + 1
        raise ArticleError(path, "binary file (contains NUL bytes), not a text article", line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ArticleError(
            path, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})", line
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def _load_yaml(text: str) -> Any:
    """libyaml's loader when PyYAML has it (a tenth of the time); on an error the Python
    loader has the last word, as its messages say what is wrong more precisely."""
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError:
        return yaml.safe_load(text) or {}


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str, int]:
    """YAML front matter, the body, and the body's first line number."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text, 1
    try:
        meta = _load_yaml(match.group(1) or "")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        if isinstance(exc, yaml.reader.ReaderError):  # a character YAML refuses: no mark
            line = (match.group(1) or "")[: exc.position].count("\n") + 2
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ArticleError(path, f"front matter is not valid YAML: {problem}", line) from None
    if not isinstance(meta, dict):
        raise ArticleError(path, "front matter must be a mapping of keys to values", 2)
    body_line = text[: match.end()].count("\n") + 1
    return meta, text[match.end() :], body_line


def _meta_string(meta: dict[str, Any], key: str, path: Path, text: str) -> str:
    value = meta.get(key, "")
    if value is None:
        return ""
    if isinstance(value, (int, float, bool)) and key == "title":
        raise ArticleError(
            path, f"front matter '{key}' must be text, got {value!r}", _key_line(text, key)
        )
    if not isinstance(value, (str, int, float)) and not hasattr(value, "isoformat"):
        raise ArticleError(
            path,
            f"front matter '{key}' must be text, got {type(value).__name__}",
            _key_line(text, key),
        )
    result = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if bad := _NOT_TEXT.search(result):
        # Only YAML escapes ("\x1b", "\ud800") get them here; XML feeds cannot hold them.
        raise ArticleError(
            path,
            f"front matter '{key}' contains U+{ord(bad.group()):04X}, which is not text",
            _key_line(text, key),
        )
    return result


_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _key_line(text: str, key: str) -> int | None:
    match = re.search(rf"^{re.escape(key)}\s*:", text, re.M)
    return text[: match.start()].count("\n") + 1 if match else None


def parse_article(path: Path, text: str, display_path: Path | None = None) -> Article:
    """Front matter and body of one Markdown article (or a scraped plain-text one)."""
    shown = display_path or path
    if path.suffix.lower() == ".txt" and not text.startswith("---"):
        text = import_plain_text(text, shown)
    meta, body, body_line = split_front_matter(text, shown)
    title = _meta_string(meta, "title", shown, text).strip()
    if not title:
        raise ArticleError(shown, "front matter has no 'title'", 1)
    raw_slug = _meta_string(meta, "slug", shown, text) or path.stem
    article = Article(
        path=shown,
        slug=slugify(raw_slug),
        title=title,
        author=_meta_string(meta, "author", shown, text),
        date=_meta_string(meta, "date", shown, text),
        description=_meta_string(meta, "description", shown, text),
        lang=_meta_string(meta, "lang", shown, text),
        meta=meta,
        blocks=parse_blocks(body, first_line=body_line),
    )
    if "slug" in meta and article.slug != str(meta["slug"]):
        article.warnings.append(
            f"{shown}:{_key_line(text, 'slug')}: slug {str(meta['slug'])!r} is not URL-safe, "
            f"using {article.slug!r}"
        )
    return article


def read_article(path: Path, display_path: Path | None = None) -> Article:
    return parse_article(path, read_text(path), display_path)


# --- scraped plain text ------------------------------------------------------

_READING_TIME = re.compile(r"^-?\s*\d+\s*Min\.?\s*(Lesezeit|read)\s*$", re.I)
_BOILERPLATE = re.compile(r"^(Comments|Kommentare|Kommentar schreiben|Teilen|Share)\s*$", re.I)


def import_plain_text(text: str, path: Path | str = "<text>") -> str:
    """Turn a scraped blog article (title, `- author`, `- date`, `- N Min. Lesezeit`,
    body paragraphs, trailing `Comments`) into Markdown with front matter."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise ArticleError(path, "file is empty")
    title, rest = lines[0], lines[1:]
    meta_lines: list[str] = []
    while rest and rest[0].startswith("- "):
        meta_lines.append(rest.pop(0)[2:].strip())
    while rest and _BOILERPLATE.match(rest[-1]):
        rest.pop()
    meta: dict[str, str] = {"title": title}
    for item in meta_lines:
        if _READING_TIME.match(item):
            continue
        if "date" not in meta and re.search(r"\d", item):
            meta["date"] = item
        elif "author" not in meta:
            meta["author"] = item
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    body = [_as_subheading(line) for line in rest]
    return f"---\n{front}---\n\n" + "\n\n".join(body) + "\n"


def _as_subheading(line: str) -> str:
    """Scraped blogs lose their `<h2>`s: a short line without closing punctuation
    between paragraphs was one."""
    if len(line) <= 120 and not re.search(r"[.!?:;,…\"“”»«)]$", line):
        return "## " + line
    return line


# --- Markdown blocks ---------------------------------------------------------

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})")
_ATX = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_SETEXT = re.compile(r"^(=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$")
_LIST = re.compile(r"^( *)([-*+]|\d{1,9}[.)])[ \t]+(.*)$")
_QUOTE = re.compile(r"^ {0,3}>[ \t]?(.*)$")
_FOOTNOTE = re.compile(r"^\[\^([^\]]+)\]:[ \t]*(.*)$")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]^][^\]]*\]:\s*\S")
_HTML_BLOCK = re.compile(r"^ {0,3}<(/?[a-zA-Z][a-zA-Z0-9-]*|!--)")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")


def _table_cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)]


def _is_block_start(line: str, next_line: str | None) -> bool:
    return bool(
        _FENCE.match(line)
        or _ATX.match(line)
        or _RULE.match(line)
        or _LIST.match(line)
        or _QUOTE.match(line)
        or _FOOTNOTE.match(line)
        or _HTML_BLOCK.match(line)
        or (
            "|" in line
            and next_line is not None
            and _TABLE_SEP.match(next_line)
            and "-" in next_line
        )
    )


def parse_blocks(body: str, first_line: int = 1) -> list[Block]:
    """Split a Markdown body into blocks, each with its translatable units."""
    lines = body.split("\n")
    blocks: list[Block] = []
    group = 0
    i = 0
    list_indents: list[int] = []
    list_ordered = False

    def lineno(index: int) -> int:
        return first_line + index

    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if not line.strip():
            i += 1
            continue
        if fence := _FENCE.match(line):
            marker = fence.group(2)
            end = i + 1
            while end < len(lines) and not lines[end].strip().startswith(marker):
                end += 1
            code = "\n".join(lines[i : end + 1]).strip("\n")
            blocks.append(Block("code", (code,), (), lineno(i)))
            i = end + 1
            continue
        if line.startswith(("    ", "\t")) and not list_indents:
            start = i
            while i < len(lines) and (lines[i].startswith(("    ", "\t")) or not lines[i].strip()):
                i += 1
            code = "\n".join(lines[start:i]).rstrip()
            blocks.append(Block("code", (code,), (), lineno(start)))
            continue
        if heading := _ATX.match(line):
            level = len(heading.group(1))
            blocks.append(
                Block("heading", ("#" * level + " ", ""), (heading.group(2),), lineno(i), level)
            )
            i += 1
            list_indents = []
            continue
        if _RULE.match(line):
            blocks.append(Block("rule", ("---",), (), lineno(i)))
            i += 1
            list_indents = []
            continue
        if "|" in line and nxt is not None and _TABLE_SEP.match(nxt) and "-" in nxt:
            header = _table_cells(line)
            rows = []
            end = i + 2
            while end < len(lines) and "|" in lines[end] and lines[end].strip():
                rows.append(_table_cells(lines[end]))
                end += 1
            separator = "| " + " | ".join(_align_marker(cell) for cell in _table_cells(nxt)) + " |"
            literals, units = _table_parts(header, separator, rows)
            blocks.append(Block("table", literals, units, lineno(i)))
            i = end
            list_indents = []
            continue
        if _QUOTE.match(line):
            group += 1
            paragraph: list[str] = []
            para_start = i
            while i < len(lines) and (q := _QUOTE.match(lines[i])):
                content = q.group(1)
                if content.strip():
                    if not paragraph:
                        para_start = i
                    paragraph.append(content.strip())
                elif paragraph:
                    blocks.append(_quote_block(paragraph, lineno(para_start), group))
                    paragraph = []
                i += 1
            if paragraph:
                blocks.append(_quote_block(paragraph, lineno(para_start), group))
            list_indents = []
            continue
        if footnote := _FOOTNOTE.match(line):
            text, end = _gather(lines, i + 1, [footnote.group(2)])
            blocks.append(Block("footnote", (f"[^{footnote.group(1)}]: ", ""), (text,), lineno(i)))
            i = end
            continue
        if _REFERENCE.match(line) or _HTML_BLOCK.match(line):
            start = i
            while i < len(lines) and lines[i].strip():
                i += 1
            raw = "\n".join(lines[start:i])
            kind = "html" if _HTML_BLOCK.match(line) else "reference"
            blocks.append(Block(kind, (raw,), (), lineno(start)))
            continue
        if item := _LIST.match(line):
            indent = len(item.group(1))
            ordered = item.group(2)[0].isdigit()
            new_list = not list_indents or blocks[-1].kind != "list_item"
            if new_list or (indent <= list_indents[0] and ordered != list_ordered):
                group += 1
                list_indents = [indent]
                list_ordered = ordered
            while len(list_indents) > 1 and indent < list_indents[-1]:
                list_indents.pop()
            if indent > list_indents[-1]:
                list_indents.append(indent)
            level = len(list_indents) - 1
            marker = item.group(2)
            text, end = _gather(lines, i + 1, [item.group(3)], continuation=True)
            prefix = "    " * level + marker + " "
            blocks.append(Block("list_item", (prefix, ""), (text,), lineno(i), level, group))
            i = end
            continue
        text, end = _gather(lines, i + 1, [line.strip()])
        if end < len(lines) and end == i + 1 and _SETEXT.match(lines[end]) and line.strip():
            level = 1 if lines[end].strip().startswith("=") else 2
            blocks.append(
                Block("heading", ("#" * level + " ", ""), (line.strip(),), lineno(i), level)
            )
            i = end + 1
            continue
        blocks.append(Block("paragraph", ("", ""), (text,), lineno(i)))
        list_indents = []
        i = end
    return [b for b in blocks if b.units or b.kind in ("code", "rule", "html", "reference")]


def _gather(
    lines: list[str], i: int, parts: list[str], continuation: bool = False
) -> tuple[str, int]:
    """Join a paragraph's lazy continuation lines into one line of inline Markdown."""
    while i < len(lines) and lines[i].strip():
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if _SETEXT.match(lines[i]) and not continuation and len(parts) == 1:
            break
        if _is_block_start(lines[i], nxt):
            break
        parts.append(lines[i].strip())
        i += 1
    return " ".join(p for p in parts if p), i


def _quote_block(paragraph: list[str], line: int, group: int) -> Block:
    return Block("quote", ("> ", ""), (" ".join(paragraph),), line, 0, group)


def _align_marker(cell: str) -> str:
    left, right = cell.startswith(":"), cell.endswith(":")
    return (":" if left else "") + "---" + (":" if right else "")


def _table_parts(
    header: list[str], separator: str, rows: list[list[str]]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A table as literals and cell units, every row padded to the header's width."""
    literals: list[str] = []
    units: list[str] = []
    pending = ""
    for r, cells in enumerate([header, *rows]):
        cells = (cells + [""] * len(header))[: len(header)]
        for c, cell in enumerate(cells):
            pending += "| " if c == 0 else " | "
            literals.append(pending)
            units.append(cell)
            pending = ""
        pending = " |\n" + (separator + "\n" if r == 0 else "")
    literals.append(pending.rstrip("\n"))
    return tuple(literals), tuple(units)


def join_blocks(blocks: list[Block], units: list[tuple[str, ...]] | None = None) -> str:
    """A whole Markdown document from blocks: list items and quote paragraphs of one
    group stay together so they render as one list or quote."""
    out: list[str] = []
    previous: Block | None = None
    for index, block in enumerate(blocks):
        text = block.markdown(units[index] if units is not None else None)
        if previous is not None:
            same_group = block.group and block.group == previous.group
            if same_group and block.kind == "list_item":
                out.append("\n")
            elif same_group and block.kind == "quote":
                out.append("\n>\n")
            else:
                out.append("\n\n")
        out.append(text)
        previous = block
    return "".join(out) + "\n"
