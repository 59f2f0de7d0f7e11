"""Publishing: the output folder is replaced all at once, or not at all, and only when it
is ours.

**Whose folder.** A build writes only into an output folder it made (it holds the state
file, whose `files` list names everything the build put there) or an empty one; a folder
with anything else in it, or one that is, holds or lies inside the content, the translation
memory, the glossaries or the project folder, is refused before anything is written
(`resolve_target`). A symlinked output folder is published into where it points; the link
stays.

**How.** Changed files go to a staging folder beside the (resolved) output folder, unchanged
ones are hard-linked into it, and the two folders are swapped atomically. A folder that
cannot be swapped (a mount point, or one whose parent is not writable) is published in
place instead: the changed files are written to a staging folder inside it first, then
each is renamed over its old version in path order, removed files are deleted, and the
state file is written last. A lock keeps two builds of one output apart; another keeps two
builds of one translation memory apart.

The translation memory's PO files are replaced together with the site (`Replacements`):
every new version is written beside its file before any is replaced, and the old versions
are kept until the site is published, so a failure leaves both as they were.

The state file (`state`) also records a fingerprint per article (source, memory, glossary,
code), so the next build can skip every article whose inputs did not change.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import os
import signal
import stat
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from translate_pipeline import __version__, fileio, state
from translate_pipeline.config import Options
from translate_pipeline.report import EXIT_ENVIRONMENT, BuildError
from translate_pipeline.state import STATE_FILE

LOCK_FILE = ".translate-pipeline.lock"  # inside a folder published in place
INNER_STAGING = ".translate-pipeline-staging"  # inside a folder published in place
# Left by file managers; never counted as someone else's files (and replaced like ours).
JUNK = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


def fingerprint(*parts: bytes) -> str:
    """One hash over several inputs, each hashed on its own so boundaries count."""
    return fingerprint_digests(*(hashlib.sha256(part).digest() for part in parts))


def fingerprint_digests(*digests: bytes) -> str:
    """`fingerprint` of inputs known by their sha256 digests."""
    digest = hashlib.sha256()
    for part in digests:
        digest.update(part)
    return digest.hexdigest()


def code_fingerprint(*settings: str) -> bytes:
    """The pipeline's version, templates, styles and code, plus settings that change every
    page (base URL): when any of them changes, every page is rendered again."""
    root = Path(__file__).parent
    files = sorted(
        [*root.glob("templates/*"), *root.glob("static/*"), *root.glob("**/*.py")],
        key=lambda f: f.relative_to(root).as_posix(),
    )
    return (__version__ + "".join(fingerprint(f.read_bytes()) for f in files)).encode() + "".join(
        settings
    ).encode()


# --- the output folder: where it is, whether it is ours, how it is published -------------------


@dataclass(frozen=True)
class Target:
    """The output folder: `given` as the user wrote it (for messages), `path` where it
    really is (symlinks resolved), and whether it must be published in place."""

    given: Path
    path: Path
    in_place: bool = False

    @property
    def lock(self) -> Path:
        if self.in_place:
            return self.path / LOCK_FILE
        return self.path.parent / f".{self.path.name}.lock"

    @property
    def staging(self) -> Path:
        if self.in_place:
            return self.path / INNER_STAGING
        return self.path.parent / f".{self.path.name}.staging"

    @property
    def previous(self) -> Path:
        """Where the old folder waits during a swap by two renames (no renameat2)."""
        return self.path.parent / f".{self.path.name}.previous"


def _refuse(given: Path, problem: str) -> BuildError:
    return BuildError(f"--out {given}: {problem} (nothing was written)")


def resolve_target(options: Options) -> Target:
    """The output folder, checked before anything is written: BuildError (exit 1) when it
    is not ours to replace, with what to do instead."""
    given = options.out
    path = Path(os.path.realpath(given))
    try:
        os.stat(given)
    except FileNotFoundError:
        if given.is_symlink() and not path.parent.is_dir():
            raise _refuse(given, f"is a link to {path}, whose folder does not exist") from None
    except OSError as exc:  # a loop of links, a file used as a folder ...
        raise _refuse(given, f"cannot be resolved ({exc.strerror})") from None
    _check_overlap(given, path, options)
    if path.exists() and not path.is_dir():
        raise _refuse(given, "is a file, not a folder; choose a folder for the site")
    foreign = _foreign_files(path)
    if foreign:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise _refuse(
            given,
            f"holds files translate-pipeline did not write ({', '.join(foreign[:3])}{more}); "
            "it publishes only into an empty folder or one it made. Move them elsewhere, "
            "or choose another --out",
        )
    return Target(given, path, path.is_dir() and _cannot_swap(path))


def _check_overlap(given: Path, path: Path, options: Options) -> None:
    """The site must not be, hold or lie inside a folder the build reads, nor hold the
    folder it runs in: replacing it would delete the project."""
    protected = [
        ("the content folder", options.content),
        ("the translation memory folder", options.translations or Path("translations")),
        ("the glossary folder", options.glossaries),
    ]
    for what, folder in protected:
        real = Path(os.path.realpath(folder))
        if path == real:
            problem = f"is {what} ({folder})"
        elif real.is_relative_to(path):
            problem = f"contains {what} ({folder})"
        elif path.is_relative_to(real):
            problem = f"is inside {what} ({folder})"
        else:
            continue
        raise _refuse(given, f"{problem}; the site needs a folder of its own, such as --out site")
    here = Path.cwd().resolve()
    if here.is_relative_to(path):
        what = (
            "is the folder the build runs in"
            if here == path
            else "contains the folder the build runs in"
        )
        raise _refuse(given, f"{what}; the site needs a folder of its own, such as --out site")


def _cannot_swap(path: Path) -> bool:
    """A mount point (a container volume) cannot be renamed or swapped, nor can a folder
    whose parent is on another file system or not writable: those are published in place."""
    try:
        return (
            os.path.ismount(path)
            or path.stat().st_dev != path.parent.stat().st_dev
            or not os.access(path.parent, os.W_OK)
        )
    except OSError:
        return False


def listing(path: Path) -> set[str]:
    """Every entry of the output folder that is not a folder (files, links, FIFOs ...) and
    every empty folder (as `name/`), as relative POSIX paths; the lock and staging folder of
    an in-place publish, a mount point's `lost+found` and file managers' junk left out."""
    found: set[str] = set()
    if not path.is_dir():
        return found
    ours = {INNER_STAGING, "lost+found"} if os.path.ismount(path) else {INNER_STAGING}

    def unreadable(error: OSError) -> None:
        raise error  # a folder that cannot be listed may hold anything: never replace it

    for folder, subfolders, names in os.walk(path, onerror=unreadable):
        here = Path(folder)
        rel = here.relative_to(path)
        if rel == Path("."):
            subfolders[:] = [d for d in subfolders if d not in ours]
            names = [n for n in names if n != LOCK_FILE]
        elif not subfolders and not names:
            found.add(f"{rel.as_posix()}/")  # someone's empty folder: not replaced unasked
        for name in subfolders:
            if (here / name).is_symlink():
                names.append(name)  # a link to a folder is an entry, not a folder of ours
        for name in names:
            if name not in JUNK:
                found.add((rel / name).as_posix())
    return found


def _foreign_files(path: Path) -> list[str]:
    """Files in `path` that this program did not publish there."""
    files = listing(path)
    if not files:
        return []
    state_path = path / STATE_FILE
    if STATE_FILE not in files or not stat.S_ISREG(os.lstat(state_path).st_mode):
        return sorted(files)
    manifest = state.Previous(path, articles=False).files()
    if manifest is None:
        return []  # a site made before the state file listed its files: all of it is ours
    return sorted(files - manifest - {STATE_FILE})


# --- locks ------------------------------------------------------------------------------------


@contextmanager
def _lock(path: Path, busy: str) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as exc:
        raise BuildError(
            f"{fileio.shown(exc.filename or path)}: cannot create the build lock "
            f"({exc.strerror}); nothing was written",
            EXIT_ENVIRONMENT,
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(busy) from None
        except OSError as exc:
            raise BuildError(
                f"{fileio.shown(path)}: cannot lock ({exc.strerror}); nothing was written",
                EXIT_ENVIRONMENT,
            ) from None
        yield
    finally:
        os.close(fd)


@contextmanager
def build_lock(target: Target) -> Iterator[None]:
    """One build per output folder: a second one refuses at once instead of racing."""
    lock = target.lock
    busy = (
        f"{target.given}: another build is running on this folder (lock {fileio.shown(lock)}); "
        "try again when it has finished"
    )
    with _lock(lock, busy):
        yield


@contextmanager
def memory_lock(folder: Path) -> Iterator[bool]:
    """One build per translation memory (two sites may share one): a second one refuses.
    The folder itself is locked, so no lock file appears in it; yields whether it is locked
    (not when it does not exist yet, or its file system cannot lock folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(
                f"{fileio.shown(folder)}: another build is using this translation memory; "
                "try again when it has finished"
            ) from None
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


@contextmanager
def no_interrupts() -> Iterator[list[int]]:
    """Ctrl+C is held back while the memory and the site are replaced, so the two are never
    left half-published; the list says whether it was pressed (the build then finishes)."""
    pressed: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return
    previous = signal.signal(signal.SIGINT, lambda number, frame: pressed.append(number))
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)


