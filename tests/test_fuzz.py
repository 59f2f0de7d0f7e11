"""Generated Markdown through the whole pipeline (issue 8, "Nothing lost").

Hypothesis writes articles of headings, paragraphs, nested lists, quotes, tables, code and
rules, with odd Unicode in the text (combining marks, right-to-left scripts and controls,
emoji sequences, zero-width characters). Each one is built with the real test model into a
fresh folder; the build must not crash, every block must come out as exactly one row of the
bilingual page, in order, with text on both sides and the same punctuation and symbols on
both sides (the test model copies all but a word list), every page must be well-formed HTML
without the pipeline's inline placeholders, the feeds must be XML, and every unit must be in
the translation memory the build wrote.

The generator counts its own blocks, so the article parser is checked against an
independent count, not against itself. Fixed seed, bounded examples. Two known limitations
are kept out of the generated input and reported instead: a title is read as inline
Markdown, so backslash escapes and entities in it are resolved on the English side; and a
link whose text is only whitespace comes out as an autolink.
"""

from __future__ import annotations

import html as html_module
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translate_pipeline import build, config, memory, models, sanitize
from translate_pipeline.articles import (
    ArticleError,
    article_units,
    parse_article,
    read_text,
)
from translate_pipeline.engine import Engine
from translate_pipeline.markup.commonmark import parser

# --- the model, loaded once ------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(test_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path_factory.mktemp("argos-packages")))
        package = models.install_from_file(test_package)
        yield Engine(package)


# --- generated Markdown ---------------------------------------------------------------------

WORDS = [
    "Der", "Präsident", "sagte", "nicht", "Krieg", "und", "Frieden", "heute", "Regierung",
    "Haus", "über", "Straße", "ist", "sehr", "aber", "Kanzler", "gestern", "Zeitung", "2025",
    "3,5", "%", "&", "<", ">", "-", "…", "„Zitat“", "(Klammer)", "A&B", "a<b", "[Teil 1]",
    "***", "a_b_c", "\\", "\\*", "&amp;", "<b>fett</b>", "https://example.org/a_b",
]  # fmt: skip
ODD = [
    "e\u0301",  # e + combining acute
    "a\u0308\u0323",  # stacked combining marks
    "\u0301",  # a combining mark with nothing to combine with
    "שלום עולם",  # Hebrew (RTL)
    "مرحبا",  # Arabic (RTL)
    "\u202eabc\u202c",  # right-to-left override ... pop
    "\u200f",  # right-to-left mark
    "\u2067x\u2069",  # right-to-left isolate
    "👩\u200d👩\u200d👧",  # emoji ZWJ sequence
    "🇩🇪",  # regional indicators
    "👍🏽",  # emoji with skin-tone modifier
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # zero-width no-break space (a BOM mid-text)
    "Stra\u00dfe\u00ad",  # soft hyphen
    "\u00a0",  # no-break space
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",  # astral plane letters
    "ﬁ",  # ligature (NFKC changes it)
    "\u2028",  # line separator (str.splitlines splits here)
    "\u0085",  # next line (ditto)
]


def _word() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(WORDS), st.sampled_from(WORDS), st.sampled_from(ODD))


@st.composite
def inline(draw: st.DrawFn, lead: bool = True) -> str:
    """A line of inline Markdown; with `lead` it starts with a word, so it cannot open a
    block (a line starting with `-`, `>` or `<` would)."""
    words = draw(st.lists(_word(), min_size=1, max_size=8))
    spans = []
    for word in words:
        style = draw(st.sampled_from(["", "", "", "*", "**", "`", "link"]))
        if style == "link":
            # (Link text of only whitespace comes out as an autolink: a known markup quirk.)
            spans.append(f"[{word.strip() or 'x'}](https://example.org/{len(spans)})")
        elif style:
            spans.append(f"{style}{word.strip() or 'x'}{style}")
        else:
            spans.append(word)
    if not lead:
        return " ".join(spans)
    return draw(st.sampled_from(["Der", "Heute", "Krieg", "Frieden"])) + " " + " ".join(spans)


@dataclass(frozen=True)
class Doc:
    markdown: str
    kinds: tuple[str, ...]  # one per block the generator wrote


@st.composite
def blocks(draw: st.DrawFn) -> tuple[str, list[str]]:
    kind = draw(
        st.sampled_from(
            ["heading", "paragraph", "paragraph", "list", "list", "quote", "table", "code", "rule"]
        )
    )
    if kind == "heading":
        return "#" * draw(st.integers(1, 6)) + " " + draw(inline(lead=False)), ["heading"]
    if kind == "paragraph":
        lines = draw(st.lists(inline(), min_size=1, max_size=3))
        return "\n".join(lines), ["paragraph"]
    if kind == "list":
        depth = 0
        items = []
        ordered = draw(st.booleans())
        for _ in range(draw(st.integers(1, 6))):
            depth = draw(st.integers(0, depth + 1)) if items else 0
            marker = "1." if ordered else draw(st.sampled_from(["-", "*", "+"]))
            items.append("    " * depth + f"{marker} {draw(inline())}")
        return "\n".join(items), ["list_item"] * len(items)
    if kind == "quote":
        paragraphs = draw(st.lists(inline(), min_size=1, max_size=3))
        return "\n>\n".join(f"> {p}" for p in paragraphs), ["quote"] * len(paragraphs)
    if kind == "table":
        columns = draw(st.integers(1, 4))

        def row() -> str:
            cells = [draw(inline(lead=False)).replace("|", "/") for _ in range(columns)]
            return "| " + " | ".join(cells) + " |"

        body = [row() for _ in range(draw(st.integers(0, 3)))]
        return "\n".join([row(), "|" + "---|" * columns, *body]), ["table"]
    if kind == "code":
        code = draw(st.lists(_word(), min_size=1, max_size=5))
        return "```\n" + " ".join(code) + "\n```", ["code"]
    return "---", ["rule"]


