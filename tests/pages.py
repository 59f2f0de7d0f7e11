"""Render a whole site from finished pages, for tests of `render` alone (a build renders
articles and indexes separately, to re-render only what changed)."""

from __future__ import annotations

from collections.abc import Sequence

from translate_pipeline.config import check_base_url
from translate_pipeline.render import (
    SITE_TITLE,
    ArticlePage,
    Site,
    Summary,
    render_article,
    render_indexes,
    summarize,
)


def render_site(
    pages: Sequence[ArticlePage],
    base_url: str | None = None,
    site_title: str = SITE_TITLE,
    targets: tuple[str, ...] = ("en",),
) -> dict[str, bytes]:
    """Every file of the site by relative path; the same input always gives the same bytes."""
    slugs = [page.slug for page in pages]
    if len(set(slugs)) != len(slugs):
        raise ValueError("two articles share a slug")
    site = Site(
        targets=targets,
        base_url=None if base_url is None else check_base_url(base_url),
        title=site_title,
    )
    files = dict(render_indexes([summarize(page) for page in pages], site))
    for page in pages:
        files.update(render_article(page, site))
    return dict(sorted(files.items()))


def summaries(count: int) -> list[Summary]:
    """`count` index entries with dates spread over years, so sorting has work to do."""
    return [
        Summary(
            slug=f"a-{i:06d}",
            author="",
            date=f"{i % 28 + 1}.{i // 28 % 12 + 1}.{2000 + i // 336}",
            titles={"de": f"Titel {i}", "en": f"Title {i}"},
            descriptions={"de": "", "en": ""},
            minutes={"de": 1, "en": 1},
        )
        for i in range(count)
    ]
