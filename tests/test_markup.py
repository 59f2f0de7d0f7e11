"""Tests for translate_pipeline.markup: marker protection, recovery from model damage, safe HTML.

``tests/data/formatted_de.txt`` holds one formatted German Markdown line per line (no comments);
it is meant to be reused for measuring how many spans a real model keeps.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translate_pipeline import sanitize
from translate_pipeline.markup import Placeholder, Protected, Span, protect, restore
from translate_pipeline.markup.commonmark import parser
from translate_pipeline.markup.parse import render_inline

html_prose = sanitize.prose


def to_html(md: str) -> str:
    """A document as a page shows it: rendered, then sanitized."""
    return sanitize.clean(parser().render(md))


def inline_html(md: str) -> str:
    """One unit as it appears inside a paragraph, without the ``<p>`` around it."""
    return sanitize.clean(render_inline(md))


DATA = Path(__file__).parent / "data" / "formatted_de.txt"
SENTENCES = [line for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
REFERENCES = ["archiv"]  # reference ids the article around the data set would define

MARKER = re.compile(r"<\s?/?\s?\d+\s?/?\s?>")


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------


class _Dom(HTMLParser):
    """Flat DOM: start/end tags with sorted attributes and whitespace-collapsed text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", tag, tuple(sorted(attrs))))
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.events.append(("end", tag))

    def handle_endtag(self, tag):
        self.events.append(("end", tag))

    def handle_data(self, data):
        self.text.append(data)
        data = " ".join(data.split())
        if not data:
            return
        if self.events and self.events[-1][0] == "data":
            self.events[-1] = ("data", self.events[-1][1] + " " + data)
        else:
            self.events.append(("data", data))


def dom(html: str) -> _Dom:
    parser = _Dom()
    parser.feed(html)
    parser.close()
    return parser


def visible(html: str) -> str:
    """Text a reader can reach: text nodes plus alt text, link targets and image sources."""
    parsed = dom(html)
    extra = [
        value or ""
        for _tag, attrs in parsed.elements
        for name, value in attrs.items()
        if name in ("alt", "href", "src", "title")
    ]
    return " ".join(["".join(parsed.text), *extra])


def in_article(line: str) -> str:
    """Render a unit inside a paragraph of an article that defines its footnote and reference."""
    return to_html(f"Text {line}\n\n[^1]: Fußnote.\n\n[archiv]: https://example.org/archiv\n")


def without_empty(events: list[tuple]) -> list[tuple]:
    """Drop invisible empty formatting such as ``<em></em>``, which ``****x****`` yields."""
    out: list[tuple] = []
    for event in events:
        if event[0] == "end" and out and out[-1][:2] == ("start", event[1]) and event[1] != "img":
            out.pop()
        elif event[0] == "data" and out and out[-1][0] == "data":
            out[-1] = ("data", f"{out[-1][1]} {event[1]}")
        else:
            out.append(event)
    return out


def written(item: Placeholder, markdown: str) -> bool:
    """The placeholder's Markdown is in `markdown`: as in the source, or (a bare URL that GFM
    would no longer link where it landed) in its explicit form."""
    return item.markdown in markdown or bool(item.explicit and item.explicit in markdown)


def squash(text: str) -> str:
    return "".join(text.split())


def words(text: str) -> list[str]:
    return re.findall(r"\w+", MARKER.sub(" ", text))


def assert_nothing_lost(model_output: str, protected: Protected, result_md: str) -> None:
    """Every word the model produced and every protected item must survive; no marker leaks."""
    html = to_html(result_md)
    seen = visible(html)
    for word in words(model_output):
        assert word in seen, (word, result_md)
    for item in protected.markers:
        if isinstance(item, Placeholder) and item.text:
            assert squash(item.text) in squash(seen), (item, result_md)
        if isinstance(item, Span) and item.href:
            assert item.href in seen, (item, result_md)
    assert not MARKER.search(result_md), result_md
    assert not MARKER.search("".join(dom(html).text)), html


