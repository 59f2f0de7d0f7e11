"""Where a build's inputs are found and how they are loaded: article files, their
translation memories, the local images they show, and who owns which slug.

Problems confined to one file are reported (`file:line: message`) and that file is
skipped; the rest of the build goes on. Only regular files are read (a FIFO, socket or
device is reported, never opened in a way that blocks), each after `stat` showed it is
within its size limit, and only from inside `content/`: an article or image that is a link
to a file elsewhere is refused.

Local images are published only when their content is an image a browser shows as one
(PNG, JPEG, GIF, WebP, AVIF, ICO, BMP, judged by the file's first bytes) and their name
ends as that type's does, so an image can never be served as a page or replace one. SVG
is refused: it can carry scripts.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from translate_pipeline import dates, fileio, memory
from translate_pipeline.articles import (
    ARTICLE_SUFFIXES,
    MAX_ARTICLE_BYTES,
    Article,
    ArticleError,
    parse_article,
    read_text,
)
from translate_pipeline.config import Options, Pair
from translate_pipeline.markup.generators import REF_SCHEME
from translate_pipeline.memory import Memory, TranslationMemoryError
from translate_pipeline.report import Report


@dataclass(frozen=True, slots=True)
class Source:
    """One article file, the digest of its bytes as first read, and where its translation
    memories live (one per pair, the first pair's first). A build keeps one per article
    for its whole run, so it is small: the bytes are not kept (each pass reads them again,
    `read`), and the memories' paths are kept as strings."""

    path: Path
    digest: bytes  # sha256 of the bytes
    pairs: tuple[Pair, ...]
    memory_files: tuple[str, ...]  # one per pair

    @property
    def memory_paths(self) -> dict[Pair, Path]:
        return {pair: Path(file) for pair, file in zip(self.pairs, self.memory_files)}

    def read(self) -> bytes:
        """The article's bytes, as the build first read them; ArticleError when the file
        changed (or went) since: the passes of one build must see the same article."""
        try:
            data = fileio.read_input(self.path, MAX_ARTICLE_BYTES)
        except (fileio.Unreadable, OSError):
            data = b""
        if hashlib.sha256(data).digest() != self.digest:
            raise ArticleError(
                self.path, "changed while the build ran; not built (build again to publish it)"
            )
        return data

    @property
    def memory_path(self) -> Path:
        return Path(self.memory_files[0])

    def memory_bytes(self) -> bytes:
        """Every memory's bytes, for the article's fingerprint."""
        found = []
        for path in self.memory_paths.values():
            try:
                found.append(fileio.read_input(path, MAX_MEMORY_BYTES))
            except (FileNotFoundError, fileio.Unreadable):
                found.append(b"")  # checked by find_sources; a file swapped since: by load
        return b"\0".join(found)


MAX_MEMORY_BYTES = 256 * 2**20
MAX_IMAGE_BYTES = 20 * 2**20


def memory_path(options: Options, path: Path, pair: Pair | None = None) -> Path:
    """`translations/de-en/<path below content>.po` (the first pair's, or `pair`'s); a file
    outside `content/` by name."""
    content = options.content
    if content.is_dir() and path.is_relative_to(content):
        rel = path.relative_to(content)
    else:
        rel = Path(path.name)
    return options.memory_dir_for(pair or options.pair) / rel.with_suffix(".po")


def find_sources(options: Options, report: Report, pairs: Sequence[Pair] = ()) -> list[Source]:
    """The articles below `options.content`, with their memories for `pairs` (default:
    the first pair's)."""
    sources = []
    pairs = tuple(pairs or (options.pair,))  # one tuple, shared by every source
    for path in article_files(options.content, report):
        try:
            data = fileio.read_input(path, MAX_ARTICLE_BYTES)
        except fileio.Unreadable as exc:
            report.errors.append(str(exc))
            continue
        except OSError as exc:
            report.errors.append(f"{path}: cannot be read ({exc.strerror})")
            continue
        paths = [memory_path(options, path, pair) for pair in pairs]
        if problem := next(filter(None, map(_memory_problem, paths)), ""):
            report.errors.append(f"{problem}; {path} not built")
            continue
        memory_files = tuple(map(str, paths))
        sources.append(Source(path, hashlib.sha256(data).digest(), pairs, memory_files))
    return sources


def article_files(root: Path, report: Report) -> list[Path]:
    """Article files below `root`, recursively, in a stable order; hidden files skipped.
    What cannot be an article is reported: a FIFO, socket or device with an article's name,
    a link to a file outside `root` (or a broken one), a link to a folder outside it."""
    if not root.exists():
        return []
    if not root.is_dir():
        return [root]  # one file, named on the command line
    real_root = root.resolve()
    found = []
    for path in sorted(root.rglob("*")):
        if any(p.startswith(".") or p == "_drafts" for p in path.relative_to(root).parts):
            continue  # hidden files, and Jekyll's drafts
        is_article = path.suffix.lower() in ARTICLE_SUFFIXES
        if path.is_symlink():
            real = path.resolve()
            if not real.exists():
                if is_article:
                    report.errors.append(f"{path}: a link to {real}, which does not exist")
                continue
            if not real.is_relative_to(real_root):
                if is_article:
                    report.errors.append(
                        f"{path}: a link to {real}, outside {root}; not built (copy the "
                        f"file into {root} instead)"
                    )
                elif real.is_dir():
                    report.warnings.append(
                        f"{path}: a link to the folder {real}, outside {root}; its articles "
                        f"are not built (move the folder into {root} instead)"
                    )
                continue
        if not is_article:
            continue
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            report.errors.append(f"{path}: cannot be read ({exc.strerror})")
            continue
        if stat.S_ISDIR(mode):
            continue
        if not stat.S_ISREG(mode):
            report.errors.append(f"{path}: not a regular file ({fileio.kind(mode)}); skipped")
            continue
        found.append(path)
    return found


def _memory_problem(path: Path) -> str:
    """Why the translation memory at `path` cannot be read (stat only), or ''."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return ""
    except OSError as exc:
        return f"{path}: cannot be read ({exc.strerror})"
    if not stat.S_ISREG(info.st_mode):
        return f"{path}: not a regular file ({fileio.kind(info.st_mode)})"
    if info.st_size > MAX_MEMORY_BYTES:
        return f"{path}: file is larger than {fileio.megabytes(MAX_MEMORY_BYTES)}"
    return ""


def load(source: Source, report: Report) -> tuple[Article, dict[Pair, Memory]] | None:
    """The article and its memories, or None with the reason in `report.errors`."""
    try:
        text = read_text(source.path, source.read())
        article = parse_article(source.path, text)
        memories = {}
        for pair, path in source.memory_paths.items():
            if problem := _memory_problem(path):  # swapped since find_sources
                raise TranslationMemoryError(f"{problem}; {source.path} not built")
            memories[pair] = memory.load(path)
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
    return article, memories


def load_one(options: Options, path: Path) -> tuple[Article, Memory]:
    """One article named on the command line and its memory, read as a build reads them:
    ArticleError or TranslationMemoryError for what cannot be read, never a wait on a FIFO."""
    try:
        data = fileio.read_input(path, MAX_ARTICLE_BYTES)
    except fileio.Unreadable as exc:
        raise ArticleError(path, str(exc).removeprefix(f"{path}: ")) from None
    article = parse_article(path, read_text(path, data))
    memory_file = memory_path(options, path)
    if problem := _memory_problem(memory_file):
        raise TranslationMemoryError(problem)
    return article, memory.load(memory_file)


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
    `src` works beside each of its pages. Only safe images are published (see the module
    docstring); anything else is reported as a warning with its line, and left out."""
    root = content.resolve() if content.is_dir() else content.resolve().parent
    found: dict[str, bytes] = {}
    names: dict[str, str] = {}  # published name, case folded -> src
    for line, raw_src in article.document.images():
        if re.match(r"^([a-z][a-z0-9+.-]*:|/|#)", raw_src, re.I) or not raw_src:
            continue  # remote, absolute or data URL: not ours to copy
        src = unquote(raw_src.split("#", 1)[0].split("?", 1)[0])
        where = f"{article.path}:{line}: image '{raw_src}'"
        name = PurePosixPath(Path(src).as_posix()).as_posix()
        if name in found:
            continue
        path = (article.path.parent / src).resolve()
        if not path.is_relative_to(root) or ".." in Path(src).parts:
            report.warnings.append(f"{where} is outside {content}; not published")
            continue
        try:
            data = fileio.read_input(path, MAX_IMAGE_BYTES)
        except FileNotFoundError:
            report.warnings.append(f"{where} not found")
            continue
        except fileio.Unreadable as exc:
            report.warnings.append(f"{where} is {exc.reason}; not published")
            continue
        except OSError as exc:
            report.warnings.append(f"{where} cannot be read ({exc.strerror}); not published")
            continue
        if problem := image_problem(name, data):
            report.warnings.append(f"{where} {problem}; not published")
            continue
        if (other := names.setdefault(name.casefold(), src)) != src:
            report.warnings.append(
                f"{where} would be published under the name of image '{other}' (names "
                "that differ only in case are one file on many servers); not published"
            )
            continue
        found[name] = data
    return found


# Image types a page may show, by the first bytes of the file, with the file name endings
# that make servers send them as that type.
IMAGE_SUFFIXES = {
    "PNG": (".png",),
    "JPEG": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "GIF": (".gif",),
    "WebP": (".webp",),
    "AVIF": (".avif",),
    "ICO": (".ico",),
    "BMP": (".bmp",),
}


_BMP_HEADER_SIZES = (12, 40, 52, 56, 64, 108, 124)


def image_type(data: bytes) -> str | None:
    """The image type of `data` by its signature (magic bytes), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[4:8] == b"ftyp":  # ISO media file: AVIF when a brand of the ftyp box says so
        size = int.from_bytes(data[:4], "big")
        box = data[8 : min(max(size, 16), 4096)]
        brands = {box[i : i + 4] for i in range(0, len(box) - 3, 4) if i != 4}
        if brands & {b"avif", b"avis"}:
            return "AVIF"
    if data[:4] == b"\x00\x00\x01\x00" and int.from_bytes(data[4:6], "little") > 0:
        return "ICO"
    if data[:2] == b"BM" and int.from_bytes(data[14:18], "little") in _BMP_HEADER_SIZES:
        return "BMP"
    return None


def image_problem(name: str, data: bytes) -> str:
    """Why the file `name` holding `data` is not published as an image, or ''."""
    suffix = PurePosixPath(name).suffix.lower()
    found = image_type(data)
    if found is None:
        if suffix in (".svg", ".svgz") or b"<svg" in data[:4096].lower():
            return "is an SVG, which can carry scripts; convert it to PNG or WebP"
        kinds = ", ".join(IMAGE_SUFFIXES)
        return f"is not an image this site publishes ({kinds}, judged by its content)"
    if suffix not in IMAGE_SUFFIXES[found]:
        return (
            f"is a {found} image but its name ends in '{suffix}'; name it "
            f"'{PurePosixPath(name).stem}{IMAGE_SUFFIXES[found][0]}'"
        )
    return ""


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
