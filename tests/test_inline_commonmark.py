"""The inline layer on CommonMark + GFM (markdown-it, `markup.commonmark.parser()`).

Strikethrough, hard breaks, GFM autolinks, reference links of all three forms, footnote
references and nesting through protect → (model) → restore; the identity round trip of
generated inline Markdown renders exactly like the source; escaping reads back as the text;
and the cost stays linear in the length of a line on hostile input.
"""

from __future__ import annotations

import gc
import random
import re
import time
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.gfm import gfm_plugin

from translate_pipeline.markup import Placeholder, Span, protect, restore, unescape
from translate_pipeline.markup.commonmark import parser
from translate_pipeline.markup.document import parse_document
from translate_pipeline.markup.nodes import escape, escape_line_start
from translate_pipeline.markup.parse import render_inline
from translate_pipeline.markup.protect import _protect
from translate_pipeline.markup.selfcheck import lone_paragraph

# ------------------------------------------------------------------------------------------
# rendering as a reader gets it
# ------------------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\r\n]+")


class _Reading(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = tuple(sorted((k, _WS.sub(" ", v or "").strip()) for k, v in attrs))
        self.events.append(("start", tag, attrs))
        if tag == "br":
            self.text.append(" ")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.events.append(("end", tag))

    def handle_endtag(self, tag):
        self.events.append(("end", tag))

    def handle_data(self, data):
        self.text.append(data)
        data = _WS.sub(" ", data).strip(" ")
        if data and self.events and self.events[-1][0] == "data":
            self.events[-1] = ("data", f"{self.events[-1][1]} {data}")
        elif data:
            self.events.append(("data", data))

    def handle_comment(self, data):
        self.events.append(("comment", data))


def reading(html: str) -> tuple[str, list[tuple]]:
    """What a reader gets from HTML: the text (whitespace collapsed, as browsers show it) and
    the elements around it. Whitespace at an element's inner edge may sit just outside it
    (`restore` moves it there), which is why the text is compared as a whole."""
    parser_ = _Reading()
    parser_.feed(html)
    parser_.close()
    return _WS.sub(" ", "".join(parser_.text)).strip(" "), parser_.events


def renders(md: str, references: list[str]) -> tuple[str, list[tuple]]:
    return reading(render_inline(md, check=references))


def page(md: str, definitions: str) -> str:
    """A line inside an article that defines references and footnotes."""
    return parser().render(f"{md}\n\n{definitions}\n")


def hrefs(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)"', html)


# ------------------------------------------------------------------------------------------
# strikethrough, hard breaks
# ------------------------------------------------------------------------------------------


def test_strikethrough_round_trip():
    protected = protect("Das Gesetz ist ~~alt~~ und ~neu~.")
    assert protected.text == "Das Gesetz ist <1> alt </1> und <2> neu </2>."
    assert [m.kind for m in protected.markers] == ["s", "s"]
    result = restore("The law is <2> new </2>, not <1> old </1>.", protected)
    assert result.ok, result.problems
    assert result.markdown == "The law is ~~new~~, not ~~old~~."
    assert render_inline(result.markdown) == "The law is <s>new</s>, not <s>old</s>."


def test_strikethrough_falls_back_to_html_where_tildes_cannot_close():
    protected = protect("Ein ~~„Test“~~ hier.")
    result = restore("A<1> “test” </1>here.", protected)  # glued to the words on both sides
    assert result.ok, result.problems
    assert "<s>“test”</s>" in render_inline(result.markdown)


def test_tildes_in_text_stay_text():
    result = restore("about ~5 km, ~~not struck~~", protect("x"))
    assert result.ok and "<s>" not in render_inline(result.markdown)


@pytest.mark.parametrize(
    "line", ["Erste Zeile  \nzweite Zeile", "Erste Zeile\\\nzweite Zeile", "Erste Zeile\\\n"]
)
def test_hard_break_survives_as_html_line_break(line):
    protected = protect(line)
    words = protected.text.replace("Erste Zeile", "First line").replace("zweite Zeile", "2nd")
    result = restore(words, protected)
    assert result.ok, result.problems
    assert "\n" not in result.markdown
    if line.endswith("\n"):  # no hard break at the end of a paragraph: the "\\" is text
        assert result.markdown == "First line\\\\"
    else:
        assert "<1/>" in protected.text
        assert result.markdown == "First line <br /> 2nd"
        assert render_inline(result.markdown).count("<br />") == 1


def test_soft_break_is_a_space_and_html_break_stays_as_written():
    assert protect("eins\nzwei").text == "eins zwei"
    protected = protect("eins<br>zwei")
    assert restore(protected.text, protected).markdown == "eins<br>zwei"


# ------------------------------------------------------------------------------------------
# GFM autolinks
# ------------------------------------------------------------------------------------------

AUTOLINKED = "Mehr auf www.example.org, https://example.org/a_b?x=1&y=2 oder an info@example.de."


def test_gfm_autolinks_never_reach_the_model_and_stay_untouched():
    protected = protect(AUTOLINKED)
    assert protected.text == "Mehr auf <1/>, <2/> oder an <3/>."
    assert [m.kind for m in protected.markers] == ["url", "url", "email"]
    assert restore(protected.text, protected).markdown == AUTOLINKED
    result = restore("More at <1/>, <2/> or to <3/>.", protected)
    assert result.ok
    assert result.markdown == (
        "More at www.example.org, https://example.org/a_b?x=1&y=2 or to info@example.de."
    )
    assert hrefs(render_inline(result.markdown)) == hrefs(render_inline(AUTOLINKED))


@pytest.mark.parametrize(
    "english",
    [
        "See„<1/>“, x<2/>y and<3/>.",  # after a letter or a quote GFM would not link them
        "See <1/><2/><3/>",  # glued to each other
        "See *<1/>* and <sup><2/></sup> <3/>s",
    ],
)
def test_gfm_autolinks_keep_their_links_wherever_the_model_puts_them(english):
    protected = protect(AUTOLINKED)
    result = restore(english.replace("<sup>", "").replace("</sup>", ""), protected)
    assert result.ok, result.problems
    assert sorted(hrefs(render_inline(result.markdown))) == sorted(hrefs(render_inline(AUTOLINKED)))


def test_url_that_gfm_does_not_link_stays_text():
    line = "Die Adresse „https://example.org/x“ ist kein Link."
    protected = protect(line)
    assert "http" not in protected.text
    result = restore("The address <1/> is not a link.", protected)  # now after a space
    assert result.ok
    html = render_inline(result.markdown)
    assert "<a" not in html and "https://example.org/x" in html


# ------------------------------------------------------------------------------------------
# reference links and footnotes
# ------------------------------------------------------------------------------------------

DEFINITIONS = (
    "[archiv]: https://example.org/archiv\n[museum]: https://example.org/museum\n"
    "[kalender]: https://example.org/kalender\n[karte]: karte.png\n\n[^1]: Eins.\n\n"
    "[^quelle-2]: Zwei."
)
LABELS = ["archiv", "museum", "kalender", "karte"]


def test_reference_links_of_all_three_forms_keep_their_form():
    line = "Im [Archiv][archiv], im [Museum][] und im [Kalender], mit ![Karte][karte]."
    protected = protect(line, LABELS)
    assert protected.text == (
        "Im <1> Archiv </1>, im <2> Museum </2> und im <3> Kalender </3>, mit <4> Karte </4>."
    )
    assert [m.ref for m in protected.markers if isinstance(m, Span)] == [
        "archiv",
        "Museum",
        "Kalender",
        "karte",
    ]
    assert restore(protected.text, protected).markdown == line  # words unchanged: as written
    result = restore(
        "In the <1> archive </1>, the <2> museum </2> and the <3> calendar </3>, "
        "with <4> map </4>.",
        protected,
    )
    assert result.ok, result.problems
    assert result.markdown == (
        "In the [archive][archiv], the [museum][Museum] and the [calendar][Kalender], "
        "with ![map][karte]."
    )
    source, english = page(line, DEFINITIONS), page(result.markdown, DEFINITIONS)
    assert (
        hrefs(english)
        == hrefs(source)
        == [
            "https://example.org/archiv",
            "https://example.org/museum",
            "https://example.org/kalender",
        ]
    )
    assert 'src="karte.png" alt="map"' in english


def test_undefined_references_are_text_and_their_words_translated():
    protected = protect("Im [Archiv][fehlt] und [Kalender].", ["kalender"])
    assert protected.text == "Im [Archiv][fehlt] und <1> Kalender </1>."
    result = restore(protected.text, protected)
    assert result.markdown == "Im \\[Archiv\\]\\[fehlt\\] und [Kalender]."


def test_unknown_definitions_take_full_and_collapsed_references_as_links():
    protected = protect("Im [Archiv][archiv] und [Museum][] und [Kalender].")
    assert protected.text == "Im <1> Archiv </1> und <2> Museum </2> und [Kalender]."


def test_reference_label_in_a_broken_destination_is_found():
    """When `(…)` is no destination, markdown-it reads `[a](x[ref]` as `[a][ref]`."""
    line = "Ein [Wort](x[archiv]( hier."
    protected = protect(line, LABELS)
    assert protected.text == "Ein <1> Wort </1>( hier."
    span = protected.markers[0]
    assert isinstance(span, Span) and span.ref == "archiv"
    identity = restore(protected.text, protected).markdown
    assert renders(identity, LABELS) == renders(line, LABELS)
    assert restore("A <1> word </1>( here.", protected).markdown == "A [word][archiv]\\( here."


def test_footnote_references_are_kept_as_written():
    line = "Die Studie[^1] und die Umfrage[^quelle-2] sagen es."
    protected = protect(line)
    assert protected.text == "Die Studie<1/> und die Umfrage<2/> sagen es."
    assert {m.kind for m in protected.markers} == {"footnote"}
    result = restore("The study<1/> and the survey<2/> say so.", protected)
    assert result.ok
    assert result.markdown == "The study[^1] and the survey[^quelle-2] say so."
    english = page(result.markdown, DEFINITIONS)
    assert english.count('class="footnote-ref"') == 2


def test_footnote_reference_followed_by_parenthesis_stays_a_footnote():
    protected = protect("Text[^1] (mehr)")
    result = restore("Text<1/>(more)", protected)
    assert result.ok, result.problems
    assert "footnote-ref" in page(result.markdown, DEFINITIONS)


# ------------------------------------------------------------------------------------------
# nesting
# ------------------------------------------------------------------------------------------

NESTED = [
    "Das ist ***sehr wichtig*** heute.",
    "Ein *kursiver **fetter** Satz* hier.",
    "Siehe **[den Link *kursiv*](https://x.de/a_(b) 'Titel')** jetzt.",
    "Das Bild [![Ein Hund](hund.png)](https://x.de) verlinkt.",
    "Mit _Unterstrich_ und __doppelt__ und Leser_innen.",
    "Alt und ~~*kursiv gestrichen*~~ und *~~gestrichen kursiv~~*.",
    "Code `a*b*c` in *Betonung mit `code`* und <sup>*hoch*</sup>.",
    "Ein [Link mit `code` und ![Bild](b.png)](https://x.de) darin.",
]


@pytest.mark.parametrize("line", NESTED)
def test_nested_formatting_survives_identity(line):
    protected = protect(line)
    result = restore(protected.text, protected)
    assert result.ok, result.problems
    assert renders(result.markdown, []) == renders(line, [])


def test_nested_formatting_follows_translated_words():
    protected = protect("Ein *sehr **wichtiger** Satz* mit [Link *kursiv*](https://x.de).")
    result = restore(
        "A <1> very <2> important </2> sentence </1> with <3> link <4> italic </4> </3>.",
        protected,
    )
    assert result.ok, result.problems
    assert result.markdown == "A *very **important** sentence* with [link *italic*](https://x.de)."


def test_deep_nesting_is_written_as_html_tags():
    line = "*" * 60 + "tief" + "*" * 60
    protected = protect(line)
    result = restore(protected.text, protected)
    assert result.ok, result.problems
    assert renders(result.markdown, []) == renders(line, [])


# ------------------------------------------------------------------------------------------
# escaping
# ------------------------------------------------------------------------------------------

TEXT = (
    st.lists(
        st.one_of(
            st.sampled_from(list("\\`*_[]{}()#+-.!|~<>&:@\"'^=$%/;?") + ["www.", "http", " "]),
            st.sampled_from(["Wort", "ß", "\xa0", "&amp;", "&#35;", "1.", "1)", "[^1]", "<b>"]),
        ),
        max_size=30,
    )
    .map("".join)
    .map(lambda s: s.strip(" "))
)


@settings(max_examples=500, deadline=None)
@given(TEXT)
def test_escaped_text_reads_back_as_the_text(text):
    md = escape_line_start(escape(text))
    shown, events = renders(md, [])
    assert shown == _WS.sub(" ", text).strip(" ")
    assert [e for e in events if e[0] != "data"] == []
    assert unescape(md) == text
    if text:
        assert lone_paragraph(md), md


# ------------------------------------------------------------------------------------------
# the identity round trip over generated inline Markdown
# ------------------------------------------------------------------------------------------

REFERENCES = ["ref", "Archiv"]
WORDS = st.sampled_from(
    ["Der", "Präsident", "sagte", "heute", "Straße", "2024", "z. B.", "„Zitat“", "(Klammer)",
     "a_b", "5 * 3", "Preis: 10&nbsp;€", "A&amp;B", "\\*", "1 < 2", "x~y", "C#", "#1", "ü"]
)  # fmt: skip
ATOMS = st.sampled_from(
    ["`code()`", "`` a`b ``", "https://example.com/a_b?x=1&y=2", "info@example.de",
     "www.example.org", "<https://example.net/x>", "<post@example.org>", "[^1]",
     "![Ein Bild](bild.png)", '![Karte](https://x.de/k.svg "Karte")', "<br>", "[Archiv][ref]",
     "[Archiv][]", "[ref]", "![Bild][ref]", "[https://x.de](https://x.de)", "<!-- c -->",
     "&lt;3&gt;", "<5/>"]
)  # fmt: skip
PHRASES = st.lists(st.one_of(WORDS, ATOMS), min_size=1, max_size=4).map(" ".join)
LINK_TEXTS = st.lists(
    st.one_of(WORDS, st.sampled_from(["`code()`", "![Ein Bild](bild.png)", "*kursiv*"])),
    min_size=1,
    max_size=3,
).map(" ".join)
SPANS = st.recursive(
    PHRASES,
    lambda inner: st.one_of(
        inner.map(lambda x: f"*{x}*"),
        inner.map(lambda x: f"**{x}**"),
        inner.map(lambda x: f"_{x}_"),
        inner.map(lambda x: f"__{x}__"),
        inner.map(lambda x: f"~~{x}~~"),
        inner.map(lambda x: f"<sup>{x}</sup>"),
        LINK_TEXTS.map(lambda x: f'[{x}](https://example.org/seite_(1) "Titel")'),
        LINK_TEXTS.map(lambda x: f"[{x}][ref]"),
        st.lists(inner, min_size=2, max_size=3).map(" ".join),
        st.tuples(inner, inner).map(lambda xs: f"{xs[0]}  \n{xs[1]}"),
    ),
    max_leaves=8,
)
LINES = st.lists(SPANS, min_size=1, max_size=3).map(lambda xs: ". ".join(xs) + ".")

FRAGMENTS = st.sampled_from(
    ["Wort", "ß", " ", " ", "*", "**", "_", "__", "~", "~~", "`", "``", "[", "]", "(", ")",
     "![", "](", "](https://e.de/a_b)", "https://x.de/p?q=1&r=2", "www.x.de", "a@b.de",
     "http", "://", "@", "<https://a.de>", "<x@y.de>", "<b>", "</b>", "<sup>", "</sup>",
     "<br>", "<!-- c -->", "&amp;", "&lt;", "&nbsp;", "\xa0", "\\", "\\*", "!", "<", ">",
     "1.", "#", "{", "}", "^", "[^1]", "[ref]", "[x][ref]", "[y][]", '"', "'", ".", "?",
     "<5>", "</5>", "<7/>", "&", "|", "-", "+", ":", "\t", "\n", "  \n", "\\\n"]
)  # fmt: skip
ANY_LINES = st.lists(FRAGMENTS, max_size=25).map("".join)


def _identity(line: str) -> None:
    protected = protect(line, REFERENCES)
    result = restore(protected.text, protected)
    assert result.ok, result.problems
    assert renders(result.markdown, REFERENCES) == renders(line, REFERENCES), result.markdown


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LINES)
def test_identity_round_trip_renders_like_the_source(line):
    """protect → the protected text itself as "translation" → restore: rendered by markdown-it,
    the result is exactly the source (text, elements, attributes)."""
    _identity(line)