# ------------------------------------------------------------------------------------------
# the data set
# ------------------------------------------------------------------------------------------


def test_data_set_is_large_and_formatted():
    assert len(SENTENCES) >= 40
    kinds = set()
    for line in SENTENCES:
        protected = protect(line, REFERENCES)
        assert protected.markers, line
        kinds.update(
            m.kind if isinstance(m, Span) else m.label.split()[0] for m in protected.markers
        )
    assert {"em", "strong", "link", "image", "html", "code", "URL", "e-mail"} <= kinds


@pytest.mark.parametrize("line", SENTENCES)
def test_identity_round_trip_renders_the_same(line):
    protected = protect(line, REFERENCES)
    result = restore(protected.text, protected)
    assert result.ok, result.problems
    assert dom(to_html(result.markdown)).events == dom(to_html(line)).events


@pytest.mark.parametrize("line", SENTENCES)
def test_model_never_sees_urls_code_or_addresses(line):
    text = protect(line, REFERENCES).text
    assert "http" not in text and "www." not in text
    assert "@" not in text
    assert "`" not in text
    assert "](" not in text and "*" not in text.replace("Leser*innen", "")
    for marker in MARKER.findall(text):
        assert not set(marker) & set(".?!")


# ------------------------------------------------------------------------------------------
# simulated model behaviour
# ------------------------------------------------------------------------------------------

GLOSSARY = {
    "Der": "The",
    "Präsident": "president",
    "sagte": "said",
    "am": "on",
    "Montag": "Monday",
    "dass": "that",
    "die": "the",
    "Reform": "reform",
    "dringend": "urgently",
    "nötig": "needed",
    "sei": "was",
}


def word_model(text: str) -> str:
    """Stand-in for the test model: known words translated, every other piece copied."""
    return re.sub(r"\w+", lambda m: GLOSSARY.get(m.group(0), m.group(0)), text)


def test_formatting_follows_translated_words():
    protected = protect(SENTENCES[0])
    result = restore(word_model(protected.text), protected)
    assert result.ok
    assert (
        result.markdown
        == "The *president* said on Monday, that the reform **urgently** needed was."
    )


def test_formatting_follows_reordered_words():
    protected = protect("Er hat *gestern* das [Museum](https://museum.example) besucht.")
    assert protected.text == "Er hat <1> gestern </1> das <2> Museum </2> besucht."
    result = restore("He visited the <2> museum </2> <1> yesterday </1>.", protected)
    assert result.ok
    assert result.markdown == "He visited the [museum](https://museum.example) *yesterday*."


def test_span_crossing_sentence_boundary_survives_sentence_split():
    protected = protect("Er kam **spät. Sehr spät.** Dann ging er.")
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z<])", protected.text)
    assert len(sentences) >= 2
    translated = " ".join(s.replace("Er kam", "He came").replace("spät", "late") for s in sentences)
    result = restore(translated, protected)
    assert result.ok
    assert "**late. Sehr late.**" in result.markdown


WITH_SPANS = [s for s in SENTENCES if any(isinstance(m, Span) for m in protect(s).markers)]


@pytest.mark.parametrize("line", WITH_SPANS)
def test_lost_closing_marker_drops_only_formatting(line):
    protected = protect(line, REFERENCES)
    victim = next(i for i, m in enumerate(protected.markers, 1) if isinstance(m, Span))
    damaged = protected.text.replace(f" </{victim}>", "", 1)
    result = restore(damaged, protected)
    assert not result.ok
    assert any(f"span {victim} " in p for p in result.problems)
    assert victim in result.lost
    assert_nothing_lost(damaged, protected, result.markdown)


@pytest.mark.parametrize("line", SENTENCES)
def test_model_dropping_every_marker_loses_no_words_urls_or_code(line):
    protected = protect(line, REFERENCES)
    stripped = " ".join(MARKER.sub(" ", protected.text).split())
    result = restore(stripped, protected)
    assert not result.ok
    assert_nothing_lost(stripped, protected, result.markdown)
    for item in protected.markers:
        if isinstance(item, Placeholder) and item.container == 0:
            assert written(item, result.markdown)