@st.composite
def documents(draw: st.DrawFn) -> Doc:
    # The title is shown as written but read as inline Markdown on the way to the model:
    # backslash escapes and entities in it are known losses (\\* and &amp; come out in
    # English as * and &).
    # A first "# heading" with the title's words is the title itself (not repeated): the
    # prefix keeps generated headings from being one.
    title = "Überschrift: " + re.sub(r"\\|&(?=#?\w+;)", "/", draw(inline()))
    parts = draw(st.lists(blocks(), min_size=1, max_size=10))
    body = "\n\n".join(text for text, _ in parts)
    kinds = [kind for _, part_kinds in parts for kind in part_kinds]
    front = f"---\ntitle: {_yaml_string(title)}\nlang: de\n---\n\n"
    return Doc(front + body + "\n", tuple(kinds))


def _yaml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(
        r"[\x00-\x1f\x7f\u0085\u2028\u2029\ufeff]", lambda m: f"\\u{ord(m.group()):04x}", escaped
    )
    return f'"{escaped}"'


# --- checking HTML --------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
PLACEHOLDER = re.compile(r"</?\d+/?>|&lt;/?\d+/?&gt;")


class Page(HTMLParser):
    """Checks that elements nest properly; collects the bilingual page's rows."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.rows: list[dict[str, str]] = []  # kind, de text, en text
        self._cell: str | None = None
        self._cell_depth = 0
        self.feed(html)
        self.close()
        if self.stack:
            self.problems.append(f"unclosed: {self.stack}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div" and "row" in classes and "cols" not in classes:
            kind = next((c[2:] for c in classes if c.startswith("k-")), "?")
            self.rows.append({"kind": kind, "de": "", "en": ""})
        elif tag == "div" and self.rows and self._cell is None and classes in (["de"], ["en"]):
            self._cell, self._cell_depth = classes[0], len(self.stack)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.problems.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.problems.append(f"end tag for void <{tag}>")
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if self._cell is not None and len(self.stack) == self._cell_depth:
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self.rows[-1][self._cell] += data


def _visible(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def _symbols(text: str) -> str:
    return re.sub(r"[\w\s]+", "", text)


def _title(html: str) -> str:
    found = re.search(r'<h1 id="title">(.*?)</h1>', html, re.S)
    assert found is not None
    return html_module.unescape(found.group(1))


# --- the property ---------------------------------------------------------------------------


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(doc=documents())
def test_generated_markdown_survives_the_pipeline(engine: Engine, doc: Doc) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "glossaries").mkdir()
        source = root / "content" / "artikel.md"
        source.parent.mkdir()
        source.write_text(doc.markdown, encoding="utf-8")
        options = config.Options(
            content=root / "content",
            out=root / "site",
            translations=root / "translations",
            glossaries=root / "glossaries",
        )

        article = parse_article(source, read_text(source))
        assert tuple(b.kind for b in article.blocks) == doc.kinds

        report = build.build(options, backends=lambda pair: engine)

        assert (report.errors, report.skipped, report.articles) == ([], [], 1)
        pages = {
            lang: (root / "site" / lang / article.slug / "index.html").read_text("utf-8")
            for lang in ("de", "en", "de-en")
        }
        for lang, html in pages.items():
            parsed = Page(html)
            assert parsed.problems == [], lang
            assert not PLACEHOLDER.search(html), (lang, PLACEHOLDER.search(html))
        rows = Page(pages["de-en"]).rows
        assert [r["kind"] for r in rows] == list(doc.kinds)
        for block, row in zip(article.blocks, rows):
            if any(
                _visible(sanitize.prose(sanitize.clean(parser().render(u)))) for u in block.units
            ):
                assert _visible(row["de"]), (block, row)
            if _visible(row["de"]):
                assert _visible(row["en"]), (block, row)
        # The test model copies all but a word list, so both sides have the same
        # punctuation and symbols: nothing dropped, escaped or doubled on the way.
        for row in rows:
            assert _symbols(row["de"]) == _symbols(row["en"]), row
        assert _symbols(_title(pages["de"])) == _symbols(_title(pages["en"]))
        for feed in (root / "site").glob("*/feed.xml"):
            ET.fromstring(feed.read_bytes())
        po = memory.load(root / "translations" / "artikel.po")
        assert {u.text for u in article_units(article)} <= set(po.entries)


# --- NUL bytes ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(doc=documents(), where=st.floats(0, 1))
def test_nul_byte_anywhere_is_reported_as_binary_with_its_line(
    tmp_path_factory: pytest.TempPathFactory, doc: Doc, where: float
) -> None:
    data = doc.markdown.encode()
    cut = int(where * len(data))
    data = data[:cut] + b"\x00" + data[cut:]
    path = tmp_path_factory.mktemp("nul") / "artikel.md"
    path.write_bytes(data)

    with pytest.raises(ArticleError) as raised:
        read_text(path)

    line = data[:cut].count(b"\n") + 1
    assert str(raised.value) == (
        f"{path}:{line}: binary file (contains NUL bytes), not a text article"
    )
