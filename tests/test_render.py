import base64
import hashlib
import json
import posixpath
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from markupsafe import escape
from pages import render_site, summaries

from translate_pipeline import quality, render, review
from translate_pipeline.render import (
    ArticlePage,
    Row,
    Site,
    Summary,
    Target,
    Version,
    relative,
    render_article,
    render_indexes,
    summarize,
)

BASE = "https://example.org/blog/"
ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
VOID = {"meta", "link", "input", "br", "hr", "img"}
EVIL = '</title><script>alert(1)</script> "quoted" & <b>bold</b>'


class Doc(HTMLParser):
    """Elements with attributes, text per tag, for asserting on rendered pages."""

    def __init__(self, html: bytes) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.parents: list[int] = []
        self.texts: dict[str, list[str]] = {}
        self._open: list[str] = []
        self._stack: list[int] = [-1]
        self.feed(html.decode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self.parents.append(self._stack[-1])
        if tag not in VOID:
            self._stack.append(len(self.elements) - 1)
        if tag in ("title", "script", "style", "h1"):
            self._open.append(tag)
            self.texts.setdefault(tag, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID:
            self._stack.pop()
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def children(self, index: int) -> list[dict[str, str]]:
        return [self.elements[i][1] for i, p in enumerate(self.parents) if p == index]

    def handle_data(self, data: str) -> None:
        for tag in self._open:
            self.texts[tag][-1] += data

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a
            for t, a in self.elements
            if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def meta(self, prop: str) -> str:
        (found,) = self.all("meta", property=prop) or self.all("meta", name=prop)
        return found["content"]


def _ancestors(doc: Doc, index: int) -> list[int]:
    found = []
    while (index := doc.parents[index]) != -1:
        found.append(index)
    return found


def page(
    slug: str = "erster-artikel",
    date: str = "15. März 2025",
    title: str = "Über das Übersetzen",
    rows: tuple[Row, ...] | None = None,
    machine_translated: bool = True,
) -> ArticlePage:
    if rows is None:
        rows = (
            Row("heading", "<h1>Einleitung</h1>", "<h1>Introduction</h1>", level=1),
            Row("paragraph", "<p>Ein Absatz.</p>", "<p>A paragraph.</p>"),
            Row("list_item", "Eins", "One", ordered=True, number=1),
            Row("list_item", "Unter", "Sub", level=1),
            Row("list_item", "Zwei", "Two", ordered=True, number=2),
            Row("heading", "<h2>Mehr</h2>", "<h2>More</h2>", level=2, note="needs review"),
            Row("paragraph", '<p>Fuß<a href="#fn:1">1</a></p>', '<p>Foot<a href="#fn:1">1</a></p>'),
            Row(
                "paragraph", "<p>Already English.</p>", "<p>Already English.</p>", source_lang="en"
            ),
            Row("paragraph", "<p>Unübersetzt.</p>", "<p>Unübersetzt.</p>", target_lang="de"),
            Row("reference", "", ""),
            Row(
                "footnote", '<ol><li id="fn:1">Notiz</li></ol>', '<ol><li id="fn:1">Note</li></ol>'
            ),
        )
    return ArticlePage(
        slug=slug,
        author="Erika Mustermann",
        date=date,
        source=Version(
            "de", title, "Eine Einführung.", "<h1>Einleitung</h1><p>Text</p>", "wort " * 450
        ),
        targets=(
            Target(
                Version(
                    "en", f"EN {title}", "An introduction.", "<h1>Intro</h1><p>Text</p>", "w " * 90
                ),
                rows,
                machine_translated,
            ),
        ),
    )


def site(base_url: str | None = BASE) -> dict[str, bytes]:
    pages = [
        page(),
        page(slug="aelter", date="2.1.2024", title="Älter"),
        page(slug="ohne-jahr", date="15. März", title="Ohne Jahr"),
        page(slug="b-gleicher-tag", date="2025-03-15", title="Gleicher Tag"),
    ]
    return render_site(pages, base_url=base_url)


def test_site_has_every_file() -> None:
    files = site()
    for slug in ("erster-artikel", "aelter", "ohne-jahr", "b-gleicher-tag"):
        for version in ("de", "en", "de-en"):
            assert f"{version}/{slug}/index.html" in files
    for name in ("index.html", "de/index.html", "en/index.html", "404.html", "sitemap.xml"):
        assert name in files
    assert {"de/feed.xml", "en/feed.xml"} <= files.keys()


def test_feeds_carry_the_newest_articles_and_the_indexes_all() -> None:
    """Readers fetch a feed on every poll: an archive's would be hundreds of megabytes."""
    days = [f"{day:02d}.{month:02d}.2024" for month in (1, 2, 3) for day in range(1, 26)]
    pages = [page(slug=f"tag-{i:02d}", date=date, title=f"Tag {i}") for i, date in enumerate(days)]
    files = render_site(pages, base_url=BASE)
    for lang in ("de", "en"):
        entries = ET.fromstring(files[f"{lang}/feed.xml"]).findall(f"{ATOM}entry")
        assert len(entries) == render.FEED_ENTRIES < len(pages)
        links = [entry.find(f"{ATOM}link").get("href") for entry in entries]
        newest = [f"tag-{i:02d}" for i in range(len(days) - 1, len(days) - 1 - len(links), -1)]
        assert [link.split("/")[-2] for link in links] == newest
        index = files[f"{lang}/index.html"].decode()
        assert all(f"tag-{i:02d}/" in index for i in range(len(days)))


def newest_first(entries: list[Summary]) -> list[str]:
    return [s.slug for s in sorted(entries, key=lambda s: render._sort_key(s.date, s.slug))]


def listed(html: bytes) -> list[str]:
    """The slugs an index page links to, once each, in page order."""
    found = re.findall(r'href="(?:[a-z-]+/)?(a-\d+)/index\.html"', html.decode())
    return list(dict.fromkeys(found))


def test_indexes_are_paginated_and_every_article_is_on_one_page() -> None:
    """An archive's index would be hundreds of MB in one file; each page has INDEX_PAGE
    articles and links to the newest, newer, older and oldest pages that exist."""
    entries = summaries(4 * render.INDEX_PAGE + 1)
    files = dict(render_indexes(entries, Site(base_url=BASE)))
    for folder, lang in (("", "en"), ("en/", "en"), ("de/", "de")):
        pages = [files[render.index_path(folder, n)] for n in range(1, 6)]
        assert render.index_path(folder, 6) not in files
        assert [slug for html in pages for slug in listed(html)] == newest_first(entries)
        assert [len(listed(html)) for html in pages] == [render.INDEX_PAGE] * 4 + [1]
        for number, html in enumerate(pages, 1):
            doc = Doc(html)
            (nav,) = doc.all("nav", **{"class": "pager"})
            assert nav["aria-label"] == {"en": "Pages", "de": "Seiten"}[lang]
            pager = re.search(r'<nav class="pager".*?</nav>', html.decode(), re.S).group()
            neighbours = {1, number - 1, number + 1, 5} - {0, 6, number}
            hrefs = re.findall(r'href="([^"]+)"', pager)
            assert sorted(hrefs) == sorted(render.index_path("", n) for n in neighbours)
            assert [a["href"] for a in doc.all("a", rel="prev")] == (
                [render.index_path("", number - 1)] if number > 1 else []
            )
            assert [a["href"] for a in doc.all("a", rel="next")] == (
                [render.index_path("", number + 1)] if number < 5 else []
            )
            label = {"en": f"Page {number} of 5", "de": f"Seite {number} von 5"}[lang]
            assert label in pager
            assert (label in doc.texts["title"][0]) == (number > 1)

            def url(path: str) -> str:
                return BASE + path.removesuffix("index.html")

            assert doc.all("link", rel="canonical")[0]["href"] == url(
                render.index_path(folder, number)
            )
            alternates = {
                a["hreflang"]: a["href"]
                for a in doc.all("link", rel="alternate")
                if "hreflang" in a
            }
            assert alternates == {
                "de": url(render.index_path("de/", number)),
                "en": url(render.index_path("en/", number)),
                "x-default": url(render.index_path("", number)),
            }
    # Every relative link of every index page leads to a file of the site or an article.
    for name, data in files.items():
        if name.endswith(".html"):
            for href in re.findall(r'href="([^"#:]+)"', data.decode()):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(name), href))
                assert target in files or re.fullmatch(r"[a-z-]+/a-\d+/index\.html", target)


