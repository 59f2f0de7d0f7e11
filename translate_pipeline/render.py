"""Render articles as static German, English and side-by-side bilingual pages.

Navigation links are relative and name ``index.html`` files explicitly, so the site works
from a folder, over file:// and under a GitHub Pages subpath. ``base_url`` only makes the
canonical, hreflang, Open Graph, sitemap and feed URLs absolute.

Decisions:

* ``sitemap.xml`` is written only when ``base_url`` is given: the sitemap protocol requires
  absolute URLs, and crawlers drop relative ones.
* The German and English pages form the hreflang cluster (each lists both). The bilingual
  page has no hreflang of its own, because no language tag that search engines accept
  means "German beside English"; it is listed in the sitemap as a plain URL, and its own
  head points at the German and English versions with their hreflang.
* Feeds are always written. Without ``base_url`` their links are relative to the feed
  and ids are name-based ``urn:uuid``s; with it, both are absolute URLs.
* Dates that lack a year or cannot be read sort after dated articles; in feeds they take
  the newest known date (or the Unix epoch), so the output never depends on the clock.
* Every page carries a Content-Security-Policy that allows no external requests.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from translate_pipeline.dates import format_date, iso, parse_date

LANGS = ("de", "en")
BILINGUAL = "de-en"
WORDS_PER_MINUTE = 200
SITE_TITLE = "Artikel · Articles"

_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_XHTML_NS = "http://www.w3.org/1999/xhtml"
_ATOM_NS = "http://www.w3.org/2005/Atom"
_EPOCH = "1970-01-01T00:00:00Z"
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")
_HEADING = re.compile(r"\s*<h[1-6]((?:\s[^>]*)?)>(.*)</h[1-6]>\s*", re.DOTALL | re.I)
_LIST = re.compile(
    r"\s*<(ul|ol)((?:\s[^>]*)?)>\s*<li(?:\s[^>]*)?>(.*)</li>\s*</\1>\s*", re.DOTALL | re.I
)
_HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s>])", re.I)
_ID_ATTR = re.compile(r'(\sid=")')
_FRAGMENT_HREF = re.compile(r'(\shref="#)')
_BLOCK_START = re.compile(
    r"^\s*<(?:p|div|ul|ol|dl|figure|table|pre|blockquote|h[1-6]|hr)[\s>/]", re.IGNORECASE
)

_UI: dict[str, dict[str, str]] = {
    "de": {
        "skip": "Zum Inhalt springen",
        "versions": "Sprachversionen",
        "bilingual": "Zweisprachig",
        "articles": "Artikel",
        "minutes": "{n} Min. Lesezeit",
        "feed": "Atom-Feed",
        "empty": "Noch keine Artikel.",
    },
    "en": {
        "skip": "Skip to content",
        "versions": "Language versions",
        "bilingual": "Side by side",
        "articles": "Articles",
        "minutes": "{n} min read",
        "feed": "Atom feed",
        "empty": "No articles yet.",
        "mt_note": "This English text was machine-translated from the German original.",
        "original": "Read the original",
        "compare": "Compare side by side",
        "view": "Show",
        "both": "Both",
        "en_column": "English · machine translation",
        "en_column_reviewed": "English · translation",
        "side_by_side": "German and English side by side",
    },
}
_OG_LOCALE = {"de": "de_DE", "en": "en_GB"}


@dataclass(frozen=True)
class Row:
    """One row of the bilingual page: a German block beside its English block.

    Fragments may be the block rendered on its own (``<h2>…</h2>``, ``<ol><li>…</li></ol>``)
    or just its inline HTML; either way both sides get the same element, heading level and
    list number. Rows with both sides empty are not shown.
    """

    # heading | paragraph | list_item | quote | table | code | html | rule | footnote(s) | reference
    kind: str
    de_html: str  # sanitized HTML fragment (trusted)
    en_html: str  # sanitized HTML fragment (trusted)
    en_lang: str = "en"  # "de" when the English side kept the German text
    de_lang: str = "de"  # "en" when the original block was already English
    level: int = 0  # heading level, or list nesting depth (0 = top level)
    note: str = ""  # e.g. "needs review", shown discreetly under the English block


@dataclass(frozen=True)
class Version:
    """One language version of an article."""

    lang: str  # "de" | "en"
    title: str  # plain text
    description: str  # plain text
    body_html: str  # sanitized HTML of the whole article body (trusted)
    text: str  # plain text of the body, for reading time


@dataclass(frozen=True)
class ArticlePage:
    """Everything needed to publish one article in German, English and side by side."""

    slug: str  # URL-safe already
    author: str
    date: str  # raw date as written in the article, or ''
    de: Version
    en: Version
    rows: tuple[Row, ...]
    machine_translated: bool = True  # show that the English is machine-translated


@dataclass(frozen=True)
class _Date:
    text: str
    iso: str  # '' when the date could not be read
    lang: str


@dataclass(frozen=True)
class _Link:
    href: str
    label: str
    lang: str = ""
    current: bool = False


@dataclass(frozen=True)
class _Alternate:
    hreflang: str
    href: str


@dataclass(frozen=True)
class _Og:
    type: str
    title: str
    description: str
    locale: str
    alternate_locales: tuple[str, ...]
    url: str
    published: str


@dataclass(frozen=True)
class _RowView:
    kind: str
    de: Markup
    en: Markup
    de_lang: str
    en_lang: str
    note: str


@dataclass(frozen=True)
class _Site:
    title: str
    base_url: str | None

    def url(self, target: str, here: str) -> str:
        """Absolute URL when the site knows its address, else a link relative to ``here``."""
        if self.base_url is None:
            return relative(target, here)
        return self.base_url + target.removesuffix("index.html")


def relative(target: str, here: str) -> str:
    """Link from the file ``here`` to the file ``target`` (both site-relative paths)."""
    return posixpath.relpath(target, posixpath.dirname(here) or ".")


def article_path(version: str, slug: str) -> str:
    """Site path of an article version: 'de', 'en' or 'de-en' (bilingual)."""
    return f"{version}/{slug}/index.html"


def reading_minutes(text: str) -> int:
    """Nearest whole minute at ~200 words per minute, never 0 so a short text shows one."""
    return max(1, (len(text.split()) + WORDS_PER_MINUTE // 2) // WORDS_PER_MINUTE)


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("translate_pipeline", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )


@cache
def _static(name: str) -> str:
    return (resources.files("translate_pipeline") / "static" / name).read_text("utf-8").strip()


def _csp(script: str) -> str:
    """Policy that forbids any request to another origin, allowing only our inline script."""
    if script:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        script_src = f"'sha256-{digest}'"
    else:
        script_src = "'none'"
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'unsafe-inline'; "
        f"script-src {script_src}; base-uri 'none'; form-action 'none'"
    )


def _sort_key(date: str, slug: str) -> tuple[int, int, int, int, str]:
    """Newest first, then slug; articles without a year come last."""
    parsed = parse_date(date)
    if parsed is None or parsed.year is None:
        return (1, 0, 0, 0, slug)
    return (0, -parsed.year, -parsed.month, -(parsed.day or 0), slug)


def _date(raw: str, lang: str) -> _Date:
    """An unreadable date is still shown as written, marked as German."""
    parsed = parse_date(raw)
    if parsed is None:
        return _Date(raw.strip(), "", "de")
    return _Date(format_date(parsed, lang), iso(parsed), lang)


def _heading(html: str, level: int) -> Markup:
    """Re-level a heading (keeping its attributes) or wrap bare inline content in one."""
    match = _HEADING.fullmatch(html)
    if match is None or re.search(r"</h[1-6]>", match.group(2), re.I):
        attrs, inner = "", html
    else:
        attrs, inner = match.groups()
    return Markup(f"<h{level}{attrs}>{inner}</h{level}>")


def _list_item(html: str) -> tuple[bool, int | None, str]:
    """(ordered?, explicit number, inner HTML) of a list item rendered on its own."""
    match = _LIST.fullmatch(html)
    if match is not None and not re.search(r"<li[\s>]", match.group(3), re.I):
        start = re.search(r'\sstart="(\d+)"', match.group(2))
        number = int(start.group(1)) if start else None
        return match.group(1).lower() == "ol", number, match.group(3)
    item = re.fullmatch(r"\s*<li(?:\s[^>]*)?>(.*)</li>\s*", html, re.DOTALL | re.I)
    if item is not None and "</li>" not in item.group(1).lower():
        return False, None, item.group(1)
    return False, None, html


def _block(kind: str, html: str) -> Markup:
    """Wrap one side of a non-heading, non-list row in the element of its kind."""
    if kind == "paragraph" and not _BLOCK_START.match(html):
        return Markup(f"<p>{html}</p>")
    if kind == "quote" and not re.match(r"\s*<blockquote[\s>]", html, re.I):
        return Markup(f"<blockquote>{html}</blockquote>")
    if kind == "table":
        return Markup(f'<div class="scroll">{html}</div>')
    if kind == "rule" and not html.strip():
        return Markup("<hr>")
    return Markup(html)


def _demote(html: str) -> str:
    """Shift headings so the article's top level is h2: the page's h1 is the title."""
    levels = [int(m.group(2)) for m in _HEADING_TAG.finditer(html)]
    shift = max(0, 2 - min(levels, default=2))
    if not shift:
        return html
    return _HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + shift)}", html)


def _prefix_ids(html: str) -> str:
    """The English column repeats the German ids (footnotes): keep them unique and linked."""
    html = _ID_ATTR.sub(r"\g<1>en-", html)
    return _FRAGMENT_HREF.sub(r"\g<1>en-", html)


def _row_views(rows: Sequence[Row]) -> list[_RowView]:
    """Both sides of a row get the same element, heading level and list number.

    Headings move down so the top level is h2 below the page's h1 (as in ``_demote``).
    Ordered list items rendered one by one all say '1.', so they are numbered here from
    the German side, counting per depth through a run of list item rows.
    """
    levels = [row.level or 2 for row in rows if row.kind == "heading"]
    offset = max(0, 2 - min(levels, default=2))
    views: list[_RowView] = []
    counters: dict[int, int] = {}
    for row in rows:
        if row.kind != "rule" and not (row.de_html.strip() or row.en_html.strip()):
            continue  # e.g. link reference definitions: nothing to show on either side
        en_html = _prefix_ids(row.en_html)
        if row.kind == "heading":
            level = min(6, max(2, (row.level or 2) + offset))
            de, en = _heading(row.de_html, level), _heading(en_html, level)
        elif row.kind == "list_item":
            depth = min(5, max(0, row.level))
            counters = {d: n for d, n in counters.items() if d <= depth}
            ordered, number, de_inner = _list_item(row.de_html)
            _, _, en_inner = _list_item(en_html)
            if ordered:
                counters[depth] = number or counters.get(depth, 0) + 1
                tag = f'ol class="d{depth}" start="{counters[depth]}"'
            else:
                tag = f'ul class="d{depth}"'
            de = Markup(f"<{tag}><li>{de_inner}</li></{tag[:2]}>")
            en = Markup(f"<{tag}><li>{en_inner}</li></{tag[:2]}>")
        else:
            de, en = _block(row.kind, row.de_html), _block(row.kind, en_html)
        if row.kind != "list_item":
            counters = {}
        views.append(_RowView(row.kind, de, en, row.de_lang, row.en_lang, row.note))
    return views


def _ui(lang: str) -> dict[str, str]:
    """German pages fall back to the English strings only for bilingual-page terms."""
    return {**_UI["en"], **_UI[lang]}


def _context(site: _Site, here: str, lang: str, **page: object) -> dict[str, object]:
    script = _static("view.js") if here.startswith(BILINGUAL + "/") else ""
    context: dict[str, object] = {
        "lang": lang,
        "ui": _ui(lang),
        "site_title": site.title,
        "home": relative("index.html", here),
        "css": Markup(_static("site.css")),
        "script": Markup(script),
        "csp": _csp(script),
        "robots": "",
        "description": "",
        "author": "",
        "canonical": site.url(here, here),
        "alternates": [],
        "feed": "",
        "versions": [],
        "og": None,
    }
    context.update(page)
    return context


def _render(template: str, context: dict[str, object]) -> bytes:
    return _environment().get_template(template).render(context).encode()


def _site(base_url: str | None, site_title: str) -> _Site:
    if base_url is not None and not re.match(r"https?://[^/]", base_url):
        raise ValueError(f"base_url must be an absolute http(s) URL: {base_url!r}")
    return _Site(site_title, None if base_url is None else base_url.rstrip("/") + "/")


def _article_versions(slug: str, here: str, lang: str) -> list[_Link]:
    targets = (("de", "Deutsch", "de"), ("en", "English", "en"), (BILINGUAL, "", ""))
    return [
        _Link(
            relative(article_path(version, slug), here),
            label or _ui(lang)["bilingual"],
            hreflang,
            here.startswith(version + "/"),
        )
        for version, label, hreflang in targets
    ]


def _article_alternates(site: _Site, slug: str, here: str) -> list[_Alternate]:
    return [_Alternate(lang, site.url(article_path(lang, slug), here)) for lang in LANGS]


def _index_alternates(site: _Site, here: str) -> list[_Alternate]:
    return [
        _Alternate("de", site.url("de/index.html", here)),
        _Alternate("en", site.url("en/index.html", here)),
        _Alternate("x-default", site.url("index.html", here)),
    ]


def _index_versions(here: str) -> list[_Link]:
    return [
        _Link(relative("de/index.html", here), "Deutsch", "de", here == "de/index.html"),
        _Link(relative("en/index.html", here), "English", "en", here == "en/index.html"),
    ]


def _published(raw: str) -> str:
    date = parse_date(raw)
    return iso(date) if date is not None and date.year is not None else ""


def _og(site: _Site, here: str, lang: str, title: str, description: str, date: str | None) -> _Og:
    """``date`` is None for pages that are not articles."""
    other = "en" if lang == "de" else "de"
    return _Og(
        type="website" if date is None else "article",
        title=title,
        description=description,
        locale=_OG_LOCALE[lang],
        alternate_locales=(_OG_LOCALE[other],),
        url=site.url(here, here) if site.base_url else "",
        published="" if date is None else _published(date),
    )


def _render_version(site: _Site, page: ArticlePage, lang: str) -> bytes:
    here = article_path(lang, page.slug)
    version = page.de if lang == "de" else page.en
    return _render(
        "article.html",
        _context(
            site,
            here,
            lang,
            title=version.title,
            description=version.description,
            author=page.author,
            alternates=_article_alternates(site, page.slug, here),
            feed=relative(f"{lang}/feed.xml", here),
            versions=_article_versions(page.slug, here, lang),
            og=_og(site, here, lang, version.title, version.description, page.date),
            heading=version.title,
            body=Markup(_demote(version.body_html)),
            date=_date(page.date, lang),
            minutes=_ui(lang)["minutes"].format(n=reading_minutes(version.text)),
            mt_note=lang == "en" and page.machine_translated,
            original=relative(article_path("de", page.slug), here),
            bilingual=relative(article_path(BILINGUAL, page.slug), here),
        ),
    )


def _render_bilingual(site: _Site, page: ArticlePage) -> bytes:
    """The bilingual page's own words are English: it serves readers of the translation."""
    here = article_path(BILINGUAL, page.slug)
    title = f"{page.en.title} · {page.de.title}"
    return _render(
        "bilingual.html",
        _context(
            site,
            here,
            "en",
            title=title,
            description=page.en.description,
            author=page.author,
            alternates=_article_alternates(site, page.slug, here),
            versions=_article_versions(page.slug, here, "en"),
            og=_og(site, here, "en", title, page.en.description, page.date),
            de=page.de,
            en=page.en,
            rows=_row_views(page.rows),
            date=_date(page.date, "en"),
            mt_note=page.machine_translated,
        ),
    )


