"""Where a build's inputs are found and how they are loaded: article files, their
translation memories, the local images they show, and who owns which slug.

Problems confined to one file are reported (`file:line: message`) and that file is
skipped; the rest of the build goes on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from translate_pipeline import dates, memory
from translate_pipeline.articles import (
    Article,
    ArticleError,
    find_articles,
    parse_article,
    read_text,
)
from translate_pipeline.config import Options
from translate_pipeline.markup import images
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
        _check_date(article, text)
        mem = memory.load(source.memory_path)
    except (ArticleError, TranslationMemoryError) as exc:
        report.errors.append(str(exc))
        return None
    report.warnings.extend(article.warnings)
    return article, mem


def _check_date(article: Article, text: str) -> None:
    """A date that cannot be read would be published as written: report it instead.
    YAML dates and timestamps are read by YAML itself; an empty date is fine."""
    if not article.date or hasattr(article.meta.get("date"), "isoformat"):
        return
    if dates.parse_date(article.date) is None:
        lines = text.split("\n")
        line = next((n for n, t in enumerate(lines, 1) if re.match(r"date\s*:", t)), None)
        raise ArticleError(
            article.path,
            f"date '{article.date}' cannot be read; write it like 15. März 2025 or "
            "2025-03-15 (not built)",
            line,
        )


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
    definitions = "\n\n".join(b.markdown() for b in article.blocks if b.kind == "reference")
    found: dict[str, bytes] = {}
    for block in article.blocks:
        text = block.markdown()
        if "![" not in text and "<img" not in text.lower():
            continue
        for src in images(f"{text}\n\n{definitions}"):
            if re.match(r"^([a-z][a-z0-9+.-]*:|/|#)", src, re.I):
                continue  # remote, absolute or data URL: not ours to copy
            path = (article.path.parent / src).resolve()
            if not path.is_relative_to(root) or ".." in Path(src).parts:
                report.warnings.append(f"{article.path}: image '{src}' is outside {content}")
                continue
            if not path.is_file():
                report.warnings.append(f"{article.path}:{block.line}: image '{src}' not found")
                continue
            found[Path(src).as_posix()] = path.read_bytes()
    return found
