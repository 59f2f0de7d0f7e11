"""Render articles as static German, English and side-by-side bilingual pages.

Navigation links are relative and name ``index.html`` files explicitly, so the site works
from a folder, over file:// and under a GitHub Pages subpath. ``base_url`` only makes the
canonical, hreflang, Open Graph, sitemap and feed URLs absolute.

Decisions:

* ``sitemap.xml`` is written only when ``base_url`` is given: the sitemap protocol requires
  absolute URLs, and crawlers drop relative ones.
* A site has one source language and one or more targets (`Site`); each article has a page
  per language and a bilingual page per pair (``de-en/``, ``de-fr/``). The language pages
  form the hreflang cluster (each lists all). A bilingual page has no hreflang of its own,
  because no language tag that search engines accept means "German beside English"; it is
  listed in the sitemap as a plain URL, and its own head points at the language versions.
* Everything that depends on the languages (paths, UI strings, locales, month names, text
  direction, the bilingual page's classes) comes from the build's languages. UI strings
  exist for de, en, fr, es and uk; other languages get the English ones, with the words
  that name a language replaced by neutral forms, and ISO dates.
* Feeds are always written, with the FEED_ENTRIES newest articles (readers fetch a feed
  on every poll; an archive's would be hundreds of megabytes). Without ``base_url`` their
  links are relative to the feed and ids are name-based ``urn:uuid``s; with it, both are
  absolute URLs.
* Dates that lack a year or cannot be read sort after dated articles; in feeds they take
  the newest known date (or the Unix epoch), so the output never depends on the clock.
* Every page carries a Content-Security-Policy that allows no external requests.
* The review page (`render_review`, ``_review/index.html``) is for editors: written only
  when asked for, linked from no page, in no sitemap or feed, and marked ``noindex``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import posixpath
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from translate_pipeline.config import Pair, language_name
from translate_pipeline.dates import format_date, iso, parse_date, timestamp

WORDS_PER_MINUTE = 200
SITE_TITLE = "Artikel · Articles"

_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
FEED_ENTRIES = 50
INDEX_PAGE = 500  # articles per index page: one page of an archive would be hundreds of MB
SITEMAP_URLS = 50_000  # the sitemap protocol's limits for one file
SITEMAP_BYTES = 50 * 2**20
_XHTML_NS = "http://www.w3.org/1999/xhtml"
_ATOM_NS = "http://www.w3.org/2005/Atom"
_EPOCH = "1970-01-01T00:00:00Z"
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")
_HEADING = re.compile(r"\s*<h[1-6]((?:\s[^>]*)?)>(.*)</h[1-6]>\s*", re.DOTALL | re.I)
_HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s>])", re.I)
_ID_ATTR = re.compile(r'(\sid=")')
_FRAGMENT_HREF = re.compile(r'(\shref="#)')
_BLOCK_START = re.compile(
    r"^\s*<(?:p|div|ul|ol|dl|figure|table|pre|blockquote|h[1-6]|hr)[\s>/]", re.IGNORECASE
)

# UI strings per language; a language without its own falls back to English.
_UI: dict[str, dict[str, str]] = {
    "de": {
        "name": "Deutsch",
        "all_articles": "Alle Artikel auf Deutsch",
        "not_found": "Seite nicht gefunden",
        "gone": "Diese Seite gibt es nicht (mehr).",
        "original_column": "Deutsch · Original",
        "callout_note": "Hinweis",
        "callout_tip": "Tipp",
        "callout_info": "Info",
        "callout_important": "Wichtig",
        "callout_warning": "Warnung",
        "callout_caution": "Vorsicht",
        "callout_danger": "Gefahr",
        "skip": "Zum Inhalt springen",
        "versions": "Sprachversionen",
        "bilingual": "Zweisprachig",
        "articles": "Artikel",
        "minutes": "{n} Min. Lesezeit",
        "feed": "Atom-Feed",
        "empty": "Noch keine Artikel.",
        "pages": "Seiten",
        "page": "Seite {n} von {total}",
        "newest": "Neueste",
        "newer": "Neuere",
        "older": "Ältere",
        "oldest": "Älteste",
    },
    "en": {
        "name": "English",
        "all_articles": "All articles in English",
        "not_found": "Page not found",
        "gone": "This page does not exist.",
        "original_column": "English · Original",
        "callout_note": "Note",
        "callout_tip": "Tip",
        "callout_info": "Info",
        "callout_important": "Important",
        "callout_warning": "Warning",
        "callout_caution": "Caution",
        "callout_danger": "Danger",
        "skip": "Skip to content",
        "versions": "Language versions",
        "bilingual": "Side by side",
        "articles": "Articles",
        "minutes": "{n} min read",
        "feed": "Atom feed",
        "empty": "No articles yet.",
        "pages": "Pages",
        "page": "Page {n} of {total}",
        "newest": "Newest",
        "newer": "Newer",
        "older": "Older",
        "oldest": "Oldest",
        "mt_note": "This English text was machine-translated from the German original.",
        "original": "Read the original",
        "compare": "Compare side by side",
        "view": "Show",
        "both": "Both",
        "target_column": "English · machine translation",
        "target_column_reviewed": "English · translation",
        "side_by_side": "German and English side by side",
    },
    "fr": {
        "name": "Français",
        "all_articles": "Tous les articles en français",
        "not_found": "Page introuvable",
        "gone": "Cette page n’existe pas (ou plus).",
        "original_column": "Français · original",
        "callout_note": "Remarque",
        "callout_tip": "Astuce",
        "callout_info": "Info",
        "callout_important": "Important",
        "callout_warning": "Avertissement",
        "callout_caution": "Attention",
        "callout_danger": "Danger",
        "skip": "Aller au contenu",
        "versions": "Versions linguistiques",
        "bilingual": "Côte à côte",
        "articles": "Articles",
        "minutes": "{n} min de lecture",
        "feed": "Flux Atom",
        "empty": "Pas encore d’articles.",
        "pages": "Pages",
        "page": "Page {n} sur {total}",
        "newest": "Les plus récents",
        "newer": "Plus récents",
        "older": "Plus anciens",
        "oldest": "Les plus anciens",
        "mt_note": "Ce texte français a été traduit automatiquement de l’original allemand.",
        "original": "Lire l’original",
        "compare": "Comparer côte à côte",
        "view": "Afficher",
        "both": "Les deux",
        "target_column": "Français · traduction automatique",
        "target_column_reviewed": "Français · traduction",
        "side_by_side": "Allemand et français côte à côte",
    },
    "es": {
        "name": "Español",
        "all_articles": "Todos los artículos en español",
        "not_found": "Página no encontrada",
        "gone": "Esta página no existe (o ya no existe).",
        "original_column": "Español · original",
        "callout_note": "Nota",
        "callout_tip": "Consejo",
        "callout_info": "Info",
        "callout_important": "Importante",
        "callout_warning": "Advertencia",
        "callout_caution": "Precaución",
        "callout_danger": "Peligro",
        "skip": "Saltar al contenido",
        "versions": "Versiones de idioma",
        "bilingual": "En paralelo",
        "articles": "Artículos",
        "minutes": "{n} min de lectura",
        "feed": "Feed Atom",
        "empty": "Todavía no hay artículos.",
        "pages": "Páginas",
        "page": "Página {n} de {total}",
        "newest": "Los más recientes",
        "newer": "Más recientes",
        "older": "Más antiguos",
        "oldest": "Los más antiguos",
        "mt_note": "Este texto en español es una traducción automática del original alemán.",
        "original": "Leer el original",
        "compare": "Comparar en paralelo",
        "view": "Mostrar",
        "both": "Ambos",
        "target_column": "Español · traducción automática",
        "target_column_reviewed": "Español · traducción",
        "side_by_side": "Alemán y español en paralelo",
    },
    "uk": {
        "name": "Українська",
        "all_articles": "Усі статті українською",
        "not_found": "Сторінку не знайдено",
        "gone": "Такої сторінки немає (або вже немає).",
        "original_column": "Українська · оригінал",
        "callout_note": "Примітка",
        "callout_tip": "Порада",
        "callout_info": "Інформація",
        "callout_important": "Важливо",
        "callout_warning": "Попередження",
        "callout_caution": "Обережно",
        "callout_danger": "Небезпека",
        "skip": "Перейти до змісту",
        "versions": "Мовні версії",
        "bilingual": "Паралельно",
        "articles": "Статті",
        "minutes": "{n} хв читання",
        "feed": "Стрічка Atom",
        "empty": "Статей ще немає.",
        "pages": "Сторінки",
        "page": "Сторінка {n} з {total}",
        "newest": "Найновіші",
        "newer": "Новіші",
        "older": "Старіші",
        "oldest": "Найстаріші",
        "mt_note": "Цей український текст перекладено автоматично з німецького оригіналу.",
        "original": "Читати оригінал",
        "compare": "Порівняти паралельно",
        "view": "Показати",
        "both": "Обидві",
        "target_column": "Українська · машинний переклад",
        "target_column_reviewed": "Українська · переклад",
        "side_by_side": "Німецькою та українською паралельно",
    },
}
# Names of languages without UI strings of their own, as their speakers write them.
_ENDONYMS = {
    "ar": "العربية", "fa": "فارسی", "he": "עברית", "it": "Italiano", "ja": "日本語",
    "nl": "Nederlands", "pl": "Polski", "pt": "Português", "ru": "Русский", "tr": "Türkçe",
    "ur": "اردو", "zh": "中文",
}  # fmt: skip
RTL = frozenset({"ar", "dv", "fa", "he", "ps", "sd", "ug", "ur", "yi"})
_OG_LOCALE = {"de": "de_DE", "en": "en_GB", "es": "es_ES", "fr": "fr_FR", "uk": "uk_UA"}


def _locale(lang: str) -> str:
    return _OG_LOCALE.get(lang, lang)


@dataclass(frozen=True)
class Row:
    """One row of the bilingual page: a source block beside its translated block.

    Fragments may be the block rendered on its own (``<h2>…</h2>``, ``<ol><li>…</li></ol>``)
    or just its inline HTML; either way both sides get the same element, heading level and
    list number. Rows with both sides empty are not shown.
    """

    # heading | paragraph | list_item | quote | table | code | html | rule | footnote(s) | reference
    kind: str
    source_html: str  # sanitized HTML fragment (trusted)
    target_html: str  # sanitized HTML fragment (trusted)
    source_lang: str = ""  # '' = the source language; "en" when the original was English
    target_lang: str = ""  # '' = the target language; the source's when left untranslated
    level: int = 0  # heading level, or list nesting depth (0 = top level)
    note: str = ""  # e.g. "needs review", shown discreetly under the translated block
    ordered: bool = False  # list items: numbered, and with which number
    number: int = 0


@dataclass(frozen=True)
class Version:
    """One language version of an article."""

    lang: str
    title: str  # plain text
    description: str  # plain text
    body_html: str  # sanitized HTML of the whole article body (trusted)
    text: str  # plain text of the body, for reading time


@dataclass(frozen=True)
class Target:
    """An article in one target language: its version and its rows beside the source."""

    version: Version
    rows: tuple[Row, ...]
    machine_translated: bool = True  # show that the translation is machine-made


@dataclass(frozen=True)
class ArticlePage:
    """Everything needed to publish one article in every language and side by side."""

    slug: str  # URL-safe already
    author: str
    date: str  # raw date as written in the article, or ''
    source: Version
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Site:
    """What every page of one site shares: its languages, address and title."""

    source: str = "de"
    targets: tuple[str, ...] = ("en",)
    base_url: str | None = None  # absolute, ending in '/' (config.check_base_url)
    title: str = SITE_TITLE

    @property
    def langs(self) -> tuple[str, ...]:
        return (self.source, *self.targets)

    @property
    def main(self) -> Pair:
        """The first pair: its target is the language of the home and 404 pages."""
        return Pair(self.source, self.targets[0])

    def pair(self, target: str) -> Pair:
        return Pair(self.source, target)

    @property
    def bilinguals(self) -> tuple[str, ...]:
        """The folders of the bilingual pages, one per pair (`de-en`)."""
        return tuple(self.pair(target).code for target in self.targets)

    def url(self, target: str, here: str) -> str:
        """Absolute URL when the site knows its address, else a link relative to ``here``."""
        if self.base_url is None:
            return relative(target, here)
        return self.base_url + target.removesuffix("index.html")


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
    dir: str = ""


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
    source: Markup
    target: Markup
    source_lang: str
    target_lang: str
    note: str


@dataclass(frozen=True)
class _Language:
    """One language of the site, as the home and 404 pages list them."""

    lang: str
    ui: dict[str, str]
    index: str
    dir: str = ""


def relative(target: str, here: str) -> str:
    """Link from the file ``here`` to the file ``target`` (both site-relative paths)."""
    return posixpath.relpath(target, posixpath.dirname(here) or ".")


def article_path(version: str, slug: str) -> str:
    """Site path of an article version: a language code, or the pair (bilingual)."""
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


@cache
def _css(pair: Pair, targets: tuple[str, ...]) -> str:
    """The stylesheet names the bilingual page's columns by language code, and the home
    page's titles in every target language."""
    titles = ", ".join(f".{target}-title" for target in targets)
    return (
        _environment()
        .from_string(_static("site.css"))
        .render(s=pair.source, t=pair.target, titles=titles)
    )


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