def render_article(
    page: ArticlePage, base_url: str | None = None, site_title: str = SITE_TITLE
) -> dict[str, bytes]:
    """The German, English and bilingual pages of one article, by site path.

    Separate from the indexes so a build can re-render only the articles that changed.
    """
    if not _SLUG.match(page.slug):
        raise ValueError(f"slug is not URL-safe: {page.slug!r}")
    site = _site(base_url, site_title)
    return {
        article_path("de", page.slug): _render_version(site, page, "de"),
        article_path("en", page.slug): _render_version(site, page, "en"),
        article_path(BILINGUAL, page.slug): _render_bilingual(site, page),
    }


@dataclass(frozen=True)
class Summary:
    """What indexes, feeds and the sitemap need of an article; plain values, so a build
    can cache it as JSON (``Summary(**json.loads(...))``) instead of re-reading the article."""

    slug: str
    author: str
    date: str
    de_title: str
    de_description: str
    de_minutes: int
    en_title: str
    en_description: str
    en_minutes: int

    def title(self, lang: str) -> str:
        return self.de_title if lang == "de" else self.en_title

    def description(self, lang: str) -> str:
        return self.de_description if lang == "de" else self.en_description

    def minutes(self, lang: str) -> int:
        return self.de_minutes if lang == "de" else self.en_minutes