def test_an_index_of_exactly_one_page_has_no_pager() -> None:
    files = dict(render_indexes(summaries(render.INDEX_PAGE), Site()))
    assert not any(re.fullmatch(r"(\w+/)?index-\d+\.html", name) for name in files)
    for name in ("index.html", "de/index.html", "en/index.html"):
        assert b'class="pager"' not in files[name]
        assert len(listed(files[name])) == render.INDEX_PAGE


def test_sitemap_past_the_protocols_url_limit_is_an_index_of_sitemaps() -> None:
    """50,000 URLs per sitemap at most: a larger site gets a sitemap index of that name."""
    versions = ("de", "en", "de-en")
    count = (render.SITEMAP_URLS - 3) // len(versions) + 1  # one article too many
    entries = summaries(count)
    files = dict(render_indexes(entries, Site(base_url=BASE)))
    root = ET.fromstring(files["sitemap.xml"])
    assert root.tag == f"{SM}sitemapindex"
    locs = [s.findtext(f"{SM}loc") for s in root.findall(f"{SM}sitemap")]
    assert locs == [f"{BASE}sitemap-1.xml", f"{BASE}sitemap-2.xml"]
    parts = [ET.fromstring(files[f"sitemap-{n}.xml"]).findall(f"{SM}url") for n in (1, 2)]
    total = 3 + len(versions) * count
    assert [len(part) for part in parts] == [render.SITEMAP_URLS, total - render.SITEMAP_URLS]
    urls = [u.findtext(f"{SM}loc") for part in parts for u in part]
    expected = [f"{BASE}{v}/{slug}/" for slug in newest_first(entries) for v in versions]
    assert urls == [BASE, f"{BASE}de/", f"{BASE}en/", *expected]

    smaller = dict(render_indexes(entries[:-1], Site(base_url=BASE)))
    assert ET.fromstring(smaller["sitemap.xml"]).tag == f"{SM}urlset"
    assert not any(name.startswith("sitemap-") for name in smaller)