@settings(max_examples=600, deadline=None)
@given(ANY_LINES)
def test_identity_round_trip_of_any_inline_markdown_renders_like_the_source(line):
    """The same for arbitrary, mostly malformed, inline Markdown."""
    _identity(line)


# ------------------------------------------------------------------------------------------
# the shared parser
# ------------------------------------------------------------------------------------------


def _plugin_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True})
    md.use(gfm_plugin)
    return md


AUTOLINK_PIECES = list("wW.:/@-_ ()<>;&*~[]!?,'\"\xa0\\") + [
    "www.", "http", "https://", "mailto:", "xmpp:", "a", "b.de", "x.org", "ä", "&amp;", "\n",
]  # fmt: skip


def test_linear_gfm_autolinks_link_exactly_like_the_plugin():
    """`inline_rules` replaces mdit-py-plugins' autolink rules by linear-time ports."""
    ours, theirs = parser(), _plugin_parser()
    rng = random.Random(8)
    for _ in range(5000):
        text = "".join(rng.choice(AUTOLINK_PIECES) for _ in range(rng.randint(1, 30)))
        assert ours.renderInline(text) == theirs.renderInline(text), text


def test_images_are_found_as_written_with_references_and_raw_html():
    md = '![a](<bilder/ä b.png>) und <img src="roh.png">\n\n![b][r]\n\n[r]: ref.png "T"\n'
    assert parse_document(md).images() == [(1, "bilder/ä b.png"), (1, "roh.png"), (3, "ref.png")]


