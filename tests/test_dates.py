import pytest

from translate_pipeline.dates import PartialDate, format_date, iso, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15. März 2025", PartialDate(2025, 3, 15)),
        ("15. März", PartialDate(None, 3, 15)),
        ("15 März 2025", PartialDate(2025, 3, 15)),
        ("  15.  MÄRZ   2025 ", PartialDate(2025, 3, 15)),
        ("15. Ma\u0308rz 2025", PartialDate(2025, 3, 15)),  # decomposed umlaut
        ("15. Maerz 2025", PartialDate(2025, 3, 15)),
        ("1. Jänner 2024", PartialDate(2024, 1, 1)),
        ("3. Jan. 2024", PartialDate(2024, 1, 3)),
        ("30. Sept. 2023", PartialDate(2023, 9, 30)),
        ("30. Sep 2023", PartialDate(2023, 9, 30)),
        ("7. Okt.", PartialDate(None, 10, 7)),
        ("Samstag, 15. März 2025", PartialDate(2025, 3, 15)),
        ("März 2025", PartialDate(2025, 3, None)),
        ("15.03.2025", PartialDate(2025, 3, 15)),
        ("15.3.2025", PartialDate(2025, 3, 15)),
        ("15.3.25", PartialDate(2025, 3, 15)),
        ("15.3.99", PartialDate(1999, 3, 15)),
        ("15. 3. 2025", PartialDate(2025, 3, 15)),
        ("15.03.", PartialDate(None, 3, 15)),
        ("2025-03-15", PartialDate(2025, 3, 15)),
        ("2025-3-5", PartialDate(2025, 3, 5)),
        ("2025-03", PartialDate(2025, 3, None)),
        ("29. Februar", PartialDate(None, 2, 29)),
        ("29.02.2024", PartialDate(2024, 2, 29)),
    ],
)
def test_parse_date_reads_german_forms(text: str, expected: PartialDate) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "März",  # a month alone is not a date
        "2025",
        "Frühling 2025",
        "15. Foo 2025",
        "32.03.2025",
        "29.02.2025",  # not a leap year
        "31. April 2025",
        "2025-13-01",
        "15.03",  # could be a decimal number
        "03/15/2025",
        "15. März 2025 um 10 Uhr",
    ],
)
def test_parse_date_rejects_unreadable(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("date", "de", "en", "iso_form"),
    [
        (PartialDate(2025, 3, 15), "15. März 2025", "15 March 2025", "2025-03-15"),
        (PartialDate(None, 3, 15), "15. März", "15 March", "--03-15"),
        (PartialDate(2025, 3, None), "März 2025", "March 2025", "2025-03"),
        (PartialDate(2024, 1, 1), "1. Januar 2024", "1 January 2024", "2024-01-01"),
        (PartialDate(987, 12, 5), "5. Dezember 987", "5 December 987", "0987-12-05"),
    ],
)
def test_format_and_iso(date: PartialDate, de: str, en: str, iso_form: str) -> None:
    assert format_date(date, "de") == de
    assert format_date(date, "en") == en
    assert iso(date) == iso_form


@pytest.mark.parametrize(
    ("date", "fr", "es", "uk"),
    [
        (PartialDate(2025, 3, 15), "15 mars 2025", "15 de marzo de 2025", "15 березня 2025"),
        (PartialDate(None, 3, 15), "15 mars", "15 de marzo", "15 березня"),
        (PartialDate(2025, 3, None), "mars 2025", "marzo de 2025", "березень 2025"),
        (PartialDate(2024, 8, 1), "1er août 2024", "1 de agosto de 2024", "1 серпня 2024"),
    ],
)
def test_format_in_more_target_languages(date: PartialDate, fr: str, es: str, uk: str) -> None:
    assert (format_date(date, "fr"), format_date(date, "es"), format_date(date, "uk")) == (
        fr,
        es,
        uk,
    )


def test_languages_without_month_names_get_iso_dates() -> None:
    """A clear fallback every reader understands, rather than English month names."""
    assert format_date(PartialDate(2025, 3, 15), "pl") == "2025-03-15"
    assert format_date(PartialDate(2025, 3, None), "ar") == "2025-03"


@pytest.mark.parametrize(
    ("year", "month", "day"),
    [(2025, 0, 1), (2025, 13, 1), (None, 3, None), (2025, 2, 29), (0, 1, 1), (2025, 4, 31)],
)
def test_partial_date_validates(year: int | None, month: int, day: int | None) -> None:
    with pytest.raises(ValueError):
        PartialDate(year, month, day)


def test_round_trip_through_german_format() -> None:
    for date in (PartialDate(2025, 3, 15), PartialDate(None, 9, 30), PartialDate(2023, 1, None)):
        assert parse_date(format_date(date, "de")) == date
