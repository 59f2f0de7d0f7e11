"""Hostile input (issue 18, "Safe by default").

A build owns only what is its own, publishes only safe files, skips what it cannot read
(never waiting on it), and turns a failing file system or Ctrl+C into one line while the
site and the translation memory stay as they were. Every case runs the real CLI with the
hand-wired test model in a temporary project and asserts the exit code, the message, what
was published and what was kept.

Cases that hang a build that blocks on a FIFO run the CLI in a subprocess with a generous
timeout (a hang guard, not a speed test). Cases that need root (a tmpfs mount, `chattr +i`)
are skipped without it; the same failures are also simulated without root by making the
file-system calls fail (`failing_writes`, `disk_full_after`).
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import projects
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from projects import Run, cli

from translate_pipeline import engine, glossary, report, state

REPO = Path(__file__).resolve().parents[1]
ROOT = os.geteuid() == 0
# Exit code 4 (`report.EXIT_ENVIRONMENT`): a file or folder could not be read or written. A
# literal, so that on code without it these tests fail on what the build does.
ENVIRONMENT = 4

ARTICLE = (
    "---\ntitle: {title}\n---\n\n"
    "Der Präsident sagte heute nicht, dass der Krieg bald vorbei ist und die Regierung "
    "endlich über den Frieden mit Russland verhandeln wird.\n"
)
GOOD = {
    "gut-eins.md": ARTICLE.format(title="Der Präsident sagte nicht"),
    "gut-zwei.md": (
        "---\ntitle: Der Kanzler und die Regierung\n---\n\n"
        "Der Kanzler sagte gestern in Berlin, dass die Regierung auch am Montag nicht über "
        "den Krieg sprechen wird, aber sehr bald über den Frieden.\n"
    ),
}
NEW = (
    "---\ntitle: Der Frieden\n---\n\nDer Kanzler sagte heute, dass der Frieden sehr "
    "wichtig ist und die Regierung nicht mehr über den Krieg sprechen wird.\n"
)


# --- the project ---------------------------------------------------------------------------------


class Project(projects.Project):
    def write_good(self) -> None:
        for name, text in GOOD.items():
            self.write(name, text)

    def memory(self) -> dict[str, bytes]:
        return {k: v for k, v in snapshot(self.translations).items() if k.endswith(".po")}


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argos_packages_dir: Path
) -> Iterator[Project]:
    """An empty project (content/, glossaries/) as the working directory, two levels below
    tmp_path so that even `--out ..` stays inside it; the test model installed."""
    root = tmp_path / "work" / "project"
    (root / "content").mkdir(parents=True)
    (root / "glossaries").mkdir()
    monkeypatch.chdir(root)
    yield Project(root)
    if ROOT and shutil.which("chattr"):  # wherever a build moved an immutable file to
        subprocess.run(["chattr", "-R", "-i", str(tmp_path)], capture_output=True)


def build(*args: str) -> Run:
    return cli("build", *args)


CHILD = "from translate_pipeline.cli import main; main(prog_name='translate-pipeline')"


def cli_process(project: Project, *args: str, timeout: float = 120, as_json: bool = True) -> Run:
    """The CLI in a subprocess: a build that blocks on a FIFO hangs it, not the test run."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, *args, *(["--json"] if as_json else [])],
            cwd=project.root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`{' '.join(args)}` hung (still running after {timeout:.0f}s)")
    assert "Traceback" not in done.stderr, done.stderr
    answer = json.loads(done.stdout) if as_json and done.stdout else {"stdout": done.stdout}
    return Run(done.returncode, done.stderr, answer)


def snapshot(folder: Path) -> dict[str, object]:
    """Every entry below `folder` (hidden ones too): file bytes, link targets, folders."""
    if not folder.exists():
        return {}
    found: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            found[rel] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[rel] = path.read_bytes()
        elif path.is_dir():
            found[rel] = "folder"
        else:
            found[rel] = stat.S_IFMT(path.lstat().st_mode)
    return found


def leftovers(project: Project) -> list[Path]:
    """Temporary files and staging folders a build must not leave behind."""
    names = [p for p in project.root.parent.rglob("*") if p.name.endswith((".tmp", ".bak"))]
    return names + [p for p in project.root.parent.rglob("*staging*")]


# --- root-only helpers (skipped without root) ---------------------------------------------------


def _needs_root() -> None:
    if not ROOT:
        pytest.skip("needs root")


@contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """`chattr +i`: not even root may change, replace, link or delete the file (or, for a
    folder, create or remove anything in it)."""
    _needs_root()
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    done = []
    try:
        for path in paths:
            if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
                pytest.skip(f"this file system does not support chattr +i ({path})")
            done.append(path)
        yield
    finally:
        for path in done:  # (a build may have moved it: the project fixture catches that)
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted at `path`: a mount point, on a file system of its own."""
    _needs_root()
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr!r}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


# --- simulated file-system failures (no root needed) --------------------------------------------


def _writes(flags: int) -> bool:
    return bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))


def failing_writes(monkeypatch: pytest.MonkeyPatch, folder: Path, code: int) -> None:
    """Every call that would create, change or remove something below `folder` fails with
    `code`, as on a read-only file system (EROFS) or in a folder without write permission
    (EACCES) for a user who is not root."""
    folder = folder.resolve()

    def below(path: object) -> bool:
        if isinstance(path, int):
            return False
        absolute = Path(os.path.abspath(os.fsdecode(path)))  # type: ignore[arg-type]
        return absolute == folder or absolute.is_relative_to(folder)

    def fail(path: object) -> OSError:
        return OSError(code, os.strerror(code), os.fsdecode(path))  # type: ignore[arg-type]

    real_open, real_io_open = os.open, io.open

    def guarded_open(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if _writes(flags) and below(path):
            raise fail(path)
        return real_open(path, flags, *args, **kwargs)

    def guarded_io_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if any(c in mode for c in "wax+") and below(file):
            raise fail(file)
        return real_io_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_io_open)
    monkeypatch.setattr("builtins.open", guarded_io_open)
    for name in ("mkdir", "unlink", "rmdir", "remove"):
        real = getattr(os, name)

        def one(path, *args, _real=real, **kwargs):  # type: ignore[no-untyped-def]
            if below(path):
                raise fail(path)
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(os, name, one)
    for name in ("link", "rename", "replace"):
        real = getattr(os, name)

        def two(src, dst, *args, _real=real, **kwargs):  # type: ignore[no-untyped-def]
            if below(src) or below(dst):
                raise fail(dst)
            return _real(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, name, two)


def disk_full_after(monkeypatch: pytest.MonkeyPatch, writes: int) -> list[int]:
    """The disk fills up: the `writes`-th write of file data (and every one after it) fails
    with ENOSPC. Counts `os.write` and `Path.write_bytes`; returns the running count."""
    count = [0]
    real_write, real_write_bytes = os.write, Path.write_bytes

    def full(path: object = None) -> OSError:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), *([str(path)] if path else []))

    def write(fd: int, data: bytes) -> int:
        count[0] += 1
        if writes and count[0] >= writes:
            raise full()
        return real_write(fd, data)

    def write_bytes(self: Path, data: bytes) -> int:
        count[0] += 1
        if writes and count[0] >= writes:
            raise full(self)
        return real_write_bytes(self, data)

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    return count


# ================================================================================================
# 1. Own only what is ours
# ================================================================================================


def test_out_holding_someone_elses_files_is_refused_before_anything_is_written(
    project: Project,
) -> None:
    project.write_good()
    docs = project.root / "docs"
    docs.mkdir()
    (docs / "CNAME").write_text("news.example.org\n")
    (docs / "notizen.txt").write_text("nicht löschen\n")
    before = snapshot(project.root.parent)

    refused = build("--out", "docs")

    assert refused.exit_code == report.EXIT_FAILED
    message = (
        "--out docs: holds files translate-pipeline did not write (CNAME, notizen.txt); it "
        "publishes only into an empty folder or one it made. Move them elsewhere, or choose "
        "another --out (nothing was written)"
    )
    assert refused.errors == [f"error: {message}"]
    assert refused.answer == {"exit_code": report.EXIT_FAILED, "error": message}
    assert snapshot(project.root.parent) == before  # not even a lock file

    # An empty folder is fine, and from then on it is the build's own.
    empty = project.root / "public"
    empty.mkdir()
    assert build("--out", "public").exit_code == report.EXIT_OK
    assert project.published(empty) == {"gut-eins", "gut-zwei"}


def test_a_file_put_into_the_built_site_by_hand_is_never_deleted(project: Project) -> None:
    project.write_good()
    assert build().exit_code == report.EXIT_OK
    (project.site / "CNAME").write_text("news.example.org\n")
    project.write("neu.md", NEW)
    before = snapshot(project.root.parent)

    refused = build()

    assert refused.exit_code == report.EXIT_FAILED
    assert refused.errors == [
        "error: --out site: holds files translate-pipeline did not write (CNAME); it publishes "
        "only into an empty folder or one it made. Move them elsewhere, or choose another "
        "--out (nothing was written)"
    ]
    assert snapshot(project.root.parent) == before

    # A site made by an older version, whose state file is one JSON document, is still
    # recognised: the files it lists are ours (CNAME is not) ...
    as_older_version(project.site, with_files=True)
    assert build().errors == refused.errors
    # ... and one from before state files listed files is trusted whole.
    (project.site / "CNAME").unlink()
    as_older_version(project.site, with_files=False)
    assert build().exit_code == report.EXIT_OK
    assert project.published() == {"gut-eins", "gut-zwei", "neu"}
    assert "de/neu/index.html" in state.Previous(project.site).files()
    # An older state's fingerprints still count: nothing changed, nothing is rendered again.
    as_older_version(project.site, with_files=True)
    again = build()
    assert again.answer["reused_articles"] == again.answer["articles"] == 3


def as_older_version(site: Path, with_files: bool) -> None:
    """Rewrite the site's state file as versions before state format 2 wrote it: one JSON
    document, with or (older still) without the list of the folder's files."""
    path = site / state.STATE_FILE
    text = path.read_text("utf-8")
    if text.startswith("{\n"):  # written by this function already
        older = json.loads(text)
    else:
        header, *rest = [json.loads(line) for line in text.splitlines()]
        assert header["format"] == state.FORMAT
        files = sorted(f for line in rest for f in line.get("files", []))
        articles = {line.pop("article"): line for line in rest if "article" in line}
        older = {"code": header["code"], "articles": articles, "files": files}
    if not with_files:
        del older["files"]
    path.write_text(json.dumps(older, indent=1, sort_keys=True))


