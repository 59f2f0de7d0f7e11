"""Serve a built site on localhost while editing, and rebuild it when sources change.

Polling keeps this dependency-free and works the same on every OS and file system.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

log = logging.getLogger(__name__)


class _Handler(SimpleHTTPRequestHandler):
    """Static files as a host would serve them: never cached, the site's own 404 page."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a reload must show the rebuilt page
        super().end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug(format, *args)


def make_server(site_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """An HTTP server for ``site_dir``; port 0 picks a free one (see ``server_address``)."""
    handler = functools.partial(_Handler, directory=str(site_dir))
    return ThreadingHTTPServer((host, port), handler)


def snapshot(paths: Sequence[Path]) -> dict[Path, tuple[int, int]]:
    """Modification time and size of each file under ``paths``, skipping hidden files
    (editor swap files, .git) so that merely opening a file does not trigger a rebuild."""
    state: dict[Path, tuple[int, int]] = {}
    for root in paths:
        files = [root] if root.is_file() else sorted(root.rglob("*")) if root.is_dir() else []
        for path in files:
            if any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:  # deleted between listing and stat
                continue
            if path.is_file():
                state[path] = (stat.st_mtime_ns, stat.st_size)
    return state


def watch_files(
    paths: Sequence[Path],
    on_change: Callable[[], None],
    stop: threading.Event,
    interval: float = 0.5,
) -> None:
    """Call ``on_change`` after files under ``paths`` change, until ``stop`` is set.

    The snapshot is retaken after ``on_change`` so that files a rebuild writes itself
    (translation memories) do not trigger another rebuild.
    """
    before = snapshot(paths)
    while not stop.wait(interval):
        if snapshot(paths) == before:
            continue
        try:
            on_change()
        except Exception:  # a failed rebuild must not stop the watcher
            log.exception("rebuild failed")
        before = snapshot(paths)


def serve(
    site_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_change: Callable[[], None] | None = None,
    watch: Sequence[Path] = (),
) -> None:
    """Serve ``site_dir`` until Ctrl+C; with ``on_change``, call it when ``watch`` changes."""
    server = make_server(site_dir, host, port)
    stop = threading.Event()
    if on_change is not None:
        watcher = threading.Thread(
            target=watch_files, args=(list(watch), on_change, stop), name="watch", daemon=True
        )
        watcher.start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
