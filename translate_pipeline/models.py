"""Argos Translate packages: where they live, checking them, installing them.

This deliberately avoids ``argostranslate.package``/``settings``: they read their settings once at
import time (tests and the CLI need ``ARGOS_PACKAGES_DIR`` read at call time), create folders
in the home directory as a side effect of importing, swallow network errors, and install by
``extractall`` without checks. The on-disk layout and settings are Argos Translate's own, so
packages installed by Argos Translate or LibreTranslate are found here and the other way round.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import stat
import struct
import tempfile
import urllib.request
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import sentencepiece as spm

from translate_pipeline.backend import Progress

DEFAULT_INDEX = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"
_USER_AGENT = "translate-pipeline (ArgosTranslate-compatible)"
_CHUNK = 1 << 16


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
    """Read a package folder's metadata; ModelError if it has none or it is unusable."""
    path = Path(path)
    if not path.is_dir():
        raise _broken(path, "the folder does not exist")
    metadata_path = path / "metadata.json"
    try:
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _broken(path, "it has no metadata.json") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _broken(path, f"its metadata.json cannot be read ({error})") from None
    return _package_from_metadata(path, metadata)


def installed_packages() -> list[Package]:
    """Packages in :func:`packages_dir`, skipping folders that are not packages."""
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


def find_package(from_code: str, to_code: str) -> Package | None:
    """The installed translation package for the pair with the highest version, if any."""
    candidates = [
        p
        for p in installed_packages()
        if p.type == "translate" and (p.from_code, p.to_code) == (from_code, to_code)
    ]
    return max(candidates, key=lambda p: _version_key(p.version), default=None)


def validate_package(path: Path) -> None:
    """Raise ModelError naming the package and how to reinstall it if it cannot be loaded.

    Cheap enough to run before every load: it walks model.bin's variable table (so a truncated
    download is caught here rather than as a CTranslate2 error) and loads the SentencePiece
    model, but does not build a CTranslate2 translator.
    """
    package = read_package(path)
    model_bin = package.model_dir / "model.bin"
    if not model_bin.is_file():
        raise _broken(package.path, "model/model.bin (the CTranslate2 model) is missing", package)
    if not any((package.model_dir / name).is_file() for name in _VOCABULARY_FILES):
        raise _broken(package.path, "model/ has no vocabulary file", package)
    try:
        with model_bin.open("rb") as stream:
            _check_model_bin(stream, model_bin.stat().st_size)
    except (_Truncated, ValueError) as error:
        raise _broken(package.path, f"model/model.bin is corrupt: {error}", package) from None
    if not package.sentencepiece_model.is_file():
        raise _broken(package.path, "sentencepiece.model is missing", package)
    try:
        spm.SentencePieceProcessor(model_file=str(package.sentencepiece_model))
    except (OSError, RuntimeError) as error:
        raise _broken(
            package.path, f"sentencepiece.model does not load ({error})", package
        ) from None


def install_from_file(path: Path) -> Package:
    """Install a ``.argosmodel`` file into :func:`packages_dir` and return the package.

    The archive is checked before anything is written (one top-level folder with metadata.json,
    model/model.bin and sentencepiece.model; no absolute paths, ``..`` or links), extracted
    beside the packages folder, validated, then renamed into place, replacing an installed
    package of the same folder name. On any failure nothing is left behind.
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
    entry = _pick_index_entry(_fetch_index(url, timeout), from_code, to_code, url)
    links = [link for link in entry.get("links", []) if re.match(r"https?://", str(link))]
    if not links:
        raise ModelError(
            f"The package index at {url} lists no download link for {from_code}→{to_code}."
        )
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
            return _install(Path(download.name), expected_pair=(from_code, to_code))
    raise ModelError(
        f"Downloading the {from_code}→{to_code} package failed ({'; '.join(errors)}). "
        "Check the network connection, or download the .argosmodel file elsewhere and run "
        "`translate-pipeline models install FILE.argosmodel`."
    )


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


def _package_from_metadata(path: Path, metadata: Any) -> Package:
    if not isinstance(metadata, dict):
        raise _broken(path, "its metadata.json is not a JSON object")
    from_code, to_code = metadata.get("from_code"), metadata.get("to_code")
    if not isinstance(from_code, str) or not isinstance(to_code, str):
        raise _broken(path, "its metadata.json has no from_code/to_code")
    return Package(
        path=path,
        code=str(metadata.get("code") or f"translate-{from_code}_{to_code}"),
        from_code=from_code,
        to_code=to_code,
        version=str(metadata.get("package_version", "")),
        from_name=str(metadata.get("from_name", "")),
        to_name=str(metadata.get("to_name", "")),
        type=str(metadata.get("type", "translate")),
        metadata=metadata,
    )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


# --- model.bin -----------------------------------------------------------------------------

_VOCABULARY_FILES = (
    "shared_vocabulary.json",
    "shared_vocabulary.txt",
    "source_vocabulary.json",
    "source_vocabulary.txt",
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


def _check_model_bin(stream: IO[bytes], file_size: int) -> None:
    """Walk the variable table the way CTranslate2's Model::load reads it, skipping the data."""
    (version,) = _read(stream, "<I")
    if not 1 <= version <= _MAX_BINARY_VERSION:
        raise ValueError(f"unknown binary version {version}")
    if version >= 2:
        (length,) = _read(stream, "<H")
        _skip(stream, length, file_size)
        _read(stream, "<I")  # spec revision
    (count,) = _read(stream, "<I")
    for _ in range(count):
        (length,) = _read(stream, "<H")
        _skip(stream, length, file_size)
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
    if version >= 3:
        (aliases,) = _read(stream, "<I")
        for _ in range(2 * aliases):
            (length,) = _read(stream, "<H")
            _skip(stream, length, file_size)