OVERLAPS = {
    # --out: the message after "--out X: "
    "content": "is the content folder (content)",
    "content/site": "is inside the content folder (content)",
    ".": "contains the content folder (content)",
    "..": "contains the content folder (content)",
    "translations": "is the translation memory folder (translations)",
    "translations/de-en": "is inside the translation memory folder (translations)",
    "glossaries": "is the glossary folder (glossaries)",
}


@pytest.mark.parametrize("out", sorted(OVERLAPS))
def test_out_that_is_holds_or_lies_inside_an_input_is_refused(project: Project, out: str) -> None:
    project.write_good()
    assert build().exit_code == report.EXIT_OK  # a memory and a site to lose
    before = snapshot(project.root.parent)

    refused = build("--out", out)

    assert refused.exit_code == report.EXIT_FAILED
    message = (
        f"--out {out}: {OVERLAPS[out]}; the site needs a folder of its own, such as --out site "
        "(nothing was written)"
    )
    assert refused.errors == [f"error: {message}"]
    assert refused.answer == {"exit_code": report.EXIT_FAILED, "error": message}
    assert snapshot(project.root.parent) == before


def test_out_that_holds_the_project_or_is_a_file_is_refused(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write_good()
    (project.root / "README.md").write_text("Mein Projekt\n")
    before = snapshot(project.root.parent)

    as_file = build("--out", "README.md")
    assert as_file.exit_code == report.EXIT_FAILED
    assert as_file.errors == [
        "error: --out README.md: is a file, not a folder; choose a folder for the site "
        "(nothing was written)"
    ]
    # Built from a subfolder of the project, with the content given by path: --out names
    # the folder the build runs in, and then the project.
    tools = project.root / "tools"
    tools.mkdir()
    monkeypatch.chdir(tools)
    inputs = ["../content", "--glossaries", "../glossaries", "--translations", "../translations"]
    here = cli("build", *inputs, "--out", ".")
    assert here.exit_code == report.EXIT_FAILED
    assert here.errors == [
        "error: --out .: is the folder the build runs in; the site needs a folder of its own, "
        "such as --out site (nothing was written)"
    ]
    tools.rmdir()
    assert snapshot(project.root.parent) == before


def add_and_remove(project: Project) -> list[Run]:
    """Three builds: the good articles, one added, one removed."""
    project.write_good()
    first = build()
    project.write("neu.md", NEW)
    second = build()
    (project.content / "gut-zwei.md").unlink()
    return [first, second, build()]


def test_symlinked_output_is_published_where_it_points_and_stays_a_link(
    project: Project,
) -> None:
    web = project.root.parent / "webroot"
    web.mkdir()
    project.site.symlink_to(Path("..") / "webroot")
    first, second, third = add_and_remove(project)

    assert [r.exit_code for r in (first, second, third)] == [report.EXIT_OK] * 3
    assert [r.errors for r in (first, second, third)] == [[], [], []]
    assert project.site.is_symlink() and os.readlink(project.site) == "../webroot"
    assert project.published(web) == {"gut-eins", "neu"}
    assert not (web / "de" / "gut-zwei").exists()
    # Staging and lock sit beside where the site really is; nothing is left of the staging.
    assert (project.root.parent / ".webroot.lock").is_file()
    assert not [p for p in project.root.parent.iterdir() if "staging" in p.name]
    assert not [p for p in project.root.iterdir() if "staging" in p.name]


def test_mount_point_output_is_published_in_place(project: Project) -> None:
    with tmpfs(project.site, "8m"):
        first, second, third = add_and_remove(project)

        assert [r.exit_code for r in (first, second, third)] == [report.EXIT_OK] * 3
        assert project.published() == {"gut-eins", "neu"}
        assert not (project.site / "de" / "gut-zwei").exists()
        published = state.Previous(project.site)
        assert not published.publishing and "de/neu/index.html" in published.files()
        assert not (project.site / ".translate-pipeline-staging").exists()
        assert os.path.ismount(project.site)


def test_in_place_publish_cut_short_is_finished_by_the_next_build(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder that cannot be swapped (simulated, so no root is needed) is replaced file by
    file; a failure part way leaves it recognisably the build's own, and the next build
    completes it."""
    from translate_pipeline import publish

    monkeypatch.setattr(publish, "_cannot_swap", lambda path: True, raising=False)
    project.write_good()
    assert build().exit_code == report.EXIT_OK
    project.write("neu.md", NEW)
    (project.content / "gut-zwei.md").unlink()
    real_replace, calls = os.replace, [0]

    def replace_then_fail(src: object, dst: object) -> None:
        calls[0] += 1
        if calls[0] == 4:  # after the intent and a couple of pages
            raise OSError(errno.EIO, os.strerror(errno.EIO), os.fsdecode(dst))  # type: ignore[arg-type]
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace_then_fail)
    failed = build()
    monkeypatch.setattr(os, "replace", real_replace)

    assert failed.exit_code == ENVIRONMENT
    (error,) = failed.errors
    assert error.startswith("error: site/") and "Input/output error" in error
    assert build().exit_code == report.EXIT_OK
    assert project.published() == {"gut-eins", "neu"}
    assert not (project.site / "de" / "gut-zwei").exists()
    assert not (project.site / ".translate-pipeline-staging").exists()


def test_staging_folder_that_cannot_be_removed_is_never_published(project: Project) -> None:
    project.write_good()
    assert build().exit_code == report.EXIT_OK
    published = snapshot(project.site)
    # A killed build's staging folder, still holding gut-zwei's pages, which cannot be removed.
    staging = project.root / ".site.staging"
    shutil.copytree(project.site, staging)
    stuck = staging / "de" / "gut-zwei" / "index.html"
    (project.content / "gut-zwei.md").unlink()

    with immutable(stuck):
        refused = build()
        assert refused.exit_code == ENVIRONMENT
        assert refused.errors == [
            "error: .site.staging: an earlier build left this staging folder and it cannot be "
            "removed (Operation not permitted); remove it by hand (nothing was written)"
        ]
        assert snapshot(project.site) == published
    shutil.rmtree(staging)
    assert build().exit_code == report.EXIT_OK
    assert project.published() == {"gut-eins"}


# ================================================================================================
# 2. Publish only safe files
# ================================================================================================

PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)
IMAGES_OK = {
    "bilder/karte.png": PNG,
    "bilder/foto.jpg": b"\xff\xd8\xff\xe0" + bytes(20),
    "bilder/anim.gif": b"GIF89a" + bytes(20),
    "bilder/neu.webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(20),
    "bilder/modern.avif": b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(8),
    "bilder/icon.ico": b"\x00\x00\x01\x00\x01\x00" + bytes(20),
    "bilder/alt.bmp": b"BM" + bytes(12) + (40).to_bytes(4, "little") + bytes(20),
}
SCRIPT_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
IMAGES_REFUSED = {
    # src: (file bytes, the reason after "image 'src' ")
    "boese.svg": (SCRIPT_SVG, "is an SVG, which can carry scripts; convert it to PNG or WebP"),
    "seite.html": (
        HTML,
        "is not an image this site publishes (PNG, JPEG, GIF, WebP, AVIF, ICO, BMP, judged by "
        "its content)",
    ),
    "index.html": (
        HTML,
        "is not an image this site publishes (PNG, JPEG, GIF, WebP, AVIF, ICO, BMP, judged by "
        "its content)",
    ),
    "tarnung.png": (
        HTML,
        "is not an image this site publishes (PNG, JPEG, GIF, WebP, AVIF, ICO, BMP, judged by "
        "its content)",
    ),
    "falsch.jpg": (PNG, "is a PNG image but its name ends in '.jpg'; name it 'falsch.png'"),
}


def test_only_images_by_content_are_published_and_never_over_a_page(project: Project) -> None:
    for name, data in IMAGES_OK.items():
        project.write(name, data)
    for name, (data, _) in IMAGES_REFUSED.items():
        project.write(name, data)
    # A PNG named like the page it sits beside: a picture, but it must not replace the page.
    project.write("bilder/index.html", PNG)
    os.mkfifo(project.content / "rohr.png")
    big = project.content / "riesig.png"
    with open(big, "wb") as handle:
        handle.write(PNG)
        handle.truncate(21 * 2**20)  # sparse
    outside = project.root.parent / "geheim.png"
    outside.write_bytes(PNG)
    (project.content / "verlinkt.png").symlink_to(outside)
    refs = [*IMAGES_OK, *IMAGES_REFUSED, "bilder/index.html", "rohr.png", "riesig.png"]
    refs.append("verlinkt.png")
    body = "".join(
        f"Der Präsident sagte nicht.\n\n![Bild {n}]({src})\n\n" for n, src in enumerate(refs)
    )
    project.write("bild.md", "---\ntitle: Der Präsident sagte nicht\n---\n\n" + body)
    lines = {src: 7 + 4 * n for n, src in enumerate(refs)}

    built = cli_process(project, "build")

    assert built.exit_code == report.EXIT_OK, built.stderr
    assert project.published() == {"bild"}
    expected = [
        f"warning: content/bild.md:{lines[src]}: image '{src}' {reason}; not published"
        for src, (_, reason) in IMAGES_REFUSED.items()
    ]
    expected += [
        f"warning: content/bild.md:{lines['bilder/index.html']}: image 'bilder/index.html' is "
        "a PNG image but its name ends in '.html'; name it 'index.png'; not published",
        f"warning: content/bild.md:{lines['rohr.png']}: image 'rohr.png' is not a regular "
        "file (a FIFO); not published",
        f"warning: content/bild.md:{lines['riesig.png']}: image 'riesig.png' is larger than "
        "20 MB; not published",
        f"warning: content/bild.md:{lines['verlinkt.png']}: image 'verlinkt.png' is outside "
        "content; not published",
    ]
    assert sorted(built.warnings) == sorted(expected)
    for version in ("de", "en", "de-en"):
        folder = project.site / version / "bild"
        for name, data in IMAGES_OK.items():
            assert (folder / name).read_bytes() == data
        page = (folder / "index.html").read_text("utf-8")
        assert 'http-equiv="Content-Security-Policy"' in page  # the generated page, not a file
        assert (folder / "bilder" / "index.html").is_file() is False
        published = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        assert published == {"index.html", *IMAGES_OK}
    # `check` gives the same warnings.
    checked = cli_process(project, "check")
    assert sorted(checked.answer["warnings"]) == sorted(
        w.removeprefix("warning: ") for w in expected
    )


# ================================================================================================
# 3. Skip the file, keep the build
# ================================================================================================


def test_fifos_and_sockets_are_skipped_everywhere_and_never_block(project: Project) -> None:
    project.write_good()
    assert build().exit_code == report.EXIT_OK
    project.write("neu.md", NEW)
    os.mkfifo(project.content / "rohr.md")
    with socket.socket(socket.AF_UNIX) as sock:
        os.chdir(project.content)  # a socket path must be short
        sock.bind("dose.md")
        os.chdir(project.root)
    os.mkfifo(project.glossaries / "rohr.yaml")
    (project.translations / "gut-zwei.po").unlink()
    os.mkfifo(project.translations / "gut-zwei.po")
    os.mkfifo(project.translations / ".journal.jsonl")
    memory_before = project.memory()

    built = cli_process(project, "build")
    checked = cli_process(project, "check")
    inspected = cli_process(project, "inspect", "content/gut-zwei.md")
    linted = cli_process(project, "glossary", "lint", as_json=False)

    assert built.exit_code == report.EXIT_PARTIAL
    skipped = [
        "content/dose.md: not a regular file (a socket); skipped",
        "content/rohr.md: not a regular file (a FIFO); skipped",
        "translations/de-en/gut-zwei.po: not a regular file (a FIFO); content/gut-zwei.md not "
        "built",
        "glossaries/rohr.yaml: not a regular file (a FIFO); skipped",
    ]
    assert sorted(built.errors) == sorted(f"error: {line}" for line in skipped)
    assert built.warnings == [
        "warning: translations/de-en/.journal.jsonl: not a regular file (a FIFO); skipped; the "
        "journal is not used, so work an interruption cuts short is not kept"
    ]
    assert project.published() == {"gut-eins", "neu"}
    assert project.memory() == {**memory_before, "neu.po": project.memory()["neu.po"]}
    assert stat.S_ISFIFO((project.translations / ".journal.jsonl").lstat().st_mode)
    assert checked.exit_code == report.EXIT_FAILED
    assert sorted(checked.answer["problems"]) == sorted(skipped)
    assert inspected.exit_code == report.EXIT_FAILED
    assert inspected.answer == {
        "exit_code": 1,
        "error": "translations/de-en/gut-zwei.po: not a regular file (a FIFO)",
    }
    assert linted.answer["stdout"] == (
        "glossaries/rohr.yaml: warning: not a regular file (a FIFO); skipped\n"
    )


@pytest.mark.parametrize("where", ["content", "translations", "glossaries"])
def test_sizes_are_checked_before_anything_is_read(project: Project, where: str) -> None:
    """A file over its limit is refused from its size alone: the build's peak memory stays far
    below the file's size (counted by tracemalloc), whatever is in it."""
    project.write_good()
    assert build().exit_code == report.EXIT_OK
    big, size = {
        "content": (project.content / "riesig.md", 64 * 2**20),
        "translations": (project.translations / "gut-zwei.po", 300 * 2**20),
        "glossaries": (project.glossaries / "riesig.yaml", 100 * 2**20),
    }[where]
    with open(big, "wb") as handle:
        handle.truncate(size)  # sparse: costs no disk
    tracemalloc.start()
    try:
        built = build()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 16 * 2**20, f"peak {peak / 2**20:.0f} MB: the file was read"
    if where == "content":
        assert built.exit_code == report.EXIT_PARTIAL
        assert built.errors == ["error: content/riesig.md: file is larger than 20 MB"]
    elif where == "translations":
        assert built.exit_code == report.EXIT_PARTIAL
        assert built.errors == [
            "error: translations/de-en/gut-zwei.po: file is larger than 256 MB; "
            "content/gut-zwei.md not built"
        ]
    else:  # a glossary that cannot be loaded stops the build, as one that does not parse
        assert built.exit_code == report.EXIT_FAILED
        assert built.errors == [
            "error: glossaries/riesig.yaml: file is larger than 64 MB (fix the glossary; "
            "nothing was built)"
        ]


def test_article_linked_from_outside_content_is_refused(project: Project) -> None:
    project.write_good()
    elsewhere = project.root.parent / "privat"
    elsewhere.mkdir()
    (elsewhere / "geheim.md").write_text(ARTICLE.format(title="Der Krieg"), encoding="utf-8")
    (project.content / "geheim.md").symlink_to(elsewhere / "geheim.md")
    (project.content / "ordner").symlink_to(elsewhere)
    (project.content / "kaputt.md").symlink_to(elsewhere / "fehlt.md")

    built = build()

    assert built.exit_code == report.EXIT_PARTIAL
    assert built.errors == [
        f"error: content/geheim.md: a link to {elsewhere / 'geheim.md'}, outside content; not "
        "built (copy the file into content instead)",
        f"error: content/kaputt.md: a link to {elsewhere / 'fehlt.md'}, which does not exist",
    ]
    assert built.warnings == [
        f"warning: content/ordner: a link to the folder {elsewhere}, outside content; its "
        "articles are not built (move the folder into content instead)"
    ]
    assert project.published() == {"gut-eins", "gut-zwei"}
    assert not (project.translations / "geheim.po").exists()


HUGE = "0x" + "f" * 4000  # YAML reads it as an int of 16,000 bits: too long to print
_ENTRY = "glossary entry 1: "
_NUMBER = "a 16000-bit number"
_KEYS = "de, en, note, variants, case_sensitive, genitive, plural, en_plural"
FRONT_MATTER_GLOSSARIES = {
    # case: (what follows `glossary:`, the message after "front matter 'glossary': ")
    "target": (
        f"{{Kiew: {HUGE}}}",
        f"{_ENTRY}'en' must be text, got {_NUMBER}; put it in quotes",
    ),
    "key": (  # a key longer than 1024 characters must be written as an explicit one
        f"\n  - de: Kiew\n    en: Kyiv\n    ? {HUGE}\n    : 1",
        f"{_ENTRY}unknown key '{_NUMBER}' (known keys: {_KEYS})",
    ),
    "variant": (
        f"[{{de: Kiew, en: Kyiv, variants: [{HUGE}]}}]",
        f"{_ENTRY}variant {_NUMBER} must be non-empty text",
    ),
    "variants": (
        f"[{{de: Kiew, en: Kyiv, variants: {HUGE}}}]",
        f"{_ENTRY}'variants' must be a list such as [Kyjiw], got {_NUMBER}",
    ),
    "flag": (
        f"[{{de: Kiew, en: Kyiv, plural: {HUGE}}}]",
        f"{_ENTRY}'plural' must be true or false, got {_NUMBER}",
    ),
    "genitive": (
        f"[{{de: Kiew, en: Kyiv, genitive: [[{HUGE}]]}}]",
        f"{_ENTRY}'genitive' must be one of possessive, plain, off, got a list too large to show",
    ),
}


@pytest.mark.parametrize("case", sorted(FRONT_MATTER_GLOSSARIES))
def test_front_matter_glossary_of_wrong_types_skips_the_article(
    project: Project, case: str
) -> None:
    project.write_good()
    value, message = FRONT_MATTER_GLOSSARIES[case]
    project.write("falsch.md", f"---\ntitle: Der Krieg\nglossary: {value}\n---\n\nDer Krieg.\n")

    built = build()
    checked = cli("check")

    line = f"content/falsch.md:3: front matter 'glossary': {message} (not built)"
    assert (built.exit_code, built.errors) == (report.EXIT_PARTIAL, [f"error: {line}"])
    assert project.published() == {"gut-eins", "gut-zwei"}
    assert not (project.translations / "falsch.po").exists()
    assert line in checked.answer["problems"]


def _yaml_values() -> st.SearchStrategy[object]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=2**14000, max_value=2**14100),
        st.floats(),
        st.text(max_size=8),
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.one_of(st.text(max_size=6), st.integers()), inner, max_size=4)
        ),
        max_leaves=12,
    )


