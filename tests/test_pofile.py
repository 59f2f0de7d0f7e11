"""The PO reader and writer (`pofile.py`, `linebreak.py`) against GNU gettext itself:
the writer's output must be byte-identical to what `msgcat` writes, and the line
breaking identical to libunistring's, the library msgcat calls."""

from __future__ import annotations

import ctypes
import ctypes.util
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translate_pipeline import linebreak, pofile

MSGCAT = shutil.which("msgcat")
needs_msgcat = pytest.mark.skipif(MSGCAT is None, reason="gettext's msgcat is not installed")

HEADER_MESSAGE = pofile.Message("", "Content-Type: text/plain; charset=UTF-8\nLanguage: en\n")
HEADER = pofile.format_message(HEADER_MESSAGE)

# German prose, Markdown, quotes, backslashes, tabs, newlines, C escapes, long words,
# wide and non-BMP characters, combining marks, joiners, regional indicators.
CHARS = (
    "abcdefghijklmnopqrstuvwxyzäöüßÄÖÜABCZ0123456789 ,.;:!?-–—/()[]{}\"'\\\t\n\r\x0b\x07"
    "\x01\x7f\u00a0\u200b\u00ad\u0301\u2028\x85\u3000漢字😀𝔘𠀀\u200d🇩🇪%$€«»„“*_`<>#"
)
WORDS = [
    "Der",
    "Präsident",
    "sagte",
    "NATO-Chef",
    "Wiederherstellung",
    "„Zitat“",
    '"quoted"',
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "Donaudampfschifffahrtsgesellschaftskapitänsmütze" * 2,
    "x" * 90,
    "12.5 %",
    "(Klammer)",
    "—",
    "–",
    "😀😀",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "漢字漢字",
    "Kiew → Kyiv",
    "e.g.",
    "</p>",
    "a/b/c",
    "http://example.org/a-b?c=d",
    "**fett**",
    "[Link](https://example.org/x-y)",
]
TEXT = st.one_of(
    st.text(alphabet=CHARS, max_size=200),
    st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join),
    st.lists(
        st.one_of(st.sampled_from(WORDS), st.text(alphabet=CHARS, max_size=12)), max_size=30
    ).map(lambda words: "".join(w + " -\n "[i % 4] for i, w in enumerate(words))),
)
# Flags gettext knows and that do not make it parse format directives (see pofile's
# docstring: directives of a *-format message are not protected from breaks).
FLAG = st.sampled_from(["no-wrap", "wrap", "no-c-format", "no-python-format", "range: 1..9"])
COMMENT = st.text(alphabet="abc äöü\t-.😀#", max_size=30)
REFERENCE = st.builds(
    lambda name, line: f"{name}:{line}",
    st.sampled_from(
        ["content/news.md", "a.md", "content/sehr/langer/pfad/zu/einem/artikel-name.md", "ü.md"]
    ),
    st.integers(1, 99999),
)


@st.composite
def messages(draw: st.DrawFn, msgid: str) -> pofile.Message:
    obsolete = draw(st.booleans())
    msgstr = draw(TEXT) or ("x" if obsolete else "")  # gettext drops empty obsolete ones
    previous = draw(st.none() | TEXT.filter(bool))
    return pofile.Message(
        msgid=msgid,
        msgstr=msgstr,
        msgctxt=draw(st.none() | st.text(alphabet="abc dä", max_size=10)),
        comments=tuple(draw(st.lists(COMMENT, max_size=2))),
        extracted=tuple(draw(st.lists(COMMENT, max_size=2))),
        references=() if obsolete else tuple(draw(st.lists(REFERENCE, max_size=8))),
        flags=tuple(draw(st.lists(FLAG, max_size=3))) + (("fuzzy",) if draw(st.booleans()) else ()),
        previous_msgid=previous,
        obsolete=obsolete,
    )


FILES = st.lists(TEXT.filter(bool), min_size=1, max_size=4, unique=True).flatmap(
    lambda ids: st.tuples(*[messages(i) for i in ids])
)


def msgcat(text: str, tmp_path: Path, *args: str) -> str:
    path = tmp_path / "in.po"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run([MSGCAT, *args, str(path)], capture_output=True, check=True)
    return result.stdout.decode("utf-8")


