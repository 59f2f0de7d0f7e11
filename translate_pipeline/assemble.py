"""Page assembly: an article, its units' memory entries and the language pair become the
`render.ArticlePage` that `render` turns into files.

Both languages are rebuilt from the article's one block skeleton (`markup.blocks`), so the
source page, the translated page and each row of the bilingual page come from the same
blocks. All HTML from Markdown passes through `sanitize.clean` here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from translate_pipeline import markup, memory, render, sanitize
from translate_pipeline.articles import Article
from translate_pipeline.config import Pair
from translate_pipeline.markup.blocks import Block, join_blocks
from translate_pipeline.memory import Entry
from translate_pipeline.plan import COPY_LANGUAGE, Planned

_FOOTNOTE_LIST = re.compile(r'<div class="footnote">.*</div>\s*\Z', re.S)


def _html(markdown_text: str) -> str:
    return sanitize.clean(markup.to_html(markdown_text))


def article_page(
    article: Article, plans: Sequence[Planned], entries: Sequence[Entry], pair: Pair
) -> render.ArticlePage:
    translated = {plan.unit.text: entry.display for plan, entry in zip(plans, entries)}
    by_source = {plan.unit.text: entry for plan, entry in zip(plans, entries)}
    langs = {plan.unit.text: plan.lang for plan in plans}
    target_units = [tuple(translated.get(u, u) for u in block.units) for block in article.blocks]
    footnotes = [b for b in article.blocks if b.kind in ("footnote", "reference")]
    rows = []
    for block, units in zip(article.blocks, target_units):
        lang = next(
            (langs[u] for u in block.units if langs.get(u) not in (None, COPY_LANGUAGE)),
            pair.source,
        )
        rows.append(
            render.Row(
                kind=block.kind,
                source_html=_row_html(block, None, footnotes),
                target_html=_row_html(block, units, footnotes),
                source_lang=lang if lang == pair.target else pair.source,
                target_lang=pair.target,
                level=block.level,
                note=_row_note([by_source[u] for u in block.units if u in by_source]),
            )
        )
    source_html = _html(join_blocks(article.blocks))
    target_html = _html(join_blocks(article.blocks, target_units))
    return render.ArticlePage(
        slug=article.slug,
        author=article.author,
        date=article.date,
        source=render.Version(
            pair.source,
            article.title,
            article.description,
            source_html,
            sanitize.prose(source_html),
        ),
        target=render.Version(
            pair.target,
            _plain(by_source.get(article.title), article.title),
            _plain(by_source.get(article.description), article.description),
            target_html,
            sanitize.prose(target_html),
        ),
        rows=tuple(rows),
        machine_translated=any(e.origin == memory.MACHINE or e.fuzzy for e in entries),
    )


def _plain(entry: Entry | None, source: str) -> str:
    """Titles and descriptions are plain text on every page, but the machine's translation
    is inline Markdown (its literal characters escaped: `\\[`, `&lt;`, `\\+++`): show what it
    says. A person's (or a copied) text is shown as written."""
    if entry is None:
        return source
    if entry.origin != memory.MACHINE and entry.display == entry.target:
        return entry.display
    return markup.unescape(entry.display)


def _row_note(entries: list[Entry]) -> str:
    """What a reader of the bilingual page should know about this row's translation."""
    if any(e.fuzzy for e in entries):
        return "The German changed; a reviewed translation is pending."
    if any(e.notes for e in entries):
        return "Some formatting could not be carried over; the text is complete."
    return ""


def _row_html(block: Block, units: tuple[str, ...] | None, footnotes: list[Block]) -> str:
    """One block rendered alone; list items lose their nesting indentation (the row
    shows it), and footnote/reference definitions are appended so links resolve."""
    text = block.markdown(units)
    if block.kind == "list_item":
        text = text.lstrip()
    if block.kind not in ("footnote", "reference") and footnotes and "[" in text:
        text += "\n\n" + join_blocks(footnotes)
        return _FOOTNOTE_LIST.sub("", _html(text))
    return _html(text)
