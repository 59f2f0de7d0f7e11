"""Reading and writing gettext PO files, message by message, as GNU gettext does.

`parse` splits a file into its messages and keeps each message's text exactly as
it is in the file, so a message nobody changed can be written back byte for byte,
whichever tool (msgcat, Poedit, polib, Weblate ...) saved it last.

`format_message` writes a message exactly as `msgcat` (gettext 0.21, default page
width 79) writes it: comments in gettext's order, `#:` references filled to the
page width, `#,` flags in gettext's order, and every string wrapped by gettext's
algorithm from `write-po.c` (a string is cut after each `\\n`, escapes are never
split, lines are filled with Unicode line breaking and column widths, see
`linebreak.py`, and a string that needs more than one line starts with `""`).

Known differences from gettext, all for things this project never writes: flags
gettext does not know (Weblate's `read-only`, `max-length:80` ...) are kept, after
gettext's own, where gettext drops them; and format directives of a `c-format`
(or other `*-format`) message are not protected from a break inside them (a
break there needs a space inside the directive, as in `% d`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from translate_pipeline import linebreak

PAGE_WIDTH = 79  # gettext's default page width
_NO_WIDTH = 2**31 - 1

# gettext 0.21's format languages, in the order it writes their flags.
FORMATS = (
    "c objc python python-brace java java-printf csharp javascript scheme lisp elisp "
    "librep ruby sh awk lua object-pascal smalltalk qt qt-plural kde kde-kuit boost tcl "
    "perl perl-brace php gcc-internal gfc-internal ycp"
).split()


class PoSyntaxError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Message:
    """One PO message. Comment texts are without their `#`, `#.` marker and the one
    space after it, as gettext stores them; `references` are `file:line` strings."""

    msgid: str
    msgstr: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr_plural: tuple[str, ...] = ()
    comments: tuple[str, ...] = ()
    extracted: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    previous_msgctxt: str | None = None
    previous_msgid: str | None = None
    previous_msgid_plural: str | None = None
    obsolete: bool = False

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None and not self.obsolete

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags


@dataclass(frozen=True)
class Block:
    """A message and its text as it was in the file (lines joined with `\\n`, the
    last one ending in `\\n`; without the blank line that separates messages)."""

    message: Message
    text: str
    line: int


@dataclass
class PoText:
    blocks: list[Block] = field(default_factory=list)
    # Comments after the last message (no message to belong to), kept as they are.
    trailer: str = ""


# --- reading -----------------------------------------------------------------------------

_KEYWORD = re.compile(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s*(".*)?\Z')
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "b": "\b",
    "r": "\r",
    "f": "\f",
    "v": "\v",
    "a": "\a",
    "\\": "\\",
    '"': '"',
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]+)|(.))", re.DOTALL)


def unquote(quoted: str, line: int) -> str:
    """The value of one PO string literal (with its quotes), as gettext's lexer reads
    it: C escapes, octal and hex escapes (bytes of the UTF-8 text)."""
    body = quoted.strip()
    if not _STRING.fullmatch(body):
        raise PoSyntaxError(line, "expected a quoted string")
    body = body[1:-1]
    if "\\" not in body:
        return body
    out = bytearray()
    last = 0
    for match in _ESCAPE.finditer(body):
        out += body[last : match.start()].encode("utf-8")
        octal, hexa, char = match.groups()
        if octal is not None:
            out.append(int(octal, 8) & 0xFF)
        elif hexa is not None:
            out.append(int(hexa, 16) & 0xFF)
        elif char in _ESCAPES:
            out += _ESCAPES[char].encode("utf-8")
        else:
            raise PoSyntaxError(line, f"invalid control sequence \\{char}")
        last = match.end()
    out += body[last:].encode("utf-8")
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise PoSyntaxError(line, "escape sequences that are not UTF-8") from None


def _strip_marker(text: str) -> str:
    """A comment's text: gettext drops one space after the marker, nothing else."""
    return text[1:] if text.startswith(" ") else text


def parse_reference(token: str) -> str:
    """A `#:` token as gettext reads and writes it: `./` prefixes dropped, the line
    number (digits after the last colon) as a number."""
    name, sep, number = token.rpartition(":")
    if sep and number.isdigit() and name:
        token = f"{name}:{int(number)}"
    while token.startswith("./"):
        token = token[2:]
    return token