def _date(raw: str, lang: str, source_lang: str) -> _Date:
    """An unreadable date is still shown as written, marked as in the source language."""
    parsed = parse_date(raw)
    if parsed is None:
        return _Date(raw.strip(), "", source_lang)
    return _Date(format_date(parsed, lang), iso(parsed), lang)


def _heading(html: str, level: int) -> Markup:
    """Re-level a heading (keeping its attributes) or wrap bare inline content in one."""
    match = _HEADING.fullmatch(html)
    if match is None or re.search(r"</h[1-6]>", match.group(2), re.I):
        attrs, inner = "", html
    else:
        attrs, inner = match.groups()
    return Markup(f"<h{level}{attrs}>{inner}</h{level}>")


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


def _prefix_ids(html: str, prefix: str) -> str:
    """The translated column repeats the source's ids (footnotes): keep them unique and linked."""
    html = _ID_ATTR.sub(rf"\g<1>{prefix}-", html)
    return _FRAGMENT_HREF.sub(rf"\g<1>{prefix}-", html)


def _row_views(rows: Sequence[Row], pair: Pair) -> list[_RowView]:
    """Both sides of a row get the same element, heading level and list number.

    Headings move down so the top level is h2 below the page's h1 (as in ``_demote``); a list
    item keeps its depth and number.
    """
    levels = [row.level or 2 for row in rows if row.kind == "heading"]
    offset = max(0, 2 - min(levels, default=2))
    views: list[_RowView] = []
    for row in rows:
        if row.kind != "rule" and not (row.source_html.strip() or row.target_html.strip()):
            continue  # e.g. link reference definitions: nothing to show on either side
        target_html = _prefix_ids(row.target_html, pair.target)
        if row.kind == "heading":
            level = min(6, max(2, (row.level or 2) + offset))
            source, target = _heading(row.source_html, level), _heading(target_html, level)
        elif row.kind == "list_item":
            depth = min(5, max(0, row.level))
            if row.ordered:
                tag = f'ol class="d{depth}" start="{row.number}"'
            else:
                tag = f'ul class="d{depth}"'
            source = Markup(f"<{tag}><li>{row.source_html}</li></{tag[:2]}>")
            target = Markup(f"<{tag}><li>{target_html}</li></{tag[:2]}>")
        else:
            source, target = _block(row.kind, row.source_html), _block(row.kind, target_html)
        views.append(
            _RowView(
                row.kind,
                source,
                target,
                row.source_lang or pair.source,
                row.target_lang or pair.target,
                row.note,
            )
        )
    return views


