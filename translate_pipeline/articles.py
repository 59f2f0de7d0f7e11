"""Reading articles: a file in `content/` becomes an `Article`: front matter, then the body
as Markdown blocks (`markup.blocks`), with the units a build translates."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from translate_pipeline.markup.blocks import Block, parse_blocks

ARTICLE_SUFFIXES = (".md", ".markdown", ".txt")
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
    blocks: list[Block] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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


def find_articles(root: Path) -> list[Path]:
    """Article files below `root`, recursively, in a stable order; hidden files skipped."""
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in ARTICLE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


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


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def _load_yaml(text: str) -> Any:
    """libyaml's loader when PyYAML has it (a tenth of the time); on an error the Python
    loader has the last word, as its messages say what is wrong more precisely."""
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError:
        return yaml.safe_load(text) or {}


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str, int]:
    """YAML front matter, the body, and the body's first line number."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text, 1
    try:
        meta = _load_yaml(match.group(1) or "")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        if isinstance(exc, yaml.reader.ReaderError):  # a character YAML refuses: no mark
            line = (match.group(1) or "")[: exc.position].count("\n") + 2
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ArticleError(path, f"front matter is not valid YAML: {problem}", line) from None
    if not isinstance(meta, dict):
        raise ArticleError(path, "front matter must be a mapping of keys to values", 2)
    body_line = text[: match.end()].count("\n") + 1
    return meta, text[match.end() :], body_line


def _meta_string(meta: dict[str, Any], key: str, path: Path, text: str) -> str:
    value = meta.get(key, "")
    if value is None:
        return ""
    if isinstance(value, (int, float, bool)) and key == "title":
        raise ArticleError(
            path, f"front matter '{key}' must be text, got {value!r}", _key_line(text, key)
        )
    if not isinstance(value, (str, int, float)) and not hasattr(value, "isoformat"):
        raise ArticleError(
            path,
            f"front matter '{key}' must be text, got {type(value).__name__}",
            _key_line(text, key),
        )
    result = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if bad := _NOT_TEXT.search(result):
        # Only YAML escapes ("\x1b", "\ud800") get them here; XML feeds cannot hold them.
        raise ArticleError(
            path,
            f"front matter '{key}' contains U+{ord(bad.group()):04X}, which is not text",
            _key_line(text, key),
        )
    return result


_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _key_line(text: str, key: str) -> int | None:
    match = re.search(rf"^{re.escape(key)}\s*:", text, re.M)
    return text[: match.start()].count("\n") + 1 if match else None


def parse_article(path: Path, text: str, display_path: Path | None = None) -> Article:
    """Front matter and body of one Markdown article (or a scraped plain-text one)."""
    shown = display_path or path
    if path.suffix.lower() == ".txt" and not text.startswith("---"):
        text = import_plain_text(text, shown)
    meta, body, body_line = split_front_matter(text, shown)
    title = _meta_string(meta, "title", shown, text).strip()
    if not title:
        raise ArticleError(shown, "front matter has no 'title'", 1)
    raw_slug = _meta_string(meta, "slug", shown, text) or path.stem
    article = Article(
        path=shown,
        slug=slugify(raw_slug),
        title=title,
        author=_meta_string(meta, "author", shown, text),
        date=_meta_string(meta, "date", shown, text),
        description=_meta_string(meta, "description", shown, text),
        lang=_meta_string(meta, "lang", shown, text),
        meta=meta,
        meta_lines={k: n for k in meta if isinstance(k, str) and (n := _key_line(text, k))},
        blocks=parse_blocks(body, first_line=body_line),
    )
    if "slug" in meta and article.slug != str(meta["slug"]):
        article.warnings.append(
            f"{shown}:{_key_line(text, 'slug')}: slug {str(meta['slug'])!r} is not URL-safe, "
            f"using {article.slug!r}"
        )
    return article


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