def summarize(page: ArticlePage) -> Summary:
    """The index entry of an article."""
    return Summary(
        slug=page.slug,
        author=page.author,
        date=page.date,
        de_title=page.de.title,
        de_description=page.de.description,
        de_minutes=reading_minutes(page.de.text),
        en_title=page.en.title,
        en_description=page.en.description,
        en_minutes=reading_minutes(page.en.text),
    )


@dataclass(frozen=True)
class _IndexItem:
    href: str
    title: str
    description: str
    date: _Date
    minutes: str


@dataclass(frozen=True)
class _HomeItem:
    de_href: str
    de_title: str
    en_href: str
    en_title: str
    bi_href: str
    date: _Date


def _render_index(site: _Site, summaries: Sequence[Summary], lang: str) -> bytes:
    here = f"{lang}/index.html"
    ui = _ui(lang)
    items = [
        _IndexItem(
            href=relative(article_path(lang, s.slug), here),
            title=s.title(lang),
            description=s.description(lang),
            date=_date(s.date, lang),
            minutes=ui["minutes"].format(n=s.minutes(lang)),
        )
        for s in summaries
    ]
    title = f"{ui['articles']} · {site.title}"
    return _render(
        "index.html",
        _context(
            site,
            here,
            lang,
            title=title,
            alternates=_index_alternates(site, here),
            feed="feed.xml",
            versions=_index_versions(here),
            og=_og(site, here, lang, title, "", None),
            heading=ui["articles"],
            items=items,
        ),
    )


