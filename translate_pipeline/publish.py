"""Atomic publishing: `site/` is replaced all at once, or not at all.

Changed files go to a staging folder beside the output, unchanged ones are hard-linked
into it, and the two folders are swapped atomically. A lock keeps two builds of one output
apart. The state file records a fingerprint per article (source, memory, glossary, code),
so the next build can skip every article whose inputs did not change.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from translate_pipeline import __version__
from translate_pipeline.report import BuildError

STATE_FILE = ".translate-pipeline-state.json"


def fingerprint(*parts: bytes) -> str:
    """One hash over several inputs, each hashed on its own so boundaries count."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
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


def load_state(out: Path) -> dict[str, Any]:
    try:
        state = json.loads((out / STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def state_bytes(state: dict[str, Any]) -> bytes:
    return json.dumps(state, indent=1, sort_keys=True).encode()


@contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """One build per output folder: a second one refuses at once instead of racing."""
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_path = out.parent / f".{out.name}.lock"
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(
                f"{out}: another build is running on this folder (lock {lock_path}); "
                "try again when it has finished"
            ) from None
        yield


def _exchange(a: Path, b: Path) -> None:
    """Swap two directories atomically (Linux renameat2), else by two renames."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        at_fdcwd, rename_exchange = -100, 2
        if libc.renameat2(at_fdcwd, bytes(a), at_fdcwd, bytes(b), rename_exchange) == 0:
            return
        if ctypes.get_errno() not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise OSError(ctypes.get_errno(), "renameat2 failed", str(a))
    except AttributeError:
        pass
    backup = b.with_name(b.name + ".old")
    os.rename(b, backup)
    os.rename(a, b)
    os.rename(backup, a)


class Output:
    """Collects the site's files; only files whose bytes changed are written."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.staging = out.with_name(f".{out.name}.staging")
        self.files: set[str] = set()
        self.changed: set[str] = set()
        self._folders: set[Path] = set()  # made in staging already: one mkdir each
        shutil.rmtree(self.staging, ignore_errors=True)

    def put(self, rel: str, data: bytes) -> None:
        self.files.add(rel)
        try:
            if (self.out / rel).read_bytes() == data:
                return
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            pass
        self._write(rel, data)
        self.changed.add(rel)

    def _write(self, rel: str, data: bytes | None = None) -> None:
        """`data` into staging, or without it a hard link to the published file."""
        target = self.staging / rel
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        if data is None:
            os.link(self.out / rel, target)
        else:
            target.write_bytes(data)

    def keep(self, rels: Sequence[str]) -> None:
        self.files.update(rels)

    def has(self, rels: Sequence[str]) -> bool:
        """Whether the published site still holds all of `rels`."""
        return all((self.out / rel).exists() for rel in rels)

    def existing(self) -> set[str]:
        if not self.out.is_dir():
            return set()
        return {str(p.relative_to(self.out)) for p in self.out.rglob("*") if p.is_file()}

    def commit(self) -> int:
        """Publish: nothing happens when no file changed, appeared or disappeared."""
        old = self.existing()
        if not self.changed and old == self.files:
            shutil.rmtree(self.staging, ignore_errors=True)
            return 0
        for rel in sorted(self.files - self.changed):
            self._write(rel)
        self.staging.mkdir(parents=True, exist_ok=True)
        if self.out.exists():
            _exchange(self.staging, self.out)
            shutil.rmtree(self.staging, ignore_errors=True)
        else:
            os.rename(self.staging, self.out)
        return len(self.changed)