@needs_msgcat
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(FILES)
def test_writer_is_byte_identical_to_msgcat(tmp_path: Path, messages: tuple) -> None:
    ordered = sorted(messages, key=lambda m: m.obsolete)  # msgcat puts obsolete ones last
    ours = pofile.join_blocks([HEADER] + [pofile.format_message(m) for m in ordered])
    assert msgcat(ours, tmp_path) == ours
    parsed = pofile.parse(ours)
    for message, block in zip(ordered, parsed.blocks[1:]):
        assert (block.message.msgid, block.message.msgstr) == (message.msgid, message.msgstr)
        assert block.message.previous_msgid == message.previous_msgid
        assert pofile.format_message(block.message) == block.text


@needs_msgcat
@pytest.mark.parametrize("width", [20, 40, 79, 200])
def test_writer_matches_msgcat_at_other_widths(tmp_path: Path, width: int) -> None:
    text = (
        "Der NATO-Chef sagte: „Wir müssen – Schritt für Schritt – die Beziehungen zu "
        "Russland\twiederherstellen.“\nZweite Zeile mit einem sehr langen Wort: "
        + "Donaudampfschifffahrt" * 5
        + ' und 😀 漢字漢字 \\ "Ende".'
    )
    message = pofile.Message(text, text.upper(), references=("content/a.md:1",))
    ours = pofile.join_blocks(
        [pofile.format_message(HEADER_MESSAGE, width), pofile.format_message(message, width)]
    )
    assert msgcat(ours, tmp_path, f"--width={width}") == ours


@needs_msgcat
def test_references_flags_previous_and_obsolete_as_msgcat_writes_them(tmp_path: Path) -> None:
    refs = tuple(f"content/artikel/{'lang' * (i % 5)}name-{i}.md:{i * 37}" for i in range(1, 12))
    message = pofile.Message(
        "Der Präsident sagte.",
        "The president said.",
        comments=("Reviewer: keep “said”", ""),
        extracted=("Context", "tp.origin=human"),
        references=(*refs, "./x.md:07", "ohne-zeile.md"),
        flags=("no-wrap", "python-format", "fuzzy", "c-format", "range: 2..5"),
        previous_msgid="Der Präsident sagte heute etwas sehr Langes, das über die Zeile geht.",
    )
    obsolete = pofile.Message(
        "Alt " * 30, "Old " * 30, comments=("tp.origin=human",), flags=("fuzzy",),
        previous_msgid="Älter " * 20, obsolete=True,
    )  # fmt: skip
    ours = pofile.join_blocks([HEADER, *map(pofile.format_message, (message, obsolete))])
    assert msgcat(ours, tmp_path) == ours
    assert " x.md:7 ohne-zeile.md\n" in ours and "./" not in ours
    assert "#, fuzzy, c-format, python-format, range: 2..5, no-wrap\n" in ours
    assert '#~| msgid ""\n#~| "Älter ' in ours


def test_unknown_flags_are_kept_after_gettexts_own() -> None:
    message = pofile.Message("a", "b", flags=("read-only", "fuzzy", "max-length:80", "c-format"))
    assert "#, fuzzy, c-format, read-only, max-length:80\n" in pofile.format_message(message)


def test_parse_keeps_every_message_text_as_it_was() -> None:
    text = (
        "# header comment\n"
        'msgid ""\n'
        'msgstr "Content-Type: text/plain; charset=UTF-8\\n"\n'
        "\n"
        "#  translator comment with two spaces\n"
        "#.  odd extracted\n"
        "#: a.md:1\n"
        "#, fuzzy\n"
        '#| msgid "alt"\n'
        'msgid "x"\n'
        'msgstr "a very "\n'
        '  "oddly wrapped" "string"\n'
        "\n"
        "\n"
        '#~ msgid "y"\n'
        '#~ msgstr "z"\n'
        "# a comment with no message\n"
    )
    with pytest.raises(pofile.PoSyntaxError):
        pofile.parse(text)  # two strings on one line: not PO (memory.py rejects it too)
    text = text.replace('"oddly wrapped" "string"', '"oddly wrapped string"')
    po = pofile.parse(text)
    assert [b.line for b in po.blocks] == [1, 5, 15]
    header, entry, obsolete = po.blocks
    assert entry.text == "\n".join(text.split("\n")[4:12]) + "\n"
    assert entry.message.msgstr == "a very oddly wrapped string"
    assert entry.message.comments == (" translator comment with two spaces",)
    assert entry.message.extracted == (" odd extracted",)
    assert entry.message.previous_msgid == "alt" and entry.message.fuzzy
    assert obsolete.message.obsolete and obsolete.message.msgstr == "z"
    assert po.trailer == "# a comment with no message\n"