class _Builder:
    """Accumulates one message while its lines are read."""

    def __init__(self, first_line: int) -> None:
        self.first_line = first_line
        self.last_line = first_line
        self.comments: list[str] = []
        self.extracted: list[str] = []
        self.references: list[str] = []
        self.flags: list[str] = []
        self.previous: dict[str, list[str]] = {}
        self.strings: dict[str, list[str]] = {}  # keyword -> string parts
        self.order: list[str] = []
        self.obsolete: bool | None = None
        self.current: tuple[str, bool] | None = None  # keyword the next "..." continues

    @property
    def has_message(self) -> bool:
        return bool(self.order)

    @property
    def complete(self) -> bool:
        return any(k.startswith("msgstr") for k in self.order)

    def message(self, line: int) -> Message:
        if not self.complete:
            raise PoSyntaxError(line, "syntax error")
        strings = {k: "".join(v) for k, v in self.strings.items()}
        previous = {k: "".join(v) for k, v in self.previous.items()}
        plural = tuple(strings[k] for k in self.order if k.startswith("msgstr["))
        if ("msgid_plural" in strings) != bool(plural):
            raise PoSyntaxError(line, "syntax error")
        return Message(
            msgid=strings.get("msgid", ""),
            msgstr=plural[0] if plural else strings.get("msgstr", ""),
            msgctxt=strings.get("msgctxt"),
            msgid_plural=strings.get("msgid_plural"),
            msgstr_plural=plural,
            comments=tuple(self.comments),
            extracted=tuple(self.extracted),
            references=tuple(dict.fromkeys(self.references)),
            flags=tuple(self.flags),
            previous_msgctxt=previous.get("msgctxt"),
            previous_msgid=previous.get("msgid"),
            previous_msgid_plural=previous.get("msgid_plural"),
            obsolete=bool(self.obsolete),
        )


def parse(text: str) -> PoText:
    """The messages of a PO file's text (already decoded; a BOM and CR LF line ends
    are accepted). Raises PoSyntaxError with the line of the first problem."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    result = PoText()
    builder: _Builder | None = None

    def finish() -> None:
        nonlocal builder
        if builder is not None:
            message = builder.message(builder.last_line)
            raw = "\n".join(lines[builder.first_line - 1 : builder.last_line]) + "\n"
            result.blocks.append(Block(message, raw, builder.first_line))
        builder = None

    def comment_of(number: int) -> _Builder:
        """The message a comment line belongs to: the next one (comments come first)."""
        if builder is not None and builder.complete:
            finish()
        if builder is None:
            return _Builder(number)
        if builder.has_message:
            raise PoSyntaxError(number, "syntax error")
        return builder

    for number, line in enumerate(lines, 1):
        body = line.strip()
        if not body:
            continue
        if body.startswith("#~"):
            rest = body[2:]
            previous = rest.startswith("|")
            kind = "previous" if previous else "string"
            content = rest[1:].strip() if previous else rest.strip()
            obsolete = True
        elif body.startswith("#|"):
            kind, content, obsolete = "previous", body[2:].strip(), False
        elif body.startswith("#"):
            kind, content, obsolete = "comment", body, None
        else:
            kind, content, obsolete = "string", body, False

        if kind == "comment":
            builder = comment_of(number)
            marker = line.lstrip()[1:2]
            raw_text = line.lstrip()
            if marker == ".":
                builder.extracted.append(_strip_marker(raw_text[2:]))
            elif marker == ":":
                builder.references.extend(parse_reference(t) for t in raw_text[2:].split())
            elif marker == ",":
                builder.flags.extend(f.strip() for f in raw_text[2:].split(",") if f.strip())
            else:
                builder.comments.append(_strip_marker(raw_text[1:]))
            builder.last_line = number
            continue

        keyword = _KEYWORD.match(content)
        if kind == "previous":
            builder = comment_of(number)
            if keyword:
                name = keyword.group(1)
                if name not in ("msgctxt", "msgid", "msgid_plural") or name in builder.previous:
                    raise PoSyntaxError(number, "syntax error")
                builder.previous[name] = [unquote(keyword.group(3) or "", number)]
                builder.current = (name, True)
            elif content.startswith('"') and builder.current and builder.current[1]:
                builder.previous[builder.current[0]].append(unquote(content, number))
            else:
                raise PoSyntaxError(number, "syntax error")
            builder.last_line = number
            continue

        # a keyword or a string continuing one
        if keyword:
            name = keyword.group(1)
            starts_message = name in ("msgctxt", "msgid")
            if builder is not None and builder.complete and starts_message:
                finish()
            if builder is None:
                if not starts_message:
                    raise PoSyntaxError(number, "syntax error")
                builder = _Builder(number)
            if builder.obsolete is None:
                builder.obsolete = obsolete
            elif builder.has_message and builder.obsolete != obsolete:
                raise PoSyntaxError(number, "syntax error")
            builder.obsolete = obsolete
            if not _in_order(builder.order, name):
                raise PoSyntaxError(number, "syntax error")
            builder.order.append(name)
            builder.strings[name] = [unquote(keyword.group(3) or "", number)]
            builder.current = (name, False)
        elif content.startswith('"'):
            if builder is None or builder.current is None or builder.current[1]:
                raise PoSyntaxError(number, "syntax error")
            if builder.obsolete != obsolete:
                raise PoSyntaxError(number, "syntax error")
            builder.strings[builder.current[0]].append(unquote(content, number))
        else:
            raise PoSyntaxError(number, "syntax error")
        builder.last_line = number

    if builder is not None:
        if builder.has_message:
            finish()
        else:  # comments with no message after them
            result.trailer = "\n".join(lines[builder.first_line - 1 :]) + "\n"
    return result


def _in_order(seen: list[str], name: str) -> bool:
    """msgctxt? msgid (msgstr | msgid_plural msgstr[0] msgstr[1] ...)"""
    if name in seen:
        return False
    if name == "msgctxt":
        return not seen
    if name == "msgid":
        return seen in ([], ["msgctxt"])
    has_msgstr = any(k.startswith("msgstr") for k in seen)
    if "msgid" not in seen:
        return False
    if name in ("msgid_plural", "msgstr"):
        return not has_msgstr and "msgid_plural" not in seen
    if "msgid_plural" not in seen:
        return False
    number = int(name[7:-1])
    if number == 0:
        return not has_msgstr
    return seen[-1] == f"msgstr[{number - 1}]"


# --- writing -----------------------------------------------------------------------------

_C_ESCAPES = {"\a": "a", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t", "\v": "v"}


def _portions(value: str) -> list[str]:
    """The string cut after each newline, as gettext writes it (at least one part)."""
    parts = value.split("\n")
    result = [p + "\n" for p in parts[:-1]]
    if parts[-1] or not result:
        result.append(parts[-1])
    return result


def _escaped(portion: str) -> tuple[list[str], list[int]]:
    """The portion as written between quotes, one item per column-counted character,
    and gettext's overrides: never break inside an escape, nor before a final \\n."""
    if not _NEEDS_ESCAPE.search(portion):
        return list(portion), [linebreak.UNDEFINED] * len(portion)
    chars: list[str] = []
    overrides: list[int] = []
    for char in portion:
        if char in _C_ESCAPES or char in '\\"':
            chars += ["\\", _C_ESCAPES.get(char, char)]
            overrides += [linebreak.UNDEFINED, linebreak.PROHIBITED]
        else:
            chars.append(char)
            overrides.append(linebreak.UNDEFINED)
    if portion.endswith("\n"):
        overrides[-2] = linebreak.PROHIBITED
    return chars, overrides