@pytest.mark.parametrize("mangled", ["< 2 / >", "<2>", "</2>", "<2", "2/>", "&lt;2/&gt;", "< 2/>"])
def test_mangled_placeholder_is_recognised(mangled):
    protected = protect("Rufen Sie *bitte* `make test` auf.")
    assert protected.text == "Rufen Sie <1> bitte </1> <2/> auf."
    result = restore(protected.text.replace("<2/>", mangled), protected)
    assert result.markdown == "Rufen Sie *bitte* `make test` auf."
    assert result.ok


@pytest.mark.parametrize(
    "variant",
    [
        "Please <1>kindly</1> run <2/>.",
        "Please < 1 > kindly < / 1 > run <2/>.",
        "Please <1> kindly <1> run <2/>.",
        "Please &lt;1&gt;kindly&lt;/1&gt; run <2/>.",
        "Please <1/> kindly </1> run <2/>.",
    ],
)
def test_span_marker_variants_are_understood(variant):
    protected = protect("Rufen Sie *bitte* `make test` auf.")
    result = restore(variant, protected)
    assert result.markdown == "Please *kindly* run `make test`."
    assert result.ok


def test_missing_placeholder_goes_to_end_of_its_sentence():
    protected = protect("Siehe `a.py` hier. Dann `b.py` dort. Ende.")
    assert protected.text == "Siehe <1/> hier. Dann <2/> dort. Ende."
    result = restore("See <1/> here. Then there. End.", protected)
    assert result.markdown == "See `a.py` here. Then there `b.py`. End."
    assert not result.ok and result.lost == (2,)
    assert "placeholder 2" in result.problems[0] and "sentence 2" in result.problems[0]


def test_repeated_placeholder_is_kept_once():
    protected = protect("Mehr unter https://example.com/x heute.")
    result = restore("More at <1/> today <1/>.", protected)
    assert result.markdown.count("https://example.com/x") == 1
    assert not result.ok


def test_stray_marker_is_removed():
    protected = protect("Ein *Test* hier.")
    result = restore("A <1> test </1> <7> here </7>.", protected)
    assert result.markdown == "A *test* here."
    assert len(result.problems) == 2 and not result.ok


def test_crossing_markers_keep_link_and_all_words():
    protected = protect("Das *ist ein* [wichtiger Link](https://example.com) hier.")
    result = restore("This <1> is an <2> important </1> link </2> here.", protected)
    assert not result.ok and result.lost == (1,)
    assert result.markdown == "This is an [important link](https://example.com) here."


def test_broken_link_reinserts_url_next_to_words():
    protected = protect("Lesen Sie den [Bericht](https://example.com/b) morgen.")
    result = restore("Read the report </1> tomorrow.", protected)
    assert result.markdown == "Read the report <https://example.com/b> tomorrow."
    assert not result.ok


def test_broken_relative_link_keeps_target():
    protected = protect("Siehe [Anlage](anlagen/a.pdf).")
    result = restore("See attachment.", protected)
    assert result.markdown == "See attachment [anlagen/a.pdf](anlagen/a.pdf)."
    assert_nothing_lost("See attachment.", protected, result.markdown)


def test_broken_image_keeps_image():
    protected = protect("Das Bild ![Ein Hund](hund.jpg) zeigt ihn.")
    result = restore("The picture <1> A dog shows him.", protected)
    assert "![Ein Hund](hund.jpg)" in result.markdown and "A dog" in result.markdown
    assert not result.ok


def test_placeholder_moved_into_image_alt_is_moved_behind_image():
    protected = protect("Bild ![Ein Hund](hund.jpg) und `code`.")
    result = restore("Picture <1> A dog <2/> </1> and.", protected)
    assert result.markdown.startswith("Picture ![A dog](hund.jpg) `code`")


def test_empty_span_is_dropped_without_losing_anything():
    protected = protect("Das ist *sehr* gut.")
    result = restore("That is <1></1> very good.", protected)
    assert result.markdown == "That is very good." and not result.ok


