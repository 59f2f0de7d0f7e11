"""Front matter as static site generators write it: YAML (`---`, Jekyll, Hugo, Astro,
Eleventy, MkDocs), TOML (`+++`, Hugo) and JSON (`{…}`, Hugo).

Front matter is data from a file: whatever its shape, a problem is this article's problem,
reported as `file:line` (never a traceback that stops the build), and its size and nesting
are bounded so one file cannot stall a build.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from typing import Any

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_BYTES = 256 * 1024  # front matter of real articles is a few hundred bytes
MAX_DEPTH = 32
MAX_ITEMS = 10_000


class FrontMatterError(ValueError):
    """Front matter that cannot be read; `line` is its line in the file, if known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class FrontMatter:
    meta: dict[str, Any]
    body: str
    body_line: int  # the body's first line in the file
    lines: dict[str, int]  # top-level key -> its line in the file
    format: str  # "yaml", "toml", "json" or "" (none)


_YAML = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_TOML = re.compile(r"\A\+\+\+[ \t]*\n(.*?\n)?\+\+\+[ \t]*(?:\n|\Z)", re.S)


def split(text: str) -> FrontMatter:
    """The front matter of `text` and the body after it; FrontMatterError if it cannot be
    read. No front matter is not an error (the title may come from the first heading)."""
    for pattern, kind in ((_YAML, "yaml"), (_TOML, "toml")):
        match = pattern.match(text)
        if match:
            source, first = match.group(1) or "", 2
            meta = _load(kind, source, first)
            end = match.end()
            break
    else:
        if not text.startswith("{"):
            return FrontMatter({}, text, 1, {}, "")
        meta, end = _json(text)
        source, first, kind = text[:end], 1, "json"
    body_line = text[:end].count("\n") + 1
    lines = {key: line for key in meta if (line := _key_line(source, key, kind, first))}
    return FrontMatter(meta, text[end:], body_line, lines, kind)


def _check_size(source: str, first: int) -> None:
    if len(source.encode("utf-8", "replace")) > MAX_BYTES:
        raise FrontMatterError(f"front matter is larger than {MAX_BYTES // 1024} KB", first)


def _load(kind: str, source: str, first: int) -> dict[str, Any]:
    _check_size(source, first)
    try:
        data = _yaml(source, first) if kind == "yaml" else tomllib.loads(source)
    except FrontMatterError:
        raise
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        message = str(exc).split(" (at line")[0]
        raise FrontMatterError(
            f"front matter is not valid TOML: {message}", line + first - 1 if line else first
        ) from None
    except (ValueError, RecursionError, OverflowError, MemoryError) as exc:
        raise FrontMatterError(f"front matter cannot be read: {_short(exc)}", first) from None
    return _mapping(data, first)


def _yaml(source: str, first: int) -> Any:
    """libyaml's loader when PyYAML has it (a tenth of the time); on an error the Python
    loader has the last word, as its messages say what is wrong more precisely."""
    try:
        try:
            return yaml.load(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            return yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + first if mark else first
        if isinstance(exc, yaml.reader.ReaderError):  # a character YAML refuses: no mark
            line = source[: exc.position].count("\n") + first
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FrontMatterError(f"front matter is not valid YAML: {problem}", line) from None


def _json(text: str) -> tuple[dict[str, Any], int]:
    """Hugo's JSON front matter: one object at the start of the file."""
    _check_size(text[: MAX_BYTES + 1], 1)
    try:
        data, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as exc:
        raise FrontMatterError(f"front matter is not valid JSON: {exc.msg}", exc.lineno) from None
    except (ValueError, RecursionError) as exc:
        raise FrontMatterError(f"front matter cannot be read: {_short(exc)}", 1) from None
    while end < len(text) and text[end] in " \t":
        end += 1
    if end < len(text) and text[end] == "\n":
        end += 1
    return _mapping(data, 1), end


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    return text[:120]


def _mapping(data: Any, first: int) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError("front matter must be a mapping of keys to values", first)
    _bounded(data, first)
    return {str(key): value for key, value in data.items()}


def _bounded(data: Any, first: int) -> None:
    """Nesting and size within reason (YAML aliases can make a small text a huge tree)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    seen = 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if depth > MAX_DEPTH:
            raise FrontMatterError(f"front matter is nested more than {MAX_DEPTH} levels", first)
        if seen > MAX_ITEMS:
            raise FrontMatterError(f"front matter has more than {MAX_ITEMS} values", first)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _key_line(source: str, key: str, kind: str, first: int) -> int | None:
    patterns = {
        "yaml": rf"^{re.escape(key)}\s*:",
        "toml": rf"^\s*{re.escape(key)}\s*=",
        "json": rf'"{re.escape(key)}"\s*:',
    }
    match = re.search(patterns[kind], source, re.M)
    return source[: match.start()].count("\n") + first if match else None