def _resets(breaks: list[int]) -> bool:
    """Line-break characters (U+2028 ...) inside: columns start again after them."""
    return linebreak.MANDATORY in breaks or linebreak.CR_BEFORE_LF in breaks


_NEEDS_ESCAPE = re.compile(r'[\\"\a\b\f\n\r\t\v]')


def wrap(
    name: str, value: str, prefix: str = "", no_wrap: bool = False, width: int = PAGE_WIDTH
) -> list[str]:
    """The lines gettext writes for `name "value"` (write-po.c's `wrap`, not indented)."""
    lines: list[str] = []
    first_line = True
    portions = _portions(value)
    after_break = len(prefix) + 1
    line_width = (_NO_WIDTH if no_wrap else width) - 1 - after_break
    for index, portion in enumerate(portions):
        chars, overrides = _escaped(portion)
        props = linebreak.properties(chars)
        columns = sum(w for _, w in props if w > 0)
        possible: list[int] | None = None
        while True:
            start = len(prefix) + (len(name) + 1 if first_line else 0) + 1 - after_break
            fits = start + columns <= line_width
            if not fits and possible is None:
                possible = linebreak.possible_breaks(chars, props)
                for i, override in enumerate(overrides):
                    if override != linebreak.UNDEFINED:
                        possible[i] = override
            if first_line and chars:
                # gettext starts with `msgid ""` when the string takes more than one line
                if index + 1 < len(portions) or start > line_width:
                    lines.append(f'{prefix}{name} ""')
                    first_line = False
                    continue
                if not fits and not _resets(possible):  # type: ignore[arg-type]
                    # Too long: it takes more lines if it can break anywhere at all.
                    if linebreak.POSSIBLE in possible:  # type: ignore[operator]
                        lines.append(f'{prefix}{name} ""')
                        first_line = False
                        continue
                    fits = True  # one unbreakable line
            if fits:
                breaks: list[int] = []
            else:
                filled = linebreak.width_breaks(
                    chars,
                    line_width,
                    start,
                    0,
                    None,
                    props,
                    list(possible),  # type: ignore[arg-type]
                )
                breaks = [i for i, b in enumerate(filled) if b == linebreak.POSSIBLE]
            if first_line and chars and breaks:
                lines.append(f'{prefix}{name} ""')
                first_line = False
                continue
            break
        head = f"{prefix}{name} " if first_line else prefix
        first_line = False
        cuts = [0, *breaks, len(chars)]
        pieces = ["".join(chars[a:b]) for a, b in zip(cuts, cuts[1:])]
        lines.append(f'{head}"{pieces[0]}"')
        lines += [f'{prefix}"{piece}"' for piece in pieces[1:]]
    return lines