def test_sitemaps_are_split_to_stay_within_the_protocols_byte_limit(monkeypatch) -> None:
    """Many languages make each URL long: 50,000 of them can pass 50 MB."""
    single = ET.fromstring(dict(render_indexes(summaries(40), Site(base_url=BASE)))["sitemap.xml"])
    monkeypatch.setattr(render, "SITEMAP_BYTES", 8_000)
    files = dict(render_indexes(summaries(40), Site(base_url=BASE)))
    whole = ET.fromstring(files["sitemap.xml"])
    assert whole.tag == f"{SM}sitemapindex"
    names = [s.findtext(f"{SM}loc").removeprefix(BASE) for s in whole.findall(f"{SM}sitemap")]
    assert len(names) > 2 and names == [f"sitemap-{n}.xml" for n in range(1, len(names) + 1)]
    assert all(len(files[name]) <= 8_000 for name in names)
    split = [u for name in names for u in ET.fromstring(files[name]).findall(f"{SM}url")]

    def entry(url: ET.Element) -> tuple:
        links = [(a.get("hreflang"), a.get("href")) for a in url.findall(f"{XHTML}link")]
        return url.findtext(f"{SM}loc"), url.findtext(f"{SM}lastmod"), links

    assert [entry(u) for u in split] == [entry(u) for u in single.findall(f"{SM}url")]


def test_escaping_everywhere() -> None:
    evil = ArticlePage(
        slug="evil",
        author='Eve "<i>"',
        date="<b>gestern</b>",
        source=Version("de", EVIL, EVIL, "<p>ok</p>", "ok"),
        targets=(
            Target(
                Version("en", EVIL, EVIL, "<p>ok</p>", "ok"),
                (Row("paragraph", "<p>ok</p>", "<p>ok</p>", note=EVIL),),
            ),
        ),
    )
    files = render_site([evil], base_url=BASE, site_title=EVIL)
    for name, data in files.items():
        assert b"<script>alert" not in data, name
        assert b"<b>bold" not in data and b"<i>" not in data, name
        if name.endswith(".html"):
            doc = Doc(data)
            assert EVIL in doc.texts["title"][0], name
            if doc.all("meta", property="og:title"):
                assert EVIL in doc.meta("og:title"), name
            scripts = doc.texts.get("script", [])
            assert all("alert" not in s for s in scripts), name
    de = Doc(files["de/evil/index.html"])
    assert de.meta("og:description") == EVIL
    assert de.meta("author") == 'Eve "<i>"'
    assert de.texts["h1"] == [EVIL]
    for index in ("index.html", "de/index.html", "en/index.html"):
        assert str(escape(EVIL)).encode() in files[index]
    for feed in ("de/feed.xml", "en/feed.xml"):
        root = ET.fromstring(files[feed])
        assert root.find(f"{ATOM}title").text.startswith(EVIL)
        assert root.find(f"{ATOM}entry/{ATOM}title").text == EVIL
        assert root.find(f"{ATOM}entry/{ATOM}summary").text == EVIL


