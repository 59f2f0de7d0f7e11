"""Package management: locating, validating, installing from files and from an index."""

from __future__ import annotations

import builtins
import collections
import errno
import hashlib
import http.server
import io
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import ctranslate2
import pytest
import sentencepiece as spm
from click.testing import CliRunner

from translate_pipeline import cli, models, subwords
from translate_pipeline.engine import Engine
from translate_pipeline.models import IndexUnreachable, ModelError

NAME = "translate-de_en-1_0"
MiB = 1 << 20


def _snapshot(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _rezip(source: Path, target: Path, edit=None, extra=()) -> Path:
    """Copy an archive entry by entry; ``edit(name, data)`` may change or drop (None) an entry."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if edit is not None:
                data = edit(info.filename, data)
            if data is not None:
                dst.writestr(info, data)
        for info, data in extra:
            dst.writestr(info, data)
    return target


@pytest.fixture
def empty_packages_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    packages = tmp_path / "home" / "packages"
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(packages))
    return packages


def _translate(package: models.Package, text: str) -> str:
    models.validate_package(package.path)
    translator = ctranslate2.Translator(str(package.model_dir), device="cpu")
    sp = spm.SentencePieceProcessor(model_file=str(package.sentencepiece_model))
    result = translator.translate_batch([sp.encode(text, out_type=str)], beam_size=2)
    return sp.decode(result[0].hypotheses[0])


# --- where packages live -------------------------------------------------------------------


def test_packages_dir_reads_the_environment_at_call_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "one"))
    assert models.packages_dir() == tmp_path / "one"
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "two"))
    assert models.packages_dir() == tmp_path / "two"


def test_packages_dir_default_and_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARGOS_PACKAGES_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert models.packages_dir() == tmp_path / "data" / "argos-translate" / "packages"
    settings = tmp_path / "config" / "argos-translate" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"ARGOS_PACKAGES_DIR": str(tmp_path / "from-settings")}))
    assert models.packages_dir() == tmp_path / "from-settings"


def _argos_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGOS_")}
    env.update(
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        **extra,
    )
    return env


def test_default_packages_dir_is_the_one_argos_translate_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _argos_env(tmp_path)
    for key in ("XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.delenv("ARGOS_PACKAGES_DIR", raising=False)
    code = "import argostranslate.settings as s; print(s.package_data_dir)"
    argos = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert Path(argos.stdout.strip()) == models.packages_dir()


def test_argos_translate_finds_what_we_install(tmp_path: Path, argos_packages_dir: Path) -> None:
    env = _argos_env(tmp_path, ARGOS_PACKAGES_DIR=str(argos_packages_dir))
    code = (
        "import argostranslate.package as p\n"
        "for pkg in p.get_installed_packages(): print(pkg.from_code, pkg.to_code, pkg.package_path)"
    )
    argos = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert argos.stdout.split() == ["de", "en", str(argos_packages_dir / NAME)]


# --- installed packages --------------------------------------------------------------------


def test_installed_test_package_translates(argos_packages_dir: Path) -> None:
    package = models.find_package("de", "en")
    assert package is not None
    assert package.path == argos_packages_dir / NAME
    assert (package.code, package.version, package.type) == ("translate-de_en", "1.0", "translate")
    assert (package.from_name, package.to_name) == ("German", "English")
    assert package.metadata["word_map"]["Der"] == "The"
    assert package.reinstall_hint == (
        "`translate-pipeline models install de en` "
        "(or `translate-pipeline models install FILE.argosmodel`)"
    )
    assert _translate(package, "Der Präsident sagte nicht") == "The president said not"
    assert _translate(package, "Heute ist der Krieg nicht vorbei.") == (
        "Today is der war not vorbei."
    )
    assert models.find_package("en", "de") is None


def test_find_package_prefers_the_highest_version(argos_packages_dir: Path) -> None:
    for version in ("1.10", "1.9"):
        copy = argos_packages_dir / f"translate-de_en-{version.replace('.', '_')}"
        shutil.copytree(argos_packages_dir / NAME, copy)
        metadata = json.loads((copy / "metadata.json").read_text())
        metadata["package_version"] = version
        (copy / "metadata.json").write_text(json.dumps(metadata))
    (argos_packages_dir / "not-a-package").mkdir()
    (argos_packages_dir / ".hidden").mkdir()
    assert [p.version for p in models.installed_packages()] == ["1.0", "1.10", "1.9"]
    found = models.find_package("de", "en")
    assert found is not None and found.version == "1.10"


def test_no_packages_dir_means_no_packages(empty_packages_dir: Path) -> None:
    assert models.installed_packages() == []
    assert models.find_package("de", "en") is None
    assert not empty_packages_dir.exists()


# --- validation ----------------------------------------------------------------------------


def _assert_reinstall_hint(error: pytest.ExceptionInfo[ModelError], problem: str) -> None:
    message = str(error.value)
    assert NAME in message
    assert problem in message
    assert "translate-pipeline models install de en" in message
    assert "translate-pipeline models install FILE.argosmodel" in message


def test_validate_accepts_the_test_package(argos_packages_dir: Path) -> None:
    models.validate_package(argos_packages_dir / NAME)


def test_validate_missing_metadata(argos_packages_dir: Path) -> None:
    (argos_packages_dir / NAME / "metadata.json").unlink()
    with pytest.raises(ModelError) as error:
        models.validate_package(argos_packages_dir / NAME)
    _assert_reinstall_hint(error, "no metadata.json")


def test_validate_missing_model_bin(argos_packages_dir: Path) -> None:
    (argos_packages_dir / NAME / "model" / "model.bin").unlink()
    with pytest.raises(ModelError) as error:
        models.validate_package(argos_packages_dir / NAME)
    _assert_reinstall_hint(error, "model/model.bin (the CTranslate2 model) is missing")


def test_validate_catches_every_truncation_of_model_bin(argos_packages_dir: Path) -> None:
    model_bin = argos_packages_dir / NAME / "model" / "model.bin"
    data = model_bin.read_bytes()
    cuts = sorted({0, 1, 4, 7, 20, 100, 1000, len(data) // 3, len(data) // 2, len(data) - 1})
    for cut in cuts:
        model_bin.write_bytes(data[:cut])
        with pytest.raises(ModelError) as error:
            models.validate_package(argos_packages_dir / NAME)
        _assert_reinstall_hint(error, "model/model.bin is corrupt")
        # CTranslate2 agrees the file is unusable, so validation is not overly strict.
        with pytest.raises(RuntimeError):
            ctranslate2.Translator(str(model_bin.parent), device="cpu")
    model_bin.write_bytes(data)
    models.validate_package(argos_packages_dir / NAME)


def test_validate_rejects_garbage_model_bin(argos_packages_dir: Path) -> None:
    model_bin = argos_packages_dir / NAME / "model" / "model.bin"
    model_bin.write_bytes(b"<html>502 Bad Gateway</html>" * 10)
    with pytest.raises(ModelError) as error:
        models.validate_package(argos_packages_dir / NAME)
    _assert_reinstall_hint(error, "unknown binary version")


@pytest.mark.parametrize("content", [b"", b"not a sentencepiece model"])
def test_validate_rejects_broken_sentencepiece_model(
    argos_packages_dir: Path, content: bytes
) -> None:
    (argos_packages_dir / NAME / "sentencepiece.model").write_bytes(content)
    with pytest.raises(ModelError) as error:
        models.validate_package(argos_packages_dir / NAME)
    _assert_reinstall_hint(error, "sentencepiece.model does not load")


def test_validate_missing_sentencepiece_model(argos_packages_dir: Path) -> None:
    (argos_packages_dir / NAME / "sentencepiece.model").unlink()
    with pytest.raises(ModelError) as error:
        models.validate_package(argos_packages_dir / NAME)
    _assert_reinstall_hint(error, "sentencepiece.model is missing")


# --- installing from a file ----------------------------------------------------------------


def test_install_from_file_then_replace(empty_packages_dir: Path, test_package: Path) -> None:
    package = models.install_from_file(test_package)
    assert package.path == empty_packages_dir / NAME
    (package.path / "stale-file").write_text("from the old install")
    again = models.install_from_file(test_package)
    assert again == package
    assert not (again.path / "stale-file").exists()
    assert _snapshot(empty_packages_dir) == [
        NAME,
        f"{NAME}/metadata.json",
        f"{NAME}/model",
        f"{NAME}/model/config.json",
        f"{NAME}/model/model.bin",
        f"{NAME}/model/shared_vocabulary.json",
        f"{NAME}/sentencepiece.model",
    ]
    assert _snapshot(empty_packages_dir.parent) == ["packages"] + [
        f"packages/{p}" for p in _snapshot(empty_packages_dir)
    ]


def _symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def _bad_archives(test_package: Path, tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    not_zip = tmp_path / "not-a-zip.argosmodel"
    not_zip.write_text("<html>Not found</html>")
    yield "not a zip", not_zip, "not a zip archive"
    truncated = tmp_path / "truncated.argosmodel"
    truncated.write_bytes(test_package.read_bytes()[: test_package.stat().st_size // 2])
    yield "truncated zip", truncated, "not a zip archive"
    for missing, message in [
        ("metadata.json", "has no metadata.json"),
        ("model/model.bin", "has no a CTranslate2 model (model/model.bin)"),
        ("sentencepiece.model", "has no sentencepiece.model"),
    ]:
        path = _rezip(
            test_package,
            tmp_path / f"no-{missing.replace('/', '-')}.argosmodel",
            lambda name, data, m=missing: None if name == f"{NAME}/{m}" else data,
        )
        yield f"without {missing}", path, message
    yield (
        "metadata not JSON",
        _rezip(
            test_package,
            tmp_path / "bad-json.argosmodel",
            lambda name, data: b"{" if name.endswith("metadata.json") else data,
        ),
        "metadata.json is invalid",
    )
    yield (
        "metadata without codes",
        _rezip(
            test_package,
            tmp_path / "no-codes.argosmodel",
            lambda name, data: b'{"type": "translate"}' if name.endswith("metadata.json") else data,
        ),
        "no from_code/to_code",
    )
    for label, entry in [
        ("parent escape", f"{NAME}/../../escaped.txt"),
        ("absolute path", "/tmp/escaped.txt"),
        ("backslash path", f"{NAME}\\..\\escaped.txt"),
        ("drive path", "C:/escaped.txt"),
    ]:
        info = zipfile.ZipInfo(entry)
        path = _rezip(test_package, tmp_path / f"{label}.argosmodel", extra=[(info, b"x")])
        yield label, path, "unsafe entry path"
    yield (
        "symlink",
        _rezip(
            test_package,
            tmp_path / "symlink.argosmodel",
            extra=[_symlink(f"{NAME}/link", "/etc/passwd")],
        ),
        "is a link or special file",
    )
    yield (
        "two top-level folders",
        _rezip(
            test_package, tmp_path / "two.argosmodel", extra=[(zipfile.ZipInfo("other/x"), b"x")]
        ),
        "expected one top-level folder",
    )
    yield (
        "truncated model inside",
        _rezip(
            test_package,
            tmp_path / "short-model.argosmodel",
            lambda name, data: data[:5000] if name.endswith("model.bin") else data,
        ),
        "model/model.bin is corrupt",
    )


def test_bad_archives_are_refused_and_leave_nothing_behind(
    argos_packages_dir: Path, test_package: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    sources = tmp_path_factory.mktemp("bad-archives")
    model_bin = argos_packages_dir / NAME / "model" / "model.bin"
    original = model_bin.read_bytes()
    before = _snapshot(argos_packages_dir.parent)
    for label, archive, message in _bad_archives(test_package, sources):
        with pytest.raises(ModelError, match="^Cannot install ") as error:
            models.install_from_file(archive)
        assert message in str(error.value), label
        assert _snapshot(argos_packages_dir.parent) == before, label
        assert model_bin.read_bytes() == original, label
    assert not Path("/tmp/escaped.txt").exists()
    assert not list(argos_packages_dir.parent.parent.rglob("escaped.txt"))


def test_missing_file_is_refused(empty_packages_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a zip archive"):
        models.install_from_file(tmp_path / "nope.argosmodel")


# --- installing from an index --------------------------------------------------------------


class _Server:
    """A package index and its files on 127.0.0.1, counting requests per path."""

    def __init__(self, files: dict[str, bytes], lie_about_length: set[str] = frozenset()) -> None:
        self.files = files
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                length = len(body) * (2 if self.path in lie_about_length else 1)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def _index(url: str, *entries: dict) -> bytes:
    return json.dumps(list(entries)).encode()


def _entry(url: str, version: str, path: str, **extra: object) -> dict:
    return {
        "code": "translate-de_en",
        "type": "translate",
        "from_code": "de",
        "from_name": "German",
        "to_code": "en",
        "to_name": "English",
        "package_version": version,
        "argos_version": "1.9",
        "links": [f"{url}{path}"],
        **extra,
    }


@pytest.fixture
def index_server() -> Iterator[_Server]:
    server = _Server({})
    yield server
    server.close()


def test_install_from_index_downloads_with_progress(
    empty_packages_dir: Path,
    test_package: Path,
    index_server: _Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = index_server.url
    data = test_package.read_bytes()
    index_server.files.update(
        {
            "/index.json": _index(
                url,
                _entry(url, "0.9", "/old.argosmodel"),
                _entry(url, "1.0", "/de_en.argosmodel"),
                {**_entry(url, "9.0", "/sbd.argosmodel"), "type": "sbd"},
                _entry(url, "9.0", "/en_de.argosmodel", from_code="en", to_code="de"),
            ),
            "/de_en.argosmodel": data,
        }
    )
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", url + "/")
    calls: list[tuple[int, int | None]] = []
    package = models.install_from_index("de", "en", lambda done, total: calls.append((done, total)))
    assert index_server.requests == ["/index.json", "/de_en.argosmodel"]
    assert calls[0] == (0, len(data)) and calls[-1] == (len(data), len(data))
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert package.path == empty_packages_dir / NAME
    assert _translate(package, "Der Krieg ist nicht vorbei") == "The war is not vorbei"
    assert _snapshot(empty_packages_dir.parent)[0] == "packages"
    assert all(p.startswith("packages") for p in _snapshot(empty_packages_dir.parent))


def test_index_unreachable(empty_packages_dir: Path, index_server: _Server) -> None:
    url = index_server.url
    index_server.close()
    with pytest.raises(IndexUnreachable, match="Cannot read the package index"):
        models.install_from_index("de", "en", index_url=f"{url}/index.json", timeout=5)
    assert not empty_packages_dir.exists()


def test_index_not_json(empty_packages_dir: Path, index_server: _Server) -> None:
    index_server.files["/index.json"] = b"<html>captive portal</html>"
    with pytest.raises(IndexUnreachable):
        models.install_from_index("de", "en", index_url=f"{index_server.url}/index.json")


def test_pair_not_in_index(empty_packages_dir: Path, index_server: _Server) -> None:
    url = index_server.url
    index_server.files["/index.json"] = _index(url, _entry(url, "1.0", "/x.argosmodel"))
    with pytest.raises(ModelError, match="has no fr→en package"):
        models.install_from_index("fr", "en", index_url=f"{url}/index.json")


@pytest.mark.parametrize("failure", ["missing", "short"])
def test_failed_download_leaves_nothing_behind(
    empty_packages_dir: Path, test_package: Path, failure: str
) -> None:
    server = _Server({}, lie_about_length={"/p.argosmodel"})
    try:
        url = server.url
        server.files["/index.json"] = _index(url, _entry(url, "1.0", "/p.argosmodel"))
        if failure == "short":
            server.files["/p.argosmodel"] = test_package.read_bytes()
        with pytest.raises(ModelError, match="Downloading the de→en package failed"):
            models.install_from_index("de", "en", index_url=f"{url}/index.json", timeout=5)
    finally:
        server.close()
    assert _snapshot(empty_packages_dir.parent) == ["packages"]


def test_downloaded_package_for_the_wrong_pair_is_refused(
    empty_packages_dir: Path, test_package: Path, index_server: _Server
) -> None:
    url = index_server.url
    entry = _entry(url, "1.0", "/p.argosmodel", from_code="en", to_code="de")
    index_server.files.update(
        {"/index.json": _index(url, entry), "/p.argosmodel": test_package.read_bytes()}
    )
    with pytest.raises(ModelError, match="it translates de→en, not en→de"):
        models.install_from_index("en", "de", index_url=f"{url}/index.json")
    assert _snapshot(empty_packages_dir.parent) == ["packages"]


# --- packages that cannot hurt the user (issue 18) -----------------------------------------


def _contents(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its SHA-256, for byte-for-byte comparisons."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _edit_member(source: Path, target: Path, member: str, edit) -> Path:
    """Copy an archive with ``edit(data)`` applied to one member of the package folder."""
    return _rezip(
        source, target, lambda name, data: edit(data) if name == f"{NAME}/{member}" else data
    )


def _edit_metadata(source: Path, target: Path, **changes: object) -> Path:
    def edit(data: bytes) -> bytes:
        return json.dumps({**json.loads(data), **changes}).encode()

    return _edit_member(source, target, "metadata.json", edit)


def _edit_vocabulary(source: Path, target: Path, change: int) -> Path:
    """Drop (``change`` < 0) or add entries at the end of the shared vocabulary."""

    def edit(data: bytes) -> bytes:
        tokens = json.loads(data)
        tokens = tokens[:change] if change < 0 else tokens + [f"extra{i}" for i in range(change)]
        return json.dumps(tokens).encode()

    return _edit_member(source, target, "model/shared_vocabulary.json", edit)


def _rename_folder(source: Path, target: Path, folder: str) -> Path:
    """Copy an archive with its top-level folder renamed."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            renamed = zipfile.ZipInfo(folder + info.filename[len(NAME) :], info.date_time)
            renamed.external_attr = info.external_attr
            renamed.compress_type = info.compress_type
            dst.writestr(renamed, src.read(info))
    return target


def _add_zeros(source: Path, target: Path, member: str, size: int) -> Path:
    """Copy an archive and add ``member``: ``size`` zero bytes, deflated (cheap to build)."""
    if source != target:
        shutil.copyfile(source, target)
    block = bytes(MiB)
    with zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open(member, "w") as sink:
            for start in range(0, size, len(block)):
                sink.write(block[: size - start])
    return target


def _declare_size(path: Path, member: str, size: int) -> Path:
    """Make the local and central headers of ``member`` claim ``size`` expanded bytes."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(member).header_offset
    assert data[offset : offset + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, offset + 22, size)
    name = member.encode()
    central = data.find(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.find(b"PK\x01\x02", central + 4)
        assert central > 0
    struct.pack_into("<I", data, central + 24, size)
    path.write_bytes(data)
    return path


def _record_opened_members(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the archive members opened from now on (zipfile reads only through open)."""
    opened: list[str] = []
    original = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(name if isinstance(name, str) else name.filename)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return opened


def _assert_refused(archive: Path, packages: Path, message: str) -> None:
    """Installing ``archive`` fails with ``message``; the installed package and the folder
    around it are exactly as before."""
    before_files = _snapshot(packages.parent)
    before = _contents(packages / NAME)
    with pytest.raises(ModelError) as error:
        models.install_from_file(archive)
    text = str(error.value)
    assert text.startswith(f"Cannot install {archive}: "), text
    assert message in text, text
    assert "\n" not in text
    assert _snapshot(packages.parent) == before_files
    assert _contents(packages / NAME) == before


def test_zip_bomb_is_refused_before_anything_is_extracted(
    argos_packages_dir: Path, test_package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 100 MiB of zeros deflate to under 0.5 MiB: far past the 100x ratio a real package shows.
    bomb = _add_zeros(test_package, tmp_path / "bomb.argosmodel", f"{NAME}/padding.bin", 100 * MiB)
    assert bomb.stat().st_size < test_package.stat().st_size + MiB
    opened = _record_opened_members(monkeypatch)
    _assert_refused(bomb, argos_packages_dir, f"{NAME}/padding.bin expands from ")
    assert opened == []


def test_small_archive_expanding_hugely_is_refused_before_anything_is_extracted(
    argos_packages_dir: Path, test_package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each member stays under the 64 MiB floor of the per-file rule; the archive as a whole
    # (under 0.5 MiB) expands to 80 MiB.
    bomb = tmp_path / "small-bomb.argosmodel"
    with zipfile.ZipFile(test_package) as source, zipfile.ZipFile(bomb, "w") as archive:
        archive.writestr(f"{NAME}/metadata.json", source.read(f"{NAME}/metadata.json"))
    for member in ("model/model.bin", "sentencepiece.model"):
        _add_zeros(bomb, bomb, f"{NAME}/{member}", 40 * MiB)
    assert bomb.stat().st_size < MiB // 2
    opened = _record_opened_members(monkeypatch)
    _assert_refused(bomb, argos_packages_dir, "expand to 80.0 MiB, more than 100 times over")
    assert opened == []


@pytest.mark.parametrize(
    "limit, value, message",
    [
        ("MAX_MEMBER_SIZE", 4 * MiB, f"{NAME}/model/model.bin expands to 7.5 MiB, more than "),
        ("MAX_EXPANDED_SIZE", 7 * MiB, "it expands to 7.8 MiB, more than the 7.0 MiB limit"),
        ("MAX_MEMBERS", 5, "it has 7 entries, more than 5"),
        ("MAX_CENTRAL_DIRECTORY_SIZE", 100, "its table of contents is "),
    ],
)
def test_size_limits_are_checked_from_the_central_directory(
    argos_packages_dir: Path,
    test_package: Path,
    monkeypatch: pytest.MonkeyPatch,
    limit: str,
    value: int,
    message: str,
) -> None:
    monkeypatch.setattr(models, limit, value)
    opened = _record_opened_members(monkeypatch)
    _assert_refused(test_package, argos_packages_dir, message)
    assert opened == []


def test_install_needs_room_on_the_disk(
    argos_packages_dir: Path, test_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(1 << 40, 1 << 40, 50 * MiB))
    opened = _record_opened_members(monkeypatch)
    _assert_refused(test_package, argos_packages_dir, "has only 50.0 MiB free")
    assert f"{NAME}/model/model.bin" not in opened


@pytest.mark.parametrize("member", ["README.md", "metadata.json"])
def test_member_expanding_beyond_its_declared_size_is_stopped(
    argos_packages_dir: Path, test_package: Path, tmp_path: Path, member: str
) -> None:
    archive = tmp_path / "liar.argosmodel"
    if member == "metadata.json":
        # Valid JSON, 4 MiB of it, in a member whose headers claim 1000 bytes.
        _edit_member(test_package, archive, member, lambda data: data + b" " * (4 * MiB))
    else:
        _add_zeros(test_package, archive, f"{NAME}/{member}", 8 * MiB)
    _declare_size(archive, f"{NAME}/{member}", 1000)
    _assert_refused(
        archive, argos_packages_dir, f"{NAME}/{member} expands beyond the 1000 bytes its header"
    )


def test_oversized_metadata_is_refused_at_install(
    argos_packages_dir: Path, test_package: Path, tmp_path: Path
) -> None:
    archive = _edit_metadata(test_package, tmp_path / "big.argosmodel", description="x" * 2 * MiB)
    _assert_refused(
        archive, argos_packages_dir, f"{NAME}/metadata.json is 2.0 MiB, more than the 1.0 MiB"
    )


def test_installed_folder_with_huge_metadata_is_skipped_unread(
    argos_packages_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = argos_packages_dir / "translate-de_en-9_9"
    shutil.copytree(argos_packages_dir / NAME, huge)
    metadata = huge / "metadata.json"
    os.truncate(metadata, 1 << 30)  # sparse: costs no disk, but 1 GiB (2 GiB as str) if read

    def guard(original):
        def checked(file, *args, **kwargs):
            if isinstance(file, (str, bytes, os.PathLike)) and os.fsdecode(file) == str(metadata):
                raise AssertionError(f"{file} was opened")
            return original(file, *args, **kwargs)

        return checked

    for module, name in ((io, "open"), (builtins, "open"), (os, "open")):
        monkeypatch.setattr(module, name, guard(getattr(module, name)))
    assert [p.path for p in models.installed_packages()] == [argos_packages_dir / NAME]
    with pytest.raises(ModelError, match="its metadata.json is 1.0 GiB, more than the 1.0 MiB"):
        models.read_package(huge)
    listed = CliRunner().invoke(cli.main, ["models", "list"])
    assert listed.exit_code == 0, listed.output
    assert NAME in listed.output and "9_9" not in listed.output


_BAD_METADATA = [
    ({"package_version": 1.0}, "package_version that is not a version string"),
    ({"from_code": "de/../../etc"}, "from_code that is not a language code"),
    ({"to_code": "English please"}, "to_code that is not a language code"),
    ({"from_name": 42}, "from_name that is not a string"),
    ({"target_prefix": ["__en__"]}, "target_prefix that is not a string"),
]


@pytest.mark.parametrize("changes, message", _BAD_METADATA)
def test_metadata_types_are_checked_at_install(
    argos_packages_dir: Path, test_package: Path, tmp_path: Path, changes: dict, message: str
) -> None:
    archive = _edit_metadata(test_package, tmp_path / "typed.argosmodel", **changes)
    _assert_refused(archive, argos_packages_dir, f"its metadata.json has a {message}")


def test_installed_folders_with_bad_metadata_are_skipped(argos_packages_dir: Path) -> None:
    for number, (changes, message) in enumerate(_BAD_METADATA):
        folder = argos_packages_dir / f"bad-{number}"
        shutil.copytree(argos_packages_dir / NAME, folder)
        metadata = json.loads((folder / "metadata.json").read_text())
        (folder / "metadata.json").write_text(json.dumps({**metadata, **changes}))
        with pytest.raises(ModelError, match=message):
            models.read_package(folder)
    assert [p.path for p in models.installed_packages()] == [argos_packages_dir / NAME]


@pytest.mark.parametrize(
    "config, message",
    [
        (b"{not json", "model/config.json is not valid JSON"),
        (b"[]", "model/config.json is not a JSON object"),
        # Valid JSON that CTranslate2 cannot use (no unk/bos/eos tokens): only loading tells.
        (b"{}", f"{NAME}/ does not load or translate in CTranslate2 (RuntimeError: "),
    ],
)
def test_bad_config_json_is_refused(
    argos_packages_dir: Path, test_package: Path, tmp_path: Path, config: bytes, message: str
) -> None:
    archive = _edit_member(
        test_package, tmp_path / "config.argosmodel", "model/config.json", lambda _: config
    )
    _assert_refused(archive, argos_packages_dir, message)


@pytest.mark.parametrize("folder", [".pkg", "translate de_en", "-rf", "translate-de_en-1_0~"])
def test_odd_top_level_folder_is_refused(
    argos_packages_dir: Path, test_package: Path, tmp_path: Path, folder: str
) -> None:
    archive = _rename_folder(test_package, tmp_path / "odd.argosmodel", folder)
    _assert_refused(archive, argos_packages_dir, f"its top-level folder {folder!r} is not a")


@pytest.mark.parametrize("change, entries", [(-5, 7995), (5, 8005)])
def test_vocabulary_that_does_not_fit_the_weights_is_refused(
    argos_packages_dir: Path, test_package: Path, tmp_path: Path, change: int, entries: int
) -> None:
    archive = _edit_vocabulary(test_package, tmp_path / "vocab.argosmodel", change)
    _assert_refused(
        archive,
        argos_packages_dir,
        f"model/shared_vocabulary.json has {entries} entries but the model's weights have 8000",
    )


def test_validate_rejects_a_vocabulary_that_does_not_fit(argos_packages_dir: Path) -> None:
    vocabulary = argos_packages_dir / NAME / "model" / "shared_vocabulary.json"
    vocabulary.write_text(json.dumps(json.loads(vocabulary.read_text())[:-1]))
    with pytest.raises(ModelError) as error:
        models.validate_package(argos_packages_dir / NAME)
    _assert_reinstall_hint(error, "has 7999 entries but the model's weights have 8000")


def test_failed_install_keeps_the_old_package_working(
    argos_packages_dir: Path, test_package: Path, tmp_path: Path
) -> None:
    # Same folder name as the installed package, each broken in a way only loading reveals.
    bad = [
        (
            _edit_member(test_package, tmp_path / "a.zip", "model/config.json", lambda _: b"{}"),
            "does not load or translate in CTranslate2",
        ),
        (_edit_vocabulary(test_package, tmp_path / "b.zip", -1), "has 7999 entries"),
        (
            _edit_member(test_package, tmp_path / "c.zip", "sentencepiece.model", lambda _: b""),
            "sentencepiece.model does not load",
        ),
    ]
    for archive, message in bad:
        _assert_refused(archive, argos_packages_dir, message)
    package = models.find_package("de", "en")
    assert package is not None and package.path == argos_packages_dir / NAME
    assert _translate(package, "Der Krieg ist nicht vorbei") == "The war is not vorbei"


def test_trial_that_crashes_is_a_refusal(
    argos_packages_dir: Path, test_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stands in for a model that makes CTranslate2 crash the process instead of raising.
    monkeypatch.setattr(models, "_TRIAL_CODE", "import os, signal; os.kill(os.getpid(), 9)")
    _assert_refused(test_package, argos_packages_dir, "(the trial process died of SIGKILL)")


def test_replacement_is_one_atomic_swap(
    argos_packages_dir: Path, test_package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    if not models._exchange(tmp_path / "a", tmp_path / "b"):
        pytest.skip("this OS or file system cannot swap two folders atomically")
    renamed: list[tuple[str, str]] = []
    real_rename = os.rename
    monkeypatch.setattr(os, "rename", lambda a, b: (renamed.append((a, b)), real_rename(a, b)))
    (argos_packages_dir / NAME / "stale-file").write_text("from the old install")
    models.install_from_file(test_package)
    assert not (argos_packages_dir / NAME / "stale-file").exists()
    assert renamed == []  # the installed folder never moved away before the new one arrived


def test_replacement_without_atomic_swap_is_undone_when_it_fails(
    argos_packages_dir: Path, test_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "_exchange", lambda first, second: False, raising=False)
    real_rename = os.rename
    calls: list[tuple[str, str]] = []

    def second_rename_fails(source, target):
        calls.append((source, target))
        if len(calls) == 2:
            raise OSError(errno.EIO, "simulated I/O error", str(target))
        return real_rename(source, target)

    monkeypatch.setattr(os, "rename", second_rename_fails)
    _assert_refused(test_package, argos_packages_dir, "simulated I/O error")
    monkeypatch.setattr(os, "rename", real_rename)
    (argos_packages_dir / NAME / "stale-file").write_text("from the old install")
    models.install_from_file(test_package)  # the two-rename fallback works when nothing fails
    assert not (argos_packages_dir / NAME / "stale-file").exists()
    assert [p.name for p in argos_packages_dir.parent.iterdir()] == ["argos-packages"]


def test_download_over_the_size_limit_is_refused(
    empty_packages_dir: Path,
    test_package: Path,
    index_server: _Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = index_server.url
    index_server.files.update(
        {
            "/index.json": _index(url, _entry(url, "1.0", "/p.argosmodel")),
            "/p.argosmodel": test_package.read_bytes(),
        }
    )
    monkeypatch.setattr(models, "MAX_EXPANDED_SIZE", MiB, raising=False)
    with pytest.raises(ModelError, match=r"more than the 1\.0 MiB limit"):
        models.install_from_index("de", "en", index_url=f"{url}/index.json")
    assert _snapshot(empty_packages_dir.parent) == ["packages"]


def test_oversized_index_is_refused(
    empty_packages_dir: Path, index_server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = index_server.url
    index_server.files["/index.json"] = _index(url, _entry(url, "1.0", "/p.argosmodel"))
    monkeypatch.setattr(models, "MAX_INDEX_SIZE", 100, raising=False)
    with pytest.raises(IndexUnreachable, match="more than the 100 bytes limit"):
        models.install_from_index("de", "en", index_url=f"{url}/index.json")


# --- more language pairs, routes, BPE packages (issue 17) ----------------------------------


@pytest.mark.parametrize(
    "fixture, pair, source, expected",
    [
        (
            "test_package",
            ("de", "en"),
            "Der Präsident sagte heute, Russland ist nicht im Krieg.",
            "The president said today, Russia is not im war.",
        ),
        (
            "en_fr_package",
            ("en", "fr"),
            "The president said today, Russia is not im war.",
            "Le président a dit aujourd'hui, Russie est pas im guerre.",
        ),
        (
            "de_es_package",
            ("de", "es"),
            "Der Präsident sagte heute, Russland ist nicht im Krieg.",
            "El presidente dijo hoy, Rusia es no im guerra.",
        ),
        (
            "bpe_package",
            ("de", "en"),
            "Der Kremlchef sagte heute, Russland ist nicht im Krieg.",
            "The Kremlin chief said today, Russia is not im war.",
        ),
    ],
)
def test_each_test_model_installs_and_translates_exactly_through_the_engine(
    request: pytest.FixtureRequest,
    empty_packages_dir: Path,
    fixture: str,
    pair: tuple[str, str],
    source: str,
    expected: str,
) -> None:
    package = models.install_from_file(request.getfixturevalue(fixture))
    assert (package.from_code, package.to_code) == pair
    assert models.find_package(*pair) == package
    translations = Engine(package).translate([source, ""])
    assert [t.text for t in translations] == [expected, ""]


def test_bpe_package_has_bpe_model_instead_of_sentencepiece(
    empty_packages_dir: Path, bpe_package: Path
) -> None:
    package = models.install_from_file(bpe_package)
    assert (package.path / "bpe.model").is_file()
    assert not package.sentencepiece_model.exists()
    assert package.tokenizer_model == package.path / "bpe.model"
    models.validate_package(package.path)


def test_bpe_tokenizer_matches_argos_translate(empty_packages_dir: Path, bpe_package: Path) -> None:
    """Argos Translate's own BPETokenizer (argostranslate.tokenizer: no stanza, no torch) cuts
    and joins exactly as ours, Moses escapes and joiners included."""
    from argostranslate.tokenizer import BPETokenizer

    package = models.install_from_file(bpe_package)
    ours = subwords.load(package.tokenizer_model, "de", "en")
    argos = BPETokenizer(package.tokenizer_model, "de", "en")
    sentences = [
        "Der Präsident sagte heute, Russland ist nicht im Krieg.",
        "„Das ist ‚gut‘“ – sagte er … 4,50 € für Größe ÄÖÜß & <Klammern> [eckig] |",
        "Derzeit spricht der Präsidenten nichts",
        "",
    ]
    encoded = ours.encode(sentences)
    assert encoded == [argos.encode(sentence) for sentence in sentences]
    assert encoded[0] == [
        "Der", "Präsident", "sagte", "heute", ",", "Russland", "ist", "nicht", "im", "Krieg", ".",
    ]  # fmt: skip
    assert any(piece.endswith("@@") for piece in encoded[2])
    assert ours.decode(encoded) == [argos.decode(pieces) for pieces in encoded]
    assert ours.decode(encoded)[2] == sentences[2]


def test_bpe_keys_are_whole_words_and_punctuation_is_normalised_as_in_argos(
    empty_packages_dir: Path, bpe_package: Path
) -> None:
    engine = Engine(models.install_from_file(bpe_package))
    sentences = ["Derzeit spricht der Präsidenten nichts", "„Heute“"]
    texts = [t.text for t in engine.translate(sentences)]
    # No prefix hits (unlike SentencePiece's user-defined symbols); Moses' quotes.
    assert texts == ["Derzeit spricht der Präsidenten nichts", '"Today"']


def test_long_bpe_input_is_cut_between_words(empty_packages_dir: Path, bpe_package: Path) -> None:
    engine = Engine(models.install_from_file(bpe_package))
    sentence = " ".join(["Der Krieg ist nicht vorbei"] * 60)
    pieces = engine.tokenize([sentence])[0]
    assert "vor@@" in pieces and len(pieces) > engine.settings.max_input_tokens
    (translation,) = engine.translate([sentence])
    assert translation.text == " ".join(["The war is not vorbei"] * 60)
    # Cut before words only, never before punctuation: chunks are joined with a space.
    punctuated = " ".join(["Krieg ist."] * 100)  # three Moses tokens: piece 200 is a "."
    assert engine.tokenize([punctuated])[0][200] == "."
    (translation,) = engine.translate([punctuated])
    assert translation.text == " ".join(["war is."] * 100)


def test_validate_wants_sentencepiece_or_bpe_codes(
    empty_packages_dir: Path, bpe_package: Path
) -> None:
    package = models.install_from_file(bpe_package)
    codes = package.path / "bpe.model"
    text = codes.read_text(encoding="utf-8")
    codes.write_text(text.replace("\n", "\nnot-a-pair\n", 1), encoding="utf-8")
    with pytest.raises(ModelError, match=r"bpe\.model does not load \(line 2 of the BPE codes"):
        models.validate_package(package.path)
    codes.unlink()
    with pytest.raises(ModelError, match=r"sentencepiece\.model is missing \(and there is no bpe"):
        models.validate_package(package.path)


@pytest.mark.parametrize(
    "source, target, available, steps, missing",
    [
        ("de", "fr", ["de-fr", "de-en", "en-fr"], ["de-fr"], []),
        ("de", "fr", ["de-en", "en-fr"], ["de-en", "en-fr"], []),
        ("de", "fr", ["de-en"], [], ["de-fr", "en-fr"]),
        ("de", "fr", ["en-fr"], [], ["de-fr", "de-en"]),
        ("de", "fr", [], [], ["de-fr", "de-en", "en-fr"]),
        ("de", "en", ["de-fr", "fr-en"], [], ["de-en"]),
        ("en", "fr", ["de-en", "de-fr"], [], ["en-fr"]),
    ],
)
def test_route_is_direct_else_via_english_else_names_what_is_missing(
    source: str, target: str, available: list[str], steps: list[str], missing: list[str]
) -> None:
    found = models.route(source, target, {tuple(code.split("-")): code for code in available})
    assert (found.source, found.target) == (source, target)
    assert list(found.steps) == steps
    assert ["-".join(pair) for pair in found.missing] == missing
    assert found.found == bool(steps)
    assert found.via == ("en" if len(steps) == 2 else None)


def test_why_a_route_is_missing() -> None:
    assert models.route("de", "fr", {}).why_missing() == (
        "no de→fr package, nor de→en and en→fr to go via English"
    )
    assert models.route("de", "fr", {("de", "en"): 1}).why_missing() == (
        "no de→fr package, nor en→fr to go via English"
    )
    assert models.route("fr", "en", {}).why_missing() == "no fr→en package"


@pytest.fixture(scope="session")
def installed_pairs(
    tmp_path_factory: pytest.TempPathFactory,
    installed_test_package: Path,
    en_fr_package: Path,
    de_es_package: Path,
) -> Path:
    """A packages folder with de→en, en→fr and de→es installed, once per session."""
    packages = tmp_path_factory.mktemp("pairs") / "packages"
    shutil.copytree(installed_test_package, packages)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARGOS_PACKAGES_DIR", str(packages))
        models.install_from_file(en_fr_package)
        models.install_from_file(de_es_package)
    return packages


@pytest.fixture
def pairs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, installed_pairs: Path) -> Path:
    packages = tmp_path / "argos-packages"
    shutil.copytree(installed_pairs, packages)
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(packages))
    return packages


def _names(found: models.Route[models.Package]) -> list[str]:
    return [package.name for package in found.steps]


def test_find_route_over_installed_packages(pairs_dir: Path) -> None:
    assert _names(models.find_route("de", "en")) == ["translate-de_en-1_0"]
    assert _names(models.find_route("de", "es")) == ["translate-de_es-1_0"]
    via = models.find_route("de", "fr")
    assert _names(via) == ["translate-de_en-1_0", "translate-en_fr-1_0"] and via.via == "en"
    assert via.describe() == "via English (translate-de_en 1.0, translate-en_fr 1.0)"
    assert models.find_route("de", "uk").missing == (("de", "uk"), ("en", "uk"))
    # An en→es package as well: the direct de→es package still wins.
    en_es = pairs_dir / "translate-en_es-1_0"
    shutil.copytree(pairs_dir / "translate-en_fr-1_0", en_es)
    metadata = json.loads((en_es / "metadata.json").read_text())
    (en_es / "metadata.json").write_text(json.dumps({**metadata, "to_code": "es"}))
    assert models.find_route("de", "es").describe() == "direct (translate-de_es 1.0)"
    # The pivot chain translates as its two models compose.
    english = Engine(via.steps[0]).translate(["Der Präsident sagte heute nicht."])[0].text
    french = Engine(via.steps[1]).translate([english])[0].text
    assert (english, french) == (
        "The president said today not.",
        "Le président a dit aujourd'hui pas.",
    )


def test_models_list_shows_packages_and_routes(pairs_dir: Path) -> None:
    listed = CliRunner().invoke(cli.main, ["models", "list"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        f"packages folder: {pairs_dir}",
        f"de → en  translate-de_en-1_0 1.0  {pairs_dir / 'translate-de_en-1_0'}",
        f"de → es  translate-de_es-1_0 1.0  {pairs_dir / 'translate-de_es-1_0'}",
        f"en → fr  translate-en_fr-1_0 1.0  {pairs_dir / 'translate-en_fr-1_0'}",
        "routes from German:",
        "  de→en: direct (translate-de_en 1.0)",
        "  de→es: direct (translate-de_es 1.0)",
        "  de→fr: via English (translate-de_en 1.0, translate-en_fr 1.0)",
    ]
    asked = CliRunner().invoke(cli.main, ["models", "list", "--to", "uk", "--to", "fr"])
    assert asked.output.splitlines()[-2:] == [
        "  de→uk: missing: no de→uk package, nor en→uk to go via English; "
        "try: translate-pipeline models install de uk",
        "  de→fr: via English (translate-de_en 1.0, translate-en_fr 1.0)",
    ]


def test_models_list_without_packages(empty_packages_dir: Path) -> None:
    listed = CliRunner().invoke(cli.main, ["models", "list"])
    assert listed.exit_code == 0
    assert listed.output.splitlines() == [
        f"packages folder: {empty_packages_dir}",
        "no packages installed; try: translate-pipeline models install de en",
        "routes from German:",
        "  de→en: missing: no de→en package; try: translate-pipeline models install de en",
    ]


def _offer(url: str, source: str, target: str) -> dict:
    return _entry(
        url,
        "1.0",
        f"/{source}_{target}.argosmodel",
        code=f"translate-{source}_{target}",
        from_code=source,
        to_code=target,
    )


@pytest.fixture
def pair_index(
    index_server: _Server,
    monkeypatch: pytest.MonkeyPatch,
    test_package: Path,
    en_fr_package: Path,
    de_es_package: Path,
) -> _Server:
    """The local index offers de→en, en→fr and de→es, but no de→fr and nothing for uk."""
    url = index_server.url
    offers = {("de", "en"): test_package, ("en", "fr"): en_fr_package}
    offers[("de", "es")] = de_es_package
    index_server.files["/index.json"] = _index(url, *(_offer(url, *pair) for pair in offers))
    for (source, target), archive in offers.items():
        index_server.files[f"/{source}_{target}.argosmodel"] = archive.read_bytes()
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", url + "/")
    return index_server


def _install(*args: str) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(cli.main, ["models", "install", *args])
    return result.exit_code, result.stdout.splitlines(), result.stderr


def test_models_install_pair_goes_via_english_when_the_index_has_no_direct_package(
    empty_packages_dir: Path, pair_index: _Server
) -> None:
    code, out, err = _install("de", "fr")
    assert code == 0, err
    assert out == [
        f"installed translate-de_en-1_0 1.0 (de → en) in {empty_packages_dir}/translate-de_en-1_0",
        f"installed translate-en_fr-1_0 1.0 (en → fr) in {empty_packages_dir}/translate-en_fr-1_0",
        "de→fr: via English (translate-de_en 1.0, translate-en_fr 1.0)",
    ]
    assert pair_index.requests == ["/index.json", "/de_en.argosmodel", "/en_fr.argosmodel"]
    pair_index.requests.clear()
    code, out, _ = _install("de", "fr")
    assert (code, out) == (
        0,
        ["nothing to install; de→fr: via English (translate-de_en 1.0, translate-en_fr 1.0)"],
    )
    assert pair_index.requests == ["/index.json"]


def test_models_install_pair_skips_the_leg_already_installed(
    argos_packages_dir: Path, pair_index: _Server
) -> None:
    code, out, err = _install("de", "fr")
    assert code == 0, err
    assert out[0].startswith("installed translate-en_fr-1_0 1.0 (en → fr) in ")
    assert pair_index.requests == ["/index.json", "/en_fr.argosmodel"]


def test_models_install_pair_takes_the_direct_package(
    empty_packages_dir: Path, pair_index: _Server
) -> None:
    code, out, err = _install("de", "es")
    assert code == 0, err
    assert out == [
        f"installed translate-de_es-1_0 1.0 (de → es) in {empty_packages_dir}/translate-de_es-1_0"
    ]
    assert pair_index.requests == ["/index.json", "/de_es.argosmodel"]


def test_models_install_pair_names_what_is_missing(
    empty_packages_dir: Path, pair_index: _Server
) -> None:
    code, out, err = _install("de", "uk")
    assert (code, out) == (1, [])
    assert err == (
        f"error: Cannot translate de→uk: the package index at {pair_index.url}/index.json and "
        "the installed packages have no de→uk package, nor en→uk to go via English.\n"
    )
    assert pair_index.requests == ["/index.json"]
    assert not empty_packages_dir.exists()


def test_models_install_without_arguments_installs_what_the_configured_targets_need(
    empty_packages_dir: Path,
    pair_index: _Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "translate-pipeline.toml").write_text('targets = ["en", "fr"]\n')
    monkeypatch.chdir(project)
    code, out, err = _install()
    assert code == 0, err
    assert out == [
        f"installed translate-de_en-1_0 1.0 (de → en) in {empty_packages_dir}/translate-de_en-1_0",
        "de→en: direct (translate-de_en 1.0)",
        f"installed translate-en_fr-1_0 1.0 (en → fr) in {empty_packages_dir}/translate-en_fr-1_0",
        "de→fr: via English (translate-de_en 1.0, translate-en_fr 1.0)",
    ]