def _render_home(site: _Site, summaries: Sequence[Summary]) -> bytes:
    """The language chooser: English words, German titles marked as German."""
    here = "index.html"
    items = [
        _HomeItem(
            de_href=article_path("de", s.slug),
            de_title=s.de_title,
            en_href=article_path("en", s.slug),
            en_title=s.en_title,
            bi_href=article_path(BILINGUAL, s.slug),
            date=_date(s.date, "en"),
        )
        for s in summaries
    ]
    return _render(
        "home.html",
        _context(
            site,
            here,
            "en",
            title=site.title,
            alternates=_index_alternates(site, here),
            versions=_index_versions(here),
            og=_og(site, here, "en", site.title, "", None),
            de_index="de/index.html",
            en_index="en/index.html",
            items=items,
        ),
    )


def _render_404(site: _Site) -> bytes:
    """Servers show this page at any depth, so its links are absolute when they can be."""
    here = "404.html"
    return _render(
        "404.html",
        _context(
            site,
            here,
            "en",
            title=f"Page not found · {site.title}",
            robots="noindex",
            canonical="",
            home=site.url("index.html", here),
            de_index=site.url("de/index.html", here),
            en_index=site.url("en/index.html", here),
        ),
    )


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _atom_time(raw: str) -> str:
    date = parse_date(raw)
    if date is None or date.year is None:
        return ""
    return f"{date.year:04d}-{date.month:02d}-{date.day or 1:02d}T00:00:00Z"


