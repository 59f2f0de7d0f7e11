"""Argos Translate packages: where they live, checking them, installing them.

This deliberately avoids ``argostranslate.package``/``settings``: they read their settings once at
import time (tests and the CLI need ``ARGOS_PACKAGES_DIR`` read at call time), create folders
in the home directory as a side effect of importing, swallow network errors, and install by
``extractall`` without checks. The on-disk layout and settings are Argos Translate's own, so
packages installed by Argos Translate or LibreTranslate are found here and the other way round.

A package cannot hurt the user (issue 18): an archive is measured from its central directory
before anything is extracted (limits below), extraction counts the bytes really written, small
files such as ``metadata.json`` are size-checked with ``stat`` before they are read, and a new
package is loaded and made to translate one sentence, in a separate process, before it replaces
an installed one.
"""

from __future__ import annotations

import copy
import ctypes
import errno
import functools
import http.client
import json
import os
import re
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, Generic, TypeVar

from translate_pipeline import subwords
from translate_pipeline.backend import Progress
from translate_pipeline.config import language_name

DEFAULT_INDEX = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"
_USER_AGENT = "translate-pipeline (ArgosTranslate-compatible)"
_CHUNK = 1 << 16
_MiB = 1 << 20
_GiB = 1 << 30

# --- limits --------------------------------------------------------------------------------
# Real Argos packages are 100-500 MB zips of 30-odd files; the biggest model.bin is about
# 1.5 GB, and int8/float weights deflate by only 1.1-3x. The limits leave several times that.

MAX_MEMBER_SIZE = 4 * _GiB
"""Largest expanded size of one archive member (model.bin: up to ~1.5 GB in real packages)."""

MAX_EXPANDED_SIZE = 8 * _GiB
"""Largest expanded size of a whole archive; also the largest download accepted."""

MAX_MEMBERS = 10_000
"""Most entries an archive may have (real packages: a few dozen, with Stanza's files)."""

MAX_CENTRAL_DIRECTORY_SIZE = 4 * _MiB
"""Largest zip central directory, checked before Python's zipfile parses it into memory."""

MAX_COMPRESSION_RATIO = 100
"""Bomb signal: an archive, or one member, that expands more than this many times over to more
than :data:`COMPRESSION_RATIO_FLOOR` bytes is refused. Deflate gets 1.1-3x on model weights and
about 5x on text; only long runs of repeated bytes go past 100x (zeros reach ~1000x)."""

COMPRESSION_RATIO_FLOOR = 64 * _MiB
"""Expanded size below which a high ratio is not refused: it costs little disk, and small JSON
files compress 10x and more."""

FREE_SPACE_MARGIN = 128 * _MiB
"""Left free after extracting: at least this much, or a tenth of the expanded size if larger."""

MAX_METADATA_SIZE = 1 * _MiB
"""Largest ``metadata.json`` (real ones: under 1 KiB) and ``model/config.json`` read."""

MAX_VOCABULARY_FILE_SIZE = 64 * _MiB
"""Largest vocabulary file counted (a 256k-token JSON vocabulary is about 5 MiB)."""

MAX_INDEX_SIZE = 16 * _MiB
"""Largest package index JSON downloaded (Argos Translate's is about 100 KiB)."""

TRIAL_TIMEOUT = 600.0
"""Seconds the trial load and one-sentence translation of a new package may take."""

_TRIAL_SENTENCE = "Dies ist ein kurzer Test."


LanguagePair = tuple[str, str]
"""(from_code, to_code) of a package."""

T = TypeVar("T")


class ModelError(Exception):
    """A translation package is missing, broken or cannot be installed."""


class PackageBroken(ModelError):
    """An installed package folder cannot be used; ``problem`` says why, without the advice."""

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


class IndexUnreachable(ModelError):
    """The package index could not be downloaded (offline, DNS, HTTP error, bad JSON)."""


@dataclass(frozen=True)
class Package:
    """An installed package, as described by its ``metadata.json``."""

    path: Path
    code: str
    from_code: str
    to_code: str
    version: str
    from_name: str = ""
    to_name: str = ""
    type: str = "translate"
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def reinstall_hint(self) -> str:
        """The commands that replace this package, for error messages."""
        return _reinstall_hint((self.from_code, self.to_code))

    @property
    def model_dir(self) -> Path:
        return self.path / "model"

    @property
    def sentencepiece_model(self) -> Path:
        return self.path / "sentencepiece.model"

    @property
    def tokenizer_model(self) -> Path:
        """sentencepiece.model, or bpe.model when only that exists, as Argos Translate picks."""
        return subwords.model_file(self.path) or self.sentencepiece_model


def packages_dir() -> Path:
    """The folder Argos Translate installs packages into, read afresh on every call.

    Same precedence as ``argostranslate.settings``: ``ARGOS_PACKAGES_DIR`` in the environment,
    then in Argos Translate's settings.json, then ``$XDG_DATA_HOME/argos-translate/packages``.
    """
    configured = _setting("ARGOS_PACKAGES_DIR")
    if configured:
        return Path(configured).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or _home() / ".local" / "share"
    return Path(data_home) / "argos-translate" / "packages"


def package_index_url() -> str:
    """URL of the package index JSON (``ARGOS_PACKAGE_INDEX`` is a base URL, as in Argos)."""
    base = _setting("ARGOS_PACKAGE_INDEX") or DEFAULT_INDEX
    return base if base.endswith(".json") else base.rstrip("/") + "/index.json"


