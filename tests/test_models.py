"""Package management: locating, validating, installing from files and from an index."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import ctranslate2
import pytest
import sentencepiece as spm

from translate_pipeline import models
from translate_pipeline.models import IndexUnreachable, ModelError

NAME = "translate-de_en-1_0"


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