def test_sitemap_lists_every_version_with_reciprocal_alternates() -> None:
    files = site()
    root = ET.fromstring(files["sitemap.xml"])
    assert root.tag == f"{SM}urlset"
    urls = {
        u.findtext(f"{SM}loc"): {
            link.get("hreflang"): link.get("href") for link in u.findall(f"{XHTML}link")
        }
        for u in root.findall(f"{SM}url")
    }
    assert len(urls) == len(root.findall(f"{SM}url")) == 3 + 4 * 3
    assert all(loc.startswith(BASE) for loc in urls)
    for slug in ("erster-artikel", "aelter", "ohne-jahr", "b-gleicher-tag"):
        de, en, bi = (f"{BASE}{v}/{slug}/" for v in ("de", "en", "de-en"))
        assert urls[de] == urls[en] == {"de": de, "en": en}
        assert urls[bi] == {}  # the bilingual page is listed but is no hreflang alternate
    assert urls[BASE] == {"de": f"{BASE}de/", "en": f"{BASE}en/", "x-default": BASE}
    lastmod = {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in root}
    assert lastmod[f"{BASE}de/erster-artikel/"] == "2025-03-15"
    assert lastmod[f"{BASE}de/ohne-jahr/"] is None


def test_no_sitemap_without_base_url_and_relative_links() -> None:
    files = site(base_url=None)
    assert "sitemap.xml" not in files
    doc = Doc(files["en/aelter/index.html"])
    assert doc.all("link", rel="canonical")[0]["href"] == "index.html"
    alternates = {
        a["hreflang"]: a["href"] for a in doc.all("link", rel="alternate") if "hreflang" in a
    }
    assert alternates == {"de": "../../de/aelter/index.html", "en": "index.html"}
    assert not doc.all("meta", property="og:url")
    assert b"https://" not in b"".join(files.values())


@pytest.mark.parametrize("base_url", [BASE, None])
def test_feeds_are_valid_atom(base_url: str | None) -> None:
    files = site(base_url)
    for lang in ("de", "en"):
        root = ET.fromstring(files[f"{lang}/feed.xml"])
        assert root.tag == f"{ATOM}feed"
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
        for required in ("id", "title", "updated"):
            assert root.findtext(f"{ATOM}{required}")
        entries = root.findall(f"{ATOM}entry")
        assert len(entries) == 4
        times = []
        for entry in entries:
            for required in ("id", "title", "updated", "summary"):
                assert entry.findtext(f"{ATOM}{required}"), required
            assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Erika Mustermann"
            assert entry.find(f"{ATOM}link").get("href")
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", entry.findtext(f"{ATOM}updated"))
            times.append(entry.findtext(f"{ATOM}updated"))
        assert root.findtext(f"{ATOM}updated") == max(times) == "2025-03-15T00:00:00Z"
        ids = [e.findtext(f"{ATOM}id") for e in entries] + [root.findtext(f"{ATOM}id")]
        assert len(set(ids)) == len(ids)
        links = [e.find(f"{ATOM}link").get("href") for e in entries]
        if base_url:
            assert links[0] == f"{BASE}{lang}/b-gleicher-tag/"
            assert ids[0] == links[0]
            self_link = root.find(f"{ATOM}link[@rel='self']")
            assert self_link.get("href") == f"{BASE}{lang}/feed.xml"
        else:
            assert links[0] == "b-gleicher-tag/index.html"  # relative to the feed
            assert all(i.startswith("urn:uuid:") for i in ids)


def test_articles_sorted_newest_first_then_slug_yearless_last() -> None:
    titles = [e.findtext(f"{ATOM}title") for e in ET.fromstring(site()["de/feed.xml"])[5:]]
    assert titles == ["Gleicher Tag", "Über das Übersetzen", "Älter", "Ohne Jahr"]
    index = site()["de/index.html"].decode()
    slugs = ("b-gleicher-tag", "erster-artikel", "aelter", "ohne-jahr")
    positions = [index.index(f'"{slug}/index.html"') for slug in slugs]
    assert positions == sorted(positions)


