"""Line breaking as GNU gettext does it when it writes a PO file.

gettext's `write-po.c` breaks each string with libunistring's
`ulc_width_linebreaks`: Unicode's line-breaking algorithm (UAX #14) as
libunistring implements it, then greedy filling up to a column. This module is
that algorithm in Python, for libunistring 1.0 (Unicode 14; gettext 0.21 on
Debian 12), with the per-character data in `data/linebreak.txt`
(`tools/gen_linebreak_table.py` made it from the library). `tests/test_pofile.py`
compares every code point's data and random strings against the library itself.

Break values are libunistring's: PROHIBITED, POSSIBLE, MANDATORY (the character
is itself a line break), CR_BEFORE_LF.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from itertools import accumulate

UNDEFINED, PROHIBITED, POSSIBLE, MANDATORY, HYPHENATION, CR_BEFORE_LF = range(6)

_NAMES = (
    "WJ GL B2 BA BB HY CL CP CP2 EX IN NS OP OP2 QU IS NU PO PR SY AL H2 H3 ID ID2 "
    "JL JV JT HL RI ZWJ EB EM BK CR LF CM ZW SP CB AI SA XX"
).split()
(
    WJ, GL, B2, BA, BB, HY, CL, CP, CP2, EX, IN, NS, OP, OP2, QU, IS, NU, PO, PR, SY, AL,
    H2, H3, ID, ID2, JL, JV, JT, HL, RI, ZWJ, EB, EM, BK, CR, LF, CM, ZW, SP, CB, AI, SA, XX,
) = range(len(_NAMES))  # fmt: skip

# Pair table values.
_DIRECT, _INDIRECT = 1, 2


class _Tables:
    def __init__(self) -> None:
        text = resources.files("translate_pipeline").joinpath("data/linebreak.txt").read_text()
        self.pairs: list[bytes] = []
        self.starts: list[int] = []
        self.classes: list[int] = []
        self.widths: list[int] = []
        index = {name: i for i, name in enumerate(_NAMES)}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            first, second = line.split(" ", 1)
            if first == "pair":
                self.pairs.append(bytes(int(c) for c in second))
                continue
            name, width = second.split()
            self.starts.append(int(first, 16))
            self.classes.append(index[name])
            self.widths.append(int(width))


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    return _Tables()


_CACHE: dict[str, tuple[int, int]] = {}
# Classes whose behaviour libunistring fixes before any rule (for UTF-8 text).
_RESOLVED = {AI: AL, SA: AL, XX: AL, CB: ID}


def _raw(char: str) -> tuple[int, int]:
    tables = _tables()
    at = bisect.bisect_right(tables.starts, ord(char)) - 1
    return tables.classes[at], tables.widths[at]


def _properties(char: str) -> tuple[int, int]:
    """(class as the rules see it, width) of a character."""
    found = _CACHE.get(char)
    if found is None:
        klass, width = _raw(char)
        found = _CACHE[char] = (_RESOLVED.get(klass, klass), width)
    return found


def properties(chars: Sequence[str]) -> list[tuple[int, int]]:
    get = _CACHE.get
    return [get(c) or _properties(c) for c in chars]


def line_break_class(char: str) -> str:
    """libunistring's line-breaking class of `char` (`AL`, `SP`, `BA` ...)."""
    return _NAMES[_raw(char)[0]]


def char_width(char: str) -> int:
    """Columns `char` takes, as libunistring's `uc_width` counts them: 2 for wide
    East Asian characters and most emoji, 0 for combining and format characters,
    -1 for control characters."""
    return _properties(char)[1]


def possible_breaks(
    chars: Sequence[str], props: Sequence[tuple[int, int]] | None = None
) -> list[int]:
    """Where a line may break before each character (`u32_possible_linebreaks_v2`)."""
    pairs = _tables().pairs
    if props is None:
        props = properties(chars)
    result = [PROHIBITED] * len(chars)
    last = BK  # class of the last character that is not a space (or CM, ZWJ)
    preceding = BK  # class of the character just before
    seen_space = False
    regional = 0  # regional indicators in a row just before
    hebrew_hyphen = False  # the character before was HY or BA right after HL
    for i, (prop, _) in enumerate(props):
        if prop == preceding and (prop == AL or prop == SP):
            continue  # inside a word or a run of spaces: nothing changes
        if prop == BK or prop == CR or prop == LF:
            result[i] = MANDATORY
            if preceding == CR and prop == LF:
                result[i - 1] = CR_BEFORE_LF
            last, preceding, seen_space, regional, hebrew_hyphen = BK, prop, False, 0, False
            continue
        after_hebrew_hyphen = False
        if prop == SP:
            seen_space = True  # never break just before a space
        elif prop == ZW:
            last, seen_space = ZW, False
        elif prop == CM or prop == ZWJ:
            if last == BK:
                last, seen_space = AL, False  # a mark at the start counts as a letter
            elif last == ZW or seen_space:
                result[i] = POSSIBLE
                last, seen_space = AL, False
            # otherwise it belongs to the character before
        else:
            if last == BK or preceding == ZWJ or hebrew_hyphen:
                pass
            elif last == ZW:
                result[i] = POSSIBLE
            elif last == RI and prop == RI:
                if seen_space or regional % 2 == 0:
                    result[i] = POSSIBLE
            else:
                rule = pairs[last][prop]
                if rule == _DIRECT or (rule == _INDIRECT and seen_space):
                    result[i] = POSSIBLE
            after_hebrew_hyphen = preceding == HL and (prop == HY or prop == BA)
            last, seen_space = prop, False
        regional = regional + 1 if prop == RI else 0
        hebrew_hyphen = after_hebrew_hyphen
        preceding = prop
    return result


def width_breaks(
    chars: Sequence[str],
    width: int,
    start_column: int = 0,
    at_end_columns: int = 0,
    overrides: Sequence[int] | None = None,
    props: Sequence[tuple[int, int]] | None = None,
    possible: list[int] | None = None,
) -> list[int]:
    """The breaks that fill lines of `width` columns (`u32_width_linebreaks_v2`):
    POSSIBLE where a line is broken, MANDATORY/CR_BEFORE_LF at line-break
    characters, PROHIBITED elsewhere. `overrides` (UNDEFINED = none) replace the
    possible breaks before filling; `possible` saves computing them again."""
    if props is None:
        props = properties(chars)
    breaks = possible if possible is not None else possible_breaks(chars, props)
    if overrides is not None:
        breaks = [b if o == UNDEFINED else o for b, o in zip(breaks, overrides)]
    columns = [0, *accumulate(w if w > 0 else 0 for _, w in props)]  # control characters: 0
    result = [PROHIBITED] * len(breaks)
    last_break = -1
    last_column = start_column
    piece_start = 0  # the atomic piece of text that ends at the next opportunity
    for i, brk in enumerate(breaks):
        if brk != POSSIBLE and brk != MANDATORY and brk != CR_BEFORE_LF:
            continue
        piece = columns[i] - columns[piece_start]
        if last_break >= 0 and last_column + piece > width:
            result[last_break] = POSSIBLE
            last_column = 0
        if brk == POSSIBLE:
            last_break = i
            last_column += piece
            piece_start = i
        else:  # a line-break character: a new line starts after it
            result[i] = brk
            last_break, last_column, piece_start = -1, 0, i + 1
    piece = columns[len(breaks)] - columns[piece_start]
    if last_break >= 0 and last_column + piece + at_end_columns > width:
        result[last_break] = POSSIBLE
    return result