def test_intra_word_emphasis_stays_glued():
    protected = protect("Die Leser*innen und Bürger*innen kamen.")
    result = restore(protected.text, protected)
    assert result.markdown == "Die Leser*innen und Bürger*innen kamen."


def test_adjacent_spans_render_as_intended():
    protected = protect("Ein *a* und *b* Test.")
    result = restore("A <1> a </1><2> b </2> test.", protected)
    assert result.ok, result.problems
    html = inline_html(result.markdown)
    assert [e for e in dom(html).events if e[0] == "start"] == [("start", "em", ())] * 2


def test_link_titles_are_translated_separately():
    protected = protect('Der [Bericht](https://example.com "Bericht 2024") ist da.')
    assert protected.titles == ("Bericht 2024",)
    assert "Bericht 2024" not in protected.text
    result = restore("The <1> report </1> is here.", protected, titles=["Report 2024"])
    assert result.markdown == 'The [report](https://example.com "Report 2024") is here.'
    with pytest.raises(ValueError):
        restore(protected.text, protected, titles=[])


def test_reference_links_keep_their_id():
    # CommonMark: a reference link of any form needs its label defined (the article's labels)
    protected = protect(
        "Im [Archiv][archiv] und im [Museum][] und [Kalender].", ["archiv", "museum", "Kalender"]
    )
    result = restore(
        "In the <1> archive </1> and the <2> museum </2> and <3> calendar </3>.", protected
    )
    assert result.markdown == (
        "In the [archive][archiv] and the [museum][Museum] and [calendar][Kalender]."
    )
    untranslated = restore(protected.text, protected)
    assert untranslated.markdown == "Im [Archiv][archiv] und im [Museum][] und [Kalender]."


def test_model_output_that_looks_like_markdown_stays_text():
    protected = protect("Rechnung")
    translated = "5 * 3 = 15, a_b _c_ [not](a link) `tick` <b>bold</b> &amp; x\\y {: .c} |"
    result = restore(translated, protected)
    html = inline_html(result.markdown)
    assert [e for e in dom(html).events if e[0] != "data"] == []
    assert "".join(dom(html).text) == translated


@pytest.mark.parametrize("start", ["1. Mai", "# Hashtag", "- Strich", "> Zitat", "+ plus", "3) x"])
def test_block_syntax_at_line_start_stays_text(start):
    protected = protect("x")
    result = restore(start, protected)
    html = to_html(result.markdown)
    assert html.startswith("<p>") and "".join(dom(html).text).strip() == start


def test_literal_marker_lookalikes_in_source_are_protected():
    line = "Kinder &lt;6&gt; Jahre und Preise <3 Euro und 4/> Dinge."
    protected = protect(line)
    assert protected.text == "Kinder <1/> Jahre und Preise <2/> Euro und <3/> Dinge."
    result = restore(protected.text, protected)
    assert result.ok
    assert squash("".join(dom(inline_html(result.markdown)).text)) == squash(
        "".join(dom(inline_html(line)).text)
    )


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "Wort", "Präsident", "ß", " ", " ", " ", "*", "**", "_", "__", "`", "``", "[", "]", "(",
        ")", "![", "](", "](https://e.de/a_b)", "https://x.de/p?q=1&r=2", "a@b.de",
        "<https://a.de>", "<x@y.de>", "<b>", "</b>", "<br>", "<!-- c -->", "&amp;", "&lt;",
        "&nbsp;", "\\", "\\*", "!", "<", ">", "1.", "#", "{", "}", "{: .k}", "^", "[^1]", '"',
        "'", ".", "?", "<5>", "</5>", "<7/>", "&", "|", "~", "-", "+", ":", "\t",
    ]
)  # fmt: skip
MARKDOWN_LINES = st.lists(FRAGMENTS, max_size=25).map("".join)