def test_bilingual_rows_pair_each_block_with_lang_attributes() -> None:
    article = page()
    doc = Doc(render_article(article, Site())["de-en/erster-artikel/index.html"])
    rows = [i for i, (t, a) in enumerate(doc.elements) if a.get("class", "").startswith("row k-")]
    shown = [r for r in article.targets[0].rows if r.source_html or r.target_html]
    assert len(rows) == len(shown) == len(article.targets[0].rows) - 1  # the empty reference row
    for row, index in zip(shown, rows):
        de, en = doc.children(index)
        assert (de["class"], de["lang"]) == ("de", row.source_lang or "de")
        assert (en["class"], en["lang"]) == ("en", row.target_lang or "en")
    assert doc.all("html")[0]["lang"] == "en"


def test_bilingual_blocks_get_matching_elements() -> None:
    html = render_article(page(), Site())["de-en/erster-artikel/index.html"].decode()
    assert '<div class="de" lang="de"><h2>Einleitung</h2></div>' in html
    assert '<div class="en" lang="en"><h3>More</h3><p class="note" lang="en">' in html
    assert '<ol class="d0" start="1"><li>Eins</li></ol>' in html
    assert '<ul class="d1"><li>Sub</li></ul>' in html
    assert '<ol class="d0" start="2"><li>Two</li></ol>' in html  # numbered across the run
    assert 'href="#fn:1"' in html and 'href="#en-fn:1"' in html
    assert '<li id="fn:1">Notiz' in html and '<li id="en-fn:1">Note' in html
    assert ">needs review</p>" in html


def test_bare_inline_fragments_are_wrapped() -> None:
    rows = (
        Row("heading", "Titel", "Title", level=3),
        Row("paragraph", "Text <em>hier</em>", "Text <em>here</em>"),
        Row("list_item", "Punkt", "Point", level=2),
        Row("quote", "Zitat", "Quote"),
        Row("rule", "", ""),
    )
    html = render_article(page(rows=rows), Site())["de-en/erster-artikel/index.html"].decode()
    assert '<div class="de" lang="de"><h3>Titel</h3></div>' in html  # h3 is no top level to move
    assert "<p>Text <em>here</em></p>" in html
    assert '<ul class="d2"><li>Punkt</li></ul>' in html
    assert "<blockquote>Quote</blockquote>" in html
    assert html.count("<hr>") == 2


def test_versions_link_each_other_with_hreflang_and_lang() -> None:
    files = site()
    for version, lang in (("de", "de"), ("en", "en"), ("de-en", "en")):
        doc = Doc(files[f"{version}/aelter/index.html"])
        assert doc.all("html")[0]["lang"] == lang
        assert doc.all("link", rel="canonical")[0]["href"] == f"{BASE}{version}/aelter/"
        alternates = {
            a["hreflang"]: a["href"] for a in doc.all("link", rel="alternate") if "hreflang" in a
        }
        assert alternates == {"de": f"{BASE}de/aelter/", "en": f"{BASE}en/aelter/"}
        (nav,) = [i for i, (t, _) in enumerate(doc.elements) if t == "nav"]
        links = [
            a for i, (t, a) in enumerate(doc.elements) if t == "a" and nav in _ancestors(doc, i)
        ]
        expected = [
            relative(f"{v}/aelter/index.html", f"{version}/aelter/index.html")
            for v in ("de", "en", "de-en")
        ]
        assert [a["href"] for a in links] == expected
        assert [a.get("aria-current") for a in links].count("page") == 1
        assert links[("de", "en", "de-en").index(version)]["aria-current"] == "page"
        assert [a.get("hreflang") for a in links] == ["de", "en", None]
        assert doc.meta("og:url") == f"{BASE}{version}/aelter/"
        assert doc.meta("og:locale") == {"de": "de_DE", "en": "en_GB"}[lang]
    de, en = Doc(files["de/aelter/index.html"]), Doc(files["en/aelter/index.html"])
    assert de.meta("og:title") == "Älter" and en.meta("og:title") == "EN Älter"
    assert de.meta("og:description") == "Eine Einführung."
    assert en.meta("og:description") == "An introduction."


def test_dates_and_reading_time_per_language() -> None:
    files = site()
    de, en = files["de/erster-artikel/index.html"], files["en/erster-artikel/index.html"]
    assert '<time datetime="2025-03-15">15. März 2025</time>'.encode() in de
    assert b'<time datetime="2025-03-15">15 March 2025</time>' in en
    assert b"2 Min. Lesezeit" in de and b"1 min read" not in de  # 450 words
    assert b"1 min read" in en  # 90 words
    assert '<time datetime="--03-15">15. März</time>'.encode() in files["de/ohne-jahr/index.html"]
    assert "15. März 2025".encode() in files["de/index.html"]
    assert b"15 March 2025" in files["en/index.html"]
    assert b"2 January 2024" in files["en/index.html"] and b"1 min read" in files["en/index.html"]


