"""Reading articles: a file in `content/` becomes an `Article`: its front matter
(`frontmatter`) and its body parsed once (`markup.document`), with the units a build
translates.

Articles come from other generators as they are: Hugo page bundles (`post/index.md`,
`index.de.md`, `post.de.md`), Jekyll posts (`2023-07-22-titel.md`), MDX, files whose title
is their first `# heading`, drafts (`draft: true`, not published)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from translate_pipeline import frontmatter
from translate_pipeline.markup.document import Block, Document, parse_document
from translate_pipeline.markup.generators import Finding

ARTICLE_SUFFIXES = (".md", ".markdown", ".mdx", ".txt")
MAX_ARTICLE_BYTES = 20 * 1024 * 1024


class ArticleError(Exception):
    """Input that cannot be read; `str()` is the one-line report `file:line: message`."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path, self.message, self.line = str(path), message, line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass
class Article:
    """A German article as read from `content/` (front matter plus blocks)."""

    path: Path
    slug: str
    title: str
    author: str = ""
    date: str = ""
    description: str = ""
    lang: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    meta_lines: dict[str, int] = field(default_factory=dict)  # front-matter key -> its line
    document: Document = field(default_factory=lambda: parse_document(""))
    warnings: list[str] = field(default_factory=list)
    draft: bool = False

    @property
    def blocks(self) -> list[Block]:
        return self.document.blocks


@dataclass(frozen=True)
class Unit:
    """A translatable piece of an article, with where it is for reports."""

    text: str
    where: str  # "title", "description", or "<kind> <n>"
    line: int


def article_units(article: Article) -> list[Unit]:
    units = [Unit(article.title, "title", 1)]
    if article.description:
        units.append(Unit(article.description, "description", 1))
    for number, block in enumerate(article.blocks, 1):
        for text in block.units:
            if text.strip():
                units.append(Unit(text, f"{block.kind} {number}", block.line))
    return units


# --- slugs -------------------------------------------------------------------

_TRANSLIT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)


def slugify(text: str, max_length: int = 80) -> str:
    """URL-safe slug: German umlauts transliterated, anything else reduced to a-z0-9-."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    text = text.encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[:max_length].rstrip("-") or "article"


# --- files -------------------------------------------------------------------


def read_text(path: Path, data: bytes | None = None) -> str:
    """Strict UTF-8 (BOM allowed, CRLF normalised): never silently replace bad bytes."""
    data = path.read_bytes() if data is None else data
    if not data.strip():
        raise ArticleError(path, "file is empty")
    if len(data) > MAX_ARTICLE_BYTES:
        raise ArticleError(path, f"file is larger than {MAX_ARTICLE_BYTES // 2**20} MB")
    if (nul := data.find(b"\x00")) >= 0:  # the whole file, not only its start
        line = data[:nul].count(b"\n") + 1
        raise ArticleError(path, "binary file (contains NUL bytes), not a text article", line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ArticleError(
            path, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})", line
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LANGUAGE_SUFFIX = re.compile(r"^(?P<stem>.+)\.(?P<lang>[a-z]{2})(?:[-_][A-Za-z]{2})?$")
_JEKYLL_POST = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})-(?P<stem>.+)$")
_BUNDLE_STEMS = ("index", "_index", "readme")


class _Meta:
    """Reading values from front matter, each problem reported with the key's line."""

    def __init__(self, matter: frontmatter.FrontMatter, path: Path) -> None:
        self.meta, self.lines, self.path = matter.meta, matter.lines, path

    def text(self, *keys: str, names: bool = False) -> str:
        """The first of `keys` that is set, as text (dates and times in ISO form); with
        `names`, lists of names are joined and a mapping gives its `name`."""
        for key in keys:
            value = self.meta.get(key)
            if value is None or value == "" or value == []:
                continue
            if names and isinstance(value, dict) and isinstance(value.get("name"), str):
                value = value["name"]
            elif names and isinstance(value, list) and all(isinstance(v, str) for v in value):
                value = ", ".join(value)
            textual = isinstance(value, (str, int, float)) or hasattr(value, "isoformat")
            if isinstance(value, bool) or not textual:
                kind = "true or false" if isinstance(value, bool) else type(value).__name__
                raise ArticleError(
                    self.path, f"front matter '{key}' must be text, got {kind}", self.lines.get(key)
                )
            try:
                result = value.isoformat() if hasattr(value, "isoformat") else str(value)
            except ValueError:  # an integer too long to print
                raise ArticleError(
                    self.path, f"front matter '{key}' is a number too long", self.lines.get(key)
                ) from None
            if bad := _NOT_TEXT.search(result):
                # Only escapes ("\x1b", "\ud800") get them here; XML feeds cannot hold them.
                raise ArticleError(
                    self.path,
                    f"front matter '{key}' contains U+{ord(bad.group()):04X}, which is not text",
                    self.lines.get(key),
                )
            return result.strip()
        return ""