def test_parse_reads_escapes_as_gettext_does() -> None:
    po = pofile.parse('msgid "a\\tb\\n\\\\\\"\\101\\x42\\303\\244"\nmsgstr ""\n')
    assert po.blocks[0].message.msgid == 'a\tb\n\\"ABä'
    with pytest.raises(pofile.PoSyntaxError) as error:
        pofile.parse('msgid "x"\nmsgstr "\\q"\n')
    assert error.value.line == 2


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('msgid "a"\nmsgstr "b"\nmsgstr "c"\n', 3),
        ('msgstr "b"\n', 1),
        ('msgid "a"\n# comment\nmsgstr "b"\n', 2),
        ('msgid "a"\n', 1),
        ('#~ msgid "a"\nmsgstr "b"\n', 2),
    ],
)
def test_parse_errors_name_their_line(text: str, line: int) -> None:
    with pytest.raises(pofile.PoSyntaxError) as error:
        pofile.parse(text)
    assert error.value.line == line


def test_plural_and_context_messages_round_trip() -> None:
    message = pofile.Message(
        "ein Tag", "one day", msgctxt="Zeit", msgid_plural="%d Tage",
        msgstr_plural=("one day", "%d days"),
    )  # fmt: skip
    text = pofile.format_message(message)
    assert pofile.parse(text).blocks[0].message == message


# --- line breaking against libunistring ---------------------------------------------------


def _libunistring() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("unistring")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    try:
        ctypes.c_char.in_dll(lib, "libunistring_unilbrkprop")
        lib.u32_width_linebreaks_v2  # noqa: B018
    except ValueError:
        return None
    except AttributeError:
        return None
    return lib


LIB = _libunistring()
needs_libunistring = pytest.mark.skipif(
    LIB is None, reason="libunistring 1.0 (the line breaking msgcat uses) is not installed"
)


@needs_libunistring
def test_linebreak_data_is_libunistrings() -> None:
    """data/linebreak.txt is what tools/gen_linebreak_table.py reads from the library."""
    from importlib import util

    root = Path(__file__).resolve().parents[1]
    spec = util.spec_from_file_location(
        "gen_linebreak_table", root / "tools/gen_linebreak_table.py"
    )
    gen = util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(gen)  # type: ignore[union-attr]
    data = (root / "translate_pipeline/data/linebreak.txt").read_text("ascii")
    assert gen.table_text(LIB) == data


# One character of every class, several of the common ones.
LB_ALPHABET = (
    "aZ09 \t\n\r-\"'\\/.,;:!?%$()[]{}«»„“‐–—\u00a0\u200b\u200d\u2060\u0301\u00ad\u2028\x85"
    "漢字가각각א😀👍🏽☝🇩🇪\U0001f02cฃ\u0378\ufffc‥‼ー・"
)


@needs_libunistring
@settings(max_examples=1000, deadline=None)
@given(
    st.text(alphabet=LB_ALPHABET, min_size=1, max_size=40),
    st.integers(0, 30),
    st.integers(0, 10),
    st.integers(0, 2),
    st.none() | st.lists(st.sampled_from([0, 0, 0, 1, 2, 3]), min_size=40, max_size=40),
)
def test_line_breaking_is_libunistrings(
    text: str, width: int, start: int, at_end: int, overrides: list[int] | None
) -> None:
    lib = LIB
    lib.u32_width_linebreaks_v2.argtypes = [
        ctypes.POINTER(ctypes.c_uint32), ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
        ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
    ]  # fmt: skip
    lib.u32_possible_linebreaks_v2.argtypes = [
        ctypes.POINTER(ctypes.c_uint32), ctypes.c_size_t, ctypes.c_char_p, ctypes.c_char_p
    ]  # fmt: skip
    chars = (ctypes.c_uint32 * len(text))(*map(ord, text))
    possible = ctypes.create_string_buffer(len(text))
    lib.u32_possible_linebreaks_v2(chars, len(text), b"UTF-8", possible)
    assert linebreak.possible_breaks(text) == list(possible.raw)
    o = overrides[: len(text)] if overrides else None
    filled = ctypes.create_string_buffer(len(text))
    lib.u32_width_linebreaks_v2(
        chars, len(text), width, start, at_end, bytes(o) if o else None, b"UTF-8", filled
    )
    assert linebreak.width_breaks(text, width, start, at_end, o) == list(filled.raw)