def test_unreadable_date_is_shown_as_written() -> None:
    files = render_article(page(date="Frühjahr 2025"), Site())
    assert '<span lang="de">Frühjahr 2025</span>'.encode() in files["en/erster-artikel/index.html"]
    assert b"<time" not in files["en/erster-artikel/index.html"]


def test_machine_translation_note_on_english_and_bilingual_only() -> None:
    files = render_article(page(), Site())
    note = b'class="mt-note"'
    assert note in files["en/erster-artikel/index.html"]
    assert note in files["de-en/erster-artikel/index.html"]
    assert note not in files["de/erster-artikel/index.html"]
    human = render_article(page(machine_translated=False), Site())
    assert all(note not in data for data in human.values())


def test_body_headings_start_at_h2_below_the_title() -> None:
    html = render_article(page(), Site())["de/erster-artikel/index.html"].decode()
    assert "<h2>Einleitung</h2>" in html and html.count("<h1") == 1


def test_render_is_deterministic_and_independent_of_input_order() -> None:
    pages = [page(), page(slug="aelter", date="2.1.2024"), page(slug="z", date="")]
    first = render_site(pages, base_url=BASE)
    assert first == render_site(pages, base_url=BASE)
    assert first == render_site(list(reversed(pages)), base_url=BASE)
    assert list(first) == sorted(first)


def test_render_site_is_articles_plus_indexes_and_summary_survives_json() -> None:
    pages = [page(), page(slug="aelter", date="2.1.2024")]
    summaries = [Summary(**json.loads(json.dumps(summarize(p).__dict__))) for p in pages]
    combined = dict(render_indexes(summaries, Site(base_url=BASE)))
    for p in pages:
        combined.update(render_article(p, Site(base_url=BASE)))
    assert combined == render_site(pages, base_url=BASE)


def test_page_budget_excluding_article_text() -> None:
    """A long article: everything but its own text (chrome, CSS, row markup) stays < 50 KB."""
    rows = tuple(
        Row(
            "paragraph",
            f"<p>Absatz {i} " + "wort " * 60 + "</p>",
            f"<p>Para {i} " + "w " * 90 + "</p>",
        )
        for i in range(300)
    )
    body_de = "".join(r.source_html for r in rows)
    body_en = "".join(r.target_html for r in rows)
    long = ArticlePage(
        slug="lang",
        author="A",
        date="2025-01-01",
        source=Version("de", "Lang", "Lang.", body_de, body_de),
        targets=(Target(Version("en", "Long", "Long.", body_en, body_en), rows),),
    )
    files = render_site([long])
    assert len(files["de-en/lang/index.html"]) - len(body_de) - len(body_en) < 50_000
    assert len(files["de/lang/index.html"]) - len(body_de) < 50_000
    assert len(files["en/lang/index.html"]) - len(body_en) < 50_000
    for name in ("index.html", "de/index.html", "en/index.html", "404.html"):
        assert len(files[name]) < 50_000


@pytest.mark.parametrize("base_url", [BASE, None])
def test_relative_links_resolve_to_files_in_the_site(base_url: str | None) -> None:
    files = site(base_url)
    checked = 0
    for name, data in files.items():
        if not name.endswith(".html") or name == "404.html":
            continue
        for tag, attrs in Doc(data).elements:
            href = attrs.get("href") or attrs.get("src")
            if not href or href.startswith(("#", "data:", BASE)) or tag == "meta":
                continue
            assert "://" not in href, (name, href)
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), href.split("#")[0]))
            assert target in files, (name, href)
            checked += 1
    assert checked > 100


def test_404_links_work_from_any_depth_with_base_url() -> None:
    doc = Doc(site()["404.html"])
    hrefs = {a["href"] for a in doc.all("a") if a["href"] != "#main"}
    assert hrefs == {BASE, f"{BASE}de/", f"{BASE}en/"}
    assert doc.meta("robots") == "noindex"


def test_no_external_requests_and_csp_allows_only_our_script() -> None:
    for name, data in site().items():
        if not name.endswith(".html"):
            continue
        doc = Doc(data)
        assert not [a for t, a in doc.elements if t in ("img", "script", "iframe") and "src" in a]
        assert not doc.all("link", rel="stylesheet")
        (csp,) = doc.all("meta", http_equiv="Content-Security-Policy")
        assert "default-src 'self'" in csp["content"]
        for script in doc.texts.get("script", []):
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp["content"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pages": [page(slug="../x")]}, "slug"),
        ({"pages": [page(), page()]}, "share a slug"),
        ({"pages": [page()], "base_url": "example.org"}, "base-url"),
        ({"pages": [page()], "base_url": "https:///"}, "base-url"),
    ],
)
def test_invalid_input_is_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_site(**kwargs)


