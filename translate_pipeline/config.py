"""What a build is asked to do: the language pair and the options every command shares."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_FILE = "translate-pipeline.toml"
_CODE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


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
    pair: Pair = field(default_factory=Pair)  # the first target's pair
    review: bool = False  # build: also write the review page; check: list the review queue
    targets: tuple[str, ...] = ()  # every target language, the first one first
    # Where `build` translates: "local" (this process) or "ray" (a pool of Ray actors:
    # `ray_address` None for a Ray instance of the build's own, "auto" or HOST:PORT to
    # join a cluster; `actors` and `gpus_per_actor` size the pool, `threads` is per actor).
    executor: str = "local"
    ray_address: str | None = None
    actors: int | None = None
    gpus_per_actor: float | None = None

    def __post_init__(self) -> None:
        if self.base_url is not None:
            object.__setattr__(self, "base_url", check_base_url(self.base_url))
        check_executor(self)
        targets = check_targets(self.targets or (self.pair.target,), self.pair.source)
        object.__setattr__(self, "targets", targets)
        object.__setattr__(self, "pair", Pair(self.pair.source, targets[0]))

    @property
    def pairs(self) -> tuple[Pair, ...]:
        return tuple(Pair(self.pair.source, target) for target in self.targets)

    @property
    def memory_dir(self) -> Path:
        """The folder of the first pair's PO files."""
        return self.translations or Path("translations") / self.pair.code

    def memory_dir_for(self, pair: Pair) -> Path:
        """The folder of a pair's PO files: siblings of the first pair's, named by pair."""
        if pair == self.pair:
            return self.memory_dir
        return self.memory_dir.parent / pair.code

    def others(self, pair: Pair) -> tuple[str, ...]:
        """The build's languages other than `pair`'s: glossary columns allowed beside it."""
        languages = {self.pair.source, *self.targets, "en"}
        return tuple(sorted(languages - {pair.source, pair.target}))

    def for_pair(self, pair: Pair) -> Options:
        """These options for one pair: its memory folder, its target first."""
        return replace(self, pair=pair, translations=self.memory_dir_for(pair), targets=())


def check_executor(options: Options) -> None:
    """ConfigError for Ray options without `--executor ray`, or values that cannot work."""
    if options.executor not in ("local", "ray"):
        raise ConfigError(f"--executor must be local or ray, got {options.executor!r}")
    ray_only = {
        "--ray-address": options.ray_address,
        "--actors": options.actors,
        "--gpus-per-actor": options.gpus_per_actor,
    }
    for name, value in ray_only.items():
        if value is not None and options.executor != "ray":
            raise ConfigError(f"{name} needs --executor ray")
    if options.actors is not None and options.actors < 1:
        raise ConfigError(f"--actors must be at least 1, got {options.actors}")
    if options.gpus_per_actor is not None and options.gpus_per_actor <= 0:
        raise ConfigError(f"--gpus-per-actor must be more than 0, got {options.gpus_per_actor}")
    if options.executor == "ray" and options.device == "cuda" and not options.gpus_per_actor:
        raise ConfigError("with --executor ray, actors get GPUs from --gpus-per-actor")


def check_targets(targets: Iterable[str], source: str) -> tuple[str, ...]:
    """Language codes as Argos packages name them (`en`, `fr`, `pt-BR` …), each once, in the
    order given; ConfigError for anything else, or for the source language itself."""
    found: list[str] = []
    for target in targets:
        code = target.strip()
        if not _CODE.match(code):
            raise ConfigError(
                f"target language {target!r} is not a language code such as 'en', 'fr' or 'uk'"
            )
        if code == source:
            raise ConfigError(f"target language {code!r} is the articles' own language")
        if code not in found:
            found.append(code)
    if not found:
        raise ConfigError("no target language given")
    return tuple(found)


def project_targets(folder: Path) -> tuple[str, ...] | None:
    """The target languages a project lists: `targets = [...]` in translate-pipeline.toml,
    or in `[tool.translate-pipeline]` of pyproject.toml; None when it lists none."""
    own = folder / CONFIG_FILE
    if own.is_file():
        return _targets(_read_toml(own), own)
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        tool = _read_toml(pyproject).get("tool", {})
        section = tool.get("translate-pipeline") if isinstance(tool, dict) else None
        if isinstance(section, dict):
            return _targets(section, pyproject, "[tool.translate-pipeline] ")
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None


def _targets(table: dict[str, Any], path: Path, where: str = "") -> tuple[str, ...] | None:
    value = table.get("targets")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
        raise ConfigError(
            f'{path}: {where}targets must be a list of language codes, such as ["en", "fr"]'
        )
    try:
        return check_targets(value, Pair().source)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {where}{exc}") from None