# --- installing ----------------------------------------------------------------------------


def _archive_problem(path: Path) -> str:
    return f"Cannot install {path}: it is not an Argos Translate package (.argosmodel)"


def _check_archive(path: Path, archive: zipfile.ZipFile) -> tuple[str, dict[str, Any]]:
    """Return the package folder name and metadata, or raise ModelError before extracting."""
    names: set[str] = set()
    tops: set[str] = set()
    for info in archive.infolist():
        raw = info.filename
        parts = PurePosixPath(raw).parts
        if (
            raw.startswith(("/", "\\"))
            or "\\" in raw
            or re.match(r"^[A-Za-z]:", raw)
            or any(part in ("..", ".") for part in parts)
            or not parts
        ):
            raise ModelError(f"{_archive_problem(path)}: unsafe entry path {raw!r}.")
        file_type = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip tool did not say
        if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise ModelError(f"{_archive_problem(path)}: entry {raw!r} is a link or special file.")
        tops.add(parts[0])
        names.add("/".join(parts))
    if len(tops) != 1:
        raise ModelError(
            f"{_archive_problem(path)}: expected one top-level folder, found "
            f"{', '.join(sorted(tops)) or 'nothing'}."
        )
    (name,) = tops
    for required, what in (
        ("metadata.json", "metadata.json"),
        ("model/model.bin", "a CTranslate2 model (model/model.bin)"),
        ("sentencepiece.model", "sentencepiece.model"),
    ):
        if f"{name}/{required}" not in names:
            raise ModelError(f"{_archive_problem(path)}: {name}/ has no {what}.")
    try:
        metadata = json.loads(archive.read(f"{name}/metadata.json").decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(
            f"{_archive_problem(path)}: its metadata.json is invalid ({error})."
        ) from None
    if not isinstance(metadata, dict) or not all(
        isinstance(metadata.get(key), str) for key in ("from_code", "to_code")
    ):
        raise ModelError(f"{_archive_problem(path)}: its metadata.json has no from_code/to_code.")
    return name, metadata


def _extract(archive: zipfile.ZipFile, destination: Path) -> None:
    for info in archive.infolist():
        target = destination.joinpath(*PurePosixPath(info.filename).parts)
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink, _CHUNK)


def _install(path: Path, expected_pair: tuple[str, str] | None) -> Package:
    if not path.is_file() or not zipfile.is_zipfile(path):
        raise ModelError(f"{_archive_problem(path)}: it is not a zip archive.")
    root = packages_dir()
    root.mkdir(parents=True, exist_ok=True)
    # The staging folder sits next to (not inside) the packages folder: Argos Translate treats
    # every folder in there as a package and fails on one without metadata.json.
    staging = Path(tempfile.mkdtemp(prefix=".translate-pipeline-install-", dir=root.parent))
    try:
        try:
            with zipfile.ZipFile(path) as archive:
                name, metadata = _check_archive(path, archive)
                pair = (metadata["from_code"], metadata["to_code"])
                if expected_pair and pair != expected_pair:
                    raise ModelError(
                        f"Cannot install {path}: it translates {pair[0]}→{pair[1]}, "
                        f"not {expected_pair[0]}→{expected_pair[1]}."
                    )
                _extract(archive, staging)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
            raise ModelError(f"{_archive_problem(path)}: the zip is damaged ({error}).") from None
        try:
            validate_package(staging / name)
        except PackageBroken as error:
            raise ModelError(f"Cannot install {path}: {error.problem}.") from None
        target = root / name
        if target.exists():
            old = staging / ".replaced"
            os.rename(target, old)
        os.rename(staging / name, target)
        return read_package(target)
    finally:
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
            index = json.loads(response.read().decode("utf-8"))
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise IndexUnreachable(
            f"Cannot read the package index at {url} ({error}). Check the network connection "
            "(or ARGOS_PACKAGE_INDEX), or install a downloaded file with "
            "`translate-pipeline models install FILE.argosmodel`."
        ) from None
    if not isinstance(index, list):
        raise IndexUnreachable(f"The package index at {url} is not a JSON list.")
    return [entry for entry in index if isinstance(entry, dict)]


def _pick_index_entry(
    index: list[dict[str, Any]], from_code: str, to_code: str, url: str
) -> dict[str, Any]:
    matches = [
        entry
        for entry in index
        if entry.get("type", "translate") == "translate"
        and (entry.get("from_code"), entry.get("to_code")) == (from_code, to_code)
    ]
    if not matches:
        raise ModelError(f"The package index at {url} has no {from_code}→{to_code} package.")
    return max(matches, key=lambda entry: _version_key(str(entry.get("package_version", ""))))


def _download(url: str, sink: IO[bytes], progress: Progress | None, timeout: float) -> None:
    sink.seek(0)
    sink.truncate()
    with _open(url, timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else 0  # 0: the server did not say
        done = 0
        if progress:
            progress(done, total)
        while chunk := response.read(_CHUNK):
            sink.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    if total and done != total:
        raise ValueError(f"the download stopped after {done} of {total} bytes")