def read_package(path: Path) -> Package:
    """Read a package folder's metadata; ModelError if it has none or it is unusable.

    ``metadata.json`` is checked with ``stat`` first: a file over :data:`MAX_METADATA_SIZE` (or
    not a regular file) is refused without being opened. Its fields are type-checked.
    """
    path = Path(path)
    if not path.is_dir():
        raise _broken(path, "the folder does not exist")
    try:
        data = _read_small_file(path / "metadata.json", MAX_METADATA_SIZE)
        metadata = _parse_metadata(data)
    except FileNotFoundError:
        raise _broken(path, "it has no metadata.json") from None
    except OSError as error:
        raise _broken(path, f"its metadata.json cannot be read ({error})") from None
    except _Unfit as error:
        raise _broken(path, f"its metadata.json {error}") from None
    return _package_from_metadata(path, metadata)


def installed_packages() -> list[Package]:
    """Packages in :func:`packages_dir`, skipping folders that are not (usable) packages.

    A folder whose metadata.json is missing, too large or malformed is skipped without
    reading more than :data:`MAX_METADATA_SIZE` of it.
    """
    root = packages_dir()
    if not root.is_dir():
        return []
    packages = []
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and not entry.name.startswith("."):
            try:
                packages.append(read_package(entry))
            except ModelError:
                continue
    return packages


def packages_by_pair() -> dict[LanguagePair, Package]:
    """The installed translation package with the highest version, for each language pair."""
    return _newest(
        installed_packages(),
        lambda p: (p.from_code, p.to_code) if p.type == "translate" else None,
        lambda p: p.version,
    )


def find_package(from_code: str, to_code: str) -> Package | None:
    """The installed translation package for the pair with the highest version, if any."""
    return packages_by_pair().get((from_code, to_code))


# --- routes --------------------------------------------------------------------------------

PIVOT = "en"
"""The language a route goes through when no package translates a pair directly: Argos
Translate has a package from and to English for nearly every language it knows."""


@dataclass(frozen=True)
class Route(Generic[T]):
    """How ``source``→``target`` is translated: by ``steps`` in order, one (direct) or two
    (via :data:`PIVOT`). Without steps there is no route, and ``missing`` names the pairs that
    would make one: the direct pair first, then the legs via English not found."""

    source: str
    target: str
    steps: tuple[T, ...] = ()
    missing: tuple[LanguagePair, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.steps)

    @property
    def via(self) -> str | None:
        """The language between the two steps of a route through it."""
        return PIVOT if len(self.steps) == 2 else None

    def why_missing(self) -> str:
        """``no de→fr package, nor en→fr to go via English``, for a route not found."""
        direct, *legs = self.missing
        text = f"no {_arrow(direct)} package"
        if legs:
            text += f", nor {' and '.join(map(_arrow, legs))} to go via {language_name(PIVOT)}"
        return text

    def describe(self: Route[Package]) -> str:
        """``direct (translate-de_en 1.9)``, ``via English (translate-de_en 1.9,
        translate-en_fr 1.9)`` or ``missing: `` and why, for `models list` and messages."""
        if not self.found:
            return f"missing: {self.why_missing()}"
        packages = ", ".join(f"{p.code} {p.version}" for p in self.steps)
        kind = f"via {language_name(self.via)}" if self.via else "direct"
        return f"{kind} ({packages})"


def route(source: str, target: str, available: Mapping[LanguagePair, T]) -> Route[T]:
    """Which of ``available`` (keyed by language pair) translate source→target: the direct
    pair when it is there, else source→English and English→target when both are.

    Pure: ``available`` is the installed packages (:func:`find_route`) or, to plan an
    install, also what the package index offers (:func:`install_route`).
    """
    direct = (source, target)
    if direct in available:
        return Route(source, target, (available[direct],))
    if PIVOT in direct or source == target:
        return Route(source, target, missing=(direct,))
    legs = ((source, PIVOT), (PIVOT, target))
    if all(leg in available for leg in legs):
        return Route(source, target, tuple(available[leg] for leg in legs))
    return Route(source, target, missing=(direct, *(leg for leg in legs if leg not in available)))


def find_route(source: str, target: str) -> Route[Package]:
    """The route source→target over the installed packages (the newest of each pair)."""
    return route(source, target, packages_by_pair())


def route_targets(source: str, packages: list[Package]) -> list[str]:
    """The targets worth showing a route to from ``source``: English, then every language
    an installed package translates into from ``source`` or from English."""
    reached = {p.to_code for p in packages if p.from_code in (source, PIVOT)} - {source, PIVOT}
    return ([PIVOT] if source != PIVOT else []) + sorted(reached)


def _arrow(pair: LanguagePair) -> str:
    return f"{pair[0]}→{pair[1]}"