def _atom_id(site: _Site, target: str, here: str) -> str:
    """Absolute URL when known; else a stable name-based UUID, as Atom ids must be absolute."""
    if site.base_url is not None:
        return site.url(target, here)
    name = f"translate-pipeline:{site.title}:{target}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def _feed(site: _Site, summaries: Sequence[Summary], lang: str) -> bytes:
    here = f"{lang}/feed.xml"
    newest = max((t for t in (_atom_time(s.date) for s in summaries) if t), default=_EPOCH)
    feed = ET.Element("feed", {"xmlns": _ATOM_NS, "xml:lang": lang})
    ET.SubElement(feed, "id").text = _atom_id(site, here, here)
    ET.SubElement(feed, "title").text = f"{site.title} · {_ui(lang)['articles']}"
    ET.SubElement(feed, "updated").text = newest
    index = {"rel": "alternate", "type": "text/html", "hreflang": lang}
    ET.SubElement(feed, "link", {**index, "href": site.url(f"{lang}/index.html", here)})
    if site.base_url is not None:
        self_link = {"rel": "self", "type": "application/atom+xml"}
        ET.SubElement(feed, "link", {**self_link, "href": site.url(here, here)})
    for s in summaries:
        target = article_path(lang, s.slug)
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "title").text = s.title(lang)
        ET.SubElement(entry, "link", {"rel": "alternate", "href": site.url(target, here)})
        ET.SubElement(entry, "id").text = _atom_id(site, target, here)
        ET.SubElement(entry, "updated").text = _atom_time(s.date) or newest
        author = ET.SubElement(entry, "author")
        ET.SubElement(author, "name").text = s.author or site.title
        if s.description(lang):
            ET.SubElement(entry, "summary").text = s.description(lang)
    return _xml(feed)