@cache
def _ui(lang: str) -> dict[str, str]:
    """A language's UI strings, English where it has none of its own; then the words
    that would name English wrongly are neutral ones that name the language."""
    if lang in _UI:
        return {**_UI["en"], **_UI[lang]}
    name = _ENDONYMS.get(lang, lang)
    return {
        **_UI["en"],
        "name": name,
        "all_articles": name,
        "original_column": name,
        "mt_note": "Machine translation of the German original.",
        "target_column": f"{name} · machine translation",
        "target_column_reviewed": name,
        "side_by_side": f"Deutsch · {name}",
    }


def _dir(lang: str) -> str:
    """`rtl` for right-to-left languages; '' leaves the default (left to right)."""
    return "rtl" if lang.split("-")[0].lower() in RTL else ""


def labels(lang: str) -> dict[str, str]:
    """The words a page's body needs in its own language (default callout titles)."""
    return {key: value for key, value in _ui(lang).items() if key.startswith("callout_")}


def _context(
    site: Site, here: str, lang: str, pair: Pair | None = None, **page: object
) -> dict[str, object]:
    """`pair`: the languages of a bilingual page (default: the site's first pair)."""
    pair = pair or site.main
    bilingual = here.startswith(tuple(f"{code}/" for code in site.bilinguals))
    script = _static("view.js") if bilingual else ""
    context: dict[str, object] = {
        "lang": lang,
        "dir": _dir(lang),
        "source": pair.source,
        "target": pair.target,
        "target_dir": _dir(pair.target),
        "ui": _ui(lang),
        "ui_source": _ui(pair.source),
        "ui_target": _ui(pair.target),
        "site_title": site.title,
        "home": relative("index.html", here),
        "css": Markup(_css(pair, site.targets)),
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


def _article_versions(site: Site, slug: str, here: str, lang: str) -> list[_Link]:
    """Every language version; then the bilingual page of this page's pair (all of them on
    the source page of a site with several targets, named by their two languages)."""
    versions = [(code, _ui(code)["name"], code) for code in site.langs]
    if len(site.targets) == 1:
        versions.append((site.bilinguals[0], _ui(lang)["bilingual"], ""))
    else:
        for target in site.targets:
            if lang in (site.source, target):
                label = f"{_ui(site.source)['name']} · {_ui(target)['name']}"
                versions.append((site.pair(target).code, label, ""))
    return [
        _Link(
            relative(article_path(version, slug), here),
            label,
            hreflang,
            here.startswith(version + "/"),
            _dir(hreflang) if hreflang else "",
        )
        for version, label, hreflang in versions
    ]


def _article_alternates(site: Site, slug: str, here: str) -> list[_Alternate]:
    return [_Alternate(lang, site.url(article_path(lang, slug), here)) for lang in site.langs]


def index_path(folder: str, number: int = 1) -> str:
    """Page `number` of an index: ``en/index.html``, then ``en/index-2.html`` and so on
    (`folder` is ``en/``, or '' for the home page). Flat files, because a slug has no dot
    and so can never be ``index-2.html``, while a folder ``page/`` could be a slug."""
    return f"{folder}index.html" if number == 1 else f"{folder}index-{number}.html"


def _index_alternates(site: Site, here: str, number: int = 1) -> list[_Alternate]:
    """Page `number` in every language: the same articles, as every index sorts alike."""
    return [
        *(_Alternate(lang, site.url(index_path(f"{lang}/", number), here)) for lang in site.langs),
        _Alternate("x-default", site.url(index_path("", number), here)),
    ]


def _index_versions(site: Site, here: str, number: int = 1) -> list[_Link]:
    """Page `number` of the index in each language."""
    links = []
    for lang in site.langs:
        path = index_path(f"{lang}/", number)
        links.append(_Link(relative(path, here), _ui(lang)["name"], lang, here == path, _dir(lang)))
    return links


def _languages(site: Site, here: str, absolute: bool) -> list[_Language]:
    """The site's languages with their indexes; the 404 page, shown at any depth, links
    absolutely when the site knows its address."""
    link = site.url if absolute else relative
    return [
        _Language(lang, _ui(lang), link(f"{lang}/index.html", here), _dir(lang))
        for lang in site.langs
    ]


def _published(raw: str) -> str:
    """The date for `lastmod` and Open Graph: exact when the article gave a time."""
    date = parse_date(raw)
    if date is None or date.year is None:
        return ""
    return timestamp(date) if date.time else iso(date)


def _og(site: Site, here: str, lang: str, title: str, description: str, date: str | None) -> _Og:
    """``date`` is None for pages that are not articles."""
    return _Og(
        type="website" if date is None else "article",
        title=title,
        description=description,
        locale=_locale(lang),
        alternate_locales=tuple(_locale(other) for other in site.langs if other != lang),
        url=site.url(here, here) if site.base_url else "",
        published="" if date is None else _published(date),
    )


def _render_version(
    site: Site, page: ArticlePage, version: Version, target: Target | None = None
) -> bytes:
    """A language page: the source's (`target` None) or a target's."""
    lang = version.lang
    here = article_path(lang, page.slug)
    pair = site.pair(lang) if target is not None else site.main
    return _render(
        "article.html",
        _context(
            site,
            here,
            lang,
            pair,
            title=version.title,
            description=version.description,
            author=page.author,
            alternates=_article_alternates(site, page.slug, here),
            feed=relative(f"{lang}/feed.xml", here),
            versions=_article_versions(site, page.slug, here, lang),
            og=_og(site, here, lang, version.title, version.description, page.date),
            heading=version.title,
            body=Markup(_demote(version.body_html)),
            date=_date(page.date, lang, site.source),
            minutes=_ui(lang)["minutes"].format(n=reading_minutes(version.text)),
            mt_note=target is not None and target.machine_translated,
            original=relative(article_path(site.source, page.slug), here),
            bilingual=relative(article_path(pair.code, page.slug), here),
        ),
    )


def _render_bilingual(site: Site, page: ArticlePage, target: Target) -> bytes:
    """The bilingual page's own words are in the target language: it serves its readers."""
    lang = target.version.lang
    pair = site.pair(lang)
    here = article_path(pair.code, page.slug)
    title = f"{target.version.title} · {page.source.title}"
    return _render(
        "bilingual.html",
        _context(
            site,
            here,
            lang,
            pair,
            title=title,
            description=target.version.description,
            author=page.author,
            alternates=_article_alternates(site, page.slug, here),
            versions=_article_versions(site, page.slug, here, lang),
            og=_og(site, here, lang, title, target.version.description, page.date),
            source_version=page.source,
            target_version=target.version,
            rows=_row_views(target.rows, pair),
            date=_date(page.date, lang, site.source),
            mt_note=target.machine_translated,
        ),
    )


def render_article(page: ArticlePage, site: Site) -> dict[str, bytes]:
    """The language pages and the bilingual pages of one article, by site path.

    Separate from the indexes so a build can re-render only the articles that changed.
    """
    if not _SLUG.match(page.slug):
        raise ValueError(f"slug is not URL-safe: {page.slug!r}")
    files = {article_path(site.source, page.slug): _render_version(site, page, page.source)}
    for target in page.targets:
        lang = target.version.lang
        files[article_path(lang, page.slug)] = _render_version(site, page, target.version, target)
    for target in page.targets:
        code = site.pair(target.version.lang).code
        files[article_path(code, page.slug)] = _render_bilingual(site, page, target)
    return files


@dataclass(frozen=True)
class Summary:
    """What indexes, feeds and the sitemap need of an article; plain values keyed by
    language, so a build can cache it as JSON (``Summary(**json.loads(...))``) instead of
    re-reading the article."""

    slug: str
    author: str
    date: str
    titles: dict[str, str]
    descriptions: dict[str, str]
    minutes: dict[str, int]


def summarize(page: ArticlePage) -> Summary:
    """The index entry of an article."""
    versions = (page.source, *(target.version for target in page.targets))
    return Summary(
        slug=page.slug,
        author=page.author,
        date=page.date,
        titles={v.lang: v.title for v in versions},
        descriptions={v.lang: v.description for v in versions},
        minutes={v.lang: reading_minutes(v.text) for v in versions},
    )


@dataclass(frozen=True)
class _IndexItem:
    href: str
    title: str
    description: str
    date: _Date
    minutes: str


@dataclass(frozen=True)
class _Title:
    lang: str
    href: str
    title: str
    dir: str = ""


@dataclass(frozen=True)
class _HomeItem:
    titles: tuple[_Title, ...]
    bilinguals: tuple[_Link, ...]
    date: _Date


@dataclass(frozen=True)
class _PageLink:
    href: str
    label: str
    rel: str = ""


@dataclass(frozen=True)
class _Pager:
    """Links to the newest, newer, older and oldest pages that exist, never one per page:
    an archive's index has thousands of pages."""

    label: str
    before: tuple[_PageLink, ...]
    after: tuple[_PageLink, ...]


def _pager(folder: str, here: str, number: int, total: int, lang: str) -> _Pager | None:
    if total == 1:
        return None
    ui = _ui(lang)

    def link(to: int, label: str, rel: str = "") -> _PageLink:
        return _PageLink(relative(index_path(folder, to), here), ui[label], rel)

    before = [link(1, "newest")] if number > 2 else []
    before += [link(number - 1, "newer", "prev")] if number > 1 else []
    after = [link(number + 1, "older", "next")] if number < total else []
    after += [link(total, "oldest")] if number < total - 1 else []
    return _Pager(ui["page"].format(n=number, total=total), tuple(before), tuple(after))


def _page_title(*parts: str, number: int, total: int, lang: str) -> str:
    """Page 2 on is named in the title, so tabs and search results tell the pages apart."""
    page = [_ui(lang)["page"].format(n=number, total=total)] if number > 1 else []
    return " · ".join([*parts, *page])


def _render_index(
    site: Site, summaries: Sequence[Summary], lang: str, number: int, total: int
) -> bytes:
    folder = f"{lang}/"
    here = index_path(folder, number)
    ui = _ui(lang)
    pager = _pager(folder, here, number, total, lang)
    items = [
        _IndexItem(
            href=relative(article_path(lang, s.slug), here),
            title=s.titles[lang],
            description=s.descriptions[lang],
            date=_date(s.date, lang, site.source),
            minutes=ui["minutes"].format(n=s.minutes[lang]),
        )
        for s in summaries
    ]
    title = _page_title(ui["articles"], site.title, number=number, total=total, lang=lang)
    return _render(
        "index.html",
        _context(
            site,
            here,
            lang,
            title=title,
            alternates=_index_alternates(site, here, number),
            feed="feed.xml",
            versions=_index_versions(site, here, number),
            og=_og(site, here, lang, title, "", None),
            heading=ui["articles"],
            items=items,
            pager=pager,
        ),
    )


def _render_home(site: Site, summaries: Sequence[Summary], number: int, total: int) -> bytes:
    """The language chooser: words in the target language, other titles marked by language."""
    here = index_path("", number)
    lang = site.main.target
    ui = _ui(lang)
    pager = _pager("", here, number, total, lang)
    if len(site.targets) == 1:
        labels = [ui["side_by_side"]]
    else:
        labels = [f"{_ui(site.source)['name']} · {_ui(t)['name']}" for t in site.targets]
    items = [
        _HomeItem(
            titles=tuple(
                _Title(code, article_path(code, s.slug), s.titles[code], _dir(code))
                for code in site.langs
            ),
            bilinguals=tuple(
                _Link(article_path(code, s.slug), label)
                for code, label in zip(site.bilinguals, labels)
            ),
            date=_date(s.date, lang, site.source),
        )
        for s in summaries
    ]
    title = _page_title(site.title, number=number, total=total, lang=lang)
    return _render(
        "home.html",
        _context(
            site,
            here,
            lang,
            title=title,
            alternates=_index_alternates(site, here, number),
            versions=_index_versions(site, here, number),
            og=_og(site, here, lang, title, "", None),
            languages=_languages(site, here, absolute=False),
            items=items,
            pager=pager,
        ),
    )


def _render_404(site: Site) -> bytes:
    """Servers show this page at any depth, so its links are absolute when they can be."""
    here = "404.html"
    lang = site.main.target
    return _render(
        "404.html",
        _context(
            site,
            here,
            lang,
            title=f"{_ui(lang)['not_found']} · {site.title}",
            robots="noindex",
            canonical="",
            home=site.url("index.html", here),
            languages=_languages(site, here, absolute=True),
        ),
    )


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _atom_time(raw: str) -> str:
    date = parse_date(raw)
    return timestamp(date) if date is not None else ""


def _atom_id(site: Site, target: str, here: str) -> str:
    """Absolute URL when known; else a stable name-based UUID, as Atom ids must be absolute."""
    if site.base_url is not None:
        return site.url(target, here)
    name = f"translate-pipeline:{site.title}:{target}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def _feed(site: Site, summaries: Sequence[Summary], lang: str) -> bytes:
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
        ET.SubElement(entry, "title").text = s.titles[lang]
        ET.SubElement(entry, "link", {"rel": "alternate", "href": site.url(target, here)})
        ET.SubElement(entry, "id").text = _atom_id(site, target, here)
        ET.SubElement(entry, "updated").text = _atom_time(s.date) or newest
        author = ET.SubElement(entry, "author")
        ET.SubElement(author, "name").text = s.author or site.title
        if s.descriptions[lang]:
            ET.SubElement(entry, "summary").text = s.descriptions[lang]
    return _xml(feed)


@dataclass(frozen=True)
class _Url:
    loc: str
    alternates: list[_Alternate]
    lastmod: str


def _sitemap_urls(site: Site, summaries: Iterable[Summary]) -> Iterator[_Url]:
    """Every page a crawler should find: the first page of each index, then every version
    of every article (an index's later pages only list what is here already)."""
    here = "sitemap.xml"
    for target in ("index.html", *(f"{lang}/index.html" for lang in site.langs)):
        yield _Url(site.url(target, here), _index_alternates(site, here), "")
    for s in summaries:
        alternates, lastmod = _article_alternates(site, s.slug, here), _published(s.date)
        for lang in site.langs:
            yield _Url(site.url(article_path(lang, s.slug), here), alternates, lastmod)
        for code in site.bilinguals:
            yield _Url(site.url(article_path(code, s.slug), here), [], lastmod)


def _urlset(urls: Sequence[_Url]) -> bytes:
    urlset = ET.Element("urlset", {"xmlns": _SITEMAP_NS, "xmlns:xhtml": _XHTML_NS})
    for u in urls:
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = u.loc
        if u.lastmod:
            ET.SubElement(url, "lastmod").text = u.lastmod
        for alt in u.alternates:
            attrs = {"rel": "alternate", "hreflang": alt.hreflang, "href": alt.href}
            ET.SubElement(url, "xhtml:link", attrs)
    return _xml(urlset)


def _urlsets(urls: Sequence[_Url]) -> Iterator[bytes]:
    """`urls` as sitemaps within the protocol's size limit, halved until each fits."""
    data = _urlset(urls)
    if len(data) <= SITEMAP_BYTES or len(urls) == 1:
        yield data
        return
    yield from _urlsets(urls[: len(urls) // 2])
    yield from _urlsets(urls[len(urls) // 2 :])


def _sitemaps(site: Site, summaries: Iterable[Summary]) -> Iterator[tuple[str, bytes]]:
    """``sitemap.xml``; past the protocol's limits (SITEMAP_URLS, SITEMAP_BYTES) a sitemap
    index of that name, listing ``sitemap-1.xml``, ``sitemap-2.xml`` and so on, each within
    them. Crawlers read either kind at the address they were given."""
    urls = _sitemap_urls(site, summaries)
    chunks = iter(lambda: list(itertools.islice(urls, SITEMAP_URLS)), [])
    sitemaps = (data for chunk in chunks for data in _urlsets(chunk))
    first, second = next(sitemaps), next(sitemaps, None)
    if second is None:
        yield "sitemap.xml", first
        return
    index = ET.Element("sitemapindex", {"xmlns": _SITEMAP_NS})
    for number, data in enumerate(itertools.chain([first, second], sitemaps), 1):
        name = f"sitemap-{number}.xml"
        ET.SubElement(ET.SubElement(index, "sitemap"), "loc").text = site.url(name, "sitemap.xml")
        yield name, data
    yield "sitemap.xml", _xml(index)


class Summaries(Protocol):
    """Summaries by position: a list, or entries read from disk one at a time."""

    def __len__(self) -> int: ...
    def __getitem__(self, index: int) -> Summary: ...


def render_indexes(summaries: Summaries, site: Site) -> Iterator[tuple[str, bytes]]:
    """Every file that lists articles, one at a time: indexes of INDEX_PAGE articles per
    page, feeds, 404 and (with base_url) the sitemap. `summaries` may read each entry from
    disk when asked for it (an archive's would not fit in memory): it is sorted by
    position, and each page asks for its own entries once."""

    def key(i: int) -> tuple[int, int, int, int, str]:
        summary = summaries[i]
        return _sort_key(summary.date, summary.slug)

    order = sorted(range(len(summaries)), key=key)
    total = max(1, (len(order) + INDEX_PAGE - 1) // INDEX_PAGE)
    yield "404.html", _render_404(site)
    for number in range(1, total + 1):
        page = [summaries[i] for i in order[(number - 1) * INDEX_PAGE : number * INDEX_PAGE]]
        yield index_path("", number), _render_home(site, page, number, total)
        for lang in site.langs:
            yield index_path(f"{lang}/", number), _render_index(site, page, lang, number, total)
    newest = [summaries[i] for i in order[:FEED_ENTRIES]]
    for lang in site.langs:
        yield f"{lang}/feed.xml", _feed(site, newest, lang)
    if site.base_url is not None:
        yield from _sitemaps(site, (summaries[i] for i in order))


REVIEW_PAGE = "_review/index.html"
REVIEW_ITEMS = 2_000  # shown on the review page, the most likely wrong first
REVIEW_ARTICLES = 200  # listed in its table per article, the most flagged first


@dataclass(frozen=True)
class _ReviewItem:
    rank: int
    risk: str
    signals: str  # names, space-separated, for the filter
    po: str
    line: int
    article: str
    article_line: int
    where: str
    german: Markup
    english: Markup
    reasons: list[tuple[str, int, str]]  # (signal, severity, reason)


def _highlight(text: str, spans: Iterable[tuple[str, str]]) -> Markup:
    """`text` with the first free occurrence of each (span, signal) marked."""
    marks: list[tuple[int, int, str]] = []
    for span, signal in spans:
        start = text.find(span) if span else -1
        while start >= 0 and any(a < start + len(span) and start < b for a, b, _ in marks):
            start = text.find(span, start + 1)
        if start >= 0:
            marks.append((start, start + len(span), signal))
    out, last = Markup(""), 0
    for start, end, signal in sorted(marks):
        out += text[last:start]
        out += Markup('<mark data-signal="{}">{}</mark>').format(signal, text[start:end])
        last = end
    return out + text[last:]


def render_review(queue: Sequence, site: Site) -> bytes:
    """The review queue as one page (`review.Item`s, ranked): German and English side by
    side with what each signal found marked, where to edit, filters by signal. The page
    shows the REVIEW_ITEMS most likely wrong and the REVIEW_ARTICLES articles with most of
    them: an archive's queue would make a page no browser opens (`check --review` lists
    all)."""
    shown = queue[:REVIEW_ITEMS]
    items = [
        _ReviewItem(
            rank,
            f"{item.risk:.2f}",
            " ".join(dict.fromkeys(s.name for s in item.signals)),
            item.po,
            item.line,
            item.article,
            item.article_line,
            item.where,
            _highlight(item.german, [(s.german, s.name) for s in item.signals]),
            _highlight(item.english, [(s.english, s.name) for s in item.signals]),
            [(s.name, s.severity, s.reason) for s in item.signals],
        )
        for rank, item in enumerate(shown, 1)
    ]
    per_signal: dict[str, int] = {}  # of the items shown: the filters act on them
    for item in shown:
        for name in dict.fromkeys(s.name for s in item.signals):
            per_signal[name] = per_signal.get(name, 0) + 1
    per_article: dict[str, int] = {}  # of the whole queue
    for item in queue:
        per_article[item.article] = per_article.get(item.article, 0) + 1
    script = _static("review.js")
    return _render(
        "review.html",
        _context(
            site,
            REVIEW_PAGE,
            "en",
            title=f"Review queue · {site.title}",
            robots="noindex",
            canonical="",
            script=Markup(script),
            csp=_csp(script),
            items=items,
            total=len(queue),
            per_signal=sorted(per_signal.items()),
            per_article=sorted(per_article.items(), key=lambda a: (-a[1], a[0]))[:REVIEW_ARTICLES],
            articles=len(per_article),
            source_name=language_name(site.main.source),
            target_name=language_name(site.main.target),
        ),
    )
