"""Where a build's inputs are found and how they are loaded: article files, their
translation memories, the local images they show, and who owns which slug.

Problems confined to one file are reported (`file:line: message`) and that file is
skipped; the rest of the build goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from translate_pipeline import dates, memory
from translate_pipeline.articles import (
    Article,
    ArticleError,
    find_articles,
    parse_article,
    read_text,
)
from translate_pipeline.config import Options
from translate_pipeline.markup.generators import REF_SCHEME
from translate_pipeline.memory import Memory, TranslationMemoryError
from translate_pipeline.report import Report


@dataclass
class Source:
    """One article file as read, and where its translation memory lives."""

    path: Path
    data: bytes
    memory_path: Path

    def memory_bytes(self) -> bytes:
        return self.memory_path.read_bytes() if self.memory_path.exists() else b""


def memory_path(options: Options, path: Path) -> Path:
    """`translations/de-en/<path below content>.po`; a file outside `content/` by name."""
    content = options.content
    if content.is_dir() and path.is_relative_to(content):
        rel = path.relative_to(content)
    else:
        rel = Path(path.name)
    return options.memory_dir / rel.with_suffix(".po")


def find_sources(options: Options, report: Report) -> list[Source]:
    sources = []
    for path in find_articles(options.content):
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.errors.append(f"{path}: cannot be read ({exc.strerror})")
            continue
        sources.append(Source(path, data, memory_path(options, path)))
    return sources


def load(source: Source, report: Report) -> tuple[Article, Memory] | None:
    """The article and its memory, or None with the reason in `report.errors`."""
    try:
        text = read_text(source.path, source.data)
        article = parse_article(source.path, text)
        mem = memory.load(source.memory_path)
    except (ArticleError, TranslationMemoryError) as exc:
        report.errors.append(str(exc))
        return None
    report.warnings.extend(article.warnings)
    if article.date and dates.parse_date(article.date) is None:
        line = article.meta_lines.get("date")
        where = f"{article.path}:{line}" if line else str(article.path)
        report.warnings.append(
            f"{where}: date '{article.date}' cannot be read, so it is shown as "
            "written and the article is listed last; write it like 2025-03-15 or 15. März 2025"
        )
    return article, mem


def claim_slug(slugs: dict[str, Path], slug: str, path: Path, report: Report) -> bool:
    """Two articles with one slug: the first (in path order) keeps it, the other is reported."""
    if slug in slugs and slugs[slug] != path:
        report.errors.append(
            f"{path}: slug '{slug}' is already used by {slugs[slug]}; set a different "
            "'slug:' in its front matter (not built)"
        )
        return False
    slugs[slug] = path
    return True


def local_images(article: Article, content: Path, report: Report) -> dict[str, bytes]:
    """The local images an article shows, by their `src` as written, so the same relative
    `src` works beside each of its pages; a missing one is reported."""
    root = content.resolve() if content.is_dir() else content.resolve().parent
    found: dict[str, bytes] = {}
    for line, src in article.document.images():
        if re.match(r"^([a-z][a-z0-9+.-]*:|/|#)", src, re.I) or not src:
            continue  # remote, absolute or data URL: not ours to copy
        relative = unquote(src.split("#", 1)[0].split("?", 1)[0])
        path = (article.path.parent / relative).resolve()
        if not path.is_relative_to(root) or ".." in Path(relative).parts:
            report.warnings.append(f"{article.path}:{line}: image '{src}' is outside {content}")
            continue
        if not path.is_file():
            report.warnings.append(f"{article.path}:{line}: image '{src}' not found")
            continue
        found[Path(relative).as_posix()] = path.read_bytes()
    return found


class LinkIndex:
    """Which article a link in another article means: Hugo's `ref`/`relref`, Jekyll's `link`
    and `post_url`, and relative links to Markdown files (`../zwei/index.md`)."""

    def __init__(self, content: Path, slugs: dict[str, Path]) -> None:
        self.by_key: dict[str, str] = {}
        root = content if content.is_dir() else content.parent
        for slug, path in sorted(slugs.items(), key=lambda item: str(item[1])):
            for key in _link_keys(path, root):
                self.by_key.setdefault(key, slug)

    def resolver(self, article: Path, content: Path) -> Callable[[str], str | None]:
        root = content if content.is_dir() else content.parent

        def resolve(href: str) -> str | None:
            target, _, fragment = href.removeprefix(REF_SCHEME).partition("#")
            if not href.startswith(REF_SCHEME):  # a relative file link
                try:
                    target = (
                        (article.parent / unquote(target))
                        .resolve()
                        .relative_to(root.resolve())
                        .as_posix()
                    )
                except ValueError:
                    return None
            slug = self.by_key.get(_normal(target))
            if slug is None:
                return None
            return f"../{slug}/index.html" + (f"#{fragment}" if fragment else "")

        return resolve


def _normal(target: str) -> str:
    target = target.strip().strip("/").lower()
    return re.sub(r"(/index|/_index)?(\.[a-z]{2})?\.(md|mdx|markdown|html)$", "", target)


def _link_keys(path: Path, root: Path) -> set[str]:
    """The ways a link may name an article: path below content/ with or without its
    extension or `index.md`, its folder for a bundle, its file name, and its Jekyll name."""
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        relative = path.name
    full = _normal(relative)
    keys = {full, full.rsplit("/", 1)[-1]}
    for prefix in ("posts/", "_posts/", "blog/", "post/"):
        if full.startswith(prefix):
            keys.add(full.removeprefix(prefix))
    return {key for key in keys if key}
