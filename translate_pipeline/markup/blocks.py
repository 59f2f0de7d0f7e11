"""A Markdown body as blocks: the rows of the bilingual page, each with its translatable units.

The body is split at Markdown *source* level, not from rendered HTML, so every block keeps
its inline Markdown (emphasis, links, code) for translation and the English Markdown is
rebuilt from the same skeleton: both languages have the same structure by construction.
Blocks are regenerated in a canonical form (nested list items indented by four spaces, as
Python-Markdown needs), which is why a block stores its pieces rather than the raw lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


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