# --- replacing folders and sets of files ---------------------------------------------------


def _exchange(a: Path, b: Path, spare: Path) -> None:
    """Swap two directories atomically (Linux renameat2), else by two renames through
    `spare`, the first undone if the second fails."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        at_fdcwd, rename_exchange = -100, 2
        if libc.renameat2(at_fdcwd, bytes(a), at_fdcwd, bytes(b), rename_exchange) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), str(b))
    except AttributeError:
        pass
    os.rename(b, spare)
    try:
        os.rename(a, b)
    except OSError:
        os.rename(spare, b)
        raise
    os.rename(spare, a)


class Replacements:
    """Files replaced together (the PO files of a build): each new version is written beside
    its file when staged, none is replaced before all are written, and the old versions are
    kept until `finish`, so `rollback` puts every file back as it was."""

    def __init__(self) -> None:
        self.staged: list[tuple[Path, Path]] = []  # (temporary file, target)
        self.done: list[tuple[Path, Path | None]] = []  # (target, its previous version)

    def stage(self, path: Path, data: bytes) -> bool:
        """Write `data` beside `path`, unless `path` holds it already; whether it will change."""
        if fileio.holds(path, data):
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        self.staged.append((fileio.write_temporary(path, data), path))
        return True

    def commit(self) -> None:
        """Replace every staged file, in path order; on any failure, put back those replaced."""
        try:
            for temporary, target in sorted(self.staged, key=lambda s: s[1]):
                previous = fileio.keep_previous(target) if target.exists() else None
                try:
                    os.replace(temporary, target)
                except BaseException as exc:
                    if previous is not None:
                        previous.unlink(missing_ok=True)
                    if isinstance(exc, OSError):
                        raise OSError(exc.errno, exc.strerror, str(target)) from None
                    raise
                self.done.append((target, previous))
        except BaseException:
            self.rollback()
            raise
        self.staged = []

    def rollback(self) -> None:
        """Every replaced file as it was before `commit` (best effort, newest first)."""
        for target, previous in reversed(self.done):
            try:
                if previous is None:
                    target.unlink(missing_ok=True)
                else:
                    os.replace(previous, target)
            except OSError:
                continue
        self.done = []
        self.discard()

    def finish(self) -> None:
        """The replacement stands: the previous versions go."""
        for _, previous in self.done:
            if previous is not None:
                previous.unlink(missing_ok=True)
        self.done = []

    def discard(self) -> None:
        """Remove staged files that were not committed (a failed or interrupted build)."""
        for temporary, _ in self.staged:
            temporary.unlink(missing_ok=True)
        self.staged = []


class Output:
    """Collects the site's files; only files whose bytes changed are written."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.out = target.path
        self.staging = target.staging
        self.files: set[str] = set()
        self.changed: set[str] = set()
        self.state: fileio.Content = b""
        self.leftover: str = ""  # why the old site could not be removed after publishing
        # The folder of the file staged last: files come folder by folder, so one mkdir
        # each mostly, without a set of every folder of an archive.
        self._folder: str | None = None
        self._recover()

    def _recover(self) -> None:
        """What a killed build left: a swapped-out site is put back, a staging folder goes.
        One that cannot be removed stops the build: it is never published by mistake."""
        previous = self.target.previous
        if previous.is_dir() and not previous.is_symlink() and not self.out.exists():
            os.rename(previous, self.out)
        for leftover in (self.staging, previous):
            if leftover.exists() or leftover.is_symlink():
                error = fileio.remove_tree(leftover)
                if error is not None:
                    raise BuildError(
                        f"{fileio.shown(leftover)}: an earlier build left this staging folder "
                        f"and it cannot be removed ({error.strerror or error}); remove it by "
                        "hand (nothing was written)",
                        EXIT_ENVIRONMENT,
                    )

    def put(self, rel: str, data: fileio.Content) -> None:
        """`data`: the file's bytes, or an open file holding them (copied when staged)."""
        self.files.add(rel)
        if rel == STATE_FILE:
            self.state = data
        if fileio.holds(self.out / rel, data):
            return
        self._write(rel, data)
        self.changed.add(rel)

    def _write(self, rel: str, data: fileio.Content | None = None) -> None:
        """`data` into staging, or without it a hard link to the published file."""
        target = self.staging / rel
        folder = rel.rpartition("/")[0]
        if folder != self._folder:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folder = folder
        if data is None:
            fileio.link_or_copy(self.out / rel, target)
        else:
            fileio.write_new(target, data)

    def keep(self, rels: Sequence[str]) -> None:
        self.files.update(rels)

    def has(self, rels: Sequence[str]) -> bool:
        """Whether the published site still holds all of `rels`."""
        return all((self.out / rel).is_file() for rel in rels)

    def existing(self) -> set[str]:
        return {rel for rel in listing(self.out) if not rel.endswith("/")}

    def prepare(self) -> set[str] | None:
        """Everything staged for `publish`: the files published now, or None when no file
        changed, appeared or disappeared (nothing to publish)."""
        old = self.existing()
        if not self.changed and old == self.files:
            return None
        if not self.target.in_place:
            for rel in sorted(self.files - self.changed):
                self._write(rel)
        self.staging.mkdir(parents=True, exist_ok=True)
        return old

    def publish(self, old: set[str]) -> int:
        """Replace the site with the staged one; the number of files written."""
        if self.target.in_place:
            self._publish_in_place(old)
        elif self.out.exists():
            os.chmod(self.staging, stat.S_IMODE(self.out.stat().st_mode))
            _exchange(self.staging, self.out, self.target.previous)
            error = fileio.remove_tree(self.staging)  # now the old site
            if error is not None:
                self.leftover = f"{error.strerror or error}"
        else:
            os.rename(self.staging, self.out)
        return len(self.changed)

    def _publish_in_place(self, old: set[str]) -> None:
        """File by file, for a folder that cannot be swapped. First the state file lists
        every file that may be there until the end and no fingerprints (an interrupted run is
        then redone in full, and the folder stays recognisably ours); then each changed file
        is renamed over its old version in path order, removed files are deleted, and the
        final state file comes last."""
        self._rename_in(STATE_FILE, state.intent(sorted(old | self.files)))
        for rel in sorted(self.changed - {STATE_FILE}):
            target = self.out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging / rel, target)
        for rel in sorted(old - self.files - {STATE_FILE}, reverse=True):
            target = self.out / rel
            target.unlink(missing_ok=True)
            for parent in target.parents:
                if parent == self.out or any(parent.iterdir()):
                    break
                parent.rmdir()
        self._rename_in(STATE_FILE, self.state)
        error = fileio.remove_tree(self.staging)
        if error is not None:
            self.leftover = f"{error.strerror or error}"

    def _rename_in(self, rel: str, data: fileio.Content) -> None:
        staged = self.staging / f"{rel}.next"
        staged.unlink(missing_ok=True)
        fileio.write_new(staged, data)
        os.replace(staged, self.out / rel)

    def discard(self) -> None:
        """Remove the staging folder of a build that did not publish (best effort; the next
        build refuses to go on while it is there)."""
        if self.staging.exists():
            fileio.remove_tree(self.staging)