@settings(max_examples=400, deadline=None)
@given(MARKDOWN_LINES)
def test_identity_never_loses_visible_characters(line):
    """Any line at all, however malformed: no character a reader sees is lost."""
    before = inline_html(line)
    protected = protect(line)
    result = restore(protected.text, protected)
    after = inline_html(result.markdown)
    assert not Counter(squash(visible(before))) - Counter(squash(visible(after)))


WORDS = st.sampled_from(
    ["Der", "Präsident", "sagte", "heute", "Straße", "2024", "z. B.", "„Zitat“", "(Klammer)",
     "Fuß-Ball", "ist.", "Warum?", "a_b", "5 * 3", "Preis: 10&nbsp;€"]
)  # fmt: skip
ATOMS = st.sampled_from(
    ["`code()`", "`` a`b ``", "https://example.com/a_b?x=1&y=2", "info@example.de",
     "<https://example.net/x>", "<post@example.org>", "[^1]", "![Ein Bild](bild.png)",
     '![Karte](https://x.de/k.svg "Karte")', "<br>", "[Archiv][archiv]"]
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
        inner.map(lambda x: f"<sup>{x}</sup>"),
        # links never nest (HTML forbids it), so they only wrap phrases
        LINK_TEXTS.map(lambda x: f'[{x}](https://example.org/seite_(1) "Titel")'),
        st.lists(inner, min_size=2, max_size=3).map(" ".join),
    ),
    max_leaves=8,
)
SENTENCES_OF_SPANS = st.lists(SPANS, min_size=1, max_size=3).map(lambda xs: ". ".join(xs) + ".")


@settings(max_examples=300, deadline=None)
@given(SENTENCES_OF_SPANS)
def test_identity_of_formatted_sentences_is_exact(line):
    """Realistic formatting: the untranslated round trip renders identically and reports ok."""
    before = in_article(line)
    protected = protect(line, REFERENCES)
    result = restore(protected.text, protected)
    assert result.ok, result.problems
    after = in_article(result.markdown)
    assert without_empty(dom(after).events) == without_empty(dom(before).events)


@settings(max_examples=300, deadline=None)
@given(MARKDOWN_LINES, st.data())
def test_random_marker_damage_never_leaks_or_loses(line, data):
    protected = protect(line)
    pieces = re.split(f"({MARKER.pattern})", protected.text)
    damaged = "".join(
        piece
        if not MARKER.fullmatch(piece)
        else data.draw(st.sampled_from([piece, "", piece + piece, piece.replace("<", "< ")]))
        for piece in pieces
    )
    result = restore(damaged, protected)
    html = inline_html(result.markdown)
    seen = squash(visible(html))
    for word in words(damaged):
        assert word in seen
    for item in protected.markers:
        if isinstance(item, Placeholder) and item.container == 0:
            assert written(item, result.markdown), item
    # marker look-alikes may only come from the source itself (code, escaped literals)
    leaked = set(MARKER.findall("".join(dom(html).text)))
    assert leaked <= set(MARKER.findall(visible(inline_html(line))))


# ------------------------------------------------------------------------------------------
# plain text
# ------------------------------------------------------------------------------------------


def test_html_prose_drops_markup_code_and_addresses():
    md = (
        "# Titel\n\nDer *Präsident* sagte `code()` in [Berlin](https://x.de) "
        "https://example.com und a@b.de.\n\n![Bild](x.png)\n\nEine Fußnote."
    )
    assert html_prose(to_html(md)) == "Titel Der Präsident sagte in Berlin und. Eine Fußnote."
    assert html_prose(to_html("Ein Bild ![Alt](x.png) und <br /> Text.")) == "Ein Bild und Text."


def test_html_prose_drops_footnote_references():
    md = "Der Präsident sagte es.[^1]\n\n[^1]: Eine Fußnote."
    assert html_prose(to_html(md)) == "Der Präsident sagte es. Eine Fußnote."


# ------------------------------------------------------------------------------------------
# HTML rendering and sanitizing
# ------------------------------------------------------------------------------------------