# ------------------------------------------------------------------------------------------
# cost on hostile input
# ------------------------------------------------------------------------------------------

HOSTILE: dict[str, Callable[[int], str]] = {
    "brackets": lambda n: "[" * n,
    "unclosed links": lambda n: "[a](" * (n // 4),
    "images": lambda n: "![" * (n // 2),
    "tag starts": lambda n: "<a " * (n // 3),
    "tags": lambda n: "<b>x</b> " * (n // 9),
    "stars": lambda n: "*" * n,
    "emphasis": lambda n: "*a* " * (n // 4),
    "nested emphasis": lambda n: "*" * (n // 2) + "a" + "*" * (n // 2),
    "underscores": lambda n: "_a" * (n // 2),
    "one word": lambda n: "a" * n,
    "colons": lambda n: "a:" * (n // 2),  # quadratic in mdit-py-plugins' autolink rule
    "protocols": lambda n: "http:" * (n // 5),
    "at signs": lambda n: "a@" * (n // 2),
    "www": lambda n: "(" + "_www." * (n // 5) + "(",
    "closing parentheses": lambda n: "www.x.de" + ")" * n,
    "code": lambda n: "`a` " * (n // 4),
    "marker look-alikes": lambda n: "<5> " * (n // 4),
    "sentences": lambda n: "*a*. " * (n // 5),
}


def _cost(line: str, translate: Callable[[str], str], runs: int) -> float:
    """CPU seconds of this thread for protect + restore, the best of `runs` (CPU time, not
    wall time: other processes on a loaded machine do not count; the garbage collector
    paused: its full collections scale with everything alive in the test process)."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            _protect.cache_clear()
            start = time.thread_time()
            protected = protect(line, ())
            restore(translate(protected.text), protected)
            best = min(best, time.thread_time() - start)
    finally:
        gc.enable()
    return best


def _linear(line_of: Callable[[int], str], translate: Callable[[str], str]) -> None:
    small = _cost(line_of(2_000), translate, 3)
    large = _cost(line_of(20_000), translate, 2)
    assert large < 30 * small, (small, large)  # ten times the input: linear is ~10x


@pytest.mark.parametrize("name", HOSTILE)
def test_cost_is_linear_on_hostile_input(name):
    _linear(HOSTILE[name], lambda text: text)


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: re.sub(r"</?\d+/?>", "", text),  # every marker lost
        lambda text: re.sub(r"(</?\d+/?>)", r"\1\1", text),  # every marker doubled
        lambda text: (
            "".join(re.findall(r"<\d+> ", text))  # all spans crossing
            + " words "
            + "".join(re.findall(r" </\d+>", text))
        ),
    ],
    ids=["lost", "doubled", "crossing"],
)
def test_cost_is_linear_when_the_model_damages_every_marker(damage):
    _linear(lambda n: "*a* `c` [l](u) " * (n // 15), damage)


def test_hostile_identity_is_exact():
    for name, line_of in HOSTILE.items():
        line = line_of(2_000)
        protected = protect(line, ())
        result = restore(protected.text, protected)
        assert result.ok, (name, result.problems)
        assert renders(result.markdown, []) == renders(line, []), name
        assert all(isinstance(m, (Placeholder, Span)) for m in protected.markers)