def validate_package(path: Path) -> None:
    """Raise ModelError naming the package and how to reinstall it if it cannot be loaded.

    Cheap enough to run before every load: it walks model.bin's variable table (so a truncated
    download is caught here rather than as a CTranslate2 error), checks that model/config.json
    is a JSON object and that every vocabulary has as many entries as the weights have rows
    (CTranslate2 does not check that when loading: a source token beyond the embedding table
    reads memory past it), and loads the tokenizer (sentencepiece.model, or the BPE codes of
    bpe.model), but does not build a CTranslate2 translator.
    """
    package = read_package(path)
    model_bin = package.model_dir / "model.bin"
    if not model_bin.is_file():
        raise _broken(package.path, "model/model.bin (the CTranslate2 model) is missing", package)
    if not any((package.model_dir / name).is_file() for name in _VOCABULARY_FILES):
        raise _broken(package.path, "model/ has no vocabulary file", package)
    try:
        with model_bin.open("rb") as stream:
            shapes = _model_shapes(stream, model_bin.stat().st_size)
    except (_Truncated, ValueError) as error:
        raise _broken(package.path, f"model/model.bin is corrupt: {error}", package) from None
    try:
        _check_config(package.model_dir)
        _check_vocabularies(package.model_dir, shapes)
    except _Unfit as error:
        raise _broken(package.path, str(error), package) from None
    except OSError as error:
        raise _broken(package.path, f"model/ cannot be read ({error})", package) from None
    model = package.tokenizer_model
    if not model.is_file():
        raise _broken(
            package.path, "sentencepiece.model is missing (and there is no bpe.model)", package
        )
    try:
        subwords.load(model, package.from_code, package.to_code)
    except (OSError, RuntimeError, ValueError) as error:
        raise _broken(package.path, f"{model.name} does not load ({error})", package) from None


def install_from_file(path: Path) -> Package:
    """Install a ``.argosmodel`` file into :func:`packages_dir` and return the package.

    The archive is checked before anything is written: one top-level folder with a plain name
    holding metadata.json, model/model.bin and sentencepiece.model (or bpe.model); no absolute
    paths, ``..``, links or encrypted entries; sizes within the limits above, and room on the
    disk. It is then extracted beside the packages folder (stopping at any member that expands
    beyond its declared size), validated, tried (loaded on the CPU in a child process and made
    to translate one sentence), and swapped into place atomically where the OS allows, replacing
    an installed package of the same folder name. On any failure a ModelError says why, the
    installed package is left untouched and nothing is left behind.
    """
    return _install(Path(path), expected_pair=None)


def install_from_index(
    from_code: str,
    to_code: str,
    progress: Progress | None = None,
    *,
    index_url: str | None = None,
    timeout: float = 60.0,
) -> Package:
    """Download the newest package for the pair listed in the package index and install it."""
    url = index_url or package_index_url()
    pair = (from_code, to_code)
    entry = _offered(_fetch_index(url, timeout)).get(pair)
    if entry is None:
        raise ModelError(f"The package index at {url} has no {_arrow(pair)} package.")
    return _install_offered(entry, pair, url, progress, timeout)


def install_route(
    source: str,
    target: str,
    progress: Progress | None = None,
    *,
    index_url: str | None = None,
    timeout: float = 60.0,
) -> list[Package]:
    """Install from the package index what translating source→target needs, and return the
    packages installed (none when the installed ones already make the route).

    The direct package when the index has one (replacing an installed one, as
    :func:`install_from_index` does), else the packages via English that are not installed
    yet. ModelError naming the missing pairs when neither the index nor the installed
    packages make a route; nothing is installed then.
    """
    url = index_url or package_index_url()
    offered = _offered(_fetch_index(url, timeout))
    installed = packages_by_pair()
    if (source, target) in offered:
        needed = [(source, target)]
    else:
        planned = route(source, target, {pair: pair for pair in (*installed, *offered)})
        if not planned.found:
            raise ModelError(
                f"Cannot translate {source}→{target}: the package index at {url} and the "
                f"installed packages have {planned.why_missing()}."
            )
        needed = [pair for pair in planned.steps if pair not in installed]
    return [_install_offered(offered[pair], pair, url, progress, timeout) for pair in needed]


# --- settings ------------------------------------------------------------------------------


def _home() -> Path:
    if "SNAP" in os.environ and "SNAP_USER_DATA" in os.environ:
        return Path(os.environ["SNAP_USER_DATA"])
    return Path.home()


def _setting(key: str) -> str | None:
    """Environment first, then Argos Translate's settings.json, like argostranslate.settings."""
    if os.environ.get(key) is not None:
        return os.environ[key]
    config_home = os.environ.get("XDG_CONFIG_HOME") or _home() / ".config"
    settings_file = Path(config_home) / "argos-translate" / "settings.json"
    try:
        settings = json.loads(settings_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    value = settings.get(key) if isinstance(settings, dict) else None
    return str(value) if value is not None else None


# --- metadata ------------------------------------------------------------------------------


def _reinstall_hint(pair: tuple[str, str] | None) -> str:
    from_file = "`translate-pipeline models install FILE.argosmodel`"
    if pair is None:
        return from_file
    return f"`translate-pipeline models install {pair[0]} {pair[1]}` (or {from_file})"


def _broken(path: Path, problem: str, package: Package | None = None) -> PackageBroken:
    pair = (package.from_code, package.to_code) if package else _guess_pair(path.name)
    return PackageBroken(
        f"Translation package '{path.name}' ({path}) is broken: {problem}. "
        f"Reinstall it with {_reinstall_hint(pair)}.",
        problem,
    )


def _guess_pair(name: str) -> tuple[str, str] | None:
    match = re.search(r"(?:^|-)([a-z]{2,3})_([a-z]{2,3})(?:-|$)", name)
    return (match.group(1), match.group(2)) if match else None


_LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}")
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}")
_OPTIONAL_TEXT_FIELDS = ("code", "type", "from_name", "to_name", "target_prefix")
_MAX_TEXT_FIELD = 200