def _sitemap(site: _Site, summaries: Sequence[Summary]) -> bytes:
    here = "sitemap.xml"
    urlset = ET.Element("urlset", {"xmlns": _SITEMAP_NS, "xmlns:xhtml": _XHTML_NS})

    def add(target: str, alternates: list[_Alternate], lastmod: str = "") -> None:
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = site.url(target, here)
        if lastmod:
            ET.SubElement(url, "lastmod").text = lastmod
        for alt in alternates:
            attrs = {"rel": "alternate", "hreflang": alt.hreflang, "href": alt.href}
            ET.SubElement(url, "xhtml:link", attrs)

    for target in ("index.html", "de/index.html", "en/index.html"):
        add(target, _index_alternates(site, here))
    for s in summaries:
        alternates, lastmod = _article_alternates(site, s.slug, here), _published(s.date)
        for lang in LANGS:
            add(article_path(lang, s.slug), alternates, lastmod)
        add(article_path(BILINGUAL, s.slug), [], lastmod)
    return _xml(urlset)


def render_indexes(
    summaries: Sequence[Summary], base_url: str | None = None, site_title: str = SITE_TITLE
) -> dict[str, bytes]:
    """Every file that lists articles: indexes, feeds, 404 and (with base_url) the sitemap."""
    site = _site(base_url, site_title)
    ordered = sorted(summaries, key=lambda s: _sort_key(s.date, s.slug))
    files = {
        "index.html": _render_home(site, ordered),
        "404.html": _render_404(site),
    }
    for lang in LANGS:
        files[f"{lang}/index.html"] = _render_index(site, ordered, lang)
        files[f"{lang}/feed.xml"] = _feed(site, ordered, lang)
    if site.base_url is not None:
        files["sitemap.xml"] = _sitemap(site, ordered)
    return files


def render_site(
    pages: Sequence[ArticlePage], base_url: str | None = None, site_title: str = SITE_TITLE
) -> dict[str, bytes]:
    """Every file of the site by relative path; the same input always gives the same bytes."""
    slugs = [page.slug for page in pages]
    if len(set(slugs)) != len(slugs):
        raise ValueError("two articles share a slug")
    files = render_indexes([summarize(page) for page in pages], base_url, site_title)
    for page in pages:
        files.update(render_article(page, base_url, site_title))
    return dict(sorted(files.items()))