def parse_article(path: Path, text: str, display_path: Path | None = None) -> Article:
    """Front matter and body of one Markdown article (or a scraped plain-text one)."""
    shown = display_path or path
    imported = path.suffix.lower() == ".txt" and not text.startswith("---")
    if imported:
        text = import_plain_text(text, shown)
    try:
        matter = frontmatter.split(text)
    except frontmatter.FrontMatterError as exc:
        raise ArticleError(shown, str(exc), exc.line) from None
    if imported:  # the front matter was made here: its lines are not the file's
        matter = frontmatter.FrontMatter(matter.meta, matter.body, 1, {}, matter.format)
    meta = _Meta(matter, shown)
    document = parse_document(matter.body, matter.body_line, mdx=path.suffix.lower() == ".mdx")
    stem, suffix_lang, file_date = _name_parts(path)
    title = meta.text("title", "linkTitle")
    first = document.blocks[0] if document.blocks else None
    if first is not None and first.kind == "heading" and first.level == 1 and first.units:
        heading = document.plain(first)
        if not title or _same_words(heading, title):
            title = title or heading
            document = document.without(first)
    if not title:
        raise ArticleError(
            shown, "no title: give it a 'title' in the front matter or start it with '# Title'", 1
        )
    warnings = _finding_warnings(shown, document.findings)
    raw_slug = meta.text("slug") or stem
    article = Article(
        path=shown,
        slug=slugify(raw_slug),
        title=title,
        author=meta.text("author", "authors", names=True),
        date=meta.text("date", "pubDate", "publishDate", "published", "created") or file_date,
        description=meta.text("description", "summary", "excerpt", "subtitle"),
        lang=(meta.text("lang", "language", "locale") or suffix_lang)[:2].lower(),
        meta=matter.meta,
        meta_lines=matter.lines,
        document=document,
        warnings=warnings,
        draft=matter.meta.get("draft") is True or matter.meta.get("published") is False,
    )
    if "slug" in matter.meta and article.slug != str(matter.meta["slug"]):
        article.warnings.append(
            f"{shown}:{matter.lines.get('slug')}: slug {str(matter.meta['slug'])!r} is not "
            f"URL-safe, using {article.slug!r}"
        )
    return article


def _finding_warnings(path: Path, findings: list[Finding]) -> list[str]:
    """One line per construct left out or unwrapped, at its first place, with how often:
    an article with forty `{% data %}` tags gets one line, not forty."""
    first: dict[tuple[str, str], Finding] = {}
    counts: dict[tuple[str, str], int] = {}
    for finding in findings:
        if finding.action == "converted":
            continue
        key = (finding.construct, finding.action)
        first.setdefault(key, finding)
        counts[key] = counts.get(key, 0) + 1
    lines = []
    for key, finding in sorted(first.items(), key=lambda item: item[1].line):
        times = f" ({counts[key]} times)" if counts[key] > 1 else ""
        lines.append(f"{path}:{finding.line}: {finding.message()}{times}")
    return lines


def _name_parts(path: Path) -> tuple[str, str, str]:
    """(slug source, language, date) a file's name and folder give: Hugo bundles take the
    folder's name (`post/index.de.md` → post, de), Jekyll posts drop their date."""
    stem, lang, date = path.stem, "", ""
    if match := _LANGUAGE_SUFFIX.match(stem):
        stem, lang = match.group("stem"), match.group("lang")
    if stem.lower() in _BUNDLE_STEMS and path.parent.name:
        stem = path.parent.name
    if match := _JEKYLL_POST.match(stem):
        stem, date = match.group("stem"), match.group("date")
    return stem, lang, date


def _same_words(a: str, b: str) -> bool:
    def words(text: str) -> list[str]:
        return re.findall(r"\w+", text.casefold())

    return words(a) == words(b)


def read_article(path: Path, display_path: Path | None = None) -> Article:
    return parse_article(path, read_text(path), display_path)


# --- scraped plain text ------------------------------------------------------

_READING_TIME = re.compile(r"^-?\s*\d+\s*Min\.?\s*(Lesezeit|read)\s*$", re.I)
_BOILERPLATE = re.compile(r"^(Comments|Kommentare|Kommentar schreiben|Teilen|Share)\s*$", re.I)


def import_plain_text(text: str, path: Path | str = "<text>") -> str:
    """Turn a scraped blog article (title, `- author`, `- date`, `- N Min. Lesezeit`,
    body paragraphs, trailing `Comments`) into Markdown with front matter."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise ArticleError(path, "file is empty")
    title, rest = lines[0], lines[1:]
    meta_lines: list[str] = []
    while rest and rest[0].startswith("- "):
        meta_lines.append(rest.pop(0)[2:].strip())
    while rest and _BOILERPLATE.match(rest[-1]):
        rest.pop()
    meta: dict[str, str] = {"title": title}
    for item in meta_lines:
        if _READING_TIME.match(item):
            continue
        if "date" not in meta and re.search(r"\d", item):
            meta["date"] = item
        elif "author" not in meta:
            meta["author"] = item
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    body = [_as_subheading(line) for line in rest]
    return f"---\n{front}---\n\n" + "\n\n".join(body) + "\n"


def _as_subheading(line: str) -> str:
    """Scraped blogs lose their `<h2>`s: a short line without closing punctuation
    between paragraphs was one."""
    if len(line) <= 120 and not re.search(r"[.!?:;,…\"“”»«)]$", line):
        return "## " + line
    return line