class _Unfit(Exception):
    """A file inside a package is too large or malformed; the message completes a sentence."""


def _human(size: int) -> str:
    if size >= _GiB:
        return f"{size / _GiB:.1f} GiB"
    if size >= _MiB:
        return f"{size / _MiB:.1f} MiB"
    return f"{size} bytes"


def _read_small_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, checked with stat before reading.

    FileNotFoundError if it is missing; _Unfit if it is no regular file or too large (also if
    it grew past the limit after the stat: at most ``limit + 1`` bytes are ever read).
    """
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise _Unfit("is not a regular file")
    if info.st_size > limit:
        raise _Unfit(f"is {_human(info.st_size)}, more than the {_human(limit)} limit")
    with path.open("rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise _Unfit(f"is more than the {_human(limit)} limit")
    return data


def _parse_metadata(data: bytes) -> dict[str, Any]:
    """metadata.json's object with its fields type-checked, or _Unfit saying what is wrong."""
    try:
        metadata = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise _Unfit(f"is invalid ({error})") from None
    if not isinstance(metadata, dict):
        raise _Unfit("is not a JSON object")
    from_code, to_code = metadata.get("from_code"), metadata.get("to_code")
    if not isinstance(from_code, str) or not isinstance(to_code, str):
        raise _Unfit("has no from_code/to_code")
    for key, code in (("from_code", from_code), ("to_code", to_code)):
        if not _LANGUAGE_CODE.fullmatch(code):
            raise _Unfit(f"has a {key} that is not a language code ({code[:40]!r})")
    version = metadata.get("package_version")
    if version not in (None, "") and not (isinstance(version, str) and _VERSION.fullmatch(version)):
        raise _Unfit(f"has a package_version that is not a version string ({version!r:.40})")
    for key in _OPTIONAL_TEXT_FIELDS:
        value = metadata.get(key)
        if value is not None and not isinstance(value, str):
            raise _Unfit(f"has a {key} that is not a string ({type(value).__name__})")
        if isinstance(value, str) and (len(value) > _MAX_TEXT_FIELD or not value.isprintable()):
            raise _Unfit(f"has a {key} that is too long or has control characters")
    links = metadata.get("links")
    if links is not None and not (
        isinstance(links, list) and all(isinstance(link, str) for link in links)
    ):
        raise _Unfit("has links that are not a list of strings")
    return metadata


def _package_from_metadata(path: Path, metadata: dict[str, Any]) -> Package:
    """A Package from metadata that :func:`_parse_metadata` accepted."""
    from_code, to_code = metadata["from_code"], metadata["to_code"]
    return Package(
        path=path,
        code=metadata.get("code") or f"translate-{from_code}_{to_code}",
        from_code=from_code,
        to_code=to_code,
        version=metadata.get("package_version") or "",
        from_name=metadata.get("from_name") or "",
        to_name=metadata.get("to_name") or "",
        type=metadata.get("type") or "translate",
        metadata=metadata,
    )


def _version_key(version: str) -> tuple[int, ...]:
    # At most 18 digits per number: int() of a 5000-digit run raises ValueError in Python 3.11+.
    return tuple(int(part) for part in re.findall(r"\d{1,18}", version))


def _newest(
    items: Iterable[T],
    pair: Callable[[T], LanguagePair | None],
    version: Callable[[T], str],
) -> dict[LanguagePair, T]:
    """The item with the highest version (the first of equals) for each pair; items whose
    ``pair`` is None are left out."""
    newest: dict[LanguagePair, T] = {}
    for item in items:
        key = pair(item)
        if key is not None and (
            key not in newest or _version_key(version(item)) > _version_key(version(newest[key]))
        ):
            newest[key] = item
    return newest


# --- model.bin -----------------------------------------------------------------------------

_VOCABULARY_FILES = (
    "shared_vocabulary.json",
    "shared_vocabulary.txt",
    "source_vocabulary.json",
    "source_vocabulary.txt",
    "source_1_vocabulary.json",
    "source_1_vocabulary.txt",
)
_DTYPE_SIZES = {0: 4, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2}  # CTranslate2's DataType ids
_MAX_BINARY_VERSION = 6


class _Truncated(Exception):
    pass


def _read(stream: IO[bytes], fmt: str) -> tuple[int, ...]:
    size = struct.calcsize(fmt)
    data = stream.read(size)
    if len(data) != size:
        raise _Truncated(f"the file ends at byte {stream.tell()}, inside its header")
    return struct.unpack(fmt, data)


def _skip(stream: IO[bytes], count: int, file_size: int) -> None:
    if stream.tell() + count > file_size:
        raise _Truncated(
            f"the file is {file_size} bytes but its data runs to {stream.tell() + count}"
        )
    stream.seek(count, os.SEEK_CUR)


def _read_name(stream: IO[bytes], file_size: int) -> str:
    (length,) = _read(stream, "<H")
    if stream.tell() + length > file_size:
        raise _Truncated(f"the file is {file_size} bytes but a name runs past its end")
    return stream.read(length).rstrip(b"\0").decode("utf-8", "replace")


