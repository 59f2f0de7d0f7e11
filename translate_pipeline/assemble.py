"""Page assembly: an article, its units' memory entries and the language pair become the
`render.ArticlePage` that `render` turns into files.

Both languages are rendered from the article's one parse (`markup.document`): the source
page, the translated page and every row of the bilingual page come from the same tokens,
with only the inline content translated. All HTML from articles passes `sanitize.clean`
here, and whatever the sanitizer had to remove is reported with the row's line.
"""

from __future__ import annotations

from collections.abc import Sequence

from translate_pipeline import markup, memory, render, sanitize
from translate_pipeline.articles import Article
from translate_pipeline.config import Pair
from translate_pipeline.markup.document import Resolve
from translate_pipeline.memory import Entry
from translate_pipeline.plan import COPY_LANGUAGE, Planned, changed_german


def article_page(
    article: Article,
    targets: Sequence[tuple[Pair, Sequence[Planned], Sequence[Entry]]],
    resolve: Resolve | None = None,
) -> tuple[render.ArticlePage, list[str]]:
    """The page in every target language (a pair, its units' plans and their entries),
    and one `file:line: …` line per element or attribute the sanitizer removed."""
    source = targets[0][0].source
    source_body, source_rows, problems = _source(article, source, resolve)
    page = render.ArticlePage(
        slug=article.slug,
        author=article.author,
        date=article.date,
        source=render.Version(
            source,
            article.title,
            article.description,
            source_body,
            sanitize.prose(source_body),
        ),
        targets=tuple(
            _target(article, source_rows, pair, plans, entries, resolve)
            for pair, plans, entries in targets
        ),
    )
    return page, problems


def _target(
    article: Article,
    source_rows: Sequence[str],
    pair: Pair,
    plans: Sequence[Planned],
    entries: Sequence[Entry],
    resolve: Resolve | None,
) -> render.Target:
    document = article.document
    translations = {plan.unit.text: entry.display for plan, entry in zip(plans, entries)}
    by_source = {plan.unit.text: entry for plan, entry in zip(plans, entries)}
    langs = {plan.unit.text: plan.lang for plan in plans}
    target_body, target_rows = document.render(translations, render.labels(pair.target), resolve)
    rows = []
    for block, source_html, raw_target in zip(document.blocks, source_rows, target_rows):
        target_html = sanitize.clean(raw_target)
        lang = next(
            (langs[u] for u in block.units if langs.get(u) not in (None, COPY_LANGUAGE)),
            pair.source,
        )
        rows.append(
            render.Row(
                kind=block.kind,
                source_html=source_html,
                target_html=target_html,
                source_lang=lang if lang == pair.target else pair.source,
                target_lang=pair.target,
                level=block.level,
                note=_row_note([by_source[u] for u in block.units if u in by_source]),
                ordered=block.ordered,
                number=block.number,
            )
        )
    target_body = sanitize.clean(target_body)
    version = render.Version(
        pair.target,
        _plain(by_source.get(article.title), article.title),
        _plain(by_source.get(article.description), article.description),
        target_body,
        sanitize.prose(target_body),
    )
    machine = any(_shows_machine(e) for e in entries)
    return render.Target(version, tuple(rows), machine)


def removed_from_page(article: Article, pair: Pair) -> list[str]:
    """What the sanitizer removes from the article's page, `file:line: what` (for `check`)."""
    return _source(article, pair.source, None)[2]


def _source(
    article: Article, lang: str, resolve: Resolve | None
) -> tuple[str, list[str], list[str]]:
    """The source page's body and rows, sanitized, and what sanitizing removed (reported
    at the first row that had it)."""
    body, rows = article.document.render(None, render.labels(lang), resolve)
    removed: dict[str, int] = {}
    clean_rows = []
    for block, html in zip(article.document.blocks, rows):
        clean, gone = sanitize.clean_reporting(html)
        clean_rows.append(clean)
        for what in gone:
            removed.setdefault(what, block.line)
    problems = [
        f"{article.path}:{line}: {what} removed from the page (not allowed)"
        for what, line in removed.items()
    ]
    return sanitize.clean(body), clean_rows, problems


def _plain(entry: Entry | None, source: str) -> str:
    """Titles and descriptions are plain text on every page, but the machine's translation
    is inline Markdown (its literal characters escaped: `\\[`, `&lt;`, `\\+++`): show what it
    says. A person's (or a copied) text is shown as written."""
    if entry is None:
        return source
    if entry.origin != memory.MACHINE and entry.display == entry.target:
        return entry.display
    return markup.unescape(entry.display)


def _shows_machine(entry: Entry) -> bool:
    """Whether a page shows machine English for this entry (an unverified one may be)."""
    return entry.origin in (memory.MACHINE, memory.UNVERIFIED) or entry.display != entry.target


def _row_note(entries: list[Entry]) -> str:
    """What a reader of the bilingual page should know about this row's translation."""
    if any(changed_german(e) for e in entries):
        return "The German changed; a reviewed translation is pending."
    if any(e.notes for e in entries):
        return "Some formatting could not be carried over; the text is complete."
    return ""