def _references(references: Sequence[str], width: int) -> list[str]:
    lines: list[str] = []
    if not references:
        return lines
    current, column = "#:", 2
    for ref in dict.fromkeys(parse_reference(r) for r in references):
        size = len(ref.encode("utf-8")) + 1
        if column > 2 and column + size > width:
            lines.append(current)
            current, column = "#:", 2
        current += " " + ref
        column += size
    lines.append(current)
    return lines


def _flags(message: Message) -> list[str]:
    """gettext's flags in its order (fuzzy, formats, range, no-wrap), then any other
    flag as it was written."""
    fuzzy = False
    formats: dict[str, str] = {}
    value_range: str | None = None
    no_wrap: bool | None = None
    others: list[str] = []
    for flag in message.flags:
        if flag == "fuzzy":
            fuzzy = True
        elif flag in ("wrap", "no-wrap"):
            no_wrap = flag == "no-wrap"
        elif flag.endswith("-format") and _format_flag(flag):
            language, state = _format_flag(flag)  # type: ignore[misc]
            formats[language] = state
        elif (found := re.fullmatch(r"range:\s*(\d+)\s*\.\.\s*(\d+)", flag)) and int(
            found.group(1)
        ) <= int(found.group(2)):
            value_range = f"range: {int(found.group(1))}..{int(found.group(2))}"
        elif flag not in others:
            others.append(flag)
    result = []
    if fuzzy and (message.msgstr or message.obsolete):
        result.append("fuzzy")
    for language in FORMATS:
        if language in formats:
            result.append(
                f"no-{language}-format" if formats[language] == "no" else f"{language}-format"
            )
    if value_range and not message.obsolete:
        result.append(value_range)
    if no_wrap:
        result.append("no-wrap")
    return result + others


def _format_flag(flag: str) -> tuple[str, str] | None:
    language = flag[: -len("-format")]
    for prefix, state in (("no-", "no"), ("possible-", "yes"), ("impossible-", "")):
        if language.startswith(prefix) and language[len(prefix) :] in FORMATS:
            return (language[len(prefix) :], state) if state else None
    return (language, "yes") if language in FORMATS else None


def no_wrap(flags: Iterable[str]) -> bool:
    state = False
    for flag in flags:
        if flag in ("wrap", "no-wrap"):
            state = flag == "no-wrap"
    return state


def _comment_lines(comments: Iterable[str]) -> list[str]:
    return [line for comment in comments for line in comment.split("\n")]


def format_message(message: Message, width: int = PAGE_WIDTH) -> str:
    """The message's text as gettext writes it, ending in a newline."""
    lines = []
    # A comment with newlines is several comment lines (gettext does so for `#`).
    lines += [f"# {c}" if c else "#" for c in _comment_lines(message.comments)]
    lines += [f"#. {c}" if c else "#." for c in _comment_lines(message.extracted)]
    lines += _references(message.references, width)
    flags = _flags(message)
    if flags:
        lines.append("#, " + ", ".join(flags))
    unwrapped = no_wrap(message.flags)
    prefix = "#~ " if message.obsolete else ""
    previous_prefix = "#~| " if message.obsolete else "#| "
    for name, value in (
        ("msgctxt", message.previous_msgctxt),
        ("msgid", message.previous_msgid),
        ("msgid_plural", message.previous_msgid_plural),
    ):
        if value is not None:
            lines += wrap(name, value, previous_prefix, unwrapped, width)
    if message.msgctxt is not None:
        lines += wrap("msgctxt", message.msgctxt, prefix, unwrapped, width)
    lines += wrap("msgid", message.msgid, prefix, unwrapped, width)
    if message.msgid_plural is not None:
        lines += wrap("msgid_plural", message.msgid_plural, prefix, unwrapped, width)
        for i, value in enumerate(message.msgstr_plural or ("",)):
            lines += wrap(f"msgstr[{i}]", value, prefix, unwrapped, width)
    else:
        lines += wrap("msgstr", message.msgstr, prefix, unwrapped, width)
    return "\n".join(lines) + "\n"


def join_blocks(blocks: Iterable[str], trailer: str = "") -> str:
    """A file from message texts: one blank line between messages, as every PO tool
    writes it."""
    parts = [b for b in blocks if b]
    if trailer:
        parts.append(trailer)
    return "\n".join(parts)