def _model_shapes(stream: IO[bytes], file_size: int) -> dict[str, tuple[int, ...]]:
    """Walk the variable table the way CTranslate2's Model::load reads it, skipping the data.

    Returns every variable's shape by name, aliases included.
    """
    (version,) = _read(stream, "<I")
    if not 1 <= version <= _MAX_BINARY_VERSION:
        raise ValueError(f"unknown binary version {version}")
    if version >= 2:
        _read_name(stream, file_size)  # the spec's name
        _read(stream, "<I")  # spec revision
    (count,) = _read(stream, "<I")
    shapes: dict[str, tuple[int, ...]] = {}
    for _ in range(count):
        name = _read_name(stream, file_size)
        (rank,) = _read(stream, "<B")
        dims = _read(stream, f"<{rank}I")
        type_id, size_field = _read(stream, "<BI")
        if version >= 4:
            if type_id not in _DTYPE_SIZES:
                raise ValueError(f"unknown data type {type_id}")
            num_bytes = size_field
            expected = _DTYPE_SIZES[type_id]
            for dim in dims:
                expected *= dim
            if num_bytes != expected:
                raise ValueError("a variable's size does not match its shape")
        else:
            num_bytes = size_field * type_id
        _skip(stream, num_bytes, file_size)
        shapes[name] = dims
    if version >= 3:
        (aliases,) = _read(stream, "<I")
        for _ in range(aliases):
            alias = _read_name(stream, file_size)
            target = _read_name(stream, file_size)
            if target in shapes:
                shapes[alias] = shapes[target]
    return shapes


def _check_config(model_dir: Path) -> None:
    """model/config.json, where there is one, must be a small JSON object."""
    try:
        data = _read_small_file(model_dir / "config.json", MAX_METADATA_SIZE)
    except FileNotFoundError:
        return  # models converted by old CTranslate2 versions have none; the trial decides
    except _Unfit as error:
        raise _Unfit(f"model/config.json {error}") from None
    try:
        config = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise _Unfit(f"model/config.json is not valid JSON ({error})") from None
    if not isinstance(config, dict):
        raise _Unfit("model/config.json is not a JSON object")


def _vocabulary_file(model_dir: Path, *stems: str) -> Path | None:
    for stem in stems:
        for suffix in (".json", ".txt"):
            if (model_dir / f"{stem}{suffix}").is_file():
                return model_dir / f"{stem}{suffix}"
    return None


def _vocabulary_length(path: Path) -> int:
    """Entries in a CTranslate2 vocabulary file (a JSON list, or one token a line)."""
    try:
        data = _read_small_file(path, MAX_VOCABULARY_FILE_SIZE)
    except _Unfit as error:
        raise _Unfit(f"model/{path.name} {error}") from None
    if path.suffix == ".txt":
        return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    try:
        tokens = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise _Unfit(f"model/{path.name} is not valid JSON ({error})") from None
    if not isinstance(tokens, list):
        raise _Unfit(f"model/{path.name} is not a JSON list")
    return len(tokens)


def _check_vocabularies(model_dir: Path, shapes: Mapping[str, tuple[int, ...]]) -> None:
    """Each vocabulary must have one entry per embedding row, as CTranslate2's converters check.

    Source vocabulary i goes with ``encoder/embeddings_i/weight``, the target vocabulary with
    ``decoder/embeddings/weight``; model types without those variables are not checked.
    """
    pairs: list[tuple[Path | None, str]] = []
    for i in range(64):
        variable = f"encoder/embeddings_{i}/weight"
        if variable not in shapes:
            if i == 0 and "encoder/embeddings/weight" in shapes:
                variable = "encoder/embeddings/weight"
            else:
                break
        source_stems = (f"source_{i + 1}_vocabulary", "source_vocabulary", "shared_vocabulary")
        pairs.append((_vocabulary_file(model_dir, *source_stems), variable))
    if "decoder/embeddings/weight" in shapes:
        target_stems = ("target_vocabulary", "shared_vocabulary")
        pairs.append((_vocabulary_file(model_dir, *target_stems), "decoder/embeddings/weight"))
    counted: dict[Path, int] = {}
    for path, variable in pairs:
        rows = shapes[variable][0] if shapes[variable] else 0
        if path is None:
            raise _Unfit(f"model/ has no vocabulary for {variable}")
        if path not in counted:
            counted[path] = _vocabulary_length(path)
        if counted[path] != rows:
            raise _Unfit(
                f"model/{path.name} has {counted[path]} entries but the model's weights have "
                f"{rows} ({variable}): the vocabulary does not belong to this model"
            )


# --- installing ----------------------------------------------------------------------------

_PACKAGE_FOLDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")
_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


@dataclass(frozen=True)
class _Plan:
    name: str
    metadata: dict[str, Any]
    expanded: int


def _archive_problem(path: Path) -> str:
    return f"Cannot install {path}: it is not an Argos Translate package (.argosmodel)"


def _central_directory_size(path: Path) -> int | None:
    """The central directory's size from the end record (ZIP64 too), None if not found.

    zipfile reads the whole central directory into memory and makes an object per entry, so
    it is measured before zipfile is let near it.
    """
    with path.open("rb") as stream:
        end = stream.seek(0, os.SEEK_END)
        start = max(0, end - (22 + 0xFFFF))
        stream.seek(start)
        tail = stream.read()
        pos = tail.rfind(b"PK\x05\x06")
        if pos < 0 or len(tail) - pos < 22:
            return None
        (size,) = struct.unpack_from("<I", tail, pos + 12)
        if size != 0xFFFFFFFF or pos < 20 or tail[pos - 20 : pos - 16] != b"PK\x06\x07":
            return size  # without a ZIP64 record, zipfile too takes 0xFFFFFFFF at face value
        (record,) = struct.unpack_from("<Q", tail, pos - 12)
        stream.seek(record)
        zip64 = stream.read(56)
        if len(zip64) != 56 or zip64[:4] != b"PK\x06\x06":
            return size
        (size,) = struct.unpack_from("<Q", zip64, 40)
        return size