@settings(max_examples=300, deadline=None)
@given(_yaml_values())
def test_any_front_matter_glossary_is_an_error_message_or_a_glossary(value: object) -> None:
    try:
        glossary.Glossary(()).with_overrides(value)
    except glossary.GlossaryError as exc:
        assert all(len(str(p)) < 400 for p in exc.problems)


# ================================================================================================
# 4. Environment failures are messages; Ctrl+C keeps finished work
# ================================================================================================

UNCHANGED = "nothing was published; site and translations/de-en are as they were"


def _changed_project(project: Project) -> tuple[dict[str, object], dict[str, bytes]]:
    """A published site and memory, then a new and a changed article to publish."""
    project.write_good()
    assert build().exit_code == report.EXIT_OK
    project.write("neu.md", NEW)
    project.write("gut-eins.md", ARTICLE.format(title="Der Krieg"))
    return snapshot(project.site), project.memory()


def _assert_unchanged(project: Project, site: dict[str, object], memory: dict[str, bytes]) -> None:
    assert snapshot(project.site) == site
    assert project.memory() == memory
    assert leftovers(project) == []


@pytest.mark.parametrize("at", ["first", "middle", "last"])
def test_disk_full_is_one_line_and_changes_nothing(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, at: str
) -> None:
    site, memory = _changed_project(project)
    # How many writes a successful build makes, counted on a copy of the project.
    probe = tmp_path / "probe"
    shutil.copytree(project.root, probe, symlinks=True)
    monkeypatch.chdir(probe)
    with monkeypatch.context() as patch:
        count = disk_full_after(patch, 0)
        assert build().exit_code == report.EXIT_OK
    monkeypatch.chdir(project.root)
    writes = {"first": 1, "middle": max(1, count[0] // 2), "last": count[0]}[at]

    with monkeypatch.context() as patch:
        disk_full_after(patch, writes)
        failed = build()

    assert failed.exit_code == ENVIRONMENT
    (error,) = failed.errors
    assert error.endswith(f": No space left on device ({UNCHANGED})"), error
    path = error.removeprefix("error: ").split(": ")[0]
    assert path.startswith((".site.staging/", "translations/de-en/")), error
    assert failed.answer == {"exit_code": 4, "error": error.removeprefix("error: ")}
    _assert_unchanged(project, site, memory)
    # With space again, the next build publishes, from the work the failed one journalled.
    again = build()
    assert (again.exit_code, again.answer["translated_units"]) == (report.EXIT_OK, [])
    assert project.published() == {"gut-eins", "gut-zwei", "neu"}


def test_disk_full_on_a_real_small_file_system(project: Project) -> None:
    with tmpfs(project.root.parent / "klein", "1m") as small:
        for name in ("content", "glossaries"):
            shutil.copytree(project.root / name, small / name)
        os.chdir(small)
        try:
            small_project = Project(small)
            small_project.write_good()
            assert build().exit_code == report.EXIT_OK
            site, memory = snapshot(small_project.site), small_project.memory()
            long = NEW + "\n".join(f"Der Kanzler sagte am Tag {n} nicht viel." for n in range(2000))
            small_project.write("neu.md", long)
            (small / "fuellung").write_bytes(b"x" * (1024 * 1024 - _used(small) - 200 * 1024))

            failed = build()

            assert failed.exit_code == ENVIRONMENT
            (error,) = failed.errors
            assert error.endswith(f": No space left on device ({UNCHANGED})"), error
            assert snapshot(small_project.site) == site
            assert small_project.memory() == memory
            assert leftovers(small_project) == []
        finally:
            os.chdir(project.root)


def test_a_full_tmpdir_is_named_and_changes_nothing(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build spools its work (units, the new state) to unnamed files in TMPDIR, whose
    errors carry no path: the message names TMPDIR instead of saying nothing of where."""
    project.write_good()
    assert build().exit_code == report.EXIT_OK
    site, memory = snapshot(project.site), project.memory()
    for n in range(40):
        project.write(f"neu-{n}.md", NEW.replace("Der Frieden", f"Der Frieden {n}"))
    with tmpfs(project.root.parent / "tmp-klein", "4k") as small:
        monkeypatch.setattr(tempfile, "tempdir", str(small))

        failed = build()

        monkeypatch.undo()
    assert failed.exit_code == ENVIRONMENT
    assert failed.errors == [
        f"error: TMPDIR ({small}), where the build spools its work: No space left on device "
        f"({UNCHANGED})"
    ]
    assert snapshot(project.site) == site
    assert project.memory() == memory


def _used(folder: Path) -> int:
    info = os.statvfs(folder)
    return (info.f_blocks - info.f_bfree) * info.f_frsize


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS], ids=["permission", "read-only"])
def test_unwritable_translation_memory_is_one_line_and_changes_nothing(
    project: Project, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    site, memory = _changed_project(project)
    failing_writes(monkeypatch, project.translations, code)

    failed = build()

    monkeypatch.undo()
    assert failed.exit_code == ENVIRONMENT
    cause = os.strerror(code)
    assert failed.errors == [f"error: translations/de-en/.journal.jsonl: {cause} ({UNCHANGED})"]
    assert failed.answer["exit_code"] == 4
    _assert_unchanged(project, site, memory)


def test_lock_that_cannot_be_created_is_one_line(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write_good()
    before = snapshot(project.root.parent)
    failing_writes(monkeypatch, project.root, errno.EACCES)

    failed = build()

    monkeypatch.undo()
    assert failed.exit_code == ENVIRONMENT
    assert failed.errors == [
        "error: .site.lock: cannot create the build lock (Permission denied); nothing was written"
    ]
    assert failed.answer == {"exit_code": 4, "error": failed.errors[0].removeprefix("error: ")}
    assert snapshot(project.root.parent) == before


def test_immutable_memory_file_is_one_line_and_every_file_stays_as_it_was(
    project: Project,
) -> None:
    site, memory = _changed_project(project)
    project.write("gut-zwei.md", GOOD["gut-zwei.md"].replace("gestern", "morgen"))
    # gut-eins.po is replaced first, then gut-zwei.po fails: gut-eins.po must come back.
    with immutable(project.translations / "gut-zwei.po"):
        failed = build()
    assert failed.exit_code == ENVIRONMENT
    assert failed.errors == [
        f"error: translations/de-en/gut-zwei.po: Operation not permitted ({UNCHANGED})"
    ]
    _assert_unchanged(project, site, memory)
    assert not (project.translations / "neu.po").exists()


def test_read_only_output_file_system_is_one_line(project: Project) -> None:
    with tmpfs(project.site, "8m"):
        project.write_good()
        assert build().exit_code == report.EXIT_OK
        project.write("neu.md", NEW)
        site, memory = snapshot(project.site), project.memory()
        subprocess.run(["mount", "-o", "remount,ro", str(project.site)], check=True)

        failed = build()

        assert failed.exit_code == ENVIRONMENT
        assert failed.errors == [
            "error: site/.translate-pipeline.lock: cannot create the build lock (Read-only "
            "file system); nothing was written"
        ]
        assert snapshot(project.site) == site and project.memory() == memory
        subprocess.run(["mount", "-o", "remount,rw", str(project.site)], check=True)


def test_stale_temporary_files_are_removed_ignored_by_git_and_modes_kept(
    project: Project,
) -> None:
    project.write_good()
    assert build().exit_code == report.EXIT_OK
    stale = [
        project.translations / ".gut-eins.po.k3j9x_2a.tmp",  # a killed build's (mkstemp names)
        project.translations / ".gut-zwei.po.0f3a9c1e.bak",
    ]
    for path in stale:
        path.write_text("halb geschrieben")
    keep = project.translations / "notizen.tmp"  # not a name a build makes
    keep.write_text("meins")
    po = project.translations / "gut-eins.po"
    po.chmod(0o664)
    project.write("gut-eins.md", ARTICLE.format(title="Der Krieg"))
    project.write("neu.md", NEW)

    assert build().exit_code == report.EXIT_OK

    assert [p for p in stale if p.exists()] == []
    assert keep.read_text() == "meins"
    assert stat.S_IMODE(po.stat().st_mode) == 0o664
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((project.translations / "neu.po").stat().st_mode) == 0o666 & ~umask
    for path in stale:  # and git never shows them
        rel = path.relative_to(project.root)
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", "--no-index", str(rel)], cwd=REPO, capture_output=True
        )
        assert ignored.returncode == 0, f"{rel} is not ignored by .gitignore"


# --- Ctrl+C ---------------------------------------------------------------------------------------

# The console script, with SIGINT delivered as Ctrl+C delivers it, and the progress the
# build reports written to a file so the test knows how far the model has got.
INTERRUPTIBLE = """
import signal, sys
from pathlib import Path
from translate_pipeline import cli
signal.signal(signal.SIGINT, signal.default_int_handler)
progress = Path(sys.argv.pop(1))
def show(self, done, total):
    progress.write_text(f"{done} {total}")
cli._Progress.__call__ = show
cli.main(prog_name="translate-pipeline")
"""

NOUNS = ["Regierung", "Stadt", "Schule", "Zeitung", "Wahl", "Grenze", "Bahn", "Brücke", "Kirche"]
CLAUSES = [
    "dass die Lage in der Stadt sehr ernst ist",
    "dass man nicht mehr lange warten kann",
    "dass die Menschen auf dem Land wenig Geld haben",
    "dass der Winter lang und kalt wird",
]


def _sentences_journalled(project: Project) -> set[str]:
    found = set()
    for line in (project.translations / ".journal.jsonl").read_text("utf-8").split("\n"):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "sentence" in record:
            found.add(record["sentence"])
    return found


def _progress(path: Path) -> tuple[int, int] | None:
    """(done, total) as the child last wrote them; None while it is between truncating the
    file and writing it (`write_text`), which a poll every 10 ms does catch."""
    parts = path.read_text().split() if path.exists() else []
    return (int(parts[0]), int(parts[1])) if len(parts) == 2 else None


def test_ctrl_c_stops_soon_keeps_finished_sentences_and_leaves_nothing(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # 465 sentences: one wave (fewer than machine.WAVE_SENTENCES), as most builds are.
    for a in range(15):
        paragraphs = [
            " ".join(
                f"Der {NOUNS[(a + p + s) % 9]} sagte am Abend {a * 100 + p * 10 + s}, "
                f"{CLAUSES[(a + s) % 4]}."
                for s in range(5)
            )
            for p in range(6)
        ]
        project.write(
            f"neu-{a:02d}.md", f"---\ntitle: Bericht {a}\n---\n\n" + "\n\n".join(paragraphs)
        )
    progress = tmp_path / "progress"
    process = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTIBLE, str(progress), "build", "--threads", "2"],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120  # a hang guard
        while (seen := _progress(progress)) is None or seen[0] == 0:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the model never reported progress"
            time.sleep(0.01)
        done_at_signal, total = seen
        process.send_signal(2)  # SIGINT
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == report.EXIT_INTERRUPTED, stderr
    assert "error: interrupted; site/ is unchanged and finished translations are kept" in stderr
    assert "Traceback" not in stderr
    kept = _sentences_journalled(project)
    # Everything the model had finished is kept; it stopped within the few batches it had
    # queued (2 per worker thread), not at the end of the wave.
    assert len(kept) >= done_at_signal > 0
    assert len(kept) - done_at_signal <= total // 3, (len(kept), done_at_signal, total)
    assert not project.site.exists()
    assert leftovers(project) == []
    assert not [p for p in project.translations.glob("*.po")]

    sent: list[str] = []
    real_translate = engine.Engine.translate

    def counting(self: engine.Engine, sentences, progress=None):  # type: ignore[no-untyped-def]
        sent.extend(sentences)
        return real_translate(self, sentences, progress)

    monkeypatch.setattr(engine.Engine, "translate", counting)
    resumed = build()

    assert resumed.exit_code == report.EXIT_OK
    assert not set(sent) & kept, "sentences finished before Ctrl+C were translated again"
    assert len(sent) + len(kept) >= total
    assert len(project.published()) == 15
    assert not (project.translations / ".journal.jsonl").exists()