# --- more target languages ------------------------------------------------------------------

UI_WORDS = {  # a word of each language's machine-translation note
    "en": "machine-translated",
    "fr": "traduit automatiquement",
    "uk": "перекладено автоматично",
    "es": "traducción automática",
}


def multi_page(slug: str, targets: tuple[str, ...], date: str = "2025-03-15") -> ArticlePage:
    rows = (Row("paragraph", "<p>Hallo Welt.</p>", "<p>[{lang}] Hello.</p>"),)
    return ArticlePage(
        slug=slug,
        author="Erika Mustermann",
        date=date,
        source=Version("de", f"Titel {slug}", "Beschreibung.", "<p>Hallo Welt.</p>", "Hallo"),
        targets=tuple(
            Target(
                Version(lang, f"{lang.upper()} {slug}", f"{lang} desc", f"<p>{lang}</p>", lang),
                tuple(
                    Row(r.kind, r.source_html, r.target_html.format(lang=lang), target_lang=lang)
                    for r in rows
                ),
            )
            for lang in targets
        ),
    )


def test_three_target_languages_make_pages_pairs_indexes_and_hreflang() -> None:
    targets = ("en", "fr", "uk")
    files = render_site(
        [multi_page("eins", targets), multi_page("zwei", targets, "2024-01-02")],
        base_url=BASE,
        targets=targets,
    )
    langs = ("de", *targets)
    for slug in ("eins", "zwei"):
        for version in (*langs, "de-en", "de-fr", "de-uk"):
            assert f"{version}/{slug}/index.html" in files
    for lang in langs:
        assert {f"{lang}/index.html", f"{lang}/feed.xml"} <= files.keys()
        feed = ET.fromstring(files[f"{lang}/feed.xml"])
        assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
        assert [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")] == [
            "Titel eins" if lang == "de" else f"{lang.upper()} eins",
            "Titel zwei" if lang == "de" else f"{lang.upper()} zwei",
        ]
    cluster = {lang: f"{BASE}{lang}/eins/" for lang in langs}
    for version, lang in (*((v, v) for v in langs), ("de-fr", "fr"), ("de-uk", "uk")):
        doc = Doc(files[f"{version}/eins/index.html"])
        assert doc.all("html")[0]["lang"] == lang
        alternates = {
            a["hreflang"]: a["href"] for a in doc.all("link", rel="alternate") if "hreflang" in a
        }
        assert alternates == cluster, version
        assert {m["content"] for m in doc.all("meta", property="og:locale:alternate")} == {
            {"de": "de_DE", "en": "en_GB", "fr": "fr_FR", "uk": "uk_UA"}[other]
            for other in langs
            if other != lang
        }
    # The French page links every language, and its own bilingual page.
    french = Doc(files["fr/eins/index.html"])
    (nav,) = [i for i, (t, _) in enumerate(french.elements) if t == "nav"]
    links = [
        a for i, (t, a) in enumerate(french.elements) if t == "a" and nav in _ancestors(french, i)
    ]
    assert [a["href"] for a in links] == [
        relative(f"{v}/eins/index.html", "fr/eins/index.html")
        for v in ("de", "en", "fr", "uk", "de-fr")
    ]
    # The German page links every bilingual page.
    german = Doc(files["de/eins/index.html"])
    (nav,) = [i for i, (t, _) in enumerate(german.elements) if t == "nav"]
    hrefs = [
        a["href"]
        for i, (t, a) in enumerate(german.elements)
        if t == "a" and nav in _ancestors(german, i)
    ]
    assert hrefs[-3:] == [f"../../{v}/eins/index.html" for v in ("de-en", "de-fr", "de-uk")]
    # Sitemap: every language page with the full cluster, every bilingual page plain.
    root = ET.fromstring(files["sitemap.xml"])
    urls = {
        u.findtext(f"{SM}loc"): {
            link.get("hreflang"): link.get("href") for link in u.findall(f"{XHTML}link")
        }
        for u in root.findall(f"{SM}url")
    }
    for lang in langs:
        assert urls[f"{BASE}{lang}/eins/"] == cluster
    for pair in ("de-en", "de-fr", "de-uk"):
        assert urls[f"{BASE}{pair}/eins/"] == {}
    # The bilingual de-fr page pairs German with French, in French.
    bilingual = files["de-fr/eins/index.html"].decode()
    assert (
        '<div class="de" lang="de"><p>Hallo Welt.</p></div><div class="fr" lang="fr">' in bilingual
    )
    assert "[fr] Hello." in bilingual and "[uk]" not in bilingual