def _check_archive(path: Path, archive: zipfile.ZipFile) -> _Plan:
    """Return the package folder name, metadata and expanded size, or raise ModelError.

    Everything here comes from the central directory (plus metadata.json, read with a size
    cap); nothing is written.
    """
    refuse = _archive_problem(path)
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ModelError(f"{refuse}: it has {len(infos)} entries, more than {MAX_MEMBERS}.")
    archive_size = path.stat().st_size
    names: set[str] = set()
    tops: set[str] = set()
    expanded = 0
    for info in infos:
        raw = info.filename
        parts = PurePosixPath(raw).parts
        if (
            raw.startswith(("/", "\\"))
            or "\\" in raw
            or re.match(r"^[A-Za-z]:", raw)
            or any(part in ("..", ".") for part in parts)
            or not parts
        ):
            raise ModelError(f"{refuse}: unsafe entry path {raw!r}.")
        file_type = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip tool did not say
        if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise ModelError(f"{refuse}: entry {raw!r} is a link or special file.")
        if info.flag_bits & 0x1:
            raise ModelError(f"{refuse}: entry {raw!r} is encrypted.")
        if info.compress_type not in _COMPRESSIONS:
            raise ModelError(
                f"{refuse}: entry {raw!r} uses unsupported compression {info.compress_type}."
            )
        joined = "/".join(parts)
        if joined in names:
            raise ModelError(f"{refuse}: entry {raw!r} appears twice.")
        if info.header_offset + info.compress_size > archive_size:
            raise ModelError(f"{refuse}: the zip is damaged (entry {raw!r} runs past its end).")
        _check_member_size(path, raw, info.file_size, info.compress_size)
        tops.add(parts[0])
        names.add(joined)
        expanded += info.file_size
    if expanded > MAX_EXPANDED_SIZE:
        raise ModelError(
            f"Cannot install {path}: it expands to {_human(expanded)}, more than the "
            f"{_human(MAX_EXPANDED_SIZE)} limit."
        )
    if expanded > COMPRESSION_RATIO_FLOOR and expanded > MAX_COMPRESSION_RATIO * archive_size:
        raise ModelError(
            f"Cannot install {path}: its {_human(archive_size)} expand to {_human(expanded)}, "
            f"more than {MAX_COMPRESSION_RATIO} times over (a zip bomb?)."
        )
    if len(tops) != 1:
        raise ModelError(
            f"{refuse}: expected one top-level folder, found "
            f"{', '.join(sorted(tops)) or 'nothing'}."
        )
    (name,) = tops
    if not _PACKAGE_FOLDER.fullmatch(name):
        raise ModelError(
            f"{refuse}: its top-level folder {name!r} is not a package folder name (letters, "
            "digits and ._+- only, not starting with a dot or dash)."
        )
    for required, what in (
        (("metadata.json",), "metadata.json"),
        (("model/model.bin",), "a CTranslate2 model (model/model.bin)"),
        (subwords.MODEL_FILES, " or ".join(subwords.MODEL_FILES)),
    ):
        if not any(f"{name}/{member}" in names for member in required):
            raise ModelError(f"{refuse}: {name}/ has no {what}.")
    metadata_name = f"{name}/metadata.json"
    info = next(i for i in infos if "/".join(PurePosixPath(i.filename).parts) == metadata_name)
    if info.file_size > MAX_METADATA_SIZE:
        raise ModelError(
            f"Cannot install {path}: {name}/metadata.json is {_human(info.file_size)}, more than "
            f"the {_human(MAX_METADATA_SIZE)} limit."
        )
    try:
        metadata = _parse_metadata(_read_member(path, archive, info))
    except _Unfit as error:
        raise ModelError(f"{refuse}: its metadata.json {error}.") from None
    return _Plan(name, metadata, expanded)


def _check_member_size(path: Path, name: str, size: int, compressed: int) -> None:
    if size > MAX_MEMBER_SIZE:
        raise ModelError(
            f"Cannot install {path}: {name} expands to {_human(size)}, more than the "
            f"{_human(MAX_MEMBER_SIZE)} limit for one file."
        )
    if size > COMPRESSION_RATIO_FLOOR and size > MAX_COMPRESSION_RATIO * max(compressed, 1):
        raise ModelError(
            f"Cannot install {path}: {name} expands from {_human(compressed)} to "
            f"{_human(size)}, more than {MAX_COMPRESSION_RATIO} times over (a zip bomb?)."
        )


