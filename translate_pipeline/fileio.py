"""The file-system edges every stage shares: reading input files safely, writing files
beside their targets with the targets' permissions, and file-system failures as one line.

Inputs come from folders that people and other programs write into. A file is read only
when it is a regular file (a FIFO, socket or device is reported and skipped, and is never
opened in a way that could block) and only after `stat` showed it is within its size limit.

Every temporary file a build makes beside a file it rewrites is named
`.<name>.<8 characters>.tmp` (or `.bak` for the previous version kept until a set of files
is replaced), so `remove_stale` recognises the ones a killed build left behind.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import IO

from translate_pipeline.report import EXIT_ENVIRONMENT, BuildError

_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.(?:tmp|bak)")


class Unreadable(Exception):
    """An input file that is skipped: not a regular file, or larger than its limit.
    `str()` is the one-line report; `reason` completes "the file is ..."."""

    def __init__(self, path: Path, reason: str, report: str) -> None:
        super().__init__(f"{path}: {report}")
        self.path, self.reason = path, reason


def _not_regular(path: Path, mode: int) -> Unreadable:
    reason = f"not a regular file ({kind(mode)})"
    return Unreadable(path, reason, f"{reason}; skipped")


def _too_large(path: Path, limit: int) -> Unreadable:
    return Unreadable(
        path, f"larger than {megabytes(limit)}", f"file is larger than {megabytes(limit)}"
    )


def shown(path: Path | str) -> str:
    """A path as messages show it: relative to the current folder when it is inside it."""
    path = Path(path)
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def kind(mode: int) -> str:
    """What a file that is not a regular file is, for messages."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def megabytes(limit: int) -> str:
    return f"{limit // 2**20} MB"


def read_input(path: Path, limit: int) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them.

    Unreadable when it is not a regular file or is larger than `limit` (both known from
    `stat`, before anything is read); OSError (missing, permission denied ...) as it is.
    """
    return b"".join(read_chunks(path, limit))


def read_chunks(path: Path, limit: int) -> Generator[bytes, None, None]:
    """`read_input`'s bytes a MiB at a time, for files read as a stream (the journal). The
    checks come first: the generator raises before yielding anything."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path, info.st_mode)
    if info.st_size > limit:
        raise _too_large(path, limit)
    # O_NONBLOCK: had the file been swapped for a FIFO since the stat, opening it still
    # returns at once, and the fstat below refuses it.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, info.st_mode)
        total = 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - total)):
            total += len(chunk)
            if total > limit:  # it grew since the stat
                raise _too_large(path, limit)
            yield chunk
    finally:
        os.close(fd)


def lines(
    chunks: Iterable[bytes], longest: int | None = None
) -> Generator[tuple[int, bytes], None, None]:
    """Each line of the bytes in `chunks` with its offset, its b"\n" kept; a last line
    without one too. Split at b"\n" only: JSON leaves U+2028 and U+0085 unescaped.
    ValueError for a line longer than `longest`, before it is held whole."""
    offset = 0
    rest = b""
    for chunk in chunks:
        *whole, rest = (rest + chunk).split(b"\n")
        for line in whole:
            if longest is not None and len(line) >= longest:
                raise ValueError(f"a line longer than {longest} bytes at byte {offset}")
            yield offset, line + b"\n"
            offset += len(line) + 1
        if longest is not None and len(rest) >= longest:
            raise ValueError(f"a line longer than {longest} bytes at byte {offset}")
    if rest:
        yield offset, rest


Content = bytes | IO[bytes]  # a file's bytes, or an open file holding them


def _size_of(data: Content) -> int:
    return len(data) if isinstance(data, bytes) else os.fstat(data.fileno()).st_size


def _read_at(data: Content, offset: int, size: int) -> bytes:
    """`size` bytes of `data` from `offset` (fewer at its end); a file's position stays."""
    if isinstance(data, bytes):
        return data[offset : offset + size]
    return os.pread(data.fileno(), size, offset)


