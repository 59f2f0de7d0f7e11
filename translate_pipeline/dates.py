"""Read the dates authors and generators write and write them back per language.

Authors write '15. März', '15.03.2025' or '2025-03-15'; generators write timestamps
(Hugo '2024-01-10T08:00:00+02:00', Jekyll '2023-07-22 10:00:00 -0400', Astro
'Jul 08 2022'). A date without a year stays partial instead of guessing one, so the caller
decides (and reports) what it means; anything unreadable yields ``None``. Pages show the
date; feeds and sitemaps get the exact time when the source gives one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_DE_MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
)  # fmt: skip
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# Month names as dates are written in running text: French and Spanish lower-case them,
# Ukrainian puts them in the genitive ("5 липня 2025") and uses the nominative without a day.
_WRITTEN_MONTHS = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
    "es": (
        "enero", "febrero", "marzo", "abril", "mayo", "junio",
        "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
    ),
    "uk": (
        "січня", "лютого", "березня", "квітня", "травня", "червня",
        "липня", "серпня", "вересня", "жовтня", "листопада", "грудня",
    ),
}  # fmt: skip
_UK_MONTHS_ALONE = (
    "січень", "лютий", "березень", "квітень", "травень", "червень",
    "липень", "серпень", "вересень", "жовтень", "листопад", "грудень",
)  # fmt: skip
FORMATTED_LANGUAGES = ("de", "en", *_WRITTEN_MONTHS)

# Spellings seen in German and Austrian texts, lower-cased, without the trailing dot.
_MONTH_NAMES: dict[str, int] = {
    **{name.lower(): number for number, name in enumerate(_DE_MONTHS, start=1)},
    "jänner": 1, "jaenner": 1, "jän": 1, "jan": 1,
    "feber": 2, "feb": 2, "febr": 2,
    "maerz": 3, "mär": 3, "mrz": 3,
    "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "okt": 10, "nov": 11, "dez": 12,
    # English, as Astro and Eleventy sites write them ('Jul 08 2022', 'March 3, 2021')
    **{name.lower(): number for number, name in enumerate(_EN_MONTHS, start=1)},
    "mar": 3, "may": 5, "oct": 10, "dec": 12,
}  # fmt: skip

_WEEKDAY = re.compile(
    r"^(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag"
    r"|mo|di|mi|do|fr|sa|so)\.?,?\s+"
)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")
# 2024-01-10T08:00:00+02:00, 2024-01-10 08:00:00 -0400, 2024-01-10T08:00:00.000Z, 2024-01-10 08:00
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[t ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(z|[+-]\d{2}:?\d{2})?$"
)
_MONTH_FIRST = re.compile(r"^([a-zäöü]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_NUMERIC = re.compile(r"^(\d{1,2})\.\s?(\d{1,2})\.(?:\s?(\d{4}|\d{2}))?$")
_NAMED = re.compile(r"^(?:(\d{1,2})\.?\s*)?([a-zäöü]+)\.?(?:\s+(\d{4}))?$")

_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class PartialDate:
    """A calendar date whose year or day may be unknown ('15. März', 'März 2025'), with the
    time of day and UTC offset when a timestamp gave them ('08:00:00', '+02:00')."""

    year: int | None
    month: int
    day: int | None = None
    time: str = ""
    offset: str = ""

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")
        if self.year is None and self.day is None:
            raise ValueError("a month alone is not a date")
        if self.year is not None and not 1 <= self.year <= 9999:
            raise ValueError(f"year out of range: {self.year}")
        if self.day is not None and not 1 <= self.day <= _days_in_month(self.year, self.month):
            raise ValueError(f"day out of range: {self.day}")


def _days_in_month(year: int | None, month: int) -> int:
    """29 February is accepted when the year is unknown."""
    if month == 2 and year is not None:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return _DAYS_IN_MONTH[month - 1]


def _year(digits: str | None) -> int | None:
    """Two-digit years pivot like POSIX strptime: 69-99 are 19xx, 00-68 are 20xx."""
    if digits is None:
        return None
    value = int(digits)
    if len(digits) == 2:
        return value + (1900 if value >= 69 else 2000)
    return value


def _build(year: int | None, month: int, day: int | None) -> PartialDate | None:
    try:
        return PartialDate(year, month, day)
    except ValueError:
        return None


def parse_date(text: str) -> PartialDate | None:
    """Return the date in ``text``, or None when it cannot be read with confidence."""
    value = _WEEKDAY.sub("", unicodedata.normalize("NFC", " ".join(text.split()).lower()))
    if match := _TIMESTAMP.match(value):
        year, month, day, hour, minute, second, offset = match.groups()
        date = _build(int(year), int(month), int(day))
        if date is None or int(hour) > 23 or int(minute) > 59 or int(second or 0) > 59:
            return None
        return PartialDate(
            date.year, date.month, date.day, f"{hour}:{minute}:{second or '00'}", _offset(offset)
        )
    if match := _MONTH_FIRST.match(value):
        name, day, year = match.groups()
        month = _MONTH_NAMES.get(name)
        return _build(int(year), month, int(day)) if month else None
    if match := _ISO.match(value):
        year, month, day = match.groups()
        return _build(int(year), int(month), int(day) if day else None)
    if match := _NUMERIC.match(value):
        day, month, year = match.groups()
        return _build(_year(year), int(month), int(day))
    if match := _NAMED.match(value):
        day, name, year = match.groups()
        month = _MONTH_NAMES.get(name)
        if month is None:
            return None
        return _build(_year(year), month, int(day) if day else None)
    return None


def _offset(text: str | None) -> str:
    """'+0200' → '+02:00', 'z' → 'Z'; '' when the timestamp has none."""
    if not text:
        return ""
    if text == "z":
        return "Z"
    digits = text.replace(":", "")
    return f"{digits[:3]}:{digits[3:]}"


def timestamp(date: PartialDate) -> str:
    """RFC 3339 for feeds and sitemaps: the exact time when known, else midnight UTC (of
    the first of the month, for 'März 2025'); '' without a year."""
    if date.year is None:
        return ""
    day = f"{date.year:04d}-{date.month:02d}-{date.day or 1:02d}"
    if not date.time:
        return f"{day}T00:00:00Z"
    return f"{day}T{date.time}{date.offset or 'Z'}"


def format_date(date: PartialDate, lang: str) -> str:
    """'15. März 2025' for German readers, '15 March 2025' for English ones, '15 mars 2025',
    '15 de marzo de 2025', '15 березня 2025'; ISO 8601 ('2025-03-15') in languages without
    month names here, which every reader can read."""
    year = f" {date.year}" if date.year is not None else ""
    if lang == "de":
        month, day = _DE_MONTHS[date.month - 1], f"{date.day}. " if date.day else ""
    elif lang == "en":
        month, day = _EN_MONTHS[date.month - 1], f"{date.day} " if date.day else ""
    elif lang == "es":
        month, day = _WRITTEN_MONTHS["es"][date.month - 1], f"{date.day} de " if date.day else ""
        year = f" de {date.year}" if date.year is not None else ""
    elif lang == "uk" and not date.day:
        month, day = _UK_MONTHS_ALONE[date.month - 1], ""
    elif lang == "fr":
        first = "1er" if date.day == 1 else str(date.day)  # le 1er mars, le 2 mars
        month, day = _WRITTEN_MONTHS["fr"][date.month - 1], f"{first} " if date.day else ""
    elif lang in _WRITTEN_MONTHS:
        month, day = _WRITTEN_MONTHS[lang][date.month - 1], f"{date.day} " if date.day else ""
    else:
        return iso(date)
    return f"{day}{month}{year}"


def iso(date: PartialDate) -> str:
    """ISO 8601 form, also valid in HTML ``<time datetime>``: a yearless date is '--03-15'."""
    if date.year is None:
        return f"--{date.month:02d}-{date.day:02d}"
    if date.day is None:
        return f"{date.year:04d}-{date.month:02d}"
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}"