def _check_free_space(path: Path, folder: Path, expanded: int) -> None:
    margin = max(FREE_SPACE_MARGIN, expanded // 10)
    free = shutil.disk_usage(folder).free
    if expanded + margin > free:
        raise ModelError(
            f"Cannot install {path}: it expands to {_human(expanded)} but {folder} has only "
            f"{_human(free)} free (the package plus {_human(margin)} to spare are needed)."
        )


def _member_chunks(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    """Yield a member's expanded bytes, refusing the first chunk beyond its declared size.

    zipfile itself cuts the data at the declared size and then fails on the CRC; opened through
    a ZipInfo with headroom, the excess reaches this loop and is named for what it is.
    """
    probe = copy.copy(info)
    probe.file_size = info.file_size + 2 * _CHUNK  # never reached: reading stops one chunk past
    written = 0
    with archive.open(probe) as source:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > info.file_size:
                raise ModelError(
                    f"Cannot install {path}: {info.filename} expands beyond the "
                    f"{info.file_size} bytes its header declares (a zip bomb?)."
                )
            yield chunk
    if written != info.file_size:
        raise ModelError(
            f"Cannot install {path}: the zip is damaged ({info.filename} has {written} bytes, "
            f"its header declares {info.file_size})."
        )


def _read_member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    return b"".join(_member_chunks(path, archive, info))


def _extract(path: Path, archive: zipfile.ZipFile, destination: Path) -> None:
    for info in archive.infolist():
        target = destination.joinpath(*PurePosixPath(info.filename).parts)
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("xb") as sink:
            for chunk in _member_chunks(path, archive, info):
                sink.write(chunk)


_TRIAL_CODE = """
import sys
tokenizer_model, source, target, model_dir, sentence, prefix = sys.argv[1:7]
try:
    import pathlib
    import ctranslate2
    from translate_pipeline import subwords
    tokenizer = subwords.load(pathlib.Path(tokenizer_model), source, target)
    cpu_types = ctranslate2.get_supported_compute_types("cpu")
    translator = ctranslate2.Translator(
        model_dir, device="cpu", compute_type="int8" if "int8" in cpu_types else "default",
        inter_threads=1, intra_threads=1,
    )
    result = translator.translate_batch(
        tokenizer.encode([sentence]), target_prefix=[[prefix]] if prefix else None,
        beam_size=1, max_decoding_length=32,
    )
    tokenizer.decode([result[0].hypotheses[0]])
except Exception as error:
    print(type(error).__name__ + ": " + " ".join(str(error).split()), file=sys.stderr)
    sys.exit(1)
"""


def _try_package(path: Path, package: Package) -> None:
    """Load the package on the CPU and translate one sentence, in a child process.

    A child process, because a model CTranslate2 cannot handle may crash the process rather
    than raise, and a big model's memory is returned to the system when the child exits.
    """
    prefix = package.metadata.get("target_prefix") or ""
    command = [
        sys.executable,
        "-c",
        _TRIAL_CODE,
        str(package.tokenizer_model),
        package.from_code,
        package.to_code,
        str(package.model_dir),
        _TRIAL_SENTENCE,
        prefix,
    ]
    refuse = f"Cannot install {path}: {package.name}/ does not load or translate in CTranslate2"
    try:
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=TRIAL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ModelError(f"{refuse} (no answer within {TRIAL_TIMEOUT:.0f} s).") from None
    except OSError as error:
        raise ModelError(f"Cannot install {path}: the trial run did not start ({error}).") from None
    if result.returncode < 0:
        try:
            name = signal.Signals(-result.returncode).name
        except ValueError:
            name = f"signal {-result.returncode}"
        raise ModelError(f"{refuse} (the trial process died of {name}).")
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {result.returncode}"
        reason = reason if len(reason) <= 300 else reason[:297] + "..."
        raise ModelError(f"{refuse} ({reason}).")


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@functools.lru_cache(maxsize=1)
def _renameat2() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    function = _renameat2()
    if function is None:
        return False
    a, b = os.fsencode(first), os.fsencode(second)
    if function(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


class _RollbackFailed(Exception):
    def __init__(self, kept: Path) -> None:
        super().__init__(str(kept))
        self.kept = kept


def _replace(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``; an existing ``target`` ends up beside ``new``, to be deleted.

    Atomic where the OS can swap two folders (Linux); elsewhere two renames, the first undone
    if the second fails, so the old package is never left half-replaced or missing after an
    error. OSError if nothing changed; _RollbackFailed if the undo failed too.
    """
    if not (target.exists() or target.is_symlink()):
        os.rename(new, target)
        return
    if _exchange(new, target):
        return
    old = new.with_name(new.name + ".replaced")
    os.rename(target, old)
    try:
        os.rename(new, target)
    except OSError as error:
        try:
            os.rename(old, target)
        except OSError:
            raise _RollbackFailed(old) from error
        raise


def _install(path: Path, expected_pair: tuple[str, str] | None) -> Package:
    if not path.is_file() or not zipfile.is_zipfile(path):
        raise ModelError(f"{_archive_problem(path)}: it is not a zip archive.")
    directory_size = _central_directory_size(path)
    if directory_size is not None and directory_size > MAX_CENTRAL_DIRECTORY_SIZE:
        raise ModelError(
            f"{_archive_problem(path)}: its table of contents is {_human(directory_size)}, "
            f"more than the {_human(MAX_CENTRAL_DIRECTORY_SIZE)} limit."
        )
    root = packages_dir()
    root.mkdir(parents=True, exist_ok=True)
    staging: Path | None = None
    try:
        try:
            with zipfile.ZipFile(path) as archive:
                plan = _check_archive(path, archive)
                pair = (plan.metadata["from_code"], plan.metadata["to_code"])
                if expected_pair and pair != expected_pair:
                    raise ModelError(
                        f"Cannot install {path}: it translates {pair[0]}→{pair[1]}, "
                        f"not {expected_pair[0]}→{expected_pair[1]}."
                    )
                _check_free_space(path, root.parent, plan.expanded)
                # The staging folder sits next to (not inside) the packages folder: Argos
                # Translate treats every folder in there as a package and fails on one without
                # metadata.json.
                staging = Path(
                    tempfile.mkdtemp(prefix=".translate-pipeline-install-", dir=root.parent)
                )
                _extract(path, archive, staging)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as error:
            raise ModelError(f"{_archive_problem(path)}: the zip is damaged ({error}).") from None
        except (NotImplementedError, RuntimeError) as error:
            raise ModelError(f"{_archive_problem(path)}: {error}.") from None
        except OSError as error:
            raise ModelError(f"Cannot install {path}: extracting it failed ({error}).") from None
        try:
            validate_package(staging / plan.name)
        except PackageBroken as error:
            raise ModelError(f"Cannot install {path}: {error.problem}.") from None
        _try_package(path, read_package(staging / plan.name))
        target = root / plan.name
        try:
            _replace(staging / plan.name, target)
        except OSError as error:
            raise ModelError(
                f"Cannot install {path}: moving it into {root} failed ({error}); "
                "the installed package, if any, is unchanged."
            ) from None
        except _RollbackFailed as failed:
            staging = None  # it holds the only copy of the previous package: keep it
            raise ModelError(
                f"Cannot install {path}: moving it into {root} failed, and so did moving the "
                f"previous package back; it is in {failed.kept}."
            ) from None
        return read_package(target)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


# --- index and download --------------------------------------------------------------------


def _open(url: str, timeout: float) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (http/https only)


def _fetch_index(url: str, timeout: float) -> list[dict[str, Any]]:
    if not re.match(r"https?://", url):
        raise IndexUnreachable(f"The package index URL {url!r} is not http(s).")
    try:
        with _open(url, timeout) as response:
            data = response.read(MAX_INDEX_SIZE + 1)
        if len(data) > MAX_INDEX_SIZE:
            raise ValueError(f"it is more than the {_human(MAX_INDEX_SIZE)} limit")
        index = json.loads(data.decode("utf-8"))
    except (OSError, http.client.HTTPException, ValueError, RecursionError) as error:
        raise IndexUnreachable(
            f"Cannot read the package index at {url} ({error}). Check the network connection "
            "(or ARGOS_PACKAGE_INDEX), or install a downloaded file with "
            "`translate-pipeline models install FILE.argosmodel`."
        ) from None
    if not isinstance(index, list):
        raise IndexUnreachable(f"The package index at {url} is not a JSON list.")
    return [entry for entry in index if isinstance(entry, dict)]


def _offered(index: list[dict[str, Any]]) -> dict[LanguagePair, dict[str, Any]]:
    """The index's newest translation package entry for each language pair."""

    def pair(entry: dict[str, Any]) -> LanguagePair | None:
        from_code, to_code = entry.get("from_code"), entry.get("to_code")
        if entry.get("type", "translate") != "translate" or not isinstance(from_code, str):
            return None
        return (from_code, to_code) if isinstance(to_code, str) else None

    return _newest(index, pair, lambda entry: str(entry.get("package_version", "")))


def _install_offered(
    entry: dict[str, Any],
    pair: LanguagePair,
    url: str,
    progress: Progress | None,
    timeout: float,
) -> Package:
    """Download an index entry's package (trying its links in turn) and install it."""
    links = [link for link in entry.get("links", []) if re.match(r"https?://", str(link))]
    if not links:
        raise ModelError(f"The package index at {url} lists no download link for {_arrow(pair)}.")
    root = packages_dir()
    root.mkdir(parents=True, exist_ok=True)
    errors = []
    for link in links:
        with tempfile.NamedTemporaryFile(
            dir=root.parent, prefix=".translate-pipeline-download-", suffix=".argosmodel"
        ) as download:
            try:
                _download(link, download, progress, timeout)
            except (OSError, http.client.HTTPException, ValueError) as error:
                errors.append(f"{link}: {error}")
                continue
            download.flush()
            return _install(Path(download.name), expected_pair=pair)
    raise ModelError(
        f"Downloading the {_arrow(pair)} package failed ({'; '.join(errors)}). "
        "Check the network connection, or download the .argosmodel file elsewhere and run "
        "`translate-pipeline models install FILE.argosmodel`."
    )


def _download(url: str, sink: IO[bytes], progress: Progress | None, timeout: float) -> None:
    sink.seek(0)
    sink.truncate()
    with _open(url, timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else 0  # 0: the server did not say
        if total > MAX_EXPANDED_SIZE:
            raise ValueError(
                f"it is {_human(total)}, more than the {_human(MAX_EXPANDED_SIZE)} limit"
            )
        free = shutil.disk_usage(os.path.dirname(os.path.abspath(sink.name))).free
        if total and total + FREE_SPACE_MARGIN > free:
            raise ValueError(f"it is {_human(total)} but only {_human(free)} are free")
        done = 0
        if progress:
            progress(done, total)
        while chunk := response.read(_CHUNK):
            done += len(chunk)
            if done > MAX_EXPANDED_SIZE:
                raise ValueError(f"it is more than the {_human(MAX_EXPANDED_SIZE)} limit")
            sink.write(chunk)
            if progress:
                progress(done, total)
    if total and done != total:
        raise ValueError(f"the download stopped after {done} of {total} bytes")