ATTACKS = [
    "<script>alert(1)</script>",
    "Text <script>alert(1)</script> mehr",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "<iframe src='https://evil.example'></iframe>",
    "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<div onclick="alert(1)" onmouseover="alert(2)">x</div>',
    "<svg><script>alert(1)</script></svg>",
    '<object data="x.swf"></object><embed src="x.swf">',
    "<style>body{display:none}</style>",
    '<form action="https://evil.example"><input name="a"></form>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
]


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("render", [to_html, inline_html])
def test_no_executable_content_survives(attack, render):
    html = render(f"Absatz mit {attack} darin.\n\n{attack}")
    parsed = dom(html)
    for tag, attrs in parsed.elements:
        assert tag not in {"script", "iframe", "object", "embed", "style", "form", "svg", "math"}
        for name, value in attrs.items():
            assert not name.lower().startswith("on"), html
            if name in ("href", "src"):
                value = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
                assert not value.startswith(("javascript:", "data:", "vbscript:")), html
    assert "alert(1)</script>" not in html


def test_markdown_features_survive_sanitizing():
    # (CommonMark has no attribute lists or abbreviations: "{#anker}" and "*[HTML]: …" are
    # text; GFM strikethrough is new)
    md = (
        "## Überschrift\n\n"
        'Text mit *em*, **strong**, `code`, [Link](https://a.de "T"), '
        '![Alt](bild.png "B") und <sup>2</sup>.[^1]\n\n'
        "| Links | Rechts |\n|:------|-------:|\n| a | b |\n\n"
        "```python\nprint(1)\n```\n\n"
        "1. eins\n2. zwei\n\n"
        "HTML ist ~~alt~~.\n\n"
        "[^1]: Die Fußnote.\n"
    )
    parsed = dom(to_html(md))
    tags = {tag for tag, _ in parsed.elements}
    assert {
        "h2",
        "em",
        "strong",
        "code",
        "a",
        "img",
        "sup",
        "table",
        "th",
        "td",
        "pre",
        "ol",
        "li",
        "s",
        "hr",
    } <= tags
    attrs = [(tag, attrs) for tag, attrs in parsed.elements]
    assert any(
        t == "img" and a == {"src": "bild.png", "alt": "Alt", "title": "B"} for t, a in attrs
    )
    assert any(t == "code" and a.get("class") == "language-python" for t, a in attrs)
    links = [a for t, a in attrs if t == "a"]
    assert {"href": "https://a.de", "title": "T", "rel": "noopener noreferrer"} in links


def test_table_alignment_survives_sanitizing():
    parsed = dom(to_html("| Links | Rechts |\n|:------|-------:|\n| a | b |\n"))
    styles = [a.get("style") or a.get("align") for t, a in parsed.elements if t in ("th", "td")]
    assert all(styles), styles


def test_footnote_links_and_ids_stay_usable():
    parsed = dom(to_html("Text[^n].\n\n[^n]: Fußnote."))
    ids = {a["id"] for _, a in parsed.elements if "id" in a}
    hrefs = {a["href"] for t, a in parsed.elements if t == "a"}
    assert {"fnref1", "fn1"} <= ids
    assert {"#fn1", "#fnref1"} <= hrefs
    classes = {a.get("class") for t, a in parsed.elements}
    assert {"footnote-ref", "footnote-backref"} <= classes


def test_arbitrary_classes_are_dropped_but_mailto_and_relative_urls_kept():
    html = to_html('<span class="evil">x</span> [m](mailto:a@b.de) [r](../a.html) [f](#top)')
    parsed = dom(html)
    assert all("class" not in a for _, a in parsed.elements)
    hrefs = [a["href"] for t, a in parsed.elements if t == "a"]
    assert hrefs == ["mailto:a@b.de", "../a.html", "#top"]


def test_inline_html_has_no_paragraph_and_ignores_block_syntax():
    assert inline_html("Der *Präsident*") == "Der <em>Präsident</em>"
    assert inline_html("# kein Titel") == "# kein Titel"
    assert inline_html("1. kein Listenpunkt") == "1. kein Listenpunkt"