@pytest.mark.parametrize(
    ("lang", "date"),
    [("fr", "15 mars 2025"), ("uk", "15 березня 2025"), ("es", "15 de marzo de 2025")],
)
def test_each_shipped_language_has_its_own_words_and_dates(lang: str, date: str) -> None:
    files = render_site([multi_page("eins", ("en", lang))], targets=("en", lang))
    html = files[f"{lang}/eins/index.html"].decode()
    assert UI_WORDS[lang] in html
    assert f'<time datetime="2025-03-15">{date}</time>' in html
    assert UI_WORDS["en"] not in html
    assert "English" not in Doc(files[f"de-{lang}/eins/index.html"]).texts["title"][0]


def test_right_to_left_targets_and_languages_without_ui_strings() -> None:
    files = render_site([multi_page("eins", ("en", "ar"))], targets=("en", "ar"))
    page = Doc(files["ar/eins/index.html"])
    assert page.all("html")[0] == {"lang": "ar", "dir": "rtl"}
    assert Doc(files["en/eins/index.html"]).all("html")[0] == {"lang": "en"}
    bilingual = files["de-ar/eins/index.html"].decode()
    assert '<html lang="ar" dir="rtl">' in bilingual
    assert '<div class="de" lang="de" dir="auto"><p>Hallo Welt.</p></div>' in bilingual
    nav_link = [a for a in Doc(files["de/eins/index.html"]).all("a") if a.get("hreflang") == "ar"]
    assert nav_link and all(a.get("dir") == "rtl" for a in nav_link)
    # No UI strings for Arabic: English words, but none that call the text English, and ISO dates.
    html = files["ar/eins/index.html"].decode()
    assert "English" not in html.split("<main", 1)[1].split("</main>")[0]
    assert '<time datetime="2025-03-15">2025-03-15</time>' in html
    home = files["ar/index.html"].decode()
    assert "العربية" in files["index.html"].decode() and 'dir="rtl"' in home


def test_the_review_page_shows_the_riskiest_of_an_archives_queue() -> None:
    """A queue of an archive would make a page no browser opens: the page shows the
    REVIEW_ITEMS most likely wrong (the queue comes ranked), says how many there are and
    where to find all, and lists the REVIEW_ARTICLES articles with most of them."""
    articles = render.REVIEW_ARTICLES + 5
    count = render.REVIEW_ITEMS + 7
    queue = [
        review.Item(
            po=f"translations/de-en/a-{i % articles}.po",
            line=i,
            article=f"content/a-{i % articles}.md",
            article_line=i,
            where="paragraph 1",
            german=f"Satz {i}",
            english=f"Sentence {i}",
            signals=(quality.Signal("numbers" if i % 2 else "names", 3, "why"),),
        )
        for i in range(count)
    ]
    html = render.render_review(queue, Site()).decode()
    doc = Doc(html.encode())
    shown = doc.all("li", **{"class": "item"})
    assert [item["id"] for item in shown] == [
        f"item-{n}" for n in range(1, render.REVIEW_ITEMS + 1)
    ]
    assert (
        f"Sentence {render.REVIEW_ITEMS - 1}<" in html
        and f"Sentence {render.REVIEW_ITEMS}<" not in html
    )
    assert f"{count} machine translation(s) to check" in html
    assert f"this page shows the first {render.REVIEW_ITEMS}" in html and "check --review" in html
    counts = re.findall(r'value="(\w+)" checked> \w+ <span class="count">\((\d+)\)', html)
    half = str(render.REVIEW_ITEMS // 2)  # of the items shown, which the filters act on
    assert dict(counts) == {"names": half, "numbers": half}
    assert len(re.findall(r"<tr><td><code>content/a-", html)) == render.REVIEW_ARTICLES
    assert f"(the {render.REVIEW_ARTICLES} with most, of {articles})" in html

    small = render.render_review(queue[:10], Site()).decode()
    assert "this page shows" not in small and "with most, of" not in small
    assert small.count('class="item"') == 10