def holds(path: Path, data: Content) -> bool:
    """Whether `path` is a regular file holding exactly `data` (it is read only when its
    size matches)."""
    try:
        info = os.stat(path)
        size = _size_of(data)
        if not stat.S_ISREG(info.st_mode) or info.st_size != size:
            return False
        # A MiB at a time: a large file (the state file of an archive) is not held twice.
        offset = 0
        for chunk in read_chunks(path, size):
            if _read_at(data, offset, len(chunk)) != chunk:
                return False
            offset += len(chunk)
        return offset == size
    except (OSError, Unreadable):
        return False


# --- writing ---------------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_mode(path: Path) -> int:
    """The permissions a rewrite of `path` keeps: its own, or a new file's (0666 - umask)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def write_all(fd: int, data: bytes, path: Path) -> None:
    """All of `data` to `fd`; an error names `path` (os.write's own errors name nothing)."""
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        view = view[written:]


def write_new(path: Path, data: Content) -> None:
    """`data` in the new file `path` (never an existing one, never through a link)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o666)
    try:
        if isinstance(data, bytes):
            write_all(fd, data, path)
            return
        offset = 0
        while chunk := _read_at(data, offset, 1 << 20):
            write_all(fd, chunk, path)
            offset += len(chunk)
    finally:
        os.close(fd)


def write_temporary(path: Path, data: bytes) -> Path:
    """`data`, flushed to disk, in a new temporary file beside `path` that has the
    permissions `path` has (or a new file would get); for `os.replace` onto `path`."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        try:
            os.fchmod(fd, new_mode(path))
            write_all(fd, data, temporary)
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


_NO_LINKS = (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP)


def link_or_copy(source: Path, target: Path) -> None:
    """`target` as a second name for `source` (a hard link), or a copy where the file
    system refuses links."""
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        shutil.copyfile(source, target)


def keep_previous(path: Path) -> Path:
    """A second name for the current `path` (`.<name>.<random>.bak` beside it), so it can
    be put back after `path` was replaced: a hard link, or a copy where links fail."""
    while True:
        backup = path.with_name(f".{path.name}.{secrets.token_hex(4)}.bak")
        try:
            os.link(path, backup)
            return backup
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
        try:  # immutable files and some network file systems refuse hard links
            shutil.copy2(path, backup)
        except BaseException:
            backup.unlink(missing_ok=True)
            raise
        return backup


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary files a killed build left below `folder` (see the module
    docstring for their names); returns them."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in sorted(folder.rglob(".*")):
        if _TEMPORARY.fullmatch(path.name) and path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def remove_tree(path: Path) -> OSError | None:
    """Remove a folder a build made (a link is removed, never followed); the first error
    when anything is left of it."""
    errors: list[OSError] = []
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        try:
            path.unlink()
        except OSError as exc:
            return exc
        return None
    if not path.exists():
        return None

    def failed(function: object, name: str, info: object) -> None:
        exc = info[1] if isinstance(info, tuple) else info
        errors.append(exc if isinstance(exc, OSError) else OSError(str(exc)))

    shutil.rmtree(path, onerror=failed)
    if path.exists() or path.is_symlink():
        return errors[0] if errors else OSError(errno.ENOTEMPTY, os.strerror(errno.ENOTEMPTY))
    return None


def failure(exc: OSError, unchanged: str = "") -> BuildError:
    """A file-system failure as one line: the path, the cause, and what was not changed."""
    where = f"{shown(exc.filename)}: " if exc.filename else ""
    if not exc.filename and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        # Writes to named files carry their path; the unnamed ones are the build's spools.
        where = f"TMPDIR ({tempfile.gettempdir()}), where the build spools its work: "
    cause = exc.strerror or str(exc) or type(exc).__name__
    tail = f" ({unchanged})" if unchanged else ""
    return BuildError(f"{where}{cause}{tail}", EXIT_ENVIRONMENT)
