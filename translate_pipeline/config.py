"""What a build is asked to do: the language pair and the options every command shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """An option that cannot work; `str()` says which and why, in one line."""


@dataclass(frozen=True)
class Pair:
    """The languages a build translates between: articles in `source`, pages in both.

    Codes are the ones Argos Translate packages use (ISO 639-1). Everything that depends on
    the pair (memory folder, PO header, page paths, UI strings) is derived from it.
    """

    source: str = "de"
    target: str = "en"

    @property
    def code(self) -> str:
        """`de-en`: the memory folder and the bilingual pages' folder."""
        return f"{self.source}-{self.target}"


# English names of languages, for messages and PO headers; other codes are shown as codes.
_NAMES = {
    "ar": "Arabic", "de": "German", "en": "English", "es": "Spanish", "fr": "French",
    "it": "Italian", "nl": "Dutch", "pl": "Polish", "pt": "Portuguese", "ru": "Russian",
    "tr": "Turkish", "uk": "Ukrainian", "zh": "Chinese",
}  # fmt: skip


def language_name(code: str) -> str:
    return _NAMES.get(code, code)


def check_base_url(url: str) -> str:
    """The site's absolute address, ending in `/`; ConfigError for anything else, such as
    the `https:///` an unset `${HOST}` leaves."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--base-url must be an absolute http(s) URL with a host, got {url!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"--base-url cannot have a query or fragment, got {url!r}")
    return url.rstrip("/") + "/"


@dataclass(frozen=True)
class Options:
    """The options of `build`, `check`, `inspect`, `serve` and `glossary test`."""

    content: Path = Path("content")
    out: Path = Path("site")
    translations: Path | None = None  # default: translations/<source>-<target>
    glossaries: Path = Path("glossaries")
    base_url: str | None = None
    frozen: bool = False
    device: str = "auto"
    threads: int | None = None
    pair: Pair = field(default_factory=Pair)
    review: bool = False  # build: also write the review page; check: list the review queue

    def __post_init__(self) -> None:
        if self.base_url is not None:
            object.__setattr__(self, "base_url", check_base_url(self.base_url))

    @property
    def memory_dir(self) -> Path:
        """The folder of this pair's PO files."""
        return self.translations or Path("translations") / self.pair.code
